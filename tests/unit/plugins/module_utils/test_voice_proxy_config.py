"""The voice proxies' input check and firewall (module_utils/voice_proxy_config.py)."""

import pytest

from ansible_collections.rainbow.edge.plugins.filter.voice_proxy_config import (
    voice_proxy_firewall_rules, voice_proxy_input_errors,
)
from ansible_collections.rainbow.edge.plugins.module_utils.firewall_dropin import render_dropin

PASSWORD = "lab-voice-sql-password"
MEMBERS = ["vproxy1", "vproxy2"]
VIPS = {"vproxy1": "10.20.21.20", "vproxy2": "10.20.21.20"}


def good_inputs(**changes):
    inputs = {
        "voice_proxy_lan_cidr": "10.20.0.0/16", "voice_proxy_lan_ip": "10.20.21.21", "voice_proxy_vip": "10.20.21.20",
        "voice_proxy_domain": "voice.example.com", "voice_proxy_allowed_cidrs": ["10.20.21.0/25"],
        "voice_proxy_sip_port": 5060, "voice_proxy_sip_tls_port": 5061, "voice_proxy_sip_tls": True,
        "voice_proxy_metrics_port": 9495, "voice_proxy_pbx_gateways": ["10.20.21.60", "10.20.21.61:5080"],
        "voice_proxy_sql_server": "10.20.21.50", "voice_proxy_sql_port": 3306, "voice_proxy_sql_database": "kamailio",
        "voice_proxy_sql_user": "kamailio", "voice_proxy_sql_password": PASSWORD,
        "voice_proxy_max_expires": 3600, "voice_proxy_vrrp_router_id": 57, "voice_proxy_vrrp_advert_interval": 1,
        "voice_proxy_pbx_gateway_probe_interval": 10,
    }
    inputs.update(changes)
    return inputs


def test_good_inputs_pass():
    assert voice_proxy_input_errors(good_inputs(), MEMBERS, "vproxy1", VIPS, [22, 9100]) == []
    assert voice_proxy_input_errors(good_inputs(), MEMBERS, "vproxy1", VIPS, [22, 9100], "13") == []


def test_sip_over_tls_is_refused_on_debian_12_whose_kamailio_crashes_with_it_and_tls_to_the_database():
    errors = voice_proxy_input_errors(good_inputs(), MEMBERS, "vproxy1", VIPS, [22, 9100], "12")
    assert len(errors) == 1 and errors[0].startswith("voice_proxy_sip_tls: Debian 12's kamailio (5.6) crashes"), errors
    assert "set voice_proxy_sip_tls: false" in errors[0]
    assert voice_proxy_input_errors(good_inputs(voice_proxy_sip_tls=False), MEMBERS, "vproxy1", VIPS, [22, 9100],
                                    "12") == []


@pytest.mark.parametrize("changes,expected", [
    ({"voice_proxy_vip": ""}, "voice_proxy_vip: expected the IPv4 address the pair shares"),
    ({"voice_proxy_vip": "10.30.0.1"}, "voice_proxy_vip 10.30.0.1 is outside its network 10.20.0.0/16"),
    ({"voice_proxy_vip": "10.20.21.21"}, "voice_proxy_vip 10.20.21.21 is this host's own address"),
    ({"voice_proxy_domain": ""}, "voice_proxy_domain (default: edge_domain): expected the phones' SIP domain"),
    ({"voice_proxy_domain": "a b"}, "voice_proxy_domain (default: edge_domain)"),
    ({"voice_proxy_allowed_cidrs": ["phones"]}, "voice_proxy_allowed_cidrs: expected IPv4 networks"),
    ({"voice_proxy_allowed_cidrs": []}, "voice_proxy_allowed_cidrs: empty"),
    ({"voice_proxy_pbx_gateways": ["pbx.example"]}, "voice_proxy_pbx_gateways: expected \"address\" or"),
    ({"voice_proxy_pbx_gateways": ["198.51.100.1"]}, "voice_proxy_pbx_gateways: 198.51.100.1 not on the LAN"),
    ({"voice_proxy_pbx_gateway_probe_interval": 0}, "voice_proxy_pbx_gateway_probe_interval: expected 1-3600 seconds"),
    ({"voice_proxy_sip_tls_port": 5060}, "must differ"),
    ({"voice_proxy_metrics_port": 9100}, "port(s) [9100] of the voice proxy are this host's other services'"),
    ({"voice_proxy_sql_port": 0}, "voice_proxy_sql_port: expected a port"),
    ({"voice_proxy_sql_server": ""}, "voice_proxy_sql_server: expected the voice database's address"),
    ({"voice_proxy_sql_user": "kam-ailio"}, "voice_proxy_sql_user: expected a MariaDB name"),
    ({"voice_proxy_sql_password": ""}, "voice_proxy_sql_password: empty"),
    ({"voice_proxy_max_expires": 10}, "voice_proxy_max_expires: expected 60-86400"),
    ({"voice_proxy_vrrp_router_id": 256}, "voice_proxy_vrrp_router_id: expected 1-255"),
    ({"voice_proxy_lan_ip": "10.30.0.5"}, "voice_proxy_lan_ip (default: edge_lan_ip)"),
])
def test_each_bad_input_is_named(changes, expected):
    errors = voice_proxy_input_errors(good_inputs(**changes), MEMBERS, "vproxy1", VIPS, [22, 9100])
    assert any(expected in error for error in errors), errors


