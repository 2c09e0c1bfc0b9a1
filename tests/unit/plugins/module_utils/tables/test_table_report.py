# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tables.job.report(): the diff note of a table whose source is rewritten without an entry change."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.tables import job as table_job
from ansible_collections.mailops.postfix.plugins.module_utils.tables.plan import NO_CHANGES


def header_only_plan(created):
    attributes = file_attributes.Attributes(os.getuid(), os.getgid(), 0o644)
    return table_job.Plan(content='# managed\n', build='# managed\n', entries=[], changes=NO_CHANGES,
                          rebuild_reason=None, attributes=attributes, attribute_fixes=[], secret=False,
                          created=created)


@pytest.mark.parametrize('created, before, after', [
    # An empty table that does not exist yet (the relay role's sender relayhosts on a fresh host).
    (True, '# no table\n', '# an empty table\n'),
    # An existing file with lines that are not entries, rewritten.
    (False, '# the file holds duplicate, malformed or if/endif lines\n', '# the file holds exactly the entries\n'),
])
def test_a_rewrite_without_entry_changes_says_why(created, before, after):
    params = dict(table_job.DEFAULTS, path='/etc/postfix/relay_sender_relayhost')
    result = {'table': 'hash:/etc/postfix/relay_sender_relayhost'}
    table_job.report(result, 'hash', params, header_only_plan(created), True)
    assert result['changed']
    assert result['diff']['before'].endswith(before)
    assert result['diff']['after'].endswith(after)
