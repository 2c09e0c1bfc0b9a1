# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/tables/postmap_output.py, against real postmap output (see fixtures/tables/capture.sh)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.postmap_output import (
    dump_lines,
    match_queries,
    other_warnings,
    warnings,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import FIXTURES, VERSIONS

TABLES = os.path.join(FIXTURES, 'tables')


def table_fixture(*parts):
    with open(os.path.join(TABLES, *parts), encoding='utf-8', newline='') as handle:
        return handle.read()


def queries(name):
    return table_fixture('%s.queries' % name).splitlines()


# ---------------------------------------------------------------------------
# dump_lines

VIRTUAL_DUMP = {
    '"a b c"\tliteral-quotes',
    '"john doe"@example.com\tJD',
    '"a\\" b"@x\tquoted-escape',
    'foo@example.com\tREJECT go away',
    'last@example.com\tno final newline',
    'list@example.com\talice@example.com,  bob@example.com,\tcarol@example.com',
    'postmaster@example.com\tadmin@example.com',
    'tabbed@example.com\tvalue with  inner  spaces',
}


@pytest.mark.parametrize('version', VERSIONS)
def test_dump_lines_captured(version):
    # Keys folded, the later duplicate (FOO@example.com) and the key without value left out.
    assert dump_lines(table_fixture('postfix-%s' % version, 'virtual.hash.dump')) == VIRTUAL_DUMP


@pytest.mark.parametrize('text, lines', [
    ('', set()),
    ('\n', set()),
    ('a\t1\nb\t2\n', {'a\t1', 'b\t2'}),
    ('b\t2\na\t1', {'a\t1', 'b\t2'}),
    ('a\t1\n\na\t1\n', {'a\t1'}),
])
def test_dump_lines(text, lines):
    assert dump_lines(text) == lines


def test_dump_lines_order_is_irrelevant():
    assert dump_lines('a\t1\nb\t2\n') == dump_lines('b\t2\na\t1\n')
    assert dump_lines('a\t1\n') != dump_lines('a\t2\n')


# ---------------------------------------------------------------------------
# match_queries

VIRTUAL_RESULTS = {
    'FOO@EXAMPLE.COM': 'REJECT go away',
    'foo@example.com': 'REJECT go away',
    'missing@example.com': None,
    '"john doe"@example.com': 'JD',
    '"a b c"': 'literal-quotes',
    'list@example.com': 'alice@example.com,  bob@example.com,\tcarol@example.com',
    'keyonly@example.com': None,
    'tabbed@example.com': 'value with  inner  spaces',
    'last@example.com': 'no final newline',
}


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('table_type', ['hash', 'texthash'])
def test_match_queries_captured_key_value(version, table_type):
    results = match_queries(queries('virtual'), table_fixture('postfix-%s' % version, 'virtual.%s.query' % table_type))
    assert results == VIRTUAL_RESULTS
    assert list(results) == queries('virtual')


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name, table_type, expected', [
    ('rules', 'pcre', {'a b': 'R1', 'a/b': 'R2', 'xy': 'R3', 'neg': 'R4', 'PIPE': 'R3'}),
    ('rules', 'regexp', {'a b': 'R1', 'a/b': 'R2', 'xy': 'R3', 'neg': 'R4', 'PIPE': 'R3'}),
    ('clients', 'cidr', {'10.1.2.3': 'OK', '192.0.2.1': None, '2001:db8::1': 'V6', '172.16.1.5': 'REJECT'}),
    ('edge-rules', 'regexp', {'ab': 'R1', 'xabcx': None, 'a/ R3': None}),
])
def test_match_queries_captured_rules(version, name, table_type, expected):
    assert match_queries(queries(name), table_fixture('postfix-%s' % version, '%s.%s.query' % (name, table_type))) == (
        expected)


@pytest.mark.parametrize('keys, text, expected', [
    pytest.param(['a', 'b'], '', {'a': None, 'b': None}, id='nothing-found'),
    pytest.param([], 'a\t1\n', {}, id='no-keys'),
    pytest.param(['a', 'b', 'c'], 'b\t2\n', {'a': None, 'b': '2', 'c': None}, id='only-middle-found'),
    pytest.param(['a', 'b'], 'a\t1\nb\t2', {'a': '1', 'b': '2'}, id='no-final-newline'),
    pytest.param(['a', 'a b'], 'a b\tX\n', {'a': None, 'a b': 'X'}, id='key-prefix-of-another'),
    pytest.param(['a\tb', 'a'], 'a\tb\tv\n', {'a\tb': 'v', 'a': None}, id='key-with-tab'),
    pytest.param(['a', 'b', 'a'], 'a\t1\na\t1\n', {'a': '1', 'b': None}, id='repeated-key'),
    pytest.param(['k'], 'k\t\n', {'k': ''}, id='empty-value'),
    pytest.param(['k'], 'k\tv \t w\n', {'k': 'v \t w'}, id='value-kept-as-printed'),
    pytest.param(['Foo', 'foo'], 'Foo\t1\nfoo\t1\n', {'Foo': '1', 'foo': '1'}, id='key-echoed-as-given'),
    pytest.param(['x', 'y'], 'y\tx\t1\n', {'x': None, 'y': 'x\t1'}, id='value-looks-like-a-key'),
])
def test_match_queries(keys, text, expected):
    assert match_queries(keys, text) == expected


def test_match_queries_relies_on_input_order():
    # postmap answers in input order, so an answer out of order is not taken for another key.
    assert match_queries(['a', 'b'], 'b\t2\na\t1\n') == {'a': None, 'b': '2'}


# ---------------------------------------------------------------------------
# warnings

