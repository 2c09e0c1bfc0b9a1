#!/usr/bin/env python
# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/benchmark/fleet.sh's measurements, on a fleet that fleet.sh started.

  fleet.py measure INVENTORY WORK HOSTS FORKS RUNS   one JSON line per step to stdout
  fleet.py count INVENTORY WORK HOSTS                the tasks and round trips per host, JSON
  fleet.py summary RESULTS                           the tables, from the JSON lines of both

Each step is an ansible or ansible-playbook command against every host of the
fleet (group bench). Wall time, and the controller's CPU time (ansible and the
podman clients it starts: the children's rusage), median of RUNS rounds; the
steps take turns within a round, so that a change of load falls on all of them.
"""

from __future__ import annotations

import collections
import json
import os
import resource
import statistics
import subprocess
import sys
import time

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'playbooks')
FLOOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'floor.yml')
HOSTS = ['-e', 'mailops_hosts=bench']


TARGET_STEPS = ('one-task playbook', 'ansible -m ping', 'site.yml, idempotent', 'freeze.yml', 'thaw.yml')
# FLEET_FREEZE=1: the freeze's target only, on the fleet as started (no site.yml): a short hold of the machine.
FREEZE_STEPS = ('one-task playbook', 'ansible -m ping', 'freeze.yml', 'thaw.yml')
# FLEET_SITE=1: the site target's steps only.
SITE_STEPS = ('one-task playbook', 'site.yml, idempotent')


def steps(inventory, work):
    """Name, command, and a check of its output, of the steps timed in every round."""
    playbook = ['ansible-playbook', '-i', inventory]
    idempotent = 'changed=0 '
    return [
        ('one-task playbook', playbook + [FLOOR], None),
        ('ansible -m ping', ['ansible', '-i', inventory, 'bench', '-m', 'ansible.builtin.ping'], None),
        ('site.yml, idempotent', playbook + [os.path.join(PLAYBOOKS, 'site.yml')] + HOSTS, idempotent),
        ('freeze.yml', playbook + [os.path.join(PLAYBOOKS, 'freeze.yml')] + HOSTS, 'frozen since'),
        ('thaw.yml', playbook + [os.path.join(PLAYBOOKS, 'thaw.yml')] + HOSTS, 'delivering'),
        ('report.yml', playbook + [os.path.join(PLAYBOOKS, 'report.yml')] + HOSTS
         + ['-e', 'report_dir=%s/report' % work], 'report'),
    ]


# The controller-side options, tried on the idempotent site.yml at the default fork
# count: the free strategy; no pipelining (the plain connection's five podman
# commands per task); and what caching the package query's answer (fact caching)
# would give: the answer that the base role's query leaves, given before the play
# starts, so that the query asks the host about no package. On hosts with virtual
# mailbox domains (this benchmark's) it still asks about their directory, and the
# given answer, which extra vars keep over the registered one, has no directory:
# the file step looks again.
CACHED_PACKAGES = ['-e', '{"__base_packages": {"asked": ["postfix", "postfix-pcre", "libsasl2-modules", "ca-certificates"],'
                   ' "installed": ["postfix", "postfix-pcre", "libsasl2-modules", "ca-certificates"]}}']


def options(inventory):
    """Name, command, check, and environment of the site.yml variants; FLEET_OPTIONS (words: free, pipelining,
    cached, baseline) chooses some. baseline: site.yml of another copy of the collection, in the same rounds
    (FLEET_BASELINE: the directory that holds its ansible_collections/mailops/postfix, e.g. from git archive)."""
    site = ['ansible-playbook', '-i', inventory, os.path.join(PLAYBOOKS, 'site.yml')] + HOSTS
    baseline = os.environ.get('FLEET_BASELINE', '')
    variants = [
        ('free', 'site.yml, strategy free', site, 'changed=0 ', {'ANSIBLE_STRATEGY': 'free'}),
        ('pipelining', 'site.yml, no pipelining', site + ['-e', 'ansible_pipelining=false'], 'changed=0 ', {}),
        ('cached', 'site.yml, packages cached', site + CACHED_PACKAGES, 'changed=0 ', {}),
        ('baseline', 'site.yml, baseline', ['ansible-playbook', '-i', inventory, os.path.join(
            baseline, 'ansible_collections', 'mailops', 'postfix', 'playbooks', 'site.yml')] + HOSTS, 'changed=0 ',
         {'ANSIBLE_COLLECTIONS_PATH': baseline}),
    ]
    chosen = os.environ.get('FLEET_OPTIONS', 'free pipelining cached').split()
    return [variant[1:] for variant in variants if variant[0] in chosen]


def timed(command, expect=None, hosts=0, env=None):
    """Run COMMAND: wall seconds and the CPU seconds of it and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or (expect and done.stdout.count(expect) < (hosts if expect == 'changed=0 ' else 1)):
        sys.exit('fleet: %s failed or lacks %r:\n%s\n%s'
                 % (' '.join(command), expect, done.stdout[-3000:], done.stderr[-3000:]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(inventory, work, hosts, forks, runs):
    env = dict(os.environ, ANSIBLE_FORKS=str(forks))
    load = os.getloadavg()[0]
    freeze_only = os.environ.get('FLEET_FREEZE') == '1'
    if not freeze_only:
        wall, cpu = timed(['ansible-playbook', '-i', inventory, os.path.join(PLAYBOOKS, 'site.yml')] + HOSTS, env=env)
        print(json.dumps({'hosts': hosts, 'forks': forks, 'step': 'site.yml, first run', 'wall': wall, 'cpu': cpu,
                          'runs': 1}), flush=True)
    times = collections.defaultdict(list)
    # FLEET_TARGETS=1: only the two targets' steps and their references; FLEET_SITE=1: the site's (and,
    # with FLEET_OPTIONS set, the site.yml variants it names).
    only = FREEZE_STEPS if freeze_only else SITE_STEPS if os.environ.get('FLEET_SITE') == '1' else (
        TARGET_STEPS if os.environ.get('FLEET_TARGETS') == '1' else None)
    chosen = [step for step in steps(inventory, work) if only is None or step[0] in only]
    variants = options(inventory) if forks == 5 and not freeze_only and (only is None or 'FLEET_OPTIONS' in os.environ) else []
    for dummy in range(runs):
        for name, command, expect in chosen:
            times[name].append(timed(command, expect, hosts, env))
        for name, command, expect, extra in variants:
            times[name].append(timed(command, expect, hosts, dict(env, **extra)))
    for name in [step[0] for step in chosen] + [variant[0] for variant in variants]:
        print(json.dumps({'hosts': hosts, 'forks': forks, 'step': name, 'runs': runs,
                          'wall': statistics.median(t[0] for t in times[name]),
                          'cpu': statistics.median(t[1] for t in times[name])}), flush=True)
    print(json.dumps({'hosts': hosts, 'forks': forks, 'load': [load, os.getloadavg()[0]]}), flush=True)


def count(inventory, work, hosts):
    """Run site.yml (idempotent) and freeze.yml once each: the tasks each host ran, and its podman commands."""
    log = os.path.join(work, 'podman.log')
    wrapper = os.path.join(work, 'podman-count')
    with open(wrapper, 'w') as out:
        out.write('#!/bin/sh\necho "$*" >> %s\nexec podman "$@"\n' % log)
    os.chmod(wrapper, 0o755)
    tasks_file = os.path.join(work, 'tasks.json')
    env = dict(os.environ, ANSIBLE_CALLBACKS_ENABLED='fleet_tasks', FLEET_TASKS_FILE=tasks_file,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins'))
    for playbook in ('site.yml', 'freeze.yml', 'thaw.yml'):
        if os.path.exists(log):
            os.remove(log)
        timed(['ansible-playbook', '-i', inventory, os.path.join(PLAYBOOKS, playbook), '-e',
               'ansible_podman_executable=' + wrapper] + HOSTS, env=env)
        with open(tasks_file) as tasks:
            per_host = json.load(tasks)
        with open(log) as commands:
            execs = [line.split() for line in commands if line.startswith('exec')]
        for host, kinds in sorted(per_host.items()):
            print(json.dumps({'hosts': hosts, 'count': playbook, 'host': host,
                              'round_trips': sum(1 for words in execs if host in words),
                              **{kind: kinds.get(kind, []) for kind in ('host', 'controller', 'skipped')}}),
                  flush=True)


# The ratios printed: a step, its reference measured in the same run, the target at 20 hosts.
RATIOS = [
    ('site.yml, idempotent', 'one-task playbook', 3.0),
    ('site.yml, strategy free', 'one-task playbook', None),
    ('site.yml, no pipelining', 'one-task playbook', None),
    ('site.yml, packages cached', 'one-task playbook', None),
    ('site.yml, baseline', 'one-task playbook', None),
    ('freeze.yml', 'ansible -m ping', 1.5),
    ('thaw.yml', 'ansible -m ping', None),
]


def summary(path):
    with open(path) as lines:
        records = [json.loads(line) for line in lines if line.startswith('{')]
    timings = {(r['hosts'], r['forks'], r['step']): r for r in records if 'step' in r}
    loads = {(r['hosts'], r['forks']): r['load'] for r in records if 'load' in r}
    sizes = sorted({key[0] for key in timings})
    forks_list = sorted({key[1] for key in timings})
    names = list(dict.fromkeys(key[2] for key in timings))
    for forks in forks_list:
        print('\nforks %d: wall seconds (controller CPU seconds), per host in [ ]; ratios of wall (of CPU) time' % forks)
        print('%-28s' % 'step' + ''.join('%26s' % ('%d host%s' % (n, 's' * (n > 1))) for n in sizes)
              + '   per-host cost, %s' % ' -> '.join(str(n) for n in sizes))
        for name in names:
            row = [timings.get((n, forks, name)) for n in sizes]
            if not any(row):
                continue
            cells = ''.join('%26s' % ('%.2f (%.2f) [%.2f]' % (r['wall'], r['cpu'], r['wall'] / n) if r else '-')
                            for n, r in zip(sizes, row))
            print('%-28s' % name + cells + '   ' + ' -> '.join(
                'x%.2f' % (r['wall'] / n / (row[0]['wall'] / sizes[0])) if r and row[0] else '-'
                for n, r in zip(sizes, row)))
        for step, reference, target in RATIOS:
            if not any((n, forks, step) in timings for n in sizes):
                continue
            cells = []
            for n in sizes:
                if (n, forks, step) in timings and (n, forks, reference) in timings:
                    measured, base = timings[(n, forks, step)], timings[(n, forks, reference)]
                    cells.append('%.2fx (%.2fx)' % (measured['wall'] / base['wall'], measured['cpu'] / base['cpu']))
                else:
                    cells.append('-')
            print('%-50s' % ('%s / %s' % (step, reference)) + ''.join('%18s' % cell for cell in cells)
                  + ('   target at 20 hosts <= %.1fx' % target if target else ''))
        print('%-50s' % 'load average (1 min) at start, end' + ''.join(
            '%18s' % ('%.2f, %.2f' % tuple(loads[(n, forks)]) if (n, forks) in loads else '-') for n in sizes))
    counts = [r for r in records if 'count' in r]
    for playbook in dict.fromkeys(r['count'] for r in counts):
        for n in sizes:
            rows = [r for r in counts if r['count'] == playbook and r['hosts'] == n]
            if not rows:
                continue
            print('\n%s, %d host%s, per host: round trips (podman exec), tasks run on the host, on the controller only,'
                  ' skipped' % (playbook, n, 's' * (n > 1)))
            distinct = {(r['round_trips'], len(r['host']), len(r['controller']), len(r['skipped'])) for r in rows}
            for trips, host, controller, skipped in sorted(distinct):
                print('  %d, %d, %d, %d' % (trips, host, controller, skipped))
            first = rows[0]
            for kind in ('host', 'controller', 'skipped'):
                print('  %s: %s' % (kind, '; '.join(first[kind]) or 'none'))


if __name__ == '__main__':
    if sys.argv[1] == 'measure':
        measure(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif sys.argv[1] == 'count':
        count(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        summary(sys.argv[2])
