# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edge sizing: from a demand (variant, users, calls, DCs) to a plan.

The scaling rules, as read from the Technical Overview (the module
documentation of ``rainbow.edge.edge_plan`` repeats them for partners):

* **Variant and scale.** A Connected Edge is 7.4 + 8.3 (+ 8.4 with voice).
  A Standalone Edge is *small* (7.4 + 9.3) when it has at most 1000
  concurrent users **and** at most 5000 registered users, *large*
  (7.4 + 8.3 + 9.4, + 8.4 + 9.5 with voice) above either figure. Voice on a
  Standalone Edge exists only at large scale (9.5). Standalone Edges add the
  two send-only mail relays of 9.6 unless an external relay is used. A
  Connected Edge reports ``scale: large``: it has the clustered data tiers
  that section 7.2's "large scale deployments" recommendations are about.
* **"Double up the footprint for every 20k concurrent users" (8.3, 9.4)** is
  read as *one more copy of the base application footprint for every
  started block of 20k concurrent users*: ``sets = max(1, ceil(concurrent /
  20000), ceil(registered / 100000))`` and every 8.3 / 9.4 tier count is
  multiplied by ``sets``. From 20k to 40k users this doubles the footprint,
  as the text says; beyond that it grows linearly (60k = 3x). The
  exponential reading (x2 for each further 20k: 60k = 4x, 200k = 512x) is
  rejected: the base is stated as the capacity for 20k users, capacity grows
  with the servers added, and 9.4 itself says "doubles up approximately".
  Registered users count at 100k per set, the conservative end of the
  "100-200k" range and the figure the base footprint is stated for.
  Sets grow the server count (horizontal scaling); 8.3 leaves the
  horizontal/vertical choice to ALE Operations, and a vertical choice can be
  written as ``overrides``.
* **Voice (8.4, 9.5).** ``voice_sets = max(1, ceil(voice_users / 50000),
  ceil(concurrent_calls / 2000))``: each multiplies the 8.4 tiers and the 9.5
  voice proxies. Voice web and database pairs hold 200k subscribers each:
  ``max(1, ceil(voice_users / 200000))``.
* **Generic tiers (7.4) are invariant**; 9.3 (small) and 9.6 (mail) are fixed.
* **Several datacenters (7.1).** Active-active use "should not exceed half
  of the processing capabilities": with ``datacenters > 1`` and
  ``active_active`` (default), sets are computed for twice the load. The
  scale (small/large) is always chosen on the nominal figures.
* If ``registered_users`` is not given it is taken as 5 x concurrent users,
  the ratio of both sized tables (1000/5000 in 9.3, 20k/100k in 8.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils import edge_footprint as fp
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    EdgeInputError,
    as_bool,
    as_int,
    as_list,
    as_mapping,
    as_str,
    check_keys,
)

VARIANTS = ("connected", "standalone")
SCALES = ("auto", "small", "large")
MAIL_RELAYS = ("edge", "external")
MAX_USERS = 100000000
MAX_DATACENTERS = 3
# A /28 "when Internet-facing services are expected" (7.2): 16 addresses
# less network, broadcast and the gateway.
USABLE_IN_SLASH28 = 13

# The sizing options, shared by the edge_plan and edge_validate modules.
PLAN_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = dict(
    variant=dict(type="str", default="connected", choices=list(VARIANTS)),
    voice=dict(type="bool", default=False),
    concurrent_users=dict(type="int", default=0),
    registered_users=dict(type="int"),
    voice_users=dict(type="int", default=0),
    concurrent_calls=dict(type="int", default=0),
    datacenters=dict(type="int", default=1),
    active_active=dict(type="bool", default=True),
    scale=dict(type="str", default="auto", choices=list(SCALES)),
    mail_relay=dict(type="str", default="edge", choices=list(MAIL_RELAYS)),
    overrides=dict(type="dict", default={}),
)

