# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/restrictions/checks.py: what postconf checks on a staged configuration."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import ConfigValueError
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.checks import RestrictionChecks
from ansible_collections.mailops.postfix.plugins.module_utils.tables.types import SQL_TYPES

DEFAULTS = {
    'smtpd_relay_restrictions': 'permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination',
    'smtpd_recipient_restrictions': '',
    'mynetworks': '127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128',
    'smtpd_restriction_classes': '',
    'permit_mx_backup_networks': '',
    'parent_domain_matches_subdomains': 'debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,'
                                        'qmqpd_authorized_clients,relay_domains,smtpd_access_maps',
    'mydestination': 'mx.testbed.example, localhost, testbed.example',
    'relay_domains': '',
    'virtual_alias_domains': '',
    'virtual_mailbox_domains': '',
}
MASTER = 'smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd -o smtpd_relay_restrictions=%s\n'


def staged(postfix, explicit, submission='permit_sasl_authenticated,reject', found=None):
    """The fake Postfix on a staged directory: main.cf holds ``explicit``, over the DEFAULTS; master.cf a
    submission service with ``submission`` as its relay restrictions; postmap -q answers from ``found``
    (table -> key -> value), recorded in ``queries``. The host has postfix-mysql, -pgsql and -sqlite, as the SQL test
    bed has: postconf -m lists mysql, pgsql and sqlite."""
    postfix.map_types = sorted(set(postfix.map_types) | SQL_TYPES)
    postfix.defaults.update(DEFAULTS)
    postfix.main_cf = dict(explicit)
    postfix.master_cf = MASTER % submission
    postfix.tables = found or {}
    postfix.queries = []
    return postfix


def changes(**after):
    return {name: {'before': None, 'after': value} for name, value in after.items()}


def test_a_misspelt_restriction_is_refused_with_the_nearest_name(postfix):
    explicit = {'smtpd_recipient_restrictions': 'permit_mynetworks, reject_unknown_sender, reject_unauth_destination'}
    checks = RestrictionChecks(staged(postfix, explicit), (3, 7))
    with pytest.raises(ConfigValueError, match='did you mean reject_unknown_sender_domain'):
        checks.check('/stage', changes(**explicit), {})


def test_an_unchanged_list_is_not_judged(postfix):
    # A run that changes something else leaves a hand-made list to the operator.
    explicit = {'smtpd_helo_restrictions': 'reject_bogus', 'message_size_limit': '1'}
    RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(message_size_limit='1'), {})


def test_an_open_relay_is_refused_and_named(postfix):
    explicit = {'smtpd_relay_restrictions': 'permit'}
    with pytest.raises(ConfigValueError, match=r'^main.cf makes an open relay: "permit" in smtpd_relay_restrictions'):
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})


def test_allow_open_relay_warns_instead(postfix):
    explicit = {'smtpd_relay_restrictions': 'permit'}
    checks = RestrictionChecks(staged(postfix, explicit), (3, 7), allow_open_relay=True)
    checks.check('/stage', changes(**explicit), {})
    assert any('open relay' in warning and 'allowed by allow_open_relay' in warning for warning in checks.warnings)


def test_the_forged_sender_relay_through_a_table_written_in_the_same_run(postfix):
    table = 'hash:/etc/postfix/privileged'
    explicit = {'smtpd_recipient_restrictions': 'check_sender_access %s, reject_unauth_destination' % table,
                'smtpd_relay_restrictions': ''}
    checks = RestrictionChecks(staged(postfix, explicit), (3, 7), access_tables={table: [('boss@example.com', 'OK')]})
    with pytest.raises(ConfigValueError, match='answers "OK" for boss@example.com'):
        checks.check('/stage', changes(**explicit), {})


def test_access_table_values_are_checked(postfix):
    checks = RestrictionChecks(staged(postfix, {}), (3, 7), access_tables={'hash:/x': [('a@example.com', 'REJCT spam')]})
    with pytest.raises(ConfigValueError, match=r'hash:/x, key a@example.com'):
        checks.check('/etc/postfix', {}, {})


