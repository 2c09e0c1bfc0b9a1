# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test bed's connection: containers.podman.podman with pipelining.

A fleet reaches its hosts over SSH with pipelining, where a task costs one
round trip. containers.podman.podman runs each task as five podman commands
(mount, temporary directory, copy, chmod, run, clean up), because its "podman exec"
does not pass stdin on. With "podman exec -i" a module is piped to the
container's Python in one command, as over SSH. Molecule (.config/molecule/config.yml)
and the benchmarks use it; users' inventories keep containers.podman.podman.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: testbed_podman
short_description: containers.podman.podman with pipelining (mailops.postfix test bed)
description:
  - Runs commands in an existing podman container, piping modules to its Python (one podman exec per task).
author: mailops.postfix maintainers (@mailops)
options:
  remote_addr:
    description: The container.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
      - name: ansible_podman_host
  remote_user:
    description: The user that runs commands in the container.
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Extra arguments for podman.
    default: ''
    vars:
      - name: ansible_podman_extra_args
  podman_executable:
    description: The podman command.
    default: podman
    vars:
      - name: ansible_podman_executable
  pipelining:
    description: Pipe modules to the container's Python instead of copying them in first.
    type: boolean
    default: true
    vars:
      - name: ansible_pipelining
'''

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    transport = 'testbed_podman'
    has_pipelining = True

    def _connect(self):
        """Connect without "podman mount", one more command per task that only file copies use (they use podman cp)."""
        ConnectionBase._connect(self)
        self._connected = True

    def exec_command(self, cmd, in_data=None, sudoable=False):
        """podman exec, with -i when there is input to pass on (a pipelined module)."""
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        podman_args = ['exec', '-i'] if in_data is not None else ['exec']
        if self.user:
            podman_args.extend(('--user', self.user))
        return self._podman(podman_args, shlex.split(to_native(cmd, errors='surrogate_or_strict')), in_data)
