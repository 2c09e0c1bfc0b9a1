# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/core/atomic_file.py and config_stage.settled_mtime, on temporary files."""

from __future__ import annotations

import os
import stat
import time

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.stage import settled_mtime


class NoSELinuxModule:
    """The one AnsibleModule method atomic_file uses on a host without SELinux."""

    @staticmethod
    def selinux_enabled():
        return False


MODULE = NoSELinuxModule()


def test_write_atomic_creates_a_new_file_with_the_given_mode(tmp_path):
    path = tmp_path / 'main.cf'
    atomic_file.write_atomic(MODULE, str(path), b'myhostname = mx\n', mode=0o640)
    assert path.read_bytes() == b'myhostname = mx\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ['main.cf']


def test_write_atomic_keeps_the_mode_of_an_existing_file(tmp_path):
    path = tmp_path / 'main.cf'
    path.write_bytes(b'old\n')
    path.chmod(0o600)
    atomic_file.write_atomic(MODULE, str(path), b'new\n')
    assert path.read_bytes() == b'new\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_atomic_sets_the_given_mtime(tmp_path):
    path = tmp_path / 'main.cf'
    atomic_file.write_atomic(MODULE, str(path), b'x\n', mtime=1000000000)
    assert path.stat().st_mtime == 1000000000


def test_write_atomic_without_mtime_keeps_the_time_of_writing(tmp_path):
    path = tmp_path / 'main.cf'
    before = time.time()
    atomic_file.write_atomic(MODULE, str(path), b'x\n')
    assert path.stat().st_mtime >= int(before)


def test_a_failed_write_leaves_the_target_and_no_staged_file(tmp_path, monkeypatch):
    path = tmp_path / 'main.cf'
    path.write_bytes(b'old\n')

    def failing_rename(source, target):
        raise OSError('simulated failure')

    monkeypatch.setattr(atomic_file.os, 'rename', failing_rename)
    with pytest.raises(OSError, match='simulated failure'):
        atomic_file.write_atomic(MODULE, str(path), b'new\n')
    assert path.read_bytes() == b'old\n'
    assert os.listdir(tmp_path) == ['main.cf']


def test_install_keeps_the_staged_mtime(tmp_path):
    path = tmp_path / 'table'
    attributes = file_attributes.resolve(None, None, None, None, 0o644)
    staged = atomic_file.stage(MODULE, str(path), b'key value\n', attributes)
    os.utime(staged, (2000000000, 2000000000))
    atomic_file.install(staged, str(path))
    assert path.stat().st_mtime == 2000000000
    assert os.listdir(tmp_path) == ['table']


def test_settled_mtime_is_old_enough_for_postfix_to_read_at_once():
    # dict_load_file() reads without pausing once mtime < (time at its start) - 1.
    now = time.time()
    mtime = settled_mtime()
    assert mtime < int(now) - 1
    assert mtime >= int(now) - 3


def test_backup_has_the_source_mode_from_the_start(tmp_path, monkeypatch):
    path = tmp_path / 'sasl_passwd'
    path.write_bytes(b'[smtp.example.net]:587 user:secret\n')
    path.chmod(0o600)
    modes_at_creation = []
    real_stage = atomic_file.stage

    def watching_stage(module, target, content, attributes):
        temp_path = real_stage(module, target, content, attributes)
        modes_at_creation.append(stat.S_IMODE(os.stat(temp_path).st_mode))
        return temp_path

    monkeypatch.setattr(atomic_file, 'stage', watching_stage)
    backup_path = atomic_file.backup(MODULE, str(path))
    assert backup_path.startswith(str(path) + '.%d.' % os.getpid()) and backup_path.endswith('~')
    assert modes_at_creation == [0o600]
    assert stat.S_IMODE(os.stat(backup_path).st_mode) == 0o600
    assert open(backup_path, 'rb').read() == b'[smtp.example.net]:587 user:secret\n'
    assert sorted(os.listdir(tmp_path)) == sorted(['sasl_passwd', os.path.basename(backup_path)])


