# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for restart and its rollback (postfix_control.py, config_stage.apply_changes), on the fake Postfix."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.transaction import stage as config_stage
from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError, PostfixCommandError


START_FAILED = (1, 'postfix/postfix-script: fatal: mail system startup failed\n')


@pytest.fixture
def runner(postfix, ansible_module):
    """The fake Postfix as a test instance: not the default one (no systemd path), and with a queue directory
    without master's pid file, so that nothing tells of a reload by other means."""
    postfix.config_dir = '/etc/postfix-test'
    postfix.main_cf['queue_directory'] = '/nonexistent/queue'
    postfix.module = ansible_module
    return postfix


class FakeInstallation:
    """atomic_file.Installation over the fake Postfix: undo() puts the good configuration back, with which
    postfix start answers as it did before."""

    def __init__(self):
        self.runner = None
        self.start_before = None
        self.names = []

    def installed(self):
        return list(self.names)

    def undo(self):
        if self.start_before is None:
            self.runner.answers.pop('start', None)
        else:
            self.runner.answers['start'] = self.start_before
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
        installation.start_before = self.runner.answers.get('start')
        self.runner.answers['start'] = START_FAILED  # the bad configuration is live
        installation.runner = self.runner
        installation.names += names

    def cleanup(self):
        pass


def restart_inet_interfaces(monkeypatch, runner):
    monkeypatch.setattr(config_stage, 'StagedConfig', FakeStage)
    monkeypatch.setattr(atomic_file, 'Installation', FakeInstallation)
    result = {}
    with pytest.raises(PostfixCommandError) as raised:
        config_stage.apply_changes(runner.module, runner, {'inet_interfaces': {'before': 'all', 'after': '192.0.2.9'}},
                                   {}, result)
    return str(raised.value), result


def test_restart_reports_a_start_that_failed(runner):
    runner.answers['start'] = START_FAILED
    with pytest.raises(PostfixCommandError, match='postfix start failed'):
        postfix_control.restart(runner)
    assert not runner.running


def test_failed_restart_restores_the_files_and_starts_postfix_with_them(monkeypatch, runner):
    message, result = restart_inet_interfaces(monkeypatch, runner)
    assert result['restarted']
    assert runner.running
    assert 'start' not in runner.answers  # the good configuration is back
    assert 'postfix start failed' in message
    assert message.endswith('nothing of this run is live (the previous main.cf put back), and Postfix started with them')
    assert result['changed'] is False
    # Stop and start of the restart, then one start with the old files; no second stop of a stopped Postfix.
    assert [command for command in runner.commands if command != 'status'] == ['stop', 'start', 'start']


def test_failed_restart_says_when_postfix_stays_down(monkeypatch, runner):
    runner.answers['start'] = START_FAILED  # also with the restored files
    message, dummy = restart_inet_interfaces(monkeypatch, runner)
    assert not runner.running
    assert ('(the previous main.cf put back); starting Postfix with them failed too, so POSTFIX IS NOT RUNNING'
            in message)


def test_restart_through_systemd_checks_that_postfix_runs(monkeypatch, runner):
    def systemctl(argv):
        runner.running = False  # Debian's postfix.service succeeds although postfix@- failed
        return 0, '', ''

    runner.module.run_command = systemctl
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
def test_reload_plan(runner, running, allowed, restart_parameters, expected):
    runner.running = running
    assert postfix_control.reload_plan(runner, allowed, restart_parameters) == dict(expected, pending_reload=False)


@pytest.mark.parametrize('plan, commands', [
    ({'reloaded': True, 'restarted': False, 'reload_needed': False}, ['reload']),
    ({'reloaded': False, 'restarted': True, 'reload_needed': False}, ['stop', 'start', 'status']),
    ({'reloaded': False, 'restarted': False, 'reload_needed': False}, []),
])
def test_carry_out_does_what_the_plan_says(runner, plan, commands):
    postfix_control.carry_out(runner, plan)
    assert runner.commands == commands


# ---------------------------------------------------------------------------
# go_live: the one path from a run's files to the reload, that every module takes

@pytest.mark.parametrize('check_mode, reload, expected_commands, installed, reported', [
    pytest.param(False, True, ['status', 'reload'], True, {'reloaded': True, 'reload_needed': False},
                 id='real-reload'),
    pytest.param(True, True, ['status'], False, {'reloaded': True, 'reload_needed': False},
                 id='check-predicts-the-reload'),
    pytest.param(False, False, ['status'], True, {'reloaded': False, 'reload_needed': True},
                 id='real-left-to-the-handler'),
    pytest.param(True, False, ['status'], False, {'reloaded': False, 'reload_needed': True},
                 id='check-left-to-the-handler'),
])
def test_go_live_decides_and_acts_only_outside_check_mode(monkeypatch, runner, check_mode, reload, expected_commands,
                                                          installed, reported):
    monkeypatch.setattr(postfix_control, '_note_pending', lambda runner, restart_parameters: None)
    runner.module.check_mode = check_mode
    calls, result = [], {}
    plan = config_stage.go_live(runner.module, runner, result, calls.append, reload)
    assert runner.commands == expected_commands
    assert bool(calls) is installed
    assert {key: result[key] for key in reported} == reported
    assert plan == {key: result[key] for key in plan}


