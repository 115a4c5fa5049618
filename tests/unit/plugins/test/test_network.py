"""Unit tests for the rainbow.edge.ipv4_network, ipv4_address and container Jinja tests."""

import pytest

from ansible_collections.rainbow.edge.plugins.test.host_kind import container
from ansible_collections.rainbow.edge.plugins.test.network import ipv4_address, ipv4_network


@pytest.mark.parametrize("value", ["10.20.0.0/16", "192.0.2.7/32", "0.0.0.0/0", "198.51.100.16/28"])
def test_ipv4_network_accepts_networks(value):
    assert ipv4_network(value)


@pytest.mark.parametrize(
    "value",
    ["10.20.0.5/16", "10.20.0.0", "10.20.0.0/33", "garbage", "", None, 42, "fd00::/64", "10.20.0.0/16 "],
)
def test_ipv4_network_rejects_everything_else(value):
    assert not ipv4_network(value)


@pytest.mark.parametrize("value", ["10.20.0.5", "198.51.100.1"])
def test_ipv4_address_accepts_addresses(value):
    assert ipv4_address(value)


@pytest.mark.parametrize("value", ["10.20.0.5/32", "10.20.0.256", "", None, "fd00::1", "host.example"])
def test_ipv4_address_rejects_everything_else(value):
    assert not ipv4_address(value)


@pytest.mark.parametrize("facts, expected", [
    ({"virtualization_role": "guest", "virtualization_type": "podman"}, True),
    ({"virtualization_role": "guest", "virtualization_type": "lxc"}, True),
    ({"virtualization_role": "guest", "virtualization_type": "kvm"}, False),
    ({"virtualization_role": "host", "virtualization_type": "podman"}, False),
    ({}, False),
    ("guest", False),
])
def test_a_container_guest_is_told_from_a_machine_of_its_own(facts, expected):
    assert container(facts) is expected
