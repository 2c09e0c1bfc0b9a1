# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup table source files: read and write them the way postmap(1) reads them.

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over text and data; nothing here runs a command.

The format, as Postfix reads it:

- Empty lines and lines whose first non-space character is "#" are skipped,
  even in the middle of a logical line.
- A logical line starts with non-space text; a line that starts with white
  space continues it (the line break goes, the leading white space stays).
- Key/value tables: the key runs to the first white space outside double
  quotes, the value is the rest, trimmed. Keys are folded to lower case.
- regexp and pcre tables: an optional "!", a pattern between delimiters
  (any character; a backslash escapes it), flags, then the action.
- cidr tables: an address pattern, then the action.
- Rule tables may group rules with "if PATTERN" ... "endif" lines.
- Alias tables (aliases(5), built with postalias): "name: value"; a name
  with white space or a colon is quoted, and the quotes are not part of it.

Four syntaxes cover every managed type: KEY_VALUE, ALIASES, REGEXP (regexp,
pcre) and CIDR. KEY_VALUE and ALIASES hold keyed entries (KEYED).
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import LINE_BREAKING, MAX_VALUE_LENGTH, too_long
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError

KEY_VALUE, ALIASES, REGEXP, CIDR = 'key_value', 'aliases', 'regexp', 'cidr'
KEYED = frozenset([KEY_VALUE, ALIASES])
# What separates the key from the value in a line this module writes.
SEPARATOR = {KEY_VALUE: ' ', ALIASES: ': ', REGEXP: ' ', CIDR: ' '}

HEADER = '# Managed by Ansible (mailops.postfix.postfix_map): local edits are replaced on the next run.\n'

# One logical line of a table. ``key`` is the lookup key, or the pattern of a
# rule exactly as written ("!" and flags included); ``value`` is the lookup
# result or action. ``line`` is the number of its first physical line.
Entry = namedtuple('Entry', 'key value line')

# A table file as a list of blocks, so that a merge can rewrite one entry and
# keep everything else byte for byte. ``entry`` is None for the comments
# before the first entry and for if/endif lines. ``text`` holds the entry's
# physical lines (with comments between its continuation lines), ``trailer``
# the comments and empty lines after it.
Block = namedtuple('Block', 'entry text trailer')


# Postfix splits at ASCII white space only (re.ASCII: \s is [ \t\n\r\f\v]).
_SPACE = ' \t\n\r\f\v'
# A key: quoted strings ("john doe"@example.com), backslash-escaped characters
# and other non-space characters.
_KEY_VALUE_LINE = re.compile(r'(?P<key>(?:"(?:[^"\\]|\\.)*"?|\\.|[^\s"\\])+)\s*(?P<value>.*?)\s*\Z', re.S | re.A)
# A pattern: optional "!", a delimiter that is not a letter or digit, the
# regular expression (a backslash escapes the delimiter), flags.
_REGEXP_LINE = re.compile(r'(?P<key>(?:!\s*)?(?P<delim>[^\s!A-Za-z0-9])(?:\\.|(?!(?P=delim))[^\\])*(?P=delim)\S*)'
                          r'\s*(?P<value>.*?)\s*\Z', re.S | re.A)
_CIDR_LINE = re.compile(r'(?P<key>(?:!\s*)?\S+)\s*(?P<value>.*?)\s*\Z', re.S | re.A)
# A name: quoted, or up to the colon (tokens.c: a colon ends an unquoted name).
_ALIAS_LINE = re.compile(r'(?P<key>"(?:[^"\\]|\\.)*"|[^\s":]+)\s*:\s*(?P<value>.*?)\s*\Z', re.S | re.A)
_LINE_SYNTAX = {KEY_VALUE: _KEY_VALUE_LINE, ALIASES: _ALIAS_LINE, REGEXP: _REGEXP_LINE, CIDR: _CIDR_LINE}
# "if" and "endif" are keywords when no letter or digit follows (dict_regexp.c).
_IF_ENDIF = re.compile(r'(?:end)?if(?![A-Za-z0-9])', re.I)

