# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/tables/plan.py: module input to a Request, and a Request to new table source."""

from __future__ import annotations

import random

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.plan import (
    NO_CHANGES,
    ContentPlan,
    Request,
    make_request,
    plan_content,
)
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import (
    CIDR,
    HEADER,
    KEY_VALUE,
    REGEXP,
    Entry,
    TableSourceError,
    entries_of,
    parse_source,
)

PATH = '/etc/postfix/virtual'


def kv_request(entries, exclusive=True, remove_keys=None, table_type='hash'):
    return make_request(table_type, entries, None, exclusive, remove_keys)


def rule_request(rules, exclusive=True, remove_keys=None, table_type='pcre'):
    return make_request(table_type, None, [{'pattern': p, 'action': a} for p, a in rules], exclusive, remove_keys)


def keys_and_values(entries):
    return [(entry.key, entry.value) for entry in entries]


def change_counts(changes):
    return len(changes.added), len(changes.removed), len(changes.changed), changes.reordered


# ---------------------------------------------------------------------------
# make_request

def test_make_request_from_mapping():
    request = kv_request({'john doe@example.com': 'jd@mail.example', 'Postmaster@Example.com': ['a', 'b']})
    assert request == Request(KEY_VALUE, [Entry('"john doe"@example.com', 'jd@mail.example', None),
                                          Entry('Postmaster@Example.com', 'a, b', None)], [], True, False)


def test_make_request_from_list_of_items():
    request = kv_request([{'key': 'b', 'value': '2'}, {'key': 'a', 'value': 1}], exclusive=False)
    assert request == Request(KEY_VALUE, [Entry('b', '2', None), Entry('a', '1', None)], [], False, False)


@pytest.mark.parametrize('table_type, syntax', [('pcre', REGEXP), ('regexp', REGEXP), ('cidr', CIDR)])
def test_make_request_rules(table_type, syntax):
    rules = [('!192.0.2.0/24', 'REJECT'), ('10.0.0.0/8', 'OK')] if syntax == CIDR else [('/b/', 'R1'), ('/a/', 'R2')]
    request = rule_request(rules, table_type=table_type)
    assert request.syntax == syntax
    # Rule order is kept as given: first match wins.
    assert keys_and_values(request.entries) == rules


@pytest.mark.parametrize('exclusive', [True, False])
def test_make_request_empty_list_is_an_empty_table(exclusive):
    assert kv_request([], exclusive=exclusive) == Request(KEY_VALUE, [], [], exclusive, False)


def test_make_request_merge_without_entries():
    assert kv_request(None, exclusive=False, remove_keys=['a']) == Request(KEY_VALUE, [], ['a'], False, False)


def test_make_request_quotes_removals_like_entries():
    request = kv_request(None, exclusive=False, remove_keys=['john doe@example.com', 'Foo@X'])
    assert request.removals == ['"john doe"@example.com', 'Foo@X']


@pytest.mark.parametrize('table_type, entries, rules, message', [
    ('hash', None, [], 'hash tables hold key/value entries: use entries, not rules'),
    ('texthash', {'a': 'b'}, [], 'texthash tables hold key/value entries: use entries, not rules'),
    ('pcre', {}, None, 'pcre tables hold ordered pattern/action rules: use rules, not entries'),
    ('cidr', [], [], 'cidr tables hold ordered pattern/action rules: use rules, not entries'),
])
def test_make_request_refuses_wrong_kind(table_type, entries, rules, message):
    with pytest.raises(TableSourceError, match='^%s$' % message):
        make_request(table_type, entries, rules, True, None)


@pytest.mark.parametrize('table_type, field', [('hash', 'entries'), ('regexp', 'rules')])
def test_make_request_exclusive_needs_the_whole_table(table_type, field):
    with pytest.raises(TableSourceError, match=r'^exclusive: true needs the whole table in %s \(an empty list' % field):
        make_request(table_type, None, None, True, None)


def test_make_request_exclusive_refuses_remove_keys():
    with pytest.raises(TableSourceError, match='^remove_keys works only with exclusive: false'):
        kv_request({'a': 'b'}, exclusive=True, remove_keys=['c'])


