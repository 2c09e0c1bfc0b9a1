# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change main.cf and master.cf safely: edit a staged copy, check it, then go live.

Private to this collection: roles and playbooks use the modules, never module_utils.

The staged copy is a private directory holding main.cf and master.cf. Edits
are made there with postconf itself (``postconf -c STAGE -e/-X/-M/-MX``), so
the files come out exactly as postconf would write them. The stage is then
checked the way Postfix checks a configuration: postconf's own warnings about
unused parameters, the types of changed values, and ``postfix check``. Only
then are the staged files renamed into the live directory, one atomic rename
per file.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time

from ansible_collections.mailops.postfix.plugins.module_utils.core import atomic_file
from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.core.atomic_file import read_bytes, write_atomic
from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import (
    MILTER_PARAMETERS,
    RESTART_PARAMETERS,
    milter_problems,
    parse_parameters,
    parse_unused_warnings,
)
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import (
    NEEDS_ROOT,
    MailopsError,
    PostfixCommandError,
    os_error_text,
)

CONFIG_FILES = ('main.cf', 'master.cf')

_TIME_VALUE = re.compile(r'\d+[smhdw]?')
_TIME_DEFAULT = re.compile(r'\d+[smhdw]')
_INTEGER = re.compile(r'-?\d+')
# Whole-number defaults whose parameter also takes other values:
# compatibility_level takes release numbers (3.6), lmtp_tcp_port service names.
# milter_protocol takes extensions after the number ("6 no_header_reply").
_NOT_ONLY_NUMBERS = frozenset(['compatibility_level', 'lmtp_tcp_port', 'milter_protocol'])
# Defaults of no whose parameter also takes keywords (3.7.10+: normalize, reject).
_NOT_ONLY_YES_NO = frozenset(['smtpd_forbid_bare_newline'])


def value_type_errors(defaults, values):
    """Messages for values whose type does not match the parameter's default.

    Postfix declares each parameter as boolean, integer, time and so on, and a
    daemon that reads a value of the wrong type stops with a fatal error. The
    type is not printed anywhere, but the default value shows it; values with
    $name references are left to Postfix.
    """
    errors = []
    for name, value in values.items():
        default = defaults.get(name)
        if default is None or '$' in value:
            continue
        if default in ('yes', 'no') and name not in _NOT_ONLY_YES_NO and value.lower() not in ('yes', 'no'):
            errors.append('%s = %s: Postfix expects yes or no (default: %s)' % (name, value, default))
        elif _INTEGER.fullmatch(default) and name not in _NOT_ONLY_NUMBERS and not _INTEGER.fullmatch(value):
            errors.append('%s = %s: Postfix expects a whole number (default: %s)' % (name, value, default))
        elif _TIME_DEFAULT.fullmatch(default) and not _TIME_VALUE.fullmatch(value):
            errors.append('%s = %s: Postfix expects a time such as 300s, 30m, 5h or 2d (default: %s)'
                          % (name, value, default))
    return errors


def distinct_warnings(output):
    """The warning lines of ``postfix check``'s output, each distinct line once, in the order first printed.

    postfix-script runs postconf many times, and each run prints the same warnings again: one missing
    SQL settings file gave 20 identical lines.
    """
    return list(dict.fromkeys(line.strip() for line in output.splitlines() if 'warning' in line))


def settled_mtime():
    """An mtime for a new main.cf that lets Postfix read it at once.

    Postfix reads main.cf again, pausing 0.3 s each time, until its mtime is
    two seconds old (dict_load_file(): a guard against reading a file that is
    being edited in place). Every main.cf written here is complete before it
    is renamed into place, so that wait, up to 2 s for each postconf, postfix
    check and ``postfix reload`` (its ``master -t``), would be for nothing.
    master.cf is read without such a wait.
    """
    return int(time.time()) - 2


