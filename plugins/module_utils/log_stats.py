# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of postfix_log: counts, delay distributions, top reasons, rejects, TLS; and their merge.

Private to this collection: roles and playbooks use the modules, never module_utils.

Memory stays bounded whatever the size of the log. Delays go into
log-spaced histogram buckets (as DDSketch does): bucket i holds the values in
(GAMMA**(i-1), GAMMA**i] and stands for 2*GAMMA**i/(GAMMA+1), which is within
RELATIVE_ERROR (1%) of every value in it; zeros have their own count. A
percentile is the bucket of the value of that rank, so it is within 1% of the
exact percentile (of the delays as Postfix logged them, with two significant
digits). Counts, sums, maxima and bucket counts add up, so the raw form
(to_raw()) of two files, two processes or two hosts merges exactly (merge()):
the merge of two raws is the raw of the union of their lines. What is kept
per relay, recipient domain and transport is bounded by max_keys per status:
the least frequent keys are folded into "(other)" (counts stay exact in
total); reasons and reject replies likewise.
"""

from __future__ import annotations

import collections
import datetime
import math

from ansible_collections.mailops.postfix.plugins.module_utils import log_lines

FORMAT = 'mailops.postfix.postfix_log/1'
RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
STAGES = ('delay', 'before_qmgr', 'in_qmgr', 'conn_setup', 'transmission')
DIMENSIONS = ('relay', 'domain', 'transport')
OTHER = '(other)'
PERCENTILES = (('p50', 0.5), ('p90', 0.9), ('p99', 0.99))
DEFAULT_MAX_KEYS = 100
# Per status, normalising a deferral reason costs a few regular expressions: remember the last ones.
_NORMALISED_CACHE = 5000


def bucket_of(value):
    """The bucket index of a positive value."""
    return math.ceil(math.log(value) / _LOG_GAMMA)


def bucket_value(index):
    """The value a bucket stands for: within RELATIVE_ERROR of everything in it."""
    return 2 * GAMMA ** index / (GAMMA + 1)


# ---------------------------------------------------------------------------
# Distributions: {'zero': n, 'buckets': {index: n}, 'sum_us': s, 'max': m}. In the raw form the buckets are
# the text "index:n index:n ..." (sorted): Ansible walks every value of a module's result, and a raw form holds
# tens of thousands of buckets; as text they are a few thousand values. The sum is in whole microseconds
# (Postfix logs at most six decimals), so that it adds up exactly in any order, as the rest does.

def new_distribution():
    return {'zero': 0, 'buckets': {}, 'sum_us': 0, 'max': 0.0}


def add_value(dist, value, index, count):
    """Add ``count`` occurrences of ``value`` (in bucket ``index``, None for zero)."""
    if index is None:
        dist['zero'] += count
    else:
        buckets = dist['buckets']
        buckets[index] = buckets.get(index, 0) + count
        dist['sum_us'] += round(value * 1e6) * count
        if value > dist['max']:
            dist['max'] = value


def merge_distribution(into, other):
    """Add distribution ``other`` (either form) to ``into`` (the working form)."""
    into['zero'] += other['zero']
    buckets = into['buckets']
    for index, count in bucket_pairs(other['buckets']):
        buckets[index] = buckets.get(index, 0) + count
    into['sum_us'] += other['sum_us']
    into['max'] = max(into['max'], other['max'])


def distribution_count(dist):
    return dist['zero'] + sum(count for dummy, count in bucket_pairs(dist['buckets']))


def bucket_pairs(buckets):
    """(index, count) of the buckets of either form."""
    if isinstance(buckets, dict):
        return buckets.items()
    return [tuple(map(int, pair.split(':'))) for pair in buckets.split()]


def bucket_text(buckets):
    return ' '.join('%d:%d' % pair for pair in sorted(buckets.items()))


def quantile(dist, fraction):
    """The value of rank floor(fraction * (n - 1)) (0-based) among the n values, within RELATIVE_ERROR;
    None when empty. The last rank is the exact maximum."""
    total = distribution_count(dist)
    return rank_value(dist, int(fraction * (total - 1))) if total else None


def rank_value(dist, rank):
    """The value of 0-based ``rank`` among the values of a distribution, within RELATIVE_ERROR."""
    pairs = sorted(bucket_pairs(dist['buckets']))
    total = dist['zero'] + sum(n for dummy, n in pairs)
    if rank >= total - 1:
        return dist['max'] if pairs else 0.0
    seen = dist['zero']
    if rank < seen:
        return 0.0
    for index, count in pairs:
        seen += count
        if rank < seen:
            return min(bucket_value(index), dist['max'])
    return dist['max']


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
    folded = table.pop(OTHER, None)
    if folded is None:
        folded = new()
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


# ---------------------------------------------------------------------------
# Accumulating what log_lines.scan() finds

class LogStats:
    """The statistics of one process: read() blocks of log lines, to_raw() for the mergeable form."""

    def __init__(self, max_keys=DEFAULT_MAX_KEYS):
        self.max_keys = max_keys
        self.lines = self.received = self.connects = self.forwarded = 0
        self.skipped, self.examples = 0, []  # lines that could not be read, and the first of them
        self.first = self.last = None
        # (status, dimension, name) -> five {delay as logged: count}, filled by log_lines.scan(): a line
        # costs a few increments; fold() turns them into buckets per status and per key.
        self.combos = {}
        self.deliveries = {}
        self.expired = {}
        self.reasons = {}
        self.rejects = {}
        self.tls = {}
        self._values = {}
        self._texts = {}

    def read(self, data, stamps=None):
        """Count a block of whole lines (bytes); ``stamps``: a log_lines.StampReader for the period."""
        self.add(log_lines.scan(data, stamps, self.combos))

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
            for key, values in batch.deliveries.items():
                slot = self.combos.setdefault(key, tuple(collections.defaultdict(int) for dummy in STAGES))
                for into, counts in zip(slot, values):
                    for value, count in counts.items():
                        into[value] += count
        for status, reason in batch.reasons:
            self._count_text(self.reasons.setdefault(status.decode(), {}), reason)
        for status, count in batch.expired.items():
            if count:
                self.expired[status] = self.expired.get(status, 0) + count
        for action, stage, reply in batch.rejects:
            table = self.rejects.setdefault(action.decode(), {}).setdefault(log_lines.restriction_of(reply, stage, action), {})
            self._count_text(table, reply)
        for key, count in batch.tls.items():
            level, (direction, protocol, cipher, key_exchange) = b''.join(key[:4]) or b'other', key[4:]
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
        if len(self.combos) > 5000:
            self.fold()

    def _text(self, raw):
        """The normalised text, remembered by its shape (log_lines.shape()): most reasons and replies differ
        only in the host and the address normalise() takes out."""
        key = log_lines.shape(raw)
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) > _NORMALISED_CACHE:
                self._texts.clear()
            text = self._texts[key] = log_lines.normalise(key).decode('utf-8', 'replace')
        return text

    def _count_text(self, table, raw):
        text = self._text(raw)
        table[text] = table.get(text, 0) + 1
        if len(table) > 4 * self.max_keys:
            compact(table, 2 * self.max_keys, _sum_counts, int)

    def _value(self, raw):
        """(value, bucket index or None for zero, microseconds) of a delay as logged."""
        found = self._values.get(raw)
        if found is None:
            value = float(raw)
            found = self._values[raw] = (value, bucket_of(value) if value > 0 else None, round(value * 1e6))
        return found

    def fold(self):
        """Turn the counted values into buckets, per status and per relay, domain and transport."""
        touched = set()
        for (status, dimension, key), slot in self.combos.items():
            status = status.decode()
            per_status = self.deliveries.get(status)
            if per_status is None:
                per_status = self.deliveries[status] = {'all': new_group(), 'relay': {}, 'domain': {},
                                                        'transport': {}}
            if dimension == 1:
                key = key.lower() or b'(none)'
            table = per_status[DIMENSIONS[dimension]]
            name = key.decode('utf-8', 'replace')
            group = table.get(name)
            if group is None:
                group = table[name] = new_group()
            # Every delivery has one relay: the relays' counts add up to the status's.
            targets = [group, per_status['all']] if dimension == 0 else [group]
            count = sum(slot[0].values())
            for group in targets:
                group['count'] += count
            for stage, values in zip(STAGES, slot):
                dists = [group['stages'][stage] for group in targets]
                for raw, number in values.items():
                    value, index, micros = self._value(raw)
                    for dist in dists:
                        if index is None:
                            dist['zero'] += number
                            continue
                        buckets = dist['buckets']
                        buckets[index] = buckets.get(index, 0) + number
                        dist['sum_us'] += micros * number
                        if value > dist['max']:
                            dist['max'] = value
            touched.add(status)
        self.combos = {}
        for status in touched:
            for dimension in DIMENSIONS:
                compact(self.deliveries[status][dimension], self.max_keys, _merge_groups, new_group)

    def to_raw(self):
        """The mergeable form: plain data (JSON-ready); see merge() and report()."""
        self.fold()
        return {
            'format': FORMAT, 'relative_error': RELATIVE_ERROR, 'max_keys': self.max_keys,
            'lines': self.lines, 'received': self.received, 'connects': self.connects, 'forwarded': self.forwarded,
            'skipped': {'count': self.skipped, 'examples': list(self.examples)},
            'first': self.first, 'last': self.last,
            'deliveries': _raw_deliveries(self.deliveries),
            'expired': dict(self.expired), 'reasons': self.reasons, 'rejects': self.rejects, 'tls': self.tls,
        }


# ---------------------------------------------------------------------------
# Merging raw forms: files, processes, hosts

class MergeError(ValueError):
    """Raw forms that cannot be merged: another format or another error bound."""


def _raw_group(group):
    return {'count': group['count'], 'stages': {
        stage: dict(dist, buckets=bucket_text(dist['buckets']))
        for stage, dist in group['stages'].items()}}


def _raw_deliveries(deliveries):
    return {status: dict({'all': _raw_group(per_status['all'])}, **{
        dimension: {name: _raw_group(group) for name, group in per_status[dimension].items()}
        for dimension in DIMENSIONS}) for status, per_status in deliveries.items()}


def merge(*raws, max_keys=None):
    """The raw form of the union of the lines behind ``raws`` (pure: the arguments are not changed).

    Counts, sums, maxima and histogram buckets add up exactly. Each status keeps at most ``max_keys``
    (default: the largest of the inputs') relays, domains and transports; the others are folded into "(other)".
    """
    raws = [raw for raw in raws if raw]
    for raw in raws:
        if raw.get('format') != FORMAT or raw.get('relative_error') != RELATIVE_ERROR:
            raise MergeError('cannot merge postfix_log results of format %r with relative error %r; this merge '
                             'reads %s with %s' % (raw.get('format'), raw.get('relative_error'), FORMAT,
                                                   RELATIVE_ERROR))
    if max_keys is None:
        max_keys = max([raw['max_keys'] for raw in raws] or [DEFAULT_MAX_KEYS])
    stamps = [raw[field] for raw in raws for field in ('first', 'last') if raw[field] is not None]
    merged = {'format': FORMAT, 'relative_error': RELATIVE_ERROR, 'max_keys': max_keys,
              'first': min(stamps) if stamps else None, 'last': max(stamps) if stamps else None}
    for field in ('lines', 'received', 'connects', 'forwarded'):
        merged[field] = sum(raw[field] for raw in raws)
    skipped = [raw.get('skipped') or {'count': 0, 'examples': []} for raw in raws]
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

def _rounded(value):
    return None if value is None else round(value, 3)


def summarize_group(group):
    """count, p50/p90/p99/max of the total delay and of each stage, and the stage that dominates."""
    summary = {'count': group['count']}
    sums = {}
    for stage in STAGES:
        dist = group['stages'][stage]
        if not distribution_count(dist):
            # No delivery (a quiet host): the same keys, so that log.delivery.sent.delay.p99 reads as null.
            summary[stage] = dict({name: None for name, dummy in PERCENTILES}, max=None)
            continue
        summary[stage] = dict({name: _rounded(quantile(dist, fraction)) for name, fraction in PERCENTILES},
                              max=_rounded(dist['max']))
        if stage != 'delay':
            sums[stage] = dist['sum_us']
    total = sum(sums.values())
    summary['stage_share'] = {stage: round(value / total, 3) for stage, value in sums.items()} if total else None
    summary['dominant_stage'] = max(sums, key=sums.get) if total else None
    return summary


def _top(table, top, name_field):
    ranked = sorted(table.items(), key=lambda item: (-item[1], item[0]))
    return [{name_field: name, 'count': count} for name, count in ranked[:top]]


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
        'skipped_lines': raw.get('skipped') or {'count': 0, 'examples': []},
        'relative_error': raw['relative_error'],
        'counts': counts,
        'delivery': delivery,
        'deferral_reasons': _top(reasons.get('deferred', {}), top, 'reason'),
        'bounce_reasons': _top(reasons.get('bounced', {}), top, 'reason'),
        'rejects': {'total': sum(action_counts.values()), 'by_action': action_counts,
                    'by_restriction': by_restriction[:top]},
        'tls': tls,
    }
