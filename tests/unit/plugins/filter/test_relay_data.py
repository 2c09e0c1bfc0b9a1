# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/relay_data.py: the relay role's data as module arguments."""

from __future__ import annotations

import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.relay_data import (
    duration_text,
    nexthop,
    relay_plan,
    suspension_report,
    tls_destination,
)

SECRET = 'S3cret pass:word'


def tables(plan):
    return {table['name']: table['entries'] for table in plan['tables']}


@pytest.mark.parametrize('spec, expected', [
    ({'host': 'smtp.example.com'}, '[smtp.example.com]'),
    ({'host': 'smtp.example.com', 'port': 587}, '[smtp.example.com]:587'),
    ({'host': 'Example.COM', 'mx': True}, 'example.com'),
    ({'host': 'example.com', 'mx': True, 'port': '2525'}, 'example.com:2525'),
    ({'host': '192.0.2.1', 'port': 25}, '[192.0.2.1]:25'),
    ({'host': '2001:db8::1'}, '[2001:db8::1]'),
])
def test_nexthop(spec, expected):
    assert nexthop(spec, 'relayhost') == expected


@pytest.mark.parametrize('spec, message', [
    ({'host': '192.0.2.1', 'mx': True}, 'MX lookups (mx: true) need a domain name'),
    ({'host': 'smtp.example.com', 'port': 0}, 'port 0 is not a TCP port'),
    ({'host': 'smtp.example.com', 'port': 'smtp'}, "port 'smtp' is not a TCP port"),
    ({'host': 'smtp.example.com', 'port': True}, 'port True is not a TCP port'),
    ({'host': 'bad host'}, "relayhost host: 'bad host' is not a domain name"),
    ({}, 'relayhost host: None is not a domain name'),
])
def test_nexthop_refuses(spec, message):
    with pytest.raises(AnsibleFilterError, match=message.replace('(', r'\(').replace(')', r'\)')):
        nexthop(spec, 'relayhost')


def test_nothing_to_relay_owns_every_setting():
    plan = relay_plan({}, '/etc/postfix/', 'lmdb')
    assert plan['parameters'] == {
        'relayhost': '',
        'default_transport': 'smtp',
        'transport_maps': 'lmdb:/etc/postfix/relay_transport',
        'sender_dependent_relayhost_maps': 'lmdb:/etc/postfix/relay_sender_relayhost',
        'smtp_tls_policy_maps': 'lmdb:/etc/postfix/relay_tls_policy',
        'smtp_sasl_auth_enable': 'no',
        'smtp_sasl_password_maps': 'lmdb:/etc/postfix/sasl_passwd',
        'smtp_sasl_security_options': 'noplaintext, noanonymous',
        'smtp_sasl_tls_security_options': 'noanonymous',
        'smtp_sender_dependent_authentication': 'no',
        'smtp_sasl_mechanism_filter': '',
    }
    assert tables(plan) == {'relay_transport': {}, 'relay_sender_relayhost': {}, 'relay_tls_policy': {}}
    assert [table['path'] for table in plan['tables']] == [
        '/etc/postfix/relay_transport', '/etc/postfix/relay_sender_relayhost', '/etc/postfix/relay_tls_policy']
    assert plan['services'][0]['state'] == 'absent'
    assert (plan['sasl_entries'], plan['suspended']) == ({}, [])


def test_authenticated_smarthost_requires_tls():
    plan = relay_plan({'relayhost': {'host': 'smtp.example.com', 'port': 587, 'username': 'mx1', 'password': SECRET}})
    assert plan['parameters']['relayhost'] == '[smtp.example.com]:587'
    assert plan['parameters']['smtp_sasl_auth_enable'] == 'yes'
    assert plan['sasl_entries'] == {'[smtp.example.com]:587': 'mx1:' + SECRET}
    assert tables(plan)['relay_tls_policy'] == {'[smtp.example.com]:587': 'encrypt'}
    # The password is only in the entries for postfix_map's secret_entries.
    assert SECRET not in repr({key: value for key, value in plan.items() if key != 'sasl_entries'})


