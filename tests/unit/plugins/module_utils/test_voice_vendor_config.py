"""The vendor's voice tiers: input check, firewall, configuration, gateways (module_utils/voice_vendor_config.py)."""

from pathlib import Path

import pytest

from ansible_collections.rainbow.edge.plugins.filter.voice_vendor_config import (
    voice_vendor_config_file, voice_vendor_deployment, voice_vendor_firewall_rules, voice_vendor_gateways,
    voice_vendor_input_errors,
)
from ansible_collections.rainbow.edge.plugins.module_utils.firewall_dropin import render_dropin

KEYS = Path(__file__).parent / "data" / "openpgp"
VENDOR = "7D8D8B5356EF8B24F65F66F00318DBC60C7C0FE5"
OTHER = "7C0DE75B57849A122E372F10B2D2000F341E5E77"
TLS = {"certificate": "/etc/x/tls/x.crt", "key": "/etc/x/tls/x.key", "ca": "/etc/x/tls/ca.crt"}


def good_inputs(tier="voice_pbx_gateway", **changes):
    inputs = {
        "lan_cidr": "10.20.0.0/16", "lan_ip": "10.20.21.31",
        "apt_repository_url": "http://repo.vendor.example/debian", "apt_repository_suite": "stable",
        "apt_repository_components": ["main"], "apt_signing_key": (KEYS / "vendor.asc").read_text(),
        "apt_signing_key_fingerprint": VENDOR, "packages": ["rainbow-voice-fixture"],
        "command": "/usr/lib/rainbow-voice-fixture/voice_fixture.py gateway", "settings": {"region": "emea"},
        "allowed_cidrs": ["10.20.21.0/25"], "metrics_port": 9480, "metrics_path": "/metrics", "stop_timeout": 30,
    }
    if tier == "voice_pbx_orchestrator":
        inputs.update(https_port=8443)
    elif tier == "voice_web":
        inputs.update(lan_ip="10.20.21.41", https_port=8443, vip="10.20.21.45", vrrp_router_id=59,
                      vrrp_advert_interval=1, sql_server="10.20.21.50", sql_port=3306, sql_database="kamailio",
                      sql_user="voice_web", sql_password="web-secret")
    else:
        inputs.update(sip_port=5060, rtp_port_min=20000, rtp_port_max=29999, voice_proxy="")
    inputs = {"%s_%s" % (tier, key): value for key, value in inputs.items()}
    inputs.update(changes)
    return inputs


GATEWAYS = [
    {"name": "vgw1", "tier": "voice_pbx_gateway", "address": "10.20.21.31", "sip_port": 5060, "metrics_port": 9480},
    {"name": "cgw1", "tier": "cloud_pbx_gateway", "address": "10.20.21.35", "sip_port": 5070, "metrics_port": 9480},
]


@pytest.mark.parametrize("tier", ["voice_pbx_gateway", "cloud_pbx_gateway"])
def test_good_gateway_inputs_pass(tier):
    assert voice_vendor_input_errors(good_inputs(tier), tier, [22, 9100]) == []


def test_good_orchestrator_inputs_pass_with_the_gateways_it_drives():
    tier = "voice_pbx_orchestrator"
    assert voice_vendor_input_errors(good_inputs(tier), tier, [22, 9100], GATEWAYS) == []


def test_not_a_vendor_tier_is_an_error_of_the_caller():
    with pytest.raises(ValueError, match="not a voice tier of the vendor"):
        voice_vendor_input_errors({}, "voice_proxy")


