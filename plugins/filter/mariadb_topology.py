# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the mariadb role: the topology decision, in tested Python."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import mariadb_topology


def mariadb_topology_decision(states, members, ip_of, inventory_primary, preferred=""):
    """``states | rainbow.edge.mariadb_topology_decision(members, ip_of, primary)``: see the plugin's docs."""
    return mariadb_topology.decide(dict(states), list(members), dict(ip_of), str(inventory_primary),
                                   str(preferred or "")).as_dict()


def mariadb_replica_status(slave_status):
    """``info.slave_status | rainbow.edge.mariadb_replica_status``: mariadb_info's first channel, flat."""
    return mariadb_topology.replica_status(slave_status)


class FilterModule:
    """Ansible filter plugins of the mariadb role."""

    def filters(self) -> dict:
        return {"mariadb_topology_decision": mariadb_topology_decision,
                "mariadb_replica_status": mariadb_replica_status}
