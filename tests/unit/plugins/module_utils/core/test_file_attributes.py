# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/core/file_attributes.py, on temporary files."""

from __future__ import annotations

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.file_attributes import (
    Attributes,
    FileAttributeError,
    apply,
    current,
    describe,
    differs,
    parse_mode,
    resolve,
)

USER = pwd.getpwuid(os.geteuid()).pw_name
GROUP = grp.getgrgid(os.getegid()).gr_name
MISSING = 'mailops-no-such-name'


@pytest.fixture
def table(tmp_path):
    """A file with mode 0640."""
    path = tmp_path / 'virtual'
    path.write_text('a b\n')
    os.chmod(path, 0o640)
    return str(path)


def fake_stat(mode, uid, gid):
    """An os.stat_result of a regular file (type bits included in st_mode)."""
    return os.stat_result((stat.S_IFREG | mode, 0, 0, 1, uid, gid, 0, 0, 0, 0))


def unused_id(lookup):
    return next(number for number in range(2 ** 31 - 2, 0, -1) if not _exists(lookup, number))


def _exists(lookup, number):
    try:
        lookup(number)
    except KeyError:
        return False
    return True


# ---------------------------------------------------------------------------
# parse_mode

@pytest.mark.parametrize('mode, expected', [
    ('0640', 0o640),
    ('640', 0o640),
    ('0600', 0o600),
    ('1777', 0o1777),
    ('01777', 0o1777),
    ('0000', 0),
    ('000', 0),
    ('4755', 0o4755),
    (0o640, 0o640),
    (0, 0),
])
def test_parse_mode(mode, expected):
    assert parse_mode(mode) == expected


@pytest.mark.parametrize('mode', [
    '0o640', 'rw-r--r--', 'u=rw,g=r', '0648', '8', '64', '00000640', '', ' 0640', '0640 ', '+0640', '-640', '0x1a4',
    True, False, None, 6.4, ['0640'],
])
def test_parse_mode_refuses(mode):
    with pytest.raises(FileAttributeError, match=r'^mode .* is not an octal mode; quote it as a string, for example '
                                                 r'"0640"$'):
        parse_mode(mode)


# ---------------------------------------------------------------------------
# resolve

def test_resolve_new_file_uses_us_and_default_mode():
    assert resolve(None, None, None, None, 0o644) == Attributes(os.geteuid(), os.getegid(), 0o644)


def test_resolve_new_file_with_given_mode():
    assert resolve(None, None, '0600', None, 0o644) == Attributes(os.geteuid(), os.getegid(), 0o600)


def test_resolve_keeps_current_attributes(table):
    assert resolve(None, None, None, os.stat(table), 0o644) == Attributes(os.geteuid(), os.getegid(), 0o640)


def test_resolve_keeps_current_owner_group_and_special_bits():
    current_stat = fake_stat(0o2750, 1234, 5678)
    assert resolve(None, None, None, current_stat, 0o644) == Attributes(1234, 5678, 0o2750)


def test_resolve_given_values_win_over_current():
    current_stat = fake_stat(0o640, 1234, 5678)
    assert resolve(USER, GROUP, '0600', current_stat, 0o644) == Attributes(os.geteuid(), os.getegid(), 0o600)
    assert resolve(None, GROUP, None, current_stat, 0o644) == Attributes(1234, os.getegid(), 0o640)
    assert resolve(USER, None, 0o444, current_stat, 0o644) == Attributes(os.geteuid(), 5678, 0o444)


def test_resolve_names():
    assert resolve('root', 'root', None, None, 0o644)[:2] == (0, 0)


def test_resolve_unknown_owner():
    with pytest.raises(FileAttributeError, match="^owner '%s' does not exist on this host$" % MISSING):
        resolve(MISSING, None, None, None, 0o644)


def test_resolve_unknown_group():
    with pytest.raises(FileAttributeError, match="^group '%s' does not exist on this host$" % MISSING):
        resolve(None, MISSING, None, None, 0o644)


def test_resolve_bad_mode():
    with pytest.raises(FileAttributeError, match="^mode 'rw' is not an octal mode"):
        resolve(None, None, 'rw', None, 0o644)


# ---------------------------------------------------------------------------
# current, differs, apply

def test_current(table, tmp_path):
    assert current(str(tmp_path / 'missing')) is None
    assert stat.S_IMODE(current(table).st_mode) == 0o640


def test_differs(table):
    stat_result = os.stat(table)
    same = resolve(None, None, None, stat_result, 0o644)
    assert not differs(stat_result, same)
    assert differs(stat_result, same._replace(mode=0o600))
    assert differs(stat_result, same._replace(mode=0o4640))
    assert differs(stat_result, same._replace(uid=same.uid + 1))
    assert differs(stat_result, same._replace(gid=same.gid + 1))


def test_differs_ignores_file_type_bits():
    assert not differs(fake_stat(0o1640, 1, 2), Attributes(1, 2, 0o1640))
    assert differs(fake_stat(0o1640, 1, 2), Attributes(1, 2, 0o640))


def test_apply_then_no_difference(table):
    wanted = resolve(USER, GROUP, '0604', os.stat(table), 0o644)
    assert differs(os.stat(table), wanted)
    apply(table, wanted)
    assert not differs(os.stat(table), wanted)
    assert stat.S_IMODE(os.stat(table).st_mode) == 0o604


# ---------------------------------------------------------------------------
# describe

def test_describe():
    assert describe(Attributes(os.geteuid(), os.getegid(), 0o640)) == '%s:%s 0640' % (USER, GROUP)
    assert describe(Attributes(0, 0, 0o2755)) == 'root:root 2755'


def test_describe_unknown_ids():
    uid, gid = unused_id(pwd.getpwuid), unused_id(grp.getgrgid)
    assert describe(Attributes(uid, gid, 0o600)) == '%d:%d 0600' % (uid, gid)
