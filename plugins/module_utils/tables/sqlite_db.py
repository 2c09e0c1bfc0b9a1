# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The virtual domains' own SQLite database: its schema, its rows read, planned, staged and installed.

For small sites the base role keeps the virtual mailbox domains, the mailboxes
and the virtual aliases in an SQLite file that Postfix reads through sqlite
tables (sqlite_table(5)), with the queries below. One way writes exactly the
rows given, for postfix_sqlite and for postconf's ``sqlite_databases`` (as the
base role does): stage() builds the new or changed file next to the live one
(a copy of it with the changes made in one SQLite transaction, or a new one),
reads it back and compares it with the wanted rows; install() renames it into
place through the run's atomic_file.Installation, so that a reader sees the
old file or the new one, never half of it, and a later failure of the run puts
the old file back; discard() throws away a copy that did not go live. postconf
looks the run's sqlite tables up against the copy first, and installs it only
when the whole postconf transaction goes live. Daemons that hold the old file
open (proxymap) read the new one after the reload that both modules then ask
for.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build

# The schema: table -> its columns (each TEXT NOT NULL; the whole row is the primary key).
SCHEMA = (
    ('domains', ('domain',)),
    ('mailboxes', ('address', 'mailbox')),
    ('aliases', ('address', 'goto')),
)
TABLES = tuple(name for name, dummy in SCHEMA)

# What Postfix asks of each table, by the base role's name for it (the main.cf parameter in brackets):
# mailbox_domains (virtual_mailbox_domains), mailboxes (virtual_mailbox_maps), aliases (virtual_alias_maps).
# An alias with several rows answers them joined by commas, in order.
QUERIES = {
    'mailbox_domains': "SELECT domain FROM domains WHERE domain = '%s'",
    'mailboxes': "SELECT mailbox FROM mailboxes WHERE address = '%s'",
    'aliases': "SELECT goto FROM aliases WHERE address = '%s' ORDER BY goto",
}

# The options of one database (postfix_sqlite's, and the items of postconf's sqlite_databases).
DATABASE_SPEC = {
    'path': {'type': 'path', 'required': True},
    'owner': {'type': 'str', 'default': 'root'},
    'group': {'type': 'str', 'default': 'postfix'},
    'mode': {'type': 'raw', 'default': '0640'},
    'domains': {'type': 'list', 'elements': 'str', 'default': []},
    'mailboxes': {'type': 'dict', 'default': {}},
    'aliases': {'type': 'dict', 'default': {}},
}

# ``create``: the file does not exist; ``tables``: table -> (added rows, removed rows), sorted; ``missing``: the
# tables of the schema the file lacks.
Plan = namedtuple('Plan', 'create tables missing')


class DatabaseError(MailopsError):
    """Rows that cannot be written, or a file that is not a database of this schema."""


def create_statement(table, columns):
    return 'CREATE TABLE %s (%s, PRIMARY KEY (%s))' % (
        table, ', '.join('%s TEXT NOT NULL' % column for column in columns), ', '.join(columns))


def wanted_rows(domains, mailboxes, aliases):
    """The rows of the three tables, from the module's options: table -> set of tuples.

    An alias target given as a list, or as text with commas, is one row per target.
    """
    rows = {'domains': set(), 'mailboxes': set(), 'aliases': set()}
    for domain in domains or []:
        rows['domains'].add((_text('domains', domain).lower(),))
    for address, mailbox in (mailboxes or {}).items():
        rows['mailboxes'].add((_text('mailboxes', address).lower(), _text('mailboxes', mailbox)))
    for address, targets in (aliases or {}).items():
        if isinstance(targets, str):
            targets = targets.split(',')
        if not isinstance(targets, list):
            raise DatabaseError('aliases: the target of %s must be an address or a list of them, not %r'
                                % (address, targets))
        targets = [str(target).strip() for target in targets if str(target).strip()]
        if not targets:
            raise DatabaseError('aliases: %s has no target' % address)
        for target in targets:
            rows['aliases'].add((_text('aliases', address).lower(), _text('aliases', target)))
    return rows


