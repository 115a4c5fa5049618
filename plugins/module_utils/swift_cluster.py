# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Swift cluster as the swift role sees it: nodes, ring devices, sizing,
and what its preflight found deployed. Pure functions over the inventory
and the preflight's probe results (read from hostvars by the filters).
"""

from __future__ import annotations

import posixpath
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils import edge_footprint, swift_ring

# Swift nodes of a footprint, and their disks (the footprint, 9.3 and 8.x; docs/sizing.md).
SMALL_EDGE_NODES = 1
NODES = 3
DISKS_PER_NODE = 3
DEFAULT_WEIGHT = 100.0


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _member_inputs(variables: Mapping[str, Any]) -> Mapping[str, Any]:
    """A member's inputs as it read them (the shared role's ``__swift_input_check`` fact), else its inventory.

    Another host's role defaults are not in its hostvars: for a member that has
    not read its inputs in this run, the defaults are applied by ``nodes``.
    """
    check = variables.get("__swift_input_check")
    inputs = check.get("inputs") if isinstance(check, Mapping) else None
    return inputs if isinstance(inputs, Mapping) and inputs else variables


def nodes(members: Sequence[str], hostvars: Mapping[str, Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """``[{host, ip, region, zone, disks}]`` for every member, in inventory order.

    From each member's inputs (``_member_inputs``), with the role's defaults
    for a member that has not read them: the LAN address, region 1, and zone =
    the member's position (1-based) unless the host sets a positive ``swift_zone``.
    """
    result = []
    for position, host in enumerate(members, start=1):
        variables = hostvars[host] if host in hostvars else {}
        inputs = _member_inputs(variables)
        zone = _int(inputs.get("swift_zone", 0), 0)
        result.append({
            "host": host,
            "ip": str(inputs.get("swift_lan_ip") or variables.get("edge_lan_ip") or ""),
            "region": _int(inputs.get("swift_region", 1), 1),
            "zone": zone if zone > 0 else position,
            "disks": list(inputs.get("swift_disks") or []),
        })
    return result


def ring_devices(cluster: Iterable[Mapping[str, Any]], ports: Mapping[str, Any]) -> Dict[str, List[Dict[str, Any]]]:
    """What each ring must hold: every disk of every node, on the ring's port."""
    cluster = list(cluster)
    return {
        ring: [{"region": node["region"], "zone": node["zone"], "ip": node["ip"], "port": _int(ports[ring], 0),
                "device": str(disk.get("name", "")), "weight": float(disk.get("weight", DEFAULT_WEIGHT))}
               for node in cluster for disk in node["disks"]]
        for ring in swift_ring.RINGS
    }


def sizing(variant: str, concurrent_users: int, registered_users: Optional[int]) -> Dict[str, Any]:
    """The Edge's scale as Swift needs it (the footprint, 9.3/9.4; edge_footprint's thresholds).

    A small Standalone Edge (at most 1000 concurrent and 5000 registered
    users) runs Swift on 1 node, every other Edge on 3; new rings get the
    part power of that footprint's disks.
    """
    registered = (int(registered_users) if registered_users is not None
                  else int(concurrent_users) * edge_footprint.REGISTERED_PER_CONCURRENT)
    small = (variant == "standalone" and int(concurrent_users) <= edge_footprint.SMALL_MAX_CONCURRENT
             and registered <= edge_footprint.SMALL_MAX_REGISTERED)
    node_count = SMALL_EDGE_NODES if small else NODES
    return {"registered_users": registered, "small_edge": small, "min_nodes": node_count,
            "default_part_power": swift_ring.default_part_power(node_count * DISKS_PER_NODE)}


def changed_settings(deployed: Mapping[str, Any], wanted: Mapping[str, Any], placeholder: str) -> List[str]:
    """Names whose deployed value (neither empty nor Debian's placeholder) differs from the wanted one."""
    return [name for name in wanted
            if str(deployed.get(name) or "") not in ("", placeholder) and deployed.get(name) != wanted[name]]


def deployed_files(probe: Optional[Mapping[str, Any]]) -> Dict[str, bool]:
    """File name -> whether it exists, from a ``rainbow.edge.block_devices`` probe's ``files``."""
    return {posixpath.basename(path): bool((found or {}).get("exists"))
            for path, found in ((probe or {}).get("files") or {}).items()}


def _found_files(probe: Optional[Mapping[str, Any]]) -> List[str]:
    return [name for name, exists in deployed_files(probe).items() if exists]


def ring_holders(members: Sequence[str], master: str, file_probes: Mapping[str, Mapping[str, Any]],
                 ring_files: Sequence[str]) -> List[str]:
    """Members other than ``master`` whose preflight found ring or builder files."""
    wanted = set(ring_files)
    return [host for host in members
            if host != master and wanted.intersection(_found_files(file_probes.get(host) or {}))]


def master_has_builders(master_probe: Optional[Mapping[str, Any]]) -> bool:
    return any(name.endswith(".builder") for name in _found_files(master_probe or {}))


def missing_disks(devices: Iterable[Mapping[str, Any]]) -> List[str]:
    """Configured disks that are not block devices (absent, or a file), from the probe's ``devices``."""
    return [str(device.get("device", "")) for device in devices if not device.get("is_block")]


def foreign_disks(devices: Iterable[Mapping[str, Any]], filesystem: str) -> List[str]:
    """Disks holding another file system than ``filesystem``, or a partition table, from the probe's ``devices``."""
    foreign = []
    for device in devices:
        if device.get("blkid_rc") != 0:  # not a block device, or no signature at all (blank)
            continue
        signature = device.get("signature") or {}
        fstype = str(signature.get("TYPE", ""))
        if fstype != filesystem or "PTTYPE" in signature:
            foreign.append("%s (%s)" % (device.get("device", ""), fstype or "a partition table"))
    return foreign


def ring_errors(plan_results: Iterable[Mapping[str, Any]], option_vars: Mapping[str, str]) -> List[str]:
    """The swift_ring module's refusals, each named by the role variable it is about."""
    return ["%s: %s" % (option_vars.get(error.get("option"), error.get("option")), error.get("message"))
            for plan in plan_results for error in (plan.get("errors") or [])]
