#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One real SMTP session against a Postfix on loopback, for Molecule verify steps.

Usage: smtp_session.py '<json>' with keys: port (25), client_addr (sends
XCLIENT ADDR=... to act as a remote client; needs smtpd_authorized_xclient_hosts),
mail_from, rcpt_to (list), data (message text; sent only if a recipient was
accepted), count (send that many messages in the session, each with the data
and a header "X-Mailops-Test-Sequence: N"; replies of the last one are kept,
and "accepted" counts the messages that got 250 after DATA). Prints one JSON
object with every reply.
"""

from __future__ import annotations

import json
import smtplib
import sys


def main():
    request = json.loads(sys.argv[1])
    result = {'rcpt': {}}
    client = smtplib.SMTP()
    code, message = client.connect('127.0.0.1', request.get('port', 25))
    result['banner'] = {'code': code, 'text': message.decode()}
    code, message = client.ehlo('client.testbed.example')
    result['ehlo'] = {'code': code, 'text': message.decode()}
    if request.get('client_addr'):
        code, message = client.docmd('XCLIENT', 'ADDR=%s NAME=[UNAVAILABLE]' % request['client_addr'])
        result['xclient'] = {'code': code, 'text': message.decode()}
        client.ehlo('client.testbed.example')
    result['accepted'] = 0
    for sequence in range(request.get('count', 1) if 'mail_from' in request else 0):
        if sequence:
            client.rset()
        code, message = client.mail(request['mail_from'])
        result['mail'] = {'code': code, 'text': message.decode()}
        accepted = False
        for recipient in request.get('rcpt_to', []):
            code, message = client.rcpt(recipient)
            result['rcpt'][recipient] = {'code': code, 'text': message.decode()}
            accepted = accepted or code == 250
        if accepted and 'data' in request:
            header = 'X-Mailops-Test-Sequence: %d\r\n' % (sequence + 1) if 'count' in request else ''
            code, message = client.data((header + request['data']).encode())
            result['data'] = {'code': code, 'text': message.decode()}
            result['accepted'] += code == 250
    client.quit()
    print(json.dumps(result))


if __name__ == '__main__':
    main()
