# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ring guards of module_utils/swift_ring.py: create once, never rebuild, never force."""

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils.swift_ring import (
    commands,
    default_part_power,
    describe,
    has_changes,
    plan_ring,
    validate_desired,
)

NOW = 1_700_000_000.0
IPS = ("10.20.6.11", "10.20.6.12", "10.20.6.13")


def devices(port=6200, weight=100.0, disks=("d1", "d2", "d3")):
    return [{"region": 1, "zone": zone, "ip": ip, "port": port, "device": disk, "weight": weight}
            for zone, ip in enumerate(IPS, start=1) for disk in disks]


def desired(**overrides):
    return dict({"part_power": None, "replicas": 3, "min_part_hours": 24, "devices": devices()}, **overrides)


def deployed(devs=None, **overrides):
    """A builder as the module reads it, built from ``devs`` (default: the inventory's nine disks)."""
    devs = devices() if devs is None else devs
    state = {
        "part_power": 14, "replicas": 3.0, "min_part_hours": 24,
        "devices": [dict(dev, id=index) for index, dev in enumerate(devs)],
        "min_part_seconds_left": 0, "devs_changed": False, "ever_rebalanced": True, "ring_file_exists": True,
    }
    state.update(overrides)
    return state


def messages(plan, option=None):
    return [e["message"] for e in plan["errors"] if option is None or e["option"] == option]


@pytest.mark.parametrize("disks, power", [(1, 10), (3, 12), (9, 14), (90, 17), (100000, 24)])
def test_default_part_power_follows_the_footprint(disks, power):
    assert default_part_power(disks) == power


def test_a_missing_builder_is_created_with_every_device_and_rebalanced():
    plan = plan_ring("object", None, desired(), default_part_power(9), NOW)
    assert plan["errors"] == []
    assert plan["create"] and plan["rebalance"] and len(plan["add"]) == 9
    assert (plan["part_power"], plan["replicas"], plan["min_part_hours"]) == (14, 3, 24)
    argv = commands("/etc/swift/object.builder", plan)
    assert argv[0] == ["swift-ring-builder", "/etc/swift/object.builder", "create", "14", "3", "24"]
    assert argv[1] == ["swift-ring-builder", "/etc/swift/object.builder", "add", "--region", "1", "--zone", "1",
                       "--ip", "10.20.6.11", "--port", "6200", "--device", "d1", "--weight", "100"]
    assert argv[-1] == ["swift-ring-builder", "/etc/swift/object.builder", "rebalance"]
    assert len(argv) == 11


def test_an_explicit_part_power_is_used_for_a_new_ring():
    plan = plan_ring("object", None, desired(part_power=10), 14, NOW)
    assert plan["part_power"] == 10 and plan["errors"] == []


def test_a_ring_matching_the_inventory_is_left_alone():
    plan = plan_ring("object", deployed(), desired(), 14, NOW)
    assert plan["errors"] == [] and not has_changes(plan)
    assert commands("/etc/swift/object.builder", plan) == []
    assert describe(plan) == "nothing to do"


def test_the_deployed_part_power_is_kept_when_unset_and_a_change_is_refused():
    plan = plan_ring("object", deployed(), desired(part_power=None), 10, NOW)
    assert plan["part_power"] == 14 and plan["errors"] == []
    plan = plan_ring("object", deployed(), desired(part_power=15), 14, NOW)
    (message,) = messages(plan, "part_power")
    assert "exists with part power 14" in message and "15 is refused" in message
    assert plan_ring("object", deployed(), desired(part_power=14), 10, NOW)["errors"] == []


def test_a_replica_count_change_is_refused():
    plan = plan_ring("object", deployed(), desired(replicas=2), 14, NOW)
    (message,) = messages(plan, "replicas")
    assert "exists with 3 replicas" in message


def test_a_new_device_is_added_and_rebalanced_outside_min_part_hours():
    devs = devices(disks=("d1", "d2", "d3", "d4"))
    plan = plan_ring("object", deployed(), desired(devices=devs), 14, NOW)
    assert plan["errors"] == []
    assert [d["device"] for d in plan["add"]] == ["d4", "d4", "d4"] and plan["rebalance"]
    assert not plan["create"]
    argv = commands("/etc/swift/object.builder", plan)
    assert [a[2] for a in argv] == ["add", "add", "add", "rebalance"]


def test_a_rebalance_inside_min_part_hours_is_refused_not_forced():
    devs = devices(disks=("d1", "d2", "d3", "d4"))
    plan = plan_ring("object", deployed(min_part_seconds_left=3000), desired(devices=devs), 14, NOW)
    (message,) = messages(plan, "min_part_hours")
    assert "rebalanced less than min_part_hours (24 h) ago" in message
    assert "refused, not forced, until 2023-11-14 23:03 UTC (50 min from now)" in message
    assert "add 10.20.6.11:6200/d4" in message


