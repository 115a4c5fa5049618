# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render plans and validation results for people and CI.

Plans become a bill of materials (Markdown, HTML) and a topology picture
(SVG) a partner can read without Ansible; validation results become JUnit
XML so CI shows each host as a test case. Rendering lives in Python, not in
Jinja templates, because the same code is unit-tested (well-formed XML,
every tier present) and runs wherever the modules run.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import tier_addresses

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_KIND_COLOURS = {
    "generic": "#e8e8e8",
    "data": "#cfe2ff",
    "application": "#d1f0d6",
    "voice": "#ffe5c2",
}


def describe(plan: Mapping[str, Any]) -> str:
    """One sentence: which Edge this plan is."""
    voice = ", with voice" if plan["voice"] else ""
    dcs = len(plan["datacenters"])
    return "%s Edge, %s scale%s, %d datacenter%s" % (
        plan["variant"].capitalize(), plan["scale"], voice, dcs, "" if dcs == 1 else "s")


def demand_line(plan: Mapping[str, Any]) -> str:
    demand = plan["demand"]
    parts = ["%d concurrent users" % demand["concurrent_users"],
             "%d registered users" % demand["registered_users"]]
    if plan["voice"]:
        parts += ["%d voice subscribers" % demand["voice_users"],
                  "%d concurrent calls" % demand["concurrent_calls"]]
    return ", ".join(parts)


_CLASS = {"standard": "std", "optimized": "opt"}


def disks_text(disks: Sequence[Mapping[str, Any]]) -> str:
    """64 std + 256 opt + 256 opt."""
    return " + ".join("%d %s" % (disk["size_gb"], _CLASS.get(disk["iops"], disk["iops"])) for disk in disks) or "-"


def nics_text(nics: Sequence[Mapping[str, Any]]) -> str:
    """LAN 1 + VIP; WAN 2."""
    parts = []
    for nic in nics:
        text = "%s %d" % (nic["zone"].upper(), nic["ipv4"])
        if nic["vips"]:
            text += " + %s" % ("VIP" if nic["vips"] == 1 else "%d VIP" % nic["vips"])
        parts.append(text)
    return "; ".join(parts)