class StagedConfig:
    """A staged copy of one instance's main.cf and master.cf."""

    def __init__(self, module, runner):
        self.module = module
        self.runner = runner
        self.live_dir = runner.config_dir
        self.path = tempfile.mkdtemp(prefix='mailops-postconf-', dir=module.tmpdir)
        self.original = {}
        for name in CONFIG_FILES:
            live = os.path.join(self.live_dir, name)
            self.original[name] = read_bytes(live)
            if self.original[name] is None:
                raise PostfixCommandError('%s does not exist: is %s a Postfix configuration directory?'
                                          % (live, self.live_dir))
            shutil.copy2(live, os.path.join(self.path, name))

    def postconf(self, options, args):
        """Run postconf against the stage."""
        return self.runner.run('postconf', options, args, config_dir=self.path)

    def edit(self, set_parameters, remove_parameters, set_services, remove_services):
        """Apply the planned edits to the staged files, one postconf run per kind of edit."""
        if set_parameters:
            self.postconf(['edit'], ['%s=%s' % item for item in set_parameters.items()])
        if remove_parameters:
            self.postconf(['remove'], list(remove_parameters))
        if set_parameters or remove_parameters:
            mtime = settled_mtime()
            os.utime(os.path.join(self.path, 'main.cf'), (mtime, mtime))
        if set_services:
            self.postconf(['master', 'edit'], ['%s=%s' % item for item in set_services.items()])
        if remove_services:
            self.postconf(['master', 'remove'], list(remove_services))

    def validate(self, parameter_values, option_values, user_defined, postfix_check=True):
        """Raise PostfixCommandError unless the staged configuration passes Postfix's checks.

        parameter_values: main.cf parameters being set (name -> text);
        option_values: master.cf -o parameters being set, one dict (name -> text) per service;
        user_defined: names the caller declared as intentional user-defined
        parameters, which postconf may report as unused;
        postfix_check: false skips ``postfix check`` (its whole-installation checks: directories,
        ownership, the chroot's copies of system files; a few hundred processes and one to two
        seconds under load) for a change whose every value the checks above judge: postfix_freeze's
        master_service_disable, in_flow_delay and transport_maps.
        """
        option_names = set().union(*option_values)
        # Only the defaults of the names being set: each decides its value's type. A name with a default is
        # Postfix's own, which postconf never reports as unused, so postconf -n is asked only for the others.
        names = sorted(set(parameter_values) | option_names)
        defaults = parse_parameters(self.postconf(['defaults'], names)[1]) if names else {}
        if any(name not in defaults for name in names):
            self._refuse_unused(parameter_values, option_names, user_defined)
        errors = value_type_errors(defaults, parameter_values)
        for options in option_values:
            errors += ['-o %s' % error for error in value_type_errors(defaults, options)]
        errors += self._milter_errors(parameter_values, option_values)
        if errors:
            raise PostfixCommandError('invalid value(s): %s' % '; '.join(errors))
        if not postfix_check:
            self.read_as_postfix()
            return []
        rc, output = self.runner.run_with_terminal('postfix', ['check'], config_dir=self.path)
        if rc != 0:
            raise PostfixCommandError('postfix check rejected the new configuration (live files unchanged): %s'
                                      % output.strip(), rc=rc, stderr=output)
        return distinct_warnings(output)

    def _refuse_unused(self, parameter_values, option_names, user_defined):
        """Raise PostfixCommandError for the names being set that postconf reports as "unused parameter"."""
        err = self.postconf(['non_default'], [])[2]
        unknown = sorted(set(
            '%s (%s)' % (name, os.path.basename(path)) for path, name in parse_unused_warnings(err)
            if name not in user_defined
            and ((path.endswith('/main.cf') and name in parameter_values)
                 or (path.endswith('/master.cf') and name in option_names))))
        if unknown:
            raise PostfixCommandError(
                'unknown parameter name(s): %s. postconf reports them as "unused parameter": they are not Postfix '
                'parameters, and nothing refers to them as $name or as a restriction class. Fix the spelling, or '
                'list them in user_defined_parameters if they are meant to be user-defined.' % ', '.join(unknown),
                stderr=err)

    def read_as_postfix(self):
        """Raise PostfixCommandError unless Postfix's commands can read the staged main.cf.

        Every Postfix command reads main.cf's global parameters when it starts
        and stops on a value of the wrong type, anywhere in the file: postfix(1)
        does before postfix reload signals master, and master, rereading them
        on the signal, exits. postfix check does this too (it is postfix(1));
        without it, postmap does it here, asked for a key of a built-in table.
        """
        rc, dummy, err = self.runner.run('postmap', [('query', 'mailops')], ['static:read'], config_dir=self.path,
                                         check_rc=False)
        if rc != 0:
            raise PostfixCommandError('Postfix cannot read the new main.cf (live files unchanged): %s'
                                      % (err.strip() or 'postmap failed with rc=%d' % rc), rc=rc, stderr=err)

    def _milter_errors(self, parameter_values, option_values):
        """milter_problems() of the milter lists being set; a value with $name is judged as Postfix expands it:
        one postconf -x for main.cf's, and one per service whose -o milter list has $name, with that service's
        -o settings as overrides (postconf -o), as its daemon reads them over the staged main.cf."""
        settings = [(name, parameter_values[name]) for name in MILTER_PARAMETERS if name in parameter_values]
        if any('$' in value for dummy, value in settings):
            expanded = parse_parameters(self.postconf(['expand'], [name for name, dummy in settings])[1])
            settings = [(name, expanded.get(name, value)) for name, value in settings]
        errors = [problem for name, value in settings for problem in milter_problems(name, value)]
        for options in option_values:
            names = [name for name in MILTER_PARAMETERS if name in options]
            values = {name: options[name] for name in names}
            if any('$' in value for value in values.values()):
                overrides = [('override', '%s=%s' % item) for item in sorted(options.items())]
                values.update(parse_parameters(self.postconf(['expand'] + overrides, names)[1]))
            errors += ['-o %s' % problem for name in names for problem in milter_problems(name, values[name])]
        return errors

    def staged_content(self, name):
        return read_bytes(os.path.join(self.path, name))

    def changed_files(self):
        return [name for name in CONFIG_FILES if self.staged_content(name) != self.original[name]]

    def install(self, names, installation):
        """Rename the staged files into the live directory, through the run's ``installation``."""
        for name in names:
            write_atomic(self.module, os.path.join(self.live_dir, name), self.staged_content(name),
                         mtime=settled_mtime() if name == 'main.cf' else None, installation=installation)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


