# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Edge's health report: what each host reads of itself, and what it means.

Each host reads its own state (module ``edge_health_probe``): the parsers
below turn the tools' output into plain data. The controller then judges
every host's readings together (``report``): a VIP is healthy when exactly
one member holds it, a replication set when one server takes writes and the
others replicate it. Findings come worst first, and within a severity in the
order an operator acts on them: a host gone, then the data tiers, then the
paths to them, then what only ages (certificates, backups).

The thresholds are the metrics tier's alert rules (its rainbow-edge.rules.yml),
so the report and the alerts agree on what is wrong.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)

# The order an operator acts in, within one severity.
TOPICS = ("host", "mariadb", "swift", "xmpp", "vip", "wireguard", "alerts", "units", "backup", "certificate")

# Thresholds, as in the metrics tier's alert rules.
REPLICA_LAG_WARNING_SECONDS = 60
HANDSHAKE_STALE_SECONDS = 300
CERTIFICATE_WARNING_DAYS = 21
BACKUP_MAX_AGE_SECONDS = 26 * 3600
BINLOG_BACKUP_MAX_AGE_SECONDS = 3600

_PROM_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)")
_PROM_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_VIP_BLOCK = re.compile(r"virtual_ipaddress\s*\{([^}]*)\}", re.S)
_VIP_ADDRESS = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3}){3})(?:/\d{1,2})?", re.M)


# --- Parsers of what a host's tools print -----------------------------------

def parse_keepalived_vips(text: str) -> List[str]:
    """The addresses of every ``virtual_ipaddress`` block of a keepalived file."""
    found: List[str] = []
    for block in _VIP_BLOCK.findall(text):
        for address in _VIP_ADDRESS.findall(block):
            if address not in found:
                found.append(address)
    return found


def parse_wireguard_dump(text: str) -> List[Dict[str, Any]]:
    """The peers of ``wg show all dump``.

    The interface lines have 5 fields after the interface name (private key,
    public key, port, fwmark); peer lines have 8 (public key, preshared key,
    endpoint, allowed IPs, latest handshake, rx, tx, keepalive).
    """
    peers = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) != 9:
            continue
        interface, public_key, _psk, endpoint, allowed_ips, handshake = fields[:6]
        peers.append({
            "interface": interface,
            "peer": public_key,
            "endpoint": "" if endpoint == "(none)" else endpoint,
            "allowed_ips": "" if allowed_ips == "(none)" else allowed_ips,
            "latest_handshake": int(handshake) if handshake.isdigit() else 0,
        })
    return peers


def parse_prometheus_text(text: str, prefix: str = "rainbow_edge_") -> List[Dict[str, Any]]:
    """The samples of a node-exporter textfile whose names start with ``prefix``."""
    samples = []
    for line in text.splitlines():
        match = _PROM_SAMPLE.match(line.strip())
        if not match or not match.group("name").startswith(prefix):
            continue
        try:
            value = float(match.group("value"))
        except ValueError:
            continue
        labels = {key: raw.replace('\\"', '"').replace("\\\\", "\\")
                  for key, raw in _PROM_LABEL.findall(match.group("labels") or "")}
        samples.append({"name": match.group("name"), "labels": labels, "value": value})
    return samples


def parse_vertical_rows(text: str) -> List[Dict[str, str]]:
    r"""Rows of the MariaDB client's vertical output (``\G``): one dict per row."""
    rows: List[Dict[str, str]] = []
    for line in text.splitlines():
        if line.startswith("*****"):
            rows.append({})
            continue
        key, sep, value = line.partition(":")
        if sep and rows:
            rows[-1][key.strip()] = value.strip()
    return rows


def mariadb_reading(variables_text: str, replicas_text: str) -> Dict[str, Any]:
    """A server's role in replication, from its variables and ``SHOW ALL REPLICAS STATUS\\G``.

    ``variables_text``: tab-separated name/value lines of read_only and the
    semi-synchronous primary's status.
    """
    values = {}
    for line in variables_text.splitlines():
        name, _tab, value = line.partition("\t")
        values[name.strip().lower()] = value.strip()
    replicas = []
    for row in parse_vertical_rows(replicas_text):
        behind = row.get("Seconds_Behind_Master", "NULL")
        replicas.append({
            "connection": row.get("Connection_name", ""),
            "primary_host": row.get("Master_Host", ""),
            "io_running": row.get("Slave_IO_Running", ""),
            "sql_running": row.get("Slave_SQL_Running", ""),
            "seconds_behind": int(behind) if behind.isdigit() else None,
            "last_error": row.get("Last_IO_Error") or row.get("Last_SQL_Error") or "",
        })
    return {
        "read_only": values.get("read_only", "").upper() in ("1", "ON"),
        "semi_sync_primary": values.get("rpl_semi_sync_master_status", "").upper() == "ON",
        "semi_sync_enabled": values.get("rpl_semi_sync_master_enabled", "").upper() in ("1", "ON"),
        "replicas": replicas,
    }


