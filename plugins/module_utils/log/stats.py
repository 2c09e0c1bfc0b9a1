# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of postfix_log: counts, delay distributions, top reasons, rejects, TLS; and their merge.

Private to this collection: roles and playbooks use the modules, never module_utils.

Delays are kept at Postfix's own resolution: Postfix logs a delay with two
significant digits (0.055, 0.98, 1.2, 57; whole seconds from 10 s on), and a
distribution counts each delay rounded to two significant digits (key()), so
that 0.98 and 0.97 stay apart and 1108 s counts as 1100 s. A percentile is
the delay of that rank rounded so: exactly the logged value below 100 s,
within 5% of it above; the maximum and the sums (for the stage shares) are
exact. Counts, sums, maxima and the counts of each value add up, so the raw
form (to_raw()) of two files, two processes or two hosts merges exactly
(merge()): the merge of two raws is the raw of the union of their lines.

Memory stays flat whatever the size of the log: the delays of the lines
are kept as logged (bytes) and folded into the distributions every few MB
of lines (FOLD_BLOCKS, FOLD_COMBOS), so they never outgrow that; a
distribution has at most 90 values per decade. Per status, at most
2 * max_keys relays, recipient domains and transports have distributions of
their own; the others go to "(other)" (the status's totals stay exact), and
one that becomes frequent later takes the place of the least frequent kept.
Reason and reply tables are bounded the same way, and long reasons are cut
in the report (the raw form keeps the whole normalised text, the key that
merges).
"""

from __future__ import annotations

import array
import base64
import collections
import heapq
import itertools
import json
import operator
import zlib
from collections import defaultdict

from ansible_collections.mailops.postfix.plugins.module_utils.log import lines as log_lines

FORMAT = 'mailops.postfix.postfix_log/2'
RESOLUTION = 'two significant digits'
STAGES = ('delay', 'before_qmgr', 'in_qmgr', 'conn_setup', 'transmission')
DIMENSIONS = ('relay', 'domain', 'transport')
OTHER = '(other)'
PERCENTILES = (('p50', 0.5), ('p90', 0.9), ('p99', 0.99))
DEFAULT_MAX_KEYS = 100
# Normalising a reason costs a few regular expressions: the last ones are remembered, when they are short.
_NORMALISED_CACHE = 2000
_CACHED_TEXT = 512


# ---------------------------------------------------------------------------
# Delays at Postfix's resolution: a delay's key is its value in microseconds rounded to two significant digits.

def key(micros):
    """The key of a delay in whole microseconds: rounded half up to two significant digits, as Postfix rounds."""
    if micros < 100:
        return micros
    step = 10 ** (len(str(micros)) - 2)
    return (micros + step // 2) // step * step


def seconds(micros):
    """A key or a sum as the report gives it: seconds (0.055, 1.2, 1100.0)."""
    return micros / 1e6


def delay_micros(text):
    """A delay as logged (bytes, digits with one optional point: the pattern ensures it) in whole microseconds.
    Postfix writes at most six decimals; more are rounded away."""
    whole, dummy, fraction = text.partition(b'.')
    return int(whole or b'0') * 1000000 + (int((fraction + b'000000')[:6]) if fraction else 0)


# ---------------------------------------------------------------------------
# Distributions: {'values': {key: count}, 'sum_us': exact sum in microseconds, 'max': exact maximum in
# microseconds}. Between the reading processes the values are two arrays (value_arrays()). In the raw form the values
# are the text "key:count key:count ..." (sorted): Ansible walks every
# value of a module's result, and the text is one value.

def new_distribution():
    return {'values': {}, 'sum_us': 0, 'max': 0}


def merge_distribution(into, other):
    """Add distribution ``other`` (either form) to ``into`` (the working form)."""
    values = into['values']
    for value, count in value_pairs(other['values']):
        values[value] = values.get(value, 0) + count
    into['sum_us'] += other['sum_us']
    into['max'] = max(into['max'], other['max'])


def value_pairs(values):
    """(key, count) of the values of any form."""
    if isinstance(values, dict):
        return values.items()
    if isinstance(values, tuple):
        return zip(*values)
    numbers = map(int, values.replace(':', ' ').split())
    return list(zip(numbers, numbers))  # key, count, key, count...: pairs, in C


def values_text(values):
    return ' '.join(map('%d:%d'.__mod__, sorted(value_pairs(values))))


def value_arrays(values):
    """The values as the reading processes hand them to the merge: (keys, counts), two arrays of 64-bit integers
    (a few bytes a value, where a dictionary takes about a hundred, in the process that merges them)."""
    return array.array('q', values.keys()), array.array('q', values.values())


def sorted_values(dist):
    """The (key, count) of a distribution, smallest first, and their total."""
    pairs = sorted(value_pairs(dist['values']))
    return pairs, sum(count for dummy, count in pairs)


def rank_value(pairs, total, rank):
    """The key of 0-based ``rank`` among the values (sorted pairs of their keys and counts)."""
    seen = 0
    for value, count in pairs:
        seen += count
        if rank < seen:
            return value
    return pairs[-1][0] if total else None


def quantile(dist, fraction):
    """The value of rank floor(fraction * (n - 1)) (0-based) among the n values, in microseconds rounded to two
    significant digits; None when empty."""
    pairs, total = sorted_values(dist)
    return rank_value(pairs, total, int(fraction * (total - 1))) if total else None


# ---------------------------------------------------------------------------
# Groups: the deliveries of one status to one relay (domain, transport): a count and five distributions.

def new_group():
    return {'count': 0, 'stages': {stage: new_distribution() for stage in STAGES}}


def merge_group(into, other):
    into['count'] += other['count']
    merge_stages(into, other)


def merge_stages(into, other):
    for stage in STAGES:
        merge_distribution(into['stages'][stage], other['stages'][stage])


def compact(table, max_keys, merge, new):
    """Keep the max_keys largest entries of ``table`` (name -> item with a count); fold the others into OTHER."""
    if len(table) <= max_keys:
        return
    size = (lambda item: item['count']) if isinstance(next(iter(table.values())), dict) else (lambda item: item)
    ranked = sorted((name for name in table if name != OTHER), key=lambda name: size(table[name]), reverse=True)
    folded = merge(new(), table.pop(OTHER)) if OTHER in table else new()  # a new one: the table's are not changed
    for name in ranked[max_keys - 1:]:
        folded = merge(folded, table.pop(name))
    table[OTHER] = folded


def _merge_groups(into, other):
    merge_group(into, other)
    return into


def _sum_counts(into, other):
    return into + other


def _merge_tables(into, other):
    """Nested name -> ... -> count tables, added."""
    for name, value in other.items():
        if isinstance(value, dict):
            _merge_tables(into.setdefault(name, {}), value)
        else:
            into[name] = into.get(name, 0) + value
    return into


_COUNT = operator.itemgetter('count')


class KeyedGroups:
    """The groups of one status and one dimension (relays, say): at most ``capacity`` names with distributions of
    their own, the others in OTHER. A name that finds the table full goes to OTHER, and is counted apart
    (``waiting``, bounded as a Misra-Gries summary): when its count passes the least frequent name kept, it
    takes that one's place, with the count it had (its earlier delays stay in OTHER's distributions).

    An evicted group's count and distributions go to OTHER, and its distributions become OTHER's: the fold adds
    the delays of its batches of combinations to their groups at its end, and those of a group evicted meanwhile
    go to OTHER so."""

    __slots__ = ('groups', 'capacity', 'waiting', 'floor', 'heap', 'added')

    def __init__(self, capacity):
        self.groups = {OTHER: new_group()}
        self.capacity = capacity + 1  # and OTHER
        self.waiting = {}
        self.floor = 0  # the count of the least frequent name kept, when the table is full
        # The names kept as a heap of (count, order, name, group), made at the first eviction: the least count, and
        # the first kept (the order they were added in) among the least. Counts only grow; an entry whose count
        # grew is pushed again with it when it comes to the top, one whose group is gone is dropped then.
        self.heap = None
        self.added = 0  # the order of the next name added to the heap

    def group(self, name, count):
        """The group that counts ``count`` more deliveries to ``name``."""
        group = self.groups.get(name)
        if group is not None:
            return group
        groups = self.groups
        if len(groups) < self.capacity:
            group = groups[name] = new_group()
            return group
        waiting = self.waiting.get(name, 0) + count
        if waiting <= max(self.floor, 1):  # a name seen once never takes another's place
            self.waiting[name] = waiting
            if len(self.waiting) > 10 * self.capacity:
                self._forget()
            return groups[OTHER]
        # name takes the place of the least frequent one (the first of them), which now waits with its count.
        self.waiting.pop(name, None)
        heap = self.heap
        if heap is None:
            heap = self.heap = [(group['count'], order, kept, group)
                                for order, (kept, group) in enumerate(itertools.islice(groups.items(), 1, None))]
            heapq.heapify(heap)  # (OTHER, the first group, is never evicted)
            self.added = len(heap)
        dummy, dummy, least, evicted = self._least()
        heapq.heappop(heap)
        groups.pop(least)
        other = groups[OTHER]
        other['count'] += evicted['count']
        if evicted['stages']['delay']['values']:  # (every delivery has a delay: one made in this fold has none)
            merge_stages(other, evicted)
        evicted['stages'] = other['stages']
        self.waiting[least] = evicted['count']
        group = groups[name] = new_group()
        prior = waiting - count
        group['count'] += prior  # its earlier deliveries, counted in OTHER so far
        other['count'] -= prior
        heapq.heappush(heap, (prior, self.added, name, group))
        self.added += 1
        self.floor = self._least()[0]
        return group

    def _least(self):
        """The entry of the heap of the least frequent name kept (the first of them), brought up to date."""
        heap, groups = self.heap, self.groups
        while True:
            count, order, name, group = heap[0]
            if groups.get(name) is not group:
                heapq.heappop(heap)
            elif group['count'] != count:
                heapq.heapreplace(heap, (group['count'], order, name, group))
            else:
                return heap[0]

    def _forget(self):
        """Misra-Gries: lower every waiting count by the median one, and forget those at zero."""
        cut = sorted(self.waiting.values())[len(self.waiting) // 2]
        self.waiting = {name: count - cut for name, count in self.waiting.items() if count > cut}

    def settle(self):
        """Recompute the floor (after a fold)."""
        if len(self.groups) >= self.capacity:
            self.floor = min(map(_COUNT, itertools.islice(self.groups.values(), 1, None)))  # OTHER is first


# ---------------------------------------------------------------------------
# Accumulating what log_lines.scan() finds

# The names the tables of counts of one process forgot, and how often they had been seen: one Bloom filter per
# count (a name forgotten at count 3 is in the first three), two bits a name, 2.1 MB in all. Restarted beyond
# FORGOTTEN_NAMES names, where the first filter gives 3.3% false positives.
FORGOTTEN_LEVELS = (1 << 23, 1 << 21) + (1 << 19,) * 14
FORGOTTEN_NAMES = FORGOTTEN_LEVELS[0] // 10


class ForgottenNames:
    """The names that top tables of counts forgot, with the count each had (up to len(FORGOTTEN_LEVELS)): a stack
    of Bloom filters, the n-th holding the names forgotten at count n or more. Each table has a salt of its own
    (an odd number): the same name in two tables is two names."""

    __slots__ = ('levels', 'names')

    def __init__(self):
        self.levels = [(bytearray(bits >> 3), bits - 1) for bits in FORGOTTEN_LEVELS]
        self.names = 0

    def add(self, counted, salt):
        """Remember the (name, count) of ``counted``."""
        self._restart_when_full()
        levels = self.levels
        names = 0
        for name, count in counted:
            code = hash(name) * salt
            second = code >> 32
            for bits, mask in levels[:count]:
                first, other = code & mask, second & mask
                bits[first >> 3] |= 1 << (first & 7)
                bits[other >> 3] |= 1 << (other & 7)
            names += 1
        self.names += names

    def add_once(self, names, salt):
        """Remember ``names``, each forgotten at count 1 (most are): add() with the first filter alone."""
        self._restart_when_full()
        bits, mask = self.levels[0]
        for code in map(operator.mul, map(hash, names), itertools.repeat(salt)):
            first, other = code & mask, code >> 32 & mask
            bits[first >> 3] |= 1 << (first & 7)
            bits[other >> 3] |= 1 << (other & 7)
        self.names += len(names)

    def _restart_when_full(self):
        """Beyond FORGOTTEN_NAMES names, start again (those forgotten so far stay in the error bound)."""
        if self.names > FORGOTTEN_NAMES:
            for bits, dummy in self.levels:
                bits[:] = bytes(len(bits))
            self.names = 0

    def count(self, name, salt):
        """The count ``name`` had when it was forgotten last (0: never forgotten, or forgotten before a
        restart)."""
        code = hash(name) * salt
        second = code >> 32
        found = 0
        for bits, mask in self.levels:
            first, other = code & mask, second & mask
            if not (bits[first >> 3] >> (first & 7) & 1 and bits[other >> 3] >> (other & 7) & 1):
                break
            found += 1
        return found


def keep_largest(counts, capacity):
    """(the ``capacity`` largest entries of ``counts`` as a new defaultdict(int), the largest count left out: 0 if
    none, the names left out at that count). Of the names tied at the cut, the last inserted are kept: a name
    forgotten and seen again comes last."""
    if len(counts) <= capacity:
        return counts, 0, []
    values = counts.values()
    cut = sorted(values, reverse=True)[capacity]
    # (The passes over the names run in C: a table of recipients is reduced every few MB of log. operator.lt with
    # the cut repeated costs less than the method cut.__lt__; the result is the table reduce() keeps, no copy.)
    kept = collections.defaultdict(int, itertools.compress(counts.items(), map(
        operator.lt, itertools.repeat(cut), values)))
    ties = list(itertools.compress(counts, map(operator.eq, itertools.repeat(cut), values)))
    room = capacity - len(kept)  # (0 or more: at most ``capacity`` counts are above the cut)
    kept.update(dict.fromkeys(ties[len(ties) - room:], cut))
    return kept, cut, ties[:len(ties) - room]


class TopCounts:
    """The most frequent (or largest) names of an unbounded set (senders, recipients, clients...) in bounded
    memory. A process counts up to ``capacity`` names and, beyond half as many again, keeps the ``capacity``
    largest and forgets the others; ``error`` adds up the largest count forgotten at each reduction, so a count is
    at most ``error`` below the true one (0: exact), and a name whose true count is above ``error`` is kept. A
    name never forgotten (the frequent ones) keeps its exact count.

    A table of counts remembers the names it forgot, with their counts (``forgotten``, a ForgottenNames, and the
    table's ``salt``): a name forgotten and counted again gets its count back. So a name seen once, forgotten
    among a flood of names seen once (most recipients of a mail log), and seen again later is counted exactly.
    The filters can take a new name for a forgotten one (a false positive, below 3.3% of the new names): its
    count is then above the true one, by one almost always.

    The raw form keeps fewer names (to_raw(capacity)); the processes that read one log hand their whole tables
    to the merge, so that a name frequent in the whole log but at the cut of each piece is not forgotten there.
    Two summaries merge: add, then keep the largest."""

    __slots__ = ('counts', 'error', 'capacity', 'forgotten', 'salt', 'kept')

    def __init__(self, capacity, forgotten=None, salt=1):
        self.counts = collections.defaultdict(int)
        self.error = 0
        self.capacity = capacity
        self.forgotten, self.salt = forgotten, salt
        self.kept = 0  # the names kept at the last reduction come first in counts; the others are new since

    def reduce(self, capacity=None):
        """Keep the ``capacity`` (default: this table's) largest when there are more than half as many again
        (with a capacity given: when there are more)."""
        limit = self.capacity + self.capacity // 2 if capacity is None else capacity
        counts = self.counts
        if len(counts) <= limit:
            return
        self._give_back()
        kept, cut, left_out = keep_largest(counts, capacity or self.capacity)
        self.error += cut
        if self.forgotten is None:
            pass
        elif cut == 1:  # the usual reduction: the names left out were seen once
            self.forgotten.add_once(left_out, self.salt)
        else:
            self.forgotten.add(itertools.chain(zip(left_out, itertools.repeat(cut)), (
                (name, count) for name, count in counts.items() if count < cut)), self.salt)
        self.counts = kept
        self.kept = len(kept)

    def _give_back(self):
        """Give the names new since the last reduction their count when they were forgotten."""
        forgotten, counts, salt = self.forgotten, self.counts, self.salt
        if forgotten is None or not forgotten.names:
            return
        bits, mask = forgotten.levels[0]
        names = list(itertools.islice(counts, self.kept, None))
        # The first filter, as count() reads it: most new names are not there.
        for name, code in zip(names, map(operator.mul, map(hash, names), itertools.repeat(salt))):
            first, other = code & mask, code >> 32 & mask
            if bits[first >> 3] >> (first & 7) & 1 and bits[other >> 3] >> (other & 7) & 1:
                counts[name] += forgotten.count(name, salt)
        self.kept = len(counts)

    def to_raw(self, capacity=None):
        """The raw form, of the ``capacity`` largest (default: of this table's capacity, the names as bytes, for
        the merge of the processes that read one log)."""
        self._give_back()
        if capacity is None:
            self.reduce(self.capacity)
            return {'counts': self.counts, 'error': self.error}
        self.reduce(capacity)
        return {'counts': {name.decode('utf-8', 'replace') if isinstance(name, bytes) else name: count
                           for name, count in self.counts.items()}, 'error': self.error}


def merge_tops(raws, capacity):
    """The raw form of the TopCounts of several raw forms, of the ``capacity`` largest."""
    merged = TopCounts(capacity)
    for raw in raws:
        counts = merged.counts
        for name, count in raw['counts'].items():
            counts[name] += count
        merged.error += raw['error']
    return merged.to_raw(capacity)


# The top tables of the raw form: each a TopCounts, by count or by size in bytes.
TOPS = ('senders', 'sender_bytes', 'recipients', 'recipient_bytes', 'sending_domains', 'sending_domain_bytes',
        'sending_hosts', 'reject_clients', 'reject_senders')
# Per hour: the messages received, delivered, deferred, bounced and rejected.
TRAFFIC = ('received', 'delivered', 'deferred', 'bounced', 'rejected')
# The queue IDs remembered (messages in the queue, arrived and deferred ones), each at most: beyond, the oldest
# are forgotten (a delivery of theirs then has no size, a deferral counts as a new message).
QUEUE_IDS = 30000
# The tables are bounded every this many blocks of lines of a piece (files.BLOCK_SIZE: 1 MB), and at its end.
BOUND_BLOCKS = 2
# A message that arrived at the end of a piece is sized by the queue manager in the next one, within seconds:
# the first this many blocks of a piece (32 MB) look for it.
HEAD_BLOCKS = 32
# The raw form's top tables keep this many names per max_keys (2,000 by default); a reading process counts
# WORK_CAPACITY per max_keys (5,000), up to half as many again between reductions.
TOP_CAPACITY = 20
WORK_CAPACITY = 50
# The delays as logged are folded into the distributions every this many bounds (48 MB of lines), or
# beyond this many combinations of status, relay, domain and transport: a few MB at most.
FOLD_BLOCKS = 24
FOLD_COMBOS = 5000


class LogStats:
    """The statistics of one process: read() blocks of log lines, to_raw() for the mergeable form.

    A block is cut where the hour changes (per-hour traffic); each piece is read with the patterns of
    log_lines, one pass each: arrivals (client=, pickup), the queue manager (sender and size, expiry,
    removal), deliveries, rejects, TLS, connections, warnings. The queue IDs link them: a message's size
    (from its first qmgr line) goes to the bytes received, its sender and sending domain, and to the bytes
    and recipients of each of its deliveries.

    Several processes read pieces of one log (log_files): begin_piece() starts one, and carries() gives
    for each piece what only another piece can complete (a message that arrived in the piece before, a
    delivery of a message sized there, a message deferred there and again here); stitch() completes them.
    """

    def __init__(self, max_keys=DEFAULT_MAX_KEYS):
        self.max_keys = max_keys
        self.lines = self.received = self.connects = self.forwarded = 0
        self.skipped, self.examples = 0, []  # lines that could not be read, and the first of them
        self.first = self.last = None
        # (status, relay, domain, transport) -> the delays text of each of its deliveries as logged (log_lines.DELAYS:
        # a line costs one append), until they are folded into the distributions (fold()).
        self.combos = defaultdict(list)
        self.deliveries = {}  # status -> {'all': group, 'relay': KeyedGroups, 'domain': ..., 'transport': ...}
        self.expired = {}
        self.reasons = {}
        self.rejects = {}
        self.tls = {}
        self.problems = {}    # warning, fatal, panic -> daemon -> normalised message -> count
        self.hours = {}       # hour (epoch) -> [received, delivered, deferred, bounced, rejected]
        self.bytes_received = self.bytes_delivered = self.deferred_messages = 0
        forgotten = ForgottenNames()
        self.tops = {name: TopCounts(WORK_CAPACITY * max_keys, None if name.endswith('_bytes') else forgotten,
                                     2 * index + 1) for index, name in enumerate(TOPS)}
        # The queue: queue ID -> client (arrived, not yet seen by qmgr); -> size * 2 + 1 if it arrived in this
        # piece (qmgr saw it); deferred ones.
        self.arrived, self.sizes, self.deferred_ids = {}, {}, {}
        self.pieces = []      # what each piece leaves to stitch(): see begin_piece()
        self.head = None      # what the current piece leaves to stitch()
        self._piece_blocks = 0
        self._unbound = 0     # blocks read since the tables were last bounded
        self._blocks = 0
        self._values = {}
        self._texts = {}
        self._reason_texts = {}
        self._replies = {}
        self._programs = {}

    # -- pieces of a log read by several processes

    def begin_piece(self, order, first=False, last=False):
        """Start a piece (``order``: where it is in the log, to sort the pieces by) with a queue of its own.
        ``first``, ``last``: the piece is the first (last) of the log, so no piece before (after) it completes
        what it leaves: it leaves nothing there (the queues it would leave hold up to QUEUE_IDS messages each)."""
        self._end_blocks()
        self._end_piece()
        self.arrived, self.sizes, self.deferred_ids = {}, {}, {}
        self.head = {'order': order, 'queued': {}, 'sent': {}, 'deferred': {}, 'first': first, 'last': last}
        self._piece_blocks = 0
        self.pieces.append(self.head)

    def _end_piece(self):
        if self.pieces:
            piece = self.pieces[-1]
            last = piece.pop('last', False)
            piece.pop('first', None)
            piece['arrived'] = {} if last else self.arrived
            piece['sizes'] = {} if last else {qid: value >> 1 for qid, value in self.sizes.items()}
            piece['open_deferred'] = [] if last else list(self.deferred_ids)

    def carries(self):
        """What each piece leaves to stitch(), in the order of the log."""
        self._end_piece()
        return sorted(self.pieces, key=lambda piece: piece['order'])

    # -- reading

    def read(self, data, stamps):
        """Count a block of whole lines (bytes); ``stamps``: a log_lines.StampReader."""
        for hour, piece in log_lines.hour_pieces(data, stamps):
            self._read_hour(piece, hour)
        first, last = stamps(data), stamps(data[data.rfind(b'\n', 0, len(data) - 1) + 1:])
        for stamp in (first, last):
            if stamp is not None:
                self.first = stamp if self.first is None else min(self.first, stamp)
                self.last = stamp if self.last is None else max(self.last, stamp)
        self._piece_blocks += 1
        self._unbound += 1
        if self._unbound == BOUND_BLOCKS:
            self._bound()

    def _end_blocks(self):
        """Bound the tables after the last blocks of a piece, as read() does every BOUND_BLOCKS blocks."""
        if self._unbound:
            self._bound()

    def skip(self, line):
        """Count a line that cannot be read (bytes: the line, or its start), keeping the first as examples."""
        self.skipped += 1
        self.lines += 1
        if len(self.examples) < log_lines.EXAMPLES:
            self.examples.append(log_lines.example(line))

    def _read_hour(self, data, hour):  # pylint: disable=too-many-locals,too-many-branches,too-many-statements
        """Count the lines of one hour (bytes, whole lines), in one pass of log_lines.LINE. The loop is written out
        (local names, defaultdicts, no calls for the frequent lines): this is where the time goes."""
        L = log_lines  # pylint: disable=invalid-name
        kinds = L.KINDS
        delivery, received_kind, queued, removal = L.DELIVERY, L.RECEIVED, L.QUEUED, L.REMOVAL
        arrived, sizes, deferred_ids, tops = self.arrived, self.sizes, self.deferred_ids, self.tops
        # What only the piece before can complete (see stitch()), while there is room: the first qmgr line of a
        # message that did not arrive here (at the start of a piece: it may have arrived at the end of the one
        # before), a delivery of a message not sized here, a deferral of a message that did not arrive here.
        head = self.head
        queued_head = sent_head = deferred_head = None
        if head is not None and not head['first']:
            if self._piece_blocks < HEAD_BLOCKS and len(head['queued']) < QUEUE_IDS:
                queued_head = head['queued']
            if len(head['sent']) < QUEUE_IDS:
                sent_head = head['sent']
            if len(head['deferred']) < QUEUE_IDS:
                deferred_head = head['deferred']
        combos, programs, reason_texts, reasons = self.combos, self._programs, self._reason_texts, self.reasons
        hosts = tops['sending_hosts'].counts
        senders, sender_bytes = tops['senders'].counts, tops['sender_bytes'].counts
        domains, domain_bytes = tops['sending_domains'].counts, tops['sending_domain_bytes'].counts
        recipients, recipient_bytes = tops['recipients'].counts, tops['recipient_bytes'].counts
        tls = collections.Counter(L.TLS_LINE.findall(data))
        rfind = data.rfind
        received = read = sent = deferred = bounced = forwarded = rejected = 0
        bytes_received = bytes_delivered = 0
        for found in L.LINE.finditer(data):
            kind = kinds[found.lastindex]
            if kind == delivery:
                qid, recipient, domain, relay, delays, status, rest = found.group(1, 2, 3, 4, 5, 6, 7)
                read += 1
                # The program with its pid ("postfix/smtp[123"), before the match: its transport.
                start = found.start()
                program = data[rfind(b' ', 0, start) + 1:start]  # (a search backwards: it costs the distance)
                transport = programs.get(program)
                if transport is None:
                    if len(programs) > 5000:  # one per process: forget them now and then
                        programs.clear()
                    transport = programs[program] = L.transport_of(program[:program.rfind(b'[')])
                combos[status, relay, domain, transport].append(delays)
                if status == b'sent':
                    if rest is not None and rest[:13] == b'forwarded as ':
                        forwarded += 1
                        continue
                    sent += 1
                    recipient = recipient.lower()
                    recipients[recipient] += 1
                    value = sizes.get(qid)
                    if value is not None:
                        bytes_delivered += value >> 1
                        recipient_bytes[recipient] += value >> 1
                    elif sent_head is not None:
                        sent_head.setdefault(qid, []).append(recipient)
                    continue
                if status == b'deferred':
                    deferred += 1
                    if qid not in deferred_ids:
                        deferred_ids[qid] = True
                        self.deferred_messages += 1
                        value = sizes.get(qid)
                        if (value is None or not value & 1) and deferred_head is not None:
                            # It may have been deferred in the piece before: stitch() takes it out then.
                            deferred_head[qid] = True
                elif status == b'bounced':
                    bounced += 1
                # The reason, normalised: remembered by its text, then by its shape.
                text = reason_texts.get(rest)
                if text is None:
                    text = self._text(L.reason_of(rest))
                    if len(reason_texts) >= _NORMALISED_CACHE:
                        reason_texts.clear()
                    reason_texts[rest] = text
                table = reasons.get(status)
                if table is None:
                    table = reasons[status] = defaultdict(int)
                table[text] += 1
            elif kind == queued:
                # A message's sender and size (its first qmgr line: later ones are retries).
                qid, sender, size = found.group(1, L.SENDER, L.SIZE)
                if qid in sizes:
                    continue
                size = int(size)
                client = arrived.pop(qid, None)
                if client is None:
                    # A retry, a bounce notice, or a message that arrived in the piece before this one.
                    sizes[qid] = size << 1
                    if queued_head is not None:
                        queued_head[qid] = (sender.lower() if sender else b'<>', size)
                    continue
                sizes[qid] = size << 1 | 1
                # As _arrival(), written out.
                sender = sender.lower() if sender else b'<>'
                bytes_received += size
                senders[sender] += 1
                sender_bytes[sender] += size
                at = sender.rfind(b'@')  # (not b'@' in sender: see log_lines.shape())
                domain = sender[at + 1:] if at >= 0 else client
                domains[domain] += 1
                domain_bytes[domain] += size
            elif kind == received_kind:
                qid, name, address = found.group(1, L.CLIENT_NAME, L.CLIENT_ADDRESS)
                client = name if name and name != b'unknown' else b'[' + address + b']'  # as log_lines.client_name()
                arrived[qid] = client
                hosts[client] += 1
                received += 1
            elif kind == removal:
                qid = found.group(1)
                sizes.pop(qid, None)
                deferred_ids.pop(qid, None)
            else:
                read += self._rare(data, found, kind, arrived)
                if kind == L.PICKED_UP:
                    received += 1
                elif kind == L.REJECT and found.group(L.ACTION) in (b'reject', b'milter-reject'):
                    rejected += 1
        self.lines += data.count(b'\n')
        self.received += received
        self.connects += data.count(L.CONNECT_MARK)
        self.forwarded += forwarded
        self.bytes_received += bytes_received
        self.bytes_delivered += bytes_delivered
        if data.count(L.SKIPPED_MARK) > read:
            count, examples = L.unreadable(data)
            self.skipped += count
            self.examples.extend(examples[:L.EXAMPLES - len(self.examples)])
        for groups, count in tls.items():
            level, direction, protocol, cipher, key_exchange = L.tls_fields(groups)
            table = self.tls.setdefault('inbound' if direction == b'from' else 'outbound', {})
            for field, value in (('level', level), ('protocol', protocol), ('cipher', cipher),
                                 ('key_exchange', (key_exchange or b'(not logged)').lower())):
                counts = table.setdefault(field, {})
                name = value.decode('utf-8', 'replace')
                counts[name] = counts.get(name, 0) + count
        if hour is not None:
            traffic = self.hours.get(hour)
            if traffic is None:
                traffic = self.hours[hour] = [0] * len(TRAFFIC)
            for index, count in enumerate((received, sent, deferred, bounced, rejected)):
                traffic[index] += count

    def _rare(self, data, found, kind, arrived):
        """Count a line of the rarer kinds (pickup, expiry, reject, problem); 1 if it is an expiry (a line with
        log_lines.SKIPPED_MARK that was read)."""
        L = log_lines  # pylint: disable=invalid-name
        if kind == L.PICKED_UP:
            arrived[found.group(1)] = b'pickup'
        elif kind == L.EXPIRY:
            expired = found.group(L.EXPIRED).decode()
            self.expired[expired] = self.expired.get(expired, 0) + 1
            return 1
        elif kind == L.REJECT:
            action = found.group(L.ACTION)
            stage, reply, client, sender = L.reject_fields(found.group(L.ACTION_REST))
            # The table of the action and restriction, and the normalised reply, remembered by the reply's shape.
            shaped = L.shape(reply)
            replies = self._replies
            key = (action, stage, shaped)
            known = replies.get(key)
            if known is None:
                if len(replies) >= _NORMALISED_CACHE:
                    replies.clear()
                known = replies[key] = (
                    self.rejects.setdefault(action.decode(), {}).setdefault(L.restriction_of(reply, stage, action), {}),
                    L.normalise(shaped).decode('utf-8', 'replace'))
            table, text = known
            table[text] = table.get(text, 0) + 1
            if len(table) > 4 * self.max_keys:
                compact(table, 2 * self.max_keys, _sum_counts, int)
            if action in (b'reject', b'milter-reject'):
                tops = self.tops
                if client:
                    tops['reject_clients'].counts[L.client_name(client)] += 1
                tops['reject_senders'].counts[sender.lower() if sender else b'<>'] += 1
        elif kind == L.PROBLEM:
            level, message = found.group(L.LEVEL, L.MESSAGE)
            daemon = L.daemon_of(L.program_before(data, found.start()))
            self._count_text(self.problems.setdefault(level.decode(), {}).setdefault(
                daemon.decode('utf-8', 'replace'), {}), message)
        return 0

    def _arrival(self, sender, size, client):
        """A message that arrived (smtpd, pickup) entered the queue: its sender (lower-cased; <> for the null
        sender), sending domain and size. The sending domain is the sender's, or the client's for the null
        sender, as pflogsumm counts it. (_read_hour() does the same, written out.)"""
        tops = self.tops
        self.bytes_received += size
        tops['senders'].counts[sender] += 1
        tops['sender_bytes'].counts[sender] += size
        at = sender.rfind(b'@')
        domain = sender[at + 1:] if at >= 0 else client
        tops['sending_domains'].counts[domain] += 1
        tops['sending_domain_bytes'].counts[domain] += size

    def _bound(self):
        """Keep the tables, the counts of delays as logged and the queue IDs bounded after BOUND_BLOCKS blocks."""
        self._unbound = 0
        self._blocks += 1
        if len(self.combos) > FOLD_COMBOS or self._blocks % FOLD_BLOCKS == 0:
            self.fold()
        for top in self.tops.values():
            top.reduce()
        for table in self.reasons.values():
            if len(table) > 4 * self.max_keys:
                compact(table, 2 * self.max_keys, _sum_counts, int)
        for table in (self.arrived, self.sizes, self.deferred_ids):
            while len(table) > QUEUE_IDS:
                del table[next(iter(table))]

    def _text(self, raw):
        """The normalised text, remembered by its shape (log_lines.shape()): most reasons and replies differ
        only in the host and the address normalise() takes out. A shape not seen yet is looked up without its
        tokens (log_lines.tokenless()), and remembered so: a reply with an ID of its own (Gmail's) has a shape
        of its own, which would be normalised each time, and fill the memory with texts seen once."""
        texts = self._texts
        shaped = log_lines.shape(raw)
        text = texts.get(shaped)
        if text is None:
            key = log_lines.tokenless(shaped)
            text = texts.get(key)
            if text is None:
                text = log_lines.normalise(shaped).decode('utf-8', 'replace')
                if len(key) <= _CACHED_TEXT:
                    if len(texts) >= _NORMALISED_CACHE:
                        texts.clear()
                    texts[key] = text
        return text

    def _count_text(self, table, raw):
        text = self._text(raw)
        table[text] = table.get(text, 0) + 1
        if len(table) > 4 * self.max_keys:
            compact(table, 2 * self.max_keys, _sum_counts, int)

    def _value(self, raw):
        """(exact microseconds, key) of a delay as logged."""
        found = self._values.get(raw)
        if found is None:
            micros = delay_micros(raw)
            found = (micros, key(micros))
            if len(self._values) < 20000:  # the values Postfix logs below 100 s are fewer; the rest is computed
                self._values[raw] = found
        return found

    def fold(self):
        """Turn the counted delays as logged into distributions, per status and per relay, domain and transport.

        The delays text of each line is kept per (status, relay, domain, transport) as it is read, one append a
        line; the texts are folded into the distributions of each dimension every FOLD_BLOCKS bounds and at the
        end (see _bound()). Each combination finds its three groups (and counts its deliveries there) in turn;
        then the texts of all the combinations with the same three groups are split into their five values and
        counted in C (bytes.split(), Counter) together, so the rest of folding costs per distinct value of a
        batch, not per line or per combination: with many relays and domains most combinations have one
        delivery, and most go to OTHER's groups of their status and transport. A status's own distributions are
        the sum of its relays' (to_raw())."""
        touched = {}
        names = {}  # a relay, domain or transport as logged -> its name in the tables (decoded once a fold)
        batches = {}  # the ids of three groups -> (the groups, the texts of their combinations)
        for (status, relay, domain, transport), texts in self.combos.items():
            per_status = touched.get(status)
            if per_status is None:
                per_status = self.deliveries.get(status)
                if per_status is None:
                    per_status = self.deliveries[status] = {
                        item: KeyedGroups(2 * self.max_keys) for item in DIMENSIONS}
                per_status = touched[status] = [per_status[dimension] for dimension in DIMENSIONS]
            count = len(texts)
            groups = []
            for keyed, name in zip(per_status, (relay or b'none', domain.lower() or b'(none)', transport)):
                text = names.get(name)
                if text is None:
                    text = names[name] = name.decode('utf-8', 'replace')
                group = keyed.groups.get(text) or keyed.group(text, count)  # (a kept name: no call)
                group['count'] += count
                groups.append(group)
            # (The batch holds its groups, so their ids stay theirs while it is made, evicted ones too.)
            batch = batches.get((id(groups[0]), id(groups[1]), id(groups[2])))
            if batch is None:
                batches[id(groups[0]), id(groups[1]), id(groups[2])] = (groups, texts)
            else:
                batch[1].extend(texts)
        self.combos.clear()
        tally = collections.Counter()  # (one, emptied for each stage of each batch: making one costs more)
        for groups, texts in batches.values():
            # (A group evicted during this fold has OTHER's distributions: its delays go there.)
            self._fold_batch([group['stages'] for group in groups], texts, tally)
        for per_status in touched.values():
            for keyed in per_status:
                keyed.settle()

    def _fold_batch(self, targets, texts, tally):
        """Add the delays texts ``texts`` to the distributions of each of ``targets`` (the stages of groups);
        ``tally``: a Counter to count in."""
        cached, value = self._values, self._value
        count = len(texts)
        # "0.5, delays=0.1/0/0.2/0.2": five values between slashes, split in C without a match a line; texts
        # without delays= (one value: before Postfix 2.3) are read by DELAY_VALUES.
        joined = b' '.join(texts)
        fields = joined.replace(b', delays=', b'/').replace(b' ', b'/').split(b'/')
        if len(fields) == 5 * count:
            columns = [fields[index::5] for index in range(5)]
        else:
            columns = zip(*log_lines.DELAY_VALUES.findall(joined))
        for stage, column in zip(STAGES, columns):
            # The values of one stage as logged, with their counts (b'': lines without delays=).
            if count > 1:
                counts = tally
                counts.clear()
                counts.update(column)
            else:
                counts = {column[0]: 1}
            if b'' in counts:
                del counts[b'']
                if not counts:
                    continue
            # The batch's values at Postfix's resolution, their exact sum and maximum; then into each target.
            if len(counts) == 1:  # (most with many relays and domains: one delivery)
                (raw, number), = counts.items()
                micros, rounded = cached.get(raw) or value(raw)
                for stages in targets:
                    dist = stages[stage]
                    values = dist['values']
                    values[rounded] = values.get(rounded, 0) + number
                    dist['sum_us'] += micros * number
                    if micros > dist['max']:
                        dist['max'] = micros
                continue
            rounded_counts, total, largest = {}, 0, 0
            for raw, number in counts.items():
                micros, rounded = cached.get(raw) or value(raw)
                rounded_counts[rounded] = rounded_counts.get(rounded, 0) + number
                total += micros * number
                if micros > largest:
                    largest = micros
            for stages in targets:
                dist = stages[stage]
                values = dist['values']
                for rounded, number in rounded_counts.items():
                    values[rounded] = values.get(rounded, 0) + number
                dist['sum_us'] += total
                if largest > dist['max']:
                    dist['max'] = largest

    def to_raw(self, internal=False):
        """The mergeable form: plain data (JSON-ready); see merge() and report(). The top tables keep
        TOP_CAPACITY * max_keys names. ``internal``: for the merge of the processes that read one log
        (complete_tops(), then merge()), not JSON-ready: the top tables keep the names a process counts, as
        bytes, and the names forgotten; the distributions' values are arrays (not text)."""
        self._end_blocks()
        self.fold()
        deliveries = {}
        for status, per_status in self.deliveries.items():
            every = new_group()
            for group in per_status['relay'].groups.values():  # every delivery has one relay
                merge_group(every, group)
            deliveries[status.decode('utf-8', 'replace')] = tables = {'all': every}
            for dimension in DIMENSIONS:
                table = tables[dimension] = dict(per_status[dimension].groups)
                if not table[OTHER]['count'] and not table[OTHER]['stages']['delay']['values']:
                    del table[OTHER]
                compact(table, self.max_keys, _merge_groups, new_group)
        raw = {
            'format': FORMAT, 'resolution': RESOLUTION, 'max_keys': self.max_keys,
            'lines': self.lines, 'received': self.received, 'connects': self.connects, 'forwarded': self.forwarded,
            'skipped': {'count': self.skipped, 'examples': list(self.examples)},
            'first': self.first, 'last': self.last,
            'deliveries': _raw_deliveries(deliveries, value_arrays if internal else values_text),
            'expired': dict(self.expired), 'rejects': self.rejects, 'tls': self.tls,
            'reasons': {status.decode('utf-8', 'replace'): dict(table) for status, table in self.reasons.items()},
            'problems': self.problems, 'hours': hours_text(self.hours),
            'bytes': {'received': self.bytes_received, 'delivered': self.bytes_delivered},
            'deferred_messages': self.deferred_messages,
            'tops': {name: top.to_raw(None if internal else TOP_CAPACITY * self.max_keys)
                     for name, top in self.tops.items()},
        }
        if internal:
            raw['forgotten'] = self.tops['senders'].forgotten
        return raw


def hours_text(hours):
    """Per-hour traffic as one text (Ansible walks every value of a module's result): "hour:r,d,f,b,j ..."."""
    return ' '.join('%d:%s' % (hour, ','.join(map(str, counts))) for hour, counts in sorted(hours.items()))


def hours_table(text):
    """The per-hour traffic of hours_text()."""
    table = {}
    for item in text.split():
        hour, dummy, counts = item.partition(':')
        table[int(hour)] = [int(count) for count in counts.split(',')]
    return table


def complete_tops(raws):
    """The raw forms of the processes that read one log (LogStats.to_raw(internal=True)), each table of counts
    completed with what the other processes forgot: a name forgotten by one process (seen a few times in its
    piece, among many names seen once) gets the count it had there back, when it is in another's table. The
    raw forms are changed, and lose their filters (no longer JSON-ready otherwise)."""
    forgotten = [raw.pop('forgotten', None) for raw in raws]
    for index, name in enumerate(TOPS):
        if name.endswith('_bytes'):
            continue
        salt = 2 * index + 1
        tables = [raw['tops'][name]['counts'] for raw in raws]
        for filters, counts in zip(forgotten, tables):
            if filters is None or not filters.names:
                continue
            for other in tables:
                if other is counts:
                    continue
                for key in other:
                    if key not in counts:
                        earlier = filters.count(key, salt)
                        if earlier:
                            counts[key] = earlier
    return raws


def stitch(pieces, max_keys=DEFAULT_MAX_KEYS, internal=False):
    """The raw form of what the pieces of one log (LogStats.carries() of every reading process, in any order)
    complete across their bounds: a message that arrived at the end of one piece and was sized at the start of
    the next; deliveries, at the start of a piece, of a message sized before it; a message deferred in one piece
    and again in a later one (counted once). ``internal``: as LogStats.to_raw()."""
    stats = LogStats(max_keys)
    tops = stats.tops
    arrived, sizes, open_deferred = {}, {}, {}
    for piece in sorted(pieces, key=lambda item: item['order']):
        for qid, (sender, size) in piece['queued'].items():
            client = arrived.pop(qid, None)
            if client is not None:
                stats._arrival(sender, size, client)  # pylint: disable=protected-access
                sizes[qid] = size
        for qid, recipients in piece['sent'].items():
            size = sizes.get(qid)
            if size is not None:
                stats.bytes_delivered += size * len(recipients)
                for recipient in recipients:
                    counts = tops['recipient_bytes'].counts
                    counts[recipient] = counts.get(recipient, 0) + size
        stats.deferred_messages -= sum(1 for qid in piece['deferred'] if qid in open_deferred)
        arrived.update(piece['arrived'])
        sizes.update(piece['sizes'])
        open_deferred.update(dict.fromkeys(piece['open_deferred'], True))
        for table in (arrived, sizes, open_deferred):
            while len(table) > QUEUE_IDS:
                del table[next(iter(table))]
    if not (stats.bytes_received or stats.bytes_delivered or stats.deferred_messages):
        return None  # nothing crossed a bound
    raw = stats.to_raw(internal)
    raw.pop('forgotten', None)  # it forgot nothing
    return raw


# ---------------------------------------------------------------------------
# Merging raw forms: files, processes, hosts

class MergeError(ValueError):
    """Raw forms that cannot be merged: another format."""


def encode(raw):
    """The raw form as postfix_log returns it: one text, "FORMAT:" and the form as JSON, compressed (zlib) and in
    base64. Ansible walks every value of a module's result (for no_log values, and to copy it): as one text, the
    tens of thousands of values of a raw form cost nothing there, and travel small."""
    compressor = zlib.compressobj(6)
    data = b''.join(compressor.compress(part.encode('utf-8')) for part in _json_parts(raw, 3))
    return '%s:%s' % (FORMAT, base64.b64encode(data + compressor.flush()).decode('ascii'))


def _json_parts(value, depth):
    """The JSON text of ``value`` in parts (json.dumps() of the values ``depth`` dictionaries down): the text of
    a whole raw form would take several times its size while it is made."""
    if not isinstance(value, dict) or not depth:
        yield json.dumps(value, separators=(',', ':'), sort_keys=True)
        return
    yield '{'
    for number, name in enumerate(sorted(value)):
        yield '%s%s:' % (',' if number else '', json.dumps(name))
        yield from _json_parts(value[name], depth - 1)
    yield '}'


def decode(text):
    """The raw form of encode()'s text."""
    prefix, separator, data = text.rpartition(':')
    if not separator:
        raise MergeError('cannot merge a postfix_log result that is not a raw form (raw: true)')
    if prefix != FORMAT:
        raise MergeError('cannot merge postfix_log results of format %r; this merge reads %s (the hosts run '
                         'another version of mailops.postfix)' % (prefix, FORMAT))
    try:
        return json.loads(zlib.decompress(base64.b64decode(data)).decode('utf-8'))
    except (ValueError, zlib.error) as error:
        raise MergeError('a postfix_log raw form that cannot be read (%s): was it cut or changed?' % error)


def _raw_group(group, form):
    return {'count': group['count'], 'stages': {
        stage: dict(dist, values=dist['values'] if isinstance(dist['values'], str) else form(dist['values']))
        for stage, dist in group['stages'].items()}}


def _raw_deliveries(deliveries, form=values_text):
    """The deliveries with the values of each distribution in ``form`` (values_text, value_arrays), unless text."""
    return {status: dict({'all': _raw_group(per_status['all'], form)}, **{
        dimension: {name: _raw_group(group, form) for name, group in per_status[dimension].items()}
        for dimension in DIMENSIONS}) for status, per_status in deliveries.items()}


def merge(*raws, max_keys=None):
    """The raw form of the union of the lines behind ``raws`` (pure: the arguments are not changed).

    Counts, sums, maxima and the counts of each value add up exactly. Each status keeps at most ``max_keys``
    (default: the largest of the inputs') relays, domains and transports; the others are folded into "(other)".
    """
    raws = [decode(raw) if isinstance(raw, str) else raw for raw in raws if raw]
    for raw in raws:
        if raw.get('format') != FORMAT:
            raise MergeError('cannot merge postfix_log results of format %r; this merge reads %s (the hosts run '
                             'another version of mailops.postfix)' % (raw.get('format'), FORMAT))
    if max_keys is None:
        max_keys = max([raw['max_keys'] for raw in raws] or [DEFAULT_MAX_KEYS])
    tops = {name: merge_tops([raw['tops'][name] for raw in raws], TOP_CAPACITY * max_keys) for name in TOPS}
    if len(raws) == 1 and raws[0]['max_keys'] == max_keys:
        # nothing else to add up (one process, one host)
        return dict(raws[0], tops=tops, deliveries=_raw_deliveries(raws[0]['deliveries']))
    stamps = [raw[field] for raw in raws for field in ('first', 'last') if raw[field] is not None]
    merged = {'format': FORMAT, 'resolution': RESOLUTION, 'max_keys': max_keys,
              'first': min(stamps) if stamps else None, 'last': max(stamps) if stamps else None}
    for field in ('lines', 'received', 'connects', 'forwarded'):
        merged[field] = sum(raw[field] for raw in raws)
    skipped = [raw['skipped'] for raw in raws]
    merged['skipped'] = {'count': sum(item['count'] for item in skipped),
                         'examples': [text for item in skipped for text in item['examples']][:log_lines.EXAMPLES]}
    for field in ('expired', 'reasons', 'rejects', 'tls', 'problems'):
        merged[field] = {}
        for raw in raws:
            _merge_tables(merged[field], raw[field])
    for table in merged['reasons'].values():
        compact(table, 2 * max_keys, _sum_counts, int)
    for per_daemon in merged['problems'].values():
        for table in per_daemon.values():
            compact(table, 2 * max_keys, _sum_counts, int)
    hours = {}
    for raw in raws:
        for hour, counts in hours_table(raw['hours']).items():
            into = hours.setdefault(hour, [0] * len(TRAFFIC))
            for index, count in enumerate(counts):
                into[index] += count
    merged['hours'] = hours_text(hours)
    merged['bytes'] = {field: sum(raw['bytes'][field] for raw in raws) for field in ('received', 'delivered')}
    merged['deferred_messages'] = sum(raw['deferred_messages'] for raw in raws)
    merged['tops'] = tops
    # One table at a time (status, dimension), made text before the next: the working form of all of them at once
    # takes several times the memory.
    merged['deliveries'] = deliveries = {}
    for status in dict.fromkeys(status for raw in raws for status in raw['deliveries']):
        tables = [raw['deliveries'][status] for raw in raws if status in raw['deliveries']]
        every = new_group()
        for per_status in tables:
            merge_group(every, per_status['all'])
        deliveries[status] = {'all': _raw_group(every, values_text)}
        for dimension in DIMENSIONS:
            table = {}
            for per_status in tables:
                for name, group in per_status[dimension].items():
                    merge_group(table.setdefault(name, new_group()), group)
            compact(table, max_keys, _merge_groups, new_group)
            deliveries[status][dimension] = {name: _raw_group(group, values_text) for name, group in table.items()}
    return merged
