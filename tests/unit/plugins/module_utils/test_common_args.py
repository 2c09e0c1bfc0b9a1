# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/common_args.py: what a result echoes of the module's arguments."""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.common_args import invocation
from ansible_collections.mailops.postfix.plugins.module_utils.postfix_runner import shown


def test_invocation_cuts_huge_strings_wherever_they_are():
    huge = 'x' * 1000000
    echoed = invocation({'name': 'mynetworks', 'value': huge, 'parameters': {'a': [huge]}})['module_args']
    assert echoed['name'] == 'mynetworks'
    assert echoed['value'] == 'x' * 100 + '... (1000000 characters, not echoed)'
    assert echoed['parameters'] == {'a': ['x' * 100 + '... (1000000 characters, not echoed)']}
    assert len(repr(echoed)) < 1000


def test_invocation_summarizes_table_contents():
    params = {'path': '/etc/postfix/access', 'entries': {'a': 'OK', 'b': 'REJECT'}, 'rules': None}
    assert invocation(params, summarized=('entries', 'rules')) == {'module_args': {
        'path': '/etc/postfix/access', 'entries': '(2 items, not echoed)', 'rules': None}}


def test_shown_command_cuts_long_arguments_only():
    assert shown(['postconf', '-e', 'a=b']) == ['postconf', '-e', 'a=b']
    cut = shown(['postconf', '-e', 'mynetworks=' + '1' * 1000000])
    assert cut[:2] == ['postconf', '-e']
    assert cut[2] == 'mynetworks=' + '1' * 89 + '... (1000011 characters)'
