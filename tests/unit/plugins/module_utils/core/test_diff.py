# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diffs postconf, postfix_freeze and postfix_map show, pinned byte for byte."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import parse_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.plan import plan_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.tables.plan import make_request, plan_content
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import KEY_VALUE, REGEXP, compare, entries_of, parse_source
from ansible_collections.mailops.postfix.plugins.module_utils.core.diff import (
    ENTRY_LIMIT,
    changed_entries,
    config_diffs,
    removed_files_diff,
    table_diff,
)
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.freeze import build_diff as freeze_diff
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text


def postconf_diff(config_dir, parameters, services):
    return config_diffs(config_dir, parameters, services)


def table_job_diff(table, changes, notes, secret):
    """The diff of a table job (postfix_map, postconf's tables)."""
    return table_diff(changed_entries(table), changes, secret, notes, limit=ENTRY_LIMIT)


def test_postconf_main_cf_and_master_cf():
    parameters = {'relayhost': {'before': '[old]:25', 'after': ''},
                  'mynetworks': {'before': None, 'after': '127.0.0.0/8, [::1]/128'},
                  'smtpd_banner': {'before': '$myhostname ESMTP', 'after': None}}
    services = {'submission/inet': {'before': None, 'after': 'submission inet n - y - - smtpd -o syslog_name=sub'},
                'pickup/unix': {'before': 'pickup unix n - y 60 1 pickup', 'after': None}}
    assert postconf_diff('/etc/postfix', parameters, services) == [
        {'before_header': '/etc/postfix/main.cf (changed entries)',
         'after_header': '/etc/postfix/main.cf (changed entries)',
         'before': 'relayhost = [old]:25\nsmtpd_banner = $myhostname ESMTP\n',
         'after': 'mynetworks = 127.0.0.0/8, [::1]/128\nrelayhost =\n'},
        {'before_header': '/etc/postfix/master.cf (changed entries)',
         'after_header': '/etc/postfix/master.cf (changed entries)',
         'before': 'pickup unix n - y 60 1 pickup\n',
         'after': 'submission inet n - y - - smtpd -o syslog_name=sub\n'}]
    assert postconf_diff('/etc/postfix', {}, {}) == []


# postconf's diff of real postconf output

def test_config_diffs_nothing_changed():
    assert config_diffs('/etc/postfix', {}, {}) == []


@pytest.mark.parametrize('version', VERSIONS)
def test_config_diffs_main_cf(version):
    changes = plan_parameters(current_parameters(version), {
        'relayhost': '[smtp.example.net]:587', 'biff': False, 'message_size_limit': 52428800,
        'inet_interfaces': 'loopback-only', 'mailbox_size_limit': 0}, 'present')
    changes.update(plan_parameters(current_parameters(version), {'recipient_delimiter': None}, 'absent'))
    assert config_diffs('/etc/postfix', changes, {}) == [{
        'before_header': '/etc/postfix/main.cf (changed entries)',
        'after_header': '/etc/postfix/main.cf (changed entries)',
        'before': 'inet_interfaces = all\nrecipient_delimiter = +\nrelayhost =\n',
        'after': 'inet_interfaces = loopback-only\nmessage_size_limit = 52428800\nrelayhost = [smtp.example.net]:587\n',
    }]


def test_config_diffs_both_files():
    parameter_changes = {'relayhost': {'before': '[old]:25', 'after': ''}}
    service_changes = {
        'submission/inet': {'before': None, 'after': 'submission inet n - y - - smtpd'},
        'pickup/unix': {'before': 'pickup unix n - y 60 1 pickup', 'after': None},
        'smtp/inet': {'before': 'smtp inet n - y - - smtpd', 'after': 'smtp inet n - n - - smtpd'},
    }
    diff = config_diffs('/srv/postfix-out', parameter_changes, service_changes)
    assert [item['before_header'] for item in diff] == ['/srv/postfix-out/main.cf (changed entries)',
                                                        '/srv/postfix-out/master.cf (changed entries)']
    assert all(set(item) == {'before', 'after', 'before_header', 'after_header'} for item in diff)
    assert all(item['before_header'] == item['after_header'] for item in diff)
    assert diff[0]['before'] == 'relayhost = [old]:25\n'
    assert diff[0]['after'] == 'relayhost =\n'
    assert diff[1]['before'] == 'pickup unix n - y 60 1 pickup\nsmtp inet n - y - - smtpd\n'
    assert diff[1]['after'] == 'smtp inet n - n - - smtpd\nsubmission inet n - y - - smtpd\n'


def test_config_diffs_master_cf_only():
    diff = config_diffs('/etc/postfix', {}, {'pickup/unix': {'before': 'pickup unix n - y 60 1 pickup', 'after': None}})
    assert diff == [{'before_header': '/etc/postfix/master.cf (changed entries)',
                     'after_header': '/etc/postfix/master.cf (changed entries)',
                     'before': 'pickup unix n - y 60 1 pickup\n', 'after': ''}]


def current_parameters(version):
    return parse_parameters(fixture_text(version, 'postconf-n.txt'))


def suspension(before_text, suspend, resume, text='Delivery suspended'):
    request = make_request('hash', dict.fromkeys(suspend, 'retry:4.4.1 ' + text), None, False, resume)
    return plan_content(request, before_text, '/etc/postfix/mailops-suspended')


