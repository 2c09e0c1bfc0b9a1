#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postconf
short_description: Manage Postfix main.cf parameters and master.cf services safely
version_added: 0.1.0
description:
  - Sets and removes main.cf parameters and adds, changes and removes master.cf services, the way
    C(postconf -e), C(postconf -X), C(postconf -M), C(postconf -F) and C(postconf -P) do, but idempotently.
  - Current values are read with C(postconf -n) and C(postconf -M) and compared with the desired ones;
    nothing is written when they already match.
  - Changes are first made to a staged copy of main.cf and master.cf and checked there. Parameter names
    that postconf reports as unused are refused, values of the wrong type (yes/no, number, time) are refused,
    restriction lists, C(*_maps), C(*_checks), domain and network list settings that name a table Postfix could not open
    are refused. That is a table of a type C(postconf -m) does not list (also inside C(proxy:); the message names the
    Debian package that adds it, such as postfix-mysql, postfix-pgsql or postfix-sqlite), and a file table that does
    not exist or an SQL table whose settings file does not exist, unless O(tables) writes it. C(postfix check) must
    pass. Only then are the files renamed into place, atomically. A change that fails these checks leaves the live
    files untouched.
  - After a change a running Postfix is reloaded, or restarted when a changed parameter needs it
    (O(reload)).
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
  - mailops.postfix.common.changes
  - mailops.postfix.common.backup
  - mailops.postfix.common.attributes