@pytest.mark.parametrize('submission, refused', [
    ('permit_sasl_authenticated,reject', False),
    ('permit', True),
])
def test_a_service_override_is_judged_with_main_cf(submission, refused, postfix):
    checks = RestrictionChecks(staged(postfix, {}, submission), (3, 7))
    service_changes = {'submission/inet': {'before': None, 'after': 'submission inet ...'}}
    if refused:
        with pytest.raises(ConfigValueError, match='master.cf service submission/inet makes an open relay'):
            checks.check('/stage', {}, service_changes)
    else:
        checks.check('/stage', {}, service_changes)


# ---------------------------------------------------------------------------
# Tables named by what the change sets must exist

@pytest.fixture
def tables_dir(tmp_path):
    """A directory with an access table built (source and .db), one without its .db, a pcre table, and an SQL
    table's settings file."""
    (tmp_path / 'built').write_text('a@example.com REJECT\n')
    (tmp_path / 'built.db').write_text('')
    (tmp_path / 'source_only').write_text('a@example.com REJECT\n')
    (tmp_path / 'rules').write_text('/^x/ REJECT\n')
    (tmp_path / 'settings.cf').write_text('hosts = db\ndbname = mail\nquery = SELECT 1\n')
    return tmp_path


@pytest.mark.parametrize('setting, fragment', [
    ('check_sender_access hash:{dir}/missing', 'names the table hash:{dir}/missing, but its file {dir}/missing does '
     'not exist'),
    ('check_sender_access proxy:hash:{dir}/missing', 'names the table hash:{dir}/missing'),
    ('check_sender_access hash:{dir}/source_only', 'names the table hash:{dir}/source_only, but {dir}/source_only.db, '
     'which Postfix reads, does not exist'),
    ('check_client_access pcre:{dir}/missing_rules', 'its file {dir}/missing_rules does not exist'),
    ('permit_mynetworks, check_sender_access unionmap:{{hash:{dir}/built, cidr:{dir}/missing}}, '
     'reject_unauth_destination', 'cidr:{dir}/missing'),
])
def test_a_restriction_naming_a_missing_table_is_refused(tables_dir, setting, fragment, postfix):
    explicit = {'smtpd_sender_restrictions': setting.format(dir=tables_dir)}
    with pytest.raises(ConfigValueError) as refused:
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})
    message = str(refused.value)
    assert message.startswith('smtpd_sender_restrictions names the table')
    assert fragment.format(dir=tables_dir) in message
    assert 'smtpd answers "451 4.3.5 Server configuration error"' in message
    assert 'Nothing was changed' in message


def test_missing_table_message_says_how_to_create_it(tables_dir, postfix):
    explicit = {'smtpd_sender_restrictions': 'check_sender_access hash:%s/missing' % tables_dir}
    with pytest.raises(ConfigValueError, match="create the table first: in the same run with postconf's tables option, "
                       "with mailops.postfix.postfix_map, or with the base role's base_access_tables"):
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})


@pytest.mark.parametrize('setting', [
    'check_sender_access hash:{dir}/built',
    'check_client_access pcre:{dir}/rules',
    'check_sender_access mysql:{dir}/settings.cf',
    'check_sender_access inline:{{ a@example.com=REJECT }}',
    'reject_non_fqdn_sender',
])
def test_a_restriction_naming_an_existing_table_passes(tables_dir, setting, postfix):
    explicit = {'smtpd_sender_restrictions': setting.format(dir=tables_dir)}
    RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})


def test_tables_the_run_writes_count_as_existing(tables_dir, postfix):
    explicit = {'smtpd_sender_restrictions': 'check_sender_access hash:{0}/new, check_helo_access hash:{0}/new_helo'
                .format(tables_dir)}
    checks = RestrictionChecks(staged(postfix, explicit), (3, 7),
                               access_tables={'hash:%s/new' % tables_dir: [('a@example.com', 'REJECT')]},
                               written_tables={'hash:%s/new_helo' % tables_dir: [('bad.example', 'REJECT')]})
    checks.check('/stage', changes(**explicit), {})


def test_maps_settings_the_change_sets_must_name_existing_tables(tables_dir, postfix):
    explicit = {'transport_maps': 'hash:%s/missing_transport' % tables_dir,
                'virtual_alias_maps': 'hash:%s/missing_virtual' % tables_dir}
    # Unchanged settings are the operator's business.
    RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(message_size_limit='1'), {})
    with pytest.raises(ConfigValueError, match='^transport_maps names the table hash:%s/missing_transport' % tables_dir):
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(transport_maps='x'), {})


