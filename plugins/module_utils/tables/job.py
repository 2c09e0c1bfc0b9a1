# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One lookup table as a job: read, plan, stage, install, report.

postfix_map runs one such job; postconf runs the jobs of the tables a
configuration names (its ``tables`` option) in the same transaction as main.cf,
so that every table is built and judged before anything goes live. The caller
holds the table's lock throughout.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import os
from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.core import diff
from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import parse_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.core.secrets import shown_key, shown_value
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sql
from ansible_collections.mailops.postfix.plugins.module_utils.tables.paths import check_table_path, config_directories
from ansible_collections.mailops.postfix.plugins.module_utils.tables.plan import NO_CHANGES, make_request, plan_content
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import (
    READ_AT_START,
    RELOAD_PARAMETERS,
    SQL_TYPES,
    WRITTEN_TYPES,
    change_needs_reload,
    check_supported,
    compiled_paths,
    naming_parameters,
)

CHANGED_KEYS_LIMIT = 100

# rules as AnsibleModule would check them; postfix_map declares them raw, so that
# ad-hoc text is read first (core.arguments.structured).
RULES_SPEC = {'type': 'list', 'elements': 'dict', 'options': {
    'pattern': {'type': 'str', 'required': True},
    'action': {'type': 'raw', 'required': True},
}}

# postconf's tables: each one a job, in the same transaction as main.cf; its
# fields are postfix_map's options of the same names (an SQL table's settings: sql.OPTIONS_SPEC).
TABLES_SPEC = {'type': 'list', 'elements': 'dict', 'mutually_exclusive': [('entries', 'rules', 'secret_entries')],
               'options': dict({'name': {'type': 'str'},
                                'path': {'type': 'path', 'required': True},
                                'type': {'type': 'str', 'choices': sorted(WRITTEN_TYPES)},
                                'entries': {'type': 'raw'},
                                'secret_entries': {'type': 'raw', 'no_log': True},
                                'rules': RULES_SPEC,
                                'format': {'type': 'str', 'default': 'postmap', 'choices': ['postmap', 'postalias']},
                                'access': {'type': 'bool', 'default': False}}, **sql.OPTIONS_SPEC)}


# A table job's parameters, as postfix_map's options name them; postconf's
# tables give path, type, entries, rules and format, and take the rest from here.
DEFAULTS = dict({'entries': None, 'rules': None, 'secret_entries': None, 'exclusive': True, 'remove_keys': None,
                 'format': 'postmap', 'owner': None, 'group': None, 'mode': None, 'name': None, 'access': False},
                **{name: None for name in sql.OPTIONS_SPEC})

# An SQL table's file holds a password: readable by root and Postfix's daemons (group postfix), nobody else.
SQL_FILE_GROUP = 'postfix'
SQL_FILE_MODE = '0640'

# The table as it is: its source text (None: no file), and the check of its
# compiled files, started in the background while the module plans.
Current = namedtuple('Current', 'text check')

# What a run does: ``content`` is the new source (None: unchanged) and
# ``build`` the source to build from (the new one, or the current one when
# only the compiled files are out of date, None when nothing is built);
# ``attribute_fixes`` are files whose owner, group or mode differ; ``created``:
# the table has no source file yet; ``settings``: an SQL table's settings
# ([(name, value)], tables.sql), None for a file table.
Plan = namedtuple('Plan', 'content build entries changes rebuild_reason attributes attribute_fixes secret created '
                          'settings', defaults=(False, None))

# A table built next to the live one (table_build.Staged, None when nothing is
# built), and the staged files of interrupted runs that staging removed.
Staged = namedtuple('Staged', 'files removed_leftovers')


def table_type_of(requested, default_type, supported):
    """The requested type, checked against ``postconf -m`` (``supported``); ``default_type`` if none."""
    table_type = requested or default_type
    check_supported(table_type, supported)
    return table_type


