# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/archive_data.py: the archive role's address."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.archive_data import (
    archive_address,
    archive_configuration,
    archive_local_domains,
)


@pytest.mark.parametrize('address', [
    'archive@example.com',
    'Archive.Copies+all@Mail.Example.COM',
    "o'brien-archive@example.co.uk",
    'a@localhost',
    'archive@xn--bcher-kva.example',
    'x_y=z/w@sub_domain.example.com',
])
def test_one_address_is_returned_as_given(address):
    assert archive_address(address) == address


@pytest.mark.parametrize('address, problem', [
    ('archive@example.com, legal@example.com', 'holds a comma: it takes one address, not a list'),
    ('archive@example.com,legal@example.com', 'holds a comma'),
    ('archive @example.com', 'holds white space'),
    ('archive@example.com legal@example.com', 'holds white space'),
    ('archive@example.com\n', 'holds white space'),
    ('archive@bücher.example', 'is not ASCII'),
    ('ärchive@example.com', 'is not ASCII'),
    ('archive', 'is not local-part@domain'),
    ('@example.com', 'is not local-part@domain'),
    ('archive@', "has a domain, '', that is not a domain name"),
    ('archive@example..com', "has a domain, 'example..com', that is not a domain name"),
    ('archive@[192.0.2.1]', "has a domain, '[192.0.2.1]', that is not a domain name"),
    ('a@b@example.com', "has a local part, 'a@b', that is not one dot-separated word"),
    ('"arch ive"@example.com', 'holds white space'),
    ('"archive"@example.com', "has a local part, '\"archive\"'"),
    ('archive$1@example.com', "has a local part, 'archive$1'"),
    ('.archive@example.com', "has a local part, '.archive'"),
    ('arch..ive@example.com', "has a local part, 'arch..ive'"),
    ('a' * 65 + '@example.com', "has a local part, '%s', that is not one dot-separated word of letters, digits and "
                                "!#%%&'*+/=?^_`{|}~- (at most 64 characters" % ('a' * 65)),
    ('', 'is not an address'),
    (None, 'is not an address'),
    (['archive@example.com'], 'is not an address'),
])
def test_anything_but_one_address_is_refused_naming_the_variable(address, problem):
    with pytest.raises(AnsibleFilterError) as error:
        archive_address(address)
    message = str(error.value)
    assert message.startswith('archive: archive_address %r %s' % (address, problem))
    assert message.endswith('Give one address, local-part@domain, in ASCII (an internationalized domain in its xn-- '
                            'form), for example archive@example.com')


def test_the_message_names_the_variable_given():
    with pytest.raises(AnsibleFilterError, match="^archive: the address 'a b' holds white space"):
        archive_address('a b', 'the address')


ADDRESS = 'archive@example.com'
PGSQL = {'type': 'pgsql', 'hosts': ['localhost'], 'user': 'postfix', 'password': 'secret', 'dbname': 'mail',
         'name': 'virtual_mailbox_domains', 'path': '/etc/postfix/virtual_mailbox_domains.cf',
         'query': "SELECT name FROM mailbox_domains WHERE name = '%s'"}


def configuration(mode='external', domains=('localhost', 'example.net'), sql_tables=(), subdomains=False):
    return archive_configuration({'mode': mode, 'address': ADDRESS, 'domains': list(domains),
                                  'sql_tables': list(sql_tables), 'subdomains': subdomains, 'table_type': 'pcre',
                                  'config_dir': '/etc/postfix/'})


def test_file_tables_archive_an_address_outside_the_local_domains():
    result = configuration()
    assert result['parameters'] == {'sender_bcc_maps': 'pcre:/etc/postfix/archive_sender',
                                    'recipient_bcc_maps': 'pcre:/etc/postfix/archive_recipient'}
    rule = {'pattern': '!/@(localhost|example\\.net)$/', 'action': ADDRESS}
    assert result['tables'] == [
        {'name': 'archive_sender', 'path': '/etc/postfix/archive_sender', 'type': 'pcre', 'rules': [rule]},
        {'name': 'archive_recipient', 'path': '/etc/postfix/archive_recipient', 'type': 'pcre', 'rules': [rule]}]
    assert result['secret_tables'] == []


