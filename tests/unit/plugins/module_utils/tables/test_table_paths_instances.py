# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for table_paths: which instances' files are protected, and paths that reach them another way.

test_table_paths.py names the protected files directly; here the protected
directories come from postconf as config_directories() asks it, a
configuration directory is itself a symlink, and symlinks (with follow) lead
into the protected places.
"""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.tables.paths import check_table_path, config_directories
from ansible_collections.mailops.postfix.plugins.module_utils.tables.source import TableSourceError


class Postconf:
    """postconf -d config_directory and the default instance's multi_instance_directories, as postconf -h prints them."""

    def __init__(self, config_dir, default, multi_instance_directories, rc=0):
        self.config_dir = config_dir
        self.default = default
        self.multi = multi_instance_directories
        self.rc = rc
        self.calls = []

    def run(self, tool, options=(), args=(), config_dir=None, check_rc=True):
        self.calls.append((tool, list(options), list(args), config_dir))
        if list(options) == ['defaults', 'hide_names'] and list(args) == ['config_directory']:
            return 0, self.default + '\n', ''
        if list(options) == ['expand', 'hide_names'] and list(args) == ['multi_instance_directories']:
            assert config_dir == self.default  # the default instance's list names the others
            return self.rc, self.multi + '\n', ''
        raise AssertionError((tool, options, args))

    def parameters(self, names):
        """PostfixRunner.parameters(): the runner's own instance, read with what else the run reads of it."""
        self.calls.append(('parameters', list(names)))
        assert self.config_dir == self.default and names == ['multi_instance_directories']
        return {'multi_instance_directories': self.multi}


def test_every_instance_of_the_host_is_protected_from_a_secondary_one():
    runner = Postconf('/etc/postfix-out', '/etc/postfix', '/etc/postfix-in, /etc/postfix-out /etc/postfix-relay')
    assert config_directories(runner) == {'/etc/postfix', '/etc/postfix-in', '/etc/postfix-out', '/etc/postfix-relay'}


def test_without_other_instances_the_default_and_this_one_are_protected():
    assert config_directories(Postconf('/srv/postfix-test', '/etc/postfix', '')) == {'/etc/postfix', '/srv/postfix-test'}
    assert config_directories(Postconf('/etc/postfix', '/etc/postfix', '')) == {'/etc/postfix'}
    # The default instance's postconf fails (from another instance: its main.cf unreadable): its list is left out.
    assert config_directories(Postconf('/srv/postfix-test', '/etc/postfix', '/etc/postfix-out', rc=1)) == {
        '/etc/postfix', '/srv/postfix-test'}


def test_the_default_instance_reads_its_list_with_the_runs_other_reads():
    runner = Postconf('/etc/postfix', '/etc/postfix', '/etc/postfix-out')
    assert config_directories(runner) == {'/etc/postfix', '/etc/postfix-out'}
    assert runner.calls[-1] == ('parameters', ['multi_instance_directories'])


@pytest.fixture
def host(tmp_path):
    """A default instance, a secondary one, and a place for ordinary tables."""
    for name in ('postfix', 'postfix-out', 'postfix/postfix-files.d', 'tables'):
        (tmp_path / name).mkdir()
    return tmp_path


def test_the_default_instance_main_cf_is_refused_from_a_run_on_another_instance(host):
    runner = Postconf(str(host / 'postfix-out'), str(host / 'postfix'), '')
    with pytest.raises(TableSourceError, match="is Postfix's own main.cf"):
        check_table_path(str(host / 'postfix' / 'main.cf'), False, config_directories(runner))


def test_a_configuration_directory_named_through_a_symlink_protects_the_real_one(host):
    # main.cf names /etc/postfix, which is a symlink to where the files are; the path given is the real place.
    (host / 'etc-postfix').symlink_to(host / 'postfix')
    for name in ('master.cf', 'mailops-freeze.json'):
        with pytest.raises(TableSourceError, match='not a lookup table|belongs to mailops.postfix.postfix_freeze'):
            check_table_path(str(host / 'postfix' / name), False, [str(host / 'etc-postfix')])


@pytest.mark.parametrize('target, message', [
    pytest.param('postfix/mailops-freeze.json', 'belongs to mailops.postfix.postfix_freeze', id='freeze-file'),
    pytest.param('postfix/postfix-files.d/extra', "extends Postfix's own configuration", id='extension-directory'),
    pytest.param('postfix-out/dynamicmaps.cf', "is Postfix's own dynamicmaps.cf", id='other-instance'),
])
def test_follow_does_not_lead_into_a_protected_place(host, target, message):
    (host / 'tables' / 'access').symlink_to(host / target)
    with pytest.raises(TableSourceError, match=message):
        check_table_path(str(host / 'tables' / 'access'), True, [str(host / 'postfix'), str(host / 'postfix-out')])


def test_a_symlinked_directory_does_not_lead_into_an_extension_directory(host):
    (host / 'tables' / 'extensions').symlink_to(host / 'postfix' / 'postfix-files.d')
    with pytest.raises(TableSourceError, match="extends Postfix's own configuration"):
        check_table_path(str(host / 'tables' / 'extensions' / 'mysql'), False, [str(host / 'postfix')])


def test_a_main_cf_that_is_a_symlink_is_refused_with_follow_however_its_directory_is_reached(host):
    # main.cf kept in a repository and linked into the configuration directory: writing it as a table through
    # the link would replace main.cf all the same.
    (host / 'repository').mkdir()
    (host / 'repository' / 'main.cf').write_text('myhostname = mx.example.com\n')
    (host / 'postfix' / 'main.cf').symlink_to(host / 'repository' / 'main.cf')
    (host / 'etc-postfix').symlink_to(host / 'postfix')
    for path in (host / 'postfix' / 'main.cf', host / 'etc-postfix' / 'main.cf', host / 'tables' / '..' / 'etc-postfix'
                 / 'main.cf'):
        with pytest.raises(TableSourceError, match="is Postfix's own main.cf"):
            check_table_path(str(path), True, [str(host / 'postfix')])
