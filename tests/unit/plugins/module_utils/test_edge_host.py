"""Reading a host from a fake /proc and /sys tree; RTT and iperf3 parsing."""

import ipaddress
import json
import os
import socket
import stat

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import edge_host
from ansible_collections.rainbow.edge.plugins.module_utils.edge_host import HostReader, classify_nics

LAN = ipaddress.IPv4Network("10.20.0.0/16")


def write(root, path, text):
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.fixture
def fake_host(tmp_path):
    write(tmp_path, "proc/meminfo", "MemTotal:       65536000 kB\nMemFree:        1000 kB\n")
    for name, sectors in (("vda", 64 * 2097152), ("vdb", 256 * 2097152), ("vdc", 256 * 2097152),
                          ("loop0", 100), ("sr0", 2097152), ("dm-0", 2097152), ("zram0", 0), ("vdd", 0)):
        write(tmp_path, "sys/block/%s/size" % name, "%d\n" % sectors)
        write(tmp_path, "sys/block/%s/removable" % name, "0\n")
        write(tmp_path, "sys/block/%s/queue/rotational" % name, "0\n")
    write(tmp_path, "sys/block/sdz/size", "2097152\n")
    write(tmp_path, "sys/block/sdz/removable", "1\n")  # a USB stick
    for name, speed in (("eth0", "10000"), ("eth1", "1000"), ("eth2", "-1"), ("lo", "")):
        write(tmp_path, "sys/class/net/%s/speed" % name, speed + "\n")
        write(tmp_path, "sys/class/net/%s/address" % name, "02:00:00:00:00:0%d\n" % len(name))
        write(tmp_path, "sys/class/net/%s/operstate" % name, "up\n")
    (tmp_path / "sys/class/net/eth3").mkdir(parents=True)  # down: reading speed gives EINVAL
    return tmp_path


def test_memory_and_disks(fake_host):
    reader = HostReader(str(fake_host), cpu_count=lambda: 8)
    memory = reader.memory()
    assert memory["memory_mb"] == 64000.0
    assert memory["memory_limit_mb"] is None
    assert [(d["name"], d["size_gb"]) for d in reader.disks()] == [("vdb", 256.0), ("vdc", 256.0), ("vda", 64.0)]
    assert reader.vcpus() == {"vcpus": 8, "vcpus_online": 8, "vcpus_quota": None}


def test_cgroup_v2_limits_cap_the_figures(fake_host):
    write(fake_host, "sys/fs/cgroup/cpu.max", "150000 100000\n")
    write(fake_host, "sys/fs/cgroup/memory.max", "%d\n" % (2 * 1024 ** 3))
    reader = HostReader(str(fake_host), cpu_count=lambda: 8)
    assert reader.vcpus()["vcpus"] == 2
    assert reader.memory()["memory_mb"] == 2048.0


def test_cgroup_v2_without_limits(fake_host):
    write(fake_host, "sys/fs/cgroup/cpu.max", "max 100000\n")
    write(fake_host, "sys/fs/cgroup/memory.max", "max\n")
    reader = HostReader(str(fake_host), cpu_count=lambda: 4)
    assert reader.vcpus()["vcpus"] == 4
    assert reader.memory()["memory_mb"] == 64000.0