# An address whose localpart needs quotes because it contains white space.
_UNQUOTED_LOCALPART = re.compile(r'(?P<local>[^"@]*\s[^"@]*)@(?P<domain>[^\s@"]+)', re.A)
_QUOTED_LOCALPART = re.compile(r'"(?:[^"\\]|\\.)*"@[^\s@"]+', re.A)


class TableSourceError(MailopsError):
    """Table content that cannot be written safely or that Postfix would misread."""


def syntax_of(table_type, aliases=False):
    """The source syntax of a table type; ``aliases``: an aliases(5) table, built with postalias."""
    if aliases:
        return ALIASES
    return {'regexp': REGEXP, 'pcre': REGEXP, 'cidr': CIDR}.get(table_type, KEY_VALUE)


def fold(key):
    """A key as Postfix looks it up in a key/value table: folded to lower case."""
    return key.lower() if key.isascii() else key.casefold()


def fold_all(keys):
    """fold() of many keys at once; for ASCII keys (keys hold no line break) one lower() of all of them."""
    joined = '\n'.join(keys)
    if not keys or not joined.isascii():
        return [fold(key) for key in keys]
    return joined.lower().split('\n')


def identity_of(syntax):
    """The function that tells which entries are the same entry: folded keys, or patterns as written."""
    return fold if syntax in KEYED else str


def physical_lines(text):
    """Split text at "\n" only, as Postfix does, keeping each line's "\n"."""
    lines = text.split('\n')
    last = lines.pop()
    lines = [line + '\n' for line in lines]
    if last:
        lines.append(last)
    return lines


def parse_source(text, syntax):
    """Split table source ``text`` into blocks (see Block); malformed entries get the value ''."""
    blocks = []
    pattern = _LINE_SYNTAX[syntax]
    start = None      # line number of the open logical line
    logical = []      # its physical lines, without line breaks
    entry_text = []   # its physical lines, with the comments between them
    trailer = []      # comments and empty lines seen since its last line

    def close():
        joined = ''.join(logical)
        if start is None:
            entry = None
        elif syntax not in KEYED and _IF_ENDIF.match(joined):
            entry = None
        else:
            match = pattern.match(joined)
            entry = Entry(match.group('key'), match.group('value'), start) if match else Entry(
                joined.strip(_SPACE), '', start)
        if entry_text or trailer:
            blocks.append(Block(entry, ''.join(entry_text), ''.join(trailer)))

    for number, line in enumerate(physical_lines(text), 1):
        content = line.rstrip('\n')
        stripped = content.strip(_SPACE)
        if not stripped or stripped[0] == '#':
            trailer.append(line)
        elif content[0] in _SPACE and start is not None:
            entry_text.extend(trailer)
            entry_text.append(line)
            logical.append(content)
            trailer = []
        else:
            close()
            start, logical, entry_text, trailer = number, [content], [line], []
    close()
    return blocks


def entries_of(blocks):
    """The entries of a parsed table, in file order."""
    return [block.entry for block in blocks if block.entry is not None]


def render_blocks(blocks):
    """The text of a (possibly edited) list of blocks."""
    return ''.join(block.text + block.trailer for block in blocks)


def render_line(syntax, entry):
    """The line this module writes for an entry."""
    return '%s%s%s\n' % (entry.key, SEPARATOR[syntax], entry.value)


def render_entries(entries, syntax):
    """The text of a table that holds exactly ``entries``, with the managed-file header."""
    separator = SEPARATOR[syntax]
    return HEADER + ''.join('%s%s%s\n' % (entry.key, separator, entry.value) for entry in entries)


def render_value(what, value):
    """The table text for a value or action: lists joined with ", " (Postfix's list separator)."""
    if isinstance(value, (list, tuple)):
        items = [render_value(what, item) for item in value]
        text = ', '.join(item for item in items if item)
    elif isinstance(value, bool):
        raise TableSourceError('%s is a boolean; quote it in YAML if you mean the word (for example "yes")' % what)
    elif isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip(_SPACE)
    else:
        raise TableSourceError('%s has unsupported type %s' % (what, type(value).__name__))
    _check_one_line(what, text)
    return text


