# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Postfix mail log format: time stamps, line prefixes and the lines postfix_log reads.

Private to this collection: roles and playbooks use the modules, never module_utils.

One parser for every writer of the log: postlogd (maillog_file, "Dec 01
12:00:00 host postfix/smtp[123]: ..."), syslog ("Dec  1 12:00:00 ..." or an
RFC 3339 stamp "2026-12-01T12:00:00.123456+00:00 ...") and journalctl -o
short-iso ("2026-12-01T12:00:00+0000 ..."); Postfix 3.7 and 3.10 write the
same message formats. Each kind of line that postfix_log counts has its own
pattern here, which starts with a literal so that the regular expression
engine skips the other lines in C (log_stats.LogStats reads a block of lines
as bytes with them; Python only sees the lines it counts); parse_line()
applies the same patterns to one line.

No line stops a report: a line that looks like a delivery (", status=") but
does not read as one is skipped and counted, with a few examples.
"""

from __future__ import annotations

import calendar
import io
import re
import string
import sys
import time

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
        if not 1970 <= year <= 9000:
            return None  # no log line was written then
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


def hour_pieces(data, stamps):
    """[(the hour's start in epoch seconds, or None, lines)] of a block of whole lines: the block cut where the
    hour of the time stamps changes (the lines of a log are in time order; one a little out of order stays in
    the piece where it is). A block of one hour, the usual case, costs the stamps of two lines."""
    first = stamps(data)
    last = stamps(data[data.rfind(b'\n', 0, len(data) - 1) + 1:])
    if first is None or last is None or first // 3600 >= last // 3600:
        hour = first if first is not None else last
        return [(None if hour is None else int(hour // 3600 * 3600), data)]
    pieces, start, size = [], 0, len(data)
    handle = io.BytesIO(data)
    while start < size:
        hour = stamps(data[start:start + 64]) if start else first
        if hour is None:
            hour = pieces[-1][0] if pieces else first
        hour = int(hour // 3600 * 3600)
        end = _first_at(handle, start, size, hour + 3600, stamps)
        pieces.append((hour, data[start:end]))
        start = end
    return pieces


def _first_at(handle, start, high, when, stamps):
    """The offset of the first line after the one at ``start`` that is stamped at or after ``when``: a binary
    search over the lines of a block, then a short scan; ``high`` (the end) when there is none."""
    handle.seek(start)
    handle.readline()
    low = handle.tell()
    while high - low > 4096:
        handle.seek((low + high) // 2)
        handle.readline()
        line_start = handle.tell()
        if line_start >= high:
            break
        stamp = stamps(handle.readline())
        if stamp is None or stamp < when:
            low = line_start
        else:
            high = line_start
    handle.seek(low)
    while handle.tell() < high:
        offset = handle.tell()
        stamp = stamps(handle.readline())
        if stamp is not None and stamp >= when:
            return offset
    return high


# ---------------------------------------------------------------------------
# The lines postfix_log reads: one pattern for all of them (but the TLS summaries: TLS_LINE), which starts with
# the literal "]: " after the process ID, so that the regular expression engine finds each line's message in C,
# and tries the kinds of line in turn (most fail at their first character). One pass over a block finds every
# line postfix_log counts, in order; the match's lastindex (the last group it set) tells its kind (KINDS).

# A queue ID (or NOQUEUE, or the first word of a message) is always followed by ": ", so giving back its characters
# never helps a match: from Python 3.11.5 on the quantifier says so (possessive), which spares the engine trying each
# shorter word on the lines that are not a queue ID's (a fifth of the time of the pattern). So with the optional
# parts of a delivery (orig_to=, conn_use=, delays=, dsn=, the reason) and the digits of its delays: each is
# followed by a text it cannot end with, so once matched it is never given back (?+, ++), and the engine keeps no
# state to try without it (a quarter of the pattern's instructions on a delivery). Before 3.11.5 (Debian 12 has
# 3.11.2) possessive quantifiers can match what the greedy ones do not (CPython gh-106052, gh-100061): there
# "delay=1., " read as a delay and "delays=1/2/3" as a delivery; those Pythons get the greedy pattern.
_POSSESSIVE = sys.version_info >= (3, 11, 5)
_WORD = rb'[0-9A-Za-z]++' if _POSSESSIVE else rb'[0-9A-Za-z]+'
_NUMBER_TEXT = rb'\d++(?:\.\d++)?+' if _POSSESSIVE else rb'\d+(?:\.\d+)?'
_OPTIONAL = b'?+' if _POSSESSIVE else b'?'
_ACTIONS = rb'(reject|reject_warning|milter-reject|discard|hold|defer|defer_if_permit)'
LINE = re.compile(
    rb'\]: (?:(%s): (?:'
    # smtp, lmtp, local, virtual, pipe, error, retry, discard: one recipient's delivery attempt: recipient, its
    # domain, the relay's name (without [address]:port), the delays as one text (the delay and the four
    # delays=a/b/c/d: "0.5, delays=0.1/0/0.2/0.2", read by DELAY_VALUES when they are folded), status, and what
    # follows the opening parenthesis to the end of the line (the reason of a delivery that was not sent, with its
    # closing parenthesis; "forwarded as" of local(8)). A delay is a number as Postfix writes it: a line with
    # "delay=." or "delays=1..5/0/0/0" does not match, and is counted as skipped (SKIPPED_MARK).
    rb'to=<([^@>\n]*@?([^>\n]*))>, (?:orig_to=<[^>\n]*>, )%srelay=([^,\[\n]*)[^,\n]*, (?:conn_use=\d+, )%s'
    rb'delay=(%s(?:, delays=%s/%s/%s/%s)%s), (?:dsn=[\d.]+, )%sstatus=([\w-]+)(?: \(([^\n]*))%s$'
    # smtpd or qmqpd received a message (any syslog name): the client's name and address.
    rb'|client=([^\[,\n]*)\[([^\]\n]*)\]'
    # The queue manager (of any instance): a message's sender and size as it enters the active queue, the first
    # time and after each deferral; a message returned to its sender after maximal_queue_lifetime or by
    # postsuper -e (force-expired); a message removed from the queue.
    rb'|from=<([^>\n]*)>, (?:size=(\d+)|status=(expired|force-expired), returned to sender)'
    rb'|(removed)$'
    # pickup received a message (sendmail).
    rb'|(?:uid|sender)=()'
    # smtpd, postscreen (NOQUEUE), cleanup: rejects and the other actions of restrictions, checks and milters.
    rb'|%s: ([^\n]*)'
    rb')'
    # A daemon's warning, fatal error or panic (not cleanup's "QID: warning: header ..." of a WARN action).
    rb'|(warning|fatal|panic): ([^\n]*)'
    rb')' % ((_WORD,) + (_OPTIONAL,) * 2 + (_NUMBER_TEXT,) * 5 + (_OPTIONAL,) * 3 + (_ACTIONS,)), re.M)
# The TLS summary of smtpd_tls_loglevel and smtp_tls_loglevel 1 and more, right after "]: " and the trust level when
# there is one, as LINE would read it. Nothing but counts per field comes of it, so a block's are counted in C
# (TLS_LINE.findall() into a Counter), in a pass of their own: the pattern starts with its literal text, which the
# engine finds as it finds a substring, and looks behind it for the level (one fixed-width look-behind each).
_TLS_LEVELS = (b'Anonymous', b'Untrusted', b'Trusted', b'Verified')
TLS_LINE = re.compile(
    rb'TLS connection established (?:%s|(?<=\]: TLS connection established ))(from|to) \S+: (TLSv[\d.]+|SSLv\d) '
    rb'with cipher (\S+) \(\d+/\d+ bits\)(?: key-exchange (\S+))?' % b'|'.join(
        rb'(?<=\]: (%s) TLS connection established )' % level for level in _TLS_LEVELS))
# The groups of LINE
QID = 1
RECIPIENT, DOMAIN, RELAY, DELAYS, STATUS, REST = range(2, 8)
CLIENT_NAME, CLIENT_ADDRESS = 8, 9
SENDER, SIZE, EXPIRED, REMOVED = 10, 11, 12, 13
PICKUP = 14
ACTION, ACTION_REST = 15, 16
LEVEL, MESSAGE = 17, 18
# The delay and the four delays of LINE's DELAYS text: findall() over several texts joined with spaces gives their
# values, b'' where a line has no delays=; match() one text's (None then).
DELAY_VALUES = re.compile(rb'([\d.]+)(?:, delays=([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+))?')
# The kind of a match, by its lastindex.
DELIVERY, RECEIVED, QUEUED, EXPIRY, REMOVAL, PICKED_UP, REJECT, CONNECTION, PROBLEM, TLS = range(10)
KINDS = {STATUS: DELIVERY, REST: DELIVERY, CLIENT_ADDRESS: RECEIVED, SIZE: QUEUED, EXPIRED: EXPIRY,
         REMOVED: REMOVAL, PICKUP: PICKED_UP, ACTION_REST: REJECT, MESSAGE: PROBLEM}
# smtpd's connections (postscreen's are "CONNECT from") only add to a count: a block's are counted in C
# (bytes.count()), not matched by LINE (a fifth of its matches, each a match object and a turn of the loop in Python).
CONNECT_MARK = b']: connect from '
# Every delivery and expiry line has it: the lines that have it and read as neither are skipped.
SKIPPED_MARK = b', status='
# How much of a skipped line the report shows, and how many.
EXAMPLE_LENGTH = 200
EXAMPLES = 5


def tls_fields(groups):
    """(level, direction, protocol, cipher, key exchange) of TLS_LINE's groups as findall() gives them (b'' for a
    group without text): the level "other" when the line has none, the key exchange b'' when it has none."""
    levels, (direction, protocol, cipher, key_exchange) = groups[:len(_TLS_LEVELS)], groups[len(_TLS_LEVELS):]
    return b''.join(levels) or b'other', direction, protocol, cipher, key_exchange


def program_before(data, start):
    """The program of the line whose "]: " is at ``start``: postfix/smtp, postfix/relay/smtp..."""
    bracket = data.rfind(b'[', 0, start)
    return data[data.rfind(b' ', 0, bracket) + 1:bracket]


def reason_of(rest):
    """The reason of a delivery as DELIVERY captures it (to the end of the line): without its parenthesis."""
    return rest[:-1] if rest and rest.endswith(b')') else rest or b''


def program_at(data, bracket):
    """The program of the line whose "[pid]" starts at ``bracket``: postfix/smtp, postfix/relay/smtp..."""
    return data[data.rfind(b' ', 0, bracket) + 1:bracket]


def transport_of(program):
    """The master.cf service of a delivery agent's program name: syslog_name/daemon as master.cf services log
    (postfix/relay/smtp) is that service, else the daemon (postfix/smtp, postfix-out/smtp)."""
    names = program.split(b'/')
    return names[-2] if len(names) > 2 else names[-1]


def daemon_of(program):
    """The daemon of a program name: postfix/submission/smtpd -> smtpd."""
    return program.rpartition(b'/')[2]


def client_name(client):
    """A client as a table keeps it: its host name, or [address] when it has none (unknown[192.0.2.1])."""
    bracket = client.find(b'[')
    if bracket < 0:
        return client
    name = client[:bracket]
    if name and name != b'unknown':
        return name
    end = client.find(b']', bracket)
    return client[bracket:end + 1] if end > 0 else client[bracket:]


def sender_key(address):
    """An address as the sender and recipient tables keep it: lower-cased (mail systems treat addresses so, and
    one C call costs less than lower-casing the domain apart); the null sender as <>."""
    return address.lower() if address else b'<>'


def domain_of(address):
    at = address.rfind(b'@')
    return address[at + 1:].lower() if at >= 0 else b''


# ---------------------------------------------------------------------------
# Reasons and replies, normalised so that addresses, hosts, numbers and IDs do not split them.

_ADDRESS = re.compile(rb'<[^<>\s]*>|[\w.+=-]+@[\w.-]+\w')
_HOST_ADDRESS = re.compile(rb'[\w.-]*\[[0-9A-Fa-f:.]+\](?::\d+)?')
# The same, found from its "[" (a literal the engine looks for in C; _HOST_ADDRESS tries every position), its host
# name being the \w, . and - characters before it.
_BRACKETED_ADDRESS = re.compile(rb'\[[0-9A-Fa-f:.]+\](?::\d+)?')
_HOST_CHARACTERS = string.ascii_letters.encode() + string.digits.encode() + b'_.-'
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
    # (find(), not b'[' in text: CPython 3.11 tries a bytes operand of "in" as an integer first, and formats
    # the TypeError it then drops, about 1,800 instructions a test; this runs for each reason and reply.)
    bracket = text.find(b'[')
    found = _BRACKETED_ADDRESS.search(text, bracket) if bracket >= 0 else None
    if found:
        start = found.start()
        text = text[:len(text[:start].rstrip(_HOST_CHARACTERS))] + b'h[0]' + text[found.end():]
    start = text.find(b'<')
    if start >= 0:
        end = text.find(b'>', start)
        if end > 0 and _ADDRESS.fullmatch(text, start, end + 1):
            text = text[:start + 1] + text[end:]
    return text


# A token: a word between spaces (or at the end) that normalise() turns into N whatever its characters, and that
# nothing around it reads: a word character first (normalise's word starts there), a digit, four characters or
# more (not a reply code), and no enhanced status code at its start (a reply code before it would keep it).
_TOKEN = re.compile(rb'(?<= )(?=\w)(?!(?:[245]\d\d-)?[245]\.\d{1,3}\.\d{1,3})(?=[\w.:-]*\d)[\w.:-]{4,}(?![^ ])')


def tokenless(text):
    """The text with its tokens (queue IDs, message IDs, the "a640c23a62f3a-ab7f1c4d2e0si12345" of a Gmail reply)
    made N: normalise() gives the same for both, and texts that differ only in their tokens are normalised once."""
    return _TOKEN.sub(b'N', text)


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
    """(stage, reply, client, sender) of the text after "reject: " (or "discard: ", "hold: "...); the client as
    host[address] and the sender as logged, or b'' when the line has none.

    smtpd: "RCPT from host[addr]: 554 5.7.1 <x>: Relay access denied; from=<...> ...", postscreen the same
    with "[addr]:port"; cleanup: "header Subject: ... from host[addr]; from=<...> ... helo=<...>: 5.7.1 text".
    """
    stage, dummy, after = rest.partition(b' ')
    mark = rest.find(b'; from=<')
    sender = rest[mark + 8:rest.find(b'>', mark + 8)] if mark >= 0 else b''
    if stage in (b'header', b'body'):
        end = rest.rfind(b'>: ')
        begin = rest.rfind(b' from ', 0, mark) if mark >= 0 else -1
        client = rest[begin + 6:mark] if begin >= 0 else b''
        return stage, rest[end + 3:] if end >= 0 else b'', client, sender
    bracket = after.find(b']')
    client = after[5:bracket + 1] if after.startswith(b'from ') and bracket > 0 else b''
    colon = after.find(b': ', max(bracket, 0))
    reply = after[colon + 2:] if colon >= 0 else after
    for end_mark in (b'; from=<', b'; proto='):
        end = reply.find(end_mark)
        if end >= 0:
            reply = reply[:end]
    return stage, reply, client, sender


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
        found = LINE.search(line)
        if found is None or KINDS.get(found.lastindex) not in (DELIVERY, EXPIRY):
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
    """One line as a dict: time, host, program, pid, and ``kind`` with its fields, as log_stats.LogStats reads
    it.

    kind is delivery, expired, queued (qmgr's from= and size=), removed, received, reject, tls, connect,
    problem (a warning, fatal error or panic), skipped (a line that looks like a delivery but does not read as
    one), or None for a line postfix_log does not count (and for text that is not a log line, with host and
    program None).
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
    found = LINE.search(raw)
    kind = KINDS.get(found.lastindex) if found else None
    if kind is None:
        found = TLS_LINE.search(raw)
        kind = TLS if found else CONNECTION if CONNECT_MARK in raw else None
    if kind == DELIVERY:
        recipient, domain, relay, delays, status, rest = found.group(*range(RECIPIENT, REST + 1))
        delay, before, inside, setup, transmission = DELAY_VALUES.match(delays).groups()
        program = program_before(raw, found.start())
        rest = reason_of(rest)
        names = ('qid', 'recipient', 'status', 'transport', 'relay', 'domain', 'delay', 'before_qmgr', 'in_qmgr',
                 'conn_setup', 'transmission', 'reason')
        values = (found.group(QID), recipient, status, transport_of(program), relay or b'none', domain, delay, before,
                  inside, setup, transmission, rest if status != b'sent' else None)
        parsed.update(kind='delivery', forwarded=status == b'sent' and rest.startswith(b'forwarded as '),
                      **{name: text(value) for name, value in zip(names, values)})
    elif kind == EXPIRY:
        parsed.update(kind='expired', qid=text(found.group(QID)), status=text(found.group(EXPIRED)),
                      sender=text(found.group(SENDER)))
    elif kind == REMOVAL:
        parsed.update(kind='removed', qid=text(found.group(QID)))
    elif kind == QUEUED:
        parsed.update(kind='queued', qid=text(found.group(QID)), sender=text(found.group(SENDER)),
                      size=int(found.group(SIZE)))
    elif SKIPPED_MARK in raw:
        parsed['kind'] = 'skipped'
    elif kind == REJECT:
        stage, reply, client, sender = reject_fields(found.group(ACTION_REST))
        parsed.update(kind='reject', action=text(found.group(ACTION)), stage=text(stage), reply=text(reply),
                      client=text(client), sender=text(sender))
    elif kind == TLS:
        level, direction, protocol, cipher, key_exchange = tls_fields(found.groups(b''))
        parsed.update(kind='tls', level=text(level), direction=text(direction), protocol=text(protocol),
                      cipher=text(cipher), key_exchange=text(key_exchange or None))
    elif kind == RECEIVED:
        parsed.update(kind='received', qid=text(found.group(QID)),
                      client=text(b'%s[%s]' % found.group(CLIENT_NAME, CLIENT_ADDRESS)))
    elif kind == PICKED_UP:
        parsed.update(kind='received', qid=text(found.group(QID)), client='pickup')
    elif kind == CONNECTION:
        parsed['kind'] = 'connect'
    elif kind == PROBLEM:
        parsed.update(kind='problem', level=text(found.group(LEVEL)),
                      daemon=text(daemon_of(program_before(raw, found.start()))), message=text(found.group(MESSAGE)))
    return parsed
