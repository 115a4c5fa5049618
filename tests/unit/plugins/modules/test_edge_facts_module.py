"""rainbow.edge.edge_facts on this machine (read only) and with faked measurements.

Nothing here leaves the machine: RTT goes to loopback, iperf3 is faked.
"""

import json
import socket

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import edge_host
from ansible_collections.rainbow.edge.plugins.modules import edge_facts


def test_reads_this_machine(module_runner):
    rc, result = module_runner(edge_facts.main, {"datacenter": "dc1", "lan_cidr": "10.20.0.0/16"})
    assert rc == 0 and result["changed"] is False
    facts = result["ansible_facts"]["edge_host"]
    assert facts["vcpus"] >= 1 and facts["memory_mb"] > 0
    assert facts["datacenter"] == "dc1"
    assert all(disk > 0 for disk in facts["disks_gb"])
    assert all(nic["zone"] in ("lan", "wan", "other") for nic in facts["nics"])
    assert all(nic["name"] != "lo" for nic in facts["nics"])
    assert facts["wan_vips"] == []


def test_the_planned_wan_vips_are_returned_with_the_facts(module_runner):
    rc, result = module_runner(edge_facts.main, {"wan_vips": ["198.51.100.81", " 198.51.100.82"]})
    assert rc == 0, result
    assert result["ansible_facts"]["edge_host"]["wan_vips"] == ["198.51.100.81", "198.51.100.82"]


def test_rtt_to_loopback(module_runner):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    rc, result = module_runner(edge_facts.main, {
        "gather": False, "datacenter": "dc1", "name": "me",
        "rtt_peers": [{"name": "peer", "address": "127.0.0.1", "datacenter": "dc2", "port": port}],
        "rtt_samples": 3})
    assert rc == 0
    link = result["ansible_facts"]["edge_rtt"][0]
    assert (link["from_dc"], link["to_dc"], link["from_host"], link["to_host"]) == ("dc1", "dc2", "me", "peer")
    assert link["rtt_ms"] is not None and link["samples"] == 3
    assert "edge_host" not in result["ansible_facts"]


def test_bandwidth_with_a_faked_iperf3(module_runner, monkeypatch):
    calls = []
    out = json.dumps({"end": {"sum_received": {"bits_per_second": 9e8},
                              "sum_received_bidir_reverse": {"bits_per_second": 8e8}}})

    def fake_run(self, argv, **kwargs):
        calls.append(argv)
        return 0, out, ""
    monkeypatch.setattr(edge_facts.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)
    monkeypatch.setattr(edge_facts.AnsibleModule, "run_command", fake_run)
    rc, result = module_runner(edge_facts.main, {"gather": False, "bandwidth_target": "10.20.2.12"})
    assert rc == 0
    assert result["ansible_facts"]["edge_bandwidth"]["wan_bandwidth_mbps"] == 800.0
    assert calls[0][:3] == ["/usr/bin/iperf3", "--client", "10.20.2.12"]
    rc, result = module_runner(edge_facts.main, {"gather": False, "iperf3_server": True, "iperf3_port": 5301})
    assert result["iperf3_server"] == {"started": True, "port": 5301, "error": None}
    assert "--one-off" in calls[1]


def test_missing_iperf3_is_reported_not_fatal(module_runner, monkeypatch):
    monkeypatch.setattr(edge_facts.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    rc, result = module_runner(edge_facts.main, {"gather": False, "bandwidth_target": "10.20.2.12",
                                                 "iperf3_server": True})
    assert rc == 0
    assert "not installed" in result["ansible_facts"]["edge_bandwidth"]["error"]
    assert result["iperf3_server"]["started"] is False


@pytest.mark.parametrize("args,message", [
    ({"lan_cidr": "10.20.0.0/99"}, "lan_cidr"),
    ({"lan_ip": "10.20.300.1"}, "lan_ip must be an IPv4 address"),
    ({"wan_cidrs": ["x"]}, "wan_cidrs[0]"),
    ({"wan_vips": ["198.51.100.81", "vip"]}, "wan_vips[1] must be an IPv4 address"),
    ({"gather": False, "rtt_peers": [{"name": "p"}]}, "rtt_peers[0].address"),
    ({"gather": False, "rtt_peers": [{"address": "10.20.2.1", "port": 70000}]}, "port must be at most 65535"),
    ({"gather": False, "rtt_peers": [{"address": "10.20.2.1"}], "rtt_samples": 0}, "rtt_samples"),
    ({"gather": False, "rtt_peers": [{"address": "10.20.2.1"}], "rtt_timeout": -1}, "rtt_timeout"),
    ({"gather": False, "bandwidth_target": "somewhere"}, "bandwidth_target"),
])
def test_bad_input_fails_with_a_message(module_runner, monkeypatch, args, message):
    monkeypatch.setattr(edge_host, "tcp_handshake_ms", lambda *a: 1.0)
    rc, result = module_runner(edge_facts.main, args)
    assert rc == 1 and message in result["msg"]
    assert "exception" not in result
