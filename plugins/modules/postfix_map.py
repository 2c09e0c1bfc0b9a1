#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_map
short_description: Manage Postfix lookup tables of every file type, built and installed atomically
version_added: 0.1.0
description:
  - Writes the source file of a Postfix lookup table (access, transport, virtual, sasl_passwd, header_checks, client
    CIDR lists...) and, for indexed types, builds it with C(postmap), the way Postfix documents it.
  - "Indexed types (V(hash), V(btree), V(lmdb), V(cdb), V(dbm), V(sdbm)) are compiled into C(.db), C(.lmdb),
    C(.cdb) or C(.dir)/C(.pag) files; daemons notice a rebuilt file by themselves. V(texthash), V(regexp), V(pcre) and
    V(cidr) tables are read from the source when a daemon starts; after a change Postfix is reloaded (O(reload))."
  - The new table is staged next to the live one and built or opened by Postfix first; every warning Postfix has
    (a bad regular expression, a CIDR network with host bits, a duplicate key) fails the task with Postfix's message
    and the entry it is about, and nothing changes. Otherwise the compiled files and then the source are renamed into
    place, so daemons never see a half-written table, and an interrupted run leaves the previous table in place.
  - A run changes nothing when the source already holds the requested entries and the compiled table exists, is not
    older than the source and holds the same entries (C(postmap -s)); otherwise the compiled table is rebuilt.
  - To look keys up in any table, including ones this module does not manage, use M(mailops.postfix.postfix_lookup).
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
  - mailops.postfix.common.changes
  - mailops.postfix.common.file_attributes
  - mailops.postfix.common.backup
  - mailops.postfix.common.attributes
options:
  path:
    description:
      - The table's source file, as named in main.cf after the type (V(/etc/postfix/access) for
        C(hash:/etc/postfix/access)).
    type: path
    required: true
  type:
    description:
      - The table type. Defaults to the host's C(default_database_type).
      - The type must be listed by C(postconf -m); otherwise the task fails and names the package that adds it
        (for example C(postfix-pcre) or C(postfix-lmdb)).
    type: str
    choices: [btree, cdb, cidr, dbm, hash, lmdb, pcre, regexp, sdbm, texthash]
  entries:
    description:
      - The entries of a key/value table (every type except V(regexp), V(pcre) and V(cidr)).
      - A mapping of key to value, or a list of items with C(key) and C(value).
      - Values may be lists; they are joined with V(, ) (several restrictions, several addresses).
      - Keys are compared the way Postfix looks them up, folded to lower case. A key with white space in an address
        localpart is written quoted (V(john doe@example.com) becomes V("john doe"@example.com)); other white space in a
        key is an error.
      - With O(exclusive=true) this is the whole table, and an empty list makes an empty table.
      - "In ad-hoc key=value arguments, give it as JSON text: C(entries='{\"spammer@example.net\": \"REJECT\"}'), or as
        C(key=value) pairs, the way Ansible reads a dictionary."
      - For values that must never be shown (passwords), use O(secret_entries) instead.
    type: raw
  rules:
    description:
      - The rules of a V(regexp), V(pcre) or V(cidr) table, in order; the first match wins. A list of items with
        O(rules[].pattern) and O(rules[].action).
      - Postfix itself checks each rule before the table goes live.
      - "In ad-hoc key=value arguments, give the list as JSON text: C(rules='[{\"pattern\": \"/x/\", \"action\": \"OK\"}]')."
    type: raw
    suboptions:
      pattern:
        description:
          - V(/regex/flags), V(!/regex/) (regexp, pcre), or an address or V(network/prefix) (cidr), as Postfix writes it.
        type: str
        required: true
      action:
        description: The result or action, for example V(REJECT spam) or V(permit_sasl_authenticated). Lists are joined
          with V(, ).
        type: raw
        required: true
  exclusive:
    description:
      - With V(true), O(entries) or O(rules) are the whole table, and the file is rewritten when it holds anything else.
      - With V(false), the given entries are added or changed in place and the keys in O(remove_keys) are removed;
        every other line, comments included, stays as it is. Use it for incident work ("reject this sender now").
    type: bool
    default: true
  remove_keys:
    description:
      - Keys (or rule patterns) to remove from the table. Only with O(exclusive=false).
    type: list
    elements: str
  state:
    description:
      - V(absent) removes the source and the compiled files of the table.
      - Removing a table that main.cf or master.cf still refers to is refused; remove the reference first.
    type: str
    choices: [present, absent]
    default: present
  secret_entries:
    description:
      - Instead of O(entries), for a table whose values are secrets (C(smtp_sasl_password_maps)), in the same form.
      - The values never appear in results, diffs (they show as V(********)), error messages or logs, not even when
        Ansible itself rejects the task's arguments; the keys stay visible. The files default to mode V(0600).
      - Secrets reach Postfix only through the 0600 staged file, never on a command line.
    type: raw
  format:
    description:
      - V(postmap) for lookup tables.
      - "V(postalias) for an aliases(5) table (C(alias_maps), C(alias_database)), written as C(name: value) lines and
        built with C(postalias), as C(newaliases) does. O(entries) map alias names to their targets (lists are joined
        with V(, )). Only for the indexed types (V(hash), V(lmdb), V(cdb), V(btree), V(dbm), V(sdbm))."
    type: str
    choices: [postmap, postalias]
    default: postmap
  follow:
    description:
      - When O(path) is a symlink, manage the file it points to; the compiled files stay next to O(path), where
        Postfix looks for them. With O(state=absent) the symlink and the compiled files are removed, not the file it
        points to.
      - Without it, a symlink is refused before anything is read, so that its target never shows in a diff.
    type: bool
    default: false