@pytest.mark.parametrize('setting', ['header_checks', 'body_checks', 'smtp_header_checks', 'milter_header_checks'])
def test_checks_settings_the_change_sets_must_name_existing_tables(tables_dir, setting, postfix):
    # cleanup (or smtp) cannot open a missing header_checks table and defers every message.
    explicit = {setting: 'regexp:%s/missing_checks' % tables_dir}
    with pytest.raises(ConfigValueError, match='^%s names the table regexp:%s/missing_checks, but its file'
                       % (setting, tables_dir)):
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})
    present = {setting: 'pcre:%s/rules' % tables_dir}
    RestrictionChecks(staged(postfix, present), (3, 7)).check('/stage', changes(**present), {})


@pytest.mark.parametrize('parameter, value', [
    ('smtpd_recipient_restrictions', 'check_recipient_access mysql:{dir}/missing.cf, reject_unauth_destination'),
    ('smtpd_recipient_restrictions', 'check_recipient_access proxy:mysql:{dir}/missing.cf, reject_unauth_destination'),
    ('virtual_alias_maps', 'hash:{dir}/built, proxy:mysql:{dir}/missing.cf'),
    ('virtual_mailbox_domains', 'proxy:mysql:{dir}/missing.cf'),
    ('relay_domains', 'example.com, mysql:{dir}/missing.cf'),
])
def test_an_sql_table_without_its_settings_file_is_refused(tables_dir, parameter, value, postfix):
    # Postfix opens the table when a daemon needs it: "open /etc/postfix/missing.cf: No such file or directory",
    # and smtpd answers 451 4.3.5 to every RCPT that reaches it (checked on Postfix 3.7).
    explicit = {parameter: value.format(dir=tables_dir)}
    with pytest.raises(ConfigValueError) as refused:
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})
    assert str(refused.value) == (
        '{parameter} names the table mysql:{dir}/missing.cf, but its settings file {dir}/missing.cf (mysql_table(5)) '
        'does not exist: Postfix cannot open it, and smtpd answers "451 4.3.5 Server configuration error" where it '
        'is needed (other daemons defer the mail). Nothing was changed. To fix, write the settings first: in the '
        "same run with postconf's tables option (type mysql), with mailops.postfix.postfix_map, or with the base "
        "role's base_virtual_sql_tables; or correct the path".format(parameter=parameter, dir=tables_dir))
    assert postfix.queries == []  # refused before the guard asks Postfix anything


@pytest.mark.parametrize('table_type', ['sqlite', 'pgsql'])
def test_every_sql_type_needs_its_settings_file(tables_dir, table_type, postfix):
    explicit = {'virtual_mailbox_maps': '%s:%s/missing.cf' % (table_type, tables_dir)}
    with pytest.raises(ConfigValueError, match=r'^virtual_mailbox_maps names the table %s:%s/missing.cf, but its '
                       r'settings file %s/missing.cf \(%s_table\(5\)\) does not exist'
                       % (table_type, tables_dir, tables_dir, table_type)):
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})


def test_an_sql_table_the_run_writes_counts_as_existing(tables_dir, postfix):
    # staged_sql names every SQL table of the run: staged, or not (a check run whose sqlite database is missing).
    table = 'sqlite:%s/new.cf' % tables_dir
    explicit = {'virtual_alias_maps': 'proxy:' + table, 'virtual_mailbox_maps': 'mysql:%s/settings.cf' % tables_dir}
    checks = RestrictionChecks(staged(postfix, explicit), (3, 7))
    checks.staged_sql = {table: table}
    checks.check('/stage', changes(**explicit), {})
    # An unchanged setting is not judged, even when its table is missing.
    explicit = {'virtual_alias_maps': 'mysql:%s/missing.cf' % tables_dir}
    RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(message_size_limit='1'), {})


def test_a_service_override_naming_a_missing_sql_table_is_refused(tables_dir, postfix):
    runner = staged(postfix, {}, 'permit_sasl_authenticated,check_recipient_access,pgsql:%s/missing.cf,reject'
                    % tables_dir)
    service_changes = {'submission/inet': {'before': None, 'after': 'submission inet ...'}}
    with pytest.raises(ConfigValueError, match='^submission/inet -o smtpd_relay_restrictions names the table '
                       'pgsql:%s/missing.cf, but its settings file' % tables_dir):
        RestrictionChecks(runner, (3, 7)).check('/stage', {}, service_changes)


