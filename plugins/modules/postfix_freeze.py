#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_freeze
short_description: Freeze and thaw Postfix delivery, suspend and resume domains, report the queue
version_added: 0.1.0
description:
  - V(frozen) stops delivery while Postfix keeps accepting and queueing mail, the way the Postfix admin wiki does it
    (C(master_service_disable) names the queue manager, C(in_flow_delay = 0), C(postfix reload)). V(thawed) restores
    delivery and exactly the settings that were there before; the operator's own C(master_service_disable) entries
    and C(in_flow_delay) value stay or come back.
  - O(suspend) defers mail for single domains with C(retry:4.4.1) entries in a transport table of its own, placed
    first in C(transport_maps); no table that a role manages is touched. O(resume) removes only the named domains;
    with the last one, the table leaves C(transport_maps) again. Their deferred mail is requeued at once
    (C(postsuper -r)), one process for all messages, instead of waiting for its next retry.
  - Every run reports the status (read-only without O(state), O(suspend) and O(resume)). That is frozen or not and
    since when, the suspended domains, the queue per queue, its oldest message, C(maximal_queue_lifetime) and
    C(bounce_queue_lifetime), and how long until the first queued message would bounce.
  - C(transport_maps) is changed only by O(suspend) and O(resume). When something else rewrote it so that it no
    longer matches the suspended domains, other runs warn and leave it alone.
  - Works when Postfix is stopped; it then starts frozen. Changes to main.cf are made on a staged copy and validated
    before they go live, as M(mailops.postfix.postconf) does, in proportion to the change - C(postconf) reads the
    staged main.cf, each value set must have the type of its parameter (a time for C(in_flow_delay)), and Postfix's
    commands must be able to read the whole staged main.cf (a value of the wrong type set by hand anywhere in it is
    refused by name) - but without C(postfix check), which judges the whole installation (directories, ownership,
    the chroot's copies of system files) and none of the settings this module writes. The reload is then a C(SIGHUP)
    to master, which is what C(postfix reload) sends after its checks. A refused change leaves main.cf as it was and
    Postfix running; a reload that fails puts main.cf back.
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
  - mailops.postfix.common.changes
  - mailops.postfix.common.attributes
attributes:
  idempotent:
    description: Freezing a frozen host, thawing a thawed one, suspending a suspended domain change nothing.
    support: full
options:
  state:
    description:
      - V(frozen) stops delivery, V(thawed) restores it. Leave it out to only suspend or resume domains, or to report.
    type: str
    choices: [frozen, thawed]
  suspend:
    description:
      - Domains whose mail is deferred (C(retry:4.4.1)) until resumed. V(.example.com) covers the subdomains.
    type: list
    elements: str
    default: []
  resume:
    description: Suspended domains whose mail flows again.
    type: list
    elements: str
    default: []
  suspend_text:
    description: The text deferred mail gets, after the C(4.4.1) status.
    type: str
    default: Delivery suspended by the mail administrators
notes:
  - The settings before the freeze are saved in C(mailops-freeze.json) in the instance's configuration directory
    and restored by the thaw. The file counts only while C(master_service_disable) reads as the freeze wrote it; a
    file left from a freeze that was undone or redone by hand is ignored, with a warning. A host frozen by hand
    gets C(in_flow_delay) back to its default.
  - While a domain is suspended, smtpd answers C(450 4.4.1) with O(suspend_text) to recipients it checks (local,
    virtual and relay domains with recipient maps), so remote senders keep that mail; mail already queued, or
    relayed for clients in C(mynetworks), waits in the deferred queue with the same text.
  - Mail that arrived while frozen waits in the incoming queue and goes out as soon as the queue manager is back.
    Mail deferred before the freeze waits for its next retry; use M(mailops.postfix.postfix_queue) to flush it.
seealso:
  - module: mailops.postfix.postfix_queue
'''

EXAMPLES = r'''
- name: Emergency - stop delivery on every MX, keep accepting mail (ad-hoc; add -b unless you connect as root)
  # ansible mx -m mailops.postfix.postfix_freeze -a state=frozen
  # ansible mx -m mailops.postfix.postfix_freeze -a state=thawed
  mailops.postfix.postfix_freeze:
    state: frozen

- name: A backend for one domain is down - defer its mail, deliver the rest
  # ansible mx -m mailops.postfix.postfix_freeze -a 'suspend=example.com'
  mailops.postfix.postfix_freeze:
    suspend: [example.com]
    suspend_text: Mailbox backend maintenance

- name: It is back
  mailops.postfix.postfix_freeze:
    resume: [example.com]

- name: How long can the queue wait? (read-only)
  mailops.postfix.postfix_freeze:
  register: freeze_status
'''

RETURN = r'''
lock_wait:
  description: Seconds this run waited for another run to finish changing the same instance (O(lock_timeout)).
  returned: always (0 for a status run, which takes no lock)
  type: float
  sample: 0.0
lock_waited_for:
  description: What this run waited for, and who held it.
  returned: when the run waited
  type: list
  elements: str
  sample: ["instance /etc/postfix (held by mailops.postfix.postconf pid 4242 since 12:00:01)"]
frozen:
  description: Whether delivery is frozen (after the run; in check mode, as it would be).
  returned: always
  type: bool
frozen_since:
  description: When the freeze began (UTC, ISO 8601); null when the host was frozen by hand.
  returned: when frozen
  type: str
  sample: '2026-11-24T21:00:00Z'
suspended_domains:
  description: Domains whose mail is deferred by the suspension table.
  returned: always
  type: list
  elements: str
running:
  description: Whether Postfix runs.
  returned: always
  type: bool
queue:
  description:
    - Messages per queue (V(maildrop), V(incoming), V(active), V(deferred), V(hold)), the age and ID of the oldest
      one (seconds), and C(maximal_queue_lifetime) and C(bounce_queue_lifetime) in seconds.
    - C(bounce_in) is the seconds until the first queued message would be returned as undeliverable (negative when
      overdue; it goes at its next delivery attempt), and C(bounce_next_queue_id) is that message. Bounces (sender
      MAILER-DAEMON) have C(bounce_queue_lifetime), mail marked with C(postsuper -e) is due now, and held mail
      does not expire while held.
  returned: always
  type: dict
  sample: {counts: {maildrop: 0, incoming: 0, active: 0, deferred: 12, hold: 0}, total: 12, oldest_age: 7200,
           oldest_queue_id: 4F2B81C3A2, maximal_queue_lifetime: 432000, bounce_queue_lifetime: 432000,
           bounce_in: 424800, bounce_next_queue_id: 4F2B81C3A2}
changes:
  description: main.cf parameters changed, name to C(before)/C(after) (V(null) when not set).
  returned: always
  type: dict
requeued:
  description:
    - Deferred messages for the resumed domains that were requeued, so that they go now, as C(postsuper -r) counted
      them (in check mode, how many would be).
  returned: when O(resume) removed a domain
  type: int
reloaded:
  description: Whether Postfix was reloaded.
  returned: always
  type: bool
reload_needed:
  description: A change was made to a running Postfix that was not reloaded (O(reload=false)).
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
diff:
  description: With --diff, the main.cf parameters and suspension entries that change.
  returned: when changed and in diff mode
  type: list
  elements: dict
'''

import os
from contextlib import ExitStack

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import (
    changes_argument_spec,
    common_argument_spec,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import Locks
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.plan import FreezeError
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.state import SUSPENSION_TABLE
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.freeze import Instance, apply, build_diff, plan, report


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(changes_argument_spec())
    argument_spec.update(
        state={'type': 'str', 'choices': ['frozen', 'thawed']},
        suspend={'type': 'list', 'elements': 'str', 'default': []},
        resume={'type': 'list', 'elements': 'str', 'default': []},
        suspend_text={'type': 'str', 'default': 'Delivery suspended by the mail administrators'},
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    runner = PostfixRunner(module, params['config_dir'])
    result = dict(postfix_control.no_reload(), changed=False, changes={})
    locks = Locks(module, result)
    with reported_failures(module, result), ExitStack() as held:
        if params['state'] or params['suspend'] or params['resume']:
            # A run that may change main.cf or the suspension table holds both from the first read to the reload.
            held.enter_context(locks.hold('instance', runner.config_dir))
            held.enter_context(locks.hold('table', os.path.join(runner.config_dir, SUSPENSION_TABLE)))
        instance = Instance(runner)
        both = set(params['suspend']) & set(params['resume'])
        if both:
            raise FreezeError('%s both suspended and resumed: choose one' % ', '.join(sorted(both)))
        if instance.state.problem:
            module.warn('%s %s' % (instance.state.path, instance.state.problem))
        changes, table, warnings = plan(module, instance)
        for warning in warnings:
            module.warn(warning)
        result['changes'] = changes
        if changes or table.content is not None:
            if module._diff:
                result['diff'] = build_diff(runner.config_dir, changes, table, instance.state.table)
            apply(module, instance, changes, table, result)
            result['changed'] = True
        report(instance, changes, table, result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
