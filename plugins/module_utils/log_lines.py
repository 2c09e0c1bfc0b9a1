# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Postfix mail log format: time stamps, line prefixes and the lines postfix_log reads.

Private to this collection: roles and playbooks use the modules, never module_utils.

One parser for every writer of the log: postlogd (maillog_file, "Dec 01
12:00:00 host postfix/smtp[123]: ..."), syslog ("Dec  1 12:00:00 ..." or an
RFC 3339 stamp "2026-12-01T12:00:00.123456+00:00 ...") and journalctl -o
short-iso ("2026-12-01T12:00:00+0000 ..."); Postfix 3.7 and 3.10 write the
same message formats. scan() reads a block of lines as bytes: each kind of
line is found by its own pattern, which starts with a literal so that the
regular expression engine skips the other lines in C; Python only sees the
lines it counts. parse_line() applies the same patterns to one line.

No line stops a report: a line that looks like a delivery (", status=") but
does not read as one is skipped and counted, with a few examples.
"""

from __future__ import annotations

import calendar
import re
import time
from collections import Counter, defaultdict

# ---------------------------------------------------------------------------
# Time stamps

MONTHS = {name: number for number, name in enumerate(
    (b'Jan', b'Feb', b'Mar', b'Apr', b'May', b'Jun', b'Jul', b'Aug', b'Sep', b'Oct', b'Nov', b'Dec'), 1)}
# Syslog and postlogd: no year, local time. ISO: journalctl, RFC 3339 syslog templates.
TRADITIONAL_STAMP = re.compile(rb'([A-Z][a-z]{2}) ([ \d]?\d) (\d\d):(\d\d):(\d\d)(?= )')
ISO_STAMP = re.compile(rb'(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,]\d+)?(Z|[+-]\d\d:?\d\d)?(?= )')


def stamp_time(line, reference):
    """Epoch seconds of the line's time stamp, or None when it has none.

    A syslog stamp has no year: it is the year of ``reference`` (epoch seconds
    at or after the line, such as the file's modification time), or the year
    before when that would put the line more than a day after the reference.
    """
    found = TRADITIONAL_STAMP.match(line)
    if found:
        month = MONTHS.get(found.group(1))
        if month is None:
            return None
        day, hour, minute, second = (int(part) for part in found.group(2, 3, 4, 5))
        year = time.localtime(reference).tm_year
        stamp = _local_epoch(year, month, day, hour, minute, second)
        if stamp is not None and stamp > reference + 86400:
            stamp = _local_epoch(year - 1, month, day, hour, minute, second)
        return stamp
    found = ISO_STAMP.match(line)
    if found:
        year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
        zone = found.group(7)
        if zone is None:
            return _local_epoch(year, month, day, hour, minute, second)
        offset = 0 if zone == b'Z' else (1 if zone[:1] == b'+' else -1) * (int(zone[1:3]) * 3600 + int(zone[-2:]) * 60)
        try:
            return calendar.timegm((year, month, day, hour, minute, second)) - offset
        except ValueError:  # month 13, day 0: no time stamp
            return None
    return None


def _local_epoch(year, month, day, hour, minute, second):
    try:
        return time.mktime((year, month, day, hour, minute, second, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


class StampReader:
    """stamp_time() with a memory of the last stamp: consecutive lines mostly share their second."""

    def __init__(self, reference):
        self.reference = reference
        self.last = (None, None)

    def __call__(self, line):
        head = line[:32]
        if head == self.last[0]:
            return self.last[1]
        stamp = stamp_time(line, self.reference)
        self.last = (head, stamp)
        return stamp


# ---------------------------------------------------------------------------
# The lines postfix_log reads. Each pattern starts with a literal (the "]: "
# after the process ID, or a phrase) so that finditer() skips other lines fast.

# smtp, lmtp, local, virtual, pipe, error, retry, discard: one recipient's delivery attempt. Groups: the
# recipient's domain, the relay's name (without [address]:port), delay, the four delays=a/b/c/d, status, and
# what follows in parentheses (the reason of a delivery that was not sent; "forwarded as" of local(8)).
# A delay is a number as Postfix writes it: a line with "delay=." or "delays=1..5/0/0/0" does not match, and
# is counted as skipped (SKIPPED_MARK).
_NUMBER_TEXT = rb'(\d+(?:\.\d+)?)'
DELIVERY = re.compile(
    rb': to=<[^@>\n]*@?([^>\n]*)>, (?:orig_to=<[^>\n]*>, )?relay=([^,\[\n]*)[^,\n]*, (?:conn_use=\d+, )?'
    rb'delay=%s, (?:delays=%s/%s/%s/%s, )?(?:dsn=[\d.]+, )?status=([\w-]+)(?: \(([^\n]*)\))?$'
    % ((_NUMBER_TEXT,) * 5), re.M)
# qmgr returned a message to its sender after maximal_queue_lifetime, or postsuper -e (force-expired).
EXPIRED = re.compile(rb', status=(expired|force-expired), returned to sender')
# Every delivery and expiry line has it: the lines that have it and read as neither are skipped.
SKIPPED_MARK = b', status='
# How much of a skipped line the report shows, and how many.
EXAMPLE_LENGTH = 200
EXAMPLES = 5
# Counted as they are (bytes.count()): smtpd or qmqpd received a message; a client connected to smtpd
# (postscreen says "CONNECT from").
RECEIVED = b': client='
CONNECT = b']: connect from '
# smtpd, postscreen, cleanup: NOQUEUE: reject: RCPT from ...; cleanup also header/body checks and milters.
REJECT = re.compile(
    rb'\]: [0-9A-Za-z]+: (reject|reject_warning|milter-reject|discard|hold|defer|defer_if_permit): ([^\n]*)')
# The summary line of smtpd_tls_loglevel / smtp_tls_loglevel 1 and more. The level is the word before the
# literal the search looks for: look-behinds after it capture it, so that findall() counts whole lines.
LEVELS = (b'Anonymous', b'Untrusted', b'Trusted', b'Verified')
TLS = re.compile(rb' TLS connection established ' + b''.join(
    rb'(?:(?<=(%s) TLS connection established ))?' % level for level in LEVELS) +
    rb'(from|to) \S+: (TLSv[\d.]+|SSLv\d) with cipher (\S+) \(\d+/\d+ bits\)(?: key-exchange (\S+))?')
# A message arrived through pickup (sendmail).
PICKUP = re.compile(rb'/pickup\[\d+\]: [0-9A-Za-z]+: (?:uid|sender)=')

# ---------------------------------------------------------------------------
# Reasons and replies, normalised so that addresses, hosts, numbers and IDs do not split them.

_ADDRESS = re.compile(rb'<[^<>\s]*>|[\w.+=-]+@[\w.-]+\w')
_HOST_ADDRESS = re.compile(rb'[\w.-]*\[[0-9A-Fa-f:.]+\](?::\d+)?')
_DNS_NAME = re.compile(rb'name=[^ ]+ type=')
_URL = re.compile(rb'\b\w+://\S+')
# A word with a digit becomes N (queue IDs, counts, tokens, user names such as user193); SMTP replies stay:
# enhanced status codes (5.1.1, 550-5.1.1), and reply codes at the start, after "said: " or before a status code.
_NUMBER = re.compile(rb'\b[\w.:-]*\d[\w.:-]*')
_ENHANCED = re.compile(rb'(?:[245]\d\d-)?[245]\.\d{1,3}\.\d{1,3}')
_REPLY = re.compile(rb'[245]\d\d')


def _number(found):
    text = found.group()
    if _ENHANCED.fullmatch(text):
        return text
    start = found.start()
    if _REPLY.fullmatch(text) and (start == 0 or found.string.endswith(b'said: ', 0, start)
                                   or _ENHANCED.match(found.string, found.end() + 1)):
        return text
    return b'N'


def normalise(text):
    """A reason as the report groups it: "host mx.example.net[192.0.2.1] said: 450 4.2.1 <x@example.net>: ...
    (in reply to RCPT TO command)" -> "host HOST said: 450 4.2.1 ADDRESS: ... (in reply to RCPT TO command)".
    Each substitution runs only when its text can be there: this runs once per deferral, bounce and reject."""
    if b'://' in text:
        text = _URL.sub(b'URL', text)
    if b'[' in text:
        text = _HOST_ADDRESS.sub(b'HOST', text)
    if b'@' in text or b'<' in text:
        text = _ADDRESS.sub(b'ADDRESS', text)
    if b'name=' in text:
        text = _DNS_NAME.sub(b'name=DOMAIN type=', text)
    return _NUMBER.sub(_number, text)


def shape(text):
    """The text with its first host[address] and its first <address> made constant: normalise() gives the
    same for both, and texts of one shape are normalised once."""
    if b'[' in text:
        text = _HOST_ADDRESS.sub(b'h[0]', text, 1)
    start = text.find(b'<')
    if start >= 0:
        end = text.find(b'>', start)
        if end > 0 and _ADDRESS.fullmatch(text, start, end + 1):
            text = text[:start + 1] + text[end:]
    return text


# smtpd's reply texts -> the restriction that gives it (smtpd_*_restrictions, postconf(5)).
# Access tables (check_*_access) reply with their own text; those are named by the part of the request.
RESTRICTIONS = (
    (b'Relay access denied', 'reject_unauth_destination'),
    (b'blocked using ', 'reject_rbl_client'),
    (b'User unknown in local recipient table', 'reject_unlisted_recipient (local_recipient_maps)'),
    (b'User unknown in virtual mailbox table', 'reject_unlisted_recipient (virtual_mailbox_maps)'),
    (b'User unknown in virtual alias table', 'reject_unlisted_recipient (virtual_alias_maps)'),
    (b'User unknown in relay recipient table', 'reject_unlisted_recipient (relay_recipient_maps)'),
    (b'Helo command rejected: need fully-qualified hostname', 'reject_non_fqdn_helo_hostname'),
    (b'Helo command rejected: Invalid name', 'reject_invalid_helo_hostname'),
    (b'Helo command rejected: Host not found', 'reject_unknown_helo_hostname'),
    (b'Sender address rejected: need fully-qualified address', 'reject_non_fqdn_sender'),
    (b'Sender address rejected: Domain not found', 'reject_unknown_sender_domain'),
    (b'Sender address rejected: not logged in', 'reject_sender_login_mismatch'),
    (b'Sender address rejected: not owned by user', 'reject_sender_login_mismatch'),
    (b'Sender address rejected: undeliverable address', 'reject_unverified_sender'),
    (b'Recipient address rejected: need fully-qualified address', 'reject_non_fqdn_recipient'),
    (b'Recipient address rejected: Domain not found', 'reject_unknown_recipient_domain'),
    (b'Recipient address rejected: undeliverable address', 'reject_unverified_recipient'),
    (b'Client host rejected: cannot find your reverse hostname', 'reject_unknown_reverse_client_hostname'),
    (b'Client host rejected: cannot find your hostname', 'reject_unknown_client_hostname'),
    (b'Improper use of SMTP command pipelining', 'reject_unauth_pipelining'),
    (b'Multi-recipient bounce', 'reject_multi_recipient_bounce'),
    (b'Message size exceeds fixed limit', 'message_size_limit'),
    (b'Insufficient system storage', 'queue_minfree'),
    (b'Must issue a STARTTLS command first', 'smtpd_tls_security_level=encrypt'),
    (b'Temporary lookup failure', 'table lookup error'),
)
_ACCESS = ((b'Recipient address triggers ', 'check_recipient_access'),
           (b'Sender address triggers ', 'check_sender_access'), (b'Client host triggers ', 'check_client_access'),
           (b'Helo command triggers ', 'check_helo_access'), (b'Client host rejected: ', 'check_client_access'),
           (b'Helo command rejected: ', 'check_helo_access'),
           (b'Sender address rejected: ', 'check_sender_access'),
           (b'Recipient address rejected: ', 'check_recipient_access'), (b'Data command rejected: ', 'smtpd_data'),
           (b'End-of-data rejected: ', 'smtpd_end_of_data'), (b'Service unavailable; ', 'postscreen'))


_RESTRICTION = re.compile(b'|'.join(re.escape(text) for text, name in RESTRICTIONS))
_RESTRICTION_NAMES = dict(RESTRICTIONS)


def restriction_of(reply, stage, action=b'reject'):
    """The restriction that most likely gave a reject reply; header/body checks by stage, milters by their
    action (milter-reject: smtpd at RCPT or END-OF-MESSAGE, as greylisting and rspamd reply, or cleanup)."""
    if action == b'milter-reject':
        return 'milter'
    found = _RESTRICTION.search(reply)
    if found:
        return _RESTRICTION_NAMES[found.group()]
    if stage in (b'header', b'body'):
        return '%s_checks' % stage.decode()
    if stage == b'END-OF-MESSAGE':
        return 'milter'
    for text, name in _ACCESS:
        if text in reply:
            return name
    return 'other'


def reject_fields(rest):
    """(stage, reply) of the text after "reject: " (or "discard: ", "hold: "...).

    smtpd: "RCPT from host[addr]: 554 5.7.1 <x>: Relay access denied; from=<...> ...", postscreen the same
    with "[addr]:port"; cleanup: "header Subject: ... from host[addr]; from=<...> ... helo=<...>: 5.7.1 text".
    """
    stage, dummy, after = rest.partition(b' ')
    if stage in (b'header', b'body'):
        end = rest.rfind(b'>: ')
        return stage, rest[end + 3:] if end >= 0 else b''
    colon = after.find(b': ', max(after.find(b']'), 0))
    reply = after[colon + 2:] if colon >= 0 else after
    for end_mark in (b'; from=<', b'; proto='):
        end = reply.find(end_mark)
        if end >= 0:
            reply = reply[:end]
    return stage, reply


# ---------------------------------------------------------------------------
# Reading a block of lines

class Batch:
    """What scan() found in a block of lines (bytes), for log_stats.LogStats."""

    __slots__ = ('lines', 'first', 'last', 'deliveries', 'reasons', 'forwarded', 'expired', 'rejects', 'tls',
                 'received', 'connects', 'skipped', 'examples')

    def __init__(self, deliveries):
        self.lines = 0
        self.first = self.last = None  # time stamps of the first and the last line
        # (status, dimension, name) -> five {delay as logged: count} (delay and delays=a/b/c/d), where
        # dimension is 0 for the relay, 1 for the recipient domain and 2 for the transport.
        self.deliveries = deliveries
        self.reasons = []     # (status, reason) of the deliveries other than sent
        self.forwarded = 0    # sent by local(8) as a new message ("forwarded as")
        self.expired = {}     # expired, force-expired: count
        self.rejects = []     # (action, stage, reply)
        self.tls = {}         # (4 x level or b'', direction, protocol, cipher, key exchange or b'') -> count
        self.received = 0     # smtpd/qmqpd "client=" and pickup lines: messages that entered the queue
        self.connects = 0     # smtpd "connect from": inbound SMTP sessions
        self.skipped = 0      # lines with SKIPPED_MARK that read as neither a delivery nor an expiry
        self.examples = []    # the first EXAMPLES of them, cut to EXAMPLE_LENGTH bytes


def scan(data, stamps=None, deliveries=None):
    """A Batch of the lines in ``data`` (bytes, whole lines ending with a newline).

    The deliveries are counted into ``deliveries`` (a dict, see Batch) when it is given: the caller's
    running totals, so that a line costs a few dictionary increments. ``stamps`` (a StampReader) reads
    the time stamps of the first and the last line.
    """
    batch = Batch({} if deliveries is None else deliveries)
    batch.lines = data.count(b'\n')
    if stamps is not None and data:
        batch.first = stamps(data)
        batch.last = stamps(data[data.rfind(b'\n', 0, len(data) - 1) + 1:])
    counts = batch.deliveries
    rfind = data.rfind
    reasons = batch.reasons
    read = 0
    for found in DELIVERY.finditer(data):
        domain, relay, delay, before, inside, setup, transmission, status, rest = found.groups()
        read += 1
        bracket = rfind(b'[', 0, found.start())
        # The program before "[pid]": postfix/smtp, or syslog_name/daemon as master.cf services log
        # (postfix/relay/smtp): the transport is that service, else the daemon.
        names = data[rfind(b' ', max(bracket - 100, 0), bracket) + 1:bracket].split(b'/')
        # Counted per dimension rather than per combination: far fewer distinct (key, value) pairs to fold.
        transport = names[-2] if len(names) > 2 else names[-1]
        for key in ((status, 0, relay or b'none'), (status, 1, domain), (status, 2, transport)):
            slot = counts.get(key)
            if slot is None:
                slot = counts[key] = (defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int),
                                      defaultdict(int))
            slot[0][delay] += 1
            if before is not None:
                slot[1][before] += 1
                slot[2][inside] += 1
                slot[3][setup] += 1
                slot[4][transmission] += 1
        if status != b'sent':
            reasons.append((status, rest or b''))
        elif rest is not None and rest.startswith(b'forwarded as '):
            batch.forwarded += 1
    expired = batch.expired
    for returned in EXPIRED.findall(data):
        read += 1
        expired[returned.decode()] = expired.get(returned.decode(), 0) + 1
    if data.count(SKIPPED_MARK) > read:
        batch.skipped, batch.examples = unreadable(data)
    batch.rejects = [(action,) + reject_fields(rest) for action, rest in REJECT.findall(data)]
    batch.tls = Counter(TLS.findall(data))
    batch.received = data.count(RECEIVED) + len(PICKUP.findall(data))
    batch.connects = data.count(CONNECT)
    return batch


def unreadable(data):
    """(how many, the first EXAMPLES) of the lines that have SKIPPED_MARK but read as neither a delivery nor an
    expiry: the slow path of a block with damaged lines."""
    count, examples = 0, []
    start = 0
    while True:
        mark = data.find(SKIPPED_MARK, start)
        if mark < 0:
            return count, examples
        begin = data.rfind(b'\n', 0, mark) + 1
        end = data.find(b'\n', mark)
        end = len(data) if end < 0 else end
        line = data[begin:end + 1]
        if not DELIVERY.search(line) and not EXPIRED.search(line):
            count += 1
            if len(examples) < EXAMPLES:
                examples.append(example(line))
        start = end + 1


def example(line):
    """A skipped line as the report shows it: text, at most EXAMPLE_LENGTH characters."""
    return line.rstrip(b'\n')[:EXAMPLE_LENGTH].decode('utf-8', 'replace')


PREFIX = re.compile(rb'(?:%s|%s) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ' % (TRADITIONAL_STAMP.pattern, ISO_STAMP.pattern))
_HOST = TRADITIONAL_STAMP.groups + ISO_STAMP.groups + 1  # the group numbers of host, program, pid


def parse_line(line, reference=None):
    """One line as a dict: time, host, program, pid, and ``kind`` with its fields, as scan() reads it.

    kind is delivery, expired, reject, tls, received, connect, skipped (a line that looks like a delivery but
    does not read as one), or None for a line postfix_log does not count (and for text that is not a log line,
    with host and program None).
    """
    raw = line.encode('utf-8', 'surrogateescape') if isinstance(line, str) else line
    raw = raw.rstrip(b'\n') + b'\n'
    prefix = PREFIX.match(raw)

    def text(value):
        return None if value is None else value.decode('utf-8', 'replace')

    parsed = {'time': stamp_time(raw, time.time() if reference is None else reference), 'kind': None,
              'host': text(prefix.group(_HOST)) if prefix else None,
              'program': text(prefix.group(_HOST + 1)) if prefix else None,
              'pid': int(prefix.group(_HOST + 2)) if prefix and prefix.group(_HOST + 2) else None}
    batch = scan(raw)
    if batch.deliveries:
        names = {dimension: name for dummy, dimension, name in batch.deliveries}
        status, values = next(iter(batch.deliveries))[0], next(iter(batch.deliveries.values()))
        relay, domain, transport = names[0], names[1], names[2]
        stages = [next(iter(counts), None) for counts in values]
        reason = batch.reasons[0][1] if batch.reasons else None
        names = ('status', 'transport', 'relay', 'domain', 'delay', 'before_qmgr', 'in_qmgr', 'conn_setup',
                 'transmission', 'reason')
        parsed.update(kind='delivery', **{name: text(value) for name, value in zip(
            names, [status, transport, relay, domain] + stages + [reason])})
    elif batch.skipped:
        parsed['kind'] = 'skipped'
    elif any(batch.expired.values()):
        parsed.update(kind='expired', status=max(batch.expired, key=batch.expired.get))
    elif batch.rejects:
        parsed.update(kind='reject', **dict(zip(('action', 'stage', 'reply'), map(text, batch.rejects[0]))))
    elif batch.tls:
        fields = next(iter(batch.tls))
        names = ('direction', 'protocol', 'cipher', 'key_exchange')
        parsed.update(kind='tls', level=text(b''.join(fields[:4]) or b'other'),
                      **{name: text(value or None) for name, value in zip(names, fields[4:])})
    elif batch.received:
        parsed['kind'] = 'received'
    elif batch.connects:
        parsed['kind'] = 'connect'
    return parsed
