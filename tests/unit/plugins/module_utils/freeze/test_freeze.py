# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.freeze.plan import (
    FreezeError,
    is_frozen,
    plan_freeze,
    plan_suspension_first,
    plan_thaw,
    plan_transport_maps,
    plan_while_frozen,
    qmgr_entry,
    saved_state,
    suspension_value,
)

TABLE = 'hash:/etc/postfix/mailops_suspended_domains'


@pytest.mark.parametrize('services, expected', [
    ({'smtp/inet': {}, 'qmgr/unix': {}}, 'qmgr/unix'),
    ({'qmgr/fifo': {}}, 'qmgr.fifo'),
])
def test_qmgr_entry_follows_master_cf(services, expected):
    assert qmgr_entry(services) == expected


def test_qmgr_entry_without_qmgr_is_an_error():
    with pytest.raises(FreezeError, match='master.cf has no qmgr service'):
        qmgr_entry({'smtp/inet': {}})


@pytest.mark.parametrize('value, frozen', [
    (None, False), ('', False), ('inet', False), ('qmgr/unix', True), ('qmgr.fifo', True),
    ('smtp/inet, qmgr/unix', True), ('qmgr.unix,smtp.inet', True), ('qmgrx/unix', False), ('myqmgr/unix', False),
])
def test_is_frozen(value, frozen):
    assert is_frozen(value) is frozen


def test_freeze_keeps_the_operators_entries_and_sets_in_flow_delay():
    changes = plan_freeze({'master_service_disable': 'smtp/inet', 'in_flow_delay': '2s'}, 'qmgr/unix')
    assert changes == {
        'master_service_disable': {'before': 'smtp/inet', 'after': 'smtp/inet, qmgr/unix'},
        'in_flow_delay': {'before': '2s', 'after': '0'},
    }


def test_freeze_on_default_settings():
    assert plan_freeze({}, 'qmgr.fifo') == {
        'master_service_disable': {'before': None, 'after': 'qmgr.fifo'},
        'in_flow_delay': {'before': None, 'after': '0'},
    }


def test_freezing_a_frozen_host_changes_nothing():
    assert plan_freeze({'master_service_disable': 'qmgr.fifo', 'in_flow_delay': '1s'}, 'qmgr/unix') == {}


def test_thaw_restores_exactly_what_was_there():
    explicit = {'master_service_disable': 'smtp/inet, pickup/fifo, qmgr/unix', 'in_flow_delay': '0'}
    saved = {'master_service_disable': 'smtp/inet,pickup/fifo', 'in_flow_delay': '2s'}
    assert plan_thaw(explicit, saved) == {
        'master_service_disable': {'before': 'smtp/inet, pickup/fifo, qmgr/unix', 'after': 'smtp/inet,pickup/fifo'},
        'in_flow_delay': {'before': '0', 'after': '2s'},
    }


def test_thaw_keeps_entries_added_while_frozen():
    explicit = {'master_service_disable': 'smtp/inet, qmgr/unix, submission/inet', 'in_flow_delay': '0'}
    changes = plan_thaw(explicit, {'master_service_disable': 'smtp/inet', 'in_flow_delay': None})
    assert changes['master_service_disable']['after'] == 'smtp/inet, submission/inet'


def test_thaw_removes_settings_that_were_not_there():
    assert plan_thaw({'master_service_disable': 'qmgr/unix', 'in_flow_delay': '0'}, {}) == {
        'master_service_disable': {'before': 'qmgr/unix', 'after': None},
        'in_flow_delay': {'before': '0', 'after': None},
    }


def test_thawing_a_host_that_is_not_frozen_changes_nothing():
    assert plan_thaw({'master_service_disable': 'smtp/inet', 'in_flow_delay': '0'}, {'in_flow_delay': '5s'}) == {}


def test_freeze_then_thaw_round_trip():
    before = {'master_service_disable': 'pickup/fifo', 'in_flow_delay': '3s', 'myhostname': 'mx'}
    after_freeze = dict(before, **{name: change['after'] for name, change in plan_freeze(before, 'qmgr/unix').items()})
    thaw = plan_thaw(after_freeze, before)
    after_thaw = dict(after_freeze, **{name: change['after'] for name, change in thaw.items()})
    assert after_thaw == before


