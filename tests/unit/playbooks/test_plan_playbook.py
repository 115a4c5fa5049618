"""playbooks/plan.yml for real: the plan's documents, and with an inventory, the Edge it describes."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def run_plan(tmp_path, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    result = subprocess.run(["ansible-playbook", str(ROOT / "playbooks/plan.yml"), "-e", "plan_output_dir=%s" % tmp_path,
                             *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


def test_without_an_inventory_the_plan_alone(tmp_path):
    run_plan(tmp_path, "-e", "edge_variant=standalone", "-e", "edge_concurrent_users=20000")
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "edge-plan.html", "edge-plan.json", "edge-plan.md", "edge-plan.svg"]
    assert json.loads((tmp_path / "edge-plan.json").read_text())["scale"] == "large"


def test_with_the_small_standalone_template_the_inventory_is_drawn_beside_the_plan(tmp_path):
    inventory = ROOT / "inventories/standalone-small/hosts.yml"
    run_plan(tmp_path, "-i", str(inventory))
    markdown = (tmp_path / "edge-plan-inventory.md").read_text()
    hosts = [host for group in yaml.safe_load(inventory.read_text())["all"]["children"]["edge"]["children"].values()
             for host in group.get("hosts", {})]
    assert len(hosts) == 11
    for host in hosts:
        assert "| %s |" % host in markdown
    assert "| aio | 1 | 1 | aio1 | ok |" in markdown
    ET.fromstring((tmp_path / "edge-plan-inventory.svg").read_text())
