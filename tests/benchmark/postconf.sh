#!/usr/bin/env bash
# Benchmark: an idempotent postconf run with 40 parameters, next to the floor
# measured in the same run on the same container (a one-task playbook running
# `postconf -n`). Prints the median of RUNS runs of each and their ratio.
# Not a test: it asserts nothing, it reports. Target: ratio <= 1.5.
# Usage: make bench   (or tests/benchmark/postconf.sh after `make images`)
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
RUNS=${RUNS:-7}
NAME=mailops-bench-postconf
export PATH=$PWD/.venv/bin:$PATH
export CONTAINERS_CONF=$PWD/.build/containers.conf
export ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections

inventory=$(mktemp --suffix=.yml)
trap 'podman rm -f "$NAME" >/dev/null 2>&1; rm -f "$inventory"' EXIT
printf 'bench:\n  hosts:\n    %s:\n      ansible_connection: containers.podman.podman\n      ansible_python_interpreter: /usr/bin/python3\n' "$NAME" > "$inventory"
podman rm -f "$NAME" >/dev/null 2>&1 || true
podman run -d --name "$NAME" --network none --init localhost/mailops-postfix-testbed:bookworm sleep infinity >/dev/null
podman exec "$NAME" testbed-postfix-start >/dev/null

playbook() {  # $1: tag
    ansible-playbook -i "$inventory" tests/benchmark/postconf-40.yml --tags "$1" > /dev/null
}
median() {  # seconds: the median of RUNS runs of a playbook tag
    local tag=$1 i start times=()
    for ((i = 0; i < RUNS; i++)); do
        start=$(date +%s%N)
        playbook "$tag"
        times+=($(( $(date +%s%N) - start )))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

playbook module  # converge once: the runs below are idempotent
ansible-playbook -i "$inventory" tests/benchmark/postconf-40.yml --tags module | grep -q "^$NAME .*ok=1 .*changed=0 .*failed=0" \
    || { echo "benchmark: the second module run was not a successful no-op" >&2; exit 1; }
floor=$(median floor)
module=$(median module)
python3 -c 'import sys; m, f, n = int(sys.argv[1]) / 1e9, int(sys.argv[2]) / 1e9, sys.argv[3]; print(
    "postconf, 40 parameters, idempotent: %.3f s   floor (one-task postconf -n playbook): %.3f s   "
    "ratio: %.2f (target <= 1.5), median of %s runs" % (m, f, m / f, n))' "$module" "$floor" "$RUNS"
