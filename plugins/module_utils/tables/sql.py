# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL lookup tables: the client configuration file of sqlite_table(5), mysql_table(5) and pgsql_table(5).

The file holds ``name = value`` settings (how to reach the database and the
query); the rows live in the database. postfix_map writes it from structured
options, and postconf's ``tables`` from the same options per table. Here: which
options each type takes, the file rendered from them and read back, and the
settings as results and diffs show them (the password as secrets.MASK).

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over data, but for missing_database() and sqlite_dbpath(), which look at files; nothing here
runs a command.
"""

from __future__ import annotations

import os

from ansible_collections.mailops.postfix.plugins.module_utils.core.secrets import MASK, shown_value
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import Changes, Entry, TableSourceError
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import SQL_TYPES

# The settings in the order the file holds them, each with the types that read it
# (the Postfix 3.7 and 3.10 manual pages; mysql's TLS settings since Postfix 2.11).
SETTINGS = (
    ('hosts', ('mysql', 'pgsql')),
    ('dbpath', ('sqlite',)),
    ('user', ('mysql', 'pgsql')),
    ('password', ('mysql', 'pgsql')),
    ('dbname', ('mysql', 'pgsql')),
    ('query', ('mysql', 'pgsql', 'sqlite')),
    ('result_format', ('mysql', 'pgsql', 'sqlite')),
    ('domain', ('mysql', 'pgsql', 'sqlite')),
    ('expansion_limit', ('mysql', 'pgsql', 'sqlite')),
    ('tls_cert_file', ('mysql',)),
    ('tls_key_file', ('mysql',)),
    ('tls_CAfile', ('mysql',)),
    ('tls_CApath', ('mysql',)),
    ('tls_verify_cert', ('mysql',)),
    ('tls_ciphers', ('mysql',)),
)
SETTING_NAMES = tuple(name for name, dummy in SETTINGS)

# Settings without which the type cannot work.
REQUIRED = {'mysql': ('hosts', 'dbname', 'query'), 'pgsql': ('hosts', 'dbname', 'query'), 'sqlite': ('dbpath', 'query')}

# The argument spec of these options, postfix_map's and each item's of postconf's tables.
OPTIONS_SPEC = {
    'hosts': {'type': 'list', 'elements': 'str'},
    'dbpath': {'type': 'str'},
    'user': {'type': 'str'},
    'password': {'type': 'str', 'no_log': True},
    'dbname': {'type': 'str'},
    'query': {'type': 'str'},
    'result_format': {'type': 'str'},
    'domain': {'type': 'list', 'elements': 'str'},
    'expansion_limit': {'type': 'int'},
    'tls_cert_file': {'type': 'str'},
    'tls_key_file': {'type': 'str', 'no_log': False},
    'tls_CAfile': {'type': 'str'},
    'tls_CApath': {'type': 'str'},
    'tls_verify_cert': {'type': 'bool'},
    'tls_ciphers': {'type': 'str'},
    'probe_key': {'type': 'str', 'no_log': False},
}

# Options of file tables that an SQL table does not take, with the value that means "not given".
FILE_TABLE_OPTIONS = (('entries', None), ('rules', None), ('secret_entries', None), ('remove_keys', None),
                      ('exclusive', True), ('format', 'postmap'), ('follow', False), ('access', False))

HEADER = '# %s settings, written by mailops.postfix.\n'


def check_options(table_type, params):
    """Refuse the options that ``table_type`` does not take, and missing required ones; raise TableSourceError."""
    given = [name for name in SETTING_NAMES + ('probe_key',) if params.get(name) is not None]
    if table_type not in SQL_TYPES:
        if given:
            raise TableSourceError('%s only apply to SQL tables (type sqlite, mysql or pgsql), not to %s tables'
                                   % (', '.join(given), table_type))
        return
    takes = dict(SETTINGS)
    wrong = [name for name in given if name != 'probe_key' and table_type not in takes[name]]
    if wrong:
        raise TableSourceError('%s: not a setting of %s_table(5); %s tables take %s' % (
            ', '.join(wrong), table_type, table_type,
            ', '.join(name for name in SETTING_NAMES if table_type in takes[name])))
    file_options = [name for name, unset in FILE_TABLE_OPTIONS if name in params and params[name] != unset]
    if file_options:
        raise TableSourceError('%s: options of file tables; a %s table\'s rows live in the database, and its file '
                               'holds the settings (hosts or dbpath, query...)' % (', '.join(file_options), table_type))
    missing = [name for name in REQUIRED[table_type] if not params.get(name)]
    if missing:
        raise TableSourceError('a %s table needs %s' % (table_type, ', '.join(missing)))


def settings_of(table_type, params):
    """The file's settings from the options, in file order: [(name, value as written)]."""
    takes = dict(SETTINGS)
    settings = []
    for name in SETTING_NAMES:
        value = params.get(name)
        if value is None or table_type not in takes[name]:
            continue
        settings.append((name, _written(name, value)))
    return settings


