# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what the validator checks: groups, per-host facts and DC links.

These structures come from inventories and from ``edge_facts`` results, so
they are read defensively: unknown extra keys are kept out of the way (facts
carry more detail than the checks use), but every value the checks rely on
is type-checked here, with a message naming the host and field.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.edge_footprint import TIER_NAMES
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    EdgeInputError,
    as_address,
    as_int,
    as_list,
    as_mapping,
    as_number,
    as_optional_number,
    as_str,
)

ZONES = ("lan", "wan", "other")
MAX_VCPUS = 100000
MAX_MEMORY_MB = 10 ** 9
MAX_DISK_GB = 10 ** 7


@dataclass(frozen=True)
class NicFacts:
    """A NIC as seen on the host: link speed (None = unknown) and IPv4 addresses."""

    name: str
    speed_mbps: Optional[float]
    zone: str
    addresses: Tuple[ipaddress.IPv4Address, ...]


@dataclass(frozen=True)
class HostFacts:
    """The figures of one host that the footprint checks compare."""

    name: str
    vcpus: int
    memory_mb: float
    disks_gb: Tuple[float, ...]
    nics: Tuple[NicFacts, ...]
    datacenter: Optional[str]
    # WAN VIPs the inventory plans for the host (a public load balancer's),
    # which it holds only once its role has run.
    wan_vips: Tuple[ipaddress.IPv4Address, ...] = ()


@dataclass(frozen=True)
class Link:
    """One RTT measurement between two datacenters (None: no answer)."""

    from_dc: str
    to_dc: str
    rtt_ms: Optional[float]
    from_host: Optional[str] = None
    to_host: Optional[str] = None
    error: Optional[str] = None


def read_groups(value: Any) -> Dict[str, Tuple[str, ...]]:
    """Tier name -> host names; other groups (all, ungrouped, dc1...) are ignored.

    Taking the inventory's whole ``groups`` variable is allowed on purpose:
    it is what a playbook has at hand.
    """
    groups: Dict[str, Tuple[str, ...]] = {}
    for name, members in as_mapping(value, "groups").items():
        if name not in TIER_NAMES:
            continue
        hosts = [as_str(host, "groups.%s[%d]" % (name, index))
                 for index, host in enumerate(as_list(members, "groups.%s" % name))]
        groups[name] = tuple(dict.fromkeys(hosts))
    return groups


def read_hosts(value: Any) -> Dict[str, HostFacts]:
    """Host name -> facts, as ``edge_facts`` returns them (or written by hand)."""
    return {name: read_host(name, facts) for name, facts in as_mapping(value, "hosts").items()}


def read_host(name: str, value: Any) -> HostFacts:
    """One host's facts; vcpus and memory_mb are required, the rest may be empty."""
    where = "hosts.%s" % name
    facts = as_mapping(value, where)
    for key in ("vcpus", "memory_mb"):
        if facts.get(key) is None:
            raise EdgeInputError("%s.%s is missing: gather the host's facts with "
                                 "rainbow.edge.edge_facts" % (where, key))
    disks = tuple(as_number(size, "%s.disks_gb[%d]" % (where, index), 0, MAX_DISK_GB)
                  for index, size in enumerate(as_list(facts.get("disks_gb"), where + ".disks_gb")))
    nics = tuple(read_nic(nic, "%s.nics[%d]" % (where, index))
                 for index, nic in enumerate(as_list(facts.get("nics"), where + ".nics")))
    datacenter = facts.get("datacenter")
    return HostFacts(
        name=name,
        vcpus=as_int(facts["vcpus"], where + ".vcpus", 0, MAX_VCPUS),
        memory_mb=as_number(facts["memory_mb"], where + ".memory_mb", 0, MAX_MEMORY_MB),
        disks_gb=disks,
        nics=nics,
        datacenter=None if datacenter in (None, "") else as_str(datacenter, where + ".datacenter"),
        wan_vips=tuple(dict.fromkeys(as_address(item, "%s.wan_vips[%d]" % (where, index)) for index, item
                                     in enumerate(as_list(facts.get("wan_vips"), where + ".wan_vips")))),
    )


