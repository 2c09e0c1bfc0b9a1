# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find restriction settings that make Postfix an open relay.

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over data; nothing here reads a file or runs a command.

The client is an outsider: not in mynetworks, no SASL login, no listed
client certificate, any address on the Internet, any HELO name and sender
address. It sends RCPT TO an address in a domain that is not ours. smtpd
runs smtpd_relay_restrictions, then smtpd_recipient_restrictions, and
accepts the recipient unless one of them rejects or defers
(smtpd_check_rcpt()). In a list a permit ends that list, a reject ends
both, DUNNO goes on and a list that runs out permits; defer_if_permit makes
any later permit a deferral; defer_if_reject only makes a reject a
deferral; warn_if_reject makes the next element (a whole class or table
value) log its rejects instead. Each table entry the client can reach is one
way through, and so is a lookup that finds nothing: the relay is open when
some way ends in permit in both lists. What each restriction can do comes
from restriction_names (``ends``, ``when``, ``looks_up``).

Judgment calls:

- permit_mx_backup does not open the relay: a client can make this host a
  backup MX only for domains whose DNS it controls, so the mail goes to
  those domains. A warning says why it is still unwise.
- check_*_{ns,mx,a}_access and check_reverse_client_hostname_access answer
  for names whose DNS the client controls, but smtpd turns their OK into
  451 4.3.5 (forbid_allowlist()): they can only reject, which a client
  avoids.
- Too wide for one site: an IPv4 network wider than /8; an IPv6 network
  wider than /16 (the largest single allocations are around /19, and
  2000::/3 is all of the IPv6 Internet) or one that covers ::ffff:0:0/96,
  every IPv4 address.
- A table whose contents are not given, a pattern whose matches cannot be
  told and a policy service give a warning, not a refusal.
"""

from __future__ import annotations

import ipaddress
import re
from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.main_cf import split_list
from ansible_collections.mailops.postfix.plugins.module_utils.restriction_lists import parse_restrictions
from ansible_collections.mailops.postfix.plugins.module_utils.restriction_names import (
    ACCESS_RESULTS, ALWAYS, CLIENT, DEFER_PERMITS, DISCARD, DISCONNECT, EITHER, ETRN, FOREIGN_RECIPIENT, HELO,
    LIST_PARAMETERS, MX_BACKUP, MYNETWORKS, NAKED_IP_HELO, PERMIT, RECIPIENT, REJECT, RELAY_DOMAINS, SASL_LOGIN,
    SECONDS, SENDER, SERVICE, TABLE, TRUSTED_CERT, WARN_NEXT, access_results, info, known,
)
from ansible_collections.mailops.postfix.plugins.module_utils.table_source import CIDR, KEY_VALUE, REGEXP, syntax_of

# ``open``: whether an outsider can relay; ``parameter`` and ``element``: the
# list and the element (as written) that let it, element None when both lists
# run out; ``reason``: why, in Postfix terms; ``warnings``: what could not be
# seen (unknown tables, patterns, policy services) and other risks.
Verdict = namedtuple('Verdict', 'open parameter element reason warnings')

RELAY_LISTS = ('smtpd_relay_restrictions', 'smtpd_recipient_restrictions')

IPV4_PREFIX = 8
IPV6_PREFIX = 16
_IPV4_MAPPED = ipaddress.ip_network('::ffff:0:0/96')

# How one way through ends: None (it goes on), permit, reject, or closed (no
# relaying, and warn_if_reject cannot change that: discard, hangup,
# defer_if_permit, server error). ``cause``: (list, element, reason) of the
# first permit on the way.
_PERMIT, _REJECT, _CLOSED = 'permit', 'reject', 'closed'
_Way = namedtuple('_Way', 'end warn cause')

# Permits that any client gets.
_OPEN_PERMITS = {
    ALWAYS: 'permit accepts every request that reaches it',
    TRUSTED_CERT: 'permit_tls_all_clientcerts accepts any client certificate that a CA in smtpd_tls_CAfile or '
                  'smtpd_tls_CApath signed, and anyone can get one from a public CA; list fingerprints in '
                  'relay_clientcerts and use permit_tls_clientcerts instead',
    NAKED_IP_HELO: 'permit_naked_ip_address accepts any client that sends a bare IP address as its HELO name',
}

# Which OK answers an outsider could use, for tables whose contents are not given.
_UNSEEN_RISK = {
    SENDER: 'if it answers OK for a sender address, anyone who forges that sender can relay',
    HELO: 'if it answers OK for a HELO name, anyone who sends that name can relay',
    CLIENT: 'if it answers OK for "unknown", a top-level domain or a network wider than /%d (IPv6: /%d), clients '
            'there can relay' % (IPV4_PREFIX, IPV6_PREFIX),
    RECIPIENT: 'if it answers OK for a localpart@ key or a top-level domain, anyone can relay to such recipients',
}
_UNSURE_RISK = {
    CLIENT: 'cannot tell which clients it matches',
    RECIPIENT: "any client can relay mail to recipients it matches outside this server's own domains",
}


def _network(text):
    match = re.match(r'\[([^]]*)\](/[0-9]+)?\Z', text)
    if match:
        text = match.group(1) + (match.group(2) or '')
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _too_wide(network, written):
    """Why ``network`` (``written`` so) is too wide for one site, or ''."""
    if network.version == 4:
        prefix, limit, family = network.prefixlen, IPV4_PREFIX, ''
    elif network.subnet_of(_IPV4_MAPPED):
        prefix, limit, family = network.prefixlen - 96, IPV4_PREFIX, 'IPv4 '
    elif network.prefixlen and _IPV4_MAPPED.subnet_of(network):
        return '%s covers every IPv4 address (as ::ffff:a.b.c.d)' % written
    else:
        prefix, limit, family = network.prefixlen, IPV6_PREFIX, ''
    if prefix == 0:
        return '%s covers the whole %sInternet' % (written, family)
    return '%s is wider than %s/%d' % (written, family, limit) if prefix < limit else ''


def _client_reach(key, syntax):
    """Why an outsider's address or hostname can match ``key``; '' if it cannot, None if that cannot be told."""
    if syntax == REGEXP:
        return None
    if syntax == CIDR and key.startswith('!'):
        return '%s matches every client outside %s' % (key, key[1:].strip())
    network = _network(key)
    if network is not None:
        return _too_wide(network, key)
    if syntax == CIDR:
        return None
    name = key.lower().lstrip('.')
    if name == 'unknown':
        return '"unknown" is the hostname of every client whose name does not verify'
    if '.' in name or ':' in name or name.isdigit():
        return ''
    return '%s matches every client hostname in that top-level domain' % key