@pytest.mark.parametrize('parameter, value, table, table_type', [
    ('virtual_alias_maps', 'hash:{dir}/built, proxy:mysql:{dir}/missing.cf', 'proxy:mysql:{dir}/missing.cf', 'mysql'),
    ('virtual_mailbox_maps', 'pgsql:{dir}/settings.cf', 'pgsql:{dir}/settings.cf', 'pgsql'),
    ('virtual_mailbox_domains', 'proxy:sqlite:{dir}/missing.cf', 'proxy:sqlite:{dir}/missing.cf', 'sqlite'),
    ('relay_domains', 'example.com, mysql:{dir}/missing.cf', 'mysql:{dir}/missing.cf', 'mysql'),
    ('mynetworks', '127.0.0.0/8 [::1]/128 !pgsql:{dir}/missing.cf', '!pgsql:{dir}/missing.cf', 'pgsql'),
    ('transport_maps', 'unionmap:{{hash:{dir}/built, proxy:sqlite:{dir}/missing.cf}}',
     'unionmap:{{hash:{dir}/built, proxy:sqlite:{dir}/missing.cf}}', 'sqlite'),
    ('smtpd_recipient_restrictions', 'check_recipient_access proxy:mysql:{dir}/missing.cf, reject_unauth_destination',
     'check_recipient_access proxy:mysql:{dir}/missing.cf', 'mysql'),
])
def test_a_table_of_a_type_the_host_lacks_is_refused_for_its_type(tables_dir, parameter, value, table, table_type,
                                                                  postfix):
    # On a host without postfix-mysql, a daemon that opens mysql:... fails whether the settings file exists or not:
    # the message names the setting, the table, the type and the Debian package, not the (also missing) file.
    explicit = {parameter: value.format(dir=tables_dir)}
    runner = staged(postfix, explicit)
    runner.map_types = [name for name in runner.map_types if name != table_type]
    with pytest.raises(ConfigValueError) as refused:
        RestrictionChecks(runner, (3, 7)).check('/stage', changes(**explicit), {})
    assert str(refused.value) == (
        '%s: %s: lookup table type "%s" is not supported by this Postfix (postconf -m does not list it): install the '
        'postfix-%s package' % (parameter, table.format(dir=tables_dir), table_type, table_type))
    assert postfix.queries == []


def test_a_service_override_naming_a_table_of_a_type_the_host_lacks_is_refused(tables_dir, postfix):
    runner = staged(postfix, {})
    runner.master_cf = ('smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd -o smtpd_sender_login_maps='
                        'proxy:pgsql:%s/logins.cf\n' % tables_dir)
    runner.map_types.remove('pgsql')
    service_changes = {'submission/inet': {'before': None, 'after': 'submission inet ...'}}
    with pytest.raises(ConfigValueError, match=r'^submission/inet -o smtpd_sender_login_maps: proxy:pgsql:%s/logins.cf: '
                       r'lookup table type "pgsql" is not supported by this Postfix \(postconf -m does not list it\): '
                       r'install the postfix-pgsql package$' % tables_dir):
        RestrictionChecks(runner, (3, 7)).check('/stage', {}, service_changes)


def map_type_reads(postfix):
    return postfix.calls.count(('postconf', ['map_types'], []))


def test_postconf_m_is_read_only_for_a_change_that_names_a_table(tables_dir, postfix):
    explicit = {'virtual_alias_maps': 'mysql:%s/settings.cf' % tables_dir, 'message_size_limit': '1'}
    RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(message_size_limit='1'), {})
    assert map_type_reads(postfix) == 0


def test_postconf_m_is_read_once_per_run_for_every_table_named(tables_dir, postfix):
    # Restriction lists, *_maps, domain lists and -o overrides name tables; the table jobs of the same run (plan_jobs)
    # read postconf -m first: the checks use that read.
    explicit = {'virtual_alias_maps': 'proxy:mysql:%s/settings.cf' % tables_dir,
                'relay_domains': 'pgsql:%s/settings.cf' % tables_dir,
                'smtpd_recipient_restrictions': 'check_recipient_access hash:%s/built, reject_unauth_destination'
                                                % tables_dir}
    runner = staged(postfix, explicit, 'permit_sasl_authenticated,check_recipient_access,hash:%s/built,reject'
                    % tables_dir)
    assert 'mysql' in runner.table_types()
    checks = RestrictionChecks(runner, (3, 7), allow_open_relay=True)  # the guard cannot see into pgsql: here
    checks.check('/stage', changes(**explicit), {'submission/inet': {'before': None, 'after': 'submission ...'}})
    checks.check(runner.config_dir, changes(**explicit), {})
    assert map_type_reads(postfix) == 1


