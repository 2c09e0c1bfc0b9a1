# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/restriction_checks.py: what postconf checks on a staged configuration."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.main_cf import ConfigValueError
from ansible_collections.mailops.postfix.plugins.module_utils.restriction_checks import RestrictionChecks

DEFAULTS = {
    'smtpd_relay_restrictions': 'permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination',
    'smtpd_recipient_restrictions': '',
    'mynetworks': '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128',
    'smtpd_restriction_classes': '',
    'permit_mx_backup_networks': '',
}
MASTER = 'smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd -o smtpd_relay_restrictions=%s\n'


class FakeRunner:
    """postconf on a staged directory: -nx from ``explicit``, -x NAME... from the defaults and ``explicit``."""

    def __init__(self, explicit, submission='permit_sasl_authenticated,reject'):
        self.explicit = explicit
        self.master = MASTER % submission

    def run(self, tool, options=(), args=(), config_dir=None):
        values = dict(DEFAULTS, **self.explicit)
        if options == ['non_default', 'expand']:
            return 0, ''.join('%s = %s\n' % item for item in self.explicit.items()), ''
        if options == ['expand']:
            return 0, ''.join('%s = %s\n' % (name, values.get(name, '')) for name in args), ''
        if options == ['map_types']:
            return 0, 'cidr\nhash\ninline\nlmdb\nstatic\n', ''
        if options == ['master']:
            return 0, self.master, ''
        if options == ['master_params', 'expand']:
            return 0, 'submission/inet/smtpd_relay_restrictions = %s\n' % self.master.split('=', 1)[1].strip(), ''
        raise AssertionError((tool, options, args))


def changes(**after):
    return {name: {'before': None, 'after': value} for name, value in after.items()}


def test_a_misspelt_restriction_is_refused_with_the_nearest_name():
    explicit = {'smtpd_recipient_restrictions': 'permit_mynetworks, reject_unknown_sender, reject_unauth_destination'}
    checks = RestrictionChecks(FakeRunner(explicit), (3, 7))
    with pytest.raises(ConfigValueError, match='did you mean reject_unknown_sender_domain'):
        checks.check('/stage', changes(**explicit), {})


def test_an_unchanged_list_is_not_judged():
    # A run that changes something else leaves a hand-made list to the operator.
    explicit = {'smtpd_helo_restrictions': 'reject_bogus', 'message_size_limit': '1'}
    RestrictionChecks(FakeRunner(explicit), (3, 7)).check('/stage', changes(message_size_limit='1'), {})


def test_an_open_relay_is_refused_and_named():
    explicit = {'smtpd_relay_restrictions': 'permit'}
    with pytest.raises(ConfigValueError, match=r'^main.cf makes an open relay: "permit" in smtpd_relay_restrictions'):
        RestrictionChecks(FakeRunner(explicit), (3, 7)).check('/stage', changes(**explicit), {})


def test_allow_open_relay_warns_instead():
    explicit = {'smtpd_relay_restrictions': 'permit'}
    checks = RestrictionChecks(FakeRunner(explicit), (3, 7), allow_open_relay=True)
    checks.check('/stage', changes(**explicit), {})
    assert any('open relay' in warning and 'allowed by allow_open_relay' in warning for warning in checks.warnings)


def test_the_forged_sender_relay_through_a_table_written_in_the_same_run():
    table = 'hash:/etc/postfix/privileged'
    explicit = {'smtpd_recipient_restrictions': 'check_sender_access %s, reject_unauth_destination' % table,
                'smtpd_relay_restrictions': ''}
    checks = RestrictionChecks(FakeRunner(explicit), (3, 7), access_tables={table: [('boss@example.com', 'OK')]})
    with pytest.raises(ConfigValueError, match='answers "OK" for boss@example.com'):
        checks.check('/stage', changes(**explicit), {})


def test_access_table_values_are_checked():
    checks = RestrictionChecks(FakeRunner({}), (3, 7), access_tables={'hash:/x': [('a@example.com', 'REJCT spam')]})
    with pytest.raises(ConfigValueError, match=r'hash:/x, key a@example.com'):
        checks.check('/etc/postfix', {}, {})


@pytest.mark.parametrize('submission, refused', [
    ('permit_sasl_authenticated,reject', False),
    ('permit', True),
])
def test_a_service_override_is_judged_with_main_cf(submission, refused):
    checks = RestrictionChecks(FakeRunner({}, submission), (3, 7))
    service_changes = {'submission/inet': {'before': None, 'after': 'submission inet ...'}}
    if refused:
        with pytest.raises(ConfigValueError, match='master.cf service submission/inet makes an open relay'):
            checks.check('/stage', {}, service_changes)
    else:
        checks.check('/stage', {}, service_changes)
