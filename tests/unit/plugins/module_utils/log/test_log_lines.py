# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the mail log parser, on lines captured from Postfix 3.7 and 3.10 (fixtures/log/capture.sh),
their syslog and journal forms, and hand-made lines for what the test bed cannot produce."""

from __future__ import annotations

import calendar
import collections
import os

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.log import lines as log_lines
from ansible_collections.mailops.postfix.plugins.module_utils.log import report as log_report
from ansible_collections.mailops.postfix.plugins.module_utils.log import stats as log_stats

LOGS = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'log')
# The captures were made on 2 December 2026 (UTC); syslog stamps take their year from a reference after them.
REFERENCE = calendar.timegm((2026, 12, 3, 0, 0, 0))
FORMATS = {'3.7': ('log', 'syslog'), '3.10': ('log', 'syslog', 'rfc3339', 'journal')}


def log_text(name):
    with open(os.path.join(LOGS, name), encoding='utf-8') as handle:
        return handle.read()


def parsed(version, kind='log'):
    return [log_lines.parse_line(line, REFERENCE) for line in log_text('postfix-%s.%s' % (version, kind)).splitlines()]


def find(version, text, kind='log'):
    """The parse of the one captured line that contains ``text``."""
    lines = [line for line in log_text('postfix-%s.%s' % (version, kind)).splitlines() if text in line]
    assert len(lines) == 1, lines
    return log_lines.parse_line(lines[0], REFERENCE)


# ---------------------------------------------------------------------------
# Time stamps

@pytest.mark.parametrize('stamp', [
    'Dec 01 23:32:28',                   # postlogd (maillog_file)
    'Dec  1 23:32:28',                   # syslog, RSYSLOG_TraditionalFileFormat
    '2026-12-01T23:32:28.000000+00:00',  # syslog, RFC 3339
    '2026-12-01T23:32:28+0000',          # journalctl -o short-iso
    '2026-12-02T00:32:28+01:00',
    '2026-12-01T23:32:28Z',
    '2026-12-01T23:32:28',               # ISO without a zone: local time
])
def test_every_writer_s_time_stamp(stamp):
    line = ('%s mx postfix/master[171]: daemon started' % stamp).encode()
    assert log_lines.stamp_time(line, REFERENCE) == calendar.timegm((2026, 12, 1, 23, 32, 28))


def test_syslog_stamps_take_the_year_of_the_reference_or_the_one_before():
    new_year = calendar.timegm((2027, 1, 1, 0, 1, 0))
    assert log_lines.stamp_time(b'Dec 31 23:59:59 mx postfix/smtp[1]: x', new_year) == \
        calendar.timegm((2026, 12, 31, 23, 59, 59))
    assert log_lines.stamp_time(b'Jan  1 00:00:30 mx postfix/smtp[1]: x', new_year) == \
        calendar.timegm((2027, 1, 1, 0, 0, 30))


@pytest.mark.parametrize('line', [b'', b'# HAND-MADE lines', b'Foo 12 10:00:00 mx postfix/smtp[1]: x',
                                  b'postfix/smtp[1]: no stamp'])
def test_text_without_a_time_stamp(line):
    assert log_lines.stamp_time(line, REFERENCE) is None


def test_stamp_reader_remembers_the_last_second():
    reader = log_lines.StampReader(REFERENCE)
    first = reader(b'Dec 02 00:04:51 mx postfix/smtpd[336]: connect from localhost[127.0.0.1]')
    assert reader(b'Dec 02 00:04:51 mx postfix/smtpd[336]: lost connection') == first
    assert reader(b'Dec 02 00:04:52 mx postfix/smtpd[336]: disconnect') == first + 1


# ---------------------------------------------------------------------------
# The captured lines

@pytest.mark.parametrize('version', FORMATS)
def test_every_kind_of_line_is_in_the_captures(version):
    kinds = collections.Counter(line['kind'] for line in parsed(version))
    assert {'delivery', 'expired', 'queued', 'removed', 'reject', 'tls', 'received', 'connect', None} == set(kinds)
    transports = {line['transport'] for line in parsed(version) if line['kind'] == 'delivery'}
    assert transports == {'smtp', 'lmtp', 'local', 'virtual', 'pipe', 'error', 'discard', 'relay', 'smtp-trusted',
                          'smtp-verified'}
    statuses = {line['status'] for line in parsed(version) if line['kind'] in ('delivery', 'expired')}
    assert statuses == {'sent', 'deferred', 'bounced', 'expired', 'force-expired'}


@pytest.mark.parametrize('version', FORMATS)
@pytest.mark.parametrize('text, expected', [
    # the pipe transport, after a retry (see test_whole_seconds)
    ('to=<now@later.example>, relay=devnull', {'status': 'sent', 'transport': 'pipe', 'relay': 'devnull',
                                               'domain': 'later.example'}),
    # an IPv6 relay
    ('to=<d@ipv6.example>, relay=::1[::1]', {'status': 'sent', 'transport': 'smtp', 'relay': '::1'}),
    # lmtp over a UNIX socket and over TCP, with a bounce and a deferral from the server
    ('to=<ok@lmtpunix.example>', {'transport': 'lmtp', 'relay': 'mx.testbed.example', 'status': 'sent'}),
    ('to=<nouser@lmtp.example>', {'transport': 'lmtp', 'relay': '127.0.0.1', 'status': 'bounced',
                                  'reason': 'host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <nouser@lmtp.example> User '
                                            'unknown (in reply to RCPT TO command)'}),
    ('to=<busy@lmtp.example>, relay=127.0.0.1', {'status': 'deferred', 'transport': 'lmtp'}),
    # a pipe command that exits with EX_TEMPFAIL, and one that fails
    ('to=<q@tempfail.example>, relay=tempfail', {'transport': 'pipe', 'status': 'deferred',
                                                 'reason': 'temporary failure'}),
    ('to=<r@failpipe.example>', {'status': 'bounced', 'reason': 'Command died with status 1: "/bin/false"'}),
    # the Debian relay service logs as postfix/relay/smtp; syslog_name=postfix/smtp-trusted as postfix/smtp-trusted/smtp
    ('to=<a@relayed.example>, relay=127', {'program': 'postfix/relay/smtp', 'transport': 'relay'}),
    ('to=<c@verified.example>, relay=relay', {'transport': 'smtp-verified', 'relay': 'relay.testbed.example'}),
    # retry(8) runs the error daemon; local(8) forwarding
    ('to=<s@suspended.example>, relay=none, delay=0', {'transport': 'error', 'status': 'deferred',
                                                       'reason': 'Delivery suspended by the test bed'}),
    ('to=<fwd@testbed.example>, relay=local', {'transport': 'local', 'status': 'sent', 'relay': 'local'}),
    ('to=<alice@mx.testbed.example>, orig_to=<team@testbed.example>', {'domain': 'mx.testbed.example'}),
])
def test_deliveries(version, text, expected):
    line = find(version, text)
    assert line['kind'] == 'delivery'
    assert {name: line[name] for name in expected} == expected


@pytest.mark.parametrize('version', FORMATS)
def test_whole_seconds(version):
    line = find(version, 'to=<now@later.example>, relay=devnull')
    assert line['delay'].isdigit() and line['before_qmgr'].isdigit() and int(line['delay']) >= 12


@pytest.mark.parametrize('version', FORMATS)
def test_deferral_without_a_connection(version):
    lines = [line for line in parsed(version) if line['kind'] == 'delivery' and line['reason']
             and line['reason'].startswith('delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:2527')]
    assert lines and {(line['transport'], line['relay'], line['status']) for line in lines} == \
        {('error', 'none', 'deferred')}


@pytest.mark.parametrize('version', FORMATS)
def test_expired_and_force_expired(version):
    statuses = collections.Counter(line['status'] for line in parsed(version) if line['kind'] == 'expired')
    assert statuses['force-expired'] == 2
    assert statuses['expired'] >= 5


@pytest.mark.parametrize('version', FORMATS)
def test_tls_lines(version):
    tls = [line for line in parsed(version) if line['kind'] == 'tls']
    levels = collections.Counter((line['direction'], line['level']) for line in tls)
    assert {('from', 'Anonymous'), ('to', 'Untrusted'), ('to', 'Trusted'), ('to', 'Verified')} == set(levels)
    assert {line['protocol'] for line in tls} == {'TLSv1.3'}
    assert {line['key_exchange'] for line in tls} == {'X25519' if version == '3.7' else 'x25519'}
    submission = [line for line in tls if line['program'] == 'postfix/submission/smtpd']
    assert [line['level'] for line in submission] == ['Anonymous']


@pytest.mark.parametrize('version', FORMATS)
def test_submission_smtps_and_pickup_are_received_mail(version):
    received = [line['program'] for line in parsed(version) if line['kind'] == 'received']
    assert {'postfix/smtpd', 'postfix/submission/smtpd', 'postfix/smtps/smtpd', 'postfix/relayin/smtpd',
            'postfix/strict/smtpd', 'postfix/pickup'} == set(received)


@pytest.mark.parametrize('version', FORMATS)
@pytest.mark.parametrize('text, action, stage, restriction', [
    ('<bogus>: Helo command rejected', 'reject', 'RCPT', 'reject_non_fqdn_helo_hostname'),
    ('<bad_helo!>', 'reject', 'RCPT', 'reject_invalid_helo_hostname'),
    ('Sender address rejected: Go away', 'reject', 'RCPT', 'check_sender_access'),
    ('<bob>: Sender address rejected', 'reject', 'RCPT', 'reject_non_fqdn_sender'),
    ('<x@nodns.example>: Sender address rejected', 'reject', 'RCPT', 'reject_unknown_sender_domain'),
    ('Relay access denied', 'reject', 'RCPT', 'reject_unauth_destination'),
    ('<nosuch@testbed.example>: Recipient address rejected', 'reject', 'RCPT',
     'reject_unlisted_recipient (local_recipient_maps)'),
    ('User unknown in virtual mailbox table', 'reject', 'RCPT', 'reject_unlisted_recipient (virtual_mailbox_maps)'),
    ('try later', 'reject', 'RCPT', 'check_recipient_access'),
    ('NOQUEUE: reject_warning', 'reject_warning', 'RCPT', 'reject_non_fqdn_recipient'),
    ('NOQUEUE: discard', 'discard', 'RCPT', 'check_recipient_access'),
    ('Message size exceeds fixed limit', 'reject', 'MAIL', 'message_size_limit'),
    ('reject: header Subject: reject me', 'reject', 'header', 'header_checks'),
    ('Greylisted;', 'reject', 'RCPT', 'check_recipient_access'),
    ('NOQUEUE: hold', 'hold', 'RCPT', 'check_recipient_access'),
])
def test_rejects(version, text, action, stage, restriction):
    line = find(version, text)
    assert (line['kind'], line['action'], line['stage']) == ('reject', action, stage)
    assert log_lines.restriction_of(line['reply'].encode(), line['stage'].encode()) == restriction


def test_the_relay_smtpd_logs_with_its_own_host_name():
    line = find('3.10', 'Greylisted;')
    assert (line['host'], line['program'], line['reply']) == \
        ('relay', 'postfix/relayin/smtpd', '450 4.7.1 <greylist@tls.example>: Recipient address rejected: Greylisted')


@pytest.mark.parametrize('version', FORMATS)
def test_syslog_and_journal_lines_read_as_postlogd_lines(version):
    postlogd = parsed(version)
    for kind in FORMATS[version][1:]:
        other = parsed(version, kind)
        assert [dict(line, time=None) for line in other] == [dict(line, time=None) for line in postlogd]
        assert [line['time'] for line in other] == [line['time'] for line in postlogd]


# ---------------------------------------------------------------------------
# Hand-made lines

def hand_made(text):
    lines = [line for line in log_text('hand-made.log').splitlines() if text in line and not line.startswith('#')]
    assert len(lines) == 1
    return log_lines.parse_line(lines[0], REFERENCE)


@pytest.mark.parametrize('text, expected', [
    ('to=<old@example.net>', {'status': 'deferred', 'delay': '3', 'before_qmgr': None, 'transmission': None}),
    ('to=<bob@Example.NET>', {'relay': 'mx.example.net', 'domain': 'Example.NET', 'delay': '12', 'before_qmgr': '11'}),
    ('postfix-out/smtp', {'transport': 'smtp', 'relay': 'mx2.example.org'}),
    ('status=deliverable', {'status': 'deliverable', 'reason': '250 2.1.5 Ok'}),
    ('status=SOFTBOUNCE', {'status': 'SOFTBOUNCE', 'transport': 'local'}),
])
def test_hand_made_deliveries(text, expected):
    line = hand_made(text)
    assert {name: line[name] for name in expected} == expected


@pytest.mark.parametrize('text, stage, restriction, normalised', [
    ('postscreen', 'RCPT', 'reject_rbl_client',
     '550 5.7.1 Service unavailable; client HOST blocked using zen.spamhaus.org'),
    ('https://www.spamhaus.org', 'RCPT', 'reject_rbl_client', '554 5.7.1 Service unavailable; Client host HOST '
                                                              'blocked using zen.spamhaus.org; URL'),
    ('cannot find your hostname', 'RCPT', 'reject_unknown_client_hostname',
     '450 4.7.25 Client host rejected: cannot find your hostname, HOST'),
    ('CONNECT from', 'CONNECT', 'check_client_access', '554 5.7.1 ADDRESS: Client host rejected: Access denied'),
    ('cleanup[2011]: 6A7B8C9D0E: milter-reject', 'END-OF-MESSAGE', 'milter', '5.7.1 Spam message rejected'),
])
def test_hand_made_rejects(text, stage, restriction, normalised):
    line = hand_made(text)
    assert line['stage'] == stage
    assert log_lines.restriction_of(line['reply'].encode(), stage.encode()) == restriction
    assert log_lines.normalise(line['reply'].encode()).decode() == normalised


def test_tls_1_2_without_key_exchange():
    line = hand_made('TLSv1.2')
    assert (line['level'], line['direction'], line['protocol'], line['key_exchange']) == \
        ('Untrusted', 'to', 'TLSv1.2', None)


@pytest.mark.parametrize('text, normalised', [
    (b'host mx1.example.net[192.0.2.1] said: 450 4.2.1 <bob@example.net>: try again in 300 seconds (in reply to RCPT '
     b'TO command)', b'host HOST said: 450 4.2.1 ADDRESS: try again in N seconds (in reply to RCPT TO command)'),
    (b'connect to mx.example.net[2001:db8::25]:25: Connection timed out', b'connect to HOST: Connection timed out'),
    (b'Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again',
     b'Host or domain name not found. Name service error for name=DOMAIN type=MX: Host not found, try again'),
    (b'host gmail-smtp-in.l.google.com[142.250.1.27] said: 550-5.1.1 The email account does not exist. '
     b'a640c23a62f3a-ab7f1c4d2e0si12345 - gsmtp (in reply to RCPT TO command)',
     b'host HOST said: 550-5.1.1 The email account does not exist. N - gsmtp (in reply to RCPT TO command)'),
    (b'unknown user: "user193"', b'unknown user: "N"'),
    (b'delivery temporarily suspended: lost connection with mx.example.net[192.0.2.1] while sending RCPT TO',
     b'delivery temporarily suspended: lost connection with HOST while sending RCPT TO'),
])
def test_normalised_reasons(text, normalised):
    assert log_lines.normalise(text) == normalised
    # The key postfix_log remembers a normalised text by gives the same.
    assert log_lines.normalise(log_lines.tokenless(text)) == normalised


@pytest.mark.parametrize('text, tokenless', [
    # Gmail's IDs and queue IDs are tokens; reply codes, enhanced status codes and what follows a reply code are not.
    (b'host h[0] said: 550-5.1.1 The email account does not exist. a640c23a62f3a-ab7f1c4d2e0si12345 - gsmtp',
     b'host h[0] said: 550-5.1.1 The email account does not exist. N - gsmtp'),
    (b'host h[0] said: 421 4.7.0 Try again later, closing connection. (EHLO) 969bf839c2 - gsmtp',
     b'host h[0] said: 421 4.7.0 Try again later, closing connection. (EHLO) N - gsmtp'),
    (b'host h[0] said: 250 2.0.0 Ok: queued as 4Zx1yQ2abc', b'host h[0] said: 250 2.0.0 Ok: queued as N'),
    (b'said: 450 4.2.1xyz9 later', b'said: 450 4.2.1xyz9 later'),
    (b'error 12 at -ab12 and x1, 1234', b'error 12 at -ab12 and x1, N'),
])
def test_tokenless(text, tokenless):
    assert log_lines.tokenless(text) == tokenless
    assert log_lines.normalise(tokenless) == log_lines.normalise(text)


# ---------------------------------------------------------------------------
# log_stats reads a file as parse_line() reads its lines

def reference_report(lines):
    """What postfix_log reports, counted line by line from parse_line() (the oracle of LogStats): messages that
    arrived (client=, pickup) are sized by their first qmgr line; each sent delivery gets its message's size; a
    message counts as deferred once until it is removed."""
    counts, hours = collections.Counter(), collections.defaultdict(collections.Counter)
    arrived, sizes, deferred, senders, recipients = {}, {}, set(), collections.Counter(), collections.Counter()
    bytes_received = bytes_delivered = deferred_messages = 0
    for line in lines:
        hour = line['time'] // 3600 * 3600 if line['time'] is not None else None
        kind = line['kind']
        if kind == 'received':
            arrived[line['qid']] = line['client']
            hours[hour]['received'] += 1
        elif kind == 'queued' and line['qid'] not in sizes:
            sizes[line['qid']] = line['size']
            if arrived.pop(line['qid'], None) is not None:
                bytes_received += line['size']
                senders[log_lines.sender_key(line['sender'].encode()).decode()] += 1
        elif kind == 'removed':
            sizes.pop(line['qid'], None)
            deferred.discard(line['qid'])
        elif kind == 'delivery':
            counts[line['status']] += 1
            if line['status'] == 'sent' and not line['forwarded']:
                hours[hour]['delivered'] += 1
                recipients[log_lines.sender_key(line['recipient'].encode()).decode()] += 1
                bytes_delivered += sizes.get(line['qid'], 0)
            elif line['status'] in ('deferred', 'bounced'):
                hours[hour][line['status']] += 1
            if line['status'] == 'deferred' and line['qid'] not in deferred:
                deferred.add(line['qid'])
                deferred_messages += 1
        elif kind == 'reject' and line['action'] in ('reject', 'milter-reject'):
            hours[hour]['rejected'] += 1
        counts[kind] += 1
    return {'counts': counts, 'hours': {hour: dict(table) for hour, table in hours.items() if hour is not None},
            'bytes': {'received': bytes_received, 'delivered': bytes_delivered}, 'senders': senders,
            'recipients': recipients, 'deferred_messages': deferred_messages}


@pytest.mark.parametrize('name', ['postfix-3.7.log', 'postfix-3.10.log', 'postfix-3.10.rfc3339', 'hand-made.log'])
def test_log_stats_counts_a_file_as_parse_line_reads_its_lines(name):
    text = log_text(name)
    stats = log_stats.LogStats()
    stats.read(text.encode(), log_lines.StampReader(REFERENCE))
    summary = log_report.report(stats.to_raw(), top=1000)
    lines = [log_lines.parse_line(line, REFERENCE) for line in text.splitlines()]
    expected = reference_report(lines)
    kinds = expected['counts']
    assert summary['lines'] == len(lines)
    for status in ('sent', 'deferred', 'bounced'):
        assert summary['counts'][status] == kinds[status]
    assert summary['counts']['expired'] == kinds['expired']
    assert summary['rejects']['total'] == kinds['reject']
    assert sum(summary['tls'][direction]['established'] for direction in ('inbound', 'outbound')) == kinds['tls']
    assert summary['counts']['received'] == kinds['received']
    assert summary['tls']['inbound']['connections'] == kinds['connect']
    assert summary['bytes'] == expected['bytes']
    assert summary['counts']['deferred_messages'] == expected['deferred_messages']
    assert {item['address']: item['count'] for item in summary['senders']['by_count']} == dict(expected['senders'])
    assert {item['address']: item['count'] for item in summary['recipients']['by_count']} == \
        dict(expected['recipients'])
    hours = {log_lines.stamp_time(item['hour'].encode() + b' ', REFERENCE): item
             for item in summary['traffic']['hours']}
    assert set(hours) == set(expected['hours'])
    for hour, table in expected['hours'].items():
        for field in ('received', 'delivered', 'deferred', 'bounced', 'rejected'):
            assert hours[hour][field] == table.get(field, 0), (hour, field)
    if name.startswith('postfix-'):
        assert summary['bytes']['received'] > 0 and summary['bytes']['delivered'] > 0
        assert kinds['skipped'] == 0 and summary['skipped_lines']['count'] == 0


def test_warnings_fatal_errors_and_panics_by_daemon():
    stats = log_stats.LogStats()
    stats.read(log_text('hand-made.log').encode(), log_lines.StampReader(REFERENCE))
    problems = log_report.report(stats.to_raw())['problems']
    assert problems['warning'] == {'count': 2, 'by_daemon': [
        {'daemon': 'smtpd', 'count': 2, 'messages': [
            {'message': 'hostname mail.example.biz does not resolve to address N Name or service not known',
             'count': 1},
            {'message': 'non-SMTP command from HOST: GET / HTTP/N', 'count': 1}]}]}
    assert problems['fatal']['by_daemon'][0]['daemon'] == 'trivial-rewrite'
    assert problems['panic']['by_daemon'] == [{'daemon': 'qmgr', 'count': 1, 'messages': [
        {'message': 'myfree: corrupt or unallocated memory block', 'count': 1}]}]


def test_rejects_by_client_and_sender():
    stats = log_stats.LogStats()
    stats.read(log_text('hand-made.log').encode(), log_lines.StampReader(REFERENCE))
    rejects = log_report.report(stats.to_raw())['rejects']
    clients = {item['client']: item['count'] for item in rejects['by_client']}
    assert clients['[203.0.113.17]'] == 1 and clients['[203.0.113.9]'] == 1  # unknown[...] and postscreen's
    senders = {item['sender']: item['count'] for item in rejects['by_sender']}
    assert senders['spam@example.biz'] == 4 and senders['grey@example.biz'] == 1
    assert rejects['error'] == 0
