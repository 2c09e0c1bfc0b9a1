# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/restrictions/names.py, partly against real postconf -d output (fixtures)."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import parse_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.names import (
    ACCESS_RESULTS,
    DNS,
    EITHER,
    EXACT_VERSIONS,
    LIST_PARAMETERS,
    LOOKUP,
    PERMIT,
    REJECT,
    RESTRICTIONS,
    TABLE,
    access_results,
    deprecated_in,
    info,
    known,
    release,
    removed_by,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text

# What smtpd 3.7.11 accepted, name by name, in a live SMTP probe (and what
# generic_checks() matches in every 3.7.x).
NAMES_3_7 = frozenset('''
check_ccert_access check_client_a_access check_client_access check_client_mx_access check_client_ns_access
check_etrn_access check_helo_a_access check_helo_access check_helo_mx_access check_helo_ns_access
check_policy_service check_recipient_a_access check_recipient_access check_recipient_maps check_recipient_mx_access
check_recipient_ns_access check_relay_domains check_reverse_client_hostname_a_access
check_reverse_client_hostname_access check_reverse_client_hostname_mx_access check_reverse_client_hostname_ns_access
check_sasl_access check_sender_a_access check_sender_access check_sender_mx_access check_sender_ns_access defer
defer_if_permit defer_if_reject defer_unauth_destination permit permit_auth_destination permit_dnswl_client
permit_inet_interfaces permit_mx_backup permit_mynetworks permit_naked_ip_address permit_rhswl_client
permit_sasl_authenticated permit_tls_all_clientcerts permit_tls_clientcerts reject
reject_authenticated_sender_login_mismatch reject_invalid_helo_hostname reject_invalid_hostname
reject_known_sender_login_mismatch reject_maps_rbl reject_multi_recipient_bounce reject_non_fqdn_helo_hostname
reject_non_fqdn_hostname reject_non_fqdn_recipient reject_non_fqdn_sender reject_plaintext_session reject_rbl
reject_rbl_client reject_rhsbl_client reject_rhsbl_helo reject_rhsbl_recipient reject_rhsbl_reverse_client
reject_rhsbl_sender reject_sender_login_mismatch reject_unauth_destination reject_unauth_pipelining
reject_unauthenticated_sender_login_mismatch reject_unknown_address reject_unknown_client
reject_unknown_client_hostname reject_unknown_helo_hostname reject_unknown_hostname reject_unknown_recipient_domain
reject_unknown_reverse_client_hostname reject_unknown_sender_domain reject_unlisted_recipient reject_unlisted_sender
reject_unverified_recipient reject_unverified_sender sleep warn_if_reject
'''.split())
# 3.9 removed three names: smtpd 3.10.13 answered 451 4.3.5 for them.
REMOVED_IN_3_9 = frozenset(['check_relay_domains', 'permit_naked_ip_address', 'reject_maps_rbl'])
EXACT = {(3, 7): NAMES_3_7, (3, 10): NAMES_3_7 - REMOVED_IN_3_9}

ACCESS_RESULTS_3_X = frozenset(['OK', 'RELAY', 'DUNNO', 'REJECT', 'DEFER', 'DEFER_IF_REJECT', 'DEFER_IF_PERMIT', 'HOLD',
                                'DISCARD', 'FILTER', 'REDIRECT', 'PREPEND', 'WARN', 'INFO', 'BCC', 'HANGUP'])

ALIASES = {
    'reject_unknown_client': 'reject_unknown_client_hostname',
    'reject_rbl': 'reject_rbl_client',
    'reject_invalid_hostname': 'reject_invalid_helo_hostname',
    'reject_unknown_hostname': 'reject_unknown_helo_hostname',
    'reject_non_fqdn_hostname': 'reject_non_fqdn_helo_hostname',
    'reject_unknown_address': 'reject_unknown_sender_domain',
    'check_recipient_maps': 'reject_unlisted_recipient',
}


def test_exact_versions_are_pinned():
    assert set(EXACT) == set(EXACT_VERSIONS)
    assert len(NAMES_3_7) == 78


@pytest.mark.parametrize('version', EXACT_VERSIONS)
def test_known_names_of_exact_versions(version):
    assert known(version) == EXACT[version]


@pytest.mark.parametrize('version', [(3, 7, 11), (3, 7, 0), (3, 7, 22)])
def test_patch_level_is_ignored(version):
    assert known(version) == NAMES_3_7


@pytest.mark.parametrize('name, absent, present', [
    ('defer_unauth_destination', (2, 9), (2, 10)),
    ('check_sasl_access', (2, 10), (2, 11)),
    ('reject_known_sender_login_mismatch', (2, 10), (2, 11)),
    ('check_client_a_access', (2, 11), (3, 0)),
    ('permit_dnswl_client', (2, 7), (2, 8)),
    ('check_reverse_client_hostname_access', (2, 5), (2, 6)),
    ('sleep', (2, 2), (2, 3)),
    ('reject_unknown_client_hostname', (2, 2), (2, 3)),
])
def test_names_arrive_with_their_release(name, absent, present):
    assert name not in known(absent)
    assert name in known(present)
    assert name in known((3, 12))


@pytest.mark.parametrize('name', sorted(REMOVED_IN_3_9))
def test_names_removed_in_3_9(name):
    record = info(name)
    assert name in known((3, 8))
    assert name not in known((3, 9))
    assert not removed_by(record, (3, 8)) and removed_by(record, (3, 9))
    assert deprecated_in(record, (3, 7)) and not deprecated_in(record, (3, 10))
    assert record.instead


