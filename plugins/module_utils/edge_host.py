# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a real host: vCPUs, memory, disks, NICs, addresses; measure RTT and bandwidth.

Runs on the managed host (Debian 12, Python 3.11) inside ``edge_facts``.
Everything is read from /proc and /sys under a configurable root, and the
only commands run are ``ip`` and ``iperf3`` through an injected runner, so
the unit tests feed fake trees and outputs instead of needing a machine.

Figures are the *effective* ones: a container or a cgroup-limited VM is
judged by what it may use (CPU quota, memory limit), not by the host's
total, because the footprint is about what the Edge services will get.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import stat
import statistics
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

# Runner: argv -> (rc, stdout, stderr), as AnsibleModule.run_command returns.
Runner = Callable[[List[str]], Tuple[int, str, str]]

# Block devices that are not disks a hypervisor gives a VM (or that would
# count a disk twice: partitions, device-mapper and md volumes sit on disks).
_NOT_DISKS = ("loop", "ram", "zram", "sr", "fd", "nbd", "dm-", "md")
# cgroup v1 prints this (or more) for "no limit".
_NO_LIMIT = 1 << 60


class HostReader:
    """Reads one host's figures from a filesystem root (``/`` on a real host)."""

    def __init__(self, root: str = "/", runner: Optional[Runner] = None,
                 cpu_count: Optional[Callable[[], int]] = None,
                 stat_device: Optional[Callable[[str], os.stat_result]] = None) -> None:
        self.root = root
        self.runner = runner
        self._cpu_count = cpu_count or _affinity_count
        self._stat = stat_device or os.stat

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def read(self, *parts: str) -> Optional[str]:
        """A small text file, or None when absent or unreadable (EINVAL on a down NIC)."""
        try:
            with open(self.path(*parts), "r", encoding="utf-8", errors="replace") as handle:
                return handle.read().strip()
        except (OSError, ValueError):
            return None

    def vcpus(self) -> Dict[str, Optional[int]]:
        """CPUs this host may use: the affinity set, capped by a cgroup CPU quota."""
        online = self._cpu_count()
        quota = self.cpu_quota()
        effective = online if quota is None else max(1, min(online, quota))
        return {"vcpus": effective, "vcpus_online": online, "vcpus_quota": quota}

    def cpu_quota(self) -> Optional[int]:
        """Whole CPUs allowed by cgroup v2 cpu.max or v1 cfs quota (None: unlimited)."""
        text = self.read("sys", "fs", "cgroup", "cpu.max")
        if text:
            fields = text.split()
            if fields and fields[0] != "max" and len(fields) == 2:
                return _ceil_ratio(fields[0], fields[1])
            return None
        quota = self.read("sys", "fs", "cgroup", "cpu", "cpu.cfs_quota_us")
        period = self.read("sys", "fs", "cgroup", "cpu", "cpu.cfs_period_us")
        if quota and period and not quota.startswith("-"):
            return _ceil_ratio(quota, period)
        return None

    def memory(self) -> Dict[str, Optional[float]]:
        """MemTotal in MB (MiB), capped by a cgroup memory limit."""
        total_mb = None
        for line in (self.read("proc", "meminfo") or "").splitlines():
            if line.startswith("MemTotal:"):
                fields = line.split()
                if len(fields) >= 2 and fields[1].isdigit():
                    total_mb = int(fields[1]) / 1024.0
        limit_mb = self.memory_limit_mb()
        effective = total_mb
        if limit_mb is not None and (total_mb is None or limit_mb < total_mb):
            effective = limit_mb
        return {"memory_mb": None if effective is None else round(effective, 1),
                "memory_total_mb": None if total_mb is None else round(total_mb, 1),
                "memory_limit_mb": None if limit_mb is None else round(limit_mb, 1)}

    def memory_limit_mb(self) -> Optional[float]:
        for parts in (("sys", "fs", "cgroup", "memory.max"),
                      ("sys", "fs", "cgroup", "memory", "memory.limit_in_bytes")):
            text = self.read(*parts)
            if text and text.isdigit() and int(text) < _NO_LIMIT:
                return int(text) / 1048576.0
        return None

    def disks(self) -> List[Dict[str, Any]]:
        """Whole disks, sizes in GB (GiB), largest first.

        Two sources, merged by major:minor: /sys/block (every disk of a VM or
        bare-metal host) and the block device nodes in /dev (how a disk is
        handed to a container, whatever the kernel calls it: a lab disk
        passed in as /dev/vdb is a loop device in /sys/block, which is
        otherwise skipped).
        """
        found: Dict[str, Dict[str, Any]] = {}
        # major:minor -> name of every whole block device the kernel has
        # (/sys/dev/block, the direct index, is masked inside containers).
        kernel_names = {}
        for name in self._listdir("sys", "block"):
            kernel_names[self.read("sys", "block", name, "dev") or name] = name
        for device, name in kernel_names.items():
            if name.startswith(_NOT_DISKS) or self.read("sys", "block", name, "removable") == "1":
                continue
            disk = self._disk(name, ("sys", "block", name))
            if disk:
                found[device] = disk
        for name, device in self._dev_block_nodes():
            # A partition or an unknown device has no whole-disk entry: skipped.
            if device in found or device not in kernel_names or name.startswith(_NOT_DISKS):
                continue
            disk = self._disk(name, ("sys", "block", kernel_names[device]))
            if disk:
                found[device] = disk
        return sorted(found.values(), key=lambda disk: (-disk["size_gb"], disk["name"]))

    def _disk(self, name: str, sysdir: Tuple[str, ...]) -> Optional[Dict[str, Any]]:
        sectors = self.read(*sysdir + ("size",))
        if not sectors or not sectors.isdigit() or int(sectors) == 0:
            return None
        return {
            "name": name,
            # .../size counts 512-byte sectors whatever the device's block size.
            "size_gb": round(int(sectors) * 512 / 1073741824.0, 2),
            "rotational": self.read(*sysdir + ("queue", "rotational")) == "1",
            "model": self.read(*sysdir + ("device", "model")) or "",
        }

    def _dev_block_nodes(self) -> List[Tuple[str, str]]:
        """(name, "major:minor") of the block device nodes directly in /dev."""
        nodes = []
        for name in self._listdir("dev"):
            path = self.path("dev", name)
            try:
                if os.path.islink(path):
                    continue
                info = self._stat(path)
            except OSError:
                continue
            if stat.S_ISBLK(info.st_mode):
                nodes.append((name, "%d:%d" % (os.major(info.st_rdev), os.minor(info.st_rdev))))
        return nodes

    def _listdir(self, *parts: str) -> List[str]:
        try:
            return sorted(os.listdir(self.path(*parts)))
        except OSError:
            return []

    def interfaces(self) -> List[Dict[str, Any]]:
        """Every network interface but loopback: speed (Mb/s, None if unknown), MAC, state."""
        nics = []
        for name in self._listdir("sys", "class", "net"):
            if name == "lo":
                continue
            speed_text = self.read("sys", "class", "net", name, "speed")
            speed = int(speed_text) if speed_text and speed_text.lstrip("-").isdigit() else None
            nics.append({
                "name": name,
                "speed_mbps": speed if speed is not None and speed > 0 else None,
                "mac": self.read("sys", "class", "net", name, "address") or "",
                "operstate": self.read("sys", "class", "net", name, "operstate") or "unknown",
                "physical": os.path.exists(self.path("sys", "class", "net", name, "device")),
            })
        return nics

    def addresses(self) -> Dict[str, List[str]]:
        """Interface -> IPv4 addresses with prefix ("10.20.2.11/24"), from ``ip -j``."""
        if self.runner is None:
            return {}
        rc, out, _err = self.runner(["ip", "-j", "-4", "addr", "show"])
        if rc != 0:
            return {}
        return parse_ip_json(out)


