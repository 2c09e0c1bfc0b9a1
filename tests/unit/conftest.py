# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every unit test shares: the test doubles.

- ``postfix``: one fake Postfix in place of PostfixRunner. It answers postconf,
  postmap, postqueue, postsuper, postkick, postmulti and postfix(1) from the
  output captured from Postfix 3.7 and 3.10 (plugins/module_utils/fixtures/)
  and from the state a test sets, and records every command it was given.
- ``ansible_module``: enough of AnsibleModule for module_utils.
- ``run_module``: runs a module's main() with the given parameters, with the
  fake Postfix as its runner, and returns what it printed.
"""

from __future__ import annotations

import functools
import json
import os
import re

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import PostfixCommandError
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import DEFAULT_CONFIG_DIR, PostfixRunner, shown
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import FIXTURES, fixture_text

# postfix-script's answers, as run_with_terminal() gives them.
NOT_RUNNING = 'postfix/postfix-script: the Postfix mail system is not running\n'
STOP_NOT_RUNNING = 'postfix/postfix-script: fatal: the Postfix mail system is not running\n'
START_RUNNING = 'postfix/postfix-script: fatal: the Postfix mail system is already running\n'
DEFAULT_INSTANCE = '-               -               y         /etc/postfix\n'


@functools.lru_cache(maxsize=None)
def captured(version):
    """What Postfix ``version`` printed: its defaults, the test bed's main.cf and master.cf, map types, queue."""
    map_types = os.path.join(FIXTURES, 'tables', 'postfix-%s' % version, 'postconf-m.txt')
    with open(map_types, encoding='utf-8') as handle:
        types = handle.read().split()
    return {
        'mail_version': fixture_text(version, 'mail_version.txt').strip(),
        'defaults': settings_of(fixture_text(version, 'postconf-d.txt.gz')),
        'main_cf': settings_of(fixture_text(version, 'postconf-n.txt')),
        'master_cf': fixture_text(version, 'postconf-M.txt'),
        'map_types': types,
        'queue': fixture_text(version, 'queue-j.jsonl'),
        'postsuper': {action: fixture_text(version, 'queue-postsuper-%s.txt' % action)
                      for action in ('delete', 'hold', 'release', 'requeue', 'expire')},
    }


def settings_of(text):
    """``name = value`` lines (postconf's output) -> {name: value}."""
    settings = {}
    for line in text.splitlines():
        name, dummy, value = line.partition('=')
        settings[name.strip()] = value.strip()
    return settings


def postsuper_words(report):
    """What postsuper says of each message and above its count, read from its captured report of one action."""
    per_message = re.search(r'^postsuper: [0-9A-Za-z]+: (.+)$', report, re.M).group(1)
    total = re.search(r'^postsuper: ([A-Za-z -]+): \d+ messages?$', report, re.M).group(1)
    return per_message, total


