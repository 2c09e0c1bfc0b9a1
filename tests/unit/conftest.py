# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every unit test shares."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.postfix.plugins.module_utils.core import service as postfix_control


@pytest.fixture(autouse=True)
def note_directory(monkeypatch, tmp_path):
    """Notes of pending reloads go to the test's own directory, never to the host's /run/mailops-postfix."""
    directory = tmp_path / 'notes'
    monkeypatch.setattr(postfix_control, 'NOTE_DIRECTORY', str(directory))
    return directory
