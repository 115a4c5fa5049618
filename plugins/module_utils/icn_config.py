# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The In-Country Nodes' decisions: their input check, their VIPs and their firewall.

The ICN pair is the SIP edge of the local voice breakout: kamailio as
session border controller between the SIP trunks and phones on the WAN and
the voice tiers on the LAN, rtpengine relaying the media. What reaches it
from the WAN is limited to the networks the inventory names (trunks,
phones), by the host firewall first and by kamailio again. Its LAN and WAN
VIPs move together (one keepalived sync group), so that a call never has
its signalling on one member and its media on the other. Used by the
``icn`` role through ``plugins/filter/icn_config.py``; unit-tested in
``tests/unit/plugins/module_utils/test_icn_config.py``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, List, Mapping, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, is_on_network, lan_errors, open_files_limit, wan_errors,
)

#: The keepalived sync group that moves the LAN and WAN VIPs together.
SYNC_GROUP = "ICN"
#: rtpengine's ports per call: RTP and RTCP, on the WAN side and on the LAN side.
PORTS_PER_CALL = 4
#: The shortest topology-hiding key accepted.
MIN_KEY_LENGTH = 16
_DESTINATION = re.compile(r"^(?P<address>[0-9.]+)(:(?P<port>[0-9]{1,5}))?$")


def destinations(values: Sequence[Any], default_port: int = 5060) -> List[Tuple[str, int]]:
    """("address", port) of each "address" or "address:port"; values that are neither are left out (the input
    check reports them)."""
    found = []
    for value in values or []:
        match = _DESTINATION.match(str(value).strip())
        if match and is_ipv4_address(match.group("address")):
            port = int(match.group("port") or default_port)
            if 1 <= port <= 65535:
                found.append((match.group("address"), port))
    return found


def pair(members: Sequence[str], host: str) -> List[str]:
    """The pair of In-Country Nodes ``host`` belongs to: group ``icn`` in inventory order, two by two (one pair
    per voice set, 8.4: the plan's count is two per set). A host outside the group, or the last of an odd
    group, is alone (the input check refuses it)."""
    members = list(members)
    if host not in members:
        return [host]
    first = members.index(host) // 2 * 2
    return members[first:first + 2]


def pair_index(members: Sequence[str], host: str) -> int:
    """0 for the first pair of group ``icn``, 1 for the second..."""
    members = list(members)
    return members.index(host) // 2 if host in members else 0


def sip_ports(inputs: Mapping[str, Any]) -> List[int]:
    """The SIP ports kamailio serves on the VIPs (UDP and TCP, TLS) and the DMQ port between the members."""
    return [port for port in (inputs.get("icn_sip_port"), inputs.get("icn_sip_tls_port"), inputs.get("icn_dmq_port"),
                              inputs.get("icn_metrics_port"))
            if isinstance(port, int) and not isinstance(port, bool)]


