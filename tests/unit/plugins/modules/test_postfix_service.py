# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the postfix_service module, on a simulated Postfix."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.postfix.plugins.modules import postfix_service


NOT_RUNNING = 'postfix/postfix-script: the Postfix mail system is not running\n'


class SimulatedPostfix:
    """postfix status, start, stop and reload, as postfix-script answers them (no systemd: a test instance)."""

    running = True
    commands = []

    def __init__(self, module, config_dir):
        self.module = module
        self.config_dir = config_dir

    def run_with_terminal(self, tool, args=(), config_dir=None):
        command = args[0]
        SimulatedPostfix.commands.append(command)
        if command in ('status', 'reload'):
            return (0, '') if SimulatedPostfix.running else (1, NOT_RUNNING)
        SimulatedPostfix.running = command == 'start'
        return 0, ''


def run_module(capsys, monkeypatch, running, check_mode=False, **args):
    monkeypatch.setattr(postfix_service, 'PostfixRunner', SimulatedPostfix)
    SimulatedPostfix.running = running
    SimulatedPostfix.commands = []
    args.setdefault('config_dir', '/etc/postfix-test')  # not the default instance: no systemd path
    if check_mode:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            postfix_service.main()
    result = json.loads(capsys.readouterr().out)
    return result, [command for command in SimulatedPostfix.commands if command != 'status']


@pytest.mark.parametrize('state, running, changed, commands, running_after', [
    ('reloaded', True, True, ['reload'], True),
    ('reloaded', False, False, [], False),
    ('restarted', True, True, ['stop', 'start'], True),
    ('restarted', False, True, ['start'], True),
    ('started', False, True, ['start'], True),
    ('started', True, False, [], True),
    ('stopped', True, True, ['stop'], False),
    ('stopped', False, False, [], False),
])
def test_acts_only_when_there_is_something_to_do(capsys, monkeypatch, state, running, changed, commands, running_after):
    result, done = run_module(capsys, monkeypatch, running, state=state)
    assert (result['changed'], done, result['running']) == (changed, commands, running_after)
    assert SimulatedPostfix.running == running_after


@pytest.mark.parametrize('state, running', [('reloaded', True), ('restarted', False), ('stopped', True)])
def test_check_mode_predicts_and_does_nothing(capsys, monkeypatch, state, running):
    predicted, done = run_module(capsys, monkeypatch, running, check_mode=True, state=state)
    assert done == []
    assert SimulatedPostfix.running == running
    real, dummy = run_module(capsys, monkeypatch, running, state=state)
    assert (predicted['changed'], predicted['running']) == (real['changed'], real['running'])


@pytest.mark.parametrize('changes, state', [
    ([], None),
    ([{'reload_needed': False, 'restart_required': ['inet_interfaces']}, {'changed': True}], None),
    ([{'reload_needed': True, 'restart_required': []}, {'reload_needed': False}], 'reloaded'),
    ([{'reload_needed': True, 'restart_required': []}, {'reload_needed': True, 'restart_required': ['inet_protocols']}],
     'restarted'),
])
def test_state_for_the_changes_of_other_modules(changes, state):
    assert postfix_service.state_for(changes) == state


def test_changes_that_need_nothing_touch_nothing(capsys, monkeypatch):
    result, done = run_module(capsys, monkeypatch, True, changes=[{'changed': True, 'reload_needed': False}])
    assert (result['changed'], done) == (False, [])
    result, done = run_module(capsys, monkeypatch, True, changes=[{'reload_needed': True, 'restart_required': []}])
    assert (result['changed'], result['action'], done) == (True, 'reload', ['reload'])
    result, done = run_module(capsys, monkeypatch, True,
                              changes=[{'reload_needed': True, 'restart_required': ['inet_protocols']}])
    assert (result['changed'], result['action']) == (True, 'restart')