@pytest.mark.parametrize('entries, message', [
    ('a b', 'entries must be a mapping of key to value, or a list of {key, value} items'),
    ([{'key': 'a', 'value': 'b'}, {'key': 'c'}], 'entries item 2 must have exactly the fields key and value'),
    ([{'key': 'a', 'value': 'b', 'secret': True}], 'entries item 1 must have exactly the fields key and value'),
    (['a b'], 'entries item 1 must have exactly the fields key and value'),
])
def test_make_request_refuses_malformed_entries(entries, message):
    with pytest.raises(TableSourceError, match='^%s$' % message):
        kv_request(entries)


@pytest.mark.parametrize('rules, message', [
    ([{'pattern': '/a/', 'action': 'R'}, {'pattern': '/b/'}], 'rules item 2 must have exactly the fields pattern'),
    ([{'pattern': '/a/', 'value': 'R'}], 'rules item 1 must have exactly the fields pattern'),
    (['/a/ R'], 'rules item 1 must have exactly the fields pattern'),
])
def test_make_request_refuses_malformed_rules(rules, message):
    with pytest.raises(TableSourceError, match='^%s' % message):
        make_request('regexp', None, rules, True, None)


@pytest.mark.parametrize('entries, message', [
    ({'a': 'ok', 'b': True}, "the value of entry 'b' is a boolean"),
    ({'a': 'ok', 'b': 'x\ny'}, "the value of entry 'b' contains a newline"),
    ([{'key': 'a', 'value': 'ok'}, {'key': 'b\u2028c', 'value': 'v'}], r"entry 2 \('b\\u2028c'\) contains a newline"),
    ({'a': 'ok', 'a b': 'v'}, "key 'a b' contains white space"),
    ({'a': 'ok', '#b': 'v'}, "entry '#b' would not read back as written"),
    ({'a': 'ok', 'b': ''}, "the value of entry 'b' is empty"),
    ({'a': 'ok', 'b': None}, "the value of entry 'b' has unsupported type NoneType"),
    ({'Foo@Example.COM': 'a', 'foo@example.com': 'b'}, "duplicate key 'foo@example.com' .also given as "
                                                       "'Foo@Example.COM'."),
    ({'john doe@x': 'a', '"John Doe"@X': 'b'}, 'duplicate key'),
])
def test_make_request_names_the_bad_entry(entries, message):
    with pytest.raises(TableSourceError, match=message):
        kv_request(entries)


@pytest.mark.parametrize('rules, message', [
    ([('/a/', 'R'), ('/b', 'R')], "rule '/b' would not read back as written"),
    ([('/a/', 'R'), ('if /b/', 'R')], "rule 'if /b/' would not read back as written"),
    ([('/a/', 'R'), ('/a/', 'S')], "duplicate pattern '/a/'"),
    ([('/a/', 'R'), ('/b/', False)], "the value of rule '/b/' is a boolean"),
])
def test_make_request_names_the_bad_rule(rules, message):
    with pytest.raises(TableSourceError, match=message):
        rule_request(rules)


def test_make_request_refuses_bad_removal():
    with pytest.raises(TableSourceError, match=r"entry 2 \('a\\nb'\) contains a newline"):
        kv_request(None, exclusive=False, remove_keys=['ok', 'a\nb'])


def test_make_request_refuses_key_both_set_and_removed():
    with pytest.raises(TableSourceError, match=r'^"john doe"@example.com, foo@x both set and removed \(remove_keys\)'):
        kv_request({'Foo@X': 'a', 'john doe@example.com': 'b', 'c': 'd'}, exclusive=False,
                   remove_keys=['foo@x', '"John Doe"@Example.com'])


def test_make_request_rule_removal_is_exact():
    request = rule_request([('/a/', 'R')], exclusive=False, remove_keys=['/A/'])
    assert request.removals == ['/A/']
    with pytest.raises(TableSourceError, match='both set and removed'):
        rule_request([('/a/', 'R')], exclusive=False, remove_keys=['/a/'])


# ---------------------------------------------------------------------------
# plan_content, exclusive

