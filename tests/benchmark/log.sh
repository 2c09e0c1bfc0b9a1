#!/usr/bin/env bash
# Benchmark: postfix_log's full report on a generated mail log of SIZE_MB megabytes
# (tests/benchmark/log_generate.py: Postfix 3.7 and 3.10 lines), next to pflogsumm and postfix-logwatch
# (logwatch --service postfix --detail 10) on the same file in the same run. Prints the time, MB/s and
# peak RSS of each (/usr/bin/time -v: the largest process; for postfix_log, which reads with a process
# per CPU, also the sum of the proportional set sizes of its processes), the ratio of postfix_log's
# throughput to the faster competitor's, and whether the numbers agree: the counts with pflogsumm's, the
# per-stage delay percentiles with postfix-logwatch's within the 1% error bound of the histogram.
# Not a test: it asserts nothing, it reports. Target: ratio >= 5 (aim: 10).
# Usage: tests/benchmark/log.sh   (SIZE_MB=100 for a quick run; the log is written to a temporary directory)
# Installs pflogsumm, logwatch and time with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB=${SIZE_MB:-1000}
PYTHON=${PYTHON:-$PWD/.venv/bin/python}  # ansible-core's Python: the module runs as AnsibleModule
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

missing=()
command -v pflogsumm >/dev/null || missing+=(pflogsumm)
command -v logwatch >/dev/null || missing+=(logwatch)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get install -y "${missing[@]}" >/dev/null
fi
# logwatch reads "mail.log" (Debian's dist.conf/logfiles/maillog.conf) in --logdir, and in /var/log too.
if compgen -G '/var/log/mail.log*' >/dev/null; then
    echo "benchmark: /var/log/mail.log exists; logwatch would read it as well" >&2
    exit 1
fi

log=$work/mail.log
start=$(date +%s%N)
python3 tests/benchmark/log_generate.py "$SIZE_MB" "$log"
echo "generated $(du -m "$log" | cut -f1) MB, $(wc -l < "$log") lines in $(( ($(date +%s%N) - start) / 1000000000 )) s"

# The module runs as Ansible runs it, minus the transport: its file with an arguments file (AnsibleModule reads
# argv[1]), the collection on PYTHONPATH.
mkdir -p "$work/collections/ansible_collections/mailops"
ln -s "$PWD" "$work/collections/ansible_collections/mailops/postfix"
printf '{"ANSIBLE_MODULE_ARGS": {"path": "%s", "raw": true, "top": 10}}\n' "$log" > "$work/args.json"

measure() {  # name command...: run under /usr/bin/time -v, output to $work/name.out
    local name=$1
    shift
    /usr/bin/time -v -o "$work/$name.time" "$@" > "$work/$name.out"
}
measure postfix_log env PYTHONPATH="$work/collections" "$PYTHON" plugins/modules/postfix_log.py "$work/args.json"
measure pflogsumm pflogsumm "$log"
measure logwatch logwatch --service postfix --range All --detail 10 --logdir "$work" --output stdout
# postfix_log once more, for the sum of the proportional set sizes (PSS) of its processes, sampled (not timed).
python3 - "$work/postfix_log.pss" env PYTHONPATH="$work/collections" "$PYTHON" plugins/modules/postfix_log.py \
    "$work/args.json" > /dev/null <<'PY'
import os, subprocess, sys, time

def tree_pss(root):
    children = {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/stat' % pid) as stat:
                children.setdefault(int(stat.read().rsplit(')', 1)[1].split()[1]), []).append(int(pid))
        except OSError:
            pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open('/proc/%d/smaps_rollup' % pid) as rollup:
                total += sum(int(line.split()[1]) for line in rollup if line.startswith('Pss:'))
        except OSError:
            pass
    return total

process = subprocess.Popen(sys.argv[2:])
peak = 0
while process.poll() is None:
    peak = max(peak, tree_pss(process.pid))
    time.sleep(0.05)
with open(sys.argv[1], 'w') as out:
    out.write('%d\n' % peak)
sys.exit(process.returncode)
PY

PYTHONPATH="$work/collections" "$PYTHON" - "$work" "$log" <<'PY'
import json, os, re, sys
from ansible_collections.mailops.postfix.plugins.module_utils import log_stats

work, log = sys.argv[1], sys.argv[2]
size = os.path.getsize(log) / 1e6


def usage(name):
    text = open(os.path.join(work, name + '.time')).read()
    wall = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)', text)
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', text).group(1)) / 1024
    return seconds, rss


