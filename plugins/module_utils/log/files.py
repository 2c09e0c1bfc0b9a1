# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the mail log for postfix_log: its files and their rotated, compressed predecessors, the byte range of a
time window in each, blocks of whole lines, the journal, and several reading processes.

Private to this collection: roles and playbooks use the modules, never module_utils.

Nothing here stops a report for a damaged part of the log: a compressed file is read as far as it can be
decompressed (as zcat reads it), a line longer than MAX_LINE is skipped and counted, and a rotated file that
cannot be read is a warning. Only the log itself (``path``, or the file found for it) must be readable.
"""

from __future__ import annotations

import bz2
import contextlib
import gc
import io
import lzma
import math
import os
import pickle
import re
import signal
import subprocess
import tempfile
import zlib

from ansible_collections.mailops.postfix.plugins.module_utils.log import lines as log_lines
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError

STANDARD_PATHS = ('/var/log/mail.log', '/var/log/maillog')
# maillog.1, maillog.2.gz, maillog-20261201(.gz), postfix.log.20261201-120000.gz (postfix logrotate)
ROTATED = re.compile(r'[.-](\d+|\d{8}(-\d{6})?)(\.gz|\.bz2|\.xz)?$')
READ_HINT = 'reading the mail log needs root or the adm group (become: true)'
BLOCK_SIZE = 1 << 20  # 1 MB of lines at a time: as fast as larger blocks, and little memory
# A line longer than this is no log line (syslog cuts lines at a few kB): it is skipped, not held.
MAX_LINE = 64 << 10
# A piece of a file smaller than this is not worth a process of its own.
SPLIT_SIZE = 16 << 20
# How much a compressed file grows when decompressed, to deal the work out to the processes.
COMPRESSION_RATIO = 5


class LogError(MailopsError):
    """A log that cannot be found or read, or a window that cannot be understood."""


# ---------------------------------------------------------------------------
# Files: the log, its rotated predecessors, and how to open each

def check_log_file(path):
    """Fail, saying why, unless ``path`` is a log file this process can read."""
    if os.path.isdir(path):
        raise LogError('%s is a directory: name the log file (path), for example /var/log/mail.log' % path)
    if not os.path.lexists(path):
        raise LogError('%s does not exist (path)' % path)
    try:
        with open_file(path):
            pass
    except PermissionError:
        raise LogError('cannot read %s: permission denied; %s' % (path, READ_HINT))
    except OSError as error:
        raise LogError('cannot read %s: %s' % (path, error.strerror or error))


def open_file(path):
    """The file, opened for reading in binary (one place, so that the tests can refuse it)."""
    return open(path, 'rb')


def log_files(path, rotated, warnings):
    """The log and its rotated predecessors, oldest first. A directory that cannot be listed or a rotated file
    that cannot be read is a warning, and the file is left out."""
    files = [path]
    if rotated:
        directory, base = os.path.split(path)
        try:
            names = os.listdir(directory or '.')
        except OSError as error:
            warnings.append('cannot list %s for the rotated files of %s (%s); %s' % (
                directory or '.', base, error.strerror, READ_HINT))
            names = []
        for name in names:
            if name.startswith(base) and ROTATED.fullmatch(name[len(base):]):
                candidate = os.path.join(directory, name)
                try:
                    with open_file(candidate):
                        pass
                except OSError as error:
                    warnings.append('%s is left out: %s%s' % (
                        candidate, error.strerror or error, '; ' + READ_HINT if isinstance(error, PermissionError)
                        else ''))
                    continue
                files.append(candidate)

    def age(name):
        try:
            return os.stat(name).st_mtime, name
        except OSError:
            return 0, name
    return sorted(files, key=age)


class Decompressed:
    """A gzip, bzip2 or xz file read as the text it holds, as zcat reads it: every member or stream in turn,
    and of a damaged or truncated file the part before the damage. ``error`` then says what stopped it."""

    def __init__(self, path):
        self.path = path
        self.kind = os.path.splitext(path)[1]
        self.handle = open_file(path)
        self.decompressor = self._new()
        self.input = b''         # compressed bytes not yet given to the decompressor
        self.output = bytearray()
        self.done = False
        self.error = None
        self.produced = 0        # decompressed bytes so far

    def _new(self):
        if self.kind == '.gz':
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.kind == '.bz2':
            return bz2.BZ2Decompressor()
        return lzma.LZMADecompressor()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.handle.close()

    def read(self, size=-1):
        while not self.done and (size < 0 or len(self.output) < size):
            self._more(1 << 18)
        if size < 0:
            size = len(self.output)
        data = bytes(self.output[:size])
        del self.output[:size]
        return data

    def _more(self, limit):
        """Decompress up to ``limit`` more bytes (a file that decompresses to much more is read a part at a time)."""
        decompressor = self.decompressor
        try:
            if self.kind == '.gz' or decompressor.needs_input:
                data = self.input or self.handle.read(1 << 16)
                self.input = b''
                if not data:
                    self._end()
                    return
            else:
                data = b''  # bzip2 and xz keep input they have not decompressed yet
            data = decompressor.decompress(data, limit)
            if self.kind == '.gz':
                self.input = decompressor.unconsumed_tail
        except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as error:
            self._stop('%s: %s' % (type(error).__name__, error))
            return
        self.output += data
        self.produced += len(data)
        if decompressor.eof:
            # Another member (gzip) or stream (bzip2, xz) may follow, as zcat and xzcat read them; zeros are
            # padding.
            rest = (self.input + decompressor.unused_data).lstrip(b'\0')
            while not rest:
                rest = self.handle.read(1 << 16)
                if not rest:
                    self.done = True
                    return
                rest = rest.lstrip(b'\0')
            self.decompressor, self.input = self._new(), rest

    def _end(self):
        """The compressed file ends; it should end with a complete stream."""
        if not self.decompressor.eof:
            self._stop('the file ends inside its compressed data (truncated)')
        self.done = True

    def _stop(self, why):
        self.error = '%s is damaged: read the %d bytes before the damage (%s)' % (self.path, self.produced, why)
        self.done = True


def open_log(path):
    """A file of the log, opened for reading: decompressed as it is read when it is compressed."""
    if os.path.splitext(path)[1] in ('.gz', '.bz2', '.xz'):
        return Decompressed(path)
    return open_file(path)


def compressed(path):
    return os.path.splitext(path)[1] in ('.gz', '.bz2', '.xz')


# ---------------------------------------------------------------------------
# Blocks of whole lines, and the byte range of a time window (the lines of a log are in time order)

def blocks(handle, end=None, size=BLOCK_SIZE, too_long=None):
    """Blocks of whole lines (bytes, each ending with a newline) from a binary file object's position to
    ``end`` (a byte offset; None: to the end). A line longer than MAX_LINE is not held: it is passed to
    ``too_long`` (its first bytes) and skipped."""
    remaining = None if end is None else end - handle.tell()
    rest = b''
    skipping = False
    while True:
        wanted = size if remaining is None else min(size, remaining)
        data = handle.read(wanted) if wanted > 0 else b''
        if not data:
            if rest and not skipping:
                yield rest if rest.endswith(b'\n') else rest + b'\n'
            return
        if remaining is not None:
            remaining -= len(data)
        if skipping:
            newline = data.find(b'\n')
            if newline < 0:
                continue
            data, skipping = data[newline + 1:], False
        cut = data.rfind(b'\n') + 1
        if cut:
            # The block without a copy of what was read (a memoryview's slice), and nothing else held while it is
            # counted: the reader drops it before it asks for the next one (peak: two blocks, not four).
            with memoryview(data) as view:
                block = b''.join((rest, view[:cut])) if rest or cut < len(data) else data
            rest, data = data[cut:], None
            yield block
            block = None
        else:
            rest, data = rest + data, None
        if len(rest) > MAX_LINE:
            if too_long is not None:
                too_long(rest[:log_lines.EXAMPLE_LENGTH])
            rest, skipping = b'', True


def first_stamp(handle, position, stamps, limit=1 << 16):
    """(offset, stamp) of the first whole line with a time stamp at or after ``position``; (None, None)."""
    handle.seek(position)
    if position:
        handle.readline(MAX_LINE)
    while handle.tell() - position < limit:
        offset = handle.tell()
        line = handle.readline(MAX_LINE)
        if not line:
            break
        stamp = stamps(line)
        if stamp is not None:
            return offset, stamp
    return None, None


def last_stamp(handle, size, stamps, limit=1 << 16):
    """The time stamp of the last line that has one, among the last ``limit`` bytes; or None."""
    handle.seek(max(0, size - limit))
    lines = handle.read(limit).split(b'\n')
    for line in reversed(lines[1:] if size > limit else lines):
        stamp = stamps(line)
        if stamp is not None:
            return stamp
    return None


def offset_at(handle, size, when, stamps):
    """The byte offset of the first line stamped at or after ``when`` (epoch seconds): a binary search
    over the file, then a short scan. Lines a little out of order (syslog from several hosts) move the
    boundary by those lines only."""
    low, high = 0, size
    while high - low > 1 << 16:
        middle = (low + high) // 2
        offset, stamp = first_stamp(handle, middle, stamps)
        if offset is None or stamp < when:
            low = middle
        else:
            high = middle
    handle.seek(low)
    if low:
        handle.readline(MAX_LINE)
    while True:
        offset = handle.tell()
        line = handle.readline(MAX_LINE)
        if not line:
            return offset
        stamp = stamps(line)
        if stamp is not None and stamp >= when:
            return offset


def clip(block, since, until, stamps):
    """(the lines of a block within [since, until], whether later blocks can still have some)."""
    first, last = stamps(block), stamps(block[block.rfind(b'\n', 0, len(block) - 1) + 1:])
    after_since = since is None or (first is not None and first >= since)
    if after_since and (until is None or (last is not None and last <= until)):
        return block, True
    handle = io.BytesIO(block)
    start = 0 if since is None else offset_at(handle, len(block), since, stamps)
    end = len(block) if until is None else offset_at(handle, len(block), math.nextafter(until, math.inf), stamps)
    return block[start:end], end == len(block)


def file_parts(path, since, until, warnings):
    """The parts of one file to read: (path, start, end, reference) with byte offsets, or (path, None, None,
    reference) for a compressed file, read whole up to the window's end; [] when the file is outside the
    window, or cannot be read (a warning)."""
    try:
        reference = os.stat(path).st_mtime
        stamps = log_lines.StampReader(reference)
        if compressed(path):
            with Decompressed(path) as handle:
                first = first_stamp(io.BytesIO(handle.read(1 << 16)), 0, stamps)[1]
            if (until is not None and first is not None and first > until) or (
                    since is not None and reference < since):
                return []
            return [(path, None, None, reference)]
        size = os.path.getsize(path)
        with open_file(path) as handle:
            first = first_stamp(handle, 0, stamps)[1]
            last = last_stamp(handle, size, stamps)
            if (until is not None and first is not None and first > until) or (
                    since is not None and last is not None and last < since):
                return []
            start = offset_at(handle, size, since, stamps) if since is not None else 0
            end = size if until is None else offset_at(handle, size, math.nextafter(until, math.inf), stamps)
    except OSError as error:
        warnings.append('%s is left out: %s' % (path, error.strerror or error))
        return []
    return [(path, start, end, reference)] if end > start else []


# ---------------------------------------------------------------------------
# Reading: pieces of files in processes, and the journal

def plan_work(parts, processes):
    """Split big uncompressed parts, then cut the log into one share per process, each a run of pieces that
    follow one another in the log (so a process hands over what crosses the ends of its share only, whatever the
    number of files and pieces). A piece is (path, start, end, reference, order), order being where it is in the
    log (the file's place among the files, oldest first, and the start)."""
    pieces = []
    for index, (path, start, end, reference) in enumerate(parts):
        if start is None:
            pieces.append((os.path.getsize(path) * COMPRESSION_RATIO, (path, None, None, reference, (index, 0))))
            continue
        count = max(1, min(processes, (end - start) // SPLIT_SIZE))
        bounds = [start + (end - start) * number // count for number in range(count)] + [end]
        pieces.extend((high - low, (path, low, high, reference, (index, low))) for low, high in zip(bounds, bounds[1:]))
    total = sum(size for size, dummy in pieces) or 1
    shares = max(1, min(processes, len(pieces)))
    workers = [[] for dummy in range(shares)]
    done = 0
    for size, piece in pieces:  # a piece goes to the share its middle falls in
        workers[min(shares - 1, (2 * done + size) * shares // (2 * total))].append(piece)
        done += size
    return [share for share in workers if share]


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while the log is read, and resume it as it was. Reading allocates
    and frees a few objects per line, and keeps growing tables of groups: the collector's passes over them took
    2.5% to 4.7% of the reading's CPU time (docs/postfix_log.md). Reading makes no reference cycles (a collection
    after reading 20 MB of each mix with the collector paused finds none), so memory is the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_pieces(pieces, since, until, new_stats, ends=(None, None)):
    """(the raw statistics, what the share leaves to log_stats.stitch(), the warnings of what could not be read)
    of a share of plan_work(): pieces that follow one another in the log, read as one piece, in one process.
    ``ends``: the order of the first and of the last piece of the log."""
    with collector_paused():
        return _read_pieces(pieces, since, until, new_stats, ends)


def _read_pieces(pieces, since, until, new_stats, ends):
    stats = new_stats()
    warnings = []
    if pieces:
        stats.begin_piece(pieces[0][4], first=pieces[0][4] == ends[0], last=pieces[-1][4] == ends[1])
    for path, start, end, reference, dummy in pieces:
        stamps = log_lines.StampReader(reference)
        try:
            if start is None:
                with Decompressed(path) as handle:
                    read_stream(stats, handle, since, until, stamps)
                if handle.error:
                    warnings.append(handle.error)
                continue
            with open_file(path) as handle:
                if start:
                    # A piece starts at the line after its first offset; the piece before it reads that line.
                    handle.seek(start - 1)
                    handle.readline(MAX_LINE)
                for block in blocks(handle, end=_line_end(handle, end), too_long=stats.skip):
                    stats.read(block, stamps)
                    del block  # (see blocks())
        except OSError as error:
            warnings.append('%s: reading stopped: %s' % (path, error.strerror or error))
    return stats.to_raw(internal=True), stats.carries(), warnings


def _line_end(handle, offset):
    """The end of the line that contains byte offset - 1 (where a piece ending at ``offset`` stops)."""
    position = handle.tell()
    handle.seek(max(offset - 1, 0))
    handle.readline()
    end = handle.tell()
    handle.seek(position)
    return max(end, position)


def read_stream(stats, handle, since, until, stamps):
    """A compressed file or journalctl's output: every block, clipped to the window."""
    for block in blocks(handle, too_long=stats.skip):
        if since is not None or until is not None:
            block, more = clip(block, since, until, stamps)
            if block:
                stats.read(block, stamps)
            if not more:
                break
        else:
            stats.read(block, stamps)
        del block  # (see blocks())


def read_in_processes(work, since, until, new_stats):
    """([(raw statistics, carries)] of each worker's pieces, the warnings): this process reads the first share, a
    forked child each other one (a child inherits everything it needs, so nothing but its result crosses a
    pipe)."""
    orders = [piece[4] for pieces in work for piece in pieces]
    ends = (min(orders), max(orders)) if orders else (None, None)
    children = []
    for pieces in work[1:]:
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: read, send the result, leave without running the parent's cleanup
            try:
                os.close(reader)
                try:
                    result = ('ok', read_pieces(pieces, since, until, new_stats, ends))
                except Exception as error:  # pylint: disable=broad-exception-caught  # the parent reports it
                    result = ('error', '%s: %s' % (type(error).__name__, error))
                with os.fdopen(writer, 'wb') as out:
                    pickle.dump(result, out)
            finally:
                os._exit(0)
        os.close(writer)
        children.append((pid, reader))
    results, warnings, failures = [], [], []
    try:
        raw, carries, more = read_pieces(work[0], since, until, new_stats, ends)
        results.append((raw, carries))
        warnings.extend(more)
    finally:
        for pid, reader in children:
            with os.fdopen(reader, 'rb') as handle:
                try:
                    status, value = pickle.load(handle)
                except EOFError:
                    status, value = 'error', 'a reading process ended without a result'
            os.waitpid(pid, 0)
            if status == 'ok':
                results.append(value[:2])
                warnings.extend(value[2])
            else:
                failures.append(value)
    if failures:
        raise LogError('reading the log failed: %s' % '; '.join(failures))
    return results, warnings


def read_journal(argv, since, until, stats, now):
    """Read journalctl's output into ``stats`` as it comes (journalctl runs on another CPU)."""
    argv = list(argv)
    if since is not None:
        argv.append('--since=@%d' % int(since))
    if until is not None:
        argv.append('--until=@%d' % (int(until) + 1))
    with collector_paused():
        rc, errors = read_command(
            argv, lambda output: read_stream(stats, output, since, until, log_lines.StampReader(now)))
    if rc != 0:
        hint = '; ' + READ_HINT.replace('the adm group', 'the systemd-journal or adm group') \
            if 'ermission' in errors else ''
        raise LogError('%s failed (rc=%d): %s%s' % (' '.join(argv), rc, errors, hint))


def read_command(argv, consume):
    """Run a command (journalctl) and give its output to ``consume`` as a binary file object, read as it comes
    rather than held whole. Returns (rc, what it wrote on stderr); a command that ``consume`` stopped reading
    early and that died of the broken pipe counts as a success."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors,
                                   env=dict(os.environ, LANG='C', LC_ALL='C'))
        try:
            consume(process.stdout)
        finally:
            process.stdout.close()
            rc = process.wait()
        errors.seek(0)
        message = errors.read().decode('utf-8', 'replace').strip()
    return (0 if rc == -signal.SIGPIPE else rc), message


def process_count(requested):
    if requested < 0:
        raise LogError('processes=%d: must be 0 (every CPU) or more' % requested)
    if requested:
        return requested
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
