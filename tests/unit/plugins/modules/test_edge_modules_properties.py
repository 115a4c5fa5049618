"""Property tests: no input makes a module end in a traceback.

Whatever a playbook passes (wrong types, nesting, huge or negative numbers,
junk strings, hostile names), each module ends with exit_json or with
fail_json carrying a message, never with an exception escaping main().
Nothing leaves the machine: RTT probes and iperf3 are faked.
"""

import socket

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.rainbow.edge.plugins.module_utils import edge_host
from ansible_collections.rainbow.edge.plugins.module_utils.edge_footprint import TIER_NAMES
from ansible_collections.rainbow.edge.plugins.modules import edge_facts, edge_inventory_check, edge_plan, edge_validate

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10 ** 12, max_value=10 ** 12),
                   st.floats(allow_nan=True, allow_infinity=True), text,
                   st.sampled_from(["10.20.2.11", "10.20.0.0/16", "198.51.100.18", "-1", "1e3", "yes", "dc1"]))
anything = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)), max_leaves=12)
count = st.one_of(st.integers(min_value=-5, max_value=3 * 10 ** 8), st.sampled_from([0, 1000, 1001, 5000, 5001]),
                  anything)

plan_args = st.fixed_dictionaries({}, optional={
    "variant": st.one_of(st.sampled_from(["connected", "standalone"]), anything),
    "voice": st.one_of(st.booleans(), anything),
    "concurrent_users": count, "registered_users": count, "voice_users": count, "concurrent_calls": count,
    "datacenters": st.one_of(st.integers(min_value=-1, max_value=5), anything),
    "active_active": st.one_of(st.booleans(), anything),
    "scale": st.one_of(st.sampled_from(["auto", "small", "large"]), anything),
    "mail_relay": st.one_of(st.sampled_from(["edge", "external"]), anything),
    "overrides": st.one_of(st.dictionaries(st.sampled_from(TIER_NAMES + ("x",)), st.one_of(
        st.fixed_dictionaries({}, optional={"count": count, "vcpus": count, "memory_gb": count,
                                            "disks": st.one_of(st.lists(count, max_size=3), anything)}),
        anything), max_size=3), anything),
})

nic = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.sampled_from(["eth0", "eth1"]), anything),
    "speed_mbps": st.one_of(st.sampled_from([-1, 100, 1000, 10000]), anything),
    "address": st.one_of(st.sampled_from(["10.20.2.11", "198.51.100.18", "10.20.2.11/24"]), anything),
    "addresses": st.one_of(st.lists(st.sampled_from(["10.20.2.12", "8.8.8.8"]), max_size=2), anything),
    "zone": st.one_of(st.sampled_from(["lan", "wan", "other"]), anything),
})
host = st.one_of(st.fixed_dictionaries({}, optional={
    "vcpus": count, "memory_mb": st.one_of(st.floats(min_value=-1, max_value=1e7), anything),
    "disks_gb": st.one_of(st.lists(st.one_of(st.floats(min_value=-1, max_value=5000), anything), max_size=4),
                          anything),
    "nics": st.one_of(st.lists(nic, max_size=3), anything),
    "datacenter": st.one_of(st.sampled_from(["dc1", "dc2", None]), anything),
}), anything)
names = st.sampled_from(["h1", "h2", "h3"])
validate_args = plan_args.flatmap(lambda base: st.fixed_dictionaries(
    {}, optional={
        "groups": st.one_of(st.dictionaries(st.sampled_from(TIER_NAMES + ("all",)),
                                            st.one_of(st.lists(names, max_size=3), anything), max_size=4), anything),
        "hosts": st.one_of(st.dictionaries(names, host, max_size=3), anything),
        "links": st.one_of(st.lists(st.one_of(st.fixed_dictionaries({}, optional={
            "from_dc": st.one_of(st.sampled_from(["dc1", "dc2"]), anything),
            "to_dc": st.one_of(st.sampled_from(["dc1", "dc2"]), anything),
            "rtt_ms": st.one_of(st.floats(min_value=-1, max_value=500), anything)}), anything), max_size=3), anything),
        "wan_bandwidth_mbps": st.one_of(st.floats(min_value=-1, max_value=1e4), anything),
        "lan_cidr": st.one_of(st.sampled_from(["10.20.0.0/16", "10.0.0.0/8"]), anything),
        "public_cidrs": st.one_of(st.lists(st.sampled_from(["198.51.100.0/24", "bad"]), max_size=2), anything),
        "max_rtt_ms": st.one_of(st.floats(), anything),
        "memory_tolerance_pct": st.one_of(st.floats(), anything),
        "tiers": st.one_of(st.lists(st.sampled_from(TIER_NAMES), max_size=3), anything),
        "skipped_tiers": st.one_of(st.dictionaries(st.sampled_from(TIER_NAMES + ("bogus",)),
                                                   st.one_of(st.sampled_from(["", "a lab"]), anything), max_size=3),
                                   anything),
        "fail_on_failures": st.one_of(st.booleans(), anything),
    }).map(lambda extra: dict(base, **extra)))