class FakePostfix(PostfixRunner):
    """PostfixRunner over a Postfix that exists only in this object.

    Its state starts as the captures of one Postfix version (replay()), and a
    test may set any of it:
    - ``mail_version``; ``defaults`` and ``main_cf`` (name -> value: postconf -d
      and -n); ``master_cf`` (postconf -M's text); ``map_types`` (postconf -m);
    - ``tables`` (table -> key -> value, for postmap -q; a table not there
      cannot be opened); ``queries`` records each ``postmap -q -`` as (table, keys);
    - ``queue`` (postqueue -j's text); ``gone`` (queue IDs that left the queue
      after the listing: postsuper does not report them);
    - ``running`` (postfix status); ``answers`` (postfix(1) command -> (rc,
      output), instead of the simulated one); ``instances`` (postmulti -l's text);
    - ``failures`` (see fail()); ``flush_fails_after`` (see flush_client()).

    Every command is recorded in ``calls``, as the caller named it: run() as
    (tool, options, args), stream_lines() as (tool, options, args, input_lines),
    run_with_terminal() as (tool, args). The argv is built by PostfixRunner
    itself, so an option the runner does not know fails here too; a command
    the fake does not know fails the test.
    """

    def __init__(self, version='3.7', module=None, config_dir='/etc/postfix'):
        super().__init__(module, config_dir)
        self.calls = []
        self.replay(version)

    def replay(self, version):
        """Start again from what Postfix ``version`` printed, running, with one instance."""
        fixtures = captured(version)
        self.mail_version = fixtures['mail_version']
        self.defaults = dict(fixtures['defaults'])
        self.main_cf = dict(fixtures['main_cf'])
        self.master_cf = fixtures['master_cf']
        self.map_types = list(fixtures['map_types'])
        self.queue = fixtures['queue']
        self.postsuper_reports = fixtures['postsuper']
        self.tables = {}
        self.queries = []
        self.gone = set()
        self.running = True
        self.instances = DEFAULT_INSTANCE
        self.answers = {}
        self.failures = {}
        self.flush_requests = []
        self.flush_fails_after = None
        return self

    def __call__(self, module, config_dir=DEFAULT_CONFIG_DIR):
        """The module makes its runner: it gets this Postfix (so a test sees its state and calls)."""
        self.module = module
        self.config_dir = config_dir
        self._parameters = {}  # a new run reads them again, as a new PostfixRunner would
        self._table_types = None
        return self

    def fail(self, tool, rc, message, after=0):
        """``tool`` fails with ``rc`` and ``message`` on stderr, after ``after`` lines of its normal output."""
        self.failures[tool] = (rc, message, after)

    def flush_client(self, path):
        """In place of queue.actions.FlushClient: flush(8) at ``path``, whose requests go to ``flush_requests``."""
        return FlushClient(self, path)

    @property
    def commands(self):
        """The postfix(1) commands given, in order."""
        return [call[1][0] for call in self.calls if call[0] == 'postfix' and len(call) == 2]

    # -- PostfixRunner's interface ----------------------------------------

    def _tool_path(self, tool):
        return tool

    def run(self, tool, options=(), args=(), config_dir=None, data=None, check_rc=True):
        self.calls.append((tool, list(options), list(args)))
        cmd = self.argv(tool, options, args, config_dir)
        if tool in self.failures:
            rc, out, err = self.failures[tool][0], '', self.failures[tool][1]
        else:
            rc, out, err = getattr(self, '_' + tool)(self._flags(options), self._overrides(options), list(args), data)
        if rc != 0 and check_rc:
            raise PostfixCommandError('%s failed (rc=%d): %s' % (' '.join(shown(cmd)), rc, (err or out).strip()),
                                      cmd=shown(cmd), rc=rc, stdout=out, stderr=err)
        return rc, out, err

    def start(self, tool, options=(), args=(), config_dir=None):
        return self.run(tool, options, args, config_dir, check_rc=False)

    @staticmethod
    def finish(process):
        return process

    def stream_lines(self, tool, options=(), args=(), input_lines=(), from_stderr=False):
        input_lines = list(input_lines)
        self.calls.append((tool, list(options), list(args), input_lines))
        cmd = self.argv(tool, options, args)
        if tool == 'postqueue' and self._flags(options) == ['json']:
            lines = self.queue.splitlines()
        elif tool == 'postsuper':
            lines = self._postsuper(self._flags(options)[0], list(args), input_lines)
        else:
            raise AssertionError('the fake Postfix does not stream %s' % cmd)
        return self._streamed(cmd, lines, from_stderr)

    def _streamed(self, cmd, lines, from_stderr):
        if cmd[0] not in self.failures:
            yield from lines
            return
        rc, message, after = self.failures[cmd[0]]
        shown_lines = lines[:after] + ([message.strip()] if from_stderr else [])
        yield from shown_lines
        raise PostfixCommandError('%s failed (rc=%d): %s' % (' '.join(shown(cmd)), rc, '\n'.join(shown_lines[-5:])),
                                  cmd=shown(cmd), rc=rc, stderr=message)

    def run_with_terminal(self, tool, args=(), config_dir=None):
        self.calls.append((tool, list(args)))
        self.argv(tool, (), args, config_dir)
        command = args[0]
        if command in self.answers:
            return self.answers[command]
        if command in ('status', 'reload'):
            return (0, '') if self.running else (1, NOT_RUNNING)
        if command == 'stop':
            if not self.running:
                return 1, STOP_NOT_RUNNING
            self.running = False
            return 0, ''
        if command == 'start':
            if self.running:
                return 1, START_RUNNING
            self.running = True
            return 0, ''
        raise AssertionError('the fake Postfix has no postfix %s' % command)

    # -- the tools ----------------------------------------------------------

    @staticmethod
    def _flags(options):
        return [option if isinstance(option, str) else option[0] for option in options
                if isinstance(option, str) or option[0] != 'override']

    @staticmethod
    def _overrides(options):
        return dict(option[1].split('=', 1) for option in options
                    if not isinstance(option, str) and option[0] == 'override')

    def settings(self, overrides=None):
        """Every setting as Postfix reads it: the defaults, main.cf, then -o overrides."""
        settings = dict(self.defaults)
        settings['mail_version'] = self.mail_version
        settings.update(self.main_cf)
        settings.update(overrides or {})
        return settings

    def expand(self, value, settings, depth=0):
        """$name, ${name}, $(name), ${name?text} and ${name:text}, as postconf -x expands them."""
        def one(match):
            name, condition, text = match.group('name') or match.group('plain'), match.group('op'), match.group('text')
            found = settings.get(name, '')
            if condition == '?':
                return self.expand(text, settings, depth + 1) if found else ''
            if condition == ':':
                return '' if found else self.expand(text, settings, depth + 1)
            return self.expand(found, settings, depth + 1)
        if depth > 20:
            raise AssertionError('$name recursion in %r' % value)
        return re.sub(r'\$(?:[{(](?P<name>\w+)(?:(?P<op>[?:])(?P<text>[^})]*))?[})]|(?P<plain>\w+))', one, value)

    def _postconf(self, flags, overrides, args, data):
        if flags == ['map_types']:
            return 0, ''.join('%s\n' % name for name in self.map_types), ''
        if flags == ['master']:
            return 0, ''.join(line + '\n' for line in self.master_cf.splitlines()
                              if not args or line.split()[0] in args or '/'.join(line.split()[:2]) in args), ''
        if flags == ['master_params', 'expand']:
            settings = self.settings(overrides)
            return 0, ''.join('%s/%s/%s = %s\n' % (fields[0], fields[1], name, self.expand(value, settings))
                              for fields in (line.split() for line in self.master_cf.splitlines())
                              for name, value in master_options(fields)), ''
        expand, hide = 'expand' in flags, 'hide_names' in flags
        rest = [flag for flag in flags if flag not in ('expand', 'hide_names')]
        everything = self.settings(overrides)
        if rest == ['defaults']:
            settings, names = self.defaults, args or sorted(self.defaults)
        elif rest == ['non_default']:
            settings = dict(self.main_cf, **overrides)
            names = [name for name in args if name in settings] if args else sorted(settings)
        elif rest == []:
            settings, names = everything, args or sorted(everything)
        else:
            raise AssertionError('the fake Postfix has no postconf %s' % flags)
        lines, warnings = [], []
        for name in names:
            if name not in settings:
                warnings.append('postconf: warning: %s: unknown parameter\n' % name)
                continue
            value = self.expand(settings[name], everything) if expand else settings[name]
            lines.append(value if hide else ('%s = %s' % (name, value)).rstrip())
        return 0, ''.join(line + '\n' for line in lines), ''.join(warnings)

    def _postmap(self, flags, overrides, args, data):
        table = args[-1]
        if table.startswith('static:'):  # postmap -q KEY static:VALUE: the built-in table's one value
            return 0, table.split(':', 1)[1] + '\n', ''
        if flags == ['query'] and args[0] == '-':
            self.queries.append((table, data.split()))
        if table not in self.tables:
            return 2, '', 'postmap: fatal: open database %s.db: No such file or directory\n' % table.split(':', 1)[-1]
        if flags == ['dump']:
            return 0, ''.join('%s\t%s\n' % item for item in sorted(self.tables[table].items())), ''
        if flags == ['query']:
            keys = data.splitlines() if args[0] == '-' else args[:-1]
            found = ['%s\t%s' % (key, self.tables[table][key]) for key in keys if key in self.tables[table]]
            if args[0] != '-':
                found = [line.split('\t', 1)[1] for line in found]
            return (0 if found else 1), ''.join(line + '\n' for line in found), ''
        raise AssertionError('the fake Postfix has no postmap %s' % flags)

    def _postmulti(self, flags, overrides, args, data):
        return 0, self.instances, ''

    def _postqueue(self, flags, overrides, args, data):
        if flags == ['flush']:
            return 0, '', ''
        raise AssertionError('the fake Postfix has no postqueue %s' % flags)

    def _postkick(self, flags, overrides, args, data):
        return 0, '', ''

    def _postsuper(self, action, args, input_lines):
        """Like postsuper: each ID it reads that is in one of the queues named after "-" and that the action
        changes, in the words of the captured report, then the count."""
        records = {record['queue_id']: record for record in (json.loads(line) for line in self.queue.splitlines())}
        done = [queue_id for queue_id in input_lines if queue_id not in self.gone and queue_id in records
                and records[queue_id]['queue_name'] in args[1:]
                and not (action == 'expire' and records[queue_id]['forced_expire'])]
        per_message, total = postsuper_words(self.postsuper_reports[action])
        return (['postsuper: %s: %s' % (queue_id, per_message) for queue_id in done]
                + ['postsuper: %s: %d message%s' % (total, len(done), '' if len(done) == 1 else 's')])


