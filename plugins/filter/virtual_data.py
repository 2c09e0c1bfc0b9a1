# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base role's virtual domains and mailboxes, checked and turned into main.cf settings and tables."""

from __future__ import annotations

import posixpath
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import split_list
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
    """The virtual_mailbox_maps table of ``mailboxes`` (address or @domain -> path), checked against ``domains``."""
    if not isinstance(mailboxes, dict):
        raise AnsibleFilterError('base_virtual_mailboxes must map addresses to mailbox paths, got %r' % (mailboxes,))
    entries = {}
    for address, path in mailboxes.items():
        local, at, domain = str(address).rpartition('@')
        name = domain_name(domain) if at and '@' not in local else None
        if name is None:
            raise AnsibleFilterError('base_virtual_mailboxes: %r is not an address (user@domain, or @domain for '
                                     'every user of the domain)' % (address,))
        if name not in domains:
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


def virtual_domains(data):
    """The base role's virtual domain data -> {parameters, tables, mailbox_base}: its part of the transaction.

    ``data`` holds the role's variables: mailbox_domains, mailboxes,
    alias_domains, aliases, sql_tables (refused: not supported yet),
    mailbox_base, uid, gid, mailbox_limit, config_dir, and for the checks
    mydestination, myhostname, mydomain, message_size_limit and parameters
    (base_parameters).
    mailbox_base is the directory to create (None without mailbox domains).
    """
    sql_tables = sorted(name for name, table in (data.get('sql_tables') or {}).items() if table)
    if sql_tables:
        raise AnsibleFilterError('base_virtual_sql_tables (%s): virtual tables from SQL are not supported yet; they '
                                 'come when postfix_map writes sqlite, mysql and pgsql tables. Give the tables as file '
                                 'data meanwhile: base_virtual_mailbox_domains, base_virtual_mailboxes, '
                                 'base_virtual_aliases' % ', '.join(sql_tables))
    directory = (data.get('config_dir') or '/etc/postfix').rstrip('/')
    parameters, tables = {}, []
    alias_domains = data.get('alias_domains') or []
    mailbox_domains = _domains(data.get('mailbox_domains') or [], 'base_virtual_mailbox_domains')
    mailboxes = data.get('mailboxes') or {}
    if alias_domains:
        parameters['virtual_alias_domains'] = alias_domains
    aliases = data.get('aliases') or {}
    if aliases:
        path = '%s/virtual' % directory
        parameters['virtual_alias_maps'] = '%s:%s' % (_FILE_TABLE, path)
        tables.append({'name': 'virtual', 'type': _FILE_TABLE, 'path': path, 'entries': aliases})
    if mailboxes and not mailbox_domains:
        raise AnsibleFilterError('base_virtual_mailboxes is given without base_virtual_mailbox_domains: list the '
                                 'domains whose mailboxes these are')
    if not mailbox_domains:
        return {'parameters': parameters, 'tables': tables, 'mailbox_base': None}
    if not mailboxes:
        raise AnsibleFilterError('base_virtual_mailbox_domains is given without base_virtual_mailboxes: Postfix would '
                                 'reject every recipient of %s as unknown. List the mailboxes (address -> path), or '
                                 'give domains whose mail is only forwarded in base_virtual_alias_domains'
                                 % ', '.join(mailbox_domains))
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
    table = _mailbox_table(mailboxes, mailbox_domains, directory)
    minimum = int((data.get('parameters') or {}).get('virtual_minimum_uid', MINIMUM_UID))
    uid, gid = _ids(data, minimum)
    base = _mailbox_base(data.get('mailbox_base'))
    parameters.update(virtual_mailbox_domains=mailbox_domains,
                      virtual_mailbox_maps='%s:%s' % (table['type'], table['path']),
                      virtual_mailbox_base=base, virtual_uid_maps='static:%d' % uid,
                      virtual_gid_maps='static:%d' % gid, virtual_mailbox_limit=_mailbox_limit(data))
    tables.append(table)
    return {'parameters': parameters, 'tables': tables, 'mailbox_base': base}


class FilterModule:
    """Virtual domain filters of mailops.postfix."""

    def filters(self):
        return {'virtual_domains': virtual_domains}
