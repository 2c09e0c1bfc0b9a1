# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/tables/sqlite_db.py: the virtual domains' SQLite database, staged and installed
(postfix_sqlite's and postconf's one builder)."""

from __future__ import annotations

import os
import sqlite3
from unittest.mock import MagicMock

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sqlite_db


def module():
    fake = MagicMock()
    fake.selinux_enabled.return_value = False
    return fake


ROWS = {'domains': ['VMail.example'], 'mailboxes': {'Alice@vmail.example': 'vmail.example/alice/'},
        'aliases': {'sales@vmail.example': 'alice@vmail.example, bob@example.org',
                    'info@vmail.example': ['alice@vmail.example']}}
WANTED = sqlite_db.wanted_rows(**ROWS)


def write(path, rows):
    """Stage the database with ``rows`` and install it, as postfix_sqlite and postconf do; its Staged."""
    tmpdir = os.path.join(os.path.dirname(path), 'module-tmp')
    os.makedirs(tmpdir, exist_ok=True)
    fake = module()
    fake.check_mode, fake.tmpdir = False, tmpdir
    database = sqlite_db.stage(fake, dict(rows, path=path, owner=None, group=None, mode='0640'))
    installation = atomic_file.Installation()
    sqlite_db.install(database, installation)
    installation.done()
    sqlite_db.discard(database)
    os.rmdir(tmpdir)
    return database


def test_rows_are_lower_case_keys_and_one_row_per_alias_target():
    assert WANTED == {'domains': {('vmail.example',)},
                      'mailboxes': {('alice@vmail.example', 'vmail.example/alice/')},
                      'aliases': {('sales@vmail.example', 'alice@vmail.example'),
                                  ('sales@vmail.example', 'bob@example.org'),
                                  ('info@vmail.example', 'alice@vmail.example')}}


@pytest.mark.parametrize('aliases, message', [
    ({'a@b.example': ''}, 'a@b.example has no target'),
    ({'a@b.example': 5}, 'must be an address or a list'),
    ({'a@b.example': ['x\x00y']}, 'holds a line break or a NUL'),
])
def test_bad_rows_are_refused(aliases, message):
    with pytest.raises(sqlite_db.DatabaseError, match=message):
        sqlite_db.wanted_rows([], {}, aliases)


def test_a_new_database_then_exactly_the_changed_rows(tmp_path):
    path = str(tmp_path / 'virtual.sqlite')
    assert sqlite_db.read(path) is None
    first = write(path, ROWS).plan
    assert first.create and first.missing == list(sqlite_db.TABLES)
    assert sqlite_db.read(path) == WANTED
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert os.listdir(str(tmp_path)) == ['virtual.sqlite']
    # Equal rows: nothing to do.
    assert not sqlite_db.changed(sqlite_db.plan(sqlite_db.read(path), WANTED))
    rows = {'domains': ['vmail.example'], 'mailboxes': {'alice@vmail.example': 'vmail.example/alice/'},
            'aliases': {'sales@vmail.example': 'bob@example.org'}}
    second = write(path, rows).plan
    assert second.tables == {'aliases': ([], [('info@vmail.example', 'alice@vmail.example'),
                                              ('sales@vmail.example', 'alice@vmail.example')])}
    assert sqlite_db.diff(path, second)['before'] == ('aliases: info@vmail.example | alice@vmail.example\n'
                                                      'aliases: sales@vmail.example | alice@vmail.example\n')
    assert sqlite_db.read(path) == sqlite_db.wanted_rows(**rows)
    assert os.listdir(str(tmp_path)) == ['virtual.sqlite']


def test_the_queries_answer_from_the_schema(tmp_path):
    path = str(tmp_path / 'virtual.sqlite')
    write(path, ROWS)
    connection = sqlite3.connect(path)
    try:
        def ask(name, key):
            return [row[0] for row in connection.execute(sqlite_db.QUERIES[name].replace('%s', key))]
        assert ask('mailbox_domains', 'vmail.example') == ['vmail.example']
        assert ask('mailboxes', 'alice@vmail.example') == ['vmail.example/alice/']
        assert ask('aliases', 'sales@vmail.example') == ['alice@vmail.example', 'bob@example.org']
        assert ask('aliases', 'nobody@vmail.example') == []
    finally:
        connection.close()


def test_a_database_of_another_schema_is_refused(tmp_path):
    path = str(tmp_path / 'app.sqlite')
    connection = sqlite3.connect(path)
    connection.execute('CREATE TABLE aliases (source TEXT, destination TEXT)')
    connection.commit()
    connection.close()
    with pytest.raises(sqlite_db.DatabaseError, match='table aliases has the columns source, destination'):
        sqlite_db.read(path)


def test_a_file_that_is_no_database_is_refused(tmp_path):
    path = tmp_path / 'text.sqlite'
    path.write_text('not a database, but long enough to be read as a header of one ' * 4)
    with pytest.raises(sqlite_db.DatabaseError, match='cannot be read as an SQLite database'):
        sqlite_db.read(str(path))


def test_an_empty_file_gets_the_schema(tmp_path):
    # As Postfix leaves it when it opens a database that did not exist.
    path = tmp_path / 'empty.sqlite'
    path.write_bytes(b'')
    db_plan = write(str(path), ROWS).plan
    assert not db_plan.create and db_plan.missing == list(sqlite_db.TABLES)
    assert sqlite_db.read(str(path)) == WANTED


def staging_module(tmp_path, check_mode=False):
    fake = module()
    fake.check_mode = check_mode
    fake.tmpdir = str(tmp_path / 'module-tmp')
    os.makedirs(fake.tmpdir, exist_ok=True)
    return fake


def spec(path, domains=('vmail.example',), aliases=None):
    return {'path': path, 'owner': None, 'group': None, 'mode': '0640', 'domains': list(domains),
            'mailboxes': {'alice@vmail.example': 'vmail.example/alice/'}, 'aliases': aliases or {}}


def checksum(path):
    with open(path, 'rb') as handle:
        return handle.read()


def test_a_staged_database_leaves_the_live_file_as_it_was_until_installed(tmp_path):
    path = str(tmp_path / 'virtual.sqlite')
    write(path, {'domains': ['old.example'], 'mailboxes': {'alice@vmail.example': 'vmail.example/alice/'}, 'aliases': {}})
    # Another table of the file is kept.
    connection = sqlite3.connect(path)
    connection.execute('CREATE TABLE notes (text TEXT)')
    connection.execute("INSERT INTO notes VALUES ('kept')")
    connection.commit()
    connection.close()
    before = checksum(path)
    # What an interrupted run left is removed.
    (tmp_path / '.virtual.sqlite.a1b2c3d4.tmp').write_bytes(b'half')
    database = sqlite_db.stage(staging_module(tmp_path), spec(path))
    assert not (tmp_path / '.virtual.sqlite.a1b2c3d4.tmp').exists()
    assert os.path.dirname(database.staged) == str(tmp_path) and os.path.basename(database.staged).startswith(
        '.virtual.sqlite.')
    assert checksum(path) == before
    assert sqlite_db.read(database.staged)['domains'] == {('vmail.example',)}
    assert sqlite_db.report(database, True)['changes']['domains'] == {'added': 1, 'removed': 1}
    # Refused: discarded, nothing left beside the live file.
    sqlite_db.discard(database)
    assert checksum(path) == before and sorted(os.listdir(str(tmp_path))) == ['module-tmp', 'virtual.sqlite']
    # Goes live: one rename, through the run's installation, which can put the old file back.
    database = sqlite_db.stage(staging_module(tmp_path), spec(path))
    installation = atomic_file.Installation()
    sqlite_db.install(database, installation)
    assert sqlite_db.read(path)['domains'] == {('vmail.example',)}
    assert list(sqlite3.connect(path).execute('SELECT text FROM notes')) == [('kept',)]
    installation.undo()
    assert checksum(path) == before
    # Equal rows: nothing staged, nothing changed.
    database = sqlite_db.stage(staging_module(tmp_path), spec(path, domains=['old.example']))
    assert database.staged is None


def test_check_mode_stages_a_new_database_in_the_temporary_directory_when_its_directory_is_missing(tmp_path):
    path = str(tmp_path / 'missing' / 'virtual.sqlite')
    database = sqlite_db.stage(staging_module(tmp_path, check_mode=True), spec(path))
    assert os.path.dirname(database.staged) == str(tmp_path / 'module-tmp')
    assert not os.path.exists(os.path.dirname(path))
    assert sqlite_db.read(database.staged)['domains'] == {('vmail.example',)}
    result = sqlite_db.report(database, True)
    assert result['changed'] and result['created'] and result['rows'] == {'domains': 1, 'mailboxes': 1, 'aliases': 0}
    assert result['diff']['after'] == ('domains: vmail.example\n'
                                       'mailboxes: alice@vmail.example | vmail.example/alice/\n')
    sqlite_db.discard(database)
    # A real run creates the directory and stages next to the path.
    database = sqlite_db.stage(staging_module(tmp_path), spec(path))
    assert os.path.dirname(database.staged) == os.path.dirname(path)
    sqlite_db.discard(database)


def test_a_database_of_another_schema_is_refused_before_anything_is_staged(tmp_path):
    path = str(tmp_path / 'app.sqlite')
    connection = sqlite3.connect(path)
    connection.execute('CREATE TABLE domains (name TEXT)')
    connection.commit()
    connection.close()
    with pytest.raises(sqlite_db.DatabaseError, match='table domains has the columns name'):
        sqlite_db.stage(staging_module(tmp_path), spec(path))
    assert sorted(os.listdir(str(tmp_path))) == ['app.sqlite', 'module-tmp']
