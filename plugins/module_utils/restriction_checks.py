# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The restriction checks postconf runs on a staged configuration before it goes live.

Private to this collection: roles and playbooks use the modules, never module_utils.

Postfix finds a misspelt restriction only when a client reaches it (smtpd
answers "451 4.3.5 Server configuration error"), and postfix check never
finds an open relay. This reads what the staged main.cf and master.cf mean
($name expanded, with postconf itself) and applies restriction_lists and
relay_guard to it:

- every restriction list the change sets, in main.cf (smtpd_*_restrictions
  and restriction classes) and in master.cf -o overrides, must name
  restrictions this Postfix version knows, classes that exist, and table
  types this host supports;
- the values of access tables the caller writes must be access(5) results
  or restriction lists;
- when the change touches what decides relaying, an outside client must not
  be able to relay: main.cf's lists, and each smtpd service's overrides.
"""

from __future__ import annotations

import os
import re

from ansible_collections.mailops.postfix.plugins.module_utils.main_cf import (
    ConfigValueError,
    parse_parameters,
    split_list,
)
from ansible_collections.mailops.postfix.plugins.module_utils.master_cf import parse_entries
from ansible_collections.mailops.postfix.plugins.module_utils.relay_guard import relay_verdict
from ansible_collections.mailops.postfix.plugins.module_utils.restriction_lists import (
    check_access_table_values,
    check_restrictions,
    is_restriction_parameter,
)
from ansible_collections.mailops.postfix.plugins.module_utils.table_source import entries_of, parse_source, syntax_of
from ansible_collections.mailops.postfix.plugins.module_utils.table_types import MANAGED_TYPES

# What decides whether an outside client can relay, besides the restriction classes.
RELAY_SETTINGS = ('smtpd_relay_restrictions', 'smtpd_recipient_restrictions', 'mynetworks',
                  'smtpd_restriction_classes', 'permit_mx_backup_networks')
# Other settings a change to which changes the meaning of the ones above.
_RELAY_INPUTS = frozenset(RELAY_SETTINGS) | frozenset(['mynetworks_style', 'relay_domains', 'mydestination'])
# A table named in a restriction list: type:path, also inside proxy: and { ... } groups.
_FILE_TABLE = re.compile(r'\b([a-z]+):(/[^\s,{}]+)')


class RestrictionChecks:
    """Checks of one postconf run; call check() with the staged configuration directory.

    ``access_tables`` maps "type:path" to the table's entries as they will
    be ((key, value) pairs): the tables the caller writes in the same run,
    whose values are checked and whose contents the relay guard reads
    instead of the file. ``allow_open_relay`` turns a refusal into a warning.
    """

    def __init__(self, runner, version, access_tables=None, allow_open_relay=False):
        self.runner = runner
        self.version = version
        self.access_tables = access_tables or {}
        self.allow_open_relay = allow_open_relay
        self.warnings = []

    def check(self, config_dir, parameter_changes, service_changes):
        """Raise ConfigValueError for a list Postfix cannot use or an open relay; collect warnings."""
        values = self._values(config_dir)
        classes = split_list(values.get('smtpd_restriction_classes', ''))
        changed = set(name for name, change in parameter_changes.items() if change['after'] is not None)
        if 'smtpd_restriction_classes' in parameter_changes:
            changed |= set(name for name in values if is_restriction_parameter(name, classes))
        table_types = set(self.runner.run('postconf', ['map_types'], config_dir=config_dir)[1].split())
        for name in sorted(changed):
            if is_restriction_parameter(name, classes):
                self.warnings += check_restrictions(name, values.get(name, ''), self.version, classes, table_types)
        overrides = self._overrides(config_dir, service_changes)
        for service, options in sorted(overrides.items()):
            for name, value in sorted(options.items()):
                if is_restriction_parameter(name, classes):
                    self.warnings += check_restrictions('%s -o %s' % (service, name), value, self.version, classes,
                                                        table_types)
        for table, entries in sorted(self.access_tables.items()):
            self.warnings += check_access_table_values(table, entries, self.version, classes)
        relay_changed = (changed & (_RELAY_INPUTS | set(classes)) or self.access_tables
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
        return [(where, relay_verdict(settings, self.version, self._tables(settings))) for where, settings in judged]

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

    def _judge(self, where, verdict):
        self.warnings += ['%s: %s' % (where, warning) for warning in verdict.warnings]
        if not verdict.open:
            return
        element = ('"%s" in %s' % (verdict.element, verdict.parameter) if verdict.element
                   else 'the end of %s' % verdict.parameter)
        message = '%s makes an open relay: %s lets an outside client relay to any domain (%s)' % (
            where, element, verdict.reason)
        if not self.allow_open_relay:
            raise ConfigValueError('%s. Nothing was changed. Set allow_open_relay: true only if this host must relay '
                                   'for everyone' % message)
        self.warnings.append('%s; allowed by allow_open_relay' % message)

    def _tables(self, values):
        """Contents of the file tables the relay settings name: as the caller writes them, else from the file."""
        tables = {}
        for table_type, path in _FILE_TABLE.findall(' '.join(values.values())):
            name = '%s:%s' % (table_type, path)
            if name in self.access_tables:
                tables[name] = self.access_tables[name]
            elif table_type in MANAGED_TYPES and os.path.isfile(path):
                with open(path, 'rb') as handle:
                    text = handle.read().decode('utf-8', 'surrogateescape')
                tables[name] = [(entry.key, entry.value)
                                for entry in entries_of(parse_source(text, syntax_of(table_type)))]
        return tables
