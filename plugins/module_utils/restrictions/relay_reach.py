# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an outside client can make Postfix match: networks, patterns and domain keys.

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over text, for relay_guard, whose module docstring gives the
judgment calls made here (what is too wide, what is public, which patterns
can be read, what a top-level domain is). The lookup keys are formed as
smtpd and Postfix's match lists form them (check_namadr_access(),
check_mail_access(), match_hostname() in smtpd_check.c and match_ops.c).
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections import namedtuple

IPV4_PREFIX = 8
IPV6_PREFIX = 16
_IPV4_MAPPED = ipaddress.ip_network('::ffff:0:0/96')
# Networks no client on the Internet connects from (RFC 6890's special-purpose
# registry, the ones not globally reachable), pairwise disjoint.
NOT_PUBLIC = {
    4: [ipaddress.ip_network(text) for text in (
        '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
        '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24',
        '224.0.0.0/4', '240.0.0.0/4')],
    6: [ipaddress.ip_network('2001:db8::/32')],
}
_GLOBAL_UNICAST = ipaddress.ip_network('2000::/3')
_LIMIT = {4: 2 ** (32 - IPV4_PREFIX), 6: 2 ** (128 - IPV6_PREFIX)}

# What the guard asks Postfix about patterns and tables it cannot read: an
# outside client's (hostname, address) pairs, foreign domains, and recipients
# in them. Fixed, so that check mode asks what the run asks.
CLIENT_PROBES = (('unknown', '203.0.113.7'), ('mta7.mailops-probe.com', '198.51.100.23'),
                 ('host7.mailops-probe.net', '2001:db8:5:6::7'))
DOMAIN_PROBES = ('foreign.example', 'mailops-probe.com', 'mx.mailops-probe.net', 'mailops-probe.org')
RECIPIENT_PROBES = ('victim@foreign.example', 'postmaster@mailops-probe.com', 'info@mx.mailops-probe.net')
# Table types whose lookups match patterns: smtpd and match lists look them
# up with the whole name or address only, never with parent domains or networks.
PATTERN_TYPES = frozenset(['regexp', 'pcre', 'cidr'])

READABLE_PATTERN = ('write patterns of literal text anchored with ^ and $ (/^mail\\.example\\.com$/, '
                    '/\\.example\\.com$/), or a cidr table for networks')


class CannotTell(str):
    """Why the guard cannot decide something, as text that says how to make it decidable."""


# ---------------------------------------------------------------------------
# Networks

def network(text):
    """The network or address ``text`` (1.2.3.0/24, [2001:db8::]/32, ::1) names, or None."""
    match = re.match(r'\[([^]]*)\](/[0-9]+)?\Z', text)
    if match:
        text = match.group(1) + (match.group(2) or '')
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def prefix_network(key):
    """The network an access table key such as "192.0.2" stands for (smtpd looks up address prefixes), or None."""
    labels = key.split('.')
    numbers = all(label.isascii() and label.isdigit() and int(label) < 256 for label in labels)
    if not numbers or not 1 <= len(labels) <= 3:
        return None
    return ipaddress.ip_network('%s/%d' % ('.'.join(labels + ['0'] * (4 - len(labels))), 8 * len(labels)))


def too_wide(net, written):
    """Why network ``net`` (``written`` so) is too wide for one site, or ''."""
    if net.version == 4:
        prefix, limit, family = net.prefixlen, IPV4_PREFIX, ''
    elif net.subnet_of(_IPV4_MAPPED):
        prefix, limit, family = net.prefixlen - 96, IPV4_PREFIX, 'IPv4 '
    elif net.prefixlen and _IPV4_MAPPED.subnet_of(net):
        return '%s covers every IPv4 address (as ::ffff:a.b.c.d)' % written
    else:
        prefix, limit, family = net.prefixlen, IPV6_PREFIX, ''
    if prefix == 0:
        return '%s covers the whole %sInternet' % (written, family)
    return '%s is wider than %s/%d' % (written, family, limit) if prefix < limit else ''


def _native(net):
    """An IPv4-mapped IPv6 network as the IPv4 network it is; others as they are."""
    if net.version == 6 and net.subnet_of(_IPV4_MAPPED):
        return ipaddress.ip_network('%s/%d' % (net.network_address.ipv4_mapped, net.prefixlen - 96))
    return net


def _size(net):
    """How many addresses network ``net`` holds (ipaddress's num_addresses, without its cost)."""
    return 1 << (net.max_prefixlen - net.prefixlen)


def _spans(networks):
    """The address ranges [first, last + 1) that ``networks`` cover together, as sorted, disjoint integer pairs."""
    merged = []
    for first, end in sorted((int(net.network_address), int(net.network_address) + _size(net)) for net in networks):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([first, end])
    return merged