def _text(table, value):
    text = str(value).strip() if value is not None else ''
    if not text or '\x00' in text or '\n' in text:
        raise DatabaseError('%s: %r is empty or holds a line break or a NUL character' % (table, value))
    return text


def read(path):
    """The rows of the database at ``path`` (table -> set of tuples; a table the file lacks is absent), or None
    when there is no file. A file that has a table of these names with other columns is refused."""
    if not os.path.exists(path):
        return None
    uri = 'file:%s?mode=ro' % path.replace('?', '%3f').replace('#', '%23')
    try:
        connection = sqlite3.connect(uri, uri=True)
        try:
            rows = {}
            for table, columns in SCHEMA:
                found = tuple(row[1] for row in connection.execute('PRAGMA table_info(%s)' % table))
                if not found:
                    continue
                if found != columns:
                    raise DatabaseError('%s: its table %s has the columns %s, not %s: it is not a database of this '
                                        'schema (give another path)' % (path, table, ', '.join(found),
                                                                        ', '.join(columns)))
                rows[table] = set(connection.execute('SELECT %s FROM %s' % (', '.join(columns), table)))
            return rows
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseError('%s cannot be read as an SQLite database: %s' % (path, error))


def plan(current, wanted):
    """What a run changes: a Plan."""
    if current is None:
        return Plan(True, {table: (sorted(wanted[table]), []) for table in TABLES if wanted[table]}, list(TABLES))
    changes = {}
    for table in TABLES:
        before = current.get(table, set())
        added, removed = sorted(wanted[table] - before), sorted(before - wanted[table])
        if added or removed:
            changes[table] = (added, removed)
    return Plan(False, changes, [table for table in TABLES if table not in current])


def changed(db_plan):
    return db_plan.create or bool(db_plan.tables) or bool(db_plan.missing)


def _write(connection, db_plan):
    """The plan's statements, in the caller's transaction."""
    columns = dict(SCHEMA)
    for table in db_plan.missing:
        connection.execute(create_statement(table, columns[table]))
    for table, (added, removed) in sorted(db_plan.tables.items()):
        condition = ' AND '.join('%s = ?' % column for column in columns[table])
        connection.executemany('DELETE FROM %s WHERE %s' % (table, condition), removed)
        connection.executemany('INSERT INTO %s VALUES (%s)' % (table, ', '.join('?' * len(columns[table]))), added)


# A database of a postfix_sqlite or postconf run: the live ``path``; ``staged``, the file built to replace it (None:
# its rows are as wanted); the Plan, the wanted rows (table -> set), its Attributes, and whether the live file's
# attributes differ.
Staged = namedtuple('Staged', 'path staged plan wanted attributes attribute_fix')


