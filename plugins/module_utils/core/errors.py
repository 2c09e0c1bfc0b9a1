# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every module of this collection fails: with what was wrong and, for a
Postfix command, the command itself with its rc and output.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import errno
import os
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

# Why root itself may not write a file.
_ROOT_REFUSED = ('root may not change it: an immutable or append-only file or directory (see lsattr; chattr -i '
                 'undoes it), or a security module (SELinux, AppArmor) refused it')
_CAUSES = {
    errno.EROFS: 'the file system is mounted read-only',
    errno.ENOSPC: 'the file system is full',
    errno.EDQUOT: 'the disk quota is used up',
}


def os_error_text(error, path=None):
    """An OSError as a user reads it: what failed on which file, and the likely cause.

    ``path`` names the file the user knows (a live file rather than the staged
    file that was being renamed over it).
    """
    what = '%s: %s' % (error.strerror or error, path or error.filename) if (path or error.filename) else str(error)
    if error.errno in _CAUSES:
        return '%s (%s)' % (what, _CAUSES[error.errno])
    if error.errno in (errno.EPERM, errno.EACCES):
        return '%s (%s)' % (what, _ROOT_REFUSED if os.geteuid() == 0 else NEEDS_ROOT)
    return what


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
        # to the live ones), a table path in a directory that does not exist, an immutable file, a full disk.
        module.fail_json(msg=os_error_text(error), **result)