def bom_rows(plan: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """One row per tier with per-server and per-tier figures (shared by MD and HTML)."""
    rows = []
    for tier, entry in plan["tiers"].items():
        count = entry["count"]
        per_disk = sum(disk["size_gb"] for disk in entry["disks"])
        rows.append({
            "tier": tier, "title": entry["title"], "section": entry["section"],
            "count": count, "ha": entry["ha"] or "-", "vcpus": entry["vcpus"],
            "memory_gb": entry["memory_gb"], "disks": disks_text(entry["disks"]),
            "nics": nics_text(entry["nics"]),
            "total_vcpus": count * entry["vcpus"], "total_memory_gb": count * entry["memory_gb"],
            "total_disk_gb": count * per_disk,
            "note": ", ".join("%s overridden" % key for key in entry["overridden"]),
        })
    return rows


_BOM_HEADER = ("Tier", "Server", "Section", "Servers", "HA", "vCPU", "RAM GB", "Disks (GB, class)",
               "Network (IPv4 per server)", "vCPU total", "RAM GB total", "Disk GB total")


def plan_markdown(plan: Mapping[str, Any]) -> str:
    """The bill of materials as Markdown (what docs/sizing.md shows partners)."""
    totals = plan["totals"]
    lines = ["# Rainbow Edge bill of materials", "",
             "%s." % describe(plan), "", "Sized for %s." % demand_line(plan), "",
             "Scaling: %d application set(s), %d voice set(s), %d voice web/database pair(s); "
             "load factor %d." % (plan["sets"]["application"], plan["sets"]["voice"] if plan["voice"] else 0,
                                  plan["sets"]["voice_subscribers"] if plan["voice"] else 0,
                                  plan["load_factor"]),
             "", "## Servers per tier", "",
             "Sizes are per server. Disk class: std = Standard, opt = Optimized (high-performance) "
             "datastore. Network: IPv4 addresses each server holds per zone, VIPs shared by the tier.", "",
             "| " + " | ".join(_BOM_HEADER) + " |",
             "|" + "---|" * len(_BOM_HEADER)]
    for row in bom_rows(plan):
        cells = ["`%s`" % row["tier"], row["title"] + (" (%s)" % row["note"] if row["note"] else ""),
                 row["section"], row["count"], row["ha"], row["vcpus"], row["memory_gb"], row["disks"],
                 row["nics"], row["total_vcpus"], row["total_memory_gb"], row["total_disk_gb"]]
        lines.append("| " + " | ".join(_md(cell) for cell in cells) + " |")
    lines.append("| **Total** | | | **%d** | | | | | | **%d** | **%d** | **%d** |"
                 % (totals["hosts"], totals["vcpus"], totals["memory_gb"], totals["disk_gb"]))
    lines += ["", "## Addresses", "",
              "- LAN (10.20.0.0/16, one L2 segment across DCs): %d IPv4 addresses, VIPs included"
              % totals["lan_ipv4"],
              "- WAN: %d public IPv4 addresses, VIPs included" % totals["public_ipv4"],
              "- VIPs (VRRP floating addresses): %d" % totals["vips"], "",
              "## Placement over datacenters", "",
              "| Tier | " + " | ".join(plan["datacenters"]) + " |",
              "|---|" + "---|" * len(plan["datacenters"])]
    for tier in plan["tiers"]:
        counts = [plan["placement"][dc].get(tier, 0) for dc in plan["datacenters"]]
        lines.append("| `%s` | %s |" % (tier, " | ".join(str(n) for n in counts)))
    lines += _md_list("Warnings", plan["warnings"]) + _md_list("Notes", plan.get("notes", []))
    return "\n".join(lines) + "\n"


def _md(cell: Any) -> str:
    return str(cell).replace("|", "\\|").replace("\n", " ")


def _md_list(title: str, items: Sequence[str]) -> List[str]:
    if not items:
        return []
    return ["", "## %s" % title, ""] + ["- %s" % _md(item) for item in items]


def plan_html(plan: Mapping[str, Any], svg: Optional[str] = None) -> str:
    """The bill of materials as a self-contained HTML page (topology inlined)."""
    esc = html.escape
    totals = plan["totals"]
    head = "".join("<th>%s</th>" % esc(cell) for cell in _BOM_HEADER)
    body = []
    for row in bom_rows(plan):
        cells = [row["tier"], row["title"] + (" (%s)" % row["note"] if row["note"] else ""), row["section"],
                 row["count"], row["ha"], row["vcpus"], row["memory_gb"], row["disks"], row["nics"],
                 row["total_vcpus"], row["total_memory_gb"], row["total_disk_gb"]]
        body.append("<tr>%s</tr>" % "".join("<td>%s</td>" % esc(str(cell)) for cell in cells))
    body.append("<tr class=\"total\"><th colspan=\"3\">Total</th><th>%d</th><td colspan=\"5\"></td>"
                "<th>%d</th><th>%d</th><th>%d</th></tr>"
                % (totals["hosts"], totals["vcpus"], totals["memory_gb"], totals["disk_gb"]))
    place_head = "".join("<th>%s</th>" % esc(dc) for dc in plan["datacenters"])
    place_rows = "".join(
        "<tr><td>%s</td>%s</tr>" % (esc(tier), "".join(
            "<td>%d</td>" % plan["placement"][dc].get(tier, 0) for dc in plan["datacenters"]))
        for tier in plan["tiers"])
    notes = "".join(_html_list(title, items) for title, items in
                    (("Warnings", plan["warnings"]), ("Notes", plan.get("notes", []))))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Rainbow Edge bill of materials</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #bbb;padding:.25em .5em;text-align:left}"
        "tr.total th{background:#eee}</style></head><body>\n"
        "<h1>Rainbow Edge bill of materials</h1>\n<p>%s. Sized for %s.</p>\n"
        "<h2>Servers per tier</h2>\n<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>\n"
        "<h2>Addresses</h2>\n<ul><li>LAN: %d IPv4 addresses (VIPs included)</li>"
        "<li>WAN: %d public IPv4 addresses (VIPs included)</li><li>VIPs: %d</li></ul>\n"
        "<h2>Placement over datacenters</h2>\n<table><thead><tr><th>Tier</th>%s</tr></thead>"
        "<tbody>%s</tbody></table>\n%s%s</body></html>\n"
        % (esc(describe(plan)), esc(demand_line(plan)), head, "".join(body), totals["lan_ipv4"],
           totals["public_ipv4"], totals["vips"], place_head, place_rows, notes,
           "<h2>Topology</h2>\n" + svg if svg else ""))


def _html_list(title: str, items: Sequence[str]) -> str:
    if not items:
        return ""
    return "<h2>%s</h2>\n<ul>%s</ul>\n" % (title, "".join("<li>%s</li>" % html.escape(i) for i in items))


def tier_kind(tier: str, entry: Mapping[str, Any]) -> str:
    """Colour family of a tier in the picture."""
    if entry["section"] == "7.4":
        return "generic"
    if entry["section"] in ("8.4", "9.5"):
        return "voice"
    if entry["data"]:
        return "data"
    return "application"


# Picture geometry (pixels).
_COL_W = 265
_BOX_W = 185
_BOX_H = 24
_GAP = 6
_MARGIN = 20
_TOP = 110


