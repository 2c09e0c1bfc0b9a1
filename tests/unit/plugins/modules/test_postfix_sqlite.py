# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the postfix_sqlite module on a real SQLite file and the fake Postfix (tests/unit/conftest.py): the file
is staged next to the live one, read back and renamed into place (sqlite_db.stage(), postconf's builder), then a
running Postfix is reloaded."""

from __future__ import annotations

import functools
import os
import sqlite3

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import Locks
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sqlite_db
from ansible_collections.mailops.postfix.plugins.modules import postfix_sqlite

ROWS = {'domains': ['vmail.example'], 'mailboxes': {'alice@vmail.example': 'vmail.example/alice/'},
        'aliases': {'sales@vmail.example': ['alice@vmail.example', 'bob@example.org']}}


@pytest.fixture
def run(run_module, monkeypatch, tmp_path):
    """run(check_mode=False, **options): postfix_sqlite on tmp_path/db/virtual.sqlite, its lock in tmp_path/locks."""
    monkeypatch.setattr(postfix_sqlite, 'Locks', functools.partial(Locks, directory=str(tmp_path / 'locks')))

    def run_it(check_mode=False, **options):
        args = dict(ROWS, path=str(tmp_path / 'db' / 'virtual.sqlite'), owner='root', group='root', _ansible_diff=True)
        args.update(options)
        return run_module(postfix_sqlite, check_mode=check_mode, **args)
    return run_it


def reloads(postfix):
    return [call for call in postfix.calls if call in (('postfix', ['reload']),)]


def test_check_mode_predicts_a_new_database_and_leaves_nothing(run, postfix, tmp_path):
    predicted = run(check_mode=True)
    assert (predicted['changed'], predicted['created'], predicted['reloaded']) == (True, True, True)
    assert not (tmp_path / 'db').exists()  # built in the module's temporary directory, and thrown away
    assert reloads(postfix) == []
    real = run()
    for key in ('changed', 'created', 'changes', 'rows', 'reloaded', 'diff'):
        assert predicted[key] == real[key], key
    assert reloads(postfix) == [('postfix', ['reload'])]
    assert os.listdir(str(tmp_path / 'db')) == ['virtual.sqlite']  # no staged copy left beside it
    assert sqlite_db.read(str(tmp_path / 'db' / 'virtual.sqlite')) == sqlite_db.wanted_rows(**ROWS)
    assert os.stat(str(tmp_path / 'db' / 'virtual.sqlite')).st_mode & 0o777 == 0o640


def test_a_second_run_changes_nothing_and_does_not_reload(run, postfix):
    run()
    again = run()
    assert (again['changed'], again['reloaded']) == (False, False)
    assert again['changes']['aliases'] == {'added': 0, 'removed': 0}
    assert reloads(postfix) == []


def test_a_change_is_a_new_file_renamed_into_place_so_a_reader_keeps_the_old_rows(run, postfix, tmp_path):
    run()
    path = str(tmp_path / 'db' / 'virtual.sqlite')
    with sqlite3.connect(path) as connection:
        connection.execute('CREATE TABLE notes (text TEXT)')
        connection.execute("INSERT INTO notes VALUES ('kept')")
    reader = sqlite3.connect(path)  # a daemon that holds the file open, as proxymap does
    inode = os.stat(path).st_ino
    try:
        result = run(domains=['vmail.example', 'other.example'], aliases={})
        assert result['changed'] and result['reloaded'] and not result['created']
        assert result['changes']['domains'] == {'added': 1, 'removed': 0}
        assert result['changes']['aliases'] == {'added': 0, 'removed': 2}
        assert result['diff']['after'] == 'domains: other.example\n'
        assert os.stat(path).st_ino != inode  # not changed in place
        assert sqlite_db.read(path)['domains'] == {('vmail.example',), ('other.example',)}
        assert list(sqlite3.connect(path).execute('SELECT text FROM notes')) == [('kept',)]
        # Until the reload, a process that opened the old file reads the old rows.
        assert [row[0] for row in reader.execute('SELECT domain FROM domains')] == ['vmail.example']
    finally:
        reader.close()
    assert os.listdir(os.path.dirname(path)) == ['virtual.sqlite']


def test_a_failed_reload_puts_the_previous_file_back(run, postfix, tmp_path):
    run()
    path = str(tmp_path / 'db' / 'virtual.sqlite')
    with open(path, 'rb') as handle:
        before = handle.read()
    postfix.answers['reload'] = (1, 'postfix/postfix-script: fatal: the Postfix mail system is not running')
    failed = run(domains=['other.example'])
    assert failed['failed'] and 'nothing of this run is live (the previous %s put back)' % path in failed['msg']
    with open(path, 'rb') as handle:
        assert handle.read() == before
    assert os.listdir(os.path.dirname(path)) == ['virtual.sqlite']


def test_reload_false_leaves_the_reload_to_a_handler(run, postfix):
    result = run(reload=False)
    assert (result['changed'], result['reloaded'], result['reload_needed']) == (True, False, True)
    assert reloads(postfix) == []


def test_bad_rows_are_refused_before_anything_is_built(run, postfix, tmp_path):
    run()
    path = str(tmp_path / 'db' / 'virtual.sqlite')
    with open(path, 'rb') as handle:
        before = handle.read()
    failed = run(aliases={'info@vmail.example': ''})
    assert failed['failed'] and failed['msg'] == 'aliases: info@vmail.example has no target'
    with open(path, 'rb') as handle:
        assert handle.read() == before
    assert os.listdir(os.path.dirname(path)) == ['virtual.sqlite'] and reloads(postfix) == []
