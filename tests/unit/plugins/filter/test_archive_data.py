# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/filter/archive_data.py: the archive role's address."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.filter.archive_data import archive_address


@pytest.mark.parametrize('address', [
    'archive@example.com',
    'Archive.Copies+all@Mail.Example.COM',
    "o'brien-archive@example.co.uk",
    'a@localhost',
    'archive@xn--bcher-kva.example',
    'x_y=z/w@sub_domain.example.com',
])
def test_one_address_is_returned_as_given(address):
    assert archive_address(address) == address


@pytest.mark.parametrize('address, problem', [
    ('archive@example.com, legal@example.com', 'holds a comma: it takes one address, not a list'),
    ('archive@example.com,legal@example.com', 'holds a comma'),
    ('archive @example.com', 'holds white space'),
    ('archive@example.com legal@example.com', 'holds white space'),
    ('archive@example.com\n', 'holds white space'),
    ('archive@bücher.example', 'is not ASCII'),
    ('ärchive@example.com', 'is not ASCII'),
    ('archive', 'is not local-part@domain'),
    ('@example.com', 'is not local-part@domain'),
    ('archive@', "has a domain, '', that is not a domain name"),
    ('archive@example..com', "has a domain, 'example..com', that is not a domain name"),
    ('archive@[192.0.2.1]', "has a domain, '[192.0.2.1]', that is not a domain name"),
    ('a@b@example.com', "has a local part, 'a@b', that is not one dot-separated word"),
    ('"arch ive"@example.com', 'holds white space'),
    ('"archive"@example.com', "has a local part, '\"archive\"'"),
    ('archive$1@example.com', "has a local part, 'archive$1'"),
    ('.archive@example.com', "has a local part, '.archive'"),
    ('arch..ive@example.com', "has a local part, 'arch..ive'"),
    ('a' * 65 + '@example.com', "has a local part, '%s', that is not one dot-separated word of letters, digits and "
                                "!#%%&'*+/=?^_`{|}~- (at most 64 characters" % ('a' * 65)),
    ('', 'is not an address'),
    (None, 'is not an address'),
    (['archive@example.com'], 'is not an address'),
])
def test_anything_but_one_address_is_refused_naming_the_variable(address, problem):
    with pytest.raises(AnsibleFilterError) as error:
        archive_address(address)
    message = str(error.value)
    assert message.startswith('archive: archive_address %r %s' % (address, problem))
    assert message.endswith('Give one address, local-part@domain, in ASCII (an internationalized domain in its xn-- '
                            'form), for example archive@example.com')


def test_the_message_names_the_variable_given():
    with pytest.raises(AnsibleFilterError, match="^archive: the address 'a b' holds white space"):
        archive_address('a b', 'the address')
