# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build, check, install and remove lookup tables with postmap.

Private to this collection: roles and playbooks use the modules, never module_utils.

A table is built next to the live one, from a staged source: postmap turns
".NAME.XXXXXXXX.tmp" into ".NAME.XXXXXXXX.tmp.db" (Postfix's own advice is
"postmap file.tmp; mv file.tmp.db file.db"). Tables that daemons read
directly (regexp, pcre, cidr, texthash) are opened once with ``postmap -q``,
so that Postfix itself judges every rule. Only a table without warnings is
installed: compiled files first, then the source, so that the compiled table
is never older than its source. Until then the live table is untouched, and
an interrupted run leaves it as it was.
"""

from __future__ import annotations

import os
import re
from collections import namedtuple

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.core import file_attributes
from ansible_collections.mailops.postfix.plugins.module_utils.tables import postmap_output
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import MailopsError
from ansible_collections.mailops.postfix.plugins.module_utils.core.secrets import hide_quoted, scrub
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import (
    entries_of,
    fold_all,
    parse_source,
    syntax_of,
    unquoted_name,
)
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import PACKAGES, compiled_paths


class TableError(MailopsError):
    """Postfix refused a table, or could not open one; carries its own words."""


_UNSUPPORTED_TYPE = re.compile(r'unsupported dictionary type: (\w+)')

# Staged files of one table: the source and what postmap built from it, each
# with the live path it will replace, and the symlink postmap built through.
Staged = namedtuple('Staged', 'source source_path compiled link other_warnings')


def table_name(table_type, path):
    """The table as Postfix names it in main.cf: "type:path"."""
    return '%s:%s' % (table_type, path)


def builder(aliases):
    """The tool that builds, lists and queries a table: postalias for an aliases(5) table, else postmap."""
    return 'postalias' if aliases else 'postmap'


def query(runner, table, keys, aliases=False):
    """Look ``keys`` up in ``table`` ("type:name") with one ``postmap -q -``; key -> value or None."""
    tool = builder(aliases)
    rc, out, err = runner.run(tool, ['query'], ['-', table], data='\n'.join(keys) + '\n', check_rc=False)
    if rc not in (0, 1) or 'fatal:' in err:
        unsupported = _UNSUPPORTED_TYPE.search(err)
        hint = ''
        if unsupported and unsupported.group(1) in PACKAGES:
            hint = '; install the %s package' % PACKAGES[unsupported.group(1)]
        raise TableError('%s -q - %s failed: %s%s' % (tool, table, err.strip() or 'rc=%d' % rc, hint))
    return postmap_output.match_queries(keys, out, aliases)


class CompiledCheck:
    """Whether the compiled table holds exactly the source's entries.

    Each compiled file must exist and not be older than the source; then its
    content (``postmap -s``) must equal the entries. The listing starts at
    once and runs while the module plans: for a big table it is the slowest
    part of a run that changes nothing. Where the type cannot list its content
    (cdb before Postfix 3.8), every key is looked up instead, which cannot
    notice extra keys.
    """

    def __init__(self, runner, table_type, path, aliases=False):
        self.runner = runner
        self.aliases = aliases
        self.table = table_name(table_type, path)
        self.compiled = compiled_paths(table_type, path)
        self.problem = self._stale(path)
        self.listing = None if self.problem else runner.start(builder(aliases), ['dump'], [self.table])

    def _stale(self, path):
        source_mtime = os.stat(path).st_mtime
        for compiled_path in self.compiled:
            stat_result = file_attributes.current(compiled_path)
            if stat_result is None:
                return '%s is missing' % compiled_path
            if stat_result.st_mtime < source_mtime:
                return '%s is older than its source' % compiled_path
        return None

    def problem_with(self, entries):
        """Why the compiled table must be rebuilt to hold ``entries``, or None."""
        if self.problem:
            return self.problem
        rc, out, err = self.runner.finish(self.listing)
        self.listing = None
        # postalias stores a quoted alias name without its quotes.
        keys = [unquoted_name(entry.key) if self.aliases else entry.key for entry in entries]
        if rc == 0:
            lines = set('%s\t%s' % (key, entry.value) for key, entry in zip(fold_all(keys), entries))
            if postmap_output.dump_lines(out, self.aliases) == lines:
                return None
        elif 'sequence operation is not supported' in err:
            expected = {key: entry.value for key, entry in zip(keys, entries)}
            if query(self.runner, self.table, list(expected), self.aliases) == expected:
                return None
        else:
            # Damaged, truncated, or written by another database library version.
            return '%s cannot be read (%s -s: %s)' % (self.compiled[0], builder(self.aliases), err.strip())
        return '%s was built from other content than its source' % self.compiled[0]

    def cancel(self):
        """Stop the listing when its answer is not needed."""
        if self.listing is not None:
            self.listing.kill()
            self.runner.finish(self.listing)
            self.listing = None


def build(module, runner, table_type, path, content, attributes, secret=False, aliases=False, probe=None, hidden=(),
          lookup=None):
    """Stage ``content`` as the table's source, build or open it with postmap; return Staged.

    Raises TableError with Postfix's warnings, mapped to entries, when
    postmap has anything to say about the content. For a ``secret`` table the
    error names lines only, without what postmap quotes from them.

    An SQL table (``probe``: the key to look up) is judged by a lookup of
    ``probe`` through the staged settings, against the real database: any
    warning or error (the connection, the login, the query) fails it, in
    Postfix's words without the strings of ``hidden`` (the password).
    ``lookup``: the settings file the probe reads instead of the staged one
    (an sqlite table whose database the run stages: the same settings,
    naming the staged database).

    When ``path`` is a symlink (the caller allowed it), the source is staged
    next to the file it points to, and postmap builds through a staged symlink
    next to ``path``: Postfix opens the compiled files under the name main.cf
    gives, and they must be newer than the source.
    """
    source_path = os.path.realpath(path) if os.path.islink(path) else path
    source = atomic_file.stage(module, source_path, content.encode('utf-8', 'surrogateescape'), attributes)
    link, compiled = None, []
    try:
        built = source
        if source_path != path:
            link = built = atomic_file.stage_link(path, source)
        compiled = [(built + suffix, live) for suffix, live in _suffixed(table_type, path)]
        # -o: postmap builds as root, not as the source's owner, who may not write in the directory.
        if probe is not None:
            other_warnings = _probe(runner, table_type, path, lookup or built, probe, hidden)
            return Staged(source, source_path, compiled, link, other_warnings)
        if compiled:
            rc, out, err = runner.run(builder(aliases), ['keep_root'], [table_name(table_type, built)])
        else:
            # postmap opens the table at the first key it reads; one empty key is enough.
            rc, out, err = runner.run('postmap', ['keep_root', 'query'], ['-', table_name(table_type, built)],
                                      data='\n', check_rc=False)
            if rc not in (0, 1) or 'fatal:' in err:
                raise TableError('Postfix cannot open the new table: %s' % err.strip())
        problems = postmap_output.warnings(err, about=built)
        if problems:
            raise TableError(_explain(problems, table_type, path, content, secret, aliases))
        for staged_path, live in compiled:
            atomic_file.set_attributes(module, staged_path, live, attributes)
    except BaseException:
        discard(Staged(source, source_path, compiled, link, []))
        raise
    return Staged(source, source_path, compiled, link, postmap_output.other_warnings(err, built))


# postmap reads main.cf too and may warn about it: not a problem of the table.
_ABOUT_CONFIG = re.compile(r'^\S+: warning: \S*/(?:main|master)\.cf\b')


def _probe(runner, table_type, path, built, probe, hidden):
    """Look ``probe`` up through the staged SQL settings; raise TableError with what Postfix said.

    postmap exits 1 both for a key not found and for a failed lookup; a failure
    shows on stderr only (a warning from the database client, then "fatal:").
    Returns postmap's other warnings (about main.cf).
    """
    rc, out, err = runner.run('postmap', ['keep_root', 'query'], ['-', table_name(table_type, built)],
                              data=probe, check_rc=False)  # run_command ends it with a newline
    said = [line.strip() for line in err.splitlines() if line.strip()]
    problems = [line for line in said if not _ABOUT_CONFIG.match(line)]
    if rc in (0, 1) and not problems:
        return [line for line in said if _ABOUT_CONFIG.match(line)]
    message = '; '.join(problems) or 'rc=%d' % rc
    # Postfix names the staged file; the user knows the table by its path.
    message = scrub(message.replace(built, path), hidden)
    raise TableError('Postfix cannot look up %r in the new %s: %s. Nothing was changed; the live %s is as it was.'
                     % (probe, table_name(table_type, path), message, path))


def _suffixed(table_type, path):
    return [(live[len(path):], live) for live in compiled_paths(table_type, path)]


def _explain(problems, table_type, path, content, secret, aliases):
    entries = {entry.line: entry for entry in entries_of(parse_source(content, syntax_of(table_type, aliases)))}
    messages = []
    for line, message in problems:
        entry = None if secret else entries.get(line)
        where = ('%r (line %d)' % (entry.key, line)) if entry else ('line %d' % line if line else table_name(table_type, path))
        if secret:
            # postmap quotes keys and whole lines ('non-UTF-8 input "..."'), which may hold a password.
            message = hide_quoted(message)
        messages.append('%s: %s' % (where, message))
    return 'Postfix rejects the new %s: %s. Nothing was changed.' % (table_name(table_type, path), '; '.join(messages))


def remove(module, table_type, path):
    """Remove the table's files unless in check mode; return the ones that exist(ed)."""
    files = existing_files(table_type, path)
    if not module.check_mode:
        # Compiled files first: a source without its compiled file is still a table one can rebuild.
        for name in reversed(files):
            atomic_file.remove_quietly(name)
    return files


