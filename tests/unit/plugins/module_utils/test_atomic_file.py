# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/atomic_file.py and config_stage.settled_mtime, on temporary files."""

from __future__ import annotations

import os
import stat
import time

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils import atomic_file, file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.config_stage import settled_mtime


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
