# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for restart and its rollback (postfix_control.py, config_stage.apply_changes), on a simulated Postfix."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.transaction import stage as config_stage
from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError, PostfixCommandError


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

    def run(self, tool, options=(), args=()):
        # postconf -h queue_directory: one without master's pid file, so nothing tells of a reload by other means.
        return 0, '/nonexistent/queue\n', ''

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


class FakeInstallation:
    """atomic_file.Installation over the simulated Postfix: undo() puts the good configuration back."""

    def __init__(self):
        self.runner = None
        self.names = []

    def installed(self):
        return list(self.names)

    def undo(self):
        self.runner.bad_config = False
        return []

    def done(self):
        pass


class FakeStage:
    """StagedConfig without files: install() puts the bad configuration live, the installation's undo() the good one."""

    postfix = None

    def __init__(self, module, runner):
        self.runner = runner

    def edit(self, **edits):
        pass

    def validate(self, **values):
        return []

    def changed_files(self):
        return ['main.cf']

    def install(self, names, installation):
        self.runner.bad_config = True
        installation.runner = self.runner
        installation.names += names

    def cleanup(self):
        pass


class FakeModule:
    check_mode = False


def restart_inet_interfaces(monkeypatch, runner):
    monkeypatch.setattr(config_stage, 'StagedConfig', FakeStage)
    monkeypatch.setattr(atomic_file, 'Installation', FakeInstallation)
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
    assert message.endswith('nothing of this run is live (the previous main.cf put back), and Postfix started with them')
    assert result['changed'] is False
    # Stop and start of the restart, then one start with the old files; no second stop of a stopped Postfix.
    assert [command for command in runner.commands if command != 'status'] == ['stop', 'start', 'start']


def test_failed_restart_says_when_postfix_stays_down(monkeypatch):
    runner = SimulatedPostfix()
    runner.start_always_fails = True
    message, dummy = restart_inet_interfaces(monkeypatch, runner)
    assert not runner.running
    assert ('(the previous main.cf put back); starting Postfix with them failed too, so POSTFIX IS NOT RUNNING'
            in message)


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
    assert postfix_control.reload_plan(runner, allowed, restart_parameters) == dict(expected, pending_reload=False)


@pytest.mark.parametrize('plan, commands', [
    ({'reloaded': True, 'restarted': False, 'reload_needed': False}, ['reload']),
    ({'reloaded': False, 'restarted': True, 'reload_needed': False}, ['stop', 'start', 'status']),
    ({'reloaded': False, 'restarted': False, 'reload_needed': False}, []),
])
def test_carry_out_does_what_the_plan_says(plan, commands):
    runner = SimulatedPostfix()
    postfix_control.carry_out(runner, plan)
    assert runner.commands == commands


def test_no_reload_is_a_new_dict_each_time():
    first = postfix_control.no_reload()
    first['restart_required'].append('x')
    assert postfix_control.no_reload() == {'reloaded': False, 'restarted': False, 'reload_needed': False,
                                           'restart_required': [], 'pending_reload': False}


# ---------------------------------------------------------------------------
# apply_changes: the order of the installs, and a failure of the second one

class OrderStage(FakeStage):
    installed = []

    def changed_files(self):
        return ['main.cf', 'master.cf']

    def install(self, names, installation):
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

    def write_failing_main_cf(module, path, content, mtime=None, installation=None):
        if path.endswith('/main.cf') and content == b'new main.cf\n':
            raise OSError(28, 'No space left on device', path)
        real_write(module, path, content, mtime=mtime, installation=installation)

    monkeypatch.setattr(config_stage, 'write_atomic', write_failing_main_cf)
    monkeypatch.setattr(config_stage, 'StagedConfig', EditedStage)
    result = {}
    with pytest.raises(MailopsError) as raised:
        config_stage.apply_changes(FilesModule(str(tmp_path)), runner, {'myhostname': {'before': 'a', 'after': 'b'}},
                                   {'x/unix': {'before': None, 'after': 'x unix - - n - - smtp'}}, result)
    assert str(raised.value) == (
        'No space left on device: %s/main.cf (the file system is full); nothing of this run is live '
        '(the previous %s/master.cf put back)' % (live, live))
    assert result['changed'] is False
    assert (live / 'master.cf').read_text() == 'old master.cf\n'
    assert (live / 'main.cf').read_text() == 'old main.cf\n'
    # Nothing left next to them: the kept previous master.cf went back into place.
    assert sorted(path.name for path in live.iterdir()) == ['main.cf', 'master.cf']


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


# ---------------------------------------------------------------------------
# A run stopped between its change and its handler: the next run reloads

