# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The suspension table's part of a postfix_freeze run: its plan, and its way live with main.cf's changes.

transaction.freeze imports this module only for a run on a host that has a
suspension table or a run that asks to suspend or resume: the lookup-table
code it needs is left out of the other freezes and thaws.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.core.file_attributes import resolve
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.plan import suspension_value
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.state import read_suspension_table
from ansible_collections.mailops.postfix.plugins.module_utils.queue.actions import requeue_deferred
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build
from ansible_collections.mailops.postfix.plugins.module_utils.tables.plan import make_request, plan_content
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import change_needs_reload
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.freeze import apply_main_cf
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.stage import go_live


def plan_table(state, suspend, resume, suspend_text):
    """The suspension table's plan (tables.plan.ContentPlan): the ``suspend`` domains added, ``resume`` removed."""
    if state.table_text is None:
        read_suspension_table(state.table_path)  # a path that is not a plain file is refused before one is written
    request = make_request(state.table_type, dict.fromkeys(suspend, suspension_value(suspend_text)), None, False,
                           resume)
    return plan_content(request, state.table_text, state.table_path)


def stage_table(module, instance, table):
    """Build the suspension table's new content next to the live one; Postfix judges it, in check mode too.

    First removes the staged files that interrupted runs left (not in check mode).
    """
    state = instance.state
    if not module.check_mode:
        table_build.remove_leftovers(state.table_type, state.table_path)
    staged = table_build.build(module, instance.runner, state.table_type, state.table_path, table.content,
                               resolve(None, None, None, None, 0o644))
    for warning in staged.other_warnings:
        module.warn(warning)
    return staged


def apply_with_table(module, instance, changes, table, result, freezing):
    """Take the suspension table's new content live, with main.cf's ``changes`` if any; requeue resumed mail.

    A new table goes live in the same transaction as main.cf, just before
    the transport_maps that names it; a dropped one goes after.
    """
    staged = stage_table(module, instance, table) if table.entries else None

    def install_table(installation):
        if staged:
            table_build.install(staged, True, installation)

    try:
        if changes:
            apply_main_cf(module, instance, changes, result, freezing, install_table)
        else:
            # The suspension table alone changed: a transport table, which trivial-rewrite caches.
            go_live(module, instance.runner, result, install_table, module.params['reload'],
                    needed=change_needs_reload(instance.state.table_type, ['transport_maps']))
    finally:
        if staged:
            table_build.discard(staged)
    if not table.entries:
        table_build.remove(module, instance.state.table_type, instance.state.table_path)
    resumed = [pair[0].key for pair in table.changes.removed]
    if resumed:
        result['requeued'] = requeue_deferred(module, instance.runner, resumed)
