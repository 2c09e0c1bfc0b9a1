# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which paths may be written as lookup tables.

Private to this collection: roles and playbooks use the modules, never module_utils.

A table module rewrites the whole file at ``path``. Postfix's own files in a
configuration directory are not tables: written as one, master.cf loses every
service while ``postfix status`` still says all is well, and postfix-script
runs as root. A table reached through a symlink would show its target's lines
in diffs, and be written where the operator did not look.
"""

from __future__ import annotations

import os

from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError

# Files that Postfix (and its Debian packaging) keeps in a configuration
# directory, and the directories whose files extend them.
POSTFIX_FILES = frozenset(['main.cf', 'master.cf', 'dynamicmaps.cf', 'postfix-files', 'post-install', 'postfix-script',
                           'main.cf.proto', 'master.cf.proto', 'makedefs.out'])
POSTFIX_DIRECTORIES = frozenset(['dynamicmaps.cf.d', 'postfix-files.d'])
# Files of this collection's postfix_freeze in a configuration directory.
FREEZE_FILES = frozenset(['mailops-freeze.json', 'mailops_suspended_domains'])


def config_directories(runner):
    """The configuration directories of every instance on this host.

    This instance's, the default instance's (Postfix's compiled-in
    config_directory), and the default instance's multi_instance_directories
    (postmulti's list of the others).
    """
    default = runner.run('postconf', ['defaults', 'hide_names'], ['config_directory'])[1].strip()
    directories = {runner.config_dir, default}
    if default == runner.config_dir:
        # The runner's own instance: read with what else the run reads of it (PostfixRunner.parameters()).
        others = runner.parameters(['multi_instance_directories'])['multi_instance_directories']
    else:
        rc, others, dummy = runner.run('postconf', ['expand', 'hide_names'], ['multi_instance_directories'],
                                       config_dir=default, check_rc=False)
        others = others if rc == 0 else ''
    directories.update(others.replace(',', ' ').split())
    return directories


def check_table_path(path, follow, directories):
    """Raise TableSourceError unless ``path`` may be written as a table.

    ``directories`` are the configuration directories of every instance
    (config_directories()). A symlink is refused unless ``follow``; with it,
    the file it points to is checked too.
    """
    if not os.path.isabs(path):
        raise TableSourceError('path %s is relative; give the absolute path, as main.cf names the table (for example '
                               'hash:/etc/postfix/%s)' % (path, path))
    if os.path.isdir(path):
        raise TableSourceError('path %s is a directory; name the table file, for example %s/sasl_passwd'
                               % (path, path.rstrip('/')))
    if os.path.islink(path) and not follow:
        raise TableSourceError('path %s is a symlink (to %s); nothing was read or written. Set follow: true to '
                               'manage the file it points to, or name that file in path' % (path, os.readlink(path)))
    resolved = {os.path.realpath(directory) for directory in directories}
    for candidate in sorted({os.path.abspath(path), os.path.realpath(path)}):
        parent, name = os.path.split(candidate)
        parent = os.path.realpath(parent)
        if parent in resolved and name in POSTFIX_FILES:
            raise TableSourceError('%s is Postfix\'s own %s, not a lookup table; change main.cf and master.cf with '
                                   'mailops.postfix.postconf' % (path, name))
        if parent in resolved and name in FREEZE_FILES:
            raise TableSourceError('%s belongs to mailops.postfix.postfix_freeze; suspend and resume domains with it'
                                   % path)
        for directory in resolved:
            for extension in POSTFIX_DIRECTORIES:
                if (parent + '/').startswith(os.path.join(directory, extension) + '/'):
                    raise TableSourceError('%s is in %s/%s, which extends Postfix\'s own configuration; it is not a '
                                           'lookup table' % (path, directory, extension))
