"""The load balancers' decisions (plugins/module_utils/load_balancer.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.filter.load_balancer import (
    lb_backends, lb_vip_probe_targets, lb_vrrp_instances, private_lb_input_errors, private_lb_probe_targets,
    public_lb_input_errors)
from ansible_collections.rainbow.edge.plugins.module_utils import load_balancer

C2S = {"name": "xmpp-c2s", "port": 5222, "mode": "tcp", "balance": "leastconn", "private_port": 5222, "role": "xmpp"}
HTTP = {"name": "xmpp-http", "port": 5443, "mode": "http", "tls": True, "check_path": "/bosh", "private_port": 5443,
        "public_paths": ["/ws", "/bosh"], "role": "xmpp"}
MEMBERS = ["lb1", "lb2"]
ADDRESSES = {"lb1": "10.20.0.61", "lb2": "10.20.0.62"}
INPUTS = {"private_lb_lan_cidr": "10.20.0.0/16", "private_lb_lan_ip": "10.20.0.61",
          "private_lb_vips": ["10.20.0.71", "10.20.0.72"], "private_lb_vrrp_router_id": 61,
          "private_lb_vrrp_preempt_delay": 30, "private_lb_metrics_port": 8404,
          "private_lb_allowed_cidrs": ["10.20.0.0/16"], "private_lb_metrics_allowed_cidrs": ["10.20.0.0/16"],
          "private_lb_tcp_timeout": 3600, "private_lb_http_timeout": 60, "private_lb_tunnel_timeout": 3600,
          "private_lb_max_connections": 20000}


def _on(host, address, item):
    return dict(item, host=host, address=address)


def test_every_host_declaring_a_name_is_a_server_of_that_backend():
    found = lb_backends([_on("xmpp1", "10.20.0.41", C2S), _on("xmpp1", "10.20.0.41", HTTP),
                         _on("xmpp2", "10.20.0.42", C2S), _on("xmpp2", "10.20.0.42", HTTP)])
    assert found["errors"] == []
    assert [backend["name"] for backend in found["backends"]] == ["xmpp-c2s", "xmpp-http"]
    c2s, http = found["backends"]
    assert c2s == {"name": "xmpp-c2s", "mode": "tcp", "tls": False, "check_path": "", "balance": "leastconn",
                   "private_port": 5222, "public_alpn": "", "public_paths": [],
                   "servers": [{"name": "xmpp1", "address": "10.20.0.41", "port": 5222},
                               {"name": "xmpp2", "address": "10.20.0.42", "port": 5222}]}
    assert http["tls"] is True and http["balance"] == "roundrobin" and http["check_path"] == "/bosh"


def test_what_the_load_balancers_cannot_serve_is_listed_at_once():
    api = {"name": "api", "port": 8080, "mode": "tcp", "check_path": "/health", "public_paths": ["/api"],
           "private_port": 5222}
    found = lb_backends([_on("xmpp1", "10.20.0.41", C2S), _on("xmpp2", "10.20.0.42", dict(C2S, balance="source")),
                         _on("xmpp1", "10.20.0.41", HTTP), _on("xmpp1", "10.20.0.41", HTTP),
                         _on("api1", "10.20.0.51", api),
                         _on("api1", "10.20.0.51", {"name": "api-metrics", "port": 9100, "mode": "tcp",
                                                    "private_port": 8404, "public_alpn": "h2"})],
                        {8404: "the load balancers' metrics"})
    assert found["errors"] == [
        "lb_backends xmpp-c2s: xmpp1 and xmpp2 declare it differently (balance)",
        "lb_backends xmpp-http: 10.20.0.41:5443 is declared twice (xmpp1)",
        "lb_backends api: check_path /health needs mode http (a tcp backend is checked by connecting)",
        "lb_backends api: public_paths needs mode http",
        "lb_backends api-metrics: private port 8404 is the load balancers' metrics port",
        "lb_backends api and xmpp-c2s: two backends on one port (5222) of the private load balancers",
    ]


def test_paths_match_on_segment_boundaries_and_overlapping_ones_are_refused():
    janus = {"name": "conference", "port": 8089, "mode": "http", "public_paths": ["/janus"]}
    janus_ws = {"name": "conference-ws", "port": 8989, "mode": "http", "public_paths": ["/janus-ws"]}
    assert lb_backends([_on("c1", "10.20.0.21", janus), _on("c1", "10.20.0.21", janus_ws)])["errors"] == []
    assert load_balancer.path_matches("/janus", "/janus/info") and load_balancer.path_matches("/janus", "/janus")
    assert not load_balancer.path_matches("/janus", "/janus-ws")
    below = {"name": "rooms", "port": 8090, "mode": "http", "public_paths": ["/janus/rooms"]}
    found = lb_backends([_on("c1", "10.20.0.21", janus), _on("c1", "10.20.0.21", below)])
    assert found["errors"] == ["lb_backends conference and rooms: paths /janus and /janus/rooms overlap "
                               "(a request could reach either)"]


def test_each_member_is_the_home_of_one_vip_and_backs_up_the_other():
    lb1 = lb_vrrp_instances(MEMBERS, ADDRESSES, ["10.20.0.71", "10.20.0.72"], "10.20.0.0/16", 61, "eth0", "lb1",
                            "private_lb")
    lb2 = lb_vrrp_instances(MEMBERS, ADDRESSES, ["10.20.0.71", "10.20.0.72"], "10.20.0.0/16", 61, "eth0", "lb2",
                            "private_lb")
    assert [(vip["name"], vip["priority"]) for vip in lb1] == [("PRIVATE_LB_1", 150), ("PRIVATE_LB_2", 100)]
    assert [vip["priority"] for vip in lb2] == [100, 150]
    assert lb1[1] == {"name": "PRIVATE_LB_2", "router_id": 62, "interface": "eth0", "address": "10.20.0.72/16",
                      "unicast_src": "10.20.0.61", "unicast_peers": ["10.20.0.62"], "priority": 100}
    # Three members: the next one after the home backs it up first.
    three = ["lb1", "lb2", "lb3"]
    addresses = dict(ADDRESSES, lb3="10.20.0.63")
    vips = ["10.20.0.71", "10.20.0.72", "10.20.0.73"]
    priorities = {host: [vip["priority"] for vip in lb_vrrp_instances(three, addresses, vips, "10.20.0.0/16", 61,
                                                                      "eth0", host, "public_lb")] for host in three}
    assert priorities == {"lb1": [150, 99, 100], "lb2": [100, 150, 99], "lb3": [99, 100, 150]}


def test_the_vips_are_probed_on_every_served_port_with_tls_where_tls_is_spoken():
    served = lb_backends([_on("xmpp1", "10.20.0.41", C2S), _on("xmpp1", "10.20.0.41", HTTP)])["backends"]
    assert private_lb_probe_targets(served, ["10.20.0.71"]) == [
        {"name": "private-lb-xmpp-c2s-1", "address": "10.20.0.71", "port": 5222, "module": "tcp"},
        {"name": "private-lb-xmpp-http-1", "address": "10.20.0.71", "port": 5443, "module": "tls"}]


def test_good_inputs_pass():
    assert private_lb_input_errors(INPUTS, MEMBERS, ADDRESSES, "eth0") == []


def test_every_problem_of_the_inputs_is_listed_at_once():
    bad = dict(INPUTS, private_lb_vips=["10.30.0.5", "10.20.0.62", "10.20.0.71", "10.20.0.71", "vip", "10.20.255.255"],
               private_lb_vrrp_router_id=252, private_lb_metrics_port=0, private_lb_allowed_cidrs=["10.20.0.1/16"],
               private_lb_http_timeout=0, private_lb_vrrp_preempt_delay=2000, private_lb_max_connections=10)
    assert private_lb_input_errors(bad, MEMBERS, ADDRESSES, "eth0") == [
        "private_lb_vips: 10.30.0.5 is outside the LAN 10.20.0.0/16",
        "private_lb_vips: 10.20.0.62 is a load balancer's own address",
        "private_lb_vips: 10.20.0.71 is given twice",
        "private_lb_vips: 'vip' is not an IPv4 address",
        "private_lb_vips: 10.20.255.255 is the LAN's network or broadcast address",
        "private_lb_vrrp_router_id 252: the VIPs take 6 VRRP router ids from it, which must stay in 1-255",
        "private_lb_metrics_port 0 is not a TCP port 1-65535",
        "private_lb_allowed_cidrs: '10.20.0.1/16' is not an IPv4 network such as 10.20.0.0/16",
        "private_lb_http_timeout 0 is not a whole number of seconds from 1 to 86400",
        "private_lb_vrrp_preempt_delay 2000 is not a whole number of seconds from 0 to 1000",
        "private_lb_max_connections 10 is not a whole number from 100 to 1000000",
    ]
    assert private_lb_input_errors(dict(INPUTS, private_lb_vips=["10.20.0.71"], private_lb_lan_ip="10.30.0.1"),
                                   MEMBERS, ADDRESSES, "") == [
        "private_lb_lan_ip 10.30.0.1 is outside the LAN 10.20.0.0/16",
        "private_lb_vips: 1 address(es) for 2 load balancers: give one per load balancer, so that each is the home "
        "of one"]
    assert private_lb_input_errors(dict(INPUTS, private_lb_vips=[]), MEMBERS, ADDRESSES, "") == [
        "no interface of this host carries private_lb_lan_ip 10.20.0.61: set private_lb_interface",
        "private_lb_vips is empty: give one LAN address per load balancer (M/M: each is the home of one)"]

    assert lb_vip_probe_targets(["203.0.113.71", "203.0.113.72"], "public-lb-443", 443, "tcp") == [
        {"name": "public-lb-443-1", "address": "203.0.113.71", "port": 443, "module": "tcp"},
        {"name": "public-lb-443-2", "address": "203.0.113.72", "port": 443, "module": "tcp"}]


PUBLIC = {"public_lb_lan_cidr": "10.20.0.0/16", "public_lb_lan_ip": "10.20.0.81", "public_lb_wan_cidr": "203.0.113.0/24",
          "public_lb_wan_ip": "203.0.113.31", "public_lb_vips": ["203.0.113.71", "203.0.113.72"],
          "public_lb_vrrp_router_id": 71, "public_lb_vrrp_preempt_delay": 30,
          "public_lb_server_names": ["edge1.example.com"], "public_lb_certificate": "", "public_lb_private_key": "",
          "public_lb_hsts_max_age": 31536000, "public_lb_connection_rate_limit": 100,
          "public_lb_request_rate_limit": 500, "public_lb_metrics_port": 8404, "public_lb_allowed_cidrs": ["0.0.0.0/0"],
          "public_lb_metrics_allowed_cidrs": ["10.20.0.0/16"], "public_lb_tcp_timeout": 3600,
          "public_lb_http_timeout": 60, "public_lb_tunnel_timeout": 3600, "public_lb_max_connections": 50000}
WAN_ADDRESSES = {"plb1": "203.0.113.31", "plb2": "203.0.113.32"}


def test_the_public_pair_s_good_inputs_pass():
    assert public_lb_input_errors(PUBLIC, ["plb1", "plb2"], WAN_ADDRESSES, "eth1") == []


def test_every_problem_of_the_public_pair_s_inputs_is_listed_at_once():
    bad = dict(PUBLIC, public_lb_wan_cidr="10.20.8.0/24", public_lb_vips=["10.20.0.71"],
               public_lb_server_names=["Edge_1.example.com"], public_lb_certificate="-----BEGIN CERTIFICATE-----",
               public_lb_hsts_max_age=-1, public_lb_request_rate_limit=0)
    assert public_lb_input_errors(bad, ["plb1", "plb2"], WAN_ADDRESSES, "") == [
        "public_lb_wan_cidr 10.20.8.0/24 overlaps the LAN 10.20.0.0/16",
        "public_lb_wan_ip 203.0.113.31 is outside the WAN 10.20.8.0/24",
        "public_lb_server_names: 'Edge_1.example.com' is not a DNS name in lower case (edge1.example.com)",
        "public_lb_certificate, public_lb_private_key: give both (the key from a vault) or neither (a certificate "
        "of the Edge's CA, for a lab)",
        "public_lb_hsts_max_age -1 is not a whole number of seconds from 0 to 63072000 (two years)",
        "public_lb_request_rate_limit 0 is not a whole number from 1 to 1000000 (per client address, per 10 s)",
        "public_lb_vips: 10.20.0.71 is outside the WAN 10.20.8.0/24",
        "public_lb_vips: 1 address(es) for 2 load balancers: give one per load balancer, so that each is the home "
        "of one",
    ]
    assert public_lb_input_errors(PUBLIC, ["plb1", "plb2"], WAN_ADDRESSES, "") == [
        "no interface of this host carries public_lb_wan_ip 203.0.113.31: set public_lb_wan_interface"]


LIMITS = """Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 20000                files
"""


def test_a_connection_limit_over_the_host_s_open_files_is_refused():
    assert private_lb_input_errors(INPUTS, MEMBERS, ADDRESSES, "eth0", LIMITS) == [
        "private_lb_max_connections 20000 needs about 40100 open files and this host allows 20000 (its init's hard "
        "limit): lower it, or raise the limit"]
    assert private_lb_input_errors(dict(INPUTS, private_lb_max_connections=4000), MEMBERS, ADDRESSES, "eth0",
                                   LIMITS) == []
    unlimited = LIMITS.replace("1024                 20000", "unlimited            unlimited")
    assert private_lb_input_errors(INPUTS, MEMBERS, ADDRESSES, "eth0", unlimited) == []
