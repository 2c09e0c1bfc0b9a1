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

Memory stays flat whatever the size of the log: a block of lines is counted
by the delays as logged (bytes), and folded into the distributions before
the next block, so the exact counts per value never outgrow one block; a
distribution has at most 90 values per decade. Per status, at most
2 * max_keys relays, recipient domains and transports have distributions of
their own; the others go to "(other)" (the status's totals stay exact), and
one that becomes frequent later takes the place of the least frequent kept.
Reason and reply tables are bounded the same way, and long reasons are cut
in the report (the raw form keeps the whole normalised text, the key that
merges).
"""

from __future__ import annotations

import datetime

from ansible_collections.mailops.postfix.plugins.module_utils import log_lines

FORMAT = 'mailops.postfix.postfix_log/2'
RESOLUTION = 'two significant digits'
STAGES = ('delay', 'before_qmgr', 'in_qmgr', 'conn_setup', 'transmission')
DIMENSIONS = ('relay', 'domain', 'transport')
OTHER = '(other)'
PERCENTILES = (('p50', 0.5), ('p90', 0.9), ('p99', 0.99))
DEFAULT_MAX_KEYS = 100
# A reason or reply in the report: about this many characters (the raw form keeps the whole normalised text).
REASON_LENGTH = 200
# Normalising a reason costs a few regular expressions: the last ones are remembered, when they are short.
_NORMALISED_CACHE = 5000
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
# microseconds}. In the raw form the values are the text "key:count key:count ..." (sorted): Ansible walks every
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
    """(key, count) of the values of either form."""
    if isinstance(values, dict):
        return values.items()
    return [tuple(map(int, pair.split(':'))) for pair in values.split()]


def values_text(values):
    return ' '.join('%d:%d' % pair for pair in sorted(values.items()))


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


class KeyedGroups:
    """The groups of one status and one dimension (relays, say): at most ``capacity`` names with distributions of
    their own, the others in OTHER. A name that finds the table full goes to OTHER, and is counted apart
    (``waiting``, bounded as a Misra-Gries summary): when its count passes the least frequent name kept, it
    takes that one's place, with the count it had (its earlier delays stay in OTHER's distributions)."""

    __slots__ = ('groups', 'capacity', 'waiting', 'floor')

    def __init__(self, capacity):
        self.groups = {OTHER: new_group()}
        self.capacity = capacity + 1  # and OTHER
        self.waiting = {}
        self.floor = 0  # the count of the least frequent name kept, when the table is full

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
        # name takes the place of the least frequent one, which now waits with its count.
        self.waiting.pop(name, None)
        least = min((item for item in groups if item != OTHER), key=lambda item: groups[item]['count'])
        evicted = groups.pop(least)
        other = groups[OTHER]
        merge_group(other, evicted)
        self.waiting[least] = evicted['count']
        group = groups[name] = new_group()
        prior = waiting - count
        group['count'] += prior  # its earlier deliveries, counted in OTHER so far
        other['count'] -= prior
        self.floor = min(item['count'] for name, item in groups.items() if name != OTHER)
        return group

    def _forget(self):
        """Misra-Gries: lower every waiting count by the median one, and forget those at zero."""
        cut = sorted(self.waiting.values())[len(self.waiting) // 2]
        self.waiting = {name: count - cut for name, count in self.waiting.items() if count > cut}

    def settle(self):
        """Recompute the floor (after a block's deliveries were added)."""
        if len(self.groups) >= self.capacity:
            self.floor = min(item['count'] for name, item in self.groups.items() if name != OTHER)


# ---------------------------------------------------------------------------
# Accumulating what log_lines.scan() finds

class LogStats:
    """The statistics of one process: read() blocks of log lines, to_raw() for the mergeable form."""

    def __init__(self, max_keys=DEFAULT_MAX_KEYS):
        self.max_keys = max_keys
        self.lines = self.received = self.connects = self.forwarded = 0
        self.skipped, self.examples = 0, []  # lines that could not be read, and the first of them
        self.first = self.last = None
        # (status, dimension, name) -> five {delay as logged: count}, filled by log_lines.scan() for one block
        # (a line costs a few increments), then folded into the distributions.
        self.combos = {}
        self.deliveries = {}  # status -> {'all': group, 'relay': KeyedGroups, 'domain': ..., 'transport': ...}
        self.expired = {}
        self.reasons = {}
        self.rejects = {}
        self.tls = {}
        self._values = {}
        self._texts = {}

    def read(self, data, stamps=None):
        """Count a block of whole lines (bytes); ``stamps``: a log_lines.StampReader for the period."""
        self.add(log_lines.scan(data, stamps, self.combos))
        self.fold()

    def skip(self, line):
        """Count a line that cannot be read (bytes: the line, or its start), keeping the first as examples."""
        self.skipped += 1
        self.lines += 1
        if len(self.examples) < log_lines.EXAMPLES:
            self.examples.append(log_lines.example(line))

    def add(self, batch):
        """Count one log_lines.Batch (its deliveries may already be in self.combos: see read())."""
        self.lines += batch.lines
        self.skipped += batch.skipped
        self.examples.extend(batch.examples[:log_lines.EXAMPLES - len(self.examples)])
        self.received += batch.received
        self.connects += batch.connects
        self.forwarded += batch.forwarded
        if batch.deliveries is not self.combos:
            for combo, values in batch.deliveries.items():
                slot = self.combos.setdefault(combo, tuple({} for dummy in STAGES))
                for into, counts in zip(slot, values):
                    for value, count in counts.items():
                        into[value] = into.get(value, 0) + count
        for status, reason in batch.reasons:
            self._count_text(self.reasons.setdefault(status.decode(), {}), reason)
        for status, count in batch.expired.items():
            if count:
                self.expired[status] = self.expired.get(status, 0) + count
        for action, stage, reply in batch.rejects:
            table = self.rejects.setdefault(action.decode(), {}).setdefault(
                log_lines.restriction_of(reply, stage, action), {})
            self._count_text(table, reply)
        for combo, count in batch.tls.items():
            level, (direction, protocol, cipher, key_exchange) = b''.join(combo[:4]) or b'other', combo[4:]
            table = self.tls.setdefault('inbound' if direction == b'from' else 'outbound', {})
            for field, value in (('level', level), ('protocol', protocol), ('cipher', cipher),
                                 ('key_exchange', key_exchange.lower() or b'(not logged)')):
                counts = table.setdefault(field, {})
                name = value.decode('utf-8', 'replace')
                counts[name] = counts.get(name, 0) + count
        for stamp in (batch.first, batch.last):
            if stamp is not None:
                self.first = stamp if self.first is None else min(self.first, stamp)
                self.last = stamp if self.last is None else max(self.last, stamp)

    def _text(self, raw):
        """The normalised text, remembered by its shape (log_lines.shape()): most reasons and replies differ
        only in the host and the address normalise() takes out."""
        shaped = log_lines.shape(raw)
        text = self._texts.get(shaped)
        if text is None:
            text = log_lines.normalise(shaped).decode('utf-8', 'replace')
            if len(shaped) <= _CACHED_TEXT:
                if len(self._texts) >= _NORMALISED_CACHE:
                    self._texts.clear()
                self._texts[shaped] = text
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
        """Turn the counted values of a block into distributions, per status and per relay, domain and transport."""
        value = self._value
        touched = set()
        for (status, dimension, name), slot in self.combos.items():
            per_status = self.deliveries.get(status)
            if per_status is None:
                per_status = self.deliveries[status] = dict(
                    {'all': new_group()}, **{item: KeyedGroups(2 * self.max_keys) for item in DIMENSIONS})
            if dimension == 1:
                name = name.lower() or b'(none)'
            count = sum(slot[0].values())
            group = per_status[DIMENSIONS[dimension]].group(name.decode('utf-8', 'replace'), count)
            # Every delivery has one relay: the relays' counts add up to the status's.
            targets = [group, per_status['all']] if dimension == 0 else [group]
            for group in targets:
                group['count'] += count
            for stage, values in zip(STAGES, slot):
                dists = [group['stages'][stage] for group in targets]
                for raw, number in values.items():
                    micros, rounded = value(raw)
                    for dist in dists:
                        counts = dist['values']
                        counts[rounded] = counts.get(rounded, 0) + number
                        dist['sum_us'] += micros * number
                        if micros > dist['max']:
                            dist['max'] = micros
            touched.add(status)
        self.combos.clear()
        for status in touched:
            for dimension in DIMENSIONS:
                self.deliveries[status][dimension].settle()

    def to_raw(self):
        """The mergeable form: plain data (JSON-ready); see merge() and report()."""
        self.fold()
        deliveries = {}
        for status, per_status in self.deliveries.items():
            deliveries[status.decode('utf-8', 'replace')] = tables = {'all': per_status['all']}
            for dimension in DIMENSIONS:
                table = tables[dimension] = dict(per_status[dimension].groups)
                if not table[OTHER]['count'] and not table[OTHER]['stages']['delay']['values']:
                    del table[OTHER]
                compact(table, self.max_keys, _merge_groups, new_group)
        return {
            'format': FORMAT, 'resolution': RESOLUTION, 'max_keys': self.max_keys,
            'lines': self.lines, 'received': self.received, 'connects': self.connects, 'forwarded': self.forwarded,
            'skipped': {'count': self.skipped, 'examples': list(self.examples)},
            'first': self.first, 'last': self.last,
            'deliveries': _raw_deliveries(deliveries),
            'expired': dict(self.expired), 'reasons': self.reasons, 'rejects': self.rejects, 'tls': self.tls,
        }


# ---------------------------------------------------------------------------
# Merging raw forms: files, processes, hosts

class MergeError(ValueError):
    """Raw forms that cannot be merged: another format."""


def _raw_group(group):
    return {'count': group['count'], 'stages': {
        stage: dict(dist, values=values_text(dist['values']) if isinstance(dist['values'], dict) else dist['values'])
        for stage, dist in group['stages'].items()}}


def _raw_deliveries(deliveries):
    return {status: dict({'all': _raw_group(per_status['all'])}, **{
        dimension: {name: _raw_group(group) for name, group in per_status[dimension].items()}
        for dimension in DIMENSIONS}) for status, per_status in deliveries.items()}


def merge(*raws, max_keys=None):
    """The raw form of the union of the lines behind ``raws`` (pure: the arguments are not changed).

    Counts, sums, maxima and the counts of each value add up exactly. Each status keeps at most ``max_keys``
    (default: the largest of the inputs') relays, domains and transports; the others are folded into "(other)".
    """
    raws = [raw for raw in raws if raw]
    for raw in raws:
        if raw.get('format') != FORMAT:
            raise MergeError('cannot merge postfix_log results of format %r; this merge reads %s (the hosts run '
                             'another version of mailops.postfix)' % (raw.get('format'), FORMAT))
    if max_keys is None:
        max_keys = max([raw['max_keys'] for raw in raws] or [DEFAULT_MAX_KEYS])
    stamps = [raw[field] for raw in raws for field in ('first', 'last') if raw[field] is not None]
    merged = {'format': FORMAT, 'resolution': RESOLUTION, 'max_keys': max_keys,
              'first': min(stamps) if stamps else None, 'last': max(stamps) if stamps else None}
    for field in ('lines', 'received', 'connects', 'forwarded'):
        merged[field] = sum(raw[field] for raw in raws)
    skipped = [raw['skipped'] for raw in raws]
    merged['skipped'] = {'count': sum(item['count'] for item in skipped),
                         'examples': [text for item in skipped for text in item['examples']][:log_lines.EXAMPLES]}
    for field in ('expired', 'reasons', 'rejects', 'tls'):
        merged[field] = {}
        for raw in raws:
            _merge_tables(merged[field], raw[field])
    for table in merged['reasons'].values():
        compact(table, 2 * max_keys, _sum_counts, int)
    deliveries = {}
    for raw in raws:
        for status, per_status in raw['deliveries'].items():
            into = deliveries.setdefault(status, {'all': new_group(), 'relay': {}, 'domain': {}, 'transport': {}})
            merge_group(into['all'], per_status['all'])
            for dimension in DIMENSIONS:
                for name, group in per_status[dimension].items():
                    merge_group(into[dimension].setdefault(name, new_group()), group)
    for per_status in deliveries.values():
        for dimension in DIMENSIONS:
            compact(per_status[dimension], max_keys, _merge_groups, new_group)
    merged['deliveries'] = _raw_deliveries(deliveries)
    return merged


# ---------------------------------------------------------------------------
# The report

def summarize_group(group):
    """count, p50/p90/p99/max of the total delay and of each stage, and the stage that dominates."""
    summary = {'count': group['count']}
    sums = {}
    for stage in STAGES:
        dist = group['stages'][stage]
        pairs, total = sorted_values(dist)
        if not total:
            # No delivery (a quiet host): the same keys, so that log.delivery.sent.delay.p99 reads as null.
            summary[stage] = dict({name: None for name, dummy in PERCENTILES}, max=None)
            continue
        summary[stage] = dict({name: seconds(rank_value(pairs, total, int(fraction * (total - 1))))
                               for name, fraction in PERCENTILES}, max=seconds(dist['max']))
        if stage != 'delay':
            sums[stage] = dist['sum_us']
    total = sum(sums.values())
    summary['stage_share'] = {stage: round(value / total, 3) for stage, value in sums.items()} if total else None
    summary['dominant_stage'] = max(sums, key=sums.get) if total else None
    return summary


def cut(text, length=REASON_LENGTH):
    """A reason or reply as the report shows it: at most about ``length`` characters."""
    return text if len(text) <= length else text[:length - 3].rstrip() + '...'


def _top(table, top, name_field):
    ranked = sorted(table.items(), key=lambda item: (-item[1], item[0]))
    return [{name_field: cut(name), 'count': count} for name, count in ranked[:top]]


def report(raw, top=10):
    """The readable report of a raw form (one host's, or a merge)."""
    def when(stamp):
        return None if stamp is None else datetime.datetime.fromtimestamp(stamp).astimezone().isoformat()

    deliveries = raw['deliveries']
    status_counts = {status: per_status['all']['count'] for status, per_status in deliveries.items()}
    expired = raw['expired'].get('expired', 0) + raw['expired'].get('force-expired', 0)
    rejects = raw['rejects']
    action_counts = {action: sum(sum(replies.values()) for replies in table.values())
                     for action, table in rejects.items()}
    counts = dict(status_counts, received=raw['received'], forwarded=raw['forwarded'],
                  delivered=status_counts.get('sent', 0) - raw['forwarded'], expired=expired,
                  rejected=action_counts.get('reject', 0) + action_counts.get('milter-reject', 0))
    for status in ('sent', 'deferred', 'bounced'):
        counts.setdefault(status, 0)
    delivery = {}
    # sent, deferred and bounced are always there, with a zero count on a quiet host.
    empty = {'all': new_group(), 'relay': {}, 'domain': {}, 'transport': {}}
    for status, per_status in sorted(dict({status: empty for status in ('sent', 'deferred', 'bounced')},
                                          **deliveries).items()):
        summary = summarize_group(per_status['all'])
        for dimension in DIMENSIONS:
            ranked = sorted(per_status[dimension].items(), key=lambda item: (-item[1]['count'], item[0]))
            summary['by_' + dimension] = [dict(summarize_group(group), name=name) for name, group in ranked[:top]]
        delivery[status] = summary
    delivery['expired'] = {'count': expired, 'forced': raw['expired'].get('force-expired', 0)}
    by_restriction = []
    for action, table in rejects.items():
        for restriction, replies in table.items():
            by_restriction.append({'action': action, 'restriction': restriction, 'count': sum(replies.values()),
                                   'replies': _top(replies, top, 'reply')})
    by_restriction.sort(key=lambda item: (-item['count'], item['action'], item['restriction']))
    tls = {}
    for direction in ('inbound', 'outbound'):
        table = raw['tls'].get(direction, {})
        established = sum(table.get('level', {}).values())
        tls[direction] = dict({field: dict(sorted(table.get(field, {}).items(), key=lambda item: -item[1])[:top])
                               for field in ('level', 'protocol', 'cipher', 'key_exchange')}, established=established)
    tls['inbound']['connections'] = raw['connects']
    tls['inbound']['share'] = round(tls['inbound']['established'] / raw['connects'], 3) if raw['connects'] else None
    reasons = raw['reasons']
    return {
        'period': {'first': when(raw['first']), 'last': when(raw['last'])},
        'lines': raw['lines'],
        'skipped_lines': raw['skipped'],
        'resolution': raw['resolution'],
        'counts': counts,
        'delivery': delivery,
        'deferral_reasons': _top(reasons.get('deferred', {}), top, 'reason'),
        'bounce_reasons': _top(reasons.get('bounced', {}), top, 'reason'),
        'rejects': {'total': sum(action_counts.values()), 'by_action': action_counts,
                    'by_restriction': by_restriction[:top]},
        'tls': tls,
    }
