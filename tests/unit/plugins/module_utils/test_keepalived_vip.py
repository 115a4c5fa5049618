"""A role's virtual addresses as keepalived instances (plugins/module_utils/keepalived_vip.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.filter.keepalived_instances import keepalived_instances
from ansible_collections.rainbow.edge.plugins.module_utils.keepalived_vip import (
    VipError, interface_with_address, render_instances)

LAN = {"name": "EDGE_LAN", "router_id": 51, "interface": "br-lan", "address": "10.20.0.1/16",
       "unicast_src": "10.20.0.2", "unicast_peers": ["10.20.0.3"]}
WAN = {"name": "EDGE_WAN", "router_id": "52", "interface": "eth1", "address": "198.51.100.10/26",
       "unicast_src": "198.51.100.11", "unicast_peers": ["198.51.100.12"]}


def test_the_gatekeepers_pair_moves_both_addresses_together():
    text = render_instances("gatekeeper", [LAN, WAN], 150, 1, False, "EDGE", "/usr/local/sbin/rainbow-edge-vrrp-notify")
    assert text.split("\n")[:20] == [
        "vrrp_instance EDGE_LAN {",
        "    # Every member starts as BACKUP: the highest priority wins the first election.",
        "    state BACKUP",
        "    interface br-lan",
        "    virtual_router_id 51",
        "    priority 150",
        "    advert_int 1",
        "    nopreempt",
        "    unicast_src_ip 10.20.0.2",
        "    unicast_peer {",
        "        10.20.0.3",
        "    }",
        "    virtual_ipaddress {",
        "        10.20.0.1/16 dev br-lan",
        "    }",
        "    notify /usr/local/sbin/rainbow-edge-vrrp-notify",
        "}",
        "",
        "vrrp_instance EDGE_WAN {",
        "    # Every member starts as BACKUP: the highest priority wins the first election.",
    ]
    assert "    virtual_router_id 52\n" in text
    assert text.endswith("vrrp_sync_group EDGE {\n    group {\n        EDGE_LAN\n        EDGE_WAN\n    }\n}\n")


def test_multicast_preempt_and_a_tracked_service():
    alone = dict(LAN, unicast_peers=[], unicast_src="")
    text = render_instances("mariadb", [alone], "100", 2, True, track_scripts=[
        {"name": "primary", "script": "/usr/local/sbin/rainbow-edge-mariadb-is-primary", "interval": 2, "fall": 2,
         "rise": 3}])
    assert "unicast" not in text and "nopreempt" not in text and "advert_int 2" in text
    assert text.startswith('vrrp_script primary {\n    script "/usr/local/sbin/rainbow-edge-mariadb-is-primary"\n'
                           "    interval 2\n    fall 2\n    rise 3\n}\n")
    assert "    track_script {\n        primary\n    }\n" in text


def test_every_problem_of_a_request_is_reported_at_once():
    with pytest.raises(VipError) as raised:
        render_instances("Gate Keeper", [
            dict(LAN, router_id=300, address="10.20.0.1", unicast_peers=["10.20.0.3", "peer"]),
            dict(WAN, name="EDGE_LAN", interface="br-lan", router_id=51),
            dict(LAN, name="OTHER", unicast_src="", address="10.20.0.3/16", colour="red"),
        ], 255, 0, sync_group="EDGE-1", notify="notify.sh",
            track_scripts=[{"name": "x", "script": "check", "weight": 300}])
    assert raised.value.problems == [
        "the name must be of [a-z0-9_-] (the role's), starting with a letter or digit",
        "priority 255 is not a VRRP priority (1-254)",
        "advert_interval 0 is not a whole number of seconds (1-255)",
        "sync_group 'EDGE-1' must be 1-32 of [A-Za-z0-9_]",
        "notify 'notify.sh' must be an absolute path",
        "instance EDGE_LAN: router_id 300 is not a VRRP router id (1-255)",
        "instance EDGE_LAN: address '10.20.0.1' is not an IPv4 address with its prefix (10.20.0.1/16)",
        "instance EDGE_LAN: unicast peer 'peer' is not an IPv4 address",
        "instance 2: name EDGE_LAN is given twice",
        "instance 3: unknown key(s) colour",
        "instance OTHER: router_id 51 is already EDGE_LAN's on br-lan",
        "instance OTHER: unicast_src '' is not an IPv4 address (unicast peers need this host's own)",
        "instance OTHER: the virtual address 10.20.0.3 is a member's own address",
        "track script 1: script 'check' must start with an absolute path",
        "track script 1: weight 300 is not a whole number from -254 to 254",
    ]


def test_a_router_id_is_unique_per_interface():
    with pytest.raises(VipError) as raised:
        render_instances("lb", [LAN, dict(LAN, name="SECOND", address="10.20.0.9/16")], 100)
    assert raised.value.problems == ["instance SECOND: router_id 51 is already EDGE_LAN's on br-lan"]
    assert "vrrp_instance SECOND" in render_instances("lb", [LAN, dict(LAN, name="SECOND", router_id=53)], 100)


def test_the_filter_fails_the_task_with_the_whole_list():
    with pytest.raises(AnsibleFilterError, match=r'virtual addresses "gatekeeper": instances must be a non-empty list'):
        keepalived_instances([], "gatekeeper", 100)
    with pytest.raises(AnsibleFilterError, match=r"sync_group EDGE needs at least two instances"):
        keepalived_instances([LAN], "gatekeeper", 100, sync_group="EDGE")


def test_a_returning_member_waits_the_preempt_delay_before_taking_its_address_back():
    instance = {"name": "PRIVATE_LB_1", "router_id": 61, "interface": "eth0", "address": "10.20.0.60/16"}
    text = render_instances("private_lb_1", [instance], 150, preempt=True, preempt_delay=30)
    assert "    preempt_delay 30\n" in text and "nopreempt" not in text
    assert "preempt_delay" not in render_instances("private_lb_1", [instance], 150, preempt=True)
    with pytest.raises(VipError) as raised:
        render_instances("private_lb_1", [instance], 150, preempt_delay=30)
    assert raised.value.problems == ["preempt_delay 30 needs preempt"]
    with pytest.raises(VipError) as raised:
        render_instances("private_lb_1", [instance], 150, preempt=True, preempt_delay=1001)
    assert raised.value.problems == ["preempt_delay 1001 is not a whole number of seconds (0-1000)"]


def test_the_vip_s_interface_is_the_one_carrying_the_member_s_address():
    facts = {"interfaces": ["lo", "eth0", "br-lan"], "lo": {"device": "lo", "ipv4": {"address": "127.0.0.1"}},
             "eth0": {"device": "eth0"}, "br_lan": {"device": "br-lan", "ipv4": {"address": "10.20.0.31"}}}
    assert interface_with_address(facts, "10.20.0.31") == "br-lan"
    assert interface_with_address(facts, "10.20.0.32") == ""
    assert interface_with_address({}, "10.20.0.31") == ""


def test_a_member_ranks_differently_in_each_instance_of_an_m_m_pair():
    first = {"name": "PRIVATE_LB_1", "router_id": 61, "interface": "eth0", "address": "10.20.0.71/16", "priority": 150}
    second = dict(first, name="PRIVATE_LB_2", router_id=62, address="10.20.0.72/16", priority=100)
    third = {key: value for key, value in second.items() if key != "priority"}
    third.update(name="OTHER", router_id=63, address="10.20.0.73/16")
    blocks = render_instances("private_lb", [first, second, third], 120).split("vrrp_instance ")[1:]
    assert ["    priority 150\n" in blocks[0], "    priority 100\n" in blocks[1], "    priority 120\n" in blocks[2]] == [
        True, True, True]
    with pytest.raises(VipError) as raised:
        render_instances("private_lb", [dict(first, priority=255)], 120)
    assert raised.value.problems == ["instance PRIVATE_LB_1: priority 255 is not a VRRP priority (1-254)"]
