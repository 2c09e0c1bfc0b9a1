# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find restriction settings that make Postfix an open relay, or that the guard cannot judge.

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over data; nothing here reads a file or runs a command. What
only Postfix can answer (a pattern this module cannot read, a table whose
contents it does not have) it asks for in ``Verdict.lookups``; the caller looks
those keys up with ``postmap -q`` and passes the answers back in.

The client is an outsider: not in mynetworks, no SASL login, no listed
client certificate, any address on the Internet, any hostname in a domain
whose DNS it controls, any HELO name and sender address. It sends RCPT TO an
address in a domain that is not ours. smtpd runs smtpd_relay_restrictions,
then smtpd_recipient_restrictions, and accepts the recipient unless one of
them rejects or defers (smtpd_check_rcpt()). In a list a permit ends that
list, a reject ends both, DUNNO goes on and a list that runs out permits;
defer_if_permit makes any later permit a deferral; defer_if_reject only
makes a reject a deferral; warn_if_reject makes the next element (a whole
class or table value) log its rejects instead. Each table entry the client
can reach is one way through, and so is a lookup that finds nothing: the
relay is open when some way ends in permit in both lists. What each
restriction can do comes from restriction_names (``ends``, ``when``,
``looks_up``). reject_unauth_destination, defer_unauth_destination,
permit_auth_destination, permit_mx_backup and check_relay_domains treat a
recipient domain that relay_domains matches as ours: relay_domains decides
whether they stop the outsider.

A way the guard cannot decide (a table it cannot see into, a pattern it
cannot read, a policy service, a relay_domains it cannot judge) is followed
as a possible permit. When such a way gets through both lists, the verdict is
open but not decided: the guard cannot tell, and postconf refuses it as it
refuses an open relay.

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
- Many networks count together: the public addresses that mynetworks covers
  (its networks, and those of the tables it names), and those of the
  networks that one client access table answers OK for, are summed per
  family, and more than one /8 (IPv4) or one /16 (IPv6) is too wide, as one
  such network would be. Public means reachable from the Internet: IPv4
  without the special-purpose networks of relay_reach.NOT_PUBLIC (private, loopback,
  link-local, shared, documentation, multicast, reserved); IPv6 within
  2000::/3, without 2001:db8::/32. A site's own 10/8, 172.16/12 and
  192.168/16 therefore cost nothing. Exceptions ("!network") are not
  subtracted.
- A client's hostname is the outsider's choice within any domain it
  controls (its reverse and forward DNS). A pattern matches a hostname as
  well as an address, so one anchored only at the start, such as
  /^192\\.0\\.2\\./, also matches the hostname 192.0.2.anything.example:
  the guard judges it reachable and says to write a cidr table. A pattern
  anchored at the end after a dot, such as /\\.example\\.com$/, is judged
  like the domain key .example.com; one not anchored after a dot
  (/example\\.com$/) matches names anyone can register (badexample.com).
- Patterns are read when they are made of literal text, "^", "$" and ".",
  ".*" or ".+", with no flag but "i"; anything else (classes, groups,
  alternatives, other flags) is asked of Postfix with fixed probe keys
  (relay_reach.CLIENT_PROBES, DOMAIN_PROBES, RECIPIENT_PROBES), and only
  when the verdict is otherwise undecided. A probe that matches decides; one
  that does not proves nothing, and the pattern stays undecided. Rules
  inside if/endif are judged as if outside (stricter).
- relay_domains opens the relay when it matches every domain, or a
  top-level domain (a key "com" where parent_domain_matches_subdomains names
  relay_domains, ".com" always), or names an outsider can register (a
  pattern like those above). A domain listed by name is one this host
  relays for by design. "localhost" is not a domain anyone can register.
- A recipient access key may permit only this host's own domains: those of
  mydestination, relay_domains, virtual_alias_domains and
  virtual_mailbox_domains, and their subdomains, whose DNS has the same
  owner. Two-label public suffixes (co.uk) are taken as domains, as
  everywhere in this guard.
