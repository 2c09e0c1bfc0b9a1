# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every module of this collection fails: with what was wrong and, for a
Postfix command, the command itself with its rc and output.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

from contextlib import contextmanager


class MailopsError(Exception):
    """Bad input or a Postfix refusal, already phrased for the user.

    The root of every error a module reports as it is: each format's errors
    derive from it, so that reported_failures() needs no list of classes.
    """

    def to_result(self):
        """Keyword arguments for module.fail_json()."""
        return {'msg': str(self)}


class PostfixCommandError(MailopsError):
    """A Postfix command failed; carries the command and what it printed."""

    def __init__(self, message, cmd=None, rc=None, stdout='', stderr=''):
        super().__init__(message)
        self.cmd = cmd
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def to_result(self):
        return {'msg': str(self), 'cmd': self.cmd, 'rc': self.rc, 'stdout': self.stdout, 'stderr': self.stderr}


NEEDS_ROOT = 'changing a Postfix configuration or queue needs root (become: true)'


@contextmanager
def reported_failures(module, result):
    """Turn a MailopsError (bad input, named in the message; a failed Postfix command) and a file that cannot be
    written or read into fail_json(**result)."""
    try:
        yield
    except MailopsError as error:
        module.fail_json(**dict(result, **error.to_result()))
    except OSError as error:
        # A file the module could not write or read: a --check run without become (the staged files go next
        # to the live ones), or a table path in a directory that does not exist.
        hint = '; ' + NEEDS_ROOT if isinstance(error, PermissionError) else ''
        what = '%s: %s' % (error.strerror, error.filename) if error.filename else str(error)
        module.fail_json(msg=what + hint, **result)