def test_every_problem_is_listed_at_once_each_naming_its_variable():
    tier = "voice_pbx_gateway"
    inputs = good_inputs(voice_pbx_gateway_allowed_cidrs=["trunks"], voice_pbx_gateway_rtp_port_min=5000,
                         voice_pbx_gateway_rtp_port_max=6000, voice_pbx_gateway_apt_signing_key_fingerprint=OTHER,
                         voice_pbx_gateway_command="gateway --foreground", voice_pbx_gateway_settings=["x"],
                         voice_pbx_gateway_packages=["Bad Name"], voice_pbx_gateway_lan_ip="10.30.0.1",
                         voice_pbx_gateway_voice_proxy="proxy.example", voice_pbx_gateway_stop_timeout=0,
                         voice_pbx_gateway_metrics_path="metrics")
    errors = voice_vendor_input_errors(inputs, tier, [22, 9100])
    text = "\n".join(errors)
    for expected in ("voice_pbx_gateway_allowed_cidrs: expected IPv4 networks in CIDR form; not networks: ['trunks']",
                     "the RTP range 5000-6000 holds port(s) [5060]",
                     "voice_pbx_gateway_apt_signing_key is key %s, not the pinned %s" % (VENDOR, OTHER),
                     "voice_pbx_gateway_command: expected the absolute path",
                     "voice_pbx_gateway_settings: expected a mapping",
                     "voice_pbx_gateway_packages: expected the vendor's Debian package names",
                     "voice_pbx_gateway_lan_ip (default: edge_lan_ip): expected this host's address on the LAN",
                     "voice_pbx_gateway_voice_proxy: expected the voice proxies' VIP",
                     "voice_pbx_gateway_stop_timeout: expected 1-3600 seconds",
                     "voice_pbx_gateway_metrics_path: expected an absolute URL path"):
        assert expected in text, (expected, errors)
    assert len(errors) == 10, errors


@pytest.mark.parametrize("changes, expected", [
    ({"voice_pbx_gateway_sip_port": 80}, "voice_pbx_gateway_sip_port: expected a port 1024-65535"),
    ({"voice_pbx_gateway_metrics_port": 5060}, "voice_pbx_gateway_sip_port, voice_pbx_gateway_metrics_port must differ"),
    ({"voice_pbx_gateway_sip_port": 9100}, "port(s) [9100] of the Voice Cloud PBX Gateway are this host's other"),
    ({"voice_pbx_gateway_rtp_port_min": 30000}, "expected a range of UDP ports 1024-65535, the first below the last"),
    ({"voice_pbx_gateway_rtp_port_min": 9000, "voice_pbx_gateway_rtp_port_max": 9999},
     "the RTP range 9000-9999 holds port(s) [9100, 9480]"),
    ({"voice_pbx_gateway_allowed_cidrs": []}, "voice_pbx_gateway_allowed_cidrs: expected IPv4 networks in CIDR form; "
                                              "the list is empty"),
    ({"voice_pbx_gateway_apt_repository_url": "ftp://repo"}, "voice_pbx_gateway_apt_repository_url: expected"),
])
def test_each_bad_gateway_input_is_named(changes, expected):
    errors = voice_vendor_input_errors(good_inputs(**changes), "voice_pbx_gateway", [22, 9100])
    assert any(expected in error for error in errors), errors


def test_the_orchestrator_refuses_gateways_whose_address_or_ports_are_not_known():
    tier = "voice_pbx_orchestrator"
    bad = GATEWAYS + [{"name": "vgw9", "tier": "voice_pbx_gateway", "address": "", "sip_port": 5060,
                       "metrics_port": 9480}]
    errors = voice_vendor_input_errors(good_inputs(tier), tier, [22, 9100], bad)
    assert errors == ["voice_pbx_orchestrator: the LAN address or SIP port of gateway(s) vgw9 is not known (their "
                      "<tier>_lan_ip, edge_lan_ip, <tier>_sip_port)"]
    errors = voice_vendor_input_errors(good_inputs(tier, voice_pbx_orchestrator_https_port=9480), tier, [22, 9100], [])
    assert errors == ["voice_pbx_orchestrator_https_port, voice_pbx_orchestrator_metrics_port must differ; got "
                      "[9480, 9480]"]


def test_a_gateway_opens_sip_and_rtp_to_the_allowed_networks_and_metrics_to_the_lan():
    rules = voice_vendor_firewall_rules(good_inputs(), "voice_pbx_gateway")
    assert [(rule["proto"], rule["ports"], rule["sources"]) for rule in rules] == [
        ("udp", [5060], ["10.20.21.0/25"]), ("tcp", [5060], ["10.20.21.0/25"]),
        ("udp", ["20000-29999"], ["10.20.21.0/25"]), ("tcp", [9480], ["10.20.0.0/16"])]
    render_dropin("voice_pbx_gateway", rules)


def test_the_orchestrator_opens_https_to_the_allowed_networks_only():
    rules = voice_vendor_firewall_rules(good_inputs("voice_pbx_orchestrator"), "voice_pbx_orchestrator")
    assert [(rule["proto"], rule["ports"]) for rule in rules] == [("tcp", [8443]), ("tcp", [9480])]
    render_dropin("voice_pbx_orchestrator", rules)


