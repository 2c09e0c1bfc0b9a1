# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The names Postfix accepts in SMTP access restriction lists, per Postfix version.

Private to this collection: roles and playbooks use the modules, never module_utils.

Taken from generic_checks() and check_table_result() in src/smtpd/smtpd_check.c
of every release (3.7.x and 3.10.x verified name by name against running
3.7.11 and 3.10.13). smtpd matches restriction names case-insensitively,
then restriction classes case-sensitively; anything else it meets at run
time makes it answer "451 4.3.5 Server configuration error", and neither
postfix check nor postconf notices beforehand.

Each restriction says how it can end the list it stands in (``ends``) and on
what that depends (``when``), so that the relay guard needs no list of names
of its own.
"""

from __future__ import annotations

from collections import namedtuple

# Releases whose name sets the unit tests pin down exactly (the test bed's).
EXACT_VERSIONS = ((3, 7), (3, 10))

# What follows a restriction name as its argument (the next list element).
TABLE = 'table'        # type:name, or { type:name, ... }
DOMAIN = 'domain'      # a DNS list domain, optionally =d.d.d.d
SERVICE = 'service'    # inet:host:port, unix:private/name, or { ..., option = value }
SECONDS = 'seconds'    # digits

# How a restriction can end the list: with a permit, with a reject (or
# defer), either, or never (it goes on to the next element).
PERMIT, REJECT, EITHER, NONE = 'permit', 'reject', 'either', 'none'

# What the decision depends on (``when``).
ALWAYS = 'always'
MYNETWORKS = 'client address or hostname in mynetworks'
OWN_ADDRESS = "client address is one of this host's (inet_interfaces)"
SASL = 'successful SASL login'
LISTED_CERT = 'client certificate fingerprint listed in relay_clientcerts'
TRUSTED_CERT = 'any client certificate signed by a CA in smtpd_tls_CAfile or smtpd_tls_CApath'
OUR_DOMAIN = 'recipient domain is one of ours'
MX_BACKUP = 'recipient domain is ours or its DNS lists this host as MX'
# permit_dnswl_client, permit_rhswl_client: never for a recipient that is
# not ours ("Safety: don't allowlist unauthorized recipients").
ALLOWLIST = 'client in a DNS allowlist, recipient domain ours'
NAKED_IP_HELO = 'HELO name is a bare IP address'
# check_relay_domains: permits when the client hostname matches relay_domains
# or the recipient domain is ours, and rejects otherwise.
RELAY_DOMAINS = 'client hostname in relay_domains or recipient domain ours'
FOREIGN_RECIPIENT = 'recipient domain is not ours'
AVOIDABLE = 'something the client or its DNS can avoid'
LOOKUP = "the table's or policy service's answer"
DEFER_PERMITS = 'turns any later permit into a deferral (450)'
DEFER_REJECTS = 'turns a later 5xx reject into a 4xx deferral'
WARN_NEXT = 'makes the next restriction log its reject instead'

# What a table restriction looks up (``looks_up``).
CLIENT = 'client'                  # verified hostname ("unknown" if none), then address and its networks
REVERSE_CLIENT = 'reverse client'  # unverified PTR name, then address
HELO = 'helo'
SENDER = 'sender'
RECIPIENT = 'recipient'
CCERT = 'client certificate'       # certificate or public key fingerprint
SASL_LOGIN = 'sasl login'
ETRN = 'etrn'
DNS = 'dns'                        # the NS, MX or A hosts of a name

Restriction = namedtuple('Restriction', 'name since ends when argument looks_up deprecated removed instead alias_of',
                         defaults=(None,) * 7)

# An access(5) result: since which release, what it does (PERMIT, REJECT,
# NONE = go on, DISCARD, DISCONNECT, DEFER_PERMITS, DEFER_REJECTS), and the
# argument it needs (None: optional text).
AccessResult = namedtuple('AccessResult', 'since effect needs')
DISCARD, DISCONNECT = 'discard', 'disconnect'


def _table(name, since, looks_up, ends=EITHER):
    return Restriction(name, since, ends, LOOKUP, TABLE, looks_up)


def _dns_table(name, since):
    # An OK from these tables is turned into 451 4.3.5 (forbid_allowlist()):
    # they can only reject.
    return _table(name, since, DNS, REJECT)


def _check(name, since, argument=None, alias_of=None):
    # A reject_* check of something the client controls.
    return Restriction(name, since, REJECT, AVOIDABLE, argument, alias_of=alias_of)


_RESTRICTIONS = (
    # Generic.
    Restriction('permit', (1, 1), PERMIT, ALWAYS),
    Restriction('reject', (1, 1), REJECT, ALWAYS),
    Restriction('defer', (2, 0), REJECT, ALWAYS),
    Restriction('defer_if_permit', (2, 0), NONE, DEFER_PERMITS),
    Restriction('defer_if_reject', (2, 0), NONE, DEFER_REJECTS),
    Restriction('warn_if_reject', (1, 1), NONE, WARN_NEXT),
    Restriction('check_policy_service', (2, 1), EITHER, LOOKUP, SERVICE),
    Restriction('sleep', (2, 3), NONE, argument=SECONDS),
    _check('reject_unauth_pipelining', (1, 1)),
    _check('reject_plaintext_session', (2, 3)),
    _check('reject_multi_recipient_bounce', (2, 1)),
    # Client.
    Restriction('permit_mynetworks', (1, 1), PERMIT, MYNETWORKS),
    Restriction('permit_inet_interfaces', (2, 2), PERMIT, OWN_ADDRESS),
    Restriction('permit_sasl_authenticated', (1, 1), PERMIT, SASL),
    Restriction('permit_tls_clientcerts', (2, 2), PERMIT, LISTED_CERT),
    Restriction('permit_tls_all_clientcerts', (2, 2), PERMIT, TRUSTED_CERT),
    Restriction('permit_dnswl_client', (2, 8), PERMIT, ALLOWLIST, DOMAIN),
    Restriction('permit_rhswl_client', (2, 8), PERMIT, ALLOWLIST, DOMAIN),
    _check('reject_unknown_client_hostname', (2, 3)),
    _check('reject_unknown_client', (1, 1), alias_of='reject_unknown_client_hostname'),
    _check('reject_unknown_reverse_client_hostname', (2, 3)),
    _check('reject_rbl_client', (2, 0), DOMAIN),
    _check('reject_rbl', (2, 0), DOMAIN, alias_of='reject_rbl_client'),
    _check('reject_rhsbl_client', (2, 0), DOMAIN),
    _check('reject_rhsbl_reverse_client', (2, 8), DOMAIN),
    Restriction('reject_maps_rbl', (1, 1), REJECT, AVOIDABLE, deprecated=(2, 1), removed=(3, 9),
                instead='reject_rbl_client domain-name'),
    _table('check_client_access', (1, 1), CLIENT),
    _table('check_reverse_client_hostname_access', (2, 6), REVERSE_CLIENT, REJECT),  # OK is forbidden here too
    _dns_table('check_client_ns_access', (2, 7)),
    _dns_table('check_client_mx_access', (2, 7)),
    _dns_table('check_client_a_access', (3, 0)),
    _dns_table('check_reverse_client_hostname_ns_access', (2, 7)),
    _dns_table('check_reverse_client_hostname_mx_access', (2, 7)),
    _dns_table('check_reverse_client_hostname_a_access', (3, 0)),
    _table('check_ccert_access', (2, 2), CCERT),
    _table('check_sasl_access', (2, 11), SASL_LOGIN),
    # HELO.
    _table('check_helo_access', (1, 1), HELO),
    _dns_table('check_helo_ns_access', (2, 1)),
    _dns_table('check_helo_mx_access', (2, 1)),
    _dns_table('check_helo_a_access', (3, 0)),
    _check('reject_invalid_helo_hostname', (2, 3)),
    _check('reject_invalid_hostname', (1, 1), alias_of='reject_invalid_helo_hostname'),
    _check('reject_unknown_helo_hostname', (2, 3)),
    _check('reject_unknown_hostname', (1, 1), alias_of='reject_unknown_helo_hostname'),
    _check('reject_non_fqdn_helo_hostname', (2, 3)),
    _check('reject_non_fqdn_hostname', (1, 1), alias_of='reject_non_fqdn_helo_hostname'),
    _check('reject_rhsbl_helo', (2, 1), DOMAIN),
    Restriction('permit_naked_ip_address', (1, 1), PERMIT, NAKED_IP_HELO, deprecated=(2, 0), removed=(3, 9),
                instead='permit_mynetworks or permit_sasl_authenticated'),
    # Sender.
    _table('check_sender_access', (1, 1), SENDER),
    _dns_table('check_sender_ns_access', (2, 1)),
    _dns_table('check_sender_mx_access', (2, 1)),
    _dns_table('check_sender_a_access', (3, 0)),
    _check('reject_non_fqdn_sender', (1, 1)),
    _check('reject_unknown_sender_domain', (1, 1)),
    _check('reject_unknown_address', (1, 1), alias_of='reject_unknown_sender_domain'),  # never documented
    _check('reject_unlisted_sender', (2, 1)),
    _check('reject_unverified_sender', (2, 1)),
    _check('reject_rhsbl_sender', (2, 0), DOMAIN),
    _check('reject_authenticated_sender_login_mismatch', (2, 1)),
    _check('reject_unauthenticated_sender_login_mismatch', (2, 1)),
    _check('reject_known_sender_login_mismatch', (2, 11)),
    # A built-in restriction class since 2.1: the authenticated and the
    # unauthenticated check together.
    _check('reject_sender_login_mismatch', (1, 1)),
    # Recipient.
    _table('check_recipient_access', (1, 1), RECIPIENT),
    _dns_table('check_recipient_ns_access', (2, 1)),
    _dns_table('check_recipient_mx_access', (2, 1)),
    _dns_table('check_recipient_a_access', (3, 0)),
    Restriction('permit_auth_destination', (1, 1), PERMIT, OUR_DOMAIN),
    Restriction('permit_mx_backup', (1, 1), PERMIT, MX_BACKUP, deprecated=(3, 9), instead='relay_domains'),
    Restriction('reject_unauth_destination', (1, 1), REJECT, FOREIGN_RECIPIENT),
    Restriction('defer_unauth_destination', (2, 10), REJECT, FOREIGN_RECIPIENT),
    Restriction('check_relay_domains', (1, 1), EITHER, RELAY_DOMAINS, deprecated=(2, 1), removed=(3, 9),
                instead='reject_unauth_destination'),
    _check('reject_unknown_recipient_domain', (1, 1)),
    _check('reject_non_fqdn_recipient', (1, 1)),
    _check('reject_rhsbl_recipient', (2, 0), DOMAIN),
    _check('reject_unlisted_recipient', (2, 1)),
    _check('check_recipient_maps', (2, 0), alias_of='reject_unlisted_recipient'),
    _check('reject_unverified_recipient', (2, 1)),
    # ETRN.
    _table('check_etrn_access', (1, 1), ETRN),
)
RESTRICTIONS = {restriction.name: restriction for restriction in _RESTRICTIONS}

# access(5) results, matched case-insensitively on the first word of a value.
# Besides these: all digits means OK; "4NN text" and "5NN text" reject with
# that code (421 and 521 also disconnect); anything else is read as a
# restriction list, and a value with a ":" in it is a server error.
ACCESS_RESULTS = {
    'OK': AccessResult((1, 1), PERMIT, None),
    'RELAY': AccessResult((1, 1), PERMIT, None),       # undocumented synonym of OK
    'DUNNO': AccessResult((1, 1), NONE, None),
    'REJECT': AccessResult((1, 1), REJECT, None),
    'DEFER': AccessResult((2, 6), REJECT, None),
    'DEFER_IF_REJECT': AccessResult((2, 1), DEFER_REJECTS, None),
    'DEFER_IF_PERMIT': AccessResult((2, 1), DEFER_PERMITS, None),
    'HOLD': AccessResult((2, 0), NONE, None),
    'DISCARD': AccessResult((2, 0), DISCARD, None),
    'FILTER': AccessResult((2, 0), NONE, 'transport:destination'),
    'REDIRECT': AccessResult((2, 1), NONE, 'user@domain'),
    'PREPEND': AccessResult((2, 1), NONE, 'header: text'),
    'WARN': AccessResult((2, 1), NONE, None),
    'INFO': AccessResult((3, 0), NONE, None),
    'BCC': AccessResult((3, 0), NONE, 'user@domain'),    # SNAPSHOT builds only before 3.0
    'HANGUP': AccessResult((3, 0), DISCONNECT, None),    # an "unsupported test feature"
}

# The parameters that hold restriction lists, and what a bare "type:name"
# element means in each (None: smtpd answers 451 4.3.5 there). A restriction
# class takes the meaning of the list it is used from.
LIST_PARAMETERS = {
    'smtpd_client_restrictions': 'check_client_access',
    'smtpd_helo_restrictions': 'check_helo_access',
    'smtpd_sender_restrictions': 'check_sender_access',
    'smtpd_relay_restrictions': 'check_recipient_access',
    'smtpd_recipient_restrictions': 'check_recipient_access',
    'smtpd_etrn_restrictions': 'check_etrn_access',
    'smtpd_data_restrictions': None,
    'smtpd_end_of_data_restrictions': None,
}


def release(version):
    """(major, minor) of a version tuple such as (3, 7) or (3, 7, 11)."""
    return tuple(version[:2])


def info(name):
    """The Restriction record of a built-in name, matched case-insensitively as smtpd does; None if unknown."""
    return RESTRICTIONS.get(name.lower())


def known(version):
    """The restriction names that Postfix ``version`` accepts (names removed by then are not)."""
    current = release(version)
    return frozenset(restriction.name for restriction in _RESTRICTIONS
                     if restriction.since <= current and not removed_by(restriction, current))


def removed_by(restriction, version):
    """Whether Postfix ``version`` no longer supports ``restriction`` (smtpd answers 451 4.3.5)."""
    return restriction.removed is not None and restriction.removed <= release(version)


def deprecated_in(restriction, version):
    """Whether ``restriction`` still works in Postfix ``version`` but logs that it will go."""
    return restriction.deprecated is not None and restriction.deprecated <= release(version) \
        and not removed_by(restriction, version)


def access_results(version):
    """The access(5) result keywords (upper case) that Postfix ``version`` knows."""
    current = release(version)
    return frozenset(word for word, result in ACCESS_RESULTS.items() if result.since <= current)
