# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/restrictions/lists.py, partly against real postconf output (fixtures)."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import ConfigValueError, parse_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.lists import (
    Element,
    check_access_table_values,
    check_restrictions,
    is_restriction_parameter,
    parse_restrictions,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import FIXTURES, VERSIONS, fixture_text

V37, V310 = (3, 7, 11), (3, 10, 13)
TYPES = frozenset(['btree', 'cdb', 'cidr', 'environ', 'fail', 'hash', 'inline', 'internal', 'lmdb', 'memcache', 'nis',
                   'pcre', 'pipemap', 'proxy', 'randmap', 'regexp', 'socketmap', 'static', 'tcp', 'texthash',
                   'unionmap', 'unix'])


def postconf_m(version):
    with open(os.path.join(FIXTURES, 'tables', 'postfix-%s' % version, 'postconf-m.txt'), encoding='utf-8') as handle:
        return frozenset(handle.read().split())


def refused(parameter, text, version=V310, classes=(), table_types=TYPES):
    with pytest.raises(ConfigValueError) as caught:
        check_restrictions(parameter, text, version, classes, table_types)
    return str(caught.value)


# ---------------------------------------------------------------------------
# parse_restrictions

@pytest.mark.parametrize('text, expected', [
    ('', []),
    ('permit_mynetworks, reject', [Element('permit_mynetworks', None, 'permit_mynetworks'),
                                   Element('reject', None, 'reject')]),
    ('check_sender_access hash:/etc/postfix/x', [Element('check_sender_access', 'hash:/etc/postfix/x',
                                                         'check_sender_access hash:/etc/postfix/x')]),
    # Commas and white space are the same to Postfix.
    ('check_sender_access,hash:/x,reject', [Element('check_sender_access', 'hash:/x', 'check_sender_access hash:/x'),
                                            Element('reject', None, 'reject')]),
    ('CHECK_Sender_Access hash:/x', [Element('CHECK_Sender_Access', 'hash:/x', 'CHECK_Sender_Access hash:/x')]),
    ('check_policy_service { inet:127.0.0.1:10023, timeout=10s }, reject_unauth_destination', [
        Element('check_policy_service', '{ inet:127.0.0.1:10023, timeout=10s }',
                'check_policy_service { inet:127.0.0.1:10023, timeout=10s }'),
        Element('reject_unauth_destination', None, 'reject_unauth_destination')]),
    ('reject_rbl_client zen.spamhaus.org=127.0.0.[2..11]', [
        Element('reject_rbl_client', 'zen.spamhaus.org=127.0.0.[2..11]',
                'reject_rbl_client zen.spamhaus.org=127.0.0.[2..11]')]),
    ('hash:/etc/postfix/access', [Element(None, 'hash:/etc/postfix/access', 'hash:/etc/postfix/access')]),
    ('sleep 1 reject', [Element('sleep', '1', 'sleep 1'), Element('reject', None, 'reject')]),
    ('my_class permit', [Element('my_class', None, 'my_class'), Element('permit', None, 'permit')]),
])
def test_parse(text, expected):
    assert parse_restrictions(text) == expected


@pytest.mark.parametrize('text', ['check_client_access', 'check_client_access reject', 'check_policy_service',
                                  'sleep', 'sleep reject', 'sleep 1s'])
def test_parse_leaves_a_missing_argument_out(text):
    # smtpd needs a ":" in a table or service and digits after sleep; without them it answers 451.
    first = parse_restrictions(text)[0]
    assert first.argument is None
    assert first.text == first.name


def test_parse_takes_any_next_element_as_a_dns_list_domain():
    # As smtpd does: the restriction after it is lost.
    assert parse_restrictions('reject_rbl_client reject_unauth_destination') == [
        Element('reject_rbl_client', 'reject_unauth_destination', 'reject_rbl_client reject_unauth_destination')]


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_setting(version):
    value = parse_parameters(fixture_text(version, 'postconf-n-custom.txt'))['smtpd_recipient_restrictions']
    assert [element.name for element in parse_restrictions(value)] == [
        'permit_mynetworks', 'check_policy_service', 'reject_unauth_destination']
    assert check_restrictions('smtpd_recipient_restrictions', value, (3, int(version.split('.')[1])), [],
                              postconf_m(version)) == []


