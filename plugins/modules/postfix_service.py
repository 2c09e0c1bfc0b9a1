#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_service
short_description: Start, stop, reload or restart a Postfix instance, with systemd or without it
version_added: 0.1.0
description:
  - The handler behind the other modules' RV(ignore:reload_needed) and RV(ignore:restart_required). It acts only when
    it has something to do, so that a play reloads Postfix once, and not at all when nothing changed.
  - On a systemd host the default instance is driven through C(postfix.service), so that the unit stays in charge of
    its master process. Elsewhere (containers, secondary instances) it runs C(postfix start), C(stop) or C(reload).
    Either way C(postfix status) must agree afterwards; Debian's C(postfix.service) reports success even when the
    instance failed to start.
  - When C(postfix status) cannot tell whether the instance runs (a O(config_dir) without C(main.cf), a C(main.cf)
    Postfix cannot read, a user who is not root), the task fails before it acts, in check mode too.
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
attributes:
  check_mode:
    description: Reports whether it would act, and does nothing.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
  idempotent:
    description: V(started) and V(stopped) change nothing once done; V(reloaded) and V(restarted) act on every run
      where Postfix runs (V(restarted) also starts a stopped one).
    support: partial
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
options:
  state:
    description:
      - V(reloaded) makes a running Postfix read main.cf and master.cf again; a stopped one is left alone (it reads them
        when it starts).
      - V(restarted) stops and starts it, which C(inet_interfaces) and C(inet_protocols) need; a stopped one is
        started.
      - Leave it out with O(changes).
    type: str
    choices: [started, stopped, reloaded, restarted]
  changes:
    description:
      - The registered results of this collection's modules (the handler of a role passes them all). Postfix is
        reloaded when one of them has RV(ignore:reload_needed), restarted instead when such a one also has
        RV(ignore:restart_required), and left alone otherwise.
    type: list
    elements: dict
seealso:
  - module: mailops.postfix.postconf
'''

EXAMPLES = r'''
- name: Reload Postfix (a role handler)
  mailops.postfix.postfix_service:
    state: reloaded

- name: Reload, or restart where a changed parameter needs it, if the changes need either
  mailops.postfix.postfix_service:
    changes: "{{ [postconf_result, table_result] }}"

- name: Start a secondary instance (created before, for example with postmulti -I postfix-out -e create)
  mailops.postfix.postfix_service:
    config_dir: /etc/postfix-out
    state: started
'''

RETURN = r'''
running:
  description:
    - Whether Postfix runs after the task (in check mode, would run).
    - After a failed start, stop, reload or restart, whether it runs then; C(changed) is true only if that differs
      from before (a restart whose start failed leaves Postfix stopped).
  returned: unless O(changes) need nothing, or the task failed before it acted
  type: bool
action:
  description: What was done (in check mode, would be done); null when Postfix already was as asked.
  returned: unless O(changes) need nothing
  type: str
  choices: [start, stop, reload, restart]
  sample: restart
'''

from contextlib import suppress

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import common_argument_spec
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError, reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner

# state -> (what to do while running, what to do while stopped); None: nothing.
ACTIONS = {
    'started': (None, postfix_control.start),
    'stopped': (postfix_control.stop, None),
    'reloaded': (postfix_control.reload, None),
    'restarted': (postfix_control.restart, postfix_control.start),
}


def state_for(changes):
    """What module results ask for: "restarted", "reloaded", or None."""
    needed = [change for change in changes if change.get('reload_needed')]
    if not needed:
        return None
    return 'restarted' if any(change.get('restart_required') for change in needed) else 'reloaded'


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(state={'type': 'str', 'choices': sorted(ACTIONS)},
                         changes={'type': 'list', 'elements': 'dict'})
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_one_of=[('state', 'changes')], mutually_exclusive=[('state', 'changes')])
    runner = PostfixRunner(module, module.params['config_dir'])
    state = module.params['state'] or state_for(module.params['changes'])
    result = {'changed': False}
    if state is None:
        module.exit_json(**result)
    with reported_failures(module, result):
        running = postfix_control.is_running(runner)
        action = ACTIONS[state][0 if running else 1]
        result['action'] = action.__name__ if action else None
        if action and not module.check_mode:
            try:
                action(runner)
            except (MailopsError, OSError):
                # Report what is true after the failure, not what was asked for: a restart may have stopped Postfix.
                with suppress(MailopsError):
                    result['running'] = postfix_control.is_running(runner)
                    result['changed'] = result['running'] != running
                raise
        result.update(changed=bool(action), running=state != 'stopped' if action else running)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
