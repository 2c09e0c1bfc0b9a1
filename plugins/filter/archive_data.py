# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The archive role's data, checked before anything is written."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.postfix_data import domain_pattern
from ansible_collections.mailops.postfix.plugins.plugin_utils.domain_names import domain_name

# A dot-string local part (RFC 5321) without "$": the address is the result of a regexp or pcre rule, where "$"
# starts a substitution. Quoted local parts are not taken.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#%&'*+/=?^_`{|}~-]+)*$")


def archive_address(address, what='archive_address'):
    """``address`` when it is exactly one address, local-part@domain in ASCII; otherwise an error naming ``what``."""
    def refuse(problem):
        raise AnsibleFilterError('archive: %s %r %s. Give one address, local-part@domain, in ASCII (an '
                                 'internationalized domain in its xn-- form), for example archive@example.com'
                                 % (what, address, problem))

    if not isinstance(address, str) or not address:
        refuse('is not an address')
    if ',' in address:
        refuse('holds a comma: it takes one address, not a list')
    if re.search(r'\s', address):
        refuse('holds white space')
    local, at, domain = address.rpartition('@')
    if not at or not local:
        refuse('is not local-part@domain')
    if not address.isascii():
        refuse('is not ASCII')
    if len(local) > 64 or not _LOCAL_PART.match(local):
        refuse('has a local part, %r, that is not one dot-separated word of letters, digits and !#%%&\'*+/=?^_`{|}~- '
               '(at most 64 characters, no quotes, no "$" or "@")' % local)
    if domain_name(domain) is None:
        refuse('has a domain, %r, that is not a domain name' % domain)
    return address


# Which bcc maps each mode fills: the rule "not local" (every message in mode all) archives.
SIDES = {'external': ('sender', 'recipient'), 'inbound': ('sender',), 'outbound': ('recipient',),
         'all': ('sender', 'recipient')}
# What a table's settings say about the query, not about where the database is.
_QUERY_SETTINGS = ('name', 'path', 'query', 'result_format', 'domain', 'expansion_limit', 'probe_key')
# In a query, Postfix expands %s and %u to a bare domain key itself; %d and %1..%9 make it skip the query for such a
# key (mysql_table(5), pgsql_table(5), sqlite_table(5)). The upper-case forms expand the same in a query.
_EXPANSION = re.compile(r'%(.)')


def _sql_text(text):
    """``text`` as an SQL string literal inside a Postfix query: quotes doubled, "%" written as "%%"."""
    return "'%s'" % text.replace("'", "''").replace('%', '%%')


def _domain_condition(table):
    """The SQL condition "the address's domain (%d) is one that ``table`` answers for as a domain list", or None
    when Postfix never asks it with a bare domain (it has a domain setting, or its query needs %d or %1..%9)."""
    query = table['query'].strip().rstrip(';').strip()
    expansions = set(_EXPANSION.findall(query)) - {'%'}
    if table.get('domain') or expansions - {'s', 'u', 'S', 'U'}:
        return None
    return 'EXISTS (%s)' % _EXPANSION.sub(lambda match: '%%' if match.group(1) == '%' else '%d', query)


def _sql_table(address, domains, tables, config_dir):
    """One SQL table that answers ``address`` for an address whose domain is neither in ``domains`` nor one that
    the SQL ``tables`` answer for; all of them must read one database."""
    connections = []
    for table in tables:
        connection = {name: value for name, value in table.items() if name not in _QUERY_SETTINGS}
        if connection not in connections:
            connections.append(connection)
    if len(connections) > 1:
        raise AnsibleFilterError(
            'archive: the local domains come from SQL tables in %d databases (%s); the archive table asks one '
            'database whether a domain is local: list the local domains in archive_local_domains'
            % (len(connections), ', '.join(sorted(table['path'] for table in tables))))
    connection = connections[0]
    conditions = ["'%%d' IN (%s)" % ', '.join(_sql_text(name) for name in domains)] if domains else []
    conditions += [condition for condition in map(_domain_condition, tables) if condition]
    query = 'SELECT %s' % _sql_text(address)
    if connection['type'] == 'mysql':
        query += ' FROM DUAL'  # MySQL and MariaDB take WHERE only after a FROM
    if conditions:
        query += ' WHERE NOT (%s)' % ' OR '.join(conditions)
    return dict(connection, name='archive_remote', path='%s/archive_remote.cf' % config_dir, query=query)