def test_a_weight_change_inside_min_part_hours_is_refused():
    plan = plan_ring("object", deployed(min_part_seconds_left=60), desired(devices=devices(weight=50.0)), 14, NOW)
    assert messages(plan, "min_part_hours")
    assert len(plan["set_weight"]) == 9


def test_min_part_hours_itself_may_change_at_any_time():
    plan = plan_ring("object", deployed(min_part_seconds_left=60), desired(min_part_hours=12), 14, NOW)
    assert plan["errors"] == [] and plan["set_min_part_hours"] == 12 and not plan["rebalance"]
    assert commands("b", plan) == [["swift-ring-builder", "b", "set_min_part_hours", "12"]]


def test_weights_are_set_by_device_id():
    devs = devices()
    devs[4] = dict(devs[4], weight=0.0)
    plan = plan_ring("object", deployed(), desired(devices=devs), 14, NOW)
    assert plan["errors"] == []
    assert plan["set_weight"] == [{"id": 4, "device": "10.20.6.12:6200/d2", "from": 100.0, "weight": 0.0}]
    assert commands("b", plan) == [["swift-ring-builder", "b", "set_weight", "d4", "0", "--yes"],
                                   ["swift-ring-builder", "b", "rebalance"]]


def test_removing_a_device_that_holds_data_is_refused():
    devs = devices()[:-1]
    plan = plan_ring("object", deployed(), desired(devices=devs), 14, NOW)
    (message,) = messages(plan, "devices")
    assert "10.20.6.13:6200/d3 (weight 100)" in message and "Drain it first" in message
    assert plan["remove"] == []


def test_a_drained_device_is_removed():
    state = deployed()
    state["devices"][8]["weight"] = 0.0
    plan = plan_ring("object", state, desired(devices=devices()[:-1]), 14, NOW)
    assert plan["errors"] == []
    assert plan["remove"] == [{"id": 8, "device": "10.20.6.13:6200/d3"}] and plan["rebalance"]
    assert commands("b", plan) == [["swift-ring-builder", "b", "remove", "d8", "--yes"],
                                   ["swift-ring-builder", "b", "rebalance"]]


def test_losing_a_whole_node_from_the_inventory_is_refused():
    devs = [dev for dev in devices() if dev["ip"] != "10.20.6.13"]
    plan = plan_ring("object", deployed(), desired(devices=devs), 14, NOW)
    assert len(messages(plan, "devices")) == 3


def test_moving_a_device_to_another_zone_is_refused():
    devs = devices()
    devs[0] = dict(devs[0], zone=4)
    plan = plan_ring("object", deployed(), desired(devices=devs), 14, NOW)
    (message,) = messages(plan, "devices")
    assert "region 1 zone 1" in message and "region 1 zone 4" in message


def test_pending_builder_changes_are_rebalanced():
    plan = plan_ring("object", deployed(devs_changed=True), desired(), 14, NOW)
    assert plan["errors"] == [] and plan["rebalance"] and commands("b", plan) == [["swift-ring-builder", "b", "rebalance"]]


def test_a_missing_ring_file_is_written_from_its_builder():
    plan = plan_ring("object", deployed(ring_file_exists=False), desired(), 14, NOW)
    assert plan["write_ring"] and not plan["rebalance"]
    assert commands("b", plan) == [["swift-ring-builder", "b", "write_ring"]]


def test_inventory_mistakes_are_all_reported():
    devs = devices(weight=0.0)[:2] + devices()[:1] + devices()[:1]
    errors = validate_desired("object", {"part_power": 40, "replicas": 3, "min_part_hours": 0, "devices": devs})
    text = "\n".join(e["option"] + ": " + e["message"] for e in errors)
    assert "part_power: expected a part power from 6 to 24; got 40" in text
    assert "min_part_hours: expected at least 1 hour" in text
    assert "devices: device 10.20.6.11:6200/d1 is listed twice" in text
    assert "needs at least 3 devices with a weight above 0 for 3 replicas; the inventory gives 2" in text


def test_a_single_node_with_three_disks_holds_three_replicas():
    devs = [dev for dev in devices() if dev["ip"] == IPS[0]]
    plan = plan_ring("object", None, desired(devices=devs), default_part_power(3), NOW)
    assert plan["errors"] == [] and plan["part_power"] == 12


def test_no_command_ever_forces_a_rebalance():
    state = deployed(devs_changed=True)
    state["devices"][8]["weight"] = 0.0
    plan = plan_ring("object", state, desired(devices=devices(weight=80.0)[:-1]), 14, NOW)
    flat = [word for argv in commands("b", plan) for word in argv]
    assert "--force" not in flat and "pretend_min_part_hours_passed" not in flat
