#!/usr/bin/env bash
# The test stages: the one list of them, in the order `make test` runs them.
#   tests/run-all.sh                 every stage
#   tests/run-all.sh STAGE...        only these: lint, sanity, units, collection-build, docs, readme,
#                                    molecule (every scenario), molecule:SCENARIO, images
# A failed stage does not stop the others. Ends with one summary line per stage
# and "stages: N passed, N failed", then how busy the machine's CPUs were over the run (whether
# more lanes could help); the exit status is 0 only when all passed.
#
# Several stages run in TEST_LANES lanes at once (default 2): most of a Molecule
# scenario's time is spent waiting on containers, SMTP sessions and Ansible's
# forks, so two lanes on the 2-core machine finish the whole run far sooner than
# one. Each stage's output then goes to .build/test-logs/STAGE.log and is printed
# whole when the stage ends. One stage, or TEST_LANES=1, runs in the foreground.
#
# The test-bed images are built (tests/testbed/testbed.sh images, about a second when
# they are cached) by the first stage that needs them, the readme stage or a scenario,
# while the other lane runs the stages that do not: on a fresh machine the build then
# overlaps lint, sanity and the unit tests. It is reported as the stage "images".
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
        images) echo tests/testbed/testbed.sh images ;;
        *) return 1 ;;
    esac
}

# The default order is the order the lanes take the jobs in: longest first, so that the
# short stages fill the end of both lanes (times of a full run on 2026-12-07: site 873 s,
# readme 590, postfix_map 416, filter 337, sql and postfix_queue 282, postconf 271,
# hardening 260, base 258; the rest, under 200 s, in the order of `molecule`).
stages=()
add_stage() {  # $1: a stage, added once
    case " ${stages[*]} " in *" $1 "*) ;; *) stages+=("$1") ;; esac
}
longest_first="molecule:site readme molecule:postfix_map molecule:filter molecule:sql molecule:postfix_queue
    molecule:postconf molecule:hardening molecule:base"
for name in "${@:-lint sanity units collection-build docs $longest_first molecule}"; do
    for stage in $name; do
        if [ "$stage" = molecule ]; then
            while read -r scenario; do add_stage "molecule:$scenario"; done < <(scenarios)
        else
            add_stage "$stage"
        fi
    done
done
for stage in "${stages[@]}"; do
    if ! stage_command "$stage" >/dev/null; then
        echo "unknown stage: $stage (stages: lint sanity units collection-build docs readme molecule molecule:SCENARIO images)" >&2
        exit 2
    fi
done

logs=.build/test-logs
state=$(mktemp -d)  # this run's results, job counter and locks
trap 'rm -rf "$state"' EXIT
mkdir -p "$logs"

run_stage() {  # $1: stage; $2: its log file, or - for the terminal. Appends its result to $state/results.
    local stage=$1 log=$2 command start rc
    command=$(stage_command "$stage")
    start=$SECONDS
    if [ "$log" = - ]; then
        echo "===== $stage: $command"
        $command
        rc=$?
    else
        $command > "$log" 2>&1 < /dev/null
        rc=$?
        # Printed whole, one stage at a time, so that the lanes' output does not mix.
        { flock 9; echo "===== $stage: $command"; cat "$log"; } 9> "$state/print.lock"
    fi
    printf '%s %s %d\n' "$stage" "$([ "$rc" -eq 0 ] && echo ok || echo FAIL)" $((SECONDS - start)) >> "$state/results"
}

run_stage_with_images() {  # run_stage, after the images stage for a stage that starts containers
    case $1 in
        readme | molecule:*)
            {
                flock 9
                if [ ! -e "$state/images.done" ]; then
                    run_stage images "$([ "$2" = - ] && echo - || echo "$logs/images.log")"
                    touch "$state/images.done"
                fi
            } 9> "$state/images.lock" ;;
    esac
    run_stage "$@"
}

# The jobs the lanes take in turn. The stages that run ansible-test share one copy
# of the tree (tests/ansible-test.sh), so the stages before readme form one job.
jobs=()
static=""
for stage in "${stages[@]}"; do
    case $stage in
        lint | sanity | units | collection-build | docs) static="$static $stage" ;;
        *) jobs+=("$stage") ;;
    esac
done
[ -n "$static" ] && jobs=("$static" "${jobs[@]}")

cpu_times() {  # the machine's busy and total CPU time so far (/proc/stat, every CPU, in ticks; guest time is in user)
    awk '/^cpu / { total = 0; for (i = 2; i <= 9; i++) total += $i; print total - $5 - $6, total }' /proc/stat
}
read -r busy_start total_start < <(cpu_times)

lanes=${TEST_LANES:-2}
if [ "${#jobs[@]}" -eq 1 ] || [ "$lanes" -le 1 ]; then
    for stage in "${stages[@]}"; do run_stage_with_images "$stage" -; done
else
    echo "===== ${#stages[@]} stages in $lanes lanes; each stage's output is printed when it ends ($logs/)"
    echo 0 > "$state/next"
    lane() {  # takes the next job until none is left
        local index
        while :; do
            { flock 9; index=$(cat "$state/next"); echo $((index + 1)) > "$state/next"; } 9> "$state/next.lock"
            [ "$index" -lt "${#jobs[@]}" ] || return 0
            for stage in ${jobs[$index]}; do run_stage_with_images "$stage" "$logs/${stage//[:\/]/-}.log"; done
        done
    }
    for _ in $(seq "$lanes"); do lane & done
    wait
fi

echo "===== summary"
passed=0
failed=0
reported=("${stages[@]}")
grep -q '^images ' "$state/results" 2>/dev/null && reported=(images "${reported[@]}")
for stage in "${reported[@]}"; do
    read -r _ result secs < <(grep "^$stage " "$state/results" || echo "$stage FAIL 0")
    if [ "$result" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    printf '%-28s %-4s %4ds\n' "$stage" "$result" "$secs"
done
echo "stages: $passed passed, $failed failed"
# Whether more lanes could help: how busy the machine's CPUs were (everything on it, containers included).
read -r busy_end total_end < <(cpu_times)
echo "CPU busy: $(( 100 * (busy_end - busy_start) / (total_end - total_start) ))% of $(nproc) CPUs over $SECONDS s"
[ "$failed" -eq 0 ]
