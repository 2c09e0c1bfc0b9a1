# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/plugin_utils/domain_names.py."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.plugin_utils.domain_names import domain_name


@pytest.mark.parametrize('value, name', [
    ('example.com', 'example.com'),
    ('Example.COM.', 'example.com'),
    ('localhost', 'localhost'),
    ('_dmarc.example.org', '_dmarc.example.org'),
    ('a' * 63 + '.example', 'a' * 63 + '.example'),
])
def test_domain_names(value, name):
    assert domain_name(value) == name


@pytest.mark.parametrize('value', [None, 42, '', '.', 'example..com', 'example.com..', '-bad.example', 'bad-.example',
                                   'a' * 64 + '.example', 'example._com', '*.example.com', 'hash:/etc/postfix/domains',
                                   '$mydomain', 'two words.example', ('a' * 62 + '.') * 4 + 'example'])
def test_what_is_not_a_domain_name(value):
    assert domain_name(value) is None
