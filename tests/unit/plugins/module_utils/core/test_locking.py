# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/core/locking.py: real flock(2) locks, held by a second process."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import LockTimeout, Locks, lock_path

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='only root takes the locks (others cannot change Postfix)')


class FakeModule:
    _name = 'mailops.postfix.postconf'

    def __init__(self, timeout):
        self.params = {'lock_timeout': timeout}


def hold_elsewhere(path, seconds, owner='mailops.postfix.postfix_map pid 99 since 12:00:00'):
    """Hold the lock file ``path`` in another process for ``seconds``; return once it is held."""
    script = ('import fcntl, os, sys, time\n'
              'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n'
              'fcntl.flock(fd, fcntl.LOCK_EX)\n'
              'os.write(fd, sys.argv[3].encode())\n'
              'print("held", flush=True)\n'
              'time.sleep(float(sys.argv[2]))\n')
    process = subprocess.Popen([sys.executable, '-c', script, path, str(seconds), owner], stdout=subprocess.PIPE)
    assert process.stdout.readline() == b'held\n'
    return process


def test_lock_path_names_the_instance_or_table_readably(tmp_path):
    assert lock_path('instance', '/etc/postfix', '/run/x') == '/run/x/instance-%2Fetc%2Fpostfix.lock'
    assert lock_path('instance', '/etc/postfix/', '/run/x') == '/run/x/instance-%2Fetc%2Fpostfix.lock'
    assert lock_path('table', '/etc/postfix/100%_ok', '/run/x') == '/run/x/table-%2Fetc%2Fpostfix%2F100%25_ok.lock'
    deep = '/' + '/'.join(['d' * 50] * 10)
    assert len(os.path.basename(lock_path('table', deep, '/run/x'))) < 100


def test_lock_path_is_the_same_through_a_symlinked_directory(tmp_path):
    (tmp_path / 'real').mkdir()
    (tmp_path / 'link').symlink_to(tmp_path / 'real')
    assert lock_path('table', str(tmp_path / 'link' / 'access')) == lock_path('table', str(tmp_path / 'real' / 'access'))


def test_an_uncontended_lock_is_taken_at_once_and_says_so(tmp_path):
    result = {}
    locks = Locks(FakeModule(5), result, directory=str(tmp_path))
    assert result == {'lock_wait': 0.0}
    with locks.hold('instance', '/etc/postfix'):
        with open(lock_path('instance', '/etc/postfix', str(tmp_path))) as handle:
            assert handle.read().startswith('mailops.postfix.postconf pid %d since ' % os.getpid())
    assert result == {'lock_wait': 0.0}


def test_a_run_waits_for_the_holder_and_says_for_whom(tmp_path):
    result = {}
    locks = Locks(FakeModule(10), result, directory=str(tmp_path))
    holder = hold_elsewhere(lock_path('table', '/etc/postfix/access', str(tmp_path)), 0.5)
    start = time.monotonic()
    with locks.hold('table', '/etc/postfix/access'):
        waited = time.monotonic() - start
        assert holder.poll() is not None  # the other process had to end first
    holder.wait()
    assert 0.3 < waited < 5
    assert 0.3 < result['lock_wait'] < 5
    assert result['lock_waited_for'] == [
        'table /etc/postfix/access (held by mailops.postfix.postfix_map pid 99 since 12:00:00)']


def test_a_run_gives_up_after_lock_timeout_and_says_who_holds_the_lock(tmp_path):
    result = {}
    locks = Locks(FakeModule(0.3), result, directory=str(tmp_path))
    holder = hold_elsewhere(lock_path('instance', '/etc/postfix', str(tmp_path)), 5)
    entered = []
    try:
        with pytest.raises(LockTimeout, match=r'^the instance /etc/postfix is locked by mailops.postfix.postfix_map pid '
                                              r'99 since 12:00:00, and it was still locked after 0.3 seconds '
                                              r'\(lock_timeout\); nothing was changed'):
            with locks.hold('instance', '/etc/postfix'):
                entered.append(True)
    finally:
        holder.kill()
        holder.wait()
    assert not entered
    assert result['lock_wait'] == 0.0


def test_a_lock_is_released_when_its_block_fails(tmp_path):
    locks = Locks(FakeModule(0.2), {}, directory=str(tmp_path))
    with pytest.raises(RuntimeError):
        with locks.hold('instance', '/etc/postfix'):
            raise RuntimeError('install failed')
    with locks.hold('instance', '/etc/postfix'):
        pass


def test_a_holder_that_does_not_say_who_it_is_is_not_taken_for_the_previous_one(tmp_path):
    result = {}
    locks = Locks(FakeModule(10), result, directory=str(tmp_path))
    with locks.hold('instance', '/etc/postfix'):
        pass
    holder = hold_elsewhere(lock_path('instance', '/etc/postfix', str(tmp_path)), 0.3, owner='')
    with locks.hold('instance', '/etc/postfix'):
        pass
    holder.wait()
    assert result['lock_waited_for'] == ['instance /etc/postfix (held by another run)']
