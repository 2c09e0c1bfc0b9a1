# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for config_stage.apply_changes on real files: the order main.cf and master.cf go live, and their rollback.

test_postfix_control.py checks both with a stage that only records what it
was asked to do; here the real StagedConfig writes the live files (only the
postconf edits and Postfix's checks are left out), and the tests look at the
live directory: what it holds at the moment each file goes live, and after a
reload that failed.
"""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.transaction import stage as config_stage
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError

NOT_RUNNING = 'postfix/postfix-script: the Postfix mail system is not running\n'
RELOAD_FAILED = 'postfix/postfix-script: fatal: the Postfix mail system is not running\n'


class Postfix:
    """postfix status and reload for an instance in a temporary directory; ``reload_fails``: reload answers rc 1."""

    def __init__(self, config_dir, running=True, reload_fails=False):
        self.config_dir = config_dir
        self.running = running
        self.reload_fails = reload_fails
        self.commands = []

    def run_with_terminal(self, tool, args=(), config_dir=None):
        command = args[0]
        self.commands.append(command)
        if command == 'status':
            return (0, '') if self.running else (1, NOT_RUNNING)
        if command == 'reload':
            return (1, RELOAD_FAILED) if self.reload_fails else (0, '')
        raise AssertionError('unexpected postfix %s' % command)


class FilesModule:
    """Enough of AnsibleModule for StagedConfig and atomic_file."""
    check_mode = False

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir

    @staticmethod
    def selinux_enabled():
        return False


class EditedStage(config_stage.StagedConfig):
    """The real stage, with the postconf edits made by hand and no Postfix to validate them."""

    def edit(self, **edits):
        with open('%s/master.cf' % self.path, 'a') as handle:
            handle.write('scan unix - - n - 10 smtp\n')
        with open('%s/main.cf' % self.path, 'a') as handle:
            handle.write('content_filter = scan:[127.0.0.1]:10025\n')

    def validate(self, **values):
        return []


OLD = {'main.cf': b'myhostname = mx.example.com\n', 'master.cf': b'smtp inet n - y - - smtpd\n'}


@pytest.fixture
def live(tmp_path, monkeypatch):
    directory = tmp_path / 'postfix'
    directory.mkdir()
    for name, content in OLD.items():
        (directory / name).write_bytes(content)
    monkeypatch.setattr(config_stage, 'StagedConfig', EditedStage)
    return directory


def apply_content_filter(tmp_path, runner):
    """A new master.cf service and the main.cf parameter that names it, in one transaction."""
    config_stage.apply_changes(FilesModule(str(tmp_path)), runner,
                               {'content_filter': {'before': None, 'after': 'scan:[127.0.0.1]:10025'}},
                               {'scan/unix': {'before': None, 'after': 'scan unix - - n - 10 smtp'}}, {})


def test_main_cf_goes_live_only_when_the_service_it_names_is_live(tmp_path, live, monkeypatch):
    seen = []
    real_write = config_stage.write_atomic

    def watching_write(module, path, content, mtime=None, installation=None):
        if path.endswith('/main.cf'):
            seen.append((live / 'master.cf').read_bytes())
        real_write(module, path, content, mtime=mtime, installation=installation)

    monkeypatch.setattr(config_stage, 'write_atomic', watching_write)
    apply_content_filter(tmp_path, Postfix(str(live)))
    assert seen == [OLD['master.cf'] + b'scan unix - - n - 10 smtp\n']
    assert (live / 'main.cf').read_bytes().endswith(b'content_filter = scan:[127.0.0.1]:10025\n')


def test_a_failed_reload_puts_both_previous_files_back(tmp_path, live):
    runner = Postfix(str(live), reload_fails=True)
    with pytest.raises(PostfixCommandError) as raised:
        apply_content_filter(tmp_path, runner)
    assert {name: (live / name).read_bytes() for name in OLD} == OLD
    assert str(raised.value) == ('postfix reload failed (rc=1): %s; nothing of this run is live (the previous %s/master.cf, '
                                 '%s/main.cf put back)' % (RELOAD_FAILED.strip(), live, live))
    assert (raised.value.rc, raised.value.stderr) == (1, RELOAD_FAILED)
    assert 'reload' in runner.commands
    assert sorted(path.name for path in live.iterdir()) == ['main.cf', 'master.cf']  # no staged file left


def test_a_successful_reload_keeps_the_new_files(tmp_path, live):
    runner = Postfix(str(live))
    apply_content_filter(tmp_path, runner)
    assert (live / 'master.cf').read_bytes() == OLD['master.cf'] + b'scan unix - - n - 10 smtp\n'
    assert [command for command in runner.commands if command != 'status'] == ['reload']
