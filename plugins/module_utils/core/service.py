# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop, reload and query a Postfix instance, and the one decision about reloading after a change.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import json
import os
import signal
import time

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import LOCK_DIRECTORY, lock_path
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import DEFAULT_CONFIG_DIR


# What postfix-script says of a stopped instance (Postfix 3.7 and 3.10, on a terminal).
_NOT_RUNNING = 'the Postfix mail system is not running'


def is_running(runner):
    """Whether the instance's master process runs: master_pid(), and when that cannot show it, ``postfix status``.

    Raise PostfixCommandError when postfix status cannot tell: it fails the
    same way (exit code 1) for a configuration directory without main.cf,
    a main.cf it cannot read, or a user who is not root, and none of them
    means that Postfix is stopped.
    """
    if master_pid(runner) is not None:
        return True
    rc, output = runner.run_with_terminal('postfix', ['status'])
    if rc == 0:
        return True
    if _NOT_RUNNING in output:
        return False
    hint = '; it needs root (become: true)' if 'reserved for the superuser' in output else ''
    raise PostfixCommandError('postfix status failed (rc=%d), so whether Postfix runs is unknown: %s%s'
                              % (rc, output.strip() or 'no message', hint), cmd=['postfix', 'status'], rc=rc,
                              stderr=output)


# The kernel's list of file locks (one line per lock: "1: FLOCK  ADVISORY  WRITE 308 00:13f:3809639 0 EOF").
PROC_LOCKS = '/proc/locks'


def master_pid(runner):
    """The pid of the instance's running master, or None when this cannot show that it runs.

    What postfix status asks ``master -t``, read without starting a process
    (postfix status is a shell script: 8 processes): a running master holds
    an flock on $queue_directory/pid/master.pid, the file that names it.
    Running is shown only by /proc/locks listing a lock on that file (its
    inode) held by that pid. None for anything else - no file, a stale one,
    a file only root reads, no /proc/locks, a pid namespace apart - and
    callers then ask postfix status, which decides as before.
    """
    pid, inode = _pid_file(runner)
    if pid is None:
        return None
    try:
        with open(PROC_LOCKS, 'rb') as handle:
            locks = handle.read().decode('ascii', 'replace')
    except OSError:
        return None
    return pid if holds_lock(locks, pid, inode) else None


def _pid_file(runner):
    """(pid, inode) of $queue_directory/pid/master.pid, the file a master writes and locks; (None, None) when it
    cannot be read."""
    path = os.path.join(runner.parameters(['queue_directory'])['queue_directory'], 'pid', 'master.pid')
    try:
        with open(path, 'rb') as handle:
            return int(handle.read().split()[0]), os.fstat(handle.fileno()).st_ino
    except (OSError, ValueError, IndexError):
        return None, None


def holds_lock(locks, pid, inode):
    """Whether ``locks`` (/proc/locks's text) show ``pid`` holding an flock on the file with ``inode``.

    The device is not compared: /proc/locks names the file system's device,
    which stat() does not always give (overlayfs, btrfs subvolumes). A
    waiting lock's line has "->" after its number and does not count.
    """
    for line in locks.splitlines():
        fields = line.split()
        if (len(fields) >= 6 and fields[1] == 'FLOCK' and fields[4] == str(pid)
                and fields[5].rsplit(':', 1)[-1] == str(inode)):
            return True
    return False


def instances(runner):
    """Every instance on the host (``postmulti -l``): name, group, enabled, config_dir; [] without postmulti."""
    rc, out, dummy = runner.run('postmulti', ['list'], check_rc=False)
    found = []
    for line in out.split('\n') if rc == 0 else []:
        fields = line.split()
        if len(fields) == 4:
            found.append({'name': fields[0], 'group': None if fields[1] == '-' else fields[1],
                          'enabled': fields[2] == 'y', 'config_dir': fields[3]})
    return found


def _systemd_unit(runner):
    # On a systemd host the default instance belongs to postfix.service; starting
    # master by hand there would leave the unit failed and master outside it.
    if runner.config_dir == DEFAULT_CONFIG_DIR and os.path.isdir('/run/systemd/system'):
        return runner.module.get_bin_path('systemctl')
    return None


