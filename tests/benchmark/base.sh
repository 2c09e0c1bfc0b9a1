#!/usr/bin/env bash
# Benchmark: an idempotent run of the base role (about 40 main.cf parameters,
# 4 access tables, two restriction classes and aliases), of playbooks/site.yml
# (base, relay and archive in one transaction), and of the same three roles
# each applying its own settings, next to the floor measured in the same run on
# the same container (a one-task playbook), and next to the site's own floor:
# its two round trips without the roles (site-round-trips.yml). Prints the
# median of RUNS runs of each and their ratios. Not a test: it asserts nothing,
# it reports.
# Target: ratio <= 2 for the role and the site (linux-system-roles/postfix
# measured about 7 on the base role's kind of run).
# Usage: make bench   (or tests/benchmark/base.sh after `make images`)
RUNS=${RUNS:-5}
NAME=mailops-bench-base
# shellcheck source=tests/benchmark/container.sh
source "$(dirname "$0")/container.sh"
inventory=$work/inventory.yml
# The hosts' data: molecule/base's and the site's (tests/benchmark/site-vars.yml).
mkdir "$work/group_vars"
python3 -c 'import sys, yaml; print(yaml.safe_dump({**yaml.safe_load(open(sys.argv[1])), **yaml.safe_load(open(sys.argv[2]))}))' \
    molecule/base/vars/main.yml tests/benchmark/site-vars.yml > "$work/group_vars/bench.yml"
podman exec "$NAME" testbed-postfix-start >/dev/null

# Each kind of run in a playbook of its own, so that none pays for another's plays.
converge() {  # PLAYBOOK [ARGUMENT...]: converge, then check that a second run changes nothing
    ansible-playbook -i "$inventory" "$@" > /dev/null
    ansible-playbook -i "$inventory" "$@" | grep "^$NAME .*changed=0 .*failed=0" >/dev/null \
        || { echo "benchmark: the second run of $1 was not a successful no-op" >&2; exit 1; }
}
converge tests/benchmark/base-role.yml
converge playbooks/site.yml -e mailops_hosts=bench
converge tests/benchmark/base-roles.yml
# What the site's apply step gave postconf, for site-round-trips.yml.
ansible-playbook -i "$inventory" tests/benchmark/site-capture.yml -e mailops_hosts=bench \
    -e site_postconf_arguments="$work/postconf-arguments.json" > /dev/null
converge tests/benchmark/site-round-trips.yml -e site_postconf_arguments="$work/postconf-arguments.json"
floor=$(median_run tests/benchmark/floor.yml all)
role=$(median_run tests/benchmark/base-role.yml all)
site=$(median_run playbooks/site.yml all -e mailops_hosts=bench)
roles=$(median_run tests/benchmark/base-roles.yml all)
trips=$(median_run tests/benchmark/site-round-trips.yml all -e site_postconf_arguments="$work/postconf-arguments.json")
# What loading the three roles costs before they do anything: site.yml with a tag
# that no task has runs only the argument checks (tagged always), the floor none.
site_loaded=$(median_run playbooks/site.yml no_such_tag -e mailops_hosts=bench)
floor_loaded=$(median_run tests/benchmark/floor.yml no_such_tag)
python3 -c 'import sys
f, r, s, t, e, sl, fl = [int(n) / 1e9 for n in sys.argv[1:8]]
print("floor (one-task playbook): %.3f s, median of %s runs" % (f, sys.argv[8]))
print("base role, ~40 parameters, 4 tables, idempotent: %.3f s   ratio: %.2f (target <= 2)" % (r, r / f))
print("site, playbooks/site.yml (base, relay, archive), idempotent: %.3f s   ratio: %.2f (target <= 2)" % (s, s / f))
print("  its two round trips alone (package query, postconf with the credentials), no roles: %.3f s   ratio: %.2f" % (t, t / f))
print("  loading its roles and their 4 argument checks: %.3f s (%.3f s against %.3f s with no task run)"
      % (sl - fl, sl, fl))
print("  so no site with these roles and round trips is under %.2fx; its other tasks add %.3f s"
      % ((t + sl - fl) / f, s - t - (sl - fl)))
print("the three roles each applying, idempotent: %.3f s   ratio: %.2f" % (e, e / f))' \
    "$floor" "$role" "$site" "$trips" "$roles" "$site_loaded" "$floor_loaded" "$RUNS"
