# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for postfix_info's expand and assume: the host's settings as a pending change will leave them."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import ConfigValueError
from ansible_collections.mailops.postfix.plugins.modules.postfix_info import expanded


def test_assumed_settings_are_postconf_overrides_in_one_command(postfix):
    postfix.main_cf['virtual_alias_maps'] = 'hash:/etc/postfix/virtual'  # virtual_alias_domains is $virtual_alias_maps
    values = expanded(postfix, ['mydestination', 'virtual_alias_domains'],
                      {'myhostname': 'mx2.example.com', 'mydestination': ['$myhostname', 'localhost'],
                       'smtpd_helo_required': True})
    # Postfix's expansion, with the assumed settings in place of the live ones.
    assert values == {'mydestination': 'mx2.example.com, localhost', 'virtual_alias_domains': 'hash:/etc/postfix/virtual'}
    assert postfix.calls == [('postconf', ['expand', ('override', 'mydestination=$myhostname, localhost'),
                                           ('override', 'myhostname=mx2.example.com'),
                                           ('override', 'smtpd_helo_required=yes')],
                             ['mydestination', 'virtual_alias_domains'])]


def test_a_removed_setting_is_assumed_at_its_default(postfix):
    expanded(postfix, ['mydestination'], {'mydestination': None})
    assert postfix.calls[0] == ('postconf', ['defaults'], ['mydestination'])
    assert postfix.calls[1][1] == ['expand', ('override', 'mydestination=$myhostname, localhost.$mydomain, localhost')]


def test_nothing_to_expand_runs_nothing(postfix):
    assert expanded(postfix, [], {'myhostname': 'x'}) == {}
    assert postfix.calls == []


@pytest.mark.parametrize('names, assume', [(['mydestination\nrelayhost'], {}), (['mydestination'], {'a b': 'x'}),
                                           (['mydestination'], {'myhostname': 'mx\nrelayhost = evil'})])
def test_bad_names_and_values_are_refused_before_postconf_runs(postfix, names, assume):
    with pytest.raises(ConfigValueError):
        expanded(postfix, names, assume)
    assert postfix.calls == []
