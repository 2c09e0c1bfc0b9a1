# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter role's milters, checked and turned into Postfix's milter settings."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import (
    MILTER_ACTIONS as ACTIONS,
    MILTER_TIMEOUTS as TIMEOUTS,
    TIME_VALUE,
)
from ansible_collections.mailops.postfix.plugins.plugin_utils.domain_names import domain_name

TRAFFIC = ('smtpd', 'non_smtpd', 'both')
PROTOCOLS = (2, 3, 4, 6)
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
_HOST = re.compile(r'^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)$')
_KNOWN = {'name', 'socket', 'traffic', 'default_action', 'protocol', 'may_be_down'} | set(TIMEOUTS)


def _refuse(index, milter, problem):
    name = milter.get('name') if isinstance(milter, dict) else None
    raise AnsibleFilterError('filter: filter_milters[%d]%s %s' % (index, ' (%s)' % name if name else '', problem))


def milter_socket(socket):
    """``socket`` as (kind, where): ('unix', path) or ('inet', (host, port)); None when Postfix would not take it."""
    if not isinstance(socket, str) or re.search(r'[\s,{}=]', socket):
        return None
    kind, colon, rest = socket.partition(':')
    if not colon:
        return None
    if kind == 'unix':
        return ('unix', rest) if rest.startswith('/') and len(rest) > 1 else None
    if kind == 'inet':
        host, colon, port = rest.rpartition(':')
        if colon and _HOST.match(host) and port.isdigit() and 0 < int(port) < 65536:
            return ('inet', (host.strip('[]'), int(port)))
    return None