_OVERRIDE_KEYS = frozenset(("count", "vcpus", "memory_gb", "disks"))
_DISK_KEYS = frozenset(("size_gb", "iops", "label"))


@dataclass(frozen=True)
class Demand:
    """What the partner asks for, checked and with defaults filled in."""

    variant: str
    voice: bool
    concurrent_users: int
    registered_users: int
    voice_users: int
    concurrent_calls: int
    datacenters: int
    active_active: bool
    scale: str
    mail_relay: str
    registered_given: bool

    def as_dict(self) -> Dict[str, Any]:
        return {
            "variant": self.variant, "voice": self.voice,
            "concurrent_users": self.concurrent_users,
            "registered_users": self.registered_users,
            "voice_users": self.voice_users, "concurrent_calls": self.concurrent_calls,
            "datacenters": self.datacenters, "active_active": self.active_active,
            "scale": self.scale, "mail_relay": self.mail_relay,
        }


def read_demand(options: Mapping[str, Any]) -> Demand:
    """Check the sizing options (module params or a plain dict) into a Demand."""
    opts = as_mapping(options, "options")
    variant = as_str(opts.get("variant", "connected"), "variant").lower()
    if variant not in VARIANTS:
        raise EdgeInputError("variant must be one of %s, got %r" % (", ".join(VARIANTS), variant))
    concurrent = as_int(_or(opts.get("concurrent_users"), 0), "concurrent_users", 0, MAX_USERS)
    registered_raw = opts.get("registered_users")
    registered_given = registered_raw is not None
    registered = (as_int(registered_raw, "registered_users", 0, MAX_USERS) if registered_given
                  else min(concurrent * fp.REGISTERED_PER_CONCURRENT, MAX_USERS))
    if registered < concurrent:
        raise EdgeInputError(
            "registered_users (%d) cannot be below concurrent_users (%d): every connected "
            "user is a registered user" % (registered, concurrent))
    datacenters = as_int(_or(opts.get("datacenters"), 1), "datacenters", 1, MAX_DATACENTERS)
    scale = as_str(_or(opts.get("scale"), "auto"), "scale").lower()
    if scale not in SCALES:
        raise EdgeInputError("scale must be one of %s, got %r" % (", ".join(SCALES), scale))
    mail_relay = as_str(_or(opts.get("mail_relay"), "edge"), "mail_relay").lower()
    if mail_relay not in MAIL_RELAYS:
        raise EdgeInputError("mail_relay must be one of %s, got %r" % (", ".join(MAIL_RELAYS), mail_relay))
    return Demand(
        variant=variant,
        voice=as_bool(_or(opts.get("voice"), False), "voice"),
        concurrent_users=concurrent,
        registered_users=registered,
        voice_users=as_int(_or(opts.get("voice_users"), 0), "voice_users", 0, MAX_USERS),
        concurrent_calls=as_int(_or(opts.get("concurrent_calls"), 0), "concurrent_calls", 0, MAX_USERS),
        datacenters=datacenters,
        active_active=as_bool(_or(opts.get("active_active"), True), "active_active"),
        scale=scale,
        mail_relay=mail_relay,
        registered_given=registered_given,
    )


def choose_scale(demand: Demand) -> str:
    """small or large (9.3 / 9.4 thresholds); a Connected Edge counts as large."""
    if demand.variant == "connected":
        if demand.scale == "small":
            raise EdgeInputError("scale small exists only for a Standalone Edge (9.3); "
                                 "a Connected Edge has one footprint (8.3)")
        return "large"
    fits_small = (demand.concurrent_users <= fp.SMALL_MAX_CONCURRENT
                  and demand.registered_users <= fp.SMALL_MAX_REGISTERED)
    if demand.scale == "small" and not fits_small:
        raise EdgeInputError(
            "scale small holds at most %d concurrent and %d registered users (9.3); asked for "
            "%d concurrent and %d registered: use scale large (or auto)"
            % (fp.SMALL_MAX_CONCURRENT, fp.SMALL_MAX_REGISTERED,
               demand.concurrent_users, demand.registered_users))
    if demand.scale == "auto":
        return "small" if fits_small else "large"
    return demand.scale