- What cannot be seen into is a refusal only where it could open the relay:
  a table, pattern or policy service after reject_unauth_destination is
  never reached by an outsider sending elsewhere.
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import split_list
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.relay_reach import (
    CLIENT_PROBES, DOMAIN_PROBES, IPV4_PREFIX, IPV6_PREFIX, PATTERN_TYPES, READABLE_PATTERN, RECIPIENT_PROBES,
    CONTAINS, EVERY, EXACT, PREFIX, SUFFIX, CannotTell, address_prefixes, client_pattern_reach, domain_list_reach,
    domain_reach, network, parents, prefix_network, shape, shape_matches, summed_too_wide, tld_reach, too_wide,
)
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.lists import parse_restrictions
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.names import (
    ACCESS_RESULTS, ALWAYS, CLIENT, DEFER_PERMITS, DISCARD, DISCONNECT, EITHER, ETRN, FOREIGN_RECIPIENT, HELO,
    LIST_PARAMETERS, MX_BACKUP, MYNETWORKS, NAKED_IP_HELO, OUR_DOMAIN, PERMIT, RECIPIENT, REJECT, RELAY_DOMAINS,
    SASL_LOGIN, SECONDS, SENDER, SERVICE, TABLE, TRUSTED_CERT, WARN_NEXT, access_results, info, known,
)
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import CIDR, KEY_VALUE, REGEXP, syntax_of

# ``open``: whether an outsider can relay, or may (``decided`` false: the
# guard cannot tell, and ``reason`` says why and how to make it decidable);
# ``parameter`` and ``element``: the setting and the element (as written)
# that let it, element None when both lists run out; ``reason``: why, in
# Postfix terms; ``warnings``: other risks; ``lookups``: "type:name" -> the
# keys whose answers (postmap -q) the guard needs to decide, empty when none.
Verdict = namedtuple('Verdict', 'open decided parameter element reason warnings lookups')

RELAY_LISTS = ('smtpd_relay_restrictions', 'smtpd_recipient_restrictions')
# The domain lists whose recipients are ours (trivial-rewrite's final and relay classes).
OWN_DOMAIN_LISTS = ('mydestination', 'relay_domains', 'virtual_alias_domains', 'virtual_mailbox_domains')

# How one way through ends: None (it goes on), permit, reject, or closed (no
# relaying, and warn_if_reject cannot change that: discard, hangup,
# defer_if_permit, server error). ``cause``: (setting, element, reason) of the
# first permit on the way, or of what let the recipient past a destination
# check; ``unsure``: the same for the first step the guard cannot decide.
_PERMIT, _REJECT, _CLOSED = 'permit', 'reject', 'closed'
_Way = namedtuple('_Way', 'end warn cause unsure')

# Permits that any client gets.
_OPEN_PERMITS = {
    ALWAYS: 'permit accepts every request that reaches it',
    TRUSTED_CERT: 'permit_tls_all_clientcerts accepts any client certificate that a CA in smtpd_tls_CAfile or '
                  'smtpd_tls_CApath signed, and anyone can get one from a public CA; list fingerprints in '
                  'relay_clientcerts and use permit_tls_clientcerts instead',
    NAKED_IP_HELO: 'permit_naked_ip_address accepts any client that sends a bare IP address as its HELO name',
}

# What a table whose contents the guard does not have could answer OK for, per kind of lookup.
_UNSEEN_RISK = {
    SENDER: 'if it answers OK for a sender address, anyone who forges that sender can relay',
    HELO: 'if it answers OK for a HELO name, anyone who sends that name can relay',
    CLIENT: 'if it answers OK for "unknown", a top-level domain or a network wider than /%d (IPv6: /%d), clients '
            'there can relay' % (IPV4_PREFIX, IPV6_PREFIX),
    RECIPIENT: "if it answers OK for a domain that is not one of this host's own, anyone can relay mail to it",
}
_SEE_INTO = ("give the guard its contents (a file table it can read, or postconf's tables or access_tables), or "
             'move it after reject_unauth_destination, where an outsider sending elsewhere never reaches it')
_PERMITS_MYNETWORKS = 'permit_mynetworks accepts every client that mynetworks matches, and '


def _unbrace(text):
    text = text.strip()
    return text[1:-1].strip() if text.startswith('{') and text.endswith('}') else text


def _looked_up(table):
    """A table as postmap -q takes it: proxy: removed (postmap opens the table itself)."""
    table = _unbrace(table)
    while table.startswith('proxy:'):
        table = table[len('proxy:'):]
    return table


def _fixed(table):
    """Whether Postfix looks a table up with parent domains and address prefixes too (not a pattern table)."""
    return _looked_up(table).partition(':')[0] not in PATTERN_TYPES