def read(runner, table_type, path, aliases):
    """The table's current source, and the check of its compiled files."""
    if aliases and not compiled_paths(table_type, path):
        raise TableSourceError('format=postalias builds indexed tables (hash, lmdb, cdb, btree, dbm, sdbm), not %s'
                               % table_type)
    raw = atomic_file.read_bytes(path)
    check = None
    if raw is not None and compiled_paths(table_type, path):
        check = table_build.CompiledCheck(runner, table_type, path, aliases)
    return Current(None if raw is None else raw.decode('utf-8', 'surrogateescape'), check)


def plan(params, table_type, current):
    """What the run does to the table: see Plan."""
    try:
        sql.check_options(table_type, params)
    except TableSourceError:
        if current.check:
            current.check.cancel()
        raise
    if table_type in SQL_TYPES:
        return plan_sql(params, table_type, current)
    path = params['path']
    secret = params['secret_entries'] is not None
    try:
        request = make_request(table_type, params['secret_entries'] if secret else params['entries'], params['rules'],
                               params['exclusive'], params['remove_keys'], secret, params['format'] == 'postalias')
        content = plan_content(request, current.text, path)
        rebuild_reason = current.check.problem_with(content.entries) if current.check and content.content is None else None
    finally:
        if current.check:
            current.check.cancel()
    attributes = file_attributes.resolve(params['owner'], params['group'],
                                         '0600' if secret and params['mode'] is None else params['mode'],
                                         file_attributes.current(path), 0o644)
    build = content.content if content.content is not None else current.text if rebuild_reason else None
    fixes = [candidate for candidate in table_build.existing_files(table_type, path)
             if file_attributes.differs(os.stat(candidate), attributes)]
    return Plan(content.content, build, content.entries, content.changes, rebuild_reason, attributes, fixes, secret,
                current.text is None)


def plan_sql(params, table_type, current):
    """An SQL table's plan: its settings file (tables.sql), mode 0640 and group postfix unless given."""
    path = params['path']
    settings = sql.settings_of(table_type, params)
    text = sql.render(table_type, settings)
    content = None if current.text == text else text
    attributes = file_attributes.resolve(params['owner'], params['group'] or SQL_FILE_GROUP,
                                         params['mode'] or SQL_FILE_MODE, file_attributes.current(path), 0o640)
    fixes = [candidate for candidate in table_build.existing_files(table_type, path)
             if file_attributes.differs(os.stat(candidate), attributes)]
    changes = NO_CHANGES if content is None else sql.compare(current.text, settings)
    return Plan(content, content, [], changes, None, attributes, fixes, False, current.text is None, settings)


def stage(module, runner, table_type, params, plan, lookup=None):
    """Build the planned table next to the live one and let Postfix judge it, in check mode too.

    First removes the staged files that interrupted runs left (not in check mode).
    ``lookup``: the settings an sqlite table is looked up through, naming the database the run stages
    (sqlite_db.stage()), which exists.
    """
    path = params['path']
    removed = [] if module.check_mode else table_build.remove_leftovers(table_type, path)
    files = None
    if plan.build is not None and (lookup is not None or sqlite_database_exists(module, table_type, params)):
        files = table_build.build(module, runner, table_type, path, plan.build, plan.attributes, secret=plan.secret,
                                  aliases=params['format'] == 'postalias',
                                  probe=sql.probe_key(params) if plan.settings is not None else None,
                                  hidden=[params['password']] if params.get('password') else [], lookup=lookup)
        for warning in files.other_warnings:
            module.warn(warning)
    return Staged(files, removed)


