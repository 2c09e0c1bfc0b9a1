#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_queue
short_description: List, summarize, flush, hold, release, requeue, expire and delete Postfix queued mail
version_added: 0.1.0
description:
  - Reads the mail queue with C(postqueue -j), one message at a time, and reports a summary (messages and bytes per
    queue, the oldest message, the top recipient domains, senders and delay reasons) and the selected messages.
  - Selects messages by any combination of O(queue_ids), O(queues), O(sender), O(recipient), O(site),
    O(delay_reason), O(older_than), O(newer_than) and O(query); a message is selected when every criterion given
    matches.
  - Acts on the selection with O(action). C(postsuper) gets all the queue IDs on its standard input, in one process
    whatever their number (C(postsuper -d -)); the result counts what postsuper reports it did, so messages that
    left the queue between the listing and the action are not errors, only not counted.
  - Acting on every message (no selector) needs O(all_messages=true); O(max_messages) refuses a larger action.
  - A V(delete), V(expire) or V(hold) whose selection (other than O(queue_ids)) matches every message of a queue of
    two or more is refused as well (for example V(sender=.*) or V(older_than=0)); use O(all_messages=true) without
    selectors.
  - Check mode lists, selects and reports what the action would affect, and changes nothing.
  - Matching the patterns has a time limit, O(match_timeout); past it the task fails, naming the pattern, and nothing
    is changed.
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
  - mailops.postfix.common.attributes
attributes:
  diff_mode:
    description: The result lists the affected messages; there is no diff.
    support: none
  idempotent:
    description:
      - V(hold), V(release), V(expire) and V(delete) change nothing once done (held mail is not held again, expiring
        mail not expired again).
      - V(flush) and V(requeue) act again on every run that selects deferred or queued mail.
    support: partial
