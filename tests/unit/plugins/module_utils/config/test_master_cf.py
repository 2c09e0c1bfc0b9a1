# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/config/master_cf.py, partly against real postconf -M output (see fixtures/capture.sh)."""

from __future__ import annotations

import copy
import itertools

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import ConfigValueError, brace_problem
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import (
    FIELDS,
    desired_entry,
    entry_brace_problem,
    entry_key,
    malformed_warning,
    normalize_spec,
    parse_entries,
    parse_entry,
    render_entry,
    tokenize,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text

MASTER_FIXTURES = ('postconf-M.txt', 'postconf-M-custom.txt')
RELAY_SYSLOG_NAME = {
    '3.7': 'postfix/$service_name',
    '3.10': '${multi_instance_name?{$multi_instance_name}:{postfix}}/$service_name',
}


def entry(line_fields, options=None, args=None):
    """An entry dict from the eight fields given as one string."""
    result = dict(zip(FIELDS, line_fields.split()))
    result.update(options=options or {}, args=args or [])
    return result


def captured_lines():
    lines = []
    for version in VERSIONS:
        for name in MASTER_FIXTURES:
            lines.extend(pytest.param(line, id='%s-%s-%d' % (version, name, number))
                         for number, line in enumerate(fixture_text(version, name).splitlines()))
    return lines


# ---------------------------------------------------------------------------
# tokenize

@pytest.mark.parametrize('text, expected', [
    ('', []),
    ('   \t ', []),
    ('smtp inet n - y - - smtpd', ['smtp', 'inet', 'n', '-', 'y', '-', '-', 'smtpd']),
    ('  a\tb \n c  ', ['a', 'b', 'c']),
    ('-o { a = b c }', ['-o', '{ a = b c }']),
    ('-o {smtpd_recipient_restrictions=permit_mynetworks, reject} -v',
     ['-o', '{smtpd_recipient_restrictions=permit_mynetworks, reject}', '-v']),
    ('x={a b} c', ['x={a b}', 'c']),
    ('{ a {b c} d }', ['{ a {b c} d }']),
    ('syslog_name=${multi_instance_name?{$multi_instance_name}:{postfix}}/$service_name',
     ['syslog_name=${multi_instance_name?{$multi_instance_name}:{postfix}}/$service_name']),
    ('argv=/usr/bin/x ${sender} ${recipient}', ['argv=/usr/bin/x', '${sender}', '${recipient}']),
    ('{}', ['{}']),
])
def test_tokenize(text, expected):
    assert tokenize(text) == expected


@pytest.mark.parametrize('text, expected', [
    # As Postfix's mystrtokq() reads them: a "}" without "{" is a character, a "{" without "}" runs to the end.
    ('{ a', ['{ a']),
    ('-o { a = b', ['-o', '{ a = b']),
    ('{ a {b }', ['{ a {b }']),
    ('a }', ['a', '}']),
    ('}{', ['}{']),
    ('{ a } }', ['{ a }', '}']),
    ('smtpd -o x=a}', ['smtpd', '-o', 'x=a}']),
    ('argv=/bin/cat a{b ${recipient}', ['argv=/bin/cat', 'a{b ${recipient}']),
])
def test_tokenize_reads_unbalanced_braces_as_postfix_does(text, expected):
    assert tokenize(text) == expected


@pytest.mark.parametrize('text, problem', [
    ('{ a', 'a "{" without its "}"'),
    ('-o { a = b', 'a "{" without its "}"'),
    ('{ a {b }', 'a "{" without its "}"'),
    ('a }', 'a "}" without its "{"'),
    ('}{', 'a "}" without its "{"'),
    ('{ a } }', 'a "}" without its "{"'),
    ('${recipient}', None),
    ('{ a {b c} d }', None),
    ('', None),
])
def test_brace_problem(text, problem):
    assert brace_problem(text) == problem


# ---------------------------------------------------------------------------
# parse_entry / parse_entries on captured output

# Entries that Debian's master.cf has in both versions, as postconf -M prints them.
COMMON_ENTRIES = {
    'smtp/inet': entry('smtp inet n - y - - smtpd'),
    'pickup/unix': entry('pickup unix n - y 60 1 pickup'),
    'qmgr/unix': entry('qmgr unix n - n 300 1 qmgr'),
    'tlsmgr/unix': entry('tlsmgr unix - - y 1000? 1 tlsmgr'),
    'rewrite/unix': entry('rewrite unix - - y - - trivial-rewrite'),
    'smtp/unix': entry('smtp unix - - y - - smtp'),
    'local/unix': entry('local unix - n n - - local'),
    'postlog/unix-dgram': entry('postlog unix-dgram n - n - 1 postlogd'),
}
CUSTOM_ENTRIES = {
    'submission/inet': entry('submission inet n - y - - smtpd',
                             options={'syslog_name': 'postfix/submission', 'smtpd_fooo': '1'}),
    'spaced/unix': entry('spaced unix - - n - - smtpd',
                         options={'smtpd_recipient_restrictions': 'permit_mynetworks, reject',
                                  'syslog_name': 'postfix/spaced'},
                         args=['-v']),
    # "-o" after argv= belongs to the command, not to pipe(8).
    'filter/unix': entry('filter unix - n n - 10 pipe',
                         args=['flags=R', 'user=nobody', 'argv=/usr/bin/x', '-o', 'y', '${recipient}']),
}


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_entries(version):
    text = fixture_text(version, 'postconf-M.txt')
    entries = parse_entries(text)[0]
    assert len(entries) == len(text.splitlines())
    assert list(entries)[:3] == ['smtp/inet', 'pickup/unix', 'cleanup/unix']
    assert {key: entries[key] for key in COMMON_ENTRIES} == COMMON_ENTRIES
    assert entries['relay/unix'] == entry('relay unix - - y - - smtp',
                                          options={'syslog_name': RELAY_SYSLOG_NAME[version]})
    assert all(entry_key(value) == key for key, value in entries.items())


def test_parse_captured_pipe_entries_3_7():
    entries = parse_entries(fixture_text('3.7', 'postconf-M.txt'))[0]
    assert entries['maildrop/unix'] == entry(
        'maildrop unix - n n - - pipe', args=['flags=DRXhu', 'user=vmail', 'argv=/usr/bin/maildrop', '-d', '${recipient}'])
    assert entries['uucp/unix']['args'] == [
        'flags=Fqhu', 'user=uucp', 'argv=uux', '-r', '-n', '-z', '-a$sender', '-', '$nexthop!rmail', '($recipient)']
    assert entries['scalemail-backend/unix']['process_limit'] == '2'
    assert all(value['options'] == {} for key, value in entries.items() if value['command'] == 'pipe')


@pytest.mark.parametrize('version', VERSIONS)
def test_parse_captured_custom_entries(version):
    entries = parse_entries(fixture_text(version, 'postconf-M-custom.txt'))[0]
    assert {key: entries[key] for key in CUSTOM_ENTRIES} == CUSTOM_ENTRIES
    assert list(entries)[-3:] == list(CUSTOM_ENTRIES)
    assert set(parse_entries(fixture_text(version, 'postconf-M.txt'))[0]) | set(CUSTOM_ENTRIES) == set(entries)


@pytest.mark.parametrize('line, expected', [
    pytest.param('x unix - - n - - smtpd -v -o a=b', entry('x unix - - n - - smtpd', {'a': 'b'}, ['-v']),
                 id='dash-arg-before-option'),
    pytest.param('x unix - - n - - smtpd -o a=1 -o a=2', entry('x unix - - n - - smtpd', {'a': '2'}),
                 id='last-option-wins'),
    pytest.param('x unix - - n - - smtpd -o', entry('x unix - - n - - smtpd', args=['-o']), id='dangling-o'),
    pytest.param('x unix - - n - - smtpd -o {  a  =  b  c  }', entry('x unix - - n - - smtpd', {'a': 'b  c'}),
                 id='braced-option-trimmed'),
    pytest.param('x unix - - n - - smtpd -o a=', entry('x unix - - n - - smtpd', {'a': ''}), id='empty-option'),
    pytest.param('x unix - - n - - smtpd -o a=b=c', entry('x unix - - n - - smtpd', {'a': 'b=c'}), id='equals-in-value'),
    pytest.param('x unix - - n - - pipe argv=/bin/x -o a=b', entry('x unix - - n - - pipe', args=['argv=/bin/x', '-o', 'a=b']),
                 id='option-after-argument'),
    pytest.param('x  unix\t-  -  n  -  -  smtpd', entry('x unix - - n - - smtpd'), id='any-white-space'),
])
def test_parse_entry(line, expected):
    assert parse_entry(line) == expected


@pytest.mark.parametrize('line, message', [
    ('smtp inet n - y - -', 'has 7 fields, needs at least 8'),
    ('', 'has 0 fields'),
    ('x unix - - n - - smtpd -o novalue', '-o argument without "="'),
    ('x unix - - n - - smtpd -o { a b }', '-o argument without "="'),
    ('x unix - - n - - smtpd -o { a = b', 'has no closing'),
])
def test_parse_entry_errors(line, message):
    with pytest.raises(ConfigValueError, match=message):
        parse_entry(line)


def test_parse_entries_skips_blank_lines_and_keys_by_service_and_type():
    entries = parse_entries('smtp inet n - y - - smtpd\n\n  \nsmtp unix - - y - - smtp\n')[0]
    assert list(entries) == ['smtp/inet', 'smtp/unix']
    assert entries['smtp/unix']['command'] == 'smtp'


# ---------------------------------------------------------------------------
# render_entry and round trips

@pytest.mark.parametrize('value, expected', [
    pytest.param(entry('smtp inet n - y - - smtpd'), 'smtp inet n - y - - smtpd', id='plain'),
    pytest.param(entry('submission inet n - y - - smtpd', {'syslog_name': 'postfix/submission', 'smtpd_milters': ''}),
                 'submission inet n - y - - smtpd -o syslog_name=postfix/submission -o smtpd_milters=', id='options'),
    pytest.param(entry('x unix - - n - - smtpd', {'smtpd_recipient_restrictions': 'permit_mynetworks, reject'}),
                 'x unix - - n - - smtpd -o { smtpd_recipient_restrictions = permit_mynetworks, reject }', id='spaces'),
    pytest.param(entry('x unix - - n - - smtpd', {'a': 'x{y}'}), 'x unix - - n - - smtpd -o { a = x{y} }', id='braces'),
    pytest.param(entry('x unix - - n - - smtpd', {'a': 'b'}, ['-v']), 'x unix - - n - - smtpd -o a=b -v',
                 id='options-before-args'),
    pytest.param(entry('f unix - n n - 10 pipe', {'a': 'b'}, ['argv=/usr/bin/x', '-o', 'y']),
                 'f unix - n n - 10 pipe -o a=b argv=/usr/bin/x -o y', id='pipe'),
])
def test_render_entry(value, expected):
    assert render_entry(value) == expected


@pytest.mark.parametrize('line', captured_lines())
def test_round_trip_captured(line):
    first = parse_entry(line)
    rendered = render_entry(first)
    assert parse_entry(rendered) == first
    assert render_entry(parse_entry(rendered)) == rendered
    if not any(set(value) & set(' \t{}') for value in first['options'].values()):
        # Without braced -o values the rendering is postconf's own line, white space collapsed.
        assert rendered == ' '.join(line.split())


def _option_text(name, value, form):
    if form == 'plain':
        return '%s=%s' % (name, value)
    if form == 'compact':
        return '{%s=%s}' % (name, value)
    return '{ %s = %s }' % (name, value)


GENERATED_FIELDS = [
    'x unix - - n - - smtpd',
    '127.0.0.1:10025 inet n - n - 10 smtpd',
    '[::1]:10026 inet y n y 1000? 0 smtpd',
    'postlog unix-dgram n - n - 1 postlogd',
]
GENERATED_OPTIONS = [
    [],
    [('syslog_name', 'postfix/submission', 'plain')],
    [('syslog_name', 'postfix/submission', 'plain'), ('smtpd_tls_security_level', 'encrypt', 'compact')],
    [('smtpd_recipient_restrictions', 'permit_mynetworks, reject', 'braced')],
    [('smtpd_recipient_restrictions', 'permit_mynetworks, reject', 'compact')],
    [('syslog_name', RELAY_SYSLOG_NAME['3.10'], 'plain')],
    [('smtpd_client_restrictions', 'check_policy_service { inet:127.0.0.1:10023, timeout=10s }', 'braced'),
     ('smtpd_milters', '', 'plain')],
    [('content_filter', 'smtp:[127.0.0.1]:10025', 'plain'),
     ('receive_override_options', 'no_header_body_checks,no_unknown_recipient_checks', 'plain'),
     ('smtpd_authorized_xforward_hosts', '127.0.0.0/8 [::1]/128', 'braced'),
     ('smtpd_x', 'a=b', 'compact')],
]
GENERATED_ARGS = [
    [],
    ['-v'],
    ['-v', '-v'],
    ['flags=R', 'user=nobody', 'argv=/usr/bin/x', '-o', 'y', '${recipient}'],
    ['flags=Fqhu', 'user=uucp', 'argv=uux', '-r', '-n', '-z', '-a$sender', '-', '$nexthop!rmail', '($recipient)'],
]


def generated_cases():
    cases = []
    for number, (fields, options, args) in enumerate(itertools.product(GENERATED_FIELDS, GENERATED_OPTIONS, GENERATED_ARGS)):
        words = fields.split()
        for name, value, form in options:
            words.extend(['-o', _option_text(name, value, form)])
        words.extend(args)
        expected = entry(fields, {name: value for name, value, dummy in options}, list(args))
        cases.append(pytest.param(' '.join(words), expected, id='generated-%d' % number))
    return cases


@pytest.mark.parametrize('line, expected', generated_cases())
def test_round_trip_generated(line, expected):
    first = parse_entry(line)
    assert first == expected
    rendered = render_entry(first)
    assert parse_entry(rendered) == first
    assert render_entry(parse_entry(rendered)) == rendered


# ---------------------------------------------------------------------------
# normalize_spec

@pytest.mark.parametrize('spec, expected', [
    pytest.param({'service': 'submission', 'type': 'inet', 'private': False, 'chroot': True, 'command': 'smtpd',
                  'options': {'syslog_name': 'postfix/submission', 'smtpd_sasl_auth_enable': True,
                              'smtpd_client_restrictions': ['permit_sasl_authenticated', 'reject'],
                              'smtpd_tls_security_level': ' encrypt '}},
                 {'service': 'submission', 'type': 'inet', 'private': 'n', 'chroot': 'y', 'command': 'smtpd',
                  'options': {'syslog_name': 'postfix/submission', 'smtpd_sasl_auth_enable': 'yes',
                              'smtpd_client_restrictions': 'permit_sasl_authenticated, reject',
                              'smtpd_tls_security_level': 'encrypt'}},
                 id='booleans-lists-strip'),
    pytest.param({'service': 'pickup', 'type': 'unix', 'private': 'n', 'unprivileged': '-', 'chroot': 'y',
                  'wakeup': 60, 'process_limit': 1, 'command': 'pickup'},
                 {'service': 'pickup', 'type': 'unix', 'private': 'n', 'unprivileged': '-', 'chroot': 'y',
                  'wakeup': '60', 'process_limit': '1', 'command': 'pickup'},
                 id='numbers'),
    pytest.param({'service': 'tlsmgr', 'type': 'unix', 'wakeup': '1000?', 'process_limit': '-', 'private': None},
                 {'service': 'tlsmgr', 'type': 'unix', 'wakeup': '1000?', 'process_limit': '-'},
                 id='wakeup-question-mark-and-none-left-out'),
    pytest.param({'service': '127.0.0.1:10025', 'type': 'inet', 'args': ['-v', 'flags=R', '${recipient}'],
                  'options': {'content_filter': None, 'smtpd_milters': ''}},
                 {'service': '127.0.0.1:10025', 'type': 'inet', 'args': ['-v', 'flags=R', '${recipient}'],
                  'options': {'content_filter': None, 'smtpd_milters': ''}},
                 id='args-and-option-removal'),
    pytest.param({'service': 'x', 'type': 'unix', 'options': {'a': 'check_policy_service { inet:127.0.0.1:10023 }'}},
                 {'service': 'x', 'type': 'unix', 'options': {'a': 'check_policy_service { inet:127.0.0.1:10023 }'}},
                 id='balanced-braces-in-option'),
    pytest.param({'service': 'x', 'type': 'fifo', 'args': [], 'options': {}, 'state': 'present'},
                 {'service': 'x', 'type': 'fifo', 'args': [], 'options': {}},
                 id='empty-args-and-options'),
])
def test_normalize_spec(spec, expected):
    assert normalize_spec(spec) == expected


@pytest.mark.parametrize('service_type', ['inet', 'unix', 'unix-dgram', 'fifo', 'pass'])
def test_normalize_spec_service_types(service_type):
    assert normalize_spec({'service': 'x', 'type': service_type})['type'] == service_type


@pytest.mark.parametrize('changes, message', [
    pytest.param({'service': None}, 'service and type are required', id='no-service'),
    pytest.param({'type': None}, 'service and type are required', id='no-type'),
    pytest.param({'service': 'a/b'}, 'cannot contain "/" or "="', id='slash-in-service'),
    pytest.param({'service': 'a=b'}, 'cannot contain "/" or "="', id='equals-in-service'),
    pytest.param({'service': '*'}, '"\\*" is postconf\'s wild card, not a service name', id='wildcard-service'),
    pytest.param({'service': 'sub mission'}, 'must be one word', id='space-in-service'),
    pytest.param({'service': ''}, 'must be one word', id='empty-service'),
    pytest.param({'type': 'tcp'}, 'type must be one of inet, unix, unix-dgram, fifo, pass', id='bad-type'),
    pytest.param({'type': 'INET'}, 'type must be one of', id='type-case'),
    pytest.param({'private': 'yes'}, 'private must be y, n or -', id='flag-yes'),
    pytest.param({'chroot': 'maybe'}, 'chroot must be y, n or -', id='flag-word'),
    pytest.param({'unprivileged': 1}, 'unprivileged must be y, n or -', id='flag-number'),
    pytest.param({'wakeup': '60s'}, 'wakeup must be -, a number of seconds', id='wakeup-unit'),
    pytest.param({'wakeup': '?'}, 'wakeup must be', id='wakeup-question-only'),
    pytest.param({'wakeup': -1}, 'wakeup must be', id='wakeup-negative'),
    pytest.param({'wakeup': True}, 'wakeup must be', id='wakeup-bool'),
    pytest.param({'process_limit': '1?'}, 'process_limit must be - or a number', id='limit-question'),
    pytest.param({'process_limit': 'many'}, 'process_limit must be - or a number', id='limit-word'),
    pytest.param({'command': 'smtpd -v'}, 'command=.* must be one word', id='space-in-command'),
    pytest.param({'command': 'smtpd\nfoo'}, 'newline or control character', id='newline-in-command'),
    pytest.param({'args': ['argv=/usr/bin/filter ${recipient}']}, 'args=.* must be one word', id='space-in-arg'),
    pytest.param({'args': ['-v', '']}, 'must be one word', id='empty-arg'),
    pytest.param({'args': ['a\nb']}, 'newline or control character', id='newline-in-arg'),
    pytest.param({'options': {'bad name': 'x'}}, 'invalid parameter name', id='bad-option-name'),
    pytest.param({'options': {'smtpd-x': 'x'}}, 'invalid parameter name', id='dash-option-name'),
    pytest.param({'options': {'syslog_name': 'x\n-o smtpd_tls_security_level=none'}}, 'newline or control character',
                 id='newline-injection-in-option'),
    pytest.param({'options': {'syslog_name': '{ x'}}, 'a "{" without its "}"', id='unbalanced-open-brace'),
    pytest.param({'options': {'syslog_name': 'x }'}}, 'a "}" without its "{"', id='unbalanced-close-brace'),
    pytest.param({'options': {'syslog_name': {'a': 1}}}, 'unsupported type', id='option-type'),
])
def test_normalize_spec_errors(changes, message):
    spec = dict({'service': 'submission', 'type': 'inet', 'command': 'smtpd'}, **changes)
    with pytest.raises(ConfigValueError, match=message):
        normalize_spec(spec)


@pytest.mark.parametrize('args, word, example', [
    # postconf -M splits such a word at every further "o": -o smtpd_relay_restricti -o ns=permit (3.7 and 3.10).
    pytest.param(['-osmtpd_relay_restrictions=permit'], '-osmtpd_relay_restrictions=permit',
                 '{smtpd_relay_restrictions: permit}', id='attached'),
    pytest.param(['-v', '-osyslog_name=postfix/x'], '-osyslog_name=postfix/x', '{syslog_name: postfix/x}',
                 id='attached-after-v'),
    # -vo: -v, then -o with the rest as its value (written as -v -o sysl -o g_name=p -o stfix/x).
    pytest.param(['-vosyslog_name=postfix/x'], '-vosyslog_name=postfix/x', '{name: value}', id='in-a-cluster'),
    pytest.param(['-vo', 'syslog_name=x'], '-vo', '{name: value}', id='cluster-then-word'),
])
def test_normalize_spec_refuses_o_parameters_in_args(args, word, example):
    spec = {'service': 'relaytest', 'type': 'unix', 'command': 'smtpd', 'args': args}
    with pytest.raises(ConfigValueError) as error:
        normalize_spec(spec)
    assert str(error.value).startswith('master.cf entry relaytest/unix: the argument %r holds a -o parameter' % word)
    assert str(error.value).endswith("give -o parameters in the service's options (%s), not in args" % example)


@pytest.mark.parametrize('args', [
    ['-v'],
    ['-D', '-v', '-S'],
    # After the first word that is not an option, "o" belongs to the command: pipe's argv=... and "--".
    ['flags=R', 'user=nobody', 'argv=/usr/bin/filter', '-oi', '-f', '${sender}'],
    ['--', '-oi'],
])
def test_normalize_spec_accepts_args_without_o_parameters(args):
    assert normalize_spec({'service': 'x', 'type': 'unix', 'args': args})['args'] == args


def test_normalize_spec_rejects_option_name_with_trailing_newline():
    with pytest.raises(ConfigValueError):
        normalize_spec({'service': 'submission', 'type': 'inet', 'options': {'syslog_name\n': 'x'}})


def test_normalize_spec_does_not_change_its_argument():
    spec = {'service': 'x', 'type': 'unix', 'chroot': False, 'args': ['-v'], 'options': {'a': True, 'b': None}}
    before = copy.deepcopy(spec)
    normalize_spec(spec)
    assert spec == before


# ---------------------------------------------------------------------------
# desired_entry

CURRENT = entry('submission inet n - y - - smtpd',
                options={'syslog_name': 'postfix/submission', 'smtpd_tls_security_level': 'encrypt', 'smtpd_fooo': '1'},
                args=['-v'])


@pytest.mark.parametrize('spec, expected', [
    pytest.param({}, CURRENT, id='nothing-changes'),
    pytest.param({'chroot': 'n', 'process_limit': '10'},
                 dict(CURRENT, chroot='n', process_limit='10'), id='fields-changed-others-kept'),
    pytest.param({'args': []}, dict(CURRENT, args=[]), id='args-replaced'),
    pytest.param({'options': {'smtpd_fooo': None}},
                 dict(CURRENT, options={'syslog_name': 'postfix/submission', 'smtpd_tls_security_level': 'encrypt'}),
                 id='option-removed'),
    pytest.param({'options': {'not_there': None}}, CURRENT, id='removing-missing-option'),
    pytest.param({'options': {'smtpd_tls_security_level': 'may', 'smtpd_sasl_auth_enable': 'yes', 'smtpd_fooo': None}},
                 dict(CURRENT, options={'syslog_name': 'postfix/submission', 'smtpd_tls_security_level': 'may',
                                        'smtpd_sasl_auth_enable': 'yes'}),
                 id='merge-keeps-order-appends-new'),
])
def test_desired_entry_existing(spec, expected):
    current = copy.deepcopy(CURRENT)
    result = desired_entry(current, dict(spec, service='submission', type='inet'))
    assert result == expected
    assert list(result['options']) == list(expected['options'])
    assert current == CURRENT  # the current entry is not modified


def test_desired_entry_new_defaults_to_dash():
    spec = normalize_spec({'service': 'submission', 'type': 'inet', 'private': False, 'command': 'smtpd',
                           'options': {'syslog_name': 'postfix/submission', 'smtpd_milters': None}})
    result = desired_entry(None, spec)
    assert result == entry('submission inet n - - - - smtpd', options={'syslog_name': 'postfix/submission'})
    assert render_entry(result) == 'submission inet n - - - - smtpd -o syslog_name=postfix/submission'


@pytest.mark.parametrize('spec', [
    {'service': 'submission', 'type': 'inet'},
    {'service': 'submission', 'type': 'inet', 'chroot': 'y', 'options': {'syslog_name': 'x'}, 'args': ['-v']},
])
def test_desired_entry_new_needs_command(spec):
    with pytest.raises(ConfigValueError, match='submission/inet does not exist yet: give its command'):
        desired_entry(None, spec)


@pytest.mark.parametrize('spec', [
    {'service': 'submission', 'type': 'inet', 'chroot': False, 'options': {'smtpd_fooo': None, 'a': 'b c'}},
    {'service': 'submission', 'type': 'inet', 'args': ['-v', '-v'], 'options': {'syslog_name': 'other'}},
])
def test_desired_entry_is_idempotent(spec):
    normalized = normalize_spec(spec)
    once = desired_entry(CURRENT, normalized)
    assert desired_entry(once, normalized) == once
    assert parse_entry(render_entry(once)) == once


# ---------------------------------------------------------------------------
# Braces in master.cf: refused when written, reported (not fatal) when read

@pytest.mark.parametrize('spec, message', [
    pytest.param({'command': 'pi{pe'}, 'the command .pi{pe. contains a brace', id='command-open'),
    pytest.param({'command': 'pipe}'}, 'the command .pipe}. contains a brace', id='command-close'),
])
def test_normalize_spec_refuses_braces_in_the_command(spec, message):
    with pytest.raises(ConfigValueError, match=message):
        normalize_spec(dict({'service': 'x', 'type': 'unix'}, **spec))


@pytest.mark.parametrize('args, message', [
    pytest.param(['argv=/bin/cat', '{x'], 'a "{" without its "}" in the argument', id='open'),
    pytest.param(['argv=/bin/cat', 'x}'], 'a "}" without its "{" in the argument', id='close'),
    pytest.param(['argv=/bin/cat', 'a{b'], 'rest of the line as one argument', id='inside'),
    pytest.param(['argv=/bin/cat', '{a}b'], 'starts a { ... } group that does not end with it', id='group-then-text'),
])
def test_desired_entry_refuses_unbalanced_braces_in_args(args, message):
    spec = normalize_spec({'service': 'x', 'type': 'unix', 'command': 'pipe', 'args': args})
    with pytest.raises(ConfigValueError, match=message):
        desired_entry(None, spec)


@pytest.mark.parametrize('args', [
    ['flags=R', 'user=vmail', 'argv=/usr/lib/dovecot/deliver', '-f', '${sender}', '-d', '${recipient}'],
    ['argv=/bin/x', '{a}'],
    ['{}'],
])
def test_desired_entry_accepts_balanced_braces_in_args(args):
    spec = normalize_spec({'service': 'x', 'type': 'unix', 'command': 'pipe', 'args': args})
    assert desired_entry(None, spec)['args'] == args


def test_desired_entry_refuses_to_keep_a_hand_made_brace_and_says_how_to_fix_it():
    current = parse_entry('x unix - n n - - pipe flags=R argv=/bin/cat x}')
    spec = normalize_spec({'service': 'x', 'type': 'unix', 'process_limit': 2})
    with pytest.raises(ConfigValueError, match='x/unix: a "}" without its "{".*fix it in master.cf, or replace'):
        desired_entry(current, spec)
    replaced = desired_entry(current, normalize_spec({'service': 'x', 'type': 'unix', 'args': ['flags=R', 'argv=/bin/cat']}))
    assert replaced['args'] == ['flags=R', 'argv=/bin/cat']


def test_desired_entry_refuses_a_hand_made_brace_in_a_kept_option():
    current = parse_entry('x inet n - n - - smtpd -o smtpd_client_restrictions=permit_mynetworks,}')
    with pytest.raises(ConfigValueError, match='-o smtpd_client_restrictions=permit_mynetworks,}'):
        desired_entry(current, normalize_spec({'service': 'x', 'type': 'inet', 'process_limit': 2}))
    fixed = desired_entry(current, normalize_spec({'service': 'x', 'type': 'inet', 'options': {
        'smtpd_client_restrictions': 'permit_mynetworks'}}))
    assert fixed['options'] == {'smtpd_client_restrictions': 'permit_mynetworks'}


def test_free_text_options_may_hold_any_brace():
    spec = normalize_spec({'service': 'x', 'type': 'inet', 'command': 'smtpd',
                           'options': {'smtpd_banner': '$myhostname ESMTP :-}'}})
    assert desired_entry(None, spec)['options'] == {'smtpd_banner': '$myhostname ESMTP :-}'}


HAND_MADE = (
    'smtp inet n - y - - smtpd\n'
    'foo unix - n n - - pipe flags=R user=nobody argv=/bin/cat x}\n'
    'bar unix - n n - -\n'
    'baz unix - - n - - smtpd -o { a = b\n'
    'relay unix - - n - - smtp\n'
)


def test_parse_entries_reads_past_hand_made_errors_and_reports_each():
    entries, malformed = parse_entries(HAND_MADE)
    assert list(entries) == ['smtp/inet', 'foo/unix', 'relay/unix']
    assert entries['foo/unix']['args'] == ['flags=R', 'user=nobody', 'argv=/bin/cat', 'x}']
    assert [(item.key, item.line) for item in malformed] == [
        ('foo/unix', 'foo unix - n n - - pipe flags=R user=nobody argv=/bin/cat x}'),
        ('bar/unix', 'bar unix - n n - -'),
        ('baz/unix', 'baz unix - - n - - smtpd -o { a = b'),
    ]
    assert 'a "}" without its "{"' in malformed[0].problem
    assert 'has 7 fields, needs at least 8' in malformed[1].problem
    assert 'has no closing "}"' in malformed[2].problem


# What postconf -M (3.7 and 3.10) prints after "postconf -Me '127.0.0.1:10026/inet=127.0.0.1:10026 inet n - y - -
# smtpd -osmtpd_relay_restrictions=permit'": an entry that postfix check lets through and smtpd cannot start with.
MANGLED = '127.0.0.1:10026 inet n   -       y       -       -       smtpd -o smtpd_relay_restricti -o ns=permit'


def test_parse_entries_reports_the_entry_postconf_mangled():
    entries, malformed = parse_entries('smtp inet n - y - - smtpd\n' + MANGLED + '\n')
    assert list(entries) == ['smtp/inet']
    assert [(item.key, item.line) for item in malformed] == [('127.0.0.1:10026/inet', MANGLED)]
    assert malformed[0].problem == "-o argument without \"=\": 'smtpd_relay_restricti'"


def test_malformed_warning_names_the_line_the_problem_and_the_fix():
    item = parse_entries(HAND_MADE)[1][0]
    assert malformed_warning(item, '/etc/postfix/master.cf') == (
        "foo/unix: the entry 'foo unix - n n - - pipe flags=R user=nobody argv=/bin/cat x}' is malformed "
        "(a \"}\" without its \"{\" in the argument 'x}', so Postfix would read the rest of the line as one argument). "
        "Fix it in /etc/postfix/master.cf, or replace it with services (give its command and args), or remove it "
        "(state: absent)")


@pytest.mark.parametrize('version', VERSIONS)
def test_captured_master_cf_has_no_brace_problem(version):
    for name in MASTER_FIXTURES:
        entries, malformed = parse_entries(fixture_text(version, name))
        assert malformed == []
        assert all(entry_brace_problem(entry) is None for entry in entries.values())
