# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/config/main_cf.py, partly against real postconf output (see fixtures/capture.sh)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import (
    MAX_VALUE_LENGTH,
    ConfigValueError,
    check_braces,
    check_name,
    current_values,
    parse_main_cf,
    parse_parameters,
    parse_unused_warnings,
    render_value,
    split_list,
    values_equal,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text


# ---------------------------------------------------------------------------
# parse_parameters on captured output

# Values that the test bed images (Debian bookworm = 3.7, trixie = 3.10) have in main.cf.
COMMON_VALUES = {
    'alias_maps': 'hash:/etc/aliases',
    'biff': 'no',
    'inet_interfaces': 'all',
    'inet_protocols': 'all',
    'mailbox_size_limit': '0',
    'mydestination': '$myhostname, localhost, testbed.example',
    'myhostname': 'mx.testbed.example',
    'mynetworks': '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128',
    'recipient_delimiter': '+',
    'relayhost': '',
    'smtpd_relay_restrictions': 'permit_mynetworks permit_sasl_authenticated defer_unauth_destination',
}
VERSION_VALUES = {
    '3.7': {'compatibility_level': '3.6', 'smtpd_banner': '$myhostname ESMTP $mail_name (Debian/GNU)',
            'smtp_tls_session_cache_database': 'btree:${data_directory}/smtp_scache'},
    '3.10': {'compatibility_level': '3.9', 'smtpd_banner': '$myhostname ESMTP $mail_name (Debian)',
             'mailbox_command': ''},
}


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_postconf_n(version):
    text = fixture_text(version, 'postconf-n.txt')
    parameters = parse_parameters(text)
    expected = dict(COMMON_VALUES, **VERSION_VALUES[version])
    assert {name: parameters.get(name) for name in expected} == expected
    assert len(parameters) == len(text.splitlines())
    assert all(value == value.strip() for value in parameters.values())


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_postconf_n_after_edits(version):
    parameters = parse_parameters(fixture_text(version, 'postconf-n-custom.txt'))
    value = parameters['smtpd_recipient_restrictions']
    assert value == ('permit_mynetworks, check_policy_service { inet:127.0.0.1:10023, timeout=10s }, '
                     'reject_unauth_destination')
    assert split_list(value) == ['permit_mynetworks', 'check_policy_service', '{ inet:127.0.0.1:10023, timeout=10s }',
                                 'reject_unauth_destination']
    # main.cf holds foo_bar = 1, but postconf -n leaves out parameters it reports as unused.
    assert 'foo_bar' not in parameters


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_postconf_d(version):
    defaults = parse_parameters(fixture_text(version, 'postconf-d.txt.gz'))
    assert defaults['mail_version'] == fixture_text(version, 'mail_version.txt').strip()
    assert defaults['mail_version'].startswith(version + '.')
    assert len(defaults) > 900
    assert defaults['relayhost'] == ''
    assert defaults['smtpd_helo_required'] == 'no'
    assert defaults['message_size_limit'] == '10240000'
    assert defaults['maximal_queue_lifetime'] == '5d'
    assert defaults['compatibility_level'] == '0'


@pytest.mark.parametrize('text, expected', [
    pytest.param('relayhost =\n', {'relayhost': ''}, id='empty-value'),
    pytest.param('relayhost =', {'relayhost': ''}, id='empty-value-no-newline'),
    pytest.param('relayhost = [smtp.example.net]:587\n', {'relayhost': '[smtp.example.net]:587'}, id='simple'),
    pytest.param('smtpd_banner = a = b\n', {'smtpd_banner': 'a = b'}, id='equals-in-value'),
    pytest.param('myorigin = $myhostname\n', {'myorigin': '$myhostname'}, id='reference-kept'),
    pytest.param('a = 1\n\n   \nb = 2\n', {'a': '1', 'b': '2'}, id='blank-lines-skipped'),
    pytest.param('a = x  \r\n', {'a': 'x'}, id='crlf-stripped'),
    pytest.param('', {}, id='empty-output'),
])
def test_parse_parameters(text, expected):
    assert parse_parameters(text) == expected


@pytest.mark.parametrize('text', [
    'garbage\n',
    'relayhost=[x]\n',
    'postconf: warning: /etc/postfix/main.cf: unused parameter: foo_bar=1\n',
])
def test_parse_parameters_rejects_other_lines(text):
    with pytest.raises(ConfigValueError, match='unexpected postconf output line'):
        parse_parameters(text)


@pytest.mark.parametrize('separator', ['\u2028', '\x85', '\u2029'])
def test_parse_parameters_only_newline_ends_a_line(separator):
    text = 'smtpd_banner = a%smynetworks = 0.0.0.0/0\nrelayhost =\n' % separator
    assert parse_parameters(text) == {'smtpd_banner': 'a%smynetworks = 0.0.0.0/0' % separator, 'relayhost': ''}