options:
  action:
    description:
      - V(list) only reads the queue (the default).
      - V(flush) requests immediate delivery of the selected deferred messages, the way C(postqueue -i) does, but
        without a process per message (see the notes); with O(site), the way C(postqueue -s) does. With
        O(all_messages=true) it runs C(postqueue -f), also when nothing is deferred, since that also forgets dead
        destinations and wakes up the pickup service. Postfix must be running; otherwise the task fails, also in
        check mode, before anything is done.
      - V(hold) puts selected mail on hold (C(postsuper -h)); V(release) takes it off hold (C(postsuper -H)).
      - V(requeue) (C(postsuper -r)) sends selected mail through the cleanup service again, for example after a
        transport or virtual alias change; it gets a new queue ID once the pickup service takes it, which the module
        wakes up (C(postkick public pickup W)). Held mail stays held, since C(postsuper -r) would release it; release
        it first.
      - V(expire) (C(postsuper -e), Postfix 3.5 and later) returns selected mail to the sender at the next delivery
        attempt. Held mail stays held; release it to let it bounce.
      - V(delete) (C(postsuper -d)) removes selected mail, from every queue including maildrop.
    type: str
    choices: [list, flush, hold, release, requeue, expire, delete]
    default: list
  queue_ids:
    description:
      - Queue IDs, short (V(9946C1B63F2)) or long (V(4jYx2Z49j6zFdNh)). Anything else is refused before Postfix
        runs; IDs not in the queue are reported in RV(queue_ids_not_found).
      - An empty list selects no message.
    type: list
    elements: str
  queues:
    description: Queue names. An empty list selects no message.
    type: list
    elements: str
    choices: [maildrop, incoming, active, deferred, hold]
  sender:
    description:
      - Python regular expression searched in the envelope sender, case-insensitively; anchor it with C(^) and C($).
        An empty pattern is refused (it would select every message), as for O(recipient), O(delay_reason) and
        O(query).
      - postqueue shows the null sender of bounces as V(MAILER-DAEMON).
    type: str
  recipient:
    description:
      - Python regular expression searched in the recipient addresses still queued, case-insensitively. A message
        matches when any of its recipients does, for example V(@example\\.com$).
    type: str
  site:
    description:
      - A recipient domain, as C(postqueue -s) names a site. A message matches when any of its recipients still
        queued is at that domain (case-insensitively, not its subdomains), for example V(example.com).
      - V(.example.com) matches the subdomains of example.com; V([192.0.2.1]) an address literal.
      - Unlike C(postqueue -s), this works for any domain, not only those in C(fast_flush_domains).
    type: str
  delay_reason:
    description:
      - Python regular expression searched in the recipients' delay reasons, case-insensitively. A message matches
        when any recipient's reason does. Recipients not tried yet have no reason and never match.
    type: str
  older_than:
    description:
      - Selects mail that arrived more than this long ago. A number with a unit, V(s), V(m), V(h), V(d) or V(w), as in
        Postfix (V(30m), V(6h), V(2d)); several in a row add up (V(1h30m)); a bare number is seconds.
    type: str
  newer_than:
    description: Selects mail that arrived less than this long ago; same format as O(older_than).
    type: str
  query:
    description:
      - A JMESPath expression evaluated on each message record as RV(messages) shows it; the message is selected when
        the result is true in JMESPath's sense (not false, null or empty; 0 is true), for example
        V(message_size > `1000000`) or V(length(recipients) > `50`).
      - Needs the Python library jmespath on the managed host, and only when this option is used.
    type: str
  match_timeout:
    description:
      - How long, in seconds, matching O(sender), O(recipient), O(delay_reason) and O(query) may take, summed over
        every message of the queue (reading the queue does not count). A pattern with a repetition inside a
        repetition, such as V((a+\)+$), can take hours on a single address, since Python's regular expressions
        backtrack.
      - Past it, the task fails with a message that names the pattern, before anything is done to the queue (also
        for an action), and the module ends; no process it started is left running.
      - Matching takes about 2 microseconds per message for a pattern and about 10 for a query (measured with
        C(tests/benchmark/queue-match.py)), so the default covers millions of messages with patterns and about a
        million with a query.
    type: float
    default: 10
  all_messages:
    description:
      - Allow an action other than V(list) without any selector, on every message in the queue. Not allowed together
        with a selector.
    type: bool
    default: false
  max_messages:
    description:
      - Refuse (fail, change nothing) when the action would affect more messages than this. In check mode the refusal
        is predicted the same way.
    type: int
  limit:
    description: At most this many records in RV(messages) and queue IDs in RV(affected_ids); the counts are complete.
    type: int
    default: 100
  top:
    description: How many recipient domains, senders and delay reasons the summary ranks.
    type: int
    default: 10
notes:
  - Requires Postfix 3.1 or later (C(postqueue -j)); V(expire) requires 3.5. Tested with 3.7 and 3.10. Acting on
    mail needs root, as C(postsuper) does.
  - Memory stays small for large queues. The listing is read one message at a time; what is kept is the queue IDs
    (postqueue may list a message twice while it moves), the summary's counters, and the first O(limit) selected
    records. 50,000 messages add about 7 MB to the module's 25 MB.
  - B(Flushing a selection.) Postfix has no command that flushes a list of messages. C(postqueue -i) takes exactly one
    queue ID (a second one is a usage error), C(postqueue -s) flushes a whole site and only for C(fast_flush_domains),
    which is empty by default. C(postqueue -i) is a client of the flush(8) service, which moves the message from the
    deferred to the incoming queue with fresh time stamps and wakes up the queue manager. This module sends flush(8)
    that same request for each selected deferred message over its socket (C($queue_directory/public/flush)), with the
    same effect as C(postqueue -i) per message, without a process per message. Postfix must be running. To flush the
    mail for one destination, select it with O(site) (C(postqueue -s) itself works only for C(fast_flush_domains),
    empty by default, and cannot say beforehand what it would flush).
  - Queue IDs are reused unless C(enable_long_queue_ids=yes); as with C(postsuper) itself, a message that left the
    queue between the listing and the action could in principle be replaced by a new one with the same short ID.
