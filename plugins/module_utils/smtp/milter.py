# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does a milter answer? The first step of the milter protocol, option negotiation, as Postfix opens it.

Private to the collection. A packet is a 32-bit length in network byte order (the command byte and the data), a
command byte and the data. Postfix's cleanup and smtpd connect and send SMFIC_OPTNEG with the protocol version
and the actions and protocol steps they support; a milter answers with its own SMFIC_OPTNEG. A socket that
accepts the connection but does not answer that (a port some other daemon holds, a hung milter) is not a milter
Postfix can use, so the probe negotiates, then says SMFIC_QUIT and closes.
"""

from __future__ import annotations

import os
import socket
import struct

SMFIC_OPTNEG = b'O'
SMFIC_QUIT = b'Q'
# What Postfix 3.x offers (milter8.c): protocol version 6, every action up to SMFIF_SETSYMLIST, and every protocol
# step it can skip or not wait for, up to SMFIP_HDR_LEADSPC. libmilter refuses an offer that lacks what the milter
# requires, so the probe offers all of it.
VERSION = 6
ACTIONS = 0x1FF
PROTOCOL_STEPS = 0x1FFFFF
# A milter's answer is small (three numbers, and with version 6 the macros it wants); larger is not a milter.
MAX_PACKET = 65536


class MilterProbeError(Exception):
    """Why the socket is not a milter that answers: phrased for the user."""


def address(spec, queue_directory=None):
    """``unix:/path`` or ``inet:host:port`` -> (family, address) for socket.connect().

    Postfix daemons that run chrooted (master.cf) open a unix socket inside their chroot, the queue directory:
    a path that does not exist as given is looked for there.
    """
    kind, rest = spec.split(':', 1)
    if kind == 'unix':
        if not os.path.exists(rest) and queue_directory and os.path.exists(queue_directory + rest):
            rest = queue_directory + rest
        return socket.AF_UNIX, rest
    host, port = rest.rsplit(':', 1)
    host = host.strip('[]')
    return (socket.AF_INET6 if ':' in host else socket.AF_INET), (host, int(port))


def packet(command, data=b''):
    return struct.pack('!I', len(data) + 1) + command + data


def _receive(connection, size):
    data = b''
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise MilterProbeError('the milter closed the connection after %d of %d bytes of its answer'
                                   % (len(data), size))
        data += chunk
    return data


def negotiate(connection):
    """Option negotiation on an open connection -> the milter's (version, actions, protocol steps)."""
    connection.sendall(packet(SMFIC_OPTNEG, struct.pack('!III', VERSION, ACTIONS, PROTOCOL_STEPS)))
    length, = struct.unpack('!I', _receive(connection, 4))
    if not 13 <= length <= MAX_PACKET:
        raise MilterProbeError('the answer to option negotiation is %d bytes long, not a milter\'s (13 or more)'
                               % length)
    body = _receive(connection, length)
    if body[:1] != SMFIC_OPTNEG:
        raise MilterProbeError('the answer to option negotiation is the command %r, not %r' % (body[:1], SMFIC_OPTNEG))
    version, actions, steps = struct.unpack('!III', body[1:13])
    try:
        connection.sendall(packet(SMFIC_QUIT))
    except OSError:
        pass  # It answered; that it hung up first does not matter.
    return version, actions, steps


def probe(spec, timeout, queue_directory=None):
    """Connect to the milter ``spec`` and negotiate -> a dict with answered, version and error."""
    family, where = address(spec, queue_directory)
    result = {'answered': False, 'version': None, 'error': None}
    try:
        with socket.socket(family, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(where)
            result['version'] = negotiate(connection)[0]
            result['answered'] = True
    except socket.timeout:
        result['error'] = 'no answer within %g seconds' % timeout
    except (OSError, MilterProbeError) as error:
        result['error'] = str(error.strerror or error) if isinstance(error, OSError) else str(error)
    return result
