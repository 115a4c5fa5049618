# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight checks: do these hosts, links and bandwidth fit the plan?

Every check runs and every finding is collected before anything fails: an
operator fixing a datacenter needs the whole list at once, not one problem
per run. Findings are ``{severity, host, tier, check, expected, actual,
hint}``; failures are hard requirements of the documents, warnings are their
recommendations (or things that could not be measured).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils import edge_footprint as fp
from ansible_collections.rainbow.edge.plugins.module_utils.aio_config import AIO_TIERS
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    EdgeInputError,
    as_list,
    as_mapping,
    as_network,
    as_number,
    as_optional_number,
    as_str,
)
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inventory import (
    HostFacts,
    Link,
    is_public,
    nic_summary,
    read_groups,
    read_hosts,
    read_links,
    read_networks,
)
from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import build_plan

FAILURE = "failure"
WARNING = "warning"

# The whole-Edge playbooks (playbooks/<name>.yml), each for one variant: to
# the variant and scale (None: any) the inventory must describe. Voice is an
# add-on of the Connected and large Standalone playbooks (the plan refuses it
# on a small Standalone Edge).
VARIANT_PLAYBOOKS: Dict[str, Tuple[str, Optional[str]]] = {
    "connected": ("connected", None),
    "standalone_small": ("standalone", "small"),
    "standalone_large": ("standalone", "large"),
}


@dataclass(frozen=True)
class Finding:
    """One failed or doubtful check, in the shape the reports and the message use."""

    severity: str
    host: Optional[str]
    tier: Optional[str]
    check: str
    expected: str
    actual: str
    hint: str

    def as_dict(self) -> Dict[str, Optional[str]]:
        return {"host": self.host, "tier": self.tier, "check": self.check,
                "expected": self.expected, "actual": self.actual, "hint": self.hint}

    def line(self) -> str:
        """One line of the failure message: who, what, expected vs actual, what to do."""
        where = " ".join(part for part in (
            self.host or "", "[%s]" % self.tier if self.tier else "") if part) or "edge"
        return "%s %s: expected %s, got %s (%s)" % (where, self.check, self.expected, self.actual, self.hint)


@dataclass(frozen=True)
class Limits:
    """Thresholds, with the documents' values as defaults (7.2, 8.2)."""

    lan_cidr: ipaddress.IPv4Network
    public_cidrs: Tuple[ipaddress.IPv4Network, ...]
    max_rtt_ms: float
    memory_tolerance_pct: float
    disk_tolerance_pct: float
    min_nic_mbps: float
    wan_bandwidth_mbps: Optional[float]


def read_limits(options: Mapping[str, Any]) -> Limits:
    """Thresholds from the module options (None: the documents' value)."""
    def pick(key: str, default: Any) -> Any:
        value = options.get(key)
        return default if value is None else value

    return Limits(
        lan_cidr=as_network(pick("lan_cidr", fp.LAN_CIDR), "lan_cidr"),
        public_cidrs=read_networks(options.get("public_cidrs"), "public_cidrs"),
        max_rtt_ms=as_number(pick("max_rtt_ms", fp.MAX_RTT_MS), "max_rtt_ms", 0),
        memory_tolerance_pct=as_number(pick("memory_tolerance_pct", 3), "memory_tolerance_pct", 0, 50),
        disk_tolerance_pct=as_number(pick("disk_tolerance_pct", 0), "disk_tolerance_pct", 0, 50),
        min_nic_mbps=as_number(pick("min_nic_mbps", fp.MIN_NIC_MBPS), "min_nic_mbps", 0),
        wan_bandwidth_mbps=as_optional_number(options.get("wan_bandwidth_mbps"), "wan_bandwidth_mbps", 0),
    )