def test_wrappermode_gets_its_own_service_and_port_465():
    plan = relay_plan({'relayhost': {'host': 'smtp.example.com', 'wrappermode': True}})
    assert plan['parameters']['relayhost'] == '[smtp.example.com]:465'
    assert plan['parameters']['default_transport'] == 'mailops_smtps'
    service = plan['services'][0]
    assert (service['service'], service['command'], service['state']) == ('mailops_smtps', 'smtp', 'present')
    assert service['options'] == {'smtp_tls_wrappermode': 'yes', 'smtp_tls_security_level': 'encrypt'}


def test_transports_with_subdomains_and_credentials():
    plan = relay_plan({'transports': [
        {'domain': 'Example.com', 'subdomains': True, 'host': 'mx.example.net', 'port': 587,
         'username': 'u', 'password': SECRET},
        {'domain': 'lists.example.org', 'transport': 'lmtp', 'host': '192.0.2.5', 'port': 24},
        {'domain': 'blackhole.example', 'transport': 'discard'},
    ]})
    assert tables(plan)['relay_transport'] == {
        '.example.com': 'smtp:[mx.example.net]:587',
        'blackhole.example': 'discard:',
        'example.com': 'smtp:[mx.example.net]:587',
        'lists.example.org': 'lmtp:[192.0.2.5]:24',
    }
    assert plan['sasl_entries'] == {'[mx.example.net]:587': 'u:' + SECRET}
    assert tables(plan)['relay_tls_policy'] == {'[mx.example.net]:587': 'encrypt'}


def test_suspension_wins_over_the_route():
    plan = relay_plan({
        'transports': [{'domain': 'example.com', 'host': 'mx.example.net', 'port': 587}],
        'suspended_domains': ['example.com', {'domain': 'example.org', 'subdomains': True, 'text': 'Maintenance'}],
    })
    assert tables(plan)['relay_transport'] == {
        '.example.org': 'retry:4.4.1 Maintenance',
        'example.com': 'retry:4.4.1 Service unavailable',
        'example.org': 'retry:4.4.1 Maintenance',
    }
    assert plan['suspended'] == ['example.com', 'example.org', '.example.org']


def test_sender_relayhosts_with_their_own_credentials():
    plan = relay_plan({'sender_relayhosts': [
        {'sender': 'Alice@Example.COM', 'host': 'smtp.provider-a.example', 'port': 587, 'username': 'alice',
         'password': SECRET},
        {'sender': '@example.org', 'host': 'smtp.provider-b.example'},
    ]})
    assert tables(plan)['relay_sender_relayhost'] == {
        '@example.org': '[smtp.provider-b.example]', 'Alice@example.com': '[smtp.provider-a.example]:587'}
    assert plan['sasl_entries'] == {'Alice@example.com': 'alice:' + SECRET}
    assert plan['parameters']['smtp_sender_dependent_authentication'] == 'yes'
    assert tables(plan)['relay_tls_policy'] == {'[smtp.provider-a.example]:587': 'encrypt'}


def test_tls_policies():
    plan = relay_plan({'tls_policies': [
        {'destination': 'example.com', 'level': 'secure', 'match': ['.example.com', 'example.com'],
         'protocols': '>=TLSv1.2'},
        {'destination': '[smtp.example.net]:587', 'level': 'verify', 'ciphers': 'high'},
    ], 'relayhost': {'host': 'smtp.example.net', 'port': 587, 'username': 'u', 'password': SECRET}})
    # The user's stricter policy for the smarthost stays.
    assert tables(plan)['relay_tls_policy'] == {
        '[smtp.example.net]:587': 'verify ciphers=high',
        'example.com': 'secure match=.example.com:example.com protocols=>=TLSv1.2',
    }


