#!/usr/bin/env bash
# Benchmark: postfix_queue selects half of a 50,000-message deferred queue by a
# sender pattern and deletes it. Next to it, the floor measured on the same
# queue in the same run: the raw pipeline postqueue -j | python3 (json, re) |
# postsuper -d -. Prints the wall time, the CPU time (steadier than the wall
# time on a busy machine) and the peak RSS of both (medians of RUNS runs, each
# on the same queue files) and their ratios. Then what matching
# costs per message and what the deadline on it (match_timeout) adds
# (queue-match.py, in the controller's Python, next to a bare re.search loop).
# Not a test: it asserts nothing, it reports. Target: time ratio <= 2.
# Usage: tests/benchmark/queue.sh   (after `make images`); COUNT=50000 RUNS=3 IMAGE=bookworm
COUNT=${COUNT:-50000}
RUNS=${RUNS:-3}
IMAGE=${IMAGE:-bookworm}
NAME=${MAILOPS_TESTBED_PREFIX:-mailops}-bench-queue
# Ansible runs the module under queue-measure.py, which records its time and peak memory.
BENCH_PYTHON=/usr/local/bin/measured-python3
# shellcheck source=tests/benchmark/container.sh
source "$(dirname "$0")/container.sh"
inventory=$work/inventory.yml
run() { podman exec "$NAME" sh -c "$1"; }
podman cp tests/benchmark/queue-measure.py "$NAME:/usr/local/bin/queue-measure.py"
podman cp tests/benchmark/queue-inject.py "$NAME:/usr/local/bin/queue-inject.py"
run 'printf "#!/bin/sh\nexec /usr/bin/python3 /usr/local/bin/queue-measure.py /usr/bin/python3 \"\$@\"\n" \
    > /usr/local/bin/measured-python3 && chmod 755 /usr/local/bin/measured-python3'
# The floor's filter: the same selection as the module's sender option.
podman exec -i "$NAME" sh -c 'cat > /usr/local/bin/floor-filter.py' <<'PY'
import json, re, sys
pattern = re.compile(r'^spam@bench\.example$', re.IGNORECASE)
for line in sys.stdin:
    record = json.loads(line)
    if pattern.search(record['sender']):
        print(record['queue_id'])
PY
run 'testbed-postfix-start >/dev/null 2>&1'
# What the module costs on an empty queue: Ansible's module runtime, the baseline of its memory.
ansible bench -i "$inventory" -m mailops.postfix.postfix_queue -a limit=0 >/dev/null
baseline=$(run 'cat /tmp/queue-measure && rm /tmp/queue-measure')

# Queue COUNT messages while the queue manager is stopped (with in_flow_delay=0
# nothing waits for it), let it defer them all without a delivery attempt
# (defer_transports), and stop it again: then nothing touches the queue files.
start=$SECONDS
run "postconf -e in_flow_delay=0 master_service_disable=qmgr/unix defer_transports=smtp \
    minimal_backoff_time=2h maximal_backoff_time=4h && postfix reload >/dev/null 2>&1"
run "python3 /usr/local/bin/queue-inject.py $COUNT 2"
run "postconf -e master_service_disable= && postfix reload >/dev/null 2>&1"
run "until [ \$(postqueue -j | grep -c '\"queue_name\": \"deferred\"') -eq $COUNT ]; do sleep 2; done"
run "postconf -e master_service_disable=qmgr/unix && postfix reload >/dev/null 2>&1"
# A copy made of hard links: every run starts from the same queue files.
run 'mkdir /var/spool/bench && cp -al /var/spool/postfix/deferred /var/spool/postfix/defer /var/spool/bench/'
echo "queued $COUNT deferred messages in $((SECONDS - start)) s"

restore() {
    run 'cd /var/spool/postfix && rm -rf deferred defer && cp -al /var/spool/bench/deferred /var/spool/bench/defer . \
        && rm -f /tmp/queue-measure'
}

results=()
for ((i = 0; i < RUNS; i++)); do
    restore
    run "python3 /usr/local/bin/queue-measure.py sh -c \
        'postqueue -j | python3 /usr/local/bin/floor-filter.py | postsuper -d - 2>/tmp/floor.err'"
    read -r floor_s floor_kb floor_cpu < <(run 'cat /tmp/queue-measure')
    floor_deleted=$(run 'tail -1 /tmp/floor.err' | grep -o '[0-9]* messages\?')
    restore
    begin=$(date +%s%N)
    module_deleted=$(ansible bench -i "$inventory" -m mailops.postfix.postfix_queue \
        -a '{"action": "delete", "sender": "^spam@bench\\.example$", "limit": 5}' \
        | python3 -c 'import json, sys; text = sys.stdin.read(); result = json.loads(text[text.index("{"):])
print("%d of %d messages" % (result["affected"], result["summary"]["messages"]))')
    ansible=$(( $(date +%s%N) - begin ))
    read -r module_s module_kb module_cpu < <(run 'cat /tmp/queue-measure')
    echo "run $((i + 1)): floor deleted $floor_deleted in $floor_s s (CPU $floor_cpu s, peak RSS $floor_kb KB)," \
        "module deleted $module_deleted in $module_s s (CPU $module_cpu s, peak RSS $module_kb KB)," \
        "ansible run $((ansible / 1000000)) ms"
    results+=("$floor_s $floor_kb $module_s $module_kb $ansible $floor_cpu $module_cpu")
done

printf '%s\n' "${results[@]}" | BASELINE=$baseline python3 -c '
import os, statistics, sys
runs = [line.split() for line in sys.stdin]
floor_s, floor_kb, module_s, module_kb = (statistics.median(float(run[i]) for run in runs) for i in range(4))
ansible_s = statistics.median(int(run[4]) / 1e9 for run in runs)
floor_cpu, module_cpu = (statistics.median(float(run[i]) for run in runs) for i in (5, 6))
count = int(sys.argv[1])
print("delete %d of %d deferred messages selected by sender pattern, median of %d runs:" % (count // 2, count, len(runs)))
print("  floor  (postqueue -j | python3 json+re | postsuper -d -): %6.2f s   CPU %6.2f s   peak RSS %6.1f MB"
      % (floor_s, floor_cpu, floor_kb / 1024))
print("  module (postfix_queue, its own process):                   %6.2f s   CPU %6.2f s   peak RSS %6.1f MB"
      % (module_s, module_cpu, module_kb / 1024))
print("  ratio module/floor: time %.2f (target <= 2), CPU %.2f, memory %.2f"
      % (module_s / floor_s, module_cpu / floor_cpu, module_kb / floor_kb))
base_s, base_kb = (float(value) for value in os.environ["BASELINE"].split()[:2])
print("  module on an empty queue (baseline):                       %6.2f s   peak RSS %6.1f MB; the queue adds %.1f MB"
      % (base_s, base_kb / 1024, (module_kb - base_kb) / 1024))
print("  the whole ad-hoc ansible run of the module:               %6.2f s   ratio to floor %.2f" % (ansible_s, ansible_s / floor_s))
' "$COUNT"

PYTHONPATH=$PWD/.build/collections python3 tests/benchmark/queue-match.py
