# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/transaction/run.py: sqlite tables looked up against the database the run stages."""

from __future__ import annotations

from unittest.mock import MagicMock

from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sql
from ansible_collections.mailops.postfix.plugins.module_utils.transaction import run

LIVE = '/var/lib/mailops-postfix/virtual.sqlite'
STAGED = '/var/lib/mailops-postfix/.virtual.sqlite.abcd1234.tmp'


def job(table_type, settings):
    plan = table_job.Plan(None, None, [], None, None, None, [], False, False, settings)
    return table_job.Job({'path': '/etc/postfix/t.cf'}, table_type, plan, {'table': '%s:/etc/postfix/t.cf' % table_type})


def test_an_sqlite_table_of_a_staged_database_is_looked_up_through_settings_naming_the_staged_file(tmp_path):
    module = MagicMock(tmpdir=str(tmp_path))
    settings = [('dbpath', LIVE), ('query', "SELECT domain FROM domains WHERE domain = '%s'")]
    path = run.lookup_settings(module, job('sqlite', settings), {LIVE: STAGED})
    assert path.startswith(str(tmp_path))
    with open(path) as handle:
        written = {name: value for name, value, dummy in sql.parse(handle.read())}
    assert written == {'dbpath': STAGED, 'query': "SELECT domain FROM domains WHERE domain = '%s'"}


def test_other_tables_are_looked_up_as_they_are(tmp_path):
    module = MagicMock(tmpdir=str(tmp_path))
    other = [('dbpath', '/var/lib/app.sqlite'), ('query', 'SELECT 1')]
    assert run.lookup_settings(module, job('sqlite', other), {LIVE: STAGED}) is None
    assert run.lookup_settings(module, job('hash', None), {LIVE: STAGED}) is None
    assert run.lookup_settings(module, job('sqlite', [('dbpath', LIVE)]), {}) is None
