# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for StagedConfig.validate() and value_type_errors in plugins/module_utils/transaction/stage.py, with real
postconf -d output."""

from __future__ import annotations

import re

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.module_utils.transaction.stage import StagedConfig, value_type_errors
from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import parse_parameters
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text


def load(version, name):
    return parse_parameters(fixture_text(version, name))


DEFAULTS = {version: load(version, 'postconf-d.txt.gz') for version in VERSIONS}


def defaults_matching(version, pattern):
    return sorted(name for name, value in DEFAULTS[version].items() if re.match(pattern, value))


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name, value', [
    ('smtpd_helo_required', 'yes'),
    ('smtpd_helo_required', 'NO'),
    ('smtpd_helo_required', 'Yes'),
    ('message_size_limit', '52428800'),
    ('message_size_limit', '0'),
    ('smtpd_client_connection_count_limit', '-1'),
    ('maximal_queue_lifetime', '5d'),
    ('maximal_queue_lifetime', '300'),
    ('maximal_queue_lifetime', '1w'),
    ('bounce_queue_lifetime', '12h'),
    ('minimal_backoff_time', '30m'),
    ('minimal_backoff_time', '600s'),
    ('message_size_limit', '$default_message_size'),
    ('smtpd_helo_required', '${helo_required}'),
    ('maximal_queue_lifetime', '$x'),
    ('myhostname', 'mx 1'),
    ('relayhost', ''),
    ('smtpd_banner', 'no'),
    ('foo_bar', 'anything'),
    ('restricted_recipient', 'check_sender_access hash:/etc/postfix/privileged_sender'),
    ('smtpd_forbid_bare_newline', 'normalize'),  # default no on 3.7, normalize on 3.10
    ('smtpd_forbid_bare_newline', 'reject'),
    ('milter_protocol', '6 no_header_reply'),
])
def test_value_type_accepted(version, name, value):
    assert value_type_errors(DEFAULTS[version], {name: value}) == []


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('name, value, message', [
    ('smtpd_helo_required', 'true', 'smtpd_helo_required = true: Postfix expects yes or no (default: no)'),
    ('smtpd_helo_required', '1', 'expects yes or no'),
    ('smtpd_helo_required', '', 'expects yes or no'),
    ('smtpd_helo_required', 'yes please', 'expects yes or no'),
    ('message_size_limit', '50M', 'message_size_limit = 50M: Postfix expects a whole number (default: 10240000)'),
    ('message_size_limit', '1.5', 'expects a whole number'),
    ('message_size_limit', '', 'expects a whole number'),
    ('message_size_limit', 'unlimited', 'expects a whole number'),
    ('maximal_queue_lifetime', '5 days', 'maximal_queue_lifetime = 5 days: Postfix expects a time such as 300s, 30m, 5h '
                                         'or 2d (default: 5d)'),
    ('maximal_queue_lifetime', '5x', 'expects a time'),
    ('maximal_queue_lifetime', 'd', 'expects a time'),
    ('maximal_queue_lifetime', '', 'expects a time'),
])
def test_value_type_rejected(version, name, value, message):
    errors = value_type_errors(DEFAULTS[version], {name: value})
    assert len(errors) == 1
    assert message in errors[0]


def test_value_type_errors_reports_each_bad_value_in_order():
    errors = value_type_errors(DEFAULTS['3.10'], {
        'message_size_limit': 'big', 'myhostname': 'x', 'smtpd_helo_required': 'on', 'maximal_queue_lifetime': '5d'})
    assert [error.split(' = ')[0] for error in errors] == ['message_size_limit', 'smtpd_helo_required']


@pytest.mark.parametrize('version', VERSIONS)
def test_value_type_errors_accepts_every_default(version):
    defaults = DEFAULTS[version]
    assert value_type_errors(defaults, defaults) == []


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('pattern, value, minimum', [
    (r'^(yes|no)$', 'maybe', 120),
    (r'^-?\d+$', 'ten', 100),
    (r'^\d+[smhdw]$', '5 days', 90),
])
def test_value_type_errors_checks_every_typed_default(version, pattern, value, minimum):
    # These have whole-number or yes/no defaults but take other values too.
    exempt = ('compatibility_level', 'lmtp_tcp_port', 'milter_protocol', 'smtpd_forbid_bare_newline')
    names = [name for name in defaults_matching(version, pattern) if name not in exempt]
    assert len(names) >= minimum
    errors = value_type_errors(DEFAULTS[version], dict.fromkeys(names, value))
    assert len(errors) == len(names)


@pytest.mark.parametrize('version', VERSIONS)
def test_value_type_errors_accepts_distribution_main_cf(version):
    """Debian's own main.cf passes Postfix; apart from compatibility_level (see below) it must pass here too."""
    values = load(version, 'postconf-n.txt')
    values.pop('compatibility_level')
    assert len(values) > 15
    assert value_type_errors(DEFAULTS[version], values) == []


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('value', ['3.6', '3.9', '3.10'])
def test_value_type_errors_accepts_compatibility_level_release(version, value):
    assert value_type_errors(DEFAULTS[version], {'compatibility_level': value}) == []