# ---------------------------------------------------------------------------
# check_restrictions: what works

GOOD_LISTS = [
    'permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination',
    'PERMIT_MYNETWORKS, Reject_Unauth_Destination, REJECT',
    'permit_mynetworks permit_sasl_authenticated reject_unauth_destination '
    'check_policy_service { inet:127.0.0.1:10023, timeout=10s, default_action=DUNNO } '
    'check_policy_service unix:private/policy reject_rbl_client zen.spamhaus.org=127.0.0.[2..11] '
    'reject_rhsbl_sender dbl.spamhaus.org permit_dnswl_client list.dnswl.org sleep 1 warn_if_reject '
    'reject_unknown_sender_domain defer_if_permit defer_if_reject defer DEFER_IF_PERMIT',
    'check_client_access cidr:/etc/postfix/clients, check_helo_access pcre:/etc/postfix/helo.pcre, '
    'check_sender_access proxy:hash:/etc/postfix/senders, check_recipient_access texthash:/etc/postfix/rcpt, '
    'check_sender_access unionmap:{hash:/etc/postfix/a, regexp:/etc/postfix/b}, check_sender_access inline:{a=OK}',
    'check_ccert_access { hash:/etc/postfix/ccert, { search_order = cert_fingerprint, pubkey_fingerprint } }',
    'hash:/etc/postfix/access, reject_unauth_destination',
    'reject_unknown_client reject_invalid_hostname reject_non_fqdn_hostname reject_unknown_hostname reject_rbl x.org '
    'reject_unknown_address check_recipient_maps reject_sender_login_mismatch',
]


@pytest.mark.parametrize('version', [V37, V310, (3, 7), (3, 10)])
@pytest.mark.parametrize('text', GOOD_LISTS)
def test_good_lists(text, version):
    assert check_restrictions('smtpd_recipient_restrictions', text, version, [], TYPES) == []


def test_classes_are_restrictions():
    text = 'permit_mynetworks, MyClass, other_class, reject_unauth_destination'
    assert check_restrictions('smtpd_relay_restrictions', text, V310, ['MyClass', 'other_class'], TYPES) == []


def test_table_types_are_not_checked_without_postconf_m():
    assert check_restrictions('smtpd_sender_restrictions', 'check_sender_access mysql:/x', V310, [], None) == []


@pytest.mark.parametrize('version, name, since', [
    (V37, 'check_relay_domains', '2.1'), (V37, 'permit_naked_ip_address', '2.0'), (V37, 'reject_maps_rbl', '2.1'),
    (V310, 'permit_mx_backup', '3.9')])
def test_deprecated_names_give_warnings(version, name, since):
    warnings = check_restrictions('smtpd_recipient_restrictions', 'permit_mynetworks %s reject_unauth_destination'
                                  % name, version, [], TYPES)
    assert len(warnings) == 1
    assert warnings[0].startswith('smtpd_recipient_restrictions: %s is deprecated since Postfix %s and will be '
                                  'removed; use ' % (name, since))


# ---------------------------------------------------------------------------
# check_restrictions: what smtpd would answer 451 for

def test_unknown_name_with_a_suggestion():
    message = refused('smtpd_recipient_restrictions', 'permit_mynetworks reject_unknown_sender')
    assert message == ('smtpd_recipient_restrictions: unknown restriction "reject_unknown_sender"; did you mean '
                       'reject_unknown_sender_domain?')


@pytest.mark.parametrize('written, meant', [
    ('permit_mynetwork', 'permit_mynetworks'),
    ('reject_unauth_destinaton', 'reject_unauth_destination'),
    ('PERMIT_SASL_AUTHENTICATE', 'permit_sasl_authenticated'),
    ('myclass', 'MyClass'),  # class names are matched exactly
    ('rejcet', 'reject'),
])
def test_suggestions(written, meant):
    message = refused('smtpd_client_restrictions', written, classes=['MyClass'])
    assert message.endswith('unknown restriction "%s"; did you mean %s?' % (written, meant))


