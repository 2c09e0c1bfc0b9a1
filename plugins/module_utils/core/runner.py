# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that runs Postfix's command-line tools.

Private to this collection: roles and playbooks use the modules, never module_utils.

Every tool's options are declared once, here; callers name options, never
flags, and the runner builds the argv in a fixed order: tool, ``-c
config_dir`` (except for postmulti), flags in the order given, arguments. Commands run with an
argument list in the C locale, and ``$name`` references reach Postfix as they
are.
"""

from __future__ import annotations

import collections
import os
import pty
import select
import subprocess
import tempfile

from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError

DEFAULT_CONFIG_DIR = '/etc/postfix'

# Logical option name -> flag, per tool. -c config_dir is common to all tools
# and added by the runner itself.
TOOL_OPTIONS = {
    'postconf': {
        'defaults': '-d',        # built-in defaults
        'edit': '-e',            # edit main.cf (or master.cf with -M/-P)
        'expand': '-x',          # expand $name in values
        'hide_names': '-h',      # values only
        'map_types': '-m',       # the lookup table types this host supports
        'master': '-M',          # master.cf service entries
        'master_params': '-P',   # master.cf -o parameters
        'non_default': '-n',     # explicit settings only
        'override': '-o',        # ('override', 'name=value'): read as if main.cf said so
        'remove': '-X',          # remove parameters or entries
    },
    'postalias': {               # aliases(5) tables; the same options as postmap
        'keep_root': '-o',
        'query': '-q',
        'dump': '-s',
    },
    'postfix': {},
    'postkick': {},              # args: class service request, e.g. public pickup W
    'postmulti': {
        'list': '-l',            # every instance: name, group, enabled, configuration directory
    },
    'postmap': {
        'keep_root': '-o',       # do not drop root privileges to the source file's owner
        'query': '-q',           # look up keys (with "-": one key per stdin line)
        'dump': '-s',            # print every key and value
    },
    'postqueue': {
        'json': '-j',            # one JSON object per queued message
        'flush': '-f',           # deliver everything now
    },
    'postsuper': {
        'delete': '-d',          # delete messages (queue IDs follow, "-" for stdin)
        'hold': '-h',            # move messages to the hold queue
        'release': '-H',         # release messages from the hold queue
        'requeue': '-r',         # requeue messages (re-resolve their routing)
        'expire': '-e',          # expire messages: bounce at the next attempt (3.5+)
    },
}


# postmulti works from the default instance, whose multi_instance_directories
# name the others; it has no -c.
_WITHOUT_CONFIG_DIR = frozenset(['postmulti'])


class PostfixRunner:
    """Runs Postfix tools against one instance (its configuration directory)."""

    def __init__(self, module, config_dir=DEFAULT_CONFIG_DIR):
        self.module = module
        self.config_dir = config_dir
        self._paths = {}
        self._parameters = {}
        self._table_types = None

    def _tool_path(self, tool):
        if tool not in self._paths:
            self._paths[tool] = self.module.get_bin_path(tool, opt_dirs=['/usr/sbin', '/usr/local/sbin'])
            if self._paths[tool] is None:
                raise PostfixCommandError(
                    '%s not found: is Postfix installed on this host? (searched PATH, /usr/sbin, /usr/local/sbin)' % tool)
        return self._paths[tool]

    def argv(self, tool, options=(), args=(), config_dir=None):
        """Build the argv for ``tool`` with logical ``options`` and plain ``args``.

        An option is a name, or (name, value) for a flag that takes a value.
        """
        known = TOOL_OPTIONS[tool]
        named = [(option, None) if isinstance(option, str) else option for option in options]
        unknown = [name for name, dummy in named if name not in known]
        if unknown:
            raise ValueError('unknown %s option(s): %s' % (tool, ', '.join(unknown)))
        cmd = [self._tool_path(tool)]
        if tool not in _WITHOUT_CONFIG_DIR:
            cmd.extend(['-c', config_dir or self.config_dir])
        for name, value in named:
            cmd.extend([known[name]] if value is None else [known[name], value])
        cmd.extend(args)
        return cmd

    def run(self, tool, options=(), args=(), config_dir=None, data=None, check_rc=True):
        """Run a tool; return (rc, stdout, stderr). Raise PostfixCommandError on failure if check_rc."""
        cmd = self.argv(tool, options, args, config_dir)
        rc, out, err = self.module.run_command(
            cmd, data=data, binary_data=data is None, check_rc=False,
            environ_update={'LANG': 'C', 'LC_ALL': 'C'}, expand_user_and_vars=False)
        if rc != 0 and check_rc:
            raise PostfixCommandError(
                '%s failed (rc=%d): %s' % (' '.join(shown(cmd)), rc, (err or out).strip()),
                cmd=shown(cmd), rc=rc, stdout=out, stderr=err)
        return rc, out, err

    def start(self, tool, options=(), args=(), config_dir=None):
        """Start a tool in the background (same argv and locale as run()); collect it with finish().

        Its output goes to temporary files, not pipes, so that it can run to
        the end while the caller does other work.
        """
        output, errors = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        process = subprocess.Popen(self.argv(tool, options, args, config_dir), stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=errors, env=dict(os.environ, LANG='C', LC_ALL='C'))
        process.output_files = (output, errors)
        return process

    @staticmethod
    def finish(process):
        """Wait for a started tool; return (rc, stdout, stderr)."""
        rc = process.wait()
        texts = []
        for handle in process.output_files:
            handle.seek(0)
            texts.append(handle.read().decode('utf-8', 'surrogateescape'))
            handle.close()
        return rc, texts[0], texts[1]

    def stream_lines(self, tool, options=(), args=(), input_lines=(), from_stderr=False):
        """Run a tool and yield its output one line at a time (text, without the newline).

        For output too large to hold at once: ``postqueue -j`` of a 50,000-message
        queue, or postsuper's one line per message on stderr (``from_stderr``).
        Same argv and C locale as run(). ``input_lines`` go to the tool's stdin
        from a temporary file, not a pipe: run_command() writes all of stdin
        before it reads, and postsuper, reporting each queue ID it reads, would
        fill the stderr pipe and block both sides. The other output stream goes
        to a temporary file and into the PostfixCommandError raised after the
        last line if the tool failed.
        """
        cmd = self.argv(tool, options, args)
        with tempfile.TemporaryFile() as stdin_file, tempfile.TemporaryFile() as other_file:
            stdin_file.writelines(line.encode('utf-8') + b'\n' for line in input_lines)
            stdin_file.seek(0)
            proc = subprocess.Popen(
                cmd, stdin=stdin_file, close_fds=True, env=dict(os.environ, LANG='C', LC_ALL='C'),
                stdout=other_file if from_stderr else subprocess.PIPE,
                stderr=subprocess.PIPE if from_stderr else other_file)
            stream = proc.stderr if from_stderr else proc.stdout
            last_lines = collections.deque(maxlen=5)
            try:
                for raw in stream:
                    line = raw.decode('utf-8', 'replace').rstrip('\n')
                    last_lines.append(line)
                    yield line
            finally:  # also when the caller stops early: the tool gets EPIPE and ends
                stream.close()
                rc = proc.wait()
            if rc != 0:
                other_file.seek(0)
                message = (other_file.read().decode('utf-8', 'replace') if not from_stderr
                           else '\n'.join(last_lines)).strip()
                raise PostfixCommandError('%s failed (rc=%d): %s' % (' '.join(shown(cmd)), rc, message),
                                          cmd=shown(cmd), rc=rc, stderr=message)

    def run_with_terminal(self, tool, args=(), config_dir=None):
        """Run a tool with its output on a pseudo-terminal; return (rc, output).

        The postfix(1) command and postfix-script write their messages to
        stderr only when it is a terminal (before Postfix 3.8); otherwise they
        go to syslog, where a caller cannot read them. This is how ``postfix
        check`` explains why it failed.
        """
        cmd = self.argv(tool, (), args, config_dir)
        main_fd, child_fd = pty.openpty()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=child_fd, stderr=child_fd,
                                    env=dict(os.environ, LANG='C', LC_ALL='C'), close_fds=True)
        finally:
            os.close(child_fd)
        chunks = []
        while True:
            if select.select([main_fd], [], [], 0.05)[0]:
                try:
                    chunk = os.read(main_fd, 65536)
                except OSError:  # EIO: every process closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif proc.poll() is not None:
                # The tool is done and has nothing more to say; a process it
                # started (master, after "postfix start") may keep the terminal open.
                break
        os.close(main_fd)
        rc = proc.wait()
        output = b''.join(chunks).decode('utf-8', 'replace').replace('\r\n', '\n')
        return rc, output

    def parameters(self, names):
        """Parameters as Postfix uses them (``postconf -x -h``), name -> text; one postconf for those not read yet.

        Each is read once per run and kept: only for parameters that a run reads before it changes anything
        (mail_version, queue_directory, default_database_type, multi_instance_directories, the queue's lifetimes),
        so that a module can read all of them in one process first.
        """
        missing = [name for name in names if name not in self._parameters]
        if missing:
            values = [line.strip() for line in self.run('postconf', ['expand', 'hide_names'], missing)[1].split('\n')]
            self._parameters.update(zip(missing, values))
        return {name: self._parameters[name] for name in names}

    def table_types(self):
        """The lookup table types this host supports (``postconf -m``), read once per run, when first asked.

        postconf -m lists Postfix's built-in types and the plugins of dynamicmaps.cf in meta_directory (Debian's
        postfix-mysql, postfix-pcre...), which no run changes: the table jobs and the restriction checks of one
        run share one read.
        """
        if self._table_types is None:
            self._table_types = frozenset(self.run('postconf', ['map_types'])[1].split())
        return self._table_types

    def version(self):
        """The Postfix version (mail_version) as a string, e.g. '3.7.11'; read with the run's other parameters()."""
        return self.parameters(['mail_version'])['mail_version']


def shown(cmd):
    """A command as error messages show it: an argument over 200 characters is cut."""
    return [arg if len(arg) <= 200 else '%s... (%d characters)' % (arg[:100], len(arg)) for arg in cmd]


def version_tuple(version):
    """'3.10.2' -> (3, 10, 2); non-numeric parts are ignored."""
    parts = []
    for part in version.split('.'):
        digits = ''.join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