@pytest.mark.parametrize('version', VERSIONS)
def test_value_type_errors_accepts_symbolic_lmtp_port(version):
    assert value_type_errors(DEFAULTS[version], {'lmtp_tcp_port': 'lmtp'}) == []


def staged_on(postfix):
    """A StagedConfig of the fake Postfix, without the files (validate() reads them through postconf only)."""
    stage = StagedConfig.__new__(StagedConfig)
    stage.runner, stage.path = postfix, '/stage'
    return stage


FREEZE_VALUES = {'master_service_disable': 'qmgr/unix', 'in_flow_delay': '0'}


def test_validate_asks_for_the_defaults_of_the_names_set_only(postfix):
    postfix.answers['check'] = (0, '')
    staged_on(postfix).validate(FREEZE_VALUES, [{'smtpd_helo_required': 'yes'}], set())
    assert ('postconf', ['defaults'], ['in_flow_delay', 'master_service_disable', 'smtpd_helo_required']) in postfix.calls
    assert ('postfix', ['check']) in postfix.calls


def test_validate_returns_each_distinct_postfix_check_warning_once_in_order(postfix):
    # postfix check on 3.7 with one missing SQL settings file: postfix-script's postconf runs print it 20 times.
    missing = '/usr/sbin/postconf: warning: open "mysql" configuration "/etc/postfix/x.cf": No such file or directory'
    other = 'postfix/postfix-script: warning: group or other writable: /etc/postfix/./main.cf'
    postfix.answers['check'] = (0, '\r\n'.join([missing] * 10 + [other] + [missing] * 10 + [other, '']))
    assert staged_on(postfix).validate(FREEZE_VALUES, [], set()) == [missing, other]


def test_validate_without_postfix_check_runs_one_postconf_and_reads_main_cf_as_postfix(postfix):
    # Both names have a default, so they are Postfix's own: postconf -n's unused-parameter warnings are not asked.
    assert staged_on(postfix).validate(FREEZE_VALUES, [], set(), postfix_check=False) == []
    assert postfix.calls == [('postconf', ['defaults'], ['in_flow_delay', 'master_service_disable']),
                             ('postmap', [('query', 'mailops')], ['static:read'])]


@pytest.mark.parametrize('values, options, file_name', [
    ({'smtpd_helo_requird': 'yes'}, [], 'main.cf'),
    ({}, [{'smtpd_tls_securty_level': 'encrypt'}], 'master.cf'),
])
def test_validate_asks_postconf_n_of_a_name_without_a_default_and_refuses_it_if_unused(postfix, monkeypatch, values,
                                                                                       options, file_name):
    stage = staged_on(postfix)
    name = list(values or options[0])[0]
    real_postconf = stage.postconf

    def postconf(options, args):  # what postconf -n says of a name that is not Postfix's and that nothing uses
        rc, out, err = real_postconf(options, args)
        if options == ['non_default']:
            err += 'postconf: warning: /stage/%s: unused parameter: %s=x\n' % (file_name, name)
        return rc, out, err
    monkeypatch.setattr(stage, 'postconf', postconf)
    with pytest.raises(PostfixCommandError, match=r'unknown parameter name\(s\): %s \(%s\)' % (name, file_name)):
        stage.validate(values, options, set(), postfix_check=False)
    assert ('postconf', ['non_default'], []) in postfix.calls
    stage.validate(values, options, {name}, postfix_check=False)  # declared user-defined: accepted


