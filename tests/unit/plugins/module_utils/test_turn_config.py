"""The TURN servers' input check and the peers they never relay to (module_utils/turn_config.py)."""

import ipaddress

import pytest

from ansible_collections.rainbow.edge.plugins.filter.turn_config import (
    turn_denied_peer_ranges, turn_firewall_rules, turn_input_errors, turn_uris,
)
from ansible_collections.rainbow.edge.plugins.module_utils import turn_config
from ansible_collections.rainbow.edge.plugins.module_utils.firewall_dropin import render_dropin

SECRET = "x" * 40
LIMITS = "Limit                     Soft Limit           Hard Limit           Units\n" \
         "Max open files            1024                 20000                files\n"


def good_inputs(**changes):
    inputs = {
        "turn_lan_cidr": "10.20.17.0/24", "turn_lan_ip": "10.20.17.21",
        "turn_wan_cidr": "198.51.100.0/24", "turn_wan_ip": "198.51.100.21", "turn_external_ip": "",
        "turn_realm": "lab.rainbow-edge.test", "turn_static_auth_secret": SECRET,
        "turn_port": 3478, "turn_tls_port": 5349, "turn_alt_tls_port": 443,
        "turn_relay_min_port": 49152, "turn_relay_max_port": 65535,
        "turn_allowed_cidrs": ["0.0.0.0/0"], "turn_denied_peer_cidrs": [],
        "turn_user_quota": 10, "turn_total_quota": 1000, "turn_max_bps": 1000000, "turn_bps_capacity": 0,
        "turn_max_open_files": 16384,
    }
    inputs.update(changes)
    return inputs


def test_good_inputs_pass():
    assert turn_input_errors(good_inputs(), [22, 9100], LIMITS) == []


@pytest.mark.parametrize("address", [
    "10.20.17.5", "10.1.2.3", "127.0.0.1", "127.255.255.254", "169.254.169.254", "172.16.0.1", "172.31.255.255",
    "192.168.1.1", "100.64.0.1", "0.0.0.0", "224.0.0.251", "255.255.255.255", "198.18.0.1", "192.0.0.170",
])
def test_no_private_loopback_link_local_or_reserved_peer_is_relayed(address):
    assert not turn_config.is_relayed(address, turn_denied_peer_ranges(["10.20.17.0/24"]))


@pytest.mark.parametrize("address", ["198.51.100.40", "8.8.8.8", "192.0.2.10", "100.128.0.1", "172.32.0.1"])
def test_public_peers_are_relayed(address):
    # 198.51.100.0/24 and 192.0.2.0/24 are documentation ranges: the lab's WAN stands in for the Internet.
    assert turn_config.is_relayed(address, turn_denied_peer_ranges(["10.20.17.0/24"]))


def test_the_lan_and_added_networks_are_denied_and_touching_ranges_merged():
    ranges = turn_denied_peer_ranges(["100.127.0.0/16"], ["198.51.100.0/28", "198.51.100.16/28", "not a network"])
    assert "198.51.100.0-198.51.100.31" in ranges
    assert not turn_config.is_relayed("198.51.100.17", ranges)
    assert turn_config.is_relayed("198.51.100.32", ranges)
    # A LAN inside an always-denied range adds nothing; the ranges are ordered and disjoint.
    firsts = [int(ipaddress.IPv4Address(span.split("-")[0])) for span in ranges]
    lasts = [int(ipaddress.IPv4Address(span.split("-")[1])) for span in ranges]
    assert firsts == sorted(firsts)
    assert all(last + 1 < first for last, first in zip(lasts, firsts[1:]))
    assert "100.64.0.0-100.127.255.255" in ranges