def test_exclusive_new_table():
    plan = plan_content(kv_request({'b': '2', 'a': '1'}), None, PATH)
    assert plan.content == HEADER + 'b 2\na 1\n'
    assert keys_and_values(plan.entries) == [('b', '2'), ('a', '1')]
    assert [pair[1].key for pair in plan.changes.added] == ['b', 'a']
    assert change_counts(plan.changes) == (2, 0, 0, False)


def test_exclusive_new_empty_table_is_written():
    plan = plan_content(kv_request([]), None, PATH)
    assert plan == ContentPlan(HEADER, [], plan.changes)
    assert change_counts(plan.changes) == (0, 0, 0, False)


def test_exclusive_same_rendering_is_a_no_op():
    request = kv_request({'b': '2', 'a': '1'})
    assert plan_content(request, HEADER + 'b 2\na 1\n', PATH) == ContentPlan(None, request.entries, NO_CHANGES)


@pytest.mark.parametrize('current', [
    pytest.param('# my own comment\na 1\nb 2\n', id='other-comments'),
    pytest.param('B\t2\n\nA   1   \n', id='other-case-order-spacing'),
    pytest.param('a 1\nb\n  2', id='continuation-no-final-newline'),
])
def test_exclusive_equivalent_file_is_left_alone(current):
    plan = plan_content(kv_request({'a': '1', 'b': '2'}), current, PATH)
    assert plan.content is None
    assert plan.changes == NO_CHANGES
    assert keys_and_values(plan.entries) == keys_and_values(entries_of(parse_source(current, KEY_VALUE)))


def test_exclusive_empty_file_is_an_empty_table():
    assert plan_content(kv_request([]), '', PATH) == ContentPlan(None, [], NO_CHANGES)
    assert plan_content(kv_request([]), '# nothing here\n', PATH).content is None


@pytest.mark.parametrize('current, counts', [
    pytest.param('a 1\nb 3\n', (0, 0, 1, False), id='changed-value'),
    pytest.param('a 1\nb 2\nc 3\n', (0, 1, 0, False), id='extra-entry'),
    pytest.param('a 1\n', (1, 0, 0, False), id='missing-entry'),
    pytest.param('a 1\nb 2\nB 2\n', (0, 0, 0, False), id='duplicate-in-file'),
    pytest.param('a 1\nb 2\nkeyonly\n', (0, 1, 0, False), id='malformed-line'),
    pytest.param('a 1\nb\n', (0, 0, 1, False), id='value-missing'),
    pytest.param('b\nb 2\na 1\n', (0, 0, 0, False), id='malformed-copy-before-good-one'),
    pytest.param('a 1\nb OK\n', (0, 0, 1, False), id='value-case'),
])
def test_exclusive_rewrites(current, counts):
    request = kv_request({'a': '1', 'b': '2'})
    plan = plan_content(request, current, PATH)
    assert plan.content == HEADER + 'a 1\nb 2\n'
    assert plan.entries == request.entries
    assert change_counts(plan.changes) == counts


def test_exclusive_rules_reordered():
    request = rule_request([('/a/', 'R1'), ('/b/', 'R2')])
    plan = plan_content(request, '/b/ R2\n/a/ R1\n', PATH)
    assert plan.content == HEADER + '/a/ R1\n/b/ R2\n'
    assert change_counts(plan.changes) == (0, 0, 0, True)


def test_exclusive_rules_same_order_with_comments_is_a_no_op():
    request = rule_request([('/a b/', 'R1'), ('! /neg/', 'R2')])
    plan = plan_content(request, '# mine\n/a b/   R1\n\n! /neg/\n  R2\n', PATH)
    assert plan == ContentPlan(None, plan.entries, NO_CHANGES)
    assert keys_and_values(plan.entries) == [('/a b/', 'R1'), ('! /neg/', 'R2')]


def test_exclusive_rules_are_case_sensitive():
    plan = plan_content(rule_request([('/a/', 'R1')]), '/A/ R1\n', PATH)
    assert plan.content == HEADER + '/a/ R1\n'
    assert change_counts(plan.changes) == (1, 1, 0, False)