def archive_configuration(data):
    """The archive role's bcc maps -> {parameters, tables, secret_tables}, for its part of the transaction.

    ``data``: mode, address (checked), domains (the local domains by name), sql_tables (the settings of the SQL
    tables that answer for the other local domains, from the base role's hand-off), subdomains, table_type (pcre or
    regexp) and config_dir. A mode's bcc map is a pcre or regexp table whose one rule archives an address that is
    not local; with SQL tables, one SQL table (read through proxy:) that asks the database the same. A map the mode
    does not fill is an empty pcre or regexp table, so that main.cf is the same in every mode.
    """
    mode, config_dir = data['mode'], data['config_dir'].rstrip('/')
    sql_tables = (data.get('sql_tables') or []) if mode != 'all' else []
    if sql_tables and data.get('subdomains'):
        raise AnsibleFilterError('archive: archive_subdomains cannot hold for the local domains of the SQL tables %s: '
                                 'the database is asked for a domain by its name. List the local domains in '
                                 'archive_local_domains' % ', '.join(sorted(table['path'] for table in sql_tables)))
    parameters, tables, secret_tables = {}, [], []
    if sql_tables:
        table = _sql_table(data['address'], data['domains'], sql_tables, config_dir)
        (secret_tables if table.get('password') else tables).append(table)
        remote = 'proxy:%s:%s' % (table['type'], table['path'])
    rules = []
    if mode == 'all':
        rules = [{'pattern': '/^/', 'action': data['address']}]
    elif not sql_tables:
        rules = [{'pattern': '!/%s/' % domain_pattern(data['domains'], data.get('subdomains')),
                  'action': data['address']}]
    for side in ('sender', 'recipient'):
        if sql_tables and side in SIDES[mode]:
            parameters['%s_bcc_maps' % side] = remote
            continue
        path = '%s/archive_%s' % (config_dir, side)
        tables.append({'name': 'archive_%s' % side, 'path': path, 'type': data['table_type'],
                       'rules': rules if side in SIDES[mode] else []})
        parameters['%s_bcc_maps' % side] = '%s:%s' % (data['table_type'], path)
    return {'parameters': parameters, 'tables': tables, 'secret_tables': secret_tables}


def archive_local_domains(local_domains, host, pending, config_dir):
    """The local domains the archive rules leave out -> {domains, sql_tables}.

    ``local_domains`` (archive_local_domains) when given. Otherwise from ``host``, the postfix_info answer of
    tasks/host.yml: the words of mydestination, virtual_alias_domains and virtual_mailbox_domains, $name-expanded,
    as the play's transaction will leave them; a lookup table among them is replaced by its domains where
    ``pending`` (base_pending) gives them for ``config_dir`` (the base role's own SQLite database), and an SQL table
    whose settings it hands on is one the archive table asks (``sql_tables``). In Python, in one filter, so that the
    host's answer is read only when the domains are not given.
    """
    if local_domains:
        return {'domains': list(local_domains), 'sql_tables': []}
    words = ' '.join((host or {}).get('expanded', {}).values()).replace(',', ' ').split()
    table_domains = (pending.get('table_domains') or {}).get(config_dir) or {}
    sql_settings = (pending.get('sql_tables') or {}).get(config_dir) or {}
    domains, sql_names = [], []
    for word in words:
        if word not in table_domains:
            (sql_names if word in sql_settings else domains).append(word)
    domains += [domain for table, names in table_domains.items() if table in words for domain in names]
    return {'domains': domains, 'sql_tables': [sql_settings[name] for name in dict.fromkeys(sql_names)]}


class FilterModule:
    """Role data filters of mailops.postfix's archive role."""

    def filters(self):
        return {'archive_address': archive_address, 'archive_configuration': archive_configuration,
                'archive_local_domains': archive_local_domains}
