# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/filter_data.py: the filter role's milters as main.cf settings."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.filter_data import dkim_plan, milter_settings, milter_socket

DKIM = {'name': 'opendkim', 'socket': 'inet:127.0.0.1:8891'}
SPAM = {'name': 'spamassassin', 'socket': 'unix:/spamass/spamass.sock', 'traffic': 'smtpd'}


def test_order_is_kept_and_traffic_decides_the_list():
    clamav = {'name': 'clamav', 'socket': 'inet:[::1]:7357', 'traffic': 'non_smtpd'}
    settings = milter_settings([SPAM, DKIM, clamav], 'tempfail')
    assert settings['parameters'] == {
        'smtpd_milters': 'unix:/spamass/spamass.sock, inet:127.0.0.1:8891',
        'non_smtpd_milters': 'inet:127.0.0.1:8891, inet:[::1]:7357',
        'milter_default_action': 'tempfail',
    }
    assert settings['probes'] == [
        {'name': 'spamassassin', 'socket': 'unix:/spamass/spamass.sock', 'may_be_down': False},
        {'name': 'opendkim', 'socket': 'inet:127.0.0.1:8891', 'may_be_down': False},
        {'name': 'clamav', 'socket': 'inet:[::1]:7357', 'may_be_down': False},
    ]


def test_per_milter_settings_use_the_postfix_3_braces_in_a_fixed_order():
    # name=value without spaces: smtpd dies on "default_action = accept" (missing '=' after attribute name).
    milter = dict(DKIM, command_timeout='5s', default_action='accept', connect_timeout=10, protocol=6,
                  content_timeout='2m', may_be_down=True)
    settings = milter_settings([milter], 'reject')
    assert settings['parameters']['smtpd_milters'] == (
        '{ inet:127.0.0.1:8891, default_action=accept, protocol=6, connect_timeout=10, command_timeout=5s, '
        'content_timeout=2m }')
    assert settings['parameters']['non_smtpd_milters'] == settings['parameters']['smtpd_milters']
    assert settings['parameters']['milter_default_action'] == 'reject'
    assert settings['probes'][0]['may_be_down'] is True


def test_no_milters_sets_empty_lists_and_still_the_default_action():
    assert milter_settings([], 'accept') == {
        'parameters': {'smtpd_milters': '', 'non_smtpd_milters': '', 'milter_default_action': 'accept'},
        'probes': []}


@pytest.mark.parametrize('socket, parsed', [
    ('unix:/run/x.sock', ('unix', '/run/x.sock')),
    ('inet:localhost:8891', ('inet', ('localhost', 8891))),
    ('inet:[2001:db8::1]:1', ('inet', ('2001:db8::1', 1))),
    ('inet:127.0.0.1:65535', ('inet', ('127.0.0.1', 65535))),
    ('unix:relative.sock', None),
    ('unix:/', None),
    ('inet:127.0.0.1:0', None),
    ('inet:127.0.0.1:65536', None),
    ('inet:127.0.0.1', None),
    ('inet::8891', None),
    ('inet:2001:db8::1:25', None),
    ('local:/run/x.sock', None),
    ('/run/x.sock', None),
    ('inet:127.0.0.1:8891, inet:127.0.0.1:8892', None),
    ('{ inet:127.0.0.1:8891 }', None),
    (None, None),
])
def test_sockets_postfix_takes(socket, parsed):
    assert milter_socket(socket) == parsed