def test_the_deployment_names_the_unit_account_and_unprefixed_inputs():
    deployment = voice_vendor_deployment(good_inputs("voice_pbx_orchestrator"), "voice_pbx_orchestrator")
    assert deployment["service"] == "rainbow-edge-voice-pbx-orchestrator"
    # Linux account names have at most 32 characters.
    assert deployment["account"] == "rainbow-edge-pbx-orchestrator" and len(deployment["account"]) <= 32
    assert deployment["config_file"] == "/etc/rainbow-edge-voice-pbx-orchestrator/config.json"
    assert deployment["https_port"] == 8443 and deployment["kind"] == "https"


def test_a_gateway_configuration_names_its_sockets_the_voice_proxies_and_passes_the_settings_whole():
    config = voice_vendor_config_file(good_inputs(), "voice_pbx_gateway", TLS, "10.20.21.20")
    assert config == {
        "tier": "voice_pbx_gateway",
        "listen": {"address": "10.20.21.31", "sip_port": 5060, "rtp_ports": [20000, 29999], "metrics_port": 9480,
                   "metrics_path": "/metrics"},
        "tls": TLS, "voice_proxy": {"address": "10.20.21.20", "port": 5060}, "settings": {"region": "emea"}}
    assert voice_vendor_config_file(good_inputs(), "voice_pbx_gateway", TLS, "")["voice_proxy"] is None


def test_the_orchestrator_configuration_lists_the_gateways_it_drives():
    config = voice_vendor_config_file(good_inputs("voice_pbx_orchestrator"), "voice_pbx_orchestrator", TLS, "",
                                      GATEWAYS)
    assert config["gateways"] == GATEWAYS and config["listen"]["https_port"] == 8443 and "voice_proxy" not in config


def test_the_gateways_are_read_from_their_checked_inputs_else_the_inventory():
    groups = {"voice_pbx_gateway": ["vgw1", "vgw2"], "cloud_pbx_gateway": ["cgw1"]}
    hostvars = {
        "vgw1": {"edge_lan_ip": "10.20.21.31"},
        "vgw2": {"voice_pbx_gateway_lan_ip": "10.20.21.32", "voice_pbx_gateway_sip_port": 5070},
        "cgw1": {"__cloud_pbx_gateway_input_check": {"inputs": {
            "cloud_pbx_gateway_lan_ip": "10.20.21.35", "cloud_pbx_gateway_sip_port": 5080,
            "cloud_pbx_gateway_metrics_port": 9490}}},
    }
    assert voice_vendor_gateways(groups, hostvars) == [
        {"name": "vgw1", "tier": "voice_pbx_gateway", "address": "10.20.21.31", "sip_port": 5060, "metrics_port": 9480},
        {"name": "vgw2", "tier": "voice_pbx_gateway", "address": "10.20.21.32", "sip_port": 5070, "metrics_port": 9480},
        {"name": "cgw1", "tier": "cloud_pbx_gateway", "address": "10.20.21.35", "sip_port": 5080, "metrics_port": 9490},
    ]
    assert [gateway["name"] for gateway in voice_vendor_gateways(groups, hostvars, ["voice_pbx_gateway"])] == [
        "vgw1", "vgw2"]


def test_the_voice_proxies_read_the_gateways_as_dispatcher_destinations():
    groups = {"voice_pbx_gateway": ["vgw1", "vgw2"]}
    hostvars = {"vgw1": {"edge_lan_ip": "10.20.21.31"},
                "vgw2": {"edge_lan_ip": "10.20.21.32", "voice_pbx_gateway_sip_port": 5070}}
    assert voice_vendor_gateways(groups, hostvars, ["voice_pbx_gateway"], destinations=True) == [
        "10.20.21.31:5060", "10.20.21.32:5070"]
    assert voice_vendor_gateways({}, {}, ["voice_pbx_gateway"], destinations=True) == []


WEB_GROUP = ("vweb1", "vweb2")
WEB_VIPS = {"vweb1": "10.20.21.45", "vweb2": "10.20.21.45"}


def web_errors(inputs, group=WEB_GROUP, host="vweb1", vips=None):
    return voice_vendor_input_errors(inputs, "voice_web", [22, 9100], None, group, host, WEB_VIPS if vips is None
                                     else vips)


def test_good_voice_web_inputs_pass_for_a_pair_sharing_its_vip():
    assert web_errors(good_inputs("voice_web")) == []