def plan_svg(plan: Mapping[str, Any]) -> str:
    """Topology: one column per DC, tiers as boxes, WAN bus above, LAN bus below.

    Each box shows its server count and VIPs; Internet-facing tiers connect
    to the WAN bus, every tier to the shared LAN (one L2 segment across DCs,
    7.2). The GateKeepers' WireGuard tunnel leads to Rainbow (Connected) or to
    ALE Operations only (Standalone, 6.2).
    """
    dcs = plan["datacenters"]
    tiers = plan["tiers"]
    per_dc = {dc: _ordered(plan["placement"][dc]) for dc in dcs}
    rows = max([len(items) for items in per_dc.values()] + [1])
    width = _MARGIN * 2 + _COL_W * len(dcs)
    col_h = 40 + rows * (_BOX_H + _GAP)
    lan_y = _TOP + col_h + 30
    height = lan_y + 110
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="sans-serif" font-size="12">' % (width, height, width, height),
           "<title>%s</title>" % _x("Rainbow Edge topology: " + describe(plan)),
           '<rect width="100%" height="100%" fill="white"/>']
    tunnel = "WireGuard tunnel to Rainbow cloud" if plan["variant"] == "connected" \
        else "WireGuard tunnel to ALE Operations (administration only)"
    out.append(_text(width / 2, 22, "Internet (public IPv4, WAN)", size=14, anchor="middle", bold=True))
    out.append(_text(width / 2, 40, tunnel, anchor="middle", colour="#555"))
    wan_y = 70
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c0392b" stroke-width="3"/>'
               % (_MARGIN, wan_y, width - _MARGIN, wan_y))
    out.append(_text(_MARGIN, wan_y - 6, "WAN", colour="#c0392b", bold=True))
    for index, dc in enumerate(dcs):
        out.extend(_dc_column(dc, index, per_dc[dc], tiers, wan_y, lan_y, col_h))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#2c6fbb" stroke-width="3"/>'
               % (_MARGIN, lan_y, width - _MARGIN, lan_y))
    out.append(_text(_MARGIN, lan_y + 18, "LAN 10.20.0.0/16: one L2 segment / VLAN across all DCs, "
                     "RTT between DCs at most 100 ms", colour="#2c6fbb", bold=True))
    out.extend(_legend(lan_y + 40, plan))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _ordered(counts: Mapping[str, int]) -> List[Tuple[str, int]]:
    """GateKeeper first (it is the DC's router), then the plan's order."""
    items = [(tier, n) for tier, n in counts.items() if n]
    return sorted(items, key=lambda item: item[0] != "gatekeeper")