def go_live(module, runner, result, install, reload, needed=True, restart_parameters=(), catch_up=False,
            signal_master=False):
    """The one path from a run's planned files to the reload, for every module that changes configuration.

    Decides what follows the change (service.reload_plan(): a reload, a
    restart for ``restart_parameters``, or a note for the handler when
    ``reload`` is false) and puts it in ``result``; in check mode that is all.
    Otherwise installs the run's files with ``install(installation)`` and
    carries the decision out. ``needed`` false: nothing of this run needs a
    reload; ``catch_up`` true then still makes up for an earlier run's reload
    that never came (postconf checks on every run), false asks Postfix nothing.

    Every file goes through one atomic_file.Installation: when any step fails
    (a file that cannot be replaced, a reload that fails), every file
    installed so far is put back, tables and their compiled files included,
    and the error says so. Nothing of a failed run stays live; where a file
    cannot be put back, the error names it. A restart whose start failed
    starts Postfix again with the previous files. ``signal_master``: see
    service.reload(). Returns the decision.
    """
    if needed or catch_up:
        plan = postfix_control.reload_plan(runner, reload, restart_parameters, needed)
    else:
        plan = postfix_control.no_reload()
    result.update(plan)
    if module.check_mode:
        return plan
    installation = atomic_file.Installation()
    try:
        install(installation)
        postfix_control.carry_out(runner, plan, signal_master)
    except (MailopsError, OSError) as error:
        raise _rolled_back(runner, result, plan, installation, error)
    except BaseException:
        installation.undo()
        raise
    installation.done()
    return plan


