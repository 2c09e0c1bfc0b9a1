# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a postfix_queue run may do: the checks of a request, and the queue IDs an action changes.

Private to this collection: roles and playbooks use the modules, never module_utils.

Every refusal comes before anything is done to the queue, also in check mode.
"""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import version_tuple
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import DESTRUCTIVE, EXPIRE_MIN_VERSION, QueueError


def check_request(params, selector, version):
    """Refuse what can be refused before the queue is read: option conflicts and missing Postfix features."""
    for name in ('limit', 'top', 'max_messages'):
        if params[name] is not None and params[name] < 0:
            raise QueueError('%s=%d: must be 0 or more' % (name, params[name]))
    if params['match_timeout'] <= 0:
        raise QueueError('match_timeout=%g: must be more than 0 seconds' % params['match_timeout'])
    if params['all_messages'] and selector.given:
        raise QueueError('all_messages=true acts on every message; it cannot be combined with the selector(s) %s. '
                         'Remove all_messages to act on the selection, or the selectors to act on everything'
                         % ', '.join(selector.given))
    if params['action'] == 'expire' and version_tuple(version) < EXPIRE_MIN_VERSION:
        raise QueueError('action=expire needs Postfix 3.5 or later (postsuper -e); this host runs Postfix %s. '
                         'Use action=delete or action=hold instead' % version)


def plan(action, view, selector, all_messages, max_messages):
    """The queue IDs the action will change; QueueError when a safety rule refuses."""
    if action == 'list':
        return []
    if not selector.given and not all_messages:
        raise QueueError(
            'action=%s without a selector would act on every message in the queue (%d now). Set all_messages=true to '
            'allow that, or select messages with queue_ids, queues, sender, recipient, site, delay_reason, '
            'older_than, newer_than or query' % (action, view['summary']['messages']))
    total = view['summary']['messages']
    if (action in DESTRUCTIVE and not all_messages and 'queue_ids' not in selector.given
            and view['selected'] == total > 1):
        raise QueueError(
            'action=%s: the selection (%s) matches every message in the queue, all %d of them; a pattern or age '
            'that matches everything is usually a mistake, and nothing was changed. Narrow the selection, or use '
            'all_messages=true without selectors to act on every message' % (action, ', '.join(selector.given), total))
    targets = view['targets']
    if max_messages is not None and len(targets) > max_messages:
        raise QueueError('action=%s would affect %d messages, more than max_messages=%d; nothing was changed. Raise '
                         'max_messages or narrow the selection' % (action, len(targets), max_messages))
    return targets


def check_flush_possible(runner):
    """A flush needs a running Postfix; known before anything is done, also in check mode."""
    if not postfix_control.is_running(runner):
        raise QueueError('action=flush needs a running Postfix (flush(8) and the queue manager); Postfix is not '
                         'running here (postfix status). Start it (postfix start); nothing was changed')
