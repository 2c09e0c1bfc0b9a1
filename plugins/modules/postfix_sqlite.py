#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_sqlite
short_description: The virtual domains, mailboxes and aliases as rows of an SQLite database that Postfix reads
version_added: 0.1.0
description:
  - Creates an SQLite database file with the schema below and makes its rows exactly the ones given, for sites small
    enough to keep their virtual domains in inventory. Postfix reads it through C(sqlite:) tables
    (M(mailops.postfix.postfix_map) or M(mailops.postfix.postconf)'s C(tables), type V(sqlite)).
  - The base role writes its database through M(mailops.postfix.postconf)'s
    O(mailops.postfix.postconf#module:sqlite_databases) instead, the same options, staged and put live with the rest
    of its configuration in one transaction.
  - "The schema: C(domains (domain)), C(mailboxes (address, mailbox)), C(aliases (address, goto)), every column
    C(TEXT NOT NULL), the whole row the primary key. The queries that read it:
    C(SELECT domain FROM domains WHERE domain = '%s'), C(SELECT mailbox FROM mailboxes WHERE address = '%s'),
    C(SELECT goto FROM aliases WHERE address = '%s' ORDER BY goto)."
  - The new file is built next to O(path), as M(mailops.postfix.postconf)'s
    O(mailops.postfix.postconf#module:sqlite_databases) builds it (one builder for both). It is a copy of the live file
    (SQLite's backup, a consistent snapshot) with only the rows that differ deleted or inserted in one SQLite
    transaction, or a new file. The copy is read back and must hold exactly the rows given; only then is it renamed
    into place, atomically, so that Postfix sees the old file or the new one, never half of it. A run that fails
    before the rename leaves the live file as it was.
  - Daemons that hold the old file open (C(proxymap)) read the new one after a reload, so a change reloads a running
    Postfix (O(reload)); a reload that fails puts the previous file back.
  - Runs that change the same file take turns (O(lock_timeout)), also with M(mailops.postfix.postconf)'s
    O(mailops.postfix.postconf#module:sqlite_databases).
  - A file whose tables of these names have other columns is refused. Tables of other names are left alone.
  - Domains and addresses are written in lower case (Postfix folds the keys it looks up).
  - Needs the Python C(sqlite3) module on the host (part of Python 3 on Debian, Ubuntu and EL).
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
  - mailops.postfix.common.changes
  - mailops.postfix.common.attributes
options:
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
    description:
      - The rows of C(mailboxes), address (V(user@domain), or V(@domain) for every user of the domain) to the mailbox
        path relative to C(virtual_mailbox_base) (ending in C(/) for a Maildir).
    type: dict
    default: {}
  aliases:
    description:
      - The rows of C(aliases), address to its target, or to a list of targets (one row each); text with commas is
        split into targets too.
    type: dict
    default: {}
seealso:
  - module: mailops.postfix.postfix_map
  - module: mailops.postfix.postconf
'''

EXAMPLES = r'''
- name: The virtual domains of a small site
  mailops.postfix.postfix_sqlite:
    path: /var/lib/mailops-postfix/virtual.sqlite
    domains: [example.net]
    mailboxes:
      alice@example.net: example.net/alice/
    aliases:
      info@example.net: alice@example.net
      sales@example.net: [alice@example.net, bob@example.org]

- name: Postfix reads it through proxymap
  mailops.postfix.postconf:
    tables:
      - path: /etc/postfix/virtual_mailbox_domains.cf
        type: sqlite
        dbpath: /var/lib/mailops-postfix/virtual.sqlite
        query: SELECT domain FROM domains WHERE domain = '%s'
    parameters:
      virtual_mailbox_domains: proxy:sqlite:/etc/postfix/virtual_mailbox_domains.cf
'''

RETURN = r'''
path:
  description: The database file (O(path)).
  returned: always
  type: str
created:
  description: Whether the file was created (in check mode, would be).
  returned: always
  type: bool
changes:
  description: Per table, the number of rows added and removed (in check mode, that would be).
  returned: always
  type: dict
  sample: {"domains": {"added": 1, "removed": 0}, "mailboxes": {"added": 2, "removed": 1},
           "aliases": {"added": 0, "removed": 0}}
rows:
  description: The number of rows of each table after the run.
  returned: always
  type: dict
  sample: {"domains": 1, "mailboxes": 2, "aliases": 3}
diff:
  description: "The rows removed (before) and added (after), one line each: C(table: value | value)."
  returned: when diff mode is on and the rows change
  type: dict
running:
  description: Whether Postfix runs.
  returned: always
  type: bool
reloaded:
  description: Whether Postfix was reloaded (in check mode, would be), for a changed file that the running daemons hold
    open.
  returned: always
  type: bool
restarted:
  description: Always false; a changed database needs a reload, not a restart.
  returned: always
  type: bool
reload_needed:
  description: The file changed and a running Postfix has not picked it up yet, because this run left that to a handler
    (O(reload=false)).
  returned: always
  type: bool
restart_required:
  description: Always empty.
  returned: always
  type: list
  elements: str
pending_reload:
  description:
    - An earlier run's change went live and the reload it needed never came (that run stopped between its change and
      the handler); this run reloads for it, or with O(reload=false) reports RV(reload_needed), and counts as changed.
    - Checked when this run changes the file.
  returned: always
  type: bool
lock_wait:
  description: Seconds this run waited for another run to finish changing the same file (O(lock_timeout)).
  returned: always
  type: float
  sample: 0.0
lock_waited_for:
  description: What this run waited for, and who held it.
  returned: when the run waited
  type: list
  elements: str
  sample: ["table /var/lib/mailops-postfix/virtual.sqlite (held by mailops.postfix.postconf pid 4242 since 12:00:01)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import (
    changes_argument_spec,
    common_argument_spec,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import Locks
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sqlite_db
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.stage import go_live


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(changes_argument_spec())
    argument_spec.update(sqlite_db.DATABASE_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    runner = PostfixRunner(module, params['config_dir'])
    result = dict(postfix_control.no_reload(), changed=False, path=params['path'], created=False, changes={}, rows={})
    locks = Locks(module, result)
    with reported_failures(module, result), locks.hold('table', params['path']):
        # read, plan, and build the new file next to the live one, read back (in check mode too)
        database = sqlite_db.stage(module, params)
        try:
            # apply: one rename (not in check mode), then the reload the daemons that hold the old file need
            go_live(module, runner, result, lambda installation: sqlite_db.install(database, installation),
                    params['reload'], needed=database.staged is not None)
        finally:
            sqlite_db.discard(database)
        # report
        result.update(sqlite_db.report(database, module._diff))
        result['changed'] = result['changed'] or result['pending_reload']
    module.exit_json(**result)


if __name__ == '__main__':
    main()
