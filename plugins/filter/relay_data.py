# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The relay role's data as module arguments: main.cf, the routing tables, and the SASL credentials."""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.plugin_utils.domain_names import domain_name

# smtp_tls_policy_maps levels; those below "encrypt" may send in the clear.
TLS_LEVELS = ('none', 'may', 'encrypt', 'dane', 'dane-only', 'fingerprint', 'verify', 'secure')
_CLEAR_LEVELS = ('none', 'may', 'dane')
# The master.cf service for a relayhost with implicit TLS (smtps, port 465): wrappermode for this
# service only, so that every other delivery keeps STARTTLS.
WRAPPER_SERVICE = 'mailops_smtps'
DEFAULT_SUSPEND_TEXT = 'Service unavailable'


def _fail(message):
    raise AnsibleFilterError('relay: ' + message)


def _domain(value, what):
    name = domain_name(value)
    if name is None:
        _fail('%s: %r is not a domain name' % (what, value))
    return name


def nexthop(spec, what, default_port=None):
    """"[host]:port" (or "host:port" with MX lookups) of a host/port/mx mapping, as relayhost and transport take it."""
    host, port, mx = spec.get('host'), spec.get('port', default_port), spec.get('mx', False)
    try:
        address = ipaddress.ip_address(host) if isinstance(host, str) else None
    except ValueError:
        address = None
    if address is not None:
        if mx:
            _fail('%s: %s is an IP address; MX lookups (mx: true) need a domain name' % (what, host))
        text = '[%s]' % address
    else:
        name = _domain(host, what + ' host')
        text = name if mx else '[%s]' % name
    if port is None:
        port = default_port
    if port is not None:
        if isinstance(port, bool) or not str(port).isdigit() or not 0 < int(port) < 65536:
            _fail('%s: port %r is not a TCP port (1-65535)' % (what, port))
        text += ':%d' % int(port)
    return text


def _credentials(spec, what):
    """"username:password" for sasl_passwd, or None. The password is never part of an error message."""
    username, password = spec.get('username'), spec.get('password')
    if username is None and password is None:
        return None
    if not username or not password:
        _fail('%s: give both username and password, or neither' % what)
    if ':' in username or any(char.isspace() for char in username):
        _fail('%s: username %r cannot hold ":" or white space (sasl_passwd holds "username:password")'
              % (what, username))
    if password != password.strip() or '\n' in password:
        _fail('%s: the password begins or ends with white space or holds a line break, which a Postfix table '
              'cannot keep' % what)
    return '%s:%s' % (username, password)


def _domain_keys(entry, what):
    domain = _domain(entry.get('domain'), what)
    return [domain] + (['.' + domain] if entry.get('subdomains') else [])


# tls_policy(5): the value is split at white space and commas, so no attribute value holds either; match
# strategies and names, protocols and excluded ciphers are separated by ":" inside a value, fingerprints by "|".
_MATCH_LEVELS = {'fingerprint': '|', 'verify': ':', 'secure': ':'}
_MATCH_STRATEGIES = ('hostname', 'nexthop', 'dot-nexthop')
_FINGERPRINT = re.compile(r'^[0-9a-f]{2}(:?[0-9a-f]{2})*$', re.IGNORECASE)
_PROTOCOL = re.compile(r'^(!|>=|<=)?(SSLv2|SSLv3|TLSv1|TLSv1\.[123])$', re.IGNORECASE)
_CIPHER_GRADES = ('high', 'medium', 'low', 'export', 'null')
_CIPHER_NAME = re.compile(r'^[^\s,:]+$')
_BRACKETED = re.compile(r'^\[([^\]]*)\](?::([^:]*))?$')


