# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/relay_guard.py, partly against real postconf output (fixtures)."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.main_cf import parse_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.relay_guard import Verdict, relay_verdict
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text

V37, V310 = (3, 7, 11), (3, 10, 13)
DEFAULT_RELAY = 'permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination'
DEBIAN_MYNETWORKS = '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128'
DEFAULTS = {
    'smtpd_relay_restrictions': DEFAULT_RELAY,
    'smtpd_recipient_restrictions': '',
    'mynetworks': DEBIAN_MYNETWORKS,
    'smtpd_restriction_classes': '',
    'permit_mx_backup_networks': '',
}
SENDERS = 'hash:/etc/postfix/senders'
END_OF_LISTS = ('neither smtpd_relay_restrictions nor smtpd_recipient_restrictions rejects a recipient in another '
                'domain, and a list that runs out permits: put reject_unauth_destination (or defer_unauth_destination) '
                'after the permit_* restrictions of smtpd_relay_restrictions; smtpd refuses to run without one')
CLOSED = 'an outside client sending to another domain is rejected or deferred'


def verdict(version=V310, tables=None, **settings):
    return relay_verdict(dict(DEFAULTS, **settings), version, tables)


def relay(text, version=V310, tables=None, **settings):
    """The verdict for smtpd_relay_restrictions = text."""
    return verdict(version, tables, smtpd_relay_restrictions=text, **settings)


def assert_open(result, parameter, element, *fragments):
    assert result.open is True
    assert (result.parameter, result.element) == (parameter, element)
    for fragment in fragments:
        assert fragment in result.reason
    assert result.reason.endswith('; nothing before it rejects an outside client that sends to another domain')


def assert_closed(result, warnings=()):
    assert result == Verdict(False, None, None, CLOSED, list(warnings))


# ---------------------------------------------------------------------------
# Postfix's own defaults, and real main.cf files

@pytest.mark.parametrize('version', [V37, V310])
def test_postfix_defaults_are_closed(version):
    assert_closed(verdict(version))


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('capture', ['postconf-n.txt', 'postconf-n-custom.txt'])
def test_test_bed_main_cf_is_closed(version, capture):
    values = dict(DEFAULTS, **parse_parameters(fixture_text(version, capture)))
    assert values['smtpd_relay_restrictions'] == 'permit_mynetworks permit_sasl_authenticated defer_unauth_destination'
    assert values['mynetworks'] == DEBIAN_MYNETWORKS
    assert_closed(relay_verdict(values, (3, int(version.split('.')[1]))))


def test_postfix_default_mynetworks_with_permit_in_recipient_list_is_closed():
    # smtpd_relay_restrictions still rejects: a permit later does not undo that.
    assert_closed(verdict(smtpd_recipient_restrictions='permit'))


# ---------------------------------------------------------------------------
# Classic open relays

@pytest.mark.parametrize('settings', [
    {'smtpd_relay_restrictions': '', 'smtpd_recipient_restrictions': ''},
    {'smtpd_relay_restrictions': 'permit_mynetworks, permit_sasl_authenticated'},
    {'smtpd_relay_restrictions': '', 'smtpd_recipient_restrictions': 'permit_mynetworks, reject_unknown_sender_domain'},
    {'smtpd_relay_restrictions': 'warn_if_reject reject_unauth_destination'},
    {'smtpd_relay_restrictions': 'reject_rbl_client zen.spamhaus.org, reject_non_fqdn_recipient, '
                                 'reject_unknown_recipient_domain, reject_unverified_recipient, sleep 1'},
    {'smtpd_relay_restrictions': 'defer_if_reject, reject_unauth_pipelining, permit_auth_destination'},
    {'smtpd_relay_restrictions': 'permit_dnswl_client list.dnswl.org, permit_rhswl_client dbl.example'},
])
def test_no_destination_check(settings):
    result = verdict(**settings)
    assert result == Verdict(True, 'smtpd_relay_restrictions', None, END_OF_LISTS, [])


