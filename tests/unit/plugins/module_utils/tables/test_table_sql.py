# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for tables/sql.py: SQL tables' options, their settings file, and how results show it."""

from __future__ import annotations

import grp
import os

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.core.diff import settings_diff
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build
from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sql
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import change_needs_reload

MYSQL = {'hosts': ['unix:/run/mysqld/mysqld.sock', 'inet:db2.example.com:3306'], 'user': 'postfix',
         'password': 'S3cret pw', 'dbname': 'mail', 'query': "SELECT goto FROM aliases WHERE address = '%s'",
         'domain': ['example.com', 'example.net'], 'tls_verify_cert': True, 'expansion_limit': 5}


def options(**given):
    """postfix_map's params as Ansible hands them over: every option, None where not given."""
    params = dict(table_job.DEFAULTS, follow=False)
    params.update(given)
    return params


# ---------------------------------------------------------------------------
# check_options: what each type takes

def test_each_type_takes_its_own_settings():
    sql.check_options('mysql', options(**MYSQL))
    sql.check_options('pgsql', options(hosts=['localhost'], dbname='mail', query='SELECT 1', user='u', password='p'))
    sql.check_options('sqlite', options(dbpath='/var/lib/mail.sqlite', query='SELECT 1', probe_key='a@b'))


@pytest.mark.parametrize('table_type, given, message', [
    ('sqlite', {'hosts': ['localhost'], 'user': 'u'}, r'hosts, user: not a setting of sqlite_table\(5\); sqlite tables '
                                                      r'take dbpath, query, result_format, domain, expansion_limit$'),
    ('pgsql', {'tls_CAfile': '/etc/ssl/ca.pem'}, r'tls_CAfile: not a setting of pgsql_table\(5\)'),
    ('mysql', {'dbpath': '/x'}, r'dbpath: not a setting of mysql_table\(5\)'),
])
def test_settings_a_type_does_not_take_are_refused_by_name(table_type, given, message):
    base = {'sqlite': {'dbpath': '/x', 'query': 'q'}}.get(table_type, {'hosts': ['h'], 'dbname': 'd', 'query': 'q'})
    with pytest.raises(TableSourceError, match=message):
        sql.check_options(table_type, options(**dict(base, **given)))


@pytest.mark.parametrize('given, message', [
    ({'entries': {'a': 'b'}}, 'entries: options of file tables'),
    ({'exclusive': False, 'remove_keys': ['a']}, 'remove_keys, exclusive: options of file tables'),
    ({'format': 'postalias'}, 'format: options of file tables'),
    ({'access': True}, 'access: options of file tables'),
])
def test_file_table_options_are_refused_for_sql_tables(given, message):
    with pytest.raises(TableSourceError, match=message):
        sql.check_options('mysql', options(**dict(MYSQL, **given)))


@pytest.mark.parametrize('table_type, given, missing', [
    ('mysql', {'query': 'q'}, 'hosts, dbname'),
    ('pgsql', {'hosts': ['h'], 'dbname': 'd'}, 'query'),
    ('sqlite', {'query': 'q'}, 'dbpath'),
])
def test_required_settings(table_type, given, missing):
    with pytest.raises(TableSourceError, match='a %s table needs %s$' % (table_type, missing)):
        sql.check_options(table_type, options(**given))


def test_sql_settings_on_a_file_table_are_refused():
    with pytest.raises(TableSourceError, match=r'^query, probe_key only apply to SQL tables .* not to hash tables'):
        sql.check_options('hash', options(query='SELECT 1', probe_key='x', entries={}))
    sql.check_options('hash', options(entries={}))


def test_unknown_options_are_refused_by_ansible_in_postconf_tables_too():
    validated = ArgumentSpecValidator({'tables': table_job.TABLES_SPEC}).validate({'tables': [
        dict(MYSQL, path='/etc/postfix/mysql.cf', type='mysql', dbnmae='mail')]})
    assert any('dbnmae' in message for message in validated.error_messages)
    # And the password is hidden as a no_log option, wherever it is nested.
    assert 'S3cret pw' in validated._no_log_values


# ---------------------------------------------------------------------------
# The settings file