def _affinity_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _ceil_ratio(numerator: str, denominator: str) -> Optional[int]:
    try:
        top, bottom = int(numerator), int(denominator)
    except ValueError:
        return None
    if top <= 0 or bottom <= 0:
        return None
    return -(-top // bottom)


def parse_ip_json(text: str) -> Dict[str, List[str]]:
    """``ip -j -4 addr show`` output -> {ifname: ["a.b.c.d/len", ...]}; junk gives {}."""
    try:
        data = json.loads(text or "[]")
    except ValueError:
        return {}
    result: Dict[str, List[str]] = {}
    if not isinstance(data, list):
        return {}
    for link in data:
        if not isinstance(link, dict) or not isinstance(link.get("ifname"), str):
            continue
        for info in link.get("addr_info") or []:
            if isinstance(info, dict) and info.get("family", "inet") == "inet" and info.get("local"):
                result.setdefault(link["ifname"], []).append(
                    "%s/%s" % (info["local"], info.get("prefixlen", 32)))
    return result


def zone_of(address: ipaddress.IPv4Address, lan: ipaddress.IPv4Network,
            lan_ip: Optional[ipaddress.IPv4Address], wan_ip: Optional[ipaddress.IPv4Address],
            wan_networks: Sequence[ipaddress.IPv4Network]) -> str:
    """lan, wan or other: declared addresses first, then subnets, then routability."""
    if lan_ip is not None and address == lan_ip:
        return "lan"
    if wan_ip is not None and address == wan_ip:
        return "wan"
    if address in lan:
        return "lan"
    if any(address in network for network in wan_networks) or address.is_global:
        return "wan"
    return "other"


def classify_nics(interfaces: Iterable[Dict[str, Any]], addresses: Dict[str, List[str]],
                  lan: ipaddress.IPv4Network, lan_ip: Optional[ipaddress.IPv4Address] = None,
                  wan_ip: Optional[ipaddress.IPv4Address] = None,
                  wan_networks: Sequence[ipaddress.IPv4Network] = ()) -> List[Dict[str, Any]]:
    """One entry per (interface, zone): a NIC carrying LAN and WAN shows twice,
    which is exactly what the 'distinct NICs' check looks for."""
    nics = []
    for iface in interfaces:
        by_zone: Dict[str, List[str]] = {}
        for text in addresses.get(iface["name"], []):
            try:
                address = ipaddress.IPv4Address(text.split("/", 1)[0])
            except ValueError:
                continue
            by_zone.setdefault(zone_of(address, lan, lan_ip, wan_ip, wan_networks), []).append(str(address))
        for zone, found in (sorted(by_zone.items()) or [("other", [])]):
            nics.append(dict(iface, zone=zone, address=found[0] if found else None, addresses=found))
    return nics


def measure_rtt(address: str, port: int, samples: int = 5, timeout: float = 2.0,
                connector: Optional[Callable[[str, int, float], float]] = None) -> Dict[str, Any]:
    """Median TCP handshake time to a peer, in ms.

    A TCP connect returns after exactly one round trip whether the port
    answers SYN/ACK or RST, so no listener and no raw-socket privilege
    (ping needs CAP_NET_RAW) is required. A silent drop shows as an error.
    """
    connect = connector or tcp_handshake_ms
    times: List[float] = []
    error = None
    for _index in range(samples):
        try:
            times.append(connect(address, port, timeout))
        except OSError as exc:
            error = "%s:%d: %s" % (address, port, exc.strerror or str(exc) or exc.__class__.__name__)
    if not times:
        return {"rtt_ms": None, "samples": 0, "error": error or "no sample"}
    return {"rtt_ms": round(statistics.median(times), 3), "rtt_min_ms": round(min(times), 3),
            "rtt_max_ms": round(max(times), 3), "samples": len(times), "error": error}


def tcp_handshake_ms(address: str, port: int, timeout: float) -> float:
    """One TCP handshake (refused counts: the RST came back after one RTT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    start = time.monotonic()
    try:
        sock.connect((address, port))
    except ConnectionRefusedError:
        pass
    finally:
        elapsed = (time.monotonic() - start) * 1000.0
        sock.close()
    return elapsed


def iperf3_server_argv(port: int, idle_timeout: int) -> List[str]:
    """A one-off daemon that exits after one test or after idle_timeout seconds,
    so a pre-flight leaves no server behind even if the client never comes."""
    return ["iperf3", "--server", "--daemon", "--one-off", "--port", str(port),
            "--idle-timeout", str(idle_timeout)]


def iperf3_client_argv(target: str, port: int, seconds: int) -> List[str]:
    """Both directions at once (--bidir) over the one connection the server accepts."""
    return ["iperf3", "--client", target, "--port", str(port), "--time", str(seconds),
            "--bidir", "--json", "--connect-timeout", "5000"]


def parse_iperf3(text: str) -> Dict[str, Any]:
    """iperf3 --json --bidir output -> upload/download Mb/s (receiver side) or an error."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {"wan_bandwidth_mbps": None, "error": "iperf3 printed no JSON"}
    if not isinstance(data, dict):
        return {"wan_bandwidth_mbps": None, "error": "iperf3 printed unexpected JSON"}
    if data.get("error"):
        return {"wan_bandwidth_mbps": None, "error": str(data["error"])}
    end = data.get("end") if isinstance(data.get("end"), dict) else {}
    upload = _mbps(end.get("sum_received"))
    download = _mbps(end.get("sum_received_bidir_reverse"))
    measured = [value for value in (upload, download) if value is not None]
    return {"wan_bandwidth_mbps": min(measured) if measured else None,
            "upload_mbps": upload, "download_mbps": download,
            "error": None if measured else "iperf3 reported no throughput"}


def _mbps(summary: Any) -> Optional[float]:
    if isinstance(summary, dict) and isinstance(summary.get("bits_per_second"), (int, float)):
        return round(summary["bits_per_second"] / 1e6, 1)
    return None