def stage(module, spec):
    """Read, plan and build the database ``spec`` (DATABASE_SPEC's options) asks for: a Staged. The caller holds
    the database path's table lock (core.locking), from before this reads until install() or discard().

    The new file is a copy of the live one (SQLite's backup, a consistent
    snapshot) with the plan's changes made in one SQLite transaction, or a new
    one, built next to the live file so that install() is one rename; it is
    read back and must hold exactly the wanted rows. In check mode too, so that
    the run's sqlite tables are looked up against it; on a host without the
    file's directory, check mode builds it in the module's temporary directory
    and a real run creates the directory (mode 0755) first.
    """
    path = spec['path']
    wanted = wanted_rows(spec['domains'], spec['mailboxes'], spec['aliases'])
    if not module.check_mode:
        # The files an interrupted run left (the caller holds the database's lock): .NAME.XXXXXXXX.tmp.
        table_build.remove_leftovers('sqlite', path)
    current = read(path)
    db_plan = plan(current, wanted)
    attributes = file_attributes.resolve(spec['owner'], spec['group'], spec['mode'], None, 0o640)
    fix = current is not None and file_attributes.differs(os.stat(path), attributes)
    if not changed(db_plan):
        return Staged(path, None, db_plan, wanted, attributes, fix)
    directory, name = os.path.split(os.path.abspath(path))
    if not os.path.isdir(directory):
        if module.check_mode:
            directory = module.tmpdir
        else:
            os.makedirs(directory, 0o755)
    fd, staged = tempfile.mkstemp(prefix='.%s.' % name, suffix='.tmp', dir=directory)
    os.close(fd)
    try:
        _build(path if current is not None else None, staged, db_plan)
        if read(staged) != wanted:
            raise DatabaseError('%s changed while this run planned its rows (another writer?): nothing was changed; '
                                'run again' % path)
        atomic_file.set_attributes(module, staged, path, attributes)
    except BaseException:
        atomic_file.remove_quietly(staged)
        raise
    return Staged(path, staged, db_plan, wanted, attributes, fix)


def _build(live, staged, db_plan):
    """Make ``staged`` the live database (None: an empty one) with the plan's changes, in one SQLite transaction."""
    try:
        connection = sqlite3.connect(staged, isolation_level=None)
        try:
            # A private file until it goes live: a crash leaves it to be discarded, so no journal beside it.
            connection.execute('PRAGMA journal_mode = MEMORY')
            if live is not None:
                source = sqlite3.connect('file:%s?mode=ro' % live.replace('?', '%3f').replace('#', '%23'), uri=True)
                try:
                    source.backup(connection)
                finally:
                    source.close()
            connection.execute('BEGIN')
            _write(connection, db_plan)
            connection.execute('COMMIT')
        finally:
            connection.close()
        with open(staged, 'rb') as handle:
            os.fsync(handle.fileno())
    except sqlite3.DatabaseError as error:
        raise DatabaseError('the new %s could not be built (nothing was changed): %s' % (live or staged, error))


def discard(database):
    """Remove a staged database that did not go live (install() renamed it otherwise)."""
    if database.staged:
        atomic_file.remove_quietly(database.staged)


def install(database, installation):
    """Rename the staged database into place through the run's ``installation`` (atomic_file.Installation), which
    puts the previous file back if a later step fails; or fix the live file's attributes."""
    if database.staged:
        installation.install(database.staged, database.path)
    elif database.attribute_fix:
        file_attributes.apply(database.path, database.attributes)


def report(database, with_diff):
    """The database's result: path, changed, created, changes and rows (as postfix_sqlite returns them), and
    ``with_diff`` its diff."""
    db_plan = database.plan
    result = {'path': database.path, 'changed': database.staged is not None or database.attribute_fix,
              'created': db_plan.create, 'changes': change_counts(db_plan),
              'rows': {table: len(database.wanted[table]) for table in TABLES}}
    if with_diff and db_plan.tables:
        result['diff'] = diff(database.path, db_plan)
    return result


def change_counts(db_plan):
    """Per table, the number of rows added and removed."""
    return {table: {'added': len(db_plan.tables.get(table, ([], []))[0]),
                    'removed': len(db_plan.tables.get(table, ([], []))[1])} for table in TABLES}


def diff_lines(rows):
    """Rows as diff lines: "table: value | value"."""
    return ''.join('%s: %s\n' % (table, ' | '.join(row)) for table, row in rows)


def diff(path, db_plan):
    """The changed rows, removed before and added after."""
    before = [(table, row) for table, (dummy, removed) in sorted(db_plan.tables.items()) for row in removed]
    after = [(table, row) for table, (added, dummy) in sorted(db_plan.tables.items()) for row in added]
    return {'before_header': '%s (changed rows)' % path, 'after_header': '%s (changed rows)' % path,
            'before': diff_lines(before), 'after': diff_lines(after)}
