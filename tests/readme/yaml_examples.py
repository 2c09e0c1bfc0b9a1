# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every YAML example of the READMEs, docs/ and the modules' EXAMPLES against the demo host, for real.

The examples are taken from the files, so that they cannot drift from what
users read: the ```yaml blocks of README.md, roles/README.md, roles/*/README.md
and docs/*.md, and the EXAMPLES of plugins/modules/*.py. A block is a list of
tasks (each task is an example), a list of plays (each play is one), or, in a
role's README, a mapping of that role's variables (run as the role with them).
Each example runs once, in one generated playbook against the demo host, in
document order, in a block of its own with a rescue, so that one failure does
not stop the others; the play of a play example is kept (its hosts become the
demo host, its roles import_role tasks in that block). After each file the
demo host's configuration is put back (setup/restore.yml), so that the files'
examples do not depend on each other.

What an example needs before it can run as written (a table that must exist, a
smarthost, a password variable) comes from examples.yml, next to this file,
keyed by file and task (or play) name: the setup task files to run first
(setup/NAME.yml), variables, and handlers. An example meant to fail or to
change nothing says so on its "- name:" line, as the README's commands do:
"# expect: failed", "# expect: changed" or "# expect: unchanged"; otherwise it
must not fail. examples.yml also lists the known failures (each with its issue;
they must fail, and one that passes must be taken off the list), the examples
that cannot run here, and the YAML blocks that show output rather than an example.

Usage: yaml_examples.py DEMO_INVENTORY [FILE...] | --list   (from any directory;
the demo container must be up; FILE: run only the examples of these files, as
while fixing one; --list lists the examples and what examples.yml gives them).
The playbook's output goes to .build/readme-examples.log ($README_EXAMPLES_LOG). Prints one line per example and a summary; exits 1 if
any example did not do what it should, or examples.yml names one that does not exist.
"""

import ast
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

from markdown_blocks import fenced_blocks

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXPECT = re.compile(r'#.*\bexpect:\s*(failed|changed|unchanged)\b')
TOP_ITEM = re.compile(r'^- ')
GROUP = 'mx'  # the demo inventory's group, which every example's play is run on


def sources():
    """The files whose YAML examples run, in the order they run."""
    return (['README.md', 'roles/README.md'] + sorted(glob.glob('roles/*/README.md', root_dir=ROOT))
            + sorted(glob.glob('docs/*.md', root_dir=ROOT)) + sorted(glob.glob('plugins/modules/*.py', root_dir=ROOT)))


def yaml_blocks(path):
    """(line number, Markdown heading above it or None, text) of every YAML block: ```yaml fences in
    Markdown, EXAMPLES in a module."""
    with open(os.path.join(ROOT, path), encoding='utf-8') as handle:
        text = handle.read()
    if path.endswith('.py'):
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ['EXAMPLES']:
                yield node.lineno, None, node.value.value
        return
    heading = None
    for prose, start, language, body in fenced_blocks(text):
        headings = [line.lstrip('#').strip() for dummy, line in prose if line.startswith('#')]
        heading = headings[-1] if headings else heading
        if language in ('yaml', 'yml'):
            yield start, heading, ''.join(line + '\n' for dummy, line in body)


def role_variables():
    """{variable: role} for every role's argument specs (all entry points)."""
    found = {}
    for spec_path in glob.glob(os.path.join(ROOT, 'roles/*/meta/argument_specs.yml')):
        role = spec_path.split(os.sep)[-3]
        with open(spec_path, encoding='utf-8') as handle:
            specs = yaml.safe_load(handle)['argument_specs']
        for entry in specs.values():
            for name in entry.get('options', {}):
                found[name] = role
    return found


def expectations(text):
    """The "# expect:" of each top-level item of a block, in order (None where there is none)."""
    return [(EXPECT.search(line).group(1) if EXPECT.search(line) else None)
            for line in text.splitlines() if TOP_ITEM.match(line)]