def test_every_problem_is_listed_at_once_without_the_secret():
    errors = turn_input_errors(good_inputs(
        turn_lan_ip="10.20.18.1", turn_wan_ip="198.51.101.1", turn_external_ip="10.0.0.9", turn_realm="edge",
        turn_static_auth_secret="short", turn_relay_min_port=3000, turn_relay_max_port=6000,
        turn_allowed_cidrs=["everywhere"], turn_user_quota=-1, turn_bps_capacity=1000, turn_max_bps=0,
        turn_max_open_files=65536), [22, 9100], LIMITS)
    text = "\n".join(errors)
    assert "short" not in text
    for expected in ("turn_lan_ip (default: edge_lan_ip): expected this host's address on the LAN 10.20.17.0/24",
                     "turn_wan_ip (default: edge_wan_ip): expected this host's address on the WAN 198.51.100.0/24",
                     "turn_external_ip 10.0.0.9 is not a public address",
                     "turn_realm (default: edge_domain): expected the Edge's domain name",
                     "turn_static_auth_secret: is 5 characters; give at least 32 random characters",
                     "the relay range 3000-6000 (turn_relay_min_port, turn_relay_max_port) overlaps service port(s) "
                     "[3478, 5349] of this host",
                     "turn_allowed_cidrs: expected IPv4 networks in CIDR form; not networks: ['everywhere']",
                     "turn_user_quota: expected 0-100000",
                     "turn_bps_capacity is set and turn_max_bps is 0",
                     "turn_max_open_files 65536 is above the host's hard limit of open files (20000)"):
        assert expected in text, (expected, errors)
    assert len(errors) == 10, errors


@pytest.mark.parametrize("changes, expected", [
    ({"turn_static_auth_secret": ""}, "turn_static_auth_secret: is empty"),
    ({"turn_relay_min_port": 60000, "turn_relay_max_port": 50000}, "expected a UDP port range within 1024-65535"),
    ({"turn_relay_min_port": 9000, "turn_relay_max_port": 9200}, "overlaps service port(s) [9100]"),
    ({"turn_alt_tls_port": 5349}, "turn_port, turn_tls_port and turn_alt_tls_port must differ"),
    ({"turn_wan_cidr": "10.20.0.0/16", "turn_wan_ip": "10.20.1.1"}, "overlaps the LAN 10.20.17.0/24"),
    ({"turn_wan_cidr": ""}, "turn_wan_cidr (default: edge_wan_cidr): expected the WAN this host faces"),
    ({"turn_external_ip": "10.20.17.9"}, "turn_external_ip 10.20.17.9 is on the LAN"),
    ({"turn_external_ip": "an address"}, "turn_external_ip: expected the public IPv4 address"),
    ({"turn_allowed_cidrs": []}, "turn_allowed_cidrs: the list is empty"),
    ({"turn_denied_peer_cidrs": ["198.51.100.1/24"]}, "turn_denied_peer_cidrs: expected IPv4 networks"),
])
def test_each_bad_input_is_named(changes, expected):
    errors = turn_input_errors(good_inputs(**changes), [22, 9100], LIMITS)
    assert any(expected in error for error in errors), errors


def test_443_may_be_left_out_and_an_external_address_given():
    assert turn_input_errors(good_inputs(turn_alt_tls_port=0, turn_external_ip="192.0.2.7"), [22], "") == []
    assert turn_config.listening_ports(good_inputs(turn_alt_tls_port=0)) == [3478, 5349]


def test_the_firewall_opens_the_turn_ports_and_the_relay_range_only():
    text = render_dropin("turn", turn_firewall_rules(good_inputs(turn_allowed_cidrs=["0.0.0.0/0"])))
    # 443 reaches coturn redirected to 5349 (the role's nat drop-in): the filter sees 5349.
    assert 'ip saddr { 0.0.0.0/0 } tcp dport { 3478, 5349 } accept' in text
    assert 'ip saddr { 0.0.0.0/0 } udp dport { 3478, 5349 } accept' in text
    assert 'ip saddr { 0.0.0.0/0 } udp dport { 49152-65535 } accept' in text
    assert text.count("accept") == 3


def test_turn_uris_come_from_each_server_s_address_and_port_in_host_order():
    assert turn_uris({"turn2": "198.51.100.42", "turn1": "198.51.100.41", "turn3": ""},
                     {"turn1": 3478, "turn2": 3479}) == [
        "turn:198.51.100.41:3478?transport=udp", "turn:198.51.100.42:3479?transport=udp"]


def test_a_user_s_uris_take_the_public_address_and_fall_back_to_the_wan_address():
    """turn_external_ip behind a 1:1 NAT, else the WAN address; a server with neither is left out."""
    assert turn_uris({"turn1": "203.0.113.9", "turn2": "", "turn3": ""}, {"turn2": 3479},
                     {"turn1": "198.51.100.41", "turn2": "198.51.100.42", "turn3": "not-an-address"}) == [
        "turn:203.0.113.9:3478?transport=udp", "turn:198.51.100.42:3479?transport=udp"]