def _dc_column(dc: str, index: int, items: Sequence[Tuple[str, int]], tiers: Mapping[str, Any],
               wan_y: int, lan_y: int, col_h: int) -> List[str]:
    left = _MARGIN + index * _COL_W + 10
    out = ['<g id="%s">' % _x(dc),
           '<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="#fafafa" stroke="#888"/>'
           % (left, _TOP, _COL_W - 20, col_h),
           _text(left + 10, _TOP + 20, dc, size=14, bold=True)]
    box_x = left + 40
    lan_trunk = left + 20
    wan_trunk = box_x + _BOX_W + 12
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#2c6fbb"/>'
               % (lan_trunk, _TOP + 30, lan_trunk, lan_y))
    has_wan = False
    for row, (tier, count) in enumerate(items):
        entry = tiers[tier]
        y = _TOP + 34 + row * (_BOX_H + _GAP)
        mid = y + _BOX_H // 2
        stroke = "#c0392b" if entry["public"] else "#666"
        out.append('<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" stroke="%s"/>'
                   % (box_x, y, _BOX_W, _BOX_H, _KIND_COLOURS[tier_kind(tier, entry)], stroke))
        out.append(_text(box_x + 6, mid + 4, "%s x%d" % (tier, count)))
        vips = sum(nic["vips"] for nic in entry["nics"])
        if vips:
            out.append(_text(box_x + _BOX_W - 6, mid + 4, "VIP" if vips == 1 else "%d VIP" % vips,
                             anchor="end", colour="#8e44ad", bold=True))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#2c6fbb"/>' % (lan_trunk, mid, box_x, mid))
        if entry["public"]:
            has_wan = True
            out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c0392b"/>'
                       % (box_x + _BOX_W, mid, wan_trunk, mid))
    if has_wan:
        last = max(row for row, (tier, _n) in enumerate(items) if tiers[tier]["public"])
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c0392b"/>'
                   % (wan_trunk, wan_y, wan_trunk, _TOP + 34 + last * (_BOX_H + _GAP) + _BOX_H // 2))
    out.append("</g>")
    return out


def _legend(y: int, plan: Mapping[str, Any]) -> List[str]:
    out = []
    x = _MARGIN
    for kind, colour in _KIND_COLOURS.items():
        if kind == "voice" and not plan["voice"]:
            continue
        out.append('<rect x="%d" y="%d" width="14" height="14" fill="%s" stroke="#666"/>' % (x, y, colour))
        out.append(_text(x + 20, y + 12, {"generic": "generic (7.4)", "data": "data",
                                          "application": "application", "voice": "voice"}[kind]))
        x += 120
    out.append('<rect x="%d" y="%d" width="14" height="14" fill="white" stroke="#c0392b"/>' % (x, y))
    out.append(_text(x + 20, y + 12, "Internet-facing (public IPv4)"))
    totals = plan["totals"]
    out.append(_text(_MARGIN, y + 36, "%d servers, %d vCPU, %d GB RAM, %d GB disk, %d public IPv4, %d VIPs"
                     % (totals["hosts"], totals["vcpus"], totals["memory_gb"], totals["disk_gb"],
                        totals["public_ipv4"], totals["vips"])))
    return out


def _clean(text: Any) -> str:
    """Text safe for XML: host names come from inventories, which allow anything."""
    return _NOT_XML.sub("?", str(text))


def _x(text: str) -> str:
    return html.escape(_clean(text), quote=True)


def _text(x: float, y: float, text: str, size: int = 12, anchor: str = "start",
          colour: str = "#222", bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return '<text x="%g" y="%g" font-size="%d" text-anchor="%s" fill="%s"%s>%s</text>' % (
        x, y, size, anchor, colour, weight, _x(text))


def render_plan(plan: Mapping[str, Any], formats: Sequence[str]) -> Dict[str, str]:
    """The documents asked for: markdown, html (with the SVG inlined), svg."""
    svg = plan_svg(plan) if ("svg" in formats or "html" in formats) else None
    documents: Dict[str, str] = {}
    if "markdown" in formats:
        documents["markdown"] = plan_markdown(plan)
    if "html" in formats:
        documents["html"] = plan_html(plan, svg)
    if "svg" in formats and svg is not None:
        documents["svg"] = svg
    return documents


def address_summary(plan: Mapping[str, Any]) -> Dict[str, Dict[str, int]]:
    """Per tier: LAN and WAN addresses and VIPs (for the JSON consumers)."""
    out = {}
    for tier, entry in plan["tiers"].items():
        lan, lan_vips = tier_addresses(entry, "lan")
        wan, wan_vips = tier_addresses(entry, "wan")
        out[tier] = {"lan_ipv4": lan, "lan_vips": lan_vips, "public_ipv4": wan, "wan_vips": wan_vips}
    return out


def junit_xml(result: Mapping[str, Any], suite: str = "rainbow.edge.preflight") -> str:
    """JUnit XML: a test case per checked (host, tier), failures and warnings inside.

    A case holds one <failure> with every failed check of that host as text
    (several <failure> elements per case break some CI parsers); warnings go
    to <system-out> so they are visible without failing the build.
    """
    cases: Dict[Tuple[Optional[str], Optional[str]], Dict[str, List[str]]] = {}
    for item in result.get("checked", []):
        cases.setdefault((item["host"], item["tier"]), {"failures": [], "warnings": []})
    for kind in ("failures", "warnings"):
        for finding in result.get(kind, []):
            key = (finding["host"], finding["tier"])
            cases.setdefault(key, {"failures": [], "warnings": []})[kind].append(_finding_text(finding))
    failed = sum(1 for case in cases.values() if case["failures"])
    root = ET.Element("testsuites", name=suite, tests=str(len(cases)), failures=str(failed), errors="0")
    suite_el = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)),
                             failures=str(failed), errors="0", skipped="0")
    for (host, tier), case in cases.items():
        classname = _clean("%s.%s" % (suite, tier or "edge"))
        name = _clean(host or ("server count" if tier else "datacenters and network"))
        case_el = ET.SubElement(suite_el, "testcase", classname=classname, name=name, time="0")
        if case["failures"]:
            failure = ET.SubElement(case_el, "failure", type="footprint",
                                    message=_clean("%d check(s) failed: %s" % (
                                        len(case["failures"]), case["failures"][0].split(":", 1)[0])))
            failure.text = _clean("\n".join(case["failures"]))
        if case["warnings"]:
            out = ET.SubElement(case_el, "system-out")
            out.text = _clean("\n".join("WARNING " + text for text in case["warnings"]))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _finding_text(finding: Mapping[str, Any]) -> str:
    return "%s: expected %s, got %s (%s)" % (finding["check"], finding["expected"], finding["actual"],
                                             finding["hint"])