def sqlite_database_exists(module, table_type, params):
    """Whether an sqlite table's database file exists (always True for other types): sql.missing_database().

    A real run refuses the table. A check run cannot tell whether an earlier
    task of the play (postfix_sqlite) creates the file first; it does not look
    the table up (which would create the file) and says so. A database the same
    postconf run stages (sqlite_databases) comes as ``lookup`` to stage() instead.
    """
    missing = sql.missing_database(params['dbpath']) if table_type == 'sqlite' else None
    if not missing:
        return True
    if not module.check_mode:
        raise TableSourceError('%s: %s. Create it first (mailops.postfix.postfix_sqlite, or the sqlite_databases option of postconf, as '
                               'the base role does) or correct dbpath. Nothing was changed' % (params['path'], missing))
    module.warn('%s: the database %s (dbpath) does not exist yet, so check mode did not look the table up; the real '
                'run refuses the table unless the file exists by then' % (params['path'], params['dbpath']))
    return False


def install(module, table_type, params, plan, staged, backup=False, installation=None):
    """Put the staged table live (not in check mode) and fix file attributes. Returns the backup or None.

    ``installation`` (atomic_file.Installation): the caller's run, which can put the previous files back.
    """
    path = params['path']
    backup_file = None
    if staged.files:
        if backup and plan.content is not None and os.path.exists(path):
            # A backup of a secret table, or of an SQL table's settings (a password), gets the table's enforced
            # mode, not the old file's.
            backup_file = atomic_file.backup(module, path,
                                             plan.attributes if plan.secret or plan.settings is not None else None,
                                             params.get('backup_keep'))
        table_build.install(staged.files, plan.content is not None, installation)
    for candidate in table_build.existing_files(table_type, path):
        if file_attributes.differs(os.stat(candidate), plan.attributes):
            file_attributes.apply(candidate, plan.attributes)
    return backup_file


def staged_sql_tables(jobs, staged):
    """The SQL tables the run writes, for the restriction checks: "type:path" -> "type:staged path", to look them up
    through the settings the run leaves, before they go live; or "type:path" itself where a check run did not stage
    the table (its sqlite database does not exist yet)."""
    return {job.result['table']: table_build.table_name(job.table_type, table.files.source) if table.files
            else job.result['table'] for job, table in zip(jobs, staged)
            if job.plan.settings is not None and job.plan.build is not None}


def discard(staged):
    """Remove a staged table that is not going live."""
    if staged.files:
        table_build.discard(staged.files)


def reload_needs(runner, tables, parameter_changes=None):
    """For each (table_type, table, plan) of ``tables``: whether its change needs a reload (change_needs_reload()).

    A table that nothing is built for needs none. Which parameters name the
    others is read as the run leaves them: the main.cf parameters of
    ``parameter_changes`` (name -> {before, after}) as they will be, the
    others live, $name expanded by postconf, in one run, and only when the type
    alone does not decide.
    """
    values = {}
    if any(plan.build is not None and table_type not in READ_AT_START for table_type, dummy, plan in tables):
        # Postfix expands $name as the run leaves main.cf: the planned values go in as overrides (postconf -o),
        # so that hash:$config_directory/transport set in this run names that table.
        overrides = [('override', '%s=%s' % (name, change['after'] or ''))
                     for name, change in sorted((parameter_changes or {}).items())]
        values = parse_parameters(runner.run('postconf', ['expand'] + overrides, sorted(RELOAD_PARAMETERS))[1])
    return [plan.build is not None and change_needs_reload(table_type, naming_parameters(table, values))
            for table_type, table, plan in tables]


