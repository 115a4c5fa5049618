# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Edge footprint tables, one row per server type, as data.

Source of truth: "Rainbow Edge Offer, Technical Overview Ed 05" sections 7-9
(shared/reference/edge-technical-overview.txt). Every row below quotes its
section; where the document leaves a figure out, the row says so in
``assumed`` and the plan repeats it as a warning, so nobody mistakes an
assumption for a requirement.

Reading of the tables:

* Sizes are per server. "GB" of RAM and disk are read as the binary units a
  hypervisor allocates (a "64 GB" disk is 64 GiB).
* The "IPv4" column counts the addresses a server holds itself on that
  network; "+ VIP" / "+ 2 VIP" are floating VRRP addresses shared by the
  tier. "WAN 2" (All-in-One, public load balancer) is two public addresses on
  the WAN side, not two WAN NICs.
* Tables 7.4, 9.3 and 9.4 have no HA column: ``ha`` is ``None`` there, except
  9.3 whose text says HA "is covered through infrastructure's virtualization
  capabilities".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

STANDARD = "standard"
OPTIMIZED = "optimized"

LAN = "lan"
WAN = "wan"

# How a tier's count grows (see edge_plan for the rules).
INVARIANT = "invariant"          # 7.4: every Edge, whatever its size
FIXED = "fixed"                  # 9.3 small scale and 9.6 mail: never scaled
USERS = "users"                  # 8.3 / 9.4: one more set per 20k concurrent users
VOICE = "voice"                  # 8.4 and 9.5 proxies: per 50k subscribers / 2000 calls
VOICE_SUBSCRIBERS = "voice_subscribers"  # 9.5 web + database: per 200k subscribers

TIER_NAMES = (
    "gatekeeper", "logs", "backup", "metrics",
    "xmpp", "mariadb", "mongodb", "private_lb", "swift",
    "aio", "turn", "conference",
    "api", "public_lb", "cloud_pbx_gateway",
    "icn", "voice_pbx_orchestrator", "voice_pbx_gateway",
    "voice_web", "voice_proxy", "voice_db",
    "mail",
)


@dataclass(frozen=True)
class Disk:
    """One disk of a server: size and datastore class (Standard/Optimized).

    ``stated`` is False for a size the document leaves out (the All-in-One's
    "OS" disk): the validator warns about a smaller disk instead of failing.
    """

    size_gb: int
    iops: str
    label: str = ""
    stated: bool = True

    def as_dict(self) -> Dict[str, object]:
        out: Dict[str, object] = {"size_gb": self.size_gb, "iops": self.iops, "stated": self.stated}
        if self.label:
            out["label"] = self.label
        return out


@dataclass(frozen=True)
class Nic:
    """One network attachment: zone, addresses held by the server, shared VIPs."""

    zone: str
    ipv4: int = 1
    vips: int = 0

    def as_dict(self) -> Dict[str, object]:
        return {"zone": self.zone, "ipv4": self.ipv4, "vips": self.vips}


@dataclass(frozen=True)
class TierRow:
    """One row of a footprint table (one server type)."""

    tier: str
    title: str
    section: str
    count: int
    ha: Optional[str]
    vcpus: int
    memory_gb: int
    disks: Tuple[Disk, ...]
    nics: Tuple[Nic, ...]
    scaling: str
    data: bool = False
    assumed: Tuple[str, ...] = ()
    # Figures of vcpus/memory_gb the document leaves out (assumed, see
    # ``assumed``): warned about, never failed on.
    unstated: Tuple[str, ...] = ()

    @property
    def needs_wan(self) -> bool:
        """Internet-facing: must hold public IPv4 on a WAN NIC (7.2, 8.2)."""
        return any(nic.zone == WAN for nic in self.nics)

    @property
    def wan_ipv4(self) -> int:
        return sum(nic.ipv4 for nic in self.nics if nic.zone == WAN)

    @property
    def vips(self) -> int:
        return sum(nic.vips for nic in self.nics)


def _std(*sizes: int) -> Tuple[Disk, ...]:
    return tuple(Disk(size, STANDARD) for size in sizes)


def _lan(vips: int = 0) -> Nic:
    return Nic(LAN, 1, vips)


_LAN_ONLY = (_lan(),)
_DATA_DISKS = (Disk(64, STANDARD), Disk(256, OPTIMIZED), Disk(256, OPTIMIZED))
_SWIFT_DISKS = _std(64, 1024, 1024, 1024)

