# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/tables/sqlite_db.py: the virtual domains' SQLite database."""

from __future__ import annotations

import os
import sqlite3
from unittest.mock import MagicMock

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.file_attributes import Attributes
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sqlite_db


def module():
    fake = MagicMock()
    fake.selinux_enabled.return_value = False
    return fake


def attributes():
    return Attributes(os.geteuid(), os.getegid(), 0o640)


WANTED = sqlite_db.wanted_rows(['VMail.example'], {'Alice@vmail.example': 'vmail.example/alice/'},
                               {'sales@vmail.example': 'alice@vmail.example, bob@example.org',
                                'info@vmail.example': ['alice@vmail.example']})


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
    first = sqlite_db.plan(None, WANTED)
    assert first.create and first.missing == list(sqlite_db.TABLES)
    sqlite_db.apply(module(), path, first, attributes())
    assert sqlite_db.read(path) == WANTED
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert os.listdir(str(tmp_path)) == ['virtual.sqlite']
    # Equal rows: nothing to do.
    assert not sqlite_db.changed(sqlite_db.plan(sqlite_db.read(path), WANTED))
    wanted = sqlite_db.wanted_rows(['vmail.example'], {'alice@vmail.example': 'vmail.example/alice/'},
                                   {'sales@vmail.example': 'bob@example.org'})
    second = sqlite_db.plan(sqlite_db.read(path), wanted)
    assert second.tables == {'aliases': ([], [('info@vmail.example', 'alice@vmail.example'),
                                              ('sales@vmail.example', 'alice@vmail.example')])}
    assert sqlite_db.diff(path, second)['before'] == ('aliases: info@vmail.example | alice@vmail.example\n'
                                                      'aliases: sales@vmail.example | alice@vmail.example\n')
    sqlite_db.apply(module(), path, second, attributes())
    assert sqlite_db.read(path) == wanted


def test_the_queries_answer_from_the_schema(tmp_path):
    path = str(tmp_path / 'virtual.sqlite')
    sqlite_db.apply(module(), path, sqlite_db.plan(None, WANTED), attributes())
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
    db_plan = sqlite_db.plan(sqlite_db.read(str(path)), WANTED)
    assert not db_plan.create and db_plan.missing == list(sqlite_db.TABLES)
    sqlite_db.apply(module(), str(path), db_plan, attributes())
    assert sqlite_db.read(str(path)) == WANTED
