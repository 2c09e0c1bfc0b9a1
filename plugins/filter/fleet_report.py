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


def _cell(value, missing='-'):
    return missing if value is None or value == '' else str(value)


def report_table(rows):
    """The fleet report's rows (playbooks/report.yml) -> aligned text lines, a header first."""
    header = ('host', 'version', 'frozen', 'queue', 'oldest s', 'bounce in s', 'sent', 'p90 s', 'p99 s',
              'dominant stage', 'relay', 'cert days')
    lines = [header]
    for row in rows:
        delay = row.get('delay') or {}
        lines.append((row['host'], _cell(row.get('version')), 'yes' if row.get('frozen') else 'no',
                      _cell(row.get('queue')), _cell(row.get('oldest')), _cell(row.get('bounce_in')),
                      _cell(row.get('sent')), _cell(delay.get('p90')), _cell(delay.get('p99')),
                      _cell(row.get('dominant')), 'OPEN' if row.get('relay_open') else 'closed',
                      _cell(row.get('cert_days'))))
    widths = [max(len(str(line[column])) for line in lines) for column in range(len(header))]
    return ['  '.join(str(value).ljust(width) for value, width in zip(line, widths)).rstrip() for line in lines]


class FilterModule:
    """Fleet report filters of mailops.postfix."""

    def filters(self):
        return {'log_merge': log_merge, 'log_text': log_text, 'report_table': report_table}
