# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flush chosen deferred messages through Postfix's flush(8) server, without a process per message.

Private to this collection: roles and playbooks use the modules, never module_utils.

Postfix has no command that flushes a list of messages. ``postqueue -f``
flushes the whole queue; ``postqueue -s`` one site, and only for
fast_flush_domains (empty by default); ``postqueue -i`` one message, and it
takes a single queue ID (postqueue.c: a second -i is a usage error; checked on
3.7 and 3.10). ``postqueue -i`` is a thin client: it sends flush(8) one
``send_file`` request, and flush(8) (flush_send_file_service() in flush.c)
resets the deferred queue file's time stamps, moves it to the incoming queue
and wakes up the queue manager. FlushClient sends that same request for each
message over flush(8)'s public socket: one connection per message, and no
process.

The wire format is Postfix's attribute protocol (attr_print0): ``name NUL
value NUL`` per attribute, a lone NUL after each group. flush(8) announces
itself with ``protocol=queue_flush_protocol`` (3.x), reads the request, answers
``status=N`` and closes the connection.
"""

from __future__ import annotations

import os
import socket

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError

FLUSH_PROTOCOL = 'queue_flush_protocol'
# flush_clnt.h
FLUSH_STATUS = {'-1': 'failed (is the mail system down?)', '0': 'ok', '3': 'invalid parameter', '4': 'denied'}
FLUSH_TIMEOUT = 30  # seconds for one request; flush(8) answers at once unless it is stuck


def encode_attributes(pairs):
    """[(name, value), ...] -> one attribute group on the wire."""
    return b''.join(name.encode() + b'\0' + value.encode() + b'\0' for name, value in pairs) + b'\0'


def decode_attributes(data):
    """Bytes read so far -> the complete attribute groups in them, as dicts."""
    groups, current = [], {}
    fields = data.split(b'\0')[:-1]  # whatever follows the last NUL is incomplete
    index = 0
    while index < len(fields):
        if fields[index] == b'':
            groups.append(current)
            current = {}
            index += 1
        elif index + 1 < len(fields):
            current[fields[index].decode('utf-8', 'replace')] = fields[index + 1].decode('utf-8', 'replace')
            index += 2
        else:
            break
    return groups


# The parameters flush_socket_path() needs, for ``postconf -h``.
FLUSH_PARAMETERS = ('queue_directory', 'flush_service_name')


def flush_socket_path(postconf_values):
    """``postconf -h queue_directory flush_service_name`` output -> where flush(8) listens."""
    queue_directory, service = postconf_values.split()
    return os.path.join(queue_directory, 'public', service)


class FlushClient:
    """Sends flush(8) ``send_file`` requests, like ``postqueue -i``, one connection each."""

    def __init__(self, path, timeout=FLUSH_TIMEOUT):
        self.path = path
        self.timeout = timeout

    def send_file(self, queue_id):
        """Ask for immediate delivery of one deferred message. flush(8) answers ok also when the
        message is gone; raises PostfixCommandError when flush(8) cannot be reached or refuses."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(self.timeout)
                conn.connect(self.path)
                conn.sendall(encode_attributes([('request', 'send_file'), ('queue_id', queue_id)]))
                status = self._read_status(conn)
        except OSError as error:
            raise PostfixCommandError(
                'cannot request delivery of %s from flush(8) at %s: %s; is Postfix running (postfix start)?'
                % (queue_id, self.path, error), cmd=['flush(8)', 'send_file', queue_id])
        if status != '0':
            raise PostfixCommandError('flush(8) answered %s (%s) to send_file %s' % (
                status, FLUSH_STATUS.get(status, 'unknown status'), queue_id), cmd=['flush(8)', 'send_file', queue_id])

    def _read_status(self, conn):
        data = b''
        while True:
            for group in decode_attributes(data):
                if 'protocol' in group and group['protocol'] != FLUSH_PROTOCOL:
                    raise OSError('%s is not flush(8): it speaks %s' % (self.path, group['protocol']))
                if 'status' in group:
                    return group['status']
            chunk = conn.recv(4096)
            if not chunk:
                raise OSError('flush(8) closed the connection without an answer')
            data += chunk
