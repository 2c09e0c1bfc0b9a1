# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/restrictions/relay_reach.py: networks, patterns and lookup keys."""

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.relay_reach import (
    CONTAINS, EVERY, EXACT, PREFIX, SUFFIX, CannotTell, Shape, address_prefixes, client_pattern_reach,
    domain_list_reach, domain_reach, parents, prefix_network, public_addresses, shape, shape_matches,
    summed_too_wide, too_wide,
)


@pytest.mark.parametrize('pattern, expected', [
    ('/./', Shape(EVERY, '', False)),
    ('/^/', Shape(EVERY, '', False)),
    ('/.*/', Shape(EVERY, '', False)),
    ('//', Shape(EVERY, '', False)),
    ('/^.*$/', Shape(EVERY, '', False)),
    ('/^.+$/', Shape(EVERY, '', False)),
    ('/.?/', Shape(EVERY, '', False)),
    ('!/./', Shape(EVERY, '', True)),
    ('! /^x$/', Shape(EXACT, 'x', True)),
    ('/^Mail\\.Example\\.com$/', Shape(EXACT, 'mail.example.com', False)),
    ('/^192\\.0\\.2\\./', Shape(PREFIX, '192.0.2.', False)),
    ('/\\.example\\.com$/', Shape(SUFFIX, '.example.com', False)),
    ('/\\.example\\.com$/i', Shape(SUFFIX, '.example.com', False)),
    ('#@example\\.com$#', Shape(SUFFIX, '@example.com', False)),
    ('/a\\/b/', Shape(CONTAINS, 'a/b', False)),
    ('/mail/', Shape(CONTAINS, 'mail', False)),
])
def test_readable_patterns(pattern, expected):
    assert shape(pattern) == expected


@pytest.mark.parametrize('pattern', [
    '/^.$/',             # one character
    '/^..$/',
    '/a.b/',             # literal text and wild cards
    '/[a-z]/', '/(a|b)/', '/a|b/', '/a{2}/', '/\\d/', '/\\bx/', '/x\\1/', '/x+/', '/a^b/', '/a$b/',
    '/x/x',              # extended syntax changes what white space means
    '/x/m', '/x/s',
    'x', '/unclosed',
])
def test_unreadable_patterns(pattern):
    assert shape(pattern) is None


@pytest.mark.parametrize('pattern, text, matches', [
    ('/./', 'anything', True),
    ('!/./', 'anything', False),
    ('/^mail\\./', 'MAIL.example.com', True),
    ('/^mail\\./', 'x.mail.example', False),
    ('/\\.example\\.com$/', 'a.example.com', True),
    ('/\\.example\\.com$/', 'example.com', False),
    ('!/^example\\.com$/', 'example.org', True),
    ('/xam/', 'example', True),
])
def test_shape_matches(pattern, text, matches):
    assert shape_matches(shape(pattern), text) is matches


@pytest.mark.parametrize('pattern, reachable', [
    ('/./', True), ('/^unknown$/', True), ('/^mx\\.example\\.com$/', False), ('/\\.example\\.com$/', False),
    ('/\\.com$/', True), ('/\\.localhost$/', False), ('/example\\.com$/', True), ('/\\.0\\.2\\.7$/', True),
    ('/^192\\.0\\.2\\./', True), ('/mail/', True), ('!/./', False), ('!/^x$/', True),
    ('/^2001:db8:/', False), ('/^2001:/', False), ('/^fe80:/', False),
])
def test_client_pattern_reach(pattern, reachable):
    why = client_pattern_reach(pattern)
    assert not isinstance(why, CannotTell)
    assert bool(why) is reachable, why


def test_client_pattern_reach_unreadable():
    why = client_pattern_reach('/^192\\.0\\.2\\.[0-9]+$/')
    assert isinstance(why, CannotTell)
    assert why.startswith('cannot tell which clients the pattern /^192\\.0\\.2\\.[0-9]+$/ matches; write patterns')


@pytest.mark.parametrize('pattern, why', [
    ('/./', '/./ matches every domain'),
    ('/\\.com$/', '/\\.com$/ matches every domain in the top-level domain com'),
    ('/\\.localhost$/', ''),
    ('/^example\\.org$/', ''),
    ('/\\.example\\.org$/', ''),
    ('/example\\.org$/', '/example\\.org$/ matches every domain that ends in "example.org", and anyone can register one'),
    ('/^mail\\./', '/^mail\\./ matches every domain that starts with "mail.", and anyone can register one'),
    ('!/^example\\.org$/', '!/^example\\.org$/ matches every domain it does not name'),
    ('!/./', ''),
])
def test_domain_reach(pattern, why):
    assert domain_reach(pattern, shape(pattern)) == why


