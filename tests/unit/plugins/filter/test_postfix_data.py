# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/postfix_data.py: the roles' tables and restriction lists."""

from __future__ import annotations

import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.postfix_data import (
    access_tables,
    domain_pattern,
    merge_configuration,
    pending_add,
    pending_without,
    restriction_list,
    restriction_settings,
    table_packages,
)
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import PACKAGES

DEFINITIONS = {
    'rejected_senders': {'entries': {'spammer@example.net': 'REJECT'}},
    'client_cidr': {'type': 'cidr', 'rules': [{'pattern': '192.0.2.0/24', 'action': 'OK'}]},
    'privileged': {'type': 'lmdb', 'path': '/srv/postfix/privileged'},
}


def test_access_tables_get_their_defaults():
    tables = access_tables(DEFINITIONS)
    assert [(table['name'], table['type'], table['path'], table['access']) for table in tables] == [
        ('client_cidr', 'cidr', '/etc/postfix/client_cidr', True),
        ('privileged', 'lmdb', '/srv/postfix/privileged', True),
        ('rejected_senders', 'hash', '/etc/postfix/rejected_senders', True)]
    assert tables[2]['entries'] == {'spammer@example.net': 'REJECT'}
    assert access_tables({'x': None}, '/etc/postfix-out/')[0]['path'] == '/etc/postfix-out/x'


@pytest.mark.parametrize('definitions, message', [
    (['x'], 'expects a mapping'),
    ({'a/b': {}}, 'give a plain name'),
    ({'': {}}, 'give a plain name'),
    ({'x': {'entries': {}, 'mode': '0600'}}, 'table x: mode unknown; a table definition holds entries, path, rules, type'),
])
def test_access_tables_refuse_what_is_not_a_table(definitions, message):
    with pytest.raises(AnsibleFilterError, match=message):
        access_tables(definitions)


def test_restriction_list_names_tables_as_main_cf_does():
    tables = access_tables(DEFINITIONS)
    assert restriction_list([{'check_client_access': 'client_cidr'}, 'permit_mynetworks',
                             {'check_sender_access': 'rejected_senders'}, 'reject_unauth_destination'], tables) == [
        'check_client_access cidr:/etc/postfix/client_cidr', 'permit_mynetworks',
        'check_sender_access hash:/etc/postfix/rejected_senders', 'reject_unauth_destination']
    assert restriction_list(None, tables) == []


@pytest.mark.parametrize('items, message', [
    ([{'check_sender_access': 'missing'}], "smtpd_sender_restrictions: check_sender_access names the table 'missing'"),
    ([{'a': 'client_cidr', 'b': 'client_cidr'}], 'must map one restriction to one table name'),
    ([42], 'is neither a restriction nor'),
])
def test_restriction_list_errors_name_the_list(items, message):
    with pytest.raises(AnsibleFilterError, match=message):
        restriction_list(items, access_tables(DEFINITIONS), 'smtpd_sender_restrictions')


def test_restriction_settings_by_stage_and_class():
    tables = access_tables(DEFINITIONS)
    settings = restriction_settings({'recipient': ['permit_mynetworks', 'reject_unauth_destination'],
                                     'sender': [{'check_recipient_access': 'privileged'}]},
                                    {'restricted_recipient': [{'check_sender_access': 'rejected_senders'}, 'reject']},
                                    tables)
    assert settings == {
        'smtpd_recipient_restrictions': ['permit_mynetworks', 'reject_unauth_destination'],
        'smtpd_sender_restrictions': ['check_recipient_access lmdb:/srv/postfix/privileged'],
        'smtpd_restriction_classes': ['restricted_recipient'],
        'restricted_recipient': ['check_sender_access hash:/etc/postfix/rejected_senders', 'reject'],
    }
    assert restriction_settings({}, {}, tables) == {}
    with pytest.raises(AnsibleFilterError, match="'rcpt' is not an SMTP stage"):
        restriction_settings({'rcpt': []}, {}, tables)


@pytest.mark.parametrize('domains, subdomains, pattern', [
    (['example.com'], False, r'@example\.com$'),
    (['Example.COM.', 'localhost', 'example.com'], False, r'@(example\.com|localhost)$'),
    (['my-domain.example', 'x.org'], True, r'@(.+\.)?(my-domain\.example|x\.org)$'),
])
def test_domain_pattern_escapes_dots_and_folds_case(domains, subdomains, pattern):
    assert domain_pattern(domains, subdomains) == pattern


@pytest.mark.parametrize('address, plain, with_subdomains', [
    ('alice@example.com', True, True),
    ('alice@EXAMPLE.com', True, True),  # Postfix's tables match case-insensitively (flag i)
    ('alice@mail.example.com', False, True),
    ('alice@examplexcom', False, False),  # the dot is a dot
    ('alice@notexample.com', False, False),
    ('alice@example.com.evil.net', False, False),
    ('alice@localhost', True, True),
])
def test_domain_pattern_matches_exactly_the_domains(address, plain, with_subdomains):
    domains = ['example.com', 'localhost']
    assert bool(re.search(domain_pattern(domains), address, re.I)) == plain
    assert bool(re.search(domain_pattern(domains, True), address, re.I)) == with_subdomains