def dispersion_reading(report: Mapping[str, Any]) -> Dict[str, Any]:
    """What ``swift-dispersion-report -j`` says is missing, per ring: partitions missing one copy, two, and
    three or more (all of them at the Edge's 3 replicas).

    Swift counts partitions by copies missing in ``missing_<n>`` keys, present only for the n that occur;
    releases before 2.x said ``missing_one``, ``missing_two``, ``missing_all``, read as well.
    """
    reading = {}
    for ring in ("object", "container"):
        part = report.get(ring) or {}
        counts = {int(key[len("missing_"):]): int(value or 0) for key, value in part.items()
                  if re.match(r"^missing_[0-9]+$", str(key))}
        reading[ring] = {
            "missing_one": counts.get(1, 0) + int(part.get("missing_one", 0) or 0),
            "missing_two": counts.get(2, 0) + int(part.get("missing_two", 0) or 0),
            "missing_all": sum(parts for missing, parts in counts.items() if missing >= 3)
            + int(part.get("missing_all", 0) or 0),
            "retries": int(part.get("retries", 0) or 0),
            "pct_found": float(part.get("pct_found", 100.0) or 0.0),
        }
    return reading


# --- Judgement ---------------------------------------------------------------

def _finding(severity: str, topic: str, hosts: Sequence[str], summary: str, detail: str = "") -> Dict[str, Any]:
    return {"severity": severity, "topic": topic, "hosts": sorted(hosts), "summary": summary, "detail": detail}


def _members(groups: Mapping[str, Sequence[str]], group: str, readable: Mapping[str, Any]) -> List[str]:
    return [host for host in groups.get(group, []) if host in readable]


