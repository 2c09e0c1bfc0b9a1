#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command and append "SECONDS MAX_RSS_KB CPU_SECONDS" to /tmp/queue-measure: its wall time,
the peak resident memory of the largest process it ran, and the CPU time (user and system) of
all of them (getrusage RUSAGE_CHILDREN: the command and every descendant it waited for). On a
busy machine the CPU time varies less than the wall time. Runs inside the benchmark container, around the floor's
shell pipeline and, as Ansible's interpreter, around the module.
Usage: queue-measure.py COMMAND [ARG...]
"""

import resource
import subprocess
import sys
import time


def main():
    start = time.monotonic()
    rc = subprocess.call(sys.argv[1:])
    seconds = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open('/tmp/queue-measure', 'a') as report:
        report.write('%.3f %d %.3f\n' % (seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime))
    sys.exit(rc)


if __name__ == '__main__':
    main()