@pytest.mark.parametrize('domains', [[], 'example.com', ['hash:/etc/postfix/domains'], ['$mydomain'], [None]])
def test_domain_pattern_refuses_what_is_not_a_domain(domains):
    with pytest.raises(AnsibleFilterError):
        domain_pattern(domains)


BASE_PART = {'role': 'base', 'config_dir': '/etc/postfix', 'parameters': {'myhostname': 'mx.example.com'},
             'remove': ['relayhost_old'], 'services': [{'service': 'submission', 'type': 'inet'}],
             'tables': [{'path': '/etc/postfix/access', 'type': 'hash', 'entries': {'a': 'OK'}}],
             'allow_open_relay': False, 'service_state': 'started'}
RELAY_PART = {'role': 'relay', 'config_dir': '/etc/postfix', 'parameters': {'relayhost': '[smtp.example.net]:587'},
              'services': [{'service': 'mailops_smtps', 'type': 'unix', 'state': 'absent'}],
              'tables': [{'path': '/etc/postfix/relay_transport', 'type': 'hash', 'entries': {}}]}
ARCHIVE_PART = {'role': 'archive', 'config_dir': '/etc/postfix',
                'parameters': {'sender_bcc_maps': 'pcre:/etc/postfix/archive_sender'},
                'if_unset': ['sender_bcc_maps'],
                'tables': [{'path': '/etc/postfix/archive_sender', 'type': 'pcre', 'rules': []}]}


def test_merge_configuration_joins_the_parts_of_one_instance_in_role_order():
    other = dict(RELAY_PART, config_dir='/etc/postfix-out', parameters={'relayhost': '[other]'})
    merged = merge_configuration([BASE_PART, other, RELAY_PART, ARCHIVE_PART], '/etc/postfix')
    assert merged['roles'] == ['base', 'relay', 'archive']
    assert list(merged['parameters']) == ['myhostname', 'relayhost', 'sender_bcc_maps']
    assert merged['parameters']['relayhost'] == '[smtp.example.net]:587'
    assert merged['remove'] == ['relayhost_old']
    assert [service['service'] for service in merged['services']] == ['submission', 'mailops_smtps']
    assert [table['path'] for table in merged['tables']] == [
        '/etc/postfix/access', '/etc/postfix/relay_transport', '/etc/postfix/archive_sender']
    assert merged['if_unset'] == ['sender_bcc_maps']
    assert merged['service_state'] == 'started'
    assert merged['allow_open_relay'] is False
    # Which changes need a reload is postconf's to say, not the parts'.
    assert set(merged) == {'roles', 'parameters', 'remove', 'services', 'tables', 'sqlite_databases', 'if_unset',
                           'allow_open_relay', 'service_state'}


def test_merge_configuration_carries_the_sqlite_databases_and_refuses_two_roles_writing_one_differently():
    database = {'path': '/var/lib/mailops-postfix/virtual.sqlite', 'domains': ['example.net'], 'mailboxes': {},
                'aliases': {}}
    merged = merge_configuration([dict(BASE_PART, sqlite_databases=[database]), RELAY_PART], '/etc/postfix')
    assert merged['sqlite_databases'] == [database]
    with pytest.raises(AnsibleFilterError, match='SQLite database /var/lib/mailops-postfix/virtual.sqlite: the role '
                                                 'base sets'):
        merge_configuration([dict(BASE_PART, sqlite_databases=[database]),
                             dict(RELAY_PART, sqlite_databases=[dict(database, domains=['example.org'])])],
                            '/etc/postfix')


def test_merge_configuration_of_nothing_pending_is_empty():
    merged = merge_configuration([RELAY_PART], '/etc/postfix-out')
    assert merged['roles'] == [] and merged['parameters'] == {} and merged['tables'] == []
    assert merged['service_state'] is None


def test_merge_configuration_takes_the_same_setting_twice():
    twice = dict(ARCHIVE_PART, role='archive-again')
    merged = merge_configuration([ARCHIVE_PART, twice], '/etc/postfix')
    assert merged['tables'] == ARCHIVE_PART['tables'] and merged['if_unset'] == ['sender_bcc_maps']


def test_merge_configuration_allows_an_open_relay_only_when_a_part_does():
    assert merge_configuration([dict(BASE_PART, allow_open_relay=True), RELAY_PART],
                               '/etc/postfix')['allow_open_relay'] is True


