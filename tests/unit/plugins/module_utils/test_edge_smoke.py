"""The smoke test's plan (module_utils/edge_smoke.py): what playbooks/smoke.yml probes, and where."""

from pathlib import Path

import pytest
import yaml

from ansible_collections.rainbow.edge.plugins.filter.edge_smoke import edge_smoke_targets
from ansible_collections.rainbow.edge.plugins.module_utils import edge_smoke

ROOT = Path(__file__).resolve().parents[4]
SECRET = "t" * 40


def small_standalone(**changes):
    groups = {"all": ["aio1", "turn1", "store1"], "edge": ["aio1", "turn1", "store1"], "xmpp": ["aio1"],
              "public_lb": ["aio1"], "mariadb": ["aio1"], "turn": ["turn1"], "swift": ["store1"]}
    hostvars = {
        "aio1": {"edge_domain": "edge.example.com", "edge_lan_ip": "10.20.24.11", "public_lb_vips": ["203.0.113.22"]},
        "turn1": {"edge_domain": "edge.example.com", "edge_wan_ip": "203.0.113.31", "turn_static_auth_secret": SECRET},
        "store1": {"edge_domain": "edge.example.com"},
    }
    for host, values in changes.items():
        hostvars[host].update(values)
    return groups, hostvars


def test_a_small_standalone_is_probed_at_its_public_vip_and_its_turn_server_s_wan_address():
    plan = edge_smoke_targets(*small_standalone())
    assert plan["errors"] == [] and plan["not_probed"] == []
    assert plan["xmpp"] == {"server": "aio1", "host": "203.0.113.22", "port": 443, "tls": "direct",
                            "domain": "edge.example.com", "ca": "edge", "via": "the public load balancers' first VIP"}
    assert plan["turn"] == {"server": "turn1", "host": "203.0.113.31", "port": 3478}
    # The Edge's CA, from the host that keeps it (the MariaDB server, aio1, before the Swift node).
    assert plan["ca_host"] == "aio1" and plan["ca_certificate"] == "/etc/rainbow-edge/ca/ca.crt"
    assert edge_smoke_targets(*small_standalone(), ca_host="turn1")["ca_host"] == "turn1"


def test_turn_s_external_address_wins_and_the_inventory_s_ports_are_read():
    plan = edge_smoke_targets(*small_standalone(turn1={"turn_external_ip": "192.0.2.9", "turn_port": 3479}))
    assert plan["turn"] == {"server": "turn1", "host": "192.0.2.9", "port": 3479}


def test_the_customer_s_certificate_is_verified_against_the_controller_s_trust_store():
    plan = edge_smoke_targets(*small_standalone(aio1={"public_lb_certificate": "-----BEGIN CERTIFICATE-----"}))
    assert plan["xmpp"]["ca"] == "system" and plan["ca_host"] == ""


def test_without_public_load_balancers_the_first_xmpp_server_s_direct_tls_port_is_probed():
    groups = {"all": ["xmpp1", "xmpp2", "db1"], "xmpp": ["xmpp1", "xmpp2"], "mariadb": ["db1"]}
    hostvars = {"xmpp1": {"edge_domain": "c.example", "edge_lan_ip": "10.20.0.41", "xmpp_c2s_tls_port": 5223},
                "xmpp2": {}, "db1": {}}
    plan = edge_smoke_targets(groups, hostvars)
    assert (plan["xmpp"]["host"], plan["xmpp"]["port"], plan["xmpp"]["ca"]) == ("10.20.0.41", 5223, "edge")
    assert plan["not_probed"] == ["TURN: the inventory has no turn group"] and plan["ca_host"] == "db1"


def test_a_tier_the_inventory_lacks_is_named_as_not_probed():
    plan = edge_smoke_targets({"all": ["turn1"], "turn": ["turn1"]},
                              {"turn1": {"edge_wan_ip": "198.51.100.101", "turn_static_auth_secret": SECRET}})
    assert plan["xmpp"] is None and plan["not_probed"] == ["XMPP: the inventory has no xmpp group"]
    assert plan["ca_host"] == "" and plan["errors"] == []


def test_every_problem_is_listed_at_once():
    plan = edge_smoke_targets(*small_standalone(aio1={"edge_domain": "", "public_lb_vips": []},
                                                turn1={"edge_wan_ip": "", "turn_static_auth_secret": ""}))
    assert plan["errors"] == [
        "aio1: xmpp_domain (default: edge_domain) is empty: the users' JIDs need the Edge's domain",
        "aio1: public_lb_vips is empty: the public entry point has no address",
        "turn1: neither turn_external_ip nor turn_wan_ip (default: edge_wan_ip) is set: the TURN server has no "
        "public address to probe",
        "turn1: turn_static_auth_secret is empty: no credential can be made",
    ]


@pytest.mark.parametrize("name", sorted(edge_smoke.ROLE_DEFAULTS))
def test_the_defaults_the_smoke_test_assumes_are_the_roles(name):
    role = name.split("_")[0] if not name.startswith("public_lb") else "public_lb"
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    assert defaults[name] == edge_smoke.ROLE_DEFAULTS[name]


def test_the_ca_path_is_the_shared_role_s():
    shared = yaml.safe_load((ROOT / "roles" / "shared" / "vars" / "main.yml").read_text())
    assert shared["__shared_tls_ca_certificate"].replace("{{ __shared_tls_ca_dir }}", shared["__shared_tls_ca_dir"]) \
        == edge_smoke.CA_CERTIFICATE
