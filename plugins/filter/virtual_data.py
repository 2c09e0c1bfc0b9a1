# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base role's virtual domains and mailboxes, checked and turned into main.cf settings and tables."""

from __future__ import annotations

import posixpath
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import split_list
from ansible_collections.mailops.postfix.plugins.module_utils.tables.sqlite_db import QUERIES
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import SQL_TYPES
from ansible_collections.mailops.postfix.plugins.plugin_utils.domain_names import domain_name

# virtual(8) refuses to deliver as a uid below virtual_minimum_uid (main.cf; Postfix's default 100).
MINIMUM_UID = 100
_EXPANDED = re.compile(r'\$(\{(myhostname|mydomain)\}|(myhostname|mydomain)\b)')
_FILE_TABLE = 'hash'


def _names(value):
    """A main.cf domain list, as text or a list, as its lower-case elements."""
    if value is None:
        return []
    if isinstance(value, str):
        value = split_list(value)
    return [str(item).lower().rstrip('.') for item in value if str(item).strip()]


def _domains(value, what):
    """The domain names of the list ``value`` (variable ``what``), lower case, each once; an error otherwise."""
    if not isinstance(value, list):
        raise AnsibleFilterError('%s must be a list of domain names, got %r' % (what, value))
    names = []
    for item in value:
        name = domain_name(item)
        if name is None:
            raise AnsibleFilterError('%s: %r is not a domain name (list each domain by name, as in example.net)'
                                     % (what, item))
        if name not in names:
            names.append(name)
    return names


def _relative_path(path):
    """Why ``path`` is not a path below virtual_mailbox_base, or ''."""
    if not isinstance(path, str) or not path.strip():
        return 'is not a path'
    if path.startswith('/'):
        return 'is absolute: virtual(8) appends it to virtual_mailbox_base, so give it relative to that'
    if '..' in path.split('/'):
        return 'has a ".." component, which leaves virtual_mailbox_base'
    if re.search(r'\s', path):
        return 'holds white space'
    return ''


def _mailbox_table(mailboxes, domains, directory):
    """The virtual_mailbox_maps table of ``mailboxes`` (address or @domain -> path), checked against ``domains``
    (None: the domains are an SQL table's, not known here)."""
    if not isinstance(mailboxes, dict):
        raise AnsibleFilterError('base_virtual_mailboxes must map addresses to mailbox paths, got %r' % (mailboxes,))
    entries = {}
    for address, path in mailboxes.items():
        local, at, domain = str(address).rpartition('@')
        name = domain_name(domain) if at and '@' not in local else None
        if name is None:
            raise AnsibleFilterError('base_virtual_mailboxes: %r is not an address (user@domain, or @domain for '
                                     'every user of the domain)' % (address,))
        if domains is not None and name not in domains:
            raise AnsibleFilterError('base_virtual_mailboxes: %s is in %s, which is not in base_virtual_mailbox_domains '
                                     '(%s): virtual(8) never looks it up; add the domain there, or remove the '
                                     'mailbox' % (address, name, ', '.join(domains)))
        why = _relative_path(path)
        if why:
            raise AnsibleFilterError('base_virtual_mailboxes: the mailbox of %s, %r, %s (a path ending in "/" is a '
                                     'Maildir, any other an mbox file)' % (address, path, why))
        entries[address] = path
    return {'name': 'virtual_mailboxes', 'type': _FILE_TABLE, 'path': '%s/virtual_mailboxes' % directory,
            'entries': entries}


def _ids(data, minimum):
    """The uid and gid of the mailboxes, checked (virtual_minimum_uid is ``minimum``)."""
    ids = []
    for key, what in (('uid', 'base_virtual_uid'), ('gid', 'base_virtual_gid')):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise AnsibleFilterError('%s must be a positive number, not %r: the mailboxes must not belong to root'
                                     % (what, value))
        ids.append(value)
    if ids[0] < minimum:
        raise AnsibleFilterError('base_virtual_uid %d is below virtual_minimum_uid (%d): virtual(8) would refuse '
                                 'every delivery. Give a uid of %d or more' % (ids[0], minimum, minimum))
    return ids


def _mailbox_base(path):
    """The mailbox base directory, checked: absolute, not / itself, without ".." components."""
    if not isinstance(path, str) or not path.startswith('/') or posixpath.normpath(path) == '/' \
            or '..' in path.split('/'):
        raise AnsibleFilterError('base_virtual_mailbox_base must be an absolute directory of its own, such as '
                                 '/var/mail/vhosts, not %r' % (path,))
    return posixpath.normpath(path)


