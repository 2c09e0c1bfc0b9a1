# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/restrictions/relay_guard.py, partly against real postconf output (fixtures)."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import parse_parameters, split_list
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.relay_guard import Verdict, relay_verdict
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text

V37, V310 = (3, 7, 11), (3, 10, 13)
DEFAULT_RELAY = 'permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination'
DEBIAN_MYNETWORKS = '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128'
PARENT_STYLE = ('debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,qmqpd_authorized_clients,'
                'relay_domains,smtpd_access_maps')
# Postfix's defaults, as postconf -x prints them on the test bed (compatibility level 3.6).
DEFAULTS = {
    'smtpd_relay_restrictions': DEFAULT_RELAY,
    'smtpd_recipient_restrictions': '',
    'mynetworks': DEBIAN_MYNETWORKS,
    'smtpd_restriction_classes': '',
    'permit_mx_backup_networks': '',
    'parent_domain_matches_subdomains': PARENT_STYLE,
    'mydestination': 'mx.testbed.example, localhost, testbed.example',
    'relay_domains': '',
    'virtual_alias_domains': '',
    'virtual_mailbox_domains': '',
}
SENDERS = 'hash:/etc/postfix/senders'
END_OF_LISTS = ('neither smtpd_relay_restrictions nor smtpd_recipient_restrictions rejects a recipient in another '
                'domain, and a list that runs out permits: put reject_unauth_destination (or defer_unauth_destination) '
                'after the permit_* restrictions of smtpd_relay_restrictions; smtpd refuses to run without one')
CLOSED = 'an outside client sending to another domain is rejected or deferred'


def verdict(version=V310, tables=None, answers=None, **settings):
    return relay_verdict(dict(DEFAULTS, **settings), version, tables, answers)


def relay(text, version=V310, tables=None, answers=None, **settings):
    """The verdict for smtpd_relay_restrictions = text."""
    return verdict(version, tables, answers, smtpd_relay_restrictions=text, **settings)


def assert_open(result, parameter, element, *fragments):
    assert (result.open, result.decided) == (True, True), result
    assert (result.parameter, result.element) == (parameter, element)
    for fragment in fragments:
        assert fragment in result.reason
    assert result.reason.endswith('; nothing before it rejects an outside client that sends to another domain')
    assert result.lookups == {}


def assert_undecided(result, parameter, element, *fragments):
    """Open as far as postconf is concerned: the guard cannot tell, and says why."""
    assert (result.open, result.decided) == (True, False), result
    assert (result.parameter, result.element) == (parameter, element)
    assert result.reason.startswith('the open-relay guard cannot tell whether an outside client can relay: ')
    for fragment in fragments:
        assert fragment in result.reason


def assert_closed(result, warnings=()):
    assert result == Verdict(False, True, None, None, CLOSED, list(warnings), {})


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
    assert result == Verdict(True, True, 'smtpd_relay_restrictions', None, END_OF_LISTS, [], {})


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


@pytest.mark.parametrize('entry, looked_up', [
    (CIDR, CIDR),
    ('/etc/postfix/network_list', None),
    ('proxy:hash:/etc/postfix/mynetworks', 'hash:/etc/postfix/mynetworks'),
])
def test_mynetworks_table_unknown_is_undecided(entry, looked_up):
    result = verdict(mynetworks='127.0.0.0/8 %s' % entry)
    assert_undecided(result, 'smtpd_relay_restrictions', 'permit_mynetworks', '%s (in mynetworks): cannot see inside '
                     'it; if it answers OK for "unknown"' % entry, 'list the networks in mynetworks, or use a cidr '
                     'table whose file the guard can read')
    assert list(result.lookups) == ([looked_up] if looked_up else [])


def test_mynetworks_table_unknown_answered_by_postfix():
    keys = relay_verdict(dict(DEFAULTS, mynetworks=CIDR), V310).lookups[CIDR]
    # cidr: looked up with the hostname and the address only
    assert keys == ('198.51.100.23', '2001:db8:5:6::7', '203.0.113.7', 'host7.mailops-probe.net',
                    'mta7.mailops-probe.com', 'unknown')
    found = dict.fromkeys(keys, None)
    assert_undecided(verdict(mynetworks=CIDR, answers={CIDR: found}), 'smtpd_relay_restrictions', 'permit_mynetworks',
                     'cannot see inside it')
    found['198.51.100.23'] = 'whatever'
    assert_open(verdict(mynetworks=CIDR, answers={CIDR: found}), 'smtpd_relay_restrictions', 'permit_mynetworks',
                '%s matches the outside client mta7.mailops-probe.com[198.51.100.23] (Postfix looked it up)' % CIDR)


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


