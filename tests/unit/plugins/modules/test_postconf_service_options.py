# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for how postconf merges a service's -o options into an entry that master.cf already has.

test_master_cf.py checks the merge on a made-up entry; here the entry is one
that Postfix printed (postconf -M of 3.7 and 3.10), and the check is the line
postconf would write: each option stays where it was, a changed one keeps its
place with the new value, a new one goes after the others and before the
arguments, and Postfix reading that line sees the requested values.
"""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import parse_entries, parse_entry
from ansible_collections.mailops.postfix.plugins.modules.postconf import plan_services
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text

SPACED_BEFORE = ('spaced unix - - n - - smtpd -o { smtpd_recipient_restrictions = permit_mynetworks, reject } '
                 '-o syslog_name=postfix/spaced -v')


def captured_services(version):
    return parse_entries(fixture_text(version, 'postconf-M-custom.txt'))[0]


def spaced(options, name='spaced', service_type='unix'):
    """A services[] item for a captured entry ("spaced" by default), as AnsibleModule hands it over."""
    return {'service': name, 'type': service_type, 'private': None, 'unprivileged': None, 'chroot': None,
            'wakeup': None, 'process_limit': None, 'command': None, 'args': None, 'options': options,
            'state': 'present'}


@pytest.mark.parametrize('version', VERSIONS)
def test_a_changed_option_keeps_its_place_and_a_new_one_goes_last(version):
    changes = plan_services(captured_services(version), [spaced({
        'smtpd_milters': 'inet:127.0.0.1:8891',
        'smtpd_recipient_restrictions': 'permit_mynetworks, reject_unauth_destination',
    })])
    assert changes == {'spaced/unix': {
        'before': SPACED_BEFORE,
        'after': 'spaced unix - - n - - smtpd '
                 '-o { smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination } '
                 '-o syslog_name=postfix/spaced -o smtpd_milters=inet:127.0.0.1:8891 -v'}}


@pytest.mark.parametrize('version', VERSIONS)
def test_options_keep_the_order_of_the_file_not_an_alphabetical_one(version):
    changes = plan_services(captured_services(version), [spaced(
        {'smtpd_tls_security_level': 'encrypt', 'syslog_name': 'postfix/msa'}, 'submission', 'inet')])
    assert changes == {'submission/inet': {
        'before': 'submission inet n - y - - smtpd -o syslog_name=postfix/submission -o smtpd_fooo=1',
        'after': 'submission inet n - y - - smtpd -o syslog_name=postfix/msa -o smtpd_fooo=1 '
                 '-o smtpd_tls_security_level=encrypt'}}


@pytest.mark.parametrize('version', VERSIONS)
def test_the_requested_value_is_what_postfix_reads(version):
    # Postfix takes the last -o of a name; the merged line has one per name, with the requested value.
    after = plan_services(captured_services(version), [spaced({'syslog_name': 'postfix/filtered'})])['spaced/unix']['after']
    assert after.count('syslog_name=') == 1
    assert parse_entry(after)['options'] == {
        'smtpd_recipient_restrictions': 'permit_mynetworks, reject', 'syslog_name': 'postfix/filtered'}
    assert list(parse_entry(after)['options']) == list(parse_entry(SPACED_BEFORE)['options'])


@pytest.mark.parametrize('version', VERSIONS)
def test_removing_the_first_option_leaves_the_others_in_order(version):
    changes = plan_services(captured_services(version), [spaced({'smtpd_recipient_restrictions': None,
                                                                 'smtpd_client_restrictions': 'permit_mynetworks'})])
    assert changes['spaced/unix']['after'] == ('spaced unix - - n - - smtpd -o syslog_name=postfix/spaced '
                                               '-o smtpd_client_restrictions=permit_mynetworks -v')