def input_errors(inputs: Mapping[str, Any], group: Sequence[str], host: str, reserved_ports: Sequence[int] = (),
                 limits_text: str = "") -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable (the key never shown).

    ``group`` is group ``icn``, paired two by two (``pair``); ``host`` this host; ``reserved_ports`` the host's other
    services' ports (SSH, the node exporter), which neither the SIP ports nor the RTP range may take;
    ``limits_text`` the host's /proc/1/limits, whose hard limit of open files systemd cannot raise.
    """
    errors: List[str] = lan_errors("icn", inputs) + wan_errors("icn", inputs)
    lan, wan = inputs.get("icn_lan_cidr"), inputs.get("icn_wan_cidr")
    members = pair(group, host)
    if len(members) != 2:
        errors.append("group icn: expected In-Country Nodes in pairs (master and backup, 8.4: two per voice set, "
                      "paired in the group's order); this host's pair has %d host(s): %s"
                      % (len(members), ", ".join(members) or "none"))
    for name, network, own in (("icn_lan_vip", lan, "icn_lan_ip"), ("icn_wan_vip", wan, "icn_wan_ip")):
        vip = inputs.get(name)
        if not is_ipv4_address(vip):
            errors.append("%s: expected the IPv4 address the pair shares on that network; got %r" % (name, vip))
        elif is_ipv4_network(network) and not is_on_network(vip, network):
            errors.append("%s %s is outside its network %s" % (name, vip, network))
        elif vip == inputs.get(own):
            errors.append("%s %s is this host's own address (%s): the VIP must be a third address" % (name, vip, own))
    for name in ("icn_trunk_cidrs", "icn_phone_cidrs"):
        bad = [cidr for cidr in inputs.get(name) or [] if not is_ipv4_network(cidr)]
        if bad:
            errors.append("%s: expected IPv4 networks in CIDR form; not networks: %r" % (name, bad))
        elif is_ipv4_network(lan) and any(ipaddress.IPv4Network(cidr).overlaps(ipaddress.IPv4Network(lan))
                                          for cidr in inputs.get(name) or []):
            errors.append("%s: the LAN %s is not a WAN network of trunks or phones; got %r"
                          % (name, lan, inputs.get(name)))
    if not (inputs.get("icn_trunk_cidrs") or inputs.get("icn_phone_cidrs")):
        errors.append("icn_trunk_cidrs and icn_phone_cidrs are both empty: no SIP trunk or phone could reach the "
                      "In-Country Nodes")
    for name, required in (("icn_lan_destinations", True), ("icn_trunk_destinations", False)):
        values = inputs.get(name) or []
        bad = [value for value in values if len(destinations([value])) != 1]
        if bad:
            errors.append("%s: expected \"address\" or \"address:port\" (IPv4); got %r" % (name, bad))
        if required and not values:
            errors.append("%s: empty: calls and registrations from the WAN have nowhere to go (the voice proxy or "
                          "the PBX gateways on the LAN)" % name)
        side = lan if name == "icn_lan_destinations" else None
        if side and is_ipv4_network(side):
            outside = [a for a, _port in destinations(values) if not is_on_network(a, side)]
            if outside:
                errors.append("%s: %s not on the LAN %s" % (name, ", ".join(outside), side))
    errors += _port_errors(inputs, reserved_ports)
    key = str(inputs.get("icn_topology_hiding_key") or "")
    if len(key) < MIN_KEY_LENGTH:
        errors.append("icn_topology_hiding_key: %s; give at least %d random characters from the vault, the same "
                      "for both members (it masks the LAN's addresses in what the WAN sees)"
                      % ("is empty" if not key else "is %d characters" % len(key), MIN_KEY_LENGTH))
    allowed = open_files_limit(limits_text)
    if not is_int_in(inputs.get("icn_max_open_files"), 1024, 1048576):
        errors.append("icn_max_open_files: expected 1024-1048576; got %r" % (inputs.get("icn_max_open_files"),))
    elif allowed is not None and inputs["icn_max_open_files"] > allowed:
        errors.append("icn_max_open_files %d is above the host's hard limit of open files (%d), which systemd "
                      "cannot raise: lower it, or raise the host's limit" % (inputs["icn_max_open_files"], allowed))
    for name, low, high, what in (
            ("icn_max_calls", 1, 100000, "concurrent calls through a pair (8.4: 2000 per set)"),
            ("icn_pike_requests", 1, 100000, "requests per pike sampling period from one address"),
            ("icn_pike_period", 1, 60, "seconds of pike's sampling period"),
            ("icn_vrrp_router_id", 1, 254, "VRRP router id of the first pair's LAN VIP (its WAN VIP's is the next"
             " one; each further pair takes the next two)"),
            ("icn_vrrp_advert_interval", 1, 10, "seconds between VRRP adverts")):
        if not is_int_in(inputs.get(name), low, high):
            errors.append("%s: expected %d-%d %s; got %r" % (name, low, high, what, inputs.get(name)))
    router_id = inputs.get("icn_vrrp_router_id")
    if is_int_in(router_id, 1, 254) and router_id + 2 * pair_index(group, host) + 1 > 255:
        errors.append("icn_vrrp_router_id %d: this host's pair (the %d. of group icn) would take router ids above "
                      "255; lower it" % (router_id, pair_index(group, host) + 1))
    return errors


def _port_errors(inputs: Mapping[str, Any], reserved_ports: Sequence[int]) -> List[str]:
    errors: List[str] = []
    for name in ("icn_sip_port", "icn_sip_tls_port", "icn_dmq_port", "icn_metrics_port", "icn_rtpengine_ng_port"):
        if not is_int_in(inputs.get(name), 1, 65535):
            errors.append("%s: expected a port 1-65535; got %r" % (name, inputs.get(name)))
    ports = sip_ports(inputs)
    if len(set(ports)) != len(ports):
        errors.append("icn_sip_port, icn_sip_tls_port, icn_dmq_port and icn_metrics_port must differ; got %r"
                      % (ports,))
    taken = sorted(set(ports) & set(reserved_ports))
    if taken:
        errors.append("port(s) %s of the In-Country Node are this host's other services' (SSH, node exporter)"
                      % taken)
    low, high = inputs.get("icn_rtp_min_port"), inputs.get("icn_rtp_max_port")
    if not (is_int_in(low, 1024, 65535) and is_int_in(high, 1024, 65535) and low < high):
        errors.append("icn_rtp_min_port and icn_rtp_max_port: expected a UDP port range within 1024-65535, lowest "
                      "first; got %r-%r" % (low, high))
        return errors
    overlapping = sorted({port for port in ports + list(reserved_ports) if low <= port <= high})
    if overlapping:
        errors.append("the RTP range %d-%d (icn_rtp_min_port, icn_rtp_max_port) overlaps the SIP or service "
                      "port(s) %s: media would land on them" % (low, high, overlapping))
    calls = inputs.get("icn_max_calls")
    if is_int_in(calls, 1, 100000) and high - low + 1 < PORTS_PER_CALL * calls:
        errors.append("the RTP range %d-%d holds %d ports, fewer than the %d that icn_max_calls %d calls take "
                      "(%d per call: RTP and RTCP on each side); widen it or lower icn_max_calls"
                      % (low, high, high - low + 1, PORTS_PER_CALL * calls, calls, PORTS_PER_CALL))
    return errors


def vrrp_instances(inputs: Mapping[str, Any], members: Sequence[str], member_lan: Mapping[str, Any],
                   member_wan: Mapping[str, Any], host: str, lan_interface: str, wan_interface: str) -> List[dict]:
    """The pair's two VRRP instances (shared role's vip entry point), LAN and WAN, moved together by the sync
    group: the pair's first member (in group ``icn``'s order) has priority 150, the other 100. ``members`` is the
    whole group: the pair is ``pair(members, host)``, whose router ids are ``icn_vrrp_router_id`` + 2 per pair
    before it.

    ``member_lan`` and ``member_wan`` are {member: its own address} on each network: the adverts go unicast
    to the other member there."""
    mine = pair(members, host)
    others = [member for member in mine if member != host]
    priority = 150 if host == mine[0] else 100
    router_id = inputs.get("icn_vrrp_router_id")
    if isinstance(router_id, int) and not isinstance(router_id, bool):
        router_id += 2 * pair_index(members, host)

    def instance(name: str, addresses: Mapping[str, Any], offset: int, interface: str, vip: Any,
                 network: Any) -> dict:
        prefix = "/%d" % ipaddress.IPv4Network(network).prefixlen if is_ipv4_network(network) else ""
        return {"name": name, "router_id": router_id + offset if isinstance(router_id, int) else router_id,
                "interface": interface, "address": "%s%s" % (vip, prefix), "priority": priority,
                "unicast_src": addresses.get(host), "unicast_peers": [addresses.get(other) for other in others]}

    return [instance("ICN_LAN", member_lan, 0, lan_interface, inputs.get("icn_lan_vip"), inputs.get("icn_lan_cidr")),
            instance("ICN_WAN", member_wan, 1, wan_interface, inputs.get("icn_wan_vip"), inputs.get("icn_wan_cidr"))]


def firewall_rules(inputs: Mapping[str, Any], peer_lan: Sequence[str], peer_wan: Sequence[str]) -> List[dict]:
    """The host-firewall rules (shared role's firewall entry point): SIP and TLS on the WAN from the trunks' and
    phones' networks only, on the LAN from the LAN; the RTP range from both (rtpengine learns each stream's
    source from the SDP and the first packets, and drops what belongs to no call); DMQ, kamailio's metrics and
    VRRP between the members or from the LAN."""
    sip = [inputs.get("icn_sip_port")]
    wan_sources = list(inputs.get("icn_trunk_cidrs") or []) + list(inputs.get("icn_phone_cidrs") or [])
    lan = [inputs.get("icn_lan_cidr")]
    rtp = ["%s-%s" % (inputs.get("icn_rtp_min_port"), inputs.get("icn_rtp_max_port"))]
    rules = [
        {"ports": sip, "proto": "udp", "sources": wan_sources, "comment": "SIP over UDP from the trunks and phones"},
        {"ports": sip + [inputs.get("icn_sip_tls_port")], "proto": "tcp", "sources": wan_sources,
         "comment": "SIP over TCP and TLS from the trunks and phones"},
        {"ports": sip, "proto": "udp", "sources": lan, "comment": "SIP over UDP from the voice tiers"},
        {"ports": sip, "proto": "tcp", "sources": lan, "comment": "SIP over TCP from the voice tiers"},
        {"ports": rtp, "proto": "udp", "sources": wan_sources + lan, "comment": "RTP relayed by rtpengine"},
        {"ports": [inputs.get("icn_metrics_port")], "proto": "tcp", "sources": lan,
         "comment": "kamailio's Prometheus endpoint"},
    ]
    if peer_lan:
        rules.append({"ports": [inputs.get("icn_dmq_port")], "proto": "udp", "sources": list(peer_lan),
                      "comment": "DMQ: the other member's dialog replication"})
        rules.append({"proto": "vrrp", "sources": list(peer_lan) + list(peer_wan),
                      "comment": "VRRP adverts of the other member"})
    return rules
