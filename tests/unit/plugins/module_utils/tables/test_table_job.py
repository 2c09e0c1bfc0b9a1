# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for table_job.py: the tables of a postconf run, planned as postfix_map plans one."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import TableTypeError


@pytest.fixture
def plan_jobs(postfix):
    """plan_jobs(specs, locked=None): table_job.plan_jobs on the fake Postfix, whose default_database_type is lmdb."""
    postfix.main_cf['default_database_type'] = 'lmdb'

    def plan(specs, locked=None):
        return table_job.plan_jobs(postfix, specs, (locked if locked is not None else []).append)
    return plan


def spec(path, **fields):
    return dict({'name': None, 'path': path, 'type': None, 'entries': None, 'rules': None, 'format': 'postmap',
                 'access': False}, **fields)


def test_each_table_is_locked_typed_and_planned(tmp_path, plan_jobs):
    locked = []
    senders, clients = str(tmp_path / 'senders'), str(tmp_path / 'clients')
    jobs = plan_jobs([spec(senders, access=True, entries={'spammer@example.com': 'REJECT'}),
                      spec(clients, type='cidr', rules=[{'pattern': '192.0.2.0/24', 'action': 'OK'}])], locked)
    assert locked == [senders, clients]
    assert [(job.table_type, job.result['table']) for job in jobs] == [
        ('lmdb', 'lmdb:' + senders), ('cidr', 'cidr:' + clients)]
    # A new table: its whole content is built.
    assert jobs[0].plan.content.endswith('\nspammer@example.com REJECT\n')
    assert table_job.access_entries(jobs) == {'lmdb:' + senders: [('spammer@example.com', 'REJECT')]}


@pytest.fixture
def reload_postfix(postfix, tmp_path):
    """The fake Postfix whose transport_maps names the table "transport" (inside proxy:); reload_needs() on it."""
    postfix.main_cf['transport_maps'] = 'proxy:hash:%s/transport, hash:%s/other' % (tmp_path, tmp_path)

    def reload_needs(jobs, parameter_changes=None):
        return table_job.reload_needs(postfix, [(job.table_type, job.result['table'], job.plan) for job in jobs],
                                      parameter_changes)
    reload_needs.expanded = lambda: [call[2] for call in postfix.calls if call[:2] == ('postconf', ['expand'])]
    return reload_needs


def test_a_cidr_table_that_changed_needs_a_reload_an_indexed_one_that_nothing_caches_does_not(
        tmp_path, plan_jobs, reload_postfix):
    jobs = plan_jobs([spec(str(tmp_path / 'a'), type='cidr', rules=[{'pattern': '192.0.2.0/24', 'action': 'OK'}]),
                      spec(str(tmp_path / 'b'), type='hash', entries={'a': 'OK'})])
    assert reload_postfix(jobs) == [True, False]
    assert reload_postfix.expanded() == [['sender_dependent_relayhost_maps', 'smtp_sasl_password_maps',
                                          'smtp_tls_policy_maps', 'transport_maps']]


def test_a_changed_transport_table_needs_a_reload(tmp_path, plan_jobs, reload_postfix):
    jobs = plan_jobs([spec(str(tmp_path / 'transport'), type='hash', entries={'example.com': 'smtp:[mx]:587'}),
                      spec(str(tmp_path / 'relayhosts'), type='hash', entries={'@example.com': '[mx]'})])
    # Named live (inside proxy:, $name expanded), or by the main.cf this run writes.
    assert reload_postfix(jobs) == [True, False]
    relayhosts = {'sender_dependent_relayhost_maps': {'before': None, 'after': 'hash:%s/relayhosts' % tmp_path}}
    assert reload_postfix(jobs, relayhosts) == [True, True]
    # A run that takes the table out of transport_maps leaves it to nobody who caches it.
    dropped = {'transport_maps': {'before': 'hash:%s/transport' % tmp_path, 'after': None}}
    assert reload_postfix(jobs, dropped) == [False, False]


def test_a_table_named_through_a_planned_name_reference_needs_a_reload(tmp_path, plan_jobs, postfix, reload_postfix):
    jobs = plan_jobs([spec(str(tmp_path / 'routes'), type='hash', entries={'example.com': 'smtp:[mx]:587'})])
    # $maps_dir is live; ${routes} is set by the same run.
    postfix.main_cf['maps_dir'] = str(tmp_path)
    planned = {'transport_maps': {'before': None, 'after': 'hash:$maps_dir/routes'}}
    assert reload_postfix(jobs, planned) == [True]
    # One postconf run expands them, with the run's values as overrides.
    asked = [call[1] for call in postfix.calls if call[0] == 'postconf' and 'expand' in call[1]]
    assert asked[-1] == ['expand', ('override', 'transport_maps=hash:$maps_dir/routes')]
    planned = {'routes': {'before': None, 'after': 'hash:%s/routes' % tmp_path},
               'transport_maps': {'before': None, 'after': '${routes}'}}
    assert reload_postfix(jobs, planned) == [True]
    # A conditional whose name is empty gives the alternative only with ":".
    planned = {'transport_maps': {'before': None, 'after': '${no_such_name?hash:$maps_dir/routes}'}}
    assert reload_postfix(jobs, planned) == [False]


