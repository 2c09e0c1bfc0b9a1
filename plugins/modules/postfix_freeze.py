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
  - Works when Postfix is stopped; it then starts frozen. Changes to main.cf go through the same staged validation as
    M(mailops.postfix.postconf).
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
import time
from contextlib import ExitStack

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build
from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import (
    changes_argument_spec,
    common_argument_spec,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.stage import apply_changes, go_live
from ansible_collections.mailops.postfix.plugins.module_utils.core.file_attributes import resolve
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.state import SUSPENSION_TABLE, FreezeState
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.plan import (
    FreezeError,
    is_frozen,
    plan_freeze,
    plan_thaw,
    plan_transport_maps,
    qmgr_entry,
    suspension_value,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import Locks
from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import parse_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import parse_entries
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import (
    at_site,
    check_site,
    parse_records,
    recipient_domain,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner
from ansible_collections.mailops.postfix.plugins.module_utils.queue.actions import act, nothing_done
from ansible_collections.mailops.postfix.plugins.module_utils.queue.status import queue_status
from ansible_collections.mailops.postfix.plugins.module_utils.tables.plan import make_request, plan_content


class Instance:
    """What this module reads of one Postfix instance."""

    def __init__(self, runner):
        self.runner = runner
        self.explicit = parse_parameters(runner.run('postconf', ['non_default'])[1])
        self.state = FreezeState(runner, self.explicit)


def plan(module, instance):
    """main.cf changes, the suspension table's new content (None: unchanged), and warnings."""
    params = module.params
    changes = {}
    warnings = []
    if params['state'] == 'frozen':
        qmgr = qmgr_entry(parse_entries(instance.runner.run('postconf', ['master'])[1])[0])
        changes.update(plan_freeze(instance.explicit, qmgr))
    elif params['state'] == 'thawed':
        changes.update(plan_thaw(instance.explicit, instance.state.saved))
    suspend = [check_site(domain, 'suspend') for domain in params['suspend']]
    resume = [check_site(domain, 'resume') for domain in params['resume']]
    state = instance.state
    request = make_request(state.table_type, dict.fromkeys(suspend, suspension_value(params['suspend_text'])),
                           None, False, resume)
    table = plan_content(request, state.table_text, state.table_path)
    transport_maps = plan_transport_maps(instance.explicit, state.table, bool(table.entries))
    if suspend or resume:
        changes.update(transport_maps)
    elif transport_maps:
        # Someone else rewrote transport_maps; only a suspend or resume puts the table back.
        warnings.append('transport_maps = %s does not match the suspended domains (%s): repeat a suspend or resume '
                        'to put %s first again, or to remove it' % (
                            instance.explicit.get('transport_maps'),
                            ', '.join(entry.key for entry in table.entries) or 'none', state.table))
    return changes, table, warnings


def stage_table(module, instance, table):
    """Build the suspension table's new content next to the live one; Postfix judges it, in check mode too.

    First removes the staged files that interrupted runs left (not in check mode).
    """
    state = instance.state
    if not module.check_mode:
        table_build.remove_leftovers(state.table_type, state.table_path)
    staged = table_build.build(module, instance.runner, state.table_type, state.table_path, table.content,
                               resolve(None, None, None, None, 0o644))
    for warning in staged.other_warnings:
        module.warn(warning)
    return staged


def apply(module, instance, changes, table, result):
    params = module.params
    freezing = 'master_service_disable' in changes and is_frozen(changes['master_service_disable']['after'])
    if freezing:
        # Saved before main.cf changes, so that a thaw can always restore it.
        instance.state.save(module, {
            'frozen_since': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            'in_flow_delay': instance.explicit.get('in_flow_delay'),
            'master_service_disable': instance.explicit.get('master_service_disable'),
            'frozen_with': changes['master_service_disable']['after']})
    # A new table goes live in the same transaction as main.cf, just before the transport_maps that
    # names it; a dropped one goes after.
    staged = stage_table(module, instance, table) if table.content is not None and table.entries else None

    def install_table(installation):
        if staged:
            table_build.install(staged, True, installation)

    try:
        if changes:
            applied = False
            try:
                apply_changes(module, instance.runner, changes, {}, result, reload=params['reload'],
                              before_install=install_table)
                applied = True
            finally:
                if freezing and not applied:
                    instance.state.restore(module)
        elif table.content is not None:
            # The transport table alone changed: reload, so that trivial-rewrite reads it at once.
            reload = postfix_control.reload_plan(instance.runner, params['reload'])
            result.update(reload)
            if not module.check_mode:
                go_live(instance.runner, result, reload, install_table)
    finally:
        if staged:
            table_build.discard(staged)
    if table.content is not None and not table.entries:
        table_build.remove(module, instance.state.table_type, instance.state.table_path)
    resumed = [pair[0].key for pair in table.changes.removed]
    if resumed:
        result['requeued'] = requeue_deferred(module, instance.runner, resumed)
    if 'master_service_disable' in changes and not is_frozen(changes['master_service_disable']['after']):
        instance.state.remove(module)


def requeue_deferred(module, runner, domains):
    """Requeue deferred mail for resumed domains, so that it goes now rather than at its next retry.

    One postsuper process for all of them; returns how many messages were
    requeued, as postsuper counted them (in check mode: would be).
    """
    queue_ids = [record['queue_id'] for record in parse_records(runner.stream_lines('postqueue', ['json']))
                 if record['queue_name'] == 'deferred'
                 and any(at_site(recipient_domain(recipient['address']), domains)
                         for recipient in record['recipients'])]
    if not queue_ids or module.check_mode:
        return len(queue_ids)
    done = nothing_done()
    act(runner, 'requeue', queue_ids, done)
    return done['count']


def build_diff(config_dir, changes, table, table_name):
    """One diff for the changed main.cf parameters, one for the suspension entries."""
    def parameters(side):
        return ''.join('%s = %s\n' % (name, change[side]) for name, change in sorted(changes.items())
                       if change[side] is not None)

    def entries(pairs, side):
        return ''.join('%s %s\n' % (pair[side].key, pair[side].value) for pair in pairs)

    diffs = []
    if changes:
        path = os.path.join(config_dir, 'main.cf')
        diffs.append({'before_header': '%s (changed entries)' % path, 'after_header': '%s (changed entries)' % path,
                      'before': parameters('before'), 'after': parameters('after')})
    if table.content is not None:
        diffs.append({'before_header': table_name, 'after_header': table_name,
                      'before': entries(table.changes.removed + table.changes.changed, 0),
                      'after': entries(table.changes.changed + table.changes.added, 1)})
    return diffs


def report(instance, changes, table, result):
    """The status after the run (or, in check mode, as the run would leave it)."""
    disabled = changes.get('master_service_disable', {}).get(
        'after', instance.explicit.get('master_service_disable'))
    result['frozen'] = is_frozen(disabled)
    if result['frozen']:
        result['frozen_since'] = instance.state.saved.get('frozen_since')
    result['suspended_domains'] = sorted(entry.key for entry in table.entries)
    if 'running' not in result:
        result['running'] = postfix_control.is_running(instance.runner)
    result['queue'] = queue_status(instance.runner)


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
