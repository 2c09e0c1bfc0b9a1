#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: milter_probe
short_description: Check that milters answer, as Postfix would open them, before Postfix is told to use them
version_added: 0.1.0
description:
  - Connects to each milter's socket and negotiates options (the milter protocol's first step, C(SMFIC_OPTNEG), with
    what Postfix 3.x offers), then says C(SMFIC_QUIT) and closes. A milter that answers reports its protocol version.
  - A socket that refuses the connection, does not exist, or accepts it but does not answer as a milter (another
    daemon on the port, a hung milter) fails the task, naming each such milter and why, unless that milter has
    O(milters[].may_be_down).
  - Postfix itself notices a milter that does not answer only when mail arrives, and then applies
    C(milter_default_action) to every message; run this before putting a milter into C(smtpd_milters) or
    C(non_smtpd_milters), as the C(mailops.postfix.filter) role does.
  - It needs nothing but Python on the managed host and runs no Postfix command.
author:
  - mailops.postfix maintainers (@mailops)
attributes:
  check_mode:
    description: Probes as a real run does; a probe changes nothing.
    support: full
  diff_mode:
    description: There is nothing to show a difference of.
    support: none
  idempotent:
    description: It only reads.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
options:
  milters:
    description: The milters to probe, in order; all are probed before the task fails.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: What the result and the error call the milter.
        type: str
        required: true
      socket:
        description:
          - As Postfix writes it, V(unix:/path) or V(inet:host:port) (an IPv6 address in brackets).
          - A unix socket that does not exist at the path given is looked for under O(queue_directory), where
            chrooted Postfix daemons open it.
        type: str
        required: true
      may_be_down:
        description: A milter that does not answer is reported, and does not fail the task.
        type: bool
        default: false
  timeout:
    description: Seconds to wait for the connection and for the answer, per milter.
    type: float
    default: 10
  queue_directory:
    description: Postfix's C(queue_directory), the chroot of the daemons that run chrooted.
    type: path
    default: /var/spool/postfix
notes:
  - The probe's connection shows in the milter's log as a client that quit after negotiating.
seealso:
  - module: mailops.postfix.smtp_probe
  - name: Postfix before-queue milter support
    description: MILTER_README, the settings C(smtpd_milters), C(non_smtpd_milters) and C(milter_default_action).
    link: https://www.postfix.org/MILTER_README.html
'''

EXAMPLES = r'''
- name: Does OpenDKIM answer?
  mailops.postfix.milter_probe:
    milters:
      - {name: opendkim, socket: "inet:127.0.0.1:8891"}

- name: Both milters must answer, except the optional one
  mailops.postfix.milter_probe:
    milters:
      - {name: spamassassin, socket: "unix:/spamass/spamass.sock"}
      - {name: clamav, socket: "inet:127.0.0.1:7357", may_be_down: true}
    timeout: 5
  register: milters

- name: Say which milters are down
  ansible.builtin.debug:
    msg: "{{ milters.down | map(attribute='name') }}"
'''

RETURN = r'''
milters:
  description: One entry per milter, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The milter's name.
      type: str
    socket:
      description: The socket, as given.
      type: str
    answered:
      description: Whether it negotiated options.
      type: bool
    version:
      description: The milter protocol version it answered with; null when it did not answer.
      type: int
    error:
      description: Why it did not answer (C(Connection refused), C(No such file or directory), C(no answer within 10
        seconds), an answer that is not a milter's); null when it answered.
      type: str
  sample:
    - {name: opendkim, socket: "inet:127.0.0.1:8891", answered: true, version: 6, error: null}
down:
  description: The milters that did not answer, as in RV(milters); those without O(milters[].may_be_down) failed the
    task.
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.smtp.milter import probe

MILTER_SPEC = {
    'name': {'type': 'str', 'required': True},
    'socket': {'type': 'str', 'required': True},
    'may_be_down': {'type': 'bool', 'default': False},
}


def main():
    module = AnsibleModule(
        argument_spec={
            'milters': {'type': 'list', 'elements': 'dict', 'required': True, 'options': MILTER_SPEC},
            'timeout': {'type': 'float', 'default': 10},
            'queue_directory': {'type': 'path', 'default': '/var/spool/postfix'},
        },
        supports_check_mode=True,
    )
    milters = []
    for milter in module.params['milters']:
        if not milter['socket'].startswith(('unix:/', 'inet:')):
            module.fail_json(msg='milter %s: the socket %r is not unix:/path or inet:host:port'
                             % (milter['name'], milter['socket']))
        result = probe(milter['socket'], module.params['timeout'], module.params['queue_directory'])
        milters.append(dict(name=milter['name'], socket=milter['socket'], **result))
    down = [result for result in milters if not result['answered']]
    allowed = {milter['name'] for milter in module.params['milters'] if milter['may_be_down']}
    refused = [result for result in down if result['name'] not in allowed]
    if refused:
        module.fail_json(
            msg='no milter answers at %s. Postfix would apply milter_default_action (or the milter\'s own '
                'default_action) to every message; start the milter, correct its socket, or allow it to be down '
                '(may_be_down)' % '; '.join('%s (%s): %s' % (result['socket'], result['name'], result['error'])
                                            for result in refused),
            milters=milters, down=down)
    module.exit_json(changed=False, milters=milters, down=down)


if __name__ == '__main__':
    main()