def _overlap(spans, net):
    """How many addresses of network ``net`` the disjoint, sorted ``spans`` cover."""
    first = int(net.network_address)
    end = first + _size(net)
    position = bisect.bisect_right(spans, [first, first]) - 1
    covered = 0
    for low, high in spans[max(position, 0):]:
        if low >= end:
            break
        covered += max(0, min(high, end) - max(low, first))
    return covered


def public_addresses(networks):
    """How many public addresses ``networks``, all of one family, cover together."""
    networks = list(networks)
    if not networks:
        return 0
    spans = _spans(networks)
    version = networks[0].version
    total = _overlap(spans, _GLOBAL_UNICAST) if version == 6 else sum(end - first for first, end in spans)
    return total - sum(_overlap(spans, special) for special in NOT_PUBLIC[version])


def summed_too_wide(networks, what):
    """Why ``networks`` together are too wide for one site, or ''; ``what`` says where they are listed."""
    by_version = {4: set(), 6: set()}
    for net in networks:
        net = _native(net)
        by_version[net.version].add(net)
    for version, family, prefix in ((4, 'IPv4', IPV4_PREFIX), (6, 'IPv6', IPV6_PREFIX)):
        mine = by_version[version]
        # The union is at most the sum: most lists end here, without sorting.
        if len(mine) < 2 or sum(map(_size, mine)) <= _LIMIT[version]:
            continue
        count = public_addresses(mine)
        if count > _LIMIT[version]:
            mine = sorted(mine)
            shown = ', '.join(str(net) for net in mine[:3]) + (', ...' if len(mine) > 3 else '')
            return ("%s %d networks (%s) that together cover %s public %s addresses, more than one /%d (%s); list "
                    "this site's networks only" % (what, len(mine), shown, '{:,}'.format(count), family, prefix,
                                                   '{:,}'.format(_LIMIT[version])))
    return ''


# ---------------------------------------------------------------------------
# Patterns of regexp and pcre tables

# What a readable pattern matches: every string, or literal text (``text``,
# lower case) exactly, at the start, at the end or anywhere; and whether "!"
# negates it.
EVERY, EXACT, PREFIX, SUFFIX, CONTAINS = 'every', 'exact', 'prefix', 'suffix', 'contains'
Shape = namedtuple('Shape', 'kind text negated')
_PATTERN = re.compile(r'(?P<negated>!\s*)?(?P<delim>[^\s!A-Za-z0-9])(?P<body>(?:\\.|(?!(?P=delim))[^\\])*)(?P=delim)'
                      r'(?P<flags>\S*)\Z', re.S)
_HOSTNAME_TEXT = re.compile(r'[a-z0-9.-]+\Z')


def shape(pattern):
    """The Shape of a regexp or pcre pattern (as written, "!" and flags included), or None if it cannot be read."""
    match = _PATTERN.match(pattern.strip())
    if not match or match.group('flags') not in ('', 'i'):
        return None
    body, delim = match.group('body'), match.group('delim')
    start = body.startswith('^')
    body = body[1:] if start else body
    end = body.endswith('$') and not body.endswith('\\$')
    body = body[:-1] if end else body
    literal, dots, position = [], [], 0  # dots: each "." with its quantifier ('' for none)
    while position < len(body):
        char = body[position]
        position += 1
        if char == '\\' and position < len(body):
            if body[position].isalnum() and body[position] != delim:
                return None  # \d, \b, \1 and the like
            literal.append(body[position])
            position += 1
        elif char == '.':
            quantifier = body[position] if position < len(body) and body[position] in '*+?' else ''
            position += len(quantifier)
            dots.append(quantifier)
        elif char in '*+?[](){}|^$\\':
            return None
        else:
            literal.append(char)
    negated = bool(match.group('negated'))
    if literal and dots:
        return None
    if dots:
        # Dots alone match every name and address, unless both anchors fix the length.
        if start and end and not set(dots) & set('*+'):
            return None
        return Shape(EVERY, '', negated)
    text = ''.join(literal).lower()
    if not text:
        return Shape(EVERY, '', negated)
    kind = {(True, True): EXACT, (True, False): PREFIX, (False, True): SUFFIX, (False, False): CONTAINS}
    return Shape(kind[(start, end)], text, negated)


def shape_matches(readable, text):
    """Whether a pattern of Shape ``readable`` matches ``text``."""
    text = text.lower()
    found = {EVERY: True, EXACT: text == readable.text, PREFIX: text.startswith(readable.text),
             SUFFIX: text.endswith(readable.text), CONTAINS: readable.text in text}[readable.kind]
    return found != readable.negated


