# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records what each YAML example of the readme stage did, for tests/readme/yaml_examples.py.

yaml_examples.py tags each example's tasks readme_example_N, its setup
readme_setup_N and the restore after each file readme_restore. This callback
adds up, per example, whether one of its tasks changed something and the first
failure (a failure the task itself ignores does not count), the first failure
of its setup, and of the restores, and writes them as JSON to
$README_EXAMPLES_RESULTS at the end. Handlers count for the example that ran
last (each example flushes its handlers).
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: readme_examples
type: aggregate
short_description: per-example outcomes of the readme stage (mailops.postfix tests)
description:
  - Writes whether each example of the generated playbook changed something or failed to the JSON file named by the
    environment variable README_EXAMPLES_RESULTS.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=readme_examples
'''

import json
import os
import re

from ansible.plugins.callback import CallbackBase

TAG = re.compile(r'readme_(example|setup)_(\d+)$')


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'readme_examples'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.outcomes = {}
        self.current = None  # (kind, number) of the last tagged task

    def _where(self, task):
        for tag in task.tags:
            found = TAG.match(tag)
            if found:
                return found.group(1), found.group(2)
        if 'readme_restore' in task.tags:
            return 'restore', 'restore'
        return None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.current = self._where(task) or self.current

    def _record(self, result, failed=False):
        where = self._where(result._task) or (self.current if result._task.__class__.__name__ == 'Handler' else None)
        if where is None:
            return
        kind, key = where
        outcome = self.outcomes.setdefault(key, {'changed': False, 'failed': None, 'setup_failed': None})
        if result._result.get('changed') and kind != 'setup':
            outcome['changed'] = True
        if failed:
            field = 'setup_failed' if kind == 'setup' else 'failed'
            message = result._result.get('msg') or result._result.get('stderr') or 'failed'
            outcome[field] = outcome[field] or '%s: %s' % (result._task.get_name(), str(message)[:1500])

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=not ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._record(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        with open(os.environ['README_EXAMPLES_RESULTS'], 'w', encoding='utf-8') as handle:
            json.dump(self.outcomes, handle, indent=1)
