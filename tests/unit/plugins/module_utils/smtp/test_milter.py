# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/smtp/milter.py: option negotiation against small fake milters."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.smtp import milter


def serve(path, answer):
    """A unix socket at ``path`` whose one client gets ``answer(request bytes)``; returns the requests seen."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    seen = []

    def run():
        connection = server.accept()[0]
        with connection:
            connection.settimeout(2)
            request = connection.recv(4096)
            seen.append(request)
            reply = answer(request)
            if reply is None:  # a hung milter: holds the connection, says nothing
                threading.Event().wait(1)
            else:
                connection.sendall(reply)
                connection.shutdown(socket.SHUT_WR)
                try:
                    seen.append(connection.recv(4096))
                except OSError:
                    pass
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return seen, thread


def optneg(version=6, actions=0x1FF, steps=0, macros=b''):
    return milter.packet(b'O', struct.pack('!III', version, actions, steps) + macros)


def test_a_milter_that_negotiates_answers_and_is_told_to_quit(tmp_path):
    path = tmp_path / 'm.sock'
    seen, thread = serve(path, lambda request: optneg(macros=b'\x00\x00\x00\x01{i}\x00'))
    assert milter.probe('unix:%s' % path, 2) == {'answered': True, 'version': 6, 'error': None}
    thread.join(2)
    # What Postfix 3.x offers: version 6, every action, every protocol step.
    assert seen[0] == b'\x00\x00\x00\x0dO' + struct.pack('!III', 6, 0x1FF, 0x1FFFFF)
    assert seen[1] == b'\x00\x00\x00\x01Q'


def test_an_older_milter_reports_its_version(tmp_path):
    path = tmp_path / 'm.sock'
    serve(path, lambda request: optneg(version=2))
    assert milter.probe('unix:%s' % path, 2)['version'] == 2


@pytest.mark.parametrize('reply, error', [
    (b'220 smtp.example.com ESMTP\r\n', 'the answer to option negotiation is 842149920 bytes long, not a milter'),
    (milter.packet(b'c', b'\x00' * 12), "the answer to option negotiation is the command b'c', not b'O'"),
    (b'\x00\x00\x00\x0dO\x00\x00', 'the milter closed the connection after 3 of 13 bytes of its answer'),
    (b'', 'the milter closed the connection after 0 of 4 bytes'),
])
def test_a_socket_that_does_not_answer_as_a_milter(tmp_path, reply, error):
    path = tmp_path / 'm.sock'
    serve(path, lambda request: reply)
    result = milter.probe('unix:%s' % path, 2)
    assert result['answered'] is False and result['version'] is None
    assert result['error'].startswith(error)


def test_a_milter_that_hangs_times_out(tmp_path):
    path = tmp_path / 'm.sock'
    serve(path, lambda request: None)
    assert milter.probe('unix:%s' % path, 0.3) == {'answered': False, 'version': None,
                                                   'error': 'no answer within 0.3 seconds'}


def test_nothing_listening(tmp_path):
    assert milter.probe('unix:%s' % (tmp_path / 'none.sock'), 1)['error'] == 'No such file or directory'
    with socket.socket() as placeholder:
        placeholder.bind(('127.0.0.1', 0))
        port = placeholder.getsockname()[1]
    assert milter.probe('inet:127.0.0.1:%d' % port, 1)['error'] == 'Connection refused'


def test_a_unix_socket_is_looked_for_in_the_chroot(tmp_path):
    (tmp_path / 'spamass').mkdir()
    serve(tmp_path / 'spamass' / 'm.sock', lambda request: optneg())
    assert milter.address('unix:/spamass/m.sock', str(tmp_path)) == (socket.AF_UNIX,
                                                                     str(tmp_path / 'spamass' / 'm.sock'))
    assert milter.probe('unix:/spamass/m.sock', 2, str(tmp_path))['answered'] is True


def test_inet_addresses():
    assert milter.address('inet:127.0.0.1:8891') == (socket.AF_INET, ('127.0.0.1', 8891))
    assert milter.address('inet:[::1]:8891') == (socket.AF_INET6, ('::1', 8891))
    assert milter.address('inet:localhost:8891') == (socket.AF_INET, ('localhost', 8891))
