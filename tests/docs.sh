#!/usr/bin/env bash
# The collection docs site and the changelog:
# - antsibull-docs lints the plugins' and roles' documentation and docs/docsite/;
# - the site renders (antsibull-docs sphinx-init and its build script: antsibull-docs, then
#   sphinx-build with warnings as errors) into .build/docs/build/html;
# - antsibull-changelog lints the fragments, and renders the next release's changelog from them into
#   .build/changelog/CHANGELOG.rst, in a scratch copy (README: "Execution environment, docs site
#   and changelog");
# - once a release is recorded in changelogs/changelog.yaml, CHANGELOG.rst is what it generates.
# Needs the collection on ANSIBLE_COLLECTIONS_PATH, as mailops.postfix (make collection-link).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
site=.build/docs

# rstcheck is left to the site build below, which renders the same RST with warnings as errors.
antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck .

# Every playbook is on the site's playbooks page.
for playbook in playbooks/*.yml; do
    grep -q "\`\`$playbook\`\`" docs/docsite/rst/playbooks.rst \
        || { echo "docs/docsite/rst/playbooks.rst does not describe $playbook" >&2; exit 1; }
done

rm -rf "$site"
mkdir -p "$site"
chmod 755 "$site"  # antsibull-docs wants it writable by its owner only
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$site" \
    --project mailops.postfix --title mailops.postfix --copyright 'mailops.postfix contributors' \
    mailops.postfix > /dev/null
# The build does not depend on the network: the one inventory the pages refer to, Ansible's own
# docs, is written here with the labels that the generated pages use. A new one is an undefined
# label below, to add here.
python - "$site/ansible_devel.inv" <<'PY'
import sys, zlib
labels = {
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values',
                             'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
    'action_plugins': ('plugins/action.html#action-plugins', 'Action plugins'),
    'ansible_collections.ansible.builtin.package_module': (
        'collections/ansible/builtin/package_module.html#ansible-collections-ansible-builtin-package-module',
        'ansible.builtin.package module'),
    'ansible_collections.ansible.builtin.package_facts_module': (
        'collections/ansible/builtin/package_facts_module.html#ansible-collections-ansible-builtin-package-facts-module',
        'ansible.builtin.package_facts module'),
}
lines = ''.join('%s std:label -1 %s %s\n' % (name, uri, title) for name, (uri, title) in labels.items())
with open(sys.argv[1], 'wb') as inventory:
    inventory.write(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
                    b'# The remainder of this file is compressed using zlib.\n')
    inventory.write(zlib.compress(lines.encode()))
PY
cat >> "$site/conf.py" <<'EOF'

# tests/docs.sh: offline, Ansible's docs only, from the inventory that it writes.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv'),
}
EOF
"$site/build.sh" > "$site/build.log" 2>&1 || { grep -v '^\(reading sources\|writing output\)' "$site/build.log" >&2; exit 1; }

# The changelog. The fragments lint; the next release's notes render from them.
antsibull-changelog lint
version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
scratch=.build/changelog
rm -rf "$scratch"
mkdir -p "$scratch"
cp -r galaxy.yml changelogs "$scratch/"
if grep -q '^releases: {}' changelogs/changelog.yaml; then
    test ! -e CHANGELOG.rst || { echo "CHANGELOG.rst exists, but changelogs/changelog.yaml records no release" >&2; exit 1; }
else
    (cd "$scratch" && antsibull-changelog generate)
    diff -u CHANGELOG.rst "$scratch/CHANGELOG.rst" \
        || { echo "CHANGELOG.rst is not what antsibull-changelog generates: run antsibull-changelog generate" >&2; exit 1; }
fi
if ! grep -q "^  $version:" changelogs/changelog.yaml; then
    (cd "$scratch" && antsibull-changelog release --version "$version" --date "$(date +%F)")
fi
# The notes are valid reStructuredText, and the release took in every fragment: one that
# antsibull-changelog skips (a file name not ending in .yml or .yaml) fails here.
python - "$scratch" "$version" <<'PY'
import os, sys
import docutils.core
import docutils.utils
import yaml
scratch, version = sys.argv[1:]
path = os.path.join(scratch, 'CHANGELOG.rst')
with open(path, encoding='utf-8') as changelog:
    docutils.core.publish_doctree(changelog.read(), source_path=path, settings_overrides={
        'halt_level': docutils.utils.Reporter.WARNING_LEVEL, 'report_level': docutils.utils.Reporter.WARNING_LEVEL})
with open(os.path.join(scratch, 'changelogs', 'changelog.yaml'), encoding='utf-8') as changes:
    released = set(yaml.safe_load(changes)['releases'][version].get('fragments', []))
left_out = sorted(set(os.listdir('changelogs/fragments')) - released - {'.keep'})
if left_out:
    sys.exit('changelogs/fragments: antsibull-changelog does not take in %s' % ', '.join(left_out))
PY

echo "docs site: $PWD/$site/build/html/index.html"
echo "changelog of the next release ($version): $PWD/$scratch/CHANGELOG.rst"
