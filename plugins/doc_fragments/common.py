# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options and attributes shared by the mailops.postfix modules."""

    DOCUMENTATION = r'''
options:
  config_dir:
    description:
      - The Postfix configuration directory of the instance to manage, as given to C(postconf -c).
      - Use it for secondary instances on multi-instance hosts.
    type: path
    default: /etc/postfix
attributes:
  action_group:
    description: Use C(group/mailops.postfix.postfix) in C(module_defaults) to set defaults for this module, such as
      O(config_dir) for a second instance, once for every module of the group.
    support: full
    membership:
      - mailops.postfix.postfix
'''

    # Options of every module that changes configuration.
    CHANGES = r'''
options:
  reload:
    description:
      - After a change that a running Postfix must pick up, reload it, or restart it where a changed parameter needs
        that (V(inet_interfaces), V(inet_protocols)). A stopped Postfix reads the new files when it starts.
      - With V(false), leave that to a handler. RV(ignore:reload_needed) and RV(ignore:restart_required) say what is
        needed; every module of this collection returns them with the same meaning, so one handler serves all.
    type: bool
    default: true
  lock_timeout:
    description:
      - How many seconds to wait for another mailops.postfix run that is changing the same Postfix instance or table
        (runs take turns, so that no change is lost). When the other run still holds the lock after this time, the
        task fails and changes nothing.
      - The result's RV(ignore:lock_wait) says how long this run waited.
    type: float
    default: 60
'''

    BACKUP = r'''
options:
  backup:
    description:
      - Keep a timestamped copy of each file before it is replaced, next to it in the same directory
        (C(FILE.PID.DATE@TIME~), with the file's own owner, group and mode; a table with secret entries gets its
        enforced mode, V(0600), whatever mode the old file had); RV(ignore:backup_file) names it.
      - Backups are kept until someone removes them, one per run that changes the file, unless O(backup_keep) is set.
    type: bool
    default: false
  backup_keep:
    description:
      - With O(backup), how many backups of each file to keep, the newest ones; older backups of that file (written by
        this collection, named C(FILE.PID.DATE@TIME~)) are removed. Leave it out to keep them all.
    type: int
'''

    FILE_ATTRIBUTES = r'''
options:
  owner:
    description: Owner of the written files. Defaults to the current owner, or root for a new file.
    type: str
  group:
    description: Group of the written files. Defaults to the current group, or root's for a new file.
    type: str
  mode:
    description:
      - Octal mode of the written files, as a quoted string (V("0640")). Defaults to the current mode, or V(0644) for a
        new file.
      - Files get their owner, group and mode before they are renamed into place, so they never have other ones, not
        even for a moment.
    type: raw
'''

    ATTRIBUTES = r'''
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
'''

    # Attributes of the read-only modules (postfix_info, postfix_log, postfix_lookup).
    READ_ONLY_ATTRIBUTES = r'''
attributes:
  check_mode:
    description: Runs normally in check mode; it changes nothing anyway.
    support: full
  diff_mode:
    description: Nothing to show; it changes nothing.
    support: none
  idempotent:
    description: Read-only.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
'''