def test_a_restriction_class_naming_a_missing_table_is_refused(tables_dir, postfix):
    # The restriction class example of postconf's documentation, before it created its table.
    explicit = {'smtpd_restriction_classes': 'restricted_recipient',
                'restricted_recipient': 'check_sender_access hash:%s/privileged_sender' % tables_dir}
    with pytest.raises(ConfigValueError, match='^restricted_recipient names the table hash:%s/privileged_sender'
                       % tables_dir):
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})


def test_a_service_override_naming_a_missing_table_is_refused(tables_dir, postfix):
    runner = staged(postfix, {}, 'check_client_access,cidr:%s/missing,reject' % tables_dir)
    service_changes = {'submission/inet': {'before': None, 'after': 'submission inet ...'}}
    with pytest.raises(ConfigValueError, match='^submission/inet -o smtpd_relay_restrictions names the table '
                       'cidr:%s/missing' % tables_dir):
        RestrictionChecks(runner, (3, 7)).check('/stage', {}, service_changes)


# ---------------------------------------------------------------------------
# The relay guard: what it cannot decide is refused; what it cannot read, Postfix answers

def test_an_undecided_relay_is_refused(tables_dir, postfix):
    # Postfix cannot look the table up (the fake has no database behind it).
    table = 'mysql:%s/settings.cf' % tables_dir
    explicit = {'relay_domains': table}
    with pytest.raises(ConfigValueError) as refused:
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})
    assert str(refused.value).startswith(
        'main.cf may make an open relay, and the open-relay guard cannot decide, so it refuses: at '
        '"{0}" in relay_domains, the open-relay guard cannot tell whether an outside client can relay: relay_domains '
        '= {0}: cannot see inside {0} (Postfix could not look it up (postmap -q - {0} failed: postmap: fatal: open '
        'database'.format(table))
    assert str(refused.value).endswith('Nothing was changed. Set allow_open_relay: true only if this host must relay '
                                       'for everyone')


def test_an_undecided_relay_allowed_on_purpose_warns(tables_dir, postfix):
    explicit = {'relay_domains': 'mysql:%s/settings.cf' % tables_dir}
    checks = RestrictionChecks(staged(postfix, explicit), (3, 7), allow_open_relay=True)
    checks.check('/stage', changes(**explicit), {})
    assert [warning for warning in checks.warnings if 'cannot decide' in warning and 'allowed by allow_open_relay'
            in warning]


def test_postfix_answers_for_a_pattern_the_guard_cannot_read(tmp_path, postfix):
    table = tmp_path / 'relay_domains'
    table.write_text('/^[a-z]+\\.example$/ relay\n')
    name = 'pcre:%s' % table
    explicit = {'relay_domains': name}
    runner = staged(postfix, explicit, found={name: {'foreign.example': 'relay'}})
    with pytest.raises(ConfigValueError, match='main.cf makes an open relay: "%s" in relay_domains lets an outside '
                       'client relay mail to other domains .relay_domains = %s: %s matches the foreign domain '
                       'foreign.example .Postfix finds foreign.example in it.' % (name, name, name)):
        RestrictionChecks(runner, (3, 7)).check('/stage', changes(**explicit), {})
    # One postmap -q for the table, with every probe in it (a pattern table: whole domains only).
    assert runner.queries == [(name, ['foreign.example', 'mailops-probe.com', 'mailops-probe.org',
                                      'mx.mailops-probe.net'])]


def test_a_pattern_table_the_run_writes_is_not_looked_up(postfix):
    name = 'pcre:/etc/postfix/relay_domains'
    explicit = {'relay_domains': name}
    runner = staged(postfix, explicit)
    checks = RestrictionChecks(runner, (3, 7), written_tables={name: [('/^[a-z]+\\.example$/', 'relay')]})
    with pytest.raises(ConfigValueError, match='cannot decide.*cannot tell which domains the pattern '
                       '/\\^\\[a-z\\]\\+\\\\.example\\$/ in %s matches' % name):
        checks.check('/stage', changes(**explicit), {})
    assert runner.queries == []