def test_forged_sender_with_unknown_table_is_undecided():
    result = relay('permit_mynetworks, check_sender_access %s, reject_unauth_destination' % SENDERS)
    assert_undecided(result, 'smtpd_relay_restrictions', 'check_sender_access %s' % SENDERS, (
        'cannot see inside %s; if it answers OK for a sender address, anyone who forges that sender can relay: give '
        "the guard its contents (a file table it can read, or postconf's tables or access_tables), or move it after "
        'reject_unauth_destination' % SENDERS))
    # No sender could be asked about that an outsider cannot pick another one than.
    assert result.lookups == {}


def test_unknown_table_after_the_destination_check_is_closed():
    assert_closed(relay('permit_mynetworks, reject_unauth_destination, check_sender_access %s' % SENDERS))


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
    ('check_client_access pcre:/etc/postfix/clients', '/^mail\\./', 'also matches client hostnames (those that start '
     'with "mail.")'),
    ('check_recipient_access hash:/etc/postfix/rcpt', 'example.com', "example.com is not one of this host's own "
     'domains (mydestination, relay_domains, virtual_alias_domains, virtual_mailbox_domains), so anyone can relay '
     'mail to it'),
])
def test_table_entries_an_outsider_reaches(element, key, why):
    table = element.split(' ', 1)[1] if ' ' in element else element
    tables = {table: [(key, 'OK')], 'hash:/etc/postfix/a': [(key, 'OK')]}
    result = relay('permit_mynetworks, %s, reject_unauth_destination' % element, tables=tables)
    assert_open(result, 'smtpd_relay_restrictions', element, why)


@pytest.mark.parametrize('element, key', [
    ('check_client_access cidr:/etc/postfix/clients', '192.0.2.0/24'),
    ('check_client_access hash:/etc/postfix/clients', 'mail.example.com'),
    ('check_client_access hash:/etc/postfix/clients', '192.0.2'),
    ('check_client_access hash:/etc/postfix/clients', '10'),
    ('check_client_access pcre:/etc/postfix/clients', '/^mail\\.example\\.com$/'),
    ('check_client_access pcre:/etc/postfix/clients', '/\\.example\\.com$/'),
    ('check_recipient_access hash:/etc/postfix/rcpt', 'testbed.example'),
    ('check_recipient_access hash:/etc/postfix/rcpt', 'carol@testbed.example'),
    ('check_ccert_access hash:/etc/postfix/ccert', '12:34:56'),
    ('check_sasl_access hash:/etc/postfix/sasl', 'boss'),
])
def test_table_entries_an_outsider_does_not_reach(element, key):
    table = element.split(' ', 1)[1]
    assert_closed(relay('%s, reject_unauth_destination' % element, tables={table: [(key, 'OK')]}))


@pytest.mark.parametrize('element, table, risk, asked', [
    ('check_helo_access hash:/etc/postfix/x', 'hash:/etc/postfix/x',
     'if it answers OK for a HELO name, anyone who sends that name can relay', False),
    ('check_client_access hash:/etc/postfix/x', 'hash:/etc/postfix/x',
     'if it answers OK for "unknown", a top-level domain or a network wider than /8 (IPv6: /16), clients there can '
     'relay', True),
    ('check_recipient_access hash:/etc/postfix/x', 'hash:/etc/postfix/x',
     "if it answers OK for a domain that is not one of this host's own, anyone can relay mail to it", True),
    ('hash:/etc/postfix/x', 'hash:/etc/postfix/x',
     "if it answers OK for a domain that is not one of this host's own, anyone can relay mail to it", True),
    ('check_sender_access pipemap:{hash:/etc/postfix/x, hash:/etc/postfix/y}',
     'pipemap:{hash:/etc/postfix/x, hash:/etc/postfix/y}',
     'if it answers OK for a sender address, anyone who forges that sender can relay', False),
])
def test_unknown_tables_are_undecided(element, table, risk, asked):
    result = relay('%s, reject_unauth_destination' % element)
    assert_undecided(result, 'smtpd_relay_restrictions', element, 'cannot see inside %s; %s' % (table, risk))
    assert list(result.lookups) == ([table] if asked else [])


