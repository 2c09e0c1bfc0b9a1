# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the roles' data into what the modules take: tables by name, restriction lists."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.module_utils.domain_names import domain_name

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


class FilterModule:
    """Role data filters of mailops.postfix."""

    def filters(self):
        return {'access_tables': access_tables, 'domain_pattern': domain_pattern, 'restriction_list': restriction_list,
                'restriction_settings': restriction_settings}
