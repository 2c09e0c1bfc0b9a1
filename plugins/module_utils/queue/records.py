# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Postfix mail queue as data: ``postqueue -j`` records, selection, summary, postsuper's report.

Private to this collection: roles and playbooks use the modules, never module_utils.

Everything here takes text or records and returns data; nothing runs a command.
The records arrive as an iterable and are looked at one at a time, so that a
50,000-message queue costs one record of memory plus what is kept on purpose:
the queue IDs already listed (see parse_records), the counters of the summary,
the queue IDs to act on and the first ``limit`` selected records. The one
outside effect: MatchDeadline sets a timer signal while the selection matches,
since Python's regular expressions have no time limit of their own.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import heapq
import json
import re
import signal
import sys
import time

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError

try:
    import jmespath
except ImportError:  # needed only for the query selector; the module says so
    jmespath = None

QUEUE_NAMES = ('maildrop', 'incoming', 'active', 'deferred', 'hold')

# The members postqueue(1) documents for -j (3.1+); forced_expire came with 3.5.
REQUIRED_MEMBERS = ('queue_name', 'queue_id', 'arrival_time', 'message_size', 'sender', 'recipients')

# mail_queue.h: a short ID is the microseconds in five hex digits and the inode
# number in hex; a long ID (enable_long_queue_ids) is the seconds (six or more
# digits) and microseconds (four) in a 52-letter alphabet without vowels, "z",
# and the inode number in the same alphabet less "z".
_SAFE_ALPHABET = '0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z'
_SAFE_ALPHABET_NO_Z = '0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y'
SHORT_QUEUE_ID = re.compile(r'[0-9A-F]{6,21}')
LONG_QUEUE_ID = re.compile(r'[%s]{10,16}z[%s]{1,12}' % (_SAFE_ALPHABET, _SAFE_ALPHABET_NO_Z))

# A domain name, .domain for its subdomains, or an [address] literal.
DOMAIN = re.compile(r'\.?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}'
                    r'[A-Za-z0-9])?\.?|\[[0-9A-Fa-f:.]+\]')

DURATION_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
_DURATION = re.compile(r'(?:\d+[smhdw])+')


class QueueError(MailopsError):
    """Bad input (a selector, a duration, a queue ID) or queue output that makes no sense; says how to fix it."""


class MatchTimeout(QueueError):
    """The selection's patterns took longer than match_timeout to match; names the pattern and how to fix it."""


class DeadlinePassed(Exception):
    """MatchDeadline's timer went off while matching; scan() turns it into a MatchTimeout.

    ``option`` is the pattern being matched at the time, when Selector.matches() knows it.
    """

    def __init__(self):
        super().__init__('match_timeout passed')
        self.option = None


QueueAction = collections.namedtuple('QueueAction', 'name queues postsuper_option done_word total_label')

# Which messages each action can act on. postsuper is given exactly these queue
# names after the IDs, so that the plan and the command agree. Only delete
# reaches into maildrop (postsuper's own default for -d leaves it out): the
# other actions concern mail that pickup has already queued (postsuper -h on a
# maildrop file does nothing; checked on 3.10). Requeue leaves held mail alone:
# postsuper -r moves a held message to maildrop, which releases it. done_word
# and total_label are how postsuper reports each message and the total.
ACTIONS = {
    'delete': QueueAction('delete', QUEUE_NAMES, 'delete', 'removed', 'Deleted'),
    'hold': QueueAction('hold', ('incoming', 'active', 'deferred'), 'hold', 'placed on hold', 'Placed on hold'),
    'release': QueueAction('release', ('hold',), 'release', 'released from hold', 'Released from hold'),
    'requeue': QueueAction('requeue', ('incoming', 'active', 'deferred'), 'requeue', 'requeued', 'Requeued'),
    'expire': QueueAction('expire', ('incoming', 'active', 'deferred', 'hold'), 'expire', 'expired', 'Force-expired'),
    # Held mail is never delivered, active mail is being delivered, incoming and
    # maildrop mail is on its way: only deferred mail has something to flush.
    'flush': QueueAction('flush', ('deferred',), None, None, None),
}

# Actions after which mail is gone or no longer delivered: a selection that
# matches the whole queue needs all_messages for them.
DESTRUCTIVE = frozenset(['delete', 'expire', 'hold'])

# postsuper -e (and the forced_expire member of postqueue -j) came with Postfix 3.5.
EXPIRE_MIN_VERSION = (3, 5)


# ---------------------------------------------------------------------------
# postqueue -j

