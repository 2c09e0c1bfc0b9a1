# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The queue at a glance: messages per queue, the oldest, and how long until the first bounce.

Private to this collection: roles and playbooks use the modules, never module_utils.

The wiki's warning for a frozen host: mail waits only until
maximal_queue_lifetime, then it is returned to the sender. postfix_freeze
reports this with every run.
"""

from __future__ import annotations

import time

from ansible_collections.mailops.postfix.plugins.module_utils.queue_records import (
    QueueSummary,
    parse_duration,
    parse_records,
)

LIFETIMES = ('maximal_queue_lifetime', 'bounce_queue_lifetime')


def bounce_time(record, maximal_queue_lifetime, bounce_queue_lifetime):
    """When a queued message would be returned as undeliverable, in seconds since the epoch; None for held mail.

    Held mail does not expire while held. Bounces (the null sender, shown as
    MAILER-DAEMON) have bounce_queue_lifetime; mail marked with postsuper -e
    goes back at its next attempt.
    """
    if record['queue_name'] == 'hold':
        return None
    if record.get('forced_expire'):
        return record['arrival_time']
    lifetime = bounce_queue_lifetime if record['sender'] == 'MAILER-DAEMON' else maximal_queue_lifetime
    return record['arrival_time'] + lifetime


def queue_status(runner):
    """Messages per queue, the oldest one, and how long until the first one would bounce (the wiki's warning)."""
    # -x: either may be written as $name of another parameter.
    lifetimes = runner.run('postconf', ['expand', 'hide_names'], LIFETIMES)[1].split()
    # A bare number is days for these parameters (postconf(5)).
    maximal, bounce = (parse_duration(value + 'd' if value.isdigit() else value, name)
                       for name, value in zip(LIFETIMES, lifetimes))
    return status_of(parse_records(runner.stream_lines('postqueue', ['json'])), time.time(), maximal, bounce)


def status_of(records, now, maximal_queue_lifetime, bounce_queue_lifetime):
    """queue_status() of the queue ``records`` at ``now``, given both lifetimes in seconds."""
    summary = QueueSummary(now, top=0)
    first_bounce = None
    for record in records:
        summary.add(record)
        at = bounce_time(record, maximal_queue_lifetime, bounce_queue_lifetime)
        if at is not None and (first_bounce is None or at < first_bounce[0]):
            first_bounce = (at, record['queue_id'])
    counts = summary.result()
    return {
        'counts': {name: queue['messages'] for name, queue in counts['queues'].items()},
        'total': counts['messages'],
        'oldest_age': counts['oldest']['age'] if counts['oldest'] else None,
        'oldest_queue_id': counts['oldest']['queue_id'] if counts['oldest'] else None,
        'maximal_queue_lifetime': maximal_queue_lifetime,
        'bounce_queue_lifetime': bounce_queue_lifetime,
        'bounce_in': None if first_bounce is None else first_bounce[0] - int(now),
        'bounce_next_queue_id': None if first_bounce is None else first_bounce[1],
    }