def test_settings_are_written_in_fixed_order_as_postfix_reads_them():
    settings = sql.settings_of('mysql', options(**MYSQL))
    text = sql.render('mysql', settings)
    assert text == (
        '# mysql_table(5) settings, written by mailops.postfix.\n'
        'hosts = unix:/run/mysqld/mysqld.sock inet:db2.example.com:3306\n'
        'user = postfix\n'
        'password = S3cret pw\n'
        'dbname = mail\n'
        "query = SELECT goto FROM aliases WHERE address = '%s'\n"
        'domain = example.com, example.net\n'
        'expansion_limit = 5\n'
        'tls_verify_cert = yes\n')
    assert [(name, value) for name, value, dummy in sql.parse(text)] == settings


def test_a_query_over_several_lines_is_one_line():
    settings = sql.settings_of('sqlite', options(dbpath='/db', query='SELECT goto\n  FROM aliases\n WHERE a = %s\n'))
    assert settings == [('dbpath', '/db'), ('query', 'SELECT goto FROM aliases WHERE a = %s')]


@pytest.mark.parametrize('given, message', [
    ({'password': ' padded'}, 'password must not begin or end with white space'),
    ({'user': 'a\nb'}, 'user must be one line'),
])
def test_values_postfix_would_read_differently_are_refused(given, message):
    with pytest.raises(TableSourceError, match=message):
        sql.settings_of('mysql', options(**dict(MYSQL, **given)))


def test_parse_reads_continuation_lines_comments_and_the_last_of_a_name():
    text = '# comment\nhosts = a\n  b\n\nquery = SELECT 1\nquery = SELECT 2\nbroken line\n'
    assert sql.parse(text) == [('hosts', 'a b', 2), ('query', 'SELECT 2', 6), ('broken line', None, 7)]


# ---------------------------------------------------------------------------
# Results and diffs: the password masked

def test_changes_show_settings_with_the_password_masked():
    before = 'hosts = old\nuser = postfix\npassword = Old-pw\ndbname = mail\nquery = q\nresult_format = %s\n'
    settings = sql.settings_of('mysql', options(hosts=['new'], user='postfix', password='New-pw', dbname='mail',
                                                query='q', expansion_limit=3))
    changes = sql.compare(before, settings)
    assert [(pair[0].value, pair[1].value) for pair in changes.changed] == [
        ('old', 'new'), ('********', '******** (changed)')]
    diff = settings_diff('/etc/postfix/mysql.cf (changed entries)', changes)
    assert diff['before'] == 'result_format = %s\nhosts = old\npassword = ********\n'
    assert diff['after'] == 'hosts = new\npassword = ******** (changed)\nexpansion_limit = 3\n'
    assert 'pw' not in repr(changes) + repr(diff)
    assert sql.shown_settings(settings)['password'] == '********'


def test_a_new_table_shows_every_setting_as_added():
    settings = sql.settings_of('mysql', options(**MYSQL))
    changes = sql.compare(None, settings)
    assert [pair[1].key for pair in changes.added] == [name for name, dummy in settings]
    assert dict((pair[1].key, pair[1].value) for pair in changes.added)['password'] == '********'


@pytest.mark.parametrize('given, key', [
    ({'probe_key': 'postmaster@example.org'}, 'postmaster@example.org'),
    ({'domain': ['example.net', 'example.com']}, 'mailops-probe@example.net'),
    ({}, 'mailops-probe@example.com'),
])
def test_the_probe_key_falls_in_the_domains_postfix_looks_up(given, key):
    assert sql.probe_key(options(**given)) == key


# ---------------------------------------------------------------------------
# The plan of a job, and the reload rule

def test_an_sql_table_is_planned_0640_group_postfix_and_unchanged_when_the_file_holds_it(tmp_path):
    group = grp.getgrgid(os.getegid()).gr_name  # the test machine may have no group postfix
    path = str(tmp_path / 'mysql.cf')
    params = options(path=path, group=group, **MYSQL)
    plan = table_job.plan(params, 'mysql', table_job.Current(None, None))
    assert plan.content == sql.render('mysql', sql.settings_of('mysql', params))
    assert plan.build == plan.content and plan.created and plan.entries == []
    assert plan.attributes.mode == 0o640
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(plan.content)
    os.chmod(path, 0o644)
    again = table_job.plan(params, 'mysql', table_job.Current(plan.content, None))
    assert again.content is None and again.build is None
    # Only the mode is repaired: a file with a password is no one else's to read.
    assert again.attribute_fixes == [path]


