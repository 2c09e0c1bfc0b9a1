# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan a configuration change: what a postconf run changes in main.cf and master.cf.

A change is name -> {before, after} for main.cf parameters and service/type ->
{before, after} for master.cf entries (after None: removed), as postconf's
result and diff show it. On a frozen host the freeze's settings stay as the
freeze set them (freeze.plan). The access tables given for the restriction
checks are read here too. Nothing here writes a file; staging, checking and
installing the plan is the rest of the transaction (run.py, stage.py).

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import os

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import (
    ConfigValueError,
    check_braces,
    check_name,
    current_values,
    render_value,
    values_equal,
)
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import (
    desired_entry,
    malformed_warning,
    normalize_spec,
    parse_entries,
    render_entry,
)
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.plan import plan_suspension_first, plan_while_frozen
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.state import FreezeState


def requested_parameters(params):
    """The main.cf parameters asked for: name -> value (values ignored for absent)."""
    if params['name'] is not None:
        return {params['name']: params['value']}
    requested = params['parameters']
    if requested is None:
        return {}
    if isinstance(requested, dict):
        return requested
    if isinstance(requested, list) and params['state'] == 'absent':
        return dict.fromkeys(requested)
    raise ConfigValueError('parameters must be a mapping of name to value (a list of names only with state=absent)')


def plan_removals(current, names, requested):
    """main.cf removals asked for with ``remove``: name -> {before, after None}."""
    both = sorted(set(names) & set(requested))
    if both:
        raise ConfigValueError('%s both set and removed: choose one' % ', '.join(both))
    changes = {}
    for name in names:
        check_name(name)
        if name in current:
            changes[name] = {'before': current[name], 'after': None}
    return changes


def read_main_cf(config_dir):
    with open(os.path.join(config_dir, 'main.cf'), 'rb') as handle:
        return handle.read().decode('utf-8', 'replace')


def plan_parameters(current, requested, state):
    """main.cf changes: name -> {before, after}; after None removes the parameter."""
    changes = {}
    for name, value in requested.items():
        check_name(name)
        if state == 'absent':
            if name in current:
                changes[name] = {'before': current[name], 'after': None}
        else:
            text = render_value(name, value)  # validates before anything is compared
            check_braces(name, text)
            if not values_equal(current.get(name), value):
                changes[name] = {'before': current.get(name), 'after': text}
    return changes


def check_unset(changes, names):
    """Refuse to replace what main.cf already sets for the parameters in ``names`` (the if_unset option)."""
    for name in names:
        change = changes.get(name)
        if change and change['before'] is not None and change['after'] is not None:
            raise ConfigValueError('%s is set already, to "%s", by someone else: it was left alone, and nothing was '
                                   'changed (if_unset). Remove it first, or leave it out of if_unset to replace it '
                                   '(with the archive role: archive_replace_bcc: true)' % (name, change['before']))


def plan_services(current, specs, malformed=()):
    """master.cf changes: service/type -> {before, after}; after None removes the entry.

    ``malformed`` (from parse_entries) holds the entries that cannot be read at
    all: such an entry can be removed, or replaced whole (its command given).
    """
    unreadable = {item.key: item for item in malformed if item.key not in current}
    changes, seen = {}, set()
    for spec in specs:
        normalized = normalize_spec(spec)
        key = '%s/%s' % (normalized['service'], normalized['type'])
        if key in seen:
            raise ConfigValueError('master.cf entry %s is given more than once in services' % key)
        seen.add(key)
        existing = current.get(key)
        before = render_entry(existing) if existing is not None else (
            ' '.join(unreadable[key].line.split()) if key in unreadable else None)
        if spec['state'] == 'absent':
            if before is not None:
                changes[key] = {'before': before, 'after': None}
            continue
        if key in unreadable and 'command' not in normalized:
            raise ConfigValueError('master.cf entry %s is malformed (%s): give its command (and args) to replace it '
                                   'whole, or remove it with state: absent' % (key, unreadable[key].problem))
        entry = desired_entry(existing, normalized)
        if entry != existing:
            changes[key] = {'before': before, 'after': render_entry(entry)}
    return changes


def keep_freeze(module, runner, current, changes, result):
    """A frozen host stays frozen, and suspended domains stay suspended (postfix_freeze).

    Returns the changes as they will go live, the instance's FreezeState (or
    None), and the new settings for the thaw to restore (or None); the result
    gets ``thaw_values``, the requested values that wait for the thaw.
    """
    if not {'master_service_disable', 'in_flow_delay', 'transport_maps'} & set(changes):
        return changes, None, None
    state = FreezeState(runner, current)
    changes, saved, held = plan_while_frozen(changes, current, state.saved)
    if held:
        result['thaw_values'] = {name: (saved or state.saved)[name] for name in held}
        module.warn('this host is frozen (mailops.postfix.postfix_freeze): %s stay as the freeze set them, and the '
                    'new values take effect with the thaw (postfix_freeze state=thawed)' % ' and '.join(held))
    changes, kept_first = plan_suspension_first(changes, state.table, state.suspended_domains())
    if kept_first:
        module.warn('domains are suspended (%s): %s stays first in transport_maps until they are resumed '
                    '(postfix_freeze resume=...)' % (', '.join(state.suspended_domains()), state.table))
    return changes, state, saved


def plan(module, runner, result):
    """Fill the result's changes and service_changes; return the FreezeState and the thaw's new settings (or None)."""
    params = module.params
    freeze_state, thaw_saved = None, None
    requested = requested_parameters(params)
    removals = params['remove'] or []
    if requested or removals:
        current = current_values(runner.run('postconf', ['non_default'])[1],
                                 lambda: read_main_cf(runner.config_dir), list(requested) + removals)
        result['changes'] = plan_parameters(current, requested, params['state'])
        check_unset(result['changes'], params['if_unset'])
        result['changes'].update(plan_removals(current, removals, requested))
        result['changes'], freeze_state, thaw_saved = keep_freeze(module, runner, current, result['changes'], result)
    if params['services']:
        current_services, malformed = parse_entries(runner.run('postconf', ['master'])[1])
        result['service_changes'] = plan_services(current_services, params['services'], malformed)
        for entry in malformed:
            if entry.key not in result['service_changes']:
                module.warn(malformed_warning(entry, os.path.join(runner.config_dir, 'master.cf')))
    return freeze_state, thaw_saved


def access_table_entries(tables):
    """access_tables as "type:path" -> [(key, value)], values as the table will hold them."""
    if tables is None:
        return {}
    if not isinstance(tables, dict):
        raise ConfigValueError('access_tables must be a mapping of table (type:path) to its entries')
    result = {}
    for name, entries in tables.items():
        if isinstance(entries, dict):
            items = list(entries.items())
        elif isinstance(entries, list) and all(isinstance(item, dict) and set(item) == {'key', 'value'}
                                               for item in entries):
            items = [(item['key'], item['value']) for item in entries]
        else:
            raise ConfigValueError('access_tables: the entries of %s must be a mapping of key to value, or a list '
                                   'of {key, value} items' % name)
        result[name] = [(str(key), ', '.join(map(str, value)) if isinstance(value, list) else str(value))
                        for key, value in items]
    return result
