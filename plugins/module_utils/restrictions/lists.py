# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and check SMTP access restriction lists and access table values.

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over text and data; nothing here runs a command.

smtpd reads a restriction list only when a client gets to it: an unknown
name, a missing argument or a table type this Postfix lacks makes it answer
every such client "451 4.3.5 Server configuration error", and postfix check
says nothing. These checks find the same mistakes before the list goes live,
with the rules of generic_checks() and check_table_result() in smtpd_check.c.
"""

from __future__ import annotations

import difflib
import re
from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import ConfigValueError, split_list
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.names import (
    ACCESS_RESULTS, DOMAIN, LIST_PARAMETERS, SECONDS, SERVICE, TABLE, access_results, deprecated_in, info, known,
    release, removed_by,
)
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import unsupported_type

# One element of a restriction list: ``name`` as written (None for a bare
# "type:name", which stands for the list's check_*_access), its ``argument``
# (None when it takes none or lacks it), and its ``text``.
Element = namedtuple('Element', 'name argument text')

# Table types that wrap other tables, whose inner types must exist too.
_WRAPPERS = frozenset(['proxy', 'unionmap', 'pipemap'])

# What each kind of argument looks like, for messages.
_USAGE = {
    TABLE: 'a lookup table as its argument, like %(name)s hash:/etc/postfix/%(file)s',
    SERVICE: 'the policy service as its argument, like %(name)s inet:127.0.0.1:10023 or %(name)s unix:private/policy',
    SECONDS: 'a number of seconds as its argument, like %(name)s 1',
    DOMAIN: 'a DNS list domain as its argument, like %(name)s zen.spamhaus.org',
}

# A table value that starts with three digits, 4 or 5 first, and has text
# after them is an SMTP reply.
_REPLY_CODE = re.compile(r'[45][0-9][0-9]\Z')


def _digits(word):
    return word.isascii() and word.isdigit()


def _takes(kind, word):
    # What smtpd accepts as the argument: it needs a ":" in a table or
    # service and digits after sleep, and takes whatever follows a DNS
    # list restriction as its domain.
    if kind in (TABLE, SERVICE):
        return ':' in word
    if kind == SECONDS:
        return _digits(word)
    return True


def parse_restrictions(text):
    """The elements of a restriction list, as a list of Element."""
    words = split_list(text)
    elements = []
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        record = info(word)
        if record is None and ':' in word:
            elements.append(Element(None, word, word))
            continue
        argument = None
        if record is not None and record.argument and position < len(words) \
                and _takes(record.argument, words[position]):
            argument = words[position]
            position += 1
        elements.append(Element(word, argument, word if argument is None else '%s %s' % (word, argument)))
    return elements


def is_restriction_parameter(name, classes):
    """Whether parameter ``name`` holds a restriction list: smtpd_*_restrictions or a restriction class."""
    return name in LIST_PARAMETERS or name in classes


def _inner_tables(table_type, rest):
    if table_type == 'proxy':
        return [rest]
    if rest.startswith('{') and rest.endswith('}'):
        return split_list(rest[1:-1])
    return []


def check_table(where, text, table, table_types):
    """Raise ConfigValueError unless ``table`` is a lookup table ("type:name") whose type ``table_types`` holds,
    and so are the tables inside it (proxy:, unionmap:{...}, pipemap:{...}).

    The one check of table types, for every setting that names a table: restriction lists, ``*_maps``,
    ``*_checks``, domain and network lists, in main.cf and in master.cf ``-o``. ``where`` names the setting, ``text``
    is the element as written there; ``table_types``: what ``postconf -m`` lists (anything ``in`` works, so that it
    is read only when a table is met), None: types are not checked.
    """
    # "{ type:name, { option = value } }" (check_ccert_access) names its table first.
    if table.startswith('{') and table.endswith('}'):
        table = (split_list(table[1:-1]) or [''])[0]
    table_type, dummy, rest = table.partition(':')
    if not table_type or not rest:
        raise ConfigValueError('%s: %s: "%s" is not a lookup table; write type:name, like hash:/etc/postfix/access'
                               % (where, text, table))
    problem = None if table_types is None else unsupported_type(table_type, table_types)
    if problem:
        raise ConfigValueError('%s: %s: %s' % (where, text, problem))
    if table_type in _WRAPPERS:
        for inner in _inner_tables(table_type, rest):
            check_table(where, text, inner, table_types)


def _usage(element, record):
    return _USAGE[record.argument] % {'name': element.name, 'file': record.name.replace('check_', '', 1)}


def _check_argument(where, element, record, known_names, table_types):
    if element.argument is None:
        raise ConfigValueError('%s: %s needs %s' % (where, element.name, _usage(element, record)))
    if record.argument == TABLE:
        check_table(where, element.text, element.argument, table_types)
    elif record.argument == DOMAIN:
        domain = element.argument.partition('=')[0]
        if element.argument.lower() in known_names or '.' not in domain:
            raise ConfigValueError('%s: %s takes the next element, "%s", as its DNS list domain; it needs %s'
                                   % (where, element.name, element.argument, _usage(element, record)))


def _version_text(version):
    return 'Postfix %d.%d' % release(version)


def _access_result_hint(word):
    if word in ('OK', 'RELAY'):
        return 'write permit'
    if word == 'DUNNO':
        return 'leave it out'
    return 'put it in an access table and name the table, like check_sender_access hash:/etc/postfix/sender_access'


def _unknown(where, name, version, names, classes):
    record = info(name)
    if record is not None:
        return '%s: %s needs Postfix %d.%d or later; this is %s' % (
            where, name, record.since[0], record.since[1], _version_text(version))
    if name.upper() in ACCESS_RESULTS:
        return ('%s: %s is an access table result, not a restriction; smtpd answers "451 4.3.5 Server configuration '
                'error" when it meets it in a list: %s' % (where, name, _access_result_hint(name.upper())))
    # Built-in names are matched ignoring case, class names exactly.
    candidates = {candidate.lower(): candidate for candidate in sorted(classes)}
    candidates.update((candidate, candidate) for candidate in names)
    close = difflib.get_close_matches(name.lower(), candidates, n=1, cutoff=0.8)
    if close:
        return '%s: unknown restriction "%s"; did you mean %s?' % (where, name, candidates[close[0]])
    return ('%s: unknown restriction "%s": %s has no restriction of that name and smtpd_restriction_classes names no '
            'such class, so smtpd would answer "451 4.3.5 Server configuration error"'
            % (where, name, _version_text(version)))


def _check_list(where, elements, version, classes, table_types, bare_tables):
    names = known(version)
    warnings = []
    for element in elements:
        if element.name is None:
            if not bare_tables:
                raise ConfigValueError(
                    '%s: a lookup table on its own (%s) is a server error here (451 4.3.5); name the check that '
                    'uses it, like check_sender_access %s' % (where, element.text, element.text))
            check_table(where, element.text, element.argument, table_types)
            continue
        record = info(element.name)
        if record is not None and removed_by(record, version):
            raise ConfigValueError(
                '%s: %s was removed in Postfix %d.%d (smtpd answers "451 4.3.5 Server configuration error" when it '
                'meets it); use %s instead' % (where, element.name, record.removed[0], record.removed[1],
                                               record.instead))
        if record is not None and record.name in names:
            if record.argument:
                _check_argument(where, element, record, names, table_types)
            if deprecated_in(record, version):
                warnings.append('%s: %s is deprecated since Postfix %d.%d and will be removed; use %s instead'
                                % (where, element.name, record.deprecated[0], record.deprecated[1], record.instead))
        elif element.name not in classes:
            raise ConfigValueError(_unknown(where, element.name, version, names, classes))
    return warnings


def check_restrictions(parameter, text, version, classes, table_types=None):
    """Raise ConfigValueError unless every element of restriction list ``text`` works in Postfix ``version``.

    ``parameter`` names the list (smtpd_*_restrictions, or a restriction
    class); ``classes`` are the names in smtpd_restriction_classes;
    ``table_types`` is what ``postconf -m`` lists (None: types are not
    checked). Returns warnings about deprecated restrictions.
    """
    bare_tables = LIST_PARAMETERS.get(parameter, 'class') is not None
    return _check_list(parameter, parse_restrictions(text), version, frozenset(classes), table_types, bare_tables)


# What access results with a required argument need after them, and an example.
_NEEDS = {
    'transport:destination': (re.compile(r'.*:'), 'smtp:[127.0.0.1]:10025'),
    'user@domain': (re.compile(r'.*@'), 'postmaster@example.com'),
    'header: text': (re.compile(r'[!-9;-~]+:'), 'X-Checked: yes'),  # a header name, a colon
}


def _check_access_value(where, value, version, classes):
    text = value.strip()
    if not text:
        raise ConfigValueError('%s: the value is empty; Postfix reads that as OK (with a warning): write OK' % where)
    word = re.match(r'[^ \t]*', text).group()
    rest = text[len(word):].strip()
    result = ACCESS_RESULTS.get(word.upper())
    if result is not None and word.upper() not in access_results(version):
        raise ConfigValueError('%s: %s needs Postfix %d.%d or later; this is %s' % (
            where, word, result.since[0], result.since[1], _version_text(version)))
    if result is not None:
        needs = result.needs
        if needs and not _NEEDS[needs][0].match(rest):
            example = _NEEDS[needs][1]
            raise ConfigValueError('%s: %s needs %s after it, like %s %s' % (where, word, needs, word, example))
        return []
    if _REPLY_CODE.match(word) and not rest:
        # All digits: smtpd reads it as OK (before it looks for a reply code).
        raise ConfigValueError('%s: %s alone means OK to Postfix (an all-digit value permits); give text after the '
                               'reply code, like %s 4.7.1 Access denied' % (where, word, word))
    if _digits(text) or _REPLY_CODE.match(word):
        return []
    if ':' in text:
        raise ConfigValueError(
            '%s: "%s" names a lookup table or service, which smtpd refuses in an access table value (451 4.3.5 '
            'Server configuration error); define a restriction class in smtpd_restriction_classes and give its '
            'name instead' % (where, text))
    return _check_list(where, parse_restrictions(text), version, classes, None, False)


def check_access_table_values(table_name, entries, version, classes):
    """Raise ConfigValueError unless every value of an access table works in Postfix ``version``.

    ``entries`` are (key, value) pairs; a value is an access(5) result or a
    restriction list (restrictions and names in ``classes``). Returns
    warnings about deprecated restrictions.
    """
    classes = frozenset(classes)
    warnings = []
    for key, value in entries:
        warnings.extend(_check_access_value('%s, key %s' % (table_name, key), value, version, classes))
    return warnings
