#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of an action that runs on the controller (plugins/action/postfix_packages.py):
# no Python runs on the host.

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_packages
short_description: Which of Postfix's packages are installed, asked in one command without Python on the host
version_added: 0.1.0
description:
  - Asks C(dpkg-query) or C(rpm) which of O(names) are installed, over the connection as it is (no module payload,
    no Python on the host), and optionally the owner, group, mode and type of some O(paths) in the same command.
  - Keeps a play's answers in one registered result. Given the result of an earlier call as O(known), the names
    it answered are not asked again (the answer adds to it). The base role asks once for the packages of the whole
    site this way, and the roles that follow read the same answer.
  - Read-only. It installs nothing (M(ansible.builtin.package) does, for RV(missing)).
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common.read_only_attributes
options:
  names:
    description:
      - The packages to ask about, as the package manager names them (V(postfix), V(postfix-pcre)).
    type: list
    elements: str
    required: true
  manager:
    description:
      - The package database to ask, V(dpkg) (Debian, Ubuntu) or V(rpm) (Red Hat and its family, SUSE).
    type: str
    choices: [dpkg, rpm]
    default: dpkg
  paths:
    description:
      - Paths whose owner, group, mode and type to return in RV(paths), following symbolic links (C(stat -L)), asked in
        the same command, such as a directory that a later task would create only when it is not as it should be.
      - Asked at every call, never taken from O(known) (a directory can change during a play). Absolute paths on the
        host, taken as they are (no C(~) or variable expansion).
    type: list
    elements: str
    default: []
  known:
    description:
      - The registered result of an earlier call in the play. The names it answered are not asked again, and this
        call's answer is added to it, so one registered variable keeps the answers of the play.
      - Any other value (a skipped task's result, an empty dictionary) is no answer.
    type: dict
    default: {}
notes:
  - The answer is as of the call. After M(ansible.builtin.package) installs what was RV(missing), ask again without
    O(known) to see it installed.
seealso:
  - module: ansible.builtin.package_facts
    description: Every installed package, with a Python module on the host.
'''

EXAMPLES = r'''
- name: Which of Postfix's packages are installed, and the mailboxes' directory
  mailops.postfix.postfix_packages:
    names: [postfix, postfix-pcre, libsasl2-modules]
    paths: [/var/mail/vhosts]
  register: postfix_packages

# What is missing goes to ansible.builtin.package (name: "{{ postfix_packages.missing }}"), as the base role does.
- name: Postfix is installed
  ansible.builtin.assert:
    that: "'postfix' in postfix_packages.installed"
    fail_msg: "missing: {{ postfix_packages.missing | join(', ') }}"

# A later role asks again: only postfix-mysql goes to the host.
- name: Which of the MySQL table's packages are installed
  mailops.postfix.postfix_packages:
    names: [postfix, postfix-mysql]
    known: "{{ postfix_packages }}"
  register: postfix_packages
'''

RETURN = r'''
installed:
  description: The names installed, of every name asked in the play (this call's and those of O(known)), sorted.
  returned: success
  type: list
  elements: str
  sample: [libsasl2-modules, postfix]
missing:
  description: The names of this call's O(names) that are not installed, in their order.
  returned: success
  type: list
  elements: str
  sample: [postfix-pcre]
asked:
  description: Every name answered, this call's and those of O(known), sorted.
  returned: success
  type: list
  elements: str
  sample: [libsasl2-modules, postfix, postfix-pcre]
asked_now:
  description:
    - The names this call asked the host about. Empty when O(known) answered them all; then, unless O(paths) are
      asked, nothing ran on the host.
  returned: success
  type: list
  elements: str
  sample: [postfix, postfix-pcre, libsasl2-modules]
paths:
  description:
    - Per path of O(paths), its numeric owner (C(uid)) and group (C(gid)), its mode as an
      octal string (C(mode)) and its type as C(stat) names it (C(type), V(directory), V(regular file)); V(null) when
      it does not exist.
  returned: success
  type: dict
  sample: {"/var/mail/vhosts": {"uid": 5000, "gid": 5000, "mode": "0750", "type": "directory"}}
'''
