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
    V(cidr) tables are read from the source when a daemon starts; after a change Postfix is reloaded (O(reload)).
    So it is after a change to a table that C(transport_maps), C(sender_dependent_relayhost_maps),
    C(smtp_tls_policy_maps) or C(smtp_sasl_password_maps) name: the first delivery after the change would still get
    the old answer (trivial-rewrite caches its lookups)."
  - The new table is staged next to the live one and built or opened by Postfix first; every warning Postfix has
    (a bad regular expression, a CIDR network with host bits, a duplicate key) fails the task with Postfix's message
    and the entry it is about, and nothing changes. Otherwise the compiled files and then the source are renamed into
    place, so daemons never see a half-written table, and an interrupted run leaves the previous table in place.
  - A run changes nothing when the source already holds the requested entries and the compiled table exists, is not
    older than the source and holds the same entries (C(postmap -s)); otherwise the compiled table is rebuilt.
  - "SQL tables (V(sqlite), V(mysql), V(pgsql)): the rows live in the database; this module writes the table's client
    configuration file at O(path) (sqlite_table(5), mysql_table(5), pgsql_table(5)) from O(hosts) or O(dbpath),
    O(user), O(password), O(dbname), O(query) and the other settings. Before it goes live, the staged file is used
    for a C(postmap -q) of O(probe_key) against the real database: a connection error, a failed login or an SQL error
    fails the task with Postfix's message (the password removed from it), and the live file stays as it was. The
    file gets mode V(0640) and group V(postfix) unless O(mode) or O(group) say otherwise. Daemons read it when they
    open the table, so a change reloads Postfix (O(reload)); a row changed in the database needs nothing."
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
      - V(sqlite), V(mysql) and V(pgsql) are SQL tables, written from O(query) and the settings below instead of
        entries (package C(postfix-sqlite), C(postfix-mysql) or C(postfix-pgsql)).
    type: str
    choices: [btree, cdb, cidr, dbm, hash, lmdb, mysql, pcre, pgsql, regexp, sdbm, sqlite, texthash]
  hosts:
    description:
      - SQL tables of type V(mysql) and V(pgsql) (C(hosts)) - the database servers, tried in random order, for example
        V(unix:/run/mysqld/mysqld.sock), V(inet:db1.example.com:3306), V(localhost) or a V(postgresql://) URI (pgsql).
      - Required for V(mysql) and V(pgsql); refused for other types, as is every setting a type does not take.
    type: list
    elements: str
  dbpath:
    description: SQL tables of type V(sqlite) (C(dbpath)) - the SQLite database file. Required for V(sqlite).
    type: str
  user:
    description: V(mysql), V(pgsql) (C(user)) - the database user.
    type: str
  password:
    description:
      - V(mysql), V(pgsql) (C(password)) - the database user's password.
      - It never appears in results, diffs (it shows as V(********)) or error messages; it is written only to the 0640
        file at O(path), which Postfix reads.
    type: str
  dbname:
    description: V(mysql), V(pgsql) (C(dbname)) - the database. Required for V(mysql) and V(pgsql).
    type: str
  query:
    description:
      - SQL tables (C(query)) - the query, with Postfix's expansions (V(%s) the key, V(%u) its local part, V(%d) its
        domain...), for example V(SELECT maildir FROM mailboxes WHERE address='%s'). Required for SQL tables.
      - A query written over several lines is joined into one.
    type: str
  result_format:
    description: SQL tables (C(result_format)) - how a result is formatted, for example V(%s/Maildir/).
    type: str
  domain:
    description:
      - SQL tables (C(domain)) - only keys in these domains are looked up (fewer queries); a list of domains.
      - Without O(probe_key), validation looks up a key in the first of them.
    type: list
    elements: str
  expansion_limit:
    description: SQL tables (C(expansion_limit)) - the most results a lookup may return.
    type: int
  tls_cert_file:
    description: V(mysql) (C(tls_cert_file)) - the client certificate for TLS to the server.
    type: str
  tls_key_file:
    description: V(mysql) (C(tls_key_file)) - the client certificate's private key.
    type: str
  tls_CAfile:
    description: V(mysql) (C(tls_CAfile)) - the CA certificates that verify the server.
    type: str
  tls_CApath:
    description: V(mysql) (C(tls_CApath)) - a directory of CA certificates that verify the server.
    type: str
  tls_verify_cert:
    description: V(mysql) (C(tls_verify_cert)) - verify the server's name against its certificate.
    type: bool
  tls_ciphers:
    description: V(mysql) (C(tls_ciphers)) - the TLS ciphers to offer.
    type: str
  probe_key:
    description:
      - SQL tables - the key looked up through the new settings before they go live, to prove that Postfix can
        connect, log in and run the query. It need not exist.
      - Defaults to V(mailops-probe@) followed by the first O(domain), or V(example.com).
    type: str
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
        O(rules.pattern) and O(rules.action).
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

- name: Virtual mailboxes from MariaDB (validated against the database before it goes live)
  mailops.postfix.postfix_map:
    path: /etc/postfix/sql/virtual_mailboxes.cf
    type: mysql
    hosts: [unix:/run/mysqld/mysqld.sock]
    user: postfix
    password: "{{ vault_postfix_db_password }}"
    dbname: mail
    query: SELECT maildir FROM mailboxes WHERE address = '%s' AND active = 1
    domain: [example.com, example.net]
    reload: false
  register: mailboxes
  notify: Reload Postfix

