# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The restriction checks postconf runs on a staged configuration before it goes live.

Private to this collection: roles and playbooks use the modules, never module_utils.

Postfix finds a misspelt restriction or a missing table only when a client
reaches it (smtpd answers "451 4.3.5 Server configuration error"), and
postfix check never finds an open relay. This reads what the staged main.cf
and master.cf mean ($name expanded, with postconf itself) and applies
restriction_lists and relay_guard to it:

- every restriction list the change sets, in main.cf (smtpd_*_restrictions
  and restriction classes) and in master.cf -o overrides, must name
  restrictions this Postfix version knows and classes that exist;
- every table those lists and the ``*_maps``, ``*_checks``, domain and
  network list settings the change sets name must be of a type this host
  supports (``postconf -m``, also inside proxy: and unionmap:/pipemap:
  groups; one check, restriction_lists.check_table(), with the package
  that adds the type), and then exist, unless the same run writes it: a
  file table's source, and its compiled file where the type has one; an
  SQL table's settings file (sqlite, mysql, pgsql);
- the values of access tables the caller writes must be access(5) results
  or restriction lists;
- when the change touches what decides relaying, an outside client must not
  be able to relay: main.cf's lists, and each smtpd service's overrides. A
  verdict the guard cannot decide is refused like an open relay. The guard
  reads the tables it needs (as the caller writes them, else from their
  files), and what it cannot read it asks Postfix, with one ``postmap -q``
  per table and round, for as many rounds as the answers lead to.