def _postfix(runner, command):
    rc, output = runner.run_with_terminal('postfix', [command])
    if rc != 0:
        raise PostfixCommandError('postfix %s failed (rc=%d): %s' % (command, rc, output.strip()),
                                  cmd=['postfix', command], rc=rc, stderr=output)


def no_reload():
    """The reload_plan() fields of a run that changed nothing a running Postfix must pick up."""
    return {'reloaded': False, 'restarted': False, 'reload_needed': False, 'restart_required': [],
            'pending_reload': False}


def reload_plan(runner, allowed, restart_parameters=(), needed=True):
    """What follows a change that a running Postfix must pick up, as result fields.

    Every module that changes configuration returns these, with one meaning
    (a role notifies one handler from them):

    - running: whether Postfix runs;
    - reloaded, restarted: whether it is reloaded or restarted (in check
      mode: would be). A restart replaces the reload when ``restart_parameters``
      (changed parameters that a reload does not apply) are given;
    - reload_needed: a change was made that a running Postfix has not picked
      up yet, because the caller did not allow it (``allowed`` false);
    - restart_required: the changed parameters that need a restart;
    - pending_reload: an earlier run's files went live and the reload they
      needed never came (that run was stopped before its handler ran); this
      run makes up for it, as if it had made the change itself.

    ``needed`` false: this run changed nothing that needs a reload, and only an
    earlier run's pending reload is planned. A stopped Postfix needs nothing:
    it reads the new files when it starts.
    """
    running = is_running(runner)
    pending = _read_pending(runner) if running else None
    if not needed and pending is None:
        return dict(no_reload(), running=running)
    restart_parameters = sorted(set(restart_parameters) | set(pending or ()))
    act = allowed and running
    return {'running': running, 'reloaded': act and not restart_parameters, 'restarted': act and bool(restart_parameters),
            'reload_needed': running and not allowed, 'restart_required': restart_parameters,
            'pending_reload': pending is not None}


def carry_out(runner, plan, signal_master=False):
    """Reload or restart as reload_plan() decided, or note on the host that the reload is still to come.

    The note (in /run/mailops-postfix) is what lets the next run reload when
    this one stops between its change and its handler (Ctrl-C, a lost
    connection, a CI job's timeout): reload_plan() reads it, and reload(),
    restart() and start() remove it. /run is emptied at boot, when Postfix
    starts with the new files anyway. ``signal_master``: see reload().
    """
    if plan['restarted']:
        restart(runner)
    elif plan['reloaded']:
        reload(runner, signal_master)
    elif plan['reload_needed']:
        _note_pending(runner, plan['restart_required'])


# Where the note of a pending reload lives: next to the locks, in a directory only root writes.
NOTE_DIRECTORY = LOCK_DIRECTORY


def _pending_path(runner):
    return lock_path('reload', runner.config_dir, directory=NOTE_DIRECTORY, suffix='.json')


def _read_pending(runner):
    """The restart parameters of a reload noted for the instance and not done since, or None.

    This collection's reload(), restart() and start() remove the note. A
    reload or restart by other means (systemctl, a handler of one's own)
    shows in the processes: a restart starts a new master, and a reload
    restarts the queue manager, which otherwise runs as long as master does.
    """
    try:
        with open(_pending_path(runner), 'rb') as handle:
            note = json.loads(handle.read().decode('utf-8'))
        restart_required, written = list(note['restart_required']), float(note['time'])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return None if _reloaded_since(runner, written) else restart_required


def _note_pending(runner, restart_parameters):
    os.makedirs(NOTE_DIRECTORY, mode=0o700, exist_ok=True)
    now = time.time()
    note = {'restart_required': sorted(set(restart_parameters) | set(_read_pending(runner) or ())), 'time': now,
            'since': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))}
    atomic_file.write_atomic(runner.module, _pending_path(runner), json.dumps(note).encode(), mode=0o600)


def _reloaded_since(runner, when):
    """Whether the instance's master, or its queue manager, started after ``when`` (seconds since the epoch).

    False when that cannot be told (no pid file; a frozen host has no queue
    manager): the reload is then done once more.
    """
    master = _pid_file(runner)[0]
    if master is None:
        return False
    processes = process_starts()
    if master in processes and processes[master][2] > when:
        return True
    return any(parent == master and name == 'qmgr' and started > when
               for parent, name, started in processes.values())


