# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/fleet_report.py: the fleet report's merge and console table."""

from __future__ import annotations

import html.parser
import json
import os

import jinja2
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.fleet_report import (
    STAGES,
    FilterModule,
    days_left,
    duration,
    log_merge,
    report_rows,
    report_table,
)
from ansible_collections.mailops.postfix.plugins.module_utils.log import report as log_report
from ansible_collections.mailops.postfix.tests.unit.plugins.module_utils.log.test_log_stats import random_lines, raw_of


def test_log_merge_of_hosts_is_the_report_of_all_their_lines():
    host_a, host_b = random_lines(1, 300), random_lines(2, 200)
    # As the hosts' results reach the controller: JSON.
    raws = [json.loads(json.dumps(raw_of(b''.join(lines)))) for lines in (host_a, host_b)]
    merged = log_merge(raws + [None], 5)
    together = log_report.report(raw_of(b''.join(host_a + host_b)), top=5)
    # The period of the hosts spans both; one file's is its first and last line.
    assert merged['period']['last'] >= together['period']['last']
    merged.pop('period')
    together.pop('period')
    assert merged == together
    assert merged['counts']['sent'] + merged['counts']['deferred'] + merged['counts']['bounced'] == 500


def test_log_merge_names_what_it_cannot_merge():
    with pytest.raises(AnsibleFilterError, match='log_merge: cannot merge postfix_log results of format'):
        log_merge([{'format': 'something else'}])


def test_report_table_aligns_the_rows():
    rows = [
        {'host': 'mx1.example.com', 'version': '3.7.11', 'frozen': False, 'queue': 12, 'oldest': 7200,
         'bounce_in': 424800, 'sent': 84209, 'delay': {'p50': 0.5, 'p90': 2.1, 'p99': 1108.0},
         'dominant': 'before_qmgr', 'relay_open': False, 'relay_decided': True, 'cert_days': 63},
        {'host': 'mx2', 'version': None, 'frozen': True, 'queue': None, 'oldest': None, 'bounce_in': None,
         'sent': None, 'delay': None, 'dominant': None, 'relay_open': True, 'relay_decided': True, 'cert_days': None},
        {'host': 'mx3', 'version': '3.10.5', 'frozen': False, 'queue': 1, 'oldest': 45, 'bounce_in': -3, 'sent': 0,
         'delay': {}, 'dominant': None, 'relay_open': True, 'relay_decided': False, 'cert_days': -2},
    ]
    assert report_table(rows) == [
        'host             version  frozen  queue  oldest  first bounce  sent   p90 s  p99 s   dominant stage  relay    '
        '  certificate',
        'mx1.example.com  3.7.11   no      12     2h 0m   in 4d 22h     84209  2.1    1108.0  before_qmgr     closed   '
        '  in 63 days',
        'mx2              -        yes     -      -       -             -      -      -       -               OPEN     '
        '  -',
        'mx3              3.10.5   no      1      45 s    now           0      -      -       -               UNDECIDED'
        '  expired 2 days ago',
    ]


@pytest.mark.parametrize('seconds, shown, relative', [
    (0, '0 s', 'now'), (42.4, '42 s', 'in 42 s'), (59.6, '1 min', 'in 1 min'), (60, '1 min', 'in 1 min'),
    (600, '10 min', 'in 10 min'), (3599, '59 min', 'in 59 min'), (3600, '1h 0m', 'in 1h 0m'),
    (18720, '5h 12m', 'in 5h 12m'), (86400, '1d 0h', 'in 1d 0h'), (431999, '4d 23h', 'in 4d 23h'),
    (-90, '1 min', 'now'), (None, None, None), ('soon', 'soon', 'soon'), (True, True, True),
])
def test_duration_reads_as_an_operator_reads_it(seconds, shown, relative):
    assert duration(seconds) == shown
    assert duration(seconds, relative=True) == relative


@pytest.mark.parametrize('days, shown', [
    (12, 'in 12 days'), (1, 'in 1 day'), (0, 'today'), (-1, 'expired 1 day ago'), (-3, 'expired 3 days ago'),
    (None, None),
])
def test_days_left(days, shown):
    assert days_left(days) == shown


