# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for postfix_info's expand and assume: the host's settings as a pending change will leave them."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import ConfigValueError
from ansible_collections.mailops.postfix.plugins.modules.postfix_info import expanded


class RecordingRunner:
    """postconf as it answers -d and -x, recording the options it was given."""

    def __init__(self):
        self.calls = []

    def run(self, tool, options=(), args=()):
        self.calls.append((tool, list(options), list(args)))
        if options == ['defaults']:
            return 0, ''.join('%s = $myhostname, localhost.$mydomain, localhost\n' % name for name in args), ''
        return 0, ''.join('%s = value of %s\n' % (name, name) for name in args), ''


def test_assumed_settings_are_postconf_overrides_in_one_command():
    runner = RecordingRunner()
    values = expanded(runner, ['mydestination', 'virtual_alias_domains'],
                      {'myhostname': 'mx2.example.com', 'mydestination': ['$myhostname', 'localhost'],
                       'smtpd_helo_required': True})
    assert values == {'mydestination': 'value of mydestination', 'virtual_alias_domains': 'value of virtual_alias_domains'}
    assert runner.calls == [('postconf', ['expand', ('override', 'mydestination=$myhostname, localhost'),
                                          ('override', 'myhostname=mx2.example.com'),
                                          ('override', 'smtpd_helo_required=yes')],
                             ['mydestination', 'virtual_alias_domains'])]


def test_a_removed_setting_is_assumed_at_its_default():
    runner = RecordingRunner()
    expanded(runner, ['mydestination'], {'mydestination': None})
    assert runner.calls[0] == ('postconf', ['defaults'], ['mydestination'])
    assert runner.calls[1][1] == ['expand', ('override', 'mydestination=$myhostname, localhost.$mydomain, localhost')]


def test_nothing_to_expand_runs_nothing():
    runner = RecordingRunner()
    assert expanded(runner, [], {'myhostname': 'x'}) == {}
    assert runner.calls == []


@pytest.mark.parametrize('names, assume', [(['mydestination\nrelayhost'], {}), (['mydestination'], {'a b': 'x'}),
                                           (['mydestination'], {'myhostname': 'mx\nrelayhost = evil'})])
def test_bad_names_and_values_are_refused_before_postconf_runs(names, assume):
    runner = RecordingRunner()
    with pytest.raises(ConfigValueError):
        expanded(runner, names, assume)
    assert runner.calls == []