def test_plaintext_auth_only_when_allowed():
    relay = {'relayhost': {'host': 'smtp.example.net', 'port': 25, 'username': 'u', 'password': SECRET},
             'tls_policies': [{'destination': '[smtp.example.net]:25', 'level': 'may'}]}
    with pytest.raises(AnsibleFilterError, match='credentials for .smtp.example.net.:25 would go without TLS') as error:
        relay_plan(relay)
    assert SECRET not in str(error.value)
    plan = relay_plan(dict(relay, allow_plaintext_auth=True))
    assert tables(plan)['relay_tls_policy'] == {'[smtp.example.net]:25': 'may'}
    assert plan['parameters']['smtp_sasl_security_options'] == 'noanonymous'
    plan = relay_plan(dict(relay, tls_policies=[], allow_plaintext_auth=True))
    assert tables(plan)['relay_tls_policy'] == {}


@pytest.mark.parametrize('text, key', [
    ('Example.NET', 'example.net'),
    ('example.net.', 'example.net'),
    ('.Example.net', '.example.net'),
    ('[SMTP.example.net]', '[smtp.example.net]'),
    ('[smtp.example.net]:587', '[smtp.example.net]:587'),
    ('example.net:2525', 'example.net:2525'),
    ('[192.0.2.1]:25', '[192.0.2.1]:25'),
    ('[2001:DB8:0::1]:25', '[2001:db8::1]:25'),
])
def test_tls_destination_is_the_key_postfix_looks_up(text, key):
    # Written the way nexthop() writes the relayhost's and transports' nexthops, so that a login hop finds its policy.
    assert tls_destination(text) == key


@pytest.mark.parametrize('text, message', [
    ('example.net,example.org', 'without white space or commas'),
    ('example.net example.org', 'without white space or commas'),
    ('', 'the destination must be one domain'),
    (None, 'the destination must be one domain'),
    ('[smtp.example.net', "is not a domain name"),
    ('[smtp.example.net]:smtp', "port 'smtp' is not a TCP port"),
    ('example.net:', "port '' is not a TCP port"),
    ('exämple.net', "is not a domain name"),
    ('*.example.net', "is not a domain name"),
])
def test_tls_destination_refuses(text, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)) as error:
        tls_destination(text)
    assert repr(text) in str(error.value)


def test_tls_policies_that_differ_only_in_case_are_one_entry():
    # A hash table folds the case of its keys: the second would silently replace the first, secure becoming none.
    policies = [{'destination': 'Example.NET', 'level': 'secure'}, {'destination': 'example.net', 'level': 'none'}]
    with pytest.raises(AnsibleFilterError, match=re.escape(
            "tls policy for example.net is given more than once (as 'Example.NET' and 'example.net')")):
        relay_plan({'tls_policies': policies})
    # Also when only the form differs: a final dot, or the nexthop of a login written in capitals.
    with pytest.raises(AnsibleFilterError, match='given more than once'):
        relay_plan({'tls_policies': [{'destination': 'example.net.', 'level': 'secure'}, policies[1]]})
    with pytest.raises(AnsibleFilterError, match=re.escape('tls policy for [smtp.example.net]:587 is given more')):
        relay_plan({'tls_policies': [{'destination': '[smtp.example.net]:587', 'level': 'secure'},
                                     {'destination': '[SMTP.Example.net]:587', 'level': 'may'}]})


def test_tls_policy_attributes_as_postfix_takes_them():
    plan = relay_plan({'tls_policies': [
        {'destination': 'a.example', 'level': 'verify', 'match': 'hostname:dot-nexthop:.example.org'},
        {'destination': 'b.example', 'level': 'fingerprint',
         'match': ['3D:95:34:51:24:66:33:B9:D2:40:99:C0:C1:17:0B:D1', '3d953451246633b9']},
        {'destination': 'c.example', 'level': 'encrypt', 'protocols': '!SSLv2:!SSLv3:!TLSv1:!TLSv1.1',
         'ciphers': 'HIGH', 'exclude': 'aNULL:MD5:3DES'},
        {'destination': 'd.example', 'level': 'may', 'protocols': '>=TLSv1.2'},
    ]})
    assert tables(plan)['relay_tls_policy'] == {
        'a.example': 'verify match=hostname:dot-nexthop:.example.org',
        # Fingerprints hold ":" themselves: Postfix separates them with "|".
        'b.example': 'fingerprint match=3D:95:34:51:24:66:33:B9:D2:40:99:C0:C1:17:0B:D1|3d953451246633b9',
        'c.example': 'encrypt protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1 ciphers=HIGH exclude=aNULL:MD5:3DES',
        'd.example': 'may protocols=>=TLSv1.2',
    }


