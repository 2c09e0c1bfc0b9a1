#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The delivered message with a given Subject, as a verify step sees it.

Usage: mail_check.py MAILBOX SUBJECT. Prints one JSON object: found, and for the
message found: its X-Spam-* headers, its DKIM-Signature's d= and s= (null when
unsigned), and whether the signature verifies (python3-dkim) with the public key
derived from the signer's private key on this host (openssl), given directly
instead of through DNS.
"""

from __future__ import annotations

import base64
import json
import mailbox
import os
import subprocess
import sys

import dkim


def public_key(domain, selector):
    der = subprocess.run(['openssl', 'pkey', '-in', '/etc/opendkim/keys/%s/%s.private' % (domain, selector),
                          '-pubout', '-outform', 'DER'], check=True, capture_output=True).stdout
    return b'v=DKIM1; k=rsa; p=' + base64.b64encode(der)


def main():
    path, subject = sys.argv[1:3]
    result = {'found': False}
    for message in mailbox.mbox(path, create=False) if os.path.exists(path) else []:
        if message['Subject'] != subject:
            continue
        raw = message.as_bytes()
        signature = message['DKIM-Signature']
        tags = dict(part.strip().split('=', 1) for part in signature.split(';') if '=' in part) if signature else {}
        domain, selector = tags.get('d'), tags.get('s')
        result = {
            'found': True,
            'spam_headers': sorted({name for name in message.keys() if name.lower().startswith('x-spam-')}),
            'spam_flag': message['X-Spam-Flag'],
            'dkim_domain': domain,
            'dkim_selector': selector,
            'dkim_verified': bool(signature) and dkim.verify(
                raw, dnsfunc=lambda name, timeout=5: public_key(domain, selector)
                if name.decode() == '%s._domainkey.%s.' % (selector, domain) else None),
        }
    print(json.dumps(result))


if __name__ == '__main__':
    main()
