# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/queue/status.py, on a queue captured from Postfix (fixtures/capture-queue.sh)."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import parse_records
from ansible_collections.mailops.postfix.plugins.module_utils.queue.status import bounce_time, status_of
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text


@pytest.mark.parametrize('record, expected', [
    ({'queue_name': 'deferred', 'sender': 'a@example.com', 'arrival_time': 1000}, 1000 + 432000),
    ({'queue_name': 'incoming', 'sender': 'MAILER-DAEMON', 'arrival_time': 1000}, 1000 + 86400),
    ({'queue_name': 'hold', 'sender': 'a@example.com', 'arrival_time': 1000}, None),
    ({'queue_name': 'deferred', 'sender': 'a@example.com', 'arrival_time': 1000, 'forced_expire': True}, 1000),
])
def test_bounce_time(record, expected):
    assert bounce_time(record, 432000, 86400) == expected


@pytest.mark.parametrize('version', VERSIONS)
def test_status_of_a_captured_queue(version):
    records = list(parse_records(fixture_text(version, 'queue-j.jsonl').splitlines()))
    now = max(record['arrival_time'] for record in records) + 60
    status = status_of(records, now, 432000, 86400)
    assert status['total'] == len(records) == sum(status['counts'].values())
    oldest = min(records, key=lambda record: record['arrival_time'])
    assert (status['oldest_queue_id'], status['oldest_age']) == (oldest['queue_id'], now - oldest['arrival_time'])
    due = [(bounce_time(record, 432000, 86400), record['queue_id']) for record in records
           if record['queue_name'] != 'hold']
    assert (status['bounce_in'], status['bounce_next_queue_id']) == (min(due)[0] - now, min(due)[1])
    assert (status['maximal_queue_lifetime'], status['bounce_queue_lifetime']) == (432000, 86400)


def test_status_of_an_empty_queue():
    assert status_of([], 1000, 432000, 86400) == {
        'counts': {'maildrop': 0, 'incoming': 0, 'active': 0, 'deferred': 0, 'hold': 0}, 'total': 0,
        'oldest_age': None, 'oldest_queue_id': None, 'maximal_queue_lifetime': 432000,
        'bounce_queue_lifetime': 86400, 'bounce_in': None, 'bounce_next_queue_id': None}


def test_status_of_domains():
    def record(queue_id, arrival, *addresses, queue='deferred'):
        return {'queue_name': queue, 'queue_id': queue_id, 'arrival_time': arrival, 'sender': 'a@example.com',
                'message_size': 100, 'forced_expire': False,
                'recipients': [{'address': address} for address in addresses]}
    records = [record('A1', 1000, 'x@example.org'),
               record('B2', 500, 'y@mx.example.org', 'z@example.net'),
               record('C3', 200, 'w@example.org', queue='hold'),
               record('D4', 100, 'v@other.example')]
    status = status_of(records, 2000, 432000, 86400, ['example.org', '.example.org', 'example.com'])
    assert status['domains'] == {
        # Held mail counts and is the oldest, but does not bounce while held.
        'example.org': {'messages': 2, 'oldest_age': 1800, 'oldest_queue_id': 'C3',
                        'bounce_in': 1000 + 432000 - 2000, 'bounce_next_queue_id': 'A1'},
        '.example.org': {'messages': 1, 'oldest_age': 1500, 'oldest_queue_id': 'B2',
                         'bounce_in': 500 + 432000 - 2000, 'bounce_next_queue_id': 'B2'},
        'example.com': {'messages': 0, 'oldest_age': None, 'oldest_queue_id': None,
                        'bounce_in': None, 'bounce_next_queue_id': None},
    }
    # The whole queue is as without domains.
    assert (status['total'], status['bounce_next_queue_id']) == (4, 'D4')
    assert 'domains' not in status_of(records, 2000, 432000, 86400)
