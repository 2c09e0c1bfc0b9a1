# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/virtual_data.py: the base role's virtual domains and mailboxes."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.virtual_data import virtual_domains

PGSQL = {'type': 'pgsql', 'hosts': ['localhost'], 'user': 'postfix', 'password': 'secret', 'dbname': 'mail'}
MAILBOXES = {'alice@vmail.example': 'vmail.example/alice/', 'bob@vmail.example': 'vmail.example/bob'}


def data(**changes):
    base = {'mailbox_domains': ['vmail.example'], 'mailboxes': dict(MAILBOXES), 'alias_domains': [], 'aliases': {},
            'mailbox_base': '/var/mail/vhosts', 'uid': 5000, 'gid': 5001, 'mailbox_limit': 0,
            'message_size_limit': 52428800, 'config_dir': '/etc/postfix',
            'mydestination': ['$myhostname', 'localhost'], 'myhostname': 'mx.example.org', 'mydomain': None,
            'parameters': {}}
    base.update(changes)
    return base


def refused(**changes):
    with pytest.raises(AnsibleFilterError) as error:
        virtual_domains(data(**changes))
    return str(error.value)


def test_mailbox_domains_become_settings_and_one_table():
    part = virtual_domains(data())
    assert part['parameters'] == {
        'virtual_mailbox_domains': ['vmail.example'],
        'virtual_mailbox_maps': 'hash:/etc/postfix/virtual_mailboxes',
        'virtual_mailbox_base': '/var/mail/vhosts',
        'virtual_uid_maps': 'static:5000',
        'virtual_gid_maps': 'static:5001',
        'virtual_mailbox_limit': 0,
    }
    assert part['tables'] == [{'name': 'virtual_mailboxes', 'type': 'hash', 'path': '/etc/postfix/virtual_mailboxes',
                               'entries': MAILBOXES}]
    assert part['mailbox_base'] == '/var/mail/vhosts'


def test_without_virtual_data_nothing_is_set():
    assert virtual_domains(data(mailbox_domains=[], mailboxes={})) == {'parameters': {}, 'tables': [],
                                                                       'secret_tables': [], 'sql_tables': {},
                                                                       'database': None, 'mailbox_base': None}


def test_virtual_aliases_keep_their_table_and_domains():
    part = virtual_domains(data(mailbox_domains=[], mailboxes={}, alias_domains=['forward.example'],
                                aliases={'info@forward.example': 'alice@vmail.example'}, config_dir='/etc/postfix-out/'))
    assert part['parameters'] == {'virtual_alias_domains': ['forward.example'],
                                  'virtual_alias_maps': 'hash:/etc/postfix-out/virtual'}
    assert part['tables'] == [{'name': 'virtual', 'type': 'hash', 'path': '/etc/postfix-out/virtual',
                               'entries': {'info@forward.example': 'alice@vmail.example'}}]


def test_domains_are_lower_case_names_each_once_and_catch_all_mailboxes_count():
    part = virtual_domains(data(mailbox_domains=['VMail.Example.', 'vmail.example', 'other.example'],
                                mailboxes={'@other.example': 'other.example/all/', **MAILBOXES}))
    assert part['parameters']['virtual_mailbox_domains'] == ['vmail.example', 'other.example']