notes:
  - Postfix's own files (main.cf, master.cf, dynamicmaps.cf, postfix-files, postfix-script and the C(.d)
    directories, in the configuration directory of any instance) are refused as tables, and so is a relative
    O(path).
  - O(entries) is an ordinary option so that tables of 100,000 entries stay fast; Ansible's masking of no_log
    options costs time per value. Secrets belong in O(secret_entries).
  - C(if)/C(endif) blocks in V(regexp) and V(pcre) tables are kept by O(exclusive=false), but cannot be written
    through O(rules).
  - "Keys with non-ASCII letters are compared case-folded; Postfix folds them the same way when C(smtputf8_enable)
    is on (the default)."
seealso:
  - module: mailops.postfix.postfix_lookup
  - name: Postfix lookup table types
    description: DATABASE_README
    link: https://www.postfix.org/DATABASE_README.html
'''

EXAMPLES = r'''
- name: Incident - reject a sender now, keep the rest of the table (ad-hoc)
  # ansible mx -m mailops.postfix.postfix_map -a 'path=/etc/postfix/rejected_senders exclusive=false
  #   entries={"spammer@example.net":"REJECT compromised account"}'
  mailops.postfix.postfix_map:
    path: /etc/postfix/rejected_senders
    exclusive: false
    entries:
      spammer@example.net: REJECT compromised account

- name: The restricted recipient of the wiki page (check_recipient_access)
  mailops.postfix.postfix_map:
    path: /etc/postfix/restricted_recipient
    type: hash
    entries:
      everyone@example.com: restricted_senders

- name: Client rules by network, in order (check_client_access cidr:)
  mailops.postfix.postfix_map:
    path: /etc/postfix/client_cidr
    type: cidr
    rules:
      - pattern: 192.0.2.0/24
        action: OK
      - pattern: 0.0.0.0/0
        action: [reject_non_fqdn_sender, reject_non_fqdn_recipient]

- name: Archive copies of mail from outside (sender_bcc_maps pcre:)
  mailops.postfix.postfix_map:
    path: /etc/postfix/archive-check
    type: pcre
    rules:
      - pattern: '!/@example\.com$/'
        action: archive@example.com

- name: SMTP relay credentials, never shown
  mailops.postfix.postfix_map:
    path: /etc/postfix/sasl_passwd
    type: lmdb
    secret_entries:
      '[smtp.example.net]:587': "relayuser:{{ relay_password }}"

- name: Remove a table nobody refers to any more
  mailops.postfix.postfix_map:
    path: /etc/postfix/old_access
    type: hash
    state: absent
'''

RETURN = r'''
lock_wait:
  description: Seconds this run waited for another run to finish changing the same table (O(lock_timeout)).
  returned: always
  type: float
  sample: 0.0
lock_waited_for:
  description: What this run waited for, and who held it.
  returned: when the run waited
  type: list
  elements: str
  sample: ["table /etc/postfix/access (held by mailops.postfix.postfix_map pid 4242 since 12:00:01)"]
table:
  description: The table as main.cf names it.
  returned: always
  type: str
  sample: hash:/etc/postfix/access
