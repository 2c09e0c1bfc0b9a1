# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import errno
import os

from ansible_collections.mailops.postfix.plugins.module_utils.core import errors as module_errors
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError, os_error_text

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self):
        self.failure = None

    def fail_json(self, **kwargs):
        self.failure = kwargs
        raise Failed()


class InputError(MailopsError):
    pass


def test_input_error_becomes_its_message_with_the_result():
    module = FakeModule()
    with pytest.raises(Failed):
        with reported_failures(module, {'changed': False, 'table': 'hash:/x'}):
            raise InputError('key "a b" contains white space')
    assert module.failure == {'msg': 'key "a b" contains white space', 'changed': False, 'table': 'hash:/x'}


def test_command_error_carries_the_command_and_its_output():
    module = FakeModule()
    error = PostfixCommandError('postmap failed (rc=1): fatal: x', cmd=['postmap', 'x'], rc=1, stderr='fatal: x')
    with pytest.raises(Failed):
        with reported_failures(module, {'changed': False}):
            raise error
    assert module.failure == {'msg': 'postmap failed (rc=1): fatal: x', 'cmd': ['postmap', 'x'], 'rc': 1,
                              'stdout': '', 'stderr': 'fatal: x', 'changed': False}


def test_missing_permission_says_what_and_that_root_is_needed(monkeypatch):
    monkeypatch.setattr(module_errors.os, 'geteuid', lambda: 1000)
    module = FakeModule()
    with pytest.raises(Failed):
        with reported_failures(module, {'changed': False}):
            raise PermissionError(13, 'Permission denied', '/etc/postfix/.main.cf.x1y2z3a4.tmp')
    assert module.failure == {
        'msg': 'Permission denied: /etc/postfix/.main.cf.x1y2z3a4.tmp (changing a Postfix configuration or queue '
               'needs root (become: true))', 'changed': False}


def test_root_refused_names_the_real_causes_not_become(monkeypatch):
    monkeypatch.setattr(module_errors.os, 'geteuid', lambda: 0)
    text = os_error_text(PermissionError(1, 'Operation not permitted', '/etc/postfix/.main.cf.x1y2z3a4.tmp',
                                         None, '/etc/postfix/main.cf'), '/etc/postfix/main.cf')
    assert text.startswith('Operation not permitted: /etc/postfix/main.cf (')
    assert 'immutable' in text and 'chattr -i' in text
    assert 'become' not in text and '.tmp' not in text


@pytest.mark.parametrize('number, cause', [(errno.EROFS, 'mounted read-only'), (errno.ENOSPC, 'file system is full')])
def test_file_system_causes_are_named(number, cause):
    text = os_error_text(OSError(number, os.strerror(number), '/etc/postfix/access'))
    assert text.startswith('%s: /etc/postfix/access (' % os.strerror(number)) and cause in text


def test_missing_directory_names_the_file():
    module = FakeModule()
    with pytest.raises(Failed):
        with reported_failures(module, {}):
            raise FileNotFoundError(2, 'No such file or directory', '/etc/postfix/maps/.access.x1y2z3a4.tmp')
    assert module.failure == {'msg': 'No such file or directory: /etc/postfix/maps/.access.x1y2z3a4.tmp'}


def test_other_errors_are_not_hidden():
    module = FakeModule()
    with pytest.raises(KeyError):
        with reported_failures(module, {}):
            raise KeyError('bug')
    assert module.failure is None


def test_no_error_no_failure():
    module = FakeModule()
    with reported_failures(module, {}):
        pass
    assert module.failure is None
