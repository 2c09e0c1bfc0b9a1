# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for playbooks/drift.yml: what differs on each host from the inventory, from the site's transaction as
check mode reports it (mailops.postfix.postconf's result), and that report as lines of text."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _table_items(table):
    """A changed table's entries as drift items, and what else differs in it (order, compiled file, the file)."""
    name = table.get('table')
    entries = [{'table': name, 'key': change['key'], 'host': change['before'], 'inventory': change['after'],
                'secret': bool(table.get('secret'))} for change in table.get('entry_changes') or []]
    counts = table.get('changes') or {}
    others = []
    listed = counts.get('added', 0) + counts.get('removed', 0) + counts.get('changed', 0)
    if listed > len(entries):
        others.append('%d more entries differ than are listed' % (listed - len(entries)))
    if counts.get('reordered'):
        others.append('the rules are in another order')
    if table.get('rebuild_reason'):
        others.append(table['rebuild_reason'])
    if not entries and not others:
        # Neither an entry nor the compiled table: the file holds duplicate or malformed lines, or its owner,
        # group or mode differ (the diff of --diff says which).
        others.append('the file differs (its layout or attributes), not its entries')
    return entries, [{'table': name, 'difference': text} for text in others]


def host_drift(result, error=None):
    """One host's drift from its transaction's result (check mode): the main.cf parameters, master.cf services,
    table entries and tables that differ, each with the value on the host and in the inventory; a secret table's
    values as postconf masks them. ``error``: why there is no result (the host failed or was unreachable)."""
    if error is not None or not isinstance(result, dict) or result.get('failed'):
        message = error or (result or {}).get('msg') or 'no result from the site playbook'
        return {'drift': True, 'error': message, 'parameters': [], 'services': [], 'table_entries': [], 'tables': [],
                'reload': False}
    try:
        parameters = [{'name': name, 'host': change['before'], 'inventory': change['after']}
                      for name, change in sorted((result.get('changes') or {}).items())]
        services = [{'service': name, 'host': change['before'], 'inventory': change['after']}
                    for name, change in sorted((result.get('service_changes') or {}).items())]
        entries, tables = [], []
        for table in result.get('tables') or []:
            if table.get('changed'):
                table_entries, table_others = _table_items(table)
                entries += table_entries
                tables += table_others
    except (KeyError, TypeError, AttributeError) as error:
        raise AnsibleFilterError('drift_report: not a mailops.postfix.postconf result (%s: %s)'
                                 % (type(error).__name__, error)) from error
    # A change that went live without its reload (an interrupted run): the files are right, Postfix is not.
    reload = bool(result.get('pending_reload'))
    return {'drift': bool(parameters or services or entries or tables or reload), 'error': None,
            'parameters': parameters, 'services': services, 'table_entries': entries, 'tables': tables,
            'reload': reload}


def drift_report(hosts):
    """[{host, result, error}] -> {drift, hosts: {host: host_drift()}}; drift is true when any host drifts or could
    not be checked."""
    report = {entry['host']: host_drift(entry.get('result'), entry.get('error')) for entry in hosts}
    return {'drift': any(host['drift'] for host in report.values()), 'hosts': report}


def _shown(value):
    return 'absent' if value is None else repr(value)


def drift_text(report):
    """A drift report as one line per difference, each starting with its host; "HOST: no drift" for the others."""
    lines = []
    for host, drift in sorted(report['hosts'].items()):
        if drift['error']:
            lines.append('%s: not checked: %s' % (host, drift['error']))
        for item in drift['parameters']:
            lines.append('%s: main.cf %s: host %s, inventory %s' % (host, item['name'], _shown(item['host']),
                                                                    _shown(item['inventory'])))
        for item in drift['services']:
            lines.append('%s: master.cf %s: host %s, inventory %s' % (host, item['service'], _shown(item['host']),
                                                                      _shown(item['inventory'])))
        for item in drift['table_entries']:
            lines.append('%s: %s %s: host %s, inventory %s' % (host, item['table'], item['key'], _shown(item['host']),
                                                               _shown(item['inventory'])))
        for item in drift['tables']:
            lines.append('%s: %s: %s' % (host, item['table'], item['difference']))
        if drift['reload']:
            lines.append('%s: an earlier change went live without its reload' % host)
        if not drift['drift']:
            lines.append('%s: no drift' % host)
    return lines


class FilterModule:
    def filters(self):
        return {'drift_report': drift_report, 'drift_text': drift_text}
