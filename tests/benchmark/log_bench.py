#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The log benchmark (tests/benchmark/log.sh runs it): postfix_log next to pflogsumm and postfix-logwatch on
generated mail logs (log_generate.py), each mix at each size, in the same run.

For each tool: wall time, CPU time (user + system, its processes included) and throughput; the peak RSS of
its largest process and the peak of the sum of the RSS of its whole process tree (sampled every 50 ms from
/proc). Then postfix_log's counts next to pflogsumm's Grand Totals, each difference named and explained, and
its per-stage percentiles next to postfix-logwatch's. Not a test: it asserts nothing, it reports.

Usage: log_bench.py WORK MIX SIZE_MB [--domains N] [--competitors [--no-logwatch]] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.environ['BENCH_COLLECTIONS'])

from ansible_collections.mailops.postfix.plugins.module_utils.log import report as log_report
from ansible_collections.mailops.postfix.plugins.module_utils.log import stats as log_stats  # noqa: E402

# pflogsumm prints a count above 512k in truncated units of 1024 (k) or 1048576 (m) (its adj_int_units).
UNITS = {'': 1, 'k': 1024, 'm': 1048576}


def tree_rss(root):
    """(sum of the RSS of the process tree of ``root``, the largest RSS in it), in kB: the tree from
    /proc/PID/task/TID/children, each RSS from /proc/PID/statm (cheap enough to sample often)."""
    total = largest = 0
    todo = [root]
    page = os.sysconf('SC_PAGE_SIZE') // 1024
    while todo:
        pid = todo.pop()
        try:
            for tid in os.listdir('/proc/%d/task' % pid):
                with open('/proc/%d/task/%s/children' % (pid, tid)) as children:
                    todo.extend(int(child) for child in children.read().split())
            with open('/proc/%d/statm' % pid) as statm:
                rss = int(statm.read().split()[1]) * page
        except (OSError, ValueError):
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


def measure(argv, output, env=None):
    """Run ``argv`` with its output to the file ``output``: wall seconds, CPU seconds (of it and its children),
    peak tree RSS and peak largest RSS (MB)."""
    peaks = [0, 0]
    start = time.monotonic()
    before = os.times()
    with open(output, 'wb') as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)

        def sample():
            while process.poll() is None:
                total, largest = tree_rss(process.pid)
                peaks[0], peaks[1] = max(peaks[0], total), max(peaks[1], largest)
                time.sleep(0.05)
        sampler = threading.Thread(target=sample)
        sampler.start()
        process.wait()
        sampler.join()
    wall = time.monotonic() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {'wall': wall, 'cpu': cpu, 'tree_rss': peaks[0] / 1024, 'rss': peaks[1] / 1024}


def pflogsumm_totals(text):
    """pflogsumm's Grand Totals: label -> (number, unit)."""
    totals = {}
    for number, unit, label in re.findall(r'^\s*(\d+)([km]?)\s+([a-z][a-z /]+?)\s*(?:\(|$)', text, re.M):
        totals.setdefault(label.strip(), (int(number), unit))
    found = re.search(r'\((\d+)([km]?)\s+deferrals\)', text)
    totals['deferrals'] = (int(found.group(1)), found.group(2)) if found else (0, '')
    return totals


def pflogsumm_top(text, title):
    """The first entries (count, name) of one of pflogsumm's "by message count" tables."""
    start = text.find(title + '\n')
    if start < 0:
        return []
    entries = []
    for line in text[start:].splitlines()[2:]:
        found = re.match(r'\s*(\d+)([km]?)\s+(\S+)$', line)
        if not found:
            break
        entries.append((int(found.group(1)) * UNITS[found.group(2)], found.group(3)))
    return entries


def compare_counts(summary, theirs, log, mix):
    """Each count next to pflogsumm's, with why they differ."""
    counts, size, actions = summary['counts'], summary['bytes'], summary['rejects']['by_action']
    rows = [('received', 'received', counts['received']), ('delivered', 'delivered', counts['delivered']),
            ('forwarded', 'forwarded', counts['forwarded']),
            ('deferred (messages)', 'deferred', counts['deferred_messages']),
            ('deferrals', 'deferrals', counts['deferred']), ('bounced', 'bounced', counts['bounced']),
            ('rejected', 'rejected', counts['rejected']),
            ('reject warnings', 'reject warnings', actions.get('reject_warning', 0)),
            ('held', 'held', actions.get('hold', 0)), ('discarded', 'discarded', actions.get('discard', 0)),
            ('bytes received', 'bytes received', size['received']),
            ('bytes delivered', 'bytes delivered', size['delivered'])]
    # smtpd's own milter rejects (greylisting at RCPT, a filter at end of data): pflogsumm counts cleanup's only.
    with open(log, 'rb') as handle:
        smtpd_milter = len(re.findall(rb'/smtpd\[\d+\]: [0-9A-Za-z]+: milter-reject: ', handle.read()))
    print('\ncounts                   pflogsumm   postfix_log')
    for label, key, ours in rows:
        number, unit = theirs.get(key, (0, ''))
        shown = ours // UNITS[unit]
        if shown == number:
            verdict = 'equal' + (' (in its unit)' if unit else '')
        elif key == 'rejected' and (ours - smtpd_milter) // UNITS[unit] == number:
            verdict = 'differs by the %d milter-reject lines of smtpd, which pflogsumm does not count' % smtpd_milter
        else:
            verdict = 'DIFFERENT'
        print('%-22s %10s %13d  %s' % (label, '%d%s' % (number, unit), ours, verdict))
    return smtpd_milter


