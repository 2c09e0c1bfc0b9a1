# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for relay_plan's TLS rule for sender relayhosts: their credentials, too, go only over TLS.

sasl_passwd keys a sender relayhost's credentials by sender address, not by
the host they are sent to, so the rule has to follow each sender to its
nexthop: a policy that lets that nexthop go without TLS is refused, and a
nexthop without a policy gets "encrypt".
"""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.relay_data import relay_plan

SECRET = 'Sender S3cret'
ALICE = {'sender': 'alice@example.com', 'host': 'smtp.provider.example', 'port': 587, 'username': 'alice',
         'password': SECRET}


def policies(plan):
    return {table['name']: table['entries'] for table in plan['tables']}['relay_tls_policy']


@pytest.mark.parametrize('level', ['none', 'may', 'dane'])
def test_a_sender_relayhost_that_logs_in_is_refused_a_clear_text_policy(level):
    relay = {'sender_relayhosts': [ALICE],
             'tls_policies': [{'destination': '[SMTP.Provider.example]:587', 'level': level}]}
    with pytest.raises(AnsibleFilterError) as error:
        relay_plan(relay)
    assert str(error.value) == ('relay: credentials for [smtp.provider.example]:587 would go without TLS: its tls policy '
                                'is "%s". Use encrypt, verify or secure, or set relay_allow_plaintext_auth' % level)
    assert 'S3cret' not in str(error.value)
    assert policies(relay_plan(dict(relay, allow_plaintext_auth=True))) == {'[smtp.provider.example]:587': level}


def test_the_nexthop_of_a_sender_that_logs_in_requires_tls_for_every_sender_sent_there():
    plan = relay_plan({'sender_relayhosts': [
        {'sender': '@example.org', 'host': 'smtp.provider.example', 'port': 587},
        ALICE,
        {'sender': '@example.net', 'host': 'smtp.other.example'},
    ]})
    # Only the nexthop that receives credentials gets a policy; the sender key never does.
    assert policies(plan) == {'[smtp.provider.example]:587': 'encrypt'}
    assert plan['parameters']['smtp_sasl_security_options'] == 'noplaintext, noanonymous'


def test_a_stricter_policy_for_a_sender_relayhost_stays():
    plan = relay_plan({'sender_relayhosts': [ALICE],
                       'tls_policies': [{'destination': '[smtp.provider.example]:587', 'level': 'secure'}]})
    assert policies(plan) == {'[smtp.provider.example]:587': 'secure'}
