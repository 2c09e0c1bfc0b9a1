# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for how PostfixRunner builds a command: tool, -c, flags in the order given, arguments."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner


class BinModule:
    @staticmethod
    def get_bin_path(tool, opt_dirs=()):
        return '/usr/sbin/%s' % tool


def test_flags_with_a_value_keep_their_place():
    runner = PostfixRunner(BinModule(), '/etc/postfix-out')
    assert runner.argv('postconf', ['expand', ('override', 'myhostname=mx2.example'), 'hide_names'],
                       ['mydestination']) == ['/usr/sbin/postconf', '-c', '/etc/postfix-out', '-x', '-o',
                                              'myhostname=mx2.example', '-h', 'mydestination']


def test_unknown_options_are_a_programming_error():
    with pytest.raises(ValueError, match='unknown postconf option'):
        PostfixRunner(BinModule()).argv('postconf', [('overide', 'a=b')])