INFO = {'version': '3.7.11', 'running': True, 'frozen': False, 'frozen_since': None, 'suspended_domains': [],
        'queue': {'total': 3, 'counts': {'deferred': 2}, 'oldest_age': 41, 'bounce_in': 259159},
        'relay': {'open': True, 'decided': False, 'element': 'check_client_access mysql:/etc/postfix/c.cf',
                  'reason': 'cannot see into mysql:'},
        'tls_certificate': {'days_left': 3649}}
LOG = {'counts': {'sent': 5, 'deferred': 4, 'bounced': 1, 'rejected': 2, 'deferred_messages': 3},
       'delivery': {'sent': {'delay': {'p50': 0.5}, 'before_qmgr': {'p50': 0.1}, 'in_qmgr': None,
                             'stage_share': {'before_qmgr': 1.0}, 'dominant_stage': 'before_qmgr'}},
       'deferral_reasons': [{'reason': str(n), 'count': n} for n in range(5)], 'bytes': {'received': 10},
       'traffic': {'hours': [{'hour': '2026-12-06T10', 'received': 1}]},
       'problems': {'warning': {'count': 7}, 'fatal': {'count': 0}, 'panic': {'count': 0}}}


def test_report_rows_read_each_host_s_results():
    rows = report_rows([{'host': 'mx1', 'info': INFO, 'log': LOG},
                        {'host': 'mx2', 'info': {'msg': 'unreachable'}, 'log': {'msg': 'unreachable'}},
                        {'host': 'mx3', 'info': INFO, 'log': {'failed': True, 'msg': 'no mail log found'}}])
    assert rows[0] == {
        'host': 'mx1', 'version': '3.7.11', 'running': True, 'frozen': False, 'frozen_since': None, 'suspended': [],
        'queue': 3, 'deferred': 2, 'oldest': 41, 'bounce_in': 259159, 'relay_open': True, 'relay_decided': False,
        'relay_element': 'check_client_access mysql:/etc/postfix/c.cf', 'relay_reason': 'cannot see into mysql:',
        'cert_days': 3649, 'sent': 5, 'deferrals': 4, 'bounced': 1, 'rejected': 2, 'delay': {'p50': 0.5},
        'stages': {'before_qmgr': {'p50': 0.1}, 'in_qmgr': None, 'conn_setup': None, 'transmission': None},
        'share': {'before_qmgr': 1.0}, 'dominant': 'before_qmgr',
        'deferral_reasons': [{'reason': '0', 'count': 0}, {'reason': '1', 'count': 1}, {'reason': '2', 'count': 2}],
        'deferred_messages': 3, 'bytes': {'received': 10}, 'traffic': [{'hour': '2026-12-06T10', 'received': 1}],
        'warnings': 7, 'fatal': 0, 'panics': 0, 'error': None}
    # A host that did not answer: its error, and nothing else made up.
    assert rows[1]['error'] == 'unreachable'
    assert {key for key, value in rows[1].items() if value is not None} == {'host', 'error', 'stages'}
    assert rows[1]['stages'] == {stage: None for stage in STAGES}
    assert rows[2]['error'] == 'no mail log found' and rows[2]['queue'] == 3 and rows[2]['sent'] is None


# ---------------------------------------------------------------------------
# The HTML report (playbooks/templates/report.html.j2): every value from a host is text

TEMPLATES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'playbooks', 'templates')


