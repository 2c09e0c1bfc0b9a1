#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What matching costs per message, and what the deadline on it (match_timeout) adds.

For MATCH_COUNT synthetic queue records (default 200,000), in this Python: the floor,
a bare loop of re.search over the senders (the floor script of queue.sh does
that), next to Selector.matches() of postfix_queue alone and under MatchDeadline,
for a sender pattern, a recipient pattern with a delay reason, and a JMESPath
query. Prints microseconds per message (best of MATCH_RUNS, default 5) and the ratios;
how many messages match_timeout's default of 10 s allows follows from them.
Not a test: it asserts nothing. Usage: queue-match.py (ANSIBLE_COLLECTIONS_PATH set, as in queue.sh)
"""

import os
import re
import sys
import time

from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import MatchDeadline, Selector

COUNT = int(os.environ.get('MATCH_COUNT', 200000))
RUNS = int(os.environ.get('MATCH_RUNS', 5))


def queue():
    return [{'queue_name': 'deferred', 'queue_id': '%010X' % number, 'arrival_time': 1795556175,
             'message_size': 1000, 'forced_expire': False,
             'sender': 'spam@bench.example' if number % 2 else 'user%d@bench.example' % number,
             'recipients': [{'address': 'rcpt%d@remote%d.example' % (number, number % 50),
                             'delay_reason': 'connect to remote.example[192.0.2.1]:25: Connection timed out'}]}
            for number in range(COUNT)]


def best(function):
    """Microseconds per message, the best of MATCH_RUNS."""
    times = []
    for dummy in range(RUNS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times) / COUNT * 1e6


def main():
    records = queue()
    pattern = re.compile(r'^spam@bench\.example$', re.IGNORECASE)

    def floor():
        for record in records:
            pattern.search(record['sender'])

    floor_us = best(floor)
    print('matching %d messages, microseconds per message (best of %d), Python %s:' % (
        COUNT, RUNS, sys.version.split()[0]))
    print('  floor: re.search over the senders                 %6.2f' % floor_us)
    for label, criteria in [
            ('sender pattern', {'sender': r'^spam@bench\.example$'}),
            ('recipient pattern and delay reason', {'recipient': r'@remote1\.example$', 'delay_reason': 'timed out'}),
            ('JMESPath query', {'query': 'message_size > `1000000`'})]:
        selector = Selector(**criteria)

        def alone():
            for record in records:
                selector.matches(record, 0)

        def timed():
            with MatchDeadline(3600) as deadline:
                for record in records:
                    deadline.matches(selector, record, 0)

        alone_us, timed_us = best(alone), best(timed)
        print('  %-36s Selector.matches %6.2f (%.1fx floor), with the deadline %6.2f (%.1fx floor, +%.2f): '
              '10 s match about %.1f million messages'
              % (label, alone_us, alone_us / floor_us, timed_us, timed_us / floor_us, timed_us - alone_us,
                 10 / timed_us))


if __name__ == '__main__':
    main()