def parse_record(line):
    """One line of ``postqueue -j`` -> the message record, as postqueue printed it.

    ``forced_expire`` is added as false where Postfix is older than 3.5 and
    does not print it. Other members are kept: postqueue's list of members is
    documented to grow.
    """
    try:
        record = json.loads(line)
    except ValueError as error:
        raise QueueError('postqueue -j printed a line that is not JSON (%s): %.200s' % (error, line))
    if not isinstance(record, dict):
        raise QueueError('postqueue -j printed something other than a JSON object: %.200s' % line)
    missing = [name for name in REQUIRED_MEMBERS if name not in record]
    if missing:
        raise QueueError('postqueue -j printed a message without %s: %.200s' % (', '.join(missing), line))
    record.setdefault('forced_expire', False)
    return record


def parse_records(lines):
    """Records from ``postqueue -j`` output lines, one at a time.

    postqueue(1) warns that a message moving between queues while it lists may
    be listed twice: only the first listing counts. The set of IDs seen is the
    one thing that grows with the queue.
    """
    seen = set()
    for line in lines:
        if not line.strip():
            continue
        record = parse_record(line)
        if record['queue_id'] not in seen:
            seen.add(record['queue_id'])
            yield record


def read_queue(runner):
    """The queue, one ``postqueue -j`` record at a time (a generator: close it to stop postqueue early)."""
    return parse_records(runner.stream_lines('postqueue', ['json']))


# ---------------------------------------------------------------------------
# Input checks

def check_queue_id(value):
    """A queue ID as Postfix makes them (short or long form), or QueueError naming the value."""
    if isinstance(value, str) and (SHORT_QUEUE_ID.fullmatch(value) or LONG_QUEUE_ID.fullmatch(value)):
        return value
    raise QueueError(
        'queue_ids: %r is not a Postfix queue ID (short IDs are 6 to 21 upper-case hex digits such as '
        '9946C1B63F2; long IDs, with enable_long_queue_ids, look like 4jYx2Z49j6zFdNh); nothing was changed'
        % (value,))


def parse_duration(value, option):
    """'30m' -> 1800 seconds. Units s, m, h, d, w, as in Postfix time values; several
    may follow each other ('1h30m'); a bare number is seconds."""
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if not _DURATION.fullmatch(text):
        raise QueueError('%s=%s is not a duration: give a number with a unit s, m, h, d or w, such as 30m, 6h or 2d '
                         '(or several, such as 1h30m)' % (option, value))
    return sum(int(number) * DURATION_UNITS[unit] for number, unit in re.findall(r'(\d+)([smhdw])', text))


def compile_pattern(pattern, option):
    """A selector pattern: a Python regular expression, searched anywhere, case-insensitively.

    An empty pattern would match every message: it is refused, so that an
    unset variable cannot turn a selection into the whole queue.
    """
    if not pattern.strip():
        raise QueueError('%s is empty, which would select every message; give a pattern, or use all_messages=true '
                         'to act on the whole queue' % option)
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise QueueError('%s=%s is not a valid regular expression: %s' % (option, pattern, error))


def compile_query(expression):
    """A JMESPath expression for the query selector; needs the jmespath library."""
    if not expression.strip():
        raise QueueError('query is empty; give a JMESPath expression, or use all_messages=true to act on the whole '
                         'queue')
    if jmespath is None:
        raise QueueError('query needs the Python library jmespath on the managed host, for %s; install it (Debian: '
                         'apt install python3-jmespath) or select with the other options' % sys.executable)
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as error:
        raise QueueError('query=%s is not a valid JMESPath expression: %s' % (expression, error))


