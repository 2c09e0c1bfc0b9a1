# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the postfix_queue module: its plan and safety rules, and whole runs of main() on a captured
queue with a stand-in for the runner, in check mode and for real."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.postfix.plugins.module_utils.queue import actions as queue_actions
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import (
    QueueError,
    Selector,
    parse_records,
    scan,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.modules import postfix_queue
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text

DONE_WORDS = {'-d': 'removed', '-h': 'placed on hold', '-H': 'released from hold', '-r': 'requeued', '-e': 'expired'}
TOTALS = {'-d': 'Deleted', '-h': 'Placed on hold', '-H': 'Released from hold', '-r': 'Requeued', '-e': 'Force-expired'}


class FakeRunner:
    """PostfixRunner on a captured queue: postqueue -j prints the fixture. postsuper reports, like the real
    one, each ID it reads that is in one of the queues named after "-" and that the action changes, except
    those in ``gone`` (messages that left the queue after the listing). ``running`` is what postfix status says."""

    instances = []

    def __init__(self, module, config_dir):
        self.module = module
        self.config_dir = config_dir
        self.calls = []
        self.version_string = self.next_version
        self.queue_lines = self.next_queue.splitlines()
        self.records = {record['queue_id']: record for record in parse_records(self.queue_lines)}
        FakeRunner.instances.append(self)

    def run_with_terminal(self, tool, args=(), config_dir=None):
        self.calls.append((tool, list(args)))
        return (0, '') if self.running else (1, 'postfix/postfix-script: the Postfix mail system is not running\n')

    def version(self):
        return self.version_string

    def run(self, tool, options=(), args=(), config_dir=None, data=None, check_rc=True):
        self.calls.append((tool, list(options), list(args)))
        if tool == 'postconf':
            return 0, '/var/spool/postfix\nflush\n', ''
        return 0, '', ''

    def stream_lines(self, tool, options=(), args=(), input_lines=(), from_stderr=False):
        input_lines = list(input_lines)
        self.calls.append((tool, list(options), list(args), input_lines))
        if tool == 'postqueue':
            return iter(self.queue_lines)
        flag = {'delete': '-d', 'hold': '-h', 'release': '-H', 'requeue': '-r', 'expire': '-e'}[options[0]]
        done = [queue_id for queue_id in input_lines if queue_id not in self.gone and queue_id in self.records
                and self.records[queue_id]['queue_name'] in args[1:]
                and not (flag == '-e' and self.records[queue_id]['forced_expire'])]
        return iter(['postsuper: %s: %s' % (queue_id, DONE_WORDS[flag]) for queue_id in done]
                    + ['postsuper: %s: %d messages' % (TOTALS[flag], len(done))])


class FakeFlushClient:
    """flush(8): takes every request, or fails after ``fail_after`` of them."""

    requested = []
    fail_after = None

    def __init__(self, path):
        self.path = path

    def send_file(self, queue_id):
        if len(FakeFlushClient.requested) == FakeFlushClient.fail_after:
            raise PostfixCommandError('cannot request delivery of %s from flush(8)' % queue_id, cmd=['flush(8)'])
        FakeFlushClient.requested.append((self.path, queue_id))


@pytest.fixture
def runner(monkeypatch):
    FakeRunner.instances = []
    FakeRunner.next_version = '3.7.11'
    FakeRunner.next_queue = fixture_text('3.7', 'queue-j.jsonl')
    FakeRunner.gone = set()
    FakeRunner.running = True
    FakeFlushClient.requested = []
    FakeFlushClient.fail_after = None
    monkeypatch.setattr(postfix_queue, 'PostfixRunner', FakeRunner)
    monkeypatch.setattr(queue_actions, 'FlushClient', FakeFlushClient)
    return FakeRunner


def run_module(capsys, check_mode=False, **args):
    if check_mode:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            postfix_queue.main()
    result = json.loads(capsys.readouterr().out)
    result['calls'] = FakeRunner.instances[-1].calls
    return result


def ids_of(version, **criteria):
    records = parse_records(fixture_text(version, 'queue-j.jsonl').splitlines())
    return [record['queue_id'] for record in records if Selector(**criteria).matches(record, 2 ** 31)]


def postsuper_calls(result):
    return [call for call in result['calls'] if call[0] == 'postsuper']


# ---------------------------------------------------------------------------
# plan and check_request

def view_of(version, action, **criteria):
    records = parse_records(fixture_text(version, 'queue-j.jsonl').splitlines())
    return scan(records, Selector(**criteria), 2 ** 31, action=action)


@pytest.mark.parametrize('version', VERSIONS)
def test_plan_returns_the_targets(version):
    view = view_of(version, 'hold', recipient='remote-one')
    assert postfix_queue.plan('hold', view, Selector(recipient='remote-one'), False, None) == view['targets']
    assert len(view['targets']) == 2  # the third (bob's) is on hold already


def test_plan_list_changes_nothing():
    assert postfix_queue.plan('list', view_of('3.7', 'list'), Selector(), False, None) == []


@pytest.mark.parametrize('action', ['delete', 'hold', 'release', 'requeue', 'expire', 'flush'])
def test_plan_needs_all_messages_without_selector(action):
    with pytest.raises(QueueError, match=r'action=%s without a selector would act on every message in the queue '
                                         r'\(8 now\). Set all_messages=true to allow that' % action):
        postfix_queue.plan(action, view_of('3.7', action), Selector(), False, None)
    assert postfix_queue.plan(action, view_of('3.7', action), Selector(), True, None) == view_of('3.7', action)['targets']


def test_plan_max_messages():
    view = view_of('3.10', 'delete', sender='testbed')
    assert len(view['targets']) == 7
    assert postfix_queue.plan('delete', view, Selector(sender='testbed'), False, 7) == view['targets']
    with pytest.raises(QueueError, match='action=delete would affect 7 messages, more than max_messages=6; nothing was '
                                         'changed. Raise max_messages or narrow the selection'):
        postfix_queue.plan('delete', view, Selector(sender='testbed'), False, 6)


@pytest.mark.parametrize('action', ['delete', 'expire', 'hold'])
@pytest.mark.parametrize('criteria', [{'sender': '.*'}, {'recipient': '|'}, {'older_than': '0'},
                                      {'queues': ['maildrop', 'incoming', 'active', 'deferred', 'hold']},
                                      {'query': 'queue_id'}])
def test_plan_refuses_a_destructive_selection_of_the_whole_queue(action, criteria):
    view = view_of('3.7', action, **criteria)
    assert view['selected'] == view['summary']['messages'] == 8
    with pytest.raises(QueueError, match=r'action=%s: the selection \(%s\) matches every message in the queue, all 8 of '
                                         r'them; .* use all_messages=true without selectors' % (action, list(criteria)[0])):
        postfix_queue.plan(action, view, Selector(**criteria), False, None)


@pytest.mark.parametrize('action', ['release', 'requeue', 'flush'])
def test_plan_allows_a_harmless_action_on_a_selection_of_the_whole_queue(action):
    view = view_of('3.7', action, sender='.*')
    assert postfix_queue.plan(action, view, Selector(sender='.*'), False, None) == view['targets']


def test_plan_allows_every_message_by_queue_id():
    every = ids_of('3.7')
    view = view_of('3.7', 'delete', queue_ids=every)
    assert postfix_queue.plan('delete', view, Selector(queue_ids=every), False, None) == view['targets']


def test_plan_allows_a_pattern_that_matches_the_only_message():
    records = list(parse_records(fixture_text('3.7', 'queue-j.jsonl').splitlines()))[:1]
    view = scan(records, Selector(sender='.*'), 2 ** 31, action='delete')
    assert postfix_queue.plan('delete', view, Selector(sender='.*'), False, None) == view['targets']


@pytest.mark.parametrize('action', ['delete', 'hold', 'release', 'requeue', 'expire', 'flush'])
def test_plan_max_messages_zero_refuses_any_action_that_touches_a_message(action):
    view = view_of('3.7', action, sender='testbed')
    assert view['targets']
    with pytest.raises(QueueError, match='more than max_messages=0'):
        postfix_queue.plan(action, view, Selector(sender='testbed'), False, 0)
    nothing = view_of('3.7', action, sender='^nobody-matches$')
    assert postfix_queue.plan(action, nothing, Selector(sender='^nobody-matches$'), False, 0) == []


def check_params(**params):
    return dict({'action': 'list', 'limit': 100, 'top': 10, 'max_messages': None, 'all_messages': False,
                 'match_timeout': 10}, **params)


@pytest.mark.parametrize('params, version, message', [
    ({'limit': -1}, '3.7.11', 'limit=-1: must be 0 or more'),
    ({'max_messages': -5}, '3.7.11', 'max_messages=-5: must be 0 or more'),
    ({'match_timeout': 0}, '3.7.11', 'match_timeout=0: must be more than 0 seconds'),
    ({'action': 'expire'}, '3.4.14', 'action=expire needs Postfix 3.5 or later .postsuper -e.; this host runs Postfix '
                                     '3.4.14. Use action=delete'),
])
def test_check_request_refuses(params, version, message):
    with pytest.raises(QueueError, match=message):
        postfix_queue.check_request(check_params(**params), Selector(), version)


def test_check_request_all_messages_excludes_selectors():
    with pytest.raises(QueueError, match='all_messages=true acts on every message; it cannot be combined with the '
                                         'selector.s. queues, sender'):
        postfix_queue.check_request(check_params(all_messages=True), Selector(sender='x', queues=[]), '3.10.1')
    postfix_queue.check_request(check_params(action='expire', all_messages=True), Selector(), '3.5.0')


# ---------------------------------------------------------------------------
# Whole runs

def test_list_reads_once_and_changes_nothing(runner, capsys):
    result = run_module(capsys, limit=2, top=1)
    assert result['changed'] is False
    assert result['selected'] == 8
    assert len(result['messages']) == 2
    assert result['summary']['messages'] == 8
    assert len(result['summary']['top_senders']) == 1
    assert result['affected'] == 0
    assert 'summary_after' not in result
    assert result['calls'] == [('postqueue', ['json'], [], [])]


@pytest.mark.parametrize('action, criteria, expected, queues', [
    ('hold', {'recipient': 'remote-one'}, {'sender': '^(alice|josé)@'}, ['incoming', 'active', 'deferred']),
    ('release', {'sender': '^bob@'}, {'sender': '^bob@'}, ['hold']),
    ('expire', {'queues': ['deferred']}, {'sender': '^(MAILER|"odd|josé)'}, ['incoming', 'active', 'deferred', 'hold']),
    ('requeue', {'sender': '^carol|^dave|^bob'}, {'sender': '^dave'}, ['incoming', 'active', 'deferred']),
    ('delete', {'sender': '^carol|^dave'}, {'sender': '^carol|^dave'},
     ['maildrop', 'incoming', 'active', 'deferred', 'hold']),
])
def test_check_mode_predicts_the_real_run(runner, capsys, action, criteria, expected, queues):
    wanted = ids_of('3.7', **expected)
    check = run_module(capsys, check_mode=True, action=action, **criteria)
    assert postsuper_calls(check) == []
    real = run_module(capsys, action=action, **criteria)
    assert postsuper_calls(real) == [('postsuper', [action], ['-'] + queues, wanted)]  # one process, IDs on stdin
    for result in (check, real):
        assert result['changed'] is True
        assert result['affected'] == len(wanted)
        assert result['affected_ids'] == wanted
    assert 'summary_after' not in check
    assert real['summary_after']['messages'] == 8  # the stand-in queue does not change
    assert (('postkick', [], ['public', 'pickup', 'W']) in real['calls']) == (action == 'requeue')


def test_requeue_does_not_wake_pickup_of_a_stopped_postfix(runner, capsys):
    runner.running = False
    result = run_module(capsys, action='requeue', sender='^dave')
    assert result['affected'] == 1
    assert not any(call[0] == 'postkick' for call in result['calls'])


def test_messages_gone_before_the_action_are_not_errors(runner, capsys):
    wanted = ids_of('3.7', queues=['deferred'])
    runner.gone = {wanted[0], wanted[2]}
    result = run_module(capsys, action='delete', queues=['deferred'], limit=1)
    assert postsuper_calls(result)[0][3] == wanted
    assert result['changed'] is True
    assert result['affected'] == 2
    assert result['affected_ids'] == [wanted[1]]  # capped by limit


def test_nothing_to_do_runs_nothing(runner, capsys):
    result = run_module(capsys, action='release', sender='^alice@')  # not on hold
    assert result['changed'] is False
    assert result['selected'] == 1
    assert result['affected'] == 0
    assert postsuper_calls(result) == []


def test_delete_everything_needs_the_flag(runner, capsys):
    result = run_module(capsys, action='delete')
    assert result['failed'] is True
    assert 'set all_messages=true' in result['msg'].lower()
    assert postsuper_calls(result) == []
    result = run_module(capsys, action='delete', all_messages=True)
    assert result['affected'] == 8
    assert postsuper_calls(result)[0][3] == ids_of('3.7')


def test_max_messages_refuses_in_check_mode_too(runner, capsys):
    for check_mode in (True, False):
        result = run_module(capsys, check_mode=check_mode, action='hold', queues=['deferred'], max_messages=3)
        assert result['failed'] is True
        assert 'would affect 4 messages, more than max_messages=3' in result['msg']
        assert postsuper_calls(result) == []


def test_bad_queue_id_fails_before_anything_runs(runner, capsys):
    result = run_module(capsys, action='delete', queue_ids=['E4E971BA368', 'ALL'])
    assert result['failed'] is True
    assert "queue_ids: 'ALL' is not a Postfix queue ID" in result['msg']
    assert result['calls'] == []


def test_expire_refused_before_postfix_3_5(runner, capsys):
    runner.next_version = '3.4.14'
    result = run_module(capsys, action='expire', sender='^bob@')
    assert result['failed'] is True
    assert 'action=expire needs Postfix 3.5 or later' in result['msg']
    assert result['calls'] == []


def test_queue_ids_not_found(runner, capsys):
    present = ids_of('3.7', sender='^bob@')[0]
    result = run_module(capsys, action='release', queue_ids=[present, 'A1B2C3D4E5'])
    assert result['queue_ids_not_found'] == ['A1B2C3D4E5']
    assert result['affected_ids'] == [present]


def test_flush_selection_asks_flush_8_per_deferred_message(runner, capsys):
    result = run_module(capsys, action='flush', recipient='remote-one')
    wanted = ids_of('3.7', recipient='remote-one', queues=['deferred'])  # bob's is on hold
    assert FakeFlushClient.requested == [('/var/spool/postfix/public/flush', queue_id) for queue_id in wanted]
    assert ('postconf', ['hide_names'], ['queue_directory', 'flush_service_name']) in result['calls']
    assert result['affected_ids'] == wanted
    assert postsuper_calls(result) == []


def test_flush_everything_is_one_postqueue_f(runner, capsys):
    check = run_module(capsys, check_mode=True, action='flush', all_messages=True)
    real = run_module(capsys, action='flush', all_messages=True)
    assert ('postqueue', ['flush'], []) not in check['calls']
    assert ('postqueue', ['flush'], []) in real['calls']
    assert check['affected'] == real['affected'] == 4  # the deferred mail
    assert FakeFlushClient.requested == []


def test_postsuper_failure_reports_what_was_done_before(runner, capsys, monkeypatch):
    wanted = ids_of('3.7', queues=['deferred'])

    def postsuper_dies_after_one(ids):
        yield 'postsuper: %s: removed' % ids[0]
        raise PostfixCommandError('postsuper -c /etc/postfix -d - failed (rc=1): postsuper: fatal: lost the queue',
                                  cmd=['postsuper'], rc=1, stderr='postsuper: fatal: lost the queue')
    monkeypatch.setattr(FakeRunner, 'stream_lines', lambda self, tool, options=(), args=(), input_lines=(), **kwargs: (
        iter(self.queue_lines) if tool == 'postqueue' else postsuper_dies_after_one(list(input_lines))))
    result = run_module(capsys, action='delete', queues=['deferred'])
    assert result['failed'] is True
    assert result['rc'] == 1
    assert 'fatal: lost the queue' in result['msg']
    assert result['changed'] is True
    assert result['affected'] == 1
    assert result['affected_ids'] == wanted[:1]


def test_flush_failure_reports_what_was_requested_before(runner, capsys):
    FakeFlushClient.fail_after = 2
    wanted = ids_of('3.7', queues=['deferred'])
    result = run_module(capsys, action='flush', queues=['deferred'])
    assert result['failed'] is True
    assert 'delivery of 2 of the 4 selected messages was requested before' in result['msg']
    assert result['changed'] is True
    assert result['affected_ids'] == wanted[:2]


@pytest.mark.parametrize('check_mode', [True, False])
@pytest.mark.parametrize('criteria', [{'queues': ['deferred']}, {'all_messages': True}])
def test_flush_needs_a_running_postfix_also_in_check_mode(runner, capsys, check_mode, criteria):
    runner.running = False
    result = run_module(capsys, check_mode=check_mode, action='flush', **criteria)
    assert result['failed'] is True
    assert 'action=flush needs a running Postfix' in result['msg']
    assert result['changed'] is False
    assert FakeFlushClient.requested == []
    assert ('postqueue', ['flush'], []) not in result['calls']


def test_flush_everything_runs_postqueue_f_with_nothing_deferred(runner, capsys):
    lines = fixture_text('3.7', 'queue-j.jsonl').splitlines()
    runner.next_queue = '\n'.join(line for line in lines if '"deferred"' not in line)
    result = run_module(capsys, action='flush', all_messages=True)
    assert ('postqueue', ['flush'], []) in result['calls']
    assert result['changed'] is False
    assert result['affected'] == 0


def test_flush_by_site(runner, capsys):
    result = run_module(capsys, action='flush', site='REMOTE-one.example')
    wanted = ids_of('3.7', site='remote-one.example', queues=['deferred'])
    assert len(wanted) == 2
    assert [queue_id for path, queue_id in FakeFlushClient.requested] == wanted
    assert result['affected_ids'] == wanted


def test_empty_pattern_is_refused_before_anything_runs(runner, capsys):
    result = run_module(capsys, action='delete', sender='')
    assert result['failed'] is True
    assert 'sender is empty, which would select every message' in result['msg']
    assert result['calls'] == []


# A sender of 34 a's: sender=(a+)+$ backtracks through 2**34 ways to split them before it fails.
CATASTROPHIC_SENDER = json.dumps({'queue_name': 'deferred', 'queue_id': '4F1A2B3C4D', 'arrival_time': 1795556175,
                                  'message_size': 300, 'forced_expire': False, 'sender': 'a' * 34 + '@testbed.example',
                                  'recipients': [{'address': 'x@remote-one.example'}]})


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_catastrophic_pattern_fails_at_the_deadline_and_changes_nothing(runner, capsys, check_mode):
    runner.next_queue = fixture_text('3.7', 'queue-j.jsonl') + CATASTROPHIC_SENDER + '\n'
    result = run_module(capsys, check_mode=check_mode, action='delete', sender='(a+)+$', match_timeout=0.2)
    assert result['failed'] is True
    assert result['msg'].startswith('sender=(a+)+$: matching took longer than match_timeout=0.2s and was stopped at '
                                    'message 4F1A2B3C4D; nothing was changed.')
    assert 'Use a simpler pattern' in result['msg']
    assert result['changed'] is False and result['affected'] == 0
    assert postsuper_calls(result) == []
    assert result['calls'] == [('postqueue', ['json'], [], [])]


def test_the_deadline_leaves_the_ordinary_path_as_it_was(runner, capsys):
    timed = run_module(capsys, action='hold', recipient='remote-one', match_timeout=10)
    untimed_view = scan(parse_records(fixture_text('3.7', 'queue-j.jsonl').splitlines()),
                        Selector(recipient='remote-one'), 2 ** 31, action='hold')
    assert timed['affected_ids'] == untimed_view['targets']
    assert postsuper_calls(timed) == [('postsuper', ['hold'], ['-', 'incoming', 'active', 'deferred'],
                                       untimed_view['targets'])]