result = json.load(open(os.path.join(work, 'postfix_log.out')))
pss = int(open(os.path.join(work, 'postfix_log.pss')).read()) / 1024
rows = {name: usage(name) for name in ('postfix_log', 'pflogsumm', 'logwatch')}
print('\n%-18s %9s %9s %12s' % ('', 'seconds', 'MB/s', 'peak RSS'))
for name, (seconds, rss) in rows.items():
    extra = '   (largest process; PSS of all its processes: %.0f MB)' % pss if name == 'postfix_log' else ''
    print('%-18s %9.1f %9.1f %9.0f MB%s' % (name.replace('logwatch', 'postfix-logwatch'), seconds, size / seconds,
                                          rss, extra))
competitor = min(('pflogsumm', 'logwatch'), key=lambda name: rows[name][0])
ratio = rows[competitor][0] / rows['postfix_log'][0]
print('\nthroughput ratio, postfix_log / %s (the faster competitor): %.1f   (target >= 5, aim 10); %.0f MB log'
      % (competitor.replace('logwatch', 'postfix-logwatch'), ratio, size))

# Counts: pflogsumm's Grand Totals.
totals = open(os.path.join(work, 'pflogsumm.out')).read()


# pflogsumm prints a count above 512k in units of 1024 (k) or 1048576 (m), truncated
# (its adj_int_units): compare ours in the same unit.
UNITS = {'': 1, 'k': 1024, 'm': 1048576}


def total(label):
    found = re.search(r'^\s*(\d+)([km]?)\s+%s\b' % label, totals, re.M)
    return found.group(1), found.group(2)


deferrals = re.search(r'deferred\s+\((\d+)([km]?)\s+deferrals\)', totals)
counts = result['counts']
pairs = [('received', total('received'), counts['received']),
         ('delivered', total('delivered'), counts['delivered']),
         ('forwarded', total('forwarded'), counts['forwarded']),
         ('deferrals', deferrals.groups() if deferrals else ('0', ''), counts['deferred']),
         ('bounced', total('bounced'), counts['bounced']),
         ('rejected', total('rejected'), counts['rejected']),
         ('discarded', total('discarded'), result['rejects']['by_action'].get('discard', 0))]
print('\ncounts          pflogsumm  postfix_log')
for label, (theirs, unit), ours in pairs:
    print('%-12s %12s %12d  %s' % (label, theirs + unit, ours,
                                   'equal' if ours // UNITS[unit] == int(theirs) else 'DIFFERENT'))

# Percentiles: postfix-logwatch's "Delivery Delays Percentiles" (every delivery line, interpolated between
# the two values around rank p(n-1)); postfix_log gives each of those two values as logged (two significant
# digits; from 100 s on, rounded to them: within 5%).
report = open(os.path.join(work, 'logwatch.out')).read()
table = report[report.index('Delivery Delays Percentiles'):].splitlines()
percents = [int(value.rstrip('%')) for value in table[1].split()]
stages = {'Before qmgr': 'before_qmgr', 'In qmgr': 'in_qmgr', 'Conn setup': 'conn_setup',
          'Transmission': 'transmission', 'Total': 'delay'}
every = log_stats.new_group()
for per_status in result['raw']['deliveries'].values():
    log_stats.merge_group(every, per_status['all'])
print('\nper-stage delays (s), every delivery: postfix-logwatch / postfix_log (rank floor(p(n-1)); its '
      'interpolation lies between the values at floor and ceil)')
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
print('percentiles %s within the resolution' % ('all' if agree else 'NOT all ("!")'))
PY
