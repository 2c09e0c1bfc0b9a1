# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the roles' data into what the modules take: tables by name, restriction lists, and the
roles' parts of one configuration merged into one postconf transaction."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import PACKAGES
from ansible_collections.mailops.postfix.plugins.plugin_utils.domain_names import domain_name

# Where a table lives when its definition gives no path, and its type when it gives none.
_DIRECTORY = '/etc/postfix'
_TYPE = 'hash'
_DEFINITION_KEYS = frozenset(['type', 'path', 'entries', 'rules'])


def access_tables(definitions, directory=_DIRECTORY):
    """Table definitions by name -> the tables as postconf's ``tables`` option takes them, sorted by name.

    Each gets name, type, path and ``access: true``; a definition holds type,
    path, and entries or rules.
    """
    if not isinstance(definitions, dict):
        raise AnsibleFilterError('access_tables expects a mapping of table name to its definition')
    tables = []
    for name, definition in sorted(definitions.items()):
        definition = dict(definition or {})
        if not isinstance(name, str) or not name or '/' in name:
            raise AnsibleFilterError('table name %r: give a plain name (the file is written in %s)' % (name, directory))
        unknown = sorted(set(definition) - _DEFINITION_KEYS)
        if unknown:
            raise AnsibleFilterError('table %s: %s unknown; a table definition holds %s' % (
                name, ', '.join(map(str, unknown)), ', '.join(sorted(_DEFINITION_KEYS))))
        definition.setdefault('type', _TYPE)
        definition.setdefault('path', '%s/%s' % (directory.rstrip('/'), name))
        definition.update(name=name, access=True)
        tables.append(definition)
    return tables


def table_reference(table):
    """A table as main.cf names it: type:path."""
    return '%s:%s' % (table['type'], table['path'])


def restriction_list(items, tables, where='a restriction list'):
    """A restriction list as main.cf takes it.

    Items are restriction words ("permit_mynetworks", "reject_unauth_destination") or one-key
    mappings from a restriction to a table name ({"check_sender_access": "rejected_senders"}),
    which become the restriction and the table as main.cf names it.
    """
    by_name = {table['name']: table_reference(table) for table in tables}
    words = []
    for item in items or []:
        if isinstance(item, dict):
            if len(item) != 1:
                raise AnsibleFilterError('%s: %r must map one restriction to one table name' % (where, item))
            restriction, name = next(iter(item.items()))
            if name not in by_name:
                raise AnsibleFilterError('%s: %s names the table %r, which is not defined (defined: %s)' % (
                    where, restriction, name, ', '.join(sorted(by_name)) or 'none'))
            words.append('%s %s' % (restriction, by_name[name]))
        elif isinstance(item, str):
            words.append(item)
        else:
            raise AnsibleFilterError('%s: %r is neither a restriction nor {restriction: table name}' % (where, item))
    return words


# The SMTP stages that have a restriction list: smtpd_STAGE_restrictions.
STAGES = ('client', 'helo', 'sender', 'relay', 'recipient', 'data', 'end_of_data', 'etrn')


def restriction_settings(restrictions, classes, tables):
    """main.cf parameters for restriction lists by stage and restriction classes by name."""
    settings = {}
    for stage, items in sorted((restrictions or {}).items()):
        if stage not in STAGES:
            raise AnsibleFilterError('restrictions: %r is not an SMTP stage with a restriction list (%s)'
                                     % (stage, ', '.join(STAGES)))
        name = 'smtpd_%s_restrictions' % stage
        settings[name] = restriction_list(items, tables, name)
    if classes:
        settings['smtpd_restriction_classes'] = sorted(classes)
        for name, items in sorted(classes.items()):
            settings[name] = restriction_list(items, tables, 'restriction class %s' % name)
    return settings


def domain_pattern(domains, subdomains=False):
    """A regular expression that matches an address in one of ``domains``: @(example\\.com|localhost)$.

    Dots are escaped; with ``subdomains``, any subdomain matches too. The
    syntax suits both pcre and regexp tables (plain groups, no (?:...)).
    """
    if isinstance(domains, str) or not domains:
        raise AnsibleFilterError('domain_pattern expects a non-empty list of domains, got %r' % (domains,))
    names = []
    for domain in domains:
        name = domain_name(domain)
        if name is None:
            raise AnsibleFilterError('%r is not a domain name' % (domain,))
        name = name.replace('.', '\\.')
        if name not in names:
            names.append(name)
    prefix = '(.+\\.)?' if subdomains else ''
    if len(names) == 1:
        return '@%s%s$' % (prefix, names[0])
    return '@%s(%s)$' % (prefix, '|'.join(names))


def table_packages(table_types):
    """Lookup table types -> the packages that add them to Postfix, each once, in order; types in Postfix itself add none.

    The names are those of tables/types.py (PACKAGES), the same on Debian, Ubuntu and EL.
    """
    if not isinstance(table_types, list):
        raise AnsibleFilterError('table_packages expects a list of lookup table types')
    packages = []
    for table_type in table_types:
        package = PACKAGES.get(table_type)
        if package and package not in packages:
            packages.append(package)
    return packages


