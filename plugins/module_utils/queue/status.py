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

from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import (
    QueueSummary,
    at_site,
    parse_duration,
    read_queue,
    recipient_domain,
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


def queue_status(runner, domains=()):
    """Messages per queue, the oldest one, and how long until the first one would bounce (the wiki's warning).

    With ``domains`` (as postqueue -s names sites: example.com, or .example.com for its subdomains), the same
    for the mail still queued for each of them, under ``domains``: how long a suspended domain can wait.
    """
    # -x: either may be written as $name of another parameter (runner.parameters() expands).
    lifetimes = runner.parameters(LIFETIMES)
    # A bare number is days for these parameters (postconf(5)).
    maximal, bounce = (parse_duration(value + 'd' if value.isdigit() else value, name)
                       for name, value in lifetimes.items())
    return status_of(read_queue(runner), time.time(), maximal, bounce,
                     domains)


class _Due:
    """Messages, the oldest, and the first to bounce, among the records added."""

    def __init__(self, lifetimes):
        self.lifetimes = lifetimes
        self.messages = 0
        self.oldest = None
        self.first_bounce = None

    def add(self, record):
        self.messages += 1
        if self.oldest is None or record['arrival_time'] < self.oldest[0]:
            self.oldest = (record['arrival_time'], record['queue_id'])
        at = bounce_time(record, *self.lifetimes)
        if at is not None and (self.first_bounce is None or at < self.first_bounce[0]):
            self.first_bounce = (at, record['queue_id'])

    def bounce(self, now):
        return {'bounce_in': None if self.first_bounce is None else self.first_bounce[0] - int(now),
                'bounce_next_queue_id': None if self.first_bounce is None else self.first_bounce[1]}

    def result(self, now):
        return dict(self.bounce(now), messages=self.messages,
                    oldest_age=None if self.oldest is None else max(0, int(now - self.oldest[0])),
                    oldest_queue_id=None if self.oldest is None else self.oldest[1])


def status_of(records, now, maximal_queue_lifetime, bounce_queue_lifetime, domains=()):
    """queue_status() of the queue ``records`` at ``now``, given both lifetimes in seconds."""
    lifetimes = (maximal_queue_lifetime, bounce_queue_lifetime)
    summary = QueueSummary(now, top=0)
    due = _Due(lifetimes)
    per_domain = {domain: _Due(lifetimes) for domain in domains}
    for record in records:
        summary.add(record)
        due.add(record)
        for domain, domain_due in per_domain.items():
            if any(at_site(recipient_domain(rcpt['address']), (domain,)) for rcpt in record['recipients']):
                domain_due.add(record)
    counts = summary.result()
    status = dict({
        'counts': {name: queue['messages'] for name, queue in counts['queues'].items()},
        'total': counts['messages'],
        'oldest_age': counts['oldest']['age'] if counts['oldest'] else None,
        'oldest_queue_id': counts['oldest']['queue_id'] if counts['oldest'] else None,
        'maximal_queue_lifetime': maximal_queue_lifetime,
        'bounce_queue_lifetime': bounce_queue_lifetime,
    }, **due.bounce(now))
    if domains:
        status['domains'] = {domain: domain_due.result(now) for domain, domain_due in per_domain.items()}
    return status
