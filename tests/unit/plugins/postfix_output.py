# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Output captured from real Postfix (module_utils/fixtures/capture.sh), shared by the unit tests."""

from __future__ import annotations

import gzip
import os

FIXTURES = os.path.join(os.path.dirname(__file__), 'module_utils', 'fixtures')
VERSIONS = ('3.7', '3.10')


def fixture_text(version, name):
    """The text of one capture from Postfix ``version``; .gz files are decompressed."""
    path = os.path.join(FIXTURES, 'postfix-%s' % version, name)
    opener = gzip.open if name.endswith('.gz') else open
    with opener(path, 'rt', encoding='utf-8') as handle:
        return handle.read()
