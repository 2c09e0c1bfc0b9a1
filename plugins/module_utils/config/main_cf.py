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


# The milter lists: smtpd reads smtpd_milters, cleanup non_smtpd_milters, both with one parser (milter.c).
MILTER_PARAMETERS = ('smtpd_milters', 'non_smtpd_milters')
# Postfix 3.x per-milter settings, inside { socket, name=value, ... } (attr_override(): a setting is one word,
# name=value, or a { name = value } group of its own). A name Postfix does not know is fatal.
MILTER_ACTIONS = ('accept', 'reject', 'tempfail', 'quarantine')
MILTER_TIMEOUTS = ('connect_timeout', 'command_timeout', 'content_timeout')
MILTER_PROTOCOLS = ('2', '3', '4', '6')
MILTER_SETTINGS = ('default_action', 'protocol') + MILTER_TIMEOUTS
# A Postfix time value (conv_time()): a number and an optional unit; the milter timeouts are at least 1.
TIME_VALUE = re.compile(r'[0-9]+[smhdw]?')


def _milter_setting_problem(name, value, daemon):
    """What is wrong with one per-milter setting, or None."""
    if name not in MILTER_SETTINGS:
        return ('"%s" is not a per-milter setting (%s stops with "fatal: unknown option"); Postfix knows %s'
                % (name, daemon, ', '.join(MILTER_SETTINGS)))
    if not value:
        return '%s has no value (%s stops with "fatal: bad string length 0 < 1")' % (name, daemon)
    if name in MILTER_TIMEOUTS and not (TIME_VALUE.fullmatch(value) and int(value.rstrip('smhdw')) > 0):
        return ('%s=%s is not a time of at least 1 such as 30s or 5m (%s stops with "fatal: %s: bad time value '
                'or unit")' % (name, value, daemon, name))
    if name == 'default_action' and value not in MILTER_ACTIONS:
        return ('default_action=%s is not one of %s (Postfix warns "unrecognized default action" and tempfails '
                'the mail)' % (value, ', '.join(MILTER_ACTIONS)))
    words = value.split()
    if name == 'protocol' and (words[0] not in MILTER_PROTOCOLS or any(w != 'no_header_reply' for w in words[1:])):
        return ('protocol=%s is not a milter protocol version (%s, optionally followed by no_header_reply): Postfix '
                'warns "bad protocol information" and skips the milter, so mail passes unfiltered'
                % (value, ', '.join(MILTER_PROTOCOLS)))
    return None


def _split_setting(words, index):
    """The setting that starts at words[index]: (name, value, spaced, words used).

    spaced is the setting as written with white space around "=" (which
    Postfix reads as several words, one of them without "="), else None; name
    is None when the words are no name=value setting.
    """
    word = words[index]
    if word.startswith('{'):
        # { name = value }: white space allowed around "=" and in the value.
        name, sep, value = word[1:-1 if word.endswith('}') else None].partition('=')
        return (name.strip() or None) if sep else None, value.strip(), None, 1
    name, sep, value = word.partition('=')
    following = words[index + 1:index + 3]
    if sep and name and not value and following and '=' not in following[0]:
        return name, following[0], '%s %s' % (word, following[0]), 2
    if not sep and following[:1] == ['='] and len(following) == 2:
        return name, following[1], '%s = %s' % (name, following[1]), 3
    if not sep and following and following[0].startswith('=') and len(following[0]) > 1:
        return name, following[0][1:], '%s %s' % (name, following[0]), 2
    return (name or None) if sep else None, value, None, 1


def milter_problems(name, text):
    """Messages for the elements of a smtpd_milters or non_smtpd_milters value that Postfix cannot use.

    postfix check and postconf accept any text here; smtpd (and cleanup, for
    non_smtpd_milters) parses it only when it starts, and stops with a fatal
    error at every connection, or skips the milter so that mail passes
    unfiltered. An element is a socket (transport:endpoint) or
    { socket, name=value, ... }, whose settings are split at commas and
    white space like the list itself: "default_action = tempfail" is three
    words, two of them without "=".
    """
    # smtpd reads smtpd_milters; cleanup reads non_smtpd_milters, for mail submitted with sendmail.
    daemon = 'cleanup' if name.startswith('non_smtpd') else 'smtpd'
    problems = []
    for element in split_list(text):
        grouped = element.startswith('{') and element.endswith('}')
        words = tokenize(element[1:-1], commas=True) if grouped else [element]
        where = '%s = %s: the milter %s' % (name, text, element)
        if not words:
            problems.append('%s is empty (%s stops with "fatal: empty milter definition"); give its socket, '
                            'as in { inet:127.0.0.1:8891, default_action=tempfail }' % (where, daemon))
            continue
        if ':' not in words[0] or words[0].startswith('{') or '=' in words[0]:
            problems.append('%s does not start with its socket, transport:endpoint such as inet:127.0.0.1:8891 or '
                            'unix:/run/milter.sock (Postfix warns "Milter service needs transport:endpoint" and '
                            'skips it, so mail passes unfiltered)' % where)
            continue
        index = 1
        while index < len(words):
            setting, value, spaced, used = _split_setting(words, index)
            if spaced:
                problems.append(
                    '%s has the setting "%s", with white space around "=": Postfix splits a milter\'s settings at '
                    'commas and white space, so %s stops with "fatal: malformed option: missing \'=\' after '
                    'attribute name". Write %s=%s, or put the setting in braces of its own: { %s = %s }'
                    % (where, spaced, daemon, setting, value, setting, value))
                break
            if setting is None:
                problems.append('%s has "%s", which is not a name=value setting (%s stops with "fatal: malformed '
                                'option"); write name=value, for example default_action=tempfail'
                                % (where, words[index], daemon))
                break
            index += used
            problem = _milter_setting_problem(setting, value, daemon)
            if problem:
                problems.append('%s: %s' % (where, problem))
                break
    return problems


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
