# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of postfix_log, from the raw form of log_stats (one host's, or a merge): as data (report()) and
as text lines in the order of pflogsumm's report (text()).

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import datetime

from ansible_collections.mailops.postfix.plugins.module_utils.log.stats import (
    DIMENSIONS,
    PERCENTILES,
    STAGES,
    TRAFFIC,
    hours_table,
    new_group,
    rank_value,
    seconds,
    sorted_values,
)

# A reason, reply or message in the report: about this many characters (the raw form keeps the whole normalised
# text, the key that merges).
REASON_LENGTH = 200
# The top tables: (report key, the raw form's table by count, by size, the name of an entry's name).
TOP_TABLES = (('senders', 'senders', 'sender_bytes', 'address'),
              ('recipients', 'recipients', 'recipient_bytes', 'address'),
              ('sending_domains', 'sending_domains', 'sending_domain_bytes', 'domain'),
              ('sending_hosts', 'sending_hosts', None, 'host'))


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


def _top(table, top, name_field, value_field='count'):
    ranked = sorted(table.items(), key=lambda item: (-item[1], item[0]))
    return [{name_field: cut(name), value_field: count} for name, count in ranked[:top]]


def _local(stamp):
    return datetime.datetime.fromtimestamp(stamp).astimezone()


def traffic(raw):
    """Per hour and per day (local time where the report is made): received, delivered, deferred, bounced and
    rejected messages; the hours and days that have lines, in time order."""
    hours, days = [], {}
    for hour, counts in sorted(hours_table(raw['hours']).items()):
        hours.append(dict(zip(TRAFFIC, counts), hour=_local(hour).isoformat()))
        day = days.setdefault(_local(hour).date().isoformat(), [0] * len(TRAFFIC))
        for index, count in enumerate(counts):
            day[index] += count
    return {'hours': hours, 'days': [dict(zip(TRAFFIC, counts), day=day) for day, counts in sorted(days.items())]}


def report(raw, top=10):
    """The readable report of a raw form (one host's, or a merge)."""
    deliveries = raw['deliveries']
    status_counts = {status: per_status['all']['count'] for status, per_status in deliveries.items()}
    expired = raw['expired'].get('expired', 0) + raw['expired'].get('force-expired', 0)
    rejects = raw['rejects']
    action_counts = {action: sum(sum(replies.values()) for replies in table.values())
                     for action, table in rejects.items()}
    counts = dict(status_counts, received=raw['received'], forwarded=raw['forwarded'],
                  delivered=status_counts.get('sent', 0) - raw['forwarded'], expired=expired,
                  rejected=action_counts.get('reject', 0) + action_counts.get('milter-reject', 0),
                  deferred_messages=raw['deferred_messages'])
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
    tops = raw['tops']
    tls = {}
    for direction in ('inbound', 'outbound'):
        table = raw['tls'].get(direction, {})
        established = sum(table.get('level', {}).values())
        tls[direction] = dict({field: dict(sorted(table.get(field, {}).items(), key=lambda item: -item[1])[:top])
                               for field in ('level', 'protocol', 'cipher', 'key_exchange')}, established=established)
    tls['inbound']['connections'] = raw['connects']
    tls['inbound']['share'] = round(tls['inbound']['established'] / raw['connects'], 3) if raw['connects'] else None
    reasons = raw['reasons']
    result = {
        'period': {'first': None if raw['first'] is None else _local(raw['first']).isoformat(),
                   'last': None if raw['last'] is None else _local(raw['last']).isoformat()},
        'lines': raw['lines'],
        'skipped_lines': raw['skipped'],
        'resolution': raw['resolution'],
        'counts': counts,
        'bytes': dict(raw['bytes']),
        'traffic': traffic(raw),
        'delivery': delivery,
        'deferral_reasons': _top(reasons.get('deferred', {}), top, 'reason'),
        'bounce_reasons': _top(reasons.get('bounced', {}), top, 'reason'),
        'rejects': {'total': sum(action_counts.values()), 'by_action': action_counts,
                    'by_restriction': by_restriction[:top],
                    'by_client': _top(tops['reject_clients']['counts'], top, 'client'),
                    'by_sender': _top(tops['reject_senders']['counts'], top, 'sender'),
                    'error': max(tops['reject_clients']['error'], tops['reject_senders']['error'])},
        'tls': tls,
        'problems': {level: {
            'count': sum(sum(messages.values()) for messages in raw['problems'].get(level, {}).values()),
            'by_daemon': sorted(({'daemon': daemon, 'count': sum(messages.values()),
                                  'messages': _top(messages, top, 'message')}
                                 for daemon, messages in raw['problems'].get(level, {}).items()),
                                key=lambda item: (-item['count'], item['daemon']))} for level in ('warning', 'fatal',
                                                                                                  'panic')},
    }
    for name, by_count, by_size, field in TOP_TABLES:
        result[name] = {'by_count': _top(tops[by_count]['counts'], top, field),
                        'error': tops[by_count]['error']}
        if by_size:
            result[name]['by_size'] = _top(tops[by_size]['counts'], top, field, 'bytes')
            result[name]['bytes_error'] = tops[by_size]['error']
    return result


