# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One SMTP session, step by step, as the Postfix wiki's troubleshooting sessions do it by hand.

Private to this collection: roles and playbooks use the modules, never module_utils.

telnet, ``openssl s_client -starttls smtp`` and an AUTH PLAIN string built with
perl become one probe: connect, banner, EHLO, TLS (STARTTLS or on connect),
XCLIENT, AUTH, MAIL, RCPT, DATA and QUIT, each reply checked against the
codes expected of that step, so that a refusal can be the expected outcome.
Standard library only: the probe runs on the managed host or on the controller.
"""

from __future__ import annotations

import base64
import email.utils
import re
import socket
import ssl
import smtplib

from ansible_collections.mailops.postfix.plugins.module_utils.smtp.certificates import certificate_details

MASK = '********'

# swaks(1), EXIT CODES: the code a swaks run exits with when this step fails. The EHLO sent again after STARTTLS
# and after XCLIENT has codes of its own, and a connection the server closes is 6 whatever the step.
SWAKS_CODES = {'connect': 2, 'banner': 21, 'ehlo': 22, 'mail': 23, 'rcpt': 24, 'data': 25, 'dot': 26, 'quit': 27,
               'auth': 28, 'tls': 29, 'xclient': 33}
EHLO_AFTER_TLS = 32
EHLO_AFTER_XCLIENT = 34
CONNECTION_CLOSED = 6

DEFAULT_EXPECT = {'banner': ['220'], 'ehlo': ['250'], 'tls': ['220'], 'xclient': ['220'], 'auth': ['235'],
                  'mail': ['250'], 'rcpt': ['250', '251'], 'data': ['354'], 'dot': ['250'], 'quit': ['221']}
EXPECTED_CODE = re.compile(r'^[2-5]([0-9][0-9]|xx)$')
QUEUED_AS = re.compile(r'queued as ([0-9A-Za-z]+)')
MAX_REPLY = 65536  # bytes of one reply line; a server sending more is broken, and the probe must not grow forever


class ProbeSettingsError(ValueError):
    """An option the probe cannot use, named in the message; nothing was sent."""


class StepFailed(Exception):
    """A step whose reply was not expected, or that got no reply; ends the session."""

    def __init__(self, step, swaks_code, message):
        super().__init__(message)
        self.step = step
        self.swaks_code = swaks_code


class CertificateRejected(Exception):
    """The verifying handshake failed on the certificate; the session can go on only on a new connection."""


def expected_codes(step, values):
    """Reply codes as strings: codes (554 or "554") or classes ("5xx"), a list or one; True and False are none."""
    values = values if isinstance(values, list) else [values]
    codes = ['bool' if isinstance(value, bool) else str(value).lower() for value in values]
    bad = [code for code in codes if not EXPECTED_CODE.match(code)]
    if bad or not codes:
        raise ProbeSettingsError('expected codes for %s must be reply codes such as 250 or classes such as 5xx, '
                                 'not %s' % (step, ', '.join(bad) or 'an empty list'))
    return codes


def code_matches(code, expected):
    """True when reply ``code`` (an int) is one of ``expected`` (codes or classes as expected_codes() gives)."""
    return any(str(code) == pattern or (pattern.endswith('xx') and str(code)[0] == pattern[0])
               for pattern in expected)


def check_text(what, value, allow_empty=False):
    """Refuse what would end or split an SMTP command line: CR, LF and other control characters."""
    if (not value and not allow_empty) or any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ProbeSettingsError('%s %r is empty or contains a control character (CR, LF, TAB...)' % (what, value))
    return value


def check_address(what, address):
    if '<' in address or '>' in address:
        raise ProbeSettingsError('%s %r: give the address without angle brackets' % (what, address))
    return check_text(what, address, allow_empty=True)


def xtext(value):
    """RFC 3461 xtext, which XCLIENT values are in: '+', '=' and non-printable characters as +HH."""
    return ''.join(char if '!' <= char <= '~' and char not in '+=' else
                   ''.join('+%02X' % byte for byte in char.encode('utf-8')) for char in value)


def default_message(helo, mail_from, rcpt_to):
    """A small test message that says what sent it, with a Message-ID to find it in the logs."""
    headers = [
        ('Date', email.utils.formatdate(localtime=True)),
        ('From', mail_from or 'MAILER-DAEMON@%s' % helo),
        ('To', ', '.join(rcpt_to)),
        ('Subject', 'mailops.postfix.smtp_probe test message from %s' % helo),
        ('Message-ID', email.utils.make_msgid('smtp_probe', domain=helo)),
    ]
    body = 'This message was sent by the Ansible module mailops.postfix.smtp_probe to test mail delivery.\n'
    return ''.join('%s: %s\n' % header for header in headers) + '\n' + body


class ProbeSettings:
    """What to probe and what to expect of it, checked before anything is sent.

    The caller (the module's argument spec) has checked the choices (tls, auth_mechanism), that auth_user and
    auth_password go together, and the step names of ``expect``; this checks what would break the protocol.
    """

    def __init__(self, server='127.0.0.1', port=25, tls=None, tls_verify=False, ca_file=None, server_name=None,
                 helo='localhost', xclient=None, auth_user=None, auth_password=None, auth_mechanism='plain',
                 mail_from=None, rcpt_to=(), data=None, timeout=30.0, expect=None, rcpt_expect=None,
                 check_mode=False):
        self.server, self.port, self.timeout = check_text('server', server), port, timeout
        self.tls = tls or ('implicit' if port == 465 else 'opportunistic')
        if tls_verify and self.tls == 'none':
            raise ProbeSettingsError('tls_verify needs TLS, but tls is none')
        self.tls_verify = tls_verify
        self.server_name = check_text('server_name', server_name or server)
        self.helo = check_text('helo', helo)
        self.xclient = {name: check_text('xclient %s' % name, value) for name, value in (xclient or {}).items()}
        self.auth_user, self.auth_password, self.auth_mechanism = auth_user, auth_password, auth_mechanism
        self.mail_from = None if mail_from is None else check_address('mail_from', mail_from)
        self.rcpt_to = [check_address('rcpt_to', check_text('rcpt_to', address)) for address in rcpt_to]
        self.data = default_message(self.helo, self.mail_from, self.rcpt_to) if data is None else data
        self.expect = dict(DEFAULT_EXPECT, **{step: expected_codes(step, codes)
                                              for step, codes in (expect or {}).items() if codes is not None})
        strangers = sorted(set(rcpt_expect or {}) - set(self.rcpt_to))
        if strangers:
            raise ProbeSettingsError('rcpt_expect names %s, not in rcpt_to' % ', '.join(strangers))
        self.rcpt_expect = {address: expected_codes('rcpt %s' % address, codes)
                            for address, codes in (rcpt_expect or {}).items()}
        self.check_mode = check_mode
        self.contexts = tls_contexts(ca_file) if self.tls != 'none' else {}

    def expected_for(self, address):
        return self.rcpt_expect.get(address, self.expect['rcpt'])

    def secrets(self):
        """What must never be shown: the password and every AUTH payload that contains it."""
        if not self.auth_password:
            return []
        return [self.auth_password, b64('\0%s\0%s' % (self.auth_user, self.auth_password)), b64(self.auth_password)]


def tls_contexts(ca_file):
    """The verifying context (system CAs or ``ca_file``), tried first, and the one for going on without it."""
    try:
        verifying = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise ProbeSettingsError('ca_file %s cannot be used: %s' % (ca_file, error)) from None
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    return {True: verifying, False: unverified}


def b64(text):
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


class SmtpSession:
    """One probe. run() goes through the steps and fills steps, failed_step, tls, rcpt, queue_id and queued."""

    def __init__(self, settings):
        self.settings = settings
        self.steps = []
        self.failed_step = None
        self.tls = None
        self.rcpt = {}
        self.queue_id = None
        self.queued = False  # the server accepted a message after DATA: the only change a probe makes
        self._secrets = settings.secrets()
        self._sock = None
        self._buffer = b''
        self._extensions = {}

    def run(self):
        try:
            self._converse()
        except StepFailed as failure:
            self.failed_step = {'step': failure.step, 'swaks_code': failure.swaks_code,
                                'message': self._scrub(str(failure))}
            self._quit_after_failure()
        finally:
            self._close()
        return self

    def result(self):
        return {'steps': self.steps, 'failed_step': self.failed_step, 'tls': self.tls, 'rcpt': self.rcpt,
                'queue_id': self.queue_id}

    def _converse(self):
        self._open()
        if self.settings.xclient:
            self._xclient()
        if self.settings.auth_user is not None:
            self._authenticate()
        if self.settings.mail_from is not None and self._mail():
            if self._recipients() and not self.settings.check_mode:
                self._data()
            else:
                self._step('rset', 'RSET')  # ends the transaction: nothing is queued
        code, text = self._step('quit', 'QUIT')
        self._close()  # the session is over whatever the reply; no second QUIT after a failure here
        self._check('quit', code, text)

    def _open(self):
        """Connect, up to the EHLO in TLS, verifying the certificate; when that fails, again without verifying.

        A failed verification ends the handshake and the connection with it. The probe goes on, on a second
        connection, to report the certificate and the later steps, unless tls_verify asks it to fail.
        """
        if self.settings.tls == 'none':
            self._open_session(verify=False)
            return
        try:
            self._open_session(verify=True)
        except CertificateRejected as rejection:
            reason = str(rejection)
            self._close()
            self._note('tls', 'certificate verification failed (%s); connecting again without verifying' % reason)
            self._open_session(verify=False)
            if self.tls:  # else the second connection went on without TLS (opportunistic, STARTTLS not offered)
                self.tls['certificate']['verify_error'] = reason
            if self.settings.tls_verify:
                raise StepFailed('tls', SWAKS_CODES['tls'], 'certificate verification failed: %s' % reason) from None

    def _open_session(self, verify):
        self._connect()
        if self.settings.tls == 'implicit':
            self._handshake(verify)
        self._check('banner', *self._step('banner', None))
        self._ehlo(SWAKS_CODES['ehlo'])
        if self.settings.tls not in ('starttls', 'opportunistic'):
            return
        if 'STARTTLS' not in self._extensions:
            if self.settings.tls == 'starttls' or self.settings.tls_verify:
                raise StepFailed('tls', SWAKS_CODES['tls'], 'the server does not offer STARTTLS')
            self._note('tls', 'STARTTLS not offered; going on without TLS (tls: opportunistic)')
            return
        code, text = self._step('tls', 'STARTTLS')
        self._check('tls', code, text)
        if code == 220:
            self._handshake(verify)
            self._ehlo(EHLO_AFTER_TLS)

    def _connect(self):
        where = '%s port %s' % (self.settings.server, self.settings.port)
        self._buffer = b''
        try:
            self._sock = socket.create_connection((self.settings.server, self.settings.port), self.settings.timeout)
        except OSError as error:
            self._note('connect', 'cannot connect to %s: %s' % (where, error))
            raise StepFailed('connect', SWAKS_CODES['connect'], 'cannot connect to %s: %s' % (where, error)) from None
        self._note('connect', 'connected to %s (%s)' % (where, self._sock.getpeername()[0]))

    def _handshake(self, verify):
        # RFC 3207: what the server sent before the handshake is not part of the TLS session. Keeping it would let
        # a man in the middle inject replies that seem to come through TLS.
        self._buffer = b''
        sock, self._sock = self._sock, None
        try:
            self._sock = self.settings.contexts[verify].wrap_socket(sock, server_hostname=self.settings.server_name)
        except ssl.SSLCertVerificationError as error:
            raise CertificateRejected(error.verify_message or str(error)) from None
        except OSError as error:  # ssl.SSLError, a reset or a timeout; wrap_socket() has closed the socket
            self._note('tls', 'TLS handshake failed: %s' % error)
            raise StepFailed('tls', SWAKS_CODES['tls'], 'TLS handshake failed: %s' % error) from None
        cipher, _version, bits = self._sock.cipher()
        der = self._sock.getpeercert(binary_form=True)
        certificate = dict(certificate_details(der), verified=verify, verify_error=None) if der else None
        self.tls = {'protocol': self._sock.version(), 'cipher': cipher, 'bits': bits, 'certificate': certificate}
        self._note('tls', 'TLS established: %s %s (%s bits)' % (self.tls['protocol'], cipher, bits))

    def _ehlo(self, swaks_code):
        code, text = self._step('ehlo', 'EHLO %s' % self.settings.helo, swaks_code)
        self._check('ehlo', code, text, swaks_code)
        # The first line names the server; each further one is a keyword and its parameters ("AUTH PLAIN LOGIN",
        # or "AUTH=PLAIN LOGIN" for old clients).
        self._extensions = {}
        for line in text.split('\n')[1:]:
            keyword, parameters = (re.split('[ =]', line, maxsplit=1) + [''])[:2]
            self._extensions[keyword.upper()] = parameters

    def _xclient(self):
        offered = self._extensions.get('XCLIENT')
        if offered is None:
            raise StepFailed('xclient', SWAKS_CODES['xclient'], 'the server does not offer XCLIENT to this client '
                             '(Postfix: smtpd_authorized_xclient_hosts)')
        missing = [name for name in self.settings.xclient if name.upper() not in offered.upper().split()]
        if missing:
            raise StepFailed('xclient', SWAKS_CODES['xclient'], 'the server does not take XCLIENT %s (it takes %s)'
                             % (', '.join(missing), offered))
        attributes = ['%s=%s' % (name.upper(), xtext(value)) for name, value in self.settings.xclient.items()]
        code, text = self._step('xclient', 'XCLIENT ' + ' '.join(attributes))
        self._check('xclient', code, text)
        if code == 220:  # Postfix starts the session over, as for a new client, which must send EHLO again
            self._ehlo(EHLO_AFTER_XCLIENT)

    def _authenticate(self):
        mechanism = self.settings.auth_mechanism.upper()
        offered = self._extensions.get('AUTH', '').upper().split()
        if mechanism not in offered:
            hint = '' if self.tls else '; Postfix offers AUTH only after STARTTLS when smtpd_tls_auth_only = yes'
            raise StepFailed('auth', SWAKS_CODES['auth'], 'the server does not offer AUTH %s (offered: %s), so the '
                             'credentials were not sent%s' % (mechanism, ' '.join(offered) or 'none', hint))
        user, password = self.settings.auth_user, self.settings.auth_password
        if mechanism == 'PLAIN':
            # RFC 4616, as the wiki's perl one-liner builds it: no authorization identity, NUL, user, NUL, password
            code, text = self._step('auth', 'AUTH PLAIN ' + b64('\0%s\0%s' % (user, password)),
                                    shown='AUTH PLAIN ' + MASK)
        else:
            code, text = self._step('auth', 'AUTH LOGIN')
            for answer in (user, password):
                if code == 334:
                    code, text = self._step('auth', b64(answer), shown=MASK)
        self._check('auth', code, text, what='AUTH ' + mechanism)

    def _mail(self):
        code, text = self._step('mail', 'MAIL FROM:<%s>' % self.settings.mail_from)
        self._check('mail', code, text)
        return 200 <= code < 300

    def _recipients(self):
        """Every recipient, all checked before failing so that the report has each reply; True if one is accepted."""
        unexpected = []
        for address in self.settings.rcpt_to:
            code, text = self._step('rcpt', 'RCPT TO:<%s>' % address)
            expected = self.settings.expected_for(address)
            self.rcpt[address] = {'code': code, 'text': text, 'expected': expected}
            if not code_matches(code, expected):
                unexpected.append('%s: expected %s, got %s %s' % (address, ' or '.join(expected), code, text))
        if unexpected:
            raise StepFailed('rcpt', SWAKS_CODES['rcpt'], '; '.join(unexpected))
        return any(200 <= reply['code'] < 300 for reply in self.rcpt.values())

    def _data(self):
        code, text = self._step('data', 'DATA')
        self._check('data', code, text)
        if code != 354:
            self._step('rset', 'RSET')
            return
        message = smtplib.quotedata(self.settings.data)  # CRLF line ends, a leading dot doubled
        message += '' if message.endswith('\r\n') else '\r\n'
        code, text = self._step('dot', message + '.', shown='<message, %d bytes>' % len(message))
        self.queued = 200 <= code < 300
        found = QUEUED_AS.search(text) if self.queued else None
        self.queue_id = found.group(1) if found else None
        self._check('dot', code, text)

    def _quit_after_failure(self):
        """Say goodbye as swaks does; the reply is recorded, not checked: the failure is what counts."""
        if self._sock is not None:
            try:
                self._step('quit', 'QUIT')
            except StepFailed:
                pass

    def _step(self, step, command, swaks_code=None, shown=None):
        """Send ``command`` (None: only read, as for the banner) and record the reply as one step."""
        record = {'step': step, 'command': shown or command, 'code': None, 'text': None}
        self.steps.append(record)
        try:
            if command is not None:
                self._sock.sendall(command.encode('utf-8') + b'\r\n')
            record['code'], text = self._read_reply()
        except EOFError:
            self._close()
            record['text'] = 'connection closed by the server'
            raise StepFailed(step, CONNECTION_CLOSED, 'the server closed the connection at %s' % step) from None
        except (OSError, ValueError) as error:  # a reset, a timeout, or not SMTP at all; the session is over
            self._close()
            record['text'] = str(error)
            raise StepFailed(step, swaks_code or SWAKS_CODES.get(step), 'no reply at %s: %s' % (step, error)) from None
        record['text'] = self._scrub(text)
        return record['code'], record['text']

    def _check(self, step, code, text, swaks_code=None, what=None):
        """Fail ``step`` unless its reply ``code`` is expected; ``what`` names it (default: the command sent)."""
        expected = self.settings.expect[step]
        if not code_matches(code, expected):
            raise StepFailed(step, swaks_code or SWAKS_CODES[step], '%s: expected %s, got %s %s'
                             % (what or self.steps[-1]['command'] or step, ' or '.join(expected), code, text))

    def _read_reply(self):
        """Code and text of one reply; the lines of a multi-line reply are joined with newlines."""
        lines = []
        while not lines or lines[-1][3:4] == '-':
            line = self._read_line()
            if not line[:3].isdigit() or line[3:4] not in ('', ' ', '-'):
                raise ValueError('not an SMTP reply: %r' % line[:80])
            lines.append(line)
        return int(lines[-1][:3]), '\n'.join(line[4:] for line in lines)

    def _read_line(self):
        while b'\n' not in self._buffer:
            if len(self._buffer) > MAX_REPLY:
                raise ValueError('a reply line longer than %d bytes' % MAX_REPLY)
            chunk = self._sock.recv(4096)
            if not chunk:
                raise EOFError()
            self._buffer += chunk
        line, _newline, self._buffer = self._buffer.partition(b'\n')
        return line.rstrip(b'\r').decode('utf-8', 'replace')

    def _note(self, step, text):
        """A step that is no SMTP exchange: the connection, the TLS handshake."""
        self.steps.append({'step': step, 'command': None, 'code': None, 'text': text})

    def _scrub(self, text):
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def _close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None
