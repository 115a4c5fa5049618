# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The All-in-One server of a small Standalone Edge (section 9.3): its composition, ports and memory.

The All-in-One is not a service of its own: its host is a member of the
groups of the tiers it carries (``AIO_TIERS``), and each tier's role
converges it as on a server of that tier. What only the sum can get wrong
is checked here, before any change: the host is in each tier's group and in
no group of a tier that has servers of its own; no two tiers listen on one
port; the memory each tier takes fits its share of the host
(``memory_limits``: systemd's ``MemoryHigh=`` on each tier's unit); the
public load balancer has the footprint's second WAN address as its one VIP.
Used by the ``aio`` role through ``plugins/filter/aio_config.py``, and by
the inventory check (``edge_checks``); unit-tested in
``tests/unit/plugins/module_utils/test_aio_config.py``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.edge_footprint import TIER_NAMES

# The tiers the All-in-One carries (9.3: XMPP, application servers, MariaDB,
# MongoDB, load balancing), in the order site.yml converges them. Load
# balancing is the public load balancer's.
AIO_TIERS = ("mariadb", "mongodb", "xmpp", "api", "public_lb")

# Every other tier of the footprint has servers of its own: never on the
# All-in-One (the private load balancer among them: a second haproxy on the
# host, for backends that are all local).
OWN_SERVER_TIERS = tuple(tier for tier in TIER_NAMES if tier not in AIO_TIERS and tier != "aio")

# Each tier's unit on the host (its memory share is set on it).
UNITS = {
    "mariadb": "mariadb.service",
    "mongodb": "mongod.service",
    "xmpp": "ejabberd.service",
    "api": "rainbow-edge-api.service",
    "public_lb": "haproxy.service",
}

# Each role's TCP listeners: the input that sets the port, and the input
# that switches the listener on (None: always on).
LISTENERS = {
    "common": (("common_ssh_port", None), ("common_node_exporter_port", None)),
    "mariadb": (("mariadb_port", None), ("mariadb_exporter_port", "mariadb_exporter_enabled")),
    "mongodb": (("mongodb_port", None),),
    "xmpp": (("xmpp_c2s_port", None), ("xmpp_c2s_tls_port", None), ("xmpp_http_port", None),
             ("xmpp_admin_port", None), ("xmpp_s2s_port", "xmpp_federation_domains")),
    "api": (("api_port", None),),
    "public_lb": (("public_lb_metrics_port", None),),
}
# Listeners no input moves: the public entry point, the Erlang port mapper.
FIXED_PORTS = {"public_lb": ((443, "the public entry point"),), "xmpp": ((4369, "epmd"),)}

# What the database tiers may cache, as a part of their share: the rest is
# their connections', sorts' and the server's own.
MARIADB_BUFFER_POOL_PART = 0.75
MONGODB_CACHE_PART = 0.6
# The part of the host no tier may be given: the system, sshd, the
# exporters, log shipping and the page cache.
SYSTEM_RESERVE_PERCENT = 10

_SIZE = re.compile(r"^([0-9]+)([KMG]?)$")


def composition_errors(host: str, group_names: Sequence[str], tiers: Sequence[str]) -> List[str]:
    """The host is in each of ``tiers``' groups and in no group of a tier with servers of its own."""
    errors = []
    unknown = [tier for tier in tiers if tier not in AIO_TIERS]
    if unknown:
        errors.append("aio_tiers: %s not a tier of the All-in-One (its tiers: %s)"
                      % (", ".join(unknown), ", ".join(AIO_TIERS)))
    missing = [tier for tier in tiers if tier in AIO_TIERS and tier not in group_names]
    if missing:
        errors.append("%s carries the All-in-One's tiers through their groups, and is not in group(s) %s: "
                      "make group aio a child of each (as inventories/standalone-small/hosts.yml does)"
                      % (host, ", ".join(missing)))
    left_out_but_grouped = [tier for tier in AIO_TIERS if tier not in tiers and tier in group_names]
    if left_out_but_grouped:
        errors.append("%s is in group(s) %s, which aio_tiers leaves out: their playbooks would converge the tier "
                      "here without its share or checks; add the tier to aio_tiers or take the host out of the group"
                      % (host, ", ".join(left_out_but_grouped)))
    extra = [tier for tier in OWN_SERVER_TIERS if tier in group_names]
    if extra:
        errors.append("%s is an All-in-One and is also in group(s) %s, whose servers are hosts of their own "
                      "(section 9.3): remove it from them" % (host, ", ".join(extra)))
    return errors