def tls_destination(text):
    """A TLS policy's destination as the table key Postfix looks up, written as nexthop() writes nexthops:
    domain, .domain (its subdomains), [host] or [host]:port, or domain:port."""
    what = 'tls policy %r' % (text,)
    if not isinstance(text, str) or not text or re.search(r'[\s,]', text):
        _fail('%s: the destination must be one domain, .domain, [host], [host]:port or domain:port, without white '
              'space or commas' % what)
    if text.startswith('.'):
        return '.' + _domain(text[1:], what + ' destination')
    bracketed = _BRACKETED.match(text)
    if bracketed:
        return nexthop({'host': bracketed.group(1), 'port': bracketed.group(2)}, what + ' destination')
    host, sep, port = text.partition(':')
    name = _domain(host, what + ' destination')
    return nexthop({'host': name, 'port': port, 'mx': True}, what + ' destination') if sep else name


def _match_value(match, level, what):
    """match= for the level: names and strategies joined with ":", or fingerprints with "|"."""
    if level not in _MATCH_LEVELS:
        _fail('%s: match applies only at the levels fingerprint, verify and secure, not at %s (at may, encrypt '
              'and dane Postfix takes such a policy as invalid and defers the mail)' % (what, level))
    separator = _MATCH_LEVELS[level]
    items = match if isinstance(match, list) else str(match).split(separator)
    for item in items:
        item = str(item)
        if level == 'fingerprint':
            valid = _FINGERPRINT.match(item)
            expected = 'a certificate or public key fingerprint in hex (AB:CD:...)'
        else:
            valid = item in _MATCH_STRATEGIES or domain_name(item[1:] if item.startswith('.') else item)
            expected = 'hostname, nexthop, dot-nexthop, a domain name or .domain'
        if not valid:
            _fail('%s: match %r is not %s' % (what, item, expected))
    return separator.join(str(item) for item in items)


def _attribute_value(name, value, what):
    """protocols, ciphers or exclude, checked against what Postfix accepts in a policy."""
    text = str(value)
    if name == 'ciphers':
        valid, expected = text.lower() in _CIPHER_GRADES, 'one of %s' % ', '.join(_CIPHER_GRADES)
    elif name == 'protocols':
        valid = all(_PROTOCOL.match(item) for item in text.split(':'))
        expected = 'TLS protocols separated by ":", such as >=TLSv1.2 or !SSLv2:!SSLv3'
    else:
        valid = all(_CIPHER_NAME.match(item) for item in text.split(':'))
        expected = 'cipher names separated by ":", without white space or commas, such as aNULL:MD5'
    if not valid:
        _fail('%s: %s %r is not %s' % (what, name, text, expected))
    return '%s=%s' % (name, text)


def _tls_policy(policy):
    """(table key, value) of one TLS policy."""
    destination = tls_destination(policy.get('destination'))
    what = 'tls policy for %s' % policy.get('destination')
    level = policy.get('level')
    if level not in TLS_LEVELS:
        _fail('%s: level %r is not one of %s' % (what, level, ', '.join(TLS_LEVELS)))
    value = [level]
    match = policy.get('match')
    if match:
        value.append('match=' + _match_value(match, level, what))
    for attribute in ('protocols', 'ciphers', 'exclude'):
        if policy.get(attribute):
            value.append(_attribute_value(attribute, policy[attribute], what))
    return destination, ' '.join(value)


def _tls_policies(policies):
    """destination -> value; destinations that differ only in case are one table key, so one would replace the other."""
    result, given = {}, {}
    for policy in policies:
        destination, value = _tls_policy(policy)
        if destination in result:
            _fail('tls policy for %s is given more than once (as %r and %r): Postfix looks destinations up '
                  'without regard to case, so one would replace the other' % (
                      destination, given[destination], policy.get('destination')))
        result[destination], given[destination] = value, policy.get('destination')
    return result


def _add_login(credentials, logins, hop, secret, what):
    """sasl_passwd holds one login per nexthop: two users of a nexthop with different ones would replace each other."""
    if hop in credentials and credentials[hop] != secret:
        _fail('%s and %s both log in to %s, with different credentials, and sasl_passwd holds one login per '
              'nexthop, so one would replace the other: give both the same username and password, or reach one '
              'through another host name or port' % (logins[hop], what, hop))
    credentials[hop], logins[hop] = secret, what


