# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every file this collection writes is staged here and renamed into place.

Private to this collection: roles and playbooks use the modules, never module_utils.

A staged file is a hidden temporary file in the target's own directory, with
its final content, mode, ownership and SELinux context already set, flushed
to disk. ``install()`` renames it over the target: readers see the old file or
the new one, never a mix. Lookup tables need the two steps apart, because the
compiled table is built from the staged source before either is installed.
"""

from __future__ import annotations

import os
import random
import stat
import string
import tempfile
import time

from ansible_collections.mailops.postfix.plugins.module_utils import file_attributes

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


def stage_link(path, target):
    """Create a new temporary symlink to ``target`` next to ``path``; return its name."""
    directory, name = os.path.split(os.path.abspath(path))
    while True:
        link = os.path.join(directory, '.%s.%s.tmp' % (name, ''.join(random.choice(_LINK_NAME) for dummy in range(8))))
        try:
            os.symlink(target, link)
            return link
        except FileExistsError:
            continue


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


def remove_quietly(path):
    """Remove a file that may already be gone (cleanup of staged files)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_atomic(module, path, content, mode=0o644, mtime=None):
    """Replace ``path`` with ``content`` (bytes) atomically.

    An existing file keeps its mode and ownership; a new one gets ``mode``.
    ``mtime`` (seconds since the epoch) replaces the time of writing. On any
    failure the staged file is removed and ``path`` is untouched.
    """
    attributes = file_attributes.resolve(None, None, None, file_attributes.current(path), mode)
    temp_path = stage(module, path, content, attributes)
    try:
        if mtime is not None:
            os.utime(temp_path, (mtime, mtime))
        install(temp_path, path)
    finally:
        remove_quietly(temp_path)


def backup(module, path):
    """Copy ``path`` to a backup file next to it; return the backup's name.

    Named as AnsibleModule.backup_local() names backups (PATH.PID.DATE@TIME~),
    but staged with the source's owner, group and mode from the start:
    backup_local() creates the copy first and sets its mode afterwards, so
    the copy of a secret table would be readable by others for a moment.
    """
    source = os.stat(path)
    backup_path = '%s.%s.%s' % (path, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~', time.localtime()))
    attributes = file_attributes.Attributes(source.st_uid, source.st_gid, stat.S_IMODE(source.st_mode))
    temp_path = stage(module, backup_path, read_bytes(path), attributes)
    try:
        install(temp_path, backup_path)
    finally:
        remove_quietly(temp_path)
    return backup_path


def read_bytes(path):
    """A file's content, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None