@pytest.mark.parametrize('changes, message', [
    ({'mydestination': ['$myhostname', 'vmail.example']},
     'vmail.example is in both mydestination (base_mydestination) and base_virtual_mailbox_domains'),
    # base_parameters wins over base_mydestination, and $myhostname is expanded where the data gives it.
    ({'parameters': {'mydestination': '$myhostname, localhost'}, 'myhostname': 'VMail.example'},
     'vmail.example is in both mydestination'),
    ({'mydestination': ['${mydomain}'], 'mydomain': 'vmail.example'}, 'vmail.example is in both mydestination'),
    ({'alias_domains': ['vmail.example']}, 'in both base_virtual_alias_domains and base_virtual_mailbox_domains'),
    ({'mailboxes': {}}, 'given without base_virtual_mailboxes: Postfix would reject every recipient of vmail.example'),
    ({'mailbox_domains': []}, 'base_virtual_mailboxes is given without base_virtual_mailbox_domains'),
    ({'mailbox_domains': ['$mydomain']}, "'$mydomain' is not a domain name"),
    ({'mailboxes': {'carol@elsewhere.example': 'x/'}}, 'carol@elsewhere.example is in elsewhere.example, which is not'),
    ({'mailboxes': {'carol': 'x/'}}, "'carol' is not an address"),
    ({'mailboxes': {'carol@vmail.example': '/var/mail/carol'}}, 'is absolute'),
    ({'mailboxes': {'carol@vmail.example': 'vmail.example/../../etc/'}}, 'has a ".." component'),
    ({'mailboxes': {'carol@vmail.example': ''}}, 'is not a path'),
    ({'uid': 0}, 'base_virtual_uid must be a positive number'),
    ({'gid': 0}, 'base_virtual_gid must be a positive number'),
    ({'uid': 99}, 'base_virtual_uid 99 is below virtual_minimum_uid (100)'),
    ({'uid': 150, 'parameters': {'virtual_minimum_uid': 1000}}, 'below virtual_minimum_uid (1000)'),
    ({'mailbox_base': '/'}, 'base_virtual_mailbox_base must be an absolute directory of its own'),
    ({'mailbox_base': 'vhosts'}, 'base_virtual_mailbox_base must be'),
    ({'mailbox_base': '/var/mail/../../'}, 'base_virtual_mailbox_base must be'),
    # virtual(8) would not start: "virtual_mailbox_limit is smaller than message_size_limit".
    ({'mailbox_limit': 51200000}, 'base_virtual_mailbox_limit 51200000 is smaller than message_size_limit 52428800'),
    ({'mailbox_limit': 2000, 'parameters': {'message_size_limit': '4000'}}, 'smaller than message_size_limit 4000'),
    ({'mailbox_limit': -1}, 'base_virtual_mailbox_limit must be a number of bytes'),
    ({'sql_tables': {'mailboxes': {'type': 'sqlite', 'dbpath': '/var/lib/v.sqlite', 'query': 'SELECT 1'}}},
     'base_virtual_mailboxes and base_virtual_sql_tables.mailboxes are both given'),
    ({'sql_tables': {'mailbox': PGSQL}}, 'base_virtual_sql_tables: mailbox is not a virtual table'),
    ({'mailboxes': {}, 'sql_tables': {'mailboxes': {'hosts': ['db']}}}, 'needs a type, one of mysql, pgsql, sqlite'),
    ({'sqlite_database': 'virtual.sqlite'}, 'base_virtual_sqlite_database must be an absolute path'),
    ({'sqlite_database': '/var/lib/v.sqlite', 'parameters': {'proxy_read_maps': '$virtual_alias_maps'}},
     'proxy_read_maps does not name $virtual_mailbox_domains'),
    ({'mailbox_domains': [], 'mailboxes': {}, 'sql_tables': {'mailboxes': PGSQL}},
     'base_virtual_mailboxes is given without base_virtual_mailbox_domains'),
    ({'mailboxes': {}, 'sql_tables': {'aliases': PGSQL}}, 'given without base_virtual_mailboxes'),
])
def test_refused(changes, message):
    assert message in refused(**changes)