def test_the_voice_web_pair_its_vip_and_its_database_account_are_checked_with_every_other_problem():
    inputs = good_inputs("voice_web", voice_web_vip="10.30.0.1", voice_web_vrrp_router_id=300,
                         voice_web_sql_server="voice-db", voice_web_sql_password="", voice_web_allowed_cidrs=["x"])
    errors = web_errors(inputs, ["vweb1", "vweb2", "vweb3"], "vweb3")
    assert errors == [
        "voice_web_allowed_cidrs: expected IPv4 networks in CIDR form; not networks: ['x']",
        "group voice_web: expected voice web servers in pairs (master and backup, 9.5: two per 200,000 subscribers, "
        "paired in the group's order); this host's pair has 1 host(s): vweb3",
        "voice_web_vip 10.30.0.1 is outside its network 10.20.0.0/16 (voice_web_lan_cidr)",
        "voice_web_vrrp_router_id: expected 1-255 VRRP router id of the pair's VIP; got 300",
        "voice_web_sql_server: expected the voice database's address (default: the mariadb_vip of group voice_db, "
        "which follows its primary); got 'voice-db'",
        "voice_web_sql_password: empty; give the voice database account's password from the vault (the voice "
        "database's mariadb_users gives the same)"], errors
    assert not any("web-secret" in error for error in web_errors(good_inputs("voice_web", voice_web_sql_port=0)))


def test_a_voice_web_pair_shares_one_vip_that_no_other_pair_names():
    group = ["vweb1", "vweb2", "vweb3", "vweb4"]
    vips = {"vweb1": "10.20.21.45", "vweb2": "10.20.21.46", "vweb3": "10.20.21.45", "vweb4": "10.20.21.45"}
    errors = web_errors(good_inputs("voice_web"), group, "vweb1", vips)
    assert errors == ["voice_web_vip: the pair vweb1, vweb2 names different VIPs (10.20.21.45, 10.20.21.46); a pair "
                      "shares one", "voice_web_vip 10.20.21.45 is also the VIP of vweb3, vweb4, of another pair; "
                      "each pair needs its own"], errors
    own = web_errors(good_inputs("voice_web", voice_web_vip="10.20.21.41"))
    assert own == ["voice_web_vip 10.20.21.41 is this host's own address (voice_web_lan_ip): the VIP must be a third "
                   "address"], own


def test_the_voice_web_opens_https_to_the_allowed_networks_and_vrrp_to_its_other_member():
    rules = voice_vendor_firewall_rules(good_inputs("voice_web"), "voice_web", ["10.20.21.42"])
    assert [(rule["proto"], rule.get("ports"), rule["sources"]) for rule in rules] == [
        ("tcp", [8443], ["10.20.21.0/25"]), ("tcp", [9480], ["10.20.0.0/16"]), ("vrrp", None, ["10.20.21.42"])]
    render_dropin("voice_web", rules)
    # The tiers that are no pair let no VRRP in, whatever they are given.
    assert all(rule["proto"] != "vrrp" for rule in voice_vendor_firewall_rules(
        good_inputs("voice_pbx_orchestrator"), "voice_pbx_orchestrator", ["10.20.21.42"]))


def test_the_voice_web_configuration_names_its_vip_and_its_account_on_the_voice_database():
    config = voice_vendor_config_file(good_inputs("voice_web"), "voice_web", TLS, "", GATEWAYS)
    assert config["listen"] == {"address": "10.20.21.41", "vip": "10.20.21.45", "https_port": 8443,
                                "metrics_port": 9480, "metrics_path": "/metrics"}, config
    assert config["voice_db"] == {"address": "10.20.21.50", "port": 3306, "database": "kamailio",
                                  "user": "voice_web", "password": "web-secret", "ca": TLS["ca"]}, config
    # It drives no gateway; the orchestrator reaches no database.
    assert "gateways" not in config and "voice_proxy" not in config
    assert "voice_db" not in voice_vendor_config_file(good_inputs("voice_pbx_orchestrator"), "voice_pbx_orchestrator",
                                                      TLS, "", GATEWAYS)
    deployment = voice_vendor_deployment(good_inputs("voice_web"), "voice_web")
    assert (deployment["service"], deployment["account"], deployment["paired"], deployment["database"],
            deployment["drives_gateways"]) == ("rainbow-edge-voice-web", "rainbow-edge-voice-web", True, True, False)
