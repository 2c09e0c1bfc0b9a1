# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/fleet_report.py: the fleet report's merge and console table."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.fleet_report import log_merge, report_table
from ansible_collections.mailops.postfix.plugins.module_utils import log_stats
from ansible_collections.mailops.postfix.tests.unit.plugins.module_utils.test_log_stats import random_lines, raw_of


def test_log_merge_of_hosts_is_the_report_of_all_their_lines():
    host_a, host_b = random_lines(1, 300), random_lines(2, 200)
    # As the hosts' results reach the controller: JSON.
    raws = [json.loads(json.dumps(raw_of(b''.join(lines)))) for lines in (host_a, host_b)]
    merged = log_merge(raws + [None], 5)
    together = log_stats.report(raw_of(b''.join(host_a + host_b)), top=5)
    # The period of the hosts spans both; one file's is its first and last line.
    assert merged['period']['last'] >= together['period']['last']
    merged.pop('period')
    together.pop('period')
    assert merged == together
    assert merged['counts']['sent'] + merged['counts']['deferred'] + merged['counts']['bounced'] == 500


def test_log_merge_names_what_it_cannot_merge():
    with pytest.raises(AnsibleFilterError, match='log_merge: cannot merge postfix_log results of format'):
        log_merge([{'format': 'something else'}])


def test_report_table_aligns_the_rows():
    rows = [
        {'host': 'mx1.example.com', 'version': '3.7.11', 'frozen': False, 'queue': 12, 'oldest': 7200,
         'bounce_in': 424800, 'sent': 84209, 'delay': {'p50': 0.5, 'p90': 2.1, 'p99': 1108.0},
         'dominant': 'before_qmgr', 'relay_open': False, 'cert_days': 63},
        {'host': 'mx2', 'version': None, 'frozen': True, 'queue': None, 'oldest': None, 'bounce_in': None,
         'sent': None, 'delay': None, 'dominant': None, 'relay_open': True, 'cert_days': None},
    ]
    assert report_table(rows) == [
        'host             version  frozen  queue  oldest s  bounce in s  sent   p90 s  p99 s   dominant stage  relay '
        '  cert days',
        'mx1.example.com  3.7.11   no      12     7200      424800       84209  2.1    1108.0  before_qmgr     closed'
        '  63',
        'mx2              -        yes     -      -         -            -      -      -       -               OPEN  '
        '  -',
    ]
