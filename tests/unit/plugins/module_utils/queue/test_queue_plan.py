# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for queue/plan.py: postfix_queue's safety rules and the queue IDs an action changes, on a captured queue."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.queue.plan import check_request, plan
from ansible_collections.mailops.postfix.plugins.module_utils.queue.records import (
    QueueError,
    Selector,
    parse_records,
    scan,
)
from ansible_collections.mailops.postfix.tests.unit.plugins.postfix_output import VERSIONS, fixture_text


def ids_of(version, **criteria):
    records = parse_records(fixture_text(version, 'queue-j.jsonl').splitlines())
    return [record['queue_id'] for record in records if Selector(**criteria).matches(record, 2 ** 31)]


def view_of(version, action, **criteria):
    records = parse_records(fixture_text(version, 'queue-j.jsonl').splitlines())
    return scan(records, Selector(**criteria), 2 ** 31, action=action)


@pytest.mark.parametrize('version', VERSIONS)
def test_plan_returns_the_targets(version):
    view = view_of(version, 'hold', recipient='remote-one')
    assert plan('hold', view, Selector(recipient='remote-one'), False, None) == view['targets']
    assert len(view['targets']) == 2  # the third (bob's) is on hold already


def test_plan_list_changes_nothing():
    assert plan('list', view_of('3.7', 'list'), Selector(), False, None) == []


@pytest.mark.parametrize('action', ['delete', 'hold', 'release', 'requeue', 'expire', 'flush'])
def test_plan_needs_all_messages_without_selector(action):
    with pytest.raises(QueueError, match=r'action=%s without a selector would act on every message in the queue '
                                         r'\(8 now\). Set all_messages=true to allow that' % action):
        plan(action, view_of('3.7', action), Selector(), False, None)
    assert plan(action, view_of('3.7', action), Selector(), True, None) == view_of('3.7', action)['targets']


def test_plan_max_messages():
    view = view_of('3.10', 'delete', sender='testbed')
    assert len(view['targets']) == 7
    assert plan('delete', view, Selector(sender='testbed'), False, 7) == view['targets']
    with pytest.raises(QueueError, match='action=delete would affect 7 messages, more than max_messages=6; nothing was '
                                         'changed. Raise max_messages or narrow the selection'):
        plan('delete', view, Selector(sender='testbed'), False, 6)


@pytest.mark.parametrize('action', ['delete', 'expire', 'hold'])
@pytest.mark.parametrize('criteria', [{'sender': '.*'}, {'recipient': '|'}, {'older_than': '0'},
                                      {'queues': ['maildrop', 'incoming', 'active', 'deferred', 'hold']},
                                      {'query': 'queue_id'}])
def test_plan_refuses_a_destructive_selection_of_the_whole_queue(action, criteria):
    view = view_of('3.7', action, **criteria)
    assert view['selected'] == view['summary']['messages'] == 8
    with pytest.raises(QueueError, match=r'action=%s: the selection \(%s\) matches every message in the queue, all 8 of '
                                         r'them; .* use all_messages=true without selectors' % (action, list(criteria)[0])):
        plan(action, view, Selector(**criteria), False, None)


@pytest.mark.parametrize('action', ['release', 'requeue', 'flush'])
def test_plan_allows_a_harmless_action_on_a_selection_of_the_whole_queue(action):
    view = view_of('3.7', action, sender='.*')
    assert plan(action, view, Selector(sender='.*'), False, None) == view['targets']


def test_plan_allows_every_message_by_queue_id():
    every = ids_of('3.7')
    view = view_of('3.7', 'delete', queue_ids=every)
    assert plan('delete', view, Selector(queue_ids=every), False, None) == view['targets']


def test_plan_allows_a_pattern_that_matches_the_only_message():
    records = list(parse_records(fixture_text('3.7', 'queue-j.jsonl').splitlines()))[:1]
    view = scan(records, Selector(sender='.*'), 2 ** 31, action='delete')
    assert plan('delete', view, Selector(sender='.*'), False, None) == view['targets']


@pytest.mark.parametrize('action', ['delete', 'hold', 'release', 'requeue', 'expire', 'flush'])
def test_plan_max_messages_zero_refuses_any_action_that_touches_a_message(action):
    view = view_of('3.7', action, sender='testbed')
    assert view['targets']
    with pytest.raises(QueueError, match='more than max_messages=0'):
        plan(action, view, Selector(sender='testbed'), False, 0)
    nothing = view_of('3.7', action, sender='^nobody-matches$')
    assert plan(action, nothing, Selector(sender='^nobody-matches$'), False, 0) == []


def check_params(**params):
    return dict({'action': 'list', 'limit': 100, 'top': 10, 'max_messages': None, 'all_messages': False,
                 'match_timeout': 10}, **params)


@pytest.mark.parametrize('params, version, message', [
    ({'limit': -1}, '3.7.11', 'limit=-1: must be 0 or more'),
    ({'max_messages': -5}, '3.7.11', 'max_messages=-5: must be 0 or more'),
    ({'match_timeout': 0}, '3.7.11', 'match_timeout=0: must be more than 0 seconds'),
    ({'action': 'expire'}, '3.4.14', 'action=expire needs Postfix 3.5 or later .postsuper -e.; this host runs Postfix '
                                     '3.4.14. Use action=delete'),
])
def test_check_request_refuses(params, version, message):
    with pytest.raises(QueueError, match=message):
        check_request(check_params(**params), Selector(), version)


def test_check_request_all_messages_excludes_selectors():
    with pytest.raises(QueueError, match='all_messages=true acts on every message; it cannot be combined with the '
                                         'selector.s. queues, sender'):
        check_request(check_params(all_messages=True), Selector(sender='x', queues=[]), '3.10.1')
    check_request(check_params(action='expire', all_messages=True), Selector(), '3.5.0')
