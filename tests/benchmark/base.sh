#!/usr/bin/env bash
# Benchmark: an idempotent run of the base role (about 40 main.cf parameters,
# 4 access tables, a restriction class and aliases), and of a site playbook of
# the base, relay and archive roles, next to the floor measured in the same run
# on the same container (a one-task playbook). Prints the median of RUNS runs
# of each and their ratios. Not a test: it asserts nothing, it reports.
# Target: ratio <= 2 for both (linux-system-roles/postfix measured about 7 on
# the base role's kind of run).
# Usage: make bench   (or tests/benchmark/base.sh after `make images`)
RUNS=${RUNS:-5}
NAME=mailops-bench-base
# shellcheck source=tests/benchmark/container.sh
source "$(dirname "$0")/container.sh"
inventory=$work/inventory.yml
podman exec "$NAME" testbed-postfix-start >/dev/null

playbook() {  # $1: tag
    ansible-playbook -i "$inventory" tests/benchmark/base-role.yml --tags "$1"
}

for tag in role site; do
    playbook $tag > /dev/null  # converge once: the runs below are idempotent
    playbook $tag | grep "^$NAME .*changed=0 .*failed=0" >/dev/null \
        || { echo "benchmark: the second $tag run was not a successful no-op" >&2; exit 1; }
done
floor=$(median_run tests/benchmark/base-role.yml floor)
role=$(median_run tests/benchmark/base-role.yml role)
site=$(median_run tests/benchmark/base-role.yml site)
python3 -c 'import sys; r, s, f, n = int(sys.argv[1]) / 1e9, int(sys.argv[2]) / 1e9, int(sys.argv[3]) / 1e9, sys.argv[4]
print("floor (one-task playbook): %.3f s, median of %s runs" % (f, n))
print("base role, ~40 parameters, 4 tables, idempotent: %.3f s   ratio: %.2f (target <= 2)" % (r, r / f))
print("site (base, relay, archive), idempotent: %.3f s   ratio: %.2f (target <= 2)" % (s, s / f))' \
    "$role" "$site" "$floor" "$RUNS"