class Example:
    """One example: kind task, play or role (a role run with a README's variables).

    examples.yml names it by its name, or by "HEADING > NAME" (the Markdown heading above its block)
    where a file has several examples of that name.
    """

    def __init__(self, path, line, heading, kind, name, body, expect):
        self.path, self.line, self.kind, self.name, self.body, self.expect = path, line, kind, name, body, expect
        self.keys = [(path, name)] + ([] if heading is None else [(path, '%s > %s' % (heading, name))])
        self.number = None
        # From examples.yml:
        self.spec = {}  # setup, vars, handlers
        self.known = None  # the issue of a known failure
        self.not_run = None  # why it cannot run here

    @property
    def where(self):
        return '%s:%d' % (self.path, self.line)


def examples_of(path, roles, shown, shown_used):
    """The examples in one file; ValueError for a block the stage does not know how to run. Adds the
    not_examples entries it meets to ``shown_used``."""
    found = []
    for line, heading, text in yaml_blocks(path):
        data = yaml.safe_load(text)
        if isinstance(data, dict):
            owners = {roles.get(key) for key in data}
            role = owners.pop() if len(owners) == 1 else None
            if role is not None and path == 'roles/%s/README.md' % role:
                found.append(Example(path, line, heading, 'role', 'vars: %s' % ', '.join(data), {
                    'role': 'mailops.postfix.%s' % role, 'vars': data}, (expectations(text) or [None])[0]))
                continue
            if next(iter(data), None) in shown.get(path, ()):
                shown_used.add((path, next(iter(data))))
                continue
            raise ValueError('%s:%d: a YAML mapping that is neither variables of this README\'s role nor listed '
                             'under not_examples in examples.yml' % (path, line))
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ValueError('%s:%d: a YAML block that is not a list of tasks or plays' % (path, line))
        expects = expectations(text)
        if len(expects) != len(data):
            raise ValueError('%s:%d: %d items but %d lines that start with "- "' % (path, line, len(data), len(expects)))
        for item, expect in zip(data, expects):
            if 'name' not in item:
                raise ValueError('%s:%d: an example without a name' % (path, line))
            found.append(Example(path, line, heading, 'play' if 'hosts' in item else 'task', item['name'], item, expect))
    return found


# ---------------------------------------------------------------------------
# The generated playbook

def tag(kind, number):
    return 'readme_%s_%d' % (kind, number)


def example_block(example, tasks):
    """The example's tasks in a block: its setup first (a block of its own), then the example, then its
    handlers; a rescue, so that the next example runs."""
    spec = example.spec
    setup = [{'name': 'Set up %s' % name, 'ansible.builtin.include_tasks': os.path.join(HERE, 'setup', name + '.yml')}
             for name in spec.get('setup', [])]
    block = []
    if setup:
        block.append({'name': 'Setup of %s' % example.where, 'tags': [tag('setup', example.number)], 'block': setup})
    block.append({'name': 'Example %s' % example.where, 'tags': [tag('example', example.number)],
                  'block': tasks + [{'name': 'Handlers of the example', 'ansible.builtin.meta': 'flush_handlers'}]})
    outer = {'name': 'Example %d: %s %s' % (example.number, example.where, example.name), 'block': block,
             'rescue': [{'name': 'The example failed (reported at the end)',
                         'ansible.builtin.debug': {'msg': 'continuing with the next example'}}]}
    if spec.get('vars'):
        outer['vars'] = spec['vars']
    return outer


def role_task(entry):
    """A play's roles: entry as an import_role task with the same variables and keywords."""
    entry = {'role': entry} if isinstance(entry, str) else dict(entry)
    name = entry.pop('role', None) or entry.pop('name')
    task = {'name': 'Role %s' % name, 'ansible.builtin.import_role': {'name': name}}
    task.update(entry)
    return task


FLUSH_HANDLERS = {'name': 'Flush handlers', 'ansible.builtin.meta': 'flush_handlers'}


