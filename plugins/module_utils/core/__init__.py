# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Infrastructure every module uses: errors, the one runner of Postfix commands, service control and the reload decision, locking, atomic files, file attributes, shared argument specs."""