def load_factor(demand: Demand) -> int:
    """2 when active-active DCs must each keep half their capacity free (7.1)."""
    return 2 if demand.datacenters > 1 and demand.active_active else 1


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer ceiling division (no float rounding at 10^8 users)."""
    return -(-numerator // denominator)


def compute_sets(demand: Demand) -> Dict[str, int]:
    """How many copies of each scalable table the demand needs (see module doc)."""
    factor = load_factor(demand)
    return {
        "application": max(1, ceil_div(demand.concurrent_users * factor, fp.USERS_PER_SET),
                           ceil_div(demand.registered_users * factor, fp.REGISTERED_PER_SET)),
        "voice": max(1, ceil_div(demand.voice_users * factor, fp.VOICE_USERS_PER_SET),
                     ceil_div(demand.concurrent_calls * factor, fp.VOICE_CALLS_PER_SET)),
        "voice_subscribers": max(1, ceil_div(demand.voice_users * factor,
                                             fp.VOICE_SUBSCRIBERS_PER_PAIR)),
    }


def _multiplier(row: fp.TierRow, sets: Mapping[str, int], scale: str) -> int:
    if row.scaling == fp.USERS and scale == "large":
        return sets["application"]
    if row.scaling == fp.VOICE:
        return sets["voice"]
    if row.scaling == fp.VOICE_SUBSCRIBERS:
        return sets["voice_subscribers"]
    return 1


def _tier_entry(row: fp.TierRow, groups: int) -> Dict[str, Any]:
    """A tier of the plan: the row's per-server figures and the server count."""
    return {
        "count": row.count * groups,
        "groups": groups,
        "title": row.title,
        "section": row.section,
        "ha": row.ha,
        "vcpus": row.vcpus,
        "memory_gb": row.memory_gb,
        "disks": [disk.as_dict() for disk in row.disks],
        "nics": [nic.as_dict() for nic in row.nics],
        "scaling": row.scaling,
        "data": row.data,
        "public": row.needs_wan,
        "assumed": list(row.assumed),
        "unstated": list(row.unstated),
        "overridden": [],
    }


