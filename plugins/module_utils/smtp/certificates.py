# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""X.509 certificates: the subject, issuer and expiry of a DER or PEM certificate.

Private to this collection: roles and playbooks use the modules, never module_utils.

Standard library only, and without the ssl module's private helpers: with
verification off, getpeercert() gives only the DER bytes (smtp_probe), and a
certificate file is read without a handshake at all (postfix_info).
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone

_PEM = re.compile(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----', re.S)

NAME_ATTRIBUTES = {'2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O',
                   '2.5.4.11': 'OU', '1.2.840.113549.1.9.1': 'emailAddress'}


def der_items(data):
    """(tag, contents) of each DER element in ``data``, in order."""
    items, pos = [], 0
    while pos < len(data):
        tag, length = data[pos], data[pos + 1]
        pos += 2
        if length & 0x80:
            size = length & 0x7f
            length = int.from_bytes(data[pos:pos + size], 'big')
            pos += size
        items.append((tag, data[pos:pos + length]))
        pos += length
    return items


def der_oid(data):
    arcs, value = [], 0
    for byte in data:
        value = value << 7 | byte & 0x7f
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return '.'.join(str(arc) for arc in [first, arcs[0] - 40 * first] + arcs[1:])


def der_name(data):
    """A subject or issuer as openssl prints it, in certificate order: C=US, O=Example, CN=mail.example.com."""
    parts = []
    for _set, relative_name in der_items(data):
        for _sequence, attribute in der_items(relative_name):
            (_oid_tag, oid), (tag, value) = der_items(attribute)[:2]
            oid = der_oid(oid)
            text = value.decode('utf-16-be' if tag == 0x1e else 'utf-8', 'replace')  # 0x1e: BMPString
            parts.append('%s=%s' % (NAME_ATTRIBUTES.get(oid, oid), text))
    return ', '.join(parts)


def der_time(tag, data):
    text = data.decode('ascii')
    if tag == 0x17:  # UTCTime: a two-digit year, 50 to 99 meaning 19xx (RFC 5280)
        text = ('19' if text[:2] >= '50' else '20') + text
    return datetime.strptime(text, '%Y%m%d%H%M%SZ').replace(tzinfo=timezone.utc)


def certificate_details(der, now=None):
    """Subject, issuer, expiry and whole days left (negative once expired) of a DER certificate."""
    tbs = der_items(der_items(der_items(der)[0][1])[0][1])
    if tbs[0][0] == 0xa0:  # [0] version, absent from version 1 certificates
        tbs = tbs[1:]
    issuer, validity, subject = tbs[2][1], der_items(tbs[3][1]), tbs[4][1]
    not_after = der_time(*validity[1])
    return {'subject': der_name(subject), 'issuer': der_name(issuer),
            'not_after': not_after.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'days_left': (not_after - (now or datetime.now(timezone.utc))).days}


def pem_certificates(text):
    """The DER bytes of each certificate in PEM ``text``, in order (a chain file starts with the server's own)."""
    return [base64.b64decode(''.join(match.split())) for match in _PEM.findall(text)]