def test_lists_read_from_files(tmp_path, postfix):
    networks = tmp_path / 'networks'
    networks.write_text('# every public /8\n' + '\n'.join('%d.0.0.0/8' % first for first in range(1, 224)) + '\n')
    explicit = {'mynetworks': '127.0.0.0/8 %s' % networks}
    with pytest.raises(ConfigValueError, match='mynetworks lists 223 networks'):
        RestrictionChecks(staged(postfix, explicit), (3, 7)).check('/stage', changes(**explicit), {})


@pytest.mark.parametrize('explicit, fragment', [
    ({'relay_domains': 'static:yes'}, '"static:yes" in relay_domains'),
    ({'smtpd_relay_restrictions': 'check_client_access inline:{ 192.0.2.1=OK }, check_client_access '
                                  'static:{DUNNO}, permit_mynetworks, reject_unauth_destination',
      'mynetworks': ' '.join('%d.0.0.0/8' % first for first in range(1, 224))}, 'mynetworks lists 223 networks'),
    ({'smtpd_relay_restrictions': 'check_recipient_access inline:{ foreign.example=OK }, reject_unauth_destination'},
     "foreign.example is not one of this host's own domains"),
    ({'smtpd_relay_restrictions': 'check_policy_service inet:127.0.0.1:10023, reject_unauth_destination'},
     'cannot tell what the policy service'),
])
def test_postfix_info_and_postconf_give_one_verdict(explicit, fragment, postfix):
    """relay_verdicts() (postfix_info) and check() (postconf) are the same judgment."""
    verdicts = RestrictionChecks(staged(postfix, explicit), (3, 10)).relay_verdicts('/etc/postfix')
    where, verdict = verdicts[0]
    assert where == 'main.cf' and verdict.open
    assert fragment in '"%s" in %s: %s' % (verdict.element, verdict.parameter, verdict.reason)
    with pytest.raises(ConfigValueError) as refused:
        RestrictionChecks(staged(postfix, explicit), (3, 10)).check('/stage', changes(**explicit), {})
    assert fragment in str(refused.value)
    assert verdict.reason in str(refused.value)


def test_postfix_info_closed_verdict_for_the_defaults(postfix):
    verdicts = RestrictionChecks(staged(postfix, {}), (3, 10)).relay_verdicts('/etc/postfix')
    assert [(where, verdict.open, verdict.decided) for where, verdict in verdicts] == [
        ('main.cf', False, True), ('master.cf service submission/inet', False, True)]


def test_own_domain_tables_are_asked_of_postfix_not_read(tmp_path, postfix):
    domains = tmp_path / 'vdomains'
    domains.write_text('# not read: Postfix answers\n')
    (tmp_path / 'vdomains.db').write_bytes(b'')
    name = 'hash:%s' % domains
    explicit = {'virtual_mailbox_domains': name,
                'smtpd_relay_restrictions': 'check_recipient_access inline:{ x.example=OK }, reject_unauth_destination'}
    runner = staged(postfix, explicit, found={name: {'x.example': 'OK'}})
    RestrictionChecks(runner, (3, 10)).check('/stage', changes(**explicit), {})
    assert runner.queries == [(name, ['.example', '.x.example', 'example', 'x.example'])]
    # Not one of ours: refused, after the same one lookup.
    runner = staged(postfix, explicit, found={name: {}})
    with pytest.raises(ConfigValueError, match="x.example is not one of this host's own domains"):
        RestrictionChecks(runner, (3, 10)).check('/stage', changes(**explicit), {})
    assert len(runner.queries) == 1


