# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nothing stops a report: random bytes, random cuts and mutations of captured lines, and every field of a
delivery line malformed go through the parser, the statistics, their merge and the report without an exception.
The same seeds give the same cases, so that a failure can be replayed."""

from __future__ import annotations

import calendar
import json
import os
import random

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.log import lines as log_lines
from ansible_collections.mailops.postfix.plugins.module_utils.log import report as log_report
from ansible_collections.mailops.postfix.plugins.module_utils.log import stats as log_stats

LOGS = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'log')
REFERENCE = calendar.timegm((2026, 12, 3, 0, 0, 0))
CAPTURES = ('postfix-3.7.log', 'postfix-3.10.log', 'postfix-3.10.syslog', 'postfix-3.10.rfc3339',
            'postfix-3.10.journal', 'hand-made.log')
DELIVERY = ('Dec  1 10:00:01 mx postfix/smtp[2002]: 1B2C3D4E5F: to=<bob@example.net>, orig_to=<bob@old.example>, '
            'relay=mx.example.net[2001:db8::25]:25, conn_use=3, delay=12, delays=11/0.01/0.3/0.52, dsn=4.4.1, '
            'status=deferred (host mx.example.net[2001:db8::25] said: 450 4.2.1 <bob@example.net>: try again)')
# Each field of a delivery line, and values it must survive.
BAD_VALUES = {
    'Dec  1 10:00:01': ['Dec 99 10:00:01', 'Foo  1 10:00:01', 'Dec  1 99:99:99', '2026-13-45T25:61:61+99:99',
                        '0000-00-00T00:00:00Z', '9999-12-31T23:59:59-2359', ''],
    'mx': ['', ' ', '\x00', 'm' * 300],
    'postfix/smtp[2002]': ['postfix/smtp[]', 'postfix/smtp[99999999999999999999]', '/[1]', 'postfix//[2]',
                           'a/b/c/d/e/smtp[1]', '[[[[', 'postfix/smtp[2002'],
    '1B2C3D4E5F': ['', 'NOQUEUE', '#$%', 'x' * 500],
    'bob@example.net': ['', '@', '@@@', 'bob@', '@example.net', '<x>', 'a' * 1000 + '@b', 'bob@EXAMPLE.NET\xff'],
    'bob@old.example': ['', '>', '<<'],
    'mx.example.net[2001:db8::25]:25': ['', 'none', '[', ']', '[::1', 'x[1.2.3.4]:', ',,,'],
    'conn_use=3': ['conn_use=', 'conn_use=x', 'conn_use=-1'],
    'delay=12': ['delay=.', 'delay=1.2.3', 'delay=1..5', 'delay=', 'delay=-1', 'delay=1e9', 'delay=nan',
                 'delay=99999999999999999999999', 'delay=0.0000001', 'delay=.5'],
    '11/0.01/0.3/0.52': ['0.1/0/./0', '///', '1/2/3', '1/2/3/4/5', 'a/b/c/d', '1..2/0/0/0', '1/2/3/4.', ''],
    'dsn=4.4.1': ['dsn=', 'dsn=x.y.z', 'dsn=4.4.1.1.1'],
    'status=deferred': ['status=', 'status=???', 'status=deferred deferred', 'status=sent', 'status=expired'],
    '(host mx.example.net': ['(', '((((', ')', '(' + 'x' * 5000],
    '450 4.2.1': ['999 9.9.9', '4.', '', '5555555555'],
}
NUMBERS = [b'.', b'1.2.3', b'1..5', b'', b'-1', b'1e9', b'nan', b'inf', b'9' * 40, b'0x10', b'\xff', b'0']


def captured_lines():
    lines = []
    for name in CAPTURES:
        with open(os.path.join(LOGS, name), 'rb') as handle:
            lines.extend(handle.read().splitlines(keepends=True))
    return lines


def mutate(rng, line):
    """A line cut, shortened, lengthened or changed at random, or with a number replaced by a bad one."""
    kind = rng.randrange(7)
    position = rng.randrange(len(line) + 1)
    if kind == 0:
        return line[:position]
    if kind == 1:
        return line[:position] + line[position + rng.randrange(1, 40):]
    if kind == 2:
        return line[:position] + bytes(rng.getrandbits(8) for dummy in range(rng.randrange(1, 20))) + line[position:]
    if kind == 3:
        return line[:position] + bytes([rng.getrandbits(8)]) + line[position + 1:]
    if kind == 4:
        return line[:position] + line[position:position + rng.randrange(1, 80)] * rng.randrange(2, 5) + \
            line[position:]
    if kind == 5:
        digits = [index for index, byte in enumerate(line) if 48 <= byte <= 57]
        if digits:
            index = rng.choice(digits)
            return line[:index] + rng.choice(NUMBERS) + line[index + 1:]
        return line
    words = line.split(b' ')
    rng.shuffle(words)
    return b' '.join(words)


def survives(data):
    """Read ``data`` as a log, line by line and as blocks, merge and report: no exception, and every line read."""
    stats = log_stats.LogStats(max_keys=5)
    for start in range(0, len(data), 4096):
        block = data[start:start + 4096]
        cut = block.rfind(b'\n') + 1 if start + 4096 < len(data) else len(block)
        stats.read(block[:cut] if cut else block, log_lines.StampReader(REFERENCE))
    raw = json.loads(json.dumps(stats.to_raw()))
    merged = log_stats.merge(raw, raw, log_stats.LogStats().to_raw())
    summary = log_report.report(merged, top=3)
    json.dumps(summary)
    for line in data.splitlines()[:300]:
        parsed = log_lines.parse_line(line, REFERENCE)
        assert set(parsed) >= {'time', 'kind', 'host', 'program', 'pid'}
    return summary


@pytest.mark.parametrize('seed', range(8))
def test_random_bytes(seed):
    rng = random.Random(seed)
    data = bytes(rng.getrandbits(8) for dummy in range(20000))
    # and random bytes in the shape of lines, with the literals the patterns look for
    words = [b': to=<', b'>, relay=', b', delay=', b', delays=', b'/', b', status=', b'sent', b'(', b')', b' ',
             b'NOQUEUE: reject: ', b'milter-reject: ', b'TLS connection established ', b': client=', b'\n',
             b'Dec  1 10:00:00 ', b'2026-12-01T10:00:00Z ', b'postfix/smtp[1]: ', b'[', b']', b':', b'1', b'.']
    data += b''.join(rng.choice(words) for dummy in range(20000))
    survives(data)


@pytest.mark.parametrize('seed', range(8))
def test_cuts_and_mutations_of_captured_lines(seed):
    rng = random.Random(seed)
    lines = captured_lines()
    fuzzed = [mutate(rng, rng.choice(lines)) for dummy in range(3000)]
    # Lines cut anywhere and joined again, as a damaged file or a partial write leaves them.
    joined = b''.join(fuzzed)
    cuts = sorted(rng.randrange(len(joined)) for dummy in range(50))
    survives(b''.join(joined[low:high] for low, high in zip([0] + cuts, cuts + [len(joined)]) if rng.random() < 0.8))


@pytest.mark.parametrize('field', sorted(BAD_VALUES))
def test_every_field_of_a_delivery_line_malformed(field):
    assert field in DELIVERY
    lines = [(DELIVERY.replace(field, value) + '\n').encode('utf-8', 'surrogateescape') for value in BAD_VALUES[field]]
    summary = survives(b''.join(lines) + DELIVERY.encode() + b'\n')
    # A line that looks like a delivery and does not read as one is skipped, counted, and shown.
    skipped = summary['skipped_lines']
    assert 0 <= skipped['count'] <= 2 * len(lines)
    assert len(skipped['examples']) <= log_lines.EXAMPLES
    assert all(len(example) <= log_lines.EXAMPLE_LENGTH for example in skipped['examples'])
    counted = sum(summary['counts'][status] for status in ('sent', 'deferred', 'bounced')) + \
        summary['counts']['expired']
    assert counted + skipped['count'] // 2 >= 1  # the good line at least


def test_malformed_delays_are_skipped_lines_with_examples():
    bad = ['delay=.', 'delay=1.2.3', 'delay=1..5']
    lines = [DELIVERY.replace('delay=12', value) for value in bad] + [
        DELIVERY.replace('11/0.01/0.3/0.52', '0.1/0/./0'), DELIVERY.replace('11/0.01/0.3/0.52', '1/2/3'),
        DELIVERY.replace('delay=12', 'delay=12' + 'x' * 300), DELIVERY]
    stats = log_stats.LogStats()
    stats.read(('\n'.join(lines) + '\n').encode(), log_lines.StampReader(REFERENCE))
    summary = log_report.report(stats.to_raw())
    assert summary['skipped_lines']['count'] == 6
    assert summary['skipped_lines']['examples'] == [line[:log_lines.EXAMPLE_LENGTH] for line in lines[:5]]
    assert summary['counts']['deferred'] == 1
    assert summary['lines'] == 7


def test_a_delay_that_ends_with_its_dot_is_a_skipped_line():
    """"1." is not a number Postfix writes. Python 3.11.2's possessive quantifiers matched it (CPython gh-106052):
    such a line must be skipped on every Python, as with the greedy pattern."""
    lines = [DELIVERY.replace('delay=12', 'delay=1.'), DELIVERY.replace('11/0.01/0.3/0.52', '0./0.01/0.3/0.52'),
             DELIVERY.replace('11/0.01/0.3/0.52', '11/0.01/0.3/30.'), DELIVERY]
    stats = log_stats.LogStats()
    stats.read(('\n'.join(lines) + '\n').encode(), log_lines.StampReader(REFERENCE))
    summary = log_report.report(stats.to_raw())
    assert summary['skipped_lines']['count'] == 3
    assert summary['counts']['deferred'] == 1
