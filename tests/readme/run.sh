#!/usr/bin/env bash
# Test stage "readme": first `make demo` as a newcomer runs it (its fleet, its
# playbooks; it fails where a message is not where it should be). Then every
# ansible and ansible-playbook command shown in README.md and docs/ runs as
# written against a fresh single Postfix container (playbooks/inventory/demo.yml),
# prepared by host.yml, with mail in its queue for the queue commands to act on.
# Then every YAML example of the READMEs, docs/ and the modules' EXAMPLES runs,
# for real, with the preconditions tests/readme/examples.yml gives it
# (yaml_examples.py). At the end that container is removed; the demo fleet stays
# as `make demo` leaves it.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONTAINER=mailops-postfix-demo
status=0

tests/testbed/testbed.sh demo-up
if playbooks/demo/run.sh > .build/readme-demo.log 2>&1; then
    echo "readme: make demo passed in $SECONDS s (its output: .build/readme-demo.log)"
else
    status=1
    tail -n 60 .build/readme-demo.log
    echo "readme: FAIL make demo (its output: .build/readme-demo.log)"
fi
demo_seconds=$SECONDS

tests/testbed/testbed.sh readme-up
ansible-playbook -i playbooks/inventory/demo.yml tests/readme/host.yml >/dev/null
# Deferred mail: partner.example cannot be resolved in a container without a network.
podman exec "$CONTAINER" sh -c '
    for n in 1 2; do
        printf "Subject: offer %s\n\nbuy now\n" "$n" | sendmail -f spammer@example.com victim@partner.example
    done
    printf "Subject: report\n\nhello\n" | sendmail -f alice@testbed.example bob@partner.example'
for attempt in $(seq 30); do
    deferred=$(podman exec "$CONTAINER" postqueue -j | grep -c '"queue_name": *"deferred"' || true)
    [ "$deferred" -eq 3 ] && break
    [ "$attempt" -eq 30 ] && { echo "readme: the seeded mail did not reach the deferred queue" >&2; exit 1; }
    sleep 1
done

mapfile -t documents < <(echo README.md; find docs -name '*.md' | sort)
python3 tests/readme/readme_commands.py playbooks/inventory/demo.yml "${documents[@]}" || status=$?
# The commands end with a fleet freeze: the examples start from a thawed host with an empty queue.
ansible -i playbooks/inventory/demo.yml mx -b -m mailops.postfix.postfix_freeze -a state=thawed >/dev/null
ansible -i playbooks/inventory/demo.yml mx -b -m mailops.postfix.postfix_queue -a 'action=delete all_messages=true' \
    >/dev/null

commands_seconds=$SECONDS
python3 tests/readme/yaml_examples.py playbooks/inventory/demo.yml || status=$?
echo "readme: make demo took $demo_seconds s, the commands $((commands_seconds - demo_seconds)) s," \
    "the YAML examples $((SECONDS - commands_seconds)) s"
tests/testbed/testbed.sh readme-down
exit "$status"
