#!/usr/bin/env bash
# Benchmark: playbooks/site.yml (first run, then idempotent), freeze.yml,
# thaw.yml and report.yml against a fleet of N Postfix containers (N in SIZES,
# default "1 5 20"), alternating Postfix 3.7 (bookworm) and 3.10 (trixie), each
# next to its floors measured in the same run on the same hosts: a one-task
# playbook and `ansible -m ping`. At each fork count of FORKS (default "5 20",
# Ansible's default and a raised one), on a fresh fleet. Prints the wall time
# and the controller's CPU time of each step (median of RUNS rounds), the cost
# per host and how it grows with N, the two ratios the targets are about, the
# load average, and the tasks and round trips per host of site.yml (idempotent),
# freeze.yml and thaw.yml. The hosts' data: molecule/base's and
# site-vars.yml, as tests/benchmark/base.sh (base, relay and archive at work).
# Not a test: it asserts nothing, it reports.
# Targets at 20 hosts: idempotent site.yml <= 3x the one-task playbook;
# freeze.yml <= 1.5x ansible -m ping.
# Usage: make bench-fleet   (or tests/benchmark/fleet.sh after `make images`);
#   SIZES="5" FORKS="5" RUNS=1 tests/benchmark/fleet.sh for a quick look;
#   FLEET_TARGETS=1 for the targets' steps only (site.yml, freeze, thaw, and their references);
#   FLEET_FREEZE=1 for the freeze's only (freeze, thaw and the references, on the fleet as started, no site.yml).
#   FLEET_SITE=1 for the site target's only (site.yml and the one-task playbook), with FLEET_OPTIONS="free
#   pipelining cached" (or some of them) for the site.yml variants too; "baseline" with FLEET_BASELINE=DIR times
#   site.yml of another copy of the collection in the same rounds (DIR/ansible_collections/mailops/postfix:
#   `git archive COMMIT | tar -x -C DIR/ansible_collections/mailops/postfix`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
export PATH=$PWD/.venv/bin:$PATH
export CONTAINERS_CONF=$PWD/.build/containers.conf
export ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections
# The test bed's pipelining connection (one round trip per task, as over SSH).
export ANSIBLE_CONNECTION_PLUGINS=$PWD/tests/testbed/connection_plugins
SIZES=${SIZES:-1 5 20}
FORKS=${FORKS:-5 20}
RUNS=${RUNS:-3}
PREFIX=${MAILOPS_TESTBED_PREFIX:-mailops}-bench-fleet

work=$(mktemp -d)
fleet() { podman ps -a --format '{{.Names}}' | grep "^$PREFIX-" || true; }
stop_fleet() { fleet | xargs -r podman rm -f -t 0 >/dev/null; }
trap 'stop_fleet; rm -rf "$work"' EXIT
mkdir "$work/group_vars"
python3 -c 'import sys, yaml; print(yaml.safe_dump({**yaml.safe_load(open(sys.argv[1])), **yaml.safe_load(open(sys.argv[2]))}))' \
    molecule/base/vars/main.yml tests/benchmark/site-vars.yml > "$work/group_vars/bench.yml"

start_fleet() {  # N: N fresh containers, Postfix running, and $work/inventory.yml naming them
    local i name image
    stop_fleet
    printf 'bench:\n  vars:\n    ansible_connection: testbed_podman\n    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n' \
        > "$work/inventory.yml"
    for ((i = 1; i <= $1; i++)); do
        image=$( ((i % 2)) && echo bookworm || echo trixie)
        name=$PREFIX-$i-$image
        podman run -d --name "$name" --network none --init --hostname mx.testbed.example \
            "localhost/mailops-postfix-testbed:$image" sleep infinity >/dev/null
        podman exec "$name" testbed-postfix-start >/dev/null 2>&1
        printf '    %s:\n' "$name" >> "$work/inventory.yml"
    done
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
    "$(free -g | awk '/^Mem:/ {print $2}') GiB memory; ansible-core $(ansible --version | sed -n '1s/.*core \([^]]*\)\]/\1/p')"
for n in $SIZES; do
    for forks in $FORKS; do
        start_fleet "$n"
        # sed -u: each step's line shows as soon as it is measured (fleet.py flushes it), not at the end.
        python3 tests/benchmark/fleet.py measure "$work/inventory.yml" "$work" "$n" "$forks" "$RUNS" \
            | tee -a "$work/results.jsonl" | sed -u 's/^/  /'
    done
    [ "${FLEET_TARGETS:-}${FLEET_FREEZE:-}${FLEET_SITE:-}" ] || python3 tests/benchmark/fleet.py count "$work/inventory.yml" "$work" "$n" >> "$work/results.jsonl"
done
python3 tests/benchmark/fleet.py summary "$work/results.jsonl"
cp "$work/results.jsonl" "${FLEET_RESULTS:-/dev/null}"