- name: Virtual domains from an SQLite file
  mailops.postfix.postfix_map:
    path: /etc/postfix/sql/virtual_domains.cf
    type: sqlite
    dbpath: /var/lib/postfix-admin/mail.sqlite
    query: SELECT 'OK' FROM domains WHERE domain = '%s'

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
  returned: when O(state=present), for file tables
  type: int
  sample: 3
settings:
  description: An SQL table's settings as its file holds them after the run, the password as C(********).
  returned: when O(state=present), for SQL tables
  type: dict
  sample: {hosts: unix:/run/mysqld/mysqld.sock, user: postfix, password: '********', dbname: mail,
           query: "SELECT maildir FROM mailboxes WHERE address='%s'"}
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
entry_changes:
  description:
    - The entries (rules) added, removed or changed, at most 100, each with its value (action) before and after the
      run; V(null) where there is no such entry. A report of drift reads what differs from here.
    - In a table of O(secret_entries) (RV(secret)), a value shows as C(********), never as it is.
  returned: always
  type: list
  elements: dict
  sample: [{key: spammer@example.com, before: null, after: REJECT compromised account}]
secret:
  description: Whether the table's values are secret (O(secret_entries)), and so masked in RV(entry_changes).
  returned: when O(state=present)
  type: bool
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
    table or an SQL table's settings changed, or one that a parameter named in the description names), and this run
    left that to a handler (O(reload=false)).
  returned: always
  type: bool
pending_reload:
  description:
    - An earlier run's change went live and the reload it needed never came (that run stopped between its change and
      the handler, for example on Ctrl-C or a lost connection; the note of it lives in C(/run/mailops-postfix)). This
      run reloads (or restarts) for it, or with O(reload=false) reports RV(reload_needed), and counts as changed.
    - Checked when this run changes something that needs a reload; M(mailops.postfix.postconf) checks on every run.
  returned: always
  type: bool
reloaded:
  description: Whether Postfix was reloaded.
  returned: always
  type: bool
removed_leftovers:
  description: Staged files that an interrupted earlier run left behind, removed by this run (not counted as a change).
  returned: when O(state=present) (empty in check mode)
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
  description: With --diff, the entries added, removed or changed (secret values masked), and attribute changes; for
    an SQL table, its changed settings as C(name = value) lines (the password masked).
  returned: when changed and in diff mode
  type: dict
'''

from contextlib import ExitStack

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import (
    backup_argument_spec,
    changes_argument_spec,
    common_argument_spec,
    file_attributes_argument_spec,
    invocation,
    structured,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import Locks
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner
from ansible_collections.mailops.postfix.plugins.module_utils.core.secrets import hide_table_values
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build
from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables.paths import check_table_path, config_directories
from ansible_collections.mailops.postfix.plugins.module_utils.tables.sql import OPTIONS_SPEC as SQL_OPTIONS_SPEC
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import WRITTEN_TYPES
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.table import absent, present


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(changes_argument_spec())
    argument_spec.update(backup_argument_spec())
    argument_spec.update(file_attributes_argument_spec())
    argument_spec.update(
        path={'type': 'path', 'required': True},
        type={'type': 'str', 'choices': sorted(WRITTEN_TYPES)},
        entries={'type': 'raw'},
        rules={'type': 'raw'},  # table_job.RULES_SPEC, checked by structured()
        exclusive={'type': 'bool', 'default': True},
        remove_keys={'type': 'list', 'elements': 'str', 'no_log': False},
        state={'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
        secret_entries={'type': 'raw', 'no_log': True},
        follow={'type': 'bool', 'default': False},
        format={'type': 'str', 'default': 'postmap', 'choices': ['postmap', 'postalias']},
        **SQL_OPTIONS_SPEC
    )
    module = AnsibleModule(argument_spec=argument_spec, mutually_exclusive=[('entries', 'rules', 'secret_entries')],
                           supports_check_mode=True)
    params = module.params
    runner = PostfixRunner(module, params['config_dir'])
    result = dict(postfix_control.no_reload(), changed=False,
                  changes={'added': 0, 'removed': 0, 'changed': 0, 'reordered': False}, changed_keys=[], entry_changes=[], rebuilt=False,
                  removed_files=[], invocation=invocation(params, summarized=('entries', 'rules', 'secret_entries')))
    locks = Locks(module, result)
    with reported_failures(module, result), ExitStack() as held:
        params['secret_entries'] = structured(params, 'secret_entries')
        hide_table_values(module, params['secret_entries'])
        params['entries'] = structured(params, 'entries')
        params['rules'] = structured(params, 'rules', table_job.RULES_SPEC)
        result['invocation'] = invocation(params, summarized=('entries', 'rules', 'secret_entries'))
        check_table_path(params['path'], params['follow'], config_directories(runner))
        if params['state'] == 'absent':
            # Whether main.cf or master.cf still name the table must stay true until it is gone.
            held.enter_context(locks.hold('instance', runner.config_dir))
        held.enter_context(locks.hold('table', params['path']))
        table_type = table_job.table_type_of(
            params['type'], runner.run('postconf', ['hide_names'], ['default_database_type'])[1].strip(),
            runner.table_types())
        result['type'] = table_type
        result['table'] = table_build.table_name(table_type, params['path'])
        if params['state'] == 'present':
            present(module, runner, table_type, result)
        else:
            absent(module, runner, table_type, result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
