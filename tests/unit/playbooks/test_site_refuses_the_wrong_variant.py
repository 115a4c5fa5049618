"""The whole-Edge playbooks stop before any host is contacted when the inventory is not their variant.

The shipped inventory templates, each made wrong in one way the issue names
(or run by another variant's playbook), with every host unreachable (SSH to a
closed port on the controller): the run must fail at the inventory check,
listing the reasons, with no host contacted.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


def unreachable(inventory: dict) -> dict:
    """Every host's connection goes to a closed port: any contact shows as UNREACHABLE."""
    inventory["all"]["vars"].update(ansible_connection="ssh", ansible_host="127.0.0.1", ansible_port=9,
                                    ansible_ssh_common_args="-o ConnectTimeout=2")
    return inventory


def connected_with_turn() -> dict:
    inventory = yaml.safe_load((ROOT / "inventories/connected/hosts.yml").read_text())
    inventory["all"]["children"]["edge"]["children"]["turn"] = {
        "hosts": {"turn1": {"edge_lan_ip": "10.20.9.21", "edge_wan_ip": "198.51.100.40"}}}
    return inventory


def small_standalone_with_voice() -> dict:
    inventory = yaml.safe_load((ROOT / "inventories/standalone-small/hosts.yml").read_text())
    inventory["all"]["vars"]["edge_voice"] = True
    return inventory


def connected() -> dict:
    return yaml.safe_load((ROOT / "inventories/connected/hosts.yml").read_text())


def small_standalone() -> dict:
    return yaml.safe_load((ROOT / "inventories/standalone-small/hosts.yml").read_text())


def large_standalone() -> dict:
    return yaml.safe_load((ROOT / "inventories/standalone-large/hosts.yml").read_text())


@pytest.mark.parametrize("playbook,make,reasons", [
    ("site", connected_with_turn, ["[turn] unexpected_tier", "turn1", "a Connected Edge"]),
    ("site", small_standalone_with_voice, ["voice: expected voice on a Connected or a large Standalone Edge",
                                           "exists only at large scale"]),
    ("connected", small_standalone, ["variant_playbook: expected an inventory of a Connected Edge",
                                     "run playbooks/standalone_small.yml"]),
    ("standalone_small", connected_with_turn, ["variant_playbook: expected an inventory of a small Standalone Edge",
                                               "run playbooks/connected.yml", "[turn] unexpected_tier"]),
    ("standalone_large", small_standalone, ["variant_playbook: expected an inventory of a large Standalone Edge",
                                            "run playbooks/standalone_small.yml"]),
    ("standalone_small", large_standalone, ["variant_playbook: expected an inventory of a small Standalone Edge",
                                            "run playbooks/standalone_large.yml"]),
], ids=["site-connected-with-turn", "site-small-standalone-with-voice", "connected-over-small",
        "small-over-connected-with-turn", "large-over-small", "small-over-large"])
def test_a_whole_edge_playbook_stops_at_the_inventory_check(tmp_path, playbook, make, reasons):
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(unreachable(make())))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_HOST_KEY_CHECKING="False")
    result = subprocess.run(
        ["ansible-playbook", "-i", str(tmp_path / "hosts.yml"), str(ROOT / "playbooks" / (playbook + ".yml"))],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-4000:]
    assert "TASK [rainbow.edge.preflight : Check the inventory's tier groups against the Edge's variant]" in output
    for reason in reasons:
        assert reason in output, output[-4000:]
    assert "UNREACHABLE" not in output, output[-4000:]
    assert "Read vCPUs, memory, disks" not in output
