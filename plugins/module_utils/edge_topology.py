# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology of the inventory actually given, drawn beside its plan.

The plan (edge_plan) says what an Edge needs; this reads what an inventory
has: its hosts by datacenter with their tiers and addresses, the VIPs its
variables set, the GateKeepers' tunnel, and each tier's server count against
the plan's. Read defensively: an inventory in progress may leave anything
out, and the picture then says "not set" rather than failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, List, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.aio_config import AIO_TIERS
from ansible_collections.rainbow.edge.plugins.module_utils.edge_footprint import TIER_NAMES
from ansible_collections.rainbow.edge.plugins.module_utils.edge_report import _text, _x, describe

NO_DATACENTER = "(no datacenter)"

# Which variables set a tier's VIPs, and on which side: read from the tier's first host.
_VIP_VARIABLES = (
    ("gatekeeper", "gatekeeper_lan_vip", "lan"),
    ("gatekeeper", "gatekeeper_wan_vip", "wan"),
    ("private_lb", "private_lb_vips", "lan"),
    ("public_lb", "public_lb_vips", "wan"),
)


def _get(variables: Any, name: str) -> Any:
    return variables[name] if isinstance(variables, Mapping) and name in variables else None


def _addresses(value: Any) -> List[str]:
    """A VIP variable: one address, a list of addresses, or a list of {address: ...}."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        address = _get(item, "address") if isinstance(item, Mapping) else item
        if address not in (None, ""):
            out.append(str(address))
    return out


def read_topology(groups: Mapping[str, Sequence[str]], hostvars: Mapping[str, Any]) -> Dict[str, Any]:
    """Hosts (tiers, DC, addresses), DCs, VIPs and the tunnel, as the inventory sets them."""
    members = {tier: [str(host) for host in groups.get(tier) or ()] for tier in TIER_NAMES}
    hosts: Dict[str, Dict[str, Any]] = {}
    for tier in TIER_NAMES:
        for host in members[tier]:
            if tier in AIO_TIERS and host in members["aio"]:
                continue  # a tier the All-in-One carries through its group: drawn as the All-in-One
            variables = hostvars[host] if host in hostvars else {}
            entry = hosts.setdefault(host, {
                "tiers": [],
                "datacenter": str(_get(variables, "edge_datacenter") or NO_DATACENTER),
                "lan_ip": str(_get(variables, "edge_lan_ip") or ""),
                "wan_ip": str(_get(variables, "edge_wan_ip") or ""),
            })
            entry["tiers"].append(tier)
    datacenters: Dict[str, List[str]] = {}
    for host, entry in hosts.items():
        datacenters.setdefault(entry["datacenter"], []).append(host)
    vips = []
    for tier, name, zone in _VIP_VARIABLES:
        if members[tier]:
            first = hostvars[members[tier][0]] if members[tier][0] in hostvars else {}
            vips.extend({"tier": tier, "zone": zone, "address": address}
                        for address in _addresses(_get(first, name)))
    gatekeepers = members["gatekeeper"]
    first_gatekeeper = hostvars[gatekeepers[0]] if gatekeepers and gatekeepers[0] in hostvars else {}
    peers = _get(first_gatekeeper, "gatekeeper_wg_external_peers") or []
    return {
        "hosts": hosts,
        "datacenters": dict(sorted(datacenters.items())),
        "vips": vips,
        "tunnel": {
            "gatekeepers": gatekeepers,
            "port": _get(first_gatekeeper, "gatekeeper_wg_port") or None,
            "peers": [str(_get(peer, "name") or _get(peer, "endpoint") or "?") for peer in peers
                      if isinstance(peer, Mapping)] if isinstance(peers, list) else [],
        },
    }


def compare_with_plan(topology: Mapping[str, Any], plan: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Each tier of the plan or of the inventory: planned and given counts, and a verdict."""
    given: Dict[str, List[str]] = {}
    for host, entry in topology["hosts"].items():
        for tier in entry["tiers"]:
            given.setdefault(tier, []).append(host)
    rows = []
    for tier in TIER_NAMES:
        planned = plan["tiers"][tier]["count"] if tier in plan["tiers"] else None
        hosts = given.get(tier, [])
        if planned is None and not hosts:
            continue
        if planned is None:
            status = "not part of this Edge"
        elif len(hosts) < planned:
            status = "%d missing" % (planned - len(hosts))
        else:
            status = "ok"
        rows.append({"tier": tier, "planned": planned, "given": len(hosts), "hosts": hosts, "status": status})
    return rows


