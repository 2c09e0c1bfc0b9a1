#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a realistic Postfix mail log of SIZE_MB megabytes, as syslog writes it.

Usage: log_generate.py SIZE_MB FILE [SEED] [--mix current|deferrals|noisy] [--domains N]

Two hosts log to one file, as on a central syslog server: mx1 runs Postfix 3.7
and mx2 Postfix 3.10 (their TLS lines differ: X25519 and x25519, and 3.10 with
OpenSSL 3.5 also negotiates X25519MLKEM768). The lines follow the formats
captured from the test bed (tests/unit/plugins/module_utils/fixtures/log/):
inbound mail over smtpd, submission and smtps, with and without TLS; local,
virtual, lmtp and pipe deliveries; outbound smtp with Untrusted, Trusted and
Verified TLS, connection reuse (conn_use=), IPv6 relays; NOQUEUE rejects by
several restrictions, header and milter rejects, discards; deferrals retried
later with whole-second delays, "delivery temporarily suspended" without a
connection, bounces with their notifications, and expired mail. Delays are
printed the way Postfix prints them: two significant digits, at most two
decimals. The same SEED gives the same file.

--mix chooses the traffic (MIXES below): "current", the mix above; "deferrals",
heavy in deferrals and bounces, with multi-recipient messages to several
domains, half the relays on IPv6, outbound mail through a second instance that
logs as postfix-out, and milter rejects from smtpd (greylisting at RCPT, a
spam filter at end of data); "noisy", RFC 3339 time stamps, postscreen in front
of smtpd, dovecot and opendkim lines in between, and warnings, fatal errors and
panics. --domains N sends outbound mail to N recipient domains (Zipf-like: a few
large, most small) instead of the few dozen of the default.
"""

import argparse
import heapq
import random
import time

LIFETIME = 3600  # maximal_queue_lifetime, short: a 100 MB log spans about four hours
START = time.mktime((2026, 11, 23, 0, 0, 0, 0, 0, -1))
PIDS = {'smtp': 3011, 'relay/smtp': 3012, 'lmtp': 3013, 'local': 3014, 'virtual': 3015, 'pipe': 3016, 'error': 3017}
MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split()
LOCAL_DOMAINS = ['ourcompany.example', 'lists.ourcompany.example', 'sub.ourcompany.example']
REMOTE_DOMAINS = ['gmail.example', 'outlook.example', 'yahoo.example', 'partner%d.example', 'customer%d.example']
TLS13 = 'TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange %s server-signature RSA-PSS (2048 ' \
        'bits) server-digest SHA256'
TLS12 = 'TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)'
DEFER_REASONS = [
    'host %(mx)s[%(ip)s] said: 450 4.2.1 The user you are trying to contact is receiving mail at a rate that '
    'prevents additional messages from being delivered (in reply to RCPT TO command)',
    'host %(mx)s[%(ip)s] said: 451 4.7.1 <%(rcpt)s>: Recipient address rejected: Greylisted, see '
    'http://postgrey.example/help/%(domain)s (in reply to RCPT TO command)',
    'connect to %(mx)s[%(ip)s]:25: Connection timed out',
    'lost connection with %(mx)s[%(ip)s] while receiving the initial server greeting',
    'Host or domain name not found. Name service error for name=%(domain)s type=MX: Host not found, try again',
    'host %(mx)s[%(ip)s] said: 421 4.7.0 Try again later, closing connection. (EHLO) %(token)s - gsmtp '
    '(in reply to end of DATA command)',
]
BOUNCE_REASONS = [
    'host %(mx)s[%(ip)s] said: 550 5.1.1 <%(rcpt)s>: Recipient address rejected: User unknown in virtual '
    'mailbox table (in reply to RCPT TO command)',
    'host %(mx)s[%(ip)s] said: 550-5.1.1 The email account that you tried to reach does not exist. %(token)s - '
    'gsmtp (in reply to RCPT TO command)',
    'host %(mx)s[%(ip)s] said: 552 5.2.2 <%(rcpt)s>: Mailbox full (in reply to RCPT TO command)',
    'Host or domain name not found. Name service error for name=%(domain)s type=A: Host not found',
]
REJECTS = [
    '554 5.7.1 Service unavailable; Client host [%(ip)s] blocked using zen.spamhaus.example; '
    'https://www.spamhaus.example/query/ip/%(ip)s',
    '450 4.7.25 Client host rejected: cannot find your hostname, [%(ip)s]',
    '550 5.1.1 <%(rcpt)s>: Recipient address rejected: User unknown in virtual mailbox table',
    '554 5.7.1 <%(rcpt)s>: Relay access denied',
    '504 5.5.2 <%(helo)s>: Helo command rejected: need fully-qualified hostname',
    '450 4.1.8 <%(sender)s>: Sender address rejected: Domain not found',
    '450 4.2.0 <%(rcpt)s>: Recipient address rejected: Greylisted, see http://postgrey.example/%(domain)s',
]


# What each mix changes; "current" is the mix this benchmark started with.
MIXES = {
    'current': {},
    'deferrals': {'defer': 0.3, 'bounce': 0.1, 'dead': 0.1, 'multi': 0.5, 'ipv6': 0.5, 'instance': 'postfix-out',
                  'smtpd_milter': 0.08},
    'noisy': {'rfc3339': True, 'postscreen': True, 'neighbours': True, 'warnings': 0.02},
}
WARNINGS = [
    ('smtpd', 'hostname %(client)s does not resolve to address %(ip)s: Name or service not known'),
    ('smtpd', 'non-SMTP command from unknown[%(ip)s]: GET / HTTP/1.1'),
    ('smtpd', 'TLS library problem: error:0A000126:SSL routines::unexpected eof while reading:'
              '../ssl/record/rec_layer_s3.c:%(number)d:'),
    ('smtp', 'problem talking to server %(ip)s:25: Connection reset by peer'),
    ('cleanup', 'milter inet:127.0.0.1:11332: can\'t read SMFIC_OPTNEG reply packet header: Connection timed out'),
    ('master', 'process /usr/lib/postfix/sbin/smtpd pid %(number)d exit status 1'),
    ('postscreen', 'getpeername: Transport endpoint is not connected -- dropping this connection'),
]
FATALS = [('smtpd', 'fatal', 'no SASL authentication mechanisms'),
          ('trivial-rewrite', 'fatal', 'open database /etc/postfix/transport.db: No such file or directory'),
          ('qmgr', 'panic', 'myfree: corrupt or unallocated memory block')]


def postfix_delay(seconds):
    """A delay as Postfix logs it: two significant digits, at most two decimals (format_tv())."""
    if seconds >= 10:
        return '%d' % seconds
    if seconds >= 1:
        return ('%.1f' % seconds).rstrip('0').rstrip('.')
    if seconds >= 0.005:
        return ('%.2f' % seconds).rstrip('0').rstrip('.')
    return '0'


class Log:
    """The event queue: lines are written in time order, whatever order they are made in."""

    def __init__(self, out, target, rfc3339=False):
        self.out, self.target, self.written = out, target, 0
        self.events, self.sequence, self.buffer = [], 0, []
        self.stamp_second, self.stamp = None, ''
        self.rfc3339 = rfc3339

    def at(self, when, host, program, pid, text, syslog='postfix'):
        """A line at ``when``: ``program`` after the syslog name (postfix/smtp), or the whole name (dovecot) when
        ``syslog`` is None; without ``pid``, no [pid]."""
        self.sequence += 1
        heapq.heappush(self.events, (when, self.sequence, host, program if syslog is None else syslog + '/' + program,
                                     pid, text))

    def flush_until(self, now):
        while self.events and self.events[0][0] <= now:
            when, dummy, host, program, pid, text = heapq.heappop(self.events)
            second = int(when)
            if second != self.stamp_second:
                tm = time.localtime(second)
                self.stamp_second = second
                if self.rfc3339:  # rsyslog's RSYSLOG_FileFormat: microseconds and the UTC offset
                    offset = time.strftime('%z', tm)
                    self.stamp = time.strftime('%Y-%m-%dT%H:%M:%S', tm) + '.%06d' + offset[:3] + ':' + offset[3:]
                else:
                    self.stamp = '%s %2d %s' % (MONTHS[tm.tm_mon - 1], tm.tm_mday, time.strftime('%H:%M:%S', tm))
            stamp = self.stamp % (int(when * 1e6) % 1000000) if self.rfc3339 else self.stamp
            line = '%s %s %s%s: %s\n' % (stamp, host, program, '' if pid is None else '[%d]' % pid, text)
            self.buffer.append(line)
            self.written += len(line)
        if len(self.buffer) > 20000:
            self.out.write(''.join(self.buffer))
            self.buffer = []

    def close(self):
        self.flush_until(float('inf'))
        self.out.write(''.join(self.buffer))


class Message:
    """A message in the queue: who sent it, how big it is, and the recipients still to deliver."""

    __slots__ = ('qid', 'host', 'tls_group', 'sender', 'size', 'arrival', 'pending', 'tries', 'syslog')

    def __init__(self, qid, host, tls_group, sender, size, arrival, syslog):
        self.qid, self.host, self.tls_group, self.sender, self.size = qid, host, tls_group, sender, size
        self.arrival, self.syslog, self.pending, self.tries = arrival, syslog, [], 0


class Generator:
    def __init__(self, log, rng, mix, domains=None):
        self.log, self.rng, self.mix, self.domains = log, rng, mix, domains
        self.counter = 0x1000
        self.retries = []  # (when, sequence, message) of messages with deferred recipients
        self.hosts = [('mx1', 'X25519'), ('mx2', 'x25519')]
        # Outbound mail goes through a second instance in the deferrals mix (syslog_name = postfix-out).
        self.outbound_syslog = mix.get('instance', 'postfix')

    def queue_id(self):
        self.counter += 1
        return '%05X%06X' % (self.rng.getrandbits(20), self.counter & 0xFFFFFF)

    def remote(self):
        rng = self.rng
        # A few destinations are dead: their mail is deferred until it expires.
        if rng.random() < self.mix.get('dead', 0.03):
            domain = 'dead%d.example' % rng.randrange(1, 20)
        elif self.domains:
            # Many domains: half of the mail to a few large ones, the rest spread over all of them.
            number = int(rng.paretovariate(1.0)) if rng.random() < 0.5 else rng.randrange(self.domains)
            domain = 'domain%d.example' % (number % self.domains)
        else:
            domain = rng.choice(REMOTE_DOMAINS)
            if '%d' in domain:
                domain = domain % int(rng.paretovariate(1.2))
        v6 = rng.random() < self.mix.get('ipv6', 0.15)
        ip = '2001:db8:%x::%x' % (rng.randrange(1, 200), rng.randrange(1, 60)) if v6 else \
            '203.0.%d.%d' % (rng.randrange(0, 255), rng.randrange(1, 255))
        return domain, 'mx%d.%s' % (rng.randrange(1, 4), domain), ip

    def stages(self, network):
        rng = self.rng
        a = rng.lognormvariate(-2.5, 1.0)
        b = rng.expovariate(60) if rng.random() < 0.95 else rng.expovariate(0.5)
        c = rng.lognormvariate(-1.0, 0.9) if network else 0.0
        d = rng.lognormvariate(-1.8, 1.1) if network else rng.expovariate(30)
        return a, b, c, d

    def delivery(self, when, host, program, qid, rcpt, relay, stages, status, dsn, reason, orig_to=None, conn_use=0,
                 syslog='postfix', queued=0.0):
        """A delivery attempt that starts at ``when``, logged when it ends; ``queued``: the part of the first stage
        the message spent in the queue before this attempt (in its delay, already past at ``when``)."""
        pid = PIDS.get(program, 3000)
        total = sum(stages)
        text = 'to=<%s>, %srelay=%s, %sdelay=%s, delays=%s, dsn=%s, status=%s (%s)' % (
            rcpt, 'orig_to=<%s>, ' % orig_to if orig_to else '', relay,
            'conn_use=%d, ' % conn_use if conn_use else '', postfix_delay(total),
            '/'.join(postfix_delay(value) for value in stages), dsn, status, reason)
        done = when + total - queued
        self.log.at(done, host, program, pid, '%s: %s' % (qid, text), syslog)
        return done

    def noise(self, when, host, text):
        """A line of another program on the same host (the noisy mix): dovecot or opendkim."""
        self.log.at(when, host, text[0], text[1], text[2], syslog=None)

    def warning(self, when, host):
        rng = self.rng
        if rng.random() < 0.005:
            program, level, text = rng.choice(FATALS)
        else:
            (program, text), level = rng.choice(WARNINGS), 'warning'
            text = text % {'client': 'mail-%d.sender%d.example' % (rng.randrange(50), rng.randrange(5000)),
                           'ip': '198.51.100.%d' % rng.randrange(1, 255), 'number': rng.randrange(100, 60000)}
        self.log.at(when, host, program, rng.randrange(100, 60000), '%s: %s' % (level, text))

    def inbound(self, now, host, tls_group):
        """Mail from the internet to local users, or a rejected connection."""
        rng, log, mix = self.rng, self.log, self.mix
        pid = rng.randrange(10000, 60000)
        client = rng.choice(['mail-%s.sender%d.example' % (rng.randrange(1, 50), rng.randrange(1, 5000)), 'unknown'])
        ip = '198.51.100.%d' % rng.randrange(1, 255)
        peer = '%s[%s]' % (client, ip)
        if mix.get('postscreen'):
            port = rng.randrange(1024, 65535)
            log.at(now - 0.5, host, 'postscreen', 900, 'CONNECT from [%s]:%d to [192.0.2.25]:25' % (ip, port))
            if rng.random() < 0.15:
                log.at(now - 0.4, host, 'dnsblog', 901, 'addr %s listed by domain zen.spamhaus.example as 127.0.0.2'
                       % ip)
                log.at(now - 0.3, host, 'postscreen', 900, 'DNSBL rank 3 for [%s]:%d' % (ip, port))
                log.at(now - 0.2, host, 'postscreen', 900, 'NOQUEUE: reject: RCPT from [%s]:%d: 550 5.7.1 Service '
                       'unavailable; client [%s] blocked using zen.spamhaus.example; from=<x%d@spam.example>, '
                       'to=<user%d@%s>, proto=ESMTP, helo=<spam.example>' % (
                           ip, port, ip, rng.randrange(1000), rng.randrange(50000), LOCAL_DOMAINS[0]))
                log.at(now - 0.1, host, 'postscreen', 900, 'DISCONNECT [%s]:%d' % (ip, port))
                return
            log.at(now - 0.3, host, 'postscreen', 900, '%s [%s]:%d' % (rng.choice(['PASS NEW', 'PASS OLD']), ip, port))
        log.at(now, host, 'smtpd', pid, 'connect from %s' % peer)
        tls = rng.random() < 0.7
        if tls:
            log.at(now + 0.05, host, 'smtpd', pid, 'Anonymous TLS connection established from %s: %s'
                   % (peer, TLS13 % tls_group if rng.random() < 0.8 else TLS12))
        rcpt = 'user%d@%s' % (rng.randrange(1, 50000), rng.choice(LOCAL_DOMAINS))
        # Newsletters and mailing lists send with VERP/SRS addresses: mostly one sender address per message.
        if rng.random() < 0.6:
            sender = 'bounce+%x-%d@news%d.example' % (rng.getrandbits(32), rng.randrange(50000), rng.randrange(500))
        else:
            sender = 'person%d@sender%d.example' % (rng.randrange(1, 500), rng.randrange(1, 5000))
        if rng.random() < 0.3:
            reply = rng.choice(REJECTS) % {'ip': ip, 'rcpt': rcpt, 'helo': 'localhost', 'sender': sender,
                                           'domain': rcpt.split('@')[1]}
            log.at(now + 0.3, host, 'smtpd', pid, 'NOQUEUE: reject: RCPT from %s: %s; from=<%s> to=<%s> proto=ESMTP '
                   'helo=<%s>' % (peer, reply, sender, rcpt, client))
            log.at(now + 0.4, host, 'smtpd', pid,
                   'disconnect from %s ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4' % peer)
            return
        if rng.random() < mix.get('smtpd_milter', 0):
            # Greylisting (a milter) at RCPT: smtpd logs the milter's reply, and no queue file is made.
            log.at(now + 0.3, host, 'smtpd', pid, 'NOQUEUE: milter-reject: RCPT from %s: 451 4.7.1 Greylisting in '
                   'action, please come back later; from=<%s> to=<%s> proto=ESMTP helo=<%s>'
                   % (peer, sender, rcpt, client))
            log.at(now + 0.4, host, 'smtpd', pid, 'disconnect from %s ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4'
                   % peer)
            return
        qid = self.queue_id()
        log.at(now + 0.1, host, 'smtpd', pid, '%s: client=%s' % (qid, peer))
        log.at(now + 0.2, host, 'cleanup', 2000, '%s: message-id=<%x@%s>' % (qid, rng.getrandbits(48), client))
        if mix.get('neighbours'):
            self.noise(now + 0.2, host, ('opendkim', 2100, '%s: %s not internal' % (qid, peer)))
            self.noise(now + 0.21, host, ('opendkim', 2100, '%s: DKIM verification successful' % qid))
        roll = rng.random()
        if roll < 0.01:
            log.at(now + 0.2, host, 'cleanup', 2000, '%s: milter-reject: END-OF-MESSAGE from %s: 5.7.1 Spam message '
                   'rejected; from=<%s> to=<%s> proto=ESMTP helo=<%s>' % (qid, peer, sender, rcpt, client))
            return
        if roll < 0.015:
            log.at(now + 0.2, host, 'cleanup', 2000, '%s: reject: header Subject: You won a prize from %s; from=<%s> '
                   'to=<%s> proto=ESMTP helo=<%s>: 5.7.1 Spam' % (qid, peer, sender, rcpt, client))
            return
        if roll < 0.015 + mix.get('smtpd_milter', 0) / 4:
            # A spam filter (rspamd) rejects at the end of data: smtpd logs it with the queue ID.
            log.at(now + 0.2, host, 'smtpd', pid, '%s: milter-reject: END-OF-MESSAGE from %s: 5.7.1 Spam message '
                   'rejected; from=<%s> to=<%s> proto=ESMTP helo=<%s>' % (qid, peer, sender, rcpt, client))
            log.at(now + 0.3, host, 'smtpd', pid, 'disconnect from %s ehlo=1 mail=1 rcpt=1 data=0/1 quit=1 '
                   'commands=4/5' % peer)
            return
        log.at(now + 0.3, host, 'qmgr', 1000, '%s: from=<%s>, size=%d, nrcpt=1 (queue active)'
               % (qid, sender, rng.randrange(2000, 200000)))
        log.at(now + 0.35, host, 'smtpd', pid, 'disconnect from %s ehlo=2%s mail=1 rcpt=1 data=1 quit=1 commands=%d'
               % (peer, ' starttls=1' if tls else '', 7 if tls else 6))
        kind = rng.random()
        if kind < 0.55:
            done = self.delivery(now + 0.3, host, 'lmtp', qid, rcpt, 'mail.ourcompany.example[private/dovecot-lmtp]',
                                 self.stages(False), 'sent', '2.0.0',
                                 '250 2.0.0 <%s> %x Saved' % (rcpt, rng.getrandbits(40)))
            if mix.get('neighbours'):
                self.noise(done - 0.01, host, ('dovecot', None, 'lmtp(%s)<%d><%x>: msgid=<%x@%s>: saved mail to INBOX'
                                               % (rcpt, rng.randrange(1000, 60000), rng.getrandbits(40),
                                                  rng.getrandbits(48), client)))
        elif kind < 0.8:
            done = self.delivery(now + 0.3, host, 'local', qid, rcpt, 'local', self.stages(False), 'sent', '2.0.0',
                                 'delivered to mailbox')
        elif kind < 0.95:
            done = self.delivery(now + 0.3, host, 'virtual', qid, rcpt, 'virtual', self.stages(False), 'sent',
                                 '2.0.0', 'delivered to maildir')
        elif kind < 0.98:
            done = self.delivery(now + 0.3, host, 'pipe', qid, rcpt, 'mailman', self.stages(False), 'sent',
                                 '2.0.0', 'delivered via mailman service')
        else:
            done = self.delivery(now + 0.3, host, 'local', qid, rcpt, 'local', self.stages(False), 'bounced',
                                 '5.1.1', 'unknown user: "%s"' % rcpt.split('@')[0])
            self.notification(done, host, qid, sender)
        log.at(done + 0.01, host, 'qmgr', 1000, '%s: removed' % qid)

    def notification(self, when, host, qid, sender, syslog='postfix'):
        """The bounce daemon's notice to the sender, delivered through the queue like any mail."""
        dsn = self.queue_id()
        self.log.at(when + 0.01, host, 'bounce', 2500, '%s: sender non-delivery notification: %s' % (qid, dsn), syslog)
        self.log.at(when + 0.02, host, 'qmgr', 1000, '%s: from=<>, size=3200, nrcpt=1 (queue active)' % dsn, syslog)
        if sender.split('@')[-1] in LOCAL_DOMAINS:
            done = self.delivery(when + 0.02, host, 'local', dsn, sender, 'local', self.stages(False), 'sent',
                                 '2.0.0', 'delivered to mailbox', syslog=syslog)
        else:
            domain, mx, ip = self.remote()
            done = self.delivery(when + 0.02, host, 'smtp', dsn, sender, '%s[%s]:25' % (mx, ip), self.stages(True),
                                 'sent', '2.0.0', '250 2.0.0 Ok: queued as %s' % self.queue_id(), syslog=syslog)
        self.log.at(done + 0.01, host, 'qmgr', 1000, '%s: removed' % dsn, syslog)

    def outbound(self, now, host, tls_group):
        """Mail from local users (submission, smtps or sendmail) to remote domains."""
        rng, log, syslog = self.rng, self.log, self.outbound_syslog
        qid = self.queue_id()
        sender = 'staff%d@ourcompany.example' % rng.randrange(1, 3000)
        way = rng.random()
        if way < 0.15:
            log.at(now, host, 'pickup', 1500, '%s: uid=%d from=<%s>' % (qid, rng.randrange(1000, 1100), sender),
                   syslog)
        else:
            service = 'submission/smtpd' if way < 0.8 else 'smtps/smtpd'
            pid = rng.randrange(10000, 60000)
            peer = 'client%d.ourcompany.example[10.0.%d.%d]' % (
                rng.randrange(1, 99), rng.randrange(0, 9), rng.randrange(1, 250))
            log.at(now, host, service, pid, 'connect from %s' % peer, syslog)
            log.at(now + 0.05, host, service, pid, 'Anonymous TLS connection established from %s: %s'
                   % (peer, TLS13 % tls_group), syslog)
            log.at(now + 0.2, host, service, pid, '%s: client=%s, sasl_method=PLAIN, sasl_username=%s'
                   % (qid, peer, sender), syslog)
            log.at(now + 0.4, host, service, pid, 'disconnect from %s ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 '
                   'quit=1 commands=8' % peer, syslog)
        log.at(now + 0.25, host, 'cleanup', 2000, '%s: message-id=<%x@ourcompany.example>' % (qid, rng.getrandbits(48)),
               syslog)
        if self.mix.get('neighbours'):
            self.noise(now + 0.26, host, ('opendkim', 2100, '%s: DKIM-Signature field added (s=mail, '
                                          'd=ourcompany.example)' % qid))
        if rng.random() < self.mix.get('multi', 0.2):
            count = rng.randrange(2, 6) if 'multi' not in self.mix else int(min(rng.paretovariate(1.3) + 1, 40))
        else:
            count = 1
        message = Message(qid, host, tls_group, sender, rng.randrange(1000, 3000000), now, syslog)
        log.at(now + 0.3, host, 'qmgr', 1000, '%s: from=<%s>, size=%d, nrcpt=%d (queue active)'
               % (qid, sender, message.size, count), syslog)
        # One destination; in the deferrals mix a message goes to up to five.
        destinations = [self.remote() for dummy in range(min(count, 5) if 'multi' in self.mix else 1)]
        for number in range(count):
            domain, mx, ip = destinations[number % len(destinations)]
            message.pending.append(('person%d@%s' % (rng.randrange(1, 100000), domain), domain, mx, ip))
        self.deliver(now + 0.3, message)

    def deliver(self, when, message):
        """An attempt at each pending recipient of a message (a new one, or one back from the deferred queue);
        removed when none is left, retried later otherwise."""
        deferred, conn_use, last = [], 0, when
        for recipient in message.pending:
            outcome, done = self.attempt(when, message, recipient, conn_use)
            conn_use = conn_use + 1 if outcome == 'sent' and not message.tries else 0
            last = max(last, done)
            if outcome == 'deferred':
                deferred.append(recipient)
        message.pending = deferred
        if deferred:
            self.retry(last, message)
        else:
            self.log.at(last + 0.01, message.host, 'qmgr', 1000, '%s: removed' % message.qid, message.syslog)

    def attempt(self, when, message, recipient, conn_use):
        """One delivery attempt of one recipient: (sent, deferred or bounced, when it ended)."""
        rng, mix, tries = self.rng, self.mix, message.tries
        host, qid, syslog = message.host, message.qid, message.syslog
        rcpt, domain, mx, ip = recipient
        # Debian's relay service logs as postfix/relay/smtp (syslog_name=postfix/$service_name).
        program = rng.choice(['smtp', 'smtp', 'smtp', 'relay/smtp'])
        roll = rng.random()
        fields = {'mx': mx, 'ip': ip, 'rcpt': rcpt, 'domain': domain, 'token': '%x' % rng.getrandbits(40)}
        stages = list(self.stages(True))
        queued = when - message.arrival
        stages[0] += queued
        if tries and rng.random() < 0.3:
            # The destination is marked dead: the queue manager defers without a connection.
            done = self.delivery(when, host, 'error', qid, rcpt, 'none', (stages[0], stages[1], 0, 0), 'deferred',
                                 '4.4.1', 'delivery temporarily suspended: connect to %s[%s]:25: Connection timed out'
                                 % (mx, ip), syslog=syslog, queued=queued)
            return 'deferred', done
        if not conn_use and rng.random() < 0.75 and not domain.startswith('dead'):
            level = rng.choice(['Untrusted', 'Untrusted', 'Trusted', 'Verified'])
            self.log.at(when + stages[2] * 0.9, host, program, 4000 + tries, '%s TLS connection established to '
                        '%s[%s]:25: %s' % (level, mx, ip, TLS13 % (
                            'X25519MLKEM768' if message.tls_group == 'x25519' and rng.random() < 0.3
                            else message.tls_group) if rng.random() < 0.7 else TLS12), syslog)
        if mix.get('warnings') and rng.random() < mix['warnings']:
            self.warning(when, host)
        relay = '%s[%s]:25' % (mx, ip)
        if domain.startswith('dead'):
            roll = 0
        defer, bounce = mix.get('defer', 0.1), mix.get('bounce', 0.03)
        if roll < defer + 0.2 * (tries > 0):
            reason = (DEFER_REASONS[2] if domain.startswith('dead') else rng.choice(DEFER_REASONS)) % fields
            if 'Connection timed out' in reason or 'not found' in reason:
                relay, stages[2], stages[3] = 'none', 30.0 if 'timed out' in reason else 0.0, 0.0
            done = self.delivery(when, host, program, qid, rcpt, relay, stages, 'deferred', '4.4.1', reason,
                                 conn_use=conn_use, syslog=syslog, queued=queued)
            return 'deferred', done
        if roll < defer + bounce + 0.2 * (tries > 0):
            done = self.delivery(when, host, program, qid, rcpt, relay, stages, 'bounced', '5.1.1',
                                 rng.choice(BOUNCE_REASONS) % fields, conn_use=conn_use, syslog=syslog,
                                 queued=queued)
            self.notification(done, host, qid, message.sender, syslog)
            return 'bounced', done
        done = self.delivery(when, host, program, qid, rcpt, relay, stages, 'sent', '2.0.0',
                             '250 2.0.0 Ok: queued as %s' % self.queue_id(), conn_use=conn_use, syslog=syslog,
                             queued=queued)
        return 'sent', done

    def retry(self, when, message):
        """A message with deferred recipients: back in the deferred queue, or returned after its lifetime."""
        if when - message.arrival > LIFETIME or len(self.retries) > 5000:
            self.log.at(when + 1, message.host, 'qmgr', 1000, '%s: from=<%s>, status=expired, returned to sender'
                        % (message.qid, message.sender), message.syslog)
            self.notification(when + 1, message.host, message.qid, message.sender, message.syslog)
            self.log.at(when + 1.1, message.host, 'qmgr', 1000, '%s: removed' % message.qid, message.syslog)
            return
        backoff = min(300 * 2 ** message.tries, 4000) * self.rng.uniform(1, 1.5)
        message.tries += 1
        self.counter += 1
        heapq.heappush(self.retries, (when + backoff, self.counter, message))

    def run(self):
        now = START
        log, rng, mix = self.log, self.rng, self.mix
        while log.written < log.target:
            now += rng.expovariate(12.0)
            while self.retries and self.retries[0][0] <= now:
                when, dummy, message = heapq.heappop(self.retries)
                # The queue manager logs the message again as it takes it from the deferred queue.
                log.at(when, message.host, 'qmgr', 1000, '%s: from=<%s>, size=%d, nrcpt=%d (queue active)' % (
                    message.qid, message.sender, message.size, len(message.pending)), message.syslog)
                self.deliver(when, message)
            host, tls_group = rng.choice(self.hosts)
            if rng.random() < 0.7:
                self.inbound(now, host, tls_group)
            else:
                self.outbound(now, host, tls_group)
            if mix.get('neighbours') and rng.random() < 0.3:
                self.noise(now, host, ('dovecot', None, 'imap-login: Login: user=<user%d@%s>, method=PLAIN, '
                                       'rip=10.0.%d.%d, lip=10.0.0.1, mpid=%d, TLS, session=<%x>' % (
                                           rng.randrange(50000), LOCAL_DOMAINS[0], rng.randrange(9),
                                           rng.randrange(1, 250), rng.randrange(1000, 60000), rng.getrandbits(48))))
            if mix.get('warnings') and rng.random() < mix['warnings']:
                self.warning(now, host)
            log.flush_until(now - 120)
        log.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('size_mb', type=float)
    parser.add_argument('path')
    parser.add_argument('seed', type=int, nargs='?', default=1)
    parser.add_argument('--mix', choices=sorted(MIXES), default='current')
    parser.add_argument('--domains', type=int, help='outbound mail to this many recipient domains')
    args = parser.parse_args()
    mix = MIXES[args.mix]
    with open(args.path, 'w', encoding='ascii') as out:
        Generator(Log(out, int(args.size_mb * 1e6), rfc3339=mix.get('rfc3339', False)), random.Random(args.seed), mix,
                  args.domains).run()


if __name__ == '__main__':
    main()
