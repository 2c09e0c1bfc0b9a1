# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the report structures of postfix_log: the log-bucket histogram and its error bound, the merge
(merging two raw forms gives the raw form of the union of their lines), the bounded tables and the report."""

from __future__ import annotations

import calendar
import collections
import json
import math
import os
import random

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.log import files as log_files
from ansible_collections.mailops.postfix.plugins.module_utils.log import lines as log_lines
from ansible_collections.mailops.postfix.plugins.module_utils.log import report as log_report
from ansible_collections.mailops.postfix.plugins.module_utils.log import stats as log_stats

LOGS = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'log')
REFERENCE = calendar.timegm((2026, 12, 3, 0, 0, 0))


def log_bytes(name):
    with open(os.path.join(LOGS, name), 'rb') as handle:
        return handle.read()


def raw_of(*blocks, max_keys=log_stats.DEFAULT_MAX_KEYS):
    stats = log_stats.LogStats(max_keys)
    for block in blocks:
        stats.read(block, log_lines.StampReader(REFERENCE))
    return stats.to_raw()


def delivery_line(number, status, domain, relay, delays, reason='250 2.0.0 Ok', qid=None):
    """A delivery line as smtp(8) logs it; ``delays`` are the four stages as Postfix prints them."""
    total = sum(float(value) for value in delays)
    return ('Dec  1 10:%02d:%02d mx postfix/smtp[%d]: %010X: to=<user%d@%s>, relay=%s[192.0.2.%d]:25, delay=%s, '
            'delays=%s, dsn=2.0.0, status=%s (%s)\n' % (
                number // 60 % 60, number % 60, 1000 + number % 7, number if qid is None else qid, number, domain,
                relay, number % 250, postfix_delay(total), '/'.join(delays), status, reason)).encode()


def postfix_delay(seconds):
    """Two significant digits, at most two decimals, as Postfix logs delays."""
    if seconds >= 10:
        return '%d' % seconds
    if seconds >= 1:
        return ('%.1f' % seconds).rstrip('0').rstrip('.')
    return ('%.2f' % seconds).rstrip('0').rstrip('.') if seconds >= 0.005 else '0'


def random_lines(seed, count, domains=5):
    rng = random.Random(seed)
    lines = []
    for number in range(count):
        delays = [postfix_delay(rng.lognormvariate(-2, 1.5)), postfix_delay(rng.expovariate(50)),
                  postfix_delay(rng.lognormvariate(-1, 1)), postfix_delay(rng.lognormvariate(-1.5, 1.2))]
        status = rng.choice(['sent', 'sent', 'sent', 'deferred', 'bounced'])
        domain = 'domain%d.example' % rng.randrange(domains)
        reason = 'host mx.%s[192.0.2.%d] said: 450 4.2.1 try again in %d seconds' % (domain, number % 250, number)
        # Queue IDs of one seed are not another's (hosts have queue IDs of their own).
        lines.append(delivery_line(number, status, domain, 'mx.' + domain, delays,
                                   '250 2.0.0 Ok' if status == 'sent' else reason, qid=seed << 24 | number))
    return lines


def same_raw(left, right):
    """Equal raw forms, also after JSON (the way they travel between hosts). The top tables (Misra-Gries
    summaries) are equal within their error bounds: a count may be lower by at most the table's error."""
    left, right = json.loads(json.dumps(left)), json.loads(json.dumps(right))
    for name in log_stats.TOPS:
        mine, theirs = left['tops'].pop(name), right['tops'].pop(name)
        slack = mine['error'] + theirs['error']
        for key in set(mine['counts']) | set(theirs['counts']):
            assert abs(mine['counts'].get(key, 0) - theirs['counts'].get(key, 0)) <= slack, (name, key)
    assert left == right


# ---------------------------------------------------------------------------
# Delays at Postfix's resolution: two significant digits

def two_digit_values():
    """Every delay with two significant digits that Postfix can log below 100 s (delay_logging_resolution_limit
    up to 6): 0.00001 to 99, 630 values, as Postfix writes them (no trailing zeros)."""
    values = []
    for exponent in range(-6, 1):
        for mantissa in range(10, 100):
            text = '%.6f' % (mantissa * 10 ** exponent)
            values.append(text.rstrip('0').rstrip('.') if '.' in text else text)
    return values


