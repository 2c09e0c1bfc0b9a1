# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument-spec pieces shared by the modules (documented in doc_fragments/common.py)."""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.locking import DEFAULT_TIMEOUT
from ansible_collections.mailops.postfix.plugins.module_utils.postfix_runner import DEFAULT_CONFIG_DIR


def common_argument_spec():
    return {'config_dir': {'type': 'path', 'default': DEFAULT_CONFIG_DIR}}


def locking_argument_spec():
    return {'lock_timeout': {'type': 'float', 'default': DEFAULT_TIMEOUT}}
