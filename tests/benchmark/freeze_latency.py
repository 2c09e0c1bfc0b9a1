#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time a freeze inside the benchmark container: from its start until no queue manager runs.

Usage: freeze_latency.py RUNS FREEZE THAW
Before each run, THAW (untimed) and wait for a queue manager (and for the
background postsuper of that reload to finish); then start the
shell command FREEZE and poll every 10 ms until no qmgr process is left.
Prints one JSON object: the median seconds to "queue manager gone" and the
median seconds FREEZE itself took.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time


def running(name):
    return subprocess.run(['pgrep', '-x', name], stdout=subprocess.DEVNULL, check=False).returncode == 0


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit('freeze_latency: timed out')
        time.sleep(0.01)


def main():
    runs, freeze, thaw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    gone, command = [], []
    for dummy in range(runs):
        subprocess.run(thaw, shell=True, check=True, stdout=subprocess.DEVNULL)
        wait_until(lambda: running('qmgr'))
        # "postfix reload" leaves a postsuper running in the background; the
        # next reload's "postsuper active" would wait for it. An emergency
        # freeze does not follow a reload within seconds, so wait it out.
        wait_until(lambda: not running('postsuper'))
        start = time.monotonic()
        subprocess.run(freeze, shell=True, check=True, stdout=subprocess.DEVNULL)
        command.append(time.monotonic() - start)
        wait_until(lambda: not running('qmgr'))
        gone.append(time.monotonic() - start)
    print(json.dumps({'gone_seconds': statistics.median(gone), 'command_seconds': statistics.median(command)}))


if __name__ == '__main__':
    main()
