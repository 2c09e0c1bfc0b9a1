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
'''

    LOCKING = r'''
options:
  lock_timeout:
    description:
      - How many seconds to wait for another mailops.postfix run that is changing the same Postfix instance or table
        (runs take turns, so that no change is lost). When the other run still holds the lock after this time, the
        task fails and changes nothing.
      - The result's RV(ignore:lock_wait) says how long this run waited.
    type: float
    default: 60
'''

    ATTRIBUTES = r'''
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
'''
