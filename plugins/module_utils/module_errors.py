# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every module of this collection fails: with what was wrong and, for a
Postfix command, the command itself with its rc and output."""

from __future__ import annotations

from contextlib import contextmanager

from ansible_collections.mailops.postfix.plugins.module_utils.postfix_runner import PostfixCommandError


@contextmanager
def reported_failures(module, result, *input_errors):
    """Turn ``input_errors`` (bad input, named in the message), PostfixCommandError and a file that cannot be
    written or read into fail_json(**result)."""
    try:
        yield
    except PostfixCommandError as error:
        module.fail_json(**dict(result, **error.to_result()))
    except input_errors as error:
        module.fail_json(msg=str(error), **result)
    except OSError as error:
        # A file the module could not write or read: a --check run without become (the staged files go next
        # to the live ones), or a table path in a directory that does not exist.
        hint = '; changing a Postfix configuration or queue needs root (become: true)' if isinstance(
            error, PermissionError) else ''
        what = '%s: %s' % (error.strerror, error.filename) if error.filename else str(error)
        module.fail_json(msg=what + hint, **result)
