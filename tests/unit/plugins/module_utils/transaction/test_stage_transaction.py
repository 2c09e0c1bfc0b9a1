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

RELOAD_FAILED = 'postfix/postfix-script: fatal: the Postfix mail system is not running\n'


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
def live(tmp_path, monkeypatch, postfix, ansible_module):
    directory = tmp_path / 'postfix'
    directory.mkdir()
    for name, content in OLD.items():
        (directory / name).write_bytes(content)
    monkeypatch.setattr(config_stage, 'StagedConfig', EditedStage)
    postfix.config_dir, postfix.module = str(directory), ansible_module  # the fake Postfix's instance is here
    return directory


def apply_content_filter(runner):
    """A new master.cf service and the main.cf parameter that names it, in one transaction."""
    config_stage.apply_changes(runner.module, runner,
                               {'content_filter': {'before': None, 'after': 'scan:[127.0.0.1]:10025'}},
                               {'scan/unix': {'before': None, 'after': 'scan unix - - n - 10 smtp'}}, {})


def test_main_cf_goes_live_only_when_the_service_it_names_is_live(live, monkeypatch, postfix):
    seen = []
    real_write = config_stage.write_atomic

    def watching_write(module, path, content, mtime=None, installation=None):
        if path.endswith('/main.cf'):
            seen.append((live / 'master.cf').read_bytes())
        real_write(module, path, content, mtime=mtime, installation=installation)

    monkeypatch.setattr(config_stage, 'write_atomic', watching_write)
    apply_content_filter(postfix)
    assert seen == [OLD['master.cf'] + b'scan unix - - n - 10 smtp\n']
    assert (live / 'main.cf').read_bytes().endswith(b'content_filter = scan:[127.0.0.1]:10025\n')


def test_a_failed_reload_puts_both_previous_files_back(live, postfix):
    postfix.answers['reload'] = (1, RELOAD_FAILED)
    with pytest.raises(PostfixCommandError) as raised:
        apply_content_filter(postfix)
    assert {name: (live / name).read_bytes() for name in OLD} == OLD
    assert str(raised.value) == ('postfix reload failed (rc=1): %s; nothing of this run is live (the previous %s/master.cf, '
                                 '%s/main.cf put back)' % (RELOAD_FAILED.strip(), live, live))
    assert (raised.value.rc, raised.value.stderr) == (1, RELOAD_FAILED)
    assert 'reload' in postfix.commands
    assert sorted(path.name for path in live.iterdir()) == ['main.cf', 'master.cf']  # no staged file left


def test_a_successful_reload_keeps_the_new_files(live, postfix):
    apply_content_filter(postfix)
    assert (live / 'master.cf').read_bytes() == OLD['master.cf'] + b'scan unix - - n - 10 smtp\n'
    assert [command for command in postfix.commands if command != 'status'] == ['reload']


def test_the_reload_is_master_s_sighup_once_the_checks_have_read_main_cf(live, monkeypatch, postfix):
    # StagedConfig.validate() read the staged main.cf as postfix(1) reads it (postfix check, or for the
    # freeze read_as_postfix()), which is what postfix reload checks before its kill -HUP.
    signals = []
    monkeypatch.setattr(config_stage.postfix_control, 'master_pid', lambda runner: 308)
    monkeypatch.setattr(config_stage.postfix_control.os, 'kill', lambda pid, number: signals.append((pid, number)))
    apply_content_filter(postfix)
    assert signals == [(308, config_stage.postfix_control.signal.SIGHUP)]
    assert 'reload' not in postfix.commands
    assert (live / 'main.cf').read_bytes().endswith(b'content_filter = scan:[127.0.0.1]:10025\n')
