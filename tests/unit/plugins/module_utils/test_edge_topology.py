"""The inventory's topology beside its plan: what is read, compared and drawn."""

import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import build_plan
from ansible_collections.rainbow.edge.plugins.module_utils.edge_topology import (
    NO_DATACENTER,
    compare_with_plan,
    read_topology,
    topology_markdown,
    topology_svg,
)

ROOT = Path(__file__).resolve().parents[4]


def flatten(template: str):
    """(groups, hostvars) of a shipped inventory template, as Ansible would give them."""
    inventory = yaml.safe_load((ROOT / "inventories" / template / "hosts.yml").read_text())
    groups, hostvars = {}, {}

    def walk(name, node, inherited):
        node = node or {}
        here = dict(inherited, **(node.get("vars") or {}))
        for host, variables in (node.get("hosts") or {}).items():
            groups.setdefault(name, []).append(host)
            hostvars.setdefault(host, dict(here)).update(variables or {})
        for child, sub in (node.get("children") or {}).items():
            walk(child, sub, here)
            for host in groups.get(child, []):
                if host not in groups.setdefault(name, []):
                    groups[name].append(host)
    walk("all", inventory["all"], {})
    return groups, hostvars, inventory["all"]["vars"]


def test_the_small_standalone_template_against_its_plan():
    groups, hostvars, edge = flatten("standalone-small")
    plan = build_plan({"variant": edge["edge_variant"], "concurrent_users": edge["edge_concurrent_users"]})
    topology = read_topology(groups, hostvars)
    assert topology["hosts"]["aio1"] == {"tiers": ["aio"], "datacenter": "dc1", "lan_ip": "10.20.5.11",
                                         "wan_ip": "198.51.100.12"}
    assert list(topology["datacenters"]) == ["dc1"]
    assert {row["status"] for row in compare_with_plan(topology, plan)} == {"ok"}
    markdown = topology_markdown(topology, plan)
    for host in hostvars:
        assert "| %s |" % host in markdown
    root = ET.fromstring(topology_svg(topology, plan))
    assert "every tier has its servers" in "".join(root.itertext())


def test_missing_and_foreign_tiers_are_named():
    groups, hostvars, _edge = flatten("connected")
    plan = build_plan({"variant": "connected"})
    groups["swift"] = groups["swift"][:1]
    groups["turn"] = ["turn1"]
    hostvars["turn1"] = {"edge_lan_ip": "10.20.9.9"}
    rows = {row["tier"]: row for row in compare_with_plan(read_topology(groups, hostvars), plan)}
    assert rows["swift"]["status"] == "2 missing"
    assert rows["turn"]["status"] == "not part of this Edge" and rows["turn"]["planned"] is None
    text = "".join(ET.fromstring(topology_svg(read_topology(groups, hostvars), plan)).itertext())
    assert "swift 2 missing" in text and "turn not part of this Edge" in text


def test_vips_tunnel_and_what_is_not_set():
    groups = {"gatekeeper": ["gk1", "gk2"], "public_lb": ["lb1"], "private_lb": ["plb1"], "xmpp": ["x1"]}
    hostvars = {
        "gk1": {"edge_lan_ip": "10.20.1.11", "gatekeeper_lan_vip": "10.20.1.10", "gatekeeper_wg_port": 51820,
                "gatekeeper_wg_external_peers": [{"name": "global-gk", "endpoint": "203.0.113.5:51820"}]},
        "lb1": {"public_lb_vips": ["198.51.100.5", "198.51.100.6"]},
        "plb1": {"private_lb_vips": [{"address": "10.20.3.10"}]},
    }
    topology = read_topology(groups, hostvars)
    assert topology["vips"] == [
        {"tier": "gatekeeper", "zone": "lan", "address": "10.20.1.10"},
        {"tier": "private_lb", "zone": "lan", "address": "10.20.3.10"},
        {"tier": "public_lb", "zone": "wan", "address": "198.51.100.5"},
        {"tier": "public_lb", "zone": "wan", "address": "198.51.100.6"}]
    assert topology["tunnel"] == {"gatekeepers": ["gk1", "gk2"], "port": 51820, "peers": ["global-gk"]}
    assert topology["hosts"]["x1"] == {"tiers": ["xmpp"], "datacenter": NO_DATACENTER, "lan_ip": "", "wan_ip": ""}
    plan = build_plan({"variant": "connected"})
    markdown = topology_markdown(topology, plan)
    assert "| x1 | (no datacenter) | xmpp | not set | - |" in markdown
    assert "UDP port 51820, to Rainbow cloud (peers: global-gk)" in markdown
    ET.fromstring(topology_svg(topology, plan))


def test_an_empty_inventory_draws_an_empty_edge():
    plan = build_plan({"variant": "standalone"})
    topology = read_topology({}, {})
    assert topology["hosts"] == {} and topology["vips"] == []
    assert "no GateKeeper in the inventory" in topology_markdown(topology, plan)
    ET.fromstring(topology_svg(topology, plan))


def test_names_from_the_inventory_cannot_break_the_picture():
    groups = {"xmpp": ["<x&1>\x01"]}
    hostvars = {"<x&1>\x01": {"edge_datacenter": "dc\"1", "edge_lan_ip": "<script>"}}
    ET.fromstring(topology_svg(read_topology(groups, hostvars), build_plan({})))
