"""Bill of materials (Markdown, HTML), topology (SVG) and JUnit rendering."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import edge_report
from ansible_collections.rainbow.edge.plugins.module_utils.edge_checks import validate
from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import build_plan

SVG = "{http://www.w3.org/2000/svg}"

PLANS = [
    {"variant": "connected"},
    {"variant": "connected", "voice": True, "datacenters": 2},
    {"variant": "standalone", "concurrent_users": 800},
    {"variant": "standalone", "voice": True, "concurrent_users": 40000, "datacenters": 3},
]


@pytest.mark.parametrize("options", PLANS)
def test_markdown_lists_every_tier_and_the_totals(options):
    plan = build_plan(options)
    text = edge_report.plan_markdown(plan)
    for tier, entry in plan["tiers"].items():
        row = [line for line in text.splitlines() if line.startswith("| `%s` | %s" % (tier, entry["title"][:5]))]
        assert row, tier
        assert "| %d |" % entry["count"] in row[0]
    assert "| **Total** | | | **%d** |" % plan["totals"]["hosts"] in text
    assert "**%d**" % plan["totals"]["vcpus"] in text


@pytest.mark.parametrize("options", PLANS)
def test_svg_is_well_formed_and_shows_dcs_tiers_vips_lan_wan(options):
    plan = build_plan(options)
    svg = edge_report.plan_svg(plan)
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    groups = {g.get("id") for g in root.iter(SVG + "g")}
    assert groups == set(plan["datacenters"])
    texts = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    for tier in plan["tiers"]:
        assert "%s x" % tier in texts
    assert "VIP" in texts and "WAN" in texts and "LAN 10.20.0.0/16" in texts
    placed = sum(int(t.text.rsplit("x", 1)[1]) for t in root.iter(SVG + "text")
                 if t.text and " x" in t.text and t.text.split(" x")[0] in plan["tiers"])
    assert placed == plan["totals"]["hosts"]


def test_svg_says_where_the_tunnel_goes():
    assert "Rainbow cloud" in edge_report.plan_svg(build_plan({"variant": "connected"}))
    assert "ALE Operations" in edge_report.plan_svg(build_plan({"variant": "standalone"}))


def test_html_is_a_page_with_the_picture():
    plan = build_plan({"variant": "standalone", "concurrent_users": 800})
    page = edge_report.plan_html(plan, edge_report.plan_svg(plan))
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "</html>" in page
    assert page.count("<tr>") >= len(plan["tiers"])


def test_render_plan_returns_what_was_asked():
    plan = build_plan({"variant": "connected"})
    assert set(edge_report.render_plan(plan, ["markdown"])) == {"markdown"}
    assert set(edge_report.render_plan(plan, ["html", "svg"])) == {"html", "svg"}
    assert edge_report.render_plan(plan, []) == {}


def test_junit_has_a_case_per_checked_host_and_a_failure_per_failing_host(inventory):
    opts = inventory(variant="connected")
    db = opts["groups"]["mariadb"][0]
    opts["hosts"][db].update(vcpus=1, memory_mb=10)
    opts["hosts"][opts["groups"]["xmpp"][0]]["nics"][0]["speed_mbps"] = None
    result = validate(opts)
    root = ET.fromstring(edge_report.junit_xml(result))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == len(result["checked"])
    failed = [case for case in cases if case.find("failure") is not None]
    assert [(case.get("classname"), case.get("name")) for case in failed] == [
        ("rainbow.edge.preflight.mariadb", db)]
    assert "vcpus" in failed[0].find("failure").text and "memory" in failed[0].find("failure").text
    assert suite.get("failures") == "1"
    assert any(case.find("system-out") is not None for case in cases)


def test_junit_survives_hostile_names():
    result = {"checked": [{"host": "a\x00<b>&\ud800", "tier": "x"}],
              "failures": [{"host": "a\x00<b>&\ud800", "tier": "x", "check": "c", "expected": "e",
                            "actual": "\x07", "hint": "h"}], "warnings": []}
    text = edge_report.junit_xml(result)
    ET.fromstring(text.encode("utf-8"))


def test_address_summary():
    summary = edge_report.address_summary(build_plan({"variant": "connected"}))
    assert summary["gatekeeper"] == {"lan_ipv4": 2, "lan_vips": 1, "public_ipv4": 2, "wan_vips": 0}
    assert summary["private_lb"]["lan_vips"] == 2
