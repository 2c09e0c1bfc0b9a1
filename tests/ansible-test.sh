#!/usr/bin/env bash
# Run ansible-test (sanity or units) on a copy of the collection laid out the way
# ansible-test requires: .../ansible_collections/mailops/postfix (a copy, not a link).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# The copy lives outside this git checkout: inside it, ansible-test would ask git
# for the file list and find nothing (.build is ignored).
# One copy per checkout, so that several checkouts on one machine can run side by side.
WORK=${XDG_CACHE_HOME:-$HOME/.cache}/mailops-postfix-ansible-test/$(echo "$ROOT" | sha256sum | cut -c1-12)
COPY=$WORK/ansible_collections/mailops/postfix
mkdir -p "$COPY" "$ROOT/.build"
ln -sfn "$WORK" "$ROOT/.build/ansible-test"
rsync -a --delete --exclude .build --exclude .venv --exclude .git --exclude .ansible \
    --exclude tests/output --exclude '__pycache__' "$ROOT/" "$COPY/"

# ansible-test bootstraps pip in its virtual environments with a script it
# downloads from a host that is not reachable here. This stand-in does the same
# with ensurepip and the machine's own pip configuration.
bootstrap=$HOME/.ansible/test/cache/get_pip_24_2.py
mkdir -p "$(dirname "$bootstrap")"
cat > "$bootstrap" <<'PY'
import os
import subprocess
import sys

subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
os.environ.pop('PIP_CONFIG_FILE', None)  # ensurepip points it at /dev/null
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
if args:
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check'] + args)
PY

cd "$COPY"
case "${1:-}" in
    sanity) exec "$ROOT/.venv/bin/ansible-test" sanity --venv --python 3.11 --color no "${@:2}" ;;
    units) exec "$ROOT/.venv/bin/ansible-test" units --python 3.11 --color no "${@:2}" ;;
    *) echo "usage: $0 sanity|units [ansible-test options]" >&2; exit 2 ;;
esac