def plays_for(path, examples, group):
    """The plays that run one file's examples: consecutive task examples share a play."""
    plays = []
    for example in examples:
        if example.kind == 'play':
            sections = ('hosts', 'pre_tasks', 'roles', 'tasks', 'post_tasks')
            play = {key: value for key, value in example.body.items() if key not in sections}
            if 'import_playbook' in play:
                raise ValueError('%s: a play with import_playbook: the stage does not run those yet' % example.where)
            # In the order Ansible runs a play's sections, with its handler flushes between them.
            body = example.body
            tasks = (body.get('pre_tasks', []) + ([FLUSH_HANDLERS] if body.get('pre_tasks') else [])
                     + [role_task(entry) for entry in body.get('roles', [])] + body.get('tasks', [])
                     + ([FLUSH_HANDLERS] + body['post_tasks'] if body.get('post_tasks') else []))
            play.update(hosts=group, tasks=[example_block(example, tasks)])
            play['handlers'] = play.get('handlers', []) + example.spec.get('handlers', [])
            plays.append(play)
            continue
        if example.kind == 'role':
            tasks = [{'name': 'Role %s' % example.body['role'], 'become': True,
                      'ansible.builtin.import_role': {'name': example.body['role']}, 'vars': example.body['vars']}]
        else:
            tasks = [example.body]
        if not plays or plays[-1].get('name') != path:
            plays.append({'name': path, 'hosts': group, 'gather_facts': False, 'tasks': [], 'handlers': []})
        plays[-1]['tasks'].append(example_block(example, tasks))
        plays[-1]['handlers'] += example.spec.get('handlers', [])
    plays.append({'name': 'Put the demo host back after %s' % path, 'hosts': group, 'gather_facts': False,
                  'tasks': [{'name': 'Restore', 'tags': ['readme_restore'],
                             'ansible.builtin.include_tasks': os.path.join(HERE, 'setup', 'restore.yml')}]})
    return plays


# ---------------------------------------------------------------------------
# Running and judging

def apply_list(examples, data):
    """Give each example what examples.yml (``data``) says of it; return the problems with examples.yml
    itself: an entry that names no example, or a name that several examples of the file have (use
    HEADING > NAME)."""
    problems = []
    for section, attribute in (('examples', 'spec'), ('known_failures', 'known'), ('not_run', 'not_run')):
        for path, named in (data.get(section) or {}).items():
            for name, value in named.items():
                matching = [example for example in examples if (path, name) in example.keys]
                if len(matching) != 1:
                    problems.append('%s: %s: "%s" names %s' % (section, path, name, 'no example there' if not matching
                                    else '%d examples; name one as "HEADING > NAME"' % len(matching)))
                    continue
                setattr(matching[0], attribute, (value or {}) if attribute == 'spec' else value)
    return problems


def judge(example, outcome):
    """(good, what happened, a note) for one example."""
    if example.not_run:
        return True, 'not run', example.not_run
    expect = 'failed' if example.known else example.expect or 'ok'
    if outcome is None:
        return False, 'not run', 'an earlier failure stopped the play'
    if outcome.get('setup_failed'):
        return False, 'setup failed', outcome['setup_failed']
    got = 'failed' if outcome.get('failed') else 'changed' if outcome.get('changed') else 'unchanged'
    good = got == expect or (expect == 'ok' and got != 'failed')
    if example.known:
        return good, 'known failure' if good else got, (
            example.known if good else 'listed as a known failure (%s) but it passed: take it off known_failures in '
            'tests/readme/examples.yml' % example.known)
    return good, got, '' if good else 'expected %s: %s' % (expect, outcome.get('failed') or '')


def inventory_for(demo_inventory):
    """The demo inventory's group mx, through the test bed's pipelining connection (one round trip per task),
    and localhost: examples delegated to the controller run in the demo container too, which has no network."""
    with open(demo_inventory, encoding='utf-8') as handle:
        hosts = yaml.safe_load(handle)['all']['children'][GROUP]['hosts']
    connection = {'ansible_connection': 'testbed_podman', 'ansible_python_interpreter': '/usr/bin/python3'}
    container = next(iter(hosts))
    return {'all': {'children': {GROUP: {'hosts': {name: dict(variables, **connection)
                                                   for name, variables in hosts.items()}}},
                    'hosts': {'localhost': dict(connection, ansible_host=container)}}}


