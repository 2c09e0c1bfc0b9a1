# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The package query of the postfix_packages action: its shell command and the answer it reads.

One command, without Python on the host: `stat` for each path asked about (its owner, group,
mode and type), then dpkg-query or rpm for the packages (or `true` when no package is asked:
dpkg-query without a name lists every package), whose exit status is the command's.
Private to the collection.
"""

from __future__ import annotations

import shlex

# Each prints "ii NAME" for an installed package (dpkg's want/status/error letters; rpm's
# format imitates them), one line per package it knows.
QUERIES = {
    'dpkg': ['dpkg-query', '--show', '--showformat', '${db:Status-Abbrev} ${Package}\n'],
    'rpm': ['rpm', '--query', '--queryformat', 'ii %{NAME}\n'],
}
# dpkg's status letters of an installed package: installed, and installed with triggers
# awaited or pending (its files are in place).
INSTALLED_STATUS = 'iWt'
PATH_MARK = 'path'


def query_command(manager, names, paths):
    """The shell command that asks about `paths` (one marked line each that exists) and `names`."""
    stats = ''.join('stat -L -c %s %s 2>/dev/null; '
                    % (shlex.quote('%s %d %%u %%g %%a %%F' % (PATH_MARK, index)), shlex.quote(path))
                    for index, path in enumerate(paths))
    return stats + (' '.join(shlex.quote(word) for word in QUERIES[manager] + list(names)) if names else 'true')


def read_answer(manager, names, paths, rc, stdout, stderr):
    """(installed names, {path: state or None}) from the command's answer; ValueError when it did not answer.

    dpkg-query exits 1 when it knows none of some names, rpm with the number of names not
    installed: both are answers, and either names every name it was asked about (on stdout or
    stderr). An answer that leaves one out is a query that did not run (a missing dpkg-query, a
    broken database), which would make every package look missing.
    """
    unanswered = [name for name in names if name not in stdout and name not in stderr]
    if rc < 0 or rc > len(names) or unanswered:
        raise ValueError('the package query (%s) gave no answer for %s (exit status %d): %s'
                         % (QUERIES[manager][0], ', '.join(unanswered) or 'every package', rc,
                            (stderr or stdout).strip()[:400] or 'no output'))
    installed = set()
    states = dict.fromkeys(paths)
    for line in stdout.splitlines():
        words = line.split(None, 5)
        if words[:1] == [PATH_MARK] and len(words) == 6 and words[1].isdigit() and int(words[1]) < len(paths):
            states[paths[int(words[1])]] = {'uid': int(words[2]), 'gid': int(words[3]), 'mode': words[4].zfill(4),
                                            'type': words[5]}
        elif len(words) == 2 and len(words[0]) >= 2 and words[0][1] in INSTALLED_STATUS and words[1] in names:
            installed.add(words[1])
    return installed, states


def answer(manager, names, paths, known, run):
    """The action's result: `known` (an earlier result, or no answer) with what the host answers for the rest.

    Paths are asked at every call that names them: unlike a package, a directory can change
    during a play (a test removes it, a task creates it). run(command) runs the shell command on
    the host and returns (rc, stdout, stderr); it is called only when a name is not in `known` or a
    path is asked. ValueError for a name that is no package name, or
    when the host did not answer.
    """
    bad = [name for name in names if name.split() != [name] or name.startswith('-')]
    if bad:
        raise ValueError('names: %s is not a package name (a name is one word, not starting with "-")'
                         % ', '.join(map(repr, bad)))
    names = list(dict.fromkeys(names))
    asked_before = set(known.get('asked') or [])
    installed = set(known.get('installed') or [])
    states = {}
    paths = list(dict.fromkeys(paths))
    to_ask = [name for name in names if name not in asked_before]
    if to_ask or paths:
        found, found_states = read_answer(manager, to_ask, paths, *run(query_command(manager, to_ask, paths)))
        installed = (installed - set(to_ask)) | found
        states.update(found_states)
    return {'asked_now': to_ask, 'asked': sorted(asked_before | set(names)), 'installed': sorted(installed),
            'missing': [name for name in names if name not in installed], 'paths': states}
