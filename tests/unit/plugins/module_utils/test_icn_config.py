"""The In-Country Nodes' input check, VIPs and firewall (module_utils/icn_config.py)."""

import pytest

from ansible_collections.rainbow.edge.plugins.filter.icn_config import (
    icn_destinations, icn_firewall_rules, icn_input_errors, icn_pair, icn_vrrp_instances,
)
from ansible_collections.rainbow.edge.plugins.module_utils.firewall_dropin import render_dropin
from ansible_collections.rainbow.edge.plugins.module_utils.keepalived_vip import render_instances

KEY = "k" * 32
MEMBERS = ["icn1", "icn2"]
LIMITS = "Limit                     Soft Limit           Hard Limit           Units\n" \
         "Max open files            1024                 20000                files\n"


def good_inputs(**changes):
    inputs = {
        "icn_lan_cidr": "10.20.0.0/16", "icn_lan_ip": "10.20.20.21",
        "icn_wan_cidr": "198.51.100.224/27", "icn_wan_ip": "198.51.100.226",
        "icn_lan_vip": "10.20.20.20", "icn_wan_vip": "198.51.100.230",
        "icn_trunk_cidrs": ["198.51.100.240/30"], "icn_phone_cidrs": ["198.51.100.248/29"],
        "icn_lan_destinations": ["10.20.20.50"], "icn_trunk_destinations": ["198.51.100.240:5060"],
        "icn_sip_port": 5060, "icn_sip_tls_port": 5061, "icn_dmq_port": 5090, "icn_metrics_port": 9494,
        "icn_rtpengine_ng_port": 2223, "icn_rtp_min_port": 30000, "icn_rtp_max_port": 39999,
        "icn_max_calls": 2000, "icn_pike_requests": 30, "icn_pike_period": 2,
        "icn_topology_hiding_key": KEY, "icn_max_open_files": 16384,
        "icn_vrrp_router_id": 60, "icn_vrrp_advert_interval": 1,
    }
    inputs.update(changes)
    return inputs


def test_good_inputs_pass():
    assert icn_input_errors(good_inputs(), MEMBERS, "icn1", [22, 9100], LIMITS) == []


@pytest.mark.parametrize("changes,expected", [
    ({"icn_trunk_cidrs": ["198.51.100.240/33"]}, "icn_trunk_cidrs: expected IPv4 networks"),
    ({"icn_phone_cidrs": ["phones"]}, "icn_phone_cidrs: expected IPv4 networks"),
    ({"icn_trunk_cidrs": ["10.20.0.0/24"]}, "icn_trunk_cidrs: the LAN 10.20.0.0/16 is not a WAN network"),
    ({"icn_trunk_cidrs": [], "icn_phone_cidrs": []}, "no SIP trunk or phone could reach"),
    ({"icn_wan_vip": "198.51.100.10"}, "icn_wan_vip 198.51.100.10 is outside its network 198.51.100.224/27"),
    ({"icn_lan_vip": "10.30.0.1"}, "icn_lan_vip 10.30.0.1 is outside its network 10.20.0.0/16"),
    ({"icn_lan_vip": ""}, "icn_lan_vip: expected the IPv4 address"),
    ({"icn_wan_vip": "198.51.100.226"}, "is this host's own address (icn_wan_ip)"),
    ({"icn_rtp_min_port": 5000, "icn_rtp_max_port": 6000},
     "the RTP range 5000-6000 (icn_rtp_min_port, icn_rtp_max_port) overlaps the SIP or service port(s) [5060, 5061, 5090]"),
    ({"icn_rtp_min_port": 9000, "icn_rtp_max_port": 9200, "icn_max_calls": 10},
     "overlaps the SIP or service port(s) [9100]"),
    ({"icn_rtp_min_port": 40000, "icn_rtp_max_port": 30000}, "expected a UDP port range"),
    ({"icn_sip_tls_port": 5060}, "must differ"),
    ({"icn_rtp_min_port": 30000, "icn_rtp_max_port": 30999},
     "the RTP range 30000-30999 holds 1000 ports, fewer than the 8000 that icn_max_calls 2000 calls take"),
    ({"icn_metrics_port": 22}, "port(s) [22] of the In-Country Node are this host's other services'"),
    ({"icn_lan_destinations": []}, "icn_lan_destinations: empty"),
    ({"icn_lan_destinations": ["pbx.lan"]}, "icn_lan_destinations: expected \"address\" or \"address:port\""),
    ({"icn_lan_destinations": ["198.51.100.1"]}, "icn_lan_destinations: 198.51.100.1 not on the LAN"),
    ({"icn_trunk_destinations": ["198.51.100.240:70000"]}, "icn_trunk_destinations: expected"),
    ({"icn_topology_hiding_key": "short"}, "icn_topology_hiding_key: is 5 characters"),
    ({"icn_topology_hiding_key": ""}, "icn_topology_hiding_key: is empty"),
    ({"icn_max_calls": 0}, "icn_max_calls: expected 1-100000"),
    ({"icn_max_open_files": 30000}, "icn_max_open_files 30000 is above the host's hard limit of open files (20000)"),
    ({"icn_vrrp_router_id": 255}, "icn_vrrp_router_id: expected 1-254"),
], ids=lambda value: str(value)[:40])
def test_each_problem_is_named(changes, expected):
    errors = icn_input_errors(good_inputs(**changes), MEMBERS, "icn1", [22, 9100], LIMITS)
    assert any(expected in error for error in errors), errors


