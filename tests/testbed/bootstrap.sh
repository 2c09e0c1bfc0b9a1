#!/usr/bin/env bash
# Prepare this host for the demo and the tests: Debian packages (only when missing)
# and the pinned Python tool chain in .venv. Safe to run again; it does nothing
# that is already done.
set -euo pipefail
cd "$(dirname "$0")/../.."

needed=()
# chromium: the fleet report test renders the HTML report headless (molecule/site).
for pkg in podman runc debootstrap catatonit rsync shellcheck chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || needed+=("$pkg")
done
if [ "${#needed[@]}" -gt 0 ]; then
    echo "bootstrap: installing ${needed[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${needed[@]}" >/dev/null
fi

# The venv is rebuilt whenever the pinned requirements change.
stamp=.venv/.requirements.sha256
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: creating .venv from tests/requirements.txt"
    rm -rf .venv
    python3 -m venv .venv
    # pip's output goes to a log: the machine's pip configuration warns about every package.
    .venv/bin/python -m pip install -r tests/requirements.txt > .venv/pip-install.log 2>&1 \
        || { tail -n 30 .venv/pip-install.log >&2; exit 1; }
    echo "$want" > "$stamp"
fi