def read_nic(value: Any, where: str) -> NicFacts:
    """A NIC: speed -1 (what sysfs shows for an unknown speed) reads as unknown."""
    nic = as_mapping(value, where)
    zone = as_str(nic.get("zone", "other"), where + ".zone").lower()
    if zone not in ZONES:
        raise EdgeInputError("%s.zone must be one of %s, got %r" % (where, ", ".join(ZONES), zone))
    speed = as_optional_number(nic.get("speed_mbps"), where + ".speed_mbps", minimum=-1)
    if speed is not None and speed < 0:
        speed = None
    raw = list(as_list(nic.get("addresses"), where + ".addresses"))
    if nic.get("address") not in (None, ""):
        raw.insert(0, nic["address"])
    addresses = tuple(dict.fromkeys(as_address(item, "%s.address" % where) for item in raw))
    return NicFacts(
        name=as_str(nic.get("name", "?"), where + ".name"),
        speed_mbps=speed,
        zone=zone,
        addresses=addresses,
    )


def read_links(value: Any) -> List[Link]:
    """RTT measurements: [{from_dc, to_dc, rtt_ms, from_host?, to_host?, error?}]."""
    links = []
    for index, item in enumerate(as_list(value, "links")):
        where = "links[%d]" % index
        link = as_mapping(item, where)
        for key in ("from_dc", "to_dc"):
            if link.get(key) in (None, ""):
                raise EdgeInputError("%s.%s is missing" % (where, key))
        links.append(Link(
            from_dc=as_str(link["from_dc"], where + ".from_dc"),
            to_dc=as_str(link["to_dc"], where + ".to_dc"),
            rtt_ms=as_optional_number(link.get("rtt_ms"), where + ".rtt_ms", minimum=0),
            from_host=_optional_str(link.get("from_host"), where + ".from_host"),
            to_host=_optional_str(link.get("to_host"), where + ".to_host"),
            error=_optional_str(link.get("error"), where + ".error"),
        ))
    return links


def read_networks(value: Any, field: str) -> Tuple[ipaddress.IPv4Network, ...]:
    """A list of CIDRs (e.g. lab WAN ranges to count as public)."""
    networks = []
    for index, item in enumerate(as_list(value, field)):
        text = as_str(item, "%s[%d]" % (field, index))
        try:
            networks.append(ipaddress.IPv4Network(text, strict=False))
        except ValueError:
            raise EdgeInputError("%s[%d] must be an IPv4 network, got %r" % (field, index, text)) from None
    return tuple(networks)


def _optional_str(value: Any, field: str) -> Optional[str]:
    return None if value in (None, "") else as_str(value, field)


def is_public(address: ipaddress.IPv4Address, extra: Tuple[ipaddress.IPv4Network, ...] = ()) -> bool:
    """Globally routable, or inside a range declared public (lab documentation ranges)."""
    return address.is_global or any(address in network for network in extra)


def nic_summary(nics: Tuple[NicFacts, ...]) -> str:
    """Short text of a host's NICs for 'actual' fields: eth0 lan 10.20.2.11 10000 Mbps."""
    parts = []
    for nic in nics:
        speed = "unknown speed" if nic.speed_mbps is None else "%g Mbps" % nic.speed_mbps
        addresses = " ".join(str(address) for address in nic.addresses) or "no IPv4"
        parts.append("%s %s %s %s" % (nic.name, nic.zone, addresses, speed))
    return "; ".join(parts) or "no NIC"


def as_host_map(hosts: Mapping[str, HostFacts]) -> Dict[str, Any]:
    """Facts back to plain data (for reports)."""
    return {
        name: {
            "vcpus": facts.vcpus, "memory_mb": facts.memory_mb, "disks_gb": list(facts.disks_gb),
            "datacenter": facts.datacenter,
            "nics": [{"name": nic.name, "speed_mbps": nic.speed_mbps, "zone": nic.zone,
                      "addresses": [str(a) for a in nic.addresses]} for nic in facts.nics],
        }
        for name, facts in hosts.items()
    }