def _is_table(item):
    """Whether an element of a domain or network list is a table (type:name) or a file of more elements."""
    return item.startswith('/') or (':' in item and not item.startswith('[') and network(item) is None)


def _distinct(ways):
    seen, kept = set(), []
    for way in ways:
        identity = (way.end, way.warn, way.cause is None, way.unsure is None)
        if identity not in seen:
            seen.add(identity)
            kept.append(way)
    return kept


class _Relay:
    """One evaluation: the settings, what Postfix answered, and the warnings and lookups found on the way."""

    def __init__(self, values, version, tables, answers):
        self.values = values
        self.names = known(version)
        self.results = access_results(version)
        self.tables = tables or {}
        self.answers = answers or {}
        self.classes = frozenset(split_list(values.get('smtpd_restriction_classes', '')))
        self.parent_style = frozenset(split_list(values.get('parent_domain_matches_subdomains', '')))
        self.warnings = []
        self.lookups = {}
        self._own = {}
        self._relay_domains = []

    def warn(self, text):
        if text not in self.warnings:
            self.warnings.append(text)

    # -- tables --------------------------------------------------------------

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

    def lookup(self, table, keys):
        """What Postfix answered for ``keys`` in ``table``: key -> value or None; a CannotTell when it did not."""
        table = _looked_up(table)
        answered = self.answers.get(table)
        if isinstance(answered, str):
            return CannotTell('Postfix could not look it up (%s)' % answered)
        if answered is None or any(key not in answered for key in keys):
            self.lookups.setdefault(table, set()).update(keys)
            return CannotTell('it was not looked up with Postfix')
        return {key: answered[key] for key in keys}

    def finds(self, table, keys):
        """Whether ``table`` answers any of ``keys`` (a match list's lookup): True, False, or a CannotTell."""
        entries = self.entries(table)
        if entries is not None and all(syntax == KEY_VALUE for syntax, dummy, dummy2 in entries):
            folded = set(key.lower() for key in keys)
            return any(key is None or key.lower() in folded for dummy, key, dummy2 in entries)
        if entries is not None:
            shapes = [shape(key) if syntax == REGEXP else None for syntax, key, dummy in entries]
            if None not in shapes:
                return any(shape_matches(readable, key) for readable in shapes for key in keys)
        answers = self.lookup(table, keys)
        return answers if isinstance(answers, CannotTell) else any(value is not None for value in answers.values())

    # -- domains -------------------------------------------------------------

    def own_domain(self, domain):
        """Whether ``domain`` or a parent of it is in one of OWN_DOMAIN_LISTS: True, False or a CannotTell."""
        if domain not in self._own:
            candidates = [domain] + parents(domain, True)
            verdict = False
            for parameter in OWN_DOMAIN_LISTS:
                found = self.list_names(parameter, candidates)
                if found is True:
                    verdict = True
                    break
                if isinstance(found, CannotTell) and verdict is False:
                    verdict = found
            self._own[domain] = verdict
        return self._own[domain]

    def list_names(self, parameter, candidates):
        """Whether the domain list ``parameter`` names one of ``candidates`` (first match wins, "!" excludes)."""
        for item in split_list(self.values.get(parameter, '')):
            pattern = item.lstrip('!')
            if pattern.startswith('/'):
                found = CannotTell('cannot read the file %s' % pattern)
            elif _is_table(pattern):
                found = self.finds(pattern, candidates + ['.' + candidate for candidate in candidates])
            else:
                found = pattern.lower().lstrip('.') in candidates
            if isinstance(found, CannotTell):
                return CannotTell('cannot tell whether %s (in %s) names %s: %s; list the domain there by name'
                                  % (pattern, parameter, candidates[0], found))
            if found:
                return not item.startswith('!')
        return False

    def owned(self, domain):
        """'' when ``domain`` is one of this host's; why not otherwise; a CannotTell when that cannot be told."""
        domain = domain.lower().rstrip('.')
        own = self.own_domain(domain)
        if own is True:
            return ''
        if isinstance(own, CannotTell):
            return own
        return ("%s is not one of this host's own domains (%s), so anyone can relay mail to it; list it there, or "
                'remove the key' % (domain, ', '.join(OWN_DOMAIN_LISTS)))

    def relay_domains(self):
        """(element, why) when relay_domains matches a domain an outsider chooses, why a CannotTell when the guard
        cannot tell; None when it does not."""
        if not self._relay_domains:
            self._relay_domains.append(self.judge_relay_domains())
        return self._relay_domains[0]

    def judge_relay_domains(self):
        unsure = None
        parent_style = 'relay_domains' in self.parent_style
        for item in split_list(self.values.get('relay_domains', '')):
            if item.startswith('!'):
                continue  # an exception only narrows the list
            why = self.domain_table_reach(item, parent_style) if _is_table(item) else \
                domain_list_reach(item, parent_style)
            if isinstance(why, CannotTell):
                unsure = unsure or (item, why)
            elif why:
                return item, why
        return unsure

    def domain_table_reach(self, table, parent_style):
        """Why a table in relay_domains matches a domain an outsider chooses; '' if not; a CannotTell."""
        if table.startswith('/'):
            return CannotTell('cannot read the file %s; list the domains in relay_domains' % table)
        entries = self.entries(table)
        unreadable = None
        for syntax, key, dummy in entries or []:
            if key is None:
                return '%s matches every domain' % table
            readable = shape(key) if syntax == REGEXP else None
            if syntax == REGEXP and readable is None:
                unreadable = unreadable or key
                continue
            why = domain_reach(key, readable) if readable else domain_list_reach(key, parent_style)
            if why:
                return '%s: %s' % (table, why)
        if entries is not None and unreadable is None:
            return ''
        probes = [(domain, [domain] + (parents(domain, parent_style) if _fixed(table) else []))
                  for domain in DOMAIN_PROBES]
        answers = self.lookup(table, [key for dummy, keys in probes for key in keys])
        for domain, keys in probes if not isinstance(answers, CannotTell) else []:
            found = [key for key in keys if answers[key] is not None]
            if found:
                return '%s matches the foreign domain %s (Postfix finds %s in it)' % (table, domain, found[0])
        if unreadable is not None:
            return CannotTell('cannot tell which domains the pattern %s in %s matches; %s' % (
                unreadable, table, READABLE_PATTERN))
        return CannotTell('cannot see inside %s (%s); list the domains in relay_domains, or use a table whose file '
                          'the guard can read' % (table, answers))

    # -- clients -------------------------------------------------------------

    def client_key_reach(self, syntax, key, access):
        """Why an outsider's hostname or address can match ``key``; '' if not; a CannotTell.

        ``access``: an access table (smtpd looks up address prefixes too), not mynetworks.
        """
        if key is None:
            return 'the table gives that answer for every client'
        if syntax == REGEXP:
            return client_pattern_reach(key)
        if syntax == CIDR and key.startswith('!'):
            return '%s matches every client outside %s' % (key, key[1:].strip())
        net = self.client_network(syntax, key, access)
        if net is not None:
            return too_wide(net, key)
        if syntax == CIDR:
            return CannotTell('cannot read the network %s' % key)
        name = key.lower().lstrip('.')
        if name == 'unknown':
            return '"unknown" is the hostname of every client whose name does not verify'
        if '.' in name or ':' in name or name.isdigit():
            return ''
        return tld_reach(name, '%s matches every client hostname in that top-level domain' % key)

    @staticmethod
    def client_network(syntax, key, access=True):
        """The network a client table key stands for (an access table's too: "192.0.2"), or None."""
        if key is None or syntax == REGEXP or key.startswith('!'):
            return None
        return network(key) or (prefix_network(key) if access and syntax == KEY_VALUE else None)

    def probed_clients(self, table, access):
        """The outside clients ("name[address]", value) that ``table`` answers for, as Postfix looks them up for an
        access table (``access``) or for mynetworks; a CannotTell when Postfix did not answer."""
        fixed = _fixed(table)
        style = ('smtpd_access_maps' if access else 'mynetworks') in self.parent_style
        probes = []
        for name, address in CLIENT_PROBES:
            keys = [name] + (parents(name, style) if fixed else [])
            keys += address_prefixes(address) if fixed and access else [address]
            probes.append(('%s[%s]' % (name, address), keys))
        answers = self.lookup(table, [key for dummy, keys in probes for key in keys])
        if isinstance(answers, CannotTell):
            return answers
        return [(probe, next(answers[key] for key in keys if answers[key] is not None))
                for probe, keys in probes if any(answers[key] is not None for key in keys)]

    def mynetworks_reason(self):
        """Why permit_mynetworks admits an outsider; '' if it does not; a CannotTell."""
        unsure, networks = None, []
        for entry in split_list(self.values.get('mynetworks', '')):
            if entry.startswith('!'):
                continue  # an exception only narrows the list
            is_table = _is_table(entry)
            keys = self.entries(entry) if is_table else [(KEY_VALUE, entry, '')]
            unreadable = None
            for syntax, key, dummy in keys or []:
                why = self.client_key_reach(syntax, key, False)
                if isinstance(why, CannotTell):
                    unreadable = unreadable or why
                elif why:
                    return _PERMITS_MYNETWORKS + ('in %s ' % entry if is_table else '') + why
                net = network(key) if key and syntax != REGEXP else None
                networks += [net] if net else []
            if keys is not None and unreadable is None:
                continue
            probed = self.probed_clients(entry, False) if not entry.startswith('/') else CannotTell('')
            if not isinstance(probed, CannotTell) and probed:
                return _PERMITS_MYNETWORKS + '%s matches the outside client %s (Postfix looked it up)' % (
                    entry, probed[0][0])
            why = unreadable or 'cannot see inside it; ' + _UNSEEN_RISK[CLIENT]
            unsure = unsure or CannotTell('%s (in mynetworks): %s; list the networks in mynetworks, or use a cidr '
                                          'table whose file the guard can read' % (entry, why))
        summed = summed_too_wide(networks, 'mynetworks lists')
        if summed:
            return _PERMITS_MYNETWORKS + summed
        return unsure or ''

    # -- recipients ----------------------------------------------------------

    def recipient_reach(self, syntax, key):
        """Why an outsider's recipient can match ``key`` of a recipient access table; ''; a CannotTell."""
        if syntax == REGEXP:
            readable = shape(key)
            if readable is None:
                return CannotTell('cannot tell which recipients the pattern %s matches; %s' % (key, READABLE_PATTERN))
            return self.recipient_pattern_reach(key, readable)
        if syntax != KEY_VALUE:
            return CannotTell('a %s table does not hold recipients' % syntax)
        if key.endswith('@'):
            return '%s matches that localpart in every domain' % key
        domain = key.rpartition('@')[2].lstrip('.')
        why = self.owned(domain)
        if why and not isinstance(why, CannotTell) and '@' not in key and '.' not in domain:
            return '%s matches every domain under that top-level domain' % key
        return why

    def recipient_pattern_reach(self, pattern, readable):
        text = readable.text
        if readable.negated or readable.kind == EVERY:
            return domain_reach(pattern, readable, self.owned)
        if '@' in text and readable.kind in (EXACT, SUFFIX):
            return self.owned(text.rpartition('@')[2])  # one address, or every address in one domain
        if '@' not in text and readable.kind == SUFFIX and text.startswith('.'):
            return domain_reach(pattern, readable, self.owned)
        if readable.kind == EXACT:
            return ''  # no "@": not an address
        return '%s matches recipients in domains an outsider can choose (those that %s "%s")' % (
            pattern, {SUFFIX: 'end in', PREFIX: 'start with', CONTAINS: 'contain'}[readable.kind], text)

    # -- lists ---------------------------------------------------------------

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
        if record.when in (FOREIGN_RECIPIENT, OUR_DOMAIN, MX_BACKUP, RELAY_DOMAINS):
            return self.destination(trail, element, record, way, warned)
        if record.ends == REJECT and record.when == ALWAYS:
            return [going if warned else way._replace(end=_REJECT)]
        if record.argument == TABLE and record.ends == EITHER:
            return self.table(trail, element, record, way, warned)
        if record.argument == SERVICE:
            return [going, _maybe(going, way, _cause(trail, element, (
                'cannot tell what the policy service %s answers; if it answers OK or permit for an outside client, '
                'that client can relay: put it after reject_unauth_destination, where an outsider sending elsewhere '
                'never reaches it' % element.argument)))]
        if record.ends == PERMIT:
            reason = self.permit_reason(trail, record)
            if isinstance(reason, CannotTell):
                return [going, _maybe(going, way, _cause(trail, element, reason))]
            if reason:
                return [going._replace(end=_PERMIT, cause=way.cause or _cause(trail, element, reason))]
        return [going]

    def destination(self, trail, element, record, way, warned):
        """The checks of the recipient's domain, which take a domain that relay_domains matches for one of ours."""
        going = way._replace(warn=False)
        if record.when == MX_BACKUP:
            self.permit_reason(trail, record)  # its warning
        # reject_unauth_destination and check_relay_domains reject a foreign domain; the permits go on.
        stopped = going if warned or record.when in (OUR_DOMAIN, MX_BACKUP) else way._replace(end=_REJECT)
        opened = self.relay_domains()
        if opened is None:
            return [stopped]
        item, why = opened
        passed = going._replace(end=None if record.when == FOREIGN_RECIPIENT else _PERMIT)
        cause = ('relay_domains', item, 'relay_domains = %s: %s; %s (in %s) takes the domains relay_domains matches '
                 "for this host's own, so mail to them goes through: list by name only the domains this host relays "
                 'for' % (self.values.get('relay_domains', ''), why, element.name, _where(trail)))
        if isinstance(why, CannotTell):
            return [stopped, passed._replace(unsure=way.unsure or cause)]
        return [passed._replace(cause=way.cause or cause)]

    def permit_reason(self, trail, record):
        if record.when == MYNETWORKS:
            return self.mynetworks_reason()
        if record.when == MX_BACKUP and not self.values.get('permit_mx_backup_networks', '').strip():
            self.warn('permit_mx_backup (%s): with permit_mx_backup_networks empty, anyone can point the MX '
                      'records of a domain at this server and have it accept and forward mail for that domain; list '
                      'the domains in relay_domains instead (permit_mx_backup is deprecated as of Postfix 3.9)'
                      % _where(trail))
        return _OPEN_PERMITS.get(record.when)

    def reach(self, subject, syntax, key):
        """Why an outsider can make a lookup of ``subject`` find ``key`` (None: every key); '' if it cannot; a
        CannotTell."""
        if subject in (SASL_LOGIN, ETRN):
            return ''  # no SASL login; no ETRN during RCPT TO
        if key is None:
            return 'the table gives that answer for every key'
        if subject == HELO:
            return 'a client can send any HELO name'
        if subject == SENDER:
            return 'a client can send any sender address'
        if subject == CLIENT:
            return self.client_key_reach(syntax, key, True)
        if subject == RECIPIENT:
            return self.recipient_reach(syntax, key)
        return ''  # certificate fingerprints

    def table(self, trail, element, record, way, warned):
        subject = record.looks_up
        entries = self.entries(element.argument)
        going = way._replace(warn=False)
        if entries is None:
            found = self.probed_permits(trail, element, subject, way, warned)
            if found or subject not in _UNSEEN_RISK:
                return found + [going]
            return [going, _maybe(going, way, _cause(trail, element, 'cannot see inside %s; %s: %s' % (
                element.argument, _UNSEEN_RISK[subject], _SEE_INTO)))]
        ways, networks, unsure, unreadable, outcomes = [], [], None, False, {}
        for syntax, key, value in entries:
            if value not in outcomes:
                outcomes[value] = self.value(trail, value, way, warned)
            results = outcomes[value]
            if key is not None and not any(result.end == _PERMIT for result in results):
                continue  # a rejecting or neutral entry: no way through that the empty lookup does not give
            net = self.client_network(syntax, key) if subject == CLIENT else None
            why = too_wide(net, key) if net else self.reach(subject, syntax, key)
            if isinstance(why, CannotTell):
                unsure = unsure or _cause(trail, element, '%s answers "%s" for %s: %s' % (
                    element.argument, value, key, why))
                unreadable = unreadable or syntax == REGEXP
                continue
            if why == '':
                networks += [net] if net else []
                continue
            answers = '%s answers "%s" for ' % (element.argument, value)
            cause = _cause(trail, element, answers + ('every key' if key is None else '%s; %s' % (key, why)))
            ways.extend(result._replace(cause=way.cause or cause) if result.end == _PERMIT else result
                        for result in results)
        summed = summed_too_wide(networks, '%s answers OK for' % element.argument)
        if summed:
            ways.append(going._replace(end=_PERMIT, cause=way.cause or _cause(trail, element, summed)))
        if unsure:
            # Postfix can say whether a pattern matches an outside client or recipient (not the reverse).
            found = self.probed_permits(trail, element, subject, way, warned) if unreadable else []
            ways.extend(found or [_maybe(going, way, unsure)])
        if all(entry[1] is not None for entry in entries):
            ways.append(going)  # a lookup that finds nothing (a static: table always finds)
        return ways

    def probed_permits(self, trail, element, subject, way, warned):
        """The permits that Postfix's answers for outside probes give, in a client or recipient table; [] if none."""
        table = element.argument
        if subject == CLIENT:
            probed = self.probed_clients(table, True)
        elif subject == RECIPIENT:
            probes = []
            for recipient in RECIPIENT_PROBES:
                local, dummy, domain = recipient.partition('@')
                keys = [recipient] + ([domain] + parents(domain, 'smtpd_access_maps' in self.parent_style)
                                      + [local + '@'] if _fixed(table) else [])
                probes.append((recipient, keys))
            answers = self.lookup(table, [key for dummy, keys in probes for key in keys])
            probed = answers if isinstance(answers, CannotTell) else [
                (recipient, next(answers[key] for key in keys if answers[key] is not None))
                for recipient, keys in probes if any(answers[key] is not None for key in keys)]
        else:
            return []
        ways = []
        for probe, value in [] if isinstance(probed, CannotTell) else probed:
            cause = _cause(trail, element, '%s answers "%s" for the outside %s %s (Postfix looked it up)' % (
                table, value, 'client' if subject == CLIENT else 'recipient', probe))
            ways.extend(result._replace(cause=way.cause or cause) for result in self.value(trail, value, way, warned)
                        if result.end == _PERMIT)
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


