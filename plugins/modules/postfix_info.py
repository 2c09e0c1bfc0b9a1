#!/usr/bin/python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: postfix_info
short_description: What an operator asks of a Postfix host first, in one cheap read-only call
version_added: 0.1.0
description:
  - The version and whether Postfix runs; the instances on the host (C(postmulti -l)); C(default_database_type) and
    the table types it supports (C(postconf -m)); the explicit main.cf settings (C(postconf -n)) and the master.cf
    services; whether delivery is frozen and since when, and the suspended domains
    (M(mailops.postfix.postfix_freeze)); a queue summary with the time until the first message would bounce; the
    verdict of the open-relay check on the live configuration, with the element that decides it; and the days until
    the smtpd TLS certificate expires.
  - The wiki's C(postconf -d | grep mail_version), C(postqueue -p) and friends, for a whole fleet in one ad-hoc command.
  - Read-only. It is cheap enough to run in every play (a handful of Postfix commands, no daemon contacted).
author:
  - mailops.postfix maintainers (@mailops)
extends_documentation_fragment:
  - mailops.postfix.common
  - mailops.postfix.common.read_only_attributes
options:
  as_facts:
    description:
      - Also return everything as the fact C(postfix) (C(ansible_facts.postfix)), for later plays and templates.
    type: bool
    default: false
  queue_domains:
    description:
      - Recipient domains whose queued mail is reported one by one in the C(domains) of RV(queue), as
        C(postqueue -s) names a site (V(example.com); V(.example.com) for its subdomains), for example the
        domains a relay role suspends.
      - The domains suspended with M(mailops.postfix.postfix_freeze) are always reported.
    type: list
    elements: str
    default: []
  gather:
    description:
      - What to find out; V(all), or some of V(status) (RV(running), RV(instances)), V(settings) (RV(settings),
        RV(services)), V(table_types) (RV(default_database_type), RV(table_types)), V(freeze) (RV(frozen),
        RV(frozen_since), RV(suspended_domains)), V(queue), V(relay), V(tls_certificate). RV(version) and
        RV(expanded) always come back. Fewer parts cost fewer Postfix commands, for a role that needs one answer.
    type: list
    elements: str
    choices: [all, status, settings, table_types, freeze, queue, relay, tls_certificate]
    default: [all]
  expand:
    description:
      - main.cf parameters to return in RV(expanded) as Postfix reads them, with C($name) expanded (C(postconf -xh)),
        such as the domains the host considers its own.
    type: list
    elements: str
    default: []
  assume:
    description:
      - main.cf settings to assume in place of the live ones for O(expand) (C(postconf -o name=value)), so that a value
        derived from the host's settings is derived from what a pending change will leave, not from the live file.
        The roles of this collection give the settings their play leaves pending for one transaction.
      - Values as M(mailops.postfix.postconf) takes them (lists joined with V(, ), booleans as V(yes)/V(no)); V(null)
        assumes the parameter's default, as for a parameter the change removes.
    type: dict
    default: {}
seealso:
  - module: mailops.postfix.postfix_freeze
  - module: mailops.postfix.postfix_queue
'''

EXAMPLES = r'''
# ansible mx -m mailops.postfix.postfix_info       (versions, frozen hosts, queues and relay verdicts of a fleet)
- name: What is this host?
  mailops.postfix.postfix_info:
  register: postfix

- name: Fail where the configuration is an open relay, or may be (relay.decided false)
  ansible.builtin.assert:
    that: not postfix.relay.open
    fail_msg: "{{ postfix.relay.element }}: {{ postfix.relay.reason }}"

- name: As facts, for the rest of the play
  mailops.postfix.postfix_info:
    as_facts: true

- name: The local domains as they will be once the new myhostname is set, and the table types
  mailops.postfix.postfix_info:
    gather: [table_types]
    expand: [mydestination]
    assume:
      myhostname: mx2.example.com
  register: postfix_after_change
'''

RETURN = r'''
version:
  description: C(mail_version).
  returned: always
  type: str
  sample: 3.7.11
running:
  description: Whether the instance's master runs (C(postfix status)).
  returned: when gathered (O(gather) V(all) or V(status))
  type: bool
config_dir:
  description: The instance's configuration directory.
  returned: always
  type: str
instances:
  description: Every instance on the host, from C(postmulti -l); the default instance is named V(-).
  returned: when gathered (O(gather) V(all) or V(status))
  type: list
  elements: dict
  sample: [{name: "-", group: null, enabled: true, config_dir: /etc/postfix}]
default_database_type:
  description: The table type Postfix uses when main.cf names none.
  returned: when gathered (O(gather) V(all) or V(table_types))
  type: str