def relay_plan(relay, config_dir='/etc/postfix', table_type='hash'):
    """The relay role's variables (relayhost, transports, sender_relayhosts, tls_policies, suspended_domains,
    allow_plaintext_auth, sasl_mechanism_filter) -> parameters, tables and services for postconf, the
    sasl_passwd entries for postfix_map's secret_entries, and the suspended domains for the queue report."""
    directory = config_dir.rstrip('/')
    credentials, transport, sender_relayhosts = {}, {}, {}
    logins = {}  # nexthop -> who logs in there, for the error when two disagree

    relayhost = relay.get('relayhost')
    wrappermode = bool(relayhost and relayhost.get('wrappermode'))
    relayhost_text = ''
    if relayhost:
        relayhost_text = nexthop(relayhost, 'relayhost', 465 if wrappermode else None)
        secret = _credentials(relayhost, 'relayhost')
        if secret:
            _add_login(credentials, logins, relayhost_text, secret, 'the relayhost')

    for entry in relay.get('transports') or []:
        what = 'transport for %s' % entry.get('domain')
        keys = _domain_keys(entry, 'transport domain')
        name = entry.get('transport') or 'smtp'
        if not re.match(r'^[a-z0-9_-]+$', name, re.IGNORECASE):
            _fail('%s: transport %r is not a master.cf service name' % (what, name))
        hop = nexthop(entry, what) if entry.get('host') else ''
        secret = _credentials(entry, what)
        if secret:
            if not hop:
                _fail('%s: credentials need a host to log in to' % what)
            _add_login(credentials, logins, hop, secret, 'the ' + what)
        for key in keys:
            if key in transport:
                _fail('transport domain %s is given more than once' % key)
            transport[key] = '%s:%s' % (name, hop)

    suspended = []
    for entry in relay.get('suspended_domains') or []:
        entry = {'domain': entry} if isinstance(entry, str) else entry
        text = entry.get('text') or DEFAULT_SUSPEND_TEXT
        if '\n' in text:
            _fail('suspended domain %s: the text holds a line break' % entry.get('domain'))
        for key in _domain_keys(entry, 'suspended domain'):
            # A suspension wins over the domain's route, which comes back with the resumption.
            transport[key] = 'retry:4.4.1 %s' % text
            suspended.append(key)

    sender_secrets = False
    for entry in relay.get('sender_relayhosts') or []:
        sender = entry.get('sender')
        if not isinstance(sender, str) or '@' not in sender:
            _fail('sender relayhost: sender %r is not an address or @domain' % (sender,))
        local, domain = sender.rsplit('@', 1)
        key = '%s@%s' % (local, _domain(domain, 'sender relayhost %s' % sender))
        what = 'sender relayhost for %s' % key
        if key in sender_relayhosts:
            _fail('sender %s is given more than once' % key)
        sender_relayhosts[key] = nexthop(entry, what)
        secret = _credentials(entry, what)
        if secret:
            credentials[key] = secret
            sender_secrets = True

    policies = _tls_policies(relay.get('tls_policies') or [])
    allow_plaintext = relay.get('allow_plaintext_auth', False)
    # Credentials go only over TLS: the nexthops that log in require it, unless the user allows otherwise.
    login_hops = [hop for hop in credentials if '@' not in hop]
    login_hops += [sender_relayhosts[key] for key in sender_relayhosts if key in credentials]
    for hop in login_hops:
        if hop in policies:
            if policies[hop].split()[0] in _CLEAR_LEVELS and not allow_plaintext:
                _fail('credentials for %s would go without TLS: its tls policy is "%s". Use encrypt, verify or '
                      'secure, or set relay_allow_plaintext_auth' % (hop, policies[hop]))
        elif not allow_plaintext:
            policies[hop] = 'encrypt'

    def table(name, entries):
        return {'name': name, 'path': '%s/%s' % (directory, name), 'type': table_type,
                'entries': dict(sorted(entries.items()))}

    tables = [table('relay_transport', transport), table('relay_sender_relayhost', sender_relayhosts),
              table('relay_tls_policy', policies)]
    sasl = '%s:%s/sasl_passwd' % (table_type, directory)
    parameters = {
        'relayhost': relayhost_text,
        'default_transport': WRAPPER_SERVICE if wrappermode else 'smtp',
        'transport_maps': '%s:%s' % (table_type, tables[0]['path']),
        'sender_dependent_relayhost_maps': '%s:%s' % (table_type, tables[1]['path']),
        'smtp_tls_policy_maps': '%s:%s' % (table_type, tables[2]['path']),
        'smtp_sasl_auth_enable': 'yes' if credentials else 'no',
        'smtp_sasl_password_maps': sasl,
        # Plaintext mechanisms (PLAIN, LOGIN) only inside TLS, unless allowed; anonymous never.
        'smtp_sasl_security_options': 'noanonymous' if allow_plaintext else 'noplaintext, noanonymous',
        'smtp_sasl_tls_security_options': 'noanonymous',
        'smtp_sender_dependent_authentication': 'yes' if sender_secrets else 'no',
        'smtp_sasl_mechanism_filter': relay.get('sasl_mechanism_filter') or '',
    }
    services = [{'service': WRAPPER_SERVICE, 'type': 'unix', 'private': '-', 'unprivileged': '-', 'chroot': 'n',
                 'wakeup': '-', 'process_limit': '-', 'command': 'smtp',
                 'options': {'smtp_tls_wrappermode': 'yes', 'smtp_tls_security_level': 'encrypt'},
                 'state': 'present' if wrappermode else 'absent'}]
    return {'parameters': parameters, 'tables': tables, 'services': services,
            'sasl_entries': dict(sorted(credentials.items())), 'suspended': suspended}


