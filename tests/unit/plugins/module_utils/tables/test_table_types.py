# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/tables/types.py, partly against real postconf -m output (fixtures/tables)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import CIDR, KEY_VALUE, REGEXP, syntax_of
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import (
    COMPILED_SUFFIXES,
    KEY_VALUE_TYPES,
    MANAGED_TYPES,
    PACKAGES,
    READ_AT_START,
    RULE_TYPES,
    SQL_TYPES,
    WRITTEN_TYPES,
    TableTypeError,
    change_needs_reload,
    check_supported,
    compiled_paths,
    naming_parameters,
    table_reference,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import FIXTURES, VERSIONS


def postconf_m(version):
    with open(os.path.join(FIXTURES, 'tables', 'postfix-%s' % version, 'postconf-m.txt'), encoding='utf-8') as handle:
        return handle.read().split()


# ---------------------------------------------------------------------------
# check_supported

@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('table_type', sorted(MANAGED_TYPES - {'dbm', 'sdbm'}))
def test_test_bed_supports_managed_types(version, table_type):
    # The test bed installs postfix-pcre, -lmdb and -cdb; Debian builds no dbm/sdbm.
    check_supported(table_type, postconf_m(version))


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('table_type', ['dbm', 'sdbm'])
def test_test_bed_lacks_dbm(version, table_type):
    with pytest.raises(TableTypeError, match='this Postfix build does not include it$'):
        check_supported(table_type, postconf_m(version))


@pytest.mark.parametrize('table_type, package', sorted(PACKAGES.items()))
def test_unsupported_type_names_the_package(table_type, package):
    supported = ['hash', 'btree', 'regexp', 'cidr', 'texthash']
    with pytest.raises(TableTypeError) as caught:
        check_supported(table_type, supported)
    message = str(caught.value)
    assert message == ('lookup table type "%s" is not supported by this Postfix (postconf -m does not list it): '
                       'install the %s package' % (table_type, package))
    assert package == 'postfix-' + table_type


@pytest.mark.parametrize('table_type', ['btree', 'hash', 'nosuchtype'])
def test_unsupported_type_without_package(table_type):
    with pytest.raises(TableTypeError, match=r'^lookup table type "%s" is not supported by this Postfix \(postconf -m '
                                             r'does not list it\): this Postfix build does not include it$' % table_type):
        check_supported(table_type, ['regexp', 'cidr'])


def test_check_supported_matches_whole_names():
    with pytest.raises(TableTypeError, match='postfix-pcre'):
        check_supported('pcre', 'pcre2 hash\n'.split())
    check_supported('pcre', ['hash', 'pcre'])


def test_supported_types_may_be_any_collection():
    check_supported('lmdb', {'lmdb'})
    check_supported('lmdb', ('hash', 'lmdb'))
    with pytest.raises(TableTypeError):
        check_supported('lmdb', [])


# ---------------------------------------------------------------------------
# compiled_paths and the type sets

@pytest.mark.parametrize('table_type, paths', [
    ('hash', ['/etc/postfix/virtual.db']),
    ('btree', ['/etc/postfix/virtual.db']),
    ('lmdb', ['/etc/postfix/virtual.lmdb']),
    ('cdb', ['/etc/postfix/virtual.cdb']),
    ('dbm', ['/etc/postfix/virtual.dir', '/etc/postfix/virtual.pag']),
    ('sdbm', ['/etc/postfix/virtual.dir', '/etc/postfix/virtual.pag']),
    ('texthash', []),
    ('pcre', []),
    ('regexp', []),
    ('cidr', []),
])
def test_compiled_paths(table_type, paths):
    assert compiled_paths(table_type, '/etc/postfix/virtual') == paths


def test_type_sets_are_consistent():
    assert KEY_VALUE_TYPES | RULE_TYPES == MANAGED_TYPES
    assert not KEY_VALUE_TYPES & RULE_TYPES
    assert set(COMPILED_SUFFIXES) <= KEY_VALUE_TYPES
    # A type is either compiled or read at start, never both; SQL tables' settings are read at start.
    assert not set(COMPILED_SUFFIXES) & READ_AT_START
    assert set(COMPILED_SUFFIXES) | READ_AT_START == MANAGED_TYPES | SQL_TYPES
    assert WRITTEN_TYPES == MANAGED_TYPES | SQL_TYPES and not MANAGED_TYPES & SQL_TYPES


@pytest.mark.parametrize('table_type', sorted(MANAGED_TYPES))
def test_type_sets_agree_with_source_syntax(table_type):
    expected = KEY_VALUE if table_type in KEY_VALUE_TYPES else (CIDR if table_type == 'cidr' else REGEXP)
    assert syntax_of(table_type) == expected
    assert (table_type in RULE_TYPES) == (syntax_of(table_type) != KEY_VALUE)


# ---------------------------------------------------------------------------
# The one table rule: which changed tables a running Postfix picks up only after a reload

@pytest.mark.parametrize('table_type, named_by, expected', [
    pytest.param('cidr', (), True, id='read-at-start'),
    pytest.param('texthash', ['smtpd_client_restrictions'], True, id='read-at-start-anywhere'),
    pytest.param('hash', (), False, id='indexed-alone'),
    pytest.param('hash', ['smtpd_sender_restrictions', 'virtual_alias_maps'], False, id='indexed-reopened'),
    pytest.param('hash', ['transport_maps'], True, id='transport-table'),
    pytest.param('lmdb', ['sender_dependent_relayhost_maps'], True, id='relayhost-table'),
    pytest.param('hash', ['smtp_tls_policy_maps'], True, id='tls-policy-table'),
    pytest.param('cdb', ['smtp_sasl_password_maps'], True, id='credentials'),
])
def test_change_needs_reload(table_type, named_by, expected):
    assert change_needs_reload(table_type, named_by) is expected


@pytest.mark.parametrize('values, expected', [
    pytest.param({'transport_maps': 'hash:/etc/postfix/transport'}, ['transport_maps'], id='alone'),
    pytest.param({'transport_maps': 'hash:/etc/postfix/mailops-suspended, hash:/etc/postfix/transport',
                  'relayhost': '[mx]'}, ['transport_maps'], id='second-in-a-list'),
    pytest.param({'transport_maps': 'proxy:hash:/etc/postfix/transport'}, ['transport_maps'], id='proxy'),
    pytest.param({'transport_maps': 'unionmap:{hash:/etc/postfix/transport,cidr:/etc/postfix/x}'},
                 ['transport_maps'], id='unionmap'),
    pytest.param({'transport_maps': 'hash:/etc/postfix/transport.other',
                  'virtual_alias_maps': 'lmdb:/etc/postfix/transport'}, [], id='other-path-or-type'),
    pytest.param({'transport_maps': '', 'smtp_tls_policy_maps': 'hash:/etc/postfix/transport',
                  'sender_dependent_relayhost_maps': 'hash:/etc/postfix/transport'},
                 ['sender_dependent_relayhost_maps', 'smtp_tls_policy_maps'], id='several'),
])
def test_naming_parameters(values, expected):
    assert naming_parameters('hash:/etc/postfix/transport', values) == expected


@pytest.mark.parametrize('value, of_any_type', [
    ('hash:/etc/postfix/access', True),
    ('proxy:lmdb:/etc/postfix/access', True),
    ('unionmap:{cidr:/etc/postfix/clients, pcre:/etc/postfix/access}', True),
    ('check_sender_access hash:/etc/postfix/access, reject', True),
    ('hash:/etc/postfix/access_other', False),
    ('hash:/etc/postfix/access.d/x', False),
    ('/etc/postfix/access', False),
])
def test_table_reference_finds_the_file_under_any_type_or_one(value, of_any_type):
    # postfix_map's state=absent asks for any type; the reload rule for one type.
    assert bool(table_reference('/etc/postfix/access').search(value)) is of_any_type
    assert bool(table_reference('/etc/postfix/access', 'hash').search(value)) is (
        of_any_type and 'hash:/etc/postfix/access' in value)