def test_unknown_recipient_table_answered_by_postfix():
    table = 'hash:/etc/postfix/x'
    keys = relay('%s, reject_unauth_destination' % table).lookups[table]
    # The address, its domain and parent domains, and its localpart, as check_mail_access() looks them up.
    assert set(keys) >= {'victim@foreign.example', 'foreign.example', 'example', 'victim@'}
    nothing = dict.fromkeys(keys, None)
    assert_undecided(relay('%s, reject_unauth_destination' % table, answers={table: nothing}),
                     'smtpd_relay_restrictions', table, 'cannot see inside')
    found = dict(nothing, example='OK')
    assert_open(relay('%s, reject_unauth_destination' % table, answers={table: found}), 'smtpd_relay_restrictions',
                table, '%s answers "OK" for the outside recipient victim@foreign.example (Postfix looked it up)' % table)
    refused = dict(nothing, example='REJECT')
    assert_undecided(relay('%s, reject_unauth_destination' % table, answers={table: refused}),
                     'smtpd_relay_restrictions', table)


def test_postfix_could_not_look_it_up():
    table = 'hash:/etc/postfix/x'
    result = relay('check_client_access %s, reject_unauth_destination' % table,
                   answers={table: 'postmap: fatal: open database /etc/postfix/x.db: No such file or directory'})
    assert_undecided(result, 'smtpd_relay_restrictions', 'check_client_access %s' % table, 'cannot see inside')
    assert result.lookups == {}


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
        True, True, 'smtpd_relay_restrictions', None, END_OF_LISTS, [], {})
    assert_closed(relay('check_sender_access static:{%s}, reject_unauth_destination' % value))


def test_policy_service_before_the_destination_check_is_undecided():
    service = 'check_policy_service { inet:127.0.0.1:10023, timeout=10s }'
    assert_undecided(relay('%s, reject_unauth_destination' % service), 'smtpd_relay_restrictions', service,
                     'cannot tell what the policy service { inet:127.0.0.1:10023, timeout=10s } answers; if it answers '
                     'OK or permit for an outside client, that client can relay: put it after '
                     'reject_unauth_destination')


@pytest.mark.parametrize('relay_list, recipient_list', [
    ('reject_unauth_destination, check_policy_service inet:127.0.0.1:10023', ''),
    (DEFAULT_RELAY, 'permit_mynetworks, reject_unauth_destination, check_policy_service unix:private/policyd-spf'),
    ('check_policy_service inet:127.0.0.1:10023', 'reject_unauth_destination'),
])
def test_policy_service_no_outsider_reaches_is_closed(relay_list, recipient_list):
    assert_closed(verdict(smtpd_relay_restrictions=relay_list, smtpd_recipient_restrictions=recipient_list))


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
    assert result == Verdict(True, True, 'smtpd_relay_restrictions', None, END_OF_LISTS, [], {})


# ---------------------------------------------------------------------------
# relay_domains: the destination checks take its domains for ours

@pytest.mark.parametrize('relay_domains, tables, why', [
    ('static:yes', {}, 'static:yes matches every domain'),
    ('com', {}, 'com matches every domain in that top-level domain (parent_domain_matches_subdomains names the list)'),
    ('.com', {}, '.com matches every domain in that top-level domain'),
    ('example.org, .net', {}, '.net matches every domain in that top-level domain'),
    ('inline:{ com=x }', {}, 'inline:{ com=x }: com matches every domain'),
    ('unionmap:{ hash:/etc/postfix/relay, static:yes }', {'hash:/etc/postfix/relay': [('example.org', 'x')]},
     'unionmap:{ hash:/etc/postfix/relay, static:yes } matches every domain'),
    ('hash:/etc/postfix/relay', {'hash:/etc/postfix/relay': [('example.org', 'x'), ('org', 'x')]},
     'hash:/etc/postfix/relay: org matches every domain'),
    ('pcre:/etc/postfix/relay', {'pcre:/etc/postfix/relay': [('/./', 'x')]}, '/./ matches every domain'),
    ('pcre:/etc/postfix/relay', {'pcre:/etc/postfix/relay': [('/^/', 'x')]}, '/^/ matches every domain'),
    ('regexp:/etc/postfix/relay', {'regexp:/etc/postfix/relay': [('/.*/', 'x')]}, '/.*/ matches every domain'),
    ('pcre:/etc/postfix/relay', {'pcre:/etc/postfix/relay': [('/\\.com$/', 'x')]},
     '/\\.com$/ matches every domain in the top-level domain com'),
    ('pcre:/etc/postfix/relay', {'pcre:/etc/postfix/relay': [('/example\\.org$/', 'x')]},
     '/example\\.org$/ matches every domain that ends in "example.org", and anyone can register one'),
    ('pcre:/etc/postfix/relay', {'pcre:/etc/postfix/relay': [('!/^example\\.org$/', 'x')]},
     '!/^example\\.org$/ matches every domain it does not name'),
])
def test_relay_domains_that_match_an_outsiders_domain(relay_domains, tables, why):
    result = verdict(relay_domains=relay_domains, tables=tables)
    assert_open(result, 'relay_domains', split_list(relay_domains)[-1], 'relay_domains = %s: ' % relay_domains, why,
                'defer_unauth_destination (in smtpd_relay_restrictions) takes the domains relay_domains matches for '
                "this host's own, so mail to them goes through: list by name only the domains this host relays for")


