# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records what each task did on each host, for the fleet scenario's check-equals-apply comparison.

For every task and handler result: the play, the task's name, the host, its
status (changed, ok, skipped, failed, unreachable), its diff, and the result
fields that say what a transaction changed or would change (postconf's
changes, service_changes, the changed tables' entries, the reload fields), for
a loop per item. Timings (lock_wait) and the like are left out: they differ
between any two runs. Written as JSON to $TASK_OUTCOMES at the end, with each
host's counts from the recap; the default output stays as it is.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: task_outcomes
type: aggregate
short_description: per-task, per-host outcomes of a playbook run (mailops.postfix tests)
description:
  - Writes each task's status, diff and change fields per host, and the recap counts, to the JSON file named by the
    environment variable TASK_OUTCOMES.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=task_outcomes
'''

import json
import os

from ansible.plugins.callback import CallbackBase

# What a run changes or would change; equal in a check run and the real run that follows it.
FIELDS = ('changes', 'service_changes', 'reload_needed', 'restart_required', 'pending_reload', 'reloaded', 'restarted',
          'action')
TABLE_FIELDS = ('table', 'changed', 'changes', 'entry_changes', 'rebuilt', 'rebuild_reason', 'reload_needed')


def outcome(result):
    """The fields of one result (or one loop item's) that the comparison looks at."""
    found = {'changed': bool(result.get('changed')), 'diff': result.get('diff')}
    found.update((field, result[field]) for field in FIELDS if field in result)
    if isinstance(result.get('tables'), list):
        found['tables'] = [{field: table.get(field) for field in TABLE_FIELDS} for table in result['tables']]
    if isinstance(result.get('results'), list):
        found['results'] = [outcome(item) for item in result['results'] if isinstance(item, dict)]
    return found


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'task_outcomes'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.play = None
        self.records = []

    def v2_playbook_on_play_start(self, play):
        self.play = play.get_name()

    def _record(self, result, status):
        found = outcome(result._result)
        if status == 'ok' and found['changed']:
            status = 'changed'
        found.update(play=self.play, task=result._task.get_name(), host=result._host.get_name(), status=status,
                     handler=result._task.__class__.__name__ == 'Handler')
        self.records.append(found)

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'ignored' if ignore_errors else 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(os.environ['TASK_OUTCOMES'], 'w', encoding='utf-8') as handle:
            json.dump({'tasks': self.records, 'recap': recap}, handle, indent=1, sort_keys=True)