def listeners(tier_inputs: Mapping[str, Mapping[str, Any]]) -> List[Tuple[int, str]]:
    """The TCP ports of the roles of ``tier_inputs`` (role -> its converted inputs), each with who listens."""
    found = []
    for role, inputs in tier_inputs.items():
        for name, switch in LISTENERS.get(role, ()):
            if switch is not None and not inputs.get(switch):
                continue
            if isinstance(inputs.get(name), int):
                found.append((inputs[name], "%s (%s)" % (role, name)))
        for port, what in FIXED_PORTS.get(role, ()):
            found.append((port, "%s (%s)" % (role, what)))
        if role == "xmpp":
            low, high = inputs.get("xmpp_cluster_port_min"), inputs.get("xmpp_cluster_port_max")
            if isinstance(low, int) and isinstance(high, int):
                found += [(port, "xmpp (xmpp_cluster_port_min-max)") for port in range(low, high + 1)]
    return found


def port_errors(tier_inputs: Mapping[str, Mapping[str, Any]]) -> List[str]:
    """Two listeners of the All-in-One on one port: each collision once, naming both inputs."""
    owners: Dict[int, List[str]] = {}
    for port, who in listeners(tier_inputs):
        if who not in owners.setdefault(port, []):
            owners[port].append(who)
    return ["port %d is taken by %s: give each its own port" % (port, " and ".join(who))
            for port, who in sorted(owners.items()) if len(who) > 1]


def share_errors(shares: Mapping[str, Any], tiers: Sequence[str]) -> List[str]:
    """aio_memory_shares: a whole percent for each tier carried, leaving the system its reserve."""
    errors = []
    for tier, share in shares.items():
        if tier not in AIO_TIERS:
            errors.append("aio_memory_shares: %s is not a tier of the All-in-One (its tiers: %s)"
                          % (tier, ", ".join(AIO_TIERS)))
        elif isinstance(share, bool) or not isinstance(share, int) or not 1 <= share <= 100:
            errors.append("aio_memory_shares.%s: expected a whole percent of the host's memory, 1-100; got %r"
                          % (tier, share))
    missing = [tier for tier in tiers if tier in AIO_TIERS and tier not in shares]
    if missing:
        errors.append("aio_memory_shares: no share for %s" % ", ".join(missing))
    total = sum(share for tier, share in shares.items() if tier in tiers and isinstance(share, int))
    if total > 100 - SYSTEM_RESERVE_PERCENT:
        errors.append("aio_memory_shares: the tiers' shares add up to %d %%, leaving the system less than its "
                      "%d %%: lower them" % (total, SYSTEM_RESERVE_PERCENT))
    return errors


def memory_limits(memtotal_mb: int, shares: Mapping[str, int], tiers: Sequence[str]) -> Dict[str, int]:
    """Each tier's unit and its share of the host in MiB (systemd's MemoryHigh=); 0 for a tier not carried."""
    return {unit: int(memtotal_mb) * int(shares[tier]) // 100 if tier in tiers and tier in shares else 0
            for tier, unit in UNITS.items()}


