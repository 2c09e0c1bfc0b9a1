#!/usr/bin/env bash
# make demo: the whole product against the demo fleet that
# `tests/testbed/testbed.sh demo-up` starts (playbooks/inventory/example: two MX
# hosts, Postfix 3.7 and 3.10, and a smarthost). Each step is one ansible-playbook
# command, printed before it runs; its full output is in .build/demo/STEP.log.
# Exits non-zero at the first step that fails: the readme stage runs it as a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LOGS=$ROOT/.build/demo
INVENTORY=playbooks/inventory/example
export ANSIBLE_CONNECTION_PLUGINS=$ROOT/tests/testbed/connection_plugins
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_FORCE_COLOR=false
export PYTHONWARNINGS=ignore  # a deprecation warning of the cryptography package on every run
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log "$LOGS"/*.changed
step=0

# STEP TITLE PLAYBOOK [ARGS...]: print what runs, run it, show its output (or a summary).
run() {
    local mode=$1 title=$2 log
    shift 2
    step=$((step + 1))
    log=$LOGS/$step-$(basename "$1" .yml).log
    printf '\n=== %d. %s\n$ ansible-playbook -i %s %s\n' "$step" "$title" "$INVENTORY" "$*"
    if [ "$mode" = full ]; then
        ansible-playbook -i "$INVENTORY" "$@" 2>&1 | tee "$log" | grep -v '^$' | sed 's/^/  /'
        return
    fi
    local start=$SECONDS status=0
    ansible-playbook -i "$INVENTORY" "$@" > "$log" 2>&1 || status=$?
    python3 - "$log" "$mode" <<'PY'
import re, sys
path, mode = sys.argv[1], sys.argv[2]
lines = open(path, encoding='utf-8').read().splitlines()
task, changed, diff, recap = None, {}, [], False
for line in lines:
    header = re.match(r'^(?:TASK|RUNNING HANDLER) \[(.*)\] \**$', line)
    result = re.match(r'^(changed|fatal|failed): \[([^]]+)\]', line)
    if header:
        task = header.group(1)
    elif result:
        changed.setdefault((task, result.group(1)), []).append(result.group(2))
    if line.startswith('--- before: ') and len(diff) < 40:
        diff.append(line)
    elif diff and len(diff) < 40 and (line[:1] in '+-@' or line.startswith('--- ')) and line != '':
        diff.append(line)
    recap = recap or line.startswith('PLAY RECAP')
    if recap and line.strip():
        print('  ' + line)
print('  tasks that %s:' % ('would change (check mode)' if mode == 'check' else 'changed'))
rows = ['%-8s %s: %s' % (state, name, ', '.join(sorted(set(hosts)))) for (name, state), hosts in changed.items()]
print('\n'.join('    ' + row for row in rows))
with open(path + '.changed', 'w', encoding='utf-8') as handle:
    handle.write(''.join(row + '\n' for row in rows))
if diff:
    print('  the diff, first lines (all of it in %s):' % path)
    print('\n'.join('    ' + line for line in diff[:40]))
PY
    echo "  ($((SECONDS - start)) s)"
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log" >&2
        return "$status"
    fi
}

start=$SECONDS
run full "Start the smarthost that records what it receives" playbooks/demo/smarthost.yml
run check "What site.yml would change: check mode, with the diff" playbooks/site.yml --check --diff
run summary "Apply site.yml: the base, relay and archive roles in one transaction per host" playbooks/site.yml
if ! diff "$LOGS/2-site.log.changed" "$LOGS/3-site.log.changed" >/dev/null; then
    echo "  check mode predicted other changes than the apply made:" >&2
    diff "$LOGS/2-site.log.changed" "$LOGS/3-site.log.changed" >&2
    exit 1
fi
echo "  check mode predicted exactly these changes, task by task and host by host"
run full "Send mail through each MX and show where each message went" playbooks/demo/mail.yml
run full "Freeze the fleet: stop delivery, keep accepting mail" playbooks/freeze.yml
run full "Send mail to the frozen fleet: the queue grows, nothing is delivered" playbooks/demo/frozen_mail.yml
run full "Thaw the fleet: delivery resumes with the settings from before" playbooks/thaw.yml
run full "Nothing was lost: each message sent during the freeze is where it belongs" playbooks/demo/nothing_lost.yml
run full "The fleet report" playbooks/report.yml -e report_dir="$LOGS/report"
printf '\n=== The demo took %d s. The HTML report: %s\n' "$((SECONDS - start))" "$LOGS/report/report.html"
echo "Your shell, with the demo fleet as its inventory: . .build/demo-env.sh  (then: ansible mx -m mailops.postfix.postfix_info)"