def compare_tops(summary, raw, text):
    """pflogsumm's first five senders and recipients by count, each next to postfix_log's count of that name (its
    raw form's table: names tied with the fifth may be listed in another order), and postfix_log's first five
    counts next to pflogsumm's."""
    for title, table, ours in (('Senders by message count', 'senders', summary['senders']),
                               ('Recipients by message count', 'recipients', summary['recipients'])):
        theirs = pflogsumm_top(text, title)[:5]
        counts = raw['tops'][table]['counts']
        error = ours['error']
        cells, verdicts = [], set()
        for count, name in theirs:
            mine = counts.get(name.lower())
            cells.append('%s %d/%s' % (name, count, '-' if mine is None else mine))
            verdicts.add('equal' if mine == count else 'within the error bound'
                         if mine is not None and count - error <= mine <= count else 'OUTSIDE the error bound')
        first = [entry['count'] for entry in ours['by_count'][:5]]
        verdicts.add('equal' if first == [count for count, dummy in theirs] else 'first five counts DIFFER (%s)' % (
            ', '.join(map(str, first))))
        verdict = 'equal' if verdicts == {'equal'} else '; '.join(sorted(verdicts - {'equal'}))
        print('%s, pflogsumm/postfix_log (error bound %d): %s: %s' % (title, error, verdict, '; '.join(cells) or '-'))


def compare_percentiles(raw, report):
    """postfix-logwatch's "Delivery Delays Percentiles" (every delivery line, interpolated between the two values
    around rank p(n-1)) next to postfix_log's values at those ranks, as logged (two significant digits; from
    100 s on, rounded to them: within 5%)."""
    if 'Delivery Delays Percentiles' not in report:
        print('\npostfix-logwatch printed no delivery delay percentiles')
        return
    table = report[report.index('Delivery Delays Percentiles'):].splitlines()
    percents = [int(value.rstrip('%')) for value in table[1].split()]
    stages = {'Before qmgr': 'before_qmgr', 'In qmgr': 'in_qmgr', 'Conn setup': 'conn_setup',
              'Transmission': 'transmission', 'Total': 'delay'}
    every = log_stats.new_group()
    for per_status in raw['deliveries'].values():
        log_stats.merge_group(every, per_status['all'])
    print('\nper-stage delays (s), every delivery: postfix-logwatch / postfix_log (rank floor(p(n-1)); '
          'postfix-logwatch interpolates between the values at floor and ceil)')
    print('%-13s' % '' + ''.join('%17s' % ('p%d' % percent) for percent in percents))
    agree = True
    for line in table[3:]:
        row = re.match(r'\s*([A-Z][a-z]+(?: [a-z]+)?)\s+([\d.\s]+)$', line)
        if not row or row.group(1) not in stages:
            continue
        label, theirs = row.group(1), [float(value) for value in row.group(2).split()]
        pairs, count = log_stats.sorted_values(every['stages'][stages[label]])
        cells = []
        for percent, value in zip(percents, theirs):
            rank = int(percent * (count - 1) / 100)
            low = log_stats.seconds(log_stats.rank_value(pairs, count, rank))
            high = log_stats.seconds(log_stats.rank_value(pairs, count, min(rank + 1, count - 1)))
            ok = low * (0.95 if low >= 100 else 1) - 0.005 <= value <= high * (1.05 if high >= 100 else 1) + 0.005
            agree = agree and ok
            cells.append('%8.2f/%-7.2f%s' % (value, low, ' ' if ok else '!'))
        print('%-13s' % label + ''.join('%17s' % cell for cell in cells))
    print('percentiles %s at postfix_log\'s resolution' % ('all agree' if agree else 'do NOT all agree ("!")'))


