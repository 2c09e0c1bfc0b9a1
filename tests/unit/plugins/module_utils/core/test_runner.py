# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for how PostfixRunner builds a command: tool, -c, flags in the order given, arguments."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner


def test_flags_with_a_value_keep_their_place(ansible_module):
    runner = PostfixRunner(ansible_module, '/etc/postfix-out')
    assert runner.argv('postconf', ['expand', ('override', 'myhostname=mx2.example'), 'hide_names'],
                       ['mydestination']) == ['/usr/sbin/postconf', '-c', '/etc/postfix-out', '-x', '-o',
                                              'myhostname=mx2.example', '-h', 'mydestination']


def test_unknown_options_are_a_programming_error(ansible_module):
    with pytest.raises(ValueError, match='unknown postconf option'):
        PostfixRunner(ansible_module).argv('postconf', [('overide', 'a=b')])


def test_parameters_are_read_in_one_postconf_and_kept(postfix):
    postfix.main_cf['maximal_queue_lifetime'] = '$bounce_queue_lifetime'
    postfix.main_cf['bounce_queue_lifetime'] = '2d'
    assert postfix.parameters(['queue_directory', 'maximal_queue_lifetime', 'bounce_queue_lifetime']) == {
        'queue_directory': '/var/spool/postfix', 'maximal_queue_lifetime': '2d', 'bounce_queue_lifetime': '2d'}
    assert postfix.parameters(['bounce_queue_lifetime']) == {'bounce_queue_lifetime': '2d'}
    postfix.parameters(['default_database_type', 'queue_directory'])
    assert postfix.calls == [
        ('postconf', ['expand', 'hide_names'], ['queue_directory', 'maximal_queue_lifetime', 'bounce_queue_lifetime']),
        ('postconf', ['expand', 'hide_names'], ['default_database_type'])]
