# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every file this collection writes goes through write_atomic()."""

from __future__ import annotations

import os
import tempfile


def write_atomic(module, path, content, mode=None, validate=None):
    """Replace ``path`` with ``content`` (bytes) so that readers see the old or the new file, never a mix.

    The new content goes to a temporary file in the same directory, gets the
    old file's mode and ownership (or ``mode`` for a new file), is flushed to
    disk, optionally checked by ``validate(temp_path)`` (which raises to
    refuse it), and is renamed into place. On any failure the temporary file
    is removed and ``path`` is untouched.
    """
    directory, name = os.path.split(os.path.abspath(path))
    fd, temp_path = tempfile.mkstemp(prefix='.%s.' % name, suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            current = os.stat(path)
            os.chmod(temp_path, current.st_mode & 0o7777)
            os.chown(temp_path, current.st_uid, current.st_gid)
        else:
            os.chmod(temp_path, 0o644 if mode is None else mode)
        if validate is not None:
            validate(temp_path)
        module.atomic_move(temp_path, path, unsafe_writes=False)
    finally:
        if os.path.exists(temp_path):
            os.unlink(temp_path)


def read_bytes(path):
    """A file's content, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None