def _host_findings(probes: Mapping[str, Mapping[str, Any]]) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Hosts that could not be read, and the readings of the others."""
    findings = []
    readable = {}
    for host, probe in sorted(probes.items()):
        if not isinstance(probe, Mapping) or not probe:
            findings.append(_finding(CRITICAL, "host", [host], "%s was not read: no result" % host))
        elif probe.get("unreachable"):
            findings.append(_finding(CRITICAL, "host", [host], "%s is unreachable" % host,
                                     " ".join(str(probe.get("msg", "")).split())))
        elif probe.get("failed"):
            findings.append(_finding(CRITICAL, "host", [host], "%s could not be read" % host,
                                     " ".join(str(probe.get("msg", "")).split())))
        else:
            readable[host] = probe
    return findings, readable


def _mariadb_findings(groups, readable) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    members = _members(groups, "mariadb", readable)
    if not members:
        return [], None
    findings = []
    answering = {host: readable[host]["mariadb"] for host in members
                 if not (readable[host].get("mariadb") or {}).get("error")}
    writable = [host for host, reading in answering.items() if not reading["read_only"]]
    silent = [host for host in members if host not in answering]
    primary_text = ("the primary %s" % writable[0]) if len(writable) == 1 else "no single primary"
    for host in silent:
        role = "replica" if len(writable) == 1 else "server"
        findings.append(_finding(
            CRITICAL, "mariadb", [host], "MariaDB %s %s does not answer" % (role, host),
            "%s; %s has one copy of the data fewer" % (readable[host]["mariadb"]["error"], primary_text)))
    if not writable and answering:
        findings.append(_finding(CRITICAL, "mariadb", sorted(answering),
                                 "No MariaDB server takes writes (every one answering is read-only)",
                                 "run playbooks/mariadb_failover.yml to promote one"))
    elif len(writable) > 1:
        findings.append(_finding(CRITICAL, "mariadb", writable,
                                 "%d MariaDB servers take writes at once: %s" % (len(writable), ", ".join(writable)),
                                 "split brain: stop writes and keep one (playbooks/mariadb_switchover.yml)"))
    for host, reading in sorted(answering.items()):
        if host in writable:
            if reading["semi_sync_enabled"] and not reading["semi_sync_primary"] and len(members) > 1:
                findings.append(_finding(WARNING, "mariadb", [host],
                                         "MariaDB primary %s commits without a replica's acknowledgement" % host,
                                         "semi-synchronous replication is off until a replica catches up"))
            continue
        if not reading["replicas"]:
            findings.append(_finding(CRITICAL, "mariadb", [host],
                                     "MariaDB server %s is read-only and replicates from nobody" % host))
        for replica in reading["replicas"]:
            if replica["io_running"] != "Yes" or replica["sql_running"] != "Yes":
                findings.append(_finding(
                    CRITICAL, "mariadb", [host], "MariaDB replica %s does not replicate" % host,
                    "IO thread %s, SQL thread %s%s" % (
                        replica["io_running"] or "?", replica["sql_running"] or "?",
                        (": " + replica["last_error"]) if replica["last_error"] else "")))
            elif replica["seconds_behind"] is not None and replica["seconds_behind"] > REPLICA_LAG_WARNING_SECONDS:
                findings.append(_finding(WARNING, "mariadb", [host],
                                         "MariaDB replica %s lags %d s behind its primary" % (
                                             host, replica["seconds_behind"])))
    return findings, "replication of %s" % ", ".join(members)


def _swift_findings(groups, readable) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    members = _members(groups, "swift", readable)
    if not members:
        return [], None
    findings = []
    for host in members:
        swift = readable[host].get("swift") or {}
        if swift.get("unmounted"):
            findings.append(_finding(CRITICAL, "swift", [host],
                                     "Swift disks not mounted on %s: %s" % (host, ", ".join(swift["unmounted"])),
                                     "their partitions are served from the other copies only"))
        dispersion = swift.get("dispersion")
        if swift.get("dispersion_error"):
            findings.append(_finding(WARNING, "swift", [host], "The Swift dispersion report failed on %s" % host,
                                     swift["dispersion_error"]))
        for ring, part in sorted((dispersion or {}).items()):
            if part["missing_all"] or part["missing_two"]:
                findings.append(_finding(
                    CRITICAL, "swift", [host],
                    "Swift %s partitions have lost copies: %d lost two, %d lost all" % (
                        ring, part["missing_two"], part["missing_all"])))
            elif part["missing_one"]:
                findings.append(_finding(WARNING, "swift", [host],
                                         "%d Swift %s partitions miss one copy" % (part["missing_one"], ring),
                                         "the replicators restore it; see swift-dispersion-report"))
    return findings, "disks and copies of %s" % ", ".join(members)


def _xmpp_findings(groups, readable) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    members = _members(groups, "xmpp", readable)
    if not members:
        return [], None
    findings = []
    expected = len(groups.get("xmpp", []))
    for host in members:
        xmpp = readable[host].get("xmpp") or {}
        if xmpp.get("error"):
            findings.append(_finding(CRITICAL, "xmpp", [host], "ejabberd on %s does not answer" % host, xmpp["error"]))
        elif len(xmpp.get("cluster", [])) < expected:
            findings.append(_finding(
                CRITICAL, "xmpp", [host],
                "ejabberd on %s sees %d of the %d cluster members" % (host, len(xmpp["cluster"]), expected),
                "running: %s" % ", ".join(xmpp["cluster"])))
    return findings, "cluster of %s" % ", ".join(members)


def _vip_findings(readable) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    holders: Dict[str, List[str]] = {}
    for host, probe in sorted(readable.items()):
        for vip in probe.get("vips", []):
            holders.setdefault(vip["address"], [])
            if vip["held"]:
                holders[vip["address"]].append(host)
    findings = []
    members_of = {address: sorted(host for host, probe in readable.items()
                                  if any(vip["address"] == address for vip in probe.get("vips", [])))
                  for address in holders}
    for address, hosts in sorted(holders.items()):
        if not hosts:
            findings.append(_finding(CRITICAL, "vip", members_of[address],
                                     "No member holds the virtual address %s" % address,
                                     "members: %s; check keepalived and its tracked services" % ", ".join(
                                         members_of[address])))
        elif len(hosts) > 1:
            findings.append(_finding(CRITICAL, "vip", hosts,
                                     "%d members hold the virtual address %s at once: %s" % (
                                         len(hosts), address, ", ".join(hosts)),
                                     "VRRP adverts do not pass between them"))
    return findings, ("owners of %s" % ", ".join(sorted(holders))) if holders else None


def _wireguard_findings(readable, now: float) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    findings = []
    peers = 0
    for host, probe in sorted(readable.items()):
        for peer in probe.get("wireguard", []):
            peers += 1
            age = now - peer["latest_handshake"]
            if peer["latest_handshake"] == 0 or age > HANDSHAKE_STALE_SECONDS:
                when = "never" if peer["latest_handshake"] == 0 else "%d s ago" % age
                findings.append(_finding(
                    CRITICAL, "wireguard", [host],
                    "WireGuard peer %s of %s: last handshake %s" % (
                        peer["endpoint"] or peer["peer"][:12], host, when),
                    "interface %s, allowed IPs %s" % (peer["interface"], peer["allowed_ips"])))
    return findings, ("handshakes of %d WireGuard peers" % peers) if peers else None


def alertmanager_reading(alerts: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The active alerts of Alertmanager's ``/api/v2/alerts``: name, severity, summary, labels."""
    reading = []
    for alert in alerts:
        if (alert.get("status") or {}).get("state", "active") != "active":
            continue
        labels = dict(alert.get("labels") or {})
        reading.append({
            "name": labels.get("alertname", "?"),
            "severity": labels.get("severity", ""),
            "summary": (alert.get("annotations") or {}).get("summary", ""),
            "labels": labels,
        })
    return reading


