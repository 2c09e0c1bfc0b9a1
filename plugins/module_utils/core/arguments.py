# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument-spec pieces shared by the modules, and the echo of the arguments in results.

Private to this collection: roles and playbooks use the modules, never module_utils.

Each function returns one group of options, documented by the fragment of
the same name in doc_fragments/common.py (mailops.postfix.common.NAME).
"""

from __future__ import annotations

import json
from ast import literal_eval

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.validation import check_type_dict


from ansible_collections.mailops.postfix.plugins.module_utils.core.locking import DEFAULT_TIMEOUT
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import DEFAULT_CONFIG_DIR


def common_argument_spec():
    return {'config_dir': {'type': 'path', 'default': DEFAULT_CONFIG_DIR}}


def changes_argument_spec():
    """Options of every module that changes configuration: reload and lock_timeout."""
    return {'reload': {'type': 'bool', 'default': True}, 'lock_timeout': {'type': 'float', 'default': DEFAULT_TIMEOUT}}


def backup_argument_spec():
    return {'backup': {'type': 'bool', 'default': False}, 'backup_keep': {'type': 'int'}}


def file_attributes_argument_spec():
    return {'owner': {'type': 'str'}, 'group': {'type': 'str'}, 'mode': {'type': 'raw'}}


# Strings longer than this are shortened where a result echoes the module's arguments.
_ECHO_LIMIT = 1000


def invocation(params, summarized=()):
    """The module arguments a result echoes (``invocation``), without bulk.

    Options in ``summarized`` (table contents, which may be large or secret)
    become their item count, and so do the fields named "option.field" in the
    items of a list option; any other string longer than 1000 characters is
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

    def count(value):
        return '(%d items, not echoed)' % len(value)

    echoed = {name: short(value) for name, value in params.items()}
    for name in summarized:
        option, dummy, field = name.partition('.')
        if params.get(option) is None:
            continue
        if not field:
            echoed[option] = count(params[option])
            continue
        for item in echoed[option]:
            if isinstance(item, dict) and item.get(field) is not None:
                item[field] = count(item[field])
    return {'module_args': echoed}


def structured(params, name, spec=None):
    """The value of option ``name``: a mapping or a list, also when it arrives as text.

    Ad-hoc arguments in key=value form reach a module as strings:
    ``-a 'entries={"spammer@example.net": "REJECT"}'`` hands over the JSON text
    of a mapping. Text that starts with "{" or "[" is read as JSON (or a Python
    literal), other text as key=value pairs, the way Ansible's dict type reads
    it. ``spec`` (the option's argument spec as a list or dict option) checks
    the value as AnsibleModule would have, and fills in defaults; such options
    are declared as raw, since Ansible would split a list given as text at its
    commas.
    """
    value = params[name]
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.startswith(('{', '[')):
                try:
                    value = json.loads(text)
                except ValueError:
                    value = literal_eval(text)
            else:
                value = check_type_dict(text)
        except (TypeError, ValueError, SyntaxError) as error:
            raise MailopsError('%s could not be read (%s): give JSON, for example %s=\'{"key": "value"}\', or YAML '
                               'in a playbook' % (name, error, name))
    if spec is not None and value is not None:
        checked = ArgumentSpecValidator({name: spec}).validate({name: value})
        if checked.error_messages:
            raise MailopsError('; '.join(checked.error_messages))
        value = checked.validated_parameters[name]
    return value