@pytest.mark.parametrize('mode, filled', [('inbound', ['archive_sender']), ('outbound', ['archive_recipient'])])
def test_a_mode_leaves_the_other_map_an_empty_table(mode, filled):
    tables = configuration(mode)['tables']
    assert [table['name'] for table in tables if table['rules']] == filled
    assert len(tables) == 2


def test_mode_all_archives_every_address_and_asks_no_database():
    result = configuration('all', domains=[], sql_tables=[PGSQL])
    assert [table['rules'] for table in result['tables']] == [[{'pattern': '/^/', 'action': ADDRESS}]] * 2
    assert result['secret_tables'] == []


def test_sql_domains_are_asked_from_the_same_database_by_one_table():
    result = configuration(sql_tables=[PGSQL])
    table = {'type': 'pgsql', 'hosts': ['localhost'], 'user': 'postfix', 'password': 'secret', 'dbname': 'mail',
             'name': 'archive_remote', 'path': '/etc/postfix/archive_remote.cf',
             'query': "SELECT 'archive@example.com' WHERE NOT ('%d' IN ('localhost', 'example.net') OR "
                      "EXISTS (SELECT name FROM mailbox_domains WHERE name = '%d'))"}
    # The password: a secret table, handed over in hidden tasks only.
    assert result['secret_tables'] == [table]
    assert result['tables'] == []
    assert result['parameters'] == {'sender_bcc_maps': 'proxy:pgsql:/etc/postfix/archive_remote.cf',
                                    'recipient_bcc_maps': 'proxy:pgsql:/etc/postfix/archive_remote.cf'}


def test_sql_in_one_mode_fills_one_map_and_leaves_the_other_an_empty_file_table():
    result = configuration('outbound', domains=[], sql_tables=[PGSQL])
    assert result['parameters'] == {'sender_bcc_maps': 'pcre:/etc/postfix/archive_sender',
                                    'recipient_bcc_maps': 'proxy:pgsql:/etc/postfix/archive_remote.cf'}
    assert result['tables'] == [{'name': 'archive_sender', 'path': '/etc/postfix/archive_sender', 'type': 'pcre',
                                 'rules': []}]
    assert result['secret_tables'][0]['query'] == (
        "SELECT 'archive@example.com' WHERE NOT (EXISTS (SELECT name FROM mailbox_domains WHERE name = '%d'))")


def test_mysql_selects_from_dual_and_every_table_of_the_database_is_asked():
    aliases = dict(PGSQL, type='mysql', path='/etc/postfix/virtual_aliases.cf',
                   query="SELECT goto FROM aliases WHERE address = '%u' AND active = '1%%';")
    domains = dict(aliases, path='/etc/postfix/virtual_mailbox_domains.cf',
                   query="SELECT domain FROM domains WHERE domain='%S'")
    query = configuration(domains=[], sql_tables=[domains, aliases])['secret_tables'][0]['query']
    assert query == ("SELECT 'archive@example.com' FROM DUAL WHERE NOT ("
                     "EXISTS (SELECT domain FROM domains WHERE domain='%d') OR "
                     "EXISTS (SELECT goto FROM aliases WHERE address = '%d' AND active = '1%%'))")


@pytest.mark.parametrize('table', [
    dict(PGSQL, query="SELECT goto FROM aliases WHERE local = '%u' AND domain = '%d'"),
    dict(PGSQL, query="SELECT goto FROM aliases WHERE domain = '%2'"),
    dict(PGSQL, domain=['example.org']),
])
def test_a_table_that_postfix_never_asks_with_a_bare_domain_adds_no_local_domain(table):
    query = configuration(domains=['localhost'], sql_tables=[table])['secret_tables'][0]['query']
    assert query == "SELECT 'archive@example.com' WHERE NOT ('%d' IN ('localhost'))"


