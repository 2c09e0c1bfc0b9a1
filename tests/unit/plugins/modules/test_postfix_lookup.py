# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the keys postfix_lookup hands to postmap -q -."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.build import TableError
from ansible_collections.mailops.postfix.plugins.modules.postfix_lookup import check_keys


def test_plain_keys_pass():
    check_keys(['spammer@example.net', '192.0.2.1', 'Subject: hello world', '@example.com'])


@pytest.mark.parametrize('key, message', [
    ('', 'is empty or contains a line break'),
    ('a\nb', 'is empty or contains a line break'),
    ('a\rb', 'is empty or contains a line break'),
    ('a\tb', 'contains a tab; postmap -q - answers "key TAB value"'),
])
def test_keys_postmap_cannot_take_one_per_line_are_refused(key, message):
    with pytest.raises(TableError, match=message):
        check_keys(['good@example.com', key])
