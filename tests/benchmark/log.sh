#!/usr/bin/env bash
# Benchmark: postfix_log's full report next to pflogsumm and postfix-logwatch (logwatch --service postfix
# --detail 10), on generated mail logs (tests/benchmark/log_generate.py: Postfix 3.7 and 3.10 lines), in the
# same run: every mix at every size, the current mix with many recipient domains, and one large log.
#
# For each run tests/benchmark/log_bench.py prints the wall time, CPU time (user + system of the tool's
# processes), throughput, the peak RSS of the largest process and of the whole process tree, the ratios
# to the faster competitor (targets: >= 5x in wall time, >= 3x in CPU time), postfix_log's counts next to
# pflogsumm's with every difference named, and its per-stage percentiles next to postfix-logwatch's.
# Not a test: it asserts nothing, it reports. The machine's load average is printed with each run: the
# wall time of every tool depends on it, the CPU time much less.
#
# Usage: tests/benchmark/log.sh
#   SIZES="50 1000"                   the sizes (MB) of every mix
#   MIXES="current deferrals noisy"   the mixes (log_generate.py --mix)
#   DOMAINS=30000                     one more run of the current mix with this many recipient domains, at the
#                                     largest of SIZES (0: none)
#   LARGE=4000                        one more run of the current mix at this size (0: none)
#   LOGWATCH=0                        leave postfix-logwatch out (the slowest: the ratios are then to pflogsumm)
#   KEEP=DIR                          keep the generated logs in DIR, and take them from there when they are
#                                     there (generating 1 GB takes a minute or more)
# Installs pflogsumm, logwatch and time with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${SIZES:-50 1000}
MIXES=${MIXES:-current deferrals noisy}
DOMAINS=${DOMAINS:-30000}
LARGE=${LARGE:-4000}
export BENCH_PYTHON=${PYTHON:-$PWD/.venv/bin/python}  # ansible-core's Python: the module runs as AnsibleModule
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

missing=()
command -v pflogsumm >/dev/null || missing+=(pflogsumm)
command -v logwatch >/dev/null || missing+=(logwatch)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get install -y "${missing[@]}" >/dev/null
fi
# logwatch reads "mail.log" (Debian's dist.conf/logfiles/maillog.conf) in --logdir, and in /var/log too.
if compgen -G '/var/log/mail.log*' >/dev/null; then
    echo "benchmark: /var/log/mail.log exists; logwatch would read it as well" >&2
    exit 1
fi

# The collection on the module's path, as Ansible lays it out.
mkdir -p "$work/collections/ansible_collections/mailops"
ln -s "$PWD" "$work/collections/ansible_collections/mailops/postfix"
export BENCH_COLLECTIONS=$work/collections

run() {  # mix size [options]: one run in a directory of its own, removed after it
    mkdir "$work/run"
    local options=()
    if [ -n "${KEEP:-}" ]; then
        options+=(--keep "$KEEP")
    fi
    if [ "${LOGWATCH:-1}" = 0 ]; then
        options+=(--no-logwatch)
    fi
    "$BENCH_PYTHON" tests/benchmark/log_bench.py "$work/run" "$@" "${options[@]}"
    rm -rf "$work/run"
}

printf 'log benchmark on %s CPUs: %s, perl %s, pflogsumm %s, logwatch %s\n' "$(nproc)" "$("$BENCH_PYTHON" --version)" \
    "$(perl -e 'print $^V')" "$(pflogsumm --version 2>&1 | awk '{print $2}')" \
    "$(dpkg-query -W -f='${Version}' logwatch)"
largest=0
for size in $SIZES; do
    for mix in $MIXES; do
        run "$mix" "$size" --competitors
    done
    largest=$(( size > largest ? size : largest ))
done
if [ "$DOMAINS" -gt 0 ]; then
    run current "$largest" --domains "$DOMAINS" --competitors
fi
if [ "$LARGE" -gt 0 ]; then
    run current "$LARGE" --competitors
fi