@pytest.mark.parametrize('word', ['bogus', 'reject_everything_bad', 'check_address_map', '{ permit }'])
def test_unknown_name_far_from_any(word):
    message = refused('smtpd_helo_restrictions', word)
    assert message == ('smtpd_helo_restrictions: unknown restriction "%s": Postfix 3.10 has no restriction of that '
                       'name and smtpd_restriction_classes names no such class, so smtpd would answer "451 4.3.5 '
                       'Server configuration error"' % word)


@pytest.mark.parametrize('name, instead', [
    ('check_relay_domains', 'reject_unauth_destination'),
    ('permit_naked_ip_address', 'permit_mynetworks or permit_sasl_authenticated'),
    ('reject_maps_rbl', 'reject_rbl_client domain-name'),
    ('Check_Relay_Domains', 'reject_unauth_destination'),
])
def test_names_removed_in_3_9(name, instead):
    message = refused('smtpd_recipient_restrictions', 'permit_mynetworks, %s' % name, classes=[name])
    assert message == ('smtpd_recipient_restrictions: %s was removed in Postfix 3.9 (smtpd answers "451 4.3.5 Server '
                       'configuration error" when it meets it); use %s instead' % (name, instead))
    assert check_restrictions('smtpd_recipient_restrictions', name, V37, [], TYPES) != []


def test_name_newer_than_the_version():
    message = refused('smtpd_relay_restrictions', 'permit_mynetworks, defer_unauth_destination', version=(2, 9))
    assert message == ('smtpd_relay_restrictions: defer_unauth_destination needs Postfix 2.10 or later; this is '
                       'Postfix 2.9')


@pytest.mark.parametrize('word, hint', [
    ('OK', 'write permit'), ('ok', 'write permit'), ('RELAY', 'write permit'), ('DUNNO', 'leave it out'),
    ('BCC', 'put it in an access table'), ('HOLD', 'put it in an access table'), ('discard', 'put it in an access'),
])
def test_access_results_are_not_restrictions(word, hint):
    message = refused('smtpd_sender_restrictions', 'permit_mynetworks %s' % word)
    assert message.startswith('smtpd_sender_restrictions: %s is an access table result, not a restriction; smtpd '
                              'answers "451 4.3.5 Server configuration error" when it meets it in a list: %s'
                              % (word, hint))


@pytest.mark.parametrize('text, name, needs', [
    ('check_sender_access', 'check_sender_access',
     'a lookup table as its argument, like check_sender_access hash:/etc/postfix/sender_access'),
    ('check_client_access reject', 'check_client_access',
     'a lookup table as its argument, like check_client_access hash:/etc/postfix/client_access'),
    ('check_policy_service', 'check_policy_service',
     'the policy service as its argument, like check_policy_service inet:127.0.0.1:10023 or check_policy_service '
     'unix:private/policy'),
    ('sleep', 'sleep', 'a number of seconds as its argument, like sleep 1'),
    ('permit_mynetworks, reject_rbl_client', 'reject_rbl_client',
     'a DNS list domain as its argument, like reject_rbl_client zen.spamhaus.org'),
])
def test_missing_argument(text, name, needs):
    assert refused('smtpd_client_restrictions', text) == 'smtpd_client_restrictions: %s needs %s' % (name, needs)


@pytest.mark.parametrize('text', ['reject_rbl_client reject_unauth_destination', 'reject_rhsbl_sender localhost'])
def test_dns_list_domain_that_is_not_one(text):
    message = refused('smtpd_recipient_restrictions', text)
    assert re.match(r'smtpd_recipient_restrictions: reject_\w+ takes the next element, "\w+", as its DNS list domain; '
                    r'it needs a DNS list domain', message)