def _mailbox_limit(data):
    """virtual_mailbox_limit, checked: 0 (none) or at least message_size_limit, or virtual(8) refuses to start."""
    parameters = data.get('parameters') or {}
    limit = data.get('mailbox_limit')
    message_limit = parameters.get('message_size_limit', data.get('message_size_limit'))
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise AnsibleFilterError('base_virtual_mailbox_limit must be a number of bytes, or 0 for none, not %r'
                                 % (limit,))
    try:
        message_limit = int(message_limit)
    except (TypeError, ValueError):
        message_limit = 0  # unknown here ($name or unset): Postfix's own check stands
    if limit and limit < message_limit:
        raise AnsibleFilterError('base_virtual_mailbox_limit %d is smaller than message_size_limit %d: virtual(8) '
                                 'would refuse to start ("virtual_mailbox_limit is smaller than message_size_limit") '
                                 'and mail to the mailboxes would wait in the queue. Give 0 (no limit) or %d or more'
                                 % (limit, message_limit, message_limit))
    return limit


def _destinations(data):
    """mydestination as the role's data gives it (base_parameters wins), $myhostname and $mydomain expanded
    where the data gives them."""
    parameters = data.get('parameters') or {}
    destination = parameters['mydestination'] if 'mydestination' in parameters else data.get('mydestination')
    known = {name: parameters.get(name, data.get(name)) for name in ('myhostname', 'mydomain')}

    def expand(match):
        name = match.group(2) or match.group(3)
        return known[name] if known[name] else match.group(0)

    return [_EXPANDED.sub(expand, item).lower().rstrip('.') for item in _names(destination)]


# The virtual tables that can come from SQL: name -> (main.cf parameter, base_virtual_* variable of its data).
SQL_TABLES = {
    'mailbox_domains': ('virtual_mailbox_domains', 'base_virtual_mailbox_domains'),
    'mailboxes': ('virtual_mailbox_maps', 'base_virtual_mailboxes'),
    'aliases': ('virtual_alias_maps', 'base_virtual_aliases'),
}


def _sql_tables(data, directory):
    """base_virtual_sql_tables and base_virtual_sqlite_database -> {name: postconf table}, each read through
    proxy: (see virtual_domains())."""
    given = {name: table for name, table in (data.get('sql_tables') or {}).items() if table}
    unknown = sorted(set(given) - set(SQL_TABLES))
    if unknown:
        raise AnsibleFilterError('base_virtual_sql_tables: %s is not a virtual table; the tables are %s'
                                 % (', '.join(unknown), ', '.join(SQL_TABLES)))
    database = data.get('sqlite_database')
    if database is not None and (not isinstance(database, str) or not database.startswith('/')):
        raise AnsibleFilterError('base_virtual_sqlite_database must be an absolute path, not %r' % (database,))
    values = {'mailbox_domains': data.get('mailbox_domains'), 'mailboxes': data.get('mailboxes'),
              'aliases': data.get('aliases')}
    tables = {}
    for name, (parameter, variable) in SQL_TABLES.items():
        table = given.get(name)
        if table is not None:
            if values[name]:
                raise AnsibleFilterError('%s and base_virtual_sql_tables.%s are both given: %s comes from one of them, '
                                         'the data or the SQL table' % (variable, name, parameter))
            if not isinstance(table, dict) or table.get('type') not in SQL_TYPES:
                raise AnsibleFilterError('base_virtual_sql_tables.%s needs a type, one of %s'
                                         % (name, ', '.join(sorted(SQL_TYPES))))
            table = dict(table)
        elif database is not None and values[name]:
            table = {'type': 'sqlite', 'dbpath': database}
        else:
            continue
        table.setdefault('query', QUERIES[name])
        table.setdefault('path', '%s/virtual_%s.cf' % (directory, name))
        table['name'] = 'virtual_%s' % name
        tables[name] = table
    return tables


def _proxy_read_maps(parameters, proxied):
    """Refuse a proxy_read_maps of base_parameters that leaves out a table read through proxy: (``proxied``:
    parameter -> table)."""
    if 'proxy_read_maps' not in parameters:
        return  # Postfix's default names every virtual_* parameter
    listed = _names(parameters['proxy_read_maps'])
    for parameter, table in sorted(proxied.items()):
        if '$' + parameter not in listed and '${%s}' % parameter not in listed and table.lower() not in listed:
            raise AnsibleFilterError(
                'base_parameters.proxy_read_maps does not name $%s (or %s): proxymap would refuse the lookups of %s, '
                'and mail to the virtual domains would wait. Add $%s to it, or leave proxy_read_maps to Postfix\'s '
                'default' % (parameter, table, parameter, parameter))


