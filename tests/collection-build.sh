#!/usr/bin/env bash
# The collection builds into a tarball that ansible-galaxy installs, its module
# documentation renders from the installed copy, and the execution environment's
# definition (execution-environment.yml) turns into a build context.
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
# Every module and module_utils file imports from the installed copy alone: a package left out of
# the build (a missing __init__.py, a build_ignore) fails here, not on a managed host.
python - "$out/installed" <<'PY'
import importlib, pathlib, sys
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
installed = pathlib.Path(sys.argv[1]).resolve()
_AnsibleCollectionFinder(paths=[str(installed)])._install()
root = installed / 'ansible_collections/mailops/postfix'
names = [
    '.'.join(('ansible_collections.mailops.postfix',) + path.relative_to(root).with_suffix('').parts)
    for kind in ('modules', 'module_utils', 'plugin_utils', 'filter')
    for path in sorted((root / 'plugins' / kind).rglob('*.py'))
]
for name in names:
    importlib.import_module(name.removesuffix('.__init__'))
print(f'{len(names)} plugin files import from the installed copy')
PY

# The execution environment: ansible-builder writes its build context (the image itself needs a
# registry for the base image). An invalid definition or a missing file fails here.
ee=.build/ee
rm -rf "$ee"
ansible-builder create -f execution-environment.yml -c "$ee" > "$out/ee-create.log" 2>&1 \
    || { cat "$out/ee-create.log" >&2; exit 1; }
# A missing additional_build_files source is only a warning to ansible-builder.
test -f "$ee/_build/collections/mailops.postfix/MANIFEST.json" \
    || { echo "execution-environment.yml: the build context has no collection; see $out/ee-create.log" >&2; exit 1; }
# The EE runs the ansible-core that the tests run.
tested=$(grep -o '^ansible-core==[^ ]*' tests/requirements.txt)
grep -q "package_pip: $tested\$" execution-environment.yml \
    || { echo "execution-environment.yml: ansible_core is not $tested, the one tests/requirements.txt pins" >&2; exit 1; }
# What the EE's builder stage finds in the installed collection: every entry of requirements.txt
# and bindep.txt, so both are in the tarball and parse.
ansible-builder introspect "$out/installed" > "$out/introspect.yml"
grep -hv '^\s*\(#\|$\)' requirements.txt bindep.txt | tr -d ' ' | while read -r entry; do
    tr -d ' ' < "$out/introspect.yml" | grep -qxF -- "-'$entry#fromcollectionmailops.postfix'" \
        || { echo "ansible-builder does not find $entry in the installed collection: $out/introspect.yml" >&2; exit 1; }
done
echo "built and installed $(basename "$tarball"); ansible-doc renders from the installed copy;" \
    "ansible-builder create wrote the EE's build context to $ee"
