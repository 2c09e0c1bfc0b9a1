# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every ansible and ansible-playbook command that README.md and docs/ show, as shown.

The commands are taken from the Markdown's sh/bash code blocks, so they cannot
drift from what users read. Each runs against the demo container with the demo
inventory: a command without -i gets it (as ANSIBLE_INVENTORY gives it to a
user's shell), and a placeholder inventory (-i inventory, -i YOUR_INVENTORY)
is replaced by it. By default a command must succeed; a comment on its line
says otherwise: "# expect: failed", "# expect: changed" or "# expect: unchanged".

Usage: readme_commands.py INVENTORY FILE.md...   Prints one line per command
and a summary; exits 1 if any command did not do what it should.
"""

import re
import shlex
import subprocess
import sys

FENCE = re.compile(r'^```(\w*)\s*$')
EXPECT = re.compile(r'#.*\bexpect:\s*(failed|changed|unchanged)\b')
RECAP = re.compile(r'\bchanged=(\d+)\b.*\bfailed=(\d+)\b')


def commands(path):
    """(line number, command text, expectation) of every ansible command in the file's shell blocks."""
    found, language, pending = [], None, None
    with open(path, encoding='utf-8') as handle:
        for number, line in enumerate(handle, 1):
            fence = FENCE.match(line.strip())
            if fence:
                language = None if language is not None else fence.group(1) or 'text'
                continue
            if language not in ('sh', 'bash', 'shell', 'console'):
                continue
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


def with_inventory(argv, inventory):
    """The command with the demo inventory in place of none or a placeholder."""
    argv = list(argv)
    for index, word in enumerate(argv):
        if word in ('-i', '--inventory') and index + 1 < len(argv):
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
    for path in paths:
        for number, text, expect in commands(path):
            argv = with_inventory(shlex.split(text, comments=True), inventory)
            run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
            got = outcome(argv, run.stdout, run.returncode)
            good = got == expect or (expect == 'ok' and got != 'failed')
            failures += not good
            rows.append('%-4s %-9s %s:%d  %s' % ('ok' if good else 'FAIL', got, path, number, text))
            print(rows[-1], flush=True)
            if not good:
                print('     expected %s; output:\n%s' % (expect, run.stdout[-3000:]), flush=True)
    print('===== README commands: %d run, %d did what they should, %d did not'
          % (len(rows), len(rows) - failures, failures))
    print('\n'.join(rows))
    return 1 if failures or not rows else 0


if __name__ == '__main__':
    sys.exit(main())