def test_an_unchanged_table_needs_no_reload_and_asks_postconf_nothing(tmp_path, plan_jobs, reload_postfix):
    transport = tmp_path / 'transport'
    transport.write_text('example.com smtp:[mx]:587\n')
    jobs = plan_jobs([spec(str(transport), type='texthash', entries={'example.com': 'smtp:[mx]:587'})])
    assert jobs[0].plan.build is None
    assert reload_postfix(jobs) == [False]
    assert reload_postfix.expanded() == []


@pytest.mark.parametrize('specs, error, message', [
    ([spec('/srv/t', entries={}), spec('/srv/t', entries={})], TableSourceError, '/srv/t is given more than once'),
    ([spec('/srv/t', type='regexp', rules=[])], TableTypeError, 'type "regexp" is not supported'),
    ([spec('/etc/postfix/main.cf', entries={})], TableSourceError, "Postfix's own main.cf"),
    ([spec('/srv/t', format='postalias', type='cidr', rules=[])], TableSourceError, 'format=postalias builds indexed'),
])
def test_tables_postconf_cannot_write_are_refused_before_anything_is_read(specs, error, message, plan_jobs, postfix):
    postfix.map_types.remove('regexp')  # a Postfix built without regexp tables
    with pytest.raises(error, match=message):
        plan_jobs(specs)


# ---------------------------------------------------------------------------
# tables[].secret_entries: the credentials in the transaction, hidden as postfix_map hides them

def test_secret_entries_of_tables_are_hidden_by_ansible():
    validated = ArgumentSpecValidator({'tables': table_job.TABLES_SPEC}).validate({'tables': [
        {'path': '/etc/postfix/sasl_passwd', 'secret_entries': {'[smtp.example.net]:587': 'relay:Secret1'}},
        {'path': '/etc/postfix/relay_transport', 'entries': {'example.com': 'smtp:[mx.example.net]:587'}}]})
    assert not validated.error_messages
    assert 'relay:Secret1' in validated._no_log_values
    # Only the secret values: the other tables' values stay visible.
    assert 'smtp:[mx.example.net]:587' not in validated._no_log_values


def test_tables_take_entries_or_rules_or_secret_entries():
    validated = ArgumentSpecValidator({'tables': table_job.TABLES_SPEC}).validate({'tables': [
        {'path': '/etc/postfix/sasl_passwd', 'entries': {}, 'secret_entries': {}}]})
    assert any('mutually exclusive' in message for message in validated.error_messages)


class _Module:
    def __init__(self, check_mode):
        self.check_mode = check_mode
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)


def test_an_sqlite_table_without_its_database_is_refused_and_not_looked_up_in_check_mode(tmp_path):
    params = {'path': '/etc/postfix/domains.cf', 'dbpath': str(tmp_path / 'virtual.sqlite')}
    with pytest.raises(TableSourceError, match='virtual.sqlite \\(dbpath\\) does not exist; Postfix would create it'):
        table_job.sqlite_database_exists(_Module(False), 'sqlite', params)
    check = _Module(True)
    assert table_job.sqlite_database_exists(check, 'sqlite', params) is False
    assert 'check mode did not look the table up' in check.warnings[0]
    (tmp_path / 'virtual.sqlite').write_bytes(b'')
    assert table_job.sqlite_database_exists(_Module(False), 'sqlite', params) is True
    assert table_job.sqlite_database_exists(_Module(False), 'mysql', {'path': '/etc/postfix/x.cf'}) is True


def test_the_sql_tables_the_run_writes_are_named_for_the_checks():
    class Staged:
        def __init__(self, source):
            self.files = None if source is None else type('Files', (), {'source': source})()

    def job(table_type, path, settings, build='new settings'):
        return table_job.Job({'path': path}, table_type, table_job.Plan(None, build, [], None, None, None, [], False,
                                                                        False, settings), {'table': table_type + ':' + path})
    jobs = [job('pgsql', '/etc/postfix/d.cf', [('hosts', 'db')]), job('hash', '/etc/postfix/a', None),
            job('sqlite', '/etc/postfix/m.cf', [('dbpath', '/x')]),
            job('mysql', '/etc/postfix/u.cf', [('hosts', 'db')], build=None)]
    staged = [Staged('/etc/postfix/.d.cf.x.tmp'), Staged('/etc/postfix/.a.y.tmp'), Staged(None), Staged(None)]
    # The sqlite table was not staged (a check run without its database): the checks still know the run writes it.
    # The mysql table is unchanged: its file is live.
    assert table_job.staged_sql_tables(jobs, staged) == {'pgsql:/etc/postfix/d.cf': 'pgsql:/etc/postfix/.d.cf.x.tmp',
                                                         'sqlite:/etc/postfix/m.cf': 'sqlite:/etc/postfix/m.cf'}