def size_mb(value: str) -> int:
    """MariaDB's size notation (40G, 512M, 1048576) in MiB."""
    match = _SIZE.match(value)
    if not match:
        raise ValueError("expected a size such as 8G or 512M; got %r" % value)
    number, unit = int(match.group(1)), match.group(2)
    return {"G": number * 1024, "M": number, "K": number // 1024, "": number // 1048576}[unit]


def memory_errors(memtotal_mb: int, shares: Mapping[str, int], tiers: Sequence[str],
                  tier_inputs: Mapping[str, Mapping[str, Any]]) -> List[str]:
    """The database tiers' caches within their shares of the host's memory.

    MariaDB's buffer pool defaults to half the host and MongoDB's cache to
    half of it less 1 GB: on an All-in-One both must be set to fit.
    """
    errors = share_errors(shares, tiers)
    # The caches are checked against the shares that are whole percents.
    valid = {tier: share for tier, share in shares.items()
             if tier in AIO_TIERS and isinstance(share, int) and not isinstance(share, bool) and 1 <= share <= 100}
    limits = memory_limits(memtotal_mb, valid, tiers)
    if "mariadb" in tiers and "mariadb" in valid:
        share = limits[UNITS["mariadb"]]
        allowed = int(share * MARIADB_BUFFER_POOL_PART)
        value = str(tier_inputs.get("mariadb", {}).get("mariadb_innodb_buffer_pool_size") or "")
        try:
            pool = size_mb(value) if value else memtotal_mb // 2
        except ValueError as error:
            errors.append("mariadb_innodb_buffer_pool_size: %s" % error)
        else:
            if pool > allowed:
                errors.append(
                    "mariadb_innodb_buffer_pool_size: %d MiB%s is over %d %% of MariaDB's share of the All-in-One "
                    "(aio_memory_shares.mariadb, %d %% of %d MiB = %d MiB): set it to at most %dM"
                    % (pool, "" if value else " (empty: half the host)", MARIADB_BUFFER_POOL_PART * 100,
                       shares["mariadb"], memtotal_mb, share, allowed))
    if "mongodb" in tiers and "mongodb" in valid:
        share = limits[UNITS["mongodb"]]
        allowed = int(share * MONGODB_CACHE_PART)
        value = tier_inputs.get("mongodb", {}).get("mongodb_wiredtiger_cache_size_gb") or 0
        cache = int(float(value) * 1024) if float(value) > 0 else max((memtotal_mb - 1024) // 2, 256)
        if cache > allowed:
            errors.append(
                "mongodb_wiredtiger_cache_size_gb: %d MiB%s is over %d %% of MongoDB's share of the All-in-One "
                "(aio_memory_shares.mongodb, %d %% of %d MiB = %d MiB): set it to at most %.1f"
                % (cache, "" if float(value) > 0 else " (0: MongoDB's default, half the host less 1 GB)",
                   MONGODB_CACHE_PART * 100, shares["mongodb"], memtotal_mb, share, math.floor(allowed / 102.4) / 10))
    return errors


def wan_errors(host: str, tiers: Sequence[str], public_lb_inputs: Mapping[str, Any]) -> List[str]:
    """The footprint's two WAN addresses: the host's own (public_lb_wan_ip) and one VIP, the public entry point."""
    if "public_lb" not in tiers:
        return []
    vips = list(public_lb_inputs.get("public_lb_vips") or [])
    if len(vips) != 1:
        return ["public_lb_vips: an All-in-One has two WAN addresses (section 9.3), its own and one VIP, the "
                "public entry point; %s has %d VIP(s): give it exactly one" % (host, len(vips))]
    if vips[0] == public_lb_inputs.get("public_lb_wan_ip"):
        return ["public_lb_vips: %s is %s's own WAN address (public_lb_wan_ip, default edge_wan_ip); the VIP is the "
                "All-in-One's second WAN address" % (vips[0], host)]
    return []


def input_errors(host: str, group_names: Sequence[str], memtotal_mb: int, inputs: Mapping[str, Any],
                 tier_inputs: Mapping[str, Mapping[str, Any]]) -> List[str]:
    """Every problem of an All-in-One at once.

    ``inputs`` are the aio role's converted inputs (aio_tiers,
    aio_memory_shares); ``tier_inputs`` each carried role's (and common's)
    converted inputs, as its argument spec reads them on this host.
    """
    tiers = list(inputs.get("aio_tiers") or [])
    shares = dict(inputs.get("aio_memory_shares") or {})
    carried = {role: values for role, values in tier_inputs.items() if role == "common" or role in tiers}
    return (composition_errors(host, group_names, tiers) + port_errors(carried)
            + memory_errors(int(memtotal_mb), shares, tiers, carried)
            + wan_errors(host, tiers, tier_inputs.get("public_lb", {})))


def left_out(tiers: Sequence[str]) -> List[str]:
    """The All-in-One's tiers this host does not carry (a lab without MongoDB): said on every run."""
    return [tier for tier in AIO_TIERS if tier not in tiers]
