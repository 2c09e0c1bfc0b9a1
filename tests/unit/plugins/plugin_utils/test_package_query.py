# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import shlex

import pytest

from ansible_collections.mailops.postfix.plugins.plugin_utils.package_query import answer, query_command, read_answer

# dpkg-query --show --showformat '${db:Status-Abbrev} ${Package}\n' as Debian 12 answers (postfix-mysql was removed,
# its configuration files kept; nosuch was never known).
DPKG_OUT = 'ii  postfix\nrc  postfix-mysql\nhi  libsasl2-modules\n'
DPKG_ERR = 'dpkg-query: no packages found matching nosuch\n'
NAMES = ['postfix', 'postfix-mysql', 'libsasl2-modules', 'nosuch']


class Host:
    """A fake host: answers each command with the next answer, and records the commands."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.commands = []

    def __call__(self, command):
        self.commands.append(command)
        return self.answers.pop(0)


def test_the_command_asks_each_path_then_the_packages_quoted():
    command = query_command('dpkg', ['postfix', 'postfix-pcre'], ['/var/mail/v hosts'])
    assert command == ("stat -L -c 'path 0 %u %g %a %F' '/var/mail/v hosts' 2>/dev/null; "
                       "dpkg-query --show --showformat '${db:Status-Abbrev} ${Package}\n' postfix postfix-pcre")
    assert shlex.split(query_command('rpm', ['postfix'], []))[-1] == 'postfix'


def test_installed_are_the_names_dpkg_marks_installed():
    installed, states = read_answer('dpkg', NAMES, [], 1, DPKG_OUT, DPKG_ERR)
    assert installed == {'postfix', 'libsasl2-modules'}
    assert states == {}


def test_a_path_gets_its_owner_mode_and_type_and_none_when_missing():
    stdout = 'path 1 5000 5001 750 directory\npath 2 0 0 644 regular file\nii  postfix\n'
    installed, states = read_answer('dpkg', ['postfix'], ['/missing', '/var/mail/vhosts', '/etc/postfix/main.cf'], 0,
                                    stdout, '')
    assert installed == {'postfix'}
    assert states == {'/missing': None,
                      '/var/mail/vhosts': {'uid': 5000, 'gid': 5001, 'mode': '0750', 'type': 'directory'},
                      '/etc/postfix/main.cf': {'uid': 0, 'gid': 0, 'mode': '0644', 'type': 'regular file'}}


def test_rpm_counts_the_names_not_installed_in_its_exit_status():
    installed, _states = read_answer('rpm', ['postfix', 'cyrus-sasl-plain', 'x'], [], 2,
                                     'ii postfix\npackage cyrus-sasl-plain is not installed\npackage x is not installed\n',
                                     '')
    assert installed == {'postfix'}


@pytest.mark.parametrize('rc, stdout, stderr, words', [
    (127, '', '/bin/sh: 1: dpkg-query: not found\n', ['dpkg-query', 'no answer for postfix, postfix-mysql', '127', 'not found']),
    (2, 'ii  postfix\n', 'dpkg-query: error: cannot read the status file\n', ['exit status 2', 'status file']),
    (0, 'ii  postfix\n', '', ['gave no answer for postfix-mysql, libsasl2-modules, nosuch']),
    (-9, DPKG_OUT, DPKG_ERR, ['exit status -9']),
])
def test_an_answer_that_leaves_a_name_out_or_a_failed_query_is_an_error(rc, stdout, stderr, words):
    with pytest.raises(ValueError) as error:
        read_answer('dpkg', NAMES, [], rc, stdout, stderr)
    for word in words:
        assert word in str(error.value)


def test_the_first_call_asks_every_name_and_path():
    host = Host((1, 'path 0 5000 5000 750 directory\n' + DPKG_OUT, DPKG_ERR))
    result = answer('dpkg', NAMES, ['/var/mail/vhosts'], {}, host)
    assert len(host.commands) == 1
    assert result == {'asked_now': NAMES, 'asked': sorted(NAMES), 'installed': ['libsasl2-modules', 'postfix'],
                      'missing': ['postfix-mysql', 'nosuch'],
                      'paths': {'/var/mail/vhosts': {'uid': 5000, 'gid': 5000, 'mode': '0750', 'type': 'directory'}}}


def test_a_later_call_asks_only_what_the_known_answer_lacks_and_adds_to_it():
    first = answer('dpkg', ['postfix', 'libsasl2-modules'], ['/var/mail/vhosts'], {},
                   Host((0, 'path 0 5000 5000 750 directory\nii  postfix\nii  libsasl2-modules\n', '')))
    host = Host((0, 'un  postfix-pcre\n', ''))
    second = answer('dpkg', ['postfix', 'postfix-pcre'], [], first, host)
    assert host.commands == ["dpkg-query --show --showformat '${db:Status-Abbrev} ${Package}\n' postfix-pcre"]
    assert second['asked_now'] == ['postfix-pcre']
    assert second['asked'] == ['libsasl2-modules', 'postfix', 'postfix-pcre']
    assert second['installed'] == ['libsasl2-modules', 'postfix']
    assert second['missing'] == ['postfix-pcre']
    assert second['paths'] == {}


def test_a_call_the_known_answer_covers_runs_nothing_on_the_host():
    known = {'asked': ['postfix', 'libsasl2-modules'], 'installed': ['postfix']}
    host = Host()
    result = answer('dpkg', ['libsasl2-modules'], [], known, host)
    assert host.commands == []
    assert result['asked_now'] == []
    assert result['missing'] == ['libsasl2-modules']


def test_a_path_is_asked_again_alone_when_the_names_are_known():
    # The directory was there at the first call, and was removed since.
    known = {'asked': ['postfix'], 'installed': ['postfix'],
             'paths': {'/srv/mail': {'uid': 0, 'gid': 0, 'mode': '0750', 'type': 'directory'}}}
    host = Host((0, '', ''))
    result = answer('dpkg', ['postfix'], ['/srv/mail'], known, host)
    # dpkg-query without a name would list every package.
    assert host.commands == ["stat -L -c 'path 0 %u %g %a %F' /srv/mail 2>/dev/null; true"]
    assert result['asked_now'] == []
    assert result['paths'] == {'/srv/mail': None}
    assert result['installed'] == ['postfix']


def test_paths_alone_are_asked_without_the_package_database():
    host = Host((0, 'path 0 0 0 755 directory\n', ''))
    result = answer('rpm', [], ['/etc/postfix'], {}, host)
    assert 'rpm' not in host.commands[0]
    assert result['paths'] == {'/etc/postfix': {'uid': 0, 'gid': 0, 'mode': '0755', 'type': 'directory'}}
    assert result['missing'] == []


def test_a_skipped_tasks_result_is_no_answer():
    host = Host((0, 'ii  postfix\n', ''))
    result = answer('dpkg', ['postfix'], [], {'skipped': True, 'changed': False}, host)
    assert len(host.commands) == 1
    assert result['installed'] == ['postfix']


@pytest.mark.parametrize('name', ['', '-a', 'post fix', ' postfix'])
def test_a_name_that_is_no_package_name_is_refused_before_anything_runs(name):
    host = Host()
    with pytest.raises(ValueError, match='is not a package name'):
        answer('dpkg', ['postfix', name], [], {}, host)
    assert host.commands == []
