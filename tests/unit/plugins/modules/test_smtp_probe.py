# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the smtp_probe module, against the ESMTP server of the smtp_session tests."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.postfix.plugins.modules import smtp_probe
from ansible_collections.mailops.postfix.tests.unit.plugins.module_utils.smtp.test_smtp_session import (
    PASSWORD,
    QUEUE_ID,
    USER,
    certificate_files,
    fake_smtp_servers,
    server_context,
    verbs,
)


@pytest.fixture(scope='module')
def certificates(tmp_path_factory):
    return certificate_files(tmp_path_factory.mktemp('smtp-certificates'))


@pytest.fixture
def smtp_server():
    with fake_smtp_servers() as start:
        yield start


def run_module(capsys, check_mode=False, **args):
    """The module's result and everything it printed."""
    args.setdefault('helo', 'probe.example.test')
    args.setdefault('timeout', 5)
    if check_mode:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            smtp_probe.main()
    output = capsys.readouterr().out
    return json.loads(output), output


def test_delivery_with_tls_and_auth_is_a_change(capsys, smtp_server, certificates):
    server = smtp_server(tls_context=server_context(certificates['signed']))
    result, output = run_module(capsys, port=server.port, tls='starttls', tls_verify=True, ca_file=certificates['ca'],
                                server_name='mx.example.test', auth_user=USER, auth_password=PASSWORD,
                                mail_from=USER, rcpt_to=['bob@example.test'])
    assert result['changed'] is True and 'failed' not in result
    assert result['queue_id'] == QUEUE_ID and result['failed_step'] is None
    assert result['tls']['certificate']['verified'] is True
    assert result['rcpt'] == {'bob@example.test': {'code': 250, 'text': '2.1.5 Ok', 'expected': ['250', '251']}}
    assert PASSWORD not in output


def test_check_mode_queues_nothing_and_is_no_change(capsys, smtp_server):
    server = smtp_server()
    result, _output = run_module(capsys, check_mode=True, port=server.port, mail_from='', rcpt_to=['bob@example.test'])
    assert (result['changed'], result['queue_id']) == (False, None)
    assert 'DATA' not in verbs(server) and [step['step'] for step in result['steps']][-2:] == ['rset', 'quit']


def test_a_failed_expectation_fails_with_the_whole_report(capsys, smtp_server):
    server = smtp_server(open_relay=True)
    result, _output = run_module(capsys, port=server.port, tls='none', mail_from='probe@example.net',
                                 rcpt_to=['x@example.net'], expect={'rcpt': ['554']})
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'] == ('smtp_probe failed at step rcpt (swaks exit code 24): '
                             'x@example.net: expected 554, got 250 2.1.5 Ok')
    assert result['failed_step']['swaks_code'] == 24 and result['rcpt']['x@example.net']['code'] == 250
    assert [step['step'] for step in result['steps']] == ['connect', 'banner', 'ehlo', 'mail', 'rcpt', 'quit']


def test_a_message_accepted_against_expectations_is_a_failure_and_a_change(capsys, smtp_server):
    server = smtp_server()
    result, _output = run_module(capsys, port=server.port, tls='none', mail_from='', rcpt_to=['bob@example.test'],
                                 expect={'dot': ['5xx']})
    assert result['failed'] is True and result['changed'] is True and result['queue_id'] == QUEUE_ID


def test_wrong_password_is_in_no_output(capsys, smtp_server):
    server = smtp_server(echo_auth=True)
    result, output = run_module(capsys, port=server.port, tls='none', auth_user=USER,
                                auth_password='not-' + PASSWORD, auth_mechanism='login')
    assert result['failed'] is True and result['failed_step']['step'] == 'auth'
    assert result['msg'].startswith('smtp_probe failed at step auth (swaks exit code 28): AUTH LOGIN')
    assert PASSWORD not in output


def test_xclient_attributes_are_sent_as_given(capsys, smtp_server):
    server = smtp_server()
    result, _output = run_module(capsys, port=server.port, tls='none', xclient={'addr': '192.0.2.7', 'port': 4711})
    assert 'failed' not in result
    assert 'XCLIENT ADDR=192.0.2.7 PORT=4711' in server.commands


@pytest.mark.parametrize('args, message', [
    ({'rcpt_to': ['a@example.test']}, 'rcpt_to needs mail_from'),
    ({'timeout': 0}, 'timeout must be more than 0 seconds'),
    ({'mail_from': '', 'rcpt_to': ['a@example.test\nRSET']}, 'contains a control character'),
    ({'expect': {'rcpt': ['25']}}, 'expected codes for rcpt must be reply codes'),
])
def test_unusable_options_fail_before_connecting(capsys, args, message):
    result, _output = run_module(capsys, port=1, **args)
    assert result['failed'] is True and message in result['msg'] and result['steps'] == []