def test_go_live_with_nothing_needed_asks_postfix_nothing_unless_told_to_catch_up(runner):
    calls, result = [], {}
    config_stage.go_live(runner.module, runner, result, calls.append, True, needed=False)
    assert runner.commands == [] and len(calls) == 1
    assert result == postfix_control.no_reload()
    config_stage.go_live(runner.module, runner, result, calls.append, True, needed=False, catch_up=True)
    assert runner.commands == ['status']  # whether an earlier run left a reload: nothing pending
    assert result == dict(postfix_control.no_reload(), running=True)


def test_go_live_restarts_for_restart_parameters(runner):
    result = {}
    config_stage.go_live(runner.module, runner, result, lambda installation: None, True,
                         restart_parameters={'inet_interfaces'})
    assert result['restarted'] and not result['reloaded']
    assert runner.commands == ['status', 'stop', 'start', 'status']


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


def test_master_cf_goes_live_before_main_cf(monkeypatch, runner):
    # New services must exist before main.cf refers to them (a content_filter naming a new transport).
    monkeypatch.setattr(config_stage, 'StagedConfig', OrderStage)
    runner.running = False
    config_stage.apply_changes(runner.module, runner, {'content_filter': {'before': None, 'after': 'scan:[127.0.0.1]:10025'}},
                               {'scan/unix': {'before': None, 'after': 'scan unix - - n - 10 smtp'}}, {})
    assert OrderStage.installed == ['master.cf', 'main.cf']


class EditedStage(config_stage.StagedConfig):
    """The real stage, with the edits made by hand and no Postfix to validate them."""

    def edit(self, **edits):
        for name in config_stage.CONFIG_FILES:
            with open('%s/%s' % (self.path, name), 'w') as handle:
                handle.write('new %s\n' % name)

    def validate(self, **values):
        return []


def test_a_failed_second_install_puts_the_first_file_back(monkeypatch, tmp_path, runner):
    live = tmp_path / 'postfix'
    live.mkdir()
    for name in config_stage.CONFIG_FILES:
        (live / name).write_text('old %s\n' % name)
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
        config_stage.apply_changes(runner.module, runner, {'myhostname': {'before': 'a', 'after': 'b'}},
                                   {'x/unix': {'before': None, 'after': 'x unix - - n - - smtp'}}, result)
    assert str(raised.value) == (
        'No space left on device: %s/main.cf (the file system is full); nothing of this run is live '
        '(the previous %s/master.cf put back)' % (live, live))
    assert result['changed'] is False
    assert (live / 'master.cf').read_text() == 'old master.cf\n'
    assert (live / 'main.cf').read_text() == 'old main.cf\n'
    # Nothing left next to them: the kept previous master.cf went back into place.
    assert sorted(path.name for path in live.iterdir()) == ['main.cf', 'master.cf']


def test_instances_from_postmulti(postfix):
    # postmulti -l as Postfix prints it, for a default and a secondary instance.
    postfix.instances = ('-               -               y         /etc/postfix\n'
                         'postfix-out     mta             n         /etc/postfix-out\n')
    assert postfix_control.instances(postfix) == [
        {'name': '-', 'group': None, 'enabled': True, 'config_dir': '/etc/postfix'},
        {'name': 'postfix-out', 'group': 'mta', 'enabled': False, 'config_dir': '/etc/postfix-out'}]
    postfix.fail('postmulti', 1, '')
    assert postfix_control.instances(postfix) == []
    assert postfix.calls == [('postmulti', ['list'], [])] * 2


# ---------------------------------------------------------------------------
# A run stopped between its change and its handler: the next run reloads

def test_a_reload_left_to_the_handler_is_noted_and_planned_by_the_next_run(note_directory, runner):
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


def test_a_pending_reload_of_a_stopped_postfix_is_not_planned(note_directory, runner):
    postfix_control.carry_out(runner, postfix_control.reload_plan(runner, False))
    runner.running = False  # it reads the new files when it starts
    assert postfix_control.reload_plan(runner, True, needed=False) == dict(postfix_control.no_reload(), running=False)


def test_nothing_changed_and_nothing_pending_plans_nothing(runner):
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