table_types:
  description: The lookup table types this Postfix supports (C(postconf -m)).
  returned: when gathered (O(gather) V(all) or V(table_types))
  type: list
  elements: str
settings:
  description: The explicit main.cf settings (C(postconf -n)), name to value.
  returned: when gathered (O(gather) V(all) or V(settings))
  type: dict
services:
  description: The master.cf services, C(service/type) to the entry as C(postconf -M) prints it.
  returned: when gathered (O(gather) V(all) or V(settings))
  type: dict
frozen:
  description: Whether delivery is frozen (C(master_service_disable) names the queue manager).
  returned: when gathered (O(gather) V(all) or V(freeze))
  type: bool
frozen_since:
  description: When M(mailops.postfix.postfix_freeze) froze it (UTC); null when frozen by hand or not frozen.
  returned: when gathered (O(gather) V(all) or V(freeze))
  type: str
suspended_domains:
  description: Domains whose mail postfix_freeze holds back.
  returned: when gathered (O(gather) V(all) or V(freeze))
  type: list
  elements: str
queue:
  description:
    - Messages per queue, the oldest, the queue lifetimes and the seconds until the first message would bounce, as
      M(mailops.postfix.postfix_freeze) reports them.
    - C(domains) has, for each of O(queue_domains) and each suspended domain, the messages still queued for it,
      the age and ID of the oldest, and the seconds until the first of them would bounce (C(bounce_in)) - how long
      a suspended domain can wait.
  returned: when gathered (O(gather) V(all) or V(queue))
  type: dict
  sample: {counts: {maildrop: 0, incoming: 0, active: 0, deferred: 2, hold: 0}, total: 2, oldest_age: 7200,
           oldest_queue_id: 4F2B81C3A2, maximal_queue_lifetime: 432000, bounce_queue_lifetime: 86400,
           bounce_in: 424800, bounce_next_queue_id: 4F2B81C3A2,
           domains: {example.org: {messages: 2, oldest_age: 7200, oldest_queue_id: 4F2B81C3A2, bounce_in: 424800,
                                   bounce_next_queue_id: 4F2B81C3A2}}}
relay:
  description:
    - The open-relay check on the live configuration, for an outside client sending to a foreign domain. It is the same
      code, and gives the same verdict, as the guard of M(mailops.postfix.postconf), which refuses a change whose
      verdict is open.
    - C(open) is true when such a client can relay, and also when the check cannot tell (C(decided) false, for
      example a pattern it cannot read or a table it cannot see into, which postconf refuses as well); C(reason) then
      says what it cannot tell and how to make it decidable.
    - C(where) (main.cf or a master.cf service), C(parameter), C(element) (what lets it relay, null when both lists
      run out), C(reason), C(warnings) (other risks).
  returned: when gathered (O(gather) V(all) or V(relay))
  type: dict
  sample: {open: false, decided: true, where: null, parameter: null, element: null, reason: "...", warnings: []}
tls_certificate:
  description: The smtpd certificate (C(smtpd_tls_chain_files) or C(smtpd_tls_cert_file)) - file, subject, issuer,
    not_after and days_left; null when smtpd has none.
  returned: when gathered (O(gather) V(all) or V(tls_certificate))
  type: dict
  sample: {file: /etc/ssl/certs/mx.pem, subject: CN=mx.example.com, not_after: "2027-03-01T12:00:00Z", days_left: 89}
expanded:
  description: The parameters of O(expand), name to value, with C($name) expanded and O(assume) in place.
  returned: always
  type: dict
  sample: {mydestination: "mx2.example.com, localhost.example.com, localhost"}
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control
from ansible_collections.mailops.postfix.plugins.module_utils.smtp.certificates import certificate_details, pem_certificates
from ansible_collections.mailops.postfix.plugins.module_utils.core.arguments import common_argument_spec
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.plan import is_frozen
from ansible_collections.mailops.postfix.plugins.module_utils.freeze.state import FreezeState
from ansible_collections.mailops.postfix.plugins.module_utils.config.main_cf import (
    check_name,
    parse_parameters,
    render_value,
    split_list,
)
from ansible_collections.mailops.postfix.plugins.module_utils.config.master_cf import entry_key, parse_entries, render_entry
from ansible_collections.mailops.postfix.plugins.module_utils.core.errors import reported_failures
from ansible_collections.mailops.postfix.plugins.module_utils.core.runner import PostfixRunner, version_tuple
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import check_site
from ansible_collections.mailops.postfix.plugins.module_utils.queue.status import queue_status
from ansible_collections.mailops.postfix.plugins.module_utils.restrictions.checks import RestrictionChecks


