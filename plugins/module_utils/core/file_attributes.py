# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owner, group and mode of managed files: resolve, compare and set them.

Private to this collection: roles and playbooks use the modules, never module_utils.

Staged files get their final attributes before they are renamed into place,
so a table is never visible with the wrong mode, not even for a moment.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError

Attributes = namedtuple('Attributes', 'uid gid mode')

_OCTAL_MODE = re.compile(r'0?[0-7]{3,4}')


class FileAttributeError(MailopsError):
    """An owner, group or mode that cannot be used."""


def parse_mode(mode):
    """An octal mode given as a string ("0640") or a number already read as octal by YAML."""
    if isinstance(mode, int) and not isinstance(mode, bool):
        return mode
    if isinstance(mode, str) and _OCTAL_MODE.fullmatch(mode):
        return int(mode, 8)
    raise FileAttributeError('mode %r is not an octal mode; quote it as a string, for example "0640"' % (mode,))


def resolve(owner, group, mode, current, default_mode):
    """The attributes a file should have: the given ones, else its current ones, else ours and ``default_mode``."""
    try:
        uid = pwd.getpwnam(owner).pw_uid if owner is not None else (current.st_uid if current else os.geteuid())
    except KeyError:
        raise FileAttributeError('owner %r does not exist on this host' % owner)
    try:
        gid = grp.getgrnam(group).gr_gid if group is not None else (current.st_gid if current else os.getegid())
    except KeyError:
        raise FileAttributeError('group %r does not exist on this host' % group)
    if mode is not None:
        file_mode = parse_mode(mode)
    else:
        file_mode = (current.st_mode & 0o7777) if current else default_mode
    return Attributes(uid, gid, file_mode)


def current(path):
    """os.stat() of ``path``, or None when it does not exist."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def differs(stat_result, attributes):
    """Whether an existing file's owner, group or mode differ from ``attributes``."""
    return (stat_result.st_uid, stat_result.st_gid, stat_result.st_mode & 0o7777) != tuple(attributes)


def apply(path, attributes):
    """Set owner, group and mode (on a staged file, or to repair an existing one)."""
    os.chown(path, attributes.uid, attributes.gid)
    os.chmod(path, attributes.mode)


def describe(attributes):
    """owner:group mode, for diffs and results."""
    try:
        owner = pwd.getpwuid(attributes.uid).pw_name
    except KeyError:
        owner = str(attributes.uid)
    try:
        group = grp.getgrgid(attributes.gid).gr_name
    except KeyError:
        group = str(attributes.gid)
    return '%s:%s %04o' % (owner, group, attributes.mode)
