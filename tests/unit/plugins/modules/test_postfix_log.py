# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the postfix_log module: the time window, finding the log (maillog_file, rotated and compressed
files, the journal), splitting the work between processes, and whole runs of main() on the captured logs."""

from __future__ import annotations

import bz2
import calendar
import gzip
import os
import time

import jinja2
import pytest
import yaml

from ansible_collections.mailops.postfix.plugins.module_utils.log import files as log_files
from ansible_collections.mailops.postfix.plugins.module_utils.log import lines as log_lines
from ansible_collections.mailops.postfix.plugins.module_utils.log import report as log_report
from ansible_collections.mailops.postfix.plugins.module_utils.log import stats as log_stats
from ansible_collections.mailops.postfix.plugins.modules import postfix_log

LOGS = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'log')
NOW = calendar.timegm((2026, 12, 3, 0, 0, 0))


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path, postfix):
    """UTC (the captures' time zone), no log in the standard places, the fake Postfix with maillog_file unset, a
    PATH without journalctl."""
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    postfix.main_cf['maillog_file'] = ''
    monkeypatch.setattr(postfix_log, 'STANDARD_PATHS', (str(tmp_path / 'no-mail.log'),))
    monkeypatch.setenv('PATH', str(tmp_path / 'bin'))
    monkeypatch.setattr('ansible.module_utils.basic.AnsibleModule.get_bin_path',
                        lambda self, name, required=False, opt_dirs=None: (
                            str(tmp_path / 'bin' / name) if os.path.exists(tmp_path / 'bin' / name) else None))
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def run(run_module):
    """run(**args): postfix_log's result (the shared harness, on the fake Postfix)."""
    return lambda **args: run_module(postfix_log, **args)


def capture(name):
    with open(os.path.join(LOGS, name), 'rb') as handle:
        return handle.read()


def write(path, data, mtime=NOW):
    """A log file, compressed after its suffix, with the modification time of its last line's day."""
    opener = {'.gz': gzip.open, '.bz2': bz2.open}.get(os.path.splitext(str(path))[1], open)
    with opener(path, 'wb') as handle:
        handle.write(data)
    os.utime(path, (mtime, mtime))
    return str(path)


def without_source(result):
    return {key: value for key, value in result.items() if key not in ('source', 'invocation')}


# ---------------------------------------------------------------------------
# The time window

@pytest.mark.parametrize('text, expected', [
    ('2h', NOW - 7200), ('1d12h', NOW - 129600), ('90m', NOW - 5400), ('30', NOW - 30), ('1w', NOW - 604800),
    ('2026-12-01 08:00', calendar.timegm((2026, 12, 1, 8, 0, 0))),
    ('2026-12-01T08:00:00+01:00', calendar.timegm((2026, 12, 1, 7, 0, 0))),
    ('2026-12-01T08:00:00Z', calendar.timegm((2026, 12, 1, 8, 0, 0))),
    ('2026-12-01', calendar.timegm((2026, 12, 1, 0, 0, 0))),
])
def test_since_and_until_take_date_times_and_durations(text, expected):
    assert postfix_log.parse_time(text, 'since', NOW) == expected


def test_a_window_ends_at_until_or_now():
    params = {'since': None, 'until': None, 'window': '1h'}
    assert postfix_log.time_window(params, NOW) == (NOW - 3600, None)
    params['until'] = '2026-12-01 12:00'
    assert postfix_log.time_window(params, NOW) == (calendar.timegm((2026, 12, 1, 11, 0, 0)),
                                                    calendar.timegm((2026, 12, 1, 12, 0, 0)))
    assert postfix_log.time_window({'since': None, 'until': None, 'window': None}, NOW) == (None, None)


@pytest.mark.parametrize('params, message', [
    ({'since': 'yesterday', 'until': None, 'window': None}, 'since=yesterday is neither a date-time'),
    ({'since': None, 'until': None, 'window': '2026-12-01'}, 'window=2026-12-01 is not a duration'),
    ({'since': '1h', 'until': '2h', 'window': None}, 'the window starts after it ends'),
])
def test_windows_that_cannot_be_understood(params, message):
    with pytest.raises(postfix_log.LogError, match=message):
        postfix_log.time_window(params, NOW)


# ---------------------------------------------------------------------------
# Finding the log

def test_rotated_files_oldest_first(tmp_path):
    names = ['mail.log', 'mail.log.1', 'mail.log.2.gz', 'mail.log-20261130.gz', 'mail.log.20261129-120000.bz2',
             'mail.log.bak', 'mail.logger', 'other.log.1']
    for age, name in enumerate(names):
        write(tmp_path / name, b'', NOW - age * 86400)
    assert [os.path.basename(path) for path in postfix_log.log_files(str(tmp_path / 'mail.log'), True, [])] == \
        ['mail.log.20261129-120000.bz2', 'mail.log-20261130.gz', 'mail.log.2.gz', 'mail.log.1', 'mail.log']
    assert postfix_log.log_files(str(tmp_path / 'mail.log'), False, []) == [str(tmp_path / 'mail.log')]


def test_rotated_and_compressed_files_read_as_one_log(run, tmp_path):
    data = capture('postfix-3.7.syslog')
    lines = data.splitlines(keepends=True)
    write(tmp_path / 'whole.log', data)
    write(tmp_path / 'mail.log.2.gz', b''.join(lines[:150]), NOW - 200)
    write(tmp_path / 'mail.log.1', b''.join(lines[150:300]), NOW - 100)
    write(tmp_path / 'mail.log', b''.join(lines[300:]))
    rotated = run(path=str(tmp_path / 'mail.log'), processes=2)
    assert [item['path'] for item in rotated['source']['files']] == [
        str(tmp_path / name) for name in ('mail.log.2.gz', 'mail.log.1', 'mail.log')]
    whole = run(path=str(tmp_path / 'whole.log'), processes=1)
    assert without_source(rotated) == without_source(whole)
    assert whole['changed'] is False and whole['lines'] == 469


def test_postfix_s_own_log_file_first(run, tmp_path, postfix):
    postfix.main_cf['maillog_file'] = write(tmp_path / 'postfix.log', capture('postfix-3.10.log'))
    result = run()
    assert postfix.calls == [('postconf', ['hide_names'], ['maillog_file'])]
    assert result['source']['files'] == [{'path': str(tmp_path / 'postfix.log'), 'bytes': 59963}]
    assert result['counts']['sent'] == 46


def test_then_the_standard_files(run, tmp_path, monkeypatch, postfix):
    postfix.fail('postconf', 127, 'postconf: not found')  # no Postfix: a syslog host, say
    monkeypatch.setattr(postfix_log, 'STANDARD_PATHS', (str(tmp_path / 'mail.log'), str(tmp_path / 'maillog')))
    write(tmp_path / 'maillog', capture('postfix-3.7.syslog'))
    assert run()['source']['files'][0]['path'] == str(tmp_path / 'maillog')


def test_then_the_journal(run, tmp_path):
    (tmp_path / 'bin').mkdir()
    journalctl = tmp_path / 'bin' / 'journalctl'
    journalctl.write_text('#!/bin/sh\necho "$@" > %s/args\nexec /bin/cat %s\n'
                          % (tmp_path, os.path.join(LOGS, 'postfix-3.10.journal')))
    journalctl.chmod(0o755)
    result = run(since='2026-12-02T00:05:15Z', until='2026-12-02T00:05:21Z')
    since, until = calendar.timegm((2026, 12, 2, 0, 5, 15)), calendar.timegm((2026, 12, 2, 0, 5, 21))
    assert result['source'] == {'type': 'journal', 'command': [str(journalctl), '--no-pager', '--quiet',
                                                               '--output=short-iso', '--unit=postfix*']}
    assert (tmp_path / 'args').read_text().split() == ['--no-pager', '--quiet', '--output=short-iso',
                                                       '--unit=postfix*', '--since=@%d' % since,
                                                       '--until=@%d' % (until + 1)]
    # journalctl here prints everything: the module keeps the window itself.
    expected = [line for line in (log_lines.parse_line(text, NOW) for text in capture('postfix-3.10.log').splitlines())
                if since <= line['time'] <= until]
    assert result['lines'] == len(expected)
    assert result['period'] == {'first': '2026-12-02T00:05:15+00:00', 'last': '2026-12-02T00:05:21+00:00'}


@pytest.mark.parametrize('args, message', [
    ({}, 'no mail log found: maillog_file is not set'),
    ({'source': 'file'}, 'source=file needs path'),
    ({'path': '/nonexistent/mail.log'}, '/nonexistent/mail.log does not exist (path)'),
    ({'path': LOGS}, LOGS + ' is a directory: name the log file (path)'),
    ({'path': os.path.join(LOGS, 'hand-made.log'), 'since': '1h', 'window': '1h'},
     'parameters are mutually exclusive: since|window'),
    ({'path': os.path.join(LOGS, 'hand-made.log'), 'top': 0}, 'top=0: must be 1 or more'),
    ({'path': os.path.join(LOGS, 'hand-made.log'), 'processes': -1}, 'processes=-1: must be 0'),
])
def test_failures(run, args, message):
    result = run(**args)
    assert result['failed'] is True
    assert message in result['msg']


# ---------------------------------------------------------------------------
# The window in files, and the work of several processes

@pytest.mark.parametrize('name', ['mail.log', 'mail.log.gz'])
def test_only_the_lines_of_the_window_are_read(run, tmp_path, name):
    data = capture('postfix-3.10.syslog')
    path = write(tmp_path / name, data)
    since, until = calendar.timegm((2026, 12, 2, 0, 5, 15)), calendar.timegm((2026, 12, 2, 0, 5, 21))
    result = run(path=path, since='2026-12-02 00:05:15', until='2026-12-02 00:05:21')
    inside = [text for text in data.splitlines(keepends=True) if since <= log_lines.stamp_time(text, NOW) <= until]
    stats = log_stats.LogStats()
    stats.read(b''.join(inside), log_lines.StampReader(NOW))
    expected = log_report.report(stats.to_raw())
    assert {key: result[key] for key in expected} == expected
    if name == 'mail.log':
        assert result['source']['read_bytes'] == len(b''.join(inside))
    assert result['window'] == {'since': '2026-12-02T00:05:15+00:00', 'until': '2026-12-02T00:05:21+00:00'}


def test_a_window_before_the_log_reads_nothing(run, tmp_path):
    path = write(tmp_path / 'mail.log', capture('postfix-3.7.log'))
    result = run(path=path, until='2026-11-01')
    assert result['lines'] == 0 and result['source']['read_bytes'] == 0


def test_pieces_of_a_file_read_by_several_processes_add_up(run, tmp_path, monkeypatch):
    path = write(tmp_path / 'mail.log', capture('postfix-3.7.syslog') + capture('postfix-3.10.rfc3339'))
    alone = run(path=path, processes=1, raw=True)
    monkeypatch.setattr(log_files, 'SPLIT_SIZE', 4096)
    work = postfix_log.plan_work(postfix_log.file_parts(path, None, None, []), 3)
    assert len(work) == 3 and all(len(pieces) == 1 for pieces in work)
    together = run(path=path, processes=3, raw=True)
    assert without_source(together) == without_source(alone)


def test_plan_work_splits_big_files_and_cuts_the_log_into_one_run_of_pieces_per_process(tmp_path, monkeypatch):
    monkeypatch.setattr(log_files, 'SPLIT_SIZE', 100)
    old = write(tmp_path / 'old.gz', b'x' * 50)
    parts = [('/big', 0, 1000, NOW), ('/small', 0, 150, NOW), (old, None, None, NOW)]
    # Each piece says where it is in the log: the file's place, and its start. A share is a run of pieces that
    # follow one another, cut where the middle of the work falls (the compressed file counts 5 times its size).
    assert postfix_log.plan_work(parts, 2) == [
        [('/big', 0, 500, NOW, (0, 0))],
        [('/big', 500, 1000, NOW, (0, 500)), ('/small', 0, 150, NOW, (1, 0)), (old, None, None, NOW, (2, 0))]]
    assert postfix_log.plan_work(parts, 1) == [[('/big', 0, 1000, NOW, (0, 0)), ('/small', 0, 150, NOW, (1, 0)),
                                                (old, None, None, NOW, (2, 0))]]
    many = [('/log.%d' % number, 0, 1000, NOW) for number in range(8)]
    work = postfix_log.plan_work(many, 2)
    assert [[piece[4] for piece in pieces] for pieces in work] == [
        [(number, start) for number in range(4) for start in (0, 500)],
        [(number, start) for number in range(4, 8) for start in (0, 500)]]


def test_raw_results_of_two_hosts_merge(run, tmp_path):
    first = run(path=write(tmp_path / 'a.log', capture('postfix-3.7.log')), raw=True)
    second = run(path=write(tmp_path / 'b.log', capture('postfix-3.10.log')), raw=True)
    merged = log_report.report(log_stats.merge(first['raw'], second['raw']))
    assert merged['counts']['sent'] == first['counts']['sent'] + second['counts']['sent']
    assert merged['lines'] == 469 + 473
    assert 'raw' not in run(path=str(tmp_path / 'a.log'))


def test_the_examples_read_a_quiet_host(run, tmp_path):
    """A host that delivered nothing in the window: the keys are there, with zero counts and null delays, and the
    EXAMPLE that shows what holds mail up renders."""
    path = write(tmp_path / 'mail.log', b'Dec  2 10:00:00 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n')
    result = run(path=path)
    assert result['counts']['sent'] == result['counts']['deferred'] == result['counts']['bounced'] == 0
    assert result['delivery']['sent']['delay'] == {'p50': None, 'p90': None, 'p99': None, 'max': None}
    assert result['deferral_reasons'] == []
    tasks = yaml.safe_load(postfix_log.EXAMPLES)
    message = next(task for task in tasks if task['name'] == 'Show what holds mail up')['ansible.builtin.debug']['msg']
    # As Ansible renders it: an undefined item or attribute stays undefined until default() replaces it.
    template = jinja2.Environment(undefined=jinja2.ChainableUndefined).from_string(message)
    assert template.render(log=result) == '0 sent; top deferral: none'
    busy = run(path=write(tmp_path / 'busy.log', capture('postfix-3.10.log')))
    rendered = template.render(log=busy)
    assert rendered.startswith('46 sent, p99 %s s, dominated by %s; top deferral: connect to HOST' % (
        busy['delivery']['sent']['delay']['p99'], busy['delivery']['sent']['dominant_stage']))


# ---------------------------------------------------------------------------
# Nothing stops a report

def test_a_damaged_rotated_archive_gives_its_readable_part_and_a_warning(run, tmp_path):
    data = capture('postfix-3.7.syslog')
    lines = data.splitlines(keepends=True)
    whole = gzip.compress(b''.join(lines[:300]))
    (tmp_path / 'mail.log.1.gz').write_bytes(whole[:len(whole) * 2 // 3])
    os.utime(tmp_path / 'mail.log.1.gz', (NOW - 100, NOW - 100))
    write(tmp_path / 'mail.log', b''.join(lines[300:]))
    result = run(path=str(tmp_path / 'mail.log'))
    assert 'failed' not in result
    # ansible-core 2.19 returns a warning as a summary of an event
    warnings = [item['event']['msg'] if isinstance(item, dict) else item for item in result['warnings']]
    assert len(warnings) == 1
    assert warnings[0].startswith('%s is damaged: read the ' % (tmp_path / 'mail.log.1.gz'))
    assert warnings[0].endswith('(the file ends inside its compressed data (truncated))')
    assert len(lines) - 300 < result['lines'] < len(lines)


def test_the_log_that_cannot_be_read_is_an_error_with_the_right_hint(run, tmp_path, monkeypatch):
    path = write(tmp_path / 'mail.log', capture('postfix-3.7.log'))

    def refused(name):
        raise PermissionError(13, 'Permission denied', name)
    monkeypatch.setattr(log_files, 'open_file', refused)
    result = run(path=path)
    assert result['failed'] is True
    assert result['msg'] == ('cannot read %s: permission denied; reading the mail log needs root or the adm group '
                             '(become: true)' % path)


def test_skipped_lines_are_counted_with_examples(run, tmp_path):
    good = capture('postfix-3.10.log')
    bad = b'Dec  2 00:05:30 mx postfix/smtp[1]: 1A: to=<a@b.example>, relay=none, delay=1..5, status=deferred (x)\n'
    result = run(path=write(tmp_path / 'mail.log', good + bad * 7))
    assert result['skipped_lines'] == {'count': 7, 'examples': [bad.decode().rstrip('\n')] * 5}
    assert result['counts']['deferred'] == run(path=write(tmp_path / 'good.log', good))['counts'][
        'deferred']
