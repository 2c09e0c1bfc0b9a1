# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/tables/build.py on temporary files: leftovers of interrupted runs, install order."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build

# What interrupted runs leave next to /etc/postfix/access: the staged source,
# what postmap built from it, and (Berkeley DB on a full disk) the empty
# temporary file of that build, checked on Postfix 3.7 and 3.10.
STAGED_SOURCE = '.access.k2j4x9q_.tmp'
STAGED_DB = STAGED_SOURCE + '.db'
BERKELEY_DB_TEMPORARY = '__db.' + STAGED_DB
# Files that are not this collection's staged files of this table.
NOT_OURS = [
    'access', 'access.db',
    '__db.access.db',                     # a by-hand "postmap access" that failed
    '__db..access.k2j4x9q_.tmp',          # Berkeley DB never makes this one (no .db)
    '__db..virtual.k2j4x9q_.tmp.db',      # another table's
    '__db..access.k2j4.tmp.db',           # not a staged name (mkstemp's eight characters)
    'x__db..access.k2j4x9q_.tmp.db',
    '.access.k2j4x9q_.tmp.db.bak',
]


@pytest.fixture
def directory(tmp_path):
    for name in [STAGED_SOURCE, STAGED_DB, BERKELEY_DB_TEMPORARY] + NOT_OURS:
        (tmp_path / name).write_bytes(b'')
    return tmp_path


@pytest.mark.parametrize('table_type', ['hash', 'btree'])
def test_leftovers_of_a_berkeley_db_table_include_its_temporary_file(directory, table_type):
    path = str(directory / 'access')
    expected = sorted(str(directory / name) for name in (STAGED_SOURCE, STAGED_DB, BERKELEY_DB_TEMPORARY))
    assert table_build.leftovers(table_type, path) == expected
    assert table_build.remove_leftovers(table_type, path) == expected
    assert sorted(os.listdir(directory)) == sorted(NOT_OURS)


@pytest.mark.parametrize('table_type, expected', [
    pytest.param('cdb', [STAGED_SOURCE], id='cdb-builds-no-db-file'),
    pytest.param('pcre', [STAGED_SOURCE], id='pcre-builds-nothing'),
])
def test_other_types_leave_berkeley_db_names_alone(directory, table_type, expected):
    assert table_build.leftovers(table_type, str(directory / 'access')) == [str(directory / name) for name in expected]


def test_leftovers_next_to_a_symlinked_table_and_its_target(tmp_path):
    tables = tmp_path / 'tables'
    tables.mkdir()
    (tables / 'access.real').write_text('a OK\n')
    (tmp_path / 'access').symlink_to(tables / 'access.real')
    # The source is staged next to the target, the compiled table (and its temporary file) next to the link.
    for name in ('.access.real.abcdefgh.tmp', '.access.real.abcdefgh.tmp.db'):
        (tables / name).write_bytes(b'')
    for name in ('.access.ABCDEFGH.tmp', '.access.ABCDEFGH.tmp.db', '__db..access.ABCDEFGH.tmp.db'):
        (tmp_path / name).write_bytes(b'')
    assert table_build.leftovers('hash', str(tmp_path / 'access')) == sorted([
        str(tables / '.access.real.abcdefgh.tmp'), str(tables / '.access.real.abcdefgh.tmp.db'),
        str(tmp_path / '.access.ABCDEFGH.tmp'), str(tmp_path / '.access.ABCDEFGH.tmp.db'),
        str(tmp_path / '__db..access.ABCDEFGH.tmp.db')])


def test_the_live_source_is_never_newer_than_its_compiled_table(tmp_path, monkeypatch):
    # A daemon that finds the source newer than access.db logs that the table is out of date; between the
    # renames of one install, that must never be so.
    live = {'access': tmp_path / 'access', 'access.db': tmp_path / 'access.db'}
    staged = {'access': tmp_path / '.access.abcdefgh.tmp', 'access.db': tmp_path / '.access.abcdefgh.tmp.db'}
    for name, mtime in (('access', 1000), ('access.db', 1000)):
        live[name].write_text('old %s\n' % name)
        os.utime(live[name], (mtime, mtime))
    for name, mtime in (('access', 2000), ('access.db', 2001)):
        staged[name].write_text('new %s\n' % name)
        os.utime(staged[name], (mtime, mtime))
    moments = []
    real_install = atomic_file.install

    def watching_install(temp_path, path):
        real_install(temp_path, path)
        moments.append((os.path.basename(path), live['access'].stat().st_mtime <= live['access.db'].stat().st_mtime))

    monkeypatch.setattr(atomic_file, 'install', watching_install)
    table_build.install(table_build.Staged(str(staged['access']), str(live['access']),
                                           [(str(staged['access.db']), str(live['access.db']))], None, []), True)
    assert moments == [('access.db', True), ('access', True)]
    assert [live[name].read_text() for name in ('access', 'access.db')] == ['new access\n', 'new access.db\n']
    assert sorted(os.listdir(tmp_path)) == ['access', 'access.db']