class FlushClient:
    """flush(8) of the fake Postfix: takes every request, or fails after ``flush_fails_after`` of them."""

    def __init__(self, postfix, path):
        self.postfix = postfix
        self.path = path

    def send_file(self, queue_id):
        if len(self.postfix.flush_requests) == self.postfix.flush_fails_after:
            raise PostfixCommandError('cannot request delivery of %s from flush(8)' % queue_id, cmd=['flush(8)'])
        self.postfix.flush_requests.append((self.path, queue_id))


def master_options(fields):
    """The -o name=value options of a master.cf entry's fields (the plain form, not { name = value })."""
    return [tuple(value.split('=', 1)) for flag, value in zip(fields[8:], fields[9:]) if flag == '-o' and '=' in value]


class ModuleFailed(Exception):
    """fail_json() of the AnsibleModule double was called."""


class AnsibleModuleDouble:
    """Enough of AnsibleModule for module_utils: no SELinux; Postfix's tools in /usr/sbin unless ``bin_paths``
    says otherwise; warn() and fail_json() recorded (fail_json raises ``Failed``); secrets in no_log_values."""

    Failed = ModuleFailed
    _name = 'mailops.postfix.postconf'

    def __init__(self, tmpdir, params=None, check_mode=False):
        self.tmpdir = tmpdir
        self.params = dict(params or {})
        self.check_mode = check_mode
        self.bin_paths = {}
        self.no_log_values = set()
        self.warnings = []
        self.failure = None

    def with_params(self, **params):
        """This module, with ``params`` among its parameters."""
        self.params.update(params)
        return self

    @staticmethod
    def selinux_enabled():
        return False

    def get_bin_path(self, tool, opt_dirs=()):
        return self.bin_paths.get(tool, '/usr/sbin/%s' % tool)

    def warn(self, warning):
        self.warnings.append(warning)

    def fail_json(self, **kwargs):
        self.failure = kwargs
        raise ModuleFailed(kwargs.get('msg'))