# ---------------------------------------------------------------------------
# As text: the sections of pflogsumm's report, and the delays

def _number(value):
    return '-' if value is None else ('%g' % value if isinstance(value, float) else str(value))


def _table(header, rows):
    """Aligned lines: the first column to the left, the others to the right; ``header`` None: no header line."""
    lines = rows if header is None else [header] + rows
    widths = [max(len(str(row[column])) for row in lines) for column in range(len(lines[0]))]
    return ['  ' + '  '.join(str(value).rjust(width) if index else str(value).ljust(width)
                             for index, (value, width) in enumerate(zip(row, widths))).rstrip()
            for row in lines]


def _ranked(title, entries, name, value, error=0):
    if not entries:
        return []
    lines = ['', title + (' (each count at most %d below the true one)' % error if error else '')]
    return lines + _table(None, [(entry[name], entry[value]) for entry in entries])


def text(summary):
    """A report (report()) as lines of text: grand totals, traffic per day and hour, delays, the top senders,
    recipients, sending domains and hosts, reasons, rejects, warnings, fatal errors and panics."""
    counts, size = summary['counts'], summary['bytes']
    lines = ['Grand totals (%s to %s)' % (summary['period']['first'], summary['period']['last'])]
    lines += _table(None, [
        ('received', counts['received']), ('delivered', counts['delivered']), ('forwarded', counts['forwarded']),
        ('deferred', '%d  (%d deferrals)' % (counts['deferred_messages'], counts['deferred'])),
        ('bounced', counts['bounced']), ('rejected', counts['rejected']), ('expired', counts['expired']),
        ('bytes received', size['received']), ('bytes delivered', size['delivered']),
        ('lines', summary['lines']), ('lines skipped', summary['skipped_lines']['count'])])
    for period, name in (('days', 'day'), ('hours', 'hour')):
        rows = summary['traffic'][period]
        if rows:
            lines += ['', 'Traffic per %s' % name] + _table((name,) + TRAFFIC, [
                (row[name],) + tuple(row[field] for field in TRAFFIC) for row in rows])
    rows = []
    for status in ('sent', 'deferred', 'bounced'):
        for stage in STAGES:
            values = summary['delivery'][status][stage]
            if values['max'] is not None:
                rows.append((status, stage) + tuple(_number(values[name]) for name in ('p50', 'p90', 'p99', 'max')))
    if rows:
        lines += ['', 'Delays (s), at Postfix\'s resolution'] + _table(
            ('status', 'stage', 'p50', 'p90', 'p99', 'max'), rows)
    for name, dummy, by_size, field in TOP_TABLES:
        table = summary[name]
        label = name.replace('_', ' ')
        lines += _ranked('%s by message count' % label.capitalize(), table['by_count'], field, 'count',
                         table['error'])
        if by_size:
            lines += _ranked('%s by size (bytes)' % label.capitalize(), table['by_size'], field, 'bytes',
                             table['bytes_error'])
    lines += _ranked('Deferral reasons', summary['deferral_reasons'], 'reason', 'count')
    lines += _ranked('Bounce reasons', summary['bounce_reasons'], 'reason', 'count')
    rejects = summary['rejects']
    if rejects['by_restriction']:
        lines += ['', 'Rejects by restriction'] + _table(('action', 'restriction', 'count'), [
            (item['action'], item['restriction'], item['count']) for item in rejects['by_restriction']])
    lines += _ranked('Rejects by client', rejects['by_client'], 'client', 'count', rejects['error'])
    lines += _ranked('Rejects by sender', rejects['by_sender'], 'sender', 'count', rejects['error'])
    for level, title in (('warning', 'Warnings'), ('fatal', 'Fatal errors'), ('panic', 'Panics')):
        problems = summary['problems'][level]
        if problems['count']:
            lines += ['', '%s (%d)' % (title, problems['count'])]
            for daemon in problems['by_daemon']:
                lines.append('  %s (%d)' % (daemon['daemon'], daemon['count']))
                lines += ['    %6d  %s' % (item['count'], item['message']) for item in daemon['messages']]
    return lines
