# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Infrastructure of every module: errors, the Postfix command runner, service control and reload, locking,
atomic files, file attributes, shared argument specs."""
