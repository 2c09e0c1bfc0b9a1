# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the roles' data into what the modules take: tables by name, restriction lists, and the
roles' parts of one configuration merged into one postconf transaction."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

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


def merge_configuration(parts, config_dir):
    """The parts of a configuration that roles left pending -> one postconf transaction for ``config_dir``.

    Each part names its role and holds ``parameters``, ``remove``, ``services``,
    ``tables``, ``if_unset``, ``allow_open_relay``, ``service_state`` and
    ``reload_on_table_change`` (a change to one of the part's tables needs a
    reload: long-running daemons such as trivial-rewrite see it only after their
    next lookup), ``reload_tables`` (more such tables, as ``type:path``: the
    part's secret tables, which travel apart) and ``reload_needed`` (a change
    made outside the transaction needs a reload), all optional. ``reload_tables``
    of the result names those tables as postconf reports them (``type:path``). Two roles
    may give the same setting only with the same value: a parameter, a service
    or a table that two roles set differently is an error naming both, since a
    site in which two roles fight over a setting changes it back and forth on
    every run.
    """
    if not isinstance(parts, list):
        raise AnsibleFilterError('merge_configuration expects the list of the roles\' parts')
    merged = {'parameters': {}, 'remove': [], 'services': [], 'tables': [], 'if_unset': [],
              'allow_open_relay': False, 'reload_tables': [], 'reload_needed': False, 'service_state': None,
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
        state = part.get('service_state')
        if state is not None:
            claim('service state', ('state', 'Postfix'), state, role)
            merged['service_state'] = state
        merged['if_unset'] += [name for name in part.get('if_unset') or [] if name not in merged['if_unset']]
        if part.get('reload_on_table_change'):
            merged['reload_tables'] += ['%s:%s' % (table.get('type'), table.get('path'))
                                        for table in part.get('tables') or []]
        merged['reload_tables'] += list(part.get('reload_tables') or [])
        merged['allow_open_relay'] = merged['allow_open_relay'] or bool(part.get('allow_open_relay'))
        merged['reload_needed'] = merged['reload_needed'] or bool(part.get('reload_needed'))
    return merged


class FilterModule:
    """Role data filters of mailops.postfix."""

    def filters(self):
        return {'access_tables': access_tables, 'domain_pattern': domain_pattern,
                'merge_configuration': merge_configuration, 'restriction_list': restriction_list,
                'restriction_settings': restriction_settings}