def duration_text(seconds):
    """Seconds as Postfix writes times, largest units first: 4d 21h 5m; 0s for nothing."""
    sign, seconds = ('-' if seconds < 0 else ''), abs(int(seconds))
    parts = []
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60), ('s', 1)):
        if seconds >= size or (unit == 's' and not parts):
            parts.append('%d%s' % (seconds // size, unit))
            seconds %= size
        if len(parts) == 2:
            break
    return sign + ' '.join(parts)


def suspension_report(queue, domains):
    """postfix_info's queue status -> one line per suspended domain: what waits, and how long it can wait."""
    lifetime = duration_text(queue['maximal_queue_lifetime'])
    lines = []
    for domain in domains:
        status = queue.get('domains', {}).get(domain) or {'messages': 0}
        if not status['messages']:
            lines.append('%s: suspended, nothing queued; maximal_queue_lifetime is %s: mail that arrives now is '
                         'returned to its sender if the domain is still suspended %s from now'
                         % (domain, lifetime, lifetime))
        elif status.get('bounce_in') is None:
            lines.append('%s: suspended, %d message(s) queued, all on hold (held mail does not expire); '
                         'maximal_queue_lifetime is %s' % (domain, status['messages'], lifetime))
        else:
            lines.append('%s: suspended, %d message(s) queued, the oldest %s old; maximal_queue_lifetime is %s: the '
                         'first is returned to its sender in %s (queue ID %s) unless the domain is resumed'
                         % (domain, status['messages'], duration_text(status['oldest_age']), lifetime,
                            duration_text(status['bounce_in']), status['bounce_next_queue_id']))
    return lines


class FilterModule:
    """Role data filters of mailops.postfix's relay role."""

    def filters(self):
        return {'relay_plan': relay_plan, 'suspension_report': suspension_report}