def logwatch_copy(log, directory, mix):
    """The log as postfix-logwatch can read it, in ``directory``/mail.log: it reads traditional time stamps only
    and the syslog name postfix only, so the RFC 3339 stamps of the noisy mix are rewritten as syslog's, and
    postfix-out as postfix (the same lines otherwise)."""
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, 'mail.log')
    if mix == 'current':
        os.link(log, target)
        return 'the same file'
    months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split()
    stamp = re.compile(rb'^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)\.\d+[+-]\d\d:\d\d ', re.M)
    with open(log, 'rb') as source, open(target, 'wb') as out:
        while True:
            block = source.read(8 << 20)
            if not block:
                break
            block += source.readline()
            block = stamp.sub(lambda found: b'%s %2d %s ' % (
                months[int(found.group(2)) - 1].encode(), int(found.group(3)), found.group(4)), block)
            out.write(block.replace(b' postfix-out/', b' postfix/'))
    return 'a copy with syslog time stamps and postfix-out named postfix (it reads neither otherwise)'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('work')
    parser.add_argument('mix')
    parser.add_argument('size_mb', type=float)
    parser.add_argument('--domains', type=int)
    parser.add_argument('--competitors', action='store_true')
    parser.add_argument('--no-logwatch', action='store_true', help='leave postfix-logwatch out (the slowest)')
    parser.add_argument('--keep', help='a directory where the generated logs are kept, and taken from when there')
    args = parser.parse_args()
    work = args.work
    log = os.path.join(work, 'mail.log')
    start = time.monotonic()
    generate = [sys.executable, os.path.join(ROOT, 'tests/benchmark/log_generate.py'), str(args.size_mb), log,
                '--mix', args.mix] + (['--domains', str(args.domains)] if args.domains else [])
    kept = os.path.join(args.keep, '%s-%g-%d.log' % (args.mix, args.size_mb, args.domains or 0)) if args.keep else None
    reused = bool(kept) and os.path.exists(kept)
    if reused:
        os.link(kept, log)  # generated by an earlier run with the same arguments (the generator's seed is fixed)
    else:
        subprocess.run(generate, check=True)
        if kept:
            os.link(log, kept)
    size = os.path.getsize(log) / 1e6
    with open(log, 'rb') as handle:
        lines = sum(block.count(b'\n') for block in iter(lambda: handle.read(8 << 20), b''))
    print('\n===== mix %s%s, %.0f MB, %d lines (%s in %.0f s); load average %s' % (
        args.mix, ', %d recipient domains' % args.domains if args.domains else '', size, lines,
        'taken from %s' % args.keep if reused else 'generated', time.monotonic() - start, ' '.join('%.1f' % value for value in os.getloadavg())))

    # postfix_log as Ansible runs it (its file with an arguments file), default processes, raw form for the merge.
    arguments = os.path.join(work, 'args.json')
    with open(arguments, 'w') as out:
        json.dump({'ANSIBLE_MODULE_ARGS': {'path': log, 'raw': True, 'top': 10}}, out)
    env = dict(os.environ, PYTHONPATH=os.environ['BENCH_COLLECTIONS'])
    rows = {'postfix_log': measure([os.environ['BENCH_PYTHON'], os.path.join(ROOT, 'plugins/modules/postfix_log.py'),
                                    arguments], os.path.join(work, 'postfix_log.out'), env)}
    with open(os.path.join(work, 'postfix_log.out')) as handle:
        result = json.load(handle)
    if result.get('failed'):
        print('postfix_log failed: %s' % result.get('msg'))
        return
    raw = log_stats.decode(result['raw'])
    summary = log_report.report(raw, top=10)
    note = ''
    if args.competitors:
        syslog_name = ['--syslog-name=postfix-out'] if args.mix == 'deferrals' else []
        rows['pflogsumm'] = measure(['pflogsumm'] + syslog_name + [log], os.path.join(work, 'pflogsumm.out'))
    if args.competitors and not args.no_logwatch:
        note = logwatch_copy(log, os.path.join(work, 'logwatch'), args.mix)
        rows['postfix-logwatch'] = measure(
            ['logwatch', '--service', 'postfix', '--range', 'All', '--detail', '10', '--logdir',
             os.path.join(work, 'logwatch'), '--output', 'stdout'], os.path.join(work, 'logwatch.out'))
    print('\n%-18s %9s %9s %9s %13s %15s' % ('', 'wall s', 'CPU s', 'MB/s', 'largest MB', 'whole tree MB'))
    for name, row in rows.items():
        values = (name, row['wall'], row['cpu'], size / row['wall'], row['rss'], row['tree_rss'])
        print('%-18s %9.1f %9.1f %9.1f %13.0f %15.0f' % values)
    if not args.competitors:
        return
    competitors = [name for name in ('pflogsumm', 'postfix-logwatch') if name in rows]
    faster = min(competitors, key=lambda name: rows[name]['wall'])
    ours = rows['postfix_log']
    print('\npostfix_log against the faster competitor (%s): %.1fx in wall time (target >= 5, aim 10), %.1fx in '
          'CPU time (target >= 3)' % (faster, rows[faster]['wall'] / ours['wall'], rows[faster]['cpu'] / ours['cpu']))
    for name in competitors:
        ratios = (name, rows[name]['wall'] / ours['wall'], rows[name]['cpu'] / ours['cpu'])
        print('  against %s: %.1fx wall, %.1fx CPU' % ratios)
    if args.mix == 'deferrals':
        print('pflogsumm ran with --syslog-name=postfix-out (without it, it reads none of the second instance\'s '
              'lines)')
    print('postfix-logwatch read %s' % note if note else 'postfix-logwatch was not run (--no-logwatch)')
    with open(os.path.join(work, 'pflogsumm.out')) as handle:
        text = handle.read()
    compare_counts(summary, pflogsumm_totals(text), log, args.mix)
    compare_tops(summary, raw, text)
    if 'postfix-logwatch' in rows:
        with open(os.path.join(work, 'logwatch.out')) as handle:
            compare_percentiles(raw, handle.read())


if __name__ == '__main__':
    main()
