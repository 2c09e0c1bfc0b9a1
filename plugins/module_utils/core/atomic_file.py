# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every file this collection writes is staged here and renamed into place.

Private to this collection: roles and playbooks use the modules, never module_utils.

A staged file is a hidden temporary file in the target's own directory, with
its final content, mode, ownership and SELinux context already set, flushed
to disk. ``install()`` renames it over the target: readers see the old file or
the new one, never a mix. Lookup tables need the two steps apart, because the
compiled table is built from the staged source before either is installed.
``Installation`` installs the files of one run so that all of them can be put
back when a later step fails.
"""

from __future__ import annotations

import os
import random
import re
import stat
import string
import tempfile
import time

from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError, os_error_text

_LINK_NAME = string.ascii_letters + string.digits + '_'


def stage(module, path, content, attributes):
    """Write ``content`` (bytes) to a new temporary file next to ``path``; return its name.

    ``attributes`` (file_attributes.Attributes) are the final owner, group and mode.
    """
    directory, name = os.path.split(os.path.abspath(path))
    fd, temp_path = tempfile.mkstemp(prefix='.%s.' % name, suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        set_attributes(module, temp_path, path, attributes)
    except BaseException:
        os.unlink(temp_path)
        raise
    return temp_path


def _hidden_name(path, make):
    """Call ``make(name)`` with a new hidden name next to ``path`` (.NAME.XXXXXXXX.tmp) until it succeeds."""
    directory, name = os.path.split(os.path.abspath(path))
    while True:
        hidden = os.path.join(directory, '.%s.%s.tmp' % (name, ''.join(random.choice(_LINK_NAME) for dummy in range(8))))
        try:
            make(hidden)
            return hidden
        except FileExistsError:
            continue


def stage_link(path, target):
    """Create a new temporary symlink to ``target`` next to ``path``; return its name."""
    return _hidden_name(path, lambda link: os.symlink(target, link))


def set_attributes(module, temp_path, path, attributes):
    """Give a staged file its final owner, group, mode and the SELinux context ``path`` has or would get."""
    file_attributes.apply(temp_path, attributes)
    if module.selinux_enabled():
        context = module.selinux_context(path) if os.path.exists(path) else module.selinux_default_context(path)
        module.set_context_if_different(temp_path, context, False)


def install(temp_path, path):
    """Rename a staged file over ``path`` and make the rename durable.

    Unlike AnsibleModule.atomic_move this keeps the staged file's mode and
    mtime: a compiled table must stay newer than its source.
    """
    os.rename(temp_path, path)
    directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class InstallError(MailopsError):
    """A staged file could not be renamed over the live one."""


class Installation:
    """The files one run renames into place, and the files they replace, until the run is done.

    ``install()`` first keeps the file it replaces as a hard link next to it
    (the same inode: nothing is copied), so that ``undo()`` can rename it back
    when a later step of the run fails: the tables of a postconf run go live
    only with its main.cf, and a failed reload puts every file back. ``done()``
    drops the kept files. They are named as staged files are
    (.NAME.XXXXXXXX.tmp), so that a table's kept file that an interrupted run
    left is removed with its other leftovers.
    """

    def __init__(self):
        self.replaced = []  # (live path, its kept previous file, None where there was none)

    def install(self, temp_path, path):
        """Rename ``temp_path`` over ``path``, keeping the file it replaces; raise InstallError naming ``path``."""
        kept = None
        try:
            if os.path.lexists(path):
                kept = _hidden_name(path, lambda name: os.link(path, name, follow_symlinks=False))
            install(temp_path, path)
        except OSError as error:
            if kept:
                remove_quietly(kept)
            raise InstallError('%s could not be replaced: %s' % (path, os_error_text(error, path)))
        self.replaced.append((path, kept))

    def installed(self):
        return [path for path, dummy in self.replaced]

    def undo(self):
        """Put back what the installed files replaced, last first; return the paths that could not be put back.

        The kept file of a path that could not be put back stays, for the operator.
        """
        failed = []
        for path, kept in reversed(self.replaced):
            try:
                if kept is None:
                    os.unlink(path)
                else:
                    install(kept, path)
            except OSError:
                failed.append(path)
        self.replaced = []
        return failed

    def done(self):
        """The run succeeded: drop the kept files."""
        for dummy, kept in self.replaced:
            if kept:
                remove_quietly(kept)
        self.replaced = []


def remove_quietly(path):
    """Remove a file that may already be gone (cleanup of staged files)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_atomic(module, path, content, mode=0o644, mtime=None, installation=None):
    """Replace ``path`` with ``content`` (bytes) atomically.

    An existing file keeps its mode and ownership; a new one gets ``mode``.
    ``mtime`` (seconds since the epoch) replaces the time of writing. On any
    failure the staged file is removed and ``path`` is untouched. With an
    ``installation``, the run can put the previous file back.
    """
    attributes = file_attributes.resolve(None, None, None, file_attributes.current(path), mode)
    temp_path = stage(module, path, content, attributes)
    try:
        if mtime is not None:
            os.utime(temp_path, (mtime, mtime))
        if installation is None:
            install(temp_path, path)
        else:
            installation.install(temp_path, path)
    finally:
        remove_quietly(temp_path)


def backup(module, path, attributes=None, keep=None):
    """Copy ``path`` to a backup file next to it; return the backup's name.

    Named as AnsibleModule.backup_local() names backups (PATH.PID.DATE@TIME~),
    but staged with its final owner, group and mode from the start:
    backup_local() creates the copy first and sets its mode afterwards, so
    the copy of a secret table would be readable by others for a moment.
    ``attributes`` (file_attributes.Attributes) are those, by default the
    source's own; a secret table's backup gets the table's enforced 0600,
    whatever mode the old file had. ``keep``: how many backups of ``path``
    to keep, this one included; older ones are removed (None keeps all).
    """
    if keep is not None and keep < 1:
        raise MailopsError('backup_keep is %d: keep at least 1 backup (the one written now), or leave it out to keep '
                           'them all' % keep)
    source = os.stat(path)
    backup_path = '%s.%s.%s' % (path, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~', time.localtime()))
    if attributes is None:
        attributes = file_attributes.Attributes(source.st_uid, source.st_gid, stat.S_IMODE(source.st_mode))
    temp_path = stage(module, backup_path, read_bytes(path), attributes)
    try:
        install(temp_path, backup_path)
    finally:
        remove_quietly(temp_path)
    if keep is not None:
        for old in backups(path)[:-keep]:
            remove_quietly(old)
    return backup_path


def backups(path):
    """The backups of ``path`` that backup() wrote, oldest first."""
    directory, name = os.path.split(os.path.abspath(path))
    pattern = re.compile(r'%s\.[0-9]+\.([0-9]{4}-[0-9]{2}-[0-9]{2}@[0-9]{2}:[0-9]{2}:[0-9]{2})~' % re.escape(name))
    found = []
    for entry in os.listdir(directory):
        match = pattern.fullmatch(entry)
        if match:
            found.append((match.group(1), os.stat(os.path.join(directory, entry)).st_mtime, entry))
    return [os.path.join(directory, entry) for dummy, dummy, entry in sorted(found)]


def read_bytes(path):
    """A file's content, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None