@pytest.mark.parametrize('relay_list, recipient_list, parameter, element', [
    ('permit, reject_unauth_destination', '', 'smtpd_relay_restrictions', 'permit'),
    ('permit_mynetworks, PERMIT, reject_unauth_destination', '', 'smtpd_relay_restrictions', 'PERMIT'),
    ('', 'permit_mynetworks, permit, reject_unauth_destination', 'smtpd_recipient_restrictions', 'permit'),
    ('permit', '', 'smtpd_relay_restrictions', 'permit'),
    ('permit_sasl_authenticated', 'permit', 'smtpd_recipient_restrictions', 'permit'),
])
def test_permit_before_the_destination_check(relay_list, recipient_list, parameter, element):
    result = verdict(smtpd_relay_restrictions=relay_list, smtpd_recipient_restrictions=recipient_list)
    assert_open(result, parameter, element, 'permit accepts every request that reaches it')


@pytest.mark.parametrize('mynetworks, why', [
    ('0.0.0.0/0', '0.0.0.0/0 covers the whole Internet'),
    ('127.0.0.0/8 0.0.0.0/0', '0.0.0.0/0 covers the whole Internet'),
    ('10.0.0.0/7', '10.0.0.0/7 is wider than /8'),
    ('192.0.2.1/1', '192.0.2.1/1 is wider than /8'),
    ('[::]/0', '[::]/0 covers the whole Internet'),
    ('::/0', '::/0 covers the whole Internet'),
    ('[2000::]/3', '[2000::]/3 is wider than /16'),
    ('[2001:db8::]/15', '[2001:db8::]/15 is wider than /16'),
    ('[::]/64', '[::]/64 covers every IPv4 address (as ::ffff:a.b.c.d)'),
    ('[::ffff:0.0.0.0]/96', '[::ffff:0.0.0.0]/96 covers the whole IPv4 Internet'),
    ('[::ffff:10.0.0.0]/103', '[::ffff:10.0.0.0]/103 is wider than IPv4 /8'),
    ('unknown', '"unknown" is the hostname of every client whose name does not verify'),
    ('com', 'com matches every client hostname in that top-level domain'),
    ('.com', '.com matches every client hostname in that top-level domain'),
])
def test_mynetworks_too_wide(mynetworks, why):
    result = verdict(mynetworks=mynetworks)
    assert_open(result, 'smtpd_relay_restrictions', 'permit_mynetworks',
                'permit_mynetworks accepts every client that mynetworks matches, and ' + why)


@pytest.mark.parametrize('mynetworks', [
    DEBIAN_MYNETWORKS, '10.0.0.0/8', '192.0.2.0/24, [2001:db8::]/32', '[2001:db8::]/16', '[::ffff:10.0.0.0]/104',
    'mail.example.com, example.com, .example.com', '!0.0.0.0/0 192.0.2.0/24', '', '10', '2001:db8::1',
])
def test_mynetworks_plausible(mynetworks):
    assert_closed(verdict(mynetworks=mynetworks))


CIDR = 'cidr:/etc/postfix/mynetworks'


@pytest.mark.parametrize('entries, opened', [
    ([('192.0.2.0/24', 'x'), ('0.0.0.0/0', 'x')], True),
    ([('!192.0.2.0/24', 'x')], True),
    ([('192.0.2.0/24', 'x'), ('[2001:db8::]/32', 'x')], False),
])
def test_mynetworks_table_known(entries, opened):
    result = verdict(tables={CIDR: entries}, mynetworks='127.0.0.0/8 %s' % CIDR)
    assert result.open is opened
    assert result.warnings == []
    if opened:
        assert_open(result, 'smtpd_relay_restrictions', 'permit_mynetworks', 'and in %s ' % CIDR)


@pytest.mark.parametrize('entry', [CIDR, '/etc/postfix/network_list', 'proxy:hash:/etc/postfix/mynetworks'])
def test_mynetworks_table_unknown(entry):
    assert_closed(verdict(mynetworks='127.0.0.0/8 %s' % entry), [
        'cannot see inside %s (in mynetworks); if it answers OK for "unknown", a top-level domain or a network wider '
        'than /8 (IPv6: /16), clients there can relay' % entry])


def test_mynetworks_pattern_table():
    result = verdict(tables={'pcre:/etc/postfix/nets': [('/^192\\.0\\.2\\./', 'x')]},
                     mynetworks='pcre:/etc/postfix/nets')
    assert_closed(result, ['cannot tell which clients /^192\\.0\\.2\\./ in pcre:/etc/postfix/nets (in mynetworks) '
                           'matches'])