def _alert_findings(readable) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    """Alertmanager's active alerts, each a finding of its rule's severity (warning when it has none)."""
    findings = []
    read = []
    for host, probe in sorted(readable.items()):
        alerts = probe.get("alerts")
        if alerts is None:
            continue
        read.append(host)
        if isinstance(alerts, Mapping) and alerts.get("error"):
            findings.append(_finding(CRITICAL, "alerts", [host], "Alertmanager on %s does not answer" % host,
                                     alerts["error"]))
            continue
        for alert in alerts:
            labels = alert["labels"]
            hosts = [labels["host"]] if labels.get("host") else [host]
            findings.append(_finding(
                CRITICAL if alert["severity"] == CRITICAL else WARNING, "alerts", hosts,
                "Alert %s: %s" % (alert["name"], alert["summary"] or ", ".join(
                    "%s=%s" % item for item in sorted(labels.items()) if item[0] != "alertname")),
                "firing in Alertmanager on %s" % host))
    return findings, ("alerts firing in Alertmanager on %s" % ", ".join(read)) if read else None


def _unit_findings(readable) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    findings = []
    for host, probe in sorted(readable.items()):
        if probe.get("failed_units"):
            findings.append(_finding(WARNING, "units", [host],
                                     "Failed units on %s: %s" % (host, ", ".join(probe["failed_units"])),
                                     "journalctl -u <unit> on the host tells why"))
    return findings, "systemd units of %d hosts" % len(readable) if readable else None


def _backup_findings(readable, now: float) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    findings = []
    sources = 0
    for host, probe in sorted(readable.items()):
        for sample in probe.get("metrics", []):
            labels = sample["labels"]
            if sample["name"] == "rainbow_edge_backup_newest_timestamp_seconds":
                sources += 1
                source = labels.get("source", "?")
                limit = BINLOG_BACKUP_MAX_AGE_SECONDS if source == "mariadb-binlog" else BACKUP_MAX_AGE_SECONDS
                age = now - sample["value"]
                if age > limit:
                    findings.append(_finding(
                        WARNING if source == "mariadb-binlog" else CRITICAL, "backup", [host],
                        "The newest backup of %s on %s is %.1f h old" % (source, host, age / 3600.0),
                        "limit %.1f h" % (limit / 3600.0)))
            elif sample["name"] == "rainbow_edge_backup_repository_tampered" and sample["value"] == 1:
                findings.append(_finding(
                    CRITICAL, "backup", [host],
                    "Archives of %s on %s were removed by no maintenance" % (labels.get("repository", "?"), host),
                    "roll them back or accept them on the backup host"))
    return findings, ("age of %d backup sources" % sources) if sources else None


