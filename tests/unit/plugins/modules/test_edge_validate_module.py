"""rainbow.edge.edge_validate: all failures at once, warnings, JUnit, speed."""

import time
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.rainbow.edge.plugins.modules import edge_validate

# The speed case: a 3-DC large Standalone Edge with voice. Active-active
# sizing makes it 75 hosts (more than the "about 60" asked for).
LARGE_3DC_VOICE = {"variant": "standalone", "voice": True, "concurrent_users": 20000, "voice_users": 50000,
                   "concurrent_calls": 2000, "datacenters": 3}


def test_fitting_inventory_passes(module_runner, inventory):
    rc, result = module_runner(edge_validate.main, inventory(**LARGE_3DC_VOICE))
    assert rc == 0, result["msg"]
    assert result["passed"] and result["failures"] == [] and result["changed"] is False
    assert len(result["plan"]["tiers"]) == 21
    ET.fromstring(result["junit"])


def test_failures_are_all_listed_in_the_message(module_runner, inventory):
    args = inventory(variant="connected", datacenters=2)
    for name in args["groups"]["mariadb"] + args["groups"]["gatekeeper"]:
        args["hosts"][name].update(vcpus=1, disks_gb=[10])
    args["links"][0]["rtt_ms"] = 150
    rc, result = module_runner(edge_validate.main, args)
    assert rc == 1 and result["failed"] and not result["passed"]
    assert len(result["failures"]) == 2 * 2 + 2 * 2 + 1
    for finding in result["failures"]:
        line = "%s [%s] %s" % (finding["host"], finding["tier"], finding["check"])
        assert (line if finding["host"] else "edge %s" % finding["check"]) in result["msg"]
    assert "exception" not in result
    root = ET.fromstring(result["junit"])
    assert root.find("testsuite").get("failures") == "5"


def test_fail_on_failures_false_returns_the_same_findings(module_runner, inventory):
    args = inventory(variant="connected")
    args["hosts"][args["groups"]["xmpp"][0]]["vcpus"] = 1
    rc, result = module_runner(edge_validate.main, dict(args, fail_on_failures=False))
    assert rc == 0 and not result.get("failed")
    assert not result["passed"]
    assert [f["check"] for f in result["failures"]] == ["vcpus"]


def test_warnings_come_as_strings_and_as_details(module_runner, inventory):
    args = inventory(variant="connected", wan_bandwidth_mbps=80)
    rc, result = module_runner(edge_validate.main, args)
    assert rc == 0
    assert [w["check"] for w in result["warnings_detail"]] == ["wan_bandwidth"]
    assert any("wan_bandwidth" in text for text in result["warnings"])


@pytest.mark.parametrize("args,message", [
    ({"hosts": {"h": {"vcpus": 2}}}, "hosts.h.memory_mb is missing"),
    ({"links": [{"from_dc": "dc1", "to_dc": "dc2", "rtt_ms": "fast"}]}, "links[0].rtt_ms must be a number"),
    ({"groups": {"xmpp": {"a": 1}}}, "groups.xmpp must be a list"),
    ({"tiers": ["voice_db"]}, "not part of this plan"),
    ({"lan_cidr": "10.20.0.0/33"}, "lan_cidr"),
    ({"variant": "standalone", "voice": True}, "only at large scale"),
    ({"max_rtt_ms": "soon"}, "max_rtt_ms"),
])
def test_bad_input_fails_with_a_message(module_runner, args, message):
    rc, result = module_runner(edge_validate.main, args)
    assert rc == 1 and message in result["msg"]
    assert "exception" not in result


def test_validate_module_time_is_under_1_s_for_a_large_3dc_voice_edge(module_runner, inventory):
    args = inventory(**LARGE_3DC_VOICE)
    assert 60 <= len(args["hosts"]) <= 80
    module_runner(edge_validate.main, args)  # warm imports
    start = time.perf_counter()
    rc, result = module_runner(edge_validate.main, args)
    elapsed = time.perf_counter() - start
    assert rc == 0, result["msg"]
    assert elapsed < 1.0, elapsed