# The inventory check takes the validator's options but the facts.
inventory_check_args = validate_args.map(
    lambda args: {key: value for key, value in args.items()
                  if key in edge_inventory_check.ARGUMENT_SPEC})

facts_args = st.fixed_dictionaries({}, optional={
    "gather": st.one_of(st.booleans(), anything),
    "lan_cidr": st.one_of(st.sampled_from(["10.20.0.0/16", "10.20.0.1/16"]), anything),
    "lan_ip": st.one_of(st.sampled_from(["10.20.2.11"]), anything),
    "wan_ip": anything,
    "wan_cidrs": st.one_of(st.lists(st.sampled_from(["198.51.100.16/28", "x"]), max_size=2), anything),
    "datacenter": anything, "name": anything,
    "rtt_peers": st.one_of(st.lists(st.one_of(st.fixed_dictionaries({}, optional={
        "name": anything, "address": st.one_of(st.sampled_from(["10.20.2.12", "300.1.1.1"]), anything),
        "datacenter": anything, "port": count}), anything), max_size=2), anything),
    "rtt_port": count, "rtt_samples": count, "rtt_timeout": st.one_of(st.floats(), anything),
    "iperf3_server": st.one_of(st.booleans(), anything), "iperf3_port": count,
    "iperf3_idle_timeout": count,
    "bandwidth_target": st.one_of(st.sampled_from(["10.20.2.12"]), anything),
    "bandwidth_seconds": count,
})


def assert_clean_ending(rc, result):
    """exit_json, or fail_json with a message: never an exception."""
    assert rc in (0, 1)
    if rc == 1:
        assert result["failed"] is True
        assert isinstance(result["msg"], str) and result["msg"].strip()
    assert "exception" not in result


@SETTINGS
@given(args=plan_args)
def test_edge_plan_never_crashes(module_runner, args):
    assert_clean_ending(*module_runner(edge_plan.main, dict(args, render=["markdown", "html", "svg"])))


@SETTINGS
@given(args=validate_args)
def test_edge_validate_never_crashes(module_runner, args):
    assert_clean_ending(*module_runner(edge_validate.main, args))


@SETTINGS
@given(args=inventory_check_args)
def test_edge_inventory_check_never_crashes(module_runner, args):
    assert_clean_ending(*module_runner(edge_inventory_check.main, args))


@SETTINGS
@given(args=facts_args)
def test_edge_facts_never_crashes(module_runner, args):
    def no_network(address, port, timeout):
        raise socket.timeout("faked: no traffic in unit tests")

    def no_commands(self, argv, **kwargs):
        return 1, "", "faked"
    saved = (edge_host.tcp_handshake_ms, edge_facts.AnsibleModule.run_command)
    edge_host.tcp_handshake_ms = no_network
    edge_facts.AnsibleModule.run_command = no_commands
    try:
        assert_clean_ending(*module_runner(edge_facts.main, args))
    finally:
        edge_host.tcp_handshake_ms, edge_facts.AnsibleModule.run_command = saved
