# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/benchmark/fleet.sh: count the tasks each host ran, by kind, into a JSON file.

Enabled with ANSIBLE_CALLBACKS_ENABLED=fleet_tasks; the file is $FLEET_TASKS_FILE.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: fleet_tasks
type: aggregate
short_description: Count the tasks run per host (mailops.postfix fleet benchmark)
description:
  - Writes, per host, the tasks that ran a module on the host, the tasks that ran on the
    controller only, and the skipped tasks, to the file named by FLEET_TASKS_FILE.
requirements:
  - enable in configuration
'''

import collections
import json
import os

from ansible.plugins.callback import CallbackBase

# Actions that never reach the host: they cost controller time only.
CONTROLLER_ACTIONS = frozenset(
    prefix + name
    for prefix in ('', 'ansible.builtin.', 'ansible.legacy.')
    for name in ('set_fact', 'assert', 'debug', 'include_tasks', 'include_role', 'import_tasks', 'import_role',
                 'meta', 'fail', 'include_vars', 'add_host', 'group_by', 'set_stats', 'validate_argument_spec'))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'fleet_tasks'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.hosts = collections.defaultdict(lambda: collections.defaultdict(list))

    def _record(self, result, outcome):
        task = result._task
        delegated = task.delegate_to not in (None, '', result._host.get_name())
        if outcome == 'skipped':
            kind = 'skipped'
        elif task.action in CONTROLLER_ACTIONS or delegated:
            kind = 'controller'
        else:
            kind = 'host'
        self.hosts[result._host.get_name()][kind].append('%s (%s)' % (task.get_name(), task.action))

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        with open(os.environ['FLEET_TASKS_FILE'], 'w') as out:
            json.dump(self.hosts, out, indent=1, sort_keys=True)
