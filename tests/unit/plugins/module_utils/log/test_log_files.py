# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for reading the mail log: blocks of whole lines, the byte range of a time window, damaged and truncated
archives (read as far as they can be, as zcat reads them), and the messages for a log that cannot be read."""

from __future__ import annotations

import bz2
import calendar
import gc
import gzip
import io
import lzma
import time

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.log import files as log_files
from ansible_collections.mailops.postfix.plugins.module_utils.log import lines as log_lines
from ansible_collections.mailops.postfix.plugins.module_utils.log import stats as log_stats

REFERENCE = calendar.timegm((2026, 12, 3, 0, 0, 0))
COMPRESSORS = {'.gz': gzip.compress, '.bz2': bz2.compress, '.xz': lzma.compress}


# ---------------------------------------------------------------------------
# Blocks

def test_blocks_end_with_whole_lines():
    data = b''.join(b'line %d %s\n' % (number, b'x' * (number % 37)) for number in range(1000)) + b'no newline'
    pieces = list(log_files.blocks(io.BytesIO(data), size=100))
    assert b''.join(pieces) == data + b'\n'
    assert all(piece.endswith(b'\n') for piece in pieces)


def test_blocks_stop_at_an_offset():
    data = b'a\nbb\nccc\n'
    handle = io.BytesIO(data)
    handle.seek(2)
    assert b''.join(log_files.blocks(handle, end=5, size=2)) == b'bb\n'


# ---------------------------------------------------------------------------
# The time window in a file

def minute_log(minutes):
    """One line every 10 seconds from 2026-12-01 00:00 UTC, syslog style."""
    start = calendar.timegm((2026, 12, 1, 0, 0, 0))
    lines = []
    for number in range(minutes * 6):
        stamp = time.gmtime(start + number * 10)
        lines.append(time.strftime('%b %e %H:%M:%S', stamp).encode() + b' mx postfix/smtpd[1]: line %d\n' % number)
    return b''.join(lines), start


@pytest.mark.parametrize('offset, number', [(-50, 0), (0, 0), (5, 1), (10, 1), (3600, 360), (35990, 3599),
                                            (36000, None)])
def test_offset_at_finds_the_first_line_of_a_window(offset, number):
    data, start = minute_log(600)
    found = log_files.offset_at(io.BytesIO(data), len(data), start + offset, log_lines.StampReader(REFERENCE))
    expected = len(data) if number is None else data.rfind(b'\n', 0, data.index(b' line %d\n' % number)) + 1
    assert found == expected


def test_clip_keeps_the_lines_of_the_window():
    data, start = minute_log(10)
    stamps = log_lines.StampReader(REFERENCE)
    part, more = log_files.clip(data, start + 60, start + 119, stamps)
    assert [line.split()[-1] for line in part.splitlines()] == [b'%d' % number for number in range(6, 12)]
    assert more is False
    assert log_files.clip(data, None, None, stamps) == (data, True)
    assert log_files.clip(data, start + 600, None, stamps) == (b'', True)


def test_a_line_longer_than_max_line_is_skipped_not_held(monkeypatch):
    monkeypatch.setattr(log_files, 'MAX_LINE', 1000)
    data = b'first\n' + b'x' * 5000 + b'\nsecond\n' + b'y' * 3000
    skipped = []
    pieces = list(log_files.blocks(io.BytesIO(data), size=700, too_long=skipped.append))
    assert b''.join(pieces) == b'first\nsecond\n'
    assert skipped == [b'x' * log_lines.EXAMPLE_LENGTH, b'y' * log_lines.EXAMPLE_LENGTH]


# ---------------------------------------------------------------------------
# Compressed files: every member, and the readable part of a damaged one

def lines(count, start=0):
    return b''.join(b'Dec  1 10:00:%02d mx postfix/smtpd[1]: connect from unknown[192.0.2.%d]\n'
                    % (number % 60, number % 250) for number in range(start, start + count))


def read_whole(path):
    with log_files.Decompressed(path) as handle:
        data = b''.join(log_files.blocks(handle, size=4096))
    return data, handle.error


@pytest.mark.parametrize('suffix', sorted(COMPRESSORS))
def test_compressed_files_are_read_member_by_member(tmp_path, suffix):
    path = tmp_path / ('mail.log.1' + suffix)
    # logrotate's delaycompress and copytruncate can leave several members; zcat reads them all.
    path.write_bytes(COMPRESSORS[suffix](lines(3000)) + COMPRESSORS[suffix](lines(10, 3000)))
    data, error = read_whole(str(path))
    assert error is None
    assert data == lines(3010)


@pytest.mark.parametrize('suffix', sorted(COMPRESSORS))
@pytest.mark.parametrize('where', [0.0, 0.001, 0.1, 0.5, 0.9, 0.999])
def test_a_truncated_archive_gives_its_readable_part_and_says_so(tmp_path, suffix, where):
    whole = COMPRESSORS[suffix](lines(5000))
    path = tmp_path / ('mail.log.2' + suffix)
    path.write_bytes(whole[:int(len(whole) * where)])
    data, error = read_whole(str(path))
    # Whole lines, then the cut line (as zcat gives it; blocks() ends it with a newline).
    assert lines(5000).startswith(data[:data.rfind(b'\n', 0, len(data) - 1) + 1])
    # blocks() ends a cut line with a newline of its own.
    assert error.startswith(tuple('%s is damaged: read the %d bytes before the damage (' % (path, size)
                                  for size in (len(data), len(data) - 1)))
    if where >= 0.5 and suffix == '.gz':
        # gzip decompresses as it goes; bzip2 gives nothing of a block (900 kB of text) until its end.
        assert len(data) > len(lines(5000)) // 4


@pytest.mark.parametrize('suffix', sorted(COMPRESSORS))
def test_a_corrupted_archive_gives_its_readable_part_and_says_so(tmp_path, suffix):
    whole = bytearray(COMPRESSORS[suffix](lines(5000)))
    middle = len(whole) // 2
    whole[middle:middle + 64] = b'\xff' * 64
    path = tmp_path / ('mail.log.3' + suffix)
    path.write_bytes(bytes(whole))
    data, error = read_whole(str(path))
    assert error is not None and 'is damaged' in error
    if suffix == '.gz':
        # What comes before the damage; bzip2 checks a block only at its end, after giving its text.
        assert lines(5000)[:len(data) // 2] == data[:len(data) // 2]


def test_a_text_file_named_gz_is_damaged_not_fatal(tmp_path):
    path = tmp_path / 'mail.log.1.gz'
    path.write_bytes(lines(10))
    data, error = read_whole(str(path))
    assert data == b'' and 'is damaged' in error


# ---------------------------------------------------------------------------
# A log that cannot be read

def refuse(monkeypatch, refused):
    """open_file() fails with EACCES for the paths in ``refused``, as for a process without root or adm."""
    real = log_files.open_file

    def open_file(path):
        if str(path) in refused:
            raise PermissionError(13, 'Permission denied', str(path))
        return real(path)
    monkeypatch.setattr(log_files, 'open_file', open_file)


def test_the_log_that_cannot_be_read_names_root_or_adm(tmp_path, monkeypatch):
    path = tmp_path / 'mail.log'
    path.write_bytes(lines(1))
    refuse(monkeypatch, {str(path)})
    with pytest.raises(log_files.LogError) as failure:
        log_files.check_log_file(str(path))
    assert str(failure.value) == ('cannot read %s: permission denied; reading the mail log needs root or the adm group '
                                  '(become: true)' % path)


def test_missing_paths_and_directories_say_so(tmp_path):
    with pytest.raises(log_files.LogError, match='^%s does not exist \\(path\\)$' % (tmp_path / 'none.log')):
        log_files.check_log_file(str(tmp_path / 'none.log'))
    with pytest.raises(log_files.LogError, match='^%s is a directory: name the log file' % tmp_path):
        log_files.check_log_file(str(tmp_path))


def test_an_unreadable_rotated_file_is_a_warning(tmp_path, monkeypatch):
    for name in ('mail.log', 'mail.log.1', 'mail.log.2.gz'):
        (tmp_path / name).write_bytes(b'')
    refuse(monkeypatch, {str(tmp_path / 'mail.log.1')})
    warnings = []
    files = log_files.log_files(str(tmp_path / 'mail.log'), True, warnings)
    assert sorted(files) == [str(tmp_path / 'mail.log'), str(tmp_path / 'mail.log.2.gz')]
    assert warnings == ['%s is left out: Permission denied; reading the mail log needs root or the adm group '
                        '(become: true)' % (tmp_path / 'mail.log.1')]


def test_reading_pieces_reports_damage_as_warnings(tmp_path):
    whole = gzip.compress(lines(5000))
    damaged = tmp_path / 'mail.log.1.gz'
    damaged.write_bytes(whole[:len(whole) // 2])
    plain = tmp_path / 'mail.log'
    plain.write_bytes(lines(100))
    pieces = [(str(damaged), None, None, REFERENCE, (0, 0)), (str(plain), 0, plain.stat().st_size, REFERENCE, (1, 0))]
    raw, carries, warnings = log_files.read_pieces(pieces, None, None, log_stats.LogStats)
    assert [piece['order'] for piece in carries] == [(0, 0)]  # a share of the log is read as one piece
    assert len(warnings) == 1 and warnings[0].startswith('%s is damaged' % damaged)
    assert 100 < raw['lines'] < 5100


def test_the_collector_is_paused_while_reading_and_resumed_as_it_was(tmp_path):
    path = tmp_path / 'mail.log'
    path.write_bytes(lines(100))
    pieces = [(str(path), 0, path.stat().st_size, REFERENCE, (0, 0))]
    seen = []

    def new_stats():
        seen.append(gc.isenabled())
        return log_stats.LogStats()

    def failing_stats():
        raise OSError('no stats')

    assert gc.isenabled()
    log_files.read_pieces(pieces, None, None, new_stats)
    assert seen == [False] and gc.isenabled()
    with pytest.raises(OSError):
        log_files.read_pieces(pieces, None, None, failing_stats)
    assert gc.isenabled()
    gc.disable()
    try:
        log_files.read_pieces(pieces, None, None, new_stats)
        assert not gc.isenabled()  # a collector paused before stays paused
    finally:
        gc.enable()


def test_a_share_of_many_pieces_hands_over_what_one_piece_would(tmp_path):
    # What a process keeps for the merge does not grow with the number of pieces it reads.
    path = tmp_path / 'mail.log'
    path.write_bytes(lines(2000))
    size = path.stat().st_size
    bounds = [size * number // 8 for number in range(8)] + [size]
    pieces = [(str(path), low, high, REFERENCE, (0, low)) for low, high in zip(bounds, bounds[1:])]
    whole = log_files.read_pieces([(str(path), 0, size, REFERENCE, (0, 0))], None, None,
                                  log_stats.LogStats, ends=((-1, 0), (1, 0)))
    many = log_files.read_pieces(pieces, None, None, log_stats.LogStats, ends=((-1, 0), (1, 0)))
    assert len(many[1]) == 1 and many[1] == whole[1]
    # (first and last are the stamps at the ends of each block read: the lines here are not in time order)
    assert {name: value for name, value in many[0].items() if name not in ('first', 'last', 'forgotten')} == {
        name: value for name, value in whole[0].items() if name not in ('first', 'last', 'forgotten')}