def _check_one_line(what, text):
    message = too_long(what, text)
    if message:
        raise TableSourceError('%s; a lookup table entry is one line that daemons read on every lookup' % message)
    found = LINE_BREAKING.search(text)
    if found:
        raise TableSourceError('%s contains a newline or control character (%r); every entry of a table is one line'
                               % (what, found.group()))


def _quote_key(key):
    # Postfix looks addresses up in their quoted (RFC 5322) form, so a
    # localpart with white space is written, and found, as "john doe"@domain.
    if not any(char in _SPACE for char in key) or _QUOTED_LOCALPART.fullmatch(key):
        return key
    match = _UNQUOTED_LOCALPART.fullmatch(key)
    if not match:
        raise TableSourceError(
            'key %r contains white space; in a Postfix table white space can only appear inside a quoted address '
            'localpart, like "john doe"@example.com' % key)
    local = match.group('local').replace('\\', '\\\\').replace('"', '\\"')
    return '"%s"@%s' % (local, match.group('domain'))


def _quote_name(key):
    # postalias reads a name up to the first white space or colon, unless it is quoted.
    if not re.search(r'[\s:]', key, re.A) or (key.startswith('"') and key.endswith('"') and len(key) > 1):
        return key
    return '"%s"' % key.replace('\\', '\\\\').replace('"', '\\"')


def unquoted_name(key):
    """An alias name as postalias stores it: without the quotes of a quoted name."""
    if len(key) > 1 and key.startswith('"') and key.endswith('"'):
        return re.sub(r'\\(.)', r'\1', key[1:-1])
    return key


def desired_entry(syntax, key, value, position):
    """One validated entry from module input; ``position`` (1-based) names it in errors.

    The rendered line is parsed back with the reader above: whatever would
    not read back as the same key and value (an unclosed pattern, a key that
    starts a comment) is refused here, before Postfix sees it.
    """
    noun = 'entry' if syntax in KEYED else 'rule'
    if not isinstance(key, str) or not key.strip(_SPACE):
        raise TableSourceError('%s %d has an empty or non-string %s' % (
            noun, position, 'key' if syntax in KEYED else 'pattern'))
    _check_one_line('%s %d (%r)' % (noun, position, key), key)
    if syntax == KEY_VALUE:
        key = _quote_key(key.strip(_SPACE))
    elif syntax == ALIASES:
        key = _quote_name(key.strip(_SPACE))
    what = 'the value of %s %r' % (noun, key)
    text = render_value(what, value)
    if not text:
        raise TableSourceError('%s is empty; Postfix skips entries without a lookup result' % what)
    parsed = entries_of(parse_source(render_line(syntax, Entry(key, text, None)), syntax))
    if len(parsed) != 1 or parsed[0].key != key or parsed[0].value != text:
        raise TableSourceError('%s %r would not read back as written: %s' % (noun, key, _syntax_hint(syntax)))
    return Entry(key, text, None)


# Keys (patterns) and values that read back exactly as written: the common
# case, recognised with one regular expression each. Everything else takes
# the full round trip of desired_entry(), which also explains what is wrong.
_NOT_PLAIN = '\\x00-\\x20\\x7f-\\x9f\\u2028\\u2029'  # white space, controls, line breaks
_PLAIN_KEY = {
    KEY_VALUE: re.compile(r'[^%s"\\#][^%s"\\]*' % (_NOT_PLAIN, _NOT_PLAIN)),
    ALIASES: re.compile(r'[^%s"\\#:][^%s"\\:]*' % (_NOT_PLAIN, _NOT_PLAIN)),
    CIDR: re.compile(r'(?!(?:end)?if(?![A-Za-z0-9]))[^%s!#][^%s]*' % (_NOT_PLAIN, _NOT_PLAIN), re.I),
}
_ALL_PLAIN = {syntax: re.compile(r'(?:%s)(?:\x00(?:%s))*' % (pattern.pattern, pattern.pattern), pattern.flags)
              for syntax, pattern in _PLAIN_KEY.items()}