type:
  description: The table type used (O(type) or the host's C(default_database_type)).
  returned: always
  type: str
  sample: hash
entries:
  description: Number of entries (rules) in the table after the run.
  returned: when O(state=present)
  type: int
  sample: 3
changes:
  description: How many entries were added, removed or changed, and whether the rule order changed.
  returned: always
  type: dict
  sample: {added: 1, removed: 0, changed: 0, reordered: false}
changed_keys:
  description: Keys (patterns) added, removed or changed, at most 100.
  returned: always
  type: list
  elements: str
rebuilt:
  description: Whether the compiled table was (or in check mode would be) rebuilt.
  returned: always
  type: bool
rebuild_reason:
  description: Why the compiled table was rebuilt although the source did not change.
  returned: when the compiled table alone was out of date
  type: str
  sample: /etc/postfix/access.db is older than its source
reload_needed:
  description: The change takes effect only after C(postfix reload) (a V(texthash), V(regexp), V(pcre) or V(cidr)
    table changed).
  returned: always
  type: bool
reloaded:
  description: Whether Postfix was reloaded.
  returned: always
  type: bool
removed_leftovers:
  description: Staged files that an interrupted earlier run left behind, removed by this run (not counted as a change).
  returned: when not in check mode and O(state=present)
  type: list
  elements: str
removed_files:
  description: Files removed by O(state=absent).
  returned: always
  type: list
  elements: str
backup_file:
  description: The copy of the previous source, with O(backup=true).
  returned: when a backup was made
  type: str
diff:
  description: With --diff, the entries added, removed or changed (secret values masked), and attribute changes.
  returned: when changed and in diff mode
  type: dict
'''

import os
import re
from collections import namedtuple
from contextlib import ExitStack

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils import file_attributes, postfix_control, table_build
from ansible_collections.mailops.postfix.plugins.module_utils.atomic_file import read_bytes
from ansible_collections.mailops.postfix.plugins.module_utils.common_args import (
    backup_argument_spec,
    changes_argument_spec,
    common_argument_spec,
    file_attributes_argument_spec,
    invocation,
    structured,
)
from ansible_collections.mailops.postfix.plugins.module_utils.locking import Locks
from ansible_collections.mailops.postfix.plugins.module_utils.module_errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.postfix_runner import PostfixRunner
from ansible_collections.mailops.postfix.plugins.module_utils.table_paths import check_table_path, config_directories
from ansible_collections.mailops.postfix.plugins.module_utils.table_plan import make_request, plan_content
from ansible_collections.mailops.postfix.plugins.module_utils.table_source import TableSourceError, shown_key
from ansible_collections.mailops.postfix.plugins.module_utils.table_types import (
    READ_AT_START,
    check_supported,
    compiled_paths,
)

MASK = '********'
# rules as AnsibleModule would check them; declared raw, so that ad-hoc text is read first (common_args.structured).
RULES_SPEC = {'type': 'list', 'elements': 'dict', 'options': {
    'pattern': {'type': 'str', 'required': True},
    'action': {'type': 'raw', 'required': True},
}}
DIFF_ENTRY_LIMIT = 1000
CHANGED_KEYS_LIMIT = 100


def table_type_of(runner, requested):
    """The requested type, checked against ``postconf -m``; the host's default_database_type if none."""
    table_type = requested or runner.run('postconf', ['hide_names'], ['default_database_type'])[1].strip()
    check_supported(table_type, runner.run('postconf', ['map_types'])[1].split())
    return table_type


def references(runner, path):
    """main.cf parameters and master.cf -o settings that still name the table's file, under any type.

    Values are read with $name expanded (postconf -x), so hash:$config_directory/x
    counts; a table may also sit inside unionmap:{...}, pipemap:{...} or proxy:.
    """
    pattern = re.compile(r'(?:^|[\s,:{])[\w-]+:%s(?=$|[\s,}])' % re.escape(path), re.M)
    found = []
    for options in (['non_default', 'expand'], ['master_params', 'expand']):
        for line in runner.run('postconf', options)[1].split('\n'):
            if pattern.search(line.partition('=')[2]):
                found.append(line.split('=', 1)[0].strip())
    return found


def diff_lines(pairs, side, secret):
    lines = []
    for pair in pairs:
        entry = pair[side]
        lines.append('%s %s\n' % (shown_key(entry, secret), MASK if secret else entry.value))
    if len(lines) > DIFF_ENTRY_LIMIT:
        lines = lines[:DIFF_ENTRY_LIMIT] + ['# ... and %d more\n' % (len(lines) - DIFF_ENTRY_LIMIT)]
    return ''.join(lines)


def build_diff(table, changes, notes, secret):
    before = diff_lines(changes.removed + changes.changed, 0, secret)
    after = diff_lines(changes.changed + changes.added, 1, secret)
    if changes.reordered:
        before, after = before + '# rules in the previous order\n', after + '# rules in the new order\n'
    for note_before, note_after in notes:
        before, after = before + '# %s\n' % note_before, after + '# %s\n' % note_after
    return {'before_header': '%s (changed entries)' % table, 'after_header': '%s (changed entries)' % table,
            'before': before, 'after': after}


def summarize_changes(result, changes, secret):
    result['changes'] = {'added': len(changes.added), 'removed': len(changes.removed),
                         'changed': len(changes.changed), 'reordered': changes.reordered}
    keys = [shown_key(pair[0] or pair[1], secret) for pair in changes.added + changes.removed + changes.changed]
    result['changed_keys'] = keys[:CHANGED_KEYS_LIMIT]


# The table as it is: its source text (None: no file), and the check of its
# compiled files, started in the background while the module plans.
Current = namedtuple('Current', 'text check')

# What a run does: ``content`` is the new source (None: unchanged) and
# ``build`` the source to build from (the new one, or the current one when
# only the compiled files are out of date, None when nothing is built);
# ``attribute_fixes`` are files whose owner, group or mode differ.
Plan = namedtuple('Plan', 'content build entries changes rebuild_reason attributes attribute_fixes secret')


def read(runner, table_type, path, aliases):
    """The table's current source, and the check of its compiled files."""
    raw = read_bytes(path)
    check = None
    if raw is not None and compiled_paths(table_type, path):
        check = table_build.CompiledCheck(runner, table_type, path, aliases)
    return Current(None if raw is None else raw.decode('utf-8', 'surrogateescape'), check)


def plan(params, table_type, current):
    """What the run does to the table: see Plan."""
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
    return Plan(content.content, build, content.entries, content.changes, rebuild_reason, attributes, fixes, secret)


def apply(module, runner, table_type, plan, result):
    """Carry out the plan; in check mode Postfix still judges the new table, and nothing is installed."""
    params = module.params
    if plan.build is not None:
        removed, backup_file = table_build.put(module, runner, table_type, params['path'], plan.build, plan.attributes,
                                               source_changed=plan.content is not None, secret=plan.secret,
                                               backup=params['backup'], aliases=params['format'] == 'postalias')
        if backup_file:
            result['backup_file'] = backup_file
    else:
        removed = [] if module.check_mode else table_build.remove_leftovers(table_type, params['path'])
    if not module.check_mode:
        result['removed_leftovers'] = removed
        for candidate in table_build.existing_files(table_type, params['path']):
            if file_attributes.differs(os.stat(candidate), plan.attributes):
                file_attributes.apply(candidate, plan.attributes)
    if plan.content is not None and table_type in READ_AT_START:
        # Daemons read these tables when they start; indexed tables are reopened when rebuilt.
        reload = postfix_control.reload_plan(runner, params['reload'])
        result.update(reload)
        if not module.check_mode:
            postfix_control.carry_out(runner, reload)


def report(module, table_type, plan, result):
    """The result and the diff, from the plan."""
    result['entries'] = len(plan.entries)
    summarize_changes(result, plan.changes, plan.secret)
    result['rebuilt'] = bool(compiled_paths(table_type, module.params['path'])) and plan.build is not None
    result['changed'] = plan.build is not None or bool(plan.attribute_fixes)
    notes = []
    if plan.content is not None and not any(plan.changes):
        notes.append(('the file holds duplicate, malformed or if/endif lines', 'the file holds exactly the entries'))
    if plan.rebuild_reason:
        result['rebuild_reason'] = plan.rebuild_reason
        notes.append((plan.rebuild_reason, 'compiled table rebuilt'))
    if plan.attribute_fixes:
        notes.append(('attributes of %s differ' % ', '.join(plan.attribute_fixes),
                      file_attributes.describe(plan.attributes)))
    if module._diff and result['changed']:
        result['diff'] = build_diff(result['table'], plan.changes, notes, plan.secret)


def present(module, runner, table_type, result):
    aliases = module.params['format'] == 'postalias'
    if aliases and not compiled_paths(table_type, module.params['path']):
        raise TableSourceError('format=postalias builds indexed tables (hash, lmdb, cdb, btree, dbm, sdbm), not %s'
                               % table_type)
    table_plan = plan(module.params, table_type, read(runner, table_type, module.params['path'], aliases))
    apply(module, runner, table_type, table_plan, result)
    report(module, table_type, table_plan, result)


def absent(module, runner, table_type, result):
    path = module.params['path']
    if not table_build.existing_files(table_type, path):
        return
    still_used = references(runner, path)
    if still_used:
        raise TableSourceError('%s is still used by %s; remove it from there first (mailops.postfix.postconf), '
                               'or Postfix daemons would fail to open it' % (result['table'], ', '.join(still_used)))
    result['removed_files'] = table_build.remove(module, table_type, path)
    if module._diff:
        result['diff'] = {'before_header': result['table'], 'after_header': result['table'],
                          'before': ''.join('%s\n' % name for name in result['removed_files']), 'after': ''}
    result['changed'] = True


def mask_secrets(module, secret_entries):
    """Hide the values of secret_entries everywhere, and show its keys.

    Ansible hides every string of a no_log option: the keys too, and, of
    entries given as text (ad-hoc key=value arguments), only the whole text.
    """
    if isinstance(secret_entries, dict):
        pairs = list(secret_entries.items())
    elif isinstance(secret_entries, list):
        pairs = [(item.get('key'), item.get('value')) for item in secret_entries if isinstance(item, dict)]
    else:
        return
    module.no_log_values.difference_update(key for key, dummy in pairs if isinstance(key, str))
    for dummy, value in pairs:
        module.no_log_values.update(str(item) for item in (value if isinstance(value, list) else [value])
                                    if item is not None)


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(changes_argument_spec())
    argument_spec.update(backup_argument_spec())
    argument_spec.update(file_attributes_argument_spec())
    argument_spec.update(
        path={'type': 'path', 'required': True},
        type={'type': 'str', 'choices': ['btree', 'cdb', 'cidr', 'dbm', 'hash', 'lmdb', 'pcre', 'regexp', 'sdbm',
                                         'texthash']},
        entries={'type': 'raw'},
        rules={'type': 'raw'},  # RULES_SPEC, checked by structured()
        exclusive={'type': 'bool', 'default': True},
        remove_keys={'type': 'list', 'elements': 'str', 'no_log': False},
        state={'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
        secret_entries={'type': 'raw', 'no_log': True},
        follow={'type': 'bool', 'default': False},
        format={'type': 'str', 'default': 'postmap', 'choices': ['postmap', 'postalias']},
    )
    module = AnsibleModule(argument_spec=argument_spec, mutually_exclusive=[('entries', 'rules', 'secret_entries')],
                           supports_check_mode=True)
    params = module.params
    runner = PostfixRunner(module, params['config_dir'])
    result = dict(postfix_control.no_reload(), changed=False,
                  changes={'added': 0, 'removed': 0, 'changed': 0, 'reordered': False}, changed_keys=[], rebuilt=False,
                  removed_files=[], invocation=invocation(params, summarized=('entries', 'rules', 'secret_entries')))
    locks = Locks(module, result)
    with reported_failures(module, result), ExitStack() as held:
        params['secret_entries'] = structured(params, 'secret_entries')
        mask_secrets(module, params['secret_entries'])
        params['entries'] = structured(params, 'entries')
        params['rules'] = structured(params, 'rules', RULES_SPEC)
        result['invocation'] = invocation(params, summarized=('entries', 'rules', 'secret_entries'))
        check_table_path(params['path'], params['follow'], config_directories(runner))
        if params['state'] == 'absent':
            # Whether main.cf or master.cf still name the table must stay true until it is gone.
            held.enter_context(locks.hold('instance', runner.config_dir))
        held.enter_context(locks.hold('table', params['path']))
        if os.path.isdir(params['path']):
            raise TableSourceError('path %s is a directory; name the table file, for example %s/sasl_passwd'
                                   % (params['path'], params['path'].rstrip('/')))
        table_type = table_type_of(runner, params['type'])
        result['type'] = table_type
        result['table'] = table_build.table_name(table_type, params['path'])
        if params['state'] == 'present':
            present(module, runner, table_type, result)
        else:
            absent(module, runner, table_type, result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