def validate(options: Mapping[str, Any]) -> Dict[str, Any]:
    """Plan the Edge from the options, then check groups, hosts, links against it."""
    opts = as_mapping(options, "options")
    plan = build_plan(opts, opts.get("overrides"))
    limits = read_limits(opts)
    groups = read_groups(opts.get("groups"))
    hosts = read_hosts(opts.get("hosts"))
    links = read_links(opts.get("links"))
    skipped = read_skipped_tiers(opts.get("skipped_tiers"))
    scope = tuple(tier for tier in _read_scope(opts.get("tiers"), plan) if tier not in skipped)
    findings: List[Finding] = check_groups(plan, groups, scope, skipped)
    checked: List[Tuple[Optional[str], Optional[str]]] = [(None, tier) for tier in scope]
    findings.extend(check_membership(groups, hosts, scope))
    for tier in scope:
        for host in groups.get(tier, ()):
            if host in hosts:
                checked.append((host, tier))
                findings.extend(check_host(hosts[host], tier, plan["tiers"][tier], plan, limits))
    checked.append((None, None))
    placed = {tier: groups.get(tier, ()) for tier in scope}
    findings.extend(check_datacenters(plan, placed, hosts))
    findings.extend(check_rtt(links, placed, hosts, limits))
    findings.extend(check_bandwidth(plan, limits))
    findings.extend(check_ha_spread(plan, placed, hosts))
    failures = [f for f in findings if f.severity == FAILURE]
    warnings = [f for f in findings if f.severity == WARNING]
    return {
        "plan": plan,
        "scope": list(scope),
        "failures": [f.as_dict() for f in failures],
        "warnings": [f.as_dict() for f in warnings],
        "checked": [{"host": host, "tier": tier} for host, tier in checked],
        "passed": not failures,
        "msg": summary(failures, warnings, len(hosts)),
    }