def topology_markdown(topology: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    """The inventory as tables: tiers against the plan, hosts, VIPs, tunnel."""
    lines = ["# The inventory given: %s" % describe(plan), "",
             "| tier | planned | in the inventory | hosts | |", "|---|---|---|---|---|"]
    for row in compare_with_plan(topology, plan):
        lines.append("| %s | %s | %d | %s | %s |" % (
            row["tier"], "-" if row["planned"] is None else row["planned"], row["given"],
            ", ".join(row["hosts"]) or "-", row["status"]))
    lines += ["", "| host | datacenter | tiers | LAN | WAN |", "|---|---|---|---|---|"]
    for host, entry in topology["hosts"].items():
        lines.append("| %s | %s | %s | %s | %s |" % (
            host, entry["datacenter"], ", ".join(entry["tiers"]), entry["lan_ip"] or "not set",
            entry["wan_ip"] or "-"))
    lines += ["", "VIPs: " + (", ".join("%s %s %s" % (vip["tier"], vip["zone"].upper(), vip["address"])
                                        for vip in topology["vips"]) or "none set in the inventory")]
    lines += ["", "Tunnel: " + tunnel_text(topology, plan)]
    return "\n".join(line.replace("\n", " ") for line in lines) + "\n"


def tunnel_text(topology: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    tunnel = topology["tunnel"]
    if not tunnel["gatekeepers"]:
        return "no GateKeeper in the inventory"
    towards = "Rainbow cloud" if plan["variant"] == "connected" else "ALE Operations (administration only)"
    return "WireGuard from %s, UDP port %s, to %s%s" % (
        ", ".join(tunnel["gatekeepers"]), tunnel["port"] or "not set", towards,
        " (peers: %s)" % ", ".join(tunnel["peers"]) if tunnel["peers"] else "")


# Picture geometry (pixels).
_COL_W = 250
_HOST_H = 52
_GAP = 8
_MARGIN = 20
_TOP = 120


def topology_svg(topology: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    """One column per datacenter, a box per host (its tiers and addresses), WAN above, LAN below."""
    dcs = topology["datacenters"] or {NO_DATACENTER: []}
    rows = max([len(hosts) for hosts in dcs.values()] + [1])
    width = max(_MARGIN * 2 + _COL_W * len(dcs), 560)
    lan_y = _TOP + 40 + rows * (_HOST_H + _GAP) + 30
    height = lan_y + 70
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="sans-serif" font-size="12">' % (width, height, width, height),
           "<title>%s</title>" % _x("Inventory topology: " + describe(plan)),
           '<rect width="100%" height="100%" fill="white"/>',
           _text(width / 2, 22, "Internet (public IPv4, WAN)", size=14, anchor="middle", bold=True),
           _text(width / 2, 40, tunnel_text(topology, plan), anchor="middle", colour="#555")]
    wan_y = 80
    wan_vips = [vip for vip in topology["vips"] if vip["zone"] == "wan"]
    lan_vips = [vip for vip in topology["vips"] if vip["zone"] == "lan"]
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c0392b" stroke-width="3"/>'
               % (_MARGIN, wan_y, width - _MARGIN, wan_y))
    out.append(_text(_MARGIN, wan_y - 6, "WAN" + _vip_text(wan_vips), colour="#c0392b", bold=True))
    for index, (dc, hosts) in enumerate(dcs.items()):
        left = _MARGIN + index * _COL_W + 5
        out.append('<g id="%s">' % _x("dc-%s" % dc))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="#fafafa" stroke="#888"/>'
                   % (left, _TOP, _COL_W - 10, lan_y - 20 - _TOP))
        out.append(_text(left + 10, _TOP + 20, dc, size=14, bold=True))
        for row, host in enumerate(hosts):
            entry = topology["hosts"][host]
            y = _TOP + 32 + row * (_HOST_H + _GAP)
            public = bool(entry["wan_ip"])
            out.append('<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="#eef4fb" stroke="%s"/>'
                       % (left + 10, y, _COL_W - 30, _HOST_H, "#c0392b" if public else "#666"))
            out.append(_text(left + 16, y + 16, host, bold=True))
            out.append(_text(left + 16, y + 31, ", ".join(entry["tiers"]), colour="#555"))
            out.append(_text(left + 16, y + 46, "LAN %s%s" % (
                entry["lan_ip"] or "not set", "  WAN %s" % entry["wan_ip"] if public else ""), size=11))
            out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#2c6fbb"/>'
                       % (left + 14, y + _HOST_H, left + 14, lan_y))
            if public:
                out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c0392b"/>'
                           % (left + _COL_W - 26, y, left + _COL_W - 26, wan_y))
        out.append("</g>")
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#2c6fbb" stroke-width="3"/>'
               % (_MARGIN, lan_y, width - _MARGIN, lan_y))
    out.append(_text(_MARGIN, lan_y + 18, "LAN" + _vip_text(lan_vips), colour="#2c6fbb", bold=True))
    missing = [row for row in compare_with_plan(topology, plan) if row["status"] != "ok"]
    out.append(_text(_MARGIN, lan_y + 40, "Against the plan: " + (
        "; ".join("%s %s" % (row["tier"], row["status"]) for row in missing) or "every tier has its servers"),
        colour="#c0392b" if missing else "#2e7d32"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _vip_text(vips: Sequence[Mapping[str, Any]]) -> str:
    return " - VIPs: " + ", ".join("%s %s" % (vip["tier"], vip["address"]) for vip in vips) if vips else ""