def main():
    listing = '--list' in sys.argv[1:]
    arguments = [argument for argument in sys.argv[1:] if argument != '--list']
    with open(os.path.join(HERE, 'examples.yml'), encoding='utf-8') as handle:
        data = yaml.safe_load(handle)
    shown = data.get('not_examples') or {}
    roles = role_variables()
    examples, shown_used = [], set()
    for path in sources():
        examples += examples_of(path, roles, shown, shown_used)
    for number, example in enumerate(examples, 1):
        example.number = number
    unused = {(path, first) for path, firsts in shown.items() for first in firsts} - shown_used
    problems = apply_list(examples, data) + ['not_examples: %s: no YAML block there starts with "%s"' % key
                                             for key in sorted(unused)]
    if listing:
        for example in examples:
            print('%-4s %-5s %s  %s  %s' % (example.number, example.kind, example.where, example.name,
                                            example.spec or example.known or example.not_run or ''))
        print('\n'.join(problems))
        return 1 if problems else 0
    baseline = {'name': 'Baseline', 'ansible.builtin.include_tasks': os.path.join(HERE, 'setup', 'baseline.yml')}
    plays = [{'name': 'Record the demo host as the stage found it', 'hosts': GROUP, 'gather_facts': False,
              'tasks': [baseline]}]
    only = arguments[1:]
    examples = [example for example in examples if not only or example.path in only]
    for path in sources():
        runnable = [example for example in examples if example.path == path and not example.not_run]
        if runnable:
            plays += plays_for(path, runnable, GROUP)
    with tempfile.TemporaryDirectory(prefix='readme-examples-') as work:
        playbook = os.path.join(work, 'examples.yml')
        results = os.path.join(work, 'results.json')
        inventory = os.path.join(work, 'inventory.yml')
        with open(playbook, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(plays, handle, sort_keys=False, width=120)
        with open(inventory, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(inventory_for(arguments[0]), handle)
        # Callbacks the caller enabled (ansible.posix.profile_tasks, to see where the time goes) stay enabled.
        callbacks = ','.join(filter(None, [os.environ.get('ANSIBLE_CALLBACKS_ENABLED'), 'readme_examples']))
        env = dict(os.environ, README_EXAMPLES_RESULTS=results, ANSIBLE_CALLBACKS_ENABLED=callbacks,
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
                   ANSIBLE_CONNECTION_PLUGINS=os.path.join(ROOT, 'tests', 'testbed', 'connection_plugins'))
        log_path = os.environ.get('README_EXAMPLES_LOG', os.path.join(ROOT, '.build', 'readme-examples.log'))
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        with open(log_path, 'w', encoding='utf-8') as log:
            run = subprocess.run(['ansible-playbook', '-i', inventory, '-e', 'readme_root=' + ROOT, playbook], stdout=log, stderr=subprocess.STDOUT, env=env,
                                 check=False, cwd=ROOT)
        outcomes = {}
        if os.path.exists(results):
            with open(results, encoding='utf-8') as handle:
                outcomes = json.load(handle)
    rows, failures = [], len(problems)
    for example in examples:
        good, got, note = judge(example, outcomes.get(str(example.number)))
        failures += not good
        rows.append('%-4s %-13s %s  %s%s' % ('ok' if good else 'FAIL', got, example.where, example.name,
                                             '\n     %s' % note if note else ''))
    rows += ['FAIL examples.yml: %s' % problem for problem in problems]
    restore = outcomes.get('restore') or {}
    if restore.get('failed'):
        failures += 1
        rows.append('FAIL restoring the demo host: %s' % restore['failed'])
    print('\n'.join(rows))
    print('===== YAML examples: %d, %d did what they should, %d did not; ansible-playbook rc=%d, log: %s'
          % (len(examples), len(examples) + len(problems) - failures, failures, run.returncode, log_path))
    return 1 if failures or not examples else 0


if __name__ == '__main__':
    sys.exit(main())