def _recipient_reach(key, syntax):
    if syntax != KEY_VALUE:
        return None
    if key.endswith('@'):
        return '%s matches that localpart in every domain' % key
    if '@' not in key and '.' not in key.lstrip('.'):
        return '%s matches every domain under that top-level domain' % key
    return None


def _reach(subject, syntax, key):
    """Why an outsider can make a lookup of ``subject`` find ``key`` (None: every key); '' if it cannot, None if
    that cannot be told."""
    if subject in (SASL_LOGIN, ETRN):
        return ''  # no SASL login; no ETRN during RCPT TO
    if key is None:
        return 'the table gives that answer for every key'
    if subject == HELO:
        return 'a client can send any HELO name'
    if subject == SENDER:
        return 'a client can send any sender address'
    if subject == CLIENT:
        return _client_reach(key, syntax)
    if subject == RECIPIENT:
        return _recipient_reach(key, syntax)
    return ''  # certificate fingerprints


def _unbrace(text):
    text = text.strip()
    return text[1:-1].strip() if text.startswith('{') and text.endswith('}') else text


def _distinct(ways):
    seen, kept = set(), []
    for way in ways:
        identity = (way.end, way.warn, way.cause is None)
        if identity not in seen:
            seen.add(identity)
            kept.append(way)
    return kept