def test_permit_tls_all_clientcerts():
    result = relay('permit_mynetworks, permit_tls_all_clientcerts, reject_unauth_destination')
    assert_open(result, 'smtpd_relay_restrictions', 'permit_tls_all_clientcerts',
                'accepts any client certificate that a CA in smtpd_tls_CAfile', 'use permit_tls_clientcerts instead')


def test_permit_naked_ip_address_opens_3_7():
    result = relay('permit_naked_ip_address, reject_unauth_destination', V37)
    assert_open(result, 'smtpd_relay_restrictions', 'permit_naked_ip_address',
                'accepts any client that sends a bare IP address as its HELO name')


def test_permit_naked_ip_address_is_a_server_error_in_3_10():
    # Removed in 3.9: smtpd answers 451 4.3.5 there, which relays nothing.
    assert_closed(relay('permit_naked_ip_address, reject_unauth_destination', V310))


# ---------------------------------------------------------------------------
# Safe patterns

@pytest.mark.parametrize('relay_list', [
    DEFAULT_RELAY,
    'permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
    'reject_unauth_destination, permit',
    'defer_unauth_destination, permit_tls_all_clientcerts',
    'permit_inet_interfaces, permit_tls_clientcerts, permit_auth_destination, reject',
    'check_ccert_access hash:/etc/postfix/ccert, reject_unauth_destination',
    'check_sasl_access static:OK, reject_unauth_destination',
    'check_client_access cidr:/etc/postfix/clients, reject_unauth_destination',
    'reject_unauth_destination, check_sender_access hash:/etc/postfix/senders',
    'reject_unauth_destination, check_policy_service inet:127.0.0.1:10023',
    'permit_dnswl_client list.dnswl.org, permit_rhswl_client dbl.example, reject_unauth_destination',
    'check_sender_mx_access static:OK, check_helo_ns_access static:OK, check_client_a_access static:OK, '
    'check_reverse_client_hostname_access static:OK, reject_unauth_destination',
    'check_etrn_access static:OK, defer',
    'defer_if_permit',
    'reject',
])
def test_safe(relay_list):
    tables = {'cidr:/etc/postfix/clients': [('192.0.2.0/24', 'OK'), ('[2001:db8::]/48', 'OK')]}
    assert_closed(relay(relay_list, tables=tables))


@pytest.mark.parametrize('version', [V37, V310])
def test_check_relay_domains_is_a_destination_check(version):
    # 3.7: it rejects a recipient in another domain; 3.10: 451 4.3.5.
    assert_closed(relay('check_relay_domains, permit', version))


def test_permit_mx_backup_does_not_open_but_warns():
    result = relay('permit_mx_backup, reject_unauth_destination')
    assert_closed(result, [
        'permit_mx_backup (smtpd_relay_restrictions): with permit_mx_backup_networks empty, anyone can point the MX '
        'records of a domain at this server and have it accept and forward mail for that domain; list the domains '
        'in relay_domains instead (permit_mx_backup is deprecated as of Postfix 3.9)'])


def test_permit_mx_backup_with_networks():
    assert_closed(relay('permit_mx_backup, reject_unauth_destination', permit_mx_backup_networks='192.0.2.0/24'))


# ---------------------------------------------------------------------------
# Restriction classes

def test_class_that_permits():
    result = relay('permit_mynetworks, trusted, reject_unauth_destination', smtpd_restriction_classes='trusted',
                   trusted='permit')
    assert_open(result, 'trusted', 'permit', '(restriction class trusted, reached through smtpd_relay_restrictions)')


def test_nested_classes():
    result = verdict(smtpd_relay_restrictions='', smtpd_recipient_restrictions='outer, reject_unauth_destination',
                     smtpd_restriction_classes='outer, inner', outer='permit_sasl_authenticated inner',
                     inner='permit_tls_all_clientcerts')
    assert_open(result, 'inner', 'permit_tls_all_clientcerts',
                '(restriction class inner, reached through smtpd_recipient_restrictions -> outer)')


def test_class_that_rejects():
    assert_closed(relay('strict, permit', smtpd_restriction_classes='strict', strict='reject_unauth_destination'))


def test_class_that_decides_nothing():
    result = relay('checks, permit', smtpd_restriction_classes='checks', checks='reject_non_fqdn_sender')
    assert_open(result, 'smtpd_relay_restrictions', 'permit')


