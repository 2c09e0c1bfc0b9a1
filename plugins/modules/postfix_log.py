#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_log
short_description: Delivery delays, deferral and bounce reasons, rejects and TLS usage from the Postfix mail log
version_added: 0.1.0
description:
  - Reads the mail log over a time window and reports, per delivery status (sent, deferred, bounced and the other
    statuses Postfix logs) and per relay, recipient domain and transport, the number of deliveries and the 50th, 90th
    and 99th percentile and the maximum of the total delay and of each stage of C(delays=a/b/c/d), with the stage
    that dominates; expired mail; the most frequent deferral and bounce reasons and reject replies (normalised, so
    that addresses, hosts, IP addresses and numbers do not split them), rejects by restriction, client and sender,
    and TLS usage.
  - And the rest of pflogsumm's report, bytes received and delivered, traffic per hour and per day, distinct
    messages deferred next to the deferrals, the top senders, recipients, sending domains and hosts by count and
    size, and the warnings, fatal errors and panics of each daemon with their most frequent messages.
  - Reads a file with its rotated and compressed predecessors (C(maillog), C(maillog.1), C(maillog.2.gz),
    C(maillog-20261201.gz), Postfix's own C(postfix.log.20261201-120000.gz)), or the systemd journal. Lines written by
    postlogd (O(path) is C(maillog_file)), by syslog (traditional or RFC 3339 time stamps) and by journalctl are read
    alike, from Postfix 3.7 to 3.10.
  - Delays are reported at Postfix's own resolution, two significant digits, so that a reported value is one Postfix
    can log. A percentile is the delay of its rank in the log rounded to two significant digits, which is the value
    Postfix logged when it is below 100 s (and within 5% of it above); the maximum is exact. Memory stays flat
    whatever the size of the log. With O(raw=true) the result carries the raw mergeable form, which the filter of a
    report playbook merges across hosts exactly.
  - Big files are read by several processes at once, compressed files each in its own process.
  - Nothing in the log stops the report. A line that looks like a delivery but does not read as one (a damaged
    line, C(delay=.)) is skipped and counted in RV(skipped_lines), with examples. A compressed file that is
    damaged or truncated is read as far as it can be decompressed, as C(zcat) reads it, with a warning naming it;
    a rotated file that cannot be read is a warning.
  - Read-only; it never reports a change.
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
  - mailops.postfix.common.read_only_attributes
options:
  source:
    description:
      - Where the log is. V(file) reads O(path); V(journal) runs C(journalctl).
      - V(auto) reads O(path) when given; otherwise the file Postfix writes itself (C(maillog_file), Postfix 3.4 and
        later), else C(/var/log/mail.log), else C(/var/log/maillog), else the journal.
    type: str
    choices: [auto, file, journal]
    default: auto
  path:
    description:
      - The current log file, for example V(/var/log/mail.log). Its rotated predecessors in the same directory are read
        too (see O(rotated)); C(.gz), C(.bz2) and C(.xz) files are decompressed as they are read.
    type: path
  rotated:
    description: Also read the rotated files of O(path) (C(PATH.N), C(PATH-DATE), C(PATH.DATE-TIME), compressed or not).
    type: bool
    default: true
  journal_units:
    description: The systemd units whose journal is read (C(journalctl -u)); patterns are allowed.
    type: list
    elements: str
    default: ['postfix*']
  since:
    description:
      - The start of the time window, as a date and time (V(2026-12-01 08:00), V(2026-12-01T08:00:00+01:00); without a
        time zone, the managed host's local time) or as a duration before now (V(2h), V(1d12h), V(90m); units s, m, h,
        d, w).
      - Without O(since) and O(window), the window starts with the oldest line.
    type: str
  until:
    description: The end of the window (included), in the same forms as O(since); without it, now.
    type: str
  window:
    description: The length of the window before O(until), as a duration (V(1h), V(24h), V(7d)). Not with O(since).
    type: str
  top:
    description:
      - How many relays, domains, transports, reasons and reject restrictions the report lists, most frequent first.
    type: int
    default: 10
  max_keys:
    description:
      - How many relays, recipient domains and transports the module keeps per status, with their own delay histograms.
        Beyond that, the least frequent are folded into C((other)); counts and the totals stay exact.
    type: int
    default: 100
  processes:
    description:
      - How many processes read at once. V(0) uses every CPU the module may run on. Files smaller than 32 MB are read in
        one process.
    type: int
    default: 0
  raw:
    description:
      - Also return RV(raw), the mergeable form of the statistics (the counts of each delay, counts, sums and maxima), which
        merges exactly with the raw form of other hosts or other windows.
    type: bool
    default: false
notes:
  - Reading a log needs root or the adm group (become), as the files are readable by root and adm only; a log
    that cannot be read is an error that says so.
  - The lines of a log are in time order; the window is found by a binary search in each uncompressed file, so only the
    lines in the window are read. Compressed files and the journal are read up to the end of the window.
  - Syslog's traditional time stamps have no year; it is taken from the file's modification time.
  - Postfix logs C(status=expired) per message, with the sender only; expired mail is counted, without delays or
    relays.
  - The restriction of a reject is inferred from smtpd's reply text (Postfix does not log it); replies of access tables
    and policy services are attributed to the part of the request they reject (C(check_recipient_access)...).
seealso:
  - name: Postfix logging
    description: The delays=a/b/c/d fields and the time stamps of postlogd.
    link: https://www.postfix.org/MAILLOG_README.html
  - module: mailops.postfix.postfix_queue
    description: What is deferred now, and why.
'''

EXAMPLES = r'''
# Ad hoc (become: the log is readable by root and adm only):
#   ansible mx -b -m mailops.postfix.postfix_log -a 'window=1h top=5'

- name: Delivery delays of the last 24 hours
  mailops.postfix.postfix_log:
    window: 24h
  become: true
  register: log

- name: Show what holds mail up
  ansible.builtin.debug:
    msg: >-
      {{ log.counts.sent }} sent{% if log.counts.sent %}, p99 {{ log.delivery.sent.delay.p99 }} s, dominated by
      {{ log.delivery.sent.dominant_stage }}{% endif %}; top deferral: {{ log.deferral_reasons[0].reason | default('none') }}

- name: A day in the past, from a file and its rotated predecessors, with the mergeable form for a fleet report
  mailops.postfix.postfix_log:
    path: /var/log/mail.log
    since: '2026-12-01 00:00'
    until: '2026-12-01 23:59:59'
    raw: true
  become: true

- name: From the journal
  mailops.postfix.postfix_log:
    source: journal
    window: 6h
  become: true
'''

RETURN = r'''
source:
  description: What was read. C(type) is V(file) or V(journal); C(files) the files with their sizes (bytes); C(command)
    the journalctl command.
  returned: always
  type: dict
  sample: {"type": "file", "files": [{"path": "/var/log/mail.log", "bytes": 10485760}], "read_bytes": 10485760}
window:
  description: The time window, as ISO 8601 date-times (null when open).
  returned: always
  type: dict
  sample: {"since": "2026-12-01T11:00:00+00:00", "until": "2026-12-01T12:00:00+00:00"}
period:
  description: The time stamps of the first and the last line read.
  returned: always
  type: dict
lines:
  description: The number of lines read.
  returned: always
  type: int
skipped_lines:
  description:
    - The lines that could not be read and were skipped (C(count)), and the first five of them (C(examples), each
      cut to 200 characters). A line is skipped when it looks like a delivery (it has C(, status=)) but does not
      read as a delivery or an expiry, or when it is longer than 64 kB.
  returned: always
  type: dict
  sample: {"count": 1, "examples": ["Dec  1 10:00:01 mx postfix/smtp[2002]: 1B2C3D4E5F: to=<bob@example.net>,
           relay=none, delay=1..5, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection refused)"]}
resolution:
  description: The resolution of the reported delays, V(two significant digits) (as Postfix logs them).
  returned: always
  type: str
counts:
  description:
    - Deliveries per status (C(sent), C(deferred), C(bounced) and any other status logged); C(delivered) is C(sent)
      without C(forwarded) (local(8) resubmitted the message); C(received) the messages that entered the queue (smtpd
      C(client=) and pickup lines); C(expired) the messages returned after their queue lifetime or C(postsuper -e);
      C(rejected) the reject and milter-reject lines of smtpd, postscreen and cleanup (pflogsumm counts the
      milter-reject lines of cleanup only).
    - C(deferred) counts deferral lines (pflogsumm's "deferrals"); C(deferred_messages) the distinct messages
      deferred (pflogsumm's "deferred"), a message counting once from its arrival to its removal.
  returned: always
  type: dict
  sample: {"sent": 84209, "delivered": 84109, "forwarded": 100, "deferred": 11599, "deferred_messages": 4635,
           "bounced": 2210, "expired": 370, "received": 72892, "rejected": 19949}
bytes:
  description:
    - C(received) the sizes of the messages that arrived (smtpd, pickup) as the queue manager first logs them;
      C(delivered) the size of each delivered recipient's message (pflogsumm's "bytes received" and "bytes
      delivered"). A delivery whose message was queued before the window has no size.
  returned: always
  type: dict
  sample: {"received": 44912404782, "delivered": 55502769972}
traffic:
  description:
    - C(hours) and C(days) (the managed host's local time), the messages C(received), C(delivered), C(deferred)
      (deferral lines), C(bounced) and C(rejected) in each hour and day that has lines, in time order.
  returned: always
  type: dict
  sample: {"hours": [{"hour": "2026-12-01T10:00:00+00:00", "received": 3012, "delivered": 3480, "deferred": 412,
           "bounced": 80, "rejected": 812}], "days": [{"day": "2026-12-01", "received": 71523, "delivered": 82813,
           "deferred": 11792, "bounced": 2251, "rejected": 19434}]}
senders:
  description:
    - The top senders of the messages that arrived (addresses lower-cased, C(<>) the null sender), C(by_count)
      (C(address), C(count)) and C(by_size) (C(address), C(bytes)). Kept in bounded memory (the 2,000 largest),
      each count at most C(error) (C(bytes_error)) below the true one; 0 means exact.
  returned: always
  type: dict
  sample: {"by_count": [{"address": "news@lists.example.net", "count": 5120}], "error": 0,
           "by_size": [{"address": "news@lists.example.net", "bytes": 51200000}], "bytes_error": 0}
recipients:
  description: The top recipients of delivered mail, as RV(senders).
  returned: always
  type: dict
sending_domains:
  description: The top sending domains (the sender's domain, or the client for the null sender, as pflogsumm counts
    them), C(by_count) and C(by_size) (C(domain)), as RV(senders).
  returned: always
  type: dict
sending_hosts:
  description: The top clients that sent mail in (smtpd's C(client=), the host name, or C([address]) when it has
    none), C(by_count) (C(host), C(count)).
  returned: always
  type: dict
problems:
  description:
    - The C(warning), C(fatal) and C(panic) lines of the daemons (pflogsumm's "Warnings", "Fatal Errors" and
      "Panics"), per level the C(count) and C(by_daemon), each with its C(count) and top normalised C(messages).
  returned: always
  type: dict
  sample: {"warning": {"count": 2, "by_daemon": [{"daemon": "smtpd", "count": 2, "messages": [
           {"message": "non-SMTP command from HOST: GET / HTTP/N", "count": 2}]}]}, "fatal": {"count": 0,
           "by_daemon": []}, "panic": {"count": 0, "by_daemon": []}}
delivery:
  description:
    - Per status, the count, then for the total C(delay) and each stage (C(before_qmgr), C(in_qmgr), C(conn_setup),
      C(transmission)) its C(p50), C(p90), C(p99) and C(max) in seconds; C(stage_share) the share of each stage in the
      summed stage delays and C(dominant_stage) the largest. C(by_relay), C(by_domain) and C(by_transport) list the
      same for the O(top) most frequent relays (host names), recipient domains and transports.
    - C(expired) has the count only, and C(forced) (C(postsuper -e)).
    - C(sent), C(deferred) and C(bounced) are always there; without deliveries of a status in the window, its
      count is 0 and its percentiles are null.
  returned: always
  type: dict
  sample:
    sent:
      count: 84209
      delay: {"p50": 0.5, "p90": 2.1, "p99": 1108.0, "max": 6575.0}
      before_qmgr: {"p50": 0.31, "p90": 0.57, "p99": 1108.0, "max": 6574.0}
      in_qmgr: {"p50": 0.01, "p90": 0.05, "p99": 3.1, "max": 14.0}
      conn_setup: {"p50": 0.0, "p90": 0.75, "p99": 2.3, "max": 20.0}
      transmission: {"p50": 0.05, "p90": 0.39, "p99": 1.5, "max": 11.0}
      stage_share: {"before_qmgr": 0.984, "in_qmgr": 0.003, "conn_setup": 0.008, "transmission": 0.005}
      dominant_stage: before_qmgr
      by_relay: [{"name": "mx1.example.net", "count": 2734, "delay": {"p50": 1.1, "p90": 2.5, "p99": 8.2, "max": 40.0}}]
      by_domain: []
      by_transport: []
    expired: {"count": 370, "forced": 0}
deferral_reasons:
  description: The most frequent normalised deferral reasons.
  returned: always
  type: list
  elements: dict
  sample: [{"reason": "connect to HOST: Connection timed out", "count": 4315}]
bounce_reasons:
  description: The most frequent normalised bounce reasons.
  returned: always
  type: list
  elements: dict
  sample: [{"reason": "host HOST said: 550 5.1.1 ADDRESS: User unknown (in reply to RCPT TO command)", "count": 314}]
rejects:
  description:
    - C(total) and C(by_action) (C(reject), C(reject_warning), C(milter-reject), C(discard), C(hold)...);
      C(by_restriction) the most frequent restrictions with their most frequent replies; C(by_client) and
      C(by_sender) the clients and senders most rejected (reject and milter-reject), each count at most C(error)
      below the true one.
  returned: always
  type: dict
  sample:
    total: 19949
    by_action: {"reject": 19484, "milter-reject": 465}
    by_restriction:
      - {"action": "reject", "restriction": "reject_unauth_destination", "count": 2818,
         "replies": [{"reply": "554 5.7.1 ADDRESS: Relay access denied", "count": 2818}]}
tls:
  description:
    - C(inbound) (smtpd) and C(outbound) (smtp, lmtp) TLS connections (C(established)) by C(level) (Anonymous,
      Untrusted, Trusted, Verified), C(protocol), C(cipher) and C(key_exchange); needs C(smtpd_tls_loglevel) and
      C(smtp_tls_loglevel) of 1 or more. C(inbound.connections) counts smtpd sessions, C(inbound.share) the share
      with TLS.
  returned: always
  type: dict
  sample: {"inbound": {"established": 68666, "connections": 88092, "share": 0.779, "level": {"Anonymous": 68666},
           "protocol": {"TLSv1.3": 59533, "TLSv1.2": 9133}, "cipher": {}, "key_exchange": {"x25519": 59533}},
           "outbound": {"established": 23395, "level": {"Untrusted": 11587, "Verified": 5915, "Trusted": 5893}}}
raw:
  description:
    - The mergeable form, as one text (C(mailops.postfix.postfix_log/2:) and the form as JSON, compressed with zlib,
      in base64) that the P(mailops.postfix.log_merge#filter) filter reads. Each distribution counts the delays
      rounded to two significant digits, with their exact sum and maximum; counts, sums, maxima and the counts of
      each value add up, so the raw forms of several hosts merge exactly (the top tables within their error
      bounds).
  returned: when O(raw=true)
  type: str
'''

import os
import re
import time
from datetime import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import common_argument_spec
from ansible_collections.mailops.postfix.plugins.module_utils.log.files import (
    STANDARD_PATHS,
    LogError,
    check_log_file,
    file_parts,
    log_files,
    plan_work,
    process_count,
    read_in_processes,
    read_journal,
)
from ansible_collections.mailops.postfix.plugins.module_utils.log.report import report
from ansible_collections.mailops.postfix.plugins.module_utils.log.stats import (
    LogStats, complete_tops, encode, merge, stitch)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError, reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner

DURATION = re.compile(r'(\d+[smhdw])+|\d+')
UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


# ---------------------------------------------------------------------------
# Arguments: the time window

def parse_time(value, option, now):
    """Epoch seconds of a date-time or of a duration before ``now``."""
    text = value.strip()
    if DURATION.fullmatch(text):
        return now - duration(text)
    try:
        stamp = datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        raise LogError('%s=%s is neither a date-time (2026-12-01 08:00, 2026-12-01T08:00:00+01:00) nor a duration '
                       'before now (2h, 1d12h)' % (option, value))
    return stamp.timestamp()


def duration(text):
    """'1h30m' -> 5400 seconds; a bare number is seconds."""
    if text.isdigit():
        return int(text)
    return sum(int(number) * UNITS[unit] for number, unit in re.findall(r'(\d+)([smhdw])', text))


def time_window(params, now):
    """(since, until) in epoch seconds; None where open."""
    until = parse_time(params['until'], 'until', now) if params['until'] else None
    if params['window']:
        if not DURATION.fullmatch(params['window'].strip()):
            raise LogError('window=%s is not a duration: give a number with a unit s, m, h, d or w (1h, 24h, 7d)'
                           % params['window'])
        since = (now if until is None else until) - duration(params['window'].strip())
    else:
        since = parse_time(params['since'], 'since', now) if params['since'] else None
    if since is not None and until is not None and since > until:
        raise LogError('the window starts after it ends (since %s, until %s)' % (iso(since), iso(until)))
    return since, until


def iso(stamp):
    return None if stamp is None else datetime.fromtimestamp(stamp).astimezone().isoformat()


# ---------------------------------------------------------------------------
# Read: where the log is, and which parts of which files

def find_source(module, runner, params, warnings):
    """('file', [paths]) or ('journal', argv)."""
    source, path = params['source'], params['path']
    if source == 'journal' or (source == 'auto' and not path):
        if source == 'auto':
            path = postfix_log_file(runner) or next((name for name in STANDARD_PATHS if os.path.exists(name)), None)
        if not path:
            journalctl = module.get_bin_path('journalctl')
            if journalctl is None:
                raise LogError('no mail log found: maillog_file is not set (postconf -h maillog_file), %s do not '
                               'exist and journalctl is not installed; name the log with path'
                               % ' and '.join(STANDARD_PATHS))
            return 'journal', [journalctl, '--no-pager', '--quiet', '--output=short-iso'] + [
                '--unit=%s' % unit for unit in params['journal_units']]
    if not path:
        raise LogError('source=file needs path, the log file to read')
    check_log_file(path)
    return 'file', log_files(path, params['rotated'], warnings)


def postfix_log_file(runner):
    """Postfix's own log file (maillog_file, postlogd), when it is set and exists."""
    try:
        name = runner.run('postconf', ['hide_names'], ['maillog_file'])[1].strip()
    except PostfixCommandError:
        return None  # no Postfix here, or an older one: syslog's files or the journal
    return name if name.startswith('/') and os.path.isfile(name) else None


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def read_files(parts, processes, since, until, max_keys, warnings):
    """The merged raw form of the parts of the log files, read in processes. (A function of its own: what each
    process returned is freed before the report is made.)"""
    results = []
    if parts:
        results, more = read_in_processes(plan_work(parts, processes), since, until, lambda: LogStats(max_keys))
        warnings.extend(more)
    carries = [piece for dummy, pieces in results for piece in pieces]
    return merge(*complete_tops([raw for raw, dummy in results]), stitch(carries, max_keys, internal=True),
                 max_keys=max_keys)


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(
        source={'type': 'str', 'default': 'auto', 'choices': ['auto', 'file', 'journal']},
        path={'type': 'path'},
        rotated={'type': 'bool', 'default': True},
        journal_units={'type': 'list', 'elements': 'str', 'default': ['postfix*']},
        since={'type': 'str'},
        until={'type': 'str'},
        window={'type': 'str'},
        top={'type': 'int', 'default': 10},
        max_keys={'type': 'int', 'default': 100, 'no_log': False},
        processes={'type': 'int', 'default': 0},
        raw={'type': 'bool', 'default': False},
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[('since', 'window')])
    params = module.params
    result = {'changed': False}
    with reported_failures(module, result):
        for name in ('top', 'max_keys'):
            if params[name] < 1:
                raise LogError('%s=%d: must be 1 or more' % (name, params[name]))
        processes = process_count(params['processes'])
        since, until = time_window(params, time.time())
        result['window'] = {'since': iso(since), 'until': iso(until)}
        warnings = []
        kind, found = find_source(module, PostfixRunner(module, params['config_dir']), params, warnings)
        if kind == 'journal':
            result['source'] = {'type': 'journal', 'command': found}
            stats = LogStats(params['max_keys'])
            read_journal(found, since, until, stats, time.time())
            raw = stats.to_raw()
        else:
            parts = [part for path in found for part in file_parts(path, since, until, warnings)]
            result['source'] = {'type': 'file', 'files': [{'path': path, 'bytes': file_size(path)} for path in found],
                                'read_bytes': sum((file_size(path) or 0) if start is None else end - start
                                                  for path, start, end, dummy in parts)}
            raw = read_files(parts, processes, since, until, params['max_keys'], warnings)
        for warning in warnings:
            module.warn(warning)
        result.update(report(raw, params['top']))
        if params['raw']:
            result['raw'] = encode(raw)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
