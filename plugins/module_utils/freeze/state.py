# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a freeze leaves on an instance: the state file and the suspension table.

Private to this collection: roles and playbooks use the modules, never module_utils.

postfix_freeze writes both; postconf reads them, so that a configuration run
does not thaw a frozen host or release a suspended domain (freeze.py plans
how). Both live in the instance's configuration directory: per instance, and
owned by root (postfix check wants data_directory owned by the mail owner).
"""

from __future__ import annotations

import json
import os

from ansible_collections.mailops.postfix.plugins.module_utils.core.atomic_file import read_bytes, remove_quietly, write_atomic
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.plan import saved_state

STATE_FILE = 'mailops-freeze.json'
SUSPENSION_TABLE = 'mailops_suspended_domains'


class FreezeState:
    """The freeze state of one instance, given its explicit main.cf settings (``postconf -n``)."""

    def __init__(self, runner, explicit):
        self.runner = runner
        self.path = os.path.join(runner.config_dir, STATE_FILE)
        self.text = read_bytes(self.path)
        self.saved, self.problem = saved_state(
            None if self.text is None else self.text.decode('utf-8', 'replace'), explicit)
        self.table_type = runner.parameters(['default_database_type'])['default_database_type']
        self.table_path = os.path.join(runner.config_dir, SUSPENSION_TABLE)
        self.table = '%s:%s' % (self.table_type, self.table_path)  # as main.cf names it (tables.build.table_name())
        self.table_text = read_suspension_table(self.table_path) if os.path.lexists(self.table_path) else None

    def suspended_domains(self):
        """The domains the suspension table holds now."""
        if self.table_text is None:
            return []
        from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import KEY_VALUE, read_entries
        return [entry.key for entry in read_entries(self.table_text, KEY_VALUE)]

    def save(self, module, saved):
        """Write the settings a thaw restores (unless in check mode)."""
        if not module.check_mode:
            write_atomic(module, self.path, json.dumps(saved, sort_keys=True).encode(), mode=0o644)
        self.saved = saved

    def restore(self, module):
        """Put the state file back as it was, after a change failed to go live."""
        if module.check_mode:
            return
        if self.text is None:
            remove_quietly(self.path)
        else:
            write_atomic(module, self.path, self.text)

    def remove(self, module):
        """Forget the freeze (after the thaw)."""
        if not module.check_mode:
            remove_quietly(self.path)


def read_suspension_table(path):
    """The suspension table's source text at ``path``, once tables.paths allowed it (not a symlink nor a directory).

    The lookup-table code is imported only where a suspension table exists or is asked for (see
    transaction.freeze.plan()).
    """
    from ansible_collections.mailops.postfix.plugins.module_utils.tables.paths import check_table_path
    check_table_path(path, follow=False, directories=())
    source = read_bytes(path)
    return None if source is None else source.decode('utf-8', 'surrogateescape')
