# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the postfix_service module, on the fake Postfix (tests/unit/conftest.py)."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.modules import postfix_service


def run(run_module, postfix, running, check_mode=False, **args):
    """The result, and the postfix(1) commands the run gave other than status."""
    postfix.running = running
    args.setdefault('config_dir', '/etc/postfix-test')  # not the default instance: no systemd path
    result = run_module(postfix_service, check_mode=check_mode, **args)
    return result, [command for command in postfix.commands if command != 'status']


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
def test_acts_only_when_there_is_something_to_do(run_module, postfix, state, running, changed, commands, running_after):
    result, done = run(run_module, postfix, running, state=state)
    assert (result['changed'], done, result['running']) == (changed, commands, running_after)
    assert postfix.running == running_after


@pytest.mark.parametrize('state, running', [('reloaded', True), ('restarted', False), ('stopped', True)])
def test_check_mode_predicts_and_does_nothing(run_module, postfix, state, running):
    predicted, done = run(run_module, postfix, running, check_mode=True, state=state)
    assert done == []
    assert postfix.running == running
    real, dummy = run(run_module, postfix, running, state=state)
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


def test_changes_that_need_nothing_touch_nothing(run_module, postfix):
    result, done = run(run_module, postfix, True, changes=[{'changed': True, 'reload_needed': False}])
    assert (result['changed'], done) == (False, [])
    result, done = run(run_module, postfix, True, changes=[{'reload_needed': True, 'restart_required': []}])
    assert (result['changed'], result['action'], done) == (True, 'reload', ['reload'])
    result, done = run(run_module, postfix, True,
                       changes=[{'reload_needed': True, 'restart_required': ['inet_protocols']}])
    assert (result['changed'], result['action']) == (True, 'restart')