def process_starts(proc='/proc'):
    """Every process: pid -> (parent pid, command name, start in seconds since the epoch), from /proc."""
    try:
        with open(os.path.join(proc, 'stat'), 'rb') as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith(b'btime '))
    except (OSError, StopIteration, ValueError, IndexError):
        return {}
    ticks = os.sysconf('SC_CLK_TCK')
    processes = {}
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, 'stat'), 'rb') as handle:
                text = handle.read().decode('utf-8', 'replace')
        except OSError:
            continue  # ended meanwhile
        # pid (comm) state ppid ... starttime (field 22); comm may hold spaces and parentheses.
        name = text[text.find('(') + 1:text.rfind(')')]
        fields = text[text.rfind(')') + 2:].split()
        try:
            processes[int(entry)] = (int(fields[1]), name, boot + int(fields[19]) / ticks)
        except (ValueError, IndexError):
            continue
    return processes


def _forget_pending(runner):
    atomic_file.remove_quietly(_pending_path(runner))


def reload(runner, signal_master=False):
    """Make a running master re-read main.cf and master.cf.

    ``postfix reload``, or with ``signal_master`` SIGHUP to the master that
    master_pid() found, which is what postfix reload does after its checks.
    Only for a run whose own checks already read the live main.cf as
    postfix(1) reads it before it signals (every global parameter's type;
    master reads them again on SIGHUP and exits on a bad one): a change that
    went live through stage.apply_changes(), whose StagedConfig.validate()
    ran postfix check, which is postfix(1), or read_as_postfix(). A run that
    changed only tables has not read main.cf, and asks postfix reload. This leaves out postfix reload's shell script (10 processes)
    and its queue maintenance (postsuper's structure check of the active
    queue, then of every queue), which every postfix start and reload does.
    """
    pid = master_pid(runner) if signal_master else None
    if pid is None:
        _postfix(runner, 'reload')
    else:
        os.kill(pid, signal.SIGHUP)
    _forget_pending(runner)


def _systemctl(runner, systemctl, verb):
    rc, out, err = runner.module.run_command([systemctl, verb, 'postfix'])
    if rc != 0:
        raise PostfixCommandError('systemctl %s postfix failed: %s' % (verb, (err or out).strip()),
                                  cmd=[systemctl, verb, 'postfix'], rc=rc, stdout=out, stderr=err)


def _check_running(runner, what):
    # Debian's postfix.service is a wrapper that succeeds even when the instance fails to start.
    if not is_running(runner):
        raise PostfixCommandError('Postfix is not running after %s (postfix status); see the mail log for why' % what,
                                  cmd=['postfix', 'status'])


def start(runner):
    """Start a stopped instance; raise PostfixCommandError unless it then runs."""
    _control(runner, 'start', ['start'])
    _forget_pending(runner)


def restart(runner):
    """Stop and start the instance: needed for inet_interfaces and inet_protocols."""
    _control(runner, 'restart', ['stop', 'start'])
    _forget_pending(runner)


def stop(runner):
    """Stop a running instance; raise PostfixCommandError unless it then is stopped."""
    _control(runner, 'stop', ['stop'], running=False)


# Debian's postfix@.service copies the files the chroot needs (resolv.conf,
# services, ...) into the queue directory before it starts master.
_CONFIGURE_INSTANCE = '/usr/lib/postfix/configure-instance.sh'


def _control(runner, systemd_verb, postfix_commands, running=True):
    systemctl = _systemd_unit(runner)
    if systemctl:
        _systemctl(runner, systemctl, systemd_verb)
    else:
        for command in postfix_commands:
            if command == 'start' and runner.config_dir == DEFAULT_CONFIG_DIR and os.path.exists(_CONFIGURE_INSTANCE):
                # Without systemd, what postfix@-.service would do first.
                runner.module.run_command([_CONFIGURE_INSTANCE, '-'])
            _postfix(runner, command)
    if running:
        _check_running(runner, 'postfix %s' % systemd_verb)
    elif is_running(runner):
        raise PostfixCommandError('Postfix is still running after postfix stop (postfix status)', cmd=['postfix', 'status'])