@pytest.mark.parametrize('relay_domains, tables', [
    ('', {}),
    ('example.org, .example.net, [192.0.2.1]', {}),
    # The default below compatibility level 2: $mydestination, with localhost.
    ('mx.testbed.example, localhost.testbed.example, localhost', {}),
    ('!com, example.org', {}),
    ('hash:/etc/postfix/relay', {'hash:/etc/postfix/relay': [('example.org', 'x'), ('.example.net', 'x')]}),
    ('pcre:/etc/postfix/relay', {'pcre:/etc/postfix/relay': [('/^example\\.org$/', 'x'), ('/\\.example\\.net$/', 'x'),
                                                             ('!/./', 'x')]}),
])
def test_relay_domains_that_name_domains(relay_domains, tables):
    assert_closed(verdict(relay_domains=relay_domains, tables=tables))


def test_relay_domains_with_dot_keys_without_parent_style():
    # Without parent_domain_matches_subdomains, "com" is one name, and ".com" every name under it.
    assert_closed(verdict(relay_domains='com', parent_domain_matches_subdomains=''))
    assert_open(verdict(relay_domains='.com', parent_domain_matches_subdomains=''), 'relay_domains', '.com')


def test_relay_domains_open_but_rejected_anyway():
    assert_closed(relay('permit_mynetworks, reject_unauth_destination, reject', relay_domains='static:yes'))
    assert_closed(relay('reject', relay_domains='static:yes'))


@pytest.mark.parametrize('relay_list', [
    'permit_auth_destination, reject',
    'permit_mx_backup, reject',
])
def test_relay_domains_open_through_the_permits_of_our_domains(relay_list):
    result = relay(relay_list, relay_domains='static:yes', permit_mx_backup_networks='192.0.2.0/24')
    assert_open(result, 'relay_domains', 'static:yes', '%s (in smtpd_relay_restrictions) takes the domains'
                % relay_list.split(',')[0])


def test_check_relay_domains_3_7_with_open_relay_domains():
    assert_open(relay('check_relay_domains', V37, relay_domains='static:yes'), 'relay_domains', 'static:yes',
                'check_relay_domains')


@pytest.mark.parametrize('relay_domains, lookups', [
    ('mysql:/etc/postfix/relay.cf', ('com', 'example', 'foreign.example', 'mailops-probe.com', 'mailops-probe.net',
                                     'mailops-probe.org', 'mx.mailops-probe.net', 'net', 'org')),
    ('proxy:ldap:/etc/postfix/relay.cf', ('com', 'example', 'foreign.example', 'mailops-probe.com', 'mailops-probe.net',
                                          'mailops-probe.org', 'mx.mailops-probe.net', 'net', 'org')),
])
def test_relay_domains_the_guard_cannot_see_into(relay_domains, lookups):
    result = verdict(relay_domains=relay_domains)
    assert_undecided(result, 'relay_domains', relay_domains, 'cannot see inside %s' % relay_domains,
                     'list the domains in relay_domains, or use a table whose file the guard can read')
    table = relay_domains.replace('proxy:', '')
    assert result.lookups == {table: lookups}
    # Postfix finds none of the probes: still undecided, it may hold other foreign domains.
    assert_undecided(verdict(relay_domains=relay_domains, answers={table: dict.fromkeys(lookups)}), 'relay_domains',
                     relay_domains)
    # Postfix finds a top-level domain: open.
    found = dict(dict.fromkeys(lookups), com='x')
    assert_open(verdict(relay_domains=relay_domains, answers={table: found}), 'relay_domains', relay_domains,
                'matches the foreign domain mailops-probe.com (Postfix finds com in it)')


def test_relay_domains_pattern_the_guard_cannot_read():
    table = 'pcre:/etc/postfix/relay'
    tables = {table: [('/^example\\.org$/', 'x'), ('/[a-z]+\\.example$/', 'x')]}
    result = verdict(relay_domains=table, tables=tables)
    assert_undecided(result, 'relay_domains', table, 'cannot tell which domains the pattern /[a-z]+\\.example$/ in '
                     '%s matches; write patterns of literal text anchored with ^ and $' % table)
    # A pattern table is looked up with the whole domain only.
    assert result.lookups == {table: ('foreign.example', 'mailops-probe.com', 'mailops-probe.org',
                                      'mx.mailops-probe.net')}
    answers = dict.fromkeys(result.lookups[table])
    assert_undecided(verdict(relay_domains=table, tables=tables, answers={table: answers}), 'relay_domains', table)
    answers['foreign.example'] = 'x'
    assert_open(verdict(relay_domains=table, tables=tables, answers={table: answers}), 'relay_domains', table,
                'matches the foreign domain foreign.example (Postfix finds foreign.example in it)')
    assert_undecided(verdict(relay_domains=table, tables=tables, answers={table: 'postmap: fatal: no such file'}),
                     'relay_domains', table)


