# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site scenario's smarthost and "different MX": aiosmtpd on port 587 of every loopback address.

It requires STARTTLS before AUTH and AUTH before MAIL, accepts only the logins
in the JSON file given as the first argument ({"login": "password"}), and
appends one JSON line per message it receives to the file given as the second
argument: mail_from, rcpt_tos, login, tls, subject. Port 465 is the same
server with TLS on connect (smtps); port 2587 the same without TLS, for a probe
that requires it.
"""

from __future__ import annotations

import json
import ssl
import sys
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

CERT = '/etc/ssl/certs/ssl-cert-snakeoil.pem'
KEY = '/etc/ssl/private/ssl-cert-snakeoil.key'


class Recorder:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        record = {'mail_from': envelope.mail_from, 'rcpt_tos': envelope.rcpt_tos, 'login': login,
                  # Over STARTTLS or TLS on connect alike.
                  'tls': server.transport.get_extra_info('ssl_object') is not None,
                  'subject': message_from_bytes(envelope.content).get('Subject')}
        with open(self.path, 'a') as handle:
            handle.write(json.dumps(record) + '\n')
        return '250 2.0.0 Ok: recorded'


def main():
    with open(sys.argv[1]) as handle:
        logins = {name.encode(): password.encode() for name, password in json.load(handle).items()}

    def authenticator(server, session, envelope, mechanism, auth_data):
        success = isinstance(auth_data, LoginPassword) and logins.get(auth_data.login) == auth_data.password
        return AuthResult(success=success, handled=False, auth_data=auth_data)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT, KEY)
    controller = Controller(Recorder(sys.argv[2]), hostname='0.0.0.0', port=587,
                            server_hostname='relay.testbed.example', tls_context=context, require_starttls=True,
                            auth_required=True, auth_require_tls=True, authenticator=authenticator)
    controller.start()
    # TLS from the start: aiosmtpd only knows STARTTLS sessions as TLS, so it is told not to ask.
    smtps = Controller(Recorder(sys.argv[2]), hostname='0.0.0.0', port=465, ssl_context=context,
                       server_hostname='relay.testbed.example', auth_required=True, auth_require_tls=False,
                       authenticator=authenticator)
    smtps.start()
    plain = Controller(Recorder(sys.argv[2]), hostname='0.0.0.0', port=2587, server_hostname='relay.testbed.example')
    plain.start()
    while True:
        time.sleep(3600)


if __name__ == '__main__':
    main()
