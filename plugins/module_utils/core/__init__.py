# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Infrastructure every module uses: errors, the command runner, service control, locking, files, argument specs, diffs, secrets."""
