# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Domain names as the roles' data gives them: one check for the filters that build tables from them.

Private to this collection: roles and playbooks use the filters and modules, never module_utils.
"""

from __future__ import annotations

import re

# Labels of letters, digits and hyphens, at most 63 characters each and not beginning or ending with a
# hyphen (underscores, which some hosts have, except in the last label); 253 characters in all.
_NAME = re.compile(r'^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
                   re.IGNORECASE)


def domain_name(value):
    """``value`` as a lower-case domain name without its final dot, or None when it is not a domain name."""
    if not isinstance(value, str):
        return None
    name = value[:-1] if value.endswith('.') else value
    return name.lower() if _NAME.match(name) else None