def check_inventory(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The inventory's tier groups against its variant, before any host is read.

    Every problem at once: voice refused for this Edge is listed beside the
    group problems, which are then judged against the Edge without voice.
    """
    opts = as_mapping(options, "options")
    findings: List[Finding] = []
    try:
        plan = build_plan(opts, opts.get("overrides"))
    except EdgeInputError as error:
        if not opts.get("voice"):
            raise
        plan = build_plan(dict(opts, voice=False), opts.get("overrides"))
        findings.append(Finding(
            FAILURE, None, None, "voice", "voice on a Connected or a large Standalone Edge (8.4, 9.5)",
            "edge_voice: true on %s" % _edge_name(plan), str(error)))
    groups = read_groups(opts.get("groups"))
    skipped = read_skipped_tiers(opts.get("skipped_tiers"))
    scope = tuple(tier for tier in _read_scope(opts.get("tiers"), plan) if tier not in skipped)
    findings.extend(check_playbook(opts.get("variant_playbook"), plan))
    findings.extend(check_groups(plan, groups, scope, skipped))
    failures = [f for f in findings if f.severity == FAILURE]
    warnings = [f for f in findings if f.severity == WARNING]
    head = "Edge inventory: %d problem(s) for %s%s" % (
        len(failures), _edge_name(plan), " with voice" if plan["voice"] else "")
    return {
        "plan": plan,
        "scope": list(scope),
        "skipped_tiers": skipped,
        "failures": [f.as_dict() for f in failures],
        "warnings": [f.as_dict() for f in warnings],
        "passed": not failures,
        "msg": head + (":\n" + "\n".join("- " + f.line() for f in failures) if failures
                       else ": its groups fit the variant"),
    }


def summary(failures: Sequence[Finding], warnings: Sequence[Finding], host_count: int) -> str:
    """The message a failing task shows: every failure, one per line."""
    head = "Edge pre-flight: %d failure(s), %d warning(s) over %d host(s)" % (
        len(failures), len(warnings), host_count)
    if not failures:
        return head + ": the hosts fit the footprint"
    return head + ":\n" + "\n".join("- " + finding.line() for finding in failures)


def _read_scope(value: Any, plan: Mapping[str, Any]) -> Tuple[str, ...]:
    """Tiers to check: all of the plan's, or the listed ones (a partial delivery)."""
    names = [as_str(item, "tiers[%d]" % index) for index, item in enumerate(as_list(value, "tiers"))]
    if not names:
        return tuple(plan["tiers"])
    unknown = [name for name in names if name not in plan["tiers"]]
    if unknown:
        raise EdgeInputError("tiers: %s not part of this plan (its tiers: %s)"
                             % (", ".join(unknown), ", ".join(plan["tiers"])))
    return tuple(tier for tier in plan["tiers"] if tier in names)


def read_skipped_tiers(value: Any) -> Dict[str, str]:
    """Tiers this run leaves out on purpose, each with the reason the report repeats."""
    skipped = {}
    for tier, reason in as_mapping(value, "skipped_tiers").items():
        skipped[as_str(tier, "skipped_tiers")] = as_str(reason, "skipped_tiers.%s (the reason)" % tier)
    return skipped


def _edge_name(plan: Mapping[str, Any]) -> str:
    if plan["variant"] == "connected":
        return "a Connected Edge"
    return "a %s Standalone Edge" % plan["scale"]


def check_playbook(playbook: Any, plan: Mapping[str, Any]) -> List[Finding]:
    """A variant's playbook run over an inventory of another variant: refused, naming the right one.

    ``playbook`` None or empty is site.yml, which deploys whatever variant
    the inventory describes.
    """
    if playbook is None or playbook == "":
        return []
    name = as_str(playbook, "variant_playbook")
    if name not in VARIANT_PLAYBOOKS:
        raise EdgeInputError("variant_playbook: %s is not a variant's playbook (known: %s)"
                             % (name, ", ".join(VARIANT_PLAYBOOKS)))
    variant, scale = VARIANT_PLAYBOOKS[name]
    if plan["variant"] == variant and scale in (None, plan["scale"]):
        return []
    expected = {"connected": "a Connected Edge"}.get(name, "a %s Standalone Edge" % scale)
    right = [other for other, (want_variant, want_scale) in VARIANT_PLAYBOOKS.items()
             if want_variant == plan["variant"] and want_scale in (None, plan["scale"])]
    return [Finding(
        FAILURE, None, None, "variant_playbook",
        "an inventory of %s (playbooks/%s.yml)" % (expected, name),
        "edge_variant: %s, planned as %s" % (plan["variant"], _edge_name(plan)),
        "run playbooks/%s.yml (or site.yml, which follows the inventory), or correct edge_variant, "
        "edge_concurrent_users or preflight_scale" % right[0])]


def check_groups(plan: Mapping[str, Any], groups: Mapping[str, Sequence[str]], scope: Sequence[str],
                 skipped: Mapping[str, str]) -> List[Finding]:
    """The inventory's tier groups against the plan, from the inventory alone.

    Failures: hosts in a tier the Edge must not have (voice on an Edge
    without it, TURN on a Connected one), a skipped tier that is not one of
    the Edge's or that has hosts, a tier in scope with fewer servers than
    planned. Warnings: the skipped tiers, and the plan's tiers outside the
    scope, so that no run leaves a tier out without saying so.
    """
    findings = []
    voice_tiers = {row.tier for row in fp.rows_for(("8.4", "9.5"))}
    aio_hosts = set(groups.get("aio", ())) if "aio" in plan["tiers"] else set()
    for tier, members in sorted(groups.items()):
        if tier in plan["tiers"] or not members:
            continue
        if tier in AIO_TIERS and aio_hosts:
            # The All-in-One carries these tiers through their groups (group aio a child of each).
            strangers = [host for host in members if host not in aio_hosts]
            if strangers:
                findings.append(Finding(
                    FAILURE, None, tier, "unexpected_tier", "only All-in-One hosts in group %s on %s" % (
                        tier, _edge_name(plan)),
                    "%d other host(s): %s" % (len(strangers), ", ".join(strangers)),
                    "the All-in-One (group aio) carries the %s tier (section 9.3): remove them from the group"
                    % tier))
            continue
        if tier in voice_tiers and not plan["voice"]:
            hint = ("voice needs edge_voice: true, on a Connected or a large Standalone Edge (8.4, 9.5); "
                    "or remove the group")
        else:
            hint = "remove the group: its servers are not part of %s (sections %s)" % (
                _edge_name(plan), ", ".join(plan["sections"]))
        findings.append(Finding(
            FAILURE, None, tier, "unexpected_tier", "no %s servers on %s%s" % (
                tier, _edge_name(plan), "" if plan["voice"] else " without voice"),
            "%d host(s): %s" % (len(members), ", ".join(members)), hint))
    for tier, reason in sorted(skipped.items()):
        if tier not in plan["tiers"]:
            findings.append(Finding(
                FAILURE, None, tier, "skipped_tier", "a tier of %s (%s)" % (_edge_name(plan), ", ".join(plan["tiers"])),
                "edge_skipped_tiers names %s" % tier, "remove it from edge_skipped_tiers"))
        elif groups.get(tier):
            findings.append(Finding(
                FAILURE, None, tier, "skipped_tier", "no hosts in a tier the run leaves out",
                "%d host(s): %s" % (len(groups[tier]), ", ".join(groups[tier])),
                "converge the tier (remove it from edge_skipped_tiers) or empty its group"))
        else:
            findings.append(Finding(
                WARNING, None, tier, "not_converged", "%s servers (%s, section %s)" % (
                    tier, plan["tiers"][tier]["title"], plan["tiers"][tier]["section"]),
                "left out by edge_skipped_tiers", reason))
    for tier in scope:
        findings.extend(check_count(tier, plan["tiers"][tier], groups.get(tier, ())))
    for tier in plan["tiers"]:
        if tier not in scope and tier not in skipped:
            findings.append(Finding(
                WARNING, None, tier, "not_checked", "%s servers checked" % tier,
                "not in the tiers checked (preflight_tiers: a partial delivery)",
                "add the tier to preflight_tiers, or empty it to check every tier"))
    return findings


def check_membership(groups: Mapping[str, Sequence[str]], hosts: Mapping[str, HostFacts],
                     scope: Sequence[str]) -> List[Finding]:
    """Hosts without facts, hosts serving two tiers."""
    findings = []
    tiers_of: Dict[str, List[str]] = {}
    for tier in scope:
        for host in groups.get(tier, ()):
            tiers_of.setdefault(host, []).append(tier)
            if host not in hosts:
                findings.append(Finding(
                    FAILURE, host, tier, "facts", "facts of the host", "none",
                    "run rainbow.edge.edge_facts on every host of the inventory (is it unreachable "
                    "or left out by --limit?)"))
    for host, tiers in sorted(tiers_of.items()):
        if len(tiers) > 1:
            findings.append(Finding(
                WARNING, host, None, "shared_host", "one tier per server",
                "tiers %s" % ", ".join(tiers),
                "the footprint is per server: this host is checked against each tier alone, "
                "not against their sum"))
    return findings


def check_count(tier: str, entry: Mapping[str, Any], members: Sequence[str]) -> List[Finding]:
    """Each tier has at least the plan's server count (more is allowed: 8.3)."""
    if len(members) >= entry["count"]:
        return []
    return [Finding(
        FAILURE, None, tier, "count", "%d server(s)" % entry["count"],
        "%d (%s)" % (len(members), ", ".join(members) or "none"),
        "add %d host(s) to the inventory group %s (%s, section %s)"
        % (entry["count"] - len(members), tier, entry["title"], entry["section"]))]


def check_host(host: HostFacts, tier: str, entry: Mapping[str, Any], plan: Mapping[str, Any],
               limits: Limits) -> List[Finding]:
    """All per-host checks for one host of one tier."""
    findings: List[Finding] = []
    findings.extend(_check_cpu_memory(host, tier, entry, limits))
    findings.extend(_check_disks(host, tier, entry, limits))
    findings.extend(_check_nics(host, tier, entry, plan, limits))
    return findings


def _severity(entry: Mapping[str, Any], figure: str) -> str:
    """A figure the document leaves out (assumed by the plan) is warned about, never failed on."""
    return WARNING if figure in entry.get("unstated", ()) else FAILURE


def _unstated_hint(entry: Mapping[str, Any]) -> str:
    return " - the documents give no figure: %s" % "; ".join(entry["assumed"]) if entry.get("assumed") else ""


def _check_cpu_memory(host: HostFacts, tier: str, entry: Mapping[str, Any], limits: Limits) -> List[Finding]:
    findings = []
    if host.vcpus < entry["vcpus"]:
        findings.append(Finding(
            _severity(entry, "vcpus"), host.name, tier, "vcpus", "%d vCPUs" % entry["vcpus"], "%d vCPUs" % host.vcpus,
            "give the VM %d more vCPU(s) (%s, section %s)%s"
            % (entry["vcpus"] - host.vcpus, entry["title"], entry["section"],
               _unstated_hint(entry) if _severity(entry, "vcpus") == WARNING else "")))
    floor_mb = entry["memory_gb"] * 1024 * (1 - limits.memory_tolerance_pct / 100.0)
    if host.memory_mb < floor_mb:
        findings.append(Finding(
            _severity(entry, "memory_gb"), host.name, tier, "memory",
            "%d GB RAM (at least %d MB seen, %g%% allowed for the kernel's reservation)"
            % (entry["memory_gb"], int(floor_mb), limits.memory_tolerance_pct),
            "%d MB" % host.memory_mb,
            "give the VM %d GB of RAM%s"
            % (entry["memory_gb"], _unstated_hint(entry) if _severity(entry, "memory_gb") == WARNING else "")))
    return findings


def match_disks(required_gb: Sequence[float], available_gb: Sequence[float],
                tolerance_pct: float = 0.0) -> List[float]:
    """Required disk sizes that no distinct available disk covers."""
    return _match_disks(required_gb, available_gb, tolerance_pct)[0]


def _match_disks(required_gb: Sequence[float], available_gb: Sequence[float],
                 tolerance_pct: float) -> Tuple[List[float], List[float]]:
    """(required sizes no distinct disk covers, the disks left over).

    Greedy in ascending order (each requirement takes the smallest disk that
    still covers it) is optimal for this one-sided matching: a larger disk is
    never better spent on a smaller requirement.
    """
    factor = 1 - tolerance_pct / 100.0
    pool = sorted(available_gb)
    missing = []
    for size in sorted(required_gb):
        need = size * factor
        for index, disk in enumerate(pool):
            if disk >= need:
                del pool[index]
                break
        else:
            missing.append(size)
    return missing, pool


def _check_disks(host: HostFacts, tier: str, entry: Mapping[str, Any], limits: Limits) -> List[Finding]:
    """The stated disks must be there; a disk whose size the document leaves
    out (the All-in-One's "OS") is matched against what is left, and only
    warned about."""
    required = [disk["size_gb"] for disk in entry["disks"]]
    stated = [disk["size_gb"] for disk in entry["disks"] if disk.get("stated", True)]
    unstated = [disk["size_gb"] for disk in entry["disks"] if not disk.get("stated", True)]
    missing, left = _match_disks(stated, host.disks_gb, limits.disk_tolerance_pct)
    expected = "distinct disks of %s GB" % ", ".join(_gb(size) for size in required)
    actual = "disks of %s GB" % (", ".join(_gb(size) for size in sorted(host.disks_gb, reverse=True)) or "none")
    findings = []
    if missing:
        findings.append(Finding(
            FAILURE, host.name, tier, "disks", expected, actual,
            "%d required disk(s) without a distinct disk large enough (%s GB): add them, on the "
            "datastore class the plan lists (IOPS are not measured)"
            % (len(missing), ", ".join(_gb(size) for size in missing))))
    assumed_missing = _match_disks(unstated, left, limits.disk_tolerance_pct)[0] if not missing else []
    if assumed_missing:
        findings.append(Finding(
            WARNING, host.name, tier, "disks", expected, actual,
            "no distinct disk of %s GB besides the others; the documents give no size for it, "
            "so this is not a failure%s" % (", ".join(_gb(size) for size in assumed_missing), _unstated_hint(entry))))
    return findings


def _gb(size: float) -> str:
    return "%d" % size if size == int(size) else "%.1f" % size


def _check_nics(host: HostFacts, tier: str, entry: Mapping[str, Any], plan: Mapping[str, Any],
                limits: Limits) -> List[Finding]:
    findings: List[Finding] = []
    findings.extend(_check_lan(host, tier, limits))
    if entry["public"]:
        findings.extend(_check_wan(host, tier, entry, limits))
    findings.extend(_check_speed(host, tier, limits))
    if entry["data"] and plan["scale"] == "large":
        lan_speeds = [nic.speed_mbps for nic in host.nics if nic.zone == "lan" and nic.speed_mbps is not None]
        if lan_speeds and max(lan_speeds) < fp.DATA_LAN_MBPS:
            findings.append(Finding(
                WARNING, host.name, tier, "lan_10g", "a 10000 Mbps LAN NIC (recommended, 7.2)",
                "%g Mbps" % max(lan_speeds),
                "data-hosting servers of large Edges should have 10 Gbps on the LAN, so a failed "
                "node is rebuilt fast"))
    return findings


def _check_lan(host: HostFacts, tier: str, limits: Limits) -> List[Finding]:
    findings = []
    lan = [nic for nic in host.nics if nic.zone == "lan"]
    inside = [a for nic in lan for a in nic.addresses if a in limits.lan_cidr]
    outside = [(nic.name, a) for nic in lan for a in nic.addresses if a not in limits.lan_cidr]
    if not inside:
        findings.append(Finding(
            FAILURE, host.name, tier, "lan_address", "a LAN address in %s" % limits.lan_cidr,
            nic_summary(host.nics),
            "give the host an address of the Edge LAN (7.2: private addressing on 10.20/16) and "
            "set edge_lan_ip"))
    for name, address in outside:
        findings.append(Finding(
            FAILURE, host.name, tier, "lan_address", "LAN addresses inside %s" % limits.lan_cidr,
            "%s on %s" % (address, name),
            "the Edge LAN is %s (7.2); renumber this address or fix edge_lan_cidr" % limits.lan_cidr))
    return findings


def _check_wan(host: HostFacts, tier: str, entry: Mapping[str, Any], limits: Limits) -> List[Finding]:
    findings = []
    wanted = sum(nic["ipv4"] for nic in entry["nics"] if nic["zone"] == "wan")
    wan = [nic for nic in host.nics if nic.zone == "wan"]
    # A VIP the inventory plans for the host counts: the host holds it once its role has run.
    public = set(a for nic in wan for a in nic.addresses if is_public(a, limits.public_cidrs))
    public |= set(a for a in host.wan_vips if is_public(a, limits.public_cidrs))
    if len(public) < wanted:
        shown = ", ".join(["%s on %s" % (a, nic.name) for nic in wan for a in nic.addresses]
                          + ["planned VIP %s" % a for a in host.wan_vips]) or "no WAN address"
        findings.append(Finding(
            FAILURE, host.name, tier, "public_ipv4",
            "%d public IPv4 address(es) on a WAN NIC" % wanted, shown,
            "Internet-facing servers hold their public IPv4 themselves (7.2: NAT mapping is "
            "discouraged); set edge_wan_ip to the public address, and the VIPs the host will hold "
            "(public_lb_vips)"))
    lan_names = {nic.name for nic in host.nics if nic.zone == "lan"}
    shared = sorted(lan_names & {nic.name for nic in wan})
    if shared:
        findings.append(Finding(
            WARNING, host.name, tier, "distinct_nics", "distinct LAN and WAN NICs (7.2)",
            "LAN and WAN both on %s" % ", ".join(shared),
            "servers on both LAN and WAN should use two distinct NICs"))
    return findings


def _check_speed(host: HostFacts, tier: str, limits: Limits) -> List[Finding]:
    findings = []
    for nic in host.nics:
        if nic.zone not in ("lan", "wan"):
            continue
        if nic.speed_mbps is None:
            findings.append(Finding(
                WARNING, host.name, tier, "nic_speed", "%g Mbps" % limits.min_nic_mbps,
                "%s: unknown link speed" % nic.name,
                "the driver does not report a speed (virtio does not): check the hypervisor "
                "gives this NIC at least 1 Gbps"))
        elif nic.speed_mbps < limits.min_nic_mbps:
            findings.append(Finding(
                FAILURE, host.name, tier, "nic_speed", "%g Mbps" % limits.min_nic_mbps,
                "%s: %g Mbps" % (nic.name, nic.speed_mbps),
                "every server needs NICs of at least 1 Gbps (7.2)"))
    return findings


def _host_dcs(members: Iterable[str], hosts: Mapping[str, HostFacts]) -> List[str]:
    return sorted({hosts[h].datacenter for h in members if h in hosts and hosts[h].datacenter})


def check_datacenters(plan: Mapping[str, Any], placed: Mapping[str, Sequence[str]],
                      hosts: Mapping[str, HostFacts]) -> List[Finding]:
    """The hosts' datacenters agree with the plan's number of DCs."""
    findings = []
    members = sorted({h for tier_hosts in placed.values() for h in tier_hosts if h in hosts})
    dcs = _host_dcs(members, hosts)
    planned = len(plan["datacenters"])
    if planned > 1:
        for host in members:
            if hosts[host].datacenter is None:
                findings.append(Finding(
                    WARNING, host, None, "datacenter", "one of %d datacenters" % planned, "none",
                    "set edge_datacenter for this host so RTT and HA spread can be checked"))
    if dcs and len(dcs) != planned:
        findings.append(Finding(
            WARNING, None, None, "datacenters", "%d datacenter(s)" % planned,
            "%d: %s" % (len(dcs), ", ".join(dcs)),
            "edge_datacenters says %d; the hosts' edge_datacenter values name %d" % (planned, len(dcs))))
    return findings


def check_rtt(links: Sequence[Link], placed: Mapping[str, Sequence[str]],
              hosts: Mapping[str, HostFacts], limits: Limits) -> List[Finding]:
    """RTT between any two DCs at most 100 ms (7.2); every DC pair measured."""
    findings = []
    measured = set()
    for link in links:
        if link.from_dc == link.to_dc:
            continue
        measured.add(frozenset((link.from_dc, link.to_dc)))
        path = "%s -> %s" % (link.from_dc, link.to_dc)
        if link.from_host or link.to_host:
            path += " (%s -> %s)" % (link.from_host or "?", link.to_host or "?")
        if link.rtt_ms is None:
            findings.append(Finding(
                FAILURE, link.from_host, None, "rtt", "an answer within %g ms" % limits.max_rtt_ms,
                "no answer %s%s" % (path, ": " + link.error if link.error else ""),
                "the DCs must share one L2 segment / VLAN (7.2): check the inter-DC link"))
        elif link.rtt_ms > limits.max_rtt_ms:
            findings.append(Finding(
                FAILURE, link.from_host, None, "rtt", "at most %g ms" % limits.max_rtt_ms,
                "%g ms %s" % (link.rtt_ms, path),
                "the RTT between any two DCs must never go above 100 ms (7.2)"))
    members = {h for tier_hosts in placed.values() for h in tier_hosts}
    dcs = _host_dcs(members, hosts)
    for first, second in combinations(dcs, 2):
        if frozenset((first, second)) not in measured:
            findings.append(Finding(
                WARNING, None, None, "rtt", "a measured RTT between %s and %s" % (first, second),
                "not measured", "run the pre-flight with RTT measurement (preflight_measure_rtt)"))
    return findings


def check_bandwidth(plan: Mapping[str, Any], limits: Limits) -> List[Finding]:
    """Connected Edge: 50 Mbps minimum, 100 Mbps to 1 Gbps recommended (8.2)."""
    if plan["variant"] != "connected":
        return []
    measured = limits.wan_bandwidth_mbps
    if measured is None:
        return [Finding(WARNING, None, None, "wan_bandwidth", "at least %g Mbps" % fp.MIN_WAN_MBPS,
                        "not measured", "measure it with iperf3 (preflight_bandwidth_server)")]
    if measured < fp.MIN_WAN_MBPS:
        return [Finding(FAILURE, None, None, "wan_bandwidth", "at least %g Mbps" % fp.MIN_WAN_MBPS,
                        "%g Mbps" % measured,
                        "a Connected Edge carries all user traffic through the GateKeeper tunnel; "
                        "ALE requires 50 Mbps minimum (8.2)")]
    if measured < fp.RECOMMENDED_WAN_MBPS:
        return [Finding(WARNING, None, None, "wan_bandwidth",
                        "%g Mbps or more (recommended)" % fp.RECOMMENDED_WAN_MBPS, "%g Mbps" % measured,
                        "100 Mbps to 1 Gbps is recommended, depending on the number of users (8.2)")]
    return []


def check_ha_spread(plan: Mapping[str, Any], placed: Mapping[str, Sequence[str]],
                    hosts: Mapping[str, HostFacts]) -> List[Finding]:
    """With several DCs, a tier of two or more servers should not sit in one DC (7.1)."""
    members = {h for tier_hosts in placed.values() for h in tier_hosts}
    if len(_host_dcs(members, hosts)) < 2:
        return []
    findings = []
    for tier, tier_hosts in placed.items():
        known = [h for h in tier_hosts if h in hosts]
        dcs = _host_dcs(known, hosts)
        if len(known) >= 2 and len(dcs) == 1:
            findings.append(Finding(
                WARNING, None, tier, "ha_spread", "members in more than one datacenter",
                "all %d in %s" % (len(known), dcs[0]),
                "deploy the instances on each datacenter (7.1) so that losing one DC keeps the "
                "tier running"))
    return findings
