# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The open-relay probes of smtp_probe's EXAMPLES and docs/smtp_probe.md, run as written.

A closed Postfix refuses relaying with 554 (reject_unauth_destination) or, as
stock Debian Postfix 3.7 and 3.10 do, with 454 (defer_unauth_destination in
the default smtpd_relay_restrictions). Each probe must pass on both answers,
and fail on an open relay's 250.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.postfix.plugins.modules import smtp_probe
from ansible_collections.mailops.postfix.tests.unit.plugins.module_utils.smtp.test_smtp_session import fake_smtp_servers, verbs

DOCS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'docs', 'smtp_probe.md')


def relay_probes():
    """The module arguments of every example that sends to a stranger's domain (someone@example.org), by name."""
    with open(DOCS, encoding='utf-8') as handle:
        blocks = re.findall(r'```yaml\n(.*?)```', handle.read(), re.S)
    sources = [('EXAMPLES', smtp_probe.EXAMPLES)] + [('docs/smtp_probe.md', block) for block in blocks]
    found = []
    for where, text in sources:
        tasks = yaml.safe_load(text)
        for task in tasks if isinstance(tasks, list) else []:  # the docs also show a result
            if 'someone@example.org' in task.get('mailops.postfix.smtp_probe', {}).get('rcpt_to', []):
                found.append(pytest.param(task['mailops.postfix.smtp_probe'], id='%s: %s' % (where, task['name'])))
    return found


PROBES = relay_probes()


def test_every_relay_probe_example_is_found():
    assert len(PROBES) == 4


def run_example(capsys, args, server):
    """The example's arguments, pointed at ``server`` (inventory_hostname and delegate_to are the playbook's)."""
    args = dict(args, server='127.0.0.1', port=server.port, helo='probe.example.test', timeout=5,
                rcpt_to=[address.replace('@example.com', '@example.test') for address in args['rcpt_to']])
    if 'rcpt_expect' in args:
        args['rcpt_expect'] = {key.replace('@example.com', '@example.test'): value
                               for key, value in args['rcpt_expect'].items()}
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            smtp_probe.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('relay_code', [554, 454])
@pytest.mark.parametrize('args', PROBES)
def test_a_relay_probe_example_passes_on_a_closed_server(capsys, args, relay_code):
    with fake_smtp_servers() as start:
        result = run_example(capsys, args, start(relay_code=relay_code))
    assert 'failed' not in result, result.get('msg')
    assert result['rcpt']['someone@example.org']['code'] == relay_code


@pytest.mark.parametrize('args', PROBES)
def test_a_relay_probe_example_fails_on_an_open_relay(capsys, args):
    with fake_smtp_servers() as start:
        server = start(open_relay=True)
        result = run_example(capsys, args, server)
        assert 'DATA' not in verbs(server)
    assert result['failed'] is True
    assert result['failed_step']['step'] == 'rcpt'
    assert result['failed_step']['message'].startswith('someone@example.org: expected 4xx or 5xx, got 250')
