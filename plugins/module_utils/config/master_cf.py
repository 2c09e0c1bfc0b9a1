# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""master.cf service entries: parse ``postconf -M`` output, validate, merge, render.

Private to this collection: roles and playbooks use the modules, never module_utils.

An entry is a dict with the eight master.cf fields (service, type, private,
unprivileged, chroot, wakeup, process_limit, command), ``options`` (the
leading ``-o name=value`` pairs, in order) and ``args`` (everything else after
the command, in order). Pure functions; nothing here runs a command.
"""

from __future__ import annotations

import re

from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import (
    ConfigValueError,
    brace_problem,
    check_braces,
    value_brace_problem,
    check_length,
    check_name,
    render_value,
    tokenize,
)

FIELDS = ('service', 'type', 'private', 'unprivileged', 'chroot', 'wakeup', 'process_limit', 'command')
SERVICE_TYPES = ('inet', 'unix', 'unix-dgram', 'fifo', 'pass')
# A field left out of a new entry gets "-": the default master(5) documents.
FLAG_FIELDS = ('private', 'unprivileged', 'chroot')
_WAKEUP = re.compile(r'-|\d+\??')
_PROCESS_LIMIT = re.compile(r'-|\d+')
_TOKEN = re.compile(r'[^\s\x00-\x1f\x7f-\x9f\u2028\u2029]+')


def _split_option(token):
    """'name=value' or '{ name = value }' -> (name, value)."""
    if token.startswith('{'):
        if not token.endswith('}'):
            raise ConfigValueError('-o group %r has no closing "}"' % token)
        token = token[1:-1]
    name, sep, value = token.partition('=')
    if not sep:
        raise ConfigValueError('-o argument without "=": %r' % token)
    return name.strip(), value.strip()


def parse_entry(line):
    """Parse one ``postconf -M`` line into an entry dict."""
    tokens = tokenize(line)
    if len(tokens) < len(FIELDS):
        raise ConfigValueError('master.cf entry has %d fields, needs at least %d: %r' % (len(tokens), len(FIELDS), line))
    entry = dict(zip(FIELDS, tokens))
    entry['options'], entry['args'] = {}, []
    rest = tokens[len(FIELDS):]
    index = 0
    # Like the daemons' getopt: -o pairs count only before the first argument
    # that is not an option (pipe's "argv=... -o" belongs to the command).
    while index < len(rest):
        token = rest[index]
        if token == '-o' and index + 1 < len(rest):
            name, value = _split_option(rest[index + 1])
            entry['options'][name] = value
            index += 2
            continue
        if not token.startswith('-'):
            entry['args'].extend(rest[index:])
            break
        entry['args'].append(token)
        index += 1
    return entry


# An entry written by hand that Postfix cannot use as intended: ``key`` is
# "service/type" (from the first two words), ``line`` the entry as postconf -M
# prints it, ``problem`` what is wrong with it.
Malformed = namedtuple('Malformed', 'key line problem')


def parse_entries(text):
    """Parse ``postconf -M`` output into ("service/type" -> entry in file order, [Malformed]).

    A malformed entry does not stop the others from being read: it is left
    out when it cannot be read at all, and kept, read the way Postfix reads
    it, when only its braces are wrong. Callers warn about it, and fail only
    when asked to change it without replacing it.
    """
    entries, malformed = {}, []
    for line in text.split('\n'):
        if not line.strip():
            continue
        try:
            entry = parse_entry(line)
        except ConfigValueError as error:
            malformed.append(Malformed('/'.join(line.split()[:2]), line, str(error)))
            continue
        problem = entry_brace_problem(entry)
        if problem:
            malformed.append(Malformed(entry_key(entry), line, problem))
        entries[entry_key(entry)] = entry
    return entries, malformed


def entry_brace_problem(entry):
    """What is wrong with the braces of an entry's command or arguments, or None.

    master(5): an argument may be a { ... } group, which can hold white
    space; any other brace must be balanced within its argument (like
    ${recipient}), or Postfix reads the rest of the line as one argument.
    The command is one word, without braces.
    """
    if '{' in entry['command'] or '}' in entry['command']:
        return 'the command %r contains a brace' % entry['command']
    for name, value in entry['options'].items():
        problem = value_brace_problem(name, value)
        if problem:
            return '%s in -o %s=%s' % (problem, name, value)
    for arg in entry['args']:
        problem = brace_problem(arg)
        if problem:
            return '%s in the argument %r, so Postfix would read the rest of the line as one argument' % (
                problem, arg)
        if arg.startswith('{') and not arg.endswith('}'):
            return 'the argument %r starts a { ... } group that does not end with it' % arg
    return None


def malformed_warning(malformed, path):
    """A warning about an entry written by hand, with what to do about it."""
    return ('%s: the entry %r is malformed (%s). Fix it in %s, or replace it with services (give its command and '
            'args), or remove it (state: absent)' % (malformed.key, ' '.join(malformed.line.split()), malformed.problem,
                                                     path))


def entry_key(entry):
    return '%s/%s' % (entry['service'], entry['type'])


def _render_option(name, value):
    if re.search(r'[\s{}]', value):
        return '{ %s = %s }' % (name, value)
    return '%s=%s' % (name, value)


def render_entry(entry):
    """The master.cf line for an entry: fields, command, -o options, then args."""
    words = [entry[field] for field in FIELDS]
    for name, value in entry['options'].items():
        words.extend(['-o', _render_option(name, value)])
    words.extend(entry['args'])
    return ' '.join(words)


def _field_text(field, value):
    if field in FLAG_FIELDS and isinstance(value, bool):
        return 'y' if value else 'n'
    text = render_value(field, value)
    if not _TOKEN.fullmatch(text):
        raise ConfigValueError('master.cf field %s=%r must be one word without white space' % (field, text))
    return text


def normalize_spec(spec):
    """Validate a user's service spec; return it with every given field as text.

    ``spec`` holds service and type, any of the other fields, ``args`` (list)
    and ``options`` (dict; a value of None removes that -o parameter).
    """
    normalized = {}
    for field in FIELDS:
        if spec.get(field) is not None:
            normalized[field] = _field_text(field, spec[field])
    key = '%s/%s' % (normalized.get('service'), normalized.get('type'))
    if 'service' not in normalized or 'type' not in normalized:
        raise ConfigValueError('master.cf entry %s: service and type are required' % key)
    if '/' in normalized['service'] or '=' in normalized['service']:
        raise ConfigValueError('master.cf entry %s: the service name cannot contain "/" or "="' % key)
    if normalized['service'] == '*':
        # postconf -M would take it as a wild card and rewrite every entry of the type.
        raise ConfigValueError('master.cf entry %s: "*" is postconf\'s wild card, not a service name' % key)
    if normalized['type'] not in SERVICE_TYPES:
        raise ConfigValueError('master.cf entry %s: type must be one of %s' % (key, ', '.join(SERVICE_TYPES)))
    for field in FLAG_FIELDS:
        if normalized.get(field, '-') not in ('y', 'n', '-'):
            raise ConfigValueError('master.cf entry %s: %s must be y, n or - (got %r)' % (key, field, normalized[field]))
    if not _WAKEUP.fullmatch(normalized.get('wakeup', '-')):
        raise ConfigValueError('master.cf entry %s: wakeup must be -, a number of seconds, or a number followed by "?"' % key)
    if not _PROCESS_LIMIT.fullmatch(normalized.get('process_limit', '-')):
        raise ConfigValueError('master.cf entry %s: process_limit must be - or a number' % key)
    if '{' in normalized.get('command', '') or '}' in normalized.get('command', ''):
        raise ConfigValueError('master.cf entry %s: the command %r contains a brace; the command is one word, the '
                               'name of a Postfix daemon or program' % (key, normalized['command']))
    if spec.get('args') is not None:
        normalized['args'] = [_field_text('args', arg) for arg in spec['args']]
        for arg in normalized['args']:
            if not arg.startswith('-') or arg == '--':
                break  # from here on, -o belongs to the command (pipe's argv=...)
            if arg == '-o':
                raise ConfigValueError('master.cf entry %s: give -o parameters in options, not in args' % key)
            if 'o' in arg[1:]:
                raise ConfigValueError(attached_option_problem(key, arg))
    if spec.get('options') is not None:
        normalized['options'] = {}
        for name, value in spec['options'].items():
            check_name(name)
            normalized['options'][name] = None if value is None else render_value('%s -o %s' % (key, name), value)
            if normalized['options'][name] is not None:
                check_braces(name, normalized['options'][name], what='%s -o %s' % (key, name))
    return normalized


def attached_option_problem(key, arg):
    """Why an argument like -osmtpd_relay_restrictions=permit (or -vo) is refused, and what to give instead.

    postconf -M reads such a word the way a daemon's getopt would, but splits it
    again wherever an "o" follows: -osmtpd_relay_restrictions=permit is written
    as "-o smtpd_relay_restricti -o ns=permit", which postfix check lets through
    and which stops smtpd at startup.
    """
    name, sep, value = arg[2:].partition('=')
    example = '%s: %s' % (name, value) if arg.startswith('-o') and sep and name else 'name: value'
    return ('master.cf entry %s: the argument %r holds a -o parameter, which postconf would split at every further '
            '"o" (-osmtpd_relay_restrictions=permit becomes "-o smtpd_relay_restricti -o ns=permit", and smtpd does '
            'not start): give -o parameters in the service\'s options ({%s}), not in args' % (key, arg, example))


def desired_entry(current, spec):
    """The entry that results from applying a normalized spec to the current entry (or None).

    Fields and args that the spec leaves out keep their current value (postconf
    -F semantics); options are merged like postconf -P, None removing one.
    """
    key = '%s/%s' % (spec['service'], spec['type'])
    if current is None:
        if 'command' not in spec:
            raise ConfigValueError('master.cf entry %s does not exist yet: give its command to create it' % key)
        entry = {field: '-' for field in FIELDS}
        entry.update(options={}, args=[])
    else:
        entry = dict(current, options=dict(current['options']), args=list(current['args']))
    for field in FIELDS:
        if field in spec:
            entry[field] = spec[field]
    if 'args' in spec:
        entry['args'] = spec['args']
    for name, value in spec.get('options', {}).items():
        if value is None:
            entry['options'].pop(name, None)
        else:
            entry['options'][name] = value
    problem = entry_brace_problem(entry)
    if problem:
        raise ConfigValueError('master.cf entry %s: %s. Braces must be balanced; if the entry was written by hand, '
                               'fix it in master.cf, or replace that part with services (args, or the -o option)'
                               % (key, problem))
    check_length('master.cf entry %s' % key, render_entry(entry))
    return entry