def build_plan(options: Mapping[str, Any], overrides: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The plan for a demand: tiers, totals, placement over DCs and warnings.

    Pure and deterministic (no I/O, no clock): the same options always give
    the same plan, which is what lets the validator and the BoM agree.
    """
    demand = read_demand(options)
    scale = choose_scale(demand)
    if demand.voice and demand.variant == "standalone" and scale == "small":
        raise EdgeInputError(
            "voice on a Standalone Edge exists only at large scale (9.5); %d concurrent and %d "
            "registered users is a small Edge (at most %d and %d): set scale: large, or plan "
            "voice on a Connected Edge"
            % (demand.concurrent_users, demand.registered_users,
               fp.SMALL_MAX_CONCURRENT, fp.SMALL_MAX_REGISTERED))
    sets = compute_sets(demand)
    mail = demand.variant == "standalone" and demand.mail_relay == "edge"
    sections = fp.sections_for(demand.variant, scale, demand.voice, mail)
    tiers: Dict[str, Dict[str, Any]] = {}
    for row in fp.rows_for(sections):
        tiers[row.tier] = _tier_entry(row, _multiplier(row, sets, scale))
    warnings, notes = _demand_notes(demand, scale)
    warnings.extend(apply_overrides(tiers, overrides))
    dcs = ["dc%d" % (index + 1) for index in range(demand.datacenters)]
    placement = place(tiers, dcs)
    totals = compute_totals(tiers)
    warnings.extend(_plan_warnings(tiers, demand, totals))
    return {
        "variant": demand.variant,
        "voice": demand.voice,
        "scale": scale,
        "datacenters": dcs,
        "demand": demand.as_dict(),
        "load_factor": load_factor(demand),
        "sets": sets,
        "sections": list(sections),
        "tiers": tiers,
        "totals": totals,
        "placement": placement,
        "warnings": warnings,
        "notes": notes,
    }


def apply_overrides(tiers: Dict[str, Dict[str, Any]], overrides: Optional[Mapping[str, Any]]) -> List[str]:
    """Replace per-tier figures (a footprint agreed with ALE Operations, or a lab).

    Every override is repeated as a warning so that a report never shows an
    overridden footprint as if it were the documents' one.
    """
    notes: List[str] = []
    for tier, change in sorted(as_mapping(overrides, "overrides").items()):
        if tier not in tiers:
            raise EdgeInputError("overrides.%s: no such tier in this plan (tiers: %s)"
                                 % (tier, ", ".join(sorted(tiers))))
        field = "overrides.%s" % tier
        change = as_mapping(change, field)
        check_keys(change, _OVERRIDE_KEYS, field)
        entry = tiers[tier]
        for key in sorted(change):
            old = entry[key]
            if key == "disks":
                new: Any = _read_disks(change[key], field + ".disks")
                shown_old = _disk_text(old)
                shown_new = _disk_text(new)
            else:
                new = as_int(change[key], "%s.%s" % (field, key), 0, MAX_USERS)
                shown_old, shown_new = str(old), str(new)
            # An agreed figure is a requirement, even where it repeats the plan's assumption.
            if key in entry["unstated"]:
                entry["unstated"].remove(key)
            if new != old:
                entry[key] = new
                entry["overridden"].append(key)
                notes.append("tier %s: %s overridden (%s -> %s), not the documents' figure"
                             % (tier, key, shown_old, shown_new))
    return notes


def _read_disks(value: Any, field: str) -> List[Dict[str, Any]]:
    disks = []
    for index, item in enumerate(as_list(value, field)):
        where = "%s[%d]" % (field, index)
        if isinstance(item, Mapping):
            check_keys(item, _DISK_KEYS, where)
            size = as_int(item.get("size_gb"), where + ".size_gb", 1, 10 ** 7)
            iops = as_str(item.get("iops", fp.STANDARD), where + ".iops").lower()
            if iops not in (fp.STANDARD, fp.OPTIMIZED):
                raise EdgeInputError("%s.iops must be standard or optimized, got %r" % (where, iops))
        else:
            size, iops = as_int(item, where, 1, 10 ** 7), fp.STANDARD
        disks.append({"size_gb": size, "iops": iops, "stated": True})
    return disks


def _disk_text(disks: List[Mapping[str, Any]]) -> str:
    return "+".join(str(disk["size_gb"]) for disk in disks) or "none"


def place(tiers: Mapping[str, Mapping[str, Any]], dcs: List[str]) -> Dict[str, Dict[str, int]]:
    """Spread each tier's servers over the DCs, round robin (7.1: instances on each DC).

    The starting DC moves on after each tier with a remainder, so single
    servers (logs, backup, metrics...) do not all pile up in dc1.
    """
    placement: Dict[str, Dict[str, int]] = {dc: {} for dc in dcs}
    start = 0
    for tier, entry in tiers.items():
        count = entry["count"]
        base, extra = divmod(count, len(dcs))
        for offset in range(len(dcs)):
            index = (start + offset) % len(dcs)
            number = base + (1 if offset < extra else 0)
            if number:
                placement[dcs[index]][tier] = number
        start = (start + extra) % len(dcs)
    return placement


def tier_addresses(entry: Mapping[str, Any], zone: str) -> Tuple[int, int]:
    """(addresses held by servers, VIPs) a tier needs on a zone."""
    own = sum(nic["ipv4"] for nic in entry["nics"] if nic["zone"] == zone) * entry["count"]
    vips = sum(nic["vips"] for nic in entry["nics"] if nic["zone"] == zone) * entry["groups"]
    return own, vips


def compute_totals(tiers: Mapping[str, Mapping[str, Any]]) -> Dict[str, int]:
    """Sums for the bill of materials."""
    totals = {"hosts": 0, "vcpus": 0, "memory_gb": 0, "disk_gb": 0,
              "lan_ipv4": 0, "public_ipv4": 0, "vips": 0}
    for entry in tiers.values():
        count = entry["count"]
        totals["hosts"] += count
        totals["vcpus"] += count * entry["vcpus"]
        totals["memory_gb"] += count * entry["memory_gb"]
        totals["disk_gb"] += count * sum(disk["size_gb"] for disk in entry["disks"])
        lan_own, lan_vips = tier_addresses(entry, fp.LAN)
        wan_own, wan_vips = tier_addresses(entry, fp.WAN)
        totals["lan_ipv4"] += lan_own + lan_vips
        totals["public_ipv4"] += wan_own + wan_vips
        totals["vips"] += lan_vips + wan_vips
    return totals


def _demand_notes(demand: Demand, scale: str) -> Tuple[List[str], List[str]]:
    """(warnings, notes) about the demand itself: what was assumed or ignored."""
    warnings: List[str] = []
    notes: List[str] = []
    if not demand.registered_given:
        notes.append("registered_users not given: taken as %d (5 x concurrent users, the ratio "
                     "of the documents' tables)" % demand.registered_users)
    if not demand.voice and (demand.voice_users or demand.concurrent_calls):
        warnings.append("voice is false: voice_users and concurrent_calls are ignored")
    if demand.voice and not (demand.voice_users or demand.concurrent_calls):
        notes.append("voice_users and concurrent_calls not given: voice sized for its minimum "
                     "set (50k subscribers, 2000 concurrent calls)")
    if load_factor(demand) > 1:
        notes.append("%d active-active datacenters: scalable tiers sized for twice the load, so "
                     "that use stays at or below half of capacity (7.1)" % demand.datacenters)
    if demand.variant == "standalone" and scale == "small" and demand.concurrent_users < fp.SMALL_MIN_CONCURRENT:
        notes.append("%d concurrent users is below the 500-1000 the small footprint is described "
                     "for (9.3); it is the smallest Edge there is" % demand.concurrent_users)
    if (demand.variant == "standalone" and demand.scale == "large"
            and demand.concurrent_users <= fp.SMALL_MAX_CONCURRENT
            and demand.registered_users <= fp.SMALL_MAX_REGISTERED):
        notes.append("scale large forced: the figures alone would fit a small Edge (9.3)")
    if demand.variant == "connected":
        notes.append("Connected Edge: 100 Mbps to 1 Gbps of Internet bandwidth recommended, "
                     "50 Mbps minimum (8.2)")
    return warnings, notes


def _plan_warnings(tiers: Mapping[str, Mapping[str, Any]], demand: Demand, totals: Mapping[str, int]) -> List[str]:
    """Warnings about the resulting plan: assumptions, DC spread, address space."""
    warnings = []
    for tier, entry in tiers.items():
        for text in entry["assumed"]:
            warnings.append("tier %s: %s" % (tier, text))
    if demand.datacenters > 1:
        single = sorted(tier for tier, entry in tiers.items() if 0 < entry["count"] < demand.datacenters)
        if single:
            warnings.append("fewer servers than datacenters, so not every DC holds one: %s"
                            % ", ".join(single))
    if totals["public_ipv4"] > USABLE_IN_SLASH28:
        warnings.append("%d public IPv4 addresses needed: more than a /28 (the recommended WAN "
                        "subnet, 7.2) provides" % totals["public_ipv4"])
    return warnings


def _or(value: Any, default: Any) -> Any:
    """Module params hold None for options not given: fall back to the default."""
    return default if value is None else value
