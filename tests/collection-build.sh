#!/usr/bin/env bash
# The collection builds into a tarball that ansible-galaxy installs, and its
# module documentation renders from the installed copy.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
out=.build/dist
rm -rf "$out"
mkdir -p "$out/installed"
ansible-galaxy collection build --force --output-path "$out" >/dev/null
tarball=$(ls "$out"/mailops-postfix-*.tar.gz)
# (It warns that the path is not a configured collections path: expected here.)
ansible-galaxy collection install --offline --force -p "$out/installed" "$tarball" > "$out/install.log" 2>&1 \
    || { cat "$out/install.log" >&2; exit 1; }
for path in plugins/modules/*.py; do
    module=$(basename "$path" .py)
    ANSIBLE_NOCOLOR=true ANSIBLE_COLLECTIONS_PATH=$PWD/$out/installed ansible-doc "mailops.postfix.$module" \
        | grep -q "^> MODULE mailops.postfix.$module "
done
echo "built and installed $(basename "$tarball"); ansible-doc renders from the installed copy"