relay_verdicts() is the same judgment for postfix_info, so that its report
and postconf's refusal never disagree.
"""

from __future__ import annotations

import os
import re

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import (
    ConfigValueError,
    parse_parameters,
    split_list,
)
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import parse_entries
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.relay_guard import OWN_DOMAIN_LISTS, relay_verdict
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.lists import (
    check_access_table_values,
    check_restrictions,
    check_table,
    is_restriction_parameter,
)
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sql
from ansible_collections.mailops.postfix.plugins.module_utils.tables.build import query
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import entries_of, parse_source, syntax_of
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import MANAGED_TYPES, SQL_TYPES, compiled_paths

# What decides whether an outside client can relay, besides the restriction classes.
RELAY_SETTINGS = ('smtpd_relay_restrictions', 'smtpd_recipient_restrictions', 'mynetworks',
                  'smtpd_restriction_classes', 'permit_mx_backup_networks', 'parent_domain_matches_subdomains') \
    + OWN_DOMAIN_LISTS
# Domain and network lists, whose "/file/name" elements Postfix reads as more elements.
_LISTS_WITH_FILES = ('mynetworks', 'permit_mx_backup_networks') + OWN_DOMAIN_LISTS
# Settings that name lookup tables besides restriction lists: transport_maps, header_checks, smtp_body_checks...
_TABLE_SETTINGS = ('_maps', '_checks')
# Other settings a change to which changes the meaning of the ones above.
_RELAY_INPUTS = frozenset(RELAY_SETTINGS) | frozenset(['mynetworks_style', 'virtual_alias_maps',
                                                       'virtual_mailbox_maps', 'myhostname', 'mydomain'])
# A table named in a setting: type:path, also inside proxy: and { ... } groups.
_FILE_TABLE = re.compile(r'\b([a-z]+):(/[^\s,{}]+)')
# An element of a *_maps, *_checks, domain or network list that is a table: "type:name", negated with "!" in a
# domain or network list. A domain has no colon, and an IPv6 network is written in brackets ("[::1]/128").
_TABLE_ELEMENT = re.compile(r'!?([a-z][a-z0-9]*:.+)', re.S)


class RestrictionChecks:
    """Checks of one postconf run; call check() with the staged configuration directory.

    ``access_tables`` maps "type:path" to the table's entries as they will
    be ((key, value) pairs): access tables the caller writes in the same
    run, whose values are checked. ``written_tables`` maps every other table
    the run writes to its entries the same way. The relay guard reads both
    instead of the files, and both count as existing. ``allow_open_relay``
    turns a refusal of the relay guard into a warning.
    """

    def __init__(self, runner, version, access_tables=None, allow_open_relay=False, written_tables=None):
        self.runner = runner
        self.version = version
        self.access_tables = access_tables or {}
        self.written_tables = {**(written_tables or {}), **self.access_tables}
        self.allow_open_relay = allow_open_relay
        # "type:path" of each SQL table the run writes -> the table the guard looks up, its staged settings file
        # ("type:staged path") where there is one, so that it asks the database through the settings the run
        # leaves (tables.job.staged_sql_tables()). Each counts as existing.
        self.staged_sql = {}
        self.warnings = []

    def check(self, config_dir, parameter_changes, service_changes):
        """Raise ConfigValueError for a list Postfix cannot use, a missing table or an open relay; collect
        warnings."""
        values = self._values(config_dir)
        classes = split_list(values.get('smtpd_restriction_classes', ''))
        changed = set(name for name, change in parameter_changes.items() if change['after'] is not None)
        if 'smtpd_restriction_classes' in parameter_changes:
            changed |= set(name for name in values if is_restriction_parameter(name, classes))
        overrides = self._overrides(config_dir, service_changes)
        settings = [(name, name, values.get(name, '')) for name in sorted(changed)]
        settings += [('%s -o %s' % (service, name), name, value)
                     for service, options in sorted(overrides.items()) for name, value in sorted(options.items())]
        table_types = _TableTypes(self.runner)
        named = []  # (where, value) of the settings whose tables must exist
        for where, name, value in settings:
            if is_restriction_parameter(name, classes):
                self.warnings += check_restrictions(where, value, self.version, classes, table_types)
            elif _names_tables(name):
                for element in split_list(value):
                    table = _TABLE_ELEMENT.fullmatch(element)
                    if table:
                        check_table(where, element, table.group(1), table_types)
            else:
                continue
            named.append((where, value))
        # Every type first: a table of a type this host lacks is refused for that, not for a missing file.
        self._check_tables_exist(named)
        for table, entries in sorted(self.access_tables.items()):
            self.warnings += check_access_table_values(table, entries, self.version, classes)
        # staged_sql: SQL tables whose settings or database the run changes, so that what they answer may change.
        relay_changed = (changed & (_RELAY_INPUTS | set(classes)) or self.written_tables or self.staged_sql
                         or any(set(options) & _RELAY_INPUTS for options in overrides.values()))
        if relay_changed or self.allow_open_relay:
            for where, verdict in self._verdicts(values, overrides):
                self._judge(where, verdict)

    def relay_verdicts(self, config_dir):
        """(where, relay_guard.Verdict) for main.cf and each smtpd service that overrides what decides relaying."""
        return self._verdicts(self._values(config_dir), self._overrides(config_dir, None))

    def _verdicts(self, values, overrides):
        judged = [('main.cf', values)] + [('master.cf service %s' % service, dict(values, **options))
                                          for service, options in sorted(overrides.items())
                                          if set(options) & _RELAY_INPUTS]
        return [(where, self._verdict(settings)) for where, settings in judged]

    def _verdict(self, settings):
        """The guard's verdict, with Postfix's answers to what it asked (relay_guard's Verdict.lookups).

        Each round asks Postfix, with one ``postmap -q`` per table, for every key
        the verdict still needs, until it needs none: an answer can lead to more
        lookups (a domain that the first table of a domain list does not find is
        looked for in the next one), and only those are asked. A round that would
        ask only what was asked before ends it, undecided. Every key comes from
        the settings, the tables' entries or the fixed probes, so the rounds end.
        """
        settings = dict(settings, **{name: _expand_files(settings.get(name, '')) for name in _LISTS_WITH_FILES})
        tables, answers, asked = self._tables(settings), {}, set()
        while True:
            verdict = relay_verdict(settings, self.version, tables, answers)
            wanted = {table: keys for table, keys in verdict.lookups.items()
                      if not asked.issuperset((table, key) for key in keys)}
            if not wanted:
                return verdict
            for table, keys in sorted(wanted.items()):
                asked.update((table, key) for key in keys)
                answers[table] = self._look_up(table, keys, answers.get(table))

    def _look_up(self, table, keys, earlier):
        """Postfix's answers for ``keys`` in ``table`` (one postmap -q), with ``earlier`` ones; or the error."""
        if table in self.written_tables:
            return ('this run writes it, and its new contents cannot be looked up before they go live; '
                    'Postfix can answer only for the table as it is now')
        found = dict(earlier) if isinstance(earlier, dict) else {}
        asked = self.staged_sql.get(table, table)
        dbpath = sql.sqlite_dbpath(asked)
        missing = sql.missing_database(dbpath) if dbpath else None
        if missing:
            return missing
        try:
            found.update(query(self.runner, asked, [key for key in keys if key not in found]))
        except MailopsError as error:
            return str(error)
        return found

    def _values(self, config_dir):
        """The relay settings and every explicit setting (restriction lists, classes), $name expanded."""
        values = parse_parameters(self.runner.run('postconf', ['non_default', 'expand'], config_dir=config_dir)[1])
        values.update(parse_parameters(self.runner.run('postconf', ['expand'], list(RELAY_SETTINGS),
                                                       config_dir=config_dir)[1]))
        return values

    def _overrides(self, config_dir, service_changes):
        """The -o overrides ($name expanded) of the master.cf entries the change sets (None: all), per service."""
        wanted = None if service_changes is None else set(
            key for key, change in service_changes.items() if change['after'] is not None)
        if wanted is not None and not wanted:
            return {}
        entries = parse_entries(self.runner.run('postconf', ['master'], config_dir=config_dir)[1])[0]
        wanted = set(entries) if wanted is None else wanted
        expanded = parse_parameters(self.runner.run('postconf', ['master_params', 'expand'], config_dir=config_dir)[1])
        overrides = {}
        for key in sorted(wanted & set(entries)):
            if os.path.basename(entries[key]['command']) != 'smtpd':
                continue
            overrides[key] = {name: expanded.get('%s/%s' % (key, name), value)
                              for name, value in entries[key]['options'].items()}
        return overrides

    def _check_tables_exist(self, named):
        """Refuse a table that Postfix could not open: each of ``named`` (where, value) names only tables whose
        files exist, or that this run writes."""
        for where, value in named:
            for table_type, path in _FILE_TABLE.findall(value):
                table = '%s:%s' % (table_type, path)
                missing = self._missing(table_type, path)
                if missing:
                    what, how = missing
                    raise ConfigValueError(
                        '%s names the table %s, but %s: Postfix cannot open it, and smtpd answers "451 4.3.5 Server '
                        'configuration error" where it is needed (other daemons defer the mail). Nothing was changed. '
                        'To fix, %s' % (where, table, what, how))

    def _missing(self, table_type, path):
        """(what is missing, how to fix it) when Postfix could not open the table ``table_type``:``path``; None when
        it can, when the run writes it, and for types without a file (inline:, static:...)."""
        table = '%s:%s' % (table_type, path)
        if table_type in SQL_TYPES:
            if table in self.staged_sql or _readable(path):
                return None
            return ('its settings file %s (%s_table(5)) %s' % (
                path, table_type, 'does not exist' if not os.path.exists(path) else 'cannot be read'),
                "write the settings first: in the same run with postconf's tables option (type %s), with "
                "mailops.postfix.postfix_map, or with the base role's base_virtual_sql_tables; or correct the "
                'path' % table_type)
        if table_type not in MANAGED_TYPES or table in self.written_tables:
            return None
        missing = [name for name in [path] + compiled_paths(table_type, path) if not _readable(name)]
        if not missing:
            return None
        if path in missing:
            return ('its file %s does not exist' % path if not os.path.exists(path) else '%s cannot be read' % path,
                    'create the table first: in the same run with postconf\'s tables option, with '
                    'mailops.postfix.postfix_map, or with the base role\'s base_access_tables')
        return ('%s, which Postfix reads, does not exist' % ', '.join(missing),
                'build it with postmap, or write the table with mailops.postfix.postfix_map')

    def _judge(self, where, verdict):
        self.warnings += ['%s: %s' % (where, warning) for warning in verdict.warnings]
        if not verdict.open:
            return
        element = ('"%s" in %s' % (verdict.element, verdict.parameter) if verdict.element
                   else 'the end of %s' % verdict.parameter)
        if verdict.decided:
            message = '%s makes an open relay: %s lets an outside client relay mail to other domains (%s)' % (
                where, element, verdict.reason)
        else:
            message = ('%s may make an open relay, and the open-relay guard cannot decide, so it refuses: at %s, %s'
                       % (where, element, verdict.reason))
        if not self.allow_open_relay:
            raise ConfigValueError('%s. Nothing was changed. Set allow_open_relay: true only if this host must relay '
                                   'for everyone' % message)
        self.warnings.append('%s; allowed by allow_open_relay' % message)

    def _tables(self, values):
        """Contents of the file tables the relay settings name: as the run writes them, else from the file.

        The files of mydestination's and the virtual domains' tables are not
        read: the guard asks Postfix about the few domains it needs (a virtual
        alias table can be large).
        """
        classes = split_list(values.get('smtpd_restriction_classes', ''))

        def named(settings):
            return set('%s:%s' % found for name in settings for found in _FILE_TABLE.findall(values.get(name, '')))

        read = named([name for name in RELAY_SETTINGS + tuple(classes)
                      if name not in OWN_DOMAIN_LISTS or name == 'relay_domains'])
        tables = {}
        for name in sorted(named(RELAY_SETTINGS + tuple(classes))):
            table_type, dummy, path = name.partition(':')
            if name in self.written_tables:
                tables[name] = self.written_tables[name]
            elif name in read and table_type in MANAGED_TYPES and os.path.isfile(path):
                with open(path, 'rb') as handle:
                    text = handle.read().decode('utf-8', 'surrogateescape')
                tables[name] = [(entry.key, entry.value)
                                for entry in entries_of(parse_source(text, syntax_of(table_type)))]
        return tables


class _TableTypes:
    """What ``postconf -m`` lists, read (PostfixRunner.table_types(): once per run, shared with the table jobs) only
    when a setting the change sets names a table: a change that names none starts no postconf -m."""

    def __init__(self, runner):
        self.runner = runner

    def __contains__(self, table_type):
        return table_type in self.runner.table_types()


def _names_tables(name):
    """Whether setting ``name`` names lookup tables besides restriction lists: *_maps, *_checks, domain and network
    lists."""
    return name.endswith(_TABLE_SETTINGS) or name in _LISTS_WITH_FILES


def _readable(path):
    return os.path.isfile(path) and os.access(path, os.R_OK)


def _expand_files(text, depth=0):
    """A domain or network list with its "/file/name" elements replaced by the file's elements, as Postfix reads
    them (match_list_parse()); a file that cannot be read stays as it is, for the guard to name."""
    if not any(item.lstrip('!').startswith('/') for item in split_list(text)):
        return text
    items = []
    for item in split_list(text):
        negated = item.startswith('!')
        path = item.lstrip('!')
        if not path.startswith('/') or depth > 4 or not os.path.isfile(path):
            items.append(item)
            continue
        with open(path, 'rb') as handle:
            lines = handle.read().decode('utf-8', 'surrogateescape').splitlines()
        inner = ' '.join(line for line in lines if line.strip() and not line.lstrip().startswith('#'))
        items += ['!' + element if negated else element for element in split_list(_expand_files(inner, depth + 1))]
    return ', '.join(items)