@pytest.mark.parametrize('policy, message', [
    # tls_policy(5) splits the value at white space and commas: a second word would become an attribute of its own.
    ({'level': 'encrypt', 'protocols': '>=TLSv1.2 !SSLv3'}, "protocols '>=TLSv1.2 !SSLv3' is not TLS protocols"),
    ({'level': 'encrypt', 'protocols': '!SSLv2,!SSLv3'}, "protocols '!SSLv2,!SSLv3' is not TLS protocols"),
    ({'level': 'encrypt', 'protocols': 'TLSv1.2:'}, "protocols 'TLSv1.2:' is not TLS protocols"),
    ({'level': 'encrypt', 'protocols': 'TLSv2'}, "protocols 'TLSv2' is not TLS protocols"),
    ({'level': 'encrypt', 'ciphers': 'high medium'}, "ciphers 'high medium' is not one of high, medium"),
    ({'level': 'encrypt', 'ciphers': 'strong'}, "ciphers 'strong' is not one of"),
    ({'level': 'encrypt', 'exclude': 'aNULL MD5'}, "exclude 'aNULL MD5' is not cipher names"),
    ({'level': 'encrypt', 'exclude': 'aNULL,MD5'}, "exclude 'aNULL,MD5' is not cipher names"),
    ({'level': 'secure', 'match': ['example.com nexthop']}, "match 'example.com nexthop' is not hostname, nexthop"),
    ({'level': 'secure', 'match': 'example.com, nexthop'}, "match 'example.com, nexthop' is not hostname"),
    ({'level': 'verify', 'match': ['exämple.com']}, "match 'exämple.com' is not"),
    ({'level': 'fingerprint', 'match': ['3D:95 34:51']}, "match '3D:95 34:51' is not a certificate or public key"),
    ({'level': 'encrypt', 'match': ['example.com']}, 'match applies only at the levels fingerprint, verify and secure'),
    ({'level': 'may', 'match': 'nexthop'}, 'match applies only at the levels fingerprint, verify and secure, not at may'),
])
def test_tls_policy_attributes_are_checked(policy, message):
    with pytest.raises(AnsibleFilterError, match=re.escape('relay: tls policy for Example.com: ' + message)):
        relay_plan({'tls_policies': [dict(policy, destination='Example.com')]})


def test_two_logins_to_one_nexthop_are_refused():
    relayhost = {'host': 'smtp.example.net', 'port': 587, 'username': 'mx1', 'password': SECRET}
    transport = {'domain': 'example.com', 'host': 'SMTP.example.net', 'port': 587, 'username': 'other',
                 'password': 'Other-secret'}
    with pytest.raises(AnsibleFilterError, match=re.escape(
            'the relayhost and the transport for example.com both log in to [smtp.example.net]:587, with different '
            'credentials')) as error:
        relay_plan({'relayhost': relayhost, 'transports': [transport]})
    assert SECRET not in str(error.value) and 'Other-secret' not in str(error.value)
    # The same username with another password is another login too; two transports are compared the same way.
    with pytest.raises(AnsibleFilterError, match=re.escape(
            'the transport for a.example and the transport for b.example both log in to [mx.example.org]')):
        relay_plan({'transports': [
            {'domain': 'a.example', 'host': 'mx.example.org', 'username': 'u', 'password': SECRET},
            {'domain': 'b.example', 'host': 'mx.example.org', 'username': 'u', 'password': SECRET + 'x'}]})


