#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a realistic Postfix mail log of SIZE_MB megabytes, as syslog writes it.

Usage: log_generate.py SIZE_MB FILE [SEED]

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
"""

import heapq
import random
import sys
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

    def __init__(self, out, target):
        self.out, self.target, self.written = out, target, 0
        self.events, self.sequence, self.buffer = [], 0, []
        self.stamp_second, self.stamp = None, ''

    def at(self, when, host, program, pid, text):
        self.sequence += 1
        heapq.heappush(self.events, (when, self.sequence, host, program, pid, text))

    def flush_until(self, now):
        while self.events and self.events[0][0] <= now:
            when, dummy, host, program, pid, text = heapq.heappop(self.events)
            second = int(when)
            if second != self.stamp_second:
                tm = time.localtime(second)
                self.stamp_second = second
                self.stamp = '%s %2d %s' % (MONTHS[tm.tm_mon - 1], tm.tm_mday, time.strftime('%H:%M:%S', tm))
            line = '%s %s postfix/%s[%d]: %s\n' % (self.stamp, host, program, pid, text)
            self.buffer.append(line)
            self.written += len(line)
        if len(self.buffer) > 20000:
            self.out.write(''.join(self.buffer))
            self.buffer = []

    def close(self):
        self.flush_until(float('inf'))
        self.out.write(''.join(self.buffer))


class Generator:
    def __init__(self, log, rng):
        self.log, self.rng = log, rng
        self.counter = 0x1000
        self.retries = []  # (when, message) of deferred recipients
        self.hosts = [('mx1', 'X25519'), ('mx2', 'x25519')]

    def queue_id(self):
        self.counter += 1
        return '%05X%06X' % (self.rng.getrandbits(20), self.counter & 0xFFFFFF)

    def remote(self):
        rng = self.rng
        # A few destinations are dead: their mail is deferred until it expires.
        domain = 'dead%d.example' % rng.randrange(1, 20) if rng.random() < 0.03 else rng.choice(REMOTE_DOMAINS)
        if '%d' in domain:
            domain = domain % int(rng.paretovariate(1.2))
        v6 = rng.random() < 0.15
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

    def delivery(self, when, host, program, qid, rcpt, relay, stages, status, dsn, reason, orig_to=None, conn_use=0):
        pid = PIDS.get(program, 3000)
        total = sum(stages)
        text = 'to=<%s>, %srelay=%s, %sdelay=%s, delays=%s, dsn=%s, status=%s (%s)' % (
            rcpt, 'orig_to=<%s>, ' % orig_to if orig_to else '', relay,
            'conn_use=%d, ' % conn_use if conn_use else '', postfix_delay(total),
            '/'.join(postfix_delay(value) for value in stages), dsn, status, reason)
        self.log.at(when + total, host, program, pid, '%s: %s' % (qid, text))
        return when + total

    def inbound(self, now, host, tls_group):
        """Mail from the internet to local users, or a rejected connection."""
        rng, log = self.rng, self.log
        pid = rng.randrange(10000, 60000)
        client = rng.choice(['mail-%s.sender%d.example' % (rng.randrange(1, 50), rng.randrange(1, 5000)), 'unknown'])
        ip = '198.51.100.%d' % rng.randrange(1, 255)
        peer = '%s[%s]' % (client, ip)
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
        qid = self.queue_id()
        log.at(now + 0.1, host, 'smtpd', pid, '%s: client=%s' % (qid, peer))
        log.at(now + 0.2, host, 'cleanup', 2000, '%s: message-id=<%x@%s>' % (qid, rng.getrandbits(48), client))
        roll = rng.random()
        if roll < 0.01:
            log.at(now + 0.2, host, 'cleanup', 2000, '%s: milter-reject: END-OF-MESSAGE from %s: 5.7.1 Spam message '
                   'rejected; from=<%s> to=<%s> proto=ESMTP helo=<%s>' % (qid, peer, sender, rcpt, client))
            return
        if roll < 0.015:
            log.at(now + 0.2, host, 'cleanup', 2000, '%s: reject: header Subject: You won a prize from %s; from=<%s> '
                   'to=<%s> proto=ESMTP helo=<%s>: 5.7.1 Spam' % (qid, peer, sender, rcpt, client))
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

    def notification(self, when, host, qid, sender):
        """The bounce daemon's notice to the sender, delivered through the queue like any mail."""
        dsn = self.queue_id()
        self.log.at(when + 0.01, host, 'bounce', 2500, '%s: sender non-delivery notification: %s' % (qid, dsn))
        self.log.at(when + 0.02, host, 'qmgr', 1000, '%s: from=<>, size=3200, nrcpt=1 (queue active)' % dsn)
        if sender.split('@')[-1] in LOCAL_DOMAINS:
            done = self.delivery(when + 0.02, host, 'local', dsn, sender, 'local', self.stages(False), 'sent',
                                 '2.0.0', 'delivered to mailbox')
        else:
            domain, mx, ip = self.remote()
            done = self.delivery(when + 0.02, host, 'smtp', dsn, sender, '%s[%s]:25' % (mx, ip), self.stages(True),
                                 'sent', '2.0.0', '250 2.0.0 Ok: queued as %s' % self.queue_id())
        self.log.at(done + 0.01, host, 'qmgr', 1000, '%s: removed' % dsn)

    def outbound(self, now, host, tls_group):
        """Mail from local users (submission, smtps or sendmail) to remote domains."""
        rng, log = self.rng, self.log
        qid = self.queue_id()
        sender = 'staff%d@ourcompany.example' % rng.randrange(1, 3000)
        way = rng.random()
        if way < 0.15:
            log.at(now, host, 'pickup', 1500, '%s: uid=%d from=<%s>' % (qid, rng.randrange(1000, 1100), sender))
        else:
            service = 'submission/smtpd' if way < 0.8 else 'smtps/smtpd'
            pid = rng.randrange(10000, 60000)
            peer = 'client%d.ourcompany.example[10.0.%d.%d]' % (
                rng.randrange(1, 99), rng.randrange(0, 9), rng.randrange(1, 250))
            log.at(now, host, service, pid, 'connect from %s' % peer)
            log.at(now + 0.05, host, service, pid, 'Anonymous TLS connection established from %s: %s'
                   % (peer, TLS13 % tls_group))
            log.at(now + 0.2, host, service, pid, '%s: client=%s, sasl_method=PLAIN, sasl_username=%s'
                   % (qid, peer, sender))
            log.at(now + 0.4, host, service, pid, 'disconnect from %s ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 '
                   'quit=1 commands=8' % peer)
        log.at(now + 0.25, host, 'cleanup', 2000, '%s: message-id=<%x@ourcompany.example>' % (qid, rng.getrandbits(48)))
        count = 1 if rng.random() < 0.8 else rng.randrange(2, 6)
        log.at(now + 0.3, host, 'qmgr', 1000, '%s: from=<%s>, size=%d, nrcpt=%d (queue active)'
               % (qid, sender, rng.randrange(1000, 3000000), count))
        domain, mx, ip = self.remote()
        pending, last = 0, now + 0.3
        for number in range(count):
            rcpt = 'person%d@%s' % (rng.randrange(1, 100000), domain)
            pending += self.attempt(now + 0.3, now, host, tls_group, qid, sender, rcpt, domain, mx, ip,
                                    conn_use=number + 1 if number else 0)
        if not pending:
            log.at(last + 3, host, 'qmgr', 1000, '%s: removed' % qid)

    def attempt(self, when, arrival, host, tls_group, qid, sender, rcpt, domain, mx, ip, conn_use=0, tries=0):
        """One delivery attempt of one recipient; True when it stays deferred for a retry."""
        rng = self.rng
        # Debian's relay service logs as postfix/relay/smtp (syslog_name=postfix/$service_name).
        program = rng.choice(['smtp', 'smtp', 'smtp', 'relay/smtp'])
        roll = rng.random()
        fields = {'mx': mx, 'ip': ip, 'rcpt': rcpt, 'domain': domain, 'token': '%x' % rng.getrandbits(40)}
        stages = list(self.stages(True))
        stages[0] += when - arrival
        if tries and rng.random() < 0.3:
            # The destination is marked dead: the queue manager defers without a connection.
            self.delivery(when, host, 'error', qid, rcpt, 'none', (stages[0], stages[1], 0, 0), 'deferred', '4.4.1',
                          'delivery temporarily suspended: connect to %s[%s]:25: Connection timed out' % (mx, ip))
            return self.retry(when, arrival, host, tls_group, qid, sender, rcpt, domain, mx, ip, tries)
        if not conn_use and rng.random() < 0.75 and not domain.startswith('dead'):
            level = rng.choice(['Untrusted', 'Untrusted', 'Trusted', 'Verified'])
            self.log.at(when + stages[2] * 0.9, host, program, 4000 + tries, '%s TLS connection established to '
                        '%s[%s]:25: %s' % (level, mx, ip, TLS13 % (
                            'X25519MLKEM768' if tls_group == 'x25519' and rng.random() < 0.3 else tls_group)
                            if rng.random() < 0.7 else TLS12))
        relay = '%s[%s]:25' % (mx, ip)
        if domain.startswith('dead'):
            roll = 0
        if roll < 0.1 + 0.2 * (tries > 0):
            reason = (DEFER_REASONS[2] if domain.startswith('dead') else rng.choice(DEFER_REASONS)) % fields
            if 'Connection timed out' in reason or 'not found' in reason:
                relay, stages[2], stages[3] = 'none', 30.0 if 'timed out' in reason else 0.0, 0.0
            self.delivery(when, host, program, qid, rcpt, relay, stages, 'deferred', '4.4.1', reason,
                          conn_use=conn_use)
            return self.retry(when, arrival, host, tls_group, qid, sender, rcpt, domain, mx, ip, tries)
        if roll < 0.13 + 0.2 * (tries > 0):
            done = self.delivery(when, host, program, qid, rcpt, relay, stages, 'bounced', '5.1.1',
                                 rng.choice(BOUNCE_REASONS) % fields, conn_use=conn_use)
            self.notification(done, host, qid, sender)
            return False
        self.delivery(when, host, program, qid, rcpt, relay, stages, 'sent', '2.0.0',
                      '250 2.0.0 Ok: queued as %s' % self.queue_id(), conn_use=conn_use)
        return False

    def retry(self, when, arrival, host, tls_group, qid, sender, rcpt, domain, mx, ip, tries):
        age = when - arrival
        if age > LIFETIME or len(self.retries) > 5000:
            self.log.at(when + 1, host, 'qmgr', 1000, '%s: from=<%s>, status=expired, returned to sender'
                        % (qid, sender))
            self.notification(when + 1, host, qid, sender)
            return True
        backoff = min(300 * 2 ** tries, 4000) * self.rng.uniform(1, 1.5)
        heapq.heappush(self.retries, (when + backoff, self.counter, (arrival, host, tls_group, qid, sender, rcpt,
                                                                     domain, mx, ip, tries + 1)))
        return True

    def run(self):
        now = START
        log = self.log
        while log.written < log.target:
            now += self.rng.expovariate(12.0)
            while self.retries and self.retries[0][0] <= now:
                when, dummy, args = heapq.heappop(self.retries)
                arrival, host, tls_group, qid, sender, rcpt, domain, mx, ip, tries = args
                if not self.attempt(when, arrival, host, tls_group, qid, sender, rcpt, domain, mx, ip, tries=tries):
                    log.at(when + 5, host, 'qmgr', 1000, '%s: removed' % qid)
            host, tls_group = self.rng.choice(self.hosts)
            if self.rng.random() < 0.7:
                self.inbound(now, host, tls_group)
            else:
                self.outbound(now, host, tls_group)
            log.flush_until(now - 120)
        log.close()


def main():
    size_mb, path = float(sys.argv[1]), sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with open(path, 'w', encoding='ascii') as out:
        Generator(Log(out, int(size_mb * 1e6)), random.Random(seed)).run()


if __name__ == '__main__':
    main()