def test_every_value_postfix_logs_below_100_s_is_its_own_key():
    values = two_digit_values()
    assert len(values) == 630 and '0.055' in values and '0.98' in values and '57' in values
    for text in values:
        micros = log_stats.delay_micros(text.encode())
        assert log_stats.key(micros) == micros
        assert log_stats.seconds(micros) == float(text)
    assert log_stats.key(log_stats.delay_micros(b'0.98')) != log_stats.key(log_stats.delay_micros(b'0.97'))


@pytest.mark.parametrize('text, seconds', [(b'1108', 1100.0), (b'1150', 1200.0), (b'99.5', 100.0), (b'149', 150.0),
                                           (b'0', 0.0), (b'0.0000001', 0.0), (b'432000', 430000.0), (b'12', 12.0)])
def test_longer_delays_are_rounded_half_up_to_two_significant_digits(text, seconds):
    assert log_stats.seconds(log_stats.key(log_stats.delay_micros(text))) == seconds


@pytest.mark.parametrize('seed', range(5))
def test_percentiles_are_the_exact_ones_at_two_significant_digits(seed):
    rng = random.Random(seed)
    values = [postfix_delay(rng.lognormvariate(0, 2)) for dummy in range(5000)] + ['0'] * 300 + ['1108', '3605']
    dist = log_stats.new_distribution()
    for text in values:
        micros = log_stats.delay_micros(text.encode())
        rounded = log_stats.key(micros)
        dist['values'][rounded] = dist['values'].get(rounded, 0) + 1
        dist['max'] = max(dist['max'], micros)
    ordered = sorted(float(text) for text in values)
    for fraction in (0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1):
        exact = ordered[int(fraction * (len(ordered) - 1))]
        reported = log_stats.seconds(log_stats.quantile(dist, fraction))
        assert reported == float('%.2g' % exact) if exact < 100 else abs(reported - exact) <= 0.05 * exact
        if exact < 100:
            assert reported == exact  # the value Postfix logged
    assert log_stats.quantile(log_stats.new_distribution(), 0.5) is None


# ---------------------------------------------------------------------------
# Merging

@pytest.mark.parametrize('seed', range(3))
def test_the_merge_of_two_is_the_histogram_of_the_union(seed):
    lines = random_lines(seed, 3000)
    random.Random(seed).shuffle(lines)
    cut = len(lines) // 3
    first, second = b''.join(lines[:cut]), b''.join(lines[cut:])
    merged = log_stats.merge(raw_of(first), raw_of(second))
    union = raw_of(first + second)
    merged['first'], merged['last'] = union['first'], union['last']  # the lines were shuffled: times are not in order
    same_raw(merged, union)