def test_suspension_value():
    assert suspension_value('Service unavailable') == 'retry:4.4.1 Service unavailable'


@pytest.mark.parametrize('current, suspended, expected', [
    (None, True, {'before': None, 'after': TABLE}),
    ('hash:/etc/postfix/transport', True,
     {'before': 'hash:/etc/postfix/transport', 'after': TABLE + ', hash:/etc/postfix/transport'}),
    ('hash:/etc/postfix/transport, ' + TABLE, True,
     {'before': 'hash:/etc/postfix/transport, ' + TABLE, 'after': TABLE + ', hash:/etc/postfix/transport'}),
    (TABLE + ', hash:/etc/postfix/transport', False,
     {'before': TABLE + ', hash:/etc/postfix/transport', 'after': 'hash:/etc/postfix/transport'}),
    (TABLE, False, {'before': TABLE, 'after': None}),
])
def test_transport_maps_put_the_table_first_and_take_it_away(current, suspended, expected):
    explicit = {} if current is None else {'transport_maps': current}
    assert plan_transport_maps(explicit, TABLE, suspended) == {'transport_maps': expected}


@pytest.mark.parametrize('current, suspended', [
    (TABLE + ', inline:{ a.example=smtp:[b] }', True),
    ('hash:/etc/postfix/transport', False),
    (None, False),
])
def test_transport_maps_unchanged(current, suspended):
    explicit = {} if current is None else {'transport_maps': current}
    assert plan_transport_maps(explicit, TABLE, suspended) == {}


SAVED = '{"frozen_since": "2026-11-24T21:00:00Z", "in_flow_delay": "2s", "master_service_disable": "smtp/inet", ' \
        '"frozen_with": "smtp/inet, qmgr/unix"}'


def test_saved_state_of_the_current_freeze():
    saved, problem = saved_state(SAVED, {'master_service_disable': 'smtp/inet,qmgr/unix'})
    assert problem is None
    assert saved['in_flow_delay'] == '2s'
    assert saved['master_service_disable'] == 'smtp/inet'


def test_no_state_file():
    assert saved_state(None, {'master_service_disable': 'qmgr/unix'}) == ({}, None)


@pytest.mark.parametrize('text, explicit, problem', [
    (SAVED, {}, 'is from an earlier freeze .master_service_disable = smtp/inet, qmgr/unix then, unset now.'),
    (SAVED, {'master_service_disable': 'smtp/inet'}, 'is from an earlier freeze'),
    (SAVED, {'master_service_disable': 'qmgr/unix'}, 'is from an earlier freeze'),
    ('{not json', {'master_service_disable': 'qmgr/unix'}, 'is not what this module writes'),
    ('["a list"]', {'master_service_disable': 'qmgr/unix'}, 'is not what this module writes'),
    ('{"in_flow_delay": "1s"}', {'master_service_disable': 'qmgr/unix'}, 'is not what this module writes'),
])
def test_saved_state_not_trusted(text, explicit, problem):
    saved, message = saved_state(text, explicit)
    assert saved == {}
    assert re.search(problem, message)


# ---------------------------------------------------------------------------
# plan_while_frozen: a configuration run does not thaw a frozen host

FROZEN = {'master_service_disable': 'proxywrite/unix, qmgr/unix', 'in_flow_delay': '0'}
FROZEN_SAVED = {'frozen_since': '2026-12-01T10:00:00Z', 'master_service_disable': 'proxywrite/unix',
                'in_flow_delay': '2s', 'frozen_with': 'proxywrite/unix, qmgr/unix'}


def test_in_flow_delay_waits_for_the_thaw():
    changes, saved, held = plan_while_frozen({'in_flow_delay': {'before': '0', 'after': '1s'}}, FROZEN, FROZEN_SAVED)
    assert changes == {}
    assert held == ['in_flow_delay']
    assert saved == dict(FROZEN_SAVED, in_flow_delay='1s')
    # And the thaw then restores it.
    assert plan_thaw(FROZEN, saved)['in_flow_delay'] == {'before': '0', 'after': '1s'}


