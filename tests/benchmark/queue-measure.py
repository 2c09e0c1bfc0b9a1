#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command and append "SECONDS MAX_RSS_KB" to /tmp/queue-measure: its wall time, and the
peak resident memory of the largest process it ran (getrusage RUSAGE_CHILDREN: the command
and every descendant it waited for). Runs inside the benchmark container, around the floor's
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
    with open('/tmp/queue-measure', 'a') as report:
        report.write('%.3f %d\n' % (seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
    sys.exit(rc)


if __name__ == '__main__':
    main()