class ModuleResult(dict):
    """A module's result; ``output`` is everything it printed."""

    output = ''


@pytest.fixture(autouse=True)
def note_directory(monkeypatch, tmp_path):
    """Notes of pending reloads go to the test's own directory, never to the host's /run/mailops-postfix."""
    directory = tmp_path / 'notes'
    monkeypatch.setattr(postfix_control, 'NOTE_DIRECTORY', str(directory))
    return directory


@pytest.fixture(autouse=True)
def no_master_lock(monkeypatch, tmp_path):
    """No master's lock is seen in the host's /proc/locks: whether the fake Postfix runs is its postfix status."""
    monkeypatch.setattr(postfix_control, 'PROC_LOCKS', str(tmp_path / 'no-proc-locks'))


@pytest.fixture
def postfix():
    """The fake Postfix, as Postfix 3.7 printed it (``postfix.replay('3.10')`` for 3.10)."""
    return FakePostfix('3.7')


@pytest.fixture
def ansible_module(tmp_path):
    """An AnsibleModule double whose temporary directory is the test's."""
    return AnsibleModuleDouble(str(tmp_path))


@pytest.fixture
def run_module(request, capsys, monkeypatch):
    """run_module(module, check_mode=False, **params): run the module's main() and return its ModuleResult.

    A module that runs Postfix gets the ``postfix`` fixture as its runner; its
    ``calls`` are those of this run only.
    """
    def run(module, check_mode=False, **params):
        if hasattr(module, 'PostfixRunner'):
            postfix = request.getfixturevalue('postfix')
            monkeypatch.setattr(module, 'PostfixRunner', postfix)
            postfix.calls = []
        if check_mode:
            params['_ansible_check_mode'] = True
        with patch_module_args(params):
            with pytest.raises(SystemExit):
                module.main()
        output = capsys.readouterr().out
        result = ModuleResult(json.loads(output))
        result.output = output
        return result
    return run
