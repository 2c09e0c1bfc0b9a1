# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/core/atomic_file.py: what reaches the disk, and in which order.

A rename is atomic for readers, but after a crash the new name may point to a
file whose data never reached the disk (an empty main.cf), unless the file was
synced before the rename; and the rename itself may be lost unless the
directory was synced after it. The order is recorded from os.fsync and
os.rename calls.
"""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes


class NoSELinuxModule:
    @staticmethod
    def selinux_enabled():
        return False


MODULE = NoSELinuxModule()


@pytest.fixture
def disk_calls(monkeypatch):
    """The fsync and rename calls, in order: ('fsync', 'directory' or the file's inode), ('rename', inode, target)."""
    calls = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd):
        status = os.fstat(fd)
        calls.append(('fsync', 'directory' if stat.S_ISDIR(status.st_mode) else status.st_ino))
        real_fsync(fd)

    def rename(source, target):
        calls.append(('rename', os.stat(source).st_ino, str(target)))
        real_rename(source, target)

    monkeypatch.setattr(atomic_file.os, 'fsync', fsync)
    monkeypatch.setattr(atomic_file.os, 'rename', rename)
    return calls


def test_write_atomic_syncs_the_file_renames_then_syncs_the_directory(tmp_path, disk_calls):
    path = tmp_path / 'main.cf'
    path.write_bytes(b'old\n')
    atomic_file.write_atomic(MODULE, str(path), b'myhostname = mx\n')
    inode = path.stat().st_ino  # the staged file, now under the live name
    assert disk_calls == [('fsync', inode), ('rename', inode, str(path)), ('fsync', 'directory')]
    assert path.read_bytes() == b'myhostname = mx\n'


def test_a_staged_table_is_synced_before_it_is_installed(tmp_path, disk_calls):
    # Tables stage and install in two steps, with postmap in between: the sync belongs to the staging.
    path = tmp_path / 'access'
    staged = atomic_file.stage(MODULE, str(path), b'a@example.com REJECT\n',
                               file_attributes.resolve(None, None, None, None, 0o644))
    inode = os.stat(staged).st_ino
    assert disk_calls == [('fsync', inode)]
    atomic_file.install(staged, str(path))
    assert disk_calls == [('fsync', inode), ('rename', inode, str(path)), ('fsync', 'directory')]


def test_a_backup_is_on_disk_before_the_change_it_protects(tmp_path, disk_calls):
    path = tmp_path / 'sasl_passwd'
    path.write_bytes(b'[smtp.example.net]:587 user:secret\n')
    backup_path = atomic_file.backup(MODULE, str(path))
    inode = os.stat(backup_path).st_ino
    assert disk_calls == [('fsync', inode), ('rename', inode, backup_path), ('fsync', 'directory')]
