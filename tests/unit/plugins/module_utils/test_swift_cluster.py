"""The swift role's view of its cluster (plugins/module_utils/swift_cluster.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from ansible_collections.rainbow.edge.plugins.module_utils import swift_cluster

HOSTVARS = {
    "s1": {"edge_lan_ip": "10.20.0.31", "swift_disks": [{"name": "d1"}, {"name": "d2", "weight": 50}]},
    "s2": {"edge_lan_ip": "10.20.0.32", "swift_lan_ip": "10.30.0.32", "swift_zone": "7", "swift_region": 2,
           "swift_disks": [{"name": "d1"}]},
    "s3": {"swift_zone": 0},
}


def test_nodes_apply_the_role_defaults_other_hosts_cannot_show():
    assert swift_cluster.nodes(["s1", "s2", "s3", "gone"], HOSTVARS) == [
        {"host": "s1", "ip": "10.20.0.31", "region": 1, "zone": 1, "disks": [{"name": "d1"}, {"name": "d2", "weight": 50}]},
        {"host": "s2", "ip": "10.30.0.32", "region": 2, "zone": 7, "disks": [{"name": "d1"}]},
        {"host": "s3", "ip": "", "region": 1, "zone": 3, "disks": []},
        {"host": "gone", "ip": "", "region": 1, "zone": 4, "disks": []},
    ]


def test_a_member_that_read_its_inputs_is_seen_through_them():
    read = {"__swift_input_check": {"inputs": {"swift_lan_ip": "10.20.0.34", "swift_zone": 0, "swift_region": 1,
                                               "swift_disks": [{"name": "d9"}]}, "errors": []},
            "swift_lan_ip": "{{ edge_lan_ip }}", "swift_zone": "not read"}
    assert swift_cluster.nodes(["s1", "s4"], dict(HOSTVARS, s4=read))[1] == {
        "host": "s4", "ip": "10.20.0.34", "region": 1, "zone": 2, "disks": [{"name": "d9"}]}


def test_every_disk_of_every_node_is_in_every_ring_on_its_port():
    nodes = swift_cluster.nodes(["s1", "s2"], HOSTVARS)
    devices = swift_cluster.ring_devices(nodes, {"account": "6202", "container": 6201, "object": 6200})
    assert sorted(devices) == ["account", "container", "object"]
    assert devices["object"] == [
        {"region": 1, "zone": 1, "ip": "10.20.0.31", "port": 6200, "device": "d1", "weight": 100.0},
        {"region": 1, "zone": 1, "ip": "10.20.0.31", "port": 6200, "device": "d2", "weight": 50.0},
        {"region": 2, "zone": 7, "ip": "10.30.0.32", "port": 6200, "device": "d1", "weight": 100.0},
    ]
    assert {d["port"] for d in devices["account"]} == {6202}


@pytest.mark.parametrize("variant, concurrent, registered, small, nodes, power", [
    ("standalone", 1000, None, True, 1, 12),
    ("standalone", 1000, 5000, True, 1, 12),
    ("standalone", 1001, None, False, 3, 14),
    ("standalone", 800, 5001, False, 3, 14),
    ("connected", 500, None, False, 3, 14),
])
def test_sizing_follows_the_footprint_thresholds(variant, concurrent, registered, small, nodes, power):
    sizing = swift_cluster.sizing(variant, concurrent, registered)
    assert (sizing["small_edge"], sizing["min_nodes"], sizing["default_part_power"]) == (small, nodes, power)
    assert sizing["registered_users"] == (registered if registered is not None else concurrent * 5)


@given(st.integers(min_value=0, max_value=10**6), st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)))
def test_a_small_edge_is_exactly_a_standalone_one_within_both_limits(concurrent, registered):
    sizing = swift_cluster.sizing("standalone", concurrent, registered)
    registered_users = registered if registered is not None else concurrent * 5
    assert sizing["small_edge"] == (concurrent <= 1000 and registered_users <= 5000)
    assert sizing["min_nodes"] == (1 if sizing["small_edge"] else 3)


def test_only_real_deployed_values_that_differ_are_changes():
    wanted = {"prefix": "p", "suffix": "s", "other": "o"}
    assert swift_cluster.changed_settings({"prefix": "changeme", "suffix": "x", "other": "o"}, wanted, "changeme") == ["suffix"]
    assert swift_cluster.changed_settings({}, wanted, "changeme") == []


def _files(*existing):
    """A rainbow.edge.block_devices result for /etc/swift's files."""
    return {"files": {f"/etc/swift/{name}": {"exists": name in existing, "checksum": ""}
                      for name in ("object.ring.gz", "object.builder", "swift.conf")}}


def test_deployed_files_are_named_without_their_directory():
    assert swift_cluster.deployed_files(_files("swift.conf")) == {
        "object.ring.gz": False, "object.builder": False, "swift.conf": True}
    assert swift_cluster.deployed_files(None) == {} and swift_cluster.deployed_files({"files": None}) == {}


def test_ring_holders_and_the_master_s_builders():
    probes = {"s1": _files("swift.conf"), "s2": _files("object.ring.gz"), "s3": _files()}
    assert swift_cluster.ring_holders(["s1", "s2", "s3"], "s1", probes, ["object.ring.gz", "object.builder"]) == ["s2"]
    assert swift_cluster.ring_holders(["s1", "s2"], "s2", probes, ["object.ring.gz"]) == []
    assert swift_cluster.master_has_builders(_files("object.builder")) and not swift_cluster.master_has_builders(None)


def _device(device, rc, is_block=True, **signature):
    return {"device": device, "path": device, "exists": is_block, "is_block": is_block, "blkid_rc": rc,
            "signature": signature, "blank": None, "busy": False}


def test_foreign_disks_are_named_with_what_they_hold():
    devices = [
        _device("/dev/vdb", 0, TYPE="xfs", UUID="1"),
        _device("/dev/vdc", 0, TYPE="ext4"),
        _device("/dev/vdd", 0, PTTYPE="gpt"),
        _device("/dev/vde", 2),               # blank: Swift formats it
        _device("/dev/vdf", None, is_block=False),
    ]
    assert swift_cluster.foreign_disks(devices, "xfs") == ["/dev/vdc (ext4)", "/dev/vdd (a partition table)"]
    assert swift_cluster.missing_disks(devices) == ["/dev/vdf"]


def test_ring_errors_are_named_by_role_variable():
    plans = [{"errors": [{"option": "devices", "message": "no devices"}]}, {"errors": []}, {},
             {"errors": [{"option": "odd", "message": "m"}]}]
    assert swift_cluster.ring_errors(plans, {"devices": "swift_disks"}) == ["swift_disks: no devices", "odd: m"]
