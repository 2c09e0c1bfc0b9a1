#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_lookup
short_description: Look keys up in any Postfix lookup table, as postmap -q does
version_added: 0.1.0
description:
  - Queries one table with C(postmap -q), the troubleshooting step of every Postfix how-to, for any number of keys in
    one C(postmap) process.
  - Works with every table Postfix can open on the host, including ones no module manages (C(mysql:), C(ldap:),
    C(pcre:), C(proxy:hash:)...).
  - Read-only; it never reports a change.
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
  - mailops.postfix.common.read_only_attributes
options:
  table:
    description:
      - The table as main.cf names it, V(type:name), for example V(hash:/etc/postfix/access) or
        V(mysql:/etc/postfix/mysql-aliases.cf).
    type: str
    required: true
  keys:
    description:
      - The keys to look up. Postfix applies the table's own rules (case folding, regular expressions, CIDR
        matching) exactly as a daemon would for a lookup of that string.
    type: list
    elements: str
    required: true
seealso:
  - module: mailops.postfix.postfix_map
'''

EXAMPLES = r'''
- name: Troubleshooting - what does the table say about these senders? (ad-hoc)
  # ansible mx -m mailops.postfix.postfix_lookup -a 'table=hash:/etc/postfix/rejected_senders keys=spammer@example.net'
  mailops.postfix.postfix_lookup:
    table: hash:/etc/postfix/rejected_senders
    keys:
      - spammer@example.net
      - friend@example.org
  register: answers

- name: Fail unless the spammer is rejected
  ansible.builtin.assert:
    that: answers.matches['spammer@example.net'] is match('REJECT')

- name: Query a table kept in MySQL
  mailops.postfix.postfix_lookup:
    table: mysql:/etc/postfix/mysql-virtual-alias-maps.cf
    keys: [info@example.com]
'''

RETURN = r'''
matches:
  description: Each key that was found, with its value.
  returned: always
  type: dict
  sample: {"spammer@example.net": "REJECT compromised account"}
found:
  description: The keys that were found, in the order given.
  returned: always
  type: list
  elements: str
missing:
  description: The keys that were not found, in the order given.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import common_argument_spec
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner
from ansible_collections.mailops.postfix.plugins.module_utils.tables.build import TableError, query


def check_keys(keys):
    """Keys go to postmap one per line: a line break would split one key into two lookups.

    postmap answers "key TAB value": a key with a tab could not be told apart from its answer.
    """
    for key in keys:
        if '\n' in key or '\r' in key or not key:
            raise TableError('key %r is empty or contains a line break; postmap reads one key per line' % key)
        if '\t' in key:
            raise TableError('key %r contains a tab; postmap -q - answers "key TAB value", so the answer would be '
                             'ambiguous. Look it up with postmap -q KEY TABLE instead' % key)


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(
        table={'type': 'str', 'required': True},
        keys={'type': 'list', 'elements': 'str', 'required': True, 'no_log': False},
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = {'changed': False, 'matches': {}, 'found': [], 'missing': []}
    with reported_failures(module, result):
        if ':' not in params['table']:
            raise TableError('table %r has no type: name it as in main.cf, for example hash:%s'
                             % (params['table'], params['table']))
        check_keys(params['keys'])
        found = query(PostfixRunner(module, params['config_dir']), params['table'], params['keys'])
    result['matches'] = {key: value for key, value in found.items() if value is not None}
    result['found'] = [key for key in params['keys'] if found[key] is not None]
    result['missing'] = [key for key in params['keys'] if found[key] is None]
    module.exit_json(**result)


if __name__ == '__main__':
    main()
