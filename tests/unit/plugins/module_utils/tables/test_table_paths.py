# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/tables/paths.py: which paths may be written as tables."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.paths import check_table_path
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError


@pytest.fixture
def instances(tmp_path):
    """Two instances' configuration directories, and a place for ordinary tables."""
    for name in ('postfix', 'postfix-out', 'postfix/postfix-files.d', 'postfix/dynamicmaps.cf.d', 'tables'):
        (tmp_path / name).mkdir()
    return tmp_path


@pytest.mark.parametrize('name', ['main.cf', 'master.cf', 'dynamicmaps.cf', 'postfix-files', 'postfix-script',
                                  'post-install', 'main.cf.proto', 'master.cf.proto', 'makedefs.out'])
@pytest.mark.parametrize('instance', ['postfix', 'postfix-out'])
def test_postfix_own_files_are_refused_in_every_instance(instances, instance, name):
    directories = [str(instances / 'postfix'), str(instances / 'postfix-out')]
    with pytest.raises(TableSourceError, match="is Postfix's own %s, not a lookup table; change main.cf and "
                                               "master.cf with mailops.postfix.postconf" % name):
        check_table_path(str(instances / instance / name), False, directories)


@pytest.mark.parametrize('extension', ['postfix-files.d', 'dynamicmaps.cf.d'])
def test_files_of_the_extension_directories_are_refused(instances, extension):
    with pytest.raises(TableSourceError, match='extends Postfix\'s own configuration'):
        check_table_path(str(instances / 'postfix' / extension / 'mysql'), False, [str(instances / 'postfix')])


@pytest.mark.parametrize('name', ['mailops-freeze.json', 'mailops_suspended_domains'])
def test_postfix_freeze_files_are_refused(instances, name):
    with pytest.raises(TableSourceError, match='belongs to mailops.postfix.postfix_freeze'):
        check_table_path(str(instances / 'postfix' / name), False, [str(instances / 'postfix')])


def test_the_same_names_elsewhere_are_tables(instances):
    for name in ('main.cf', 'master.cf', 'access', 'master'):
        check_table_path(str(instances / 'tables' / name), False, [str(instances / 'postfix')])
    check_table_path(str(instances / 'postfix' / 'access'), False, [str(instances / 'postfix')])
    check_table_path(str(instances / 'postfix' / 'master.cf.db'), False, [str(instances / 'postfix')])


def test_a_protected_file_is_recognised_through_dot_dot_and_symlinked_directories(instances):
    (instances / 'etc-link').symlink_to(instances / 'postfix')
    directories = [str(instances / 'postfix')]
    for path in (instances / 'tables' / '..' / 'postfix' / 'master.cf', instances / 'etc-link' / 'master.cf'):
        with pytest.raises(TableSourceError, match="Postfix's own master.cf"):
            check_table_path(str(path), False, directories)


def test_a_relative_path_is_refused():
    with pytest.raises(TableSourceError, match=r'^path access is relative; give the absolute path, as main.cf names the '
                                               r'table \(for example hash:/etc/postfix/access\)'):
        check_table_path('access', False, [])


def test_a_symlink_is_refused_without_follow_and_its_target_named(instances):
    (instances / 'tables' / 'access').symlink_to('/etc/shadow')
    with pytest.raises(TableSourceError, match=r'is a symlink \(to /etc/shadow\); nothing was read or written. Set '
                                               r'follow: true'):
        check_table_path(str(instances / 'tables' / 'access'), False, [str(instances / 'postfix')])


def test_follow_allows_a_symlink_to_a_table(instances):
    (instances / 'tables' / 'access.real').write_text('a OK\n')
    (instances / 'tables' / 'access').symlink_to(instances / 'tables' / 'access.real')
    check_table_path(str(instances / 'tables' / 'access'), True, [str(instances / 'postfix')])


def test_follow_still_refuses_a_symlink_to_postfix_own_files(instances):
    (instances / 'tables' / 'access').symlink_to(instances / 'postfix' / 'master.cf')
    with pytest.raises(TableSourceError, match="Postfix's own master.cf"):
        check_table_path(str(instances / 'tables' / 'access'), True, [str(instances / 'postfix')])
