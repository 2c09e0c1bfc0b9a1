# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for what postfix_service reports when postfix status cannot tell, or the action fails.

The answers are postfix(1)'s and postfix-script's, on a terminal, as Postfix
3.7 and 3.10 give them.
"""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.modules import postfix_service

NOT_RUNNING = 'postfix/postfix-script: the Postfix mail system is not running\r\n'
NO_MAIN_CF = 'postfix: fatal: open /etc/postfix-out/main.cf: No such file or directory\r\n'
NOT_ROOT = ('postfix: error: to submit mail, use the Postfix sendmail command\r\n'
            'postfix: fatal: the postfix command is reserved for the superuser\r\n')
START_FAILED = 'postfix/postfix-script: fatal: mail system startup failed\r\n'


def run(run_module, postfix, running, answers, check_mode=False, **args):
    postfix.running, postfix.answers = running, answers
    args.setdefault('config_dir', '/etc/postfix-out')  # not the default instance: no systemd path
    return run_module(postfix_service, check_mode=check_mode, **args)


@pytest.mark.parametrize('check_mode', [False, True])
def test_starting_an_instance_without_main_cf_fails_before_it_acts(run_module, postfix, check_mode):
    # The EXAMPLE "Start a secondary instance", with a config_dir that does not exist.
    result = run(run_module, postfix, False, {'status': (1, NO_MAIN_CF), 'start': (1, NO_MAIN_CF)},
                 check_mode=check_mode, state='started')
    assert result['failed'] is True
    assert result['msg'] == ('postfix status failed (rc=1), so whether Postfix runs is unknown: postfix: fatal: open '
                             '/etc/postfix-out/main.cf: No such file or directory')
    assert result['changed'] is False
    assert 'running' not in result
    assert postfix.commands == ['status']


def test_a_start_that_fails_reports_postfix_stopped_and_nothing_changed(run_module, postfix):
    result = run(run_module, postfix, False, {'start': (1, START_FAILED)}, state='started')
    assert result['failed'] is True
    assert result['msg'].startswith('postfix start failed (rc=1): postfix/postfix-script: fatal: mail system startup')
    assert (result['changed'], result['running'], result['action']) == (False, False, 'start')


def test_a_restart_whose_start_fails_reports_postfix_stopped_and_a_change(run_module, postfix):
    result = run(run_module, postfix, True, {'start': (1, START_FAILED)}, state='restarted')
    assert result['failed'] is True
    assert (result['changed'], result['running'], result['action']) == (True, False, 'restart')
    assert postfix.commands == ['status', 'stop', 'start', 'status']


def test_a_reload_that_fails_reports_postfix_running_and_nothing_changed(run_module, postfix):
    result = run(run_module, postfix, True, {'reload': (1, 'postfix/postfix-script: fatal: reload failed\r\n')},
                 state='reloaded')
    assert result['failed'] is True
    assert (result['changed'], result['running'], result['action']) == (False, True, 'reload')


def test_the_successful_start_still_reports_a_change(run_module, postfix):
    result = run(run_module, postfix, False, {}, state='started')
    assert 'failed' not in result
    assert (result['changed'], result['running'], result['action']) == (True, True, 'start')


@pytest.mark.parametrize('rc, output, running', [
    (0, 'postfix/postfix-script: the Postfix mail system is running: PID: 322\r\n', True),
    (1, NOT_RUNNING, False),
])
def test_is_running_reads_postfix_status(postfix, rc, output, running):
    postfix.answers = {'status': (rc, output)}
    assert postfix_control.is_running(postfix) is running


@pytest.mark.parametrize('output, message', [
    (NO_MAIN_CF, r'unknown: postfix: fatal: open /etc/postfix-out/main.cf: No such file or directory$'),
    (NOT_ROOT, r'reserved for the superuser; it needs root \(become: true\)$'),
    ('', r'unknown: no message$'),
])
def test_is_running_refuses_to_guess(postfix, output, message):
    postfix.answers = {'status': (1, output)}
    with pytest.raises(PostfixCommandError, match=message) as error:
        postfix_control.is_running(postfix)
    assert (error.value.cmd, error.value.rc) == (['postfix', 'status'], 1)