def _maybe(going, way, cause):
    """A way that may permit, where the guard cannot tell."""
    return going._replace(end=_PERMIT, unsure=way.unsure or cause)


def _cause(trail, element, reason):
    if len(trail) > 1:
        reason += ' (restriction class %s, reached through %s)' % (trail[-1], ' -> '.join(trail[:-1]))
    return trail[-1], element.text, reason


def _where(trail):
    return ' -> '.join(trail)


def relay_verdict(values, version, tables=None, answers=None):
    """Whether the restriction settings in ``values`` let an outside client relay; a Verdict.

    ``values`` maps parameter names to their effective text ($name expanded):
    smtpd_relay_restrictions, smtpd_recipient_restrictions, mynetworks,
    smtpd_restriction_classes and each class, permit_mx_backup_networks,
    parent_domain_matches_subdomains and OWN_DOMAIN_LISTS; for a master.cf
    service, its -o overrides merged over main.cf's. ``tables`` maps
    "type:name" to the (key, value) entries of tables whose contents are
    known. ``answers`` maps "type:name" to what Postfix answered for the keys
    an earlier verdict asked about (``lookups``): key -> value, None when not
    found; or to the error text when it could not look them up.
    """
    relay = _Relay(values, version, tables, answers)
    ways = [_Way(None, False, None, None)]
    for parameter in RELAY_LISTS:
        results = [result for way in ways for result in relay.run((parameter,), values.get(parameter, ''), way, False)]
        # A permit ends one list; smtpd goes on with the next, and a trailing warn_if_reject is forgotten.
        ways = _distinct([result._replace(end=None, warn=False) for result in results
                          if result.end in (None, _PERMIT)])
    if not ways:
        return Verdict(False, True, None, None, 'an outside client sending to another domain is rejected or deferred',
                       relay.warnings, {})
    certain = [way for way in ways if way.unsure is None]
    if not certain:
        # Only here can Postfix's answers change the verdict: they can show a way through, never close one.
        lookups = {table: tuple(sorted(keys)) for table, keys in relay.lookups.items()}
        parameter, element, reason = ways[0].unsure
        return Verdict(True, False, parameter, element, 'the open-relay guard cannot tell whether an outside client '
                       'can relay: %s' % reason, relay.warnings, lookups)
    way = next((way for way in certain if way.cause), certain[0])
    if way.cause is None:
        return Verdict(True, True, RELAY_LISTS[0], None, (
            'neither smtpd_relay_restrictions nor smtpd_recipient_restrictions rejects a recipient in another domain, '
            'and a list that runs out permits: put reject_unauth_destination (or defer_unauth_destination) after the '
            'permit_* restrictions of smtpd_relay_restrictions; smtpd refuses to run without one'), relay.warnings, {})
    parameter, element, reason = way.cause
    return Verdict(True, True, parameter, element, '%s; nothing before it rejects an outside client that sends to '
                   'another domain' % reason, relay.warnings, {})