def test_relay_domains_undecided_but_rejected_anyway():
    assert_closed(relay('reject_unauth_destination, reject', relay_domains='mysql:/etc/postfix/relay.cf'))


# ---------------------------------------------------------------------------
# Patterns in client tables and mynetworks

CLIENTS = 'pcre:/etc/postfix/clients'


@pytest.mark.parametrize('pattern, why', [
    ('/./', '/./ matches every client'),
    ('/^/', '/^/ matches every client'),
    ('/.*/', '/.*/ matches every client'),
    ('//', '// matches every client'),
    ('/^.+$/', '/^.+$/ matches every client'),
    ('/^unknown$/', '"unknown" is the hostname of every client whose name does not verify'),
    ('/\\.com$/', '/\\.com$/ matches every client hostname in the top-level domain com'),
    ('/example\\.com$/', 'ends in "example.com", and anyone can have such a name'),
    ('/\\.2\\.5$/', 'ends in ".2.5"'),
    ('/^192\\.0\\.2\\./', '/^192\\.0\\.2\\./ also matches client hostnames (those that start with "192.0.2."), and '
     'anyone who controls the reverse DNS of an address can give it such a name; write a cidr table for networks'),
    ('/mail/', 'those that contain "mail"'),
    ('!/^192\\.0\\.2\\.1$/', '!/^192\\.0\\.2\\.1$/ matches every client that the pattern does not'),
    ('/^2001:/', ''),  # 2001::/16: not wider than /16
    ('/^2:/', ''),
])
def test_client_patterns(pattern, why):
    for settings in ({'smtpd_relay_restrictions': 'check_client_access %s, reject_unauth_destination' % CLIENTS},
                     {'mynetworks': CLIENTS}):
        result = verdict(tables={CLIENTS: [(pattern, 'OK')]}, **settings)
        if why:
            assert result.open and result.decided, result
            assert why in result.reason
        else:
            assert_closed(result)


@pytest.mark.parametrize('pattern', ['/^mail\\.example\\.com$/', '/\\.example\\.com$/', '/^192\\.0\\.2\\.10$/',
                                     '!/./', '/^2001:db8:/', '/\\.EXAMPLE\\.com$/i'])
def test_client_patterns_an_outsider_does_not_reach(pattern):
    assert_closed(relay('check_client_access %s, reject_unauth_destination' % CLIENTS, tables={CLIENTS: [
        (pattern, 'OK')]}))
    assert_closed(verdict(mynetworks='127.0.0.0/8 %s' % CLIENTS, tables={CLIENTS: [(pattern, 'x')]}))


@pytest.mark.parametrize('pattern', ['/^192\\.0\\.2\\.[0-9]+$/', '/^(mail|mx)\\.example\\.com$/', '/\\d/',
                                     '/^mail\\.example\\.com$/x', '/^.$/', '/mail.*example/'])
def test_client_patterns_the_guard_cannot_read(pattern):
    element = 'check_client_access %s' % CLIENTS
    result = relay('%s, reject_unauth_destination' % element, tables={CLIENTS: [(pattern, 'OK')]})
    assert_undecided(result, 'smtpd_relay_restrictions', element, '%s answers "OK" for %s: cannot tell which clients '
                     'the pattern %s matches; write patterns of literal text' % (CLIENTS, pattern, pattern))
    # A pattern table is looked up with the hostname and the address only.
    assert result.lookups == {CLIENTS: ('198.51.100.23', '2001:db8:5:6::7', '203.0.113.7', 'host7.mailops-probe.net',
                                        'mta7.mailops-probe.com', 'unknown')}
    answers = dict.fromkeys(result.lookups[CLIENTS])
    assert_undecided(relay('%s, reject_unauth_destination' % element, tables={CLIENTS: [(pattern, 'OK')]},
                           answers={CLIENTS: answers}), 'smtpd_relay_restrictions', element)
    answers['203.0.113.7'] = 'OK'
    assert_open(relay('%s, reject_unauth_destination' % element, tables={CLIENTS: [(pattern, 'OK')]},
                      answers={CLIENTS: answers}), 'smtpd_relay_restrictions', element,
                '%s answers "OK" for the outside client unknown[203.0.113.7] (Postfix looked it up)' % CLIENTS)
    # Postfix answers REJECT for the probe: it proves nothing about the rule that permits.
    answers['203.0.113.7'] = 'REJECT'
    assert_undecided(relay('%s, reject_unauth_destination' % element, tables={CLIENTS: [(pattern, 'OK')]},
                           answers={CLIENTS: answers}), 'smtpd_relay_restrictions', element)


