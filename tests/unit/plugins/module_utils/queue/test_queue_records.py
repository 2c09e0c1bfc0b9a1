# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/postfix_queue.py, queue_flush.py and PostfixRunner.stream_lines, on real
postqueue -j and postsuper output (see fixtures/capture-queue.sh)."""

from __future__ import annotations

import os
import signal
import socket
import sys
import tempfile
import threading
import time

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import (
    ACTIONS,
    QUEUE_NAMES,
    MatchTimeout,
    PostsuperReport,
    QueueError,
    Selector,
    acts_on,
    at_site,
    check_queue_id,
    check_site,
    jmespath_true,
    parse_duration,
    parse_record,
    parse_records,
    recipient_domain,
    scan,
    summarize,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner
from ansible_collections.mailops.postfix.plugins.module_utils.queue.flush import (
    FlushClient,
    decode_attributes,
    encode_attributes,
    flush_socket_path,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text

# Who is where in the captured queue (the same on both versions; the IDs differ).
QUEUE_OF = {
    'carol@testbed.example': 'maildrop',        # requeued while pickup was stopped
    'dave@testbed.example': 'incoming',         # arrived while the queue manager was stopped
    'erin@testbed.example': 'incoming',         # the same, with enable_long_queue_ids=yes
    'MAILER-DAEMON': 'deferred',                # the null sender
    '"odd local"@testbed.example': 'deferred',  # quoted local part; retry(8) transport
    'alice@testbed.example': 'deferred',        # postsuper -e
    'josé@testbed.example': 'deferred',         # SMTPUTF8
    'bob@testbed.example': 'hold',              # postsuper -h, two recipients
}


def records(version):
    return list(parse_records(fixture_text(version, 'queue-j.jsonl').splitlines()))


def by_sender(version):
    return {record['sender']: record for record in records(version)}


def parse_postsuper_report(lines, action):
    """A whole postsuper report, line by line as queue_actions.act() reads it."""
    report = PostsuperReport(action)
    for line in lines:
        report.add(line)
    return report.result()


def selected_senders(version, now=None, **criteria):
    queue = records(version)
    now = max(record['arrival_time'] for record in queue) + 5 if now is None else now
    selector = Selector(**criteria)
    return sorted(record['sender'] for record in queue if selector.matches(record, now))


# ---------------------------------------------------------------------------
# postqueue -j

@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_queue(version):
    queue = records(version)
    assert {record['sender']: record['queue_name'] for record in queue} == QUEUE_OF
    assert all(check_queue_id(record['queue_id']) for record in queue)
    senders = by_sender(version)
    assert senders['alice@testbed.example']['forced_expire'] is True
    assert [r['forced_expire'] for r in queue].count(True) == 1
    assert [r['address'] for r in senders['bob@testbed.example']['recipients']] == [
        'z@remote-one.example', 'y@remote-two.example']
    assert senders['josé@testbed.example']['recipients'][0]['address'] == 'ünï@remote-one.example'
    assert senders['"odd local"@testbed.example']['recipients'][0]['delay_reason'] == 'Delivery suspended by the test bed'
    assert senders['carol@testbed.example']['recipients'][0]['delay_reason'] == (
        'connect to 127.0.0.1[127.0.0.1]:2525: Connection refused')
    # Not tried yet: no delay reason at all.
    assert all('delay_reason' not in rcpt for rcpt in senders['dave@testbed.example']['recipients'])
    assert 'z' in senders['erin@testbed.example']['queue_id']  # the long form
    assert all(isinstance(r['arrival_time'], int) and isinstance(r['message_size'], int) for r in queue)


def test_parse_record_defaults_forced_expire_before_3_5():
    record = parse_record('{"queue_name": "deferred", "queue_id": "9946C1B63F2", "arrival_time": 1, '
                          '"message_size": 2, "sender": "a@b", "recipients": [], "new_member": 1}')
    assert record['forced_expire'] is False
    assert record['new_member'] == 1


@pytest.mark.parametrize('line, message', [
    ('postqueue: warning: Mail system is down', 'not JSON'),
    ('{"queue_name": "deferred"', 'not JSON'),
    ('["deferred"]', 'other than a JSON object'),
    ('{"queue_name": "deferred", "queue_id": "9946C1B63F2", "sender": "a@b"}',
     'without arrival_time, message_size, recipients'),
])
def test_parse_record_rejects(line, message):
    with pytest.raises(QueueError, match=message):
        parse_record(line)


def test_parse_records_skips_blank_lines_and_second_listings():
    line = fixture_text('3.10', 'queue-j.jsonl').splitlines()[3]
    moved = line.replace('"deferred"', '"active"')
    result = list(parse_records(['', line, '  ', moved]))
    assert [record['queue_name'] for record in result] == ['deferred']


def test_parse_records_reads_lazily():
    lines = iter(fixture_text('3.7', 'queue-j.jsonl').splitlines())
    first = next(parse_records(lines))
    assert first['sender'] == 'carol@testbed.example'
    assert len(list(lines)) == 7  # the rest was not read


# ---------------------------------------------------------------------------
# Input checks

@pytest.mark.parametrize('value', ['9946C1B63F2', '99C261B', 'E4E971BA368', '0123456789ABCDEF01234',
                                   '4jYx2Z49j6zFdNh', '4jYx2p696XzFdRF', '4jYx2Z49jzzF', 'zzzzzzzzzzz1'])
def test_check_queue_id_accepts(value):
    assert check_queue_id(value) == value


@pytest.mark.parametrize('value', ['ALL', '-', '', '9946c1b63f2', '12345', '0123456789ABCDEF012345',
                                   '9946C1B63F2/', '../9946C1B63F2', '9946C1B63F2 deferred', '4jYx2Z49j6zFdNz',
                                   '4jYx2Z49jzFdNh', '4jYx2Z49j6zFdAh', 42, None])
def test_check_queue_id_rejects(value):
    with pytest.raises(QueueError, match=r'queue_ids: .* is not a Postfix queue ID'):
        check_queue_id(value)


@pytest.mark.parametrize('value, seconds', [
    ('0', 0), ('90', 90), (90, 90), ('45s', 45), ('30m', 1800), ('6h', 21600), ('2d', 172800), ('1w', 604800),
    ('1h30m', 5400), ('1d12h', 129600), (' 5m ', 300),
])
def test_parse_duration(value, seconds):
    assert parse_duration(value, 'older_than') == seconds


@pytest.mark.parametrize('value', ['', '5x', 'm', '1.5h', '-5m', '5 m', '5M', 'h5', '1h 30m', True])
def test_parse_duration_rejects(value):
    with pytest.raises(QueueError, match='newer_than=.* is not a duration: give a number with a unit s, m, h, d or w'):
        parse_duration(value, 'newer_than')


@pytest.mark.parametrize('value, truth', [
    (None, False), (False, False), ('', False), ([], False), ({}, False),
    (True, True), (0, True), (0.0, True), ('x', True), ([0], True), ({'a': None}, True),
])
def test_jmespath_true(value, truth):
    assert jmespath_true(value) is truth


@pytest.mark.parametrize('address, domain', [
    ('x@Remote-One.Example', 'remote-one.example'), ('"a@b"@c.example', 'c.example'), ('root', ''),
    ('ünï@remote-one.example', 'remote-one.example'),
])
def test_recipient_domain(address, domain):
    assert recipient_domain(address) == domain


# ---------------------------------------------------------------------------
# Selection

@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('criteria, senders', [
    pytest.param({}, sorted(QUEUE_OF), id='everything'),
    pytest.param({'sender': r'^bob@testbed\.example$'}, ['bob@testbed.example'], id='sender-anchored'),
    pytest.param({'sender': 'ALICE'}, ['alice@testbed.example'], id='sender-case-insensitive'),
    pytest.param({'sender': '^MAILER-DAEMON$'}, ['MAILER-DAEMON'], id='null-sender'),
    pytest.param({'sender': '^"odd local"@'}, ['"odd local"@testbed.example'], id='quoted-sender'),
    pytest.param({'sender': 'josé'}, ['josé@testbed.example'], id='utf8-sender'),
    pytest.param({'recipient': r'@remote-one\.example$'},
                 ['alice@testbed.example', 'bob@testbed.example', 'josé@testbed.example'], id='recipient-any'),
    pytest.param({'recipient': '^y@'}, ['bob@testbed.example'], id='recipient-second-of-two'),
    pytest.param({'site': 'Remote-One.Example'},
                 ['alice@testbed.example', 'bob@testbed.example', 'josé@testbed.example'], id='site'),
    pytest.param({'site': 'remote-two.example'}, ['bob@testbed.example'], id='site-second-recipient'),
    pytest.param({'site': 'one.example'}, [], id='site-is-the-whole-domain'),
    pytest.param({'site': '.example'}, sorted(QUEUE_OF), id='site-subdomains'),
    pytest.param({'delay_reason': 'connection refused'}, ['carol@testbed.example'], id='delay-reason'),
    pytest.param({'delay_reason': 'remote-two'}, ['bob@testbed.example'], id='delay-reason-second-recipient'),
    pytest.param({'delay_reason': '.*'},
                 sorted(set(QUEUE_OF) - {'dave@testbed.example', 'erin@testbed.example'}), id='never-tried-never-match'),
    pytest.param({'queues': ['hold', 'maildrop']}, ['bob@testbed.example', 'carol@testbed.example'], id='queues'),
    pytest.param({'queues': []}, [], id='queues-empty-selects-nothing'),
    pytest.param({'queue_ids': []}, [], id='queue-ids-empty-selects-nothing'),
    pytest.param({'queues': ['deferred'], 'recipient': 'remote-one', 'sender': '^j'}, ['josé@testbed.example'],
                 id='all-must-match'),
    pytest.param({'sender': 'nobody'}, [], id='no-match'),
])
def test_select(version, criteria, senders):
    assert selected_senders(version, **criteria) == senders


@pytest.mark.parametrize('version', VERSIONS)
def test_select_by_queue_ids(version):
    senders = by_sender(version)
    wanted = [senders['erin@testbed.example']['queue_id'], senders['bob@testbed.example']['queue_id']]
    assert selected_senders(version, queue_ids=wanted) == ['bob@testbed.example', 'erin@testbed.example']


@pytest.mark.parametrize('version', VERSIONS)
def test_select_by_age(version):
    senders = by_sender(version)
    now = senders['erin@testbed.example']['arrival_time'] + 5  # erin 5 s old, dave 8 s, the rest older
    assert selected_senders(version, now, newer_than='6s') == ['erin@testbed.example']
    assert selected_senders(version, now, older_than='7s') == sorted(set(QUEUE_OF) - {'erin@testbed.example'})
    assert selected_senders(version, now, older_than='7s', newer_than='9s') == ['dave@testbed.example']
    assert selected_senders(version, now, older_than='5s') == selected_senders(version, now, older_than='7s')  # strict
    assert selected_senders(version, now, newer_than='5s') == []  # strict
    assert selected_senders(version, now, newer_than='1d') == sorted(QUEUE_OF)
    assert selected_senders(version, now + 86400 * 3, older_than='2d') == sorted(QUEUE_OF)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('query, senders', [
    ('forced_expire', ['alice@testbed.example']),
    ('length(recipients) > `1`', ['bob@testbed.example', 'dave@testbed.example']),
    ("recipients[?ends_with(address, '@remote-two.example')]", ['bob@testbed.example']),
    ("queue_name == 'hold' || sender == 'MAILER-DAEMON'", ['MAILER-DAEMON', 'bob@testbed.example']),
    ('no_such_member', []),
])
def test_select_by_query(version, query, senders):
    pytest.importorskip('jmespath')
    assert selected_senders(version, query=query) == senders


def test_query_runtime_error_names_the_message():
    pytest.importorskip('jmespath')
    with pytest.raises(QueueError, match=r'query=length\(message_size\) failed on message 8C7791BA377'):
        selected_senders('3.7', query='length(message_size)')


@pytest.mark.parametrize('criteria, message', [
    ({'sender': '('}, r'sender=\( is not a valid regular expression'),
    ({'recipient': '[a-'}, r'recipient=\[a- is not a valid regular expression'),
    ({'delay_reason': '*x'}, r'delay_reason=\*x is not a valid regular expression'),
    ({'older_than': '3 days'}, 'older_than=3 days is not a duration'),
    ({'queues': ['deferred', 'bounce']}, 'queues: unknown queue name.s. bounce; the queues are maildrop, incoming'),
    ({'queue_ids': ['9946C1B63F2', 'ALL']}, "queue_ids: 'ALL' is not a Postfix queue ID"),
    ({'sender': ''}, 'sender is empty, which would select every message'),
    ({'recipient': '  '}, 'recipient is empty, which would select every message'),
    ({'delay_reason': ''}, 'delay_reason is empty, which would select every message'),
    ({'query': ' '}, 'query is empty'),
    ({'site': 'example.com; rm'}, "site: 'example.com; rm' is not a domain name"),
    ({'site': ''}, "site: '' is not a domain name"),
])
def test_selector_rejects(criteria, message):
    with pytest.raises(QueueError, match=message):
        Selector(**criteria)


def test_selector_rejects_bad_query():
    pytest.importorskip('jmespath')
    with pytest.raises(QueueError, match='query=length\\( is not a valid JMESPath expression'):
        Selector(query='length(')


def test_selector_names_what_was_given():
    assert Selector().given == []
    assert Selector(queues=[], sender='x', older_than='1h', newer_than=None).given == ['queues', 'sender', 'older_than']
    assert Selector(site='Example.COM.').given == ['site']
    with pytest.raises(TypeError, match='unknown selector.s.: domain'):
        Selector(domain='example.com')


# ---------------------------------------------------------------------------
# Summary

@pytest.mark.parametrize('version', VERSIONS)
def test_summarize_captured_queue(version):
    queue = records(version)
    senders = by_sender(version)
    now = senders['erin@testbed.example']['arrival_time'] + 100
    summary = summarize(queue, now, top=3)
    assert summary['messages'] == 8
    assert summary['bytes'] == sum(record['message_size'] for record in queue)
    assert summary['recipients'] == 10
    assert summary['forced_expire'] == 1
    assert {name: value['messages'] for name, value in summary['queues'].items()} == {
        'maildrop': 1, 'incoming': 2, 'active': 0, 'deferred': 4, 'hold': 1}
    assert summary['queues']['hold']['bytes'] == senders['bob@testbed.example']['message_size']
    oldest = min(queue, key=lambda record: record['arrival_time'])
    assert summary['oldest'] == {'queue_id': oldest['queue_id'], 'queue_name': oldest['queue_name'],
                                 'arrival_time': oldest['arrival_time'], 'age': now - oldest['arrival_time']}
    assert summary['top_recipient_domains'] == [
        {'domain': 'remote-one.example', 'messages': 3, 'recipients': 3},
        {'domain': 'remote-four.example', 'messages': 1, 'recipients': 2},
        {'domain': 'refused.example', 'messages': 1, 'recipients': 1},
    ]
    assert summary['top_senders'][0] == {'sender': '"odd local"@testbed.example', 'messages': 1}  # ties by name
    assert len(summary['top_senders']) == 3
    assert summary['top_delay_reasons'][0] == {
        'delay_reason': 'Host or domain name not found. Name service error for name=remote-one.example type=MX: '
                        'Host not found, try again', 'recipients': 3}


def test_summarize_empty_queue():
    summary = summarize([], 1000)
    assert summary['messages'] == 0
    assert summary['oldest'] is None
    assert summary['top_senders'] == []
    assert set(summary['queues']) == set(QUEUE_NAMES)


def test_summarize_counts_unknown_queue_names():
    record = parse_record('{"queue_name": "corrupt", "queue_id": "9946C1B63F2", "arrival_time": 10, '
                          '"message_size": 5, "sender": "a@b", "recipients": [{"address": "c@d"}]}')
    summary = summarize([record], 5)
    assert summary['queues']['corrupt'] == {'messages': 1, 'bytes': 5}
    assert summary['oldest']['age'] == 0  # a clock behind the arrival time is not a negative age


# ---------------------------------------------------------------------------
# What an action acts on

@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('action, senders', [
    ('delete', sorted(QUEUE_OF)),
    ('hold', sorted(sender for sender, queue in QUEUE_OF.items() if queue in ('incoming', 'deferred'))),
    ('release', ['bob@testbed.example']),
    ('requeue', sorted(sender for sender, queue in QUEUE_OF.items() if queue not in ('maildrop', 'hold'))),
    ('expire', sorted(sender for sender, queue in QUEUE_OF.items()
                      if queue != 'maildrop' and sender != 'alice@testbed.example')),
    ('flush', sorted(sender for sender, queue in QUEUE_OF.items() if queue == 'deferred')),
])
def test_acts_on(version, action, senders):
    assert sorted(record['sender'] for record in records(version) if acts_on(action, record)) == senders


@pytest.mark.parametrize('version', VERSIONS)
def test_scan_one_pass(version):
    queue = records(version)
    senders = by_sender(version)
    bob, alice = senders['bob@testbed.example']['queue_id'], senders['alice@testbed.example']['queue_id']
    selector = Selector(recipient='remote-one', queue_ids=[bob, alice, 'A1B2C3D4E5'])
    view = scan(iter(queue), selector, 0, action='hold', limit=1, top=2)
    assert view['summary'] == summarize(queue, 0, top=2)
    assert view['selected'] == 2
    assert view['messages'] == [next(record for record in queue if record['queue_id'] in (bob, alice))]
    assert view['targets'] == [alice]  # bob is on hold already
    assert view['not_found'] == ['A1B2C3D4E5']


def test_scan_list_has_no_targets():
    view = scan(records('3.7'), Selector(), 0, limit=0)
    assert view == dict(view, selected=8, messages=[], targets=[], not_found=[])


# ---------------------------------------------------------------------------
# The deadline on matching

def message(queue_id, sender, recipient='x@remote-one.example', reason=None):
    rcpt = {'address': recipient}
    if reason is not None:
        rcpt['delay_reason'] = reason
    return {'queue_name': 'deferred', 'queue_id': queue_id, 'arrival_time': 0, 'message_size': 300,
            'forced_expire': False, 'sender': sender, 'recipients': [rcpt]}


# (a+)+$ tries 2**34 ways to split 34 a's before it fails on the @: hours.
SLOW_SENDER = 'a' * 34 + '@testbed.example'


def timer_untouched():
    return signal.getsignal(signal.SIGALRM) is signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize('criteria, named', [
    ({'sender': '(a+)+$'}, 'sender=(a+)+$'),
    ({'sender': '^a', 'recipient': '(a|a)+$'}, 'recipient=(a|a)+$'),
    ({'delay_reason': '(a+)+b'}, 'delay_reason=(a+)+b'),
])
def test_the_deadline_stops_a_catastrophic_pattern_and_names_it(criteria, named):
    assert timer_untouched()
    queue = [message('1A2B3C4D5E', 'alice@testbed.example'),
             message('4F1A2B3C4D', SLOW_SENDER, recipient=SLOW_SENDER, reason='a' * 34)]
    start = time.monotonic()
    with pytest.raises(MatchTimeout) as error:
        scan(iter(queue), Selector(**criteria), 0, action='delete', match_timeout=0.2)
    assert time.monotonic() - start < 5  # without the deadline: hours
    assert str(error.value).startswith('%s: matching took longer than match_timeout=0.2s and was stopped at message '
                                       '4F1A2B3C4D; nothing was changed. A pattern with a repetition inside a '
                                       'repetition' % named)
    assert 'Use a simpler pattern' in str(error.value)
    assert timer_untouched()  # the signal handler and the timer are put back


def test_the_deadline_counts_matching_time_not_reading_time():
    def slow_listing():
        for number in range(5):
            time.sleep(0.1)  # postqueue taking its time: 0.5 s in all
            yield message('1A2B3C4D%02X' % number, 'spam@testbed.example')

    view = scan(slow_listing(), Selector(sender='^spam@'), 0, action='delete', match_timeout=0.2)
    assert view['selected'] == 5
    assert timer_untouched()


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('criteria', [
    {'sender': 'testbed'},
    {'recipient': 'remote-one', 'queue_ids': ['A1B2C3D4E5']},
    {'delay_reason': 'connection refused', 'older_than': '1s'},
    {'queues': ['deferred']},
    {},
])
def test_the_deadline_leaves_the_selection_as_it_was(version, criteria):
    untimed = scan(iter(records(version)), Selector(**criteria), 2 ** 31, action='hold', limit=3, top=2)
    timed = scan(iter(records(version)), Selector(**criteria), 2 ** 31, action='hold', limit=3, top=2,
                 match_timeout=10)
    assert timed == untimed
    assert timer_untouched()


def test_no_timer_without_patterns():
    handlers = []

    def listing():
        for record in records('3.7'):
            handlers.append(signal.getsignal(signal.SIGALRM))
            yield record

    scan(listing(), Selector(queues=['deferred'], older_than='1s'), 2 ** 31, match_timeout=10)
    assert set(handlers) == {signal.SIG_DFL}
    scan(listing(), Selector(sender='x'), 2 ** 31, match_timeout=10)
    assert handlers[-1] is not signal.SIG_DFL


# ---------------------------------------------------------------------------
# postsuper's report

@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('action, name, sender, count', [
    ('hold', 'queue-postsuper-hold.txt', 'dave@testbed.example', 1),
    ('release', 'queue-postsuper-release.txt', 'dave@testbed.example', 1),
    ('requeue', 'queue-postsuper-requeue.txt', 'dave@testbed.example', 1),
    ('delete', 'queue-postsuper-delete.txt', 'MAILER-DAEMON', 1),
])
def test_parse_postsuper_report(version, action, name, sender, count):
    report = parse_postsuper_report(fixture_text(version, name).splitlines(), action)
    assert report == {'count': count, 'queue_ids': [by_sender(version)[sender]['queue_id']], 'warnings': []}


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_postsuper_report_expire(version):
    senders = by_sender(version)
    report = parse_postsuper_report(fixture_text(version, 'queue-postsuper-expire.txt').splitlines(), 'expire')
    assert report['count'] == 2
    assert report['queue_ids'] == [senders['dave@testbed.example']['queue_id'], senders['erin@testbed.example']['queue_id']]


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_postsuper_report_nothing_done(version):
    report = parse_postsuper_report(fixture_text(version, 'queue-postsuper-hold-none.txt').splitlines(), 'hold')
    assert report == {'count': 0, 'queue_ids': [], 'warnings': []}
    report = parse_postsuper_report(fixture_text(version, 'queue-postsuper-delete-invalid.txt').splitlines(), 'delete')
    assert report == {'count': 0, 'queue_ids': [], 'warnings': ['invalid mail queue id: no/such']}


def test_parse_postsuper_report_counts_named_messages_without_a_total():
    lines = ['postsuper: 9946C1B63F2: removed\n', 'postsuper: 99C261B63F4: removed\n']
    assert parse_postsuper_report(lines, 'delete') == {'count': 2, 'queue_ids': ['9946C1B63F2', '99C261B63F4'],
                                                       'warnings': []}


def test_parse_postsuper_report_trusts_the_total_of_its_own_action():
    lines = ['postsuper: 9946C1B63F2: released from hold', 'postsuper: Released from hold: 1 message',
             'postsuper: 99C261B63F4: placed on hold', 'postsuper: Placed on hold: 7 messages']
    assert parse_postsuper_report(lines, 'hold') == {'count': 7, 'queue_ids': ['99C261B63F4'], 'warnings': []}


def test_every_postsuper_action_has_its_words():
    for name, spec in ACTIONS.items():
        assert spec.name == name
        assert set(spec.queues) <= set(QUEUE_NAMES)
        if name != 'flush':
            assert spec.postsuper_option and spec.done_word and spec.total_label


# ---------------------------------------------------------------------------
# flush(8) client

def test_attributes_round_trip():
    data = encode_attributes([('request', 'send_file'), ('queue_id', '9946C1B63F2')])
    assert data == b'request\x00send_file\x00queue_id\x009946C1B63F2\x00\x00'
    assert decode_attributes(b'protocol\x00queue_flush_protocol\x00\x00' + data) == [
        {'protocol': 'queue_flush_protocol'}, {'request': 'send_file', 'queue_id': '9946C1B63F2'}]


@pytest.mark.parametrize('data, groups', [
    (b'', []),
    (b'status\x000', []),
    (b'status\x000\x00', []),
    (b'status\x000\x00\x00', [{'status': '0'}]),
    (b'status\x000\x00\x00status', [{'status': '0'}]),
])
def test_decode_attributes_waits_for_complete_groups(data, groups):
    assert decode_attributes(data) == groups


def test_flush_socket_path():
    assert flush_socket_path('/var/spool/postfix\nflush\n') == '/var/spool/postfix/public/flush'


class FakeFlushServer:
    """flush(8) on a temporary UNIX socket: announces itself, reads one request, answers ``status``."""

    def __init__(self, status=b'0', protocol=b'queue_flush_protocol'):
        self.directory = tempfile.mkdtemp()
        self.path = os.path.join(self.directory, 'flush')
        self.requests = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(5)
        self.status, self.protocol = status, protocol
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, dummy = self.listener.accept()
            except OSError:
                return
            with conn:
                try:
                    self.answer(conn)
                except OSError:  # the client hung up first
                    pass

    def answer(self, conn):
        conn.sendall(b'protocol\x00' + self.protocol + b'\x00\x00')
        data = b''
        while not decode_attributes(data):
            chunk = conn.recv(10)
            if not chunk:
                return
            data += chunk
        self.requests.append(decode_attributes(data)[0])
        for byte in b'status\x00' + self.status + b'\x00\x00':  # byte by byte: the client must cope with pieces
            conn.send(bytes([byte]))

    def close(self):
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes up accept()
        self.listener.close()
        os.unlink(self.path)
        os.rmdir(self.directory)


@pytest.fixture
def flush_server(request):
    server = FakeFlushServer(**getattr(request, 'param', {}))
    yield server
    server.close()


def test_flush_client_sends_what_postqueue_i_sends(flush_server):
    client = FlushClient(flush_server.path, timeout=5)
    client.send_file('9946C1B63F2')
    client.send_file('4jYx2Z49j6zFdNh')
    assert flush_server.requests == [{'request': 'send_file', 'queue_id': '9946C1B63F2'},
                                     {'request': 'send_file', 'queue_id': '4jYx2Z49j6zFdNh'}]


@pytest.mark.parametrize('flush_server', [{'status': b'3'}], indirect=True)
def test_flush_client_reports_a_refusal(flush_server):
    with pytest.raises(PostfixCommandError, match=r'flush\(8\) answered 3 \(invalid parameter\) to send_file 9946C1B63F2'):
        FlushClient(flush_server.path, timeout=5).send_file('9946C1B63F2')


@pytest.mark.parametrize('flush_server', [{'protocol': b'showq_protocol'}], indirect=True)
def test_flush_client_checks_whom_it_talks_to(flush_server):
    with pytest.raises(PostfixCommandError, match='is not flush.8.: it speaks showq_protocol'):
        FlushClient(flush_server.path, timeout=5).send_file('9946C1B63F2')


def test_flush_client_says_when_postfix_is_down():
    with pytest.raises(PostfixCommandError, match=r'cannot request delivery of 9946C1B63F2 from flush\(8\) at '
                                                  r'/nonexistent/public/flush: .*is Postfix running'):
        FlushClient('/nonexistent/public/flush', timeout=1).send_file('9946C1B63F2')


# ---------------------------------------------------------------------------
# PostfixRunner.stream_lines, on a stand-in tool

FAKE_TOOL = r'''
import sys
flag = sys.argv[3]
if flag == '-j':
    for number in range(int(sys.argv[4])):
        print('{"line": %d}' % number)
    sys.stderr.write('postqueue: warning: Mail system is down -- accessing queue directly\n')
elif flag == '-d':
    count = 0
    for line in sys.stdin:
        sys.stderr.write('postsuper: %s: removed\n' % line.strip())
        sys.stderr.flush()  # one report per ID as it reads them, like postsuper
        count += 1
    sys.stderr.write('postsuper: Deleted: %d messages\n' % count)
else:
    sys.stderr.write('postqueue: fatal: usage: postqueue -f | postqueue -i queueid\n')
    sys.exit(64)
'''


class FakeModule:
    def __init__(self, path):
        self.path = path

    def get_bin_path(self, tool, opt_dirs=None):
        return self.path


@pytest.fixture
def runner(tmp_path):
    tool = tmp_path / 'tool'
    tool.write_text('#!%s\n%s' % (sys.executable, FAKE_TOOL))
    tool.chmod(0o755)
    return PostfixRunner(FakeModule(str(tool)), '/etc/postfix')


def test_stream_lines_yields_stdout_lines(runner):
    assert list(runner.stream_lines('postqueue', ['json'], ['3'])) == ['{"line": 0}', '{"line": 1}', '{"line": 2}']


def test_stream_lines_feeds_stdin_and_reads_stderr_without_deadlock(runner):
    # Far more than a pipe holds in both directions: with run_command() both sides would block.
    ids = ['%011X' % number for number in range(200000)]
    lines = runner.stream_lines('postsuper', ['delete'], ['-'], input_lines=ids, from_stderr=True)
    report = parse_postsuper_report(lines, 'delete')
    assert report['count'] == 200000
    assert report['queue_ids'][:2] == ids[:2]


def test_stream_lines_reports_failure_after_the_last_line(runner):
    with pytest.raises(PostfixCommandError, match=r'tool -c /etc/postfix -f failed \(rc=64\): postqueue: fatal: usage'):
        list(runner.stream_lines('postqueue', ['flush']))


def test_stream_lines_caller_may_stop_early(runner):
    lines = runner.stream_lines('postqueue', ['json'], ['1000000'])
    assert next(lines) == '{"line": 0}'
    lines.close()  # the tool gets EPIPE; that is not an error


@pytest.mark.parametrize('domain, site', [
    ('example.com', 'example.com'), ('EXAMPLE.com', 'example.com'), ('.example.com', '.example.com'),
    ('a-b.example', 'a-b.example'), ('[192.0.2.1]', '[192.0.2.1]'), ('example.com.', 'example.com'),
])
def test_check_site_accepts(domain, site):
    assert check_site(domain) == site


@pytest.mark.parametrize('domain', ['', 'exa mple.com', 'example.com\nevil retry:', '-bad.example', 'a..b',
                                    'user@example.com', 'x' * 64 + '.com', None, 'example.com retry:4.4.1'])
def test_check_site_refuses(domain):
    with pytest.raises(QueueError, match='suspend: .* is not a domain name'):
        check_site(domain, 'suspend')


@pytest.mark.parametrize('domain, sites, expected', [
    ('example.com', ('example.com',), True),
    ('mx.example.com', ('example.com',), False),
    ('mx.example.com', ('.example.com',), True),
    ('example.com', ('.example.com',), False),
    ('badexample.com', ('.example.com',), False),
    ('other.example', ('example.com', 'other.example'), True),
])
def test_at_site(domain, sites, expected):
    assert at_site(domain, sites) is expected