_PLAIN_VALUE = re.compile(r'[^%s](?:[^\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]*[^%s])?' % (_NOT_PLAIN, _NOT_PLAIN))
_ALL_PLAIN_VALUES = re.compile(r'(?:%s)(?:\x00(?:%s))*' % (_PLAIN_VALUE.pattern, _PLAIN_VALUE.pattern))


# A table file in the simplest form, which the writer above produces: no
# continuation lines, and plain one-line entries (see _PLAIN_KEY).
_CONTINUATION = re.compile(r'^[ \t\v\f\r]+[^\s#]', re.M | re.A)
_ENTRY_START = re.compile(r'^[^\s#]', re.M | re.A)
_SIMPLE_SEPARATOR = {ALIASES: r':[ \t\v\f\r]*'}
_SIMPLE_LINE = {syntax: re.compile(r'^(%s)%s(%s)[ \t\v\f\r]*$' % (
    pattern.pattern, _SIMPLE_SEPARATOR.get(syntax, r'[ \t\v\f\r]+'), _PLAIN_VALUE.pattern), re.M | pattern.flags)
    for syntax, pattern in _PLAIN_KEY.items()}


def read_entries(text, syntax):
    """The entries of table source ``text``, as entries_of(parse_source(text, syntax)) reads them.

    A table of plain one-line entries is read with one regular expression
    scan; anything else takes the full parser. The fast path leaves
    ``line`` unset.
    """
    simple = _SIMPLE_LINE.get(syntax)
    if simple is not None and not _CONTINUATION.search(text):
        pairs = simple.findall(text)
        if len(pairs) == len(_ENTRY_START.findall(text)):
            return [Entry(key, value, None) for key, value in pairs]
    return entries_of(parse_source(text, syntax))


def desired_entries(syntax, items):
    """Validated entries from (key, value) pairs of module input; see desired_entry().

    Plain keys and values are recognised with a few regular expression scans
    over all of them at once (tables can have 100,000 entries); only the
    others take the round trip of desired_entry().
    """
    plain_key = _PLAIN_KEY.get(syntax)
    if plain_key is None:
        return [desired_entry(syntax, key, value, position) for position, (key, value) in enumerate(items, 1)]
    plain = [isinstance(key, str) and isinstance(value, str) for key, value in items]
    if all(plain):
        # "\x00" never appears in a plain key or value, so it separates them safely;
        # one that the input holds itself makes the count differ (postmap would cut the entry there).
        keys = '\x00'.join(key for key, dummy in items)
        values = '\x00'.join(value for dummy, value in items)
        if (keys.count('\x00') == values.count('\x00') == len(items) - 1
                and max(len(key) + len(value) for key, value in items) <= MAX_VALUE_LENGTH
                and _ALL_PLAIN[syntax].fullmatch(keys) and _ALL_PLAIN_VALUES.fullmatch(values)):
            return [Entry(key, value, None) for key, value in items]
    return [Entry(key, value, None) if is_str and plain_key.fullmatch(key) and _PLAIN_VALUE.fullmatch(value)
            and len(key) + len(value) <= MAX_VALUE_LENGTH else desired_entry(syntax, key, value, position)
            for position, ((key, value), is_str) in enumerate(zip(items, plain), 1)]


def _syntax_hint(syntax):
    return {
        KEY_VALUE: 'a key must not start with "#" or contain a tab or unbalanced double quotes',
        ALIASES: 'an alias name must not start with "#" or contain unbalanced double quotes',
        REGEXP: 'a pattern is /regex/flags (or !/regex/), with the closing delimiter and no "if"/"endif" keyword',
        CIDR: 'a pattern is an address or network/prefix without white space',
    }[syntax]