def install(staged, source_changed, installation=None):
    """Rename the staged files over the live ones: compiled files first, then the source (if it changed).

    Through ``installation`` (atomic_file.Installation), the caller's run can
    put the previous files back later; without one, a failure puts back the
    files of this table installed so far.
    """
    own = installation is None
    installation = atomic_file.Installation() if own else installation
    try:
        for staged_path, live in staged.compiled:
            installation.install(staged_path, live)
        if source_changed:
            installation.install(staged.source, staged.source_path)
    except BaseException:
        if own:
            installation.undo()
        raise
    finally:
        discard(staged)
    if own:
        installation.done()


def discard(staged):
    """Remove whatever of a staged table was not installed."""
    for staged_path in [staged.source, staged.link] + [staged_path for staged_path, dummy in staged.compiled]:
        if staged_path is not None:
            atomic_file.remove_quietly(staged_path)


def remove_leftovers(table_type, path):
    """Remove the staged files of this table that interrupted runs left behind; return them.

    Only call this while holding the table's lock (locking.Locks): then no
    other run has staged files of this table.
    """
    found = leftovers(table_type, path)
    for name in found:
        atomic_file.remove_quietly(name)
    return found


# Berkeley DB creates a file under a temporary name, "__db." before its own, and
# renames it when done; a full disk leaves that temporary file behind, empty.
_BERKELEY_DB_TYPES = frozenset(['btree', 'hash'])