@pytest.mark.parametrize('text, table_type, hint', [
    ('check_sender_access mysql:/etc/postfix/senders.cf', 'mysql', 'install the postfix-mysql package'),
    ('check_sender_access proxy:ldap:/etc/postfix/ldap.cf', 'ldap', 'install the postfix-ldap package'),
    ('check_sender_access unionmap:{hash:/etc/postfix/a, dbm:/etc/postfix/b}', 'dbm',
     'this Postfix build does not include it'),
    ('sqlite:/etc/postfix/x.cf', 'sqlite', 'install the postfix-sqlite package'),
    ('check_ccert_access { lmdb:/etc/postfix/ccert, { search_order = cert_fingerprint } }', 'lmdb',
     'install the postfix-lmdb package'),
])
def test_table_types_postconf_m_does_not_list(text, table_type, hint):
    message = refused('smtpd_recipient_restrictions', text, table_types=TYPES - {'lmdb'})
    assert message.startswith('smtpd_recipient_restrictions: ')
    assert message.endswith(': lookup table type "%s" is not supported by this Postfix (postconf -m does not list '
                            'it): %s' % (table_type, hint))


@pytest.mark.parametrize('version', VERSIONS)
def test_test_bed_table_types(version):
    types = postconf_m(version)
    assert check_restrictions('smtpd_sender_restrictions', 'check_sender_access pcre:/etc/postfix/s.pcre',
                              (3, int(version.split('.')[1])), [], types) == []
    with pytest.raises(ConfigValueError, match='"ldap" is not supported'):
        check_restrictions('smtpd_sender_restrictions', 'check_sender_access ldap:/etc/postfix/ldap.cf',
                           (3, int(version.split('.')[1])), [], types)


@pytest.mark.parametrize('table', ['hash:', ':/etc/postfix/x'])
def test_table_without_type_or_name(table):
    message = refused('smtpd_sender_restrictions', 'check_sender_access %s' % table)
    assert message == ('smtpd_sender_restrictions: check_sender_access %s: "%s" is not a lookup table; write '
                       'type:name, like hash:/etc/postfix/access' % (table, table))


@pytest.mark.parametrize('parameter', ['smtpd_data_restrictions', 'smtpd_end_of_data_restrictions'])
def test_bare_table_where_it_means_nothing(parameter):
    message = refused(parameter, 'reject_unauth_pipelining, hash:/etc/postfix/access')
    assert message.startswith('%s: a lookup table on its own (hash:/etc/postfix/access) is a server error here '
                              '(451 4.3.5)' % parameter)


@pytest.mark.parametrize('parameter', ['smtpd_client_restrictions', 'smtpd_etrn_restrictions', 'my_class'])
def test_bare_table_where_it_is_a_check(parameter):
    assert check_restrictions(parameter, 'hash:/etc/postfix/access', V310, ['my_class'], TYPES) == []


def test_an_error_names_the_class():
    message = refused('my_class', 'permit_mynetworks, nonsense', classes=['my_class'])
    assert message.startswith('my_class: unknown restriction "nonsense"')


# ---------------------------------------------------------------------------
# is_restriction_parameter

@pytest.mark.parametrize('name, expected', [
    ('smtpd_relay_restrictions', True), ('smtpd_recipient_restrictions', True), ('smtpd_data_restrictions', True),
    ('smtpd_end_of_data_restrictions', True), ('my_class', True), ('My_Class', False),
    ('smtpd_relay_before_recipient_restrictions', False), ('smtpd_restriction_classes', False),
    ('mynetworks', False), ('local_header_rewrite_clients', False),
])
def test_is_restriction_parameter(name, expected):
    assert is_restriction_parameter(name, ['my_class']) is expected


# ---------------------------------------------------------------------------
# check_access_table_values

