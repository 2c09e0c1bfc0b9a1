# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for milter_problems in plugins/module_utils/config/main_cf.py.

Each value below was set as smtpd_milters on Postfix 3.7.11 and 3.10.13 (the test-bed images), with a message
sent through smtpd after a restart: the accepted ones gave a 250 or a milter's 451 (the milter was down,
default_action=tempfail), the refused ones a fatal error or warning of smtpd's, quoted in the message. postfix
check passed every one of them.
"""

from __future__ import annotations

import re

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import milter_problems

SOCKET = 'inet:127.0.0.1:8891'


@pytest.mark.parametrize('value', [
    SOCKET,
    '%s, unix:/run/opendkim/opendkim.sock' % SOCKET,
    '{ %s, default_action=tempfail }' % SOCKET,
    '{%s,default_action=tempfail}' % SOCKET,
    '{ %s default_action=tempfail connect_timeout=10s }' % SOCKET,
    '{ %s, { default_action = tempfail } }' % SOCKET,
    '{ %s, { protocol = 6 no_header_reply } }' % SOCKET,
    '{ %s, content_timeout=100s, command_timeout=5 }' % SOCKET,
    '{ %s, default_action=quarantine, protocol=6 }, unix:/x' % SOCKET,
    '',
])
def test_milter_values_postfix_accepts(value):
    assert milter_problems('smtpd_milters', value) == []


@pytest.mark.parametrize('value, message', [
    pytest.param('{ %s, default_action = tempfail }' % SOCKET,
                 'the setting "default_action = tempfail", with white space around "=": .* smtpd stops with "fatal: '
                 'malformed option: missing \'=\' after attribute name". Write default_action=tempfail, or put the '
                 'setting in braces of its own: { default_action = tempfail }', id='spaces-around-equals'),
    pytest.param('{ %s, default_action =tempfail }' % SOCKET,
                 'the setting "default_action =tempfail".* Write default_action=tempfail', id='space-before-equals'),
    pytest.param('{ %s, default_action= tempfail }' % SOCKET,
                 'the setting "default_action= tempfail".* Write default_action=tempfail', id='space-after-equals'),
    pytest.param('{ %s, protocol=6 no_header_reply }' % SOCKET,
                 '"no_header_reply", which is not a name=value setting', id='value-with-space'),
    pytest.param('{ %s, =x }' % SOCKET, '"=x", which is not a name=value setting', id='no-name'),
    pytest.param('{ %s, bogus=1 }' % SOCKET, '"bogus" is not a per-milter setting .*"fatal: unknown option"',
                 id='unknown-setting'),
    pytest.param('{ %s, connect_timeout=abc }' % SOCKET, 'connect_timeout=abc is not a time .*bad time value',
                 id='bad-time'),
    pytest.param('{ %s, connect_timeout=0 }' % SOCKET, 'connect_timeout=0 is not a time of at least 1',
                 id='zero-time'),
    pytest.param('{ %s, default_action= }' % SOCKET, 'default_action has no value .*bad string length 0 < 1',
                 id='empty-value'),
    pytest.param('{ %s, default_action=nonsense }' % SOCKET, 'default_action=nonsense is not one of accept, reject, '
                 'tempfail, quarantine', id='unknown-action'),
    pytest.param('{ %s, protocol=9 }' % SOCKET, 'protocol=9 is not a milter protocol version .*skips the milter',
                 id='bad-protocol'),
    pytest.param('{ }', 'is empty .*"fatal: empty milter definition"', id='empty-group'),
    pytest.param('{ default_action=tempfail }', 'does not start with its socket', id='no-socket'),
    pytest.param('%s default_action=tempfail' % SOCKET, 'the milter default_action=tempfail does not start with its '
                 'socket', id='setting-outside-braces'),
])
def test_milter_values_postfix_cannot_use(value, message):
    problems = milter_problems('smtpd_milters', value)
    assert len(problems) == 1
    assert problems[0].startswith('smtpd_milters = %s: the milter ' % value)
    assert re.search(message, problems[0]), problems[0]


def test_non_smtpd_milters_names_cleanup():
    problems = milter_problems('non_smtpd_milters', '{ %s, default_action = accept }' % SOCKET)
    assert problems and 'so cleanup stops with' in problems[0]


def test_each_bad_milter_is_reported():
    problems = milter_problems('smtpd_milters', '{ %s, default_action = accept }, { unix:/x, bogus=1 }' % SOCKET)
    assert [p.split(': the milter ')[1][:12] for p in problems] == ['{ inet:127.0', '{ unix:/x, b']
