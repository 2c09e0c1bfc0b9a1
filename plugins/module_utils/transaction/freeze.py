# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""postfix_freeze's run: read an instance, plan a freeze, thaw, suspension or resumption, carry it out, report.

The main.cf changes come from freeze.plan and go live through stage.py, the
same staged, validated path as postconf's; the suspension table is built and
judged with the lookup-table code and goes live in the same transaction, just
before the transport_maps that names it (transaction.suspension, imported only
by the runs that have such a table or ask for one).

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.diff import config_diffs, table_diff
from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import parse_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import parse_entries
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.plan import (
    is_frozen,
    plan_freeze,
    plan_thaw,
    plan_transport_maps,
    qmgr_entry,
)
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.state import FreezeState
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import check_site
from ansible_collections.mailops.postfix.plugins.module_utils.queue.status import LIFETIMES, queue_status
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.stage import apply_changes


# The suspension table's plan of a run on a host without one that asks for none: nothing to read or write.
NO_TABLE = SimpleNamespace(content=None, entries=())


class Instance:
    """What this module reads of one Postfix instance."""

    def __init__(self, runner):
        self.runner = runner
        # What the run reads of main.cf besides its explicit settings, in one postconf: the table type,
        # where master's pid file is (whether Postfix runs) and the queue's lifetimes (the report).
        runner.parameters(('default_database_type', 'queue_directory') + LIFETIMES)
        self.explicit = parse_parameters(runner.run('postconf', ['non_default'])[1])
        self.state = FreezeState(runner, self.explicit)


def plan(module, instance):
    """main.cf changes, the suspension table's new content (None: unchanged), and warnings."""
    params = module.params
    changes = {}
    warnings = []
    if params['state'] == 'frozen' and not is_frozen(instance.explicit.get('master_service_disable')):
        # master.cf is read only for a freeze to make: how it names the queue manager.
        qmgr = qmgr_entry(parse_entries(instance.runner.run('postconf', ['master'])[1])[0])
        changes.update(plan_freeze(instance.explicit, qmgr))
    elif params['state'] == 'thawed':
        changes.update(plan_thaw(instance.explicit, instance.state.saved))
    suspend = [check_site(domain, 'suspend') for domain in params['suspend']]
    resume = [check_site(domain, 'resume') for domain in params['resume']]
    state = instance.state
    if suspend or resume or state.table_text is not None:
        # The lookup-table code is imported only by the runs that have a suspension table or ask for one: most
        # freezes and thaws have none, and on each host of a fleet freeze it was a fifth of the module's Python
        # imports (15 to 20 ms of CPU).
        from ansible_collections.mailops.postfix.plugins.module_utils.transaction import suspension
        table = suspension.plan_table(state, suspend, resume, params['suspend_text'])
    else:
        table = NO_TABLE
    transport_maps = plan_transport_maps(instance.explicit, state.table, bool(table.entries))
    if suspend or resume:
        changes.update(transport_maps)
    elif transport_maps:
        # Someone else rewrote transport_maps; only a suspend or resume puts the table back.
        warnings.append('transport_maps = %s does not match the suspended domains (%s): repeat a suspend or resume '
                        'to put %s first again, or to remove it' % (
                            instance.explicit.get('transport_maps'),
                            ', '.join(entry.key for entry in table.entries) or 'none', state.table))
    return changes, table, warnings


def apply(module, instance, changes, table, result):
    freezing = 'master_service_disable' in changes and is_frozen(changes['master_service_disable']['after'])
    if freezing:
        # Saved before main.cf changes, so that a thaw can always restore it.
        instance.state.save(module, {
            'frozen_since': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            'in_flow_delay': instance.explicit.get('in_flow_delay'),
            'master_service_disable': instance.explicit.get('master_service_disable'),
            'frozen_with': changes['master_service_disable']['after']})
    if table.content is None:
        apply_main_cf(module, instance, changes, result, freezing)
    else:
        # Imported here: see plan().
        from ansible_collections.mailops.postfix.plugins.module_utils.transaction import suspension
        suspension.apply_with_table(module, instance, changes, table, result, freezing)
    if 'master_service_disable' in changes and not is_frozen(changes['master_service_disable']['after']):
        instance.state.remove(module)


def apply_main_cf(module, instance, changes, result, freezing, install_table=None):
    """Take main.cf ``changes`` live and reload; ``install_table(installation)`` installs the suspension table first,
    in the same transaction. A freeze that did not go live puts the state file back."""
    applied = False
    try:
        # Validated in proportion to the change: the staged main.cf as postconf reads it, the
        # type of every value (a thaw's come from the state file) and the file as every Postfix
        # command reads it, but not postfix check, which judges the whole installation (hundreds of
        # processes) and nothing of these three settings. A reload that fails puts main.cf back.
        apply_changes(module, instance.runner, changes, {}, result, reload=module.params['reload'],
                      before_install=install_table, postfix_check=False)
        applied = True
    finally:
        if freezing and not applied:
            instance.state.restore(module)


def build_diff(config_dir, changes, table, table_name):
    """One diff for the changed main.cf parameters, one for the suspension entries."""
    diffs = config_diffs(config_dir, changes)
    if table.content is not None:
        diffs.append(table_diff(table_name, table.changes))
    return diffs


def report(instance, changes, table, result):
    """The status after the run (or, in check mode, as the run would leave it)."""
    disabled = changes.get('master_service_disable', {}).get(
        'after', instance.explicit.get('master_service_disable'))
    result['frozen'] = is_frozen(disabled)
    if result['frozen']:
        result['frozen_since'] = instance.state.saved.get('frozen_since')
    result['suspended_domains'] = sorted(entry.key for entry in table.entries)
    if 'running' not in result:
        result['running'] = postfix_control.is_running(instance.runner)
    result['queue'] = queue_status(instance.runner)
