# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Freeze and thaw delivery, suspend domains: plan the main.cf changes.

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over data; nothing here touches a file or runs a command.

Freezing is the wiki's "postconf -e master_service_disable=qmgr.fifo
in_flow_delay=0 && postfix reload": master stops the queue manager, so mail
is accepted and queued but not delivered, and smtpd no longer slows clients
down waiting for a queue manager that does not run. Unlike the wiki's
unfreeze, thawing restores what was there before: the operator's own
master_service_disable entries stay as they were written, and in_flow_delay
gets its previous value back (both saved in a state file while frozen).

Suspending a domain is the wiki's "domain retry:4.4.1 text" transport entry,
kept in a table of its own placed first in transport_maps, so that no table
a role manages is touched.
"""

from __future__ import annotations

import json
import re

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import split_list, tokenize
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError

# master_service_disable entries that name the queue manager, in any of the
# spellings Postfix accepts (name.type before 3.x layouts, name/type after).
_QMGR_ENTRY = re.compile(r'qmgr[./](?:unix|fifo)\Z')

RETRY_PREFIX = 'retry:4.4.1 '


class FreezeError(MailopsError):
    """A request this module refuses."""


def qmgr_entry(master_services):
    """How master_service_disable names this host's queue manager: qmgr/unix, or qmgr.fifo on old layouts."""
    if 'qmgr/unix' in master_services:
        return 'qmgr/unix'
    if 'qmgr/fifo' in master_services:
        return 'qmgr.fifo'
    raise FreezeError('master.cf has no qmgr service (neither "qmgr unix" nor "qmgr fifo"): '
                      'this does not look like a Postfix instance whose delivery can be frozen')


def is_frozen(master_service_disable):
    """Whether master_service_disable stops the queue manager."""
    return any(_QMGR_ENTRY.match(entry) for entry in split_list(master_service_disable or ''))


def plan_freeze(explicit, qmgr):
    """main.cf changes that freeze delivery, given the explicit settings (``postconf -n``).

    Returns name -> {before, after}; empty when already frozen.
    """
    disabled = explicit.get('master_service_disable')
    if is_frozen(disabled):
        return {}
    changes = {'master_service_disable': {'before': disabled, 'after': ', '.join(split_list(disabled or '') + [qmgr])}}
    if explicit.get('in_flow_delay') != '0':
        changes['in_flow_delay'] = {'before': explicit.get('in_flow_delay'), 'after': '0'}
    return changes


def saved_state(text, explicit):
    """The state file's settings from before the freeze, if they belong to the current freeze.

    ``text`` is the file's content (None: no file). Returns (saved, problem):
    saved is {} when the file is missing or cannot be trusted, and problem says
    why it is not trusted. A file belongs to the current freeze while
    master_service_disable still reads exactly as the freeze wrote it
    (``frozen_with``); after a thaw or a new freeze by hand it is stale.
    """
    if text is None:
        return {}, None
    try:
        saved = json.loads(text)
    except ValueError:
        saved = None
    if not isinstance(saved, dict) or not isinstance(saved.get('frozen_with'), str):
        return {}, 'is not what this module writes (JSON with frozen_with); it was ignored'
    current = explicit.get('master_service_disable')
    if not is_frozen(current) or split_list(current) != split_list(saved['frozen_with']):
        return {}, ('is from an earlier freeze (master_service_disable = %s then, %s now); it was ignored'
                    % (saved['frozen_with'], current if current is not None else 'unset'))
    return saved, None


def plan_thaw(explicit, saved):
    """main.cf changes that restore delivery; ``saved`` holds the settings from before the freeze.

    ``saved`` maps master_service_disable and in_flow_delay to their text before
    the freeze (None: not set); it is empty for a host frozen by hand, whose
    in_flow_delay then goes back to its default. Returns name -> {before,
    after} (after None: remove the setting); empty when not frozen.
    """
    disabled = explicit.get('master_service_disable')
    if not is_frozen(disabled):
        return {}
    kept = [entry for entry in split_list(disabled) if not _QMGR_ENTRY.match(entry)]
    previous = saved.get('master_service_disable')
    if previous is not None and split_list(previous) == kept:
        restored = previous  # the operator's own spelling
    else:
        restored = ', '.join(kept) if kept else None
    changes = {'master_service_disable': {'before': disabled, 'after': restored}}
    if explicit.get('in_flow_delay') != saved.get('in_flow_delay'):
        changes['in_flow_delay'] = {'before': explicit.get('in_flow_delay'), 'after': saved.get('in_flow_delay')}
    return changes


def suspension_value(text):
    """The transport table value that defers mail with ``text``."""
    return RETRY_PREFIX + text


def plan_transport_maps(explicit, table, suspended):
    """transport_maps changes: the suspension ``table`` first while domains are ``suspended``, gone otherwise."""
    current = explicit.get('transport_maps')
    tables = tokenize(current or '', commas=True)
    others = [entry for entry in tables if entry != table]
    wanted = ([table] + others) if suspended else others
    if wanted == tables:
        return {}
    return {'transport_maps': {'before': current, 'after': ', '.join(wanted) if wanted else None}}


# Settings a freeze holds: master_service_disable names the queue manager,
# in_flow_delay is 0.
FREEZE_SETTINGS = ('master_service_disable', 'in_flow_delay')


def plan_while_frozen(changes, explicit, saved):
    """Keep a frozen host frozen through main.cf changes planned by someone else (postconf, a role).

    ``changes`` maps names to {before, after} (after None: removed),
    ``explicit`` is ``postconf -n`` now, ``saved`` the state file's settings
    ({} for a host frozen by hand). While master_service_disable stops the
    queue manager, a change to master_service_disable or in_flow_delay goes
    into the saved settings, for the thaw to restore, and the live values stay
    frozen. Returns (changes as they will go live, the new saved settings or
    None when they stay as they are, the names that were held back).
    """
    current = explicit.get('master_service_disable')
    held = [name for name in FREEZE_SETTINGS if name in changes]
    if not is_frozen(current) or not held:
        return changes, None, []
    wanted_disabled = 'master_service_disable' in changes
    wanted = changes['master_service_disable']['after'] if wanted_disabled else None
    if wanted_disabled and is_frozen(wanted):
        return changes, None, []  # a freeze of its own: nothing to hold back
    changes = dict(changes)
    qmgr = [entry for entry in split_list(current) if _QMGR_ENTRY.match(entry)]
    new_saved = dict(saved) if saved else {
        'frozen_since': None, 'master_service_disable': ', '.join(
            entry for entry in split_list(current) if not _QMGR_ENTRY.match(entry)) or None,
        'in_flow_delay': None}
    for name in held:
        new_saved[name] = changes.pop(name)['after']
    live = ', '.join(split_list(wanted or '') + qmgr) if wanted_disabled else current
    if live != current:
        changes['master_service_disable'] = {'before': current, 'after': live}
    new_saved['frozen_with'] = live
    return changes, (None if new_saved == saved else new_saved), held


def plan_suspension_first(changes, table, suspended):
    """Keep the suspension ``table`` first in a transport_maps that someone else changes while domains are suspended.

    Returns (changes, whether transport_maps was adjusted).
    """
    if not suspended or 'transport_maps' not in changes:
        return changes, False
    before, wanted = changes['transport_maps']['before'], changes['transport_maps']['after']
    kept = plan_transport_maps({'transport_maps': wanted}, table, True)
    if not kept:
        return changes, False
    changes = dict(changes)
    after = kept['transport_maps']['after']
    if after == before:
        del changes['transport_maps']
    else:
        changes['transport_maps'] = {'before': before, 'after': after}
    return changes, True