class _Relay:
    """One evaluation: the settings, and the warnings found on the way."""

    def __init__(self, values, version, tables):
        self.values = values
        self.names = known(version)
        self.results = access_results(version)
        self.tables = tables or {}
        self.classes = frozenset(split_list(values.get('smtpd_restriction_classes', '')))
        self.warnings = []

    def warn(self, text):
        if text not in self.warnings:
            self.warnings.append(text)

    def run(self, trail, text, way, outer_warn):
        """Every way through list ``text`` from ``way``; ``trail`` names the list and the lists that use it."""
        ended, going = [], [way]
        for element in parse_restrictions(text):
            following = []
            for current in going:
                for after in self.element(trail, element, current, outer_warn):
                    (ended if after.end else following).append(after)
            going = _distinct(following)
        return _distinct(ended + going)

    def element(self, trail, element, way, outer_warn):
        warned = outer_warn or way.warn
        # A bare type:name is check_recipient_access in both relay lists and in the classes they use.
        record = info(element.name or LIST_PARAMETERS[RELAY_LISTS[1]])
        if record is not None and record.name in self.names:
            if record.argument in (TABLE, SERVICE, SECONDS) and element.argument is None:
                return [way._replace(end=_CLOSED)]  # 451 4.3.5
            return self.restriction(trail, element, record, way, warned)
        if element.name in self.classes:
            return self.restriction_class(trail, element.name, way, warned)
        return [way._replace(end=_CLOSED)]  # unknown or removed: 451 4.3.5

    def restriction(self, trail, element, record, way, warned):
        going = way._replace(warn=False)
        if record.when == WARN_NEXT:
            return [way._replace(warn=True)]
        if record.when == DEFER_PERMITS:  # warn_if_reject turns it into a warning too (DEFER_IF_PERMIT2())
            return [going if warned else way._replace(end=_CLOSED)]
        if record.when in (FOREIGN_RECIPIENT, RELAY_DOMAINS) or (record.ends == REJECT and record.when == ALWAYS):
            return [going if warned else way._replace(end=_REJECT)]
        if record.argument == TABLE and record.ends == EITHER:
            return self.table(trail, element, record, way, warned)
        if record.argument == SERVICE:
            self.warn('cannot tell what the policy service %s answers (%s); if it answers OK or permit for an '
                      'outside client, that client can relay' % (element.argument, _where(trail)))
        elif record.ends == PERMIT:
            reason = self.permit_reason(trail, record)
            if reason:
                return [going._replace(end=_PERMIT, cause=way.cause or _cause(trail, element, reason))]
        return [going]

    def permit_reason(self, trail, record):
        if record.when == MYNETWORKS:
            return self.mynetworks_reason()
        if record.when == MX_BACKUP and not self.values.get('permit_mx_backup_networks', '').strip():
            self.warn('permit_mx_backup (%s): with permit_mx_backup_networks empty, anyone can point the MX '
                      'records of a domain at this server and have it accept and forward mail for that domain; list '
                      'the domains in relay_domains instead (permit_mx_backup is deprecated as of Postfix 3.9)'
                      % _where(trail))
        return _OPEN_PERMITS.get(record.when)

    def mynetworks_reason(self):
        for entry in split_list(self.values.get('mynetworks', '')):
            if entry.startswith('!'):
                continue  # an exception only narrows the list
            is_table = entry.startswith('/') or (':' in entry and _network(entry) is None)
            keys = self.entries(entry) if is_table else [(KEY_VALUE, entry, '')]
            if keys is None:
                self.warn('cannot see inside %s (in mynetworks); %s' % (entry, _UNSEEN_RISK[CLIENT]))
                continue
            for syntax, key, dummy in keys:
                why = _reach(CLIENT, syntax, key)
                if why:
                    return 'permit_mynetworks accepts every client that mynetworks matches, and %s%s' % (
                        '' if key == entry else 'in %s ' % entry, why)
                if why is None:
                    self.warn('cannot tell which clients %s in %s (in mynetworks) matches' % (key, entry))
        return None

    def table(self, trail, element, record, way, warned):
        subject = record.looks_up
        entries = self.entries(element.argument)
        going = way._replace(warn=False)
        if entries is None:
            if subject in _UNSEEN_RISK:
                self.warn('cannot see inside %s (%s); %s' % (
                    element.argument, _where(trail, element), _UNSEEN_RISK[subject]))
            return [going]
        ways = []
        for syntax, key, value in entries:
            why = _reach(subject, syntax, key)
            if why == '':
                continue
            results = self.value(trail, value, way, warned)
            if why is None:
                if any(result.end == _PERMIT for result in results):
                    self.warn('%s answers "%s" for %s (%s): %s' % (element.argument, value, key, _where(trail, element),
                                                                   _UNSURE_RISK[subject]))
                continue
            answers = '%s answers "%s" for ' % (element.argument, value)
            cause = _cause(trail, element, answers + ('every key' if key is None else '%s; %s' % (key, why)))
            ways.extend(result._replace(cause=way.cause or cause) if result.end == _PERMIT else result
                        for result in results)
        if all(entry[1] is not None for entry in entries):
            ways.append(going)  # a lookup that finds nothing (a static: table always finds)
        return ways

    def value(self, trail, value, way, warned):
        """The ways on after a table answers ``value`` (check_table_result())."""
        going = way._replace(warn=False)
        words = value.split()
        word = words[0].upper() if words else 'OK'  # an empty value means OK
        if word in self.results:
            effect = ACCESS_RESULTS[word].effect
        elif re.match(r'[0-9]+\Z', value.strip()):
            effect = PERMIT
        elif re.match(r'[45][0-9][0-9]\Z', word) and len(words) > 1:
            effect = REJECT
        elif ':' in value:
            return [going._replace(end=_CLOSED)]  # a table inside a table: 451 4.3.5
        else:
            return [result if result.end else going for result in self.run(trail, value, going, warned)]
        if effect == PERMIT:
            return [going._replace(end=_PERMIT)]
        if effect in (REJECT, DEFER_PERMITS):
            return [going if warned else going._replace(end=_REJECT if effect == REJECT else _CLOSED)]
        return [going._replace(end=_CLOSED)] if effect in (DISCARD, DISCONNECT) else [going]

    def restriction_class(self, trail, name, way, warned):
        if name in trail:
            self.warn('restriction class %s uses itself (%s); smtpd recurses until it crashes when it gets there'
                      % (name, ' -> '.join(trail[trail.index(name):] + (name,))))
            return [way._replace(end=_CLOSED)]
        if name not in self.values:
            self.warn('the value of restriction class %s was not given; it was taken as empty' % name)
        going = way._replace(warn=False)
        return [result if result.end else going
                for result in self.run(trail + (name,), self.values.get(name, ''), going, warned)]

    def entries(self, table):
        """(syntax, key, value) of each entry of ``table``, key None for "every key"; None when not known."""
        if table.startswith('{'):
            table = (split_list(_unbrace(table)) or [''])[0]  # { type:name, { option = value } }
        table_type, dummy, rest = table.partition(':')
        if table_type == 'proxy':
            return self.entries(rest)
        if table_type == 'static':
            return [(KEY_VALUE, None, _unbrace(rest))]
        if table_type == 'inline':
            pairs = [_unbrace(item).partition('=') for item in split_list(_unbrace(rest))]
            return [(KEY_VALUE, key.strip(), value.strip()) for key, dummy, value in pairs]
        if table_type == 'unionmap':
            parts = [self.entries(part) for part in split_list(_unbrace(rest))]
            return None if None in parts else [entry for part in parts for entry in part]
        known_entries = self.tables.get('%s:%s' % (table_type, rest))
        if known_entries is None:
            return None
        return [(syntax_of(table_type), key, value) for key, value in known_entries]