def leftovers(table_type, path):
    """Staged files of this table that an interrupted run left behind.

    The staged source (.NAME.XXXXXXXX.tmp), what postmap built from it
    (.NAME.XXXXXXXX.tmp.db), and for Berkeley DB types the temporary file
    of that build (__db..NAME.XXXXXXXX.tmp.db); nothing else.
    """
    found = set()
    suffixes = '|'.join(re.escape(suffix) for suffix, dummy in _suffixed(table_type, path)) or '(?!)'
    for named in sorted({path, os.path.realpath(path)}):
        directory, name = os.path.split(named)
        staged = r'\.%s\.[A-Za-z0-9_]{8}\.tmp' % re.escape(name)
        built = r'%s(?:%s)' % (staged, suffixes)
        ours = [staged, built] + ([r'__db\.' + built] if table_type in _BERKELEY_DB_TYPES else [])
        pattern = re.compile('|'.join(ours))
        try:
            names = os.listdir(directory or '.')
        except FileNotFoundError:
            continue
        found.update(os.path.join(directory, entry) for entry in names if pattern.fullmatch(entry))
    return sorted(found)


def existing_files(table_type, path):
    """The table's files that exist: its source and compiled files."""
    return [candidate for candidate in [path] + compiled_paths(table_type, path) if os.path.lexists(candidate)]
