# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module uses: errors, the Postfix command runner, service control and reload, locks, atomic files, file attributes, argument specs."""
