# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for how a staged table goes live (table_build.install, table_job.install): all its files or none, and
backups of secret tables that stay secret."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.tables import build as table_build
from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job

ATTRIBUTES = file_attributes.Attributes(os.getuid(), os.getgid(), 0o644)


class NoSELinuxModule:
    check_mode = False

    @staticmethod
    def selinux_enabled():
        return False


MODULE = NoSELinuxModule()


def live_table(directory):
    (directory / 'access').write_bytes(b'old@example.com REJECT\n')
    (directory / 'access.db').write_bytes(b'old db\n')


def staged_table(directory):
    source = atomic_file.stage(MODULE, str(directory / 'access'), b'new@example.com REJECT\n', ATTRIBUTES)
    compiled = source + '.db'
    with open(compiled, 'wb') as handle:
        handle.write(b'new db\n')
    return table_build.Staged(source, str(directory / 'access'), [(compiled, str(directory / 'access.db'))], None, [])


def contents(directory):
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def test_a_table_whose_source_cannot_be_installed_keeps_its_old_compiled_file(tmp_path, monkeypatch):
    live_table(tmp_path)
    before = contents(tmp_path)
    staged = staged_table(tmp_path)
    real_install = atomic_file.install

    def full_disk_for_the_source(temp_path, path):
        if path.endswith('/access'):
            raise OSError(28, 'No space left on device', temp_path)
        real_install(temp_path, path)

    monkeypatch.setattr(atomic_file, 'install', full_disk_for_the_source)
    with pytest.raises(atomic_file.InstallError, match='access could not be replaced: No space left on device'):
        table_build.install(staged, True)
    monkeypatch.undo()
    assert contents(tmp_path) == before


def test_tables_installed_in_a_run_go_back_when_the_run_fails_later(tmp_path):
    live_table(tmp_path)
    before = contents(tmp_path)
    installation = atomic_file.Installation()
    table_build.install(staged_table(tmp_path), True, installation)
    assert (tmp_path / 'access.db').read_bytes() == b'new db\n'
    # main.cf could not be installed: the run puts the table back too.
    assert installation.undo() == []
    assert contents(tmp_path) == before


def test_compiled_files_go_live_before_the_source(tmp_path, monkeypatch):
    live_table(tmp_path)
    order = []
    real_install = atomic_file.install
    monkeypatch.setattr(atomic_file, 'install', lambda temp, path: order.append(os.path.basename(path))
                        or real_install(temp, path))
    table_build.install(staged_table(tmp_path), True)
    assert order == ['access.db', 'access']
    assert sorted(os.listdir(tmp_path)) == ['access', 'access.db']


def secret_plan():
    attributes = file_attributes.Attributes(os.getuid(), os.getgid(), 0o600)
    return table_job.Plan(content='[h]:587 u:New\n', build='[h]:587 u:New\n', entries=[], changes=None,
                          rebuild_reason=None, attributes=attributes, attribute_fixes=[], secret=True)


def test_the_backup_of_a_secret_table_is_0600_whatever_the_old_mode(tmp_path):
    path = tmp_path / 'sasl_passwd'
    path.write_bytes(b'[h]:587 u:OldSecret\n')
    path.chmod(0o644)
    staged = atomic_file.stage(MODULE, str(path), b'[h]:587 u:New\n',
                               file_attributes.Attributes(os.getuid(), os.getgid(), 0o600))
    files = table_build.Staged(staged, str(path), [], None, [])
    params = dict(table_job.DEFAULTS, path=str(path), secret_entries={'[h]:587': 'u:New'}, backup_keep=None)
    backup_file = table_job.install(MODULE, 'texthash', params, secret_plan(),
                                    table_job.Staged(files, []), backup=True)
    assert stat.S_IMODE(os.stat(backup_file).st_mode) == 0o600
    assert open(backup_file, 'rb').read() == b'[h]:587 u:OldSecret\n'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
