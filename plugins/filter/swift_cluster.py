# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the swift role, in tested Python (module_utils/swift_cluster.py); docs in the .yml files beside."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import swift_cluster


def swift_nodes(members, hostvars):
    return swift_cluster.nodes(list(members), hostvars)


def swift_ring_devices(nodes, ports):
    return swift_cluster.ring_devices(list(nodes), dict(ports))


def swift_sizing(variant, concurrent_users, registered_users=None):
    return swift_cluster.sizing(str(variant), int(concurrent_users),
                                None if registered_users is None else int(registered_users))


def swift_changed_settings(deployed, wanted, placeholder):
    return swift_cluster.changed_settings(dict(deployed), dict(wanted), str(placeholder))


def swift_ring_holders(members, master, hostvars, ring_files):
    members = list(members)
    probes = {host: (hostvars[host].get("__swift_probe") if host in hostvars else None) or {}
              for host in members}
    return swift_cluster.ring_holders(members, str(master), probes, list(ring_files))


def swift_deployed_files(probe):
    return swift_cluster.deployed_files(probe)


def swift_missing_disks(probe):
    return swift_cluster.missing_disks(list((probe or {}).get("devices") or []))


def swift_foreign_disks(probe, filesystem):
    return swift_cluster.foreign_disks(list((probe or {}).get("devices") or []), str(filesystem))


def swift_ring_errors(plan_results, option_vars):
    return swift_cluster.ring_errors(list(plan_results or []), dict(option_vars))


class FilterModule:
    """Ansible filter plugins of the swift role."""

    def filters(self) -> dict:
        return {"swift_nodes": swift_nodes, "swift_ring_devices": swift_ring_devices, "swift_sizing": swift_sizing,
                "swift_changed_settings": swift_changed_settings, "swift_ring_holders": swift_ring_holders,
                "swift_deployed_files": swift_deployed_files, "swift_missing_disks": swift_missing_disks,
                "swift_foreign_disks": swift_foreign_disks, "swift_ring_errors": swift_ring_errors}