def _cause(trail, element, reason):
    if len(trail) > 1:
        reason += ' (restriction class %s, reached through %s)' % (trail[-1], ' -> '.join(trail[:-1]))
    return trail[-1], element.text, reason


def _where(trail, element=None):
    where = ' -> '.join(trail)
    return '%s in %s' % (element.name or 'bare table', where) if element else where


def relay_verdict(values, version, tables=None):
    """Whether the restriction settings in ``values`` let an outside client relay; a Verdict.

    ``values`` maps parameter names to their effective text ($name expanded):
    smtpd_relay_restrictions, smtpd_recipient_restrictions, mynetworks,
    smtpd_restriction_classes and each class, permit_mx_backup_networks; for a
    master.cf service, its -o overrides merged over main.cf's. ``tables`` maps
    "type:name" to the (key, value) entries of tables whose contents are known.
    """
    relay = _Relay(values, version, tables)
    ways = [_Way(None, False, None)]
    for parameter in RELAY_LISTS:
        results = [result for way in ways for result in relay.run((parameter,), values.get(parameter, ''), way, False)]
        # A permit ends one list; smtpd goes on with the next, and a trailing warn_if_reject is forgotten.
        ways = _distinct([result._replace(end=None, warn=False) for result in results
                          if result.end in (None, _PERMIT)])
    if not ways:
        return Verdict(False, None, None, 'an outside client sending to another domain is rejected or deferred',
                       relay.warnings)
    way = next((way for way in ways if way.cause), ways[0])
    if way.cause is None:
        return Verdict(True, RELAY_LISTS[0], None, (
            'neither smtpd_relay_restrictions nor smtpd_recipient_restrictions rejects a recipient in another domain, '
            'and a list that runs out permits: put reject_unauth_destination (or defer_unauth_destination) after the '
            'permit_* restrictions of smtpd_relay_restrictions; smtpd refuses to run without one'), relay.warnings)
    parameter, element, reason = way.cause
    return Verdict(True, parameter, element, '%s; nothing before it rejects an outside client that sends to another '
                   'domain' % reason, relay.warnings)
