#!/usr/bin/env bash
# Benchmark: what each role adds to an idempotent run of playbooks/site.yml on
# one host, next to the floor measured in the same run on the same container (a
# one-task playbook): the base role alone (base-role.yml), then site.yml with
# the relay role (relay data, no archive_address, no filter data), + the archive
# role (archive_address), + the filter role (DKIM signing with OpenDKIM, one
# domain). The hosts' data: molecule/base's and site-vars.yml, as base.sh. Each
# variant is converged first and must then be a no-op. Prints the median of RUNS
# runs of each, its tasks on the host, and the step from the variant before.
# Not a test: it asserts nothing, it reports.
# Usage: tests/benchmark/site-roles.sh   (after `make images`; RUNS, default 5)
RUNS=${RUNS:-5}
NAME=${MAILOPS_TESTBED_PREFIX:-mailops}-bench-site-roles
# shellcheck source=tests/benchmark/container.sh
source "$(dirname "$0")/container.sh"
inventory=$work/inventory.yml
mkdir "$work/group_vars"
# The site's data without the archive role's and the filter role's, which the variants add as extra variables.
python3 -c 'import sys, yaml
data = {**yaml.safe_load(open(sys.argv[1])), **yaml.safe_load(open(sys.argv[2]))}
archive = {name: data.pop(name) for name in list(data) if name.startswith("archive_")}
print(yaml.safe_dump(data))
yaml.safe_dump(archive, open(sys.argv[3], "w"))' \
    molecule/base/vars/main.yml tests/benchmark/site-vars.yml "$work/archive.yml" > "$work/group_vars/bench.yml"
printf 'filter_dkim: true\nfilter_dkim_domains: [{domain: testbed.example, selector: bench}]\n' > "$work/filter.yml"
podman exec "$NAME" testbed-postfix-start >/dev/null
LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)

tasks() {  # PLAYBOOK [ARGUMENT...]: converge, check that a second run changes nothing, print its tasks on the host
    ansible-playbook -i "$inventory" "$@" > /dev/null
    ansible-playbook -i "$inventory" "$@" | sed -n "s/^$NAME *: ok=\([0-9]*\) *changed=0 .*failed=0 *skipped=\([0-9]*\).*/\1 \2/p" \
        | grep . || { echo "benchmark: the second run of $1 was not a successful no-op" >&2; exit 1; }
}
site=(playbooks/site.yml -e mailops_hosts=bench)
variants=("base role alone (base-role.yml)" "site.yml: base, relay" "site.yml: + archive" "site.yml: + filter")
# In this order, so that each converges from the one before (the base role alone then leaves the others' settings).
counts=()
counts[1]=$(tasks "${site[@]}");                                          t1=$(median_run "${site[@]::1}" all "${site[@]:1}")
counts[2]=$(tasks "${site[@]}" -e @"$work/archive.yml");                  t2=$(median_run "${site[@]::1}" all "${site[@]:1}" -e @"$work/archive.yml")
counts[3]=$(tasks "${site[@]}" -e @"$work/archive.yml" -e @"$work/filter.yml")
t3=$(median_run "${site[@]::1}" all "${site[@]:1}" -e @"$work/archive.yml" -e @"$work/filter.yml")
counts[0]=$(tasks tests/benchmark/base-role.yml);                         t0=$(median_run tests/benchmark/base-role.yml all)
floor=$(median_run tests/benchmark/floor.yml all)
echo "load before and after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -c 'import sys
runs, floor = sys.argv[1], int(sys.argv[2]) / 1e9
names = sys.argv[3:7]
times = [int(n) / 1e9 for n in sys.argv[7:11]]
counts = sys.argv[11:15]
print("floor (one-task playbook): %.3f s, median of %s runs, one host" % (floor, runs))
for i, (name, t, c) in enumerate(zip(names, times, counts)):
    ok, skipped = c.split()
    step = "" if i == 0 else "   +%.3f s" % (t - times[i - 1])
    print("%-34s %.3f s  x%.2f  %2d tasks (%s skipped)%s" % (name, t, t / floor, int(ok) + int(skipped), skipped, step))' \
    "$RUNS" "$floor" "${variants[@]}" "$t0" "$t1" "$t2" "$t3" "${counts[0]}" "${counts[1]}" "${counts[2]}" "${counts[3]}"