def test_class_names_are_case_sensitive():
    # "Trusted" is not the class "trusted": smtpd answers 451 4.3.5, which relays nothing.
    assert_closed(relay('Trusted, permit', smtpd_restriction_classes='trusted', trusted='permit_mynetworks'))


def test_builtin_names_win_over_classes():
    assert_closed(relay('reject', smtpd_restriction_classes='reject', reject='permit'))


def test_class_loop():
    result = relay('first, permit', smtpd_restriction_classes='first second', first='second', second='first')
    assert_closed(result, ['restriction class first uses itself (first -> second -> first); smtpd recurses until it '
                           'crashes when it gets there'])


def test_class_loop_after_a_permit():
    result = relay('first', smtpd_restriction_classes='first second', first='permit second', second='first')
    assert_open(result, 'first', 'permit')
    assert result.warnings == []


def test_class_without_value():
    result = relay('missing, reject_unauth_destination', smtpd_restriction_classes='missing')
    assert_closed(result, ['the value of restriction class missing was not given; it was taken as empty'])


# ---------------------------------------------------------------------------
# Tables before the destination check

def test_forged_sender_with_known_table():
    tables = {SENDERS: [('spammer@example.org', 'REJECT'), ('boss@example.com', 'OK')]}
    result = relay('permit_mynetworks, check_sender_access %s, reject_unauth_destination' % SENDERS, tables=tables)
    assert_open(result, 'smtpd_relay_restrictions', 'check_sender_access %s' % SENDERS,
                '%s answers "OK" for boss@example.com; a client can send any sender address' % SENDERS)
    assert result.warnings == []


def test_forged_sender_with_unknown_table():
    result = relay('permit_mynetworks, check_sender_access %s, reject_unauth_destination' % SENDERS)
    assert_closed(result, ['cannot see inside %s (check_sender_access in smtpd_relay_restrictions); if it answers OK '
                           'for a sender address, anyone who forges that sender can relay' % SENDERS])


def test_forged_sender_through_proxy():
    tables = {SENDERS: [('boss@example.com', 'OK')]}
    result = relay('check_sender_access proxy:%s, reject_unauth_destination' % SENDERS, tables=tables)
    assert_open(result, 'smtpd_relay_restrictions', 'check_sender_access proxy:%s' % SENDERS)


def test_sender_table_without_ok_is_closed():
    tables = {SENDERS: [('spammer@example.org', 'REJECT'), ('example.net', 'DUNNO'), ('x@example.com', 'HOLD')]}
    assert_closed(relay('check_sender_access %s, reject_unauth_destination' % SENDERS, tables=tables))


@pytest.mark.parametrize('element, key, why', [
    ('check_helo_access hash:/etc/postfix/helo', 'mail.example.com', 'a client can send any HELO name'),
    ('check_sender_access regexp:/etc/postfix/senders', '/@example\\.com$/', 'a client can send any sender address'),
    ('check_client_access cidr:/etc/postfix/clients', '0.0.0.0/0', '0.0.0.0/0 covers the whole Internet'),
    ('check_client_access cidr:/etc/postfix/clients', '!192.0.2.0/24', 'matches every client outside 192.0.2.0/24'),
    ('check_client_access hash:/etc/postfix/clients', 'unknown', '"unknown" is the hostname of every client'),
    ('check_client_access hash:/etc/postfix/clients', 'com', 'com matches every client hostname'),
    ('check_recipient_access hash:/etc/postfix/rcpt', 'postmaster@', 'postmaster@ matches that localpart in every'),
    ('check_recipient_access hash:/etc/postfix/rcpt', 'com', 'com matches every domain under that top-level domain'),
    ('hash:/etc/postfix/rcpt', 'abuse@', 'abuse@ matches that localpart in every domain'),
    ('check_ccert_access static:OK', None, 'static:OK answers "OK" for every key'),
    ('check_sender_access inline:{ boss@example.com=OK, { x@example.com = REJECT go away } }', 'boss@example.com',
     'a client can send any sender address'),
    ('check_sender_access unionmap:{hash:/etc/postfix/a, static:DUNNO}', 'boss@example.com', 'any sender address'),
])
def test_table_entries_an_outsider_reaches(element, key, why):
    table = element.split(' ', 1)[1] if ' ' in element else element
    tables = {table: [(key, 'OK')], 'hash:/etc/postfix/a': [(key, 'OK')]}
    result = relay('permit_mynetworks, %s, reject_unauth_destination' % element, tables=tables)
    assert_open(result, 'smtpd_relay_restrictions', element, why)