# What gather can ask for; 'all' first.
GATHER = ['all', 'status', 'settings', 'table_types', 'freeze', 'queue', 'relay', 'tls_certificate']


def relay_report(runner, version):
    """postconf's open-relay verdict on the live configuration: the first open one (main.cf, then each smtpd
    service's overrides; one the guard decided before one it cannot tell about), or main.cf's closed one."""
    verdicts = RestrictionChecks(runner, version_tuple(version)).relay_verdicts(runner.config_dir)
    where, verdict = min(verdicts, key=lambda judged: (not judged[1].open, not judged[1].decided))
    return {'open': verdict.open, 'decided': verdict.decided, 'where': where if verdict.open else None,
            'parameter': verdict.parameter, 'element': verdict.element, 'reason': verdict.reason,
            'warnings': ['%s: %s' % (place, warning) for place, judged in verdicts for warning in judged.warnings]}


def certificate_report(settings):
    """The smtpd certificate's subject, issuer and expiry, or None."""
    files = split_list(settings.get('smtpd_tls_chain_files', '')) or split_list(settings.get('smtpd_tls_cert_file', ''))
    for path in files:
        if not os.path.isfile(path):
            continue
        with open(path, 'rb') as handle:
            certificates = pem_certificates(handle.read().decode('ascii', 'replace'))
        if certificates:
            return dict(certificate_details(certificates[0]), file=path)
    return None


def expanded(runner, names, assume):
    """The parameters ``names`` with $name expanded, as they will be with the settings ``assume`` (None: default)."""
    if not names:
        return {}
    for name in list(names) + list(assume):
        check_name(name)
    defaults = [name for name, value in assume.items() if value is None]
    default_values = parse_parameters(runner.run('postconf', ['defaults'], defaults)[1]) if defaults else {}
    overrides = [('override', '%s=%s' % (name, default_values.get(name, '') if value is None else
                                         render_value(name, value)))
                 for name, value in sorted(assume.items())]
    return parse_parameters(runner.run('postconf', ['expand'] + overrides, list(names))[1])


def main():
    argument_spec = common_argument_spec()
    argument_spec.update(as_facts={'type': 'bool', 'default': False},
                         queue_domains={'type': 'list', 'elements': 'str', 'default': []},
                         gather={'type': 'list', 'elements': 'str', 'default': ['all'], 'choices': GATHER},
                         expand={'type': 'list', 'elements': 'str', 'default': []},
                         assume={'type': 'dict', 'default': {}})
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    runner = PostfixRunner(module, params['config_dir'])
    result = {'changed': False, 'config_dir': runner.config_dir}
    gather = set(GATHER[1:]) if 'all' in params['gather'] else set(params['gather'])
    with reported_failures(module, result):
        result['version'] = runner.version()
        result['expanded'] = expanded(runner, params['expand'], params['assume'])
        if 'status' in gather:
            result['running'] = postfix_control.is_running(runner)
            result['instances'] = postfix_control.instances(runner)
        state = None
        if gather & {'settings', 'freeze', 'queue'}:
            settings = parse_parameters(runner.run('postconf', ['non_default'])[1])
            state = FreezeState(runner, settings)
        if 'settings' in gather:
            result['settings'] = settings
            result['services'] = {entry_key(entry): render_entry(entry) for entry in
                                  parse_entries(runner.run('postconf', ['master'])[1])[0].values()}
        if 'table_types' in gather:
            result['default_database_type'] = (state.table_type if state else runner.run(
                'postconf', ['hide_names'], ['default_database_type'])[1].strip())
            result['table_types'] = sorted(runner.run('postconf', ['map_types'])[1].split())
        if 'freeze' in gather:
            result['frozen'] = is_frozen(settings.get('master_service_disable'))
            result['frozen_since'] = state.saved.get('frozen_since') if result['frozen'] else None
            result['suspended_domains'] = state.suspended_domains()
        if 'queue' in gather:
            domains = [check_site(domain, 'queue_domains') for domain in params['queue_domains']]
            domains += [domain for domain in state.suspended_domains() if domain not in domains]
            result['queue'] = queue_status(runner, domains)
        if 'relay' in gather:
            result['relay'] = relay_report(runner, result['version'])
        if 'tls_certificate' in gather:
            # smtpd's TLS files are read with $name expanded, as smtpd reads them.
            tls = parse_parameters(runner.run('postconf', ['expand'], ['smtpd_tls_chain_files',
                                                                       'smtpd_tls_cert_file'])[1])
            result['tls_certificate'] = certificate_report(tls)
    if params['as_facts']:
        result['ansible_facts'] = {'postfix': {key: value for key, value in result.items() if key != 'changed'}}
    module.exit_json(**result)


if __name__ == '__main__':
    main()
