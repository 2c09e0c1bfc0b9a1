# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets: the one place that hides them from results, diffs, errors and warnings.

Passwords reach the modules as table values (postfix_map's and postconf's
``secret_entries``) and as smtp_probe's ``auth_password``. Wherever they
could show, they show as MASK, or as the line or words that name where they
were.

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import re

MASK = '********'

# What postmap puts in double quotes (a key, a whole line) may hold a password.
_QUOTED = re.compile(r'"[^"]*"')

# A key of smtp_sasl_password_maps: [host]:port, host:port, a domain, user@domain or @domain.
_DESTINATION = re.compile(r'(?:\[[^\]\s"]+\]|[^\s:\[\]"]+)(?::\d{1,5})?$')


def hide_table_values(module, secret_entries):
    """Hide the values of a table's secret_entries everywhere, and show its keys.

    Ansible hides every string of a no_log option: the keys too, and, of
    entries given as text (ad-hoc key=value arguments), only the whole text.
    postfix_map's secret_entries and those of postconf's tables go through here.
    """
    if isinstance(secret_entries, dict):
        pairs = list(secret_entries.items())
    elif isinstance(secret_entries, list):
        pairs = [(item.get('key'), item.get('value')) for item in secret_entries if isinstance(item, dict)]
    else:
        return
    module.no_log_values.difference_update(key for key, dummy in pairs if isinstance(key, str))
    for dummy, value in pairs:
        module.no_log_values.update(str(item) for item in (value if isinstance(value, list) else [value])
                                    if item is not None)


def shown_key(entry, secret):
    """A table entry's key as results, diffs and errors show it.

    In a secret table a malformed line (no white space between key and value,
    or an unbalanced quote that makes the rest of the line part of the key)
    may hold the password in its key: it is named by its line number only.
    A key shows only when it has the form of a destination or an address
    ([host]:port, host:port, domain, user@domain, @domain), so that the first
    word of a password with a space does not show either.
    """
    if secret and (not entry.value or not _DESTINATION.match(entry.key)):
        return '(malformed line%s, hidden)' % ('' if entry.line is None else ' %d' % entry.line)
    return entry.key


def shown_value(changed=False):
    """A secret table's value in a diff: MASK, and on the after side of a changed entry, that it changed."""
    return MASK + (' (changed)' if changed else '')


def hide_quoted(message):
    """postmap's message about a secret table, without what it quotes."""
    return _QUOTED.sub('"(hidden: secret table)"', message)


def scrub(text, secrets):
    """``text`` with each of ``secrets`` (strings) replaced by MASK."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text