def _rolled_back(runner, result, plan, installation, error):
    """Put back every file of a failed run; the error to raise, saying what is live."""
    installed = installation.installed()
    not_put_back = installation.undo()
    message = str(error) if isinstance(error, MailopsError) else os_error_text(error)
    put_back = [path for path in installed if path not in not_put_back]
    if not_put_back:
        message += ('; COULD NOT PUT BACK %s, which hold this run\'s content (the previous files are kept next to '
                    'them as .NAME.XXXXXXXX.tmp)' % ', '.join(not_put_back))
        result['changed'] = True
    else:
        message += '; nothing of this run is live'
        result['changed'] = False
    if put_back:
        message += ' (the previous %s put back)' % ', '.join(put_back)
    if isinstance(error, PostfixCommandError) and plan['restarted'] and not postfix_control.is_running(runner):
        # The stop went through and the start did not: start again with the old files.
        try:
            postfix_control.start(runner)
            message += ', and Postfix started with them'
        except PostfixCommandError as start_error:
            message += '; starting Postfix with them failed too, so POSTFIX IS NOT RUNNING: %s' % start_error
    if isinstance(error, PostfixCommandError):
        return PostfixCommandError(message, cmd=error.cmd, rc=error.rc, stdout=error.stdout, stderr=error.stderr)
    return MailopsError(message)


def apply_changes(module, runner, parameter_changes, service_changes, result, option_values=(), user_defined=(),
                  reload=True, backup=False, backup_keep=None, checks=None, before_install=None, postfix_check=True):
    """Stage and validate main.cf and master.cf changes; unless in check mode, install them and reload.

    parameter_changes and service_changes map a name to {before, after}, after
    None removing it. ``checks``, a function of the staged configuration
    directory and both changes, may refuse the staged configuration after
    Postfix's own checks passed. ``before_install(installation)``, unless in
    check mode, is called after every check passed, to install through the
    same atomic_file.Installation before main.cf and master.cf (postconf
    installs the tables they name). Fills ``result`` with postfix_warnings,
    restart_required, running, reloaded, restarted, reload_needed and the
    backup files. A failure while the files go live, or of the reload (or
    restart), puts every previous file back (go_live()). ``postfix_check``: see StagedConfig.validate().
    The reload is a SIGHUP to master (service.reload()): the checks above have read the main.cf that goes live
    as postfix(1) reads it before postfix reload signals, with postfix check or without (read_as_postfix()).
    """
    if os.geteuid() != 0:
        # postfix check, which judges the staged files, refuses to run for anyone but the super-user.
        raise MailopsError('main.cf and master.cf were not changed: %s; postfix check validates the new '
                           'configuration as the super-user' % NEEDS_ROOT)
    stage = StagedConfig(module, runner)
    try:
        stage.edit(
            set_parameters={k: v['after'] for k, v in parameter_changes.items() if v['after'] is not None},
            remove_parameters=[k for k, v in parameter_changes.items() if v['after'] is None],
            set_services={k: v['after'] for k, v in service_changes.items() if v['after'] is not None},
            remove_services=[k for k, v in service_changes.items() if v['after'] is None])
        result['postfix_warnings'] = stage.validate(
            parameter_values={k: v['after'] for k, v in parameter_changes.items() if v['after'] is not None},
            option_values=list(option_values),
            user_defined=set(user_defined), postfix_check=postfix_check)
        if checks:
            checks(stage.path, parameter_changes, service_changes)
        # master.cf first: new services exist before main.cf refers to them.
        files = [name for name in ('master.cf', 'main.cf') if name in stage.changed_files()]

        def install(installation):
            if before_install:
                before_install(installation)
            if backup:
                for name, key in (('main.cf', 'backup_file'), ('master.cf', 'master_backup_file')):
                    if name in files:
                        result[key] = atomic_file.backup(module, os.path.join(runner.config_dir, name),
                                                         keep=backup_keep)
            stage.install(files, installation)

        go_live(module, runner, result, install, reload,
                restart_parameters=RESTART_PARAMETERS.intersection(parameter_changes), signal_master=True)
    finally:
        stage.cleanup()