# ---------------------------------------------------------------------------
# parse_unused_warnings

@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_unused_warnings(version):
    warnings = parse_unused_warnings(fixture_text(version, 'postconf-n-custom.stderr'))
    assert sorted(warnings) == [('/etc/postfix/main.cf', 'foo_bar'), ('/etc/postfix/master.cf', 'smtpd_fooo')]


@pytest.mark.parametrize('stderr, expected', [
    pytest.param('', [], id='none'),
    pytest.param('/usr/sbin/postconf: warning: /tmp/mailops-postconf-x1/main.cf: unused parameter: restricted_recipient'
                 '=check_sender_access hash:/etc/postfix/privileged_sender\n',
                 [('/tmp/mailops-postconf-x1/main.cf', 'restricted_recipient')], id='full-path-and-value-with-spaces'),
    pytest.param('postconf: warning: /etc/postfix/master.cf: unused parameter: x={a b} c\n',
                 [('/etc/postfix/master.cf', 'x')], id='braced-value'),
    pytest.param('postconf: warning: /etc/postfix/main.cf, line 77: overriding earlier entry: smtpd_banner=x\n',
                 [], id='other-warning-ignored'),
    pytest.param('postconf: warning: /etc/postfix/main.cf: unused parameter: a=\n'
                 'postconf: warning: /etc/postfix/main.cf: unused parameter: b=2\n',
                 [('/etc/postfix/main.cf', 'a'), ('/etc/postfix/main.cf', 'b')], id='several-in-order'),
])
def test_parse_unused_warnings(stderr, expected):
    assert parse_unused_warnings(stderr) == expected


# ---------------------------------------------------------------------------
# check_name

@pytest.mark.parametrize('name', ['myhostname', '2bounce_notice_recipient', 'smtp_tls_CApath', 'a', 'x_1'])
def test_check_name_accepts(name):
    assert check_name(name) is None


@pytest.mark.parametrize('name', [
    '', 'my name', 'smtpd-banner', 'relayhost=x', 'a.b', 'relayhost ', ' relayhost', 'mynetworks\nrelayhost',
    '\nrelayhost', 'relay\rhost', 'ä', '$myhostname', None, 123, ['relayhost'],
])
def test_check_name_rejects(name):
    with pytest.raises(ConfigValueError, match='invalid parameter name'):
        check_name(name)


@pytest.mark.parametrize('name', ['relayhost\n', 'syslog_name\n'])
def test_check_name_rejects_trailing_newline(name):
    with pytest.raises(ConfigValueError):
        check_name(name)


# ---------------------------------------------------------------------------
# render_value

@pytest.mark.parametrize('value, expected', [
    pytest.param(True, 'yes', id='true'),
    pytest.param(False, 'no', id='false'),
    pytest.param(0, '0', id='zero'),
    pytest.param(52428800, '52428800', id='int'),
    pytest.param(-1, '-1', id='negative'),
    pytest.param(1.5, '1.5', id='float'),
    pytest.param(None, '', id='none'),
    pytest.param('', '', id='empty'),
    pytest.param('  [smtp.example.net]:587 \t', '[smtp.example.net]:587', id='stripped'),
    pytest.param('x\n', 'x', id='trailing-newline-stripped'),
    pytest.param('$myhostname ESMTP $mail_name', '$myhostname ESMTP $mail_name', id='references-kept'),
    pytest.param('a\tb', 'a\tb', id='inner-tab-allowed'),
    pytest.param('café', 'café', id='non-ascii'),
    pytest.param(['127.0.0.0/8', '[::1]/128'], '127.0.0.0/8, [::1]/128', id='list'),
    pytest.param(('a',), 'a', id='tuple'),
    pytest.param([], '', id='empty-list'),
    pytest.param(['a', None, '', '  ', 'b'], 'a, b', id='list-drops-empty-items'),
    pytest.param([True, 1, ' x '], 'yes, 1, x', id='list-items-rendered'),
    pytest.param([['a', 'b'], 'c'], 'a, b, c', id='nested-list'),
    pytest.param(['permit_mynetworks', 'check_sender_access hash:/etc/postfix/rejected'],
                 'permit_mynetworks, check_sender_access hash:/etc/postfix/rejected', id='list-item-with-space'),
    pytest.param(['check_policy_service { inet:127.0.0.1:10023, timeout=10s }'],
                 'check_policy_service { inet:127.0.0.1:10023, timeout=10s }', id='brace-group'),
])
def test_render_value(value, expected):
    assert render_value('relayhost', value) == expected