def shown_key(entry, secret):
    """An entry's key as results, diffs and errors show it.

    In a secret table a malformed line (no white space between key and value,
    or an unbalanced quote that makes the rest of the line part of the key)
    may hold the password in its key: it is named by its line number only.
    """
    if secret and (not entry.value or re.search(r'\s', entry.key)):
        return '(malformed line%s, hidden)' % ('' if entry.line is None else ' %d' % entry.line)
    return entry.key


def check_unique(entries, syntax, secret=False):
    """Raise TableSourceError when two entries have the same (folded) key or pattern."""
    keys = [entry.key for entry in entries]
    identities = fold_all(keys) if syntax in KEYED else keys
    if len(set(identities)) == len(identities):
        return
    seen = {}
    for entry, ident in zip(entries, identities):
        if ident in seen:
            raise TableSourceError('duplicate %s %r (also given as %r)%s: Postfix would use only the first' % (
                'key' if syntax in KEYED else 'pattern', shown_key(entry, secret), shown_key(seen[ident], secret),
                '' if entry.line is None else ' at line %d' % entry.line))
        seen[ident] = entry


def check_well_formed(entries, path, secret=False):
    """Raise TableSourceError for entries without a value (postmap skips them with a warning)."""
    for entry in entries:
        if not entry.value:
            raise TableSourceError('%s, line %d%s has no lookup result ("expected format: key whitespace value"); '
                                   'fix the line or remove it' % (
                                       path, entry.line, '' if secret else ': %r' % entry.key))


Changes = namedtuple('Changes', 'added removed changed reordered')


def compare(old_entries, new_entries, syntax):
    """What turns ``old_entries`` into ``new_entries``: keys added, removed, changed, and whether rule order changed.

    Each list holds (old_entry, new_entry) pairs with None for the missing side.
    """
    identity = identity_of(syntax)
    # Of duplicate keys Postfix uses the first well-formed one (it skips lines without a value).
    old, new = {}, {}
    for entries, by_identity in ((old_entries, old), (new_entries, new)):
        for entry in sorted(entries, key=lambda entry: not entry.value):
            by_identity.setdefault(identity(entry.key), entry)
    added = [(None, entry) for ident, entry in new.items() if ident not in old]
    removed = [(entry, None) for ident, entry in old.items() if ident not in new]
    changed = [(old[ident], entry) for ident, entry in new.items() if ident in old and old[ident].value != entry.value]
    common_order = [ident for ident in new if ident in old]
    reordered = syntax not in KEYED and common_order != [ident for ident in old if ident in new]
    return Changes(added, removed, changed, reordered)


def merge(blocks, upserts, removals, syntax):
    """Set ``upserts`` (entries) and remove keys in ``removals`` in a parsed table; keep every other line.

    A changed entry is rewritten where it is; a new one is appended. Returns
    the new blocks and the Changes.
    """
    identity = identity_of(syntax)
    wanted = {identity(entry.key): entry for entry in upserts}
    dropping = set(identity(key) for key in removals)
    result, added, removed, changed, present = [], [], [], [], set()
    for block in blocks:
        entry = block.entry
        ident = identity(entry.key) if entry is not None else None
        if ident in dropping:
            removed.append((entry, None))
            if block.trailer:
                result.append(Block(None, '', block.trailer))
        elif ident in wanted and ident not in present:
            present.add(ident)
            new = wanted[ident]
            if new.value != entry.value:
                changed.append((entry, new))
                block = Block(Entry(new.key, new.value, entry.line), render_line(syntax, new), block.trailer)
            result.append(block)
        else:
            result.append(block)
    tail = [entry for ident, entry in wanted.items() if ident not in present]
    if tail and result and not (result[-1].text + result[-1].trailer).endswith('\n'):
        last = result[-1]
        result[-1] = Block(last.entry, last.text, last.trailer + '\n') if last.trailer else Block(
            last.entry, last.text + '\n', '')
    for entry in tail:
        added.append((None, entry))
        result.append(Block(entry, render_line(syntax, entry), ''))
    return result, Changes(added, removed, changed, False)