def test_domain_reach_asks_whether_a_named_domain_is_ours():
    asked = []

    def owned(domain):
        asked.append(domain)
        return '' if domain == 'ours.example' else 'not ours'

    assert domain_reach('p', shape('/^ours\\.example$/'), owned) == ''
    assert domain_reach('p', shape('/\\.theirs\\.example$/'), owned) == 'not ours'
    assert asked == ['ours.example', 'theirs.example']


@pytest.mark.parametrize('item, parent_style, open_', [
    ('com', True, True), ('com', False, False), ('.com', True, True), ('.com', False, True),
    ('example.com', True, False), ('.example.com', False, False), ('localhost', True, False),
    ('.localhost', False, False),
])
def test_domain_list_reach(item, parent_style, open_):
    assert bool(domain_list_reach(item, parent_style)) is open_


@pytest.mark.parametrize('key, network', [
    ('1', '1.0.0.0/8'), ('192.0.2', '192.0.2.0/24'), ('10.1', '10.1.0.0/16'),
    ('192.0.2.1', None), ('256', None), ('mail', None), ('1.x', None), ('', None),
])
def test_prefix_network(key, network):
    assert prefix_network(key) == (None if network is None else ipaddress.ip_network(network))


@pytest.mark.parametrize('network, why', [
    ('10.0.0.0/8', ''), ('10.0.0.0/7', 'x is wider than /8'), ('0.0.0.0/0', 'x covers the whole Internet'),
    ('2001::/16', ''), ('2000::/3', 'x is wider than /16'), ('::/0', 'x covers the whole Internet'),
    ('::ffff:0:0/96', 'x covers the whole IPv4 Internet'), ('::ffff:10.0.0.0/104', ''),
    ('::ffff:10.0.0.0/103', 'x is wider than IPv4 /8'), ('::/64', 'x covers every IPv4 address (as ::ffff:a.b.c.d)'),
])
def test_too_wide(network, why):
    assert too_wide(ipaddress.ip_network(network), 'x') == why


@pytest.mark.parametrize('networks, count', [
    (['1.0.0.0/8'], 2 ** 24),
    (['1.0.0.0/8', '1.0.0.0/9'], 2 ** 24),
    (['10.0.0.0/8', '192.168.0.0/16', '127.0.0.0/8'], 0),
    (['0.0.0.0/0'], 2 ** 32 - sum(2 ** (32 - prefix) for prefix in (8, 8, 10, 8, 16, 12, 24, 24, 16, 15, 24, 24, 4, 4))),
    (['192.0.0.0/8'], 2 ** 24 - 2 ** 16 - 2 ** 8 - 2 ** 8),  # without 192.168/16, 192.0.0/24, 192.0.2/24
    (['2001:db8::/32'], 0),
    (['2001::/16'], 2 ** 112 - 2 ** 96),
    (['fc00::/7', 'fe80::/10', '::1/128'], 0),
    (['::/0'], 2 ** 125 - 2 ** 96),
])
def test_public_addresses(networks, count):
    assert public_addresses([ipaddress.ip_network(network) for network in networks]) == count


def test_summed_too_wide():
    networks = [ipaddress.ip_network(text) for text in ('1.0.0.0/8', '2.0.0.0/8', '::ffff:3.0.0.0/104')]
    assert summed_too_wide(networks, 'mynetworks lists') == (
        "mynetworks lists 3 networks (1.0.0.0/8, 2.0.0.0/8, 3.0.0.0/8) that together cover 50,331,648 public IPv4 "
        "addresses, more than one /8 (16,777,216); list this site's networks only")
    assert summed_too_wide(networks[:1], 'x') == ''
    assert summed_too_wide([ipaddress.ip_network('2a00::/16'), ipaddress.ip_network('2a01::/17')], 'x').startswith(
        'x 2 networks (2a00::/16, 2a01::/17) that together cover')


@pytest.mark.parametrize('domain, parent_style, keys', [
    ('a.b.example', True, ['b.example', 'example']),
    ('a.b.example', False, ['.b.example', '.example']),
    ('localhost', True, []),
])
def test_parents(domain, parent_style, keys):
    assert parents(domain, parent_style) == keys


@pytest.mark.parametrize('address, keys', [
    ('192.0.2.7', ['192.0.2.7', '192.0.2', '192.0', '192']),
    ('2001:db8:5:6::7', ['2001:db8:5:6::7', '2001:db8:5:6:', '2001:db8:5:6', '2001:db8:5', '2001:db8', '2001']),
])
def test_address_prefixes(address, keys):
    assert address_prefixes(address) == keys