@pytest.mark.parametrize('element, key, warning', [
    ('check_client_access cidr:/etc/postfix/clients', '192.0.2.0/24', None),
    ('check_client_access hash:/etc/postfix/clients', 'mail.example.com', None),
    ('check_client_access hash:/etc/postfix/clients', '192.0.2', None),
    ('check_client_access pcre:/etc/postfix/clients', '/^mail\\./', 'cannot tell which clients it matches'),
    ('check_recipient_access hash:/etc/postfix/rcpt', 'example.com',
     "any client can relay mail to recipients it matches outside this server's own domains"),
    ('check_ccert_access hash:/etc/postfix/ccert', '12:34:56', None),
    ('check_sasl_access hash:/etc/postfix/sasl', 'boss', None),
])
def test_table_entries_an_outsider_does_not_reach(element, key, warning):
    table = element.split(' ', 1)[1]
    result = relay('%s, reject_unauth_destination' % element, tables={table: [(key, 'OK')]})
    expected = [] if warning is None else ['%s answers "OK" for %s (%s in smtpd_relay_restrictions): %s' % (
        table, key, element.split(' ', 1)[0], warning)]
    assert_closed(result, expected)


@pytest.mark.parametrize('element, table, risk', [
    ('check_helo_access hash:/etc/postfix/x', 'hash:/etc/postfix/x',
     'if it answers OK for a HELO name, anyone who sends that name can relay'),
    ('check_client_access hash:/etc/postfix/x', 'hash:/etc/postfix/x',
     'if it answers OK for "unknown", a top-level domain or a network wider than /8 (IPv6: /16), clients there can '
     'relay'),
    ('check_recipient_access hash:/etc/postfix/x', 'hash:/etc/postfix/x',
     'if it answers OK for a localpart@ key or a top-level domain, anyone can relay to such recipients'),
    ('hash:/etc/postfix/x', 'hash:/etc/postfix/x',
     'if it answers OK for a localpart@ key or a top-level domain, anyone can relay to such recipients'),
    ('check_sender_access pipemap:{hash:/etc/postfix/x, hash:/etc/postfix/y}',
     'pipemap:{hash:/etc/postfix/x, hash:/etc/postfix/y}',
     'if it answers OK for a sender address, anyone who forges that sender can relay'),
])
def test_unknown_tables(element, table, risk):
    name = element.split(' ')[0] if element != table else 'bare table'
    assert_closed(relay('%s, reject_unauth_destination' % element), [
        'cannot see inside %s (%s in smtpd_relay_restrictions); %s' % (table, name, risk)])


@pytest.mark.parametrize('element', ['check_ccert_access hash:/etc/postfix/x', 'check_sasl_access hash:/etc/postfix/x',
                                     'check_sender_mx_access hash:/etc/postfix/x',
                                     'check_reverse_client_hostname_access hash:/etc/postfix/x'])
def test_unknown_tables_an_outsider_cannot_use(element):
    assert_closed(relay('%s, reject_unauth_destination' % element))


@pytest.mark.parametrize('value', ['OK', 'ok', 'RELAY', 'RELAY text', '12345', '450', '', 'permit',
                                   'permit_mynetworks, permit', 'reject_non_fqdn_sender permit', 'trusted'])
def test_table_values_that_permit(value):
    result = relay('check_sender_access static:{%s}, reject_unauth_destination' % value,
                   smtpd_restriction_classes='trusted', trusted='permit')
    assert result.open is True
    assert result.element == 'check_sender_access static:{%s}' % value


@pytest.mark.parametrize('value', ['REJECT', 'reject', 'DEFER later', '550 5.7.1 no', '450 4.7.1 later',
                                   '421 4.7.0 bye', 'DISCARD', 'HANGUP', 'DEFER_IF_PERMIT', 'defer_if_permit',
                                   'permit_sasl_authenticated, reject', 'check_client_access x:y',
                                   'nonsense', 'warn_if_reject defer_if_permit, reject_unauth_destination'])
def test_table_values_that_close(value):
    # A static: table answers every lookup: no way around its value.
    assert_closed(relay('check_sender_access static:{%s}' % value))


