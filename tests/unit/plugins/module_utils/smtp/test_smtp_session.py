# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the SMTP probe, against a real ESMTP server in the test process (FakeSmtpServer).

FakeSmtpServer and the certificates are also used by tests/unit/plugins/modules/test_smtp_probe.py.
"""

from __future__ import annotations

import base64
import datetime
import json
import socket
import ssl
import threading
from contextlib import contextmanager

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.mailops.postfix.plugins.module_utils.smtp.certificates import certificate_details, pem_certificates
from ansible_collections.mailops.postfix.plugins.module_utils.smtp.session import (
    ProbeSettings,
    ProbeSettingsError,
    SmtpSession,
    code_matches,
    expected_codes,
    xtext,
)

USER, PASSWORD = 'alice@example.test', 'S3cret-pa55'
LOCAL_DOMAIN = 'example.test'
QUEUE_ID = '4F2B81C3A2'


def make_certificate(subject_name, issuer_key=None, issuer_name=None, days=(-1, 90), ca=False):
    """A key and certificate made with cryptography (an ansible-core requirement), self-signed without issuer."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'mailops tests'),
                      x509.NameAttribute(NameOID.COMMON_NAME, subject_name)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days[0]))
               .not_valid_after(now + datetime.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject_name)]), critical=False)
    return key, builder.sign(issuer_key or key, hashes.SHA256())


def certificate_files(directory):
    """Files of a test CA and of server certificates: signed by it, self-signed, and signed but expired."""
    ca_key, ca_cert = make_certificate('mailops test CA', ca=True, days=(-1, 3650))
    made = {'signed': make_certificate('mx.example.test', ca_key, ca_cert.subject),
            'self-signed': make_certificate('mx.example.test'),
            'expired': make_certificate('mx.example.test', ca_key, ca_cert.subject, days=(-30, -2))}
    paths = {'ca': str(directory / 'ca.pem')}
    (directory / 'ca.pem').write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for kind, (key, cert) in made.items():
        path = directory / ('%s.pem' % kind)
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        paths[kind] = str(path)
    return paths


@pytest.fixture(scope='module')
def certificates(tmp_path_factory):
    return certificate_files(tmp_path_factory.mktemp('smtp-certificates'))


def server_context(certificate_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_file)
    return context


class FakeSmtpServer:
    """An ESMTP server on 127.0.0.1 that answers like Postfix: banner, EHLO (STARTTLS, AUTH PLAIN LOGIN, XCLIENT),
    STARTTLS, AUTH, XCLIENT (220, then EHLO again), MAIL, RCPT (relay denied for other domains unless
    authenticated), DATA (queued as QUEUE_ID), RSET and QUIT.

    ``replies`` replaces the reply to a verb ('BANNER' for the greeting, 'EHLO-TLS' for EHLO in TLS, 'DOT' after
    the message); None as a reply closes the connection instead. ``commands`` collects every line received, by every session.
    """

    def __init__(self, tls_context=None, implicit_tls=False, xclient=True, open_relay=False, echo_auth=False,
                 replies=None, relay_code=554):
        self.tls_context, self.implicit_tls, self.xclient = tls_context, implicit_tls, xclient
        self.open_relay, self.echo_auth, self.replies = open_relay, echo_auth, replies or {}
        self.relay_code = relay_code
        self.commands = []
        self.messages = []
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self.listener.close()

    def _serve(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(connection,), daemon=True).start()

    def _session(self, connection):
        try:
            if self.implicit_tls:
                connection = self.tls_context.wrap_socket(connection, server_side=True)
            Dialogue(self, connection).run()
        except (OSError, EOFError):
            pass  # the client went away (a failed handshake, a timeout test)
        finally:
            connection.close()


