# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""main.cf parameters: parse ``postconf`` output, render and compare values.

Pure functions over text and data; nothing here runs a command.
"""

from __future__ import annotations

import re

# Parameter names as postconf accepts them (2bounce_notice_recipient starts
# with a digit).
PARAMETER_NAME = re.compile(r'^[A-Za-z0-9_]+$')

# Changing these takes effect only after "postfix stop; postfix start"
# (postconf(5)); a reload is not enough.
RESTART_PARAMETERS = frozenset(['inet_interfaces', 'inet_protocols'])

_UNUSED_WARNING = re.compile(r'warning: (?P<file>\S+): unused parameter: (?P<name>[^=\s]+)=')


class ConfigValueError(ValueError):
    """A parameter name or value that cannot be written safely."""


def parse_parameters(text):
    """Parse ``postconf [-n]`` output ("name = value" lines) into a dict."""
    parameters = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(' =')
        if not sep:
            raise ConfigValueError('unexpected postconf output line: %r' % line)
        parameters[name.strip()] = value.strip()
    return parameters


def parse_unused_warnings(stderr):
    """Names that postconf reports as "unused parameter", as (file, name) pairs."""
    return [(m.group('file'), m.group('name')) for m in _UNUSED_WARNING.finditer(stderr)]


def check_name(name):
    """Raise ConfigValueError unless ``name`` is a syntactically valid parameter name."""
    if not isinstance(name, str) or not PARAMETER_NAME.match(name):
        raise ConfigValueError(
            'invalid parameter name %r: Postfix parameter names consist of letters, digits and "_"' % (name,))


def _check_text(name, text):
    for char in text:
        if char in '\r\n' or ord(char) < 32 and char != '\t' or ord(char) == 127:
            raise ConfigValueError(
                'value of %s contains a newline or control character (%r); one parameter is one line in main.cf, '
                'and a line break would start another setting' % (name, char))


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


def split_list(text):
    """Split a Postfix list value the way Postfix does: on commas and white space,
    keeping { ... } groups whole."""
    items, depth, current = [], 0, []
    for char in text:
        if char == '{':
            depth += 1
        elif char == '}' and depth:
            depth -= 1
        if depth == 0 and (char == ',' or char.isspace()):
            if current:
                items.append(''.join(current))
                current = []
            continue
        current.append(char)
    if current:
        items.append(''.join(current))
    return items


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