def test_client_pattern_that_rejects_is_not_asked_about():
    assert_closed(relay('check_client_access %s, reject_unauth_destination' % CLIENTS,
                        tables={CLIENTS: [('/^(mail|mx)\\./', 'REJECT'), ('/\\.example\\.com$/', 'OK')]}))


def test_mynetworks_pattern_the_guard_cannot_read():
    result = verdict(mynetworks='127.0.0.0/8 %s' % CLIENTS, tables={CLIENTS: [('/^192\\.0\\.2\\.[0-9]+$/', 'x')]})
    assert_undecided(result, 'smtpd_relay_restrictions', 'permit_mynetworks', '%s (in mynetworks): cannot tell which '
                     'clients the pattern /^192\\.0\\.2\\.[0-9]+$/ matches' % CLIENTS)
    assert list(result.lookups) == [CLIENTS]


# ---------------------------------------------------------------------------
# Recipient access: OK only for this host's own domains

RCPT = 'hash:/etc/postfix/rcpt'
RCPT_RULES = 'pcre:/etc/postfix/rcpt'


@pytest.mark.parametrize('key, settings', [
    ('testbed.example', {}),
    ('carol@testbed.example', {}),
    ('sub.testbed.example', {}),  # a subdomain of ours: the same owner's DNS
    ('.testbed.example', {}),
    ('localhost', {}),
    ('relayed.example', {'relay_domains': 'relayed.example'}),
    ('a@relayed.example', {'relay_domains': '.relayed.example'}),
    ('virtual.example', {'virtual_alias_domains': 'virtual.example'}),
    ('mailbox.example', {'virtual_mailbox_domains': 'hash:/etc/postfix/vdomains'}),
    ('mailbox.example', {'virtual_mailbox_domains': 'pcre:/etc/postfix/vdomains_rules'}),
    ('mailbox.example', {'virtual_alias_domains': 'hash:/etc/postfix/virtual'}),
])
def test_recipient_access_for_our_domains(key, settings):
    tables = {RCPT: [(key, 'OK')], 'hash:/etc/postfix/vdomains': [('mailbox.example', 'x')],
              'pcre:/etc/postfix/vdomains_rules': [('/^mailbox\\.example$/', 'x')],
              'hash:/etc/postfix/virtual': [('mailbox.example', 'x'), ('info@mailbox.example', 'alice')]}
    assert_closed(relay('check_recipient_access %s, reject_unauth_destination' % RCPT, tables=tables, **settings))


@pytest.mark.parametrize('key, why', [
    ('foreign.example', "foreign.example is not one of this host's own domains (mydestination, relay_domains, "
     'virtual_alias_domains, virtual_mailbox_domains), so anyone can relay mail to it; list it there, or remove the '
     'key'),
    ('victim@foreign.example', "foreign.example is not one of this host's own domains"),
    ('.foreign.example', "foreign.example is not one of this host's own domains"),
    ('example', 'example matches every domain under that top-level domain'),
    ('postmaster@', 'postmaster@ matches that localpart in every domain'),
])
def test_recipient_access_for_a_foreign_domain(key, why):
    element = 'check_recipient_access %s' % RCPT
    assert_open(relay('%s, reject_unauth_destination' % element, tables={RCPT: [(key, 'OK')]}),
                'smtpd_relay_restrictions', element, '%s answers "OK" for %s; %s' % (RCPT, key, why))


def test_recipient_access_reject_for_a_foreign_domain_is_closed():
    assert_closed(relay('check_recipient_access %s, reject_unauth_destination' % RCPT,
                        tables={RCPT: [('foreign.example', 'REJECT'), ('spam.example', 'DUNNO')]}))


