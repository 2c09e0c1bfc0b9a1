# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Diffs as Ansible shows them (--diff): one item per file, its changed entries before and after.

postconf (main.cf, master.cf, its tables), postfix_freeze (main.cf, the
suspension table) and postfix_map (a table) build their diffs here, from their
plans. A diff shows only what changes, one line per entry, in the file's own
syntax; a secret table's values show as secrets.MASK.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import os

from ansible_collections.mailops.postfix.plugins.module_utils.core.secrets import shown_key, shown_value

# A table of 100,000 entries would make a diff no one reads, and a large result.
ENTRY_LIMIT = 1000


def changed_entries(path):
    """The header of a diff that shows a file's changed entries, not the whole file."""
    return '%s (changed entries)' % path


def file_diff(header, before, after):
    return {'before_header': header, 'after_header': header, 'before': before, 'after': after}


def text(lines, limit=None):
    """The lines as diff text, each ended by a newline; past ``limit`` lines, how many more there are."""
    lines = list(lines)
    if limit is not None and len(lines) > limit:
        lines = lines[:limit] + ['# ... and %d more' % (len(lines) - limit)]
    return ''.join(line + '\n' for line in lines)


def config_diffs(config_dir, parameters, services=None):
    """One diff for main.cf's changed parameters, one for master.cf's changed entries; none for an unchanged file.

    ``parameters`` maps names, ``services`` service/type, to {before, after}
    (None: not there); a master.cf entry is given as its line.
    """
    diffs = []
    for name, changes, line in (('main.cf', parameters, lambda key, value: ('%s = %s' % (key, value)).rstrip()),
                                ('master.cf', services, lambda key, value: value)):
        if changes:
            diffs.append(file_diff(changed_entries(os.path.join(config_dir, name)), *(
                text(line(key, change[side]) for key, change in sorted(changes.items()) if change[side] is not None)
                for side in ('before', 'after'))))
    return diffs


def table_diff(header, changes, secret=False, notes=(), limit=None):
    """A table's changed entries (tables.source.Changes): removed and changed ones before, changed and added after.

    A changed secret shows as MASK on both sides, and the after side says that
    it changed, so that the diff shows which keys get a new value. ``notes``
    are (before, after) comment lines for what the entries do not show.
    """
    def lines(pairs, side, changed=0):
        return text(('%s %s' % (shown_key(pair[side], secret),
                                shown_value(side == 1 and number < changed) if secret else pair[side].value)
                     for number, pair in enumerate(pairs)), limit)

    before = lines(changes.removed + changes.changed, 0)
    after = lines(changes.changed + changes.added, 1, changed=len(changes.changed))
    if changes.reordered:
        notes = [('rules in the previous order', 'rules in the new order')] + list(notes)
    for note_before, note_after in notes:
        before, after = before + '# %s\n' % note_before, after + '# %s\n' % note_after
    return file_diff(header, before, after)


def settings_diff(header, changes, notes=()):
    """An SQL table's changed settings (tables.source.Changes of name/value entries, the password already
    masked by tables.sql) as the file writes them: ``name = value``."""
    def lines(pairs, side):
        return text('%s = %s' % (pair[side].key, pair[side].value) for pair in pairs)

    before = lines(changes.removed + changes.changed, 0)
    after = lines(changes.changed + changes.added, 1)
    for note_before, note_after in notes:
        before, after = before + '# %s\n' % note_before, after + '# %s\n' % note_after
    return file_diff(header, before, after)


def removed_files_diff(header, files):
    """A table that is removed: its files before, nothing after."""
    return file_diff(header, text(files), '')