def report(result, table_type, params, plan, with_diff):
    """The table's result fields, and ``with_diff`` its diff, from the plan."""
    if plan.settings is None:
        result['entries'] = len(plan.entries)
    else:
        result['settings'] = sql.shown_settings(plan.settings)
    summarize_changes(result, plan.changes, plan.secret)
    result['rebuilt'] = bool(compiled_paths(table_type, params['path'])) and plan.build is not None
    result['changed'] = plan.build is not None or bool(plan.attribute_fixes)
    notes = []
    if plan.content is not None and not any(plan.changes):
        # No entry changes, yet a new source: an empty table made, or a file rewritten to hold exactly the entries.
        if plan.settings is not None:
            notes.append(('the file holds other lines (comments, order, unknown names)', 'the settings as written'))
        else:
            notes.append(('no table' if plan.created else 'the file holds duplicate, malformed or if/endif lines',
                          'an empty table' if plan.created else 'the file holds exactly the entries'))
    if plan.rebuild_reason:
        result['rebuild_reason'] = plan.rebuild_reason
        notes.append((plan.rebuild_reason, 'compiled table rebuilt'))
    if plan.attribute_fixes:
        notes.append(('attributes of %s differ' % ', '.join(plan.attribute_fixes),
                      file_attributes.describe(plan.attributes)))
    if with_diff and result['changed'] and plan.settings is not None:
        result['diff'] = diff.settings_diff(diff.changed_entries(params['path']), plan.changes, notes)
    elif with_diff and result['changed']:
        result['diff'] = diff.table_diff(diff.changed_entries(result['table']), plan.changes, plan.secret, notes,
                                         limit=diff.ENTRY_LIMIT)


def summarize_changes(result, changes, secret):
    """The counts, the changed keys, and each changed entry's value before and after (None: no entry).

    A secret table's values show as secrets.MASK (where there is one), so that
    a drift report can say that a credential differs without showing it.
    """
    result['changes'] = {'added': len(changes.added), 'removed': len(changes.removed),
                         'changed': len(changes.changed), 'reordered': changes.reordered}
    pairs = (changes.added + changes.removed + changes.changed)[:CHANGED_KEYS_LIMIT]
    result['changed_keys'] = [shown_key(pair[0] or pair[1], secret) for pair in pairs]
    result['secret'] = secret
    result['entry_changes'] = [
        dict(key=key, **{side: None if entry is None else shown_value() if secret else entry.value
                         for side, entry in zip(('before', 'after'), pair)})
        for key, pair in zip(result['changed_keys'], pairs)]


# The tables of a postconf run (its ``tables`` option): each one's job, staged
# and judged before main.cf, installed just before main.cf goes live.
Job = namedtuple('Job', 'params table_type plan result')


def plan_jobs(runner, specs, hold_lock):
    """Lock, read and plan each table of ``specs``; ``hold_lock(path)`` takes the table's lock until the run ends."""
    jobs, seen = [], set()
    if not specs:
        return jobs
    default_type = runner.parameters(['default_database_type'])['default_database_type']
    supported = runner.table_types()
    directories = config_directories(runner)
    for spec in specs:
        params = dict(DEFAULTS, **{name: value for name, value in spec.items() if value is not None})
        if params['path'] in seen:
            raise TableSourceError('tables: %s is given more than once' % params['path'])
        seen.add(params['path'])
        check_table_path(params['path'], False, directories)
        hold_lock(params['path'])
        table_type = table_type_of(spec['type'], default_type, supported)
        current = read(runner, table_type, params['path'], params['format'] == 'postalias')
        result = {'name': params.get('name'), 'table': table_build.table_name(table_type, params['path']),
                  'type': table_type}
        jobs.append(Job(params, table_type, plan(params, table_type, current), result))
    return jobs


def access_entries(jobs):
    """The access tables among the jobs as the restriction checks take them: "type:path" -> [(key, value)]."""
    return {job.result['table']: [(entry.key, entry.value) for entry in job.plan.entries]
            for job in jobs if job.params.get('access')}


def planned_entries(jobs):
    """Every table of the jobs as the run leaves it, for the restriction checks: "type:path" -> [(key, value)].

    A secret table's values are left out (an empty list): no check reads them.
    An SQL table is left out: its rows are in the database, which the checks ask through Postfix.
    """
    return {job.result['table']: [] if job.plan.secret else [(entry.key, entry.value) for entry in job.plan.entries]
            for job in jobs if job.plan.settings is None}