options:
  parameters:
    description:
      - main.cf parameters. With O(state=present), a mapping of name to value.
        With O(state=absent), a list of names (or a mapping whose values are ignored).
      - Values may be strings, numbers, booleans (written as V(yes)/V(no)) or lists (joined with V(, ),
        compared element by element).
      - C($name) references are written as they are.
      - In ad-hoc key=value arguments, give it as JSON text, or as C(name=value) pairs the way Ansible reads a
        dictionary.
    type: raw
  name:
    description:
      - One main.cf parameter, for ad-hoc use. Mutually exclusive with O(parameters).
    type: str
  value:
    description:
      - The value for O(name) when O(state=present).
    type: raw
  state:
    description:
      - Whether the parameters in O(parameters) or O(name) are set (V(present)) or removed from main.cf
        (V(absent), like C(postconf -X)), so that they return to their defaults.
    type: str
    choices: [present, absent]
    default: present
  remove:
    description:
      - main.cf parameters to remove (like C(postconf -X)) in the same run as setting O(parameters), so that a role
        changes main.cf in one call.
    type: list
    elements: str
  services:
    description:
      - master.cf service entries, identified by O(services.service) and O(services.type).
      - Fields left out of an existing entry keep their value (C(postconf -F)); left out of a new entry they
        are V(-), the master(5) default.
      - In ad-hoc key=value arguments, give the list as JSON text.
    type: raw
    suboptions:
      service:
        description: Service name, for example V(submission), V(smtp), V(127.0.0.1:10025).
        type: str
        required: true
      type:
        description: Service type.
        type: str
        required: true
        choices: [inet, unix, unix-dgram, fifo, pass]
      private:
        description: V(y), V(n) or V(-); booleans are accepted.
        type: raw
      unprivileged:
        description: V(y), V(n) or V(-); booleans are accepted.
        type: raw
      chroot:
        description: V(y), V(n) or V(-); booleans are accepted.
        type: raw
      wakeup:
        description: Wake-up time in seconds, optionally followed by V(?), or V(-).
        type: raw
      process_limit:
        description: Maximal number of processes, or V(-) for C($default_process_limit).
        type: raw
      command:
        description: The daemon program, for example V(smtpd) or V(pipe). Required for a new entry.
        type: str
      args:
        description:
          - Arguments after the command other than C(-o) parameters, in order, for example V([-v]) or
            pipe(8)'s V([flags=R, user=nobody, argv=/usr/bin/filter, ${recipient}]).
          - Each argument is one word; C(-o) parameters belong in O(services.options), also in the attached form
            C(-oname=value), which C(postconf -M) would split at every further C(o).
          - When given, they replace the entry's current arguments.
        type: list
        elements: str
      options:
        description:
          - Per-service C(-o name=value) parameters, merged into the entry like C(postconf -P).
            A value of V(null) removes that parameter.
          - Values with white space are written as C(-o { name = value }).
        type: dict
      state:
        description:
          - Whether the entry exists (V(present)) or is removed (V(absent), like C(postconf -MX)).
          - An entry written by hand that cannot be read (a warning names it) can be removed, or replaced whole by
            giving its O(services.command).
        type: str
        choices: [present, absent]
        default: present
  allow_open_relay:
    description:
      - Before anything is written, the resulting C(smtpd_relay_restrictions) and C(smtpd_recipient_restrictions)
        (and each smtpd service's C(-o) overrides of them) are evaluated, in Postfix's order, for an unauthenticated
        client outside C(mynetworks) that sends to a domain that is not ours. A configuration that lets such mail
        through is refused, naming the element that opens the relay. So is one the check cannot decide (a pattern it
        cannot read, a table it cannot see into, a policy service before the destination check), and the error says
        why and how to make it decidable.
      - The check follows C(relay_domains) (whose domains C(reject_unauth_destination) lets through), the patterns of
        C(regexp) and C(pcre) tables, the host's own domains for recipient access keys, and the sum of the networks
        that C(mynetworks) lists. What it cannot read it asks Postfix about, with one C(postmap -q) per table.
      - V(true) applies it anyway, for the rare host that must relay for everyone, with a warning on every run.
    type: bool
    default: false
  tables:
    description:
      - Lookup tables that the configuration names, written in the same run, so that a role changes its tables and
        main.cf in one call. Each is written the way M(mailops.postfix.postfix_map) writes a table (the same code),
        exactly these entries or rules, built with C(postmap) or C(postalias), judged by Postfix, installed
        atomically.
      - Every table is built and judged, and every check of main.cf and master.cf passes, before anything goes live;
        then the tables are installed, then master.cf and main.cf, and Postfix is reloaded once (a V(texthash),
        V(regexp), V(pcre) or V(cidr) table needs the reload even when main.cf did not change). A table that fails
        leaves every file as it was.
      - A table holding secrets (C(sasl_passwd)) gives them in O(tables[].secret_entries), so that new credentials go
        live in the same transaction as the settings that use them, under the same lock.
    type: list
    elements: dict
    suboptions:
      name:
        description: A name for the table, shown in its result (the roles give the name their data uses).
        type: str
      path:
        description: The table's source file, for example V(/etc/postfix/rejected_senders).
        type: path
        required: true
      type:
        description:
          - The table type; the host's C(default_database_type) if left out.
          - V(sqlite), V(mysql) and V(pgsql) are SQL tables, written from O(tables[].query) and the other settings
            as M(mailops.postfix.postfix_map) writes them, validated against the database (a lookup of
            O(tables[].probe_key)) before anything goes live; the file gets mode V(0640) and group V(postfix).
        type: str
        choices: [btree, cdb, cidr, dbm, hash, lmdb, mysql, pcre, pgsql, regexp, sdbm, sqlite, texthash]
      hosts:
        description: SQL tables (V(mysql), V(pgsql)) - the database servers. As for M(mailops.postfix.postfix_map).
        type: list
        elements: str
      dbpath:
        description: SQL tables (V(sqlite)) - the database file.
        type: str
      user:
        description: SQL tables (V(mysql), V(pgsql)) - the database user.
        type: str
      password:
        description: SQL tables (V(mysql), V(pgsql)) - the user's password; never shown (V(********) in diffs).
        type: str
      dbname:
        description: SQL tables (V(mysql), V(pgsql)) - the database.
        type: str
      query:
        description: SQL tables - the query, for example V(SELECT maildir FROM mailboxes WHERE address='%s').
        type: str
      result_format:
        description: SQL tables - how a result is formatted.
        type: str
      domain:
        description: SQL tables - only keys in these domains are looked up.
        type: list
        elements: str
      expansion_limit:
        description: SQL tables - the most results a lookup may return.
        type: int
      tls_cert_file:
        description: V(mysql) - the client certificate.
        type: str
      tls_key_file:
        description: V(mysql) - the client certificate's key.
        type: str
      tls_CAfile:
        description: V(mysql) - the CA certificates that verify the server.
        type: str
      tls_CApath:
        description: V(mysql) - a directory of CA certificates.
        type: str
      tls_verify_cert:
        description: V(mysql) - verify the server's name against its certificate.
        type: bool
      tls_ciphers:
        description: V(mysql) - the TLS ciphers to offer.
        type: str
      probe_key:
        description: SQL tables - the key looked up through the new settings to validate them; it need not exist.
        type: str
      entries:
        description: For key-value tables, a mapping of key to value (a list value is joined with V(, )), or a list of
          C(key)/C(value) items. As for M(mailops.postfix.postfix_map).
        type: raw
      secret_entries:
        description:
          - Instead of O(tables[].entries), for a table whose values are secrets (C(smtp_sasl_password_maps)), in the
            same form. As with M(mailops.postfix.postfix_map)'s
            O(mailops.postfix.postfix_map#module:secret_entries), the values never appear in results, diffs (they
            show as V(********)), error messages or logs; the keys stay visible. The files get mode V(0600).
        type: raw
      rules:
        description: For V(cidr), V(pcre) and V(regexp) tables, the ordered rules.
        type: list
        elements: dict
        suboptions:
          pattern:
            description: The pattern (a network for V(cidr), C(/regexp/flags) for V(pcre) and V(regexp)).
            type: str
            required: true
          action:
            description: The result; a list is joined with V(, ).
            type: raw
            required: true
      format:
        description: "V(postalias) for an aliases(5) table (C(name: value, value)), built with C(postalias)."
        type: str
        choices: [postmap, postalias]
        default: postmap
      access:
        description: The table is an access(5) table, named in a restriction list. Its values are checked as access
          results or restriction lists, and the open-relay check reads these entries (see O(access_tables)).
        type: bool
        default: false
  sqlite_databases:
    description:
      - SQLite databases of virtual domains, mailboxes and aliases that the O(tables) of type V(sqlite) read (their
        O(tables[].dbpath)), with exactly these rows, in the same transaction; the schema and the options are
        M(mailops.postfix.postfix_sqlite)'s. The base role writes its
        O(mailops.postfix.base#role:main:base_virtual_sqlite_database) this way.
      - A new or changed database is built next to the live file (a copy with the changes, in one SQLite
        transaction), read back, and the O(tables) that read it are looked up against the copy (their validation and
        the open-relay guard, in check mode too); it is renamed into place with the tables, just before main.cf, and
        only when every check passed. A refused run leaves the live file as it was.
      - The daemons that hold the old file open (C(proxymap)) read the new one after a reload, so a changed database
        needs one (RV(reload_needed) with O(reload=false)).
    type: list
    elements: dict
    suboptions:
      path:
        description: The database file. Its directory is created (mode V(0755)) when it does not exist.
        type: path
        required: true
      owner:
        description: Owner of the database file.
        type: str
        default: root
      group:
        description: Group of the database file; Postfix's proxymap reads it as the postfix user.
        type: str
        default: postfix
      mode:
        description: Octal mode of the database file, as a quoted string (V("0640")).
        type: raw
        default: "0640"
      domains:
        description: The rows of C(domains), the virtual mailbox domains.
        type: list
        elements: str
        default: []
      mailboxes:
        description: The rows of C(mailboxes), address to the mailbox path relative to C(virtual_mailbox_base).
        type: dict
        default: {}
      aliases:
        description: The rows of C(aliases), address to its target, or to a list of targets (one row each).
        type: dict
        default: {}
  access_tables:
    description:
      - The contents of access tables that are written in the same run (by M(mailops.postfix.postfix_map)), as a
        mapping of the table as main.cf names it (V(hash:/etc/postfix/rejected_senders)) to its entries (a mapping of
        key to value). Their values are checked as access(5) results or restriction lists, and the open-relay check
        reads them instead of the files, so that check mode predicts the run exactly. They count as existing for the
        check of missing tables.
      - Tables not listed here are read from their files; for tables that are not files (V(mysql:), V(ldap:)) the
        check asks Postfix (C(postmap -q)), and refuses the change where that does not decide.
    type: raw
  if_unset:
    description:
      - Parameters of O(parameters) that are set only where main.cf does not set them yet (or sets them to the
        requested value already). A different value, set by someone else, fails the task with that value, and nothing
        changes. For settings that may belong to another role or to a person (the archive role's C(sender_bcc_maps)).
    type: list
    elements: str
    default: []
  user_defined_parameters:
    description:
      - Names that are meant to be user-defined parameters even where postconf reports them as unused,
        for example a restriction class that is referenced only from a lookup table.
      - Any other name that postconf reports as "unused parameter" is refused as unknown.
    type: list
    elements: str
    default: []
notes:
  - Works with Postfix 3.3 and later; tested with 3.7 and 3.10.
  - main.cf and master.cf are each replaced by one atomic rename. When both change, master.cf goes first.
  - If the reload or restart fails, the previous files are put back and the module fails.
  - A host frozen with M(mailops.postfix.postfix_freeze) stays frozen. While it is, C(master_service_disable) keeps the
    queue manager disabled and C(in_flow_delay) stays V(0); the requested values are saved for the thaw
    (RV(thaw_values)) and a warning says so. While domains are suspended, the suspension table stays first in
    C(transport_maps). A GitOps run during an incident therefore does not release the held mail.
seealso:
  - name: postconf(1)
    description: The Postfix configuration utility this module wraps.
    link: https://www.postfix.org/postconf.1.html
  - name: master(5)
    description: The master.cf file format.
    link: https://www.postfix.org/master.5.html
'''

EXAMPLES = r'''
# Ad hoc, on many hosts at once:
#   ansible mx -m mailops.postfix.postconf -a 'name=relayhost value=[smtp.example.net]:587'

- name: Configure main.cf, with the access table it names
  mailops.postfix.postconf:
    parameters:
      myhostname: mx1.example.com
      smtpd_helo_required: true
      message_size_limit: 52428800
      mynetworks:
        - 127.0.0.0/8
        - "[::1]/128"
      smtpd_recipient_restrictions:
        - permit_mynetworks
        - reject_unauth_destination
        - check_sender_access hash:/etc/postfix/rejected_addresses
    tables:
      - path: /etc/postfix/rejected_addresses
        type: hash
        access: true
        entries:
          spammer@example.net: REJECT compromised account

- name: Restriction class from the seed how-to (restricted_recipient is user-defined), with its table
  mailops.postfix.postconf:
    parameters:
      smtpd_restriction_classes: restricted_recipient
      restricted_recipient: check_sender_access hash:/etc/postfix/privileged_sender, reject
    tables:
      - path: /etc/postfix/privileged_sender
        type: hash
        access: true
        entries:
          boss@example.com: OK

- name: Remove parameters, back to their defaults
  mailops.postfix.postconf:
    parameters: [relayhost, smtp_sasl_auth_enable]
    state: absent

- name: Submission service on port 587
  mailops.postfix.postconf:
    services:
      - service: submission
        type: inet
        private: false
        chroot: true
        command: smtpd
        options:
          syslog_name: postfix/submission
          smtpd_tls_security_level: encrypt
          smtpd_sasl_auth_enable: true

- name: Change main.cf but let a handler reload
  mailops.postfix.postconf:
    name: inet_interfaces
    value: loopback-only
    reload: false
  notify: Restart postfix

- name: Reject listed senders, table and restriction in one transaction
  mailops.postfix.postconf:
    parameters:
      smtpd_recipient_restrictions:
        - check_sender_access hash:/etc/postfix/rejected_senders
        - permit_mynetworks
        - reject_unauth_destination
    tables:
      - path: /etc/postfix/rejected_senders
        type: hash
        access: true
        entries:
          spammer@example.com: REJECT compromised account
'''

RETURN = r'''
changes:
  description: main.cf parameters that changed (or would change in check mode), with their text before and after.
    V(null) means not set in main.cf.
  returned: always
  type: dict
  sample: {"relayhost": {"before": "", "after": "[smtp.example.net]:587"}}
service_changes:
  description: master.cf entries that changed, as C(service/type) to the entry line before and after.
  returned: always
  type: dict
  sample: {"submission/inet": {"before": null, "after": "submission inet n - y - - smtpd -o syslog_name=postfix/submission"}}
running:
  description: Whether Postfix runs.
  returned: always
  type: bool
tables:
  description:
    - One item per table of O(tables), with the fields M(mailops.postfix.postfix_map) returns for a table
      (table, type, entries, settings, changes, changed_keys, entry_changes, secret, rebuilt, rebuild_reason,
      removed_leftovers), C(changed) and C(reload_needed). An SQL table has C(settings), its file's settings with the
      password as C(********), instead of C(entries). C(entry_changes) holds each changed entry's value before
      and after; a secret table's (C(secret_entries)) show as C(********).
    - C(reload_needed) means what RV(reload_needed) means, for this table's change alone - a change that a running
      Postfix picks up only after a reload, left to a handler (O(reload=false)). That is a change of a V(texthash),
      V(regexp), V(pcre) or V(cidr) table, or of an SQL table's settings, which daemons read when they start
      (proxymap too, for the tables it serves through C(proxy:)), or of any table that
      C(transport_maps), C(sender_dependent_relayhost_maps), C(smtp_tls_policy_maps) or C(smtp_sasl_password_maps)
      name as the run leaves main.cf - the first delivery after a change would still get the old answer.
      RV(reload_needed) is then true too.
  returned: always
  type: list
  elements: dict
  sample: [{table: hash:/etc/postfix/rejected_senders, type: hash, changed: true, entries: 2,
            changes: {added: 1, removed: 0, changed: 0, reordered: false}, changed_keys: [spammer@example.com],
            entry_changes: [{key: spammer@example.com, before: null, after: REJECT}], secret: false, rebuilt: true,
            removed_leftovers: [], reload_needed: false}]
sqlite_databases:
  description:
    - One item per database of O(sqlite_databases) - C(path), C(changed), C(created), C(changes) (per table the rows
      added and removed) and C(rows) (per table the rows after the run), as M(mailops.postfix.postfix_sqlite) returns
      them. The diff shows the rows removed and added.
  returned: always
  type: list
  elements: dict
  sample: [{path: /var/lib/mailops-postfix/virtual.sqlite, changed: true, created: false,
            changes: {domains: {added: 1, removed: 0}, mailboxes: {added: 1, removed: 0},
                      aliases: {added: 0, removed: 0}},
            rows: {domains: 2, mailboxes: 3, aliases: 1}}]
reloaded:
  description: Whether Postfix was reloaded (in check mode, whether it would be).
  returned: always
  type: bool
restarted:
  description: Whether Postfix was restarted (in check mode, whether it would be).
  returned: always
  type: bool
reload_needed:
  description: A change was made that a running Postfix has not picked up yet (O(reload=false)).
  returned: always
  type: bool
restart_required:
  description: Changed parameters that take effect only after a restart, not a reload.
  returned: always
  type: list
  elements: str
  sample: [inet_interfaces]
pending_reload:
  description:
    - An earlier run's change went live and the reload it needed never came (that run stopped between its change and
      the handler, for example on Ctrl-C or a lost connection; the note of it lives in C(/run/mailops-postfix)). This
      run reloads (or restarts) for it, or with O(reload=false) reports RV(reload_needed), and counts as changed.
    - Every run checks for it, also when it changes nothing itself.
  returned: always
  type: bool
postfix_warnings:
  description:
    - Warnings from C(postfix check) on the new configuration, each distinct warning once, in the order Postfix first
      printed it (C(postfix check) runs C(postconf) many times, and each run repeats the same warnings).
  returned: when something changed
  type: list
  elements: str
lock_wait:
  description: Seconds this run waited for another run to finish changing the same instance (O(lock_timeout)).
  returned: always
  type: float
  sample: 0.0
lock_waited_for:
  description: What this run waited for, and who held it.
  returned: when the run waited
  type: list
  elements: str
  sample: ["instance /etc/postfix (held by mailops.postfix.postfix_freeze pid 4242 since 12:00:01)"]
version:
  description: The Postfix version (C(mail_version)).
  returned: always
  type: str
  sample: 3.7.11
thaw_values:
  description:
    - On a host frozen with M(mailops.postfix.postfix_freeze), the requested C(master_service_disable) and
      C(in_flow_delay) values. The freeze stays in force; they are saved for the thaw, which puts them in place.
  returned: when the host is frozen and they were requested
  type: dict
  sample: {"in_flow_delay": "1s"}
backup_file:
  description: Path of the backup of main.cf.
  returned: when O(backup=true) and main.cf changed
  type: str
  sample: /etc/postfix/main.cf.12345.2026-11-24@12:00:00~
master_backup_file:
  description: Path of the backup of master.cf.
  returned: when O(backup=true) and master.cf changed
  type: str
diff:
  description: The changed main.cf parameters, master.cf entries and table entries, before and after; one item per
    file.
  returned: when diff mode is on and something changed
  type: list
  elements: dict
'''

from contextlib import ExitStack

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import (
    backup_argument_spec,
    changes_argument_spec,
    common_argument_spec,
    invocation,
    structured,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import Locks
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import SERVICES_SPEC
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner, version_tuple
from ansible_collections.mailops.postfix.plugins.module_utils.core.secrets import hide_table_values
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.checks import RestrictionChecks
from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sqlite_db
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.plan import access_table_entries, plan
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.run import apply, report


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(changes_argument_spec())
    argument_spec.update(backup_argument_spec())
    argument_spec.update(
        parameters={'type': 'raw'},
        name={'type': 'str'},
        value={'type': 'raw'},
        state={'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
        services={'type': 'raw'},  # SERVICES_SPEC, checked by structured()
        user_defined_parameters={'type': 'list', 'elements': 'str', 'default': []},
        if_unset={'type': 'list', 'elements': 'str', 'default': []},
        remove={'type': 'list', 'elements': 'str'},
        allow_open_relay={'type': 'bool', 'default': False},
        access_tables={'type': 'raw'},
        tables=table_job.TABLES_SPEC,
        sqlite_databases={'type': 'list', 'elements': 'dict', 'options': sqlite_db.DATABASE_SPEC},
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[('parameters', 'name')],
        required_one_of=[('parameters', 'name', 'services', 'remove', 'tables', 'sqlite_databases')],
        required_by={'value': 'name'},
        supports_check_mode=True,
    )
    params = module.params
    runner = PostfixRunner(module, params['config_dir'])
    summarized = ('access_tables', 'tables.entries', 'tables.rules', 'tables.secret_entries',
                  'sqlite_databases.domains', 'sqlite_databases.mailboxes', 'sqlite_databases.aliases')
    for table in params['tables'] or []:
        hide_table_values(module, table['secret_entries'])
    result = dict(postfix_control.no_reload(), changed=False, changes={}, service_changes={}, tables=[],
                  invocation=invocation(params, summarized))
    locks = Locks(module, result)
    with reported_failures(module, result), ExitStack() as held:
        params['parameters'] = structured(params, 'parameters')
        params['services'] = structured(params, 'services', SERVICES_SPEC)
        access_tables = access_table_entries(structured(params, 'access_tables'))
        result['invocation'] = invocation(params, summarized)
        # One postconf for what the run reads of the instance besides its settings: the version, the table jobs'
        # default type and the other instances (tables.paths), and where the running master's pid file is
        # (core.service). PostfixRunner.parameters() keeps them for the run. A run that changes queue_directory
        # then still looks for the master that runs now, in the old one; after a restart there is none there, and
        # postfix status decides (service.is_running()).
        runner.parameters(['mail_version', 'default_database_type', 'multi_instance_directories', 'queue_directory'])
        result['version'] = runner.version()
        held.enter_context(locks.hold('instance', runner.config_dir))
        for database in params['sqlite_databases'] or []:
            held.enter_context(locks.hold('table', database['path']))
        jobs = table_job.plan_jobs(runner, params['tables'],
                                   lambda path: held.enter_context(locks.hold('table', path)))
        access_tables.update(table_job.access_entries(jobs))
        checks = RestrictionChecks(runner, version_tuple(result['version']), access_tables,
                                   params['allow_open_relay'], table_job.planned_entries(jobs))
        freeze_state, thaw_saved = plan(module, runner, result)
        databases = apply(module, runner, result, checks, freeze_state, thaw_saved, jobs)
        report(module, runner, result, jobs, checks, databases)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