def test_a_group_postfix_that_does_not_exist_is_named(tmp_path, monkeypatch):
    def missing(name):
        raise KeyError(name)
    monkeypatch.setattr(grp, 'getgrnam', missing)
    with pytest.raises(Exception, match="group 'postfix' does not exist"):
        table_job.plan(options(path=str(tmp_path / 'x.cf'), **MYSQL), 'mysql', table_job.Current(None, None))


@pytest.mark.parametrize('table_type', ['sqlite', 'mysql', 'pgsql'])
def test_changed_sql_settings_need_a_reload(table_type):
    # Daemons (proxymap for proxy: tables) read the settings when they open the table, at their start.
    assert change_needs_reload(table_type)


# ---------------------------------------------------------------------------
# Validation: a lookup through the staged settings, against the database

def test_a_failed_probe_fails_with_postfix_words_without_the_password_and_leaves_nothing(
        tmp_path, postfix, ansible_module):
    path = str(tmp_path / 'mysql.cf')
    # postmap exits 1 for a failed lookup as for a missing key: the failure is on stderr only.
    postfix.fail('postmap', 1, 'postmap: warning: connect to mysql server db: Access denied (S3cret pw?)\n'
                               'postmap: fatal: table mysql:%s/.mysql.cf.abcdefgh.tmp: query error\n' % tmp_path)
    attributes = file_attributes.Attributes(os.geteuid(), os.getegid(), 0o640)
    with pytest.raises(table_build.TableError) as failure:
        table_build.build(ansible_module, postfix, 'mysql', path, 'password = S3cret pw\n', attributes,
                          probe='mailops-probe@example.com', hidden=['S3cret pw'])
    message = str(failure.value)
    assert message.startswith("Postfix cannot look up 'mailops-probe@example.com' in the new mysql:%s: " % path)
    assert 'Access denied (********?)' in message and 'S3cret' not in message
    assert message.endswith('Nothing was changed; the live %s is as it was.' % path)
    assert os.listdir(str(tmp_path)) == []
    assert postfix.calls[-1][:2] == ('postmap', ['keep_root', 'query'])


def test_warnings_about_main_cf_do_not_fail_a_probe(tmp_path, postfix, ansible_module):
    path = str(tmp_path / 'sqlite.cf')
    postfix.fail('postmap', 1, 'postmap: warning: /etc/postfix/main.cf, line 9: overriding earlier entry: a=b\n')
    attributes = file_attributes.Attributes(os.geteuid(), os.getegid(), 0o640)
    staged = table_build.build(ansible_module, postfix, 'sqlite', path, 'dbpath = /db\nquery = q\n', attributes,
                               probe='x@example.com')
    assert staged.other_warnings == ['postmap: warning: /etc/postfix/main.cf, line 9: overriding earlier entry: a=b']
    assert oct(os.stat(staged.source).st_mode & 0o777) == '0o640'
    table_build.discard(staged)


def test_a_missing_sqlite_database_is_the_one_rule(tmp_path):
    database = tmp_path / 'virtual.sqlite'
    assert sql.missing_database(str(database)) == (
        'the database %s (dbpath) does not exist; Postfix would create it empty at the first lookup, and every lookup '
        'would fail' % database)
    database.write_bytes(b'')
    assert sql.missing_database(str(database)) is None


def test_the_dbpath_is_read_from_an_sqlite_tables_settings_file(tmp_path):
    settings = tmp_path / 'domains.cf'
    settings.write_text('# x\ndbpath = /var/lib/first.sqlite\nquery = SELECT 1\ndbpath = /var/lib/mail.sqlite\n')
    assert sql.sqlite_dbpath('sqlite:%s' % settings) == '/var/lib/mail.sqlite'  # the last setting wins, as in Postfix
    assert sql.sqlite_dbpath('mysql:%s' % settings) is None
    assert sql.sqlite_dbpath('sqlite:%s' % (tmp_path / 'none.cf')) is None  # postmap says why it cannot open it
    settings.write_text('query = SELECT 1\n')
    assert sql.sqlite_dbpath('sqlite:%s' % settings) is None
