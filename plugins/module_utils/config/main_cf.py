# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""main.cf parameters: parse ``postconf`` output, render and compare values.

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over text and data; nothing here runs a command.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError

# Parameter names as postconf accepts them (2bounce_notice_recipient starts
# with a digit).
PARAMETER_NAME = re.compile(r'[A-Za-z0-9_]+')

# Changing these takes effect only after "postfix stop; postfix start"
# (postconf(5)); a reload is not enough.
RESTART_PARAMETERS = frozenset(['inet_interfaces', 'inet_protocols'])

_UNUSED_WARNING = re.compile(r'warning: (?P<file>\S+): unused parameter: (?P<name>[^=\s]+)=')


class ConfigValueError(MailopsError):
    """A parameter name or value that cannot be written safely."""


def _lines(text):
    # Only "\n" ends a line for Postfix; str.splitlines() would also split at
    # U+2028 and friends and misread the rest of a value as a new setting.
    return text.split('\n')


def parse_parameters(text):
    """Parse ``postconf [-n]`` output ("name = value" lines) into a dict."""
    parameters = {}
    for line in _lines(text):
        if not line.strip():
            continue
        name, sep, value = line.partition(' =')
        if not sep:
            raise ConfigValueError('unexpected postconf output line: %r' % line)
        parameters[name.strip()] = value.strip()
    return parameters


def parse_main_cf(text):
    """Parse main.cf itself into name -> value, the way Postfix reads it.

    Lines starting with white space continue the previous line; lines whose
    first non-space character is "#" and empty lines are ignored; the last
    setting of a name wins. Needed for user-defined parameters, which
    ``postconf -n`` leaves out when nothing uses them.
    """
    logical = []
    for line in _lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        if line[0].isspace() and logical:
            logical[-1] += ' ' + stripped
        else:
            logical.append(stripped)
    parameters = {}
    for line in logical:
        name, sep, value = line.partition('=')
        if sep:
            parameters[name.strip()] = value.strip()
    return parameters


def current_values(postconf_n_text, read_main_cf, names):
    """Explicit main.cf settings: ``postconf -n`` output, plus main.cf's own
    values for those of ``names`` that postconf leaves out (unused user-defined
    parameters). ``read_main_cf()`` returns main.cf's text; it is called only
    when such names are asked for."""
    current = parse_parameters(postconf_n_text)
    missing = [name for name in names if name not in current]
    if missing:
        in_file = parse_main_cf(read_main_cf())
        current.update((name, in_file[name]) for name in missing if name in in_file)
    return current


def parse_unused_warnings(stderr):
    """Names that postconf reports as "unused parameter", as (file, name) pairs."""
    return [(m.group('file'), m.group('name')) for m in _UNUSED_WARNING.finditer(stderr)]


def check_name(name):
    """Raise ConfigValueError unless ``name`` is a syntactically valid parameter name."""
    if not isinstance(name, str) or not PARAMETER_NAME.fullmatch(name):
        raise ConfigValueError(
            'invalid parameter name %r: Postfix parameter names consist of letters, digits and "_"' % (name,))


# Characters that end a line somewhere (C0 and C1 controls, Unicode line and
# paragraph separators); a tab is fine.
LINE_BREAKING = re.compile('[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]')


# postconf -e takes each setting as one command-line argument, and Linux refuses
# an argument over 128 KiB ("Error executing command"). Postfix itself reads
# longer lines, but a value this long belongs in a table (mynetworks = cidr:...).
MAX_VALUE_LENGTH = 65536


def too_long(what, text):
    """A message when ``text`` is longer than MAX_VALUE_LENGTH, else None."""
    if len(text) <= MAX_VALUE_LENGTH:
        return None
    return '%s is %d characters long, more than the %d this collection writes in one setting or entry' % (
        what, len(text), MAX_VALUE_LENGTH)


