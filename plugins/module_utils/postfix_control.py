# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop, reload and query a Postfix instance, and the one decision about reloading after a change.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import os

from ansible_collections.mailops.postfix.plugins.module_utils.module_errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.module_utils.postfix_runner import DEFAULT_CONFIG_DIR


# What postfix-script says of a stopped instance (Postfix 3.7 and 3.10, on a terminal).
_NOT_RUNNING = 'the Postfix mail system is not running'


def is_running(runner):
    """Whether the instance's master process runs (``postfix status``).

    Raise PostfixCommandError when postfix status cannot tell: it fails the
    same way (exit code 1) for a configuration directory without main.cf,
    a main.cf it cannot read, or a user who is not root, and none of them
    means that Postfix is stopped.
    """
    rc, output = runner.run_with_terminal('postfix', ['status'])
    if rc == 0:
        return True
    if _NOT_RUNNING in output:
        return False
    hint = '; it needs root (become: true)' if 'reserved for the superuser' in output else ''
    raise PostfixCommandError('postfix status failed (rc=%d), so whether Postfix runs is unknown: %s%s'
                              % (rc, output.strip() or 'no message', hint), cmd=['postfix', 'status'], rc=rc,
                              stderr=output)


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
    return {'reloaded': False, 'restarted': False, 'reload_needed': False, 'restart_required': []}


def reload_plan(runner, allowed, restart_parameters=()):
    """What follows a change that a running Postfix must pick up, as result fields.

    Every module that changes configuration returns these, with one meaning
    (a role notifies one handler from them):

    - running: whether Postfix runs;
    - reloaded, restarted: whether it is reloaded or restarted (in check
      mode: would be). A restart replaces the reload when ``restart_parameters``
      (changed parameters that a reload does not apply) are given;
    - reload_needed: a change was made that a running Postfix has not picked
      up yet, because the caller did not allow it (``allowed`` false);
    - restart_required: the changed parameters that need a restart.

    A stopped Postfix needs nothing: it reads the new files when it starts.
    """
    running = is_running(runner)
    act = allowed and running
    return {'running': running, 'reloaded': act and not restart_parameters, 'restarted': act and bool(restart_parameters),
            'reload_needed': running and not allowed, 'restart_required': sorted(restart_parameters)}


def carry_out(runner, plan):
    """Reload or restart as reload_plan() decided."""
    if plan['restarted']:
        restart(runner)
    elif plan['reloaded']:
        reload(runner)


def reload(runner):
    """Make a running master re-read main.cf and master.cf."""
    _postfix(runner, 'reload')


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


def restart(runner):
    """Stop and start the instance: needed for inet_interfaces and inet_protocols."""
    _control(runner, 'restart', ['stop', 'start'])


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
