# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for secrets.py: secret tables show no values, nor malformed lines, in results and diffs."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import (
    KEY_VALUE,
    compare,
    entries_of,
    parse_source,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.diff import table_diff
from ansible_collections.mailops.postfix.plugins.module_utils.core.secrets import (
    MASK,
    hide_table_values,
    scrub,
    shown_key,
)
from ansible_collections.mailops.postfix.plugins.module_utils.tables.job import summarize_changes

# A line written by hand with an unbalanced quote: the rest of the line, password included, becomes its key.
BEFORE = '[smtp.example.net]:587 relayuser:OldSecret\n"[broken.example]:587 relayuser:HandSecret\n'
AFTER = '[smtp.example.net]:587 relayuser:NewSecret\n'


def changes():
    return compare(entries_of(parse_source(BEFORE, KEY_VALUE)), entries_of(parse_source(AFTER, KEY_VALUE)), KEY_VALUE)


def test_secret_table_shows_neither_values_nor_malformed_lines():
    result = {}
    summarize_changes(result, changes(), secret=True)
    diff = table_diff('hash:/etc/postfix/sasl_passwd', changes(), secret=True)
    shown = repr(result) + repr(diff)
    for secret in ('OldSecret', 'NewSecret', 'HandSecret'):
        assert secret not in shown
    assert sorted(result['changed_keys']) == ['(malformed line 2, hidden)', '[smtp.example.net]:587']
    # A new password for a key: the same mask on both sides, and the after side says it changed.
    assert '[smtp.example.net]:587 ********\n' in diff['before']
    assert '[smtp.example.net]:587 ******** (changed)\n' in diff['after']


def test_other_tables_show_keys_as_they_are():
    result = {}
    summarize_changes(result, changes(), secret=False)
    assert '"[broken.example]:587 relayuser:HandSecret' in result['changed_keys']


# sasl_passwd lines written by hand without the space: the whole line, password included, is the key; with a
# space in the password, its first word is in the key.
NO_SPACE = ('[smtp.example.net]:587 relayuser:Kept\n[old.example.net]:25relay:SpaceSecret\n'
            '[third.example]:587relay:First Second\n')


def test_secret_table_names_a_line_without_space_by_number_only():
    removed = compare(entries_of(parse_source(NO_SPACE, KEY_VALUE)),
                      entries_of(parse_source('[smtp.example.net]:587 relayuser:Kept\n', KEY_VALUE)), KEY_VALUE)
    result = {}
    summarize_changes(result, removed, secret=True)
    diff = table_diff('hash:/etc/postfix/sasl_passwd', removed, secret=True)
    for secret in ('SpaceSecret', 'First', 'Second'):
        assert secret not in repr(result) + repr(diff)
    assert sorted(result['changed_keys']) == ['(malformed line 2, hidden)', '(malformed line 3, hidden)']
    assert sorted(diff['before'].splitlines()) == ['(malformed line 2, hidden) ********',
                                                   '(malformed line 3, hidden) ********']


@pytest.mark.parametrize('key', ['[smtp.example.net]:587', 'smtp.example.net:25', 'example.net', 'user@example.net',
                                 '@example.net', '[2001:db8::1]:587'])
def test_secret_table_shows_keys_of_destinations(key):
    entry = entries_of(parse_source('%s relay:Secret\n' % key, KEY_VALUE))[0]
    assert shown_key(entry, secret=True) == key


def test_hide_table_values_hides_values_and_shows_keys(ansible_module):
    # As Ansible hands secret_entries over: every string of the no_log option is hidden.
    ansible_module.no_log_values = {'[smtp.example.net]:587', 'relay:Secret1', 'u2', 'p2'}
    hide_table_values(ansible_module, {'[smtp.example.net]:587': 'relay:Secret1', '[b.example]:25': ['u2', 'p2']})
    assert ansible_module.no_log_values == {'relay:Secret1', 'u2', 'p2'}


def test_hide_table_values_hides_the_values_of_entries_given_as_text(ansible_module):
    text = '{"[smtp.example.net]:587": "relay:Secret1"}'
    ansible_module.no_log_values = {text}
    hide_table_values(ansible_module, [{'key': '[smtp.example.net]:587', 'value': 'relay:Secret1'}])
    assert ansible_module.no_log_values == {text, 'relay:Secret1'}


def test_secret_diff_marks_changed_values_only():
    added_and_changed = compare(
        entries_of(parse_source('[a.example]:587 u:Old\n', KEY_VALUE)),
        entries_of(parse_source('[a.example]:587 u:New\n[b.example]:587 u:Added\n', KEY_VALUE)), KEY_VALUE)
    diff = table_diff('hash:/etc/postfix/sasl_passwd', added_and_changed, secret=True)
    assert diff['before'] == '[a.example]:587 ********\n'
    assert diff['after'] == '[a.example]:587 ******** (changed)\n[b.example]:587 ********\n'


def test_scrub_replaces_every_secret_with_the_one_mask():
    assert MASK == '********'
    assert scrub('535 5.7.8 AUTH failed for cGFzcw== (pass)', ['pass', 'cGFzcw==']) == (
        '535 5.7.8 AUTH failed for ******** (********)')


def test_entry_changes_of_a_secret_table_say_which_entry_differs_without_a_value():
    result = {}
    summarize_changes(result, changes(), secret=True)
    assert 'OldSecret' not in repr(result) and 'NewSecret' not in repr(result) and 'HandSecret' not in repr(result)
    assert result['secret'] is True
    assert sorted(result['entry_changes'], key=lambda item: item['key']) == [
        {'key': '(malformed line 2, hidden)', 'before': MASK, 'after': None},
        {'key': '[smtp.example.net]:587', 'before': MASK, 'after': MASK},
    ]


def test_entry_changes_of_other_tables_give_both_values():
    result = {}
    summarize_changes(result, changes(), secret=False)
    assert result['secret'] is False
    assert {'key': '[smtp.example.net]:587', 'before': 'relayuser:OldSecret', 'after': 'relayuser:NewSecret'} in (
        result['entry_changes'])
