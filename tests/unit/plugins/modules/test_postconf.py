# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the pure planning functions of the postconf module, on real postconf output."""

from __future__ import annotations

import copy
import re

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import ConfigValueError, current_values, parse_parameters
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import parse_entries, parse_entry
from ansible_collections.mailops.postfix.plugins.modules.postconf import (
    TABLES_SPEC,
    check_unset,
    access_table_entries,
    build_diff,
    plan_parameters,
    plan_removals,
    plan_services,
    requested_parameters,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text

SERVICE_KEYS = ('service', 'type', 'private', 'unprivileged', 'chroot', 'wakeup', 'process_limit', 'command', 'args',
                'options')


def current_parameters(version, name='postconf-n.txt'):
    return parse_parameters(fixture_text(version, name))


def current_services(version, name='postconf-M.txt'):
    return parse_entries(fixture_text(version, name))[0]


def module_params(**params):
    """Module parameters as AnsibleModule hands them over (unset options are None)."""
    return dict({'name': None, 'value': None, 'parameters': None, 'state': 'present'}, **params)


def service(**spec):
    """A services[] item as AnsibleModule hands it over: every suboption present, state defaulting to present."""
    return dict(dict.fromkeys(SERVICE_KEYS, None), **dict({'state': 'present'}, **spec))


def apply(current, changes):
    """The services after the planned changes, as the next postconf -M would show them."""
    result = dict(current)
    for key, change in changes.items():
        if change['after'] is None:
            del result[key]
        else:
            result[key] = parse_entry(change['after'])
    return result


# ---------------------------------------------------------------------------
# requested_parameters

@pytest.mark.parametrize('params, expected', [
    pytest.param({'name': 'relayhost', 'value': '[smtp.example.net]:587'}, {'relayhost': '[smtp.example.net]:587'},
                 id='name-value'),
    pytest.param({'name': 'relayhost', 'state': 'absent'}, {'relayhost': None}, id='name-absent'),
    pytest.param({'parameters': {'biff': False, 'mynetworks': ['127.0.0.0/8']}},
                 {'biff': False, 'mynetworks': ['127.0.0.0/8']}, id='mapping'),
    pytest.param({'parameters': {'relayhost': 'x'}, 'state': 'absent'}, {'relayhost': 'x'}, id='mapping-absent'),
    pytest.param({'parameters': ['relayhost', 'smtp_sasl_auth_enable'], 'state': 'absent'},
                 {'relayhost': None, 'smtp_sasl_auth_enable': None}, id='list-absent'),
    pytest.param({}, {}, id='services-only'),
])
def test_requested_parameters(params, expected):
    assert requested_parameters(module_params(**params)) == expected


@pytest.mark.parametrize('params', [
    {'parameters': ['relayhost']},
    {'parameters': 'relayhost', 'state': 'absent'},
    {'parameters': 42},
])
def test_requested_parameters_rejects(params):
    with pytest.raises(ConfigValueError, match='parameters must be a mapping'):
        requested_parameters(module_params(**params))


# ---------------------------------------------------------------------------
# plan_parameters

@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('requested, expected', [
    pytest.param({'relayhost': ''}, {}, id='empty-value-unchanged'),
    pytest.param({'relayhost': None}, {}, id='none-is-empty'),
    pytest.param({'relayhost': '[smtp.example.net]:587'},
                 {'relayhost': {'before': '', 'after': '[smtp.example.net]:587'}}, id='set-empty-value'),
    pytest.param({'biff': False, 'mailbox_size_limit': 0, 'myhostname': ' mx.testbed.example '}, {}, id='normalized-equal'),
    pytest.param({'biff': True}, {'biff': {'before': 'no', 'after': 'yes'}}, id='bool-changed'),
    pytest.param({'mynetworks': ['127.0.0.0/8', '[::ffff:127.0.0.0]/104', '[::1]/128']}, {}, id='list-separators-ignored'),
    pytest.param({'mynetworks': ['127.0.0.0/8', '[::1]/128']},
                 {'mynetworks': {'before': '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128',
                                 'after': '127.0.0.0/8, [::1]/128'}}, id='list-changed'),
    pytest.param({'mynetworks': '127.0.0.0/8, [::ffff:127.0.0.0]/104, [::1]/128'},
                 {'mynetworks': {'before': '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128',
                                 'after': '127.0.0.0/8, [::ffff:127.0.0.0]/104, [::1]/128'}}, id='string-is-exact-text'),
    pytest.param({'message_size_limit': 52428800, 'smtpd_helo_required': True},
                 {'message_size_limit': {'before': None, 'after': '52428800'},
                  'smtpd_helo_required': {'before': None, 'after': 'yes'}}, id='new-parameters'),
    pytest.param({'smtpd_sasl_auth_enable': None}, {'smtpd_sasl_auth_enable': {'before': None, 'after': ''}},
                 id='new-empty-parameter'),
])
def test_plan_parameters_present(version, requested, expected):
    assert plan_parameters(current_parameters(version), requested, 'present') == expected


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('requested, expected', [
    pytest.param({'relayhost': None}, {'relayhost': {'before': '', 'after': None}}, id='empty-value-removed'),
    pytest.param({'biff': 'ignored', 'message_size_limit': None}, {'biff': {'before': 'no', 'after': None}},
                 id='values-ignored-unset-skipped'),
    pytest.param({'message_size_limit': None}, {}, id='not-set'),
    pytest.param({'mynetworks': None, 'myhostname': None},
                 {'mynetworks': {'before': '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128', 'after': None},
                  'myhostname': {'before': 'mx.testbed.example', 'after': None}}, id='several'),
])
def test_plan_parameters_absent(version, requested, expected):
    assert plan_parameters(current_parameters(version), requested, 'absent') == expected


@pytest.mark.parametrize('requested, state, message', [
    pytest.param({'relayhost': 'x\nmynetworks = 0.0.0.0/0'}, 'present', 'newline or control character', id='injection'),
    pytest.param({'relayhost': 'x\rmynetworks = 0.0.0.0/0'}, 'present', 'newline or control character', id='cr-injection'),
    pytest.param({'mynetworks': ['127.0.0.0/8', '0.0.0.0/0\nrelayhost = evil']}, 'present', 'newline or control character',
                 id='injection-in-list'),
    pytest.param({'relayhost': {'host': 'x'}}, 'present', 'unsupported type', id='bad-type'),
    pytest.param({'relay host': 'x'}, 'present', 'invalid parameter name', id='bad-name'),
    pytest.param({'mynetworks = 0.0.0.0/0\nrelayhost': 'x'}, 'present', 'invalid parameter name', id='name-injection'),
    pytest.param({'relay-host': None}, 'absent', 'invalid parameter name', id='bad-name-absent'),
])
def test_plan_parameters_rejects(requested, state, message):
    with pytest.raises(ConfigValueError, match=message):
        plan_parameters(current_parameters('3.10'), requested, state)


@pytest.mark.parametrize('version', VERSIONS)
def test_plan_parameters_user_defined_is_idempotent(version):
    # postconf -n leaves out the unused foo_bar that main.cf has (see capture.sh);
    # current_values takes it from main.cf itself.
    postconf_n = fixture_text(version, 'postconf-n-custom.txt')
    assert 'foo_bar' not in parse_parameters(postconf_n)
    current = current_values(postconf_n, lambda: 'foo_bar = 1\n', ['foo_bar'])
    assert plan_parameters(current, {'foo_bar': 1}, 'present') == {}
    assert plan_parameters(current, {'foo_bar': None}, 'absent') == {'foo_bar': {'before': '1', 'after': None}}


# ---------------------------------------------------------------------------
# plan_services

SUBMISSION = service(service='submission', type='inet', private=False, chroot=True, command='smtpd',
                     options={'syslog_name': 'postfix/submission', 'smtpd_tls_security_level': 'encrypt',
                              'smtpd_sasl_auth_enable': True})


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('specs, expected', [
    pytest.param([service(service='smtp', type='inet', private='n', chroot='y', command='smtpd')], {}, id='unchanged'),
    pytest.param([service(service='smtp', type='inet')], {}, id='key-only-unchanged'),
    pytest.param([service(service='smtp', type='inet', chroot=False)],
                 {'smtp/inet': {'before': 'smtp inet n - y - - smtpd', 'after': 'smtp inet n - n - - smtpd'}}, id='field'),
    pytest.param([SUBMISSION],
                 {'submission/inet': {'before': None, 'after': 'submission inet n - y - - smtpd -o syslog_name=postfix/submission '
                                                               '-o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes'}},
                 id='new'),
    pytest.param([service(service='pickup', type='unix', state='absent')],
                 {'pickup/unix': {'before': 'pickup unix n - y 60 1 pickup', 'after': None}}, id='absent'),
    pytest.param([service(service='submission', type='inet', state='absent')], {}, id='absent-missing'),
    pytest.param([service(service='smtp', type='inet', options={'smtpd_milters': None})], {}, id='remove-missing-option'),
    pytest.param([service(service='smtp', type='inet', options={'smtpd_recipient_restrictions': ['permit_mynetworks', 'reject']}),
                  service(service='smtp', type='unix', args=['-v'])],
                 {'smtp/inet': {'before': 'smtp inet n - y - - smtpd',
                                'after': 'smtp inet n - y - - smtpd -o { smtpd_recipient_restrictions = permit_mynetworks, reject }'},
                  'smtp/unix': {'before': 'smtp unix - - y - - smtp', 'after': 'smtp unix - - y - - smtp -v'}},
                 id='same-service-two-types'),
])
def test_plan_services(version, specs, expected):
    current = current_services(version)
    snapshot = copy.deepcopy(current)
    assert plan_services(current, specs) == expected
    assert current == snapshot


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('specs, expected', [
    pytest.param([service(service='submission', type='inet', options={'smtpd_fooo': None})],
                 {'submission/inet': {'before': 'submission inet n - y - - smtpd -o syslog_name=postfix/submission -o smtpd_fooo=1',
                                      'after': 'submission inet n - y - - smtpd -o syslog_name=postfix/submission'}},
                 id='option-removed'),
    pytest.param([service(service='spaced', type='unix', options={'syslog_name': 'postfix/spaced'}, args=['-v'])], {},
                 id='braced-option-unchanged'),
    pytest.param([service(service='filter', type='unix', command='pipe',
                          args=['flags=R', 'user=nobody', 'argv=/usr/bin/x', '-o', 'y', '${recipient}'])], {},
                 id='pipe-args-unchanged'),
    pytest.param([service(service='filter', type='unix', options={'syslog_name': 'postfix/filter'})],
                 {'filter/unix': {'before': 'filter unix - n n - 10 pipe flags=R user=nobody argv=/usr/bin/x -o y ${recipient}',
                                  'after': 'filter unix - n n - 10 pipe -o syslog_name=postfix/filter '
                                           'flags=R user=nobody argv=/usr/bin/x -o y ${recipient}'}},
                 id='pipe-option-goes-before-args'),
])
def test_plan_services_custom(version, specs, expected):
    assert plan_services(current_services(version, 'postconf-M-custom.txt'), specs) == expected


@pytest.mark.parametrize('specs, key', [
    pytest.param([SUBMISSION, SUBMISSION], 'submission/inet', id='same-spec-twice'),
    pytest.param([service(service='smtp', type='inet'), service(service='smtp', type='inet', state='absent')], 'smtp/inet',
                 id='present-and-absent'),
    pytest.param([service(service='smtp', type='inet', chroot=True), service(service='pickup', type='unix'),
                  service(service='smtp', type='inet', chroot=False)], 'smtp/inet', id='not-adjacent'),
])
def test_plan_services_duplicates(specs, key):
    with pytest.raises(ConfigValueError, match='master.cf entry %s is given more than once in services' % key):
        plan_services(current_services('3.10'), specs)


@pytest.mark.parametrize('specs, message', [
    pytest.param([service(service='submission', type='inet', options={'syslog_name': 'x'})],
                 'submission/inet does not exist yet', id='new-without-command'),
    pytest.param([service(service='smtp', type='inet', wakeup='1m')], 'wakeup must be', id='invalid-spec'),
    pytest.param([service(service='smtp', type='inet', state='absent', private='maybe')], 'private must be', id='absent-validated'),
    pytest.param([service(service='smtp', type='inet', options={'syslog_name': 'x\n-o smtpd_tls_security_level=none'})],
                 'newline or control character', id='option-injection'),
])
def test_plan_services_rejects(specs, message):
    with pytest.raises(ConfigValueError, match=message):
        plan_services(current_services('3.10'), specs)


IDEMPOTENCE_SPECS = [
    pytest.param([SUBMISSION], id='new-entry'),
    pytest.param([service(service='smtp', type='inet', chroot=False, process_limit=10, options={'smtpd_milters': ''})],
                 id='changed-entry'),
    pytest.param([service(service='relay', type='unix', options={'smtp_helo_timeout': '5s'})],
                 id='relay-with-braced-syslog-name'),
    pytest.param([service(service='spaced', type='unix', options={'smtpd_recipient_restrictions': None,
                                                                  'smtpd_client_restrictions': 'permit_mynetworks, reject'})],
                 id='braced-options'),
    pytest.param([service(service='filter', type='unix', args=['flags=R', 'user=nobody', 'argv=/usr/bin/y', '-o', '${recipient}'])],
                 id='pipe-args'),
    pytest.param([service(service='submission', type='inet', state='absent'), service(service='flush', type='unix', wakeup='0')],
                 id='absent-and-change'),
]


def test_plan_services_refuses_o_in_args():
    # "-o name=value" in args would be read back as an option and never settle.
    with pytest.raises(ConfigValueError, match='give -o parameters in options'):
        plan_services({}, [service(service='submission', type='inet', command='smtpd', args=['-v', '-o', 'smtpd_fooo=2'])])


@pytest.mark.parametrize('args', [['-osmtpd_relay_restrictions=permit'], ['-v', '-vosyslog_name=x']])
def test_plan_services_refuses_attached_o_in_args(args):
    # postconf -M would write "-o smtpd_relay_restricti -o ns=permit": postfix check passes, smtpd does not start.
    with pytest.raises(ConfigValueError, match="give -o parameters in the service's options"):
        plan_services({}, [service(service='relaytest', type='inet', command='smtpd', args=args)])


# What postconf -M prints for an entry written by "postconf -Me" with an attached -o (3.7 and 3.10).
MANGLED = '127.0.0.1:10026 inet n   -       y       -       -       smtpd -o smtpd_relay_restricti -o ns=permit'
MANGLED_KEY = '127.0.0.1:10026/inet'


def services_with_mangled(version):
    return parse_entries(fixture_text(version, 'postconf-M.txt') + MANGLED + '\n')


@pytest.mark.parametrize('version', VERSIONS)
def test_plan_services_removes_an_entry_it_cannot_read(version):
    current, malformed = services_with_mangled(version)
    assert MANGLED_KEY not in current and [item.key for item in malformed] == [MANGLED_KEY]
    specs = [service(service='127.0.0.1:10026', type='inet', state='absent')]
    changes = plan_services(current, specs, malformed)
    assert changes == {MANGLED_KEY: {'before': '127.0.0.1:10026 inet n - y - - smtpd -o smtpd_relay_restricti -o '
                                               'ns=permit', 'after': None}}
    # Removed, it is gone from what postconf -M prints: the second run changes nothing.
    assert plan_services(current_services(version), specs, []) == {}


@pytest.mark.parametrize('version', VERSIONS)
def test_plan_services_replaces_an_entry_it_cannot_read_only_whole(version):
    current, malformed = services_with_mangled(version)
    fixed = service(service='127.0.0.1:10026', type='inet', private=False, chroot=True, command='smtpd',
                    options={'smtpd_relay_restrictions': 'permit_mynetworks, reject'})
    changes = plan_services(current, [fixed], malformed)
    assert changes[MANGLED_KEY]['before'].endswith('smtpd -o smtpd_relay_restricti -o ns=permit')
    assert changes[MANGLED_KEY]['after'] == ('127.0.0.1:10026 inet n - y - - smtpd '
                                             '-o { smtpd_relay_restrictions = permit_mynetworks, reject }')
    assert plan_services(dict(current, **{MANGLED_KEY: parse_entry(changes[MANGLED_KEY]['after'])}), [fixed], []) == {}
    # Without its command, a change would have to keep the unreadable rest.
    with pytest.raises(ConfigValueError, match=re.escape(
            'master.cf entry 127.0.0.1:10026/inet is malformed (-o argument without "=": \'smtpd_relay_restricti\'): '
            'give its command (and args) to replace it whole, or remove it with state: absent')):
        plan_services(current, [service(service='127.0.0.1:10026', type='inet', chroot=False)], malformed)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('specs', IDEMPOTENCE_SPECS)
def test_plan_services_second_run_changes_nothing(version, specs):
    current = current_services(version, 'postconf-M-custom.txt')
    changes = plan_services(current, specs)
    assert changes
    assert plan_services(apply(current, changes), specs) == {}


# ---------------------------------------------------------------------------
# build_diff

def test_build_diff_nothing_changed():
    assert build_diff('/etc/postfix', {}, {}) == []


@pytest.mark.parametrize('version', VERSIONS)
def test_build_diff_main_cf(version):
    changes = plan_parameters(current_parameters(version), {
        'relayhost': '[smtp.example.net]:587', 'biff': False, 'message_size_limit': 52428800,
        'inet_interfaces': 'loopback-only', 'mailbox_size_limit': 0}, 'present')
    changes.update(plan_parameters(current_parameters(version), {'recipient_delimiter': None}, 'absent'))
    assert build_diff('/etc/postfix', changes, {}) == [{
        'before_header': '/etc/postfix/main.cf (changed entries)',
        'after_header': '/etc/postfix/main.cf (changed entries)',
        'before': 'inet_interfaces = all\nrecipient_delimiter = +\nrelayhost =\n',
        'after': 'inet_interfaces = loopback-only\nmessage_size_limit = 52428800\nrelayhost = [smtp.example.net]:587\n',
    }]


def test_build_diff_both_files():
    parameter_changes = {'relayhost': {'before': '[old]:25', 'after': ''}}
    service_changes = {
        'submission/inet': {'before': None, 'after': 'submission inet n - y - - smtpd'},
        'pickup/unix': {'before': 'pickup unix n - y 60 1 pickup', 'after': None},
        'smtp/inet': {'before': 'smtp inet n - y - - smtpd', 'after': 'smtp inet n - n - - smtpd'},
    }
    diff = build_diff('/srv/postfix-out', parameter_changes, service_changes)
    assert [item['before_header'] for item in diff] == ['/srv/postfix-out/main.cf (changed entries)',
                                                        '/srv/postfix-out/master.cf (changed entries)']
    assert all(set(item) == {'before', 'after', 'before_header', 'after_header'} for item in diff)
    assert all(item['before_header'] == item['after_header'] for item in diff)
    assert diff[0]['before'] == 'relayhost = [old]:25\n'
    assert diff[0]['after'] == 'relayhost =\n'
    assert diff[1]['before'] == 'pickup unix n - y 60 1 pickup\nsmtp inet n - y - - smtpd\n'
    assert diff[1]['after'] == 'smtp inet n - n - - smtpd\nsubmission inet n - y - - smtpd\n'


def test_build_diff_master_cf_only():
    diff = build_diff('/etc/postfix', {}, {'pickup/unix': {'before': 'pickup unix n - y 60 1 pickup', 'after': None}})
    assert diff == [{'before_header': '/etc/postfix/master.cf (changed entries)',
                     'after_header': '/etc/postfix/master.cf (changed entries)',
                     'before': 'pickup unix n - y 60 1 pickup\n', 'after': ''}]


def test_plan_removals_in_the_same_run():
    current = {'relayhost': '[old.example]', 'myhostname': 'mx'}
    assert plan_removals(current, ['relayhost', 'readme_directory'], {'myhostname': 'mx'}) == {
        'relayhost': {'before': '[old.example]', 'after': None}}
    with pytest.raises(ConfigValueError, match='myhostname both set and removed'):
        plan_removals(current, ['myhostname'], {'myhostname': 'mx2'})
    with pytest.raises(ConfigValueError, match='invalid parameter name'):
        plan_removals(current, ['not a name'], {})


def test_access_table_entries_as_the_tables_will_hold_them():
    assert access_table_entries(None) == {}
    assert access_table_entries({'hash:/x': {'a': 'OK', 'b': ['reject_non_fqdn_sender', 'permit']},
                                 'cidr:/y': [{'key': '192.0.2.0/24', 'value': 'DUNNO'}]}) == {
        'hash:/x': [('a', 'OK'), ('b', 'reject_non_fqdn_sender, permit')],
        'cidr:/y': [('192.0.2.0/24', 'DUNNO')]}
    with pytest.raises(ConfigValueError, match='access_tables must be a mapping'):
        access_table_entries(['hash:/x'])
    with pytest.raises(ConfigValueError, match='the entries of hash:/x must be a mapping'):
        access_table_entries({'hash:/x': 'a OK'})


def test_if_unset_refuses_to_replace_a_value_set_by_someone_else():
    changes = plan_parameters({'sender_bcc_maps': 'hash:/etc/postfix/theirs'},
                              {'sender_bcc_maps': 'pcre:/etc/postfix/archive_sender',
                               'recipient_bcc_maps': 'pcre:/etc/postfix/archive_recipient'}, 'present')
    check_unset(changes, ['recipient_bcc_maps'])  # unset before: set
    check_unset(changes, [])
    with pytest.raises(ConfigValueError, match='sender_bcc_maps is set already, to "hash:/etc/postfix/theirs".*'
                       r'\(with the archive role: archive_replace_bcc: true\)'):
        check_unset(changes, ['recipient_bcc_maps', 'sender_bcc_maps'])
    # Already the requested value: nothing to change, nothing to refuse.
    check_unset(plan_parameters({'sender_bcc_maps': 'pcre:/x'}, {'sender_bcc_maps': 'pcre:/x'}, 'present'),
                ['sender_bcc_maps'])


# ---------------------------------------------------------------------------
# tables[].secret_entries: the credentials in the transaction, hidden as postfix_map hides them

def test_secret_entries_of_tables_are_hidden_by_ansible():
    validated = ArgumentSpecValidator({'tables': TABLES_SPEC}).validate({'tables': [
        {'path': '/etc/postfix/sasl_passwd', 'secret_entries': {'[smtp.example.net]:587': 'relay:Secret1'}},
        {'path': '/etc/postfix/relay_transport', 'entries': {'example.com': 'smtp:[mx.example.net]:587'}}]})
    assert not validated.error_messages
    assert 'relay:Secret1' in validated._no_log_values
    # Only the secret values: the other tables' values stay visible.
    assert 'smtp:[mx.example.net]:587' not in validated._no_log_values


def test_tables_take_entries_or_rules_or_secret_entries():
    validated = ArgumentSpecValidator({'tables': TABLES_SPEC}).validate({'tables': [
        {'path': '/etc/postfix/sasl_passwd', 'entries': {}, 'secret_entries': {}}]})
    assert any('mutually exclusive' in message for message in validated.error_messages)