def test_a_reload_left_to_the_handler_is_noted_and_planned_by_the_next_run(note_directory):
    runner = SimulatedPostfix()
    runner.module = FilesModule(str(note_directory.parent))
    plan = postfix_control.reload_plan(runner, False, {'inet_interfaces'})
    postfix_control.carry_out(runner, plan)  # the files are live; the handler never runs
    assert [path.name for path in note_directory.iterdir()] == ['reload-%2Fetc%2Fpostfix-test.json']
    # The next run changes nothing itself, and still plans the restart the change needed.
    later = postfix_control.reload_plan(runner, True, needed=False)
    assert later == {'running': True, 'reloaded': False, 'restarted': True, 'reload_needed': False,
                     'restart_required': ['inet_interfaces'], 'pending_reload': True}
    postfix_control.carry_out(runner, later)
    assert list(note_directory.iterdir()) == []
    assert postfix_control.reload_plan(runner, True, needed=False) == dict(postfix_control.no_reload(), running=True)


def test_a_pending_reload_of_a_stopped_postfix_is_not_planned(note_directory):
    runner = SimulatedPostfix()
    runner.module = FilesModule(str(note_directory.parent))
    postfix_control.carry_out(runner, postfix_control.reload_plan(runner, False))
    runner.running = False  # it reads the new files when it starts
    assert postfix_control.reload_plan(runner, True, needed=False) == dict(postfix_control.no_reload(), running=False)


def test_nothing_changed_and_nothing_pending_plans_nothing():
    runner = SimulatedPostfix()
    assert postfix_control.reload_plan(runner, True, needed=False) == dict(postfix_control.no_reload(), running=True)
    assert runner.commands == ['status']


def fake_proc(directory, processes, boot=1700000000):
    """A /proc with stat files: pid -> (ppid, comm, start in seconds after boot)."""
    directory.mkdir()
    (directory / 'stat').write_text('cpu  1 2 3\nbtime %d\n' % boot)
    for pid, (ppid, comm, start) in processes.items():
        (directory / str(pid)).mkdir()
        fields = ['S', str(ppid)] + ['0'] * 17 + [str(start * os.sysconf('SC_CLK_TCK'))] + ['0'] * 5
        (directory / str(pid) / 'stat').write_text('%d (%s) %s\n' % (pid, comm, ' '.join(fields)))
    (directory / 'self').mkdir()


def test_process_starts_reads_parents_names_and_start_times(tmp_path):
    fake_proc(tmp_path / 'proc', {310: (1, 'master', 100), 329: (310, 'qmgr', 160), 400: (1, 'odd) name (x', 5)})
    assert postfix_control.process_starts(str(tmp_path / 'proc')) == {
        310: (1, 'master', 1700000100.0), 329: (310, 'qmgr', 1700000160.0), 400: (1, 'odd) name (x', 1700000005.0)}


class QueueRunner(SimulatedPostfix):
    """postconf -h queue_directory, for a queue directory with master's pid file."""

    def __init__(self, queue_directory):
        super().__init__()
        self.queue_directory = queue_directory

    def run(self, tool, options=(), args=()):
        assert (tool, list(options), list(args)) == ('postconf', ['hide_names'], ['queue_directory'])
        return 0, '%s\n' % self.queue_directory, ''


@pytest.mark.parametrize('processes, reloaded', [
    pytest.param({310: (1, 'master', 100), 312: (310, 'qmgr', 100)}, False, id='nothing-since'),
    pytest.param({310: (1, 'master', 100), 329: (310, 'qmgr', 160)}, True, id='reloaded-by-someone-else'),
    pytest.param({410: (1, 'master', 160), 411: (410, 'qmgr', 160)}, True, id='restarted-by-someone-else'),
    pytest.param({310: (1, 'master', 100), 330: (310, 'pickup', 160)}, False, id='frozen-no-qmgr'),
    pytest.param({310: (1, 'master', 100), 329: (999, 'qmgr', 160)}, False, id='another-instance-qmgr'),
])
def test_a_reload_by_other_means_is_seen_in_the_processes(tmp_path, monkeypatch, processes, reloaded):
    fake_proc(tmp_path / 'proc', processes)
    master = min(pid for pid, (ppid, comm, start) in processes.items() if comm == 'master')
    (tmp_path / 'pid').mkdir()
    (tmp_path / 'pid' / 'master.pid').write_text('%11d\n' % master)
    real_starts = postfix_control.process_starts
    monkeypatch.setattr(postfix_control, 'process_starts', lambda: real_starts(str(tmp_path / 'proc')))
    # The note was written 150 s after boot.
    assert postfix_control._reloaded_since(QueueRunner(str(tmp_path)), 1700000150) is reloaded
