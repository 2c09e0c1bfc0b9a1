# shellcheck shell=bash
# Sourced by the benchmark scripts: the project's tool chain, and one fresh
# Postfix container named $NAME (from image $IMAGE, default bookworm) that is
# removed on exit with the scratch directory $work. $work/inventory.yml points
# Ansible at it (group "bench"; interpreter $BENCH_PYTHON, default /usr/bin/python3;
# connection $BENCH_CONNECTION, default testbed_podman).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
export PATH=$PWD/.venv/bin:$PATH
export CONTAINERS_CONF=$PWD/.build/containers.conf
export ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections

work=$(mktemp -d)
trap 'podman rm -f "$NAME" >/dev/null 2>&1; rm -rf "$work"' EXIT
# The test bed's pipelining connection, as Molecule uses (one round trip per
# task, as over SSH); BENCH_CONNECTION=containers.podman.podman for the plain one.
export ANSIBLE_CONNECTION_PLUGINS=$PWD/tests/testbed/connection_plugins
printf 'bench:\n  hosts:\n    %s:\n      ansible_connection: %s\n      ansible_python_interpreter: %s\n' \
    "$NAME" "${BENCH_CONNECTION:-testbed_podman}" "${BENCH_PYTHON:-/usr/bin/python3}" > "$work/inventory.yml"
podman rm -f "$NAME" >/dev/null 2>&1 || true
podman run -d --name "$NAME" --network none --init --hostname mx.testbed.example \
    "localhost/mailops-postfix-testbed:${IMAGE:-bookworm}" sleep infinity >/dev/null

median_run() {  # PLAYBOOK TAG [ARGUMENT...]: nanoseconds, the median of RUNS (default 5) runs of the playbook's tag
    local i start times=() playbook=$1 tag=$2
    shift 2
    for ((i = 0; i < ${RUNS:-5}; i++)); do
        start=$(date +%s%N)
        ansible-playbook -i "$work/inventory.yml" "$playbook" --tags "$tag" "$@" > /dev/null
        times+=($(( $(date +%s%N) - start )))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (${RUNS:-5} + 1) / 2 ))p"
}
