# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup tier's filters (docs in the .yml files beside; logic in module_utils/backup_config.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.module_utils import backup_config


def backup_input_errors(inputs):
    return backup_config.backup_input_errors(inputs)


def backup_client_input_errors(inputs, inventory_hosts, backup_hosts, escrow_stat=None, mongodb_users=None):
    return backup_config.backup_client_input_errors(inputs, inventory_hosts, backup_hosts, escrow_stat, mongodb_users)


def backup_mongodb_members(hosts, domain, port):
    return backup_config.mongodb_members(hosts, domain, port)


def backup_repositories(hosts, repos_dir):
    try:
        return backup_config.repositories(hosts, repos_dir)
    except ValueError as error:
        raise AnsibleFilterError("backup_repositories: %s" % error) from error


def backup_mariadb_restore_plan(request, mariadb_hosts, dumps):
    return backup_config.mariadb_restore_plan(request, mariadb_hosts, dumps)


class FilterModule:
    """The backup tier's filters."""

    def filters(self) -> dict:
        return {
            "backup_input_errors": backup_input_errors,
            "backup_client_input_errors": backup_client_input_errors,
            "backup_repositories": backup_repositories,
            "backup_mariadb_restore_plan": backup_mariadb_restore_plan,
            "backup_mongodb_members": backup_mongodb_members,
        }
