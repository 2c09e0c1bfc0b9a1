# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FreezeState's suspension table, and the lookup-table code that a freeze without one does not import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.freeze.state import SUSPENSION_TABLE, FreezeState
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError


@pytest.fixture
def instance(tmp_path, postfix):
    postfix.config_dir = str(tmp_path)
    return postfix


def test_without_a_suspension_table_nothing_is_suspended(instance):
    state = FreezeState(instance, {})
    assert (state.table_text, state.suspended_domains()) == (None, [])
    assert state.table == '%s:%s/%s' % (state.table_type, instance.config_dir, SUSPENSION_TABLE)


def test_the_suspension_table_is_read(instance):
    with open(os.path.join(instance.config_dir, SUSPENSION_TABLE), 'w') as table:
        table.write('example.com retry:4.4.1 Delivery suspended\n.example.org retry:4.4.1 Delivery suspended\n')
    assert FreezeState(instance, {}).suspended_domains() == ['example.com', '.example.org']


@pytest.mark.parametrize('make', [
    lambda path: os.symlink('/etc/passwd', path),
    lambda path: os.symlink('/nowhere', path),  # dangling: lexists() sees it
    os.mkdir,
])
def test_a_suspension_table_path_that_is_not_a_plain_file_is_refused(instance, make):
    make(os.path.join(instance.config_dir, SUSPENSION_TABLE))
    with pytest.raises(TableSourceError):
        FreezeState(instance, {})


def test_a_freeze_without_a_suspension_table_imports_no_lookup_table_code():
    # postfix_freeze's own imports, in a fresh interpreter: the tables package comes only with a suspension table.
    code = ('import sys; '
            'import ansible_collections.mailops.postfix.plugins.modules.postfix_freeze; '
            'print(sorted(name for name in sys.modules if ".module_utils.tables" in name))')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert done.stdout.strip() == '[]'
