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
        if command in ('status', 'reload'):
            return (0, '') if self.running else (1, 'postfix/postfix-script: the Postfix mail system is not running\n')
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


# ---------------------------------------------------------------------------
# reload_plan: the one decision about reloading after a change

@pytest.mark.parametrize('running, allowed, restart_parameters, expected', [
    pytest.param(True, True, (), {'running': True, 'reloaded': True, 'restarted': False, 'reload_needed': False,
                                  'restart_required': []}, id='running-allowed-reload'),
    pytest.param(True, True, {'inet_interfaces'}, {'running': True, 'reloaded': False, 'restarted': True,
                                                   'reload_needed': False, 'restart_required': ['inet_interfaces']},
                 id='running-allowed-restart'),
    pytest.param(True, False, (), {'running': True, 'reloaded': False, 'restarted': False, 'reload_needed': True,
                                   'restart_required': []}, id='running-not-allowed'),
    pytest.param(True, False, {'inet_protocols', 'inet_interfaces'}, {
        'running': True, 'reloaded': False, 'restarted': False, 'reload_needed': True,
        'restart_required': ['inet_interfaces', 'inet_protocols']}, id='running-not-allowed-restart'),
    pytest.param(False, True, (), {'running': False, 'reloaded': False, 'restarted': False, 'reload_needed': False,
                                   'restart_required': []}, id='stopped-allowed'),
    pytest.param(False, False, {'inet_interfaces'}, {'running': False, 'reloaded': False, 'restarted': False,
                                                     'reload_needed': False, 'restart_required': ['inet_interfaces']},
                 id='stopped-not-allowed-restart'),
])
def test_reload_plan(running, allowed, restart_parameters, expected):
    runner = SimulatedPostfix()
    runner.running = running
    assert postfix_control.reload_plan(runner, allowed, restart_parameters) == expected


@pytest.mark.parametrize('plan, commands', [
    ({'reloaded': True, 'restarted': False}, ['reload']),
    ({'reloaded': False, 'restarted': True}, ['stop', 'start', 'status']),
    ({'reloaded': False, 'restarted': False}, []),
])
def test_carry_out_does_what_the_plan_says(plan, commands):
    runner = SimulatedPostfix()
    postfix_control.carry_out(runner, plan)
    assert runner.commands == commands


def test_no_reload_is_a_new_dict_each_time():
    first = postfix_control.no_reload()
    first['restart_required'].append('x')
    assert postfix_control.no_reload() == {'reloaded': False, 'restarted': False, 'reload_needed': False,
                                           'restart_required': []}


# ---------------------------------------------------------------------------
# apply_changes: the order of the installs, and a failure of the second one

class OrderStage(FakeStage):
    installed = []

    def changed_files(self):
        return ['main.cf', 'master.cf']

    def install(self, names):
        OrderStage.installed = list(names)


def test_master_cf_goes_live_before_main_cf(monkeypatch):
    # New services must exist before main.cf refers to them (a content_filter naming a new transport).
    monkeypatch.setattr(config_stage, 'StagedConfig', OrderStage)
    runner = SimulatedPostfix()
    runner.running = False
    config_stage.apply_changes(FakeModule(), runner, {'content_filter': {'before': None, 'after': 'scan:[127.0.0.1]:10025'}},
                               {'scan/unix': {'before': None, 'after': 'scan unix - - n - 10 smtp'}}, {})
    assert OrderStage.installed == ['master.cf', 'main.cf']


class FilesModule:
    """Enough of AnsibleModule for StagedConfig and atomic_file."""
    check_mode = False

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir

    @staticmethod
    def selinux_enabled():
        return False


class EditedStage(config_stage.StagedConfig):
    """The real stage, with the edits made by hand and no Postfix to validate them."""

    def edit(self, **edits):
        for name in config_stage.CONFIG_FILES:
            with open('%s/%s' % (self.path, name), 'w') as handle:
                handle.write('new %s\n' % name)

    def validate(self, **values):
        return []


def test_a_failed_second_install_puts_the_first_file_back(monkeypatch, tmp_path):
    live = tmp_path / 'postfix'
    live.mkdir()
    for name in config_stage.CONFIG_FILES:
        (live / name).write_text('old %s\n' % name)
    runner = SimulatedPostfix()
    runner.config_dir = str(live)
    runner.running = False
    real_write = config_stage.write_atomic

    def write_failing_main_cf(module, path, content, mtime=None):
        if path.endswith('/main.cf') and content == b'new main.cf\n':
            raise OSError(28, 'No space left on device', path)
        real_write(module, path, content, mtime=mtime)

    monkeypatch.setattr(config_stage, 'write_atomic', write_failing_main_cf)
    monkeypatch.setattr(config_stage, 'StagedConfig', EditedStage)
    with pytest.raises(OSError, match='No space left on device'):
        config_stage.apply_changes(FilesModule(str(tmp_path)), runner, {'myhostname': {'before': 'a', 'after': 'b'}},
                                   {'x/unix': {'before': None, 'after': 'x unix - - n - - smtp'}}, {})
    assert (live / 'master.cf').read_text() == 'old master.cf\n'
    assert (live / 'main.cf').read_text() == 'old main.cf\n'


class PostmultiRunner:
    """postmulti -l as Postfix prints it, for a default and a secondary instance."""

    def __init__(self, rc=0, out='-               -               y         /etc/postfix\n'
                                 'postfix-out     mta             n         /etc/postfix-out\n'):
        self.answer = (rc, out, '')

    def run(self, tool, options=(), args=(), check_rc=True):
        assert (tool, options) == ('postmulti', ['list'])
        return self.answer


def test_instances_from_postmulti():
    assert postfix_control.instances(PostmultiRunner()) == [
        {'name': '-', 'group': None, 'enabled': True, 'config_dir': '/etc/postfix'},
        {'name': 'postfix-out', 'group': 'mta', 'enabled': False, 'config_dir': '/etc/postfix-out'}]
    assert postfix_control.instances(PostmultiRunner(rc=1, out='')) == []
