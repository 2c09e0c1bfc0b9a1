# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/tables/source.py, partly against real postmap output (see fixtures/tables/capture.sh)."""

from __future__ import annotations

import os
import random
import string

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.postmap_output import dump_lines, warnings
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import (
    ALIASES,
    CIDR,
    HEADER,
    KEY_VALUE,
    REGEXP,
    Block,
    Entry,
    TableSourceError,
    check_unique,
    check_well_formed,
    compare,
    desired_entries,
    desired_entry,
    entries_of,
    fold,
    identity_of,
    merge,
    parse_source,
    physical_lines,
    read_entries,
    render_blocks,
    render_entries,
    render_line,
    render_value,
    syntax_of,
    unquoted_name,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import FIXTURES, VERSIONS

TABLES = os.path.join(FIXTURES, 'tables')
SEEDS = range(300)


def table_fixture(*parts):
    """A file under fixtures/tables, byte for byte (no newline translation)."""
    with open(os.path.join(TABLES, *parts), encoding='utf-8', newline='') as handle:
        return handle.read()


def pairs(text, syntax=KEY_VALUE):
    """(key, value) of each entry that parse_source finds in ``text``."""
    return [(entry.key, entry.value) for entry in entries_of(parse_source(text, syntax))]


def merged_text(text, upserts, removals, syntax=KEY_VALUE):
    """The text after merging ``upserts`` ((key, value) pairs) and ``removals`` into ``text``, and the Changes."""
    blocks, changes = merge(parse_source(text, syntax), [Entry(key, value, None) for key, value in upserts],
                            removals, syntax)
    return render_blocks(blocks), changes


def key_pairs(change_list):
    """Changes.added/removed/changed as ((old key, old value) or None, (new key, new value) or None)."""
    return [tuple(None if entry is None else (entry.key, entry.value) for entry in pair) for pair in change_list]


# ---------------------------------------------------------------------------
# syntax_of, fold, identity_of, physical_lines

@pytest.mark.parametrize('table_type, syntax', [
    ('hash', KEY_VALUE), ('btree', KEY_VALUE), ('lmdb', KEY_VALUE), ('cdb', KEY_VALUE), ('texthash', KEY_VALUE),
    ('dbm', KEY_VALUE), ('sdbm', KEY_VALUE), ('regexp', REGEXP), ('pcre', REGEXP), ('cidr', CIDR),
])
def test_syntax_of(table_type, syntax):
    assert syntax_of(table_type) == syntax


@pytest.mark.parametrize('key, folded', [
    ('Foo@Example.COM', 'foo@example.com'),
    ('"John Doe"@Example.com', '"john doe"@example.com'),
    ('already@lower', 'already@lower'),
    ('\u00c4rger@Example.COM', '\u00e4rger@example.com'),
])
def test_fold(key, folded):
    assert fold(key) == folded


def test_identity_folds_only_key_value_tables():
    assert identity_of(KEY_VALUE)('Foo@Example.COM') == 'foo@example.com'
    assert identity_of(REGEXP)('/Foo/i') == '/Foo/i'
    assert identity_of(CIDR)('[2001:DB8::]/32') == '[2001:DB8::]/32'


@pytest.mark.parametrize('text, lines', [
    ('', []),
    ('a', ['a']),
    ('a\n', ['a\n']),
    ('a\nb', ['a\n', 'b']),
    ('\n\n', ['\n', '\n']),
    # Only "\n" ends a line for Postfix: CR stays part of the line, other separators are text.
    ('a\r\nb\u2028c\x85d\n', ['a\r\n', 'b\u2028c\x85d\n']),
])
def test_physical_lines(text, lines):
    assert physical_lines(text) == lines
    assert ''.join(physical_lines(text)) == text


# ---------------------------------------------------------------------------
# parse_source: key/value tables

@pytest.mark.parametrize('text, expected', [
    # A comment line and an empty line inside a logical line are skipped; the
    # line break goes and the continuation's leading white space stays.
    pytest.param('k1 v1\n# c\n   cont\n', [('k1', 'v1   cont')], id='comment-inside-logical-line'),
    pytest.param('k1 v1\n\n   cont\n', [('k1', 'v1   cont')], id='empty-line-inside-logical-line'),
    pytest.param('k1 v1\n    \n   cont\n', [('k1', 'v1   cont')], id='blank-line-inside-logical-line'),
    pytest.param('k1 v1\n   # c\n\tcont\n', [('k1', 'v1\tcont')], id='indented-comment-inside-logical-line'),
    pytest.param('k1\n  v1\n', [('k1', 'v1')], id='value-on-continuation-line'),
    # Keys are stored as written (folding is for identity_of); the value is trimmed.
    pytest.param('Foo@Example.COM  REJECT go away  \n', [('Foo@Example.COM', 'REJECT go away')], id='trimmed-value'),
    pytest.param('k\tv\n', [('k', 'v')], id='tab-separator'),
    pytest.param('k \t v  w\t\n', [('k', 'v  w')], id='inner-white-space-kept'),
    pytest.param('k v\r\n', [('k', 'v')], id='cr-trimmed'),
    pytest.param('k v', [('k', 'v')], id='no-final-newline'),
    pytest.param('k #v\n', [('k', '#v')], id='hash-in-value'),
    # Quotes: white space inside them belongs to the key; backslash escapes inside quotes.
    pytest.param('"a b c" v\n', [('"a b c"', 'v')], id='quoted-key-kept-literally'),
    pytest.param('"a\\" b"@x v\n', [('"a\\" b"@x', 'v')], id='escaped-quote-in-quotes'),
    pytest.param('"john doe"@example.com JD\n', [('"john doe"@example.com', 'JD')], id='quoted-localpart'),
    pytest.param('a"b c"d v\n', [('a"b c"d', 'v')], id='quotes-mid-key'),
    # A key without a value: postmap warns "expected format: key whitespace value" and skips it.
    pytest.param('key\n', [('key', '')], id='key-only'),
    pytest.param('key   \n', [('key', '')], id='key-only-trailing-space'),
    pytest.param('', [], id='empty'),
    pytest.param('# only\n\n   # comments\n', [], id='only-comments'),
    pytest.param('#k v\n', [], id='hash-starts-a-comment'),
    pytest.param('  #k v\n', [], id='indented-hash-starts-a-comment'),
])
def test_parse_key_value(text, expected):
    assert pairs(text) == expected


def test_parse_records_first_physical_line():
    text = 'a 1\n\n# c\nb 2\n# inside\n  more\nc 3'
    assert entries_of(parse_source(text, KEY_VALUE)) == [Entry('a', '1', 1), Entry('b', '2  more', 4), Entry('c', '3', 7)]


def test_parse_logical_line_starting_with_white_space_is_malformed():
    # postmap: 'logical line must not start with whitespace: "  lead v  more"', and skips it.
    entries = entries_of(parse_source('  lead v\n  more\nk v\n', KEY_VALUE))
    assert [entry.value for entry in entries] == ['', 'v']
    assert entries[1] == Entry('k', 'v', 3)


def test_parse_blocks_keep_comments_with_their_entry():
    text = '# head\n\na 1\n# between\n  2\n# after a\n\nb 3\n'
    assert parse_source(text, KEY_VALUE) == [
        Block(None, '', '# head\n\n'),
        Block(Entry('a', '1  2', 3), 'a 1\n# between\n  2\n', '# after a\n\n'),
        Block(Entry('b', '3', 8), 'b 3\n', ''),
    ]


def test_parse_if_endif_is_an_ordinary_key_in_key_value_tables():
    assert pairs('if /x/\nendif v\n') == [('if', '/x/'), ('endif', 'v')]


# ---------------------------------------------------------------------------
# parse_source: regexp, pcre and cidr tables

@pytest.mark.parametrize('text, expected', [
    pytest.param('/a b/ R1\n', [('/a b/', 'R1')], id='space-in-pattern'),
    pytest.param('/a\\/b/ R2\n', [('/a\\/b/', 'R2')], id='escaped-delimiter'),
    pytest.param('! /neg/ R3\n', [('! /neg/', 'R3')], id='negation-with-space'),
    pytest.param('!/neg2/i R4\n', [('!/neg2/i', 'R4')], id='negation-with-flags'),
    pytest.param('/x/ix  PREPEND a b \n', [('/x/ix', 'PREPEND a b')], id='flags-and-trimmed-action'),
    pytest.param('|a/b| R\n', [('|a/b|', 'R')], id='other-delimiter'),
    pytest.param('/a\\\\/ R\n', [('/a\\\\/', 'R')], id='escaped-backslash-before-delimiter'),
    pytest.param('/multi/\n# c\n  R7 continued\n', [('/multi/', 'R7 continued')], id='continued-action'),
    pytest.param('/a/ R1\nif /^a/\n/b/ R2\nendif\n', [('/a/', 'R1'), ('/b/', 'R2')], id='if-endif'),
    pytest.param('IF !/^a/\n/b/ R2\nENDIF\n', [('/b/', 'R2')], id='if-endif-upper-case-negated'),
    pytest.param('if\t/^a/\n/b/ R2\nendif  \n', [('/b/', 'R2')], id='if-tab-endif-trailing-space'),
    pytest.param('/unclosed R\n', [('/unclosed R', '')], id='unclosed-pattern-malformed'),
    pytest.param('/no-action/\n', [('/no-action/', '')], id='no-action-malformed'),
])
def test_parse_regexp(text, expected):
    assert pairs(text, REGEXP) == expected


@pytest.mark.parametrize('text, expected', [
    pytest.param('10.0.0.0/8 OK\n', [('10.0.0.0/8', 'OK')], id='network'),
    pytest.param('!192.0.2.0/24 REJECT\n', [('!192.0.2.0/24', 'REJECT')], id='negation'),
    pytest.param('! 192.0.2.0/24 REJECT\n', [('! 192.0.2.0/24', 'REJECT')], id='negation-with-space'),
    pytest.param('[2001:db8::]/32 V6\n', [('[2001:db8::]/32', 'V6')], id='ipv6'),
    pytest.param('192.0.2.1 REJECT no  thanks \n', [('192.0.2.1', 'REJECT no  thanks')], id='host'),
    pytest.param('if 172.16.0.0/12\n172.16.1.0/24 INNER\nendif\n', [('172.16.1.0/24', 'INNER')], id='if-endif'),
])
def test_parse_cidr(text, expected):
    assert pairs(text, CIDR) == expected


def test_parse_if_endif_lines_are_blocks_without_entry():
    blocks = parse_source('# rules\nif /^a/\n# about b\n/b/ R2\nendif\n', REGEXP)
    assert blocks == [
        Block(None, '', '# rules\n'),
        Block(None, 'if /^a/\n', '# about b\n'),
        Block(Entry('/b/', 'R2', 4), '/b/ R2\n', ''),
        Block(None, 'endif\n', ''),
    ]


# ---------------------------------------------------------------------------
# parse_source against what postmap made of the same files (fixtures/tables)

def first_per_key(entries):
    """Well-formed entries, the first of each folded key (later duplicates are what postmap warns about)."""
    seen = {}
    for entry in entries:
        if entry.value and fold(entry.key) not in seen:
            seen[fold(entry.key)] = entry.value
    return seen


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_agrees_with_captured_hash_dump(version):
    entries = entries_of(parse_source(table_fixture('virtual'), KEY_VALUE))
    dump = dump_lines(table_fixture('postfix-%s' % version, 'virtual.hash.dump'))
    assert set('%s\t%s' % item for item in first_per_key(entries).items()) == dump
    assert 'list@example.com\talice@example.com,  bob@example.com,\tcarol@example.com' in dump


@pytest.mark.parametrize('version', VERSIONS)
def test_malformed_entries_are_the_lines_postmap_warns_about(version):
    entries = entries_of(parse_source(table_fixture('virtual'), KEY_VALUE))
    problems = warnings(table_fixture('postfix-%s' % version, 'virtual.hash.stderr'))
    assert [entry.line for entry in entries if not entry.value] == [
        line for line, message in problems if message == 'expected format: key whitespace value'] == [15]
    with pytest.raises(TableSourceError, match='virtual, line 15: .keyonly@example.com. has no lookup result'):
        check_well_formed(entries, 'virtual')


@pytest.mark.parametrize('version', VERSIONS)
def test_duplicate_is_the_entry_postmap_warns_about(version):
    entries = [entry for entry in entries_of(parse_source(table_fixture('virtual'), KEY_VALUE)) if entry.value]
    problems = set(warnings(table_fixture('postfix-%s' % version, 'virtual.texthash.stderr')))
    assert (16, 'duplicate entry: "FOO@example.com"') in problems
    with pytest.raises(TableSourceError, match="duplicate key 'FOO@example.com' .also given as 'Foo@Example.COM'. "
                                               "at line 16"):
        check_unique(entries, KEY_VALUE)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('table_type', ['pcre', 'regexp'])
def test_parse_captured_rules(version, table_type):
    entries = entries_of(parse_source(table_fixture('rules'), REGEXP))
    assert [(entry.key, entry.value) for entry in entries] == [
        ('/a b/', 'R1'), ('/a\\/b/', 'R2'), ('! /neg/', 'R3'), ('!/neg2/i', 'R4'), ('/^xy/', 'R5'),
        ('/broken(/', 'R6'), ('/multi/', 'R7 continued'), ('/bro(/', 'R8 second line'), ('|pipe|i', 'R9')]
    # Postfix names a rule by its first line, as Entry.line does (the error is in a two-line rule at line 13).
    by_line = {entry.line: entry.key for entry in entries}
    problems = warnings(table_fixture('postfix-%s' % version, 'rules.%s.stderr' % table_type))
    assert [by_line.get(line) for line, message in problems] == ['/broken(/', '/bro(/']


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_cidr(version):
    entries = entries_of(parse_source(table_fixture('clients'), CIDR))
    assert [(entry.key, entry.value) for entry in entries] == [
        ('10.0.0.0/8', 'OK'), ('!192.0.2.0/24', 'REJECT'), ('[2001:db8::]/32', 'V6'), ('10.0.0.1/8', 'BAD'),
        ('172.16.1.0/24', 'INNER')]
    by_line = {entry.line: entry.key for entry in entries}
    problems = warnings(table_fixture('postfix-%s' % version, 'clients.cidr.stderr'))
    assert [(by_line[line], message.split(',')[0]) for line, message in problems] == [
        ('10.0.0.1/8', 'non-null host address bits in "10.0.0.1/8"')]


@pytest.mark.parametrize('name, syntax', [
    ('virtual', KEY_VALUE), ('rules', REGEXP), ('clients', CIDR), ('edge-virtual', KEY_VALUE), ('edge-rules', REGEXP),
    ('edge-clients', CIDR),
])
def test_captured_sources_render_back_byte_for_byte(name, syntax):
    text = table_fixture(name)
    assert render_blocks(parse_source(text, syntax)) == text


# Postfix 3.7 and 3.10 read these differently from parse_source (fixtures/tables/edge-*).

@pytest.mark.parametrize('version', VERSIONS)
def test_parse_agrees_with_captured_edge_dump(version):
    entries = entries_of(parse_source(table_fixture('edge-virtual'), KEY_VALUE))
    dump = dump_lines(table_fixture('postfix-%s' % version, 'edge-virtual.hash.dump'))
    assert set('%s\t%s' % item for item in first_per_key(entries).items()) == dump


@pytest.mark.parametrize('version', VERSIONS)
def test_malformed_rules_are_the_lines_postmap_warns_about(version):
    entries = entries_of(parse_source(table_fixture('edge-rules'), REGEXP))
    problems = warnings(table_fixture('postfix-%s' % version, 'edge-rules.regexp.stderr'))
    assert problems == [(4, 'ignoring unrecognized request'),
                        (5, 'no closing regexp delimiter "/": skipping this rule')]
    assert [entry.line for entry in entries if not entry.value] == [line for line, message in problems]


@pytest.mark.parametrize('text, expected', [
    ('foo\\ bar v1\n', [('foo\\ bar', 'v1')]),
    ('a\\"b v2\n', [('a\\"b', 'v2')]),
    ('end\\ OK\n', [('end\\ OK', '')]),
])
def test_parse_backslash_outside_quotes(text, expected):
    assert pairs(text) == expected


def test_parse_no_break_space_is_part_of_the_key():
    assert pairs('nb\u00a0sp v3\n') == [('nb\u00a0sp', 'v3')]


def test_parse_if_without_white_space():
    assert pairs('if/^a/\n/b/ R1\nendif\n', REGEXP) == [('/b/', 'R1')]


def test_parse_escaped_delimiter_does_not_close_the_pattern():
    assert pairs('/a\\/ R3\n', REGEXP) == [('/a\\/ R3', '')]


@pytest.mark.parametrize('version', VERSIONS)
def test_captured_edge_cidr(version):
    # Postfix reads "endif OK" as ENDIF with garbage, not as a rule.
    problems = warnings(table_fixture('postfix-%s' % version, 'edge-clients.cidr.stderr'))
    assert problems == [(2, 'garbage after ENDIF: skipping this rule')]


# ---------------------------------------------------------------------------
# Round trips over generated tables

KEY_CHARS = string.ascii_letters + string.digits + '.-_+=/:'
VALUE_CHARS = KEY_CHARS + '"#,;<>[]$@'
FILLERS = ['# comment\n', '   # indented comment\n', '#\n', '\n', '   \n', '\t# tab comment\n', '#no space\n']


def word(rng, chars=KEY_CHARS, low=1, high=8):
    return ''.join(rng.choice(chars) for dummy in range(rng.randint(low, high)))


def value_word(rng):
    # A word never starts with "#": on a continuation line that would start a comment.
    return rng.choice(KEY_CHARS) + word(rng, VALUE_CHARS, 0, 6)


def random_key(rng):
    kind = rng.random()
    if kind < 0.25:
        # Quoted localpart, with white space, escaped quotes and escaped backslashes.
        parts = [rng.choice([word(rng), ' ', '\t', '\\"', '\\\\']) for dummy in range(rng.randint(1, 5))]
        return '"%s"@%s.%s' % (''.join(parts), word(rng), rng.choice(['com', 'ORG', 'example']))
    if kind < 0.35:
        return '"%s %s"' % (word(rng), word(rng))
    if kind < 0.75:
        return '%s@%s' % (word(rng), word(rng))
    return word(rng)


def random_pattern(rng):
    delimiter = rng.choice('/|,%@')
    body = ''.join(rng.choice([word(rng, string.ascii_letters + string.digits + ' .*^$-'), ' ', '\\' + delimiter,
                               '\\.', '\\\\']) for dummy in range(rng.randint(1, 4)))
    negation = rng.choice(['', '', '!', '! ', '!\t '])
    return negation + delimiter + body + delimiter + rng.choice(['', '', 'i', 'ix', 'm'])


def random_cidr(rng):
    if rng.random() < 0.3:
        pattern = '[2001:db8:%x::]/48' % rng.randrange(0x10000)
    else:
        pattern = '10.%d.%d.0/24' % (rng.randrange(256), rng.randrange(256))
    return rng.choice(['', '', '!', '! ']) + pattern


def random_fillers(rng, chance=0.3):
    lines = []
    while rng.random() < chance:
        lines.append(rng.choice(FILLERS))
    return lines


def random_logical_line(rng, key):
    """Physical lines (without fillers) of one entry, and its value as Postfix reads it."""
    words = [value_word(rng) for dummy in range(rng.randint(1, 5))]
    chunks = [[]]
    for item in words:
        if chunks[-1] and rng.random() < 0.3:
            chunks.append([])
        chunks[-1].append(item)
    separators = [' ', '\t', '  ', ' \t ']
    lines = ['%s%s%s%s' % (key, rng.choice(separators), rng.choice(separators).join(chunks[0]),
                           rng.choice(['', '', ' ', '\t']))]
    for chunk in chunks[1:]:
        lines.append('%s%s%s' % (rng.choice([' ', '\t', '    ']), rng.choice(separators).join(chunk),
                                 rng.choice(['', ' '])))
    logical = ''.join(lines)
    return lines, logical[len(key):].strip(' \t')


def random_table(rng, syntax):
    """A generated table source and the entries Postfix reads from it: (key, value, first line)."""
    make_key = {KEY_VALUE: random_key, REGEXP: random_pattern, CIDR: random_cidr}[syntax]
    physical, expected = [], []
    physical.extend(random_fillers(rng))
    depth = 0
    for dummy in range(rng.randint(0, 12)):
        if syntax != KEY_VALUE and rng.random() < 0.1:
            if depth:
                physical.append(rng.choice(['endif\n', 'ENDIF\n', 'endif \n']))
                depth -= 1
            else:
                physical.append(rng.choice(['if ', 'IF ', 'if\t']) + make_key(rng) + '\n')
                depth += 1
            physical.extend(random_fillers(rng))
            continue
        key = make_key(rng)
        if rng.random() < 0.05:
            lines, value = [key + rng.choice(['', ' ', '\t'])], ''
        else:
            lines, value = random_logical_line(rng, key)
        expected.append((key, value, len(physical) + 1))
        for number, line in enumerate(lines):
            if number:
                physical.extend(random_fillers(rng, 0.2))
            physical.append(line + '\n')
        physical.extend(random_fillers(rng))
    text = ''.join(physical)
    if text.endswith('\n') and rng.random() < 0.2:
        text = text[:-1]
    return text, expected


@pytest.mark.parametrize('syntax', [KEY_VALUE, REGEXP, CIDR])
def test_generated_tables_parse_and_render_back(syntax):
    for seed in SEEDS:
        rng = random.Random(seed)
        text, expected = random_table(rng, syntax)
        blocks = parse_source(text, syntax)
        entries = entries_of(blocks)
        assert [tuple(entry) for entry in entries] == expected, (seed, text)
        rendered = render_blocks(blocks)
        assert rendered == text, seed
        assert parse_source(rendered, syntax) == blocks, seed


@pytest.mark.parametrize('syntax', [KEY_VALUE, REGEXP, CIDR])
def test_generated_entries_render_and_parse_back(syntax):
    for seed in SEEDS:
        rng = random.Random(seed)
        entries = [entry for entry in entries_of(parse_source(random_table(rng, syntax)[0], syntax)) if entry.value]
        text = render_entries(entries, syntax)
        assert text.startswith(HEADER)
        assert text.count('\n') == len(entries) + 1
        assert pairs(text, syntax) == [(entry.key, entry.value) for entry in entries], seed


def test_generated_module_input_reads_back_through_desired_entry():
    # What users write (addresses with unquoted white space) is quoted once, then reads back unchanged.
    for seed in SEEDS:
        rng = random.Random(seed)
        items = []
        for position in range(1, rng.randint(1, 6)):
            local = ' '.join(word(rng) for dummy in range(rng.randint(1, 3)))
            key = '%s@%s.example' % (local, word(rng))
            value = [value_word(rng) for dummy in range(rng.randint(1, 3))]
            items.append((key, desired_entry(KEY_VALUE, key, value, position)))
        text = render_entries([entry for key, entry in items], KEY_VALUE)
        for (key, entry), (read_key, read_value) in zip(items, pairs(text)):
            expected_key = key if ' ' not in key else '"%s"@%s' % tuple(key.rsplit('@', 1))
            assert read_key == entry.key == expected_key, seed
            assert read_value == entry.value, seed
            assert desired_entry(KEY_VALUE, read_key, read_value, 1) == entry, seed


def test_generated_merge_keeps_untouched_lines():
    for seed in SEEDS:
        rng = random.Random(seed)
        text = random_table(rng, KEY_VALUE)[0]
        blocks = parse_source(text, KEY_VALUE)
        entries = [entry for entry in entries_of(blocks) if entry.value]
        if len(set(fold(entry.key) for entry in entries)) != len(entries):
            continue
        touched = rng.sample(entries, min(len(entries), rng.randint(0, 3)))
        removed = [entry for entry in touched if rng.random() < 0.5]
        upserts = [Entry(rng.choice([entry.key, entry.key.upper(), fold(entry.key)]), 'new-%d' % number, None)
                   for number, entry in enumerate(touched) if entry not in removed]
        upserts.append(Entry('added-%d@example.com' % seed, 'brand new', None))
        result, changes = merge(blocks, upserts, [entry.key.swapcase() for entry in removed], KEY_VALUE)
        result_text = render_blocks(result)
        # Every block that was not touched is still there, byte for byte and in order.
        touched_ids = set(fold(entry.key) for entry in touched)
        kept = [block.text + block.trailer for block in blocks
                if block.entry is None or fold(block.entry.key) not in touched_ids]
        position = 0
        for piece in kept:
            found = result_text.find(piece.rstrip('\n'), position)
            assert found >= 0, (seed, piece, result_text)
            position = found + len(piece.rstrip('\n'))
        # ... and so is every comment, except those between the lines of a rewritten or removed entry.
        outside = ''.join(block.trailer if block.entry is not None and fold(block.entry.key) in touched_ids
                          else block.text + block.trailer for block in blocks)
        comments = [line.rstrip('\n') for line in physical_lines(outside) if line.lstrip().startswith('#')]
        assert [line.rstrip('\n') for line in physical_lines(result_text) if line.lstrip().startswith('#')] == comments
        read = {fold(key): value for key, value in pairs(result_text) if value}
        assert read == dict({fold(entry.key): entry.value for entry in entries if entry not in removed},
                            **{fold(entry.key): entry.value for entry in upserts}), seed
        assert result_text.endswith('added-%d@example.com brand new\n' % seed), seed
        assert len(changes.removed) == len(removed) and len(changes.added) == 1, seed


# ---------------------------------------------------------------------------
# render_entries, render_value

def test_render_entries():
    text = render_entries([Entry('"john doe"@example.com', 'JD', None), Entry('/a b/', 'R1 x', 3)], KEY_VALUE)
    assert text == HEADER + '"john doe"@example.com JD\n/a b/ R1 x\n'
    assert HEADER.startswith('# ') and HEADER.endswith('\n') and HEADER.count('\n') == 1


def test_render_entries_empty_is_only_the_header():
    assert render_entries([], KEY_VALUE) == HEADER
    assert pairs(HEADER) == []


@pytest.mark.parametrize('value, text', [
    ('  REJECT go away  ', 'REJECT go away'),
    (['alice@example.com', 'bob@example.com'], 'alice@example.com, bob@example.com'),
    (('a', ['b', 'c']), 'a, b, c'),
    (['a', '', '  ', 'b'], 'a, b'),
    ([' a ', 'b '], 'a, b'),
    (25, '25'),
    (1.5, '1.5'),
    (0, '0'),
    ('a\tb', 'a\tb'),
    ([], ''),
])
def test_render_value(value, text):
    assert render_value('the value', value) == text


@pytest.mark.parametrize('value, message', [
    (True, 'the value is a boolean; quote it in YAML'),
    (False, 'the value is a boolean'),
    (['a', True], 'the value is a boolean'),
    (None, 'the value has unsupported type NoneType'),
    ({'a': 'b'}, 'the value has unsupported type dict'),
    ('a\nb', 'the value contains a newline or control character'),
    (['a', 'b\nc'], 'the value contains a newline or control character'),
])
def test_render_value_refuses(value, message):
    with pytest.raises(TableSourceError, match='^' + message):
        render_value('the value', value)


# ---------------------------------------------------------------------------
# desired_entry: validation of module input

@pytest.mark.parametrize('key, value, expected', [
    pytest.param('foo@example.com', 'REJECT', Entry('foo@example.com', 'REJECT', None), id='plain'),
    pytest.param('Foo@Example.COM', 'OK', Entry('Foo@Example.COM', 'OK', None), id='case-kept-as-written'),
    pytest.param('  key  ', '  value  ', Entry('key', 'value', None), id='trimmed'),
    pytest.param('john doe@example.com', 'JD', Entry('"john doe"@example.com', 'JD', None), id='localpart-quoted'),
    pytest.param('john\tdoe@example.com', 'JD', Entry('"john\tdoe"@example.com', 'JD', None), id='tab-localpart'),
    pytest.param('"john doe"@example.com', 'JD', Entry('"john doe"@example.com', 'JD', None), id='already-quoted'),
    pytest.param('a\\b c@x', 'v', Entry('"a\\\\b c"@x', 'v', None), id='backslash-escaped-in-quotes'),
    pytest.param('"a\\" b"@x', 'v', Entry('"a\\" b"@x', 'v', None), id='escaped-quote-kept'),
    pytest.param('k', ['a', 'b'], Entry('k', 'a, b', None), id='list-joined'),
    pytest.param('k', 25, Entry('k', '25', None), id='number'),
    pytest.param('k', 'a  b\tc', Entry('k', 'a  b\tc', None), id='inner-white-space'),
])
def test_desired_key_value_entry(key, value, expected):
    entry = desired_entry(KEY_VALUE, key, value, 1)
    assert entry == expected
    assert pairs('%s %s\n' % (entry.key, entry.value)) == [(entry.key, entry.value)]


@pytest.mark.parametrize('syntax, pattern, action', [
    (REGEXP, '/a b/', 'R1'),
    (REGEXP, '/a\\/b/', 'R2'),
    (REGEXP, '! /neg/', 'R3'),
    (REGEXP, '!/neg2/i', 'R4'),
    (REGEXP, '/^(.*)@example\\.com$/', 'REJECT $1 not here'),
    (REGEXP, '|x|', 'R'),
    (CIDR, '10.0.0.0/8', 'OK'),
    (CIDR, '!192.0.2.0/24', 'REJECT'),
    (CIDR, '[2001:db8::]/32', 'V6'),
])
def test_desired_rule(syntax, pattern, action):
    assert desired_entry(syntax, pattern, action, 1) == Entry(pattern, action, None)


def test_desired_rule_pattern_is_not_folded_or_quoted():
    assert desired_entry(REGEXP, '/Foo Bar/', 'R', 1).key == '/Foo Bar/'


LINE_BREAKS = [
    pytest.param('\n', id='LF'), pytest.param('\r', id='CR'), pytest.param('\x00', id='NUL'),
    pytest.param('\u2028', id='U+2028'), pytest.param('\u2029', id='U+2029'), pytest.param('\x85', id='NEL'),
    pytest.param('\x0b', id='VT'), pytest.param('\x0c', id='FF'), pytest.param('\x1e', id='RS'),
]


@pytest.mark.parametrize('char', LINE_BREAKS)
@pytest.mark.parametrize('syntax, key', [(KEY_VALUE, 'a%sb@example.com'), (REGEXP, '/a%sb/'), (CIDR, '10.0.0.0%s/8')])
def test_desired_entry_refuses_line_break_in_key(char, syntax, key):
    with pytest.raises(TableSourceError, match=r'^(entry|rule) 3 \(.*\) contains a newline or control character'):
        desired_entry(syntax, key % char, 'OK', 3)


@pytest.mark.parametrize('char', LINE_BREAKS)
@pytest.mark.parametrize('value', ['a%sb', ['ok', 'x%sy'], 'REJECT %s550 5.7.1 x'])
def test_desired_entry_refuses_line_break_in_value(char, value):
    value = [item.replace('%s', char) for item in value] if isinstance(value, list) else value % char
    with pytest.raises(TableSourceError, match="^the value of entry 'k@example.com' contains a newline or control"):
        desired_entry(KEY_VALUE, 'k@example.com', value, 2)


@pytest.mark.parametrize('char', ['\x00', '\x01', '\x1b', '\x7f'])
def test_desired_entry_refuses_control_character_at_end_of_value(char):
    with pytest.raises(TableSourceError, match="^the value of entry 'k' contains a newline or control character"):
        desired_entry(KEY_VALUE, 'k', 'REJECT' + char, 1)


@pytest.mark.parametrize('char', ['\n', '\r\n'])
def test_desired_entry_trims_line_breaks_around_value(char):
    # ASCII line breaks around a value are white space and trimmed (a YAML block scalar ends in "\n");
    # only a line break inside the value could start another line.
    assert desired_entry(KEY_VALUE, 'k', char + 'REJECT' + char, 1) == Entry('k', 'REJECT', None)


@pytest.mark.parametrize('char', ['\u2028', '\x85'])
def test_desired_entry_refuses_unicode_line_breaks_around_value(char):
    # Postfix trims only ASCII white space: these would stay in the value.
    with pytest.raises(TableSourceError, match='contains a newline or control character'):
        desired_entry(KEY_VALUE, 'k', char + 'REJECT' + char, 1)


@pytest.mark.parametrize('char', LINE_BREAKS)
def test_desired_rule_refuses_line_break_in_action(char):
    with pytest.raises(TableSourceError, match="^the value of rule '/x/' contains a newline or control"):
        desired_entry(REGEXP, '/x/', 'REJECT a%sb' % char, 2)


def test_injected_line_would_have_been_a_second_entry():
    # Why the refusal matters: the value would smuggle in another key.
    assert pairs('k REJECT\nroot@example.com OK\n') == [('k', 'REJECT'), ('root@example.com', 'OK')]
    with pytest.raises(TableSourceError):
        desired_entry(KEY_VALUE, 'k', 'REJECT\nroot@example.com OK', 1)


@pytest.mark.parametrize('key', [
    'a b', 'john doe@exa mple.com', 'john doe@', 'x y@a@b', '"a b"', 'a"b c@x', 'john doe @example.com@',
])
def test_desired_entry_refuses_white_space_outside_localpart(key):
    with pytest.raises(TableSourceError, match='contains white space; in a Postfix table white space can only appear '
                                               'inside a quoted address localpart'):
        desired_entry(KEY_VALUE, key, 'v', 1)


@pytest.mark.parametrize('syntax, key, hint', [
    (KEY_VALUE, '#key', 'a key must not start with "#"'),
    (KEY_VALUE, '  #key', 'a key must not start with "#"'),
    (KEY_VALUE, 'a"b', 'unbalanced double quotes'),
    (REGEXP, '/unclosed', 'with the closing delimiter'),
    (REGEXP, 'if /x/', 'no "if"/"endif" keyword'),
    (REGEXP, 'IF /x/', 'no "if"/"endif" keyword'),
    (REGEXP, 'if', 'no "if"/"endif" keyword'),
    (REGEXP, 'endif', 'no "if"/"endif" keyword'),
    (REGEXP, '#/x/', 'with the closing delimiter'),
    (REGEXP, '/x/ y', 'with the closing delimiter'),
    (CIDR, '10.0.0.0 /8', 'without white space'),
    (CIDR, 'if 10.0.0.0/8', 'without white space'),
    (CIDR, 'if', 'without white space'),
])
def test_desired_entry_refuses_what_would_not_read_back(syntax, key, hint):
    with pytest.raises(TableSourceError, match='would not read back as written: .*%s' % hint):
        desired_entry(syntax, key, 'OK', 1)


@pytest.mark.parametrize('value', ['', '   ', [], ['', ' ']])
@pytest.mark.parametrize('syntax, key, noun', [(KEY_VALUE, 'k', 'entry'), (REGEXP, '/x/', 'rule')])
def test_desired_entry_refuses_empty_value(value, syntax, key, noun):
    with pytest.raises(TableSourceError, match="^the value of %s '%s' is empty; Postfix skips entries without" % (
            noun, key)):
        desired_entry(syntax, key, value, 1)


@pytest.mark.parametrize('value', [True, False, ['a', True]])
def test_desired_entry_refuses_booleans(value):
    with pytest.raises(TableSourceError, match="^the value of entry 'smtpd_tls' is a boolean; quote it in YAML"):
        desired_entry(KEY_VALUE, 'smtpd_tls', value, 1)


@pytest.mark.parametrize('key', [None, 25, '', '   ', ['a']])
@pytest.mark.parametrize('syntax, message', [(KEY_VALUE, 'entry 4 has an empty or non-string key'),
                                             (REGEXP, 'rule 4 has an empty or non-string pattern')])
def test_desired_entry_refuses_empty_or_non_string_key(key, syntax, message):
    with pytest.raises(TableSourceError, match='^%s$' % message):
        desired_entry(syntax, key, 'v', 4)


def test_desired_entry_refuses_trailing_backslash():
    with pytest.raises(TableSourceError):
        desired_entry(KEY_VALUE, 'end\\', 'OK', 1)


def test_desired_rule_refuses_alphanumeric_delimiter():
    with pytest.raises(TableSourceError):
        desired_entry(REGEXP, 'xabcx', 'R2', 1)


def test_desired_rule_refuses_escaped_closing_delimiter():
    with pytest.raises(TableSourceError, match='with the closing delimiter'):
        desired_entry(REGEXP, '/a\\/', 'OK', 1)


def test_desired_cidr_refuses_endif():
    with pytest.raises(TableSourceError, match='would not read back'):
        desired_entry(CIDR, 'endif', 'OK', 1)


# ---------------------------------------------------------------------------
# check_unique, check_well_formed

def test_check_unique_folds_key_value_keys():
    entries = [desired_entry(KEY_VALUE, 'Foo@Example.COM', 'a', 1), desired_entry(KEY_VALUE, 'foo@example.com', 'b', 2)]
    with pytest.raises(TableSourceError, match="^duplicate key 'foo@example.com' .also given as 'Foo@Example.COM'.: "
                                               "Postfix would use only the first$"):
        check_unique(entries, KEY_VALUE)


def test_check_unique_folds_quoted_localparts():
    entries = [desired_entry(KEY_VALUE, 'John Doe@x', 'a', 1), desired_entry(KEY_VALUE, '"john doe"@X', 'b', 2)]
    with pytest.raises(TableSourceError, match='duplicate key'):
        check_unique(entries, KEY_VALUE)


def test_check_unique_names_the_line_of_parsed_entries():
    with pytest.raises(TableSourceError, match=r"duplicate key 'A' \(also given as 'a'\) at line 3"):
        check_unique(entries_of(parse_source('a 1\n# x\nA 2\n', KEY_VALUE)), KEY_VALUE)


def test_check_unique_rules_are_exact():
    check_unique([Entry('/a/', 'R', None), Entry('/A/', 'R', None), Entry('/a/i', 'R', None)], REGEXP)
    with pytest.raises(TableSourceError, match="^duplicate pattern '/a/'"):
        check_unique([Entry('/a/', 'R1', None), Entry('/A/', 'R', None), Entry('/a/', 'R2', None)], REGEXP)


def test_check_unique_accepts_distinct_keys():
    check_unique(entries_of(parse_source('a 1\nb 2\n"a b"@x 3\na@x 4\n', KEY_VALUE)), KEY_VALUE)


def test_check_well_formed():
    check_well_formed(entries_of(parse_source('a 1\nb\n  2\n', KEY_VALUE)), '/etc/postfix/t')
    with pytest.raises(TableSourceError, match=r"^/etc/postfix/t, line 3: 'b' has no lookup result"):
        check_well_formed(entries_of(parse_source('a 1\n\nb\nc 3\n', KEY_VALUE)), '/etc/postfix/t')


# ---------------------------------------------------------------------------
# compare

def test_compare_key_value():
    old = entries_of(parse_source('Foo@X 1\nbar 2\nkeep 3\n', KEY_VALUE))
    new = [Entry('keep', '3', None), Entry('foo@x', '9', None), Entry('new', '4', None)]
    changes = compare(old, new, KEY_VALUE)
    assert key_pairs(changes.added) == [(None, ('new', '4'))]
    assert key_pairs(changes.removed) == [(('bar', '2'), None)]
    assert key_pairs(changes.changed) == [(('Foo@X', '1'), ('foo@x', '9'))]
    assert changes.reordered is False


def test_compare_same_entries_in_other_case_and_order():
    old = entries_of(parse_source('B 2\na 1\n', KEY_VALUE))
    assert compare(old, [Entry('A', '1', None), Entry('b', '2', None)], KEY_VALUE) == ([], [], [], False)


def test_compare_uses_the_first_of_duplicate_keys():
    old = entries_of(parse_source('b 3\nB 2\na 1\n', KEY_VALUE))
    changes = compare(old, [Entry('a', '1', None), Entry('b', '2', None)], KEY_VALUE)
    assert key_pairs(changes.changed) == [(('b', '3'), ('b', '2'))]


def test_compare_value_is_exact():
    changes = compare([Entry('a', 'OK', 1)], [Entry('a', 'ok', None)], KEY_VALUE)
    assert key_pairs(changes.changed) == [(('a', 'OK'), ('a', 'ok'))]


@pytest.mark.parametrize('old, new, reordered', [
    (['/a/', '/b/'], ['/a/', '/b/'], False),
    (['/a/', '/b/'], ['/b/', '/a/'], True),
    (['/a/', '/b/'], ['/a/', '/c/', '/b/'], False),
    (['/a/', '/c/', '/b/'], ['/a/', '/b/'], False),
    (['/a/', '/c/', '/b/'], ['/b/', '/a/'], True),
])
def test_compare_rule_order(old, new, reordered):
    changes = compare([Entry(key, 'R', n) for n, key in enumerate(old, 1)], [Entry(key, 'R', None) for key in new],
                      REGEXP)
    assert changes.reordered is reordered


def test_compare_rules_are_exact():
    changes = compare([Entry('/A/', 'R', 1)], [Entry('/a/', 'R', None)], REGEXP)
    assert key_pairs(changes.added) == [(None, ('/a/', 'R'))]
    assert key_pairs(changes.removed) == [(('/A/', 'R'), None)]


# ---------------------------------------------------------------------------
# merge

VIRTUAL = (
    '# Virtual aliases.\n'
    '\n'
    'alice@example.com  alice@mail.example\n'
    '# Bob moved.\n'
    'Bob@Example.COM\tbob@old.example\n'
    '# end of bob\n'
    'carol@example.com carol@mail.example,\n'
    '   # second address\n'
    '   carol@backup.example\n'
    '\n'
    '# trailing comment\n'
)


def test_merge_changed_entry_rewritten_in_place():
    text, changes = merged_text(VIRTUAL, [('bob@example.com', 'bob@new.example')], [])
    assert text == VIRTUAL.replace('Bob@Example.COM\tbob@old.example\n', 'bob@example.com bob@new.example\n')
    assert key_pairs(changes.changed) == [(('Bob@Example.COM', 'bob@old.example'), ('bob@example.com', 'bob@new.example'))]
    assert (changes.added, changes.removed, changes.reordered) == ([], [], False)


def test_merge_changed_entry_keeps_its_line_number():
    blocks = merge(parse_source(VIRTUAL, KEY_VALUE), [Entry('bob@example.com', 'x', None)], [], KEY_VALUE)[0]
    assert [entry.line for entry in entries_of(blocks)] == [3, 5, 7]


def test_merge_unchanged_entry_keeps_its_spelling():
    upserts = [('BOB@example.com', 'bob@old.example'), ('alice@example.com', 'alice@mail.example')]
    text, changes = merged_text(VIRTUAL, upserts, [])
    assert text == VIRTUAL
    assert changes == ([], [], [], False)


def test_merge_multi_line_entry_rewritten_keeps_trailer():
    text = merged_text(VIRTUAL, [('carol@example.com', 'carol@new.example')], [])[0]
    assert text == VIRTUAL.replace(
        'carol@example.com carol@mail.example,\n   # second address\n   carol@backup.example\n',
        'carol@example.com carol@new.example\n')
    assert text.endswith('carol@example.com carol@new.example\n\n# trailing comment\n')


def test_merge_new_entries_appended_in_order():
    text, changes = merged_text(VIRTUAL, [('zed@example.com', 'z'), ('dave@example.com', 'd')], [])
    assert text == VIRTUAL + 'zed@example.com z\ndave@example.com d\n'
    assert key_pairs(changes.added) == [(None, ('zed@example.com', 'z')), (None, ('dave@example.com', 'd'))]


@pytest.mark.parametrize('text, expected', [
    ('a 1', 'a 1\nb 2\n'),
    ('a 1\n# end', 'a 1\n# end\nb 2\n'),
    ('a 1\n   ', 'a 1\n   \nb 2\n'),
    ('a 1\n  more', 'a 1\n  more\nb 2\n'),
    ('a 1\n', 'a 1\nb 2\n'),
    ('', 'b 2\n'),
    ('# only a comment', '# only a comment\nb 2\n'),
])
def test_merge_append_without_final_newline(text, expected):
    assert merged_text(text, [('b', '2')], [])[0] == expected


def test_merge_change_last_line_without_final_newline():
    assert merged_text('a 1\nb 2', [('b', '3')], [])[0] == 'a 1\nb 3\n'
    assert merged_text('a 1\nb 2', [('b', '3'), ('c', '4')], [])[0] == 'a 1\nb 3\nc 4\n'


def test_merge_removal_keeps_trailing_comments():
    text, changes = merged_text(VIRTUAL, [], ['BOB@example.com'])
    assert text == VIRTUAL.replace('Bob@Example.COM\tbob@old.example\n', '')
    assert '# Bob moved.\n# end of bob\n' in text
    assert key_pairs(changes.removed) == [(('Bob@Example.COM', 'bob@old.example'), None)]


def test_merge_removal_of_multi_line_entry_keeps_blank_and_trailing_comment():
    text = merged_text(VIRTUAL, [], ['carol@example.com'])[0]
    assert text.endswith('# end of bob\n\n# trailing comment\n')
    assert 'carol' not in text


def test_merge_removal_of_last_line_without_final_newline():
    assert merged_text('a 1\nb 2', [('c', '3')], ['b'])[0] == 'a 1\nc 3\n'
    assert merged_text('a 1\nb 2', [], ['b'])[0] == 'a 1\n'


def test_merge_removal_of_missing_key_changes_nothing():
    text, changes = merged_text(VIRTUAL, [], ['nobody@example.com'])
    assert text == VIRTUAL
    assert changes == ([], [], [], False)


def test_merge_removes_every_copy_of_a_key():
    text, changes = merged_text('a 1\n# x\nA 2\nb 3\n', [], ['a'])
    assert text == '# x\nb 3\n'
    assert len(changes.removed) == 2


def test_merge_changes_only_the_first_copy_of_a_key():
    text, changes = merged_text('a 1\nA 2\n', [('a', '3')], [])
    assert text == 'a 3\nA 2\n'
    assert len(changes.changed) == 1


def test_merge_fixes_a_key_without_value():
    text, changes = merged_text('a 1\nkeyonly\n# c\n', [('KeyOnly', 'v')], [])
    assert text == 'a 1\nKeyOnly v\n# c\n'
    assert key_pairs(changes.changed) == [(('keyonly', ''), ('KeyOnly', 'v'))]


def test_merge_rules_match_patterns_exactly():
    rules = '/Foo/ R1\n! /neg/ R2\n'
    text, changes = merged_text(rules, [('/foo/', 'R3'), ('!/neg/', 'R4')], ['/FOO/'], REGEXP)
    assert text == rules + '/foo/ R3\n!/neg/ R4\n'
    assert len(changes.added) == 2 and changes.changed == [] and changes.removed == []
    text, changes = merged_text(rules, [('/Foo/', 'R9')], ['! /neg/'], REGEXP)
    assert text == '/Foo/ R9\n'
    assert len(changes.changed) == 1 and len(changes.removed) == 1


def test_merge_rule_inside_if_block_stays_there():
    rules = '# head\nif /^a/\n/b/ R1\nendif\n/c/ R2\n'
    text = merged_text(rules, [('/b/', 'R9'), ('/d/', 'R3')], [], REGEXP)[0]
    assert text == '# head\nif /^a/\n/b/ R9\nendif\n/c/ R2\n/d/ R3\n'


def test_merge_cidr():
    text = merged_text('10.0.0.0/8 OK\n!192.0.2.0/24 REJECT\n', [('!192.0.2.0/24', 'DUNNO')], ['10.0.0.0/8'], CIDR)[0]
    assert text == '!192.0.2.0/24 DUNNO\n'


def test_merge_keeps_everything_of_the_captured_table():
    original = table_fixture('virtual')
    upserts = [('list@example.com', 'dave@example.com'), ('new@example.com', 'n')]
    text = merged_text(original, upserts, ['postmaster@example.com'])[0]
    assert text == original.replace(
        'postmaster@example.com\tadmin@example.com\n', '').replace(
        'list@example.com alice@example.com,\n  bob@example.com,\n# a comment inside the logical line\n\n'
        '\tcarol@example.com\n', 'list@example.com dave@example.com\n') + '\nnew@example.com n\n'


@pytest.mark.parametrize('syntax', [KEY_VALUE, REGEXP, CIDR])
def test_read_entries_agrees_with_the_full_parser(syntax):
    # The one-scan fast path must read every table exactly as parse_source does (line numbers aside).
    for seed in SEEDS:
        rng = random.Random(seed)
        text = random_table(rng, syntax)[0]
        full = [(entry.key, entry.value) for entry in entries_of(parse_source(text, syntax))]
        for candidate in (text, render_entries([Entry(key, value, None) for key, value in full if value], syntax)):
            assert [(entry.key, entry.value) for entry in read_entries(candidate, syntax)] == [
                (entry.key, entry.value) for entry in entries_of(parse_source(candidate, syntax))], (seed, candidate)


def outcome(function, *args):
    try:
        return function(*args)
    except TableSourceError as error:
        return 'error: %s' % error


@pytest.mark.parametrize('syntax', [KEY_VALUE, REGEXP, CIDR])
def test_desired_entries_agrees_with_desired_entry(syntax):
    # The batch fast path accepts exactly what desired_entry accepts, and fails with its message.
    tricky = ['', ' ', '#x', 'a b', 'a"b', 'a\\b', 'x\u2028y', 'x\ty', 'ok', 'if', 'endif', '/a/', '!/a/', 'a\x85',
              '10.0.0.0/8', '\u00e9t\u00e9@example.com', 'v ', ' v', 'REJECT go away']
    for seed in SEEDS:
        rng = random.Random(seed)
        items = [(rng.choice(tricky), rng.choice(tricky)) for dummy in range(rng.randint(1, 4))]
        if rng.random() < 0.5:
            items = [(key, value) for key, value in items if key.strip() and '"' not in key]
        expected = []
        for position, (key, value) in enumerate(items, 1):
            expected.append(outcome(desired_entry, syntax, key, value, position))
        errors = [item for item in expected if isinstance(item, str)]
        assert outcome(desired_entries, syntax, items) == (errors[0] if errors else expected), (seed, items)


# ---------------------------------------------------------------------------
# aliases(5): "name: value", as postalias reads it

ALIAS_TABLE = ('# aliases\n'
               'Root: alice, bob\n'
               '"john doe": john\n'
               'postmaster:\n'
               '    root\n'
               'mailer-daemon:postmaster\n'
               'broken line\n')


def test_parse_aliases():
    assert [(entry.key, entry.value, entry.line) for entry in entries_of(parse_source(ALIAS_TABLE, ALIASES))] == [
        ('Root', 'alice, bob', 2), ('"john doe"', 'john', 3), ('postmaster', 'root', 4),
        ('mailer-daemon', 'postmaster', 6), ('broken line', '', 7)]


def test_read_entries_of_aliases_agrees_with_the_full_parser():
    simple = 'root: alice, bob\npostmaster: root\nabuse:root\n'
    assert read_entries(simple, ALIASES) == [Entry('root', 'alice, bob', None), Entry('postmaster', 'root', None),
                                             Entry('abuse', 'root', None)]
    assert [(entry.key, entry.value) for entry in read_entries(ALIAS_TABLE, ALIASES)] == [
        (entry.key, entry.value) for entry in entries_of(parse_source(ALIAS_TABLE, ALIASES))]


@pytest.mark.parametrize('key, value, written', [
    ('root', ['alice', 'bob'], 'root: alice, bob\n'),
    ('john doe', 'john', '"john doe": john\n'),
    ('odd:name', '/dev/null', '"odd:name": /dev/null\n'),
    ('devnull', '|/usr/bin/true', 'devnull: |/usr/bin/true\n'),
])
def test_desired_alias_entries_are_written_so_that_postalias_reads_them_back(key, value, written):
    entry = desired_entry(ALIASES, key, value, 1)
    assert render_line(ALIASES, entry) == written
    assert entries_of(parse_source(written, ALIASES))[0][:2] == entry[:2]


def test_alias_names_are_folded_and_unquoted_like_postalias_does():
    assert identity_of(ALIASES)('Root') == 'root'
    assert unquoted_name('"john doe"') == 'john doe'
    assert unquoted_name('root') == 'root'
    check_unique([Entry('Root', 'a', 1), Entry('postmaster', 'b', 2)], ALIASES)
    with pytest.raises(TableSourceError, match="duplicate key 'root'"):
        check_unique([Entry('Root', 'a', 1), Entry('root', 'b', 2)], ALIASES)


def test_merge_into_aliases_writes_alias_lines():
    blocks, changes = merge(parse_source('root: alice\n# keep\n', ALIASES), [Entry('abuse', 'root', None),
                                                                             Entry('ROOT', 'bob', None)], [], ALIASES)
    assert render_blocks(blocks) == 'ROOT: bob\n# keep\nabuse: root\n'
    assert (len(changes.added), len(changes.changed)) == (1, 1)
    assert render_entries([Entry('root', 'alice', None)], ALIASES) == HEADER + 'root: alice\n'