def test_permit_mx_backup_is_deprecated_from_3_9_only():
    record = info('permit_mx_backup')
    assert not deprecated_in(record, (3, 8))
    assert deprecated_in(record, (3, 10))
    assert not removed_by(record, (3, 12))
    assert record.instead == 'relay_domains'


@pytest.mark.parametrize('version', [(3, 7), (3, 10)])
def test_nothing_else_is_deprecated(version):
    deprecated = {name for name in known(version) if deprecated_in(info(name), version)}
    expected = {(3, 7): REMOVED_IN_3_9, (3, 10): {'permit_mx_backup'}}[version]
    assert deprecated == expected


@pytest.mark.parametrize('written', ['permit_mynetworks', 'PERMIT_MYNETWORKS', 'Permit_MyNetworks'])
def test_info_ignores_case(written):
    assert info(written) is RESTRICTIONS['permit_mynetworks']
    assert info(written).ends == PERMIT


@pytest.mark.parametrize('name', ['OK', 'DUNNO', 'check_address_map', 'reject_unknown_forward_client_hostname',
                                  'permit_bogus_name', ''])
def test_info_of_names_smtpd_does_not_know(name):
    assert info(name) is None


@pytest.mark.parametrize('old, current', sorted(ALIASES.items()))
def test_old_names_behave_like_the_current_ones(old, current):
    alias, target = info(old), info(current)
    assert alias.alias_of == current
    assert (alias.ends, alias.when, alias.argument, alias.looks_up) == (
        target.ends, target.when, target.argument, target.looks_up)
    assert old in known((3, 10)) and current in known((3, 10))


def test_every_alias_is_listed():
    assert {name: record.alias_of for name, record in RESTRICTIONS.items() if record.alias_of} == ALIASES


@pytest.mark.parametrize('name', sorted(RESTRICTIONS))
def test_records_are_consistent(name):
    record = RESTRICTIONS[name]
    assert record.name == name == name.lower()
    assert (record.looks_up is not None) == (record.argument == TABLE)
    assert record.ends in (PERMIT, REJECT, EITHER, 'none')
    assert (record.removed is None) or (record.instead and record.deprecated < record.removed)
    assert record.since <= (3, 0)


DNS_TABLES = sorted(name for name in NAMES_3_7 if name.endswith(('_ns_access', '_mx_access', '_a_access')))


def test_dns_tables_of_every_kind():
    # client, reverse client hostname, HELO, sender and recipient, each with ns, mx and a.
    assert len(DNS_TABLES) == 15


@pytest.mark.parametrize('name', DNS_TABLES)
def test_dns_tables_can_only_reject(name):
    # smtpd turns their OK into 451 4.3.5 (forbid_allowlist()).
    record = info(name)
    assert (record.ends, record.when, record.looks_up) == (REJECT, LOOKUP, DNS)


def test_reject_and_defer_words_are_both_results_and_restrictions():
    # Postfix matches restriction names ignoring case, so these four work in a list too.
    both = {word for word in ACCESS_RESULTS if info(word) is not None}
    assert both == {'REJECT', 'DEFER', 'DEFER_IF_PERMIT', 'DEFER_IF_REJECT'}


@pytest.mark.parametrize('version', EXACT_VERSIONS)
def test_access_results_of_exact_versions(version):
    assert access_results(version) == ACCESS_RESULTS_3_X


@pytest.mark.parametrize('version, missing', [
    ((2, 11), {'INFO', 'BCC', 'HANGUP'}),
    ((2, 5), {'INFO', 'BCC', 'HANGUP', 'DEFER'}),
    ((2, 0), {'INFO', 'BCC', 'HANGUP', 'DEFER', 'DEFER_IF_REJECT', 'DEFER_IF_PERMIT', 'REDIRECT', 'PREPEND', 'WARN'}),
])
def test_access_results_of_older_versions(version, missing):
    assert access_results(version) == ACCESS_RESULTS_3_X - missing


@pytest.mark.parametrize('word, needs', [('FILTER', 'transport:destination'), ('REDIRECT', 'user@domain'),
                                         ('BCC', 'user@domain'), ('PREPEND', 'header: text'), ('OK', None)])
def test_access_result_arguments(word, needs):
    assert ACCESS_RESULTS[word].needs == needs


@pytest.mark.parametrize('version', VERSIONS)
def test_list_parameters_are_the_real_ones(version):
    defaults = parse_parameters(fixture_text(version, 'postconf-d.txt.gz'))
    real = {name for name in defaults if name.startswith('smtpd_') and name.endswith('_restrictions')}
    # smtpd_relay_before_recipient_restrictions is a yes/no switch, not a list.
    assert real - {'smtpd_relay_before_recipient_restrictions'} == set(LIST_PARAMETERS)


@pytest.mark.parametrize('parameter, implicit', sorted(LIST_PARAMETERS.items()))
def test_bare_tables_stand_for_a_check_of_the_list(parameter, implicit):
    if parameter.startswith('smtpd_data') or parameter.startswith('smtpd_end_of_data'):
        assert implicit is None
    else:
        assert info(implicit).argument == TABLE


@pytest.mark.parametrize('version, expected', [((3, 7), (3, 7)), ((3, 10, 13), (3, 10)), ([3, 9, 1], (3, 9))])
def test_release(version, expected):
    assert release(version) == expected