def _written(name, value):
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, list):
        value = (' ' if name == 'hosts' else ', ').join(str(item).strip() for item in value)
    value = str(value)
    if name == 'query':
        # A query written over several lines (YAML |) is one line of SQL to Postfix.
        value = ' '.join(line.strip() for line in value.splitlines() if line.strip())
    if '\n' in value or '\r' in value:
        raise TableSourceError('%s must be one line' % name)
    if value != value.strip():
        # Postfix strips white space around a value: a password with a leading space would not be the password.
        raise TableSourceError('%s must not begin or end with white space (Postfix would strip it)' % name)
    return value


def render(table_type, settings):
    """The client configuration file's text."""
    return HEADER % ('%s_table(5)' % table_type) + ''.join('%s = %s\n' % pair for pair in settings)


def parse(text):
    """A client configuration file's settings as Postfix reads them: [(name, value, line)].

    Comment and blank lines are skipped; a line that starts with white space
    continues the one before (as in main.cf). Later settings of a name win.
    """
    settings, current = [], None
    for number, line in enumerate((text or '').split('\n'), 1):
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        if line[0] in ' \t' and current is not None:
            current[1] = '%s %s' % (current[1], line.strip())
            continue
        name, equals, value = line.partition('=')
        current = [name.strip(), value.strip() if equals else None, number]
        settings.append(current)
    latest = {}
    for name, value, number in settings:
        latest[name] = (name, value, number)
    return sorted(latest.values(), key=lambda setting: setting[2])


def shown(name, value):
    """A setting's value as results and diffs show it."""
    return MASK if name == 'password' and value is not None else value


def compare(current_text, settings):
    """tables.source.Changes between the file's current settings and the new ones, the password masked."""
    old = {name: value for name, value, dummy in parse(current_text)}
    new = dict(settings)
    added, removed, changed = [], [], []
    for name in list(new) + [name for name in old if name not in new]:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        pair = (None if name not in old else Entry(name, shown(name, before), None),
                None if name not in new else Entry(name, shown_value(True) if name == 'password' and name in old
                                                   else shown(name, after), None))
        (added if pair[0] is None else removed if pair[1] is None else changed).append(pair)
    return Changes(added, removed, changed, False)


def shown_settings(settings):
    """The settings as a result shows them: name -> value, the password masked."""
    return {name: shown(name, value) for name, value in settings}


def probe_key(params):
    """The key validation looks up: probe_key, else one in the first listed domain (Postfix skips a query for a key
    outside ``domain``); it need not exist."""
    if params.get('probe_key'):
        return params['probe_key']
    domains = params.get('domain') or ['example.com']
    return 'mailops-probe@%s' % domains[0]


def missing_database(dbpath):
    """Why an sqlite table whose database file is ``dbpath`` must not be looked up, or None when the file exists.

    Postfix's first lookup creates a missing database file, empty, and every
    lookup then fails ("no such table"). The one rule for postfix_map's probe
    (tables.job) and the open-relay guard's lookups (restrictions.checks).
    """
    if os.path.exists(dbpath):
        return None
    return ('the database %s (dbpath) does not exist; Postfix would create it empty at the first lookup, and every '
            'lookup would fail' % dbpath)


def sqlite_dbpath(table):
    """The dbpath that the settings file of the sqlite table ``table`` ("sqlite:/path") names; None for other
    tables, and when the file cannot be read (postmap says why it cannot open the table) or names none."""
    table_type, dummy, path = table.partition(':')
    if table_type != 'sqlite' or not path.startswith('/'):
        return None
    try:
        with open(path, 'rb') as handle:
            text = handle.read().decode('utf-8', 'surrogateescape')
    except OSError:
        return None
    return dict((name, value) for name, value, dummy in parse(text)).get('dbpath') or None
