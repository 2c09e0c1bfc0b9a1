# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry out and report a postconf run: its SQLite databases, tables, main.cf and master.cf in one transaction.

The plan comes from plan.py and the table jobs (tables.job). Every SQLite
database of ``sqlite_databases`` is built next to the live one
(tables.sqlite_db) and the sqlite tables that read it are looked up against
the staged copy; every table is built and judged, main.cf and master.cf staged
and checked (stage.py) before anything goes live; then the databases and the
tables go live just before the files that name them, and one reload follows.
Check mode does all but the install and the reload. The result's diff is built
from the plan (core.diff).

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import os
import tempfile

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.diff import config_diffs
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import normalize_spec
from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sql
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sqlite_db
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.stage import apply_changes, go_live


def apply(module, runner, result, checks, freeze_state, thaw_saved, jobs):
    """Stage and judge the databases, the tables and the planned changes, then install them all and reload.

    In check mode all but the install. The databases and tables go live after
    every check passed, just before the main.cf and master.cf that may name
    them. Returns the databases (sqlite_db.Staged) for the report.
    """
    params = module.params
    if thaw_saved is not None:
        freeze_state.save(module, thaw_saved)
        result['changed'] = True
    staged, databases = [], []
    try:
        for spec in params['sqlite_databases'] or []:
            databases.append(sqlite_db.stage(module, spec))
        new_databases = {database.path: database.staged for database in databases if database.staged}
        lookups = {}
        for job in jobs:
            lookup = lookup_settings(module, job, new_databases)
            if lookup:
                lookups[job.result['table']] = 'sqlite:%s' % lookup
            staged.append(table_job.stage(module, runner, job.table_type, job.params, job.plan, lookup))
            job.result['removed_leftovers'] = staged[-1].removed_leftovers
        checks.staged_sql = dict(table_job.staged_sql_tables(jobs, staged), **lookups)

        def install_tables(installation):
            for database in databases:
                sqlite_db.install(database, installation)
            for job, table in zip(jobs, staged):
                table_job.install(module, job.table_type, job.params, job.plan, table, installation=installation)

        reloads = table_job.reload_needs(runner, [(job.table_type, job.result['table'], job.plan) for job in jobs],
                                         result['changes'])
        if result['changes'] or result['service_changes']:
            apply_config(module, runner, result, checks, install_tables)
        else:
            if checks.written_tables or checks.allow_open_relay or checks.staged_sql:
                # No main.cf to stage: the checks look at the live configuration.
                checks.check(runner.config_dir, {}, {})
            # Also when nothing changed: an earlier run's files may be live without their reload. A new database
            # file needs one: the daemons that hold the old one open (proxymap) read it until they exit.
            go_live(module, runner, result, install_tables, params['reload'],
                    needed=any(reloads) or bool(new_databases), catch_up=True)
        for job, needed in zip(jobs, reloads):
            job.result['reload_needed'] = needed and result['reload_needed']
        # Making up for an earlier run's reload is a change of this run.
        result['changed'] = result['changed'] or result['pending_reload']
        return databases
    except BaseException:
        if thaw_saved is not None:
            freeze_state.restore(module)
        raise
    finally:
        for table in staged:
            table_job.discard(table)
        for database in databases:
            sqlite_db.discard(database)


def lookup_settings(module, job, new_databases):
    """The settings file to look an sqlite table of the run up through when the run stages its database
    (``new_databases``: live path -> staged file): the table's settings naming the staged file, in the module's
    temporary directory. None for every other table."""
    if job.table_type != 'sqlite' or job.plan.settings is None:
        return None
    staged = new_databases.get(dict(job.plan.settings).get('dbpath'))
    if staged is None:
        return None
    fd, path = tempfile.mkstemp(prefix='lookup-', suffix='.cf', dir=module.tmpdir)
    with os.fdopen(fd, 'w') as handle:
        handle.write(sql.render('sqlite', [(name, staged if name == 'dbpath' else value)
                                           for name, value in job.plan.settings]))
    return path


def apply_config(module, runner, result, checks, install_tables):
    """Stage, validate and install main.cf and master.cf; reload."""
    params = module.params
    # The -o parameters being set, per service, as they will be written.
    option_values = [{name: value for name, value in normalize_spec(spec).get('options', {}).items()
                      if value is not None} for spec in params['services'] or []]
    apply_changes(module, runner, result['changes'], result['service_changes'], result,
                  option_values=option_values, user_defined=params['user_defined_parameters'],
                  reload=params['reload'], backup=params['backup'], backup_keep=params['backup_keep'],
                  checks=checks.check,
                  before_install=install_tables)
    result['changed'] = True


def report(module, runner, result, jobs, checks, databases):
    """Each database's and table's result, whether anything changed, the diff of main.cf, master.cf, the databases
    and the tables, whether Postfix runs, and the restriction checks' warnings."""
    diffs = config_diffs(runner.config_dir, result['changes'], result['service_changes']) if result['changed'] else []
    result['sqlite_databases'] = [sqlite_db.report(database, module._diff) for database in databases]
    diffs += [database.pop('diff') for database in result['sqlite_databases'] if 'diff' in database]
    result['changed'] = result['changed'] or any(database['changed'] for database in result['sqlite_databases'])
    result['tables'] = []
    for job in jobs:
        table_job.report(job.result, job.table_type, job.params, job.plan, module._diff)
        result['tables'].append(job.result)
        diffs += [job.result.pop('diff')] if 'diff' in job.result else []
    result['changed'] = result['changed'] or any(job.result['changed'] for job in jobs)
    if module._diff and diffs:
        result['diff'] = diffs
    if 'running' not in result:
        result['running'] = postfix_control.is_running(runner)
    for warning in checks.warnings:
        module.warn(warning)