def check_length(what, text):
    """Raise ConfigValueError for a value too long to be a sensible main.cf or master.cf setting."""
    message = too_long(what, text)
    if message:
        raise ConfigValueError(
            '%s; put long lists into a lookup table and name the table instead (for example mynetworks = '
            'cidr:/etc/postfix/mynetworks, written with mailops.postfix.postfix_map)' % message)


def _check_text(name, text):
    check_length('value of %s' % name, text)
    found = LINE_BREAKING.search(text)
    if found:
        raise ConfigValueError(
            'value of %s contains a newline or control character (%r); one parameter is one line in main.cf, '
            'and a line break would start another setting' % (name, found.group()))


def render_value(name, value):
    """The main.cf text for a value: yes/no for booleans, lists joined with ", "."""
    if isinstance(value, bool):
        text = 'yes' if value else 'no'
    elif isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, (list, tuple)):
        items = [render_value(name, item) for item in value]
        text = ', '.join(item for item in items if item)
    elif value is None:
        text = ''
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ConfigValueError('value of %s has unsupported type %s' % (name, type(value).__name__))
    _check_text(name, text)
    return text


def tokenize(text, commas=False):
    """Split text into words the way Postfix does (mystrtokq()): on white space (and
    on commas, for lists), keeping { ... } groups whole.

    Like Postfix, this reads any text: a "}" without its "{" is an ordinary
    character, and a "{" without its "}" runs to the end of the text. Values
    being written are checked with brace_problem() first.
    """
    words, current, depth = [], [], 0
    for char in text:
        if char == '{':
            depth += 1
        elif char == '}' and depth:
            depth -= 1
        elif depth == 0 and (char.isspace() or commas and char == ','):
            if current:
                words.append(''.join(current))
                current = []
            continue
        current.append(char)
    if current:
        words.append(''.join(current))
    return words


def brace_problem(text):
    """What is wrong with the braces in ``text``, or None when each "{" has its "}"."""
    depth = 0
    for char in text:
        if char == '{':
            depth += 1
        elif char == '}':
            if not depth:
                return 'a "}" without its "{"'
            depth -= 1
    return 'a "{" without its "}"' if depth else None


# Parameters whose value is free text, a character set or a shell command rather
# than a list: braces in them are literal characters (smtpd_banner,
# default_rbl_reply, smtpd_reject_footer, smtpd_expansion_filter, mailbox_command).
_FREE_TEXT = re.compile(r'.*_(?:banner|reply|footer|filter|command|text)')


def value_brace_problem(name, text):
    """brace_problem() of a parameter's value, or None for a value that is not a list."""
    return None if _FREE_TEXT.fullmatch(name) else brace_problem(text)


def check_braces(name, text, what=None):
    """Raise ConfigValueError when a value that Postfix parses as a list has unbalanced braces.

    Postfix reads a list element from "{" to its "}"; with one missing, the
    rest of the list becomes one element, and smtpd answers every client
    "451 4.3.5 Server configuration error". postfix check does not notice.
    """
    problem = value_brace_problem(name, text)
    if problem:
        raise ConfigValueError(
            '%s = %s: %s. Postfix reads a list element from "{" to its "}", so the rest of the list would become '
            'one element and the server would fail at run time; close the group or remove the brace'
            % (what or name, text, problem))


def split_list(text):
    """The elements of a Postfix list value (separated by commas and/or white space)."""
    return tokenize(text, commas=True)


def values_equal(current, desired):
    """Whether the current main.cf text already means the desired value.

    The desired value's type says how to compare: lists by their elements
    (Postfix ignores how they are separated), booleans case-insensitively,
    everything else as the exact text.
    """
    if current is None:
        return False
    if isinstance(desired, (list, tuple)):
        return split_list(current) == split_list(render_value('', desired))
    rendered = render_value('', desired)
    if isinstance(desired, bool):
        return current.lower() == rendered
    return current == rendered
