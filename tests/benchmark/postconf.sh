#!/usr/bin/env bash
# Benchmark: an idempotent postconf run with 40 parameters, next to the floor
# measured in the same run on the same container (a one-task playbook running
# `postconf -n`). Prints the median of RUNS runs of each and their ratio.
# Not a test: it asserts nothing, it reports. Target: ratio <= 1.5.
# Usage: make bench   (or tests/benchmark/postconf.sh after `make images`)
RUNS=${RUNS:-7}
NAME=mailops-bench-postconf
# shellcheck source=tests/benchmark/container.sh
source "$(dirname "$0")/container.sh"
inventory=$work/inventory.yml
podman exec "$NAME" testbed-postfix-start >/dev/null

playbook() {  # $1: tag
    ansible-playbook -i "$inventory" tests/benchmark/postconf-40.yml --tags "$1" > /dev/null
}

playbook module  # converge once: the runs below are idempotent
ansible-playbook -i "$inventory" tests/benchmark/postconf-40.yml --tags module | grep -q "^$NAME .*ok=1 .*changed=0 .*failed=0" \
    || { echo "benchmark: the second module run was not a successful no-op" >&2; exit 1; }
floor=$(median_run tests/benchmark/postconf-40.yml floor)
module=$(median_run tests/benchmark/postconf-40.yml module)
python3 -c 'import sys; m, f, n = int(sys.argv[1]) / 1e9, int(sys.argv[2]) / 1e9, sys.argv[3]; print(
    "postconf, 40 parameters, idempotent: %.3f s   floor (one-task postconf -n playbook): %.3f s   "
    "ratio: %.2f (target <= 1.5), median of %s runs" % (m, f, m / f, n))' "$module" "$floor" "$RUNS"