def test_backup_takes_the_given_attributes_over_the_old_mode(tmp_path):
    # A secret table's old file was readable by others: its backup still is not.
    path = tmp_path / 'sasl_passwd'
    path.write_bytes(b'[smtp.example.net]:587 user:OldSecret\n')
    path.chmod(0o644)
    enforced = file_attributes.Attributes(os.getuid(), os.getgid(), 0o600)
    backup_path = atomic_file.backup(MODULE, str(path), enforced)
    assert stat.S_IMODE(os.stat(backup_path).st_mode) == 0o600


def test_backup_keep_removes_the_oldest_backups_of_that_file_only(tmp_path):
    path = tmp_path / 'main.cf'
    path.write_bytes(b'new\n')
    older = ['main.cf.11.2026-01-0%d@10:00:00~' % day for day in (1, 2, 3)]
    for name in older + ['master.cf.11.2026-01-01@10:00:00~', 'main.cf.orig']:
        (tmp_path / name).write_bytes(b'old\n')
    backup_path = atomic_file.backup(MODULE, str(path), keep=2)
    assert atomic_file.backups(str(path)) == [str(tmp_path / older[2]), backup_path]
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['main.cf', older[2], os.path.basename(backup_path), 'master.cf.11.2026-01-01@10:00:00~', 'main.cf.orig'])


def test_backup_keep_below_one_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / 'main.cf'
    path.write_bytes(b'new\n')
    with pytest.raises(atomic_file.MailopsError, match='backup_keep is 0'):
        atomic_file.backup(MODULE, str(path), keep=0)
    assert os.listdir(tmp_path) == ['main.cf']


# ---------------------------------------------------------------------------
# Installation: the files of one run go live together, or are all put back

def staged(tmp_path, name, content):
    target = tmp_path / name
    return atomic_file.stage(MODULE, str(target), content, file_attributes.Attributes(os.getuid(), os.getgid(), 0o644))


def test_undo_puts_back_every_replaced_file_and_removes_new_ones(tmp_path):
    (tmp_path / 'access').write_bytes(b'old access\n')
    (tmp_path / 'access.db').write_bytes(b'old db\n')
    old_inode = os.stat(tmp_path / 'access.db').st_ino
    installation = atomic_file.Installation()
    for name in ('access.db', 'access', 'transport'):
        installation.install(staged(tmp_path, name, b'new %s\n' % name.encode()), str(tmp_path / name))
    assert (tmp_path / 'transport').read_bytes() == b'new transport\n'
    assert installation.undo() == []
    assert (tmp_path / 'access').read_bytes() == b'old access\n'
    # The same file as before, not a copy: daemons that have it open see no change.
    assert os.stat(tmp_path / 'access.db').st_ino == old_inode
    assert sorted(os.listdir(tmp_path)) == ['access', 'access.db']


def test_done_keeps_the_new_files_and_drops_the_kept_ones(tmp_path):
    (tmp_path / 'access').write_bytes(b'old\n')
    installation = atomic_file.Installation()
    installation.install(staged(tmp_path, 'access', b'new\n'), str(tmp_path / 'access'))
    # The previous file is kept as a hidden name that the leftover cleanup of tables knows.
    assert [name for name in os.listdir(tmp_path) if name != 'access'][0].startswith('.access.')
    installation.done()
    assert os.listdir(tmp_path) == ['access'] and (tmp_path / 'access').read_bytes() == b'new\n'


def test_a_file_that_cannot_be_replaced_is_named_with_the_cause(tmp_path, monkeypatch):
    (tmp_path / 'main.cf').write_bytes(b'old\n')
    temp_path = staged(tmp_path, 'main.cf', b'new\n')

    def immutable(source, target, follow_symlinks=True):
        raise PermissionError(1, 'Operation not permitted', source, None, target)

    monkeypatch.setattr(atomic_file.os, 'link', immutable)
    monkeypatch.setattr(atomic_file.os, 'geteuid', lambda: 0)
    installation = atomic_file.Installation()
    with pytest.raises(atomic_file.InstallError) as raised:
        installation.install(temp_path, str(tmp_path / 'main.cf'))
    message = str(raised.value)
    assert message.startswith('%s could not be replaced: Operation not permitted: %s (' % (
        tmp_path / 'main.cf', tmp_path / 'main.cf'))
    assert 'immutable' in message and '.tmp' not in message and 'become' not in message
    assert installation.installed() == [] and (tmp_path / 'main.cf').read_bytes() == b'old\n'