def jmespath_true(value):
    """JMESPath's truth: false, null and empty strings, lists and objects are false; 0 is true."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, dict)) and not value)


# ---------------------------------------------------------------------------
# Selection

SELECTOR_OPTIONS = ('queue_ids', 'queues', 'sender', 'recipient', 'site', 'delay_reason', 'older_than', 'newer_than',
                    'query')
# The selectors whose matching time depends on what they are given (see MatchDeadline).
PATTERN_OPTIONS = ('sender', 'recipient', 'delay_reason', 'query')


def check_site(value, option='site'):
    """A domain (example.com), its subdomains (.example.com) or an address literal ([192.0.2.1]), lower case."""
    if not isinstance(value, str) or not DOMAIN.fullmatch(value):
        raise QueueError('%s: %r is not a domain name (example.com, .example.com for its subdomains, or [192.0.2.1])'
                         % (option, value))
    return value.lower().rstrip('.')


def at_site(domain, sites):
    """Whether a recipient ``domain`` (lower case) is one of ``sites`` (see check_site)."""
    return any(domain == site or site.startswith('.') and domain.endswith(site) for site in sites)


class Selector:
    """Which messages an action is about. Every criterion given must match (AND).

    - queue_ids, queues: exact queue IDs and queue names; an empty list selects nothing.
    - sender, recipient, delay_reason: Python regular expressions, searched anywhere in the
      text (anchor with ^ and $), case-insensitively. recipient and delay_reason match when any
      recipient still queued matches; recipients without a delay reason never match
      delay_reason. postqueue shows the null sender (bounces) as MAILER-DAEMON.
    - site: a recipient domain, as postqueue -s names a site (see check_site).
    - older_than, newer_than: seconds since arrival_time, strictly more or strictly less.
    - query: a JMESPath expression evaluated on each record; true in JMESPath's sense.
    """

    def __init__(self, **criteria):
        unknown = sorted(set(criteria) - set(SELECTOR_OPTIONS))
        if unknown:
            raise TypeError('unknown selector(s): %s' % ', '.join(unknown))
        self.given = [name for name in SELECTOR_OPTIONS if criteria.get(name) is not None]
        queue_ids, queues = criteria.get('queue_ids'), criteria.get('queues')
        self.queue_ids = None if queue_ids is None else frozenset(check_queue_id(value) for value in queue_ids)
        unknown = sorted(set(queues or ()) - set(QUEUE_NAMES))
        if unknown:
            raise QueueError('queues: unknown queue name(s) %s; the queues are %s' % (
                ', '.join(unknown), ', '.join(QUEUE_NAMES)))
        self.queues = None if queues is None else frozenset(queues)
        self.sender, self.recipient, self.delay_reason = (
            None if criteria.get(name) is None else compile_pattern(criteria[name], name)
            for name in ('sender', 'recipient', 'delay_reason'))
        self.site = None if criteria.get('site') is None else check_site(criteria['site'])
        self.older_than, self.newer_than = (
            None if criteria.get(name) is None else parse_duration(criteria[name], name)
            for name in ('older_than', 'newer_than'))
        self.query_text = criteria.get('query')
        self.query = None if self.query_text is None else compile_query(self.query_text)
        # The options whose matching can take long: what a MatchDeadline watches.
        self.patterns = {name: criteria[name] for name in PATTERN_OPTIONS if criteria.get(name) is not None}

    @classmethod
    def from_params(cls, params):
        """A selector from the module options of the same names."""
        return cls(**{name: params[name] for name in SELECTOR_OPTIONS})

    def matches(self, record, now):
        """Whether the record is selected; ``now`` is the time its age is measured at.

        ``pattern`` names the pattern being matched, for the message when a
        MatchDeadline stops it (a local variable: it costs nothing).
        """
        pattern = None
        try:
            if self.queue_ids is not None and record['queue_id'] not in self.queue_ids:
                return False
            if self.queues is not None and record['queue_name'] not in self.queues:
                return False
            pattern = 'sender'
            if self.sender is not None and not self.sender.search(record['sender']):
                return False
            recipients = record['recipients']
            pattern = 'recipient'
            if self.recipient is not None and not any(self.recipient.search(rcpt['address']) for rcpt in recipients):
                return False
            pattern = None
            if self.site is not None and not any(
                    at_site(recipient_domain(rcpt['address']), (self.site,)) for rcpt in recipients):
                return False
            pattern = 'delay_reason'
            if self.delay_reason is not None and not any(
                    self.delay_reason.search(rcpt['delay_reason']) for rcpt in recipients if 'delay_reason' in rcpt):
                return False
            pattern = None
            age = now - record['arrival_time']
            if self.older_than is not None and not age > self.older_than:
                return False
            if self.newer_than is not None and not age < self.newer_than:
                return False
            pattern = 'query'
            return self.query is None or jmespath_true(self._search(record))
        except DeadlinePassed as passed:
            passed.option = pattern
            raise

    def too_slow(self, option, record, seconds):
        """The MatchTimeout for a pattern (or any of them: ``option`` None) that was stopped on ``record``."""
        named = {option: self.patterns[option]} if option in self.patterns else self.patterns
        what = ', '.join('%s=%s' % item for item in named.items())
        if list(named) == ['query']:
            advice = ('Simplify the query, or select with sender, recipient, site, delay_reason, older_than or '
                      'newer_than')
        else:
            advice = ('A pattern with a repetition inside a repetition, such as (a+)+ or (a|aa)*, takes time that '
                      'doubles with every character of a text it almost matches. Use a simpler pattern: drop the '
                      'nested repetition (a+ matches what (a+)+ matches), anchor it with ^ and $, or match the text '
                      'literally (a backslash before . + * ? ( ) [ ] and |)')
        return MatchTimeout(
            '%s: matching took longer than match_timeout=%gs and was stopped at message %s; nothing was changed. '
            '%s. Raise match_timeout only for a pattern that is slow but finishes'
            % (what, seconds, record['queue_id'], advice))

    def _search(self, record):
        try:
            return self.query.search(record)
        except jmespath.exceptions.JMESPathError as error:
            raise QueueError('query=%s failed on message %s: %s' % (self.query_text, record['queue_id'], error))


class MatchDeadline:
    """A limit on the time the selection's patterns take to match, summed over one pass over the queue.

    Python's regular expressions have no time limit, and a pattern with a
    repetition inside a repetition backtracks exponentially: sender=(a+)+$ on a
    sender of 34 a's runs for hours. CPython's matcher looks for signals every
    few thousand steps, so a SIGALRM handler can stop it, and the JMESPath query
    is Python code. The timer is set once, for the whole pass: when it goes off
    while the queue is being read rather than matched, the handler sets it again
    for the matching time that is left, so a large queue that takes long to list
    is not taken for a slow pattern. Two clock readings per message are the cost.
    Use it as a context manager around the pass, with matches() in place of
    Selector.matches(); past the limit, matches() raises DeadlinePassed.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.spent = 0.0
        self.started = None
        self._previous_handler = None

    def __enter__(self):
        self._previous_handler = signal.signal(signal.SIGALRM, self._alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc_info):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous_handler)

    def _alarm(self, signum, frame):
        spent = self.spent
        if self.started is not None:
            spent += time.monotonic() - self.started
            if spent >= self.seconds:
                raise DeadlinePassed()
        # Not matching now, or not long enough yet: wait for the rest (a little, if a match
        # that just ended used it up: the next one is stopped).
        signal.setitimer(signal.ITIMER_REAL, max(self.seconds - spent, 0.001))

    def matches(self, selector, record, now):
        """selector.matches(record, now), timed."""
        self.started = time.monotonic()
        try:
            return selector.matches(record, now)
        finally:
            self.spent += time.monotonic() - self.started
            self.started = None