def test_exclusive_rules_inside_if_are_rewritten():
    # The same rules, but only for some inputs: not the same table.
    request = rule_request([('/b/', 'R1')])
    plan = plan_content(request, 'if /^a/\n/b/ R1\nendif\n', PATH)
    assert plan.content == HEADER + '/b/ R1\n'
    assert change_counts(plan.changes) == (0, 0, 0, False)


def test_exclusive_cidr():
    rules = [('!192.0.2.0/24', 'REJECT'), ('[2001:db8::]/32', 'OK')]
    request = rule_request(rules, table_type='cidr')
    assert plan_content(request, '!192.0.2.0/24  REJECT\n[2001:db8::]/32 OK\n', PATH).content is None
    assert plan_content(request, '!192.0.2.0/24 DUNNO\n[2001:db8::]/32 OK\n', PATH).content == (
        HEADER + '!192.0.2.0/24 REJECT\n[2001:db8::]/32 OK\n')


# ---------------------------------------------------------------------------
# plan_content, merge

CURRENT = '# Local aliases.\nalice@example.com alice@mail\n# Bob:\nBob@Example.COM bob@old\n\n# end\n'


def test_merge_no_op():
    request = kv_request({'bob@example.com': 'bob@old'}, exclusive=False, remove_keys=['nobody@example.com'])
    plan = plan_content(request, CURRENT, PATH)
    assert plan == ContentPlan(None, plan.entries, NO_CHANGES)
    assert keys_and_values(plan.entries) == [('alice@example.com', 'alice@mail'), ('Bob@Example.COM', 'bob@old')]


def test_merge_change_add_remove():
    request = kv_request({'BOB@example.com': 'bob@new', 'carol@example.com': 'carol@mail'}, exclusive=False,
                         remove_keys=['Alice@Example.com'])
    plan = plan_content(request, CURRENT, PATH)
    assert plan.content == '# Local aliases.\n# Bob:\nBOB@example.com bob@new\n\n# end\ncarol@example.com carol@mail\n'
    assert keys_and_values(plan.entries) == [('BOB@example.com', 'bob@new'), ('carol@example.com', 'carol@mail')]
    assert change_counts(plan.changes) == (1, 1, 1, False)


def test_merge_into_missing_file_has_no_header():
    plan = plan_content(kv_request({'a': '1'}, exclusive=False), None, PATH)
    assert plan.content == 'a 1\n'
    assert change_counts(plan.changes) == (1, 0, 0, False)


def test_merge_nothing_into_missing_file():
    assert plan_content(kv_request(None, exclusive=False, remove_keys=['a']), None, PATH) == ContentPlan(
        None, [], NO_CHANGES)


def test_merge_refuses_malformed_file():
    request = kv_request({'a': '2'}, exclusive=False)
    with pytest.raises(TableSourceError, match=r"^/etc/postfix/virtual, line 3: 'keyonly' has no lookup result"):
        plan_content(request, 'a 1\n# c\nkeyonly\n', PATH)


def test_merge_can_remove_the_malformed_line():
    request = kv_request({'a': '2'}, exclusive=False, remove_keys=['KeyOnly'])
    plan = plan_content(request, 'a 1\n# c\nkeyonly\n', PATH)
    assert plan.content == 'a 2\n# c\n'


def test_merge_refuses_file_with_duplicate_keys():
    with pytest.raises(TableSourceError, match=r"duplicate key 'A' \(also given as 'a'\) at line 2"):
        plan_content(kv_request({'b': '2'}, exclusive=False), 'a 1\nA 1\n', PATH)


def test_merge_rules_appended_after_existing_rules():
    request = rule_request([('/c/', 'R3'), ('/a/', 'R9')], exclusive=False, remove_keys=['/B/'])
    plan = plan_content(request, '/a/ R1\nif /x/\n/B/ R2\nendif\n', PATH)
    assert plan.content == '/a/ R9\nif /x/\nendif\n/c/ R3\n'
    assert change_counts(plan.changes) == (1, 1, 1, False)


# ---------------------------------------------------------------------------
# A plan carried out is not planned again (the "check, apply, check, apply" rule)