def test_master_service_disable_keeps_the_queue_manager_disabled():
    changes, saved, held = plan_while_frozen(
        {'master_service_disable': {'before': 'proxywrite/unix, qmgr/unix', 'after': 'smtp/inet'}}, FROZEN, FROZEN_SAVED)
    assert changes == {'master_service_disable': {'before': 'proxywrite/unix, qmgr/unix', 'after': 'smtp/inet, qmgr/unix'}}
    assert held == ['master_service_disable']
    assert saved == dict(FROZEN_SAVED, master_service_disable='smtp/inet', frozen_with='smtp/inet, qmgr/unix')
    live = dict(FROZEN, master_service_disable='smtp/inet, qmgr/unix')
    assert is_frozen(live['master_service_disable'])
    assert saved_state(json.dumps(saved), live) == (saved, None)
    assert plan_thaw(live, saved)['master_service_disable'] == {'before': 'smtp/inet, qmgr/unix', 'after': 'smtp/inet'}


def test_removing_master_service_disable_while_frozen():
    changes, saved, dummy = plan_while_frozen(
        {'master_service_disable': {'before': 'proxywrite/unix, qmgr/unix', 'after': None},
         'in_flow_delay': {'before': '0', 'after': None}}, FROZEN, FROZEN_SAVED)
    assert changes == {'master_service_disable': {'before': 'proxywrite/unix, qmgr/unix', 'after': 'qmgr/unix'}}
    assert (saved['master_service_disable'], saved['in_flow_delay']) == (None, None)
    thaw = plan_thaw(dict(FROZEN, master_service_disable='qmgr/unix'), saved)
    assert thaw == {'master_service_disable': {'before': 'qmgr/unix', 'after': None},
                    'in_flow_delay': {'before': '0', 'after': None}}


def test_a_repeated_run_changes_nothing():
    saved = dict(FROZEN_SAVED, in_flow_delay='1s')
    changes, new_saved, held = plan_while_frozen({'in_flow_delay': {'before': '0', 'after': '1s'}}, FROZEN, saved)
    assert (changes, new_saved, held) == ({}, None, ['in_flow_delay'])


def test_a_host_frozen_by_hand_gets_a_state_file():
    changes, saved, dummy = plan_while_frozen({'in_flow_delay': {'before': None, 'after': '1s'}},
                                              {'master_service_disable': 'qmgr.fifo'}, {})
    assert changes == {}
    assert saved == {'frozen_since': None, 'master_service_disable': None, 'in_flow_delay': '1s',
                     'frozen_with': 'qmgr.fifo'}


@pytest.mark.parametrize('changes, explicit', [
    pytest.param({'in_flow_delay': {'before': None, 'after': '1s'}}, {}, id='not-frozen'),
    pytest.param({'relayhost': {'before': None, 'after': '[x]'}}, FROZEN, id='other-parameters'),
    pytest.param({'master_service_disable': {'before': None, 'after': 'qmgr/unix'}}, FROZEN, id='a-freeze-itself'),
])
def test_nothing_is_held_back(changes, explicit):
    assert plan_while_frozen(changes, explicit, {}) == (changes, None, [])


@pytest.mark.parametrize('wanted, after', [
    ('hash:/etc/postfix/transport', 'hash:/etc/postfix/mailops_suspended_domains, hash:/etc/postfix/transport'),
    (None, 'hash:/etc/postfix/mailops_suspended_domains'),
])
def test_suspension_table_stays_first(wanted, after):
    changes, kept = plan_suspension_first({'transport_maps': {'before': 'x', 'after': wanted}},
                                          'hash:/etc/postfix/mailops_suspended_domains', ['example.com'])
    assert kept
    assert changes == {'transport_maps': {'before': 'x', 'after': after}}


def test_suspension_table_already_first_is_no_change():
    table = 'hash:/etc/postfix/mailops_suspended_domains'
    changes, kept = plan_suspension_first({'transport_maps': {'before': table, 'after': None}}, table, ['example.com'])
    assert (changes, kept) == ({}, True)
    unchanged = {'transport_maps': {'before': None, 'after': 'hash:/x'}}
    assert plan_suspension_first(unchanged, table, []) == (unchanged, False)
