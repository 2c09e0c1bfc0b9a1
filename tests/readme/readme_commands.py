# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every ansible and ansible-playbook command that README.md and docs/ show, as shown.

The commands are taken from the Markdown's sh/bash code blocks, so they cannot
drift from what users read. Each runs against the demo container with the demo
inventory: a command without -i gets it (as ANSIBLE_INVENTORY gives it to a
user's shell), and a placeholder inventory (-i inventory, -i YOUR_INVENTORY)
is replaced by it; an inventory of this repository (-i playbooks/inventory/example,
the fleet `make demo` leaves) is used as written. By default a command must
succeed; a comment on its line says otherwise: "# expect: failed",
"# expect: changed" or "# expect: unchanged". A check-mode command shown again
(each how-to shows site.yml --check) is not run again while no command since
its first run changed or failed anything: its outcome would be the same.

A YAML block that follows a mention of an inventory file (`playbooks/inventory/...yml`)
is an excerpt of it: each of its values must be what that file holds (a mapping
may leave keys out; a list must be whole).

Usage: readme_commands.py INVENTORY FILE.md...   Prints one line per command (with its time)
and a summary; exits 1 if any command did not do what it should.
"""

import os
import re
import shlex
import subprocess
import sys
import time

import yaml

from markdown_blocks import fenced_blocks

EXPECT = re.compile(r'#.*\bexpect:\s*(failed|changed|unchanged)\b')
RECAP = re.compile(r'\bchanged=(\d+)\b.*\bfailed=(\d+)\b')
INVENTORY_FILE = re.compile(r'`(playbooks/inventory/[\w./-]+\.ya?ml)`')
CONNECTION_PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'testbed', 'connection_plugins')


def commands(path):
    """(line number, command text, expectation) of every ansible command in the file's shell blocks."""
    found = []
    with open(path, encoding='utf-8') as handle:
        blocks = list(fenced_blocks(handle.read()))
    for dummy, dummy, language, body in blocks:
        if language not in ('sh', 'bash', 'shell', 'console'):
            continue
        pending = None
        for number, line in body:
            text = line.rstrip('\n')
            if pending is not None:  # a continued line
                pending = (pending[0], pending[1] + ' ' + text.strip())
            elif re.match(r'\s*(ansible|ansible-playbook)\s', text):
                pending = (number, text.strip())
            else:
                continue
            if pending[1].endswith('\\'):
                pending = (pending[0], pending[1][:-1].rstrip())
                continue
            expect = EXPECT.search(pending[1])
            found.append((pending[0], pending[1], expect.group(1) if expect else 'ok'))
            pending = None
    return found


def excerpts(path):
    """(line number, inventory file, YAML text) of every YAML block that follows a mention of an inventory file
    within the five lines before it."""
    found, named = [], (None, -10)
    with open(path, encoding='utf-8') as handle:
        blocks = list(fenced_blocks(handle.read()))
    for prose, start, language, body in blocks:
        for number, line in prose:
            mention = INVENTORY_FILE.search(line)
            if mention:
                named = (mention.group(1), number)
        if language in ('yaml', 'yml') and start - named[1] <= 5:
            found.append((start, named[0], ''.join(line + '\n' for dummy, line in body)))
    return found


def differences(part, whole, where):
    """Where ``part`` says other than ``whole``: a mapping may leave keys out; anything else must be equal."""
    if isinstance(part, dict) and isinstance(whole, dict):
        return [problem for key, value in part.items()
                for problem in (differences(value, whole[key], '%s.%s' % (where, key)) if key in whole
                                else ['%s.%s is not in the file' % (where, key)])]
    return [] if part == whole else ['%s is %r in the file' % (where, whole)]


def check_excerpts(path):
    """The problems of the inventory excerpts of one Markdown file."""
    problems = []
    for number, inventory_file, text in excerpts(path):
        with open(inventory_file, encoding='utf-8') as handle:
            whole = yaml.safe_load(handle)
        problems += ['%s:%d: excerpt of %s: %s' % (path, number, inventory_file, problem)
                     for problem in differences(yaml.safe_load(text), whole, '')]
    return problems


def with_inventory(argv, inventory):
    """The command with the demo inventory in place of none or a placeholder; an inventory of this repository
    as written."""
    argv = list(argv)
    for index, word in enumerate(argv):
        if word in ('-i', '--inventory') and index + 1 < len(argv):
            if not os.path.exists(argv[index + 1]):
                argv[index + 1] = inventory
            return argv
    return [argv[0], '-i', inventory] + argv[1:]


def outcome(argv, output, rc):
    """failed, changed or unchanged, from ansible's default output."""
    if rc != 0:
        return 'failed'
    if argv[0] == 'ansible-playbook':
        recaps = RECAP.findall(output)
        return 'changed' if any(int(changed) for changed, dummy in recaps) else 'unchanged'
    return 'changed' if re.search(r'\| CHANGED\b', output) else 'unchanged'


def main():
    inventory, paths = sys.argv[1], sys.argv[2:]
    rows, failures = [], 0
    env = dict(os.environ, ANSIBLE_CONNECTION_PLUGINS=os.path.normpath(CONNECTION_PLUGINS))
    unchanged_since = {}  # argv of a check-mode command -> its outcome, while nothing has changed since
    for path in paths:
        for problem in check_excerpts(path):
            failures += 1
            rows.append('FAIL %s' % problem)
            print(rows[-1], flush=True)
        for number, text, expect in commands(path):
            argv = with_inventory(shlex.split(text, comments=True), inventory)
            key = tuple(argv)
            started = time.monotonic()
            if key in unchanged_since:
                got, output = unchanged_since[key]
            else:
                run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
                                     env=env)
                got, output = outcome(argv, run.stdout, run.returncode), run.stdout
                if got != 'unchanged':
                    unchanged_since.clear()
                if got == 'unchanged' and ('--check' in argv or '-C' in argv):
                    unchanged_since[key] = (got, output)
            good = got == expect or (expect == 'ok' and got != 'failed')
            failures += not good
            seconds = time.monotonic() - started
            rows.append('%-4s %-9s %5.1fs %s:%d  %s' % ('ok' if good else 'FAIL', got, seconds, path, number, text))
            print(rows[-1], flush=True)
            if not good:
                print('     expected %s; output:\n%s' % (expect, output[-3000:]), flush=True)
    print('===== README commands: %d run, %d did what they should, %d did not'
          % (len(rows), len(rows) - failures, failures))
    print('\n'.join(rows))
    return 1 if failures or not rows else 0


if __name__ == '__main__':
    sys.exit(main())
