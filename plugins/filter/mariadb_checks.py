# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the mariadb role's input checks, in tested Python (module_utils/mariadb_checks.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import mariadb_checks


def mariadb_global_privilege_holders(users, forbidden=mariadb_checks.FORBIDDEN_GLOBAL_PRIVILEGES):
    """``mariadb_users | rainbow.edge.mariadb_global_privilege_holders``: see the plugin's docs."""
    return mariadb_checks.global_privilege_holders(list(users or []), list(forbidden))


def mariadb_key_file_changes(current_text, wanted):
    """``text | rainbow.edge.mariadb_key_file_changes(mariadb_encryption_keys)``: see the plugin's docs."""
    return mariadb_checks.key_file_changes(str(current_text or ""), list(wanted or []))


def mariadb_contributed_accounts(contributed, users=()):
    """``(groups['edge'] | rainbow.edge.contributions(hostvars, 'mariadb_databases'))['items']
    | rainbow.edge.mariadb_contributed_accounts(mariadb_users)``: see the plugin's docs."""
    return mariadb_checks.contributed_accounts(list(contributed or []), list(users or []))


class FilterModule:
    """Ansible filter plugins of the mariadb role's input checks."""

    def filters(self) -> dict:
        return {"mariadb_global_privilege_holders": mariadb_global_privilege_holders,
                "mariadb_key_file_changes": mariadb_key_file_changes,
                "mariadb_contributed_accounts": mariadb_contributed_accounts}
