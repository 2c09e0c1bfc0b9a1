#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Queue COUNT messages over SMTP on loopback, fast: PROCESSES sessions in parallel, many
messages per session. Every other message is from spam@bench.example (what the benchmark
deletes), the rest from user@bench.example; recipients spread over 20 domains.
Runs inside the benchmark container: queue-inject.py COUNT PROCESSES
"""

import multiprocessing
import smtplib
import sys


def inject(first, count, step):
    client = smtplib.SMTP('127.0.0.1', 25)
    client.ehlo('bench.testbed.example')
    for number in range(first, count, step):
        sender = 'spam@bench.example' if number % 2 else 'user@bench.example'
        client.sendmail(sender, ['r%d@dest%d.example' % (number, number % 20)],
                        b'Subject: queue benchmark\r\n\r\nmessage body\r\n')
    client.quit()


def main():
    count, processes = int(sys.argv[1]), int(sys.argv[2])
    workers = [multiprocessing.Process(target=inject, args=(first, count, processes)) for first in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    sys.exit(max(worker.exitcode for worker in workers))


if __name__ == '__main__':
    main()
