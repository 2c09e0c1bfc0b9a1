# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Act on queued mail: one postsuper process for any number of messages, or flush(8) requests.

Private to this collection: roles and playbooks use the modules, never module_utils.

Shared by postfix_queue (every action) and postfix_freeze (the requeue when a
domain's suspension ends). What was done is recorded as it happens, so that a
run that fails part way still reports the messages it changed.
"""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import (
    ACTIONS,
    PostsuperReport,
    at_site,
    read_queue,
    recipient_domain,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.module_utils.queue.flush import (
    FLUSH_PARAMETERS,
    FlushClient,
    flush_socket_path,
)


def nothing_done():
    """The record of an action before it starts (see act())."""
    return {'count': 0, 'queue_ids': [], 'warnings': []}


def act(runner, action, queue_ids, done, whole_queue=False):
    """Carry out ``action`` on ``queue_ids``; ``done`` (from nothing_done()) says what happened.

    flush with ``whole_queue`` is ``postqueue -f`` (counted as ``queue_ids``,
    the deferred mail), other flushes are flush(8) requests; every other action
    is one postsuper process reading the IDs on its stdin. Requeued mail waits
    in maildrop until pickup looks, up to a minute: pickup is woken up.
    """
    if action == 'flush':
        if whole_queue:
            runner.run('postqueue', ['flush'])
            done.update(count=len(queue_ids), queue_ids=list(queue_ids))
        else:
            _flush_each(runner, queue_ids, done)
        return
    spec = ACTIONS[action]
    report = PostsuperReport(action)
    try:
        # Explicit queue names after "-": the ones the plan counted on (see ACTIONS).
        for line in runner.stream_lines('postsuper', [spec.postsuper_option], ['-'] + list(spec.queues),
                                        input_lines=queue_ids, from_stderr=True):
            report.add(line)
    finally:
        done.update(report.result())
    if action == 'requeue' and done['count'] and postfix_control.is_running(runner):
        runner.run('postkick', [], ['public', 'pickup', 'W'])


def _flush_each(runner, queue_ids, done):
    client = FlushClient(flush_socket_path(runner.run('postconf', ['hide_names'], FLUSH_PARAMETERS)[1]))
    for queue_id in queue_ids:
        try:
            client.send_file(queue_id)
        except PostfixCommandError as error:
            raise PostfixCommandError('%s (delivery of %d of the %d selected messages was requested before)'
                                      % (error, done['count'], len(queue_ids)), cmd=error.cmd)
        done['count'] += 1
        done['queue_ids'].append(queue_id)


def requeue_deferred(module, runner, domains):
    """Requeue deferred mail for resumed domains, so that it goes now rather than at its next retry.

    One postsuper process for all of them; returns how many messages were
    requeued, as postsuper counted them (in check mode: would be).
    """
    queue_ids = [record['queue_id'] for record in read_queue(runner)
                 if record['queue_name'] == 'deferred'
                 and any(at_site(recipient_domain(recipient['address']), domains)
                         for recipient in record['recipients'])]
    if not queue_ids or module.check_mode:
        return len(queue_ids)
    done = nothing_done()
    act(runner, 'requeue', queue_ids, done)
    return done['count']