@pytest.mark.parametrize('name', ['postfix-3.7.log', 'postfix-3.10.log'])
def test_captured_logs_merge_exactly_block_by_block_and_piece_by_piece(name):
    data = log_bytes(name)
    whole = raw_of(data)
    same_raw(raw_of(data[:len(data) // 3 + 1], data[len(data) // 3 + 1:]), whole)
    for cuts in ([len(data) // 2], [len(data) // 4, len(data) // 2, len(data) * 3 // 4], list(range(0, len(data), 997))):
        bounds = [0] + [data.index(b'\n', cut) + 1 for cut in cuts] + [len(data)]
        # Pieces read by several processes, in any order, completed by stitch().
        readers = [log_stats.LogStats(), log_stats.LogStats()]
        for number, (low, high) in reversed(list(enumerate(zip(bounds, bounds[1:])))):
            reader = readers[number % 2]
            reader.begin_piece((0, low))
            reader.read(data[low:high], log_lines.StampReader(REFERENCE))
        carries = [piece for reader in readers for piece in reader.carries()]
        merged = log_stats.merge(*[reader.to_raw() for reader in readers], log_stats.stitch(carries))
        same_raw(merged, whole)
        if len(cuts) == 1:
            # Without stitch(), a message that crosses the cut is counted apart in each piece.
            apart = log_stats.merge(*[reader.to_raw() for reader in readers])
            assert apart['deferred_messages'] > whole['deferred_messages']
    both = log_stats.merge(raw_of(log_bytes('postfix-3.7.log')), raw_of(log_bytes('postfix-3.10.log')))
    assert both['lines'] == 469 + 473


@pytest.mark.parametrize('name', ['postfix-3.7.log', 'postfix-3.10.log'])
def test_pieces_read_line_by_line_stitch_as_one(name):
    """Pieces of many blocks (here a line each): what crosses a bound is completed whatever block of the piece
    it is in (a delivery long after its message was sized, a message deferred in both pieces)."""
    data = log_bytes(name)
    whole = raw_of(data)
    cut = data.index(b'\n', len(data) // 2) + 1
    readers = []
    for order, piece in enumerate((data[:cut], data[cut:])):
        reader = log_stats.LogStats()
        reader.begin_piece((0, order))
        for line in piece.splitlines(keepends=True):
            reader.read(line, log_lines.StampReader(REFERENCE))
        readers.append(reader)
    carries = [piece for reader in readers for piece in reader.carries()]
    same_raw(log_stats.merge(*[reader.to_raw() for reader in readers], log_stats.stitch(carries)), whole)


def test_merge_is_pure_and_takes_json():
    left, right = raw_of(log_bytes('postfix-3.7.log')), raw_of(log_bytes('postfix-3.10.log'))
    before = json.dumps([left, right], sort_keys=True)
    merged = log_stats.merge(json.loads(json.dumps(left)), json.loads(json.dumps(right)))
    assert json.dumps([left, right], sort_keys=True) == before
    same_raw(merged, log_stats.merge(left, right))
    assert log_stats.merge(left) == json.loads(json.dumps(left))


def test_merge_refuses_another_format():
    other = dict(raw_of(b''), format='mailops.postfix.postfix_log/1')
    with pytest.raises(log_stats.MergeError, match="format 'mailops.postfix.postfix_log/1'; this merge reads "):
        log_stats.merge(raw_of(b''), other)


def test_merge_of_nothing():
    assert log_stats.merge()['lines'] == 0


# ---------------------------------------------------------------------------
# Bounded memory: max_keys

def test_keys_beyond_max_keys_are_folded_into_other_with_exact_totals():
    data = b''.join(random_lines(7, 2000, domains=60))
    raw = raw_of(data, max_keys=10)
    for status, per_status in raw['deliveries'].items():
        for dimension in log_stats.DIMENSIONS:
            table = per_status[dimension]
            assert len(table) <= 10
            assert sum(group['count'] for group in table.values()) == per_status['all']['count']
        assert log_stats.OTHER in per_status['domain']
    whole = raw_of(data, max_keys=100)
    assert {status: per_status['all'] for status, per_status in raw['deliveries'].items()} == \
        {status: per_status['all'] for status, per_status in whole['deliveries'].items()}


def test_merged_hosts_keep_max_keys():
    left = raw_of(b''.join(random_lines(1, 500, domains=8)), max_keys=8)
    right = raw_of(b''.join(random_lines(2, 500, domains=8)).replace(b'domain', b'other'), max_keys=8)
    merged = log_stats.merge(left, right)
    assert len(merged['deliveries']['sent']['domain']) == 8
    assert merged['deliveries']['sent']['all']['count'] == \
        left['deliveries']['sent']['all']['count'] + right['deliveries']['sent']['all']['count']


# ---------------------------------------------------------------------------
# The report

def test_report_of_the_3_10_capture():
    summary = log_report.report(raw_of(log_bytes('postfix-3.10.log')), top=3)
    counts = summary['counts']
    assert counts['delivered'] == counts['sent'] - counts['forwarded']
    assert counts['forwarded'] == 1
    assert counts['expired'] == summary['delivery']['expired']['count'] == 10
    assert summary['delivery']['expired']['forced'] == 2
    sent = summary['delivery']['sent']
    assert set(sent) >= {'count', 'delay', 'before_qmgr', 'in_qmgr', 'conn_setup', 'transmission', 'dominant_stage',
                         'stage_share', 'by_relay', 'by_domain', 'by_transport'}
    assert set(sent['delay']) == {'p50', 'p90', 'p99', 'max'}
    assert sent['dominant_stage'] == max(sent['stage_share'], key=sent['stage_share'].get)
    assert sum(sent['stage_share'].values()) == pytest.approx(1, abs=0.01)
    assert len(sent['by_transport']) == 3 and sent['by_transport'][0]['name'] == 'local'
    assert summary['deferral_reasons'][:2] == [
        {'reason': 'connect to HOST: Connection refused', 'count': 12},
        {'reason': 'Host or domain name not found. Name service error for name=DOMAIN type=MX: Host not found, try '
                   'again', 'count': 11}]
    assert summary['tls']['inbound']['level'] == {'Anonymous': 11}
    assert summary['tls']['outbound']['level'] == {'Untrusted': 5, 'Trusted': 1, 'Verified': 1}
    rejects = summary['rejects']
    # smtpd (main, strict, relayin) and cleanup's header_checks; DISCARD and HOLD from access tables and headers
    assert rejects['by_action'] == {'reject': 16, 'discard': 2, 'hold': 2, 'reject_warning': 1}
    assert rejects['total'] == 21 and counts['rejected'] == 16


def test_report_of_nothing():
    summary = log_report.report(raw_of(b''))
    assert summary['counts'] == {'sent': 0, 'deferred': 0, 'bounced': 0, 'received': 0, 'forwarded': 0,
                                 'delivered': 0, 'expired': 0, 'rejected': 0, 'deferred_messages': 0}
    assert summary['bytes'] == {'received': 0, 'delivered': 0}
    assert summary['traffic'] == {'hours': [], 'days': []}
    assert summary['senders'] == {'by_count': [], 'by_size': [], 'error': 0, 'bytes_error': 0}
    assert summary['problems']['warning'] == {'count': 0, 'by_daemon': []}
    assert summary['tls']['inbound']['share'] is None
    assert summary['period'] == {'first': None, 'last': None}
    # A quiet host: postfix_log's EXAMPLE reads log.delivery.sent.delay.p99 and dominant_stage.
    for status in ('sent', 'deferred', 'bounced'):
        quiet = summary['delivery'][status]
        assert quiet['count'] == 0 and quiet['by_relay'] == [] and quiet['dominant_stage'] is None
        for stage in log_stats.STAGES:
            assert quiet[stage] == {'p50': None, 'p90': None, 'p99': None, 'max': None}


def test_percentiles_in_the_report_match_the_lines():
    lines = random_lines(3, 4000)
    summary = log_report.report(raw_of(b''.join(lines)))
    delays = sorted(float(line.split(b' delay=')[1].split(b',')[0]) for line in lines if b'status=sent' in line)
    for name, fraction in log_stats.PERCENTILES:
        exact = delays[int(fraction * (len(delays) - 1))]
        assert summary['delivery']['sent']['delay'][name] == exact  # as logged: two significant digits
    assert summary['delivery']['sent']['delay']['max'] == max(delays)
    assert math.isclose(sum(item['count'] for item in summary['deferral_reasons']),
                        sum(1 for line in lines if b'status=deferred' in line))
    assert summary['deferral_reasons'][0]['reason'] == 'host HOST said: 450 4.2.1 try again in N seconds'


def test_deliveries_without_delays_count_their_delay_alone():
    """A line without delays= (Postfix before 2.3) next to lines with them, to the same relay and domain: its delay
    counts, its stages do not; one such line alone has no stages."""
    with_stages = [delivery_line(number, 'sent', 'example.net', 'mx.example.net', ('0.1', '0.01', '0.2', '0.3'))
                   for number in range(3)]
    without = delivery_line(3, 'sent', 'example.net', 'mx.example.net', ('4', '0', '0', '0')).replace(
        b'delays=4/0/0/0, ', b'')
    alone = delivery_line(4, 'sent', 'example.org', 'mx.example.org', ('1', '0', '0', '0')).replace(
        b'delays=1/0/0/0, ', b'')
    raw = raw_of(b''.join(with_stages + [without, alone]))
    sent = raw['deliveries']['sent']
    assert sent['all']['count'] == 5
    assert sent['all']['stages']['delay']['values'] == '610000:3 1000000:1 4000000:1'
    assert sent['all']['stages']['before_qmgr']['values'] == '100000:3'
    assert sent['relay']['mx.example.net']['stages']['delay']['values'] == '610000:3 4000000:1'
    assert sent['relay']['mx.example.net']['stages']['transmission']['values'] == '300000:3'
    assert sent['relay']['mx.example.org']['stages']['delay']['values'] == '1000000:1'
    assert sent['relay']['mx.example.org']['stages']['in_qmgr']['values'] == ''


def test_milter_rejects_of_smtpd_and_cleanup_are_rejects():
    """Greylisting at RCPT and a spam filter at the end of data log milter-reject from smtpd (pflogsumm counts
    milter rejects of cleanup only); both are rejected mail, attributed to the milter."""
    lines = (b'Dec  1 10:00:01 mx postfix/smtpd[1]: NOQUEUE: milter-reject: RCPT from unknown[192.0.2.1]: 451 4.7.1 '
             b'Greylisting in action, please come back later; from=<a@example.org> to=<b@example.com> proto=ESMTP '
             b'helo=<example.org>\n'
             b'Dec  1 10:00:02 mx postfix/smtpd[1]: 4A1B2C3D4E: milter-reject: END-OF-MESSAGE from unknown[192.0.2.1]: '
             b'5.7.1 Spam message rejected; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<example.org>\n'
             b'Dec  1 10:00:03 mx postfix/cleanup[2]: 4A1B2C3D4F: milter-reject: END-OF-MESSAGE from unknown[192.0.2.1]'
             b': 5.7.1 Spam message rejected; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<example.org>\n')
    summary = log_report.report(raw_of(lines))
    assert summary['counts']['rejected'] == 3
    assert summary['rejects']['by_action'] == {'milter-reject': 3}
    assert [(item['restriction'], item['count']) for item in summary['rejects']['by_restriction']] == [('milter', 3)]


def test_a_key_that_becomes_frequent_later_takes_the_place_of_the_least_frequent():
    keyed = log_stats.KeyedGroups(capacity=3)
    for name in ('a', 'b', 'c'):
        keyed.group(name, 1)['count'] += 1
    keyed.settle()
    # The table is full: d, seen once, goes to (other); seen again, it passes the least frequent kept.
    other = keyed.group('d', 1)
    assert other is keyed.groups[log_stats.OTHER]
    other['count'] += 1
    promoted = keyed.group('d', 1)
    promoted['count'] += 1
    assert 'd' in keyed.groups and len(keyed.groups) == 4
    assert promoted['count'] == 2  # its earlier delivery, moved from (other)'s count
    assert sum(group['count'] for group in keyed.groups.values()) == 5


def test_thirty_thousand_domains_keep_exact_totals_in_bounded_tables():
    lines = random_lines(11, 6000, domains=30000)
    raw = raw_of(b''.join(lines), max_keys=10)
    for per_status in raw['deliveries'].values():
        assert len(per_status['domain']) <= 10
        assert sum(group['count'] for group in per_status['domain'].values()) == per_status['all']['count']
    assert sum(per_status['all']['count'] for per_status in raw['deliveries'].values()) == 6000


def test_top_tables_keep_the_frequent_names_exact_and_bound_the_others():
    top = log_stats.TopCounts(3)
    stream = [b'heavy'] * 50 + [b'other%d' % number for number in range(40)] + [b'heavy'] * 10 + [b'late'] * 5
    truth = collections.Counter(stream)
    for name in stream:
        top.counts[name] += 1
        top.reduce()
    raw = top.to_raw(3)
    assert raw['counts']['heavy'] == 60  # never forgotten: exact
    assert len(raw['counts']) == 3
    for name, count in raw['counts'].items():
        assert truth[name.encode()] - raw['error'] <= count <= truth[name.encode()]
    # a name above the error bound is kept
    assert all(name.decode() in raw['counts'] for name, count in truth.items() if count > raw['error'])


def arrival_lines(senders):
    """A message from each sender in turn, as smtpd and qmgr log its arrival."""
    lines = []
    for number, sender in enumerate(senders):
        qid = '%010X' % (number + 1)
        lines.append(b'Dec  1 10:00:00 mx postfix/smtpd[300]: %s: client=localhost[127.0.0.1]\n' % qid.encode())
        lines.append(b'Dec  1 10:00:00 mx postfix/qmgr[291]: %s: from=<%s>, size=1000, nrcpt=1 (queue active)\n' % (
            qid.encode(), sender.encode()))
    return b''.join(lines)


def test_top_senders_are_exact_with_more_frequent_names_than_the_raw_keeps_read_by_two_processes(tmp_path):
    """As in a mail log: many senders of about the same frequency (more than the raw form's 20 * max_keys), among
    a flood of senders seen once, read by two processes. The true top five are found with their exact counts
    (the reduction of each piece to the raw's capacity, and of a process's table to it, lost them)."""
    rng = random.Random(5)
    frequent = ['staff%d@example.com' % number for number in range(40)]
    stream = []
    for round_number in range(12):
        batch = frequent + ['person%d@example.net' % (round_number * 30 + number) for number in range(30)]
        batch += frequent[:5 - round_number // 3] if round_number % 3 == 0 else []  # five a little more frequent
        rng.shuffle(batch)
        stream.extend(batch)
    truth = collections.Counter(stream).most_common()
    data = arrival_lines(stream)
    cut = data.index(b'client=', len(data) // 2)  # a message's two lines in one piece
    path = tmp_path / 'mail.log'
    path.write_bytes(data)
    # Two processes' pieces, as postfix_log reads them (log_files.read_pieces(), then the merge).
    results = [log_files.read_pieces([(str(path), low, high, REFERENCE, (0, low))], None, None,
                                     lambda: log_stats.LogStats(max_keys=1))
               for low, high in ((0, cut), (cut, len(data)))]
    merged = log_stats.merge(*log_stats.complete_tops([raw for raw, dummy, dummy in results]),
                             log_stats.stitch([piece for dummy, pieces, dummy in results for piece in pieces], 1, internal=True),
                             max_keys=1)
    assert merged['received'] == len(stream)
    assert len(merged['tops']['senders']['counts']) == log_stats.TOP_CAPACITY
    top = log_report.report(merged, top=5)['senders']['by_count']
    assert sorted((-entry['count'], entry['address']) for entry in top) == sorted(
        (-count, name) for name, count in truth[:5])
    assert [count for dummy, count in truth[:6]] == [16, 16, 15, 14, 13, 12]


def test_a_name_forgotten_and_seen_again_gets_its_count_back():
    """Names seen once flood a table: a name forgotten among them and seen again has its exact count, in the
    table that forgot it (ForgottenNames) and in the merge with another process's table (complete_tops())."""
    stats = [log_stats.LogStats(max_keys=1), log_stats.LogStats(max_keys=1)]
    first, second = [reader.tops['recipients'] for reader in stats]
    second.counts[b'rare'] += 1  # seen once by the second process, at the start of its piece
    for round_number in range(5):
        first.counts[b'rare'] += 1
        for number in range(200):
            first.counts[b'once%d-%d' % (round_number, number)] += 1
            second.counts[b'other%d-%d' % (round_number, number)] += 1
        first.reduce()
        second.reduce()
    # The first forgot it in the first round and gave its count back when it came again; the second forgot it.
    assert first.error and first.counts[b'rare'] == 5
    assert second.error and b'rare' not in second.counts
    first.counts[b'rare'] += 1
    raws = log_stats.complete_tops([reader.to_raw(internal=True) for reader in stats])
    assert raws[0]['tops']['recipients']['counts'][b'rare'] == 6
    assert raws[1]['tops']['recipients']['counts'][b'rare'] == 1
    merged = log_stats.merge(*raws, max_keys=1)
    assert merged['tops']['recipients']['counts']['rare'] == 7


def test_stitch_remembers_at_most_queue_ids_deferred_messages():
    # The merge links a message deferred in one share and again in a later one through at most QUEUE_IDS
    # queue IDs, the newest: the oldest is forgotten (its deferral counts as a new message), memory stays flat.
    count = log_stats.QUEUE_IDS + 10
    left = [b'ID%d' % number for number in range(count)]
    first = {'order': (0, 0), 'queued': {}, 'sent': {}, 'deferred': {}, 'arrived': {}, 'sizes': {},
             'open_deferred': left}
    second = {'order': (0, 1), 'queued': {}, 'sent': {}, 'deferred': {left[0]: True, left[-1]: True},
              'arrived': {}, 'sizes': {}, 'open_deferred': []}
    assert log_stats.stitch([second, first])['deferred_messages'] == -1
