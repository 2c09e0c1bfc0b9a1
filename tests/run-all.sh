#!/usr/bin/env bash
# Every test stage, in order; a failed stage does not stop the others. Ends with
# one summary line per stage and "N passed, N failed". Called by `make test`
# with the Molecule scenario names as arguments.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

results=()
passed=0
failed=0
run_stage() {  # $1: stage name, rest: command
    local name=$1 start rc
    shift
    echo "===== $name: $*"
    start=$SECONDS
    "$@"
    rc=$?
    if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    results+=("$(printf '%-28s %-4s %4ds' "$name" "$([ "$rc" -eq 0 ] && echo ok || echo FAIL)" $((SECONDS - start)))")
}

run_stage lint ansible-lint
run_stage sanity tests/ansible-test.sh sanity
run_stage units tests/ansible-test.sh units
run_stage collection-build tests/collection-build.sh
for scenario in "$@"; do
    run_stage "molecule:$scenario" molecule test -s "$scenario"
done

echo "===== summary"
printf '%s\n' "${results[@]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