def test_the_embedded_sqlite_database_holds_the_data_and_postfix_reads_it_through_proxy():
    part = virtual_domains(data(sqlite_database='/var/lib/mailops-postfix/virtual.sqlite',
                                aliases={'info@vmail.example': 'alice@vmail.example'}))
    assert part['database'] == {'path': '/var/lib/mailops-postfix/virtual.sqlite', 'domains': ['vmail.example'],
                                'mailboxes': MAILBOXES, 'aliases': {'info@vmail.example': 'alice@vmail.example'}}
    assert part['parameters']['virtual_mailbox_domains'] == 'proxy:sqlite:/etc/postfix/virtual_mailbox_domains.cf'
    assert part['parameters']['virtual_mailbox_maps'] == 'proxy:sqlite:/etc/postfix/virtual_mailboxes.cf'
    assert part['parameters']['virtual_alias_maps'] == 'proxy:sqlite:/etc/postfix/virtual_aliases.cf'
    assert part['parameters']['virtual_uid_maps'] == 'static:5000'
    assert [(table['name'], table['type'], table['dbpath'], table['query']) for table in part['tables']] == [
        ('virtual_mailbox_domains', 'sqlite', '/var/lib/mailops-postfix/virtual.sqlite',
         "SELECT domain FROM domains WHERE domain = '%s'"),
        ('virtual_mailboxes', 'sqlite', '/var/lib/mailops-postfix/virtual.sqlite',
         "SELECT mailbox FROM mailboxes WHERE address = '%s'"),
        ('virtual_aliases', 'sqlite', '/var/lib/mailops-postfix/virtual.sqlite',
         "SELECT goto FROM aliases WHERE address = '%s' ORDER BY goto")]
    assert part['secret_tables'] == []


def test_an_application_table_with_a_password_is_a_secret_table_and_the_rest_stays_data():
    part = virtual_domains(data(mailboxes={}, sql_tables={'mailboxes': dict(PGSQL, query="SELECT m FROM u WHERE a='%s'")},
                                parameters={'proxy_read_maps': '$virtual_mailbox_maps $virtual_alias_maps'}))
    assert part['tables'] == []
    assert part['secret_tables'] == [dict(PGSQL, query="SELECT m FROM u WHERE a='%s'", name='virtual_mailboxes',
                                          path='/etc/postfix/virtual_mailboxes.cf')]
    assert part['parameters']['virtual_mailbox_maps'] == 'proxy:pgsql:/etc/postfix/virtual_mailboxes.cf'
    assert part['parameters']['virtual_mailbox_domains'] == ['vmail.example']
    assert part['database'] is None
    # Handed on to the roles that follow by the name main.cf gives it (base_pending.sql_tables).
    assert part['sql_tables'] == {'proxy:pgsql:/etc/postfix/virtual_mailboxes.cf': part['secret_tables'][0]}


def test_sql_domains_leave_the_mailboxes_unchecked_against_them():
    part = virtual_domains(data(mailbox_domains=[], sql_tables={'mailbox_domains': dict(PGSQL, path='/etc/postfix/d.cf')},
                                mailboxes={'carol@anywhere.example': 'anywhere.example/carol/'}))
    assert part['parameters']['virtual_mailbox_domains'] == 'proxy:pgsql:/etc/postfix/d.cf'
    assert part['tables'][0]['entries'] == {'carol@anywhere.example': 'anywhere.example/carol/'}


def test_a_mailbox_limit_at_least_the_message_size_limit_is_kept():
    part = virtual_domains(data(mailbox_limit=104857600))
    assert part['parameters']['virtual_mailbox_limit'] == 104857600
    # message_size_limit as a $name: Postfix's own check stands.
    assert virtual_domains(data(mailbox_limit=10, message_size_limit='$other'))['parameters']['virtual_mailbox_limit'] == 10


def test_sql_tables_left_empty_are_no_tables():
    assert virtual_domains(data(sql_tables={'mailboxes': None, 'aliases': {}}))['tables'][0]['name'] == 'virtual_mailboxes'


def test_unknown_names_in_mydestination_are_compared_as_written():
    # Without myhostname in the data, $myhostname stays as it is: Postfix's own warning is left for that case.
    assert virtual_domains(data(myhostname=None))['parameters']['virtual_mailbox_domains'] == ['vmail.example']