seealso:
  - name: postqueue(1)
    description: Lists and flushes the queue; the JSON format of RV(messages).
    link: https://www.postfix.org/postqueue.1.html
  - name: postsuper(1)
    description: Holds, releases, requeues, expires and deletes queued mail.
    link: https://www.postfix.org/postsuper.1.html
  - module: mailops.postfix.postfix_freeze
    description: Stops and restarts delivery as a whole.
'''

EXAMPLES = r'''
# Ad hoc, in an emergency (add --check first to see what would be affected):
#   ansible mx -m mailops.postfix.postfix_queue -a 'limit=0'
#   ansible mx -b -m mailops.postfix.postfix_queue -a 'action=hold sender=^compromised@example\.com$'
#   ansible mx -b -m mailops.postfix.postfix_queue -a 'action=delete recipient=@spamtrap\.example$ max_messages=5000'
#   ansible mx -b -m mailops.postfix.postfix_queue -a 'action=flush site=example.net'
#   ansible mx -b -m mailops.postfix.postfix_queue -a 'action=flush all_messages=true'

- name: Queue summary and the deferred mail older than 6 hours
  mailops.postfix.postfix_queue:
    queues: [deferred]
    older_than: 6h

- name: Hold everything a compromised account sent, at most 20000 messages, and keep all their queue IDs
  mailops.postfix.postfix_queue:
    action: hold
    sender: '^compromised@example\.com$'
    max_messages: 20000
    limit: 20000
  register: held

- name: Later, release exactly those messages
  mailops.postfix.postfix_queue:
    action: release
    queue_ids: "{{ held.affected_ids }}"

- name: Return mail to a dead domain to its senders now
  mailops.postfix.postfix_queue:
    action: expire
    recipient: '@defunct\.example$'
    delay_reason: 'Host or domain name not found'

- name: Retry deferred mail for a partner after its outage, without flushing the rest of the queue
  mailops.postfix.postfix_queue:
    action: flush
    recipient: '@partner\.example$'
    delay_reason: 'Connection (refused|timed out)'

- name: Delete large bounces that are stuck for more than a day
  mailops.postfix.postfix_queue:
    action: delete
    sender: '^MAILER-DAEMON$'
    older_than: 1d
    query: message_size > `1000000`

- name: Empty the whole queue (test systems)
  mailops.postfix.postfix_queue:
    action: delete
    all_messages: true
'''

RETURN = r'''
summary:
  description: The whole queue before the action (not only the selection).
  returned: always
  type: dict
  contains:
    messages:
      description: Number of messages.
      type: int
    bytes:
      description: Their total size (C(message_size)).
      type: int
    recipients:
      description: Recipients still queued.
      type: int
    forced_expire:
      description: Messages marked for forced expiration.
      type: int
    queues:
      description: Messages and bytes per queue, for maildrop, incoming, active, deferred and hold.
      type: dict
      sample: {"deferred": {"messages": 3, "bytes": 1020}, "hold": {"messages": 1, "bytes": 333}}
    oldest:
      description: The oldest message (queue_id, queue_name, arrival_time) and its age in seconds; null when empty.
      type: dict
      sample: {"queue_id": "933961BA358", "queue_name": "deferred", "arrival_time": 1795556175, "age": 7200}
    top_recipient_domains:
      description: The most frequent recipient domains, with the messages and the recipients per domain.
      type: list
      elements: dict
      sample: [{"domain": "remote-one.example", "messages": 3, "recipients": 3}]
    top_senders:
      description: The most frequent senders, with their messages.
      type: list
      elements: dict
      sample: [{"sender": "MAILER-DAEMON", "messages": 2}]
    top_delay_reasons:
      description: The most frequent delay reasons, with the recipients that have them.
      type: list
      elements: dict
      sample: [{"delay_reason": "connect to 127.0.0.1[127.0.0.1]:2525: Connection refused", "recipients": 1}]
summary_after:
  description: The summary read again after the action, same shape as RV(summary).
  returned: when the action changed something, not in check mode
  type: dict
selected:
  description: Number of selected messages.
  returned: always
  type: int