# 7.4 Generic Hardware Footprint: every Edge, every variant, never scaled.
GENERIC = (
    TierRow("gatekeeper", "Edge Gateway (GateKeeper)", "7.4", 2, None, 2, 2,
            _std(64, 256), (Nic(WAN, 1), _lan(vips=1)), INVARIANT),
    TierRow("logs", "Logs (ELK)", "7.4", 1, None, 4, 32,
            (Disk(1024, OPTIMIZED),), _LAN_ONLY, INVARIANT, data=True),
    TierRow("backup", "Backup", "7.4", 1, None, 1, 2,
            _std(64, 2048, 2048), _LAN_ONLY, INVARIANT, data=True),
    TierRow("metrics", "Metrics + Monitoring", "7.4", 1, None, 2, 2,
            _std(64, 512), _LAN_ONLY, INVARIANT),
)

# 8.3 Connected Edge: up to 20k concurrent (100k registered) users.
CONNECTED = (
    TierRow("xmpp", "XMPP server (\"XMP Server\")", "8.3", 2, "M/S", 4, 16,
            _std(64), _LAN_ONLY, USERS),
    TierRow("mariadb", "MySQL/MariaDB", "8.3", 2, "M/S", 4, 64,
            _DATA_DISKS, _LAN_ONLY, USERS, data=True),
    TierRow("mongodb", "MongoDB", "8.3", 3, "M/S/S", 4, 64,
            _DATA_DISKS, _LAN_ONLY, USERS, data=True),
    TierRow("private_lb", "Private load balancer", "8.3", 2, "M/M", 4, 4,
            _std(64), (_lan(vips=2),), USERS),
    TierRow("swift", "Swift object storage", "8.3", 3, "M/M/M", 6, 16,
            _SWIFT_DISKS, _LAN_ONLY, USERS, data=True),
)

# 8.4 Rainbow Voice on a Connected Edge (also part of 9.5): per 50k
# subscribed users / 2000 concurrent calls.
CONNECTED_VOICE = (
    TierRow("icn", "In-Country Node (ICN)", "8.4", 2, "M/S", 16, 64,
            _std(128), (_lan(vips=1), Nic(WAN, 1, 1)), VOICE),
    TierRow("voice_pbx_orchestrator", "Voice Cloud PBX Orchestrator", "8.4", 1, "M", 2, 6,
            _std(128), _LAN_ONLY, VOICE),
    TierRow("voice_pbx_gateway", "Voice Cloud PBX Gateway", "8.4", 5, "M/M", 2, 6,
            _std(128), _LAN_ONLY, VOICE),
)

# 9.3 Standalone Edge, small scale: 500-1000 concurrent, 5000 registered.
STANDALONE_SMALL = (
    TierRow("aio", "All-in-One (AiO)", "9.3", 1, "virtualisation", 8, 32,
            (Disk(64, STANDARD, "os", stated=False), Disk(512, OPTIMIZED), Disk(512, OPTIMIZED)),
            (_lan(), Nic(WAN, 2)), FIXED,
            assumed=("the OS disk size is not stated (\"OS\"); 64 GB assumed, as every other OS disk",)),
    TierRow("turn", "WebRTC STUN/TURN server", "9.3", 1, "virtualisation", 1, 4,
            _std(64), (_lan(), Nic(WAN, 1)), FIXED),
    TierRow("conference", "WebRTC conferencing server", "9.3", 1, "virtualisation", 4, 8,
            _std(64), (_lan(), Nic(WAN, 1)), FIXED),
    TierRow("swift", "Swift object storage", "9.3", 1, "virtualisation", 4, 16,
            _SWIFT_DISKS, _LAN_ONLY, FIXED, data=True),
)

# 9.4 Standalone Edge, large scale: on top of 7.4 and 8.3.
STANDALONE_LARGE = (
    TierRow("api", "API servers", "9.4", 2, None, 4, 16, _std(64), _LAN_ONLY, USERS),
    TierRow("turn", "WebRTC STUN/TURN server", "9.4", 2, None, 1, 4,
            _std(64), (_lan(), Nic(WAN, 1)), USERS),
    TierRow("conference", "WebRTC conferencing server", "9.4", 2, None, 4, 8,
            _std(64), (_lan(), Nic(WAN, 1)), USERS),
    TierRow("public_lb", "Public load balancer", "9.4", 2, None, 4, 4,
            _std(64), (_lan(), Nic(WAN, 2)), USERS),
    TierRow("cloud_pbx_gateway", "Cloud PBX Gateway", "9.4", 2, None, 4, 4,
            _std(128), _LAN_ONLY, USERS),
)

