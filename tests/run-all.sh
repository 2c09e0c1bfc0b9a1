#!/usr/bin/env bash
# The test stages: the one list of them, in the order `make test` runs them.
#   tests/run-all.sh                 every stage
#   tests/run-all.sh STAGE...        only these: lint, sanity, units, collection-build, docs, readme,
#                                    molecule (every scenario), molecule:SCENARIO
# A failed stage does not stop the others. Ends with one summary line per stage
# and "stages: N passed, N failed"; the exit status is 0 only when all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

scenarios() {  # every Molecule scenario: a folder of molecule/ with a molecule.yml
    for file in molecule/*/molecule.yml; do basename "$(dirname "$file")"; done | sort
}

stage_command() {  # $1: stage name -> the command that runs it
    case $1 in
        lint) echo ansible-lint ;;
        sanity) echo tests/ansible-test.sh sanity ;;
        units) echo tests/ansible-test.sh units ;;
        collection-build) echo tests/collection-build.sh ;;
        docs) echo tests/docs.sh ;;
        readme) echo tests/readme/run.sh ;;
        molecule:*) echo molecule test -s "${1#molecule:}" ;;
        *) return 1 ;;
    esac
}

stages=()
for name in "${@:-lint sanity units collection-build docs readme molecule}"; do
    for stage in $name; do
        if [ "$stage" = molecule ]; then
            while read -r scenario; do stages+=("molecule:$scenario"); done < <(scenarios)
        else
            stages+=("$stage")
        fi
    done
done

results=()
passed=0
failed=0
for stage in "${stages[@]}"; do
    if ! command=$(stage_command "$stage"); then
        echo "unknown stage: $stage (stages: lint sanity units collection-build docs readme molecule molecule:SCENARIO)" >&2
        exit 2
    fi
    echo "===== $stage: $command"
    start=$SECONDS
    $command
    rc=$?
    if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    results+=("$(printf '%-28s %-4s %4ds' "$stage" "$([ "$rc" -eq 0 ] && echo ok || echo FAIL)" $((SECONDS - start)))")
done

echo "===== summary"
printf '%s\n' "${results[@]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
