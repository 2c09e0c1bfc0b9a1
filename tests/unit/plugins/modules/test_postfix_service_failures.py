# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for what postfix_service reports when postfix status cannot tell, or the action fails.

The answers are postfix(1)'s and postfix-script's, on a terminal, as Postfix
3.7 and 3.10 give them.
"""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.modules import postfix_service

NOT_RUNNING = 'postfix/postfix-script: the Postfix mail system is not running\r\n'
NO_MAIN_CF = 'postfix: fatal: open /etc/postfix-out/main.cf: No such file or directory\r\n'
NOT_ROOT = ('postfix: error: to submit mail, use the Postfix sendmail command\r\n'
            'postfix: fatal: the postfix command is reserved for the superuser\r\n')
START_FAILED = 'postfix/postfix-script: fatal: mail system startup failed\r\n'


class Postfix:
    """An instance whose commands answer as set in ``answers`` (command -> (rc, output)); start and stop take effect."""

    running = False
    answers = {}
    commands = []

    def __init__(self, module=None, config_dir='/etc/postfix-out'):
        self.module = module
        self.config_dir = config_dir

    def run_with_terminal(self, tool, args=(), config_dir=None):
        command = args[0]
        Postfix.commands.append(command)
        if command in Postfix.answers:
            return Postfix.answers[command]
        if command == 'status':
            return (0, '') if Postfix.running else (1, NOT_RUNNING)
        if command in ('start', 'stop'):
            Postfix.running = command == 'start'
        return 0, ''


def run_module(capsys, monkeypatch, running, answers, check_mode=False, **args):
    monkeypatch.setattr(postfix_service, 'PostfixRunner', Postfix)
    Postfix.running, Postfix.answers, Postfix.commands = running, answers, []
    args.setdefault('config_dir', '/etc/postfix-out')  # not the default instance: no systemd path
    if check_mode:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            postfix_service.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('check_mode', [False, True])
def test_starting_an_instance_without_main_cf_fails_before_it_acts(capsys, monkeypatch, check_mode):
    # The EXAMPLE "Start a secondary instance", with a config_dir that does not exist.
    result = run_module(capsys, monkeypatch, False, {'status': (1, NO_MAIN_CF), 'start': (1, NO_MAIN_CF)},
                        check_mode=check_mode, state='started')
    assert result['failed'] is True
    assert result['msg'] == ('postfix status failed (rc=1), so whether Postfix runs is unknown: postfix: fatal: open '
                             '/etc/postfix-out/main.cf: No such file or directory')
    assert result['changed'] is False
    assert 'running' not in result
    assert Postfix.commands == ['status']


def test_a_start_that_fails_reports_postfix_stopped_and_nothing_changed(capsys, monkeypatch):
    result = run_module(capsys, monkeypatch, False, {'start': (1, START_FAILED)}, state='started')
    assert result['failed'] is True
    assert result['msg'].startswith('postfix start failed (rc=1): postfix/postfix-script: fatal: mail system startup')
    assert (result['changed'], result['running'], result['action']) == (False, False, 'start')


def test_a_restart_whose_start_fails_reports_postfix_stopped_and_a_change(capsys, monkeypatch):
    result = run_module(capsys, monkeypatch, True, {'start': (1, START_FAILED)}, state='restarted')
    assert result['failed'] is True
    assert (result['changed'], result['running'], result['action']) == (True, False, 'restart')
    assert Postfix.commands == ['status', 'stop', 'start', 'status']


def test_a_reload_that_fails_reports_postfix_running_and_nothing_changed(capsys, monkeypatch):
    result = run_module(capsys, monkeypatch, True, {'reload': (1, 'postfix/postfix-script: fatal: reload failed\r\n')},
                        state='reloaded')
    assert result['failed'] is True
    assert (result['changed'], result['running'], result['action']) == (False, True, 'reload')


def test_the_successful_start_still_reports_a_change(capsys, monkeypatch):
    result = run_module(capsys, monkeypatch, False, {}, state='started')
    assert 'failed' not in result
    assert (result['changed'], result['running'], result['action']) == (True, True, 'start')


@pytest.mark.parametrize('rc, output, running', [
    (0, 'postfix/postfix-script: the Postfix mail system is running: PID: 322\r\n', True),
    (1, NOT_RUNNING, False),
])
def test_is_running_reads_postfix_status(rc, output, running):
    Postfix.answers = {'status': (rc, output)}
    assert postfix_control.is_running(Postfix()) is running


@pytest.mark.parametrize('output, message', [
    (NO_MAIN_CF, r'unknown: postfix: fatal: open /etc/postfix-out/main.cf: No such file or directory$'),
    (NOT_ROOT, r'reserved for the superuser; it needs root \(become: true\)$'),
    ('', r'unknown: no message$'),
])
def test_is_running_refuses_to_guess(output, message):
    Postfix.answers = {'status': (1, output)}
    with pytest.raises(PostfixCommandError, match=message) as error:
        postfix_control.is_running(Postfix())
    assert (error.value.cmd, error.value.rc) == (['postfix', 'status'], 1)