@pytest.mark.parametrize('value', ['DUNNO', 'HOLD', 'WARN careful', 'INFO x', 'FILTER smtp:[127.0.0.1]:10025',
                                   'REDIRECT a@example.com', 'BCC a@example.com', 'PREPEND X-A: b',
                                   'DEFER_IF_REJECT', 'reject_non_fqdn_sender', 'warn_if_reject reject',
                                   'permit_mynetworks'])
def test_table_values_that_go_on(value):
    assert verdict(smtpd_relay_restrictions='check_sender_access static:{%s}' % value) == Verdict(
        True, 'smtpd_relay_restrictions', None, END_OF_LISTS, [])
    assert_closed(relay('check_sender_access static:{%s}, reject_unauth_destination' % value))


def test_policy_service_before_the_destination_check():
    result = relay('check_policy_service { inet:127.0.0.1:10023, timeout=10s }, reject_unauth_destination')
    assert_closed(result, ['cannot tell what the policy service { inet:127.0.0.1:10023, timeout=10s } answers '
                           '(smtpd_relay_restrictions); if it answers OK or permit for an outside client, that client '
                           'can relay'])


# ---------------------------------------------------------------------------
# Evaluation order: DUNNO, defer_if_permit, defer_if_reject, warn_if_reject

@pytest.mark.parametrize('relay_list, recipient_list, opened', [
    ('check_sender_access static:DUNNO, reject_unauth_destination', '', False),
    ('check_sender_access static:DUNNO, permit', '', True),
    ('defer_if_permit, permit', '', False),
    ('permit, defer_if_permit', '', True),
    ('permit', 'defer_if_permit', False),  # the deferral outlives the list
    ('defer_if_permit', 'permit', False),
    ('check_sender_access static:DEFER_IF_PERMIT, permit', '', False),
    ('defer_if_reject, reject_unauth_destination', '', False),
    ('defer_if_reject, permit', '', True),
    ('check_sender_access static:DEFER_IF_REJECT, reject_unauth_destination', '', False),
    ('warn_if_reject reject_unauth_destination, reject_unauth_destination', '', False),
    ('warn_if_reject reject_unauth_destination', 'reject_unauth_destination', False),
    ('warn_if_reject reject_unauth_destination, permit', '', True),
    ('warn_if_reject defer_if_permit, permit', '', True),
    ('warn_if_reject defer, permit', '', True),
    ('warn_if_reject strict, permit', '', True),
    ('warn_if_reject check_sender_access static:REJECT, permit', '', True),
    ('warn_if_reject check_sender_access static:DISCARD, permit', '', False),
    ('warn_if_reject permit_sasl_authenticated, reject_unauth_destination', '', False),
    # smtpd forgets a trailing warn_if_reject at the end of each list.
    ('warn_if_reject', 'reject_unauth_destination', False),
    ('strict_warned, reject_unauth_destination', '', False),
])
def test_evaluation_order(relay_list, recipient_list, opened):
    result = verdict(smtpd_relay_restrictions=relay_list, smtpd_recipient_restrictions=recipient_list,
                     smtpd_restriction_classes='strict strict_warned', strict='reject_unauth_destination, reject',
                     strict_warned='permit_mynetworks, warn_if_reject')
    assert result.open is opened
    assert result.warnings == []


# ---------------------------------------------------------------------------
# master.cf -o overrides: the caller merges a service's -o values over main.cf's

MAIN_CF = dict(DEFAULTS, smtpd_relay_restrictions='', smtpd_recipient_restrictions=(
    'permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination'))


def test_submission_service_override_is_safe():
    overrides = {'smtpd_relay_restrictions': 'permit_sasl_authenticated,reject'}
    assert_closed(relay_verdict(dict(MAIN_CF, **overrides), V310))


def test_service_override_that_opens():
    overrides = {'smtpd_recipient_restrictions': 'permit'}
    assert_closed(relay_verdict(MAIN_CF, V310))
    result = relay_verdict(dict(MAIN_CF, **overrides), V310)
    assert_open(result, 'smtpd_recipient_restrictions', 'permit', 'permit accepts every request that reaches it')


def test_missing_settings_read_as_empty():
    result = relay_verdict({}, V310)
    assert result == Verdict(True, 'smtpd_relay_restrictions', None, END_OF_LISTS, [])