def test_every_problem_is_listed_at_once_and_the_key_is_never_shown():
    errors = icn_input_errors(good_inputs(icn_trunk_cidrs=["x"], icn_wan_vip="1.2.3.4", icn_rtp_min_port=5000,
                                          icn_rtp_max_port=6000, icn_max_calls=100,
                                          icn_topology_hiding_key="secret-key"),
                              MEMBERS, "icn1", [22, 9100], LIMITS)
    assert len(errors) == 4, errors
    assert not any("secret-key" in error for error in errors)


def test_the_group_is_paired_two_by_two_one_pair_per_voice_set():
    group = ["icn1", "icn2", "icn3", "icn4", "icn5"]
    assert icn_pair(group, "icn1") == icn_pair(group, "icn2") == ["icn1", "icn2"]
    assert icn_pair(group, "icn4") == ["icn3", "icn4"]
    assert icn_pair(group, "icn5") == ["icn5"]
    assert not any("in pairs" in error for error in icn_input_errors(good_inputs(), group, "icn3", [], LIMITS))
    alone = [error for error in icn_input_errors(good_inputs(), group, "icn5", [], LIMITS) if "in pairs" in error]
    assert alone == ["group icn: expected In-Country Nodes in pairs (master and backup, 8.4: two per voice set, "
                     "paired in the group's order); this host's pair has 1 host(s): icn5"]


def test_each_pair_takes_its_own_two_router_ids():
    group = ["icn1", "icn2", "icn3", "icn4"]
    lan = {name: "10.20.20.%d" % (20 + index) for index, name in enumerate(group, start=1)}
    wan = {name: "198.51.100.%d" % (225 + index) for index, name in enumerate(group, start=1)}
    second = icn_vrrp_instances(good_inputs(), group, lan, wan, "icn4", "eth0", "eth1")
    assert [(i["router_id"], i["priority"], i["unicast_peers"]) for i in second] == [
        (62, 100, ["10.20.20.23"]), (63, 100, ["198.51.100.228"])]
    assert any("would take router ids above 255" in error
               for error in icn_input_errors(good_inputs(icn_vrrp_router_id=253), group, "icn3", [], LIMITS))


def test_destinations_take_a_default_port_and_leave_bad_values_out():
    assert icn_destinations(["10.20.20.50", "10.20.20.51:5070", "pbx", "10.20.20.52:0"]) == [
        "10.20.20.50:5060", "10.20.20.51:5070"]
    assert icn_destinations(["10.20.20.50"], 5080) == ["10.20.20.50:5080"]


def test_the_lan_and_wan_vips_move_together_the_first_member_is_master():
    lan = {"icn1": "10.20.20.21", "icn2": "10.20.20.22"}
    wan = {"icn1": "198.51.100.226", "icn2": "198.51.100.227"}
    first = icn_vrrp_instances(good_inputs(), MEMBERS, lan, wan, "icn1", "eth0", "eth1")
    second = icn_vrrp_instances(good_inputs(), MEMBERS, lan, wan, "icn2", "eth0", "eth1")
    assert [(i["name"], i["router_id"], i["interface"], i["address"], i["priority"]) for i in first] == [
        ("ICN_LAN", 60, "eth0", "10.20.20.20/16", 150), ("ICN_WAN", 61, "eth1", "198.51.100.230/27", 150)]
    assert [i["priority"] for i in second] == [100, 100]
    assert [(i["unicast_src"], i["unicast_peers"]) for i in second] == [
        ("10.20.20.22", ["10.20.20.21"]), ("198.51.100.227", ["198.51.100.226"])]
    # What the shared vip entry point renders from them: one sync group for both.
    text = render_instances("icn", first, 100, 1, False, "ICN")
    assert "vrrp_sync_group ICN" in text and "ICN_LAN" in text and "ICN_WAN" in text


def test_sip_reaches_the_wan_from_trunks_and_phones_only():
    rules = icn_firewall_rules(good_inputs(), ["10.20.20.22"], ["198.51.100.227"])
    wan_sip = [rule for rule in rules if rule["comment"].endswith("from the trunks and phones")]
    assert {tuple(rule["sources"]) for rule in wan_sip} == {("198.51.100.240/30", "198.51.100.248/29")}
    assert {rule["proto"] for rule in wan_sip} == {"udp", "tcp"}
    assert any(5061 in rule["ports"] for rule in wan_sip if rule["proto"] == "tcp")
    metrics = [rule for rule in rules if 9494 in rule.get("ports", [])]
    assert [rule["sources"] for rule in metrics] == [["10.20.0.0/16"]]
    dmq = [rule for rule in rules if 5090 in rule.get("ports", [])]
    assert [rule["sources"] for rule in dmq] == [["10.20.20.22"]]
    assert [rule["sources"] for rule in rules if rule["proto"] == "vrrp"] == [["10.20.20.22", "198.51.100.227"]]
    # The shared firewall entry point renders them without a problem.
    render_dropin("icn", rules)
