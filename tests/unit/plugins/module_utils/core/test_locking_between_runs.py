# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/core/locking.py with both sides taking the lock through Locks.hold().

test_locking.py holds the other side's lock by hand with LOCK_EX, which any lock
waits for; here two processes both run the module's own code, as two module
runs do, so a lock that does not exclude (a shared lock, or two lock files for
one instance) lets the second run in.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import LockTimeout, Locks, lock_path

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='only root takes the locks (others cannot change Postfix)')


class FakeModule:
    _name = 'mailops.postfix.postconf'

    def __init__(self, timeout):
        self.params = {'lock_timeout': timeout}


def _hold(directory, kind, path, held, release):
    with Locks(FakeModule(1), {}, directory=directory).hold(kind, path):
        held.set()
        release.wait(30)


class OtherRun:
    """A second process that holds a lock through Locks.hold() until the block ends."""

    def __init__(self, directory, kind, path):
        context = multiprocessing.get_context('fork')
        self.held, self.release = context.Event(), context.Event()
        self.process = context.Process(target=_hold, args=(directory, kind, path, self.held, self.release))

    def __enter__(self):
        self.process.start()
        assert self.held.wait(10), 'the other run did not get the lock'
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.process.join(10)


def entered_within(directory, kind, path, timeout):
    """Whether this process got the lock on ``path`` within ``timeout`` seconds."""
    try:
        with Locks(FakeModule(timeout), {}, directory=directory).hold(kind, path):
            return True
    except LockTimeout:
        return False


def test_a_second_run_cannot_take_an_instance_lock_another_run_holds(tmp_path):
    directory = str(tmp_path / 'locks')
    with OtherRun(directory, 'instance', '/etc/postfix'):
        assert not entered_within(directory, 'instance', '/etc/postfix', 0.3)
    # Once the other run is done, the lock is free again.
    assert entered_within(directory, 'instance', '/etc/postfix', 0.3)


def test_a_second_run_cannot_take_a_table_lock_another_run_holds(tmp_path):
    directory = str(tmp_path / 'locks')
    with OtherRun(directory, 'table', '/etc/postfix/access'):
        assert not entered_within(directory, 'table', '/etc/postfix/access', 0.3)


def test_other_instances_are_not_held_up(tmp_path):
    directory = str(tmp_path / 'locks')
    with OtherRun(directory, 'instance', '/etc/postfix'):
        assert entered_within(directory, 'instance', '/etc/postfix-out', 0.3)


def test_an_instance_reached_through_a_symlink_has_one_lock(tmp_path):
    real = tmp_path / 'postfix'
    real.mkdir()
    (tmp_path / 'postfix-link').symlink_to(real)
    link = str(tmp_path / 'postfix-link')
    directory = str(tmp_path / 'locks')
    assert lock_path('instance', link, directory) == lock_path('instance', str(real), directory)
    with OtherRun(directory, 'instance', str(real)):
        assert not entered_within(directory, 'instance', link, 0.3)
    with OtherRun(directory, 'instance', link + '/'):
        assert not entered_within(directory, 'instance', str(real), 0.3)
