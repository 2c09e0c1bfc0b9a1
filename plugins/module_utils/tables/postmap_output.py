# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""postmap's and postalias's output: "key<TAB>value" lines from -s and -q, and their warnings.

postalias writes "key:<TAB>value", and keeps entries of its own in an alias
database ("@", for sendmail, and the NIS entries YP_LAST_MODIFIED and
YP_MASTER_NAME).

Private to this collection: roles and playbooks use the modules, never module_utils.

Pure functions over text; nothing here runs a command.
"""

from __future__ import annotations

import re

# "postmap: warning: pcre map /etc/postfix/x, line 3: error in regex at offset 5: ..."
# "postmap: warning: /etc/postfix/x, line 8: expected format: key whitespace value"
_WARNING = re.compile(r'^\S+: warning: (?P<where>.*?)(?:, line (?P<line>\d+))?: (?P<message>.*)$', re.M)


_POSTALIAS_OWN = re.compile(r'(?:@|YP_LAST_MODIFIED|YP_MASTER_NAME):\t')


def dump_lines(text, aliases=False):
    """The set of "key<TAB>value" lines of ``postmap -s`` (or ``postalias -s``) output.

    The order is the database's, so irrelevant.
    """
    lines = set(text.split('\n')) - {''}
    if aliases:
        lines = set(line.replace(':\t', '\t', 1) for line in lines if not _POSTALIAS_OWN.match(line))
    return lines


def match_queries(keys, text, aliases=False):
    """Values found by ``postmap -q -`` (or ``postalias -q -``) for ``keys`` (fed in this order).

    Returns key -> value, or None when not found. postmap prints
    "key<TAB>value" for each key it finds, in input order, echoing the key as
    given; keys it does not find are left out.
    """
    results = {}
    found = iter(text.split('\n'))
    pending = next(found, '')
    for key in keys:
        prefix = key + (':\t' if aliases else '\t')
        if pending.startswith(prefix):
            results[key] = pending[len(prefix):]
            pending = next(found, '')
        else:
            results.setdefault(key, None)
    return results


def warnings(stderr, about=None):
    """postmap's warnings as (line number or None, message) pairs.

    With ``about`` (a table's file name), only the warnings about that table
    or its compiled files; postmap also warns about other things it reads,
    such as main.cf ("overriding earlier entry").
    """
    return [(int(match.group('line')) if match.group('line') else None, match.group('message'))
            for match in _WARNING.finditer(stderr) if about is None or about in match.group('where')]


def other_warnings(stderr, about):
    """postmap's warnings that are not about the table ``about``, as printed."""
    return [match.group(0) for match in _WARNING.finditer(stderr) if about not in match.group('where')]