def test_cgroup_v1_limits(fake_host):
    write(fake_host, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "100000\n")
    write(fake_host, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n")
    write(fake_host, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
    reader = HostReader(str(fake_host), cpu_count=lambda: 4)
    assert reader.vcpus()["vcpus"] == 1
    assert reader.memory()["memory_mb"] == 64000.0


def test_cgroup_v1_unlimited_quota(fake_host):
    write(fake_host, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n")
    write(fake_host, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n")
    assert HostReader(str(fake_host), cpu_count=lambda: 3).vcpus()["vcpus"] == 3


def test_interfaces(fake_host):
    nics = {nic["name"]: nic for nic in HostReader(str(fake_host)).interfaces()}
    assert set(nics) == {"eth0", "eth1", "eth2", "eth3"}
    assert (nics["eth0"]["speed_mbps"], nics["eth1"]["speed_mbps"]) == (10000, 1000)
    assert nics["eth2"]["speed_mbps"] is None and nics["eth3"]["speed_mbps"] is None


def test_an_empty_root_reads_as_nothing(tmp_path):
    reader = HostReader(str(tmp_path), cpu_count=lambda: 1)
    assert reader.disks() == [] and reader.interfaces() == [] and reader.addresses() == {}
    assert reader.memory()["memory_mb"] is None


IP_JSON = json.dumps([
    {"ifindex": 1, "ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8}]},
    {"ifindex": 2, "ifname": "eth0", "addr_info": [{"family": "inet", "local": "10.20.2.11", "prefixlen": 24},
                                                   {"family": "inet", "local": "10.20.2.200", "prefixlen": 24}]},
    {"ifindex": 3, "ifname": "eth1", "addr_info": [{"family": "inet", "local": "198.51.100.18", "prefixlen": 28}]},
    {"ifindex": 4, "ifname": "eth2", "addr_info": [{"family": "inet", "local": "10.88.0.5", "prefixlen": 16},
                                                   {"family": "inet", "local": "100.1.2.3", "prefixlen": 24}]},
])


def test_parse_ip_json():
    parsed = edge_host.parse_ip_json(IP_JSON)
    assert parsed["eth0"] == ["10.20.2.11/24", "10.20.2.200/24"]
    assert edge_host.parse_ip_json("not json") == {}
    assert edge_host.parse_ip_json('{"a": 1}') == {}
    assert edge_host.parse_ip_json('[1, {"ifname": 3}, {"ifname": "x", "addr_info": [7]}]') == {}


def test_addresses_through_the_runner(fake_host):
    calls = []

    def runner(argv):
        calls.append(argv)
        return 0, IP_JSON, ""
    assert HostReader(str(fake_host), runner=runner).addresses()["eth1"] == ["198.51.100.18/28"]
    assert calls == [["ip", "-j", "-4", "addr", "show"]]
    assert HostReader(str(fake_host), runner=lambda argv: (1, "", "boom")).addresses() == {}


def test_zones_by_declared_address_subnet_and_routability():
    interfaces = [{"name": n, "speed_mbps": 1000} for n in ("eth0", "eth1", "eth2", "eth9")]
    addresses = edge_host.parse_ip_json(IP_JSON)
    nics = classify_nics(interfaces, addresses, LAN, wan_ip=ipaddress.IPv4Address("198.51.100.18"))
    zones = [(nic["name"], nic["zone"], nic["addresses"]) for nic in nics]
    assert zones == [
        ("eth0", "lan", ["10.20.2.11", "10.20.2.200"]),
        ("eth1", "wan", ["198.51.100.18"]),
        ("eth2", "other", ["10.88.0.5"]),
        ("eth2", "wan", ["100.1.2.3"]),   # one NIC carrying two zones shows twice
        ("eth9", "other", []),
    ]
    by_cidr = classify_nics(interfaces[1:2], addresses, LAN, wan_networks=[ipaddress.IPv4Network("198.51.100.16/28")])
    assert by_cidr[0]["zone"] == "wan"
    assert classify_nics(interfaces[1:2], addresses, LAN)[0]["zone"] == "other"
    declared = classify_nics(interfaces[2:3], addresses, LAN, lan_ip=ipaddress.IPv4Address("10.88.0.5"))
    assert declared[0]["zone"] == "lan"


def test_rtt_is_the_median_of_the_samples():
    samples = iter([5.0, 1.0, 3.0])
    result = edge_host.measure_rtt("10.20.2.22", 22, 3, 1.0, connector=lambda a, p, t: next(samples))
    assert (result["rtt_ms"], result["rtt_min_ms"], result["rtt_max_ms"], result["samples"]) == (3.0, 1.0, 5.0, 3)


def test_rtt_without_answer():
    def silent(address, port, timeout):
        raise socket.timeout("timed out")
    result = edge_host.measure_rtt("10.20.2.22", 22, 2, 0.1, connector=silent)
    assert result["rtt_ms"] is None and "timed out" in result["error"]


def test_rtt_over_loopback_counts_a_refused_connection():
    # Loopback only: find a closed port by binding and closing.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    result = edge_host.measure_rtt("127.0.0.1", port, 3, 1.0)
    assert result["samples"] == 3 and 0 <= result["rtt_ms"] < 100


def test_iperf3_argv():
    assert "--one-off" in edge_host.iperf3_server_argv(5201, 60)
    assert edge_host.iperf3_server_argv(5201, 60)[-2:] == ["--idle-timeout", "60"]
    assert "--bidir" in edge_host.iperf3_client_argv("10.20.2.1", 5201, 3)


def test_parse_iperf3():
    out = json.dumps({"end": {"sum_received": {"bits_per_second": 941e6},
                              "sum_received_bidir_reverse": {"bits_per_second": 300e6}}})
    assert edge_host.parse_iperf3(out) == {
        "wan_bandwidth_mbps": 300.0, "upload_mbps": 941.0, "download_mbps": 300.0, "error": None}
    assert edge_host.parse_iperf3(json.dumps({"error": "unable to connect"}))["error"] == "unable to connect"
    assert edge_host.parse_iperf3("")["wan_bandwidth_mbps"] is None
    assert edge_host.parse_iperf3("garbage")["error"] == "iperf3 printed no JSON"
    assert edge_host.parse_iperf3("[]")["error"] == "iperf3 printed unexpected JSON"
    assert edge_host.parse_iperf3("{}")["error"] == "iperf3 reported no throughput"


class FakeStat:
    """What os.stat says of a device node."""

    def __init__(self, major, minor, block=True):
        self.st_mode = stat.S_IFBLK if block else stat.S_IFCHR
        self.st_rdev = os.makedev(major, minor)


def test_disks_passed_into_a_container_are_found_in_dev(tmp_path):
    # vda is in /sys/block and in /dev (a VM): counted once. A lab disk handed
    # to a container as /dev/vdb is a loop device for the kernel: only its
    # /dev node says it is a disk. Partitions, loops and char devices are not.
    write(tmp_path, "sys/block/vda/size", "%d\n" % (64 * 2097152))
    write(tmp_path, "sys/block/vda/dev", "254:0\n")
    write(tmp_path, "sys/block/loop3/size", "%d\n" % (200 * 2097152))
    write(tmp_path, "sys/block/loop3/dev", "7:3\n")
    write(tmp_path, "sys/block/loop4/size", "%d\n" % (100 * 2097152))  # not handed in
    write(tmp_path, "sys/block/loop4/dev", "7:4\n")
    write(tmp_path, "sys/block/vda/vda1/dev", "254:1\n")
    devices = {"vda": FakeStat(254, 0), "vdb": FakeStat(7, 3), "vda1": FakeStat(254, 1),
               "loop3": FakeStat(7, 3), "null": FakeStat(1, 3, block=False)}
    for name in devices:
        write(tmp_path, "dev/%s" % name, "")
    os.symlink("vdb", str(tmp_path / "dev" / "disk-alias"))
    reader = HostReader(str(tmp_path), stat_device=lambda path: devices[os.path.basename(path)])
    assert [(d["name"], d["size_gb"]) for d in reader.disks()] == [("vdb", 200.0), ("vda", 64.0)]