messages:
  description:
    - The first O(limit) selected messages, as C(postqueue -j) prints them (queue_name, queue_id, arrival_time,
      message_size, forced_expire, sender, recipients with address and delay_reason).
  returned: always
  type: list
  elements: dict
  sample:
    - queue_name: deferred
      queue_id: 933961BA358
      arrival_time: 1795556175
      message_size: 362
      forced_expire: false
      sender: alice@example.com
      recipients:
        - address: x@example.net
          delay_reason: "connect to mx.example.net[192.0.2.1]:25: Connection timed out"
affected:
  description:
    - How many messages the action changed, as postsuper counted them; in check mode, how many it would change.
    - Also when the task fails part way (flush(8) or postsuper stopped), the messages changed before that.
    - Selected messages that the action does not apply to are not counted (held mail for V(hold), mail not on hold
      for V(release), mail already expiring for V(expire), anything but deferred mail for V(flush)).
    - For V(flush), the messages whose delivery was requested.
  returned: always
  type: int
affected_ids:
  description: Queue IDs of the affected messages, at most O(limit) of them.
  returned: always
  type: list
  elements: str
queue_ids_not_found:
  description: Requested O(queue_ids) that are not in the queue.
  returned: when O(queue_ids) is given
  type: list
  elements: str
version:
  description: The Postfix version (C(mail_version)).
  returned: always
  type: str
  sample: 3.7.11
'''

import contextlib
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import common_argument_spec
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner
from ansible_collections.mailops.postfix.plugins.module_utils.queue.actions import act, nothing_done
from ansible_collections.mailops.postfix.plugins.module_utils.queue.plan import check_flush_possible, check_request, plan
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import (
    ACTIONS,
    QUEUE_NAMES,
    Selector,
    read_queue,
    scan,
    summarize,
)


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(
        action={'type': 'str', 'default': 'list', 'choices': ['list'] + sorted(ACTIONS)},
        queue_ids={'type': 'list', 'elements': 'str'},
        queues={'type': 'list', 'elements': 'str', 'choices': list(QUEUE_NAMES)},
        sender={'type': 'str'},
        recipient={'type': 'str'},
        site={'type': 'str'},
        delay_reason={'type': 'str'},
        older_than={'type': 'str'},
        newer_than={'type': 'str'},
        query={'type': 'str'},
        match_timeout={'type': 'float', 'default': 10},
        all_messages={'type': 'bool', 'default': False},
        max_messages={'type': 'int'},
        limit={'type': 'int', 'default': 100},
        top={'type': 'int', 'default': 10},
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    runner = PostfixRunner(module, params['config_dir'])
    action = params['action']
    result = {'changed': False, 'action': action, 'affected': 0, 'affected_ids': []}
    with reported_failures(module, result):
        selector = Selector.from_params(params)
        result['version'] = runner.version()
        check_request(params, selector, result['version'])
        # Closed also when the selection fails: postqueue ends with the task.
        with contextlib.closing(read_queue(runner)) as records:
            view = scan(records, selector, time.time(), action=action, limit=params['limit'], top=params['top'],
                        match_timeout=params['match_timeout'])
        result.update(summary=view['summary'], selected=view['selected'], messages=view['messages'])
        if params['queue_ids'] is not None:
            result['queue_ids_not_found'] = view['not_found']
        targets = plan(action, view, selector, params['all_messages'], params['max_messages'])
        whole_queue_flush = action == 'flush' and params['all_messages']
        if action == 'flush' and (targets or whole_queue_flush):
            check_flush_possible(runner)
        done = nothing_done()
        try:
            if module.check_mode or not (targets or whole_queue_flush):
                done.update(count=len(targets), queue_ids=targets)
            else:
                act(runner, action, targets, done, whole_queue=whole_queue_flush)
        finally:
            # Also when the action failed part way: what it did is part of the result.
            result.update(changed=done['count'] > 0, affected=done['count'],
                          affected_ids=done['queue_ids'][:params['limit']])
        for warning in done['warnings']:
            module.warn('postsuper: %s' % warning)
        if result['changed'] and not module.check_mode:
            result['summary_after'] = summarize(read_queue(runner), time.time(), params['top'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
