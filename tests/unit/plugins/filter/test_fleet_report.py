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

from ansible_collections.mailops.postfix.plugins.filter.fleet_report import STAGES, log_merge, report_table
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
         'dominant': 'before_qmgr', 'relay_open': False, 'cert_days': 63},
        {'host': 'mx2', 'version': None, 'frozen': True, 'queue': None, 'oldest': None, 'bounce_in': None,
         'sent': None, 'delay': None, 'dominant': None, 'relay_open': True, 'cert_days': None},
    ]
    assert report_table(rows) == [
        'host             version  frozen  queue  oldest s  bounce in s  sent   p90 s  p99 s   dominant stage  relay '
        '  cert days',
        'mx1.example.com  3.7.11   no      12     7200      424800       84209  2.1    1108.0  before_qmgr     closed'
        '  63',
        'mx2              -        yes     -      -         -            -      -      -       -               OPEN  '
        '  -',
    ]


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