@pytest.mark.parametrize('value', [
    pytest.param('x\nmynetworks = 0.0.0.0/0', id='newline-injection'),
    pytest.param('x\rmynetworks = 0.0.0.0/0', id='cr-injection'),
    pytest.param('x\r\nmynetworks = 0.0.0.0/0', id='crlf-injection'),
    pytest.param('[smtp.example.net]\n  continued', id='continuation-line'),
    pytest.param('a\x00b', id='nul'),
    pytest.param('\x1b[31mred', id='escape'),
    pytest.param('a\x7fb', id='del'),
    pytest.param('a\x0bb', id='vertical-tab'),
    pytest.param('a\x0cb', id='form-feed'),
    pytest.param(['ok', 'x\nmynetworks = 0.0.0.0/0'], id='injection-in-list-item'),
    pytest.param([['x\rmynetworks = 0.0.0.0/0']], id='injection-in-nested-list'),
])
def test_render_value_rejects_control_characters(value):
    with pytest.raises(ConfigValueError, match='relayhost contains a newline or control character'):
        render_value('relayhost', value)


@pytest.mark.parametrize('value', [{'a': 1}, b'bytes', object(), {1, 2}])
def test_render_value_rejects_types(value):
    with pytest.raises(ConfigValueError, match='value of relayhost has unsupported type'):
        render_value('relayhost', value)


# ---------------------------------------------------------------------------
# split_list and values_equal

@pytest.mark.parametrize('text, expected', [
    ('', []),
    ('   ', []),
    ('a', ['a']),
    ('a, b', ['a', 'b']),
    ('a b', ['a', 'b']),
    ('a,b,,c', ['a', 'b', 'c']),
    (' a ,\tb\n c ', ['a', 'b', 'c']),
    ('check_policy_service { inet:127.0.0.1:10023, timeout=10s }, reject',
     ['check_policy_service', '{ inet:127.0.0.1:10023, timeout=10s }', 'reject']),
    ('x{a, {b c}}y z', ['x{a, {b c}}y', 'z']),
])
def test_split_list(text, expected):
    assert split_list(text) == expected


@pytest.mark.parametrize('text, expected', [
    ('a } b', ['a', '}', 'b']),
    ('a { b', ['a', '{ b']),
    ('{ a }}', ['{ a }}']),
])
def test_split_list_reads_unbalanced_braces_as_postfix_does(text, expected):
    assert split_list(text) == expected


@pytest.mark.parametrize('name, text, problem', [
    ('smtpd_recipient_restrictions', 'permit_mynetworks, { reject_unauth_destination', 'a "{" without its "}"'),
    ('smtpd_recipient_restrictions', 'permit_mynetworks, reject_unauth_destination }', 'a "}" without its "{"'),
    ('restricted_senders', 'check_sender_access {hash:/etc/postfix/x', 'a "{" without its "}"'),
    ('mynetworks', '127.0.0.0/8 }', 'a "}" without its "{"'),
])
def test_check_braces_refuses_unbalanced_lists_and_names_the_parameter(name, text, problem):
    with pytest.raises(ConfigValueError, match=re.escape('%s = %s: %s.' % (name, text, problem))):
        check_braces(name, text)


@pytest.mark.parametrize('name, text', [
    ('smtpd_recipient_restrictions', 'check_policy_service { inet:127.0.0.1:10023, timeout=10s }, reject'),
    ('syslog_name', '${multi_instance_name?{$multi_instance_name}:{postfix}}'),
    ('smtpd_banner', '$myhostname ESMTP {'),
    ('smtpd_reject_footer', 'see }'),
    ('default_rbl_reply', '$rbl_code { blocked'),
    ('smtpd_expansion_filter', 'abc{'),
    ('mailbox_command', "/usr/bin/awk '{print'"),
])
def test_check_braces_accepts_groups_and_free_text(name, text):
    check_braces(name, text)


def test_check_braces_names_a_master_cf_override():
    with pytest.raises(ConfigValueError, match=re.escape('submission/inet -o smtpd_client_restrictions = {x: ')):
        check_braces('smtpd_client_restrictions', '{x', what='submission/inet -o smtpd_client_restrictions')


@pytest.mark.parametrize('value', ['x' * (MAX_VALUE_LENGTH + 1), ['y' * MAX_VALUE_LENGTH, 'z']])
def test_render_value_refuses_absurd_lengths(value):
    with pytest.raises(ConfigValueError, match='value of mynetworks is 655(37|39) characters long, more than the 65536.*'
                                               'put long lists into a lookup table'):
        render_value('mynetworks', value)


def test_render_value_accepts_the_longest_value():
    assert len(render_value('mynetworks', 'x' * MAX_VALUE_LENGTH)) == MAX_VALUE_LENGTH