def test_recipient_access_own_domain_in_a_table_postfix_answers_for():
    element = 'check_recipient_access %s' % RCPT
    settings = {'virtual_mailbox_domains': 'mysql:/etc/postfix/vdomains.cf'}
    result = relay('%s, reject_unauth_destination' % element, tables={RCPT: [('x.example', 'OK')]}, **settings)
    assert_undecided(result, 'smtpd_relay_restrictions', element, 'cannot tell whether mysql:/etc/postfix/vdomains.cf '
                     '(in virtual_mailbox_domains) names x.example')
    assert result.lookups == {'mysql:/etc/postfix/vdomains.cf': ('.example', '.x.example', 'example', 'x.example')}
    answers = dict.fromkeys(result.lookups['mysql:/etc/postfix/vdomains.cf'])
    assert_open(relay('%s, reject_unauth_destination' % element, tables={RCPT: [('x.example', 'OK')]},
                      answers={'mysql:/etc/postfix/vdomains.cf': answers}, **settings), 'smtpd_relay_restrictions',
                element, "x.example is not one of this host's own domains")
    answers['x.example'] = 'x'
    assert_closed(relay('%s, reject_unauth_destination' % element, tables={RCPT: [('x.example', 'OK')]},
                        answers={'mysql:/etc/postfix/vdomains.cf': answers}, **settings))


@pytest.mark.parametrize('pattern, why', [
    ('/@foreign\\.example$/', "foreign.example is not one of this host's own domains"),
    ('/^victim@foreign\\.example$/', "foreign.example is not one of this host's own domains"),
    ('/\\.example$/', '/\\.example$/ matches every domain in the top-level domain example'),
    ('/^postmaster@/', 'matches recipients in domains an outsider can choose (those that start with "postmaster@")'),
    ('/testbed\\.example$/', 'those that end in "testbed.example"'),
    ('/./', '/./ matches every domain'),
])
def test_recipient_patterns_for_foreign_domains(pattern, why):
    element = 'check_recipient_access %s' % RCPT_RULES
    assert_open(relay('%s, reject_unauth_destination' % element, tables={RCPT_RULES: [(pattern, 'OK')]}),
                'smtpd_relay_restrictions', element, why)


@pytest.mark.parametrize('pattern', ['/@testbed\\.example$/', '/^carol@testbed\\.example$/', '/\\.testbed\\.example$/',
                                     '/^carol$/'])
def test_recipient_patterns_for_our_domains(pattern):
    assert_closed(relay('check_recipient_access %s, reject_unauth_destination' % RCPT_RULES,
                        tables={RCPT_RULES: [(pattern, 'OK')]}))


def test_recipient_pattern_the_guard_cannot_read():
    element = 'check_recipient_access %s' % RCPT_RULES
    result = relay('%s, reject_unauth_destination' % element, tables={RCPT_RULES: [('/^[a-z]+@testbed\\.example$/',
                                                                                    'OK')]})
    assert_undecided(result, 'smtpd_relay_restrictions', element, 'cannot tell which recipients the pattern '
                     '/^[a-z]+@testbed\\.example$/ matches')
    assert result.lookups == {RCPT_RULES: ('info@mx.mailops-probe.net', 'postmaster@mailops-probe.com',
                                           'victim@foreign.example')}


# ---------------------------------------------------------------------------
# Many networks count together

EVERY_PUBLIC_8 = ' '.join('%d.0.0.0/8' % first for first in range(1, 224))


@pytest.mark.parametrize('mynetworks, why', [
    (EVERY_PUBLIC_8, 'mynetworks lists 223 networks (1.0.0.0/8, 2.0.0.0/8, 3.0.0.0/8, ...) that together cover '
     '3,702,258,688 public IPv4 addresses, more than one /8 (16,777,216); list this site\'s networks only'),
    ('1.0.0.0/8 2.0.0.0/9', 'mynetworks lists 2 networks (1.0.0.0/8, 2.0.0.0/9) that together cover 25,165,824 public '
     'IPv4 addresses'),
    ('[2001:db8::]/32 [2a00::]/16 [2a01::]/16', 'mynetworks lists 3 networks ([2001:db8::]/32, [2a00::]/16, '.replace(
        '[2001:db8::]/32, [2a00::]/16, ', '2001:db8::/32, 2a00::/16, ') + '2a01::/16) that together cover'),
    ('1.0.0.0/8 [::ffff:2.0.0.0]/106', 'mynetworks lists 2 networks (1.0.0.0/8, 2.0.0.0/10) that together cover '
     '20,971,520 public IPv4 addresses'),
])
def test_mynetworks_many_networks(mynetworks, why):
    assert_open(verdict(mynetworks=mynetworks), 'smtpd_relay_restrictions', 'permit_mynetworks',
                'permit_mynetworks accepts every client that mynetworks matches, and ' + why)


@pytest.mark.parametrize('mynetworks', [
    '127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 169.254.0.0/16 [::1]/128 '
    '[fd12:3456:789a::]/48 [fe80::]/64',
    '1.0.0.0/9 1.128.0.0/9',  # exactly one /8
    '1.0.0.0/8 1.0.0.0/9 1.2.3.4',  # overlaps count once
    '[2a00::]/17 [2a00:8000::]/17 [2001:db8::]/32',
    '10.0.0.0/8 ' + ' '.join('10.%d.0.0/16' % second for second in range(256)),
])
def test_mynetworks_many_networks_within_the_limit(mynetworks):
    assert_closed(verdict(mynetworks=mynetworks))