class Elements(html.parser.HTMLParser):
    """The tags and attributes of a page, and its text (with attribute values)."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(name for name, value in attrs)
        self.text.extend(value or '' for name, value in attrs)

    def handle_data(self, data):
        self.text.append(data)


def hostile(field):
    """Markup that would run script if it reached the page as markup."""
    return '<mailops-xss-%s onload="alert(1)"><script>alert("%s")</script>' % (field, field)


def render_report(rows, fleet, window='24h'):
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.Undefined)
    environment.filters.update(('mailops.postfix.' + name, function) for name, function in FilterModule().filters().items())
    return environment.get_template('report.html.j2').render(report_rows=rows, report_fleet=fleet,
                                                             report_window=window)


def test_the_html_report_shows_markup_from_hosts_as_text():
    row = {name: hostile(name) for name in (
        'host', 'version', 'frozen_since', 'queue', 'oldest', 'bounce_in', 'sent', 'relay_element', 'cert_days',
        'dominant')}
    row.update(frozen=True, relay_open=True, deferral_reasons=[{'reason': hostile('reason')}],
               delay={name: hostile('delay-' + name) for name in ('p50', 'p90', 'p99')},
               share={stage: 0.25 for stage in STAGES},
               stages={stage: {name: hostile('%s-%s' % (stage, name)) for name in ('p50', 'p90', 'p99', 'max')}
                       for stage in STAGES})
    row['traffic'] = [{'hour': hostile('hour'), 'received': 3, 'delivered': hostile('delivered'), 'deferred': 1}]
    # A host without delivered mail shows its error.
    failed = {'host': hostile('host2'), 'error': hostile('error'), 'share': hostile('share'),
              'delay': hostile('delay2'), 'stages': hostile('stages'), 'cert_days': hostile('cert2'),
              'traffic': hostile('traffic')}
    counted = ('received', 'delivered', 'deferred', 'deferred_messages', 'bounced', 'rejected')
    fleet = {'counts': {name: hostile('fleet-' + name) for name in counted},
             'bytes': {'received': hostile('bytes-received'), 'delivered': 3},
             'traffic': {'hours': [{'hour': hostile('fleet-hour'), 'received': 5}]},
             'deferral_reasons': [{'reason': hostile('fleet-reason'), 'count': 2}],
             'rejects': {'by_client': [{'client': hostile('reject-client'), 'count': 1}],
                         'by_sender': [{'sender': hostile('reject-sender'), 'count': hostile('reject-count')}],
                         'error': hostile('reject-error')},
             'problems': {'warning': {'by_daemon': [{'daemon': hostile('daemon'), 'messages': [
                 {'message': hostile('warning'), 'count': 1}]}]}}}
    for name, field in (('senders', 'address'), ('recipients', 'address'), ('sending_domains', 'domain'),
                        ('sending_hosts', 'host')):
        fleet[name] = {'by_count': [{field: hostile(name), 'count': 1}], 'error': 0,
                       'by_size': [{field: hostile(name + '-size'), 'bytes': 10}], 'bytes_error': 0}
    page = render_report([row, failed], fleet, window=hostile('window'))
    elements = Elements()
    elements.feed(page)
    assert not [tag for tag in elements.tags if tag.startswith('mailops-xss') or tag == 'script']
    assert 'onload' not in elements.attributes
    text = '\n'.join(elements.text)
    fields = [name for name in row if isinstance(row[name], str) and name != 'dominant'] + [
        'reason', 'host2', 'error', 'window', 'hour', 'delivered', 'bytes-received', 'fleet-hour', 'fleet-reason',
        'reject-client', 'reject-sender', 'reject-count', 'reject-error', 'daemon', 'warning'] + [
        'fleet-' + name for name in ('received', 'delivered', 'deferred', 'deferred_messages', 'bounced',
                                     'rejected')] + [
        name + suffix for name in ('senders', 'recipients', 'sending_domains', 'sending_hosts')
        for suffix in ('', '-size') if (name, suffix) != ('sending_hosts', '-size')] + [
        'delay-' + name for name in ('p50', 'p90', 'p99')] + [
        '%s-%s' % (stage, name) for stage in STAGES for name in ('p50', 'p90', 'p99', 'max')]
    for field in fields:
        assert hostile(field) in text, field


def test_the_html_report_shows_durations_as_an_operator_reads_them_and_an_undecided_relay():
    page = render_report(report_rows([{'host': 'mx1', 'info': INFO, 'log': LOG}]), log_merge([]))
    elements = Elements()
    elements.feed(page)
    cells = '\n'.join(elements.text)
    for shown in ('41 s', 'in 2d 23h', 'in 3649 days', 'UNDECIDED: check_client_access mysql:/etc/postfix/c.cf'):
        assert shown in cells, shown
    assert '259159' not in cells