@pytest.mark.parametrize('stderr, expected', [
    ('postmap: warning: pcre map /tmp/p1, line 1: error in regex at offset 5: missing closing parenthesis\n',
     [(1, 'error in regex at offset 5: missing closing parenthesis')]),
    ('postmap: warning: cidr map c1, line 1: non-null host address bits in "10.0.0.1/8", perhaps you should use '
     '"10.0.0.0/8" instead: skipping this rule\n',
     [(1, 'non-null host address bits in "10.0.0.1/8", perhaps you should use "10.0.0.0/8" instead: skipping this '
          'rule')]),
    ('postmap: warning: t1.db: duplicate entry: "foo@example.com"\n', [(None, 'duplicate entry: "foo@example.com"')]),
    ('postmap: warning: t1, line 8: expected format: key whitespace value\n',
     [(8, 'expected format: key whitespace value')]),
    ('postmap: warning: t2: logical line must not start with whitespace: "  lead v  more"\n',
     [(None, 'logical line must not start with whitespace: "  lead v  more"')]),
    ('postmap: warning: /etc/postfix/a,b, line 3: x\n', [(3, 'x')]),
    ('postmap: warning: t1.db: duplicate entry: "x, line 9: y"\n', [(None, 'duplicate entry: "x, line 9: y"')]),
    ('postmap: warning: t1, line 12345: x', [(12345, 'x')]),
])
def test_warnings(stderr, expected):
    assert warnings(stderr) == expected


@pytest.mark.parametrize('stderr', [
    '',
    'postmap: fatal: open database t1.db: No such file or directory\n',
    'some other text\n',
    '  postmap: warning: indented, line 1: x\n',
])
def test_warnings_only_warning_lines(stderr):
    assert warnings(stderr) == []


STAGED = '/etc/postfix/.access.a1b2c3d4.tmp'
MIXED_STDERR = (
    'postmap: warning: /etc/postfix/main.cf, line 48: overriding earlier entry: relayhost=\n'
    'postmap: warning: inet_protocols: IPv6 support is disabled: Address family not supported by protocol\n'
    'postmap: warning: %s, line 3: expected format: key whitespace value\n'
    'postmap: warning: %s.db: duplicate entry: "a@example.com"\n'
    'postmap: warning: regexp map %s, line 2: Unmatched ( or \\(\n' % (STAGED, STAGED, STAGED))


def test_warnings_about_one_table_leave_out_main_cf_and_others():
    assert warnings(MIXED_STDERR, about=STAGED) == [
        (3, 'expected format: key whitespace value'), (None, 'duplicate entry: "a@example.com"'),
        (2, 'Unmatched ( or \\(')]
    assert other_warnings(MIXED_STDERR, STAGED) == [
        'postmap: warning: /etc/postfix/main.cf, line 48: overriding earlier entry: relayhost=',
        'postmap: warning: inet_protocols: IPv6 support is disabled: Address family not supported by protocol']


def test_warnings_several_lines_in_order():
    stderr = ('postmap: warning: t1, line 8: expected format: key whitespace value\n'
              'postmap: fatal: something else\n'
              'postmap: warning: t1.db: duplicate entry: "a"\n')
    assert warnings(stderr) == [(8, 'expected format: key whitespace value'), (None, 'duplicate entry: "a"')]


CAPTURED_WARNINGS = {
    'virtual.hash.stderr': [(15, 'expected format: key whitespace value'),
                            (None, 'duplicate entry: "foo@example.com"')],
    'rules.pcre.stderr': [(9, 'error in regex at offset 7: missing closing parenthesis'),
                          (13, 'error in regex at offset 4: missing closing parenthesis')],
    'rules.regexp.stderr': [(9, 'Unmatched ( or \\('), (13, 'Unmatched ( or \\(')],
    'clients.cidr.stderr': [(5, 'non-null host address bits in "10.0.0.1/8", perhaps you should use "10.0.0.0/8" '
                                'instead: skipping this rule')],
    'edge-virtual.hash.stderr': [(4, 'expected format: key whitespace value')],
    'edge-rules.regexp.stderr': [(4, 'ignoring unrecognized request'),
                                 (5, 'no closing regexp delimiter "/": skipping this rule')],
    'edge-clients.cidr.stderr': [(2, 'garbage after ENDIF: skipping this rule')],
}


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name', sorted(CAPTURED_WARNINGS))
def test_warnings_captured(version, name):
    stderr = table_fixture('postfix-%s' % version, name)
    assert warnings(stderr) == CAPTURED_WARNINGS[name]
    assert len(warnings(stderr)) == stderr.count('\n')


@pytest.mark.parametrize('version', VERSIONS)
def test_warnings_captured_texthash(version):
    # texthash reports each problem when it opens the table, once per lookup here.
    problems = warnings(table_fixture('postfix-%s' % version, 'virtual.texthash.stderr'))
    assert set(problems) == {(15, 'expected format: key whitespace value -- ignoring this line'),
                             (16, 'duplicate entry: "FOO@example.com"')}


# postalias -s and -q -, as Postfix 3.7 prints them.
POSTALIAS_DUMP = ('@:\t@\nYP_LAST_MODIFIED:\t1796166589\nYP_MASTER_NAME:\tmx.testbed.example\n'
                  'postmaster:\troot\nroot:\talice, bob\njohn doe:\tjohn\n')


def test_postalias_dump_without_its_own_entries():
    assert dump_lines(POSTALIAS_DUMP, aliases=True) == {'postmaster\troot', 'root\talice, bob', 'john doe\tjohn'}


def test_postalias_queries():
    assert match_queries(['root', 'none', 'john doe'], 'root:\talice, bob\njohn doe:\tjohn\n', aliases=True) == {
        'root': 'alice, bob', 'none': None, 'john doe': 'john'}
