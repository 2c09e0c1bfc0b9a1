# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The archive role's data, checked before anything is written."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.postfix.plugins.plugin_utils.domain_names import domain_name

# A dot-string local part (RFC 5321) without "$": the address is the result of a regexp or pcre rule, where "$"
# starts a substitution. Quoted local parts are not taken.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#%&'*+/=?^_`{|}~-]+)*$")


def archive_address(address, what='archive_address'):
    """``address`` when it is exactly one address, local-part@domain in ASCII; otherwise an error naming ``what``."""
    def refuse(problem):
        raise AnsibleFilterError('archive: %s %r %s. Give one address, local-part@domain, in ASCII (an '
                                 'internationalized domain in its xn-- form), for example archive@example.com'
                                 % (what, address, problem))

    if not isinstance(address, str) or not address:
        refuse('is not an address')
    if ',' in address:
        refuse('holds a comma: it takes one address, not a list')
    if re.search(r'\s', address):
        refuse('holds white space')
    local, at, domain = address.rpartition('@')
    if not at or not local:
        refuse('is not local-part@domain')
    if not address.isascii():
        refuse('is not ASCII')
    if len(local) > 64 or not _LOCAL_PART.match(local):
        refuse('has a local part, %r, that is not one dot-separated word of letters, digits and !#%%&\'*+/=?^_`{|}~- '
               '(at most 64 characters, no quotes, no "$" or "@")' % local)
    if domain_name(domain) is None:
        refuse('has a domain, %r, that is not a domain name' % domain)
    return address


class FilterModule:
    """Role data filters of mailops.postfix's archive role."""

    def filters(self):
        return {'archive_address': archive_address}