def label_suffix(text):
    """For suffix text that starts at a label (".example.com"): the domain it ends with; else None."""
    return text[1:] if text.startswith('.') and len(text) > 1 else None


def tld_reach(name, why):
    """``why``, for a top-level domain ``name`` anyone can register names in; '' for localhost (RFC 6761)."""
    return '' if name == 'localhost' else why


def domain_reach(pattern, readable, owned=None):
    """Why a pattern can match a domain an outsider chooses; '' if it cannot.

    ``owned``: a function of a domain that the pattern pins down, '' when it
    is one of ours and why not otherwise; None: any domain named is fine
    (relay_domains, which names what this host relays for).
    """
    if readable.negated:
        return '%s matches every domain it does not name' % pattern if readable.kind != EVERY else ''
    if readable.kind == EVERY:
        return '%s matches every domain' % pattern
    if readable.kind == EXACT:
        return owned(readable.text) if owned else ''
    domain = label_suffix(readable.text) if readable.kind == SUFFIX else None
    if domain is not None and '.' not in domain:
        return tld_reach(domain, '%s matches every domain in the top-level domain %s' % (pattern, domain))
    if domain is not None:
        return owned(domain) if owned else ''
    return '%s matches every domain that %s "%s", and anyone can register one' % (
        pattern, {SUFFIX: 'ends in', PREFIX: 'starts with', CONTAINS: 'contains'}[readable.kind], readable.text)


def client_pattern_reach(pattern):
    """Why a pattern in a client table or in mynetworks matches an outsider's hostname or address; '' if it
    cannot; a CannotTell."""
    readable = shape(pattern)
    if readable is None:
        return CannotTell('cannot tell which clients the pattern %s matches; %s' % (pattern, READABLE_PATTERN))
    if readable.negated:
        return '' if readable.kind == EVERY else '%s matches every client that the pattern does not' % pattern
    if readable.kind == EVERY:
        return '%s matches every client' % pattern
    text = readable.text
    if readable.kind == EXACT:
        return '"unknown" is the hostname of every client whose name does not verify' if text == 'unknown' else ''
    if readable.kind == SUFFIX:
        domain = label_suffix(text)
        if domain is None or domain.rsplit('.', 1)[-1].isdigit() or not _HOSTNAME_TEXT.match(domain):
            return ('%s matches every client whose hostname or address ends in "%s", and anyone can have such a name'
                    % (pattern, text))
        if '.' not in domain:
            return tld_reach(domain, '%s matches every client hostname in the top-level domain %s' % (pattern, domain))
        return ''
    if readable.kind == PREFIX and re.match(r'([0-9a-f]{1,4}:){1,7}\Z', text):
        # Hostnames have no ":": an IPv6 prefix matches addresses only.
        return too_wide(ipaddress.ip_network('%s:/%d' % (text, 16 * text.count(':')), strict=False), pattern)
    return ('%s also matches client hostnames (those that %s "%s"), and anyone who controls the reverse DNS of an '
            'address can give it such a name; write a cidr table for networks, or anchor the pattern at both ends'
            % (pattern, 'start with' if readable.kind == PREFIX else 'contain', text))


# ---------------------------------------------------------------------------
# Lookup keys, as Postfix forms them

def parents(domain, parent_style):
    """The parent domains Postfix looks up after ``domain``: "example.com", or ".example.com" without
    parent_style (parent_domain_matches_subdomains does not name the setting)."""
    keys, rest = [], domain
    while '.' in rest:
        rest = rest.split('.', 1)[1]
        keys.append(rest if parent_style else '.' + rest)
    return keys


def address_prefixes(address):
    """The address and the prefixes smtpd looks up after it (check_namadr_access()): 192.0.2.7, 192.0.2, ..."""
    delimiter = ':' if ':' in address else '.'
    keys = [address]
    while delimiter in keys[-1]:
        keys.append(keys[-1].rsplit(delimiter, 1)[0])
    return keys


def domain_list_reach(item, parent_style):
    """Why a literal element of a domain list, or a key of a table in one, matches domains an outsider chooses
    (every domain of a top-level domain); ''.

    With parent_style (parent_domain_matches_subdomains names the list), "com"
    matches every name under it; ".com" does without it (match_hostname()),
    and is taken as open either way.
    """
    name = item.lower()
    if name.startswith('.') and '.' not in name[1:]:
        return tld_reach(name[1:], '%s matches every domain in that top-level domain' % item)
    if parent_style and '.' not in name:
        return tld_reach(name, '%s matches every domain in that top-level domain (parent_domain_matches_subdomains '
                               'names the list)' % item)
    return ''
