#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: smtp_probe
short_description: Test an SMTP server step by step, as the troubleshooting sessions with telnet and openssl do
version_added: 0.1.0
description:
  - Holds one SMTP session with a server, the way the Postfix troubleshooting how-tos do by hand with C(telnet),
    C(openssl s_client -starttls smtp) and an AUTH PLAIN string built with perl. The steps are, in order, connect,
    TLS on connect (port 465), banner, EHLO, STARTTLS and EHLO again, XCLIENT and EHLO again, AUTH, MAIL, RCPT for
    each recipient, DATA with the message, and QUIT.
  - Each reply is checked against the codes expected of its step (O(expect), O(rcpt_expect)), so that a refusal can
    be the outcome the task asks for. An open-relay probe, for example, expects any refusal at RCPT, V([4xx, 5xx]),
    and fails when the server answers C(250). Postfix refuses with C(554) under C(reject_unauth_destination), and
    with C(454) under C(defer_unauth_destination), its default in C(smtpd_relay_restrictions).
  - The task fails at the first step whose reply is not expected, or that gets no reply; the result still has every
    reply, the TLS details and, in RV(failed_step), the step that failed with the exit code swaks would have given.
  - 'Runs on the managed host (O(server) defaults to V(127.0.0.1)), or on the controller with
    C(delegate_to: localhost) to test a server from outside. It needs nothing but Python.'
  - It runs no Postfix command and works with any SMTP server.
author:
  - mailops.postfix maintainers (@mailops)
attributes:
  check_mode:
    description:
      - Goes through RCPT, then sends RSET and QUIT instead of DATA, so no message is queued, and reports every reply
        up to there.
      - Reports C(changed=false), also when a real run would queue a message; whether the server accepts a message is
        decided only after DATA (content checks, milters, size), so check mode cannot predict it.
    support: full
  diff_mode:
    description: There is nothing to show a difference of.
    support: none
  idempotent:
    description:
      - Every real run that gets through DATA queues one more message; that is what it is for. A run that stops
        earlier (no O(rcpt_to), no recipient accepted, an expected refusal) changes nothing.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