def acts_on(action, record):
    """Whether ``action`` would change this message: hold skips held mail, expire mail already expiring, ..."""
    spec = ACTIONS[action]
    if record['queue_name'] not in spec.queues:
        return False
    return not (action == 'expire' and record['forced_expire'])


# ---------------------------------------------------------------------------
# Summary

def recipient_domain(address):
    """The domain of a recipient address, lower case ('' for an address without @)."""
    return address.rpartition('@')[2].lower() if '@' in address else ''


def _ranked(counter, top, tiebreak=None):
    """The ``top`` most common keys with their counts. Ties go by ``tiebreak`` (a second counter), then by
    key, so that every run ranks the same queue the same way."""
    def rank(item):
        return -item[1], -(tiebreak[item[0]] if tiebreak is not None else 0), item[0]
    return heapq.nsmallest(top, counter.items(), key=rank)


class QueueSummary:
    """Counts over the whole queue, added one record at a time (see summarize())."""

    def __init__(self, now, top=10):
        self.now = now
        self.top = top
        self.messages = 0
        self.bytes = 0
        self.recipients = 0
        self.forced_expire = 0
        self.queues = {name: {'messages': 0, 'bytes': 0} for name in QUEUE_NAMES}
        self.domain_messages = collections.Counter()
        self.domain_recipients = collections.Counter()
        self.senders = collections.Counter()
        self.reasons = collections.Counter()
        self.oldest = None

    def add(self, record):
        size = record['message_size']
        self.messages += 1
        self.bytes += size
        self.forced_expire += bool(record['forced_expire'])
        queue = self.queues.setdefault(record['queue_name'], {'messages': 0, 'bytes': 0})
        queue['messages'] += 1
        queue['bytes'] += size
        self.senders[record['sender']] += 1
        domains = set()
        for rcpt in record['recipients']:
            self.recipients += 1
            domain = recipient_domain(rcpt['address'])
            self.domain_recipients[domain] += 1
            domains.add(domain)
            if rcpt.get('delay_reason'):
                self.reasons[rcpt['delay_reason']] += 1
        self.domain_messages.update(domains)
        if self.oldest is None or record['arrival_time'] < self.oldest['arrival_time']:
            self.oldest = {'queue_id': record['queue_id'], 'queue_name': record['queue_name'],
                           'arrival_time': record['arrival_time']}

    def result(self):
        """The summary as plain data (see the RETURN documentation of postfix_queue)."""
        oldest = None
        if self.oldest is not None:
            oldest = dict(self.oldest, age=max(0, int(self.now - self.oldest['arrival_time'])))
        return {
            'messages': self.messages,
            'bytes': self.bytes,
            'recipients': self.recipients,
            'forced_expire': self.forced_expire,
            'queues': self.queues,
            'oldest': oldest,
            'top_recipient_domains': [
                {'domain': domain, 'messages': count, 'recipients': self.domain_recipients[domain]}
                for domain, count in _ranked(self.domain_messages, self.top, self.domain_recipients)],
            'top_senders': [{'sender': sender, 'messages': count} for sender, count in _ranked(self.senders, self.top)],
            'top_delay_reasons': [{'delay_reason': reason, 'recipients': count}
                                  for reason, count in _ranked(self.reasons, self.top)],
        }


