# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/core/arguments.py: what a result echoes of the module's arguments."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import invocation, structured
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import shown


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


def test_invocation_summarizes_the_contents_of_each_table_of_a_list():
    tables = [{'path': '/etc/postfix/a', 'entries': {'x': 'OK'}, 'rules': None},
              {'path': '/etc/postfix/b', 'entries': None, 'rules': [{'pattern': '/x/', 'action': 'OK'}] * 3}]
    echoed = invocation({'tables': tables, 'access_tables': {'hash:/x': {}}},
                        summarized=('access_tables', 'tables.entries', 'tables.rules'))['module_args']
    assert echoed == {'access_tables': '(1 items, not echoed)', 'tables': [
        {'path': '/etc/postfix/a', 'entries': '(1 items, not echoed)', 'rules': None},
        {'path': '/etc/postfix/b', 'entries': None, 'rules': '(3 items, not echoed)'}]}
    assert tables[0]['entries'] == {'x': 'OK'}  # the module's own parameters stay whole


def test_shown_command_cuts_long_arguments_only():
    assert shown(['postconf', '-e', 'a=b']) == ['postconf', '-e', 'a=b']
    cut = shown(['postconf', '-e', 'mynetworks=' + '1' * 1000000])
    assert cut[:2] == ['postconf', '-e']
    assert cut[2] == 'mynetworks=' + '1' * 89 + '... (1000011 characters)'


@pytest.mark.parametrize('text, expected', [
    ('{"spammer@example.net":"REJECT compromised account"}', {'spammer@example.net': 'REJECT compromised account'}),
    ("{'a': 'OK'}", {'a': 'OK'}),
    ('a=OK b="REJECT spam"', {'a': 'OK', 'b': 'REJECT spam'}),
    ('[{"key": "a", "value": "OK"}]', [{'key': 'a', 'value': 'OK'}]),
    ({'already': 'parsed'}, {'already': 'parsed'}),
    (None, None),
])
def test_structured_reads_ad_hoc_text(text, expected):
    assert structured({'entries': text}, 'entries') == expected


@pytest.mark.parametrize('text', ['{"a": ', 'just words', '[1, 2'])
def test_structured_says_what_could_not_be_read(text):
    with pytest.raises(MailopsError, match='entries could not be read .*give JSON'):
        structured({'entries': text}, 'entries')


RULES = {'type': 'list', 'elements': 'dict', 'options': {'pattern': {'type': 'str', 'required': True},
                                                         'action': {'type': 'raw', 'required': True}}}


def test_structured_checks_a_list_option_as_ansible_would():
    assert structured({'rules': '[{"pattern": "/x/", "action": "OK"}]'}, 'rules', RULES) == [
        {'pattern': '/x/', 'action': 'OK'}]
    with pytest.raises(MailopsError, match='missing required arguments: action'):
        structured({'rules': '[{"pattern": "/x/"}]'}, 'rules', RULES)
    services = {'type': 'list', 'elements': 'dict', 'options': {'service': {'type': 'str'},
                                                                'state': {'type': 'str', 'default': 'present'}}}
    assert structured({'services': [{'service': 'smtp'}]}, 'services', services) == [
        {'service': 'smtp', 'state': 'present'}]
