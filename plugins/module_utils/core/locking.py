# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One writer at a time: a lock per Postfix instance and a lock per lookup table.

Private to this collection: roles and playbooks use the modules, never module_utils.

Every module run reads the current state, plans, and installs whole files by
rename. Two runs that overlap would each install a file planned from the
state before the other's change, and one change would be lost (or a freeze
undone while it reports success). So a run that changes main.cf or master.cf
holds its instance's lock, and a run that changes a table holds that table's
lock, from before it reads until its install and reload are done. Check mode
takes the same locks: it stages files next to the live ones too, and it must
see the state a real run would see.

The locks are flock(2) locks on files in /run, one per instance (its
configuration directory) or table (its path): the kernel releases them when a
process ends, however it ends, so there is nothing stale to clean up. While a
run holds a lock, the file says who holds it, for the message of a run that
waits.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from contextlib import contextmanager

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError

LOCK_DIRECTORY = '/run/mailops-postfix'
DEFAULT_TIMEOUT = 60
_POLL_INTERVAL = 0.05
# Longer file names (a deep path) are replaced by their hash: NAME_MAX is 255.
_NAME_LIMIT = 200


class LockTimeout(MailopsError):
    """Another run held the lock for longer than the caller would wait."""


def lock_path(kind, path, directory=LOCK_DIRECTORY, suffix='.lock'):
    """The lock file for an ``instance`` (configuration directory) or a ``table`` (its path).

    Named after the resolved path with "/" spelled %2F, so that an operator
    can tell which lock is which (``ls /run/mailops-postfix``). Other notes
    about an instance live there too, named the same way with their own
    ``kind`` and ``suffix`` (postfix_control's pending reload).
    """
    path = path.rstrip('/') or '/'
    # A table's own name counts (its compiled files sit next to it, even when it is a symlink);
    # an instance is its directory, however it is reached.
    resolved = (os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path)) if kind == 'table'
                else os.path.realpath(path))
    name = resolved.replace('%', '%25').replace('/', '%2F')
    if len(name) > _NAME_LIMIT:
        name = hashlib.sha256(resolved.encode('utf-8', 'surrogateescape')).hexdigest()
    return os.path.join(directory, '%s-%s%s' % (kind, name, suffix))


class Locks:
    """The locks one module run takes, and how long it waited for them (reported in ``result``)."""

    def __init__(self, module, result, directory=LOCK_DIRECTORY):
        self.owner = module._name
        self.timeout = module.params['lock_timeout']
        self.result = result
        self.directory = directory
        self.waited = 0.0
        self.waited_for = []
        self._report()

    @contextmanager
    def hold(self, kind, path):
        """Hold the lock on ``path`` for the block; raise LockTimeout after waiting ``timeout`` seconds.

        Always take an instance lock before a table lock, never the other way
        round, so that two runs can never wait for each other.
        """
        if os.geteuid() != 0:
            # Only root can change a Postfix instance; a run without root reads (and
            # fails at its first write), and /run is not writable for it.
            yield
            return
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        name = lock_path(kind, path, self.directory)
        fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            self._acquire(fd, kind, path)
            os.ftruncate(fd, 0)
            os.pwrite(fd, ('%s pid %d since %s\n' % (
                self.owner, os.getpid(), time.strftime('%H:%M:%S', time.localtime()))).encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)  # the next holder may not say who it is
        finally:
            os.close(fd)  # releases the lock
            self._report()

    def _acquire(self, fd, kind, path):
        start = time.monotonic()
        holder = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = holder or os.pread(fd, 200, 0).decode('utf-8', 'replace').strip() or 'another run'
                if time.monotonic() - start >= self.timeout:
                    raise LockTimeout(
                        'the %s %s is locked by %s, and it was still locked after %s seconds (lock_timeout); '
                        'nothing was changed. Run again when that run has finished, or raise lock_timeout'
                        % (kind, path, holder, self.timeout))
                time.sleep(_POLL_INTERVAL)
        if holder is not None:
            self.waited += time.monotonic() - start
            self.waited_for.append('%s %s (held by %s)' % (kind, path, holder))

    def _report(self):
        # A run that waited says so in its result, also when it then failed.
        self.result['lock_wait'] = round(self.waited, 2)
        if self.waited_for:
            self.result['lock_waited_for'] = list(self.waited_for)