@pytest.mark.parametrize('second, message', [
    ({'parameters': {'myhostname': 'other.example.com'}},
     "main.cf parameter myhostname: the role base sets 'mx.example.com' and the role second sets 'other.example.com'"),
    ({'parameters': {'relayhost_old': 'x'}}, "main.cf parameter relayhost_old: the role base sets None"),
    ({'remove': ['myhostname']}, 'main.cf parameter myhostname: the role base sets'),
    ({'services': [{'service': 'submission', 'type': 'inet', 'private': False}]},
     'master.cf service submission/inet: the role base sets'),
    ({'tables': [{'path': '/etc/postfix/access', 'type': 'hash', 'entries': {'b': 'OK'}}]},
     'table /etc/postfix/access: the role base sets'),
    ({'service_state': 'stopped'}, "service state Postfix: the role base sets 'started'"),
])
def test_merge_configuration_refuses_a_setting_two_roles_give_differently(second, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message) + '.*set it in one of them only'):
        merge_configuration([BASE_PART, dict(second, role='second', config_dir='/etc/postfix')], '/etc/postfix')


def test_merge_configuration_expects_a_list():
    with pytest.raises(AnsibleFilterError, match='expects the list'):
        merge_configuration({'role': 'base'}, '/etc/postfix')


SASL = [{'name': 'sasl_passwd', 'path': '/etc/postfix/sasl_passwd', 'type': 'hash',
         'secret_entries': {'[smtp.example.net]:587': 'user:secret'}}]
SQL = {'proxy:sqlite:/etc/postfix/virtual_domains.cf': {'type': 'sqlite', 'dbpath': '/srv/mail.sqlite'}}


def test_pending_add_keeps_the_parts_in_order_and_what_they_leave_per_instance():
    domains = {'proxy:sqlite:/etc/postfix/sqlite_domains.cf': ['vmail.example']}
    pending = pending_add(None, dict(BASE_PART, table_domains=domains, sql_tables=SQL))
    pending = pending_add(pending, dict(RELAY_PART, secret_tables=SASL))
    other = dict(ARCHIVE_PART, config_dir='/etc/postfix-out')
    pending = pending_add(pending, other)
    assert [part['role'] for part in pending['parts']] == ['base', 'relay', 'archive']
    # The secret and SQL tables travel apart from the parts.
    assert [part for part in pending['parts'] if 'secret_tables' in part or 'sql_tables' in part] == []
    # A removed parameter is back at its default: null.
    assert pending['parameters'] == {
        '/etc/postfix': {'myhostname': 'mx.example.com', 'relayhost_old': None, 'relayhost': '[smtp.example.net]:587'},
        '/etc/postfix-out': {'sender_bcc_maps': 'pcre:/etc/postfix/archive_sender'}}
    assert pending['table_domains'] == {'/etc/postfix': domains, '/etc/postfix-out': {}}
    assert pending['secret_tables'] == [{'config_dir': '/etc/postfix', 'tables': SASL}]
    assert pending['sql_tables'] == {'/etc/postfix': SQL}


def test_pending_add_lets_a_later_part_set_what_an_earlier_one_removed():
    pending = pending_add(pending_add({}, BASE_PART), dict(RELAY_PART, parameters={'relayhost_old': 'x'}))
    assert pending['parameters']['/etc/postfix']['relayhost_old'] == 'x'
    assert 'secret_tables' not in pending and 'sql_tables' not in pending


def test_pending_add_refuses_a_part_without_its_instance():
    with pytest.raises(AnsibleFilterError, match="the base role's part names no config_dir"):
        pending_add({}, {'role': 'base'})
    with pytest.raises(AnsibleFilterError, match='is a dict, not a list'):
        pending_add({}, ['base'])


def test_pending_without_leaves_what_is_pending_for_the_other_instances():
    pending = pending_add(pending_add(None, dict(BASE_PART, secret_tables=SASL, sql_tables=SQL)),
                          dict(ARCHIVE_PART, config_dir='/etc/postfix-out', secret_tables=SASL))
    left = pending_without(pending, '/etc/postfix')
    assert [part['role'] for part in left['parts']] == ['archive']
    assert left['secret_tables'] == [{'config_dir': '/etc/postfix-out', 'tables': SASL}]
    assert list(left['parameters']) == list(left['table_domains']) == ['/etc/postfix-out']
    assert left['sql_tables'] == {}
    nothing = {'parts': [], 'secret_tables': [], 'parameters': {}, 'table_domains': {}, 'sql_tables': {}}
    assert pending_without(left, '/etc/postfix-out') == nothing
    assert pending_without(None, '/etc/postfix')['parts'] == []


def test_table_packages_come_from_the_table_types():
    assert table_packages(['hash', 'pcre', 'cidr', 'pcre', 'lmdb', 'regexp']) == ['postfix-pcre', 'postfix-lmdb']
    assert table_packages([]) == []
    assert table_packages(sorted(PACKAGES)) == [PACKAGES[name] for name in sorted(PACKAGES)]
    with pytest.raises(AnsibleFilterError):
        table_packages('pcre')