def _checked(index, milter):
    if not isinstance(milter, dict):
        _refuse(index, milter, 'is not a mapping: give name, socket and, optionally, traffic, default_action, '
                               'protocol, %s and may_be_down' % ', '.join(TIMEOUTS))
    unknown = sorted(set(milter) - _KNOWN)
    if unknown:
        _refuse(index, milter, 'has unknown keys %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(_KNOWN))))
    name = milter.get('name')
    if not isinstance(name, str) or not _NAME.match(name):
        _refuse(index, milter, 'needs a name of letters, digits, ".", "_" and "-", not %r' % (name,))
    if milter_socket(milter.get('socket')) is None:
        _refuse(index, milter, 'has the socket %r, which is not unix:/absolute/path or inet:host:port (port 1 to '
                               '65535, an IPv6 address in brackets)' % (milter.get('socket'),))
    traffic = milter.get('traffic') or 'both'
    if traffic not in TRAFFIC:
        _refuse(index, milter, 'has traffic %r: smtpd (mail received over SMTP), non_smtpd (mail submitted with '
                               'sendmail, including the local bounce and notice messages) or both' % (traffic,))
    action = milter.get('default_action')
    if action is not None and action not in ACTIONS:
        _refuse(index, milter, 'has default_action %r: one of %s' % (action, ', '.join(ACTIONS)))
    protocol = milter.get('protocol')
    if protocol is not None and (isinstance(protocol, bool) or protocol not in PROTOCOLS):
        _refuse(index, milter, 'has protocol %r: Postfix speaks milter protocol %s'
                % (protocol, ', '.join(str(p) for p in PROTOCOLS)))
    for timeout in TIMEOUTS:
        value = milter.get(timeout)
        if value is not None and not (TIME_VALUE.fullmatch(str(value)) and int(str(value).rstrip('smhdw')) > 0):
            _refuse(index, milter, 'has %s %r, which is not a Postfix time value of at least 1 such as 30s or 5m'
                    % (timeout, value))
    return traffic


def milter_entry(milter):
    """One milter as an element of smtpd_milters: its socket, or { socket, name=value, ... } with its settings."""
    settings = [('default_action', milter.get('default_action')), ('protocol', milter.get('protocol'))]
    settings += [(timeout, milter.get(timeout)) for timeout in TIMEOUTS]
    given = ['%s=%s' % (name, value) for name, value in settings if value is not None]
    return '{ %s }' % ', '.join([milter['socket']] + given) if given else milter['socket']


def milter_settings(milters, default_action):
    """The role's milters -> main.cf settings and the probes to run before they go live.

    ``milters`` is a list in the order Postfix is to call them; ``default_action`` is milter_default_action,
    what Postfix does with mail when a milter without its own default_action does not answer. Returns
    ``parameters`` (smtpd_milters, non_smtpd_milters, milter_default_action: the role owns all three, and an empty
    list sets none) and ``probes`` (name, socket, may_be_down), one per distinct milter.
    """
    if not isinstance(milters, list):
        raise AnsibleFilterError('filter: filter_milters is not a list of milters')
    if default_action not in ACTIONS:
        raise AnsibleFilterError('filter: filter_default_action %r: one of %s' % (default_action, ', '.join(ACTIONS)))
    smtpd, non_smtpd, probes, names, sockets = [], [], [], set(), {}
    for index, milter in enumerate(milters):
        traffic = _checked(index, milter)
        if milter['name'] in names:
            _refuse(index, milter, 'has a name that an earlier milter has: names must be unique')
        names.add(milter['name'])
        if milter['socket'] in sockets:
            _refuse(index, milter, 'has the socket of %s: give one milter per socket, with traffic both where it '
                                   'sees both kinds of mail' % sockets[milter['socket']])
        sockets[milter['socket']] = milter['name']
        entry = milter_entry(milter)
        if traffic in ('smtpd', 'both'):
            smtpd.append(entry)
        if traffic in ('non_smtpd', 'both'):
            non_smtpd.append(entry)
        probes.append({'name': milter['name'], 'socket': milter['socket'],
                       'may_be_down': bool(milter.get('may_be_down', False))})
    return {'parameters': {'smtpd_milters': ', '.join(smtpd), 'non_smtpd_milters': ', '.join(non_smtpd),
                           'milter_default_action': default_action},
            'probes': probes}


# A DKIM selector is one or more DNS labels (RFC 6376 3.1); it names the key's TXT record.
_SELECTOR = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')


def dkim_plan(signing, keys_dir):
    """The DKIM signing domains and selectors -> OpenDKIM's KeyTable and SigningTable, and the keys.

    ``signing`` is a list of {domain, selector}; each domain is signed with one key, kept at
    ``keys_dir``/DOMAIN/SELECTOR.private. Returns ``key_table`` and ``signing_table`` (the files' text, the
    SigningTable in refile form, where OpenDKIM reads "*" as any text and
    "." as a dot: every sender address of the domain, not of its subdomains) and ``signing_keys`` (domain, selector, path,
    record: the name of the TXT record to publish).
    """
    if not isinstance(signing, list):
        raise AnsibleFilterError('filter: filter_dkim_domains is not a list of {domain, selector}')
    keys, seen = [], set()
    for index, entry in enumerate(signing):
        if not isinstance(entry, dict) or set(entry) - {'domain', 'selector'}:
            raise AnsibleFilterError('filter: filter_dkim_domains[%d] is not a mapping of domain and selector: %r'
                                     % (index, entry))
        domain = domain_name(entry.get('domain'))
        if domain is None or '_' in domain:
            raise AnsibleFilterError('filter: filter_dkim_domains[%d] has the domain %r, which is not a domain name'
                                     % (index, entry.get('domain')))
        selector = entry.get('selector')
        if not isinstance(selector, str) or not _SELECTOR.match(selector):
            raise AnsibleFilterError('filter: filter_dkim_domains[%d] (%s) has the selector %r: one or more DNS '
                                     'labels of letters, digits and "-", such as mail2026' % (index, domain, selector))
        if domain in seen:
            raise AnsibleFilterError('filter: filter_dkim_domains[%d] signs %s a second time: give each domain once, '
                                     'with the selector of the key in use' % (index, domain))
        seen.add(domain)
        record = '%s._domainkey.%s' % (selector, domain)
        keys.append({'domain': domain, 'selector': selector, 'record': record,
                     'path': '%s/%s/%s.private' % (keys_dir.rstrip('/'), domain, selector)})
    return {
        'key_table': ''.join('%s %s:%s:%s\n' % (key['record'], key['domain'], key['selector'], key['path'])
                             for key in keys),
        'signing_table': ''.join('*@%s %s\n' % (key['domain'], key['record']) for key in keys),
        'signing_keys': keys,
    }


class FilterModule:
    """Role data filters of mailops.postfix's filter role."""

    def filters(self):
        return {'dkim_plan': dkim_plan, 'milter_settings': milter_settings}