def test_every_problem_is_listed_at_once_and_the_password_never():
    errors = voice_proxy_input_errors(good_inputs(voice_proxy_vip="10.30.0.1", voice_proxy_allowed_cidrs=["x"],
                                                  voice_proxy_sql_port="3306"), MEMBERS, "vproxy1", VIPS)
    assert len(errors) == 3, errors
    assert not any(PASSWORD in error for error in errors)


def test_a_host_without_a_pair_is_refused():
    errors = voice_proxy_input_errors(good_inputs(), MEMBERS + ["vproxy3"], "vproxy3", VIPS)
    assert any("this host's pair has 1 host(s): vproxy3" in error for error in errors), errors


def test_a_pair_shares_one_vip_and_no_other_pair_has_it():
    split_vips = {"vproxy1": "10.20.21.20", "vproxy2": "10.20.21.30"}
    split = voice_proxy_input_errors(good_inputs(), MEMBERS, "vproxy1", split_vips)
    assert any("the pair vproxy1, vproxy2 names different VIPs (10.20.21.20, 10.20.21.30)" in e for e in split), split
    group = MEMBERS + ["vproxy3", "vproxy4"]
    shared_vips = dict(VIPS, vproxy3="10.20.21.20", vproxy4="10.20.21.20")
    shared = voice_proxy_input_errors(good_inputs(), group, "vproxy1", shared_vips)
    assert any("is also the VIP of vproxy3, vproxy4, of another pair" in error for error in shared), shared


def test_the_firewall_opens_sip_to_the_allowed_networks_metrics_to_the_lan_and_vrrp_to_the_other_member():
    rules = voice_proxy_firewall_rules(good_inputs(), ["10.20.21.22"])
    by_comment = {rule["comment"]: rule for rule in rules}
    assert by_comment["SIP over UDP from the phones and voice tiers"]["sources"] == ["10.20.21.0/25"]
    assert by_comment["SIP over TCP and TLS from the phones and voice tiers"]["ports"] == [5060, 5061]
    assert by_comment["kamailio's Prometheus endpoint"]["sources"] == ["10.20.0.0/16"]
    assert by_comment["VRRP adverts of the other member"]["sources"] == ["10.20.21.22"]
    render_dropin("voice_proxy", rules)
    assert not any(rule.get("proto") == "vrrp" for rule in voice_proxy_firewall_rules(good_inputs(), []))


def test_without_sip_over_tls_the_firewall_opens_sip_over_tcp_only():
    by_comment = {rule["comment"]: rule for rule in voice_proxy_firewall_rules(good_inputs(voice_proxy_sip_tls=False),
                                                                               ["10.20.21.22"])}
    assert by_comment["SIP over TCP from the phones and voice tiers"]["ports"] == [5060]


def test_the_in_country_nodes_whose_trunk_mark_is_trusted_are_lan_addresses_the_proxy_answers():
    assert voice_proxy_input_errors(good_inputs(voice_proxy_icn_addresses=["10.20.21.80"]), MEMBERS, "vproxy1", VIPS,
                                    [22, 9100]) == []
    errors = voice_proxy_input_errors(good_inputs(voice_proxy_icn_addresses=["icn1"]), MEMBERS, "vproxy1", VIPS)
    assert errors == ["voice_proxy_icn_addresses: expected the In-Country Nodes' LAN addresses (IPv4); got ['icn1']"]
    errors = voice_proxy_input_errors(good_inputs(voice_proxy_icn_addresses=["10.20.20.20", "10.20.21.80"]), MEMBERS,
                                      "vproxy1", VIPS)
    assert errors == ["voice_proxy_icn_addresses: 10.20.20.20 outside voice_proxy_allowed_cidrs: the proxy would not "
                      "answer the In-Country Node(s)"], errors