def test_mynetworks_many_networks_in_a_cidr_table():
    table = {CIDR: [('%d.0.0.0/8' % first, 'x') for first in range(1, 10)]}
    assert_open(verdict(mynetworks='127.0.0.0/8 %s' % CIDR, tables=table), 'smtpd_relay_restrictions',
                'permit_mynetworks', 'mynetworks lists 10 networks (1.0.0.0/8, 2.0.0.0/8, 3.0.0.0/8, ...)')


@pytest.mark.parametrize('table, entries', [
    ('cidr:/etc/postfix/clients', [('%d.0.0.0/8' % first, 'OK') for first in range(1, 4)]),
    ('hash:/etc/postfix/clients', [('%d' % first, 'OK') for first in range(1, 4)]),  # address prefixes
])
def test_client_access_many_networks(table, entries):
    element = 'check_client_access %s' % table
    assert_open(relay('%s, reject_unauth_destination' % element, tables={table: entries}), 'smtpd_relay_restrictions',
                element, '%s answers OK for 3 networks (1.0.0.0/8, 2.0.0.0/8, 3.0.0.0/8) that together cover '
                '50,331,648 public IPv4 addresses' % table)


def test_client_access_many_networks_rejected_are_closed():
    entries = [('%d.0.0.0/8' % first, 'REJECT') for first in range(1, 224)] + [('192.0.2.0/24', 'OK')]
    assert_closed(relay('check_client_access cidr:/etc/postfix/clients, reject_unauth_destination',
                        tables={'cidr:/etc/postfix/clients': entries}))


# ---------------------------------------------------------------------------
# Configurations that were accepted before stay accepted

def test_base_role_test_data_is_closed():
    """molecule/base's restrictions, classes and access tables, as the role writes them."""
    tables = {
        'hash:/etc/postfix/rejected_senders': [('spammer@example.com', 'REJECT compromised account (mailops-test)')],
        'hash:/etc/postfix/restricted_recipients': [('all@testbed.example', 'restricted_recipient')],
        'hash:/etc/postfix/privileged_senders': [('boss@testbed.example', 'OK')],
        'cidr:/etc/postfix/client_cidr': [('192.0.2.10/32', 'OK'), ('192.0.2.0/24', 'DUNNO'),
                                          ('0.0.0.0/0', 'reject_non_fqdn_sender, reject_non_fqdn_recipient')],
        'hash:/etc/postfix/virtual': [('info@virtual.example', 'alice'), ('sales@virtual.example', 'alice, bob')],
    }
    result = verdict(
        tables=tables, mynetworks='127.0.0.0/8, [::1]/128', virtual_alias_domains='virtual.example',
        smtpd_restriction_classes='restricted_recipient',
        restricted_recipient='check_sender_access hash:/etc/postfix/privileged_senders, reject',
        smtpd_sender_restrictions='check_recipient_access hash:/etc/postfix/restricted_recipients',
        smtpd_recipient_restrictions='check_sender_access hash:/etc/postfix/rejected_senders, permit_mynetworks, '
                                     'reject_unauth_destination, check_client_access cidr:/etc/postfix/client_cidr')
    assert_closed(result)


def test_postconf_scenario_data_is_closed():
    """molecule/postconf's converged settings, with Postfix's default relay restrictions and without them."""
    settings = {
        'mynetworks': '127.0.0.0/8, [::1]/128', 'smtpd_restriction_classes': 'restricted_recipient',
        'restricted_recipient': 'check_sender_access inline:{ boss@testbed.example=OK }, reject',
        'smtpd_recipient_restrictions': 'permit_mynetworks, check_recipient_access inline:{ '
                                        'carol@testbed.example=restricted_recipient }, reject_unauth_destination'}
    assert_closed(verdict(**settings))
    assert_closed(verdict(smtpd_relay_restrictions='', **settings))


@pytest.mark.parametrize('version', VERSIONS)
def test_postfix_defaults_with_own_domain_settings_are_closed(version):
    values = dict(DEFAULTS, **parse_parameters(fixture_text(version, 'postconf-n.txt')))
    # What compatibility level 0 or 1 gives, as postconf -x expands it.
    values['mydestination'] = values['relay_domains'] = values['mydestination'].replace('$myhostname',
                                                                                        values['myhostname'])
    assert_closed(relay_verdict(values, (3, int(version.split('.')[1]))))
