#!/usr/bin/env bash
# Benchmark: how long a freeze takes until the queue manager is gone, next to
# the wiki's raw command measured in the same run on the same container
# ("postconf -e master_service_disable=qmgr/unix in_flow_delay=0 && postfix
# reload"). "Module" is the module's payload alone on the host (kept with
# ANSIBLE_KEEP_REMOTE_FILES=1), timed inside the container by
# freeze_latency.py: median of RUNS runs. A second floor backdates main.cf's
# mtime before the reload, as the module does: Postfix pauses up to 2 s reading
# a main.cf changed within the last second (see config_stage.settled_mtime).
# Not a test: it reports.
# Target: under 2 s from module start to "queue manager gone".
# Usage: make bench   (or tests/benchmark/freeze.sh after `make images`)
RUNS=${RUNS:-5}
NAME=mailops-bench-freeze
# shellcheck source=tests/benchmark/container.sh
source "$(dirname "$0")/container.sh"
podman exec "$NAME" testbed-postfix-start >/dev/null
podman cp tests/benchmark/freeze_latency.py "$NAME:/tmp/freeze_latency.py"

ANSIBLE_KEEP_REMOTE_FILES=1 ansible-playbook -i "$work/inventory.yml" tests/benchmark/freeze.yml >/dev/null
mapfile -t payloads < <(podman exec "$NAME" sh -c 'ls -tr /root/.ansible/tmp/ansible-tmp-*/AnsiballZ_postfix_freeze.py')
freeze=${payloads[0]} thaw=${payloads[1]}

module=$(podman exec "$NAME" python3 /tmp/freeze_latency.py "$RUNS" "python3 $freeze" "python3 $thaw")
floor=$(podman exec "$NAME" python3 /tmp/freeze_latency.py "$RUNS" \
    'postconf -e master_service_disable=qmgr/unix in_flow_delay=0 && postfix reload 2>/dev/null' \
    'postconf -X master_service_disable in_flow_delay && postfix reload 2>/dev/null')
settled=$(podman exec "$NAME" python3 /tmp/freeze_latency.py "$RUNS" \
    'postconf -e master_service_disable=qmgr/unix in_flow_delay=0 && touch -d "-2 seconds" /etc/postfix/main.cf &&
     postfix reload 2>/dev/null' \
    'postconf -X master_service_disable in_flow_delay && postfix reload 2>/dev/null')

python3 - "$module" "$floor" "$settled" "$RUNS" <<'PY'
import json, sys
module, floor, settled = (json.loads(arg) for arg in sys.argv[1:4])
print('postfix_freeze state=frozen, median of %s runs, time from start until no qmgr process is left:' % sys.argv[4])
print('  module %.3f s (the module itself %.3f s), target < 2 s' % (module['gone_seconds'], module['command_seconds']))
for name, floor_run in (('the wiki\'s postconf -e ...; postfix reload', floor),
                        ('the same with main.cf backdated', settled)):
    print('  floor: %s %.3f s   ratio %.2f' % (name, floor_run['gone_seconds'],
                                               module['gone_seconds'] / floor_run['gone_seconds']))
PY
