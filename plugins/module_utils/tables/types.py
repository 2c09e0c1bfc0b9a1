# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this collection knows about Postfix lookup table types (DATABASE_README, *_table(5)).

Private to this collection: roles and playbooks use the modules, never module_utils.
"""

from __future__ import annotations

import re

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

# SQL tables (sqlite_table(5), mysql_table(5), pgsql_table(5)): the file holds
# the client's settings and the query, the rows live in the database and each
# lookup asks it, so a row changes an answer at once. The file is read when a
# daemon opens the table, at its start; with proxy: one proxymap process holds it
# open for all of them. "postfix reload" makes every daemon, proxymap included,
# exit once idle, and the new ones read the new file.
SQL_TYPES = frozenset(['mysql', 'pgsql', 'sqlite'])

# Types read straight from their file, into memory, when a daemon starts (the
# SQL types' settings too): a change takes effect after "postfix reload".
READ_AT_START = frozenset(['cidr', 'pcre', 'regexp', 'texthash']) | SQL_TYPES

# Parameters whose tables route or authenticate outgoing mail. A daemon notices
# a rebuilt indexed table only after the request it is serving, which still
# gets the old answer, and trivial-rewrite(8) caches its transport and relayhost
# lookups: a change goes to the next delivery only after "postfix reload"
# (transport(5)). postfix_freeze's suspension table is a transport table.
RELOAD_PARAMETERS = frozenset(['transport_maps', 'sender_dependent_relayhost_maps', 'smtp_tls_policy_maps',
                               'smtp_sasl_password_maps'])

# Tables of ordered "pattern action" rules, where the first match wins.
RULE_TYPES = frozenset(['cidr', 'pcre', 'regexp'])

# Tables of "key value" entries; Postfix folds their keys to lower case.
KEY_VALUE_TYPES = frozenset(COMPILED_SUFFIXES) | frozenset(['texthash'])

# File tables: the source holds the entries.
MANAGED_TYPES = KEY_VALUE_TYPES | RULE_TYPES

# The types postfix_map and postconf's tables write.
WRITTEN_TYPES = MANAGED_TYPES | SQL_TYPES

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


def change_needs_reload(table_type, named_by=()):
    """Whether a running Postfix picks up a change to a table only after a reload: the one table rule.

    ``named_by``: the main.cf parameters that name the table. True for the
    types daemons read when they start (READ_AT_START, the SQL types' settings
    included), and for any type that
    a parameter of RELOAD_PARAMETERS names; other indexed tables are reopened
    by the daemons that use them.
    """
    return table_type in READ_AT_START or not RELOAD_PARAMETERS.isdisjoint(named_by)


def table_reference(path, table_type=None):
    """A pattern that finds, in a parameter's value ($name expanded), the table of file ``path``: of
    ``table_type``, or of any type. A table may sit inside proxy:, unionmap:{...} or pipemap:{...}, and a
    list separates its elements with commas or white space.
    """
    type_pattern = re.escape(table_type) if table_type else r'[\w-]+'
    return re.compile(r'(?:^|[\s,:{])%s:%s(?=$|[\s,}])' % (type_pattern, re.escape(path)))


def naming_parameters(table, values):
    """The parameters of ``values`` (name -> text, $name expanded) whose value names ``table`` ("type:path")."""
    type_name, dummy, path = table.partition(':')
    pattern = table_reference(path, type_name)
    return sorted(name for name, value in values.items() if value and pattern.search(value))


def unsupported_type(table_type, supported_types):
    """Why this host's Postfix cannot open a table of ``table_type``, with the fix in Debian's terms (the package
    that adds the type); None when ``postconf -m`` (``supported_types``) lists the type. The one wording, for
    postfix_map's and postconf's tables and for every setting that names a table (restrictions.lists.check_table())."""
    if table_type in supported_types:
        return None
    package = PACKAGES.get(table_type)
    hint = ('install the %s package' % package) if package else 'this Postfix build does not include it'
    return ('lookup table type "%s" is not supported by this Postfix (postconf -m does not list it): %s'
            % (table_type, hint))


def check_supported(table_type, supported_types):
    """Raise TableTypeError unless ``postconf -m`` (``supported_types``) lists the type."""
    problem = unsupported_type(table_type, supported_types)
    if problem:
        raise TableTypeError(problem)