def virtual_domains(data):
    """The base role's virtual domain data -> {parameters, tables, secret_tables, sql_tables, database, mailbox_base}.

    ``data`` holds the role's variables: mailbox_domains, mailboxes,
    alias_domains, aliases, sql_tables, sqlite_database, mailbox_base, uid,
    gid, mailbox_limit, config_dir, and for the checks mydestination,
    myhostname, mydomain, message_size_limit and parameters (base_parameters).

    Each of the mailbox domains, the mailboxes and the aliases comes from a
    file table of the data, or from an SQL table: of sql_tables (an
    application's database), or of the role's own SQLite file
    (sqlite_database), whose rows are then the data (``database``, for
    postconf's sqlite_databases). SQL tables are read through proxy: (one proxymap process
    holds the connection for every daemon); those with a password are in
    ``secret_tables``, the others in ``tables``, and all of them in ``sql_tables``
    by the name main.cf gives them (proxy:type:path), for the roles that ask the
    database what it answers (the archive role's local domains).
    mailbox_base is the directory to create (None without mailbox domains).
    """
    directory = (data.get('config_dir') or '/etc/postfix').rstrip('/')
    parameters, tables, secret_tables = {}, [], []
    sql_tables = _sql_tables(data, directory)
    proxied, by_reference = {}, {}
    for name, table in sql_tables.items():
        parameter = SQL_TABLES[name][0]
        proxied[parameter] = 'proxy:%s:%s' % (table['type'], table['path'])
        by_reference[proxied[parameter]] = table
        (secret_tables if table.get('password') else tables).append(table)
    alias_domains = data.get('alias_domains') or []
    mailbox_domains = _domains(data.get('mailbox_domains') or [], 'base_virtual_mailbox_domains')
    mailboxes = data.get('mailboxes') or {}
    database = None
    if data.get('sqlite_database') is not None:
        database = {'path': data['sqlite_database'], 'domains': mailbox_domains, 'mailboxes': mailboxes,
                    'aliases': data.get('aliases') or {}}
    if alias_domains:
        parameters['virtual_alias_domains'] = alias_domains
    aliases = data.get('aliases') or {}
    if 'aliases' in sql_tables:
        parameters['virtual_alias_maps'] = proxied['virtual_alias_maps']
    elif aliases:
        path = '%s/virtual' % directory
        parameters['virtual_alias_maps'] = '%s:%s' % (_FILE_TABLE, path)
        tables.append({'name': 'virtual', 'type': _FILE_TABLE, 'path': path, 'entries': aliases})
    has_domains = bool(mailbox_domains) or 'mailbox_domains' in sql_tables
    has_mailboxes = bool(mailboxes) or 'mailboxes' in sql_tables
    if has_mailboxes and not has_domains:
        raise AnsibleFilterError('base_virtual_mailboxes is given without base_virtual_mailbox_domains: list the '
                                 'domains whose mailboxes these are')
    _proxy_read_maps(data.get('parameters') or {}, proxied)
    if not has_domains:
        return {'parameters': parameters, 'tables': tables, 'secret_tables': secret_tables,
                'sql_tables': by_reference, 'database': database, 'mailbox_base': None}
    if not has_mailboxes:
        raise AnsibleFilterError('base_virtual_mailbox_domains is given without base_virtual_mailboxes: Postfix would '
                                 'reject every recipient of %s as unknown. List the mailboxes (address -> path), or '
                                 'give domains whose mail is only forwarded in base_virtual_alias_domains'
                                 % (', '.join(mailbox_domains) or 'the domains of base_virtual_sql_tables.mailbox_domains'))
    for other, what, why in (
            (_destinations(data), 'mydestination (base_mydestination)',
             'mydestination delivers with local(8) to the users of this host, virtual_mailbox_domains with virtual(8) '
             'to the mailboxes'),
            (_names(alias_domains), 'base_virtual_alias_domains',
             'a domain of virtual_alias_domains has no mailboxes: its mail is only forwarded')):
        both = [name for name in mailbox_domains if name in other]
        if both:
            raise AnsibleFilterError('%s %s in both %s and base_virtual_mailbox_domains; Postfix takes a domain for '
                                     'one class only (%s). List it in one of them' % (
                                         ', '.join(both), 'is' if len(both) == 1 else 'are', what, why))
    if mailboxes:
        # The domains of an SQL table are the application's: its mailboxes are checked against them at run time.
        table = _mailbox_table(mailboxes, mailbox_domains if mailbox_domains else None, directory)
    minimum = int((data.get('parameters') or {}).get('virtual_minimum_uid', MINIMUM_UID))
    uid, gid = _ids(data, minimum)
    base = _mailbox_base(data.get('mailbox_base'))
    parameters.update(virtual_mailbox_domains=proxied.get('virtual_mailbox_domains', mailbox_domains),
                      virtual_mailbox_base=base, virtual_uid_maps='static:%d' % uid,
                      virtual_gid_maps='static:%d' % gid, virtual_mailbox_limit=_mailbox_limit(data))
    if 'mailboxes' in sql_tables:
        parameters['virtual_mailbox_maps'] = proxied['virtual_mailbox_maps']
    else:
        parameters['virtual_mailbox_maps'] = '%s:%s' % (table['type'], table['path'])
        tables.append(table)
    return {'parameters': parameters, 'tables': tables, 'secret_tables': secret_tables,
            'sql_tables': by_reference, 'database': database, 'mailbox_base': base}


class FilterModule:
    """Virtual domain filters of mailops.postfix."""

    def filters(self):
        return {'virtual_domains': virtual_domains}