@pytest.mark.parametrize('processes, reloaded', [
    pytest.param({310: (1, 'master', 100), 312: (310, 'qmgr', 100)}, False, id='nothing-since'),
    pytest.param({310: (1, 'master', 100), 329: (310, 'qmgr', 160)}, True, id='reloaded-by-someone-else'),
    pytest.param({410: (1, 'master', 160), 411: (410, 'qmgr', 160)}, True, id='restarted-by-someone-else'),
    pytest.param({310: (1, 'master', 100), 330: (310, 'pickup', 160)}, False, id='frozen-no-qmgr'),
    pytest.param({310: (1, 'master', 100), 329: (999, 'qmgr', 160)}, False, id='another-instance-qmgr'),
])
def test_a_reload_by_other_means_is_seen_in_the_processes(tmp_path, monkeypatch, runner, processes, reloaded):
    fake_proc(tmp_path / 'proc', processes)
    master = min(pid for pid, (ppid, comm, start) in processes.items() if comm == 'master')
    (tmp_path / 'pid').mkdir()
    (tmp_path / 'pid' / 'master.pid').write_text('%11d\n' % master)
    real_starts = postfix_control.process_starts
    monkeypatch.setattr(postfix_control, 'process_starts', lambda: real_starts(str(tmp_path / 'proc')))
    # A queue directory with master's pid file. The note was written 150 s after boot.
    runner.main_cf['queue_directory'] = str(tmp_path)
    assert postfix_control._reloaded_since(runner, 1700000150) is reloaded
    assert runner.calls == [('postconf', ['expand', 'hide_names'], ['queue_directory'])]


# ---------------------------------------------------------------------------
# master_pid: whether master runs, from its pid file's lock in /proc/locks, without postfix status

def lock_line(number, pid, inode, waiting=False):
    return '%d: %sFLOCK  ADVISORY  WRITE %d 00:13f:%d 0 EOF\n' % (number, '-> ' if waiting else '', pid, inode)


@pytest.fixture
def master_files(tmp_path, monkeypatch, runner):
    """A queue directory with master's pid file (pid 308), and a /proc/locks to write: returns (pid file, locks)."""
    (tmp_path / 'pid').mkdir()
    pid_file = tmp_path / 'pid' / 'master.pid'
    pid_file.write_text('%11d\n' % 308)
    runner.main_cf['queue_directory'] = str(tmp_path)
    locks = tmp_path / 'locks'
    monkeypatch.setattr(postfix_control, 'PROC_LOCKS', str(locks))
    return pid_file, locks


@pytest.mark.parametrize('lines, held', [
    pytest.param(lambda inode: lock_line(5, 308, inode + 1) + lock_line(6, 308, inode), True, id='held-by-master'),
    pytest.param(lambda inode: lock_line(6, 309, inode), False, id='held-by-another-pid'),
    pytest.param(lambda inode: lock_line(6, 308, inode + 1), False, id='another-file'),
    pytest.param(lambda inode: lock_line(6, 308, inode, waiting=True), False, id='only-waiting'),
    pytest.param(lambda inode: '', False, id='no-locks'),
])
def test_master_runs_when_its_pid_file_is_locked_by_it(master_files, runner, lines, held):
    pid_file, locks = master_files
    locks.write_text(lines(os.stat(pid_file).st_ino))
    runner.running = False  # what postfix status would say: only asked when the lock does not show master
    assert postfix_control.master_pid(runner) == (308 if held else None)
    assert postfix_control.is_running(runner) is held
    assert runner.commands == ([] if held else ['status'])


def test_without_a_pid_file_or_proc_locks_postfix_status_decides(master_files, runner):
    pid_file, locks = master_files
    pid_file.unlink()
    assert postfix_control.is_running(runner) is True and runner.commands == ['status']
    pid_file.write_text('308\n')  # the file again, but no /proc/locks to read
    runner.running = False
    assert postfix_control.is_running(runner) is False and runner.commands == ['status', 'status']


def test_reload_signals_master_only_when_asked_and_master_is_found(master_files, monkeypatch, runner):
    pid_file, locks = master_files
    locks.write_text(lock_line(1, 308, os.stat(pid_file).st_ino))
    signals = []
    monkeypatch.setattr(postfix_control.os, 'kill', lambda pid, number: signals.append((pid, number)))
    postfix_control.reload(runner)
    assert runner.commands == ['reload'] and signals == []
    postfix_control.reload(runner, signal_master=True)
    assert runner.commands == ['reload'] and signals == [(308, postfix_control.signal.SIGHUP)]
    locks.write_text('')  # master not shown: postfix reload, which says whether Postfix runs
    postfix_control.reload(runner, signal_master=True)
    assert runner.commands == ['reload', 'reload'] and len(signals) == 1


class RecordedInstallation:
    """atomic_file.Installation that records what was installed and whether it was undone."""

    def __init__(self):
        self.names = []
        self.undone = False

    def installed(self):
        return list(self.names)

    def undo(self):
        self.undone = True
        return []

    def done(self):
        pass


def test_a_signal_that_fails_puts_the_files_back(master_files, monkeypatch, runner):
    pid_file, locks = master_files
    locks.write_text(lock_line(1, 308, os.stat(pid_file).st_ino))

    def gone(pid, number):
        raise ProcessLookupError(3, 'No such process')
    monkeypatch.setattr(postfix_control.os, 'kill', gone)
    installation = RecordedInstallation()
    monkeypatch.setattr(atomic_file, 'Installation', lambda: installation)
    result = {}
    with pytest.raises(MailopsError, match='No such process.*nothing of this run is live'):
        config_stage.go_live(runner.module, runner, result, lambda inst: inst.names.append('/etc/postfix/main.cf'),
                             True, signal_master=True)
    assert installation.undone and result['changed'] is False and result['reloaded'] is True