@pytest.mark.parametrize('milters, problem', [
    ('opendkim', 'filter: filter_milters is not a list of milters'),
    (['opendkim'], 'filter: filter_milters[0] is not a mapping'),
    ([{'socket': 'inet:127.0.0.1:1'}], "filter: filter_milters[0] needs a name of letters, digits"),
    ([{'name': 'a b', 'socket': 'inet:127.0.0.1:1'}], "filter_milters[0] (a b) needs a name"),
    ([dict(DKIM, port=1)], "filter_milters[0] (opendkim) has unknown keys port (known: command_timeout,"),
    ([dict(DKIM, socket='inet:127.0.0.1')], "(opendkim) has the socket 'inet:127.0.0.1', which is not "
                                            "unix:/absolute/path or inet:host:port"),
    ([dict(DKIM, traffic='local')], "(opendkim) has traffic 'local': smtpd (mail received over SMTP), non_smtpd"),
    ([dict(DKIM, default_action='discard')], "(opendkim) has default_action 'discard': one of accept, reject, "
                                             "tempfail, quarantine"),
    ([dict(DKIM, protocol=5)], '(opendkim) has protocol 5: Postfix speaks milter protocol 2, 3, 4, 6'),
    ([dict(DKIM, protocol=True)], '(opendkim) has protocol True'),
    ([dict(DKIM, connect_timeout='ten')], "(opendkim) has connect_timeout 'ten', which is not a Postfix time value"),
    ([dict(DKIM, command_timeout='5 s')], "(opendkim) has command_timeout '5 s'"),
    ([dict(DKIM, connect_timeout=0)], "(opendkim) has connect_timeout 0, which is not a Postfix time value of at least 1"),
    ([DKIM, dict(DKIM, socket='inet:127.0.0.1:2')], 'filter_milters[1] (opendkim) has a name that an earlier '
                                                    'milter has'),
    ([DKIM, dict(DKIM, name='other')], 'filter_milters[1] (other) has the socket of opendkim: give one milter per '
                                       'socket'),
])
def test_bad_milters_are_refused_naming_the_milter(milters, problem):
    with pytest.raises(AnsibleFilterError) as error:
        milter_settings(milters, 'tempfail')
    assert problem in str(error.value)


def test_bad_default_action_is_refused():
    with pytest.raises(AnsibleFilterError, match="filter_default_action 'bounce': one of accept, reject, tempfail"):
        milter_settings([], 'bounce')


def test_dkim_plan_tables_and_keys():
    plan = dkim_plan([{'domain': 'Example.COM', 'selector': 'mail2026'}, {'domain': 'example.net.', 'selector': 's1'}],
                     '/etc/opendkim/keys/')
    assert plan['key_table'] == (
        'mail2026._domainkey.example.com example.com:mail2026:/etc/opendkim/keys/example.com/mail2026.private\n'
        's1._domainkey.example.net example.net:s1:/etc/opendkim/keys/example.net/s1.private\n')
    # refile: OpenDKIM reads "*" as any text and "." as a dot; every address of the domain, not of its subdomains.
    assert plan['signing_table'] == ('*@example.com mail2026._domainkey.example.com\n'
                                     '*@example.net s1._domainkey.example.net\n')
    assert plan['signing_keys'][0] == {'domain': 'example.com', 'selector': 'mail2026',
                                       'record': 'mail2026._domainkey.example.com',
                                       'path': '/etc/opendkim/keys/example.com/mail2026.private'}


def test_dkim_plan_without_domains_is_empty():
    assert dkim_plan([], '/k') == {'key_table': '', 'signing_table': '', 'signing_keys': []}


@pytest.mark.parametrize('signing, problem', [
    ({'domain': 'example.com'}, 'filter_dkim_domains is not a list'),
    (['example.com'], "filter_dkim_domains[0] is not a mapping of domain and selector: 'example.com'"),
    ([{'domain': 'example.com', 'selector': 's', 'bits': 1024}], 'filter_dkim_domains[0] is not a mapping'),
    ([{'domain': 'exa mple.com', 'selector': 's'}], "filter_dkim_domains[0] has the domain 'exa mple.com', which is "
                                                    "not a domain name"),
    ([{'domain': '_dmarc.example.com', 'selector': 's'}], "has the domain '_dmarc.example.com'"),
    ([{'domain': 'example.com', 'selector': 'a_b'}], "filter_dkim_domains[0] (example.com) has the selector 'a_b': one "
                                                     "or more DNS labels"),
    ([{'domain': 'example.com', 'selector': '-a'}], "has the selector '-a'"),
    ([{'domain': 'example.com'}], 'has the selector None'),
    ([{'domain': 'example.com', 'selector': 'a'}, {'domain': 'EXAMPLE.com', 'selector': 'b'}],
     'filter_dkim_domains[1] signs example.com a second time'),
])
def test_dkim_plan_refuses_bad_data(signing, problem):
    with pytest.raises(AnsibleFilterError) as error:
        dkim_plan(signing, '/etc/opendkim/keys')
    assert problem in str(error.value)
