# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for table_source.shown_key: a hand-made line of a secret table that holds its password in its key.

A sasl_passwd line is "[host]:port user:password". Written by hand with the
whole line quoted, Postfix reads the quoted text, password included, as the
key, and what follows as the value; so a key with white space in it is a
line that went wrong, and is named by its line number only, wherever keys are
shown: changed_keys, the diff, and errors.
"""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.job import build_diff, summarize_changes
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import (
    KEY_VALUE,
    TableSourceError,
    check_unique,
    compare,
    entries_of,
    parse_source,
    shown_key,
)

GOOD = '[smtp.example.net]:587 relayuser:KeptPassword\n'


@pytest.mark.parametrize('line', [
    pytest.param('"[h]:587 user:Secret" x', id='quoted-with-space-and-a-value'),
    pytest.param('"[h]:587\tuser:Secret"  x', id='quoted-with-tab-and-a-value'),
    pytest.param('"[h]:587 user:Secret x', id='unbalanced-quote'),
    pytest.param('[h]:587user:Secret', id='no-space'),
])
def test_a_malformed_secret_line_is_named_by_its_number(line):
    entry = entries_of(parse_source(GOOD + line + '\n', KEY_VALUE))[1]
    assert 'Secret' in entry.key  # as Postfix reads it: the password is part of the key
    assert shown_key(entry, secret=True) == '(malformed line 2, hidden)'
    assert shown_key(entry, secret=False) == entry.key


def test_a_well_formed_secret_line_shows_its_key():
    entry = entries_of(parse_source(GOOD, KEY_VALUE))[0]
    assert shown_key(entry, secret=True) == '[smtp.example.net]:587'


def test_removing_a_quoted_secret_line_shows_no_password():
    before = entries_of(parse_source(GOOD + '"[h]:587 user:Secret" x\n', KEY_VALUE))
    after = entries_of(parse_source(GOOD, KEY_VALUE))
    changes = compare(before, after, KEY_VALUE)
    result = {}
    summarize_changes(result, changes, secret=True)
    diff = build_diff('hash:/etc/postfix/sasl_passwd', changes, [], secret=True)
    assert result['changed_keys'] == ['(malformed line 2, hidden)']
    assert diff['before'] == '(malformed line 2, hidden) ********\n'
    assert diff['after'] == ''
    assert 'Secret' not in repr(result) + repr(diff)


def test_a_duplicate_quoted_secret_line_is_refused_without_its_password():
    entries = entries_of(parse_source('"[h]:587 user:Secret" x\n"[H]:587 user:Secret" y\n', KEY_VALUE))
    with pytest.raises(TableSourceError) as error:
        check_unique(entries, KEY_VALUE, secret=True)
    assert str(error.value) == ("duplicate key '(malformed line 2, hidden)' (also given as '(malformed line 1, hidden)') "
                                "at line 2: Postfix would use only the first")
    assert 'Secret' not in str(error.value)
