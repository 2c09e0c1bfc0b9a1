# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for restart and its rollback (postfix_control.py, config_stage.apply_changes), on a simulated Postfix."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils import config_stage, postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.module_errors import PostfixCommandError


class SimulatedPostfix:
    """postfix status/stop/start as postfix-script answers them. ``bad_config``: start fails while it is set;
    ``start_always_fails``: also with the restored files."""

    config_dir = '/etc/postfix-test'  # not the default instance: no systemd path

    def __init__(self):
        self.running = True
        self.bad_config = False
        self.start_always_fails = False
        self.commands = []
        self.module = None

    def run_with_terminal(self, tool, args=(), config_dir=None):
        command = args[0]
        self.commands.append(command)
        if command == 'status':
            return (0 if self.running else 1), ''
        if command == 'stop':
            if not self.running:
                return 1, 'postfix/postfix-script: fatal: the Postfix mail system is not running\n'
            self.running = False
            return 0, ''
        if command == 'start':
            if self.bad_config or self.start_always_fails:
                return 1, 'postfix/postfix-script: fatal: mail system startup failed\n'
            self.running = True
            return 0, ''
        raise AssertionError(command)


class FakeStage:
    """StagedConfig without files: install() puts the bad configuration live, restore() the good one."""

    postfix = None

    def __init__(self, module, runner):
        self.runner = runner

    def edit(self, **edits):
        pass

    def validate(self, **values):
        return []

    def changed_files(self):
        return ['main.cf']

    def install(self, names):
        self.runner.bad_config = True

    def restore(self, names):
        self.runner.bad_config = False

    def cleanup(self):
        pass


class FakeModule:
    check_mode = False


def restart_inet_interfaces(monkeypatch, runner):
    monkeypatch.setattr(config_stage, 'StagedConfig', FakeStage)
    result = {}
    with pytest.raises(PostfixCommandError) as raised:
        config_stage.apply_changes(FakeModule(), runner, {'inet_interfaces': {'before': 'all', 'after': '192.0.2.9'}},
                                   {}, result)
    return str(raised.value), result


def test_restart_reports_a_start_that_failed():
    runner = SimulatedPostfix()
    runner.bad_config = True
    with pytest.raises(PostfixCommandError, match='postfix start failed'):
        postfix_control.restart(runner)
    assert not runner.running


def test_failed_restart_restores_the_files_and_starts_postfix_with_them(monkeypatch):
    runner = SimulatedPostfix()
    message, result = restart_inet_interfaces(monkeypatch, runner)
    assert result['restarted']
    assert runner.running
    assert not runner.bad_config
    assert 'postfix start failed' in message
    assert message.endswith('the previous main.cf restored, and Postfix started with them')
    # Stop and start of the restart, then one start with the old files; no second stop of a stopped Postfix.
    assert [command for command in runner.commands if command != 'status'] == ['stop', 'start', 'start']


def test_failed_restart_says_when_postfix_stays_down(monkeypatch):
    runner = SimulatedPostfix()
    runner.start_always_fails = True
    message, dummy = restart_inet_interfaces(monkeypatch, runner)
    assert not runner.running
    assert 'the previous main.cf restored; starting Postfix with them failed too, so POSTFIX IS NOT RUNNING' in message


def test_restart_through_systemd_checks_that_postfix_runs(monkeypatch):
    runner = SimulatedPostfix()

    class Module:
        @staticmethod
        def run_command(argv):
            runner.running = False  # Debian's postfix.service succeeds although postfix@- failed
            return 0, '', ''

    runner.module = Module()
    monkeypatch.setattr(postfix_control, '_systemd_unit', lambda dummy: '/bin/systemctl')
    with pytest.raises(PostfixCommandError, match=r'Postfix is not running after postfix restart \(postfix status\)'):
        postfix_control.restart(runner)
