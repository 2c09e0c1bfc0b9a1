# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/queue_status.py, on a queue captured from Postfix (fixtures/capture-queue.sh)."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.queue_records import parse_records
from ansible_collections.mailops.postfix.plugins.module_utils.queue_status import bounce_time, status_of
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
