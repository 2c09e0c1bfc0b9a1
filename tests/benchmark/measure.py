#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time a command inside the benchmark container: median wall time and peak RSS.

Usage: measure.py RUNS SETUP COMMAND [EXPECT]
Runs the shell command SETUP (untimed) and then COMMAND, RUNS times; prints one
JSON object with the median seconds and the largest peak RSS (KiB) of any
process COMMAND started. With EXPECT, COMMAND's output must contain it.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time


def main():
    runs, setup, command = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    expect = sys.argv[4] if len(sys.argv) > 4 else None
    times, peak = [], 0
    for dummy in range(runs):
        subprocess.run(setup, shell=True, check=True)
        start = time.perf_counter()
        done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        # RUSAGE_CHILDREN holds the largest peak RSS of any waited-for descendant.
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        if done.returncode != 0 or (expect and expect not in done.stdout):
            sys.exit('measure: %r failed or lacks %r:\n%s\n%s' % (command, expect, done.stdout[-2000:], done.stderr[-2000:]))
    print(json.dumps({'seconds': statistics.median(times), 'peak_rss_kib': peak}))


if __name__ == '__main__':
    main()