@pytest.mark.parametrize('current, desired, expected', [
    pytest.param('127.0.0.0/8 [::1]/128', ['127.0.0.0/8', '[::1]/128'], True, id='list-spaces-vs-commas'),
    pytest.param('127.0.0.0/8,[::1]/128', ('127.0.0.0/8', '[::1]/128'), True, id='list-no-space'),
    pytest.param('127.0.0.0/8 [::1]/128', ['[::1]/128', '127.0.0.0/8'], False, id='list-order-matters'),
    pytest.param('127.0.0.0/8', ['127.0.0.0/8', '[::1]/128'], False, id='list-missing-item'),
    pytest.param('a b c', ['a b', 'c'], True, id='list-item-with-space'),
    pytest.param('check_policy_service {inet:127.0.0.1:10023,timeout=10s}',
                 ['check_policy_service {inet:127.0.0.1:10023,timeout=10s}'], True, id='list-brace-group'),
    pytest.param('check_policy_service { inet:127.0.0.1:10023, timeout=10s }',
                 ['check_policy_service', '{ inet:127.0.0.1:10023, timeout=10s }'], True, id='list-brace-group-split'),
    pytest.param('check_policy_service { inet:127.0.0.1:10023 }, reject',
                 ['check_policy_service', 'inet:127.0.0.1:10023', 'reject'], False, id='list-group-not-flattened'),
    pytest.param('', [], True, id='empty-list'),
    pytest.param('no', False, True, id='bool-false'),
    pytest.param('YES', True, True, id='bool-case-insensitive'),
    pytest.param('no', True, False, id='bool-differs'),
    pytest.param('0', 0, True, id='int'),
    pytest.param('00', 0, False, id='int-text-differs'),
    pytest.param('10240000', 10240000, True, id='int-large'),
    pytest.param('', None, True, id='none-vs-empty'),
    pytest.param('', '', True, id='empty-string'),
    pytest.param('x', '  x ', True, id='desired-stripped'),
    pytest.param('a, b', 'a b', False, id='string-compared-as-text'),
    pytest.param('Yes', 'yes', False, id='string-case-sensitive'),
    pytest.param(None, '', False, id='not-set-vs-empty'),
    pytest.param(None, None, False, id='not-set-vs-none'),
    pytest.param(None, [], False, id='not-set-vs-empty-list'),
])
def test_values_equal(current, desired, expected):
    assert values_equal(current, desired) is expected


def test_values_equal_validates_desired():
    with pytest.raises(ConfigValueError):
        values_equal('x', 'x\nmynetworks = 0.0.0.0/0')


@pytest.mark.parametrize('version', VERSIONS)
def test_values_equal_with_captured_list(version):
    current = parse_parameters(fixture_text(version, 'postconf-n.txt'))
    assert values_equal(current['mynetworks'], ['127.0.0.0/8', '[::ffff:127.0.0.0]/104', '[::1]/128'])
    assert values_equal(current['mydestination'], '$myhostname, localhost, testbed.example')
    assert not values_equal(current['mydestination'], '$myhostname localhost testbed.example')
    assert values_equal(current['mydestination'], ['$myhostname', 'localhost', 'testbed.example'])
    assert values_equal(current['biff'], False)
    assert values_equal(current['mailbox_size_limit'], 0)
    assert values_equal(current['relayhost'], None)


@pytest.mark.parametrize('text, expected', [
    pytest.param('a = 1\nb = 2\n', {'a': '1', 'b': '2'}, id='plain'),
    pytest.param('# comment\n  # indented comment\n\na = 1\n', {'a': '1'}, id='comments'),
    pytest.param('a = x,\n    y,\n\tz\nb=2', {'a': 'x, y, z', 'b': '2'}, id='continuation'),
    pytest.param('a = 1\na = 2\n', {'a': '2'}, id='last-wins'),
    pytest.param('a =\n', {'a': ''}, id='empty'),
    pytest.param('a = x = y\n', {'a': 'x = y'}, id='equals-in-value'),
])
def test_parse_main_cf(text, expected):
    assert parse_main_cf(text) == expected


def test_current_values_prefers_postconf_and_fills_in_from_main_cf():
    current = current_values('relayhost = [a]\n', lambda: 'relayhost = [b]\nmy_class = reject\nother = 1\n', ['relayhost', 'my_class', 'absent'])
    assert current == {'relayhost': '[a]', 'my_class': 'reject'}


def test_current_values_reads_main_cf_only_when_postconf_lacks_a_name():
    def unexpected_read():
        raise AssertionError('main.cf read although postconf -n had every name')
    assert current_values('relayhost = [a]\n', unexpected_read, ['relayhost']) == {'relayhost': '[a]'}
