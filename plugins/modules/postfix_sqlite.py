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
  - A new file is built next to O(path) and renamed into place; an existing one is changed in one SQLite transaction,
    so that Postfix sees the old rows or the new ones. Only rows that differ are deleted or inserted.
  - A file whose tables of these names have other columns is refused. Tables of other names are left alone.
  - Domains and addresses are written in lower case (Postfix folds the keys it looks up).
  - Needs the Python C(sqlite3) module on the host (part of Python 3 on Debian, Ubuntu and EL).
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
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
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.tables import sqlite_db


def main():
    argument_spec = dict(sqlite_db.DATABASE_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    path = params['path']
    result = {'changed': False, 'created': False, 'changes': {}, 'rows': {}}
    with reported_failures(module, result):
        # read
        wanted = sqlite_db.wanted_rows(params['domains'], params['mailboxes'], params['aliases'])
        current = sqlite_db.read(path)
        # plan
        db_plan = sqlite_db.plan(current, wanted)
        attributes = file_attributes.resolve(params['owner'], params['group'], params['mode'], None, 0o640)
        fix = current is not None and file_attributes.differs(os.stat(path), attributes)
        directory = os.path.dirname(os.path.abspath(path))
        # apply
        if not module.check_mode:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            sqlite_db.apply(module, path, db_plan, attributes)
    # report
    result['created'] = db_plan.create
    result['changes'] = sqlite_db.change_counts(db_plan)
    result['rows'] = {table: len(wanted[table]) for table in sqlite_db.TABLES}
    result['changed'] = sqlite_db.changed(db_plan) or fix
    if module._diff and db_plan.tables:
        result['diff'] = sqlite_db.diff(path, db_plan)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