def summarize(records, now, top=10):
    """The summary of a queue: counts and bytes per queue, the top ``top`` recipient domains,
    senders and delay reasons, and the oldest message with its age at ``now``."""
    summary = QueueSummary(now, top)
    for record in records:
        summary.add(record)
    return summary.result()


def scan(records, selector, now, action='list', limit=100, top=10, match_timeout=None):
    """One pass over the queue for a module run.

    Returns the summary of the whole queue, the number of selected messages,
    the first ``limit`` selected records, the IDs of the selected messages that
    ``action`` would change (all of them; they go to postsuper), and the
    requested queue_ids that are not in the queue at all.

    With ``match_timeout`` (seconds) and a selector with patterns, matching
    them may take that long in all (see MatchDeadline); past it, MatchTimeout
    names the pattern.
    """
    deadline = MatchDeadline(match_timeout) if match_timeout is not None and selector.patterns else None
    summary = QueueSummary(now, top)
    selected = 0
    messages = []
    targets = []
    found = set()
    record = None
    matches = selector.matches if deadline is None else functools.partial(deadline.matches, selector)
    with deadline or contextlib.nullcontext():
        try:
            for record in records:
                summary.add(record)
                if selector.queue_ids is not None and record['queue_id'] in selector.queue_ids:
                    found.add(record['queue_id'])
                if not matches(record, now):
                    continue
                selected += 1
                if len(messages) < limit:
                    messages.append(record)
                if action != 'list' and acts_on(action, record):
                    targets.append(record['queue_id'])
        except DeadlinePassed as passed:
            raise selector.too_slow(passed.option, record, match_timeout) from None
    return {
        'summary': summary.result(),
        'selected': selected,
        'messages': messages,
        'targets': targets,
        'not_found': sorted((selector.queue_ids or frozenset()) - found),
    }


# ---------------------------------------------------------------------------
# postsuper's report

_TOTAL = re.compile(r'postsuper: (?P<label>[A-Z][A-Za-z -]*): (?P<count>\d+) messages?$')
_ONE = re.compile(r'postsuper: (?P<queue_id>[0-9A-Za-z]+): (?P<word>[a-z][a-z ]*)$')
_WARNING = re.compile(r'postsuper: warning: (?P<text>.*)$')


class PostsuperReport:
    """What postsuper printed (stderr, line by line) -> {count, queue_ids, warnings}, one line at a time.

    postsuper logs each message it acted on ("postsuper: 9946C1B63F2: removed")
    and a total ("postsuper: Deleted: 3 messages"). The count is postsuper's
    total; older postsuper versions print a total only when it is not zero, so a
    missing total means as many as the messages it named. Messages that were gone by
    then are simply not named: that is not an error. Lines are added as they come,
    so that a postsuper that fails part way still shows what it did.
    """

    def __init__(self, action):
        self.spec = ACTIONS[action]
        self.total = None
        self.queue_ids = []
        self.warnings = []

    def add(self, line):
        line = line.rstrip('\n')
        total = _TOTAL.match(line)
        if total and total.group('label') == self.spec.total_label:
            self.total = int(total.group('count'))
            return
        one = _ONE.match(line)
        if one and one.group('word') == self.spec.done_word:
            self.queue_ids.append(one.group('queue_id'))
            return
        warning = _WARNING.match(line)
        if warning:
            self.warnings.append(warning.group('text'))

    def result(self):
        count = len(self.queue_ids) if self.total is None else self.total
        return {'count': count, 'queue_ids': list(self.queue_ids), 'warnings': list(self.warnings)}
