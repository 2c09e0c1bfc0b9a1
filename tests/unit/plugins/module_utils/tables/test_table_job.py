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


def test_a_cidr_table_that_changed_needs_a_reload_an_indexed_one_does_not(tmp_path):
    jobs = plan_jobs([spec(str(tmp_path / 'a'), type='cidr', rules=[{'pattern': '192.0.2.0/24', 'action': 'OK'}]),
                      spec(str(tmp_path / 'b'), type='hash', entries={'a': 'OK'})])
    assert [table_job.needs_reload(job.table_type, job.plan) for job in jobs] == [True, False]


@pytest.mark.parametrize('specs, error, message', [
    ([spec('/srv/t', entries={}), spec('/srv/t', entries={})], TableSourceError, '/srv/t is given more than once'),
    ([spec('/srv/t', type='regexp', rules=[])], TableTypeError, 'type "regexp" is not supported'),
    ([spec('/etc/postfix/main.cf', entries={})], TableSourceError, "Postfix's own main.cf"),
    ([spec('/srv/t', format='postalias', type='cidr', rules=[])], TableSourceError, 'format=postalias builds indexed'),
])
def test_tables_postconf_cannot_write_are_refused_before_anything_is_read(specs, error, message):
    with pytest.raises(error, match=message):
        plan_jobs(specs)