def test_one_login_shared_by_a_nexthop_and_logins_per_sender():
    # The same credentials for the relayhost and a transport to the same nexthop: one entry.
    relayhost = {'host': 'smtp.example.net', 'port': 587, 'username': 'mx1', 'password': SECRET}
    plan = relay_plan({'relayhost': relayhost, 'transports': [dict(relayhost, domain='example.com')]})
    assert plan['sasl_entries'] == {'[smtp.example.net]:587': 'mx1:' + SECRET}
    # A sender relayhost's login is looked up by the sender before the nexthop
    # (smtp_sender_dependent_authentication): another login to the same nexthop replaces nothing.
    plan = relay_plan({'relayhost': relayhost, 'sender_relayhosts': [
        {'sender': '@sales.example', 'host': 'smtp.example.net', 'port': 587, 'username': 'sales',
         'password': 'Sales-secret'}]})
    assert plan['sasl_entries'] == {'@sales.example': 'sales:Sales-secret', '[smtp.example.net]:587': 'mx1:' + SECRET}
    # Another port is another nexthop, with a login of its own.
    plan = relay_plan({'relayhost': relayhost, 'transports': [
        {'domain': 'example.com', 'host': 'smtp.example.net', 'port': 465, 'username': 'u', 'password': 'x'}]})
    assert sorted(plan['sasl_entries']) == ['[smtp.example.net]:465', '[smtp.example.net]:587']


@pytest.mark.parametrize('relay, message', [
    ({'relayhost': {'host': 'smtp.example.com', 'username': 'u'}}, 'relayhost: give both username and password'),
    ({'relayhost': {'host': 'smtp.example.com', 'username': 'a:b', 'password': SECRET}}, "username 'a:b' cannot hold"),
    ({'relayhost': {'host': 'smtp.example.com', 'username': 'u', 'password': ' ' + SECRET}},
     'the password begins or ends with white space'),
    ({'transports': [{'domain': 'example.com', 'username': 'u', 'password': SECRET}]},
     'transport for example.com: credentials need a host'),
    ({'transports': [{'domain': 'example.com'}, {'domain': 'EXAMPLE.com'}]},
     'transport domain example.com is given more than once'),
    ({'transports': [{'domain': 'example.com', 'transport': 'smtp:[x]'}]}, "transport 'smtp:\\[x\\]' is not a master"),
    ({'transports': [{'domain': '*.example.com'}]}, "transport domain: '\\*.example.com' is not a domain name"),
    ({'sender_relayhosts': [{'sender': 'example.com', 'host': 'x.example'}]}, "sender 'example.com' is not an address"),
    ({'tls_policies': [{'destination': 'example.com', 'level': 'strict'}]}, "level 'strict' is not one of none"),
    ({'suspended_domains': [{'domain': 'example.com', 'text': 'a\nb'}]}, 'the text holds a line break'),
])
def test_bad_input_names_the_entry(relay, message):
    with pytest.raises(AnsibleFilterError, match=message) as error:
        relay_plan(relay)
    assert SECRET not in str(error.value)


@pytest.mark.parametrize('seconds, text', [(0, '0s'), (59, '59s'), (432000, '5d'), (424800 + 300, '4d 22h'),
                                           (7500, '2h 5m'), (-90, '-1m 30s')])
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


def test_suspension_report():
    queue = {'maximal_queue_lifetime': 432000, 'domains': {
        'example.org': {'messages': 2, 'oldest_age': 7500, 'oldest_queue_id': 'A1', 'bounce_in': 424500,
                        'bounce_next_queue_id': 'A1'},
        'example.net': {'messages': 1, 'oldest_age': 60, 'oldest_queue_id': 'B2', 'bounce_in': None,
                        'bounce_next_queue_id': None},
        'example.com': {'messages': 0, 'oldest_age': None, 'oldest_queue_id': None, 'bounce_in': None,
                        'bounce_next_queue_id': None}}}
    assert suspension_report(queue, ['example.org', 'example.net', 'example.com']) == [
        'example.org: suspended, 2 message(s) queued, the oldest 2h 5m old; maximal_queue_lifetime is 5d: the first '
        'is returned to its sender in 4d 21h (queue ID A1) unless the domain is resumed',
        'example.net: suspended, 1 message(s) queued, all on hold (held mail does not expire); '
        'maximal_queue_lifetime is 5d',
        'example.com: suspended, nothing queued; maximal_queue_lifetime is 5d: mail that arrives now is returned to '
        'its sender if the domain is still suspended 5d from now',
    ]