# 9.5 Rainbow Voice on a large Standalone Edge: on top of 9.4 and 8.4.
STANDALONE_VOICE = (
    TierRow("voice_web", "Voice web server", "9.5", 2, "M/S", 16, 64,
            _std(128), (_lan(vips=1),), VOICE_SUBSCRIBERS),
    TierRow("voice_proxy", "Voice proxy", "9.5", 2, "M/S", 16, 64,
            _std(128), (_lan(vips=1),), VOICE),
    TierRow("voice_db", "Voice database", "9.5", 2, "M/S", 16, 64,
            (Disk(2048, OPTIMIZED),), (_lan(vips=1),), VOICE_SUBSCRIBERS, data=True),
)

# 9.6 Mail: "a couple of instances ... dedicated to send emails" is the
# recommended choice; the document gives them no size.
MAIL = (
    TierRow("mail", "Send-only mail relay", "9.6", 2, None, 1, 2,
            (Disk(64, STANDARD, stated=False),), _LAN_ONLY, FIXED,
            assumed=("the document gives the mail relays no size; sized as the smallest "
                     "Edge server (1 vCPU, 2 GB RAM, 64 GB disk)",),
            unstated=("vcpus", "memory_gb")),
)

SECTIONS: Dict[str, Tuple[TierRow, ...]] = {
    "7.4": GENERIC,
    "8.3": CONNECTED,
    "8.4": CONNECTED_VOICE,
    "9.3": STANDALONE_SMALL,
    "9.4": STANDALONE_LARGE,
    "9.5": STANDALONE_VOICE,
    "9.6": MAIL,
}

# Capacity figures quoted by the documents, used by the scaling rules.
USERS_PER_SET = 20000            # 8.3, 9.4: concurrent users per application set
REGISTERED_PER_SET = 100000      # 8.3: "(100k registered users)"
SMALL_MAX_CONCURRENT = 1000      # 9.3 / 9.4: small up to 1000 concurrent ...
SMALL_MAX_REGISTERED = 5000      # ... and 5000 registered users
SMALL_MIN_CONCURRENT = 500       # 9.3: "500-1000 concurrent users"
VOICE_USERS_PER_SET = 50000      # 8.4 and 9.5 proxies
VOICE_CALLS_PER_SET = 2000       # 8.4 and 9.5 proxies
VOICE_SUBSCRIBERS_PER_PAIR = 200000  # 9.5 web and database servers
REGISTERED_PER_CONCURRENT = 5    # 9.3 (1000/5000) and 8.3 (20k/100k)

# Network figures (7.2, 8.2).
LAN_CIDR = "10.20.0.0/16"
MAX_RTT_MS = 100.0
MIN_NIC_MBPS = 1000
DATA_LAN_MBPS = 10000
MIN_WAN_MBPS = 50.0
RECOMMENDED_WAN_MBPS = 100.0


def sections_for(variant: str, scale: str, voice: bool, mail: bool) -> Tuple[str, ...]:
    """Which tables make up an Edge, in the order the documents stack them."""
    if variant == "connected":
        return ("7.4", "8.3") + (("8.4",) if voice else ())
    if scale == "small":
        return ("7.4", "9.3") + (("9.6",) if mail else ())
    names: Tuple[str, ...] = ("7.4", "8.3", "9.4")
    if voice:
        names += ("8.4", "9.5")
    return names + (("9.6",) if mail else ())


def rows_for(sections: Tuple[str, ...]) -> Tuple[TierRow, ...]:
    """The rows of the given tables; a tier appears in at most one of them."""
    rows = tuple(row for name in sections for row in SECTIONS[name])
    names = [row.tier for row in rows]
    if len(names) != len(set(names)):  # pragma: no cover - guarded by unit tests
        raise AssertionError("a tier appears twice in sections %s" % (sections,))
    return rows


def all_rows() -> Tuple[TierRow, ...]:
    """Every row of every table (tests walk them all)."""
    return tuple(row for rows in SECTIONS.values() for row in rows)
