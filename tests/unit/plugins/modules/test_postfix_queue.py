# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the postfix_queue module: whole runs of main() on a captured queue with the fake Postfix, in check
mode and for real. Its plan and safety rules are tested in module_utils/queue/test_queue_plan.py."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.queue import actions as queue_actions
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import (
    Selector,
    parse_records,
    scan,
)
from ansible_collections.mailops.postfix.plugins.modules import postfix_queue
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import fixture_text

VERSION_PROBE = ('postconf', ['expand', 'hide_names'], ['mail_version'])


@pytest.fixture
def runner(postfix, monkeypatch):
    """The fake Postfix (tests/unit/conftest.py), with its captured 3.7 queue, and its flush(8)."""
    monkeypatch.setattr(queue_actions, 'FlushClient', postfix.flush_client)
    return postfix


@pytest.fixture
def run(run_module, runner):
    """run(check_mode=False, **args): postfix_queue's result, with the commands it gave in 'calls'."""
    def run_queue(check_mode=False, **args):
        result = run_module(postfix_queue, check_mode=check_mode, **args)
        result['calls'] = runner.calls
        return result
    return run_queue


def ids_of(version, **criteria):
    records = parse_records(fixture_text(version, 'queue-j.jsonl').splitlines())
    return [record['queue_id'] for record in records if Selector(**criteria).matches(record, 2 ** 31)]


def postsuper_calls(result):
    return [call for call in result['calls'] if call[0] == 'postsuper']


# ---------------------------------------------------------------------------
# Whole runs

def test_list_reads_once_and_changes_nothing(runner, run):
    result = run(limit=2, top=1)
    assert result['changed'] is False
    assert result['selected'] == 8
    assert len(result['messages']) == 2
    assert result['summary']['messages'] == 8
    assert len(result['summary']['top_senders']) == 1
    assert result['affected'] == 0
    assert 'summary_after' not in result
    assert result['calls'] == [VERSION_PROBE, ('postqueue', ['json'], [], [])]


@pytest.mark.parametrize('action, criteria, expected, queues', [
    ('hold', {'recipient': 'remote-one'}, {'sender': '^(alice|josé)@'}, ['incoming', 'active', 'deferred']),
    ('release', {'sender': '^bob@'}, {'sender': '^bob@'}, ['hold']),
    ('expire', {'queues': ['deferred']}, {'sender': '^(MAILER|"odd|josé)'}, ['incoming', 'active', 'deferred', 'hold']),
    ('requeue', {'sender': '^carol|^dave|^bob'}, {'sender': '^dave'}, ['incoming', 'active', 'deferred']),
    ('delete', {'sender': '^carol|^dave'}, {'sender': '^carol|^dave'},
     ['maildrop', 'incoming', 'active', 'deferred', 'hold']),
])
def test_check_mode_predicts_the_real_run(runner, run, action, criteria, expected, queues):
    wanted = ids_of('3.7', **expected)
    check = run(check_mode=True, action=action, **criteria)
    assert postsuper_calls(check) == []
    real = run(action=action, **criteria)
    assert postsuper_calls(real) == [('postsuper', [action], ['-'] + queues, wanted)]  # one process, IDs on stdin
    for result in (check, real):
        assert result['changed'] is True
        assert result['affected'] == len(wanted)
        assert result['affected_ids'] == wanted
    assert 'summary_after' not in check
    assert real['summary_after']['messages'] == 8  # the stand-in queue does not change
    assert (('postkick', [], ['public', 'pickup', 'W']) in real['calls']) == (action == 'requeue')


def test_requeue_does_not_wake_pickup_of_a_stopped_postfix(runner, run):
    runner.running = False
    result = run(action='requeue', sender='^dave')
    assert result['affected'] == 1
    assert not any(call[0] == 'postkick' for call in result['calls'])


def test_messages_gone_before_the_action_are_not_errors(runner, run):
    wanted = ids_of('3.7', queues=['deferred'])
    runner.gone = {wanted[0], wanted[2]}
    result = run(action='delete', queues=['deferred'], limit=1)
    assert postsuper_calls(result)[0][3] == wanted
    assert result['changed'] is True
    assert result['affected'] == 2
    assert result['affected_ids'] == [wanted[1]]  # capped by limit


def test_nothing_to_do_runs_nothing(runner, run):
    result = run(action='release', sender='^alice@')  # not on hold
    assert result['changed'] is False
    assert result['selected'] == 1
    assert result['affected'] == 0
    assert postsuper_calls(result) == []


def test_delete_everything_needs_the_flag(runner, run):
    result = run(action='delete')
    assert result['failed'] is True
    assert 'set all_messages=true' in result['msg'].lower()
    assert postsuper_calls(result) == []
    result = run(action='delete', all_messages=True)
    assert result['affected'] == 8
    assert postsuper_calls(result)[0][3] == ids_of('3.7')


def test_max_messages_refuses_in_check_mode_too(runner, run):
    for check_mode in (True, False):
        result = run(check_mode=check_mode, action='hold', queues=['deferred'], max_messages=3)
        assert result['failed'] is True
        assert 'would affect 4 messages, more than max_messages=3' in result['msg']
        assert postsuper_calls(result) == []


def test_bad_queue_id_fails_before_anything_runs(runner, run):
    result = run(action='delete', queue_ids=['E4E971BA368', 'ALL'])
    assert result['failed'] is True
    assert "queue_ids: 'ALL' is not a Postfix queue ID" in result['msg']
    assert result['calls'] == []


def test_expire_refused_before_postfix_3_5(runner, run):
    runner.mail_version = '3.4.14'
    result = run(action='expire', sender='^bob@')
    assert result['failed'] is True
    assert 'action=expire needs Postfix 3.5 or later' in result['msg']
    assert result['calls'] == [VERSION_PROBE]  # nothing but the question which Postfix this is


