# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for playbooks/report.yml: merge the hosts' mail logs exactly, lay the fleet out as a text table, and a
log report out as text in the order of pflogsumm's report."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.module_utils.log.report import report, text
from ansible_collections.mailops.postfix.plugins.module_utils.log.stats import MergeError, merge

STAGES = ('before_qmgr', 'in_qmgr', 'conn_setup', 'transmission')


def log_merge(raws, top=10):
    """The raw forms of postfix_log (raw=true) of several hosts -> the report of all their lines together."""
    try:
        return report(merge(*[raw for raw in raws if raw]), top=top)
    except (MergeError, KeyError, TypeError) as error:
        raise AnsibleFilterError('log_merge: %s' % error) from error


def log_text(summary):
    """A postfix_log report (a host's result, or log_merge's) -> lines of text: totals, traffic per day and hour,
    delays, top senders, recipients, sending domains and hosts, reasons, rejects, warnings."""
    try:
        return text(summary)
    except (KeyError, TypeError, AttributeError) as error:
        raise AnsibleFilterError('log_text: not a postfix_log report (%s: %s)' % (type(error).__name__, error)) \
            from error


def _get(data, *path):
    """data[path[0]][path[1]]..., or None where a step is missing (as JMESPath reads it)."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def report_rows(hosts):
    """[{host, info, log}] (each host's postfix_info and postfix_log results, or {'msg': ...}) -> the fleet
    report's rows: one flat dict per host, None for what a host did not report, the numbers as the modules gave
    them."""
    rows = []
    for entry in hosts:
        info, log = entry.get('info') or {}, entry.get('log') or {}
        sent = _get(log, 'delivery', 'sent') or {}
        reasons = _get(log, 'deferral_reasons')
        rows.append({
            'host': entry.get('host'), 'version': info.get('version'), 'running': info.get('running'),
            'frozen': info.get('frozen'), 'frozen_since': info.get('frozen_since'),
            'suspended': info.get('suspended_domains'), 'queue': _get(info, 'queue', 'total'),
            'deferred': _get(info, 'queue', 'counts', 'deferred'), 'oldest': _get(info, 'queue', 'oldest_age'),
            'bounce_in': _get(info, 'queue', 'bounce_in'), 'relay_open': _get(info, 'relay', 'open'),
            'relay_decided': _get(info, 'relay', 'decided'), 'relay_element': _get(info, 'relay', 'element'),
            'relay_reason': _get(info, 'relay', 'reason'), 'cert_days': _get(info, 'tls_certificate', 'days_left'),
            'sent': _get(log, 'counts', 'sent'), 'deferrals': _get(log, 'counts', 'deferred'),
            'bounced': _get(log, 'counts', 'bounced'), 'rejected': _get(log, 'counts', 'rejected'),
            'delay': sent.get('delay'), 'stages': {stage: sent.get(stage) for stage in STAGES},
            'share': sent.get('stage_share'), 'dominant': sent.get('dominant_stage'),
            'deferral_reasons': reasons[:3] if isinstance(reasons, list) else None,
            'deferred_messages': _get(log, 'counts', 'deferred_messages'), 'bytes': log.get('bytes'),
            'traffic': _get(log, 'traffic', 'hours'), 'warnings': _get(log, 'problems', 'warning', 'count'),
            'fatal': _get(log, 'problems', 'fatal', 'count'), 'panics': _get(log, 'problems', 'panic', 'count'),
            'error': info.get('msg') or log.get('msg'),
        })
    return rows


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def duration(seconds, relative=False):
    """A time span as an operator reads it: 42 s, 10 min, 5h 12m, 4d 23h; ``relative``: in 4d 23h, or now once it
    is due. Anything but a number is returned as it is."""
    if not _number(seconds):
        return seconds
    if relative:
        return 'in %s' % duration(seconds) if seconds > 0 else 'now'
    seconds = int(round(abs(seconds)))
    if seconds < 60:
        return '%d s' % seconds
    if seconds < 3600:
        return '%d min' % (seconds // 60)
    if seconds < 86400:
        return '%dh %dm' % divmod(seconds // 60, 60)
    return '%dd %dh' % divmod(seconds // 3600, 24)


def days_left(days):
    """A certificate's days left: in 12 days, today, expired 3 days ago."""
    if not _number(days):
        return days
    days = int(days)
    if days == 0:
        return 'today'
    plural = '' if abs(days) == 1 else 's'
    return 'in %d day%s' % (days, plural) if days > 0 else 'expired %d day%s ago' % (-days, plural)


def relay_verdict(row):
    """closed, OPEN, or UNDECIDED (open as far as the guard can tell: postconf would refuse it)."""
    if not row.get('relay_open'):
        return 'closed'
    return 'UNDECIDED' if row.get('relay_decided') is False else 'OPEN'


def _cell(value, missing='-'):
    return missing if value is None or value == '' else str(value)


def report_table(rows):
    """The fleet report's rows (report_rows()) -> aligned text lines, a header first."""
    header = ('host', 'version', 'frozen', 'queue', 'oldest', 'first bounce', 'sent', 'p90 s', 'p99 s',
              'dominant stage', 'relay', 'certificate')
    lines = [header]
    for row in rows:
        delay = row.get('delay') or {}
        lines.append((row['host'], _cell(row.get('version')), 'yes' if row.get('frozen') else 'no',
                      _cell(row.get('queue')), _cell(duration(row.get('oldest'))), _cell(duration(row.get('bounce_in'), relative=True)),
                      _cell(row.get('sent')), _cell(delay.get('p90')), _cell(delay.get('p99')),
                      _cell(row.get('dominant')), relay_verdict(row), _cell(days_left(row.get('cert_days')))))
    widths = [max(len(str(line[column])) for line in lines) for column in range(len(header))]
    return ['  '.join(str(value).ljust(width) for value, width in zip(line, widths)).rstrip() for line in lines]


class FilterModule:
    """Fleet report filters of mailops.postfix."""

    def filters(self):
        return {'log_merge': log_merge, 'log_text': log_text, 'report_rows': report_rows, 'report_table': report_table,
                'duration': duration, 'days_left': days_left}