def merge_configuration(parts, config_dir):
    """The parts of a configuration that roles left pending -> one postconf transaction for ``config_dir``.

    Each part names its role and holds ``parameters``, ``remove``, ``services``,
    ``tables``, ``sqlite_databases``, ``if_unset``, ``allow_open_relay`` and ``service_state``, all
    optional; which changes need a reload is postconf's to say. Two roles
    may give the same setting only with the same value: a parameter, a service
    or a table that two roles set differently is an error naming both, since a
    site in which two roles fight over a setting changes it back and forth on
    every run.
    """
    if not isinstance(parts, list):
        raise AnsibleFilterError('merge_configuration expects the list of the roles\' parts')
    merged = {'parameters': {}, 'remove': [], 'services': [], 'tables': [], 'sqlite_databases': [], 'if_unset': [],
              'allow_open_relay': False, 'service_state': None,
              'roles': []}
    owners = {}

    def claim(kind, key, value, role):
        if key in owners and owners[key][1] != value:
            other, before = owners[key]
            raise AnsibleFilterError('%s %s: the role %s sets %r and the role %s sets %r; set it in one of them only'
                                     % (kind, key[1], other, before, role, value))
        owners.setdefault(key, (role, value))

    for part in parts:
        if part.get('config_dir') != config_dir:
            continue
        role = part.get('role', 'unnamed')
        merged['roles'].append(role)
        for name, value in (part.get('parameters') or {}).items():
            claim('main.cf parameter', ('parameter', name), value, role)
            merged['parameters'][name] = value
        for name in part.get('remove') or []:
            claim('main.cf parameter', ('parameter', name), None, role)
            if name not in merged['remove']:
                merged['remove'].append(name)
        for service in part.get('services') or []:
            key = ('service', '%s/%s' % (service.get('service'), service.get('type', 'inet')))
            claim('master.cf service', key, service, role)
            if service not in merged['services']:
                merged['services'].append(service)
        for table in part.get('tables') or []:
            claim('table', ('table', table.get('path')), table, role)
            if table not in merged['tables']:
                merged['tables'].append(table)
        for database in part.get('sqlite_databases') or []:
            claim('SQLite database', ('database', database.get('path')), database, role)
            if database not in merged['sqlite_databases']:
                merged['sqlite_databases'].append(database)
        state = part.get('service_state')
        if state is not None:
            claim('service state', ('state', 'Postfix'), state, role)
            merged['service_state'] = state
        merged['if_unset'] += [name for name in part.get('if_unset') or [] if name not in merged['if_unset']]
        merged['allow_open_relay'] = merged['allow_open_relay'] or bool(part.get('allow_open_relay'))
    return merged


def pending_add(pending, part):
    """The play's pending configuration (``base_pending``) with a role's part added -> the new one.

    ``parts`` keeps the parts in the order the roles ran; ``parameters`` and ``table_domains`` are per instance what
    the parts leave (a removed parameter is null, back at its default). The part's ``secret_tables`` (tables with
    secret entries) and ``sql_tables`` (SQL table settings, passwords included) travel apart from the parts, per
    instance. One filter call over one variable, so that the role's part, which ansible-core renders again at every
    read, is read once, its secret tables with it.
    """
    if not isinstance(part, dict):
        raise AnsibleFilterError('base_part: a role\'s part of the configuration is a dict, not a %s' % type(part).__name__)
    if not part.get('config_dir'):
        raise AnsibleFilterError('base_part: the %s role\'s part names no config_dir (the configuration directory of '
                                 'the instance it is for)' % part.get('role', 'unnamed'))
    part = dict(part)
    secret_tables = part.pop('secret_tables', None)
    sql_tables = part.pop('sql_tables', None)
    pending = dict(pending or {})
    config_dir = part['config_dir']

    def updated(kind, values):
        by_instance = dict(pending.get(kind) or {})
        by_instance[config_dir] = {**by_instance.get(config_dir, {}), **values}
        pending[kind] = by_instance

    pending['parts'] = list(pending.get('parts') or []) + [part]
    updated('parameters', {**(part.get('parameters') or {}), **dict.fromkeys(part.get('remove') or [])})
    updated('table_domains', part.get('table_domains') or {})
    if secret_tables:
        pending['secret_tables'] = list(pending.get('secret_tables') or []) + [
            {'config_dir': config_dir, 'tables': secret_tables}]
    if sql_tables:
        updated('sql_tables', sql_tables)
    return pending


def pending_without(pending, config_dir):
    """The play's pending configuration without what is pending for ``config_dir``: what is left for the others
    once that instance's parts are taken off to be applied."""
    pending = pending or {}
    return {'parts': [part for part in pending.get('parts') or [] if part.get('config_dir') != config_dir],
            'secret_tables': [item for item in pending.get('secret_tables') or []
                              if item.get('config_dir') != config_dir],
            **{kind: {name: value for name, value in (pending.get(kind) or {}).items() if name != config_dir}
               for kind in ('parameters', 'table_domains', 'sql_tables')}}


class FilterModule:
    """Role data filters of mailops.postfix."""

    def filters(self):
        return {'access_tables': access_tables, 'domain_pattern': domain_pattern,
                'merge_configuration': merge_configuration, 'pending_add': pending_add,
                'pending_without': pending_without, 'restriction_list': restriction_list,
                'restriction_settings': restriction_settings, 'table_packages': table_packages}
