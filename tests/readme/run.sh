#!/usr/bin/env bash
# Test stage "readme": every ansible and ansible-playbook command shown in
# README.md and docs/ runs as written against a fresh demo container, after
# what `make demo` does, with mail in its queue for the queue commands to act on.
# Then every YAML example of the READMEs, docs/ and the modules' EXAMPLES runs,
# for real, with the preconditions tests/readme/examples.yml gives it
# (yaml_examples.py). At the end the demo container is made again, as `make demo`
# leaves it.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONTAINER=mailops-postfix-demo

tests/testbed/testbed.sh demo-up
# What `make demo` does next; the README's commands follow it.
ansible-playbook -i playbooks/inventory/demo.yml playbooks/demo.yml >/dev/null
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
status=0
python3 tests/readme/readme_commands.py playbooks/inventory/demo.yml "${documents[@]}" || status=$?
# The commands end with a fleet freeze: the examples start from a thawed host with an empty queue.
ansible -i playbooks/inventory/demo.yml mx -b -m mailops.postfix.postfix_freeze -a state=thawed >/dev/null
ansible -i playbooks/inventory/demo.yml mx -b -m mailops.postfix.postfix_queue -a 'action=delete all_messages=true' \
    >/dev/null

commands_seconds=$SECONDS
python3 tests/readme/yaml_examples.py playbooks/inventory/demo.yml || status=$?
echo "readme: the commands took $commands_seconds s, the YAML examples $((SECONDS - commands_seconds)) s"

# The examples changed the host in many ways (certificates, a stand-in journalctl, ...): start it afresh.
tests/testbed/testbed.sh demo-up
ansible-playbook -i playbooks/inventory/demo.yml playbooks/demo.yml >/dev/null
exit "$status"