def random_current(rng):
    lines = []
    for number in range(rng.randint(0, 8)):
        if rng.random() < 0.3:
            lines.append(rng.choice(['# c\n', '\n', '   # x\n']))
        key = rng.choice(['k%d' % number, 'K%d@Example.COM' % number, '"u %d"@x' % number])
        lines.append('%s%s%s\n' % (key, rng.choice([' ', '\t', '   ']), rng.choice(['v', 'w x', 'OK'])))
    text = ''.join(lines)
    return text[:-1] if text and rng.random() < 0.2 else text


def random_request(rng, current_text):
    existing = [entry.key for entry in entries_of(parse_source(current_text or '', KEY_VALUE))]
    entries = {}
    for key in rng.sample(existing, rng.randint(0, len(existing))):
        entries[rng.choice([key, key.upper(), key.lower()])] = rng.choice(['v', 'new', 'w x'])
    for number in range(rng.randint(0, 3)):
        entries[rng.choice(['n%d' % number, 'new user%d@example.com' % number])] = 'added'
    exclusive = rng.random() < 0.5
    removals = None
    if not exclusive:
        folded = set(key.lower() for key in entries)
        removals = [key for key in existing if key.lower() not in folded and rng.random() < 0.3]
    return kv_request(entries, exclusive=exclusive, remove_keys=removals)


def test_generated_plans_are_idempotent():
    for seed in range(300):
        rng = random.Random(seed)
        current = random_current(rng) if rng.random() < 0.9 else None
        request = random_request(rng, current)
        first = plan_content(request, current, PATH)
        after = current if first.content is None else first.content
        second = plan_content(request, after, PATH)
        assert second == ContentPlan(None, second.entries, NO_CHANGES), (seed, current, after)
        read = {entry.key.lower(): entry.value for entry in entries_of(parse_source(after or '', KEY_VALUE))}
        assert all(read[entry.key.lower()] == entry.value for entry in request.entries), seed
        assert not any(key.lower() in read for key in request.removals), seed
        if request.exclusive:
            assert len(read) == len(request.entries), seed


# A sasl_passwd line written by hand without the space: the whole line, password included, is its key.
HAND_MADE_SECRET = '[smtp.example.net]:587 relayuser:Kept\n[old.example.net]:25relay:SpaceSecret\n'


def test_a_merge_into_a_secret_table_names_a_malformed_line_by_number_only():
    request = make_request('hash', {'[new.example.net]:587': 'u:p'}, None, False, None, secret=True)
    with pytest.raises(TableSourceError) as raised:
        plan_content(request, HAND_MADE_SECRET, '/etc/postfix/sasl_passwd')
    assert str(raised.value).startswith('/etc/postfix/sasl_passwd, line 2 has no lookup result')
    assert 'SpaceSecret' not in str(raised.value)


def test_a_merge_into_another_table_quotes_the_malformed_line():
    request = make_request('hash', {'[new.example.net]:587': 'u:p'}, None, False, None)
    with pytest.raises(TableSourceError, match="line 2: '\\[old.example.net\\]:25relay:SpaceSecret' has no lookup"):
        plan_content(request, HAND_MADE_SECRET, '/etc/postfix/sasl_passwd')


@pytest.mark.parametrize('entries, message', [
    pytest.param({'spammer@example.net': 'REJECT\x00OK'}, "the value of entry 'spammer@example.net' contains a newline or "
                 "control character \\('\\\\x00'\\)", id='nul-in-value'),
    pytest.param({'spammer@example.net\x00x': 'REJECT'}, "entry 1 .* contains a newline or control character",
                 id='nul-in-key'),
    pytest.param({'a': 'OK', 'b': 'REJECT\x00OK', 'c': 'OK'}, "the value of entry 'b'", id='nul-among-plain-entries'),
    pytest.param({'a': 'x' * 70000}, "the value of entry 'a' is 70000 characters long, more than the 65536",
                 id='absurd-length'),
])
def test_make_request_refuses_what_postmap_would_cut_or_choke_on(entries, message):
    for secret in (False, True):
        with pytest.raises(TableSourceError, match=message):
            make_request('hash', entries, None, True, None, secret=secret)
