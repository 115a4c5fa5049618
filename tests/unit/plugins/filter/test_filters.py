"""Filters that replace Jinja loops in roles' vars (plugins/filter/)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.filter.host_values import host_values
from ansible_collections.rainbow.edge.plugins.filter.preflight_probes import preflight_dc_probes, preflight_rtt_peers

HOSTVARS = {
    "db1": {"__mariadb_input_check": {"inputs": {"mariadb_primary": "db1", "mariadb_lan_ip": "10.20.0.21"}},
            "edge_lan_ip": "10.20.0.21"},
    "db2": {"mariadb_primary": "db1", "edge_lan_ip": "10.20.0.22"},
    "db3": {"__mariadb_input_check": {"inputs": {"mariadb_primary": None}}},
}


def test_host_values_takes_the_first_path_a_host_defines():
    members = ["db1", "db2", "db3", "gone"]
    assert host_values(members, HOSTVARS, ["__mariadb_input_check.inputs.mariadb_primary", "mariadb_primary"], "db1") == {
        "db1": "db1", "db2": "db1", "db3": "db1", "gone": "db1"}
    assert host_values(members, HOSTVARS, ["__mariadb_input_check.inputs.mariadb_lan_ip", "edge_lan_ip"], "") == {
        "db1": "10.20.0.21", "db2": "10.20.0.22", "db3": "", "gone": ""}
    assert host_values(["db2"], HOSTVARS, "edge_lan_ip") == {"db2": "10.20.0.22"}


def test_the_first_host_by_name_of_each_datacenter_probes():
    datacenter_of = {"b2": "dc2", "a2": "dc2", "a1": "dc1", "z": "", "n": None}
    assert preflight_dc_probes(datacenter_of) == {"dc1": "a1", "dc2": "a2"}


def test_only_a_probe_times_the_other_datacenters_probes_with_an_address():
    probes = {"dc1": "a1", "dc2": "a2", "dc3": "a3"}
    ips = {"a1": "10.20.0.1", "a2": "10.20.1.1", "a3": ""}
    assert preflight_rtt_peers(probes, "a1", "dc1", ips) == [{"name": "a2", "address": "10.20.1.1", "datacenter": "dc2"}]
    assert preflight_rtt_peers(probes, "b1", "dc1", ips) == []
    assert preflight_rtt_peers({}, "a1", "dc1", ips) == []
