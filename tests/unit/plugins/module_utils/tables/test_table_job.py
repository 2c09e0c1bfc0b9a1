# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for table_job.py: the tables of a postconf run, planned as postfix_map plans one."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import TableTypeError


class FakeRunner:
    """postconf's answers for a host whose default_database_type is lmdb."""

    config_dir = '/etc/postfix'

    def run(self, tool, options, args=(), **kwargs):
        if options == ['map_types']:
            return 0, 'cidr\nhash\nlmdb\npcre\ntexthash\n', ''
        if args == ['default_database_type']:
            return 0, 'lmdb\n', ''
        if args == ['config_directory']:
            return 0, '/etc/postfix\n', ''
        return 0, '', ''


def plan_jobs(specs, locked=None):
    return table_job.plan_jobs(FakeRunner(), specs, (locked if locked is not None else []).append)


def spec(path, **fields):
    return dict({'name': None, 'path': path, 'type': None, 'entries': None, 'rules': None, 'format': 'postmap',
                 'access': False}, **fields)


def test_each_table_is_locked_typed_and_planned(tmp_path):
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


class ReloadParametersRunner(FakeRunner):
    """postconf -x for the reload parameters: transport_maps names the table "transport" (through $config_directory,
    expanded); the calls are counted."""

    def __init__(self, directory):
        self.directory = directory
        self.expanded = []

    def run(self, tool, options, args=(), **kwargs):
        if options == ['expand']:
            self.expanded.append(list(args))
            return 0, ''.join('%s = %s\n' % (name, 'proxy:hash:%s/transport, hash:%s/other' % (
                self.directory, self.directory) if name == 'transport_maps' else '') for name in args), ''
        return FakeRunner.run(self, tool, options, args, **kwargs)


def reload_needs(runner, jobs, parameter_changes=None):
    return table_job.reload_needs(runner, [(job.table_type, job.result['table'], job.plan) for job in jobs],
                                  parameter_changes)


def test_a_cidr_table_that_changed_needs_a_reload_an_indexed_one_that_nothing_caches_does_not(tmp_path):
    jobs = plan_jobs([spec(str(tmp_path / 'a'), type='cidr', rules=[{'pattern': '192.0.2.0/24', 'action': 'OK'}]),
                      spec(str(tmp_path / 'b'), type='hash', entries={'a': 'OK'})])
    runner = ReloadParametersRunner(str(tmp_path))
    assert reload_needs(runner, jobs) == [True, False]
    assert runner.expanded == [['sender_dependent_relayhost_maps', 'smtp_sasl_password_maps', 'smtp_tls_policy_maps',
                                'transport_maps']]


def test_a_changed_transport_table_needs_a_reload(tmp_path):
    jobs = plan_jobs([spec(str(tmp_path / 'transport'), type='hash', entries={'example.com': 'smtp:[mx]:587'}),
                      spec(str(tmp_path / 'relayhosts'), type='hash', entries={'@example.com': '[mx]'})])
    # Named live (inside proxy:, $name expanded), or by the main.cf this run writes.
    assert reload_needs(ReloadParametersRunner(str(tmp_path)), jobs) == [True, False]
    relayhosts = {'sender_dependent_relayhost_maps': {'before': None, 'after': 'hash:%s/relayhosts' % tmp_path}}
    assert reload_needs(ReloadParametersRunner(str(tmp_path)), jobs, relayhosts) == [True, True]
    # A run that takes the table out of transport_maps leaves it to nobody who caches it.
    dropped = {'transport_maps': {'before': 'hash:%s/transport' % tmp_path, 'after': None}}
    assert reload_needs(ReloadParametersRunner(str(tmp_path)), jobs, dropped) == [False, False]


def test_an_unchanged_table_needs_no_reload_and_asks_postconf_nothing(tmp_path):
    transport = tmp_path / 'transport'
    transport.write_text('example.com smtp:[mx]:587\n')
    jobs = plan_jobs([spec(str(transport), type='texthash', entries={'example.com': 'smtp:[mx]:587'})])
    assert jobs[0].plan.build is None
    runner = ReloadParametersRunner(str(tmp_path))
    assert reload_needs(runner, jobs) == [False]
    assert runner.expanded == []


@pytest.mark.parametrize('specs, error, message', [
    ([spec('/srv/t', entries={}), spec('/srv/t', entries={})], TableSourceError, '/srv/t is given more than once'),
    ([spec('/srv/t', type='regexp', rules=[])], TableTypeError, 'type "regexp" is not supported'),
    ([spec('/etc/postfix/main.cf', entries={})], TableSourceError, "Postfix's own main.cf"),
    ([spec('/srv/t', format='postalias', type='cidr', rules=[])], TableSourceError, 'format=postalias builds indexed'),
])
def test_tables_postconf_cannot_write_are_refused_before_anything_is_read(specs, error, message):
    with pytest.raises(error, match=message):
        plan_jobs(specs)