def test_an_sqlite_table_without_password_is_not_secret():
    table = {'type': 'sqlite', 'dbpath': '/var/lib/app.sqlite', 'name': 'virtual_mailbox_domains',
             'path': '/etc/postfix/virtual_mailbox_domains.cf', 'query': "SELECT domain FROM domains WHERE domain='%s'"}
    result = configuration(domains=[], sql_tables=[table])
    assert result['secret_tables'] == []
    assert result['tables'][0]['dbpath'] == '/var/lib/app.sqlite'
    assert result['tables'][0]['query'].startswith("SELECT 'archive@example.com' WHERE NOT (EXISTS (")


def test_quotes_and_percent_signs_in_the_address_are_written_as_sql_and_postfix_read_them():
    result = archive_configuration({'mode': 'external', 'address': "o'brien%x@example.com", 'domains': ['localhost'],
                                    'sql_tables': [PGSQL], 'table_type': 'pcre', 'config_dir': '/etc/postfix'})
    assert result['secret_tables'][0]['query'].startswith("SELECT 'o''brien%%x@example.com' WHERE")


def test_tables_in_two_databases_are_refused():
    other = dict(PGSQL, dbname='other', path='/etc/postfix/virtual_aliases.cf')
    with pytest.raises(AnsibleFilterError, match=r'SQL tables in 2 databases \(/etc/postfix/virtual_aliases.cf, '
                                                 r'/etc/postfix/virtual_mailbox_domains.cf\).*archive_local_domains'):
        configuration(sql_tables=[PGSQL, other])


def test_subdomains_of_sql_domains_are_refused():
    with pytest.raises(AnsibleFilterError, match='archive_subdomains cannot hold .*archive_local_domains'):
        configuration(sql_tables=[PGSQL], subdomains=True)


HOST = {'expanded': {'mydestination': 'mx.example.com, localhost',
                     'virtual_alias_domains': 'alias.example',
                     'virtual_mailbox_domains': 'proxy:sqlite:/etc/postfix/sqlite_domains.cf proxy:pgsql:/etc/postfix/pg.cf'}}
PENDING = {'table_domains': {'/etc/postfix': {'proxy:sqlite:/etc/postfix/sqlite_domains.cf': ['vmail.example', 'b.example']}},
           'sql_tables': {'/etc/postfix': {'proxy:pgsql:/etc/postfix/pg.cf': {'type': 'pgsql', 'dbname': 'mail'}}}}


def test_archive_local_domains_given_are_taken_without_the_host():
    local = archive_local_domains(['example.com'], None, {}, '/etc/postfix')
    assert local == {'domains': ['example.com'], 'sql_tables': []}


def test_archive_local_domains_from_the_host_with_the_tables_handed_on():
    local = archive_local_domains([], HOST, PENDING, '/etc/postfix')
    assert local == {'domains': ['mx.example.com', 'localhost', 'alias.example', 'vmail.example', 'b.example'],
                     'sql_tables': [{'type': 'pgsql', 'dbname': 'mail'}]}


def test_archive_local_domains_of_another_instance_take_none_of_its_tables():
    local = archive_local_domains([], HOST, PENDING, '/etc/postfix-out')
    assert local['domains'] == ['mx.example.com', 'localhost', 'alias.example',
                                'proxy:sqlite:/etc/postfix/sqlite_domains.cf', 'proxy:pgsql:/etc/postfix/pg.cf']
    assert local['sql_tables'] == []


def test_archive_local_domains_ask_an_sql_table_named_twice_once():
    host = {'expanded': {'mydestination': 'proxy:pgsql:/etc/postfix/pg.cf',
                         'virtual_mailbox_domains': 'proxy:pgsql:/etc/postfix/pg.cf'}}
    local = archive_local_domains([], host, PENDING, '/etc/postfix')
    assert local == {'domains': [], 'sql_tables': [{'type': 'pgsql', 'dbname': 'mail'}]}