options:
  server:
    description: The SMTP server, a host name or an IP address.
    type: str
    default: 127.0.0.1
  port:
    description: The TCP port; V(25) for MX service, V(587) for submission, V(465) for submission with TLS on connect.
    type: int
    default: 25
  tls:
    description:
      - V(opportunistic) uses STARTTLS when the server offers it and goes on without TLS otherwise, as Postfix itself
        does with C(smtp_tls_security_level=may).
      - V(starttls) requires STARTTLS; a server that does not offer it fails the C(tls) step.
      - V(implicit) starts TLS right after connecting, before the banner (port 465, C(smtpd_tls_wrappermode)).
      - V(none) never uses TLS.
      - Defaults to V(implicit) with O(port=465), V(opportunistic) otherwise.
    type: str
    choices: [none, starttls, implicit, opportunistic]
  tls_verify:
    description:
      - Fail the C(tls) step unless the server certificate verifies against the system CAs (or O(ca_file)) and is
        valid for O(server_name). Nothing after the handshake is sent then, credentials included.
      - It also requires TLS; with O(tls=opportunistic), a server that does not offer STARTTLS fails the C(tls) step.
      - With V(false), the verification result is only reported (RV(tls.certificate.verified) and
        RV(tls.certificate.verify_error)). A certificate that fails verification ends that handshake, so the probe
        connects a second time without verifying to go on; the server logs the first connection as a TLS failure
        (for Postfix, C(alert unknown ca) or C(bad certificate)).
    type: bool
    default: false
  ca_file:
    description: A PEM file with the CA certificates to verify the server certificate against, instead of the system's.
    type: path
  server_name:
    description:
      - The name the server certificate must be valid for, also sent as SNI. Defaults to O(server).
      - Give the host name when O(server) is an IP address, as it is by default.
    type: str
  helo:
    description: The name sent with EHLO. Defaults to the fully qualified name of the host the module runs on.
    type: str
  xclient:
    description:
      - Send Postfix's XCLIENT after TLS to have the session treated as coming from another client, for example to
        test the restrictions for outside clients from the server itself. The server answers C(220) and the probe
        sends EHLO again.
      - Postfix offers XCLIENT only to the clients in C(smtpd_authorized_xclient_hosts).
      - Values are sent as given (C([UNAVAILABLE]) and C([TEMPUNAVAIL]) are Postfix's special values).
    type: dict
    suboptions:
      addr:
        description: The client IP address.
        type: str
      name:
        description: The client host name, verified forward and reverse.
        type: str
      reverse_name:
        description: The client host name from the reverse lookup only.
        type: str
      port:
        description: The client TCP port.
        type: int
      proto:
        description: V(SMTP) or V(ESMTP).
        type: str
      helo:
        description: The HELO name.
        type: str
      login:
        description: The SASL login name, as if the client had authenticated.
        type: str
      destaddr:
        description: The server IP address the client connected to.
        type: str
      destport:
        description: The server TCP port the client connected to.
        type: int
  auth_user:
    description: Authenticate as this user (SMTP AUTH). The server must offer the O(auth_mechanism), or the C(auth)
      step fails without sending the credentials.
    type: str
  auth_password:
    description:
      - The password for O(auth_user). It is never shown; the AUTH commands appear masked in RV(steps), and the
        password is masked in anything the server sends back.
      - Without TLS, it goes over the network readable by anyone on the way; use O(tls=starttls) or O(tls=implicit)
        and O(tls_verify=true) for a remote server.
    type: str
  auth_mechanism:
    description: V(plain) sends user and password in one command, V(login) in two answers.
    type: str
    choices: [plain, login]
    default: plain
  mail_from:
    description:
      - The envelope sender, without angle brackets; V('') is the null sender of bounces (C(MAIL FROM:<>)).
      - Without it the probe stops after AUTH, which is enough to test the connection, TLS and the credentials.
    type: str
  rcpt_to:
    description:
      - The envelope recipients, without angle brackets. Needs O(mail_from).
      - Each one gets its own RCPT and its own reply in RV(rcpt); all are checked before the task fails.
      - The message is sent (DATA) only when the server accepts at least one of them; otherwise the probe ends the
        transaction with RSET.
    type: list
    elements: str
  rcpt_expect:
    description:
      - Codes expected for single recipients, by address; the others get those of O(expect.rcpt). Every address must
        be one of O(rcpt_to).
    type: dict
  data:
    description:
      - The message, headers and body, sent after DATA. Line ends become CRLF and lines starting with a dot get a
        second one, so the text is sent as it is written.
      - Defaults to a small test message with Date, From, To, a Subject naming this module and O(helo), and a
        Message-ID.
    type: str
  timeout:
    description: Seconds to wait for the connection and for each reply.
    type: float
    default: 30
  expect:
    description:
      - The reply codes expected of each step, each a code (V(554)) or a class (V(5xx)). A step whose reply is not
        among them fails the task.
      - A step that gets an expected refusal does not have its effect; after an expected refusal at RCPT for every
        recipient, for example, no message is sent.
    type: dict
    suboptions:
      banner:
        description: The greeting. Default V([220]).
        type: list
        elements: raw
      ehlo:
        description: Every EHLO. Default V([250]).
        type: list
        elements: raw
      tls:
        description: STARTTLS. Default V([220]).
        type: list
        elements: raw
      xclient:
        description: XCLIENT. Default V([220]).
        type: list
        elements: raw
      auth:
        description: The last reply of AUTH. Default V([235]); V([535]) tests that wrong credentials are refused.
        type: list
        elements: raw
      mail:
        description: MAIL FROM. Default V([250]).
        type: list
        elements: raw
      rcpt:
        description: Every RCPT TO, except the recipients in O(rcpt_expect). Default V([250, 251]).
        type: list
        elements: raw
      data:
        description: The DATA command. Default V([354]).
        type: list
        elements: raw
      dot:
        description: The end of the message, where the server accepts or rejects it. Default V([250]).
        type: list
        elements: raw
      quit:
        description: The final QUIT of a session without failure. Default V([221]).
        type: list
        elements: raw
notes:
  - Steps and their names in RV(steps) and RV(failed_step), with the exit code swaks(1) gives a failure there
    (RV(failed_step.swaks_code)), C(connect) 2, C(banner) 21, C(ehlo) 22 (32 for the EHLO after STARTTLS, 34 after
    XCLIENT), C(mail) 23, C(rcpt) 24, C(data) 25, C(dot) (the message) 26, C(quit) 27, C(auth) 28, C(tls) 29,
    C(xclient) 33; a connection the server closes is 6 at any step. C(rset) has no swaks code.
  - TLS 1.2 or later, as the Python C(ssl) module allows by default.
seealso:
  - name: Postfix SASL howto, testing with telnet
    description: The sessions this module replaces.
    link: https://www.postfix.org/SASL_README.html
  - name: Postfix XCLIENT
    description: The XCLIENT command and its attributes.
    link: https://www.postfix.org/XCLIENT_README.html
  - name: swaks(1)
    description: The SMTP test tool whose step names and exit codes RV(failed_step) uses.
    link: https://jetmore.org/john/code/swaks/
'''

EXAMPLES = r'''
- name: Is the local Postfix answering, and with TLS?
  mailops.postfix.smtp_probe:
    tls: starttls
    server_name: mx.example.com

- name: Open-relay probe from outside - relaying for a stranger must be refused
  mailops.postfix.smtp_probe:
    server: "{{ inventory_hostname }}"
    mail_from: probe@example.net
    rcpt_to: [someone@example.org]
    expect:
      rcpt: [4xx, 5xx]
  delegate_to: localhost

- name: The same from the server itself, as an outside client (needs smtpd_authorized_xclient_hosts = 127.0.0.1)
  mailops.postfix.smtp_probe:
    xclient:
      addr: 192.0.2.7
      name: "[UNAVAILABLE]"
    mail_from: probe@example.net
    rcpt_to: [someone@example.org]
    expect:
      rcpt: [4xx, 5xx]

- name: Submission with verified TLS and authentication, delivering a test message
  mailops.postfix.smtp_probe:
    server: smtp.example.com
    port: 587
    tls: starttls
    tls_verify: true
    auth_user: probe@example.com
    auth_password: "{{ vault_probe_password }}"
    mail_from: probe@example.com
    rcpt_to: [postmaster@example.com]
  delegate_to: localhost
  register: probe

- name: Show where the message is
  ansible.builtin.debug:
    msg: "queued as {{ probe.queue_id }}, certificate valid for {{ probe.tls.certificate.days_left }} more days"

- name: Wrong credentials must be refused
  mailops.postfix.smtp_probe:
    port: 465
    auth_user: probe@example.com
    auth_password: not-the-password
    expect:
      auth: [535]
'''

RETURN = r'''
steps:
  description:
    - Every step in order, with the command sent (AUTH payloads masked; the message as its size; null for what is no
      command, such as the banner or the TLS handshake) and the reply code and text (lines joined with newlines;
      code null without a reply).
    - The connection and the TLS handshake appear as steps with a text only. After a certificate that failed
      verification, the steps of the second connection follow those of the first.
  returned: always
  type: list
  elements: dict
  sample:
    - {"step": "connect", "command": null, "code": null, "text": "connected to 127.0.0.1 port 25 (127.0.0.1)"}
    - {"step": "banner", "command": null, "code": 220, "text": "mx.example.com ESMTP Postfix"}
    - {"step": "ehlo", "command": "EHLO probe.example.com", "code": 250, "text": "mx.example.com\nPIPELINING\nSTARTTLS"}
    - {"step": "mail", "command": "MAIL FROM:<probe@example.net>", "code": 250, "text": "2.1.0 Ok"}
    - {"step": "rcpt", "command": "RCPT TO:<someone@example.org>", "code": 554,
       "text": "5.7.1 <someone@example.org>: Relay access denied"}
    - {"step": "rset", "command": "RSET", "code": 250, "text": "2.0.0 Ok"}
    - {"step": "quit", "command": "QUIT", "code": 221, "text": "2.0.0 Bye"}
failed_step:
  description: The step that failed, null when none did.
  returned: always
  type: dict
  contains:
    step:
      description: The step name, as in RV(steps).
      type: str
    swaks_code:
      description: The exit code swaks(1) gives a failure at that step (see the notes); null for C(rset).
      type: int
    message:
      description: What was expected and what came, or why there was no reply.
      type: str
  sample: {"step": "rcpt", "swaks_code": 24, "message": "someone@example.org: expected 4xx or 5xx, got 250 2.1.5 Ok"}
tls:
  description: The TLS session; null without TLS.
  returned: always
  type: dict
  contains:
    protocol:
      description: The TLS version.
      type: str
      sample: TLSv1.3
    cipher:
      description: The cipher suite.
      type: str
      sample: TLS_AES_256_GCM_SHA384
    bits:
      description: The secret key bits of the cipher.
      type: int
      sample: 256
    certificate:
      description: The server certificate; null if the server sent none.
      type: dict
      contains:
        subject:
          description: The subject, in certificate order as openssl shows it.
          type: str
          sample: CN=mx.example.com
        issuer:
          description: The issuer.
          type: str
          sample: C=US, O=Let's Encrypt, CN=R11
        not_after:
          description: The end of validity, UTC, ISO 8601.
          type: str
          sample: "2026-03-01T12:00:00Z"
        days_left:
          description: Whole days until RV(tls.certificate.not_after), negative once it has passed.
          type: int
          sample: 63
        verified:
          description: Whether the certificate verified against the CAs and is valid for O(server_name).
          type: bool
        verify_error:
          description: Why verification failed, as OpenSSL says it; null when it did not.
          type: str
          sample: "Hostname mismatch, certificate is not valid for '127.0.0.1'."
rcpt:
  description: The reply to each recipient's RCPT, by address, with the codes that were expected.
  returned: always
  type: dict
  sample: {"someone@example.org": {"code": 454, "text": "4.7.1 <someone@example.org>: Relay access denied",
                                   "expected": ["4xx", "5xx"]}}
queue_id:
  description:
    - 'The queue ID from the server''s reply after the message (Postfix: C(250 2.0.0 Ok: queued as 4F2B81C3A2)).'
    - Null when no message was queued or the reply has none.
  returned: always
  type: str
  sample: 4jYx2Z49j6zFdNh
'''

import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError, reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.smtp.session import (
    DEFAULT_EXPECT,
    ProbeSettings,
    ProbeSettingsError,
    SmtpSession,
)

XCLIENT_ATTRIBUTES = {'addr': 'str', 'name': 'str', 'reverse_name': 'str', 'port': 'int', 'proto': 'str',
                      'helo': 'str', 'login': 'str', 'destaddr': 'str', 'destport': 'int'}


class ProbeOptionError(MailopsError):
    """An option the probe cannot use; nothing was sent."""


class ProbeFailed(MailopsError):
    """A step did not get what was expected; the result has the whole report."""

    def __init__(self, failed_step):
        code = failed_step['swaks_code']
        super().__init__('smtp_probe failed at step %s%s: %s' % (
            failed_step['step'], '' if code is None else ' (swaks exit code %s)' % code, failed_step['message']))


def probe_settings(params, check_mode):
    """ProbeSettings from the module options: helo defaults to this host's name, unset XCLIENT attributes go."""
    if params['timeout'] <= 0:
        raise ProbeOptionError('timeout must be more than 0 seconds')
    if params['rcpt_to'] and params['mail_from'] is None:
        raise ProbeOptionError('rcpt_to needs mail_from (use an empty mail_from for the null sender)')
    xclient = {name: str(value) for name, value in (params['xclient'] or {}).items() if value is not None}
    try:
        return ProbeSettings(
            server=params['server'], port=params['port'], tls=params['tls'], tls_verify=params['tls_verify'],
            ca_file=params['ca_file'], server_name=params['server_name'],
            helo=params['helo'] or socket.getfqdn() or 'localhost', xclient=xclient,
            auth_user=params['auth_user'], auth_password=params['auth_password'],
            auth_mechanism=params['auth_mechanism'], mail_from=params['mail_from'],
            rcpt_to=params['rcpt_to'] or [], data=params['data'], timeout=params['timeout'],
            expect=params['expect'], rcpt_expect=params['rcpt_expect'], check_mode=check_mode)
    except ProbeSettingsError as error:
        raise ProbeOptionError(str(error)) from None


def main():
    expect_options = {step: {'type': 'list', 'elements': 'raw'} for step in DEFAULT_EXPECT}
    module = AnsibleModule(
        argument_spec={
            'server': {'type': 'str', 'default': '127.0.0.1'},
            'port': {'type': 'int', 'default': 25},
            'tls': {'type': 'str', 'choices': ['none', 'starttls', 'implicit', 'opportunistic']},
            'tls_verify': {'type': 'bool', 'default': False},
            'ca_file': {'type': 'path'},
            'server_name': {'type': 'str'},
            'helo': {'type': 'str'},
            'xclient': {'type': 'dict', 'options': {name: {'type': kind} for name, kind in XCLIENT_ATTRIBUTES.items()}},
            'auth_user': {'type': 'str'},
            'auth_password': {'type': 'str', 'no_log': True},
            'auth_mechanism': {'type': 'str', 'choices': ['plain', 'login'], 'default': 'plain'},
            'mail_from': {'type': 'str'},
            'rcpt_to': {'type': 'list', 'elements': 'str'},
            'rcpt_expect': {'type': 'dict'},
            'data': {'type': 'str'},
            'timeout': {'type': 'float', 'default': 30},
            'expect': {'type': 'dict', 'options': expect_options},
        },
        required_together=[('auth_user', 'auth_password')],
        supports_check_mode=True,
    )
    result = {'changed': False, 'steps': [], 'failed_step': None, 'tls': None, 'rcpt': {}, 'queue_id': None}
    with reported_failures(module, result):
        session = SmtpSession(probe_settings(module.params, module.check_mode)).run()
        # changed: a message was queued, which only a real run that got through DATA does; also when the
        # task fails because the server accepted a message it was expected to refuse.
        result.update(session.result(), changed=session.queued)
        if session.failed_step:
            raise ProbeFailed(session.failed_step)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