GOOD_VALUES = [
    'OK', 'ok', 'RELAY', '12345', 'DUNNO', 'REJECT', 'REJECT 5.7.1 go away', 'reject', 'DEFER', 'DEFER 4.7.1 later',
    '450 4.7.1 later', '550 no', '421 4.7.0 bye', '521 5.7.0 bye', '599 weird', 'DEFER_IF_PERMIT', 'DEFER_IF_REJECT x',
    'HOLD', 'HOLD held', 'DISCARD', 'FILTER smtp:[127.0.0.1]:10025', 'REDIRECT other@example.net',
    'PREPEND X-Checked: yes', 'WARN warned', 'INFO noted', 'BCC copy@example.net', 'HANGUP',
    'permit_mynetworks reject', 'permit_sasl_authenticated, my_class', 'my_class',
]


@pytest.mark.parametrize('version', [V37, V310])
def test_good_access_values(version):
    entries = [('key%d' % number, value) for number, value in enumerate(GOOD_VALUES)]
    assert check_access_table_values('hash:/etc/postfix/access', entries, version, ['my_class']) == []


@pytest.mark.parametrize('value, problem', [
    ('', 'the value is empty; Postfix reads that as OK (with a warning): write OK'),
    ('   ', 'the value is empty; Postfix reads that as OK (with a warning): write OK'),
    ('FILTER', 'FILTER needs transport:destination after it, like FILTER smtp:[127.0.0.1]:10025'),
    ('filter smtp', 'filter needs transport:destination after it, like filter smtp:[127.0.0.1]:10025'),
    ('REDIRECT nodomain', 'REDIRECT needs user@domain after it, like REDIRECT postmaster@example.com'),
    ('BCC', 'BCC needs user@domain after it, like BCC postmaster@example.com'),
    ('PREPEND no header', 'PREPEND needs header: text after it, like PREPEND X-Checked: yes'),
    ('450', '450 alone means OK to Postfix (an all-digit value permits); give text after the reply code, like 450 '
            '4.7.1 Access denied'),
    ('554', '554 alone means OK to Postfix'),
    ('DELAY 1h', 'unknown restriction "DELAY": Postfix 3.10 has no restriction'),
    ('250 looks ok', 'unknown restriction "250": Postfix 3.10'),
    ('NOSUCHACTION', 'unknown restriction "NOSUCHACTION": Postfix 3.10'),
    ('permit_mynetwork', 'unknown restriction "permit_mynetwork"; did you mean permit_mynetworks?'),
    ('permit_mynetworks OK', 'OK is an access table result, not a restriction'),
    ('check_relay_domains', 'check_relay_domains was removed in Postfix 3.9'),
    ('check_client_access hash:/etc/postfix/x', '"check_client_access hash:/etc/postfix/x" names a lookup table or '
                                                'service, which smtpd refuses in an access table value'),
    ('check_policy_service inet:127.0.0.1:10023', 'names a lookup table or service'),
])
def test_bad_access_values(value, problem):
    entries = [('fine@example.com', 'OK'), ('bad@example.com', value)]
    with pytest.raises(ConfigValueError) as caught:
        check_access_table_values('hash:/etc/postfix/access', entries, V310, [])
    assert str(caught.value).startswith('hash:/etc/postfix/access, key bad@example.com: ')
    assert problem in str(caught.value)


def test_deprecated_restriction_in_an_access_value():
    warnings = check_access_table_values('hash:/etc/postfix/access', [('example.com', 'permit_mx_backup')], V310, [])
    assert warnings == ['hash:/etc/postfix/access, key example.com: permit_mx_backup is deprecated since Postfix 3.9 '
                        'and will be removed; use relay_domains instead']


@pytest.mark.parametrize('value, since', [('INFO text', '3.0'), ('BCC a@example.com', '3.0'), ('DEFER', '2.6')])
def test_access_results_newer_than_the_version(value, since):
    # Before, smtpd read the word as a restriction name, and answered 451.
    with pytest.raises(ConfigValueError) as caught:
        check_access_table_values('hash:/x', [('k', value)], (2, 5), [])
    assert str(caught.value) == 'hash:/x, key k: %s needs Postfix %s or later; this is Postfix 2.5' % (
        value.split()[0], since)
