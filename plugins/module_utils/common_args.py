# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument-spec pieces shared by the modules, and the echo of the arguments in results.

Private to this collection: roles and playbooks use the modules, never module_utils.

Each function returns one group of options, documented by the fragment of
the same name in doc_fragments/common.py (mailops.postfix.common.NAME).
"""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.locking import DEFAULT_TIMEOUT
from ansible_collections.mailops.postfix.plugins.module_utils.postfix_runner import DEFAULT_CONFIG_DIR


def common_argument_spec():
    return {'config_dir': {'type': 'path', 'default': DEFAULT_CONFIG_DIR}}


def changes_argument_spec():
    """Options of every module that changes configuration: reload and lock_timeout."""
    return {'reload': {'type': 'bool', 'default': True}, 'lock_timeout': {'type': 'float', 'default': DEFAULT_TIMEOUT}}


def backup_argument_spec():
    return {'backup': {'type': 'bool', 'default': False}}


def file_attributes_argument_spec():
    return {'owner': {'type': 'str'}, 'group': {'type': 'str'}, 'mode': {'type': 'raw'}}


# Strings longer than this are shortened where a result echoes the module's arguments.
_ECHO_LIMIT = 1000


def invocation(params, summarized=()):
    """The module arguments a result echoes (``invocation``), without bulk.

    Options in ``summarized`` (table contents, which may be large or secret)
    become their item count; any other string longer than 1000 characters is
    cut, so that a mistaken 1 MB value is not sent back whole.
    """
    def short(value):
        if isinstance(value, str) and len(value) > _ECHO_LIMIT:
            return '%s... (%d characters, not echoed)' % (value[:100], len(value))
        if isinstance(value, dict):
            return {key: short(item) for key, item in value.items()}
        if isinstance(value, list):
            return [short(item) for item in value]
        return value

    echoed = {name: short(value) for name, value in params.items()}
    for name in summarized:
        if params.get(name) is not None:
            echoed[name] = '(%d items, not echoed)' % len(params[name])
    return {'module_args': echoed}
