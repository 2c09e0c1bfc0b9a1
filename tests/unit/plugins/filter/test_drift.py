# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/drift.py: the drift report from postconf's check-mode result."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.drift import FilterModule, drift_report, drift_text

# A postconf result as the site's transaction returns it in check mode on a host that drifted.
DRIFTED = {
    'changed': True,
    'changes': {'delay_warning_time': {'before': '1h', 'after': '4h'}},
    'service_changes': {'2525/inet': {'before': '2525 inet n - n - 5 smtpd', 'after': '2525 inet n - n - - smtpd'}},
    'pending_reload': False,
    'tables': [
        {'table': 'hash:/etc/postfix/relay_transport', 'changed': True, 'secret': False,
         'changes': {'added': 1, 'removed': 0, 'changed': 0, 'reordered': False},
         'entry_changes': [{'key': 'routed.example', 'before': None, 'after': 'relay:[127.0.0.1]:587'}]},
        {'table': 'hash:/etc/postfix/sasl_passwd', 'changed': True, 'secret': True,
         'changes': {'added': 0, 'removed': 0, 'changed': 1, 'reordered': False},
         'entry_changes': [{'key': '[127.0.0.1]:587', 'before': '********', 'after': '********'}]},
        {'table': 'hash:/etc/postfix/rejected_senders', 'changed': False, 'secret': False,
         'changes': {'added': 0, 'removed': 0, 'changed': 0, 'reordered': False}, 'entry_changes': []},
        {'table': 'pcre:/etc/postfix/archive_sender', 'changed': True, 'secret': False, 'rebuild_reason': None,
         'changes': {'added': 0, 'removed': 0, 'changed': 0, 'reordered': True}, 'entry_changes': []},
    ],
}
CONVERGED = {'changed': False, 'changes': {}, 'service_changes': {}, 'pending_reload': False,
             'tables': [dict(DRIFTED['tables'][2])]}


def test_each_difference_with_the_host_value_and_the_inventory_value():
    report = drift_report([{'host': 'mx1', 'result': DRIFTED}, {'host': 'mx2', 'result': CONVERGED}])
    assert report['drift'] is True
    mx1 = report['hosts']['mx1']
    assert mx1['parameters'] == [{'name': 'delay_warning_time', 'host': '1h', 'inventory': '4h'}]
    assert mx1['services'] == [{'service': '2525/inet', 'host': '2525 inet n - n - 5 smtpd',
                                'inventory': '2525 inet n - n - - smtpd'}]
    assert mx1['table_entries'] == [
        {'table': 'hash:/etc/postfix/relay_transport', 'key': 'routed.example', 'host': None,
         'inventory': 'relay:[127.0.0.1]:587', 'secret': False},
        {'table': 'hash:/etc/postfix/sasl_passwd', 'key': '[127.0.0.1]:587', 'host': '********',
         'inventory': '********', 'secret': True},
    ]
    assert mx1['tables'] == [{'table': 'pcre:/etc/postfix/archive_sender', 'difference': 'the rules are in another order'}]
    assert report['hosts']['mx2'] == {'drift': False, 'error': None, 'parameters': [], 'services': [],
                                      'table_entries': [], 'tables': [], 'reload': False}


def test_no_drift_on_converged_hosts():
    assert drift_report([{'host': 'mx2', 'result': CONVERGED}])['drift'] is False
    assert drift_text(drift_report([{'host': 'mx2', 'result': CONVERGED}])) == ['mx2: no drift']


def test_a_host_not_checked_counts_as_drift():
    report = drift_report([{'host': 'mx3', 'result': None, 'error': 'unreachable'},
                           {'host': 'mx4', 'result': {'failed': True, 'msg': 'postfix check failed'}},
                           {'host': 'mx2', 'result': CONVERGED}])
    assert report['drift'] is True
    assert report['hosts']['mx3']['error'] == 'unreachable'
    assert report['hosts']['mx4']['error'] == 'postfix check failed'
    assert drift_text(report)[0] == 'mx2: no drift'
    assert drift_text(report)[1:] == ['mx3: not checked: unreachable', 'mx4: not checked: postfix check failed']


def test_a_pending_reload_is_drift():
    result = dict(CONVERGED, pending_reload=True)
    assert drift_report([{'host': 'mx1', 'result': result}])['hosts']['mx1']['reload'] is True
    assert drift_report([{'host': 'mx1', 'result': result}])['drift'] is True


def test_what_else_differs_in_a_table():
    tables = [{'table': 'hash:/etc/postfix/a', 'changed': True, 'rebuild_reason': '/etc/postfix/a.db is older than its source',
               'changes': {'added': 0, 'removed': 0, 'changed': 0, 'reordered': False}, 'entry_changes': []},
              {'table': 'hash:/etc/postfix/b', 'changed': True,
               'changes': {'added': 0, 'removed': 0, 'changed': 0, 'reordered': False}, 'entry_changes': []},
              {'table': 'hash:/etc/postfix/c', 'changed': True,
               'changes': {'added': 101, 'removed': 0, 'changed': 0, 'reordered': False},
               'entry_changes': [{'key': 'k%d' % number, 'before': None, 'after': 'OK'} for number in range(100)]}]
    drift = drift_report([{'host': 'mx1', 'result': dict(CONVERGED, tables=tables)}])['hosts']['mx1']
    assert drift['tables'] == [
        {'table': 'hash:/etc/postfix/a', 'difference': '/etc/postfix/a.db is older than its source'},
        {'table': 'hash:/etc/postfix/b', 'difference': 'the file differs (its layout or attributes), not its entries'},
        {'table': 'hash:/etc/postfix/c', 'difference': '1 more entries differ than are listed'},
    ]
    assert len(drift['table_entries']) == 100


def test_the_text_names_each_difference():
    lines = drift_text(drift_report([{'host': 'mx1', 'result': DRIFTED}]))
    assert "mx1: main.cf delay_warning_time: host '1h', inventory '4h'" in lines
    assert "mx1: hash:/etc/postfix/relay_transport routed.example: host absent, inventory 'relay:[127.0.0.1]:587'" in lines
    assert "mx1: hash:/etc/postfix/sasl_passwd [127.0.0.1]:587: host '********', inventory '********'" in lines


def test_not_a_postconf_result_is_an_error():
    with pytest.raises(AnsibleFilterError, match='not a mailops.postfix.postconf result'):
        drift_report([{'host': 'mx1', 'result': {'changes': {'x': 'not a change'}}}])


def test_the_filters_are_registered():
    assert set(FilterModule().filters()) == {'drift_report', 'drift_text'}