def _certificate_findings(readable, now: float) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    findings = []
    count = 0
    for host, probe in sorted(readable.items()):
        for cert in probe.get("certificates", []):
            count += 1
            days = (cert["not_after"] - now) / 86400.0
            if days <= 0:
                findings.append(_finding(CRITICAL, "certificate", [host],
                                         "The certificate %s on %s has expired" % (cert["path"], host),
                                         cert.get("subject", "")))
            elif days < CERTIFICATE_WARNING_DAYS:
                findings.append(_finding(WARNING, "certificate", [host],
                                         "The certificate %s on %s expires in %.0f days" % (cert["path"], host, days),
                                         "%s; a converge renews the Edge CA's certificates" % cert.get("subject", "")))
    return findings, ("expiry of %d certificates" % count) if count else None


def _order(finding: Mapping[str, Any]) -> Tuple[int, int, str]:
    return (SEVERITIES.index(finding["severity"]), TOPICS.index(finding["topic"]), finding["summary"])


def report(probes: Mapping[str, Any], groups: Mapping[str, Sequence[str]], now: Optional[float] = None,
           edge: str = "") -> Dict[str, Any]:
    """Every host's readings judged together: findings worst first, and what was checked.

    ``probes``: host -> the registered result of ``edge_health_probe`` (an
    unreachable or failed one included); ``groups``: the inventory's groups.
    """
    now = time.time() if now is None else now
    findings, readable = _host_findings(probes)
    checked = ["reachability of %d hosts" % len(probes)]
    for part in (_mariadb_findings(groups, readable), _swift_findings(groups, readable),
                 _xmpp_findings(groups, readable), _vip_findings(readable),
                 _wireguard_findings(readable, now), _alert_findings(readable), _unit_findings(readable),
                 _backup_findings(readable, now), _certificate_findings(readable, now)):
        findings.extend(part[0])
        if part[1]:
            checked.append(part[1])
    findings.sort(key=_order)
    status = findings[0]["severity"] if findings else "green"
    return {
        "edge": edge,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "status": status,
        "counts": {severity: sum(1 for f in findings if f["severity"] == severity) for severity in SEVERITIES},
        "findings": findings,
        "checked": checked,
        "hosts": sorted(probes),
    }


def summary_lines(health: Mapping[str, Any]) -> List[str]:
    """The report in a few lines for the terminal: the status, then each finding."""
    head = "Edge %s: %s" % (health.get("edge") or "", health["status"].upper())
    if not health["findings"]:
        return [head + " (checked: %s)" % "; ".join(health["checked"])]
    return [head + " (%d critical, %d warning)" % (health["counts"][CRITICAL], health["counts"][WARNING])] + [
        "%s: %s%s" % (f["severity"].upper(), f["summary"], (" (%s)" % f["detail"]) if f["detail"] else "")
        for f in health["findings"]]


_STATUS_COLOURS = {"green": "#2e7d32", WARNING: "#b26a00", CRITICAL: "#c62828"}


def render_html(health: Mapping[str, Any]) -> str:
    """A one-page report, self-contained (no script, no external style)."""
    esc = html.escape
    rows = "".join(
        "<tr><td style=\"color:%s\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            _STATUS_COLOURS[f["severity"]], esc(f["severity"]), esc(f["topic"]), esc(", ".join(f["hosts"])),
            esc(f["summary"]), esc(f["detail"]))
        for f in health["findings"])
    findings = ("<table><tr><th>severity</th><th>topic</th><th>hosts</th><th>finding</th><th>detail</th></tr>%s"
                "</table>" % rows) if rows else "<p>No finding: every check passed.</p>"
    checked = "".join("<li>%s</li>" % esc(item) for item in health["checked"])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
        "<title>Edge health: %(edge)s</title><style>body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>"
        "</head><body><h1>Edge health: %(edge)s</h1>"
        "<p>Status: <strong style=\"color:%(colour)s\">%(status)s</strong> at %(generated)s"
        " (%(critical)d critical, %(warning)d warning; %(hosts)d hosts)</p>%(findings)s"
        "<h2>Checked</h2><ul>%(checked)s</ul></body></html>\n" % {
            "edge": esc(health.get("edge") or ""), "colour": _STATUS_COLOURS[health["status"]],
            "status": esc(health["status"]), "generated": esc(health["generated"]),
            "critical": health["counts"][CRITICAL], "warning": health["counts"][WARNING],
            "hosts": len(health["hosts"]), "findings": findings, "checked": checked})


def unmounted_disks(node_dirs: Iterable[str], mount_points: Iterable[str]) -> List[str]:
    """The Swift device directories (``/srv/node/<dev>``) that are not mount points."""
    mounted = set(mount_points)
    return sorted(path for path in node_dirs if path not in mounted)