class Dialogue:
    """One session of FakeSmtpServer."""

    def __init__(self, server, connection):
        self.server, self.connection = server, connection
        self.reader = connection.makefile('rb')
        self.tls = server.implicit_tls
        self.authenticated = False
        self.accepted = 0

    def send(self, verb, reply):
        reply = self.server.replies.get(verb, reply)
        if reply is None:
            raise EOFError()
        self.connection.sendall(reply.encode('utf-8') + b'\r\n')
        return reply

    def read(self):
        line = self.reader.readline()
        if not line:
            raise EOFError()
        line = line.decode('utf-8').rstrip('\r\n')
        self.server.commands.append(line)
        return line

    def run(self):
        self.send('BANNER', '220 mx.example.test ESMTP Postfix')
        while True:
            line = self.read()
            verb, _space, argument = line.partition(' ')
            handler = getattr(self, 'do_' + verb.upper(), None)
            if handler is None:
                self.send(verb, '502 5.5.2 Error: command not recognized')
            elif handler(argument) == 'quit':
                return

    def do_EHLO(self, argument):
        keywords = ['PIPELINING', 'SIZE 10240000']
        if self.server.tls_context and not self.tls:
            keywords.append('STARTTLS')
        keywords.append('AUTH PLAIN LOGIN')
        if self.server.xclient:
            keywords.append('XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT')
        lines = ['mx.example.test'] + keywords + ['8BITMIME']
        reply = '\r\n'.join('250-' + line for line in lines[:-1]) + '\r\n250 ' + lines[-1]
        self.send('EHLO-TLS' if self.tls else 'EHLO', reply)

    def do_STARTTLS(self, _argument):
        self.send('STARTTLS', '220 2.0.0 Ready to start TLS')
        self.connection = self.server.tls_context.wrap_socket(self.connection, server_side=True)
        self.reader = self.connection.makefile('rb')
        self.tls = True

    def do_AUTH(self, argument):
        mechanism, _space, response = argument.partition(' ')
        if mechanism.upper() == 'PLAIN':
            _authorization, user, password = base64.b64decode(response).decode('utf-8').split('\0')
        else:
            self.send('AUTH-USER', '334 VXNlcm5hbWU6')
            user = base64.b64decode(self.read()).decode('utf-8')
            self.send('AUTH-PASSWORD', '334 UGFzc3dvcmQ6')
            response = self.read()
            password = base64.b64decode(response).decode('utf-8')
        self.authenticated = (user, password) == (USER, PASSWORD)
        if self.authenticated:
            self.send('AUTH', '235 2.7.0 Authentication successful')
        else:
            echoed = ' (%s)' % response if self.server.echo_auth else ''
            self.send('AUTH', '535 5.7.8 Error: authentication failed: authentication failure' + echoed)

    def do_XCLIENT(self, _argument):
        self.send('XCLIENT', '220 mx.example.test ESMTP Postfix')

    def do_MAIL(self, _argument):
        self.send('MAIL', '250 2.1.0 Ok')

    def do_RCPT(self, argument):
        address = argument.partition('<')[2].rstrip('>')
        if address.endswith('@' + LOCAL_DOMAIN) or self.authenticated or self.server.open_relay:
            self.accepted += 1
            self.send('RCPT', '250 2.1.5 Ok')
        else:
            code = self.server.relay_code
            self.send('RCPT', '%d %d.7.1 <%s>: Relay access denied' % (code, code // 100, address))

    def do_DATA(self, _argument):
        if not self.accepted:
            self.send('DATA', '554 5.5.1 Error: no valid recipients')
            return
        if not self.send('DATA', '354 End data with <CR><LF>.<CR><LF>').startswith('354'):
            return
        lines = []
        while lines[-1:] != ['.']:
            lines.append(self.read())
        self.server.messages.append('\n'.join(lines[:-1]))
        self.send('DOT', '250 2.0.0 Ok: queued as %s' % QUEUE_ID)

    def do_RSET(self, _argument):
        self.accepted = 0
        self.send('RSET', '250 2.0.0 Ok')

    def do_QUIT(self, _argument):
        self.send('QUIT', '221 2.0.0 Bye')
        return 'quit'


@contextmanager
def fake_smtp_servers():
    """A function that starts FakeSmtpServer(**options); every server it started is closed on exit."""
    started = []

    def start(**options):
        started.append(FakeSmtpServer(**options))
        return started[-1]
    try:
        yield start
    finally:
        for server in started:
            server.close()


@pytest.fixture
def smtp_server():
    with fake_smtp_servers() as start:
        yield start


def run_probe(server, **options):
    options.setdefault('port', server.port)
    options.setdefault('helo', 'probe.example.test')
    options.setdefault('timeout', 5)
    return SmtpSession(ProbeSettings(**options)).run()


def step_names(session):
    return [step['step'] for step in session.steps]


def verbs(server):
    return [line.split(' ')[0].upper() for line in server.commands]


def test_full_session_with_starttls_auth_and_queue_id(smtp_server, certificates):
    server = smtp_server(tls_context=server_context(certificates['signed']))
    session = run_probe(server, tls='starttls', ca_file=certificates['ca'], server_name='mx.example.test',
                        tls_verify=True, auth_user=USER, auth_password=PASSWORD, mail_from=USER,
                        rcpt_to=['bob@example.test', 'carol@example.net'])
    assert session.failed_step is None
    assert step_names(session) == ['connect', 'banner', 'ehlo', 'tls', 'tls', 'ehlo', 'auth', 'mail', 'rcpt', 'rcpt',
                                   'data', 'dot', 'quit']
    assert session.queued and session.queue_id == QUEUE_ID
    assert session.rcpt['carol@example.net'] == {'code': 250, 'text': '2.1.5 Ok', 'expected': ['250', '251']}
    assert session.tls['protocol'] in ('TLSv1.2', 'TLSv1.3') and session.tls['bits'] >= 128
    certificate = session.tls['certificate']
    assert certificate['subject'] == 'O=mailops tests, CN=mx.example.test'
    assert certificate['issuer'] == 'O=mailops tests, CN=mailops test CA'
    assert certificate['days_left'] in (88, 89) and certificate['not_after'].endswith('Z')
    assert (certificate['verified'], certificate['verify_error']) == (True, None)
    assert session.steps[-1] == {'step': 'quit', 'command': 'QUIT', 'code': 221, 'text': '2.0.0 Bye'}
    assert 'Subject: mailops.postfix.smtp_probe test message from probe.example.test' in server.messages[0]
    assert 'Message-ID: <' in server.messages[0]


def test_auth_login(smtp_server):
    server = smtp_server()
    session = run_probe(server, tls='none', auth_user=USER, auth_password=PASSWORD, auth_mechanism='login')
    assert session.failed_step is None
    assert [(step['command'], step['code']) for step in session.steps if step['step'] == 'auth'] == [
        ('AUTH LOGIN', 334), ('********', 334), ('********', 235)]
    assert verbs(server) == ['EHLO', 'AUTH', base64.b64encode(USER.encode()).decode().upper(),
                             base64.b64encode(PASSWORD.encode()).decode().upper(), 'QUIT']


def test_unverified_certificate_is_reported_and_the_probe_goes_on(smtp_server, certificates):
    server = smtp_server(tls_context=server_context(certificates['self-signed']))
    session = run_probe(server, server_name='mx.example.test', mail_from='', rcpt_to=['bob@example.test'])
    assert session.failed_step is None and session.queue_id == QUEUE_ID
    certificate = session.tls['certificate']
    assert certificate['verified'] is False and 'self-signed certificate' in certificate['verify_error']
    assert certificate['subject'] == certificate['issuer'] == 'O=mailops tests, CN=mx.example.test'
    assert step_names(session)[:8] == ['connect', 'banner', 'ehlo', 'tls', 'tls', 'connect', 'banner', 'ehlo']
    assert 'connecting again without verifying' in session.steps[4]['text']


def test_tls_verify_fails_at_tls_before_any_credentials_are_sent(smtp_server, certificates):
    server = smtp_server(tls_context=server_context(certificates['expired']))
    session = run_probe(server, ca_file=certificates['ca'], server_name='mx.example.test', tls_verify=True,
                        auth_user=USER, auth_password=PASSWORD, mail_from=USER, rcpt_to=['bob@example.test'])
    assert session.failed_step == {'step': 'tls', 'swaks_code': 29,
                                   'message': 'certificate verification failed: certificate has expired'}
    assert session.tls['certificate']['days_left'] in (-2, -3)
    assert 'AUTH' not in verbs(server) and 'MAIL' not in verbs(server)


def test_a_name_the_certificate_does_not_have_is_a_verification_failure(smtp_server, certificates):
    server = smtp_server(tls_context=server_context(certificates['signed']))
    session = run_probe(server, ca_file=certificates['ca'], server_name='mail.example.org')
    assert session.failed_step is None
    assert "Hostname mismatch, certificate is not valid for 'mail.example.org'" in \
        session.tls['certificate']['verify_error']


def test_implicit_tls_on_connect(smtp_server, certificates):
    server = smtp_server(tls_context=server_context(certificates['signed']), implicit_tls=True)
    session = run_probe(server, tls='implicit', ca_file=certificates['ca'], server_name='mx.example.test',
                        mail_from='', rcpt_to=['bob@example.test'])
    assert session.failed_step is None and session.queued
    assert step_names(session)[:4] == ['connect', 'tls', 'banner', 'ehlo'] and 'STARTTLS' not in verbs(server)
    assert session.tls['certificate']['verified'] is True


def test_port_465_means_implicit_tls_unless_told_otherwise():
    assert ProbeSettings(port=465).tls == 'implicit'
    assert ProbeSettings(port=465, tls='none').tls == 'none'
    assert ProbeSettings(port=587).tls == 'opportunistic'


def test_connection_refused_is_the_connect_step():
    listener = socket.create_server(('127.0.0.1', 0))
    port = listener.getsockname()[1]
    listener.close()
    session = SmtpSession(ProbeSettings(port=port, timeout=5)).run()
    assert session.failed_step['step'] == 'connect' and session.failed_step['swaks_code'] == 2
    assert 'Connection refused' in session.failed_step['message']


@pytest.mark.parametrize('replies, options, step, code', [
    ({'BANNER': '554 5.7.1 no SMTP service here'}, {}, 'banner', 21),
    ({'EHLO': '421 4.3.2 Service shutting down'}, {}, 'ehlo', 22),
    ({'MAIL': '553 5.7.1 <x@example.test>: Sender address rejected'}, {'mail_from': 'x@example.test'}, 'mail', 23),
    ({'DATA': '451 4.3.0 Error: queue file write error'},
     {'mail_from': '', 'rcpt_to': ['bob@example.test']}, 'data', 25),
    ({'DOT': '550 5.7.1 Message content rejected'}, {'mail_from': '', 'rcpt_to': ['bob@example.test']}, 'dot', 26),
    ({'QUIT': '500 5.5.2 Error: bad syntax'}, {}, 'quit', 27),
    ({'XCLIENT': '550 5.7.0 Error: insufficient authorization'}, {'xclient': {'addr': '192.0.2.7'}}, 'xclient', 33),
    ({'MAIL': None}, {'mail_from': ''}, 'mail', 6),
])
def test_each_step_fails_with_its_swaks_code(smtp_server, replies, options, step, code):
    server = smtp_server(replies=replies)
    session = run_probe(server, tls='none', **options)
    assert (session.failed_step['step'], session.failed_step['swaks_code']) == (step, code)
    assert session.queued is False and verbs(server).count('QUIT') <= 1


def test_a_step_without_a_reply_in_time_is_that_step():
    listener = socket.create_server(('127.0.0.1', 0))  # accepts (backlog) and never says a word
    session = SmtpSession(ProbeSettings(port=listener.getsockname()[1], timeout=0.5)).run()
    listener.close()
    assert (session.failed_step['step'], session.failed_step['swaks_code']) == ('banner', 21)
    assert 'timed out' in session.failed_step['message']


def test_wrong_credentials_fail_at_auth_and_the_password_is_shown_nowhere(smtp_server):
    server = smtp_server(echo_auth=True)
    session = run_probe(server, tls='none', auth_user=USER, auth_password='wrong-' + PASSWORD, mail_from=USER)
    assert (session.failed_step['step'], session.failed_step['swaks_code']) == ('auth', 28)
    assert 'MAIL' not in verbs(server)
    shown = json.dumps([session.result(), str(session.failed_step)])
    payload = base64.b64encode(('\0%s\0wrong-%s' % (USER, PASSWORD)).encode()).decode()
    assert PASSWORD not in shown and payload not in shown and '********' in shown


def test_starttls_required_but_not_offered_fails_at_tls_and_sends_no_credentials(smtp_server):
    server = smtp_server()
    session = run_probe(server, tls='starttls', auth_user=USER, auth_password=PASSWORD)
    assert session.failed_step == {'step': 'tls', 'swaks_code': 29, 'message': 'the server does not offer STARTTLS'}
    assert verbs(server) == ['EHLO', 'QUIT']


def test_tls_verify_requires_tls_also_when_opportunistic(smtp_server):
    session = run_probe(smtp_server(), tls_verify=True, mail_from='')
    assert session.failed_step == {'step': 'tls', 'swaks_code': 29, 'message': 'the server does not offer STARTTLS'}


def test_opportunistic_tls_goes_on_in_plain_text(smtp_server):
    session = run_probe(smtp_server(), mail_from='', rcpt_to=['bob@example.test'])
    assert session.failed_step is None and session.tls is None and session.queued
    assert session.steps[3]['text'] == 'STARTTLS not offered; going on without TLS (tls: opportunistic)'


def test_rcpt_refused_when_250_expected_fails_and_reports_every_recipient(smtp_server):
    server = smtp_server()
    session = run_probe(server, tls='none', mail_from='', rcpt_to=['x@example.net', 'bob@example.test'])
    assert (session.failed_step['step'], session.failed_step['swaks_code']) == ('rcpt', 24)
    assert 'x@example.net: expected 250 or 251, got 554 5.7.1 <x@example.net>: Relay access denied' in \
        session.failed_step['message']
    assert session.rcpt['bob@example.test']['code'] == 250 and 'DATA' not in verbs(server)


def test_relay_probe_passes_when_relaying_is_refused(smtp_server):
    server = smtp_server()
    session = run_probe(server, tls='none', mail_from='probe@example.net', rcpt_to=['x@example.net'],
                        expect={'rcpt': [554]})
    assert session.failed_step is None and not session.queued
    assert step_names(session)[-3:] == ['rcpt', 'rset', 'quit'] and 'DATA' not in verbs(server)


def test_relay_probe_fails_on_an_open_relay_and_sends_no_data(smtp_server):
    server = smtp_server(open_relay=True)
    session = run_probe(server, tls='none', mail_from='probe@example.net', rcpt_to=['x@example.net'],
                        expect={'rcpt': ['5xx', '4xx']})
    assert session.failed_step == {'step': 'rcpt', 'swaks_code': 24,
                                   'message': 'x@example.net: expected 5xx or 4xx, got 250 2.1.5 Ok'}
    assert 'DATA' not in verbs(server) and verbs(server)[-1] == 'QUIT' and not session.queued


def test_per_recipient_expectations(smtp_server):
    server = smtp_server()
    session = run_probe(server, tls='none', mail_from='', rcpt_to=['bob@example.test', 'x@example.net'],
                        rcpt_expect={'x@example.net': ['554']})
    assert session.failed_step is None and session.queued
    assert session.rcpt['x@example.net']['expected'] == ['554']


def test_check_mode_stops_after_rcpt_with_rset(smtp_server):
    server = smtp_server()
    session = run_probe(server, tls='none', mail_from='', rcpt_to=['bob@example.test'], check_mode=True)
    assert session.failed_step is None and not session.queued and session.queue_id is None
    assert verbs(server) == ['EHLO', 'MAIL', 'RCPT', 'RSET', 'QUIT'] and server.messages == []
    assert session.rcpt['bob@example.test']['code'] == 250


def test_xclient_is_followed_by_ehlo_again(smtp_server):
    server = smtp_server()
    session = run_probe(server, tls='none', xclient={'addr': '192.0.2.7', 'name': '[UNAVAILABLE]', 'helo': 'a b+c'})
    assert session.failed_step is None
    assert server.commands[1] == 'XCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE] HELO=a+20b+2Bc'
    assert verbs(server) == ['EHLO', 'XCLIENT', 'EHLO', 'QUIT']


def test_xclient_not_offered_fails_at_xclient(smtp_server):
    session = run_probe(smtp_server(xclient=False), tls='none', xclient={'addr': '192.0.2.7'})
    assert (session.failed_step['step'], session.failed_step['swaks_code']) == ('xclient', 33)
    assert 'smtpd_authorized_xclient_hosts' in session.failed_step['message']


def test_ehlo_after_tls_has_its_own_swaks_code(smtp_server, certificates):
    server = smtp_server(tls_context=server_context(certificates['signed']),
                         replies={'EHLO-TLS': '421 4.7.0 mx.example.test Error: too many EHLO'})
    session = run_probe(server, ca_file=certificates['ca'], server_name='mx.example.test')
    assert (session.failed_step['step'], session.failed_step['swaks_code']) == ('ehlo', 32)


def test_message_lines_starting_with_a_dot_are_doubled(smtp_server):
    server = smtp_server()
    run_probe(server, tls='none', mail_from='', rcpt_to=['bob@example.test'], data='Subject: t\n\n.\n..x\nend')
    assert server.messages == ['Subject: t\n\n..\n...x\nend']


@pytest.mark.parametrize('options, message', [
    ({'rcpt_to': ['a@example.test\r\nDATA']}, 'contains a control character'),
    ({'mail_from': '<a@example.test>'}, 'without angle brackets'),
    ({'helo': ''}, 'is empty'),
    ({'expect': {'rcpt': ['5x5']}}, 'expected codes for rcpt must be reply codes'),
    ({'expect': {'rcpt': [True]}}, 'not bool'),
    ({'expect': {'mail': []}}, 'not an empty list'),
    ({'rcpt_to': ['a@example.test'], 'rcpt_expect': {'b@example.test': [250]}}, 'rcpt_expect names b@example.test'),
    ({'tls': 'none', 'tls_verify': True}, 'tls_verify needs TLS'),
    ({'ca_file': '/nonexistent/ca.pem'}, 'ca_file /nonexistent/ca.pem cannot be used'),
])
def test_settings_that_would_break_the_session_are_refused(options, message):
    with pytest.raises(ProbeSettingsError, match=message):
        ProbeSettings(**options)


def test_expected_codes_and_classes():
    assert expected_codes('rcpt', [554, '5XX', '250']) == ['554', '5xx', '250']
    assert expected_codes('rcpt x@example.net', 554) == ['554']
    assert code_matches(550, ['5xx']) and code_matches(250, ['250']) and not code_matches(251, ['250', '4xx'])


def test_xtext():
    assert xtext('[UNAVAILABLE]') == '[UNAVAILABLE]'
    assert xtext('a=b+c d\u00e9') == 'a+3Db+2Bc+20d+C3+A9'


def test_certificate_details_decode_der(certificates):
    with open(certificates['expired'], 'rb') as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    details = certificate_details(certificate.public_bytes(serialization.Encoding.DER))
    assert details['subject'] == 'O=mailops tests, CN=mx.example.test'
    with open(certificates['expired'], 'rb') as handle:
        assert [certificate_details(der) for der in pem_certificates(handle.read().decode())] == [details]
    assert details['not_after'] == certificate.not_valid_after_utc.strftime('%Y-%m-%dT%H:%M:%SZ')
    assert details['days_left'] in (-2, -3)