def test_validate_without_postfix_check_refuses_a_main_cf_postfix_cannot_read(postfix):
    # A value set by hand, not by this change: postfix(1) and master stop on it when they read main.cf.
    postfix.fail('postmap', 1, 'postmap: fatal: bad numerical configuration: default_process_limit = many\n')
    with pytest.raises(PostfixCommandError, match=r'Postfix cannot read the new main.cf \(live files unchanged\): '
                                                  'postmap: fatal: bad numerical configuration: default_process_limit'):
        staged_on(postfix).validate(FREEZE_VALUES, [], set(), postfix_check=False)


def test_validate_without_postfix_check_still_refuses_a_value_of_the_wrong_type(postfix):
    with pytest.raises(PostfixCommandError, match='in_flow_delay = soon: Postfix expects a time'):
        staged_on(postfix).validate(dict(FREEZE_VALUES, in_flow_delay='soon'), [], set(), postfix_check=False)


def test_validate_refuses_a_milter_setting_with_spaces_around_equals(postfix):
    value = '{ inet:127.0.0.1:8891, default_action = tempfail }'
    with pytest.raises(PostfixCommandError, match=r'invalid value\(s\): smtpd_milters = .*Write default_action=tempfail'):
        staged_on(postfix).validate({'smtpd_milters': value}, [], set(), postfix_check=False)


def test_validate_refuses_a_bad_milter_in_a_master_cf_override(postfix):
    with pytest.raises(PostfixCommandError, match=r'-o non_smtpd_milters = \{ unix:/x, bogus=1 \}'):
        staged_on(postfix).validate({}, [{'non_smtpd_milters': '{ unix:/x, bogus=1 }'}], set(), postfix_check=False)


def test_validate_judges_a_milter_list_as_postfix_expands_it(postfix):
    postfix.main_cf.update({'my_milter': '{ inet:127.0.0.1:8891, connect_timeout = 5s }',
                            'smtpd_milters': '$my_milter'})
    with pytest.raises(PostfixCommandError, match='smtpd_milters = .*connect_timeout = 5s'):
        staged_on(postfix).validate({'smtpd_milters': '$my_milter'}, [], {'my_milter'}, postfix_check=False)
    assert ('postconf', ['expand'], ['smtpd_milters']) in postfix.calls


def test_validate_accepts_per_milter_settings_as_postfix_reads_them(postfix):
    values = {'smtpd_milters': '{ inet:127.0.0.1:8891, default_action=tempfail }, { unix:/x, { protocol = 6 no_header_reply } }',
              'non_smtpd_milters': 'inet:127.0.0.1:8891'}
    assert staged_on(postfix).validate(values, [], set(), postfix_check=False) == []
    assert not any(call[1] == ['expand'] for call in postfix.calls)


def test_validate_judges_a_master_cf_milter_override_as_postfix_expands_it(postfix):
    # The daemon reads -o smtpd_milters=$mua_milters over main.cf: $mua_milters is main.cf's, $extra the service's own.
    postfix.main_cf.update({'mua_milters': '{ inet:127.0.0.1:8891, connect_timeout = 5s }'})
    with pytest.raises(PostfixCommandError, match=r'-o smtpd_milters = \{ inet:127.0.0.1:8891, connect_timeout = 5s \}'
                                                  r', unix:/x: .*Write connect_timeout=5s'):
        staged_on(postfix).validate({}, [{'smtpd_milters': '$mua_milters, $extra', 'extra': 'unix:/x'}], set(),
                                    postfix_check=False)
    assert ('postconf', ['expand', ('override', 'extra=unix:/x'), ('override', 'smtpd_milters=$mua_milters, $extra')],
            ['smtpd_milters']) in postfix.calls


def test_validate_accepts_a_master_cf_milter_override_that_expands_to_good_milters(postfix):
    postfix.main_cf.update({'mua_milters': '{ inet:127.0.0.1:8891, connect_timeout=5s }'})
    assert staged_on(postfix).validate({}, [{'smtpd_milters': '$mua_milters', 'syslog_name': 'postfix/submission'}],
                                       set(), postfix_check=False) == []
    assert sum(1 for call in postfix.calls if call[1][:1] == ['expand']) == 1
