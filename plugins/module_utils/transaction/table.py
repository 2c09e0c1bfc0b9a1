# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""postfix_map's run: one lookup table in a transaction of its own.

A present table is read, planned, built and judged as a table job
(tables.job), then goes live with the reload its daemons need, and a reload
that fails puts the previous table back (stage.go_live). An absent table is
removed only when neither main.cf nor master.cf names it any more.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.core.diff import removed_files_diff
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build
from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import table_reference
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.stage import go_live


def references(runner, path):
    """main.cf parameters and master.cf -o settings that still name the table's file, under any type.

    Values are read with $name expanded (postconf -x), so hash:$config_directory/x
    counts (tables.types.table_reference()).
    """
    pattern = table_reference(path)
    found = []
    for options in (['non_default', 'expand'], ['master_params', 'expand']):
        for line in runner.run('postconf', options)[1].split('\n'):
            if pattern.search(line.partition('=')[2]):
                found.append(line.split('=', 1)[0].strip())
    return found


def present(module, runner, table_type, result):
    """Read, plan, stage, install (unless in check mode) and report the table; reload where daemons need it."""
    params = module.params
    current = table_job.read(runner, table_type, params['path'], params['format'] == 'postalias')
    plan = table_job.plan(params, table_type, current)
    staged = table_job.stage(module, runner, table_type, params, plan)
    result['removed_leftovers'] = staged.removed_leftovers

    def install(installation):
        backup_file = table_job.install(module, table_type, params, plan, staged, params['backup'], installation)
        if backup_file:
            result['backup_file'] = backup_file

    # A reload that fails puts the previous table back.
    go_live(module, runner, result, install, params['reload'],
            needed=table_job.reload_needs(runner, [(table_type, result['table'], plan)])[0])
    if module.check_mode:
        table_job.discard(staged)
    table_job.report(result, table_type, params, plan, module._diff)


def absent(module, runner, table_type, result):
    """Remove the table's files (not in check mode), once nothing names the table any more."""
    path = module.params['path']
    if not table_build.existing_files(table_type, path):
        return
    still_used = references(runner, path)
    if still_used:
        raise TableSourceError('%s is still used by %s; remove it from there first (mailops.postfix.postconf), '
                               'or Postfix daemons would fail to open it' % (result['table'], ', '.join(still_used)))
    result['removed_files'] = table_build.remove(module, table_type, path)
    if module._diff:
        result['diff'] = removed_files_diff(result['table'], result['removed_files'])
    result['changed'] = True
