#!/usr/bin/env bash
# Benchmark: postfix_map with a 100,000-entry table, hash and lmdb, next to the
# raw floor measured in the same run on the same container: writing the source
# and running postmap. Cases: first build, no-op re-run, one-entry change.
# "Module" is the module alone on the managed host: its AnsiballZ payload,
# kept with ANSIBLE_KEEP_REMOTE_FILES=1 and re-run inside the container by
# measure.py (median of RUNS runs, largest peak RSS). One end-to-end line shows
# the whole idempotent playbook next to a one-task playbook, for scale.
# Not a test: it asserts nothing, it reports.
# Targets: no-op <= 0.5 s; first build and one-entry change <= 2x the floor.
# Usage: make bench   (or tests/benchmark/postfix_map.sh after `make images`)
RUNS=${RUNS:-5}
ENTRIES=${ENTRIES:-100000}
NAME=mailops-bench-postfix_map
# shellcheck source=tests/benchmark/container.sh
source "$(dirname "$0")/container.sh"
podman exec "$NAME" testbed-postfix-start >/dev/null

# The entries as a vars file, the same with one value changed, and both as
# plain source files for the floor.
python3 - "$work" "$ENTRIES" <<'PY'
import json, sys
work, count = sys.argv[1], int(sys.argv[2])
entries = {'user%d@example%d.com' % (i, i % 500): 'REJECT blocked sender number %d' % i for i in range(count)}
for name in ('', '-changed'):
    with open('%s/vars%s.json' % (work, name), 'w') as handle:
        json.dump({'bench_entries': entries}, handle)
    with open('%s/source%s' % (work, name), 'w') as handle:
        handle.writelines('%s %s\n' % item for item in entries.items())
    entries['user0@example0.com'] = 'REJECT changed'
PY
podman cp "$work/source" "$NAME:/tmp/floor-source"
podman cp "$work/source-changed" "$NAME:/tmp/floor-source-changed"
podman cp tests/benchmark/measure.py "$NAME:/tmp/measure.py"

measure() {  # setup command [expect] -> JSON line
    podman exec "$NAME" python3 /tmp/measure.py "$RUNS" "$@"
}
playbook() {  # vars file, type -> the kept module payload (path inside the container)
    ANSIBLE_KEEP_REMOTE_FILES=1 ansible-playbook -i "$work/inventory.yml" tests/benchmark/postfix_map.yml \
        -e "bench_vars_file=$1" -e "bench_path=/etc/postfix/bench_$2" -e "bench_type=$2" >/dev/null
    podman exec "$NAME" sh -c 'ls -t /root/.ansible/tmp/ansible-tmp-*/AnsiballZ_postfix_map.py | head -n 1'
}

results=()
for type in hash lmdb; do
    table=/etc/postfix/bench_$type
    payload=$(playbook "$work/vars.json" "$type")
    changed_payload=$(playbook "$work/vars-changed.json" "$type")
    floor="postmap $type:/etc/postfix/floor"
    results+=("$type first build" "$(measure "rm -f $table $table.db $table.lmdb" "python3 $payload" '"changed": true')"
              "$(measure "rm -f /etc/postfix/floor*" "cp /tmp/floor-source /etc/postfix/floor && $floor")")
    results+=("$type no-op re-run" "$(measure "python3 $payload >/dev/null" "python3 $payload" '"changed": false')"
              "$(measure "cp /tmp/floor-source /etc/postfix/floor && $floor" "cp /tmp/floor-source /etc/postfix/floor && $floor")")
    results+=("$type one-entry change" "$(measure "python3 $payload >/dev/null" "python3 $changed_payload" '"changed": true')"
              "$(measure "cp /tmp/floor-source /etc/postfix/floor" "cp /tmp/floor-source-changed /etc/postfix/floor && $floor")")
done

# End to end, once: the idempotent playbook (100,000 entries in a vars file) and a one-task playbook.
whole_playbook() {
    ansible-playbook -i "$work/inventory.yml" tests/benchmark/postfix_map.yml -e "bench_vars_file=$work/vars.json" \
        -e bench_path=/etc/postfix/bench_hash -e bench_type=hash
}
whole_playbook >/dev/null
start=$(date +%s%N)
whole_playbook | grep "changed=0" >/dev/null || { echo "benchmark: the idempotent playbook reported a change" >&2; exit 1; }
playbook_ns=$(( $(date +%s%N) - start ))
start=$(date +%s%N)
ansible -i "$work/inventory.yml" bench -m ansible.builtin.command -a 'postconf -h mail_version' >/dev/null
one_task_ns=$(( $(date +%s%N) - start ))

python3 - "$ENTRIES" "$RUNS" "$playbook_ns" "$one_task_ns" "${results[@]}" <<'PY'
import json, sys
entries, runs, playbook_ns, one_task_ns, rest = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
print('postfix_map, %s entries, median of %s runs; module = its payload alone on the host, '
      'floor = cp source + postmap in the same container' % (entries, runs))
for name, module, floor in zip(rest[0::3], rest[1::3], rest[2::3]):
    module, floor = json.loads(module), json.loads(floor)
    target = 'target <= 0.5 s' if 'no-op' in name else 'target ratio <= 2'
    print('%-22s module %.3f s (peak RSS %5.1f MiB)   floor %.3f s (peak RSS %5.1f MiB)   ratio %.2f   %s' % (
        name, module['seconds'], module['peak_rss_kib'] / 1024, floor['seconds'], floor['peak_rss_kib'] / 1024,
        module['seconds'] / floor['seconds'], target))
print('whole idempotent playbook (vars file, controller included): %.2f s   one-task ad-hoc command: %.2f s'
      % (playbook_ns / 1e9, one_task_ns / 1e9))
PY
