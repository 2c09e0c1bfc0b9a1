# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this collection knows about Postfix lookup table types (DATABASE_README, *_table(5)).

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError

# Indexed types: postmap compiles the source into these files, and daemons
# read only the compiled files. Daemons notice a rebuilt file and restart
# themselves, so no reload is needed.
COMPILED_SUFFIXES = {
    'btree': ('.db',),
    'cdb': ('.cdb',),
    'dbm': ('.dir', '.pag'),
    'hash': ('.db',),
    'lmdb': ('.lmdb',),
    'sdbm': ('.dir', '.pag'),
}

# Types read straight from the source file, into memory, when a daemon starts:
# a change takes effect after "postfix reload".
READ_AT_START = frozenset(['cidr', 'pcre', 'regexp', 'texthash'])

# Tables of ordered "pattern action" rules, where the first match wins.
RULE_TYPES = frozenset(['cidr', 'pcre', 'regexp'])

# Tables of "key value" entries; Postfix folds their keys to lower case.
KEY_VALUE_TYPES = frozenset(COMPILED_SUFFIXES) | frozenset(['texthash'])

MANAGED_TYPES = KEY_VALUE_TYPES | RULE_TYPES

# Types that Debian and Ubuntu ship as separate packages (postconf -m lists a
# type only when its plugin is installed).
PACKAGES = {
    'cdb': 'postfix-cdb',
    'ldap': 'postfix-ldap',
    'lmdb': 'postfix-lmdb',
    'mysql': 'postfix-mysql',
    'pcre': 'postfix-pcre',
    'pgsql': 'postfix-pgsql',
    'sqlite': 'postfix-sqlite',
}


class TableTypeError(MailopsError):
    """A table type this host or this module cannot handle."""


def compiled_paths(table_type, path):
    """The files postmap builds from ``path`` (none for types read directly)."""
    return [path + suffix for suffix in COMPILED_SUFFIXES.get(table_type, ())]


def check_supported(table_type, supported_types):
    """Raise TableTypeError unless ``postconf -m`` (``supported_types``) lists the type."""
    if table_type in supported_types:
        return
    package = PACKAGES.get(table_type)
    hint = ('install the %s package' % package) if package else 'this Postfix build does not include it'
    raise TableTypeError('lookup table type "%s" is not supported by this Postfix (postconf -m does not list it): %s'
                         % (table_type, hint))
