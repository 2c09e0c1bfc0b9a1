# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for postfix_info's relay report: postconf's verdicts, the open one first."""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.relay_guard import Verdict
from ansible_collections.mailops.postfix.plugins.modules import postfix_info

CLOSED = Verdict(False, True, None, None, 'rejected', ['main warning'], {})
UNDECIDED = Verdict(True, False, 'smtpd_relay_restrictions', 'check_policy_service inet:127.0.0.1:1',
                    'the open-relay guard cannot tell whether an outside client can relay: ...', [], {})
OPEN = Verdict(True, True, 'smtpd_recipient_restrictions', 'permit', 'permit accepts every request', [], {})


class FakeChecks:
    """RestrictionChecks whose relay_verdicts() gives ``verdicts``."""

    verdicts = []

    def __init__(self, runner, version):
        self.version = version

    def relay_verdicts(self, config_dir):
        return self.verdicts


class FakeRunner:
    config_dir = '/etc/postfix'


def report(monkeypatch, verdicts):
    monkeypatch.setattr(postfix_info, 'RestrictionChecks', FakeChecks)
    monkeypatch.setattr(FakeChecks, 'verdicts', verdicts)
    return postfix_info.relay_report(FakeRunner(), '3.10.13')


def test_closed(monkeypatch):
    assert report(monkeypatch, [('main.cf', CLOSED)]) == {
        'open': False, 'decided': True, 'where': None, 'parameter': None, 'element': None, 'reason': 'rejected',
        'warnings': ['main.cf: main warning']}


def test_undecided_is_reported_open_and_not_decided(monkeypatch):
    result = report(monkeypatch, [('main.cf', CLOSED), ('master.cf service submission/inet', UNDECIDED)])
    assert (result['open'], result['decided'], result['where']) == (True, False, 'master.cf service submission/inet')
    assert result['reason'].startswith('the open-relay guard cannot tell')


def test_a_decided_open_verdict_comes_before_an_undecided_one(monkeypatch):
    result = report(monkeypatch, [('main.cf', UNDECIDED), ('master.cf service 2525/inet', OPEN),
                                  ('master.cf service submission/inet', OPEN)])
    assert (result['open'], result['decided'], result['where'], result['element']) == (
        True, True, 'master.cf service 2525/inet', 'permit')
