"""The inventory templates partners read are exactly what the footprint catalog says.

scripts/render_inventories.py writes them from the catalog; a committed template
that differs (the catalog changed, or someone edited a template) fails here.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
_loader = importlib.machinery.SourceFileLoader("render_inventories", str(REPO / "scripts" / "render_inventories.py"))
_spec = importlib.util.spec_from_loader("render_inventories", _loader)
render_inventories = importlib.util.module_from_spec(_spec)
_loader.exec_module(render_inventories)


@pytest.mark.parametrize("variant", sorted(render_inventories.VARIANTS))
def test_template_matches_the_catalog(variant):
    committed = (REPO / "inventories" / variant / "hosts.yml").read_text()
    assert committed == render_inventories.render(variant), f"run scripts/render_inventories.py: inventories/{variant}/hosts.yml is stale"


@pytest.mark.parametrize("variant", sorted(render_inventories.VARIANTS))
def test_template_groups_are_tier_names_under_edge(variant):
    inventory = yaml.safe_load((REPO / "inventories" / variant / "hosts.yml").read_text())
    tiers = inventory["all"]["children"]["edge"]["children"]
    assert "gatekeeper" in tiers
    for tier, group in tiers.items():
        for host, values in group.get("hosts", {}).items():
            assert values["edge_lan_ip"].startswith("10.20."), (tier, host)
        # A group without hosts of its own is a tier the All-in-One carries (group aio its child).
        assert group.get("hosts") or group["children"] == {"aio": {}}, (tier, group)


def test_the_all_in_one_is_in_the_group_of_each_tier_it_carries():
    tiers = yaml.safe_load((REPO / "inventories" / "standalone-small" / "hosts.yml").read_text())[
        "all"]["children"]["edge"]["children"]
    carried = sorted(tier for tier, group in tiers.items() if "aio" in group.get("children", {}))
    assert carried == ["api", "mariadb", "mongodb", "public_lb", "xmpp"]
    assert tiers["aio"]["vars"]["public_lb_vips"] == ["198.51.100.13"]
