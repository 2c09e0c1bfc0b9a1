# shellcheck shell=bash
# Sourced by the benchmark scripts: the project's tool chain, and one fresh
# Postfix container named $NAME (from image $IMAGE, default bookworm) that is
# removed on exit with the scratch directory $work. $work/inventory.yml points
# Ansible at it (group "bench"; interpreter $BENCH_PYTHON, default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
export PATH=$PWD/.venv/bin:$PATH
export CONTAINERS_CONF=$PWD/.build/containers.conf
export ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections

work=$(mktemp -d)
trap 'podman rm -f "$NAME" >/dev/null 2>&1; rm -rf "$work"' EXIT
printf 'bench:\n  hosts:\n    %s:\n      ansible_connection: containers.podman.podman\n      ansible_python_interpreter: %s\n' \
    "$NAME" "${BENCH_PYTHON:-/usr/bin/python3}" > "$work/inventory.yml"
podman rm -f "$NAME" >/dev/null 2>&1 || true
podman run -d --name "$NAME" --network none --init --hostname mx.testbed.example \
    "localhost/mailops-postfix-testbed:${IMAGE:-bookworm}" sleep infinity >/dev/null