def test_queue_ids_not_found(runner, run):
    present = ids_of('3.7', sender='^bob@')[0]
    result = run(action='release', queue_ids=[present, 'A1B2C3D4E5'])
    assert result['queue_ids_not_found'] == ['A1B2C3D4E5']
    assert result['affected_ids'] == [present]


def test_flush_selection_asks_flush_8_per_deferred_message(runner, run):
    result = run(action='flush', recipient='remote-one')
    wanted = ids_of('3.7', recipient='remote-one', queues=['deferred'])  # bob's is on hold
    assert runner.flush_requests == [('/var/spool/postfix/public/flush', queue_id) for queue_id in wanted]
    assert ('postconf', ['hide_names'], ['queue_directory', 'flush_service_name']) in result['calls']
    assert result['affected_ids'] == wanted
    assert postsuper_calls(result) == []


def test_flush_everything_is_one_postqueue_f(runner, run):
    check = run(check_mode=True, action='flush', all_messages=True)
    real = run(action='flush', all_messages=True)
    assert ('postqueue', ['flush'], []) not in check['calls']
    assert ('postqueue', ['flush'], []) in real['calls']
    assert check['affected'] == real['affected'] == 4  # the deferred mail
    assert runner.flush_requests == []


def test_postsuper_failure_reports_what_was_done_before(runner, run):
    wanted = ids_of('3.7', queues=['deferred'])

    runner.fail('postsuper', 1, 'postsuper: fatal: lost the queue', after=1)
    result = run(action='delete', queues=['deferred'])
    assert result['failed'] is True
    assert result['rc'] == 1
    assert 'fatal: lost the queue' in result['msg']
    assert result['changed'] is True
    assert result['affected'] == 1
    assert result['affected_ids'] == wanted[:1]


def test_flush_failure_reports_what_was_requested_before(runner, run):
    runner.flush_fails_after = 2
    wanted = ids_of('3.7', queues=['deferred'])
    result = run(action='flush', queues=['deferred'])
    assert result['failed'] is True
    assert 'delivery of 2 of the 4 selected messages was requested before' in result['msg']
    assert result['changed'] is True
    assert result['affected_ids'] == wanted[:2]


@pytest.mark.parametrize('check_mode', [True, False])
@pytest.mark.parametrize('criteria', [{'queues': ['deferred']}, {'all_messages': True}])
def test_flush_needs_a_running_postfix_also_in_check_mode(runner, run, check_mode, criteria):
    runner.running = False
    result = run(check_mode=check_mode, action='flush', **criteria)
    assert result['failed'] is True
    assert 'action=flush needs a running Postfix' in result['msg']
    assert result['changed'] is False
    assert runner.flush_requests == []
    assert ('postqueue', ['flush'], []) not in result['calls']


def test_flush_everything_runs_postqueue_f_with_nothing_deferred(runner, run):
    lines = fixture_text('3.7', 'queue-j.jsonl').splitlines()
    runner.queue = '\n'.join(line for line in lines if '"deferred"' not in line)
    result = run(action='flush', all_messages=True)
    assert ('postqueue', ['flush'], []) in result['calls']
    assert result['changed'] is False
    assert result['affected'] == 0


def test_flush_by_site(runner, run):
    result = run(action='flush', site='REMOTE-one.example')
    wanted = ids_of('3.7', site='remote-one.example', queues=['deferred'])
    assert len(wanted) == 2
    assert [queue_id for path, queue_id in runner.flush_requests] == wanted
    assert result['affected_ids'] == wanted


def test_empty_pattern_is_refused_before_anything_runs(runner, run):
    result = run(action='delete', sender='')
    assert result['failed'] is True
    assert 'sender is empty, which would select every message' in result['msg']
    assert result['calls'] == []


# A sender of 34 a's: sender=(a+)+$ backtracks through 2**34 ways to split them before it fails.
CATASTROPHIC_SENDER = json.dumps({'queue_name': 'deferred', 'queue_id': '4F1A2B3C4D', 'arrival_time': 1795556175,
                                  'message_size': 300, 'forced_expire': False, 'sender': 'a' * 34 + '@testbed.example',
                                  'recipients': [{'address': 'x@remote-one.example'}]})


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_catastrophic_pattern_fails_at_the_deadline_and_changes_nothing(runner, run, check_mode):
    runner.queue = fixture_text('3.7', 'queue-j.jsonl') + CATASTROPHIC_SENDER + '\n'
    result = run(check_mode=check_mode, action='delete', sender='(a+)+$', match_timeout=0.2)
    assert result['failed'] is True
    assert result['msg'].startswith('sender=(a+)+$: matching took longer than match_timeout=0.2s and was stopped at '
                                    'message 4F1A2B3C4D; nothing was changed.')
    assert 'Use a simpler pattern' in result['msg']
    assert result['changed'] is False and result['affected'] == 0
    assert postsuper_calls(result) == []
    assert result['calls'] == [VERSION_PROBE, ('postqueue', ['json'], [], [])]


def test_the_deadline_leaves_the_ordinary_path_as_it_was(runner, run):
    timed = run(action='hold', recipient='remote-one', match_timeout=10)
    untimed_view = scan(parse_records(fixture_text('3.7', 'queue-j.jsonl').splitlines()),
                        Selector(recipient='remote-one'), 2 ** 31, action='hold')
    assert timed['affected_ids'] == untimed_view['targets']
    assert postsuper_calls(timed) == [('postsuper', ['hold'], ['-', 'incoming', 'active', 'deferred'],
                                       untimed_view['targets'])]