def test_postfix_freeze_main_cf_and_suspension_table():
    changes = {'master_service_disable': {'before': None, 'after': 'qmgr/unix'},
               'in_flow_delay': {'before': '1s', 'after': '0'},
               'transport_maps': {'before': 'hash:/etc/postfix/transport',
                                  'after': 'hash:/etc/postfix/mailops-suspended, hash:/etc/postfix/transport'}}
    table = suspension('old.example retry:4.4.1 Delivery suspended\nkept.example retry:4.4.1 Old text\n',
                       ['new.example', 'kept.example'], ['old.example'])
    assert freeze_diff('/etc/postfix', changes, table, 'hash:/etc/postfix/mailops-suspended') == [
        {'before_header': '/etc/postfix/main.cf (changed entries)',
         'after_header': '/etc/postfix/main.cf (changed entries)',
         'before': 'in_flow_delay = 1s\ntransport_maps = hash:/etc/postfix/transport\n',
         'after': 'in_flow_delay = 0\nmaster_service_disable = qmgr/unix\n'
                  'transport_maps = hash:/etc/postfix/mailops-suspended, hash:/etc/postfix/transport\n'},
        {'before_header': 'hash:/etc/postfix/mailops-suspended',
         'after_header': 'hash:/etc/postfix/mailops-suspended',
         'before': 'old.example retry:4.4.1 Delivery suspended\nkept.example retry:4.4.1 Old text\n',
         'after': 'kept.example retry:4.4.1 Delivery suspended\nnew.example retry:4.4.1 Delivery suspended\n'}]


def test_postfix_freeze_table_unchanged_shows_main_cf_only():
    table = suspension('a.example retry:4.4.1 Delivery suspended\n', ['a.example'], [])
    assert table.content is None
    thaw = {'master_service_disable': {'before': 'qmgr/unix', 'after': None},
            'in_flow_delay': {'before': '0', 'after': None}}
    assert freeze_diff('/srv/postfix-out', thaw, table, 'hash:/srv/postfix-out/mailops-suspended') == [
        {'before_header': '/srv/postfix-out/main.cf (changed entries)',
         'after_header': '/srv/postfix-out/main.cf (changed entries)',
         'before': 'in_flow_delay = 0\nmaster_service_disable = qmgr/unix\n', 'after': ''}]


def test_postfix_freeze_shows_an_empty_value_as_postconf_does():
    # in_flow_delay set empty in main.cf by hand: "name =", as postconf -n and postconf's own diff show it.
    changes = {'in_flow_delay': {'before': '', 'after': '0'}}
    table = suspension(None, [], [])
    assert freeze_diff('/etc/postfix', changes, table, 'hash:/etc/postfix/mailops-suspended')[0]['before'] == (
        'in_flow_delay =\n')


def changes_between(before, after):
    return compare(entries_of(parse_source(before, KEY_VALUE)), entries_of(parse_source(after, KEY_VALUE)), KEY_VALUE)


def test_table_entries_with_notes():
    changes = changes_between('a OK\nb REJECT\nc OK\n', 'b DISCARD\nc OK\nd OK\n')
    notes = [('the file holds duplicate, malformed or if/endif lines', 'the file holds exactly the entries'),
             ('attributes of /etc/postfix/access differ', 'owner root, mode 0644')]
    assert table_job_diff('hash:/etc/postfix/access', changes, notes, secret=False) == {
        'before_header': 'hash:/etc/postfix/access (changed entries)',
        'after_header': 'hash:/etc/postfix/access (changed entries)',
        'before': 'a OK\nb REJECT\n# the file holds duplicate, malformed or if/endif lines\n'
                  '# attributes of /etc/postfix/access differ\n',
        'after': 'b DISCARD\nd OK\n# the file holds exactly the entries\n# owner root, mode 0644\n'}


def test_table_entries_of_a_secret_table():
    changes = changes_between('[a]:587 u:Old\n[b]:587 u:Gone\n', '[a]:587 u:New\n[c]:587 u:Added\n')
    assert table_job_diff('hash:/etc/postfix/sasl_passwd', changes, [], secret=True) == {
        'before_header': 'hash:/etc/postfix/sasl_passwd (changed entries)',
        'after_header': 'hash:/etc/postfix/sasl_passwd (changed entries)',
        'before': '[b]:587 ********\n[a]:587 ********\n',
        'after': '[a]:587 ******** (changed)\n[c]:587 ********\n'}


def test_table_entries_beyond_the_limit_are_counted():
    changes = changes_between('', ''.join('k%04d OK\n' % number for number in range(1003)))
    diff = table_job_diff('lmdb:/srv/big', changes, [], secret=False)
    assert diff['before'] == ''
    assert diff['after'] == ''.join('k%04d OK\n' % number for number in range(1000)) + '# ... and 3 more\n'


def test_rules_in_a_new_order():
    syntax = REGEXP
    before = entries_of(parse_source('/a/ OK\n/b/ REJECT\n', syntax))
    after = entries_of(parse_source('/b/ REJECT\n/a/ OK\n', syntax))
    diff = table_job_diff('regexp:/etc/postfix/checks', compare(before, after, syntax), [], secret=False)
    assert diff['before'] == '# rules in the previous order\n'
    assert diff['after'] == '# rules in the new order\n'


def test_postfix_map_removed_table():
    assert removed_files_diff('lmdb:/etc/postfix/old', ['/etc/postfix/old', '/etc/postfix/old.lmdb']) == {
        'before_header': 'lmdb:/etc/postfix/old', 'after_header': 'lmdb:/etc/postfix/old',
        'before': '/etc/postfix/old\n/etc/postfix/old.lmdb\n', 'after': ''}
