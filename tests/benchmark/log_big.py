#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""postfix_log alone on DIR/mail.log and its rotated files (mail.log.1, ...), as log_bench.py runs it (the
module file with an arguments file, raw: true, default processes): wall time, CPU time, peak RSS of the
largest process and of the whole process tree (log_bench.measure()), and the load average before and after.
For logs too big to generate in every run, such as the four 1 GB logs of log.sh's --keep directory put
together (docs/postfix_log.md). Not a test: it asserts nothing, it reports.

Usage (from the repository, .build/env.sh sourced, holding the machine):
    /work/slot.sh --all env BENCH_PYTHON=$PWD/.venv/bin/python BENCH_COLLECTIONS=$PWD/.build/collections \\
        .venv/bin/python tests/benchmark/log_big.py DIR WORK
"""

from __future__ import annotations

import json
import os
import sys

import log_bench


def main():
    directory, work = sys.argv[1:3]
    names = sorted(name for name in os.listdir(directory) if name.startswith('mail.log'))
    size = sum(os.path.getsize(os.path.join(directory, name)) for name in names) / 1e6
    args, output = os.path.join(work, 'log-big-args.json'), os.path.join(work, 'log-big.json')
    with open(args, 'w', encoding='utf-8') as out:
        json.dump({'ANSIBLE_MODULE_ARGS': {'path': os.path.join(directory, 'mail.log'), 'raw': True, 'top': 10}}, out)
    print('load average %s' % ' '.join('%.1f' % value for value in os.getloadavg()))
    module = os.path.join(log_bench.ROOT, 'plugins', 'modules', 'postfix_log.py')
    row = log_bench.measure([os.environ['BENCH_PYTHON'], module, args], output,
                            dict(os.environ, PYTHONPATH=os.environ['BENCH_COLLECTIONS']))
    with open(output, encoding='utf-8') as handle:
        result = json.load(handle)
    print('%.0f MB in %d files: failed=%s, warnings=%s, lines=%s, counts=%s' % (
        size, len(names), result.get('failed'), result.get('warnings'), result.get('lines'), result.get('counts')))
    print('wall %.1f s, CPU %.1f s, %.1f MB/s, largest process %.0f MB, whole tree %.0f MB' % (
        row['wall'], row['cpu'], size / row['wall'], row['rss'], row['tree_rss']))
    print('load average %s' % ' '.join('%.1f' % value for value in os.getloadavg()))


if __name__ == '__main__':
    main()
