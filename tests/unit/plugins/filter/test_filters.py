"""Filters that replace Jinja loops in roles' vars (plugins/filter/)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.filter.host_values import host_values
from ansible_collections.rainbow.edge.plugins.filter.operations_roles import operations_roles
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


EDGE_GROUPS = {"edge": ["gk1", "db1", "logs1", "mon1", "bk1"], "logs": ["logs1"], "metrics": ["mon1"], "backup": ["bk1"]}


def test_each_operations_tier_s_host_gets_its_role_and_every_host_ships_and_backs_up_to_them():
    assert operations_roles(["edge", "gatekeeper"], EDGE_GROUPS) == ["log_shipping", "backup_client"]
    assert operations_roles(["edge", "logs"], EDGE_GROUPS) == ["logs", "log_shipping", "backup_client"]
    assert operations_roles(["edge", "metrics"], EDGE_GROUPS) == ["log_shipping", "metrics", "backup_client"]
    # The backup host keeps the repositories: it is no client of itself.
    assert operations_roles(["edge", "backup"], EDGE_GROUPS) == ["log_shipping", "backup"]


def test_without_a_logs_or_backup_host_no_host_ships_or_backs_up():
    groups = {"edge": ["gk1", "db1"], "logs": [], "gatekeeper": ["gk1"]}
    assert operations_roles(["edge", "gatekeeper"], groups) == []
    assert operations_roles(["edge", "mariadb"], {"edge": ["db1"], "metrics": ["mon1"]}) == []
