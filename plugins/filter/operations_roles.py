# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""operations_roles: the roles of the logs, metrics and backup tiers one Edge host gets (documented in operations_roles.yml)."""

from __future__ import annotations

from collections.abc import Mapping


def operations_roles(group_names, groups: Mapping) -> list:
    """``group_names | rainbow.edge.operations_roles(groups)`` -> the roles, in the order their playbooks apply them.

    A tier's own role goes to the hosts of its group. Two roles go to the
    other Edge hosts, once the inventory has the host they serve: log
    shipping to every Edge host (the logs host's own logs too), the backup
    client to every Edge host but the backup host.
    """
    def has_hosts(group: str) -> bool:
        return bool(groups.get(group))

    roles = []
    if "logs" in group_names:
        roles.append("logs")
    if has_hosts("logs"):
        roles.append("log_shipping")
    if "metrics" in group_names:
        roles.append("metrics")
    if "backup" in group_names:
        roles.append("backup")
    elif has_hosts("backup"):
        roles.append("backup_client")
    return roles


class FilterModule:
    """Which of the operations tiers' roles a host gets, without a Jinja loop."""

    def filters(self) -> dict:
        return {"operations_roles": operations_roles}