def test_a_domain_in_the_last_of_many_domain_tables_is_decided(tmp_path, postfix):
    """However many domain tables come before the one that finds a domain, the guard decides: each round asks the
    next table, with one postmap -q per table, for the keys still unanswered."""
    names = []
    for number in range(1, 7):
        (tmp_path / ('domains%d' % number)).write_text('# not read: Postfix answers\n')
        (tmp_path / ('domains%d.db' % number)).write_bytes(b'')
        names.append('hash:%s/domains%d' % (tmp_path, number))
    explicit = {'mydestination': 'localhost, ' + ', '.join(names[:4]),
                'virtual_mailbox_domains': ', '.join(names[4:]),
                'smtpd_relay_restrictions': 'check_recipient_access inline:{ x.example=OK, y.example=OK }, '
                                            'reject_unauth_destination'}
    # x.example is in the fourth table of mydestination, y.example in the second of virtual_mailbox_domains.
    found = {name: {} for name in names}
    found[names[3]] = {'x.example': 'OK'}
    found[names[5]] = {'y.example': 'OK'}
    runner = staged(postfix, explicit, found=found)
    RestrictionChecks(runner, (3, 10)).check('/stage', changes(**explicit), {})
    x_keys = ['.example', '.x.example', 'example', 'x.example']
    both = sorted(x_keys + ['.y.example', 'y.example'])
    # Round 1: the first table of each list, for both domains; then the next ones, for what is still unanswered
    # (the parent "example" of both only once per table).
    assert sorted(runner.queries) == sorted([(names[0], both), (names[1], both), (names[2], both), (names[3], both),
                                             (names[4], both), (names[5], both)])
    assert len(runner.queries) == len(names)
    # Found in none of them: decided, not one of ours, after the same six lookups.
    runner = staged(postfix, explicit, found={name: {} for name in names})
    with pytest.raises(ConfigValueError, match="^main.cf makes an open relay: .*x.example is not one of this host's "
                       "own domains"):
        RestrictionChecks(runner, (3, 10)).check('/stage', changes(**explicit), {})
    assert len(runner.queries) == len(names)


def test_a_lookup_that_fails_leaves_the_guard_undecided_and_it_refuses(tmp_path, postfix):
    # The third of four domain tables cannot be opened: Postfix cannot say whether x.example is one of ours.
    names = []
    for number in range(1, 5):
        (tmp_path / ('domains%d' % number)).write_text('')
        (tmp_path / ('domains%d.db' % number)).write_bytes(b'')
        names.append('hash:%s/domains%d' % (tmp_path, number))
    explicit = {'mydestination': ', '.join(names),
                'smtpd_relay_restrictions': 'check_recipient_access inline:{ x.example=OK }, reject_unauth_destination'}
    runner = staged(postfix, explicit, found={names[0]: {}, names[1]: {}, names[3]: {'x.example': 'OK'}})
    with pytest.raises(ConfigValueError, match='cannot decide, so it refuses: .*cannot tell whether %s .in '
                       'mydestination. names x.example: Postfix could not look it up' % names[2]):
        RestrictionChecks(runner, (3, 10)).check('/stage', changes(**explicit), {})
    assert [table for table, dummy in runner.queries] == names[:3]


def test_an_sql_table_the_run_writes_is_asked_through_its_staged_settings(tmp_path, postfix):
    table, staged_table = 'mysql:%s/domains.cf' % tmp_path, 'mysql:%s/.domains.cf.x.tmp' % tmp_path
    explicit = {'virtual_mailbox_domains': 'proxy:' + table,
                'smtpd_relay_restrictions': 'check_recipient_access inline:{ x.example=OK }, reject_unauth_destination'}
    runner = staged(postfix, explicit, found={staged_table: {'x.example': 'x.example'}})
    checks = RestrictionChecks(runner, (3, 10))
    checks.staged_sql = {table: staged_table}
    checks.check('/stage', changes(**explicit), {})
    assert [name for name, dummy in runner.queries] == [staged_table]


def test_an_sqlite_table_without_its_database_is_not_looked_up(tmp_path, postfix):
    # A lookup would create the database, empty: the guard takes what it needed from the table as undecided.
    settings = tmp_path / 'domains.cf'
    settings.write_text('dbpath = %s/mail.sqlite\nquery = SELECT domain FROM domains WHERE domain = \'%%s\'\n'
                        % tmp_path)
    table = 'sqlite:%s' % settings
    explicit = {'virtual_mailbox_domains': 'proxy:' + table,
                'smtpd_relay_restrictions': 'check_recipient_access inline:{ x.example=OK }, reject_unauth_destination'}
    runner = staged(postfix, explicit, found={table: {'x.example': 'x.example'}})
    with pytest.raises(ConfigValueError, match=r'cannot decide, so it refuses: .*Postfix could not look it up \(the '
                       r'database %s/mail.sqlite \(dbpath\) does not exist; Postfix would create it empty' % tmp_path):
        RestrictionChecks(runner, (3, 10)).check('/stage', changes(**explicit), {})
    assert runner.queries == []
    assert not (tmp_path / 'mail.sqlite').exists()
