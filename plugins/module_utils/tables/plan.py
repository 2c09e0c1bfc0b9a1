# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan a lookup table change: from module input and the current source to the new source.

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over data; nothing here touches a file or runs a command.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import (
    KEYED,
    Changes,
    TableSourceError,
    check_unique,
    check_well_formed,
    compare,
    desired_entries,
    desired_entry,
    entries_of,
    identity_of,
    merge,
    parse_source,
    read_entries,
    render_blocks,
    render_entries,
    syntax_of,
)

# What the caller asked for: validated entries (rules), keys (patterns) to
# remove when merging, whether the entries are the whole table, and whether
# its values are secret.
Request = namedtuple('Request', 'syntax entries removals exclusive secret')

# The outcome: ``content`` is the new source text, or None when the current
# source already holds what was asked; ``entries`` are the table's entries
# afterwards; ``changes`` says which (table_source.Changes).
ContentPlan = namedtuple('ContentPlan', 'content entries changes')

NO_CHANGES = Changes([], [], [], False)


def make_request(table_type, entries, rules, exclusive, remove_keys, secret=False, aliases=False):
    """Validate module input into a Request; raise TableSourceError naming the first bad item.

    ``aliases``: the table is in the aliases(5) format (postalias).
    """
    syntax = syntax_of(table_type, aliases)
    if syntax in KEYED:
        if rules is not None:
            raise TableSourceError('%s tables hold key/value entries: use entries, not rules' % table_type)
        items = _key_value_items(entries)
    else:
        if entries is not None:
            raise TableSourceError('%s tables hold ordered pattern/action rules: use rules, not entries' % table_type)
        items = _rule_items(rules)
    if exclusive and items is None:
        raise TableSourceError('exclusive: true needs the whole table in %s (an empty list for an empty table)'
                               % ('entries' if syntax in KEYED else 'rules'))
    if exclusive and remove_keys:
        raise TableSourceError('remove_keys works only with exclusive: false; with exclusive: true, leave the keys '
                               'out of %s' % ('entries' if syntax in KEYED else 'rules'))
    validated = desired_entries(syntax, items or [])
    check_unique(validated, syntax, secret)
    removals = [_removal_key(syntax, key, position) for position, key in enumerate(remove_keys or [], 1)]
    identity = identity_of(syntax)
    both = removals and set(identity(entry.key) for entry in validated) & set(identity(key) for key in removals)
    if both:
        raise TableSourceError('%s both set and removed (remove_keys): choose one' % ', '.join(sorted(both)))
    return Request(syntax, validated, removals, exclusive, secret)


def _key_value_items(entries):
    if entries is None:
        return None
    if isinstance(entries, dict):
        return list(entries.items())
    if not isinstance(entries, list):
        raise TableSourceError('entries must be a mapping of key to value, or a list of {key, value} items')
    return _pairs('entries', entries, ('key', 'value'))


def _rule_items(rules):
    return None if rules is None else _pairs('rules', rules, ('pattern', 'action'))


def _pairs(option, items, fields):
    """(first, second) from a list of dicts with exactly the two ``fields``."""
    pairs = []
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict) or set(item) != set(fields):
            raise TableSourceError('%s item %d must have exactly the fields %s and %s' % ((option, position) + fields))
        pairs.append((item[fields[0]], item[fields[1]]))
    return pairs


def _removal_key(syntax, key, position):
    # A removal names an entry the way an entry would: same validation and quoting.
    return desired_entry(syntax, key, 'x', position).key


def plan_content(request, current_text, path):
    """The new source for ``request`` given the current source text (None when there is none)."""
    if request.exclusive:
        rendered = render_entries(request.entries, request.syntax)
        if current_text == rendered:
            return ContentPlan(None, request.entries, NO_CHANGES)
        current = read_entries(current_text or '', request.syntax)
        changes = compare(current, request.entries, request.syntax)
        if current_text is not None and _equivalent(current_text, current, request, changes):
            return ContentPlan(None, current, NO_CHANGES)
        return ContentPlan(rendered, request.entries, changes)
    blocks, changes = merge(parse_source(current_text or '', request.syntax), request.entries, request.removals,
                            request.syntax)
    entries = entries_of(blocks)
    check_unique(entries, request.syntax, request.secret)
    check_well_formed(entries, path, request.secret)
    if not (changes.added or changes.removed or changes.changed):
        return ContentPlan(None, entries, NO_CHANGES)
    return ContentPlan(render_blocks(blocks), entries, changes)


def _equivalent(current_text, current, request, changes):
    # Same entries, each once and well-formed, in the same order for rules, and
    # no if/endif structure: Postfix reads the current file as the desired one.
    if changes.added or changes.removed or changes.changed or changes.reordered:
        return False
    if len(current) != len(request.entries) or not all(entry.value for entry in current):
        return False
    return request.syntax in KEYED or not any(
        block.entry is None and block.text for block in parse_source(current_text, request.syntax))
