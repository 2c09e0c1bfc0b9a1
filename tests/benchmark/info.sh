#!/usr/bin/env bash
# Benchmark: a one-task playbook of postfix_info (version, instances, table
# types, settings, services, freeze, queue, relay verdict, certificate) next
# to a one-task ping playbook on the same container in the same run, with mail
# in the queue. Prints the median of RUNS runs of each and their ratio. Not a
# test: it asserts nothing, it reports. Target: ratio <= 1.3, so that it can
# run in every play.
# Usage: make bench   (or tests/benchmark/info.sh after `make images`)
RUNS=${RUNS:-7}
NAME=mailops-bench-info
# shellcheck source=tests/benchmark/container.sh
source "$(dirname "$0")/container.sh"
podman exec "$NAME" testbed-postfix-start >/dev/null
# A queue to summarize: 200 deferred messages (the container has no DNS).
podman exec "$NAME" sh -c 'for n in $(seq 200); do
    printf "Subject: %s\n\nbody\n" "$n" | sendmail -f alice@testbed.example "user$n@partner.example"; done'

ping=$(median_run tests/benchmark/info.yml ping)
info=$(median_run tests/benchmark/info.yml info)
python3 -c 'import sys; i, p, n = int(sys.argv[1]) / 1e9, int(sys.argv[2]) / 1e9, sys.argv[3]; print(
    "postfix_info, one task: %.3f s   ping, one task: %.3f s   ratio: %.2f (target <= 1.3), median of %s runs"
    % (i, p, i / p, n))' "$info" "$ping" "$RUNS"
