# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The postfix_packages action (its documentation is plugins/modules/postfix_packages.py).

An action, not a module: dpkg-query or rpm answer the question over the connection as it is,
without Ansible's Python payload on the host, and the answer is read and checked here, in one
task (a raw task, its checks and a set_fact to keep the answer were two workers per host).
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.mailops.postfix.plugins.plugin_utils.package_query import QUERIES, answer

ARGUMENT_SPEC = {
    'names': {'type': 'list', 'elements': 'str', 'required': True},
    'manager': {'type': 'str', 'choices': sorted(QUERIES), 'default': 'dpkg'},
    # Paths on the host: not expanded here, on the controller (type path would expand ~ and $VAR).
    'paths': {'type': 'list', 'elements': 'str', 'default': []},
    'known': {'type': 'dict', 'default': {}},
}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        try:
            found = answer(args['manager'], args['names'], args['paths'], args['known'], self._run)
        except ValueError as error:
            return dict(result, failed=True, msg=str(error))
        return dict(result, changed=False, **found)

    def _run(self, command):
        output = self._low_level_execute_command(command, executable='/bin/sh')
        return output['rc'], output['stdout'], output['stderr']
