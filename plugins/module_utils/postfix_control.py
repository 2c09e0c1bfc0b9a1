# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop, reload and query a Postfix instance."""

from __future__ import annotations

import os

from ansible_collections.mailops.postfix.plugins.module_utils.module_errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.module_utils.postfix_runner import DEFAULT_CONFIG_DIR


def is_running(runner):
    """Whether the instance's master process runs (``postfix status`` exit code)."""
    return runner.run_with_terminal('postfix', ['status'])[0] == 0


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


def _control(runner, systemd_verb, postfix_commands):
    systemctl = _systemd_unit(runner)
    if systemctl:
        _systemctl(runner, systemctl, systemd_verb)
    else:
        for command in postfix_commands:
            _postfix(runner, command)
    _check_running(runner, 'postfix %s' % systemd_verb)
