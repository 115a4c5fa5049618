"""The shared role's inputs entry point, run for real through every tier role's facts.yml.

Against the controller itself (a local connection): each role's inputs are
read against its argument spec and what it provides to other tiers is
published as ``<role>_provides`` when the role declares something, and
skipped cleanly when it does not.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ROLES = ["common", "encrypted_volume", "gatekeeper", "mariadb", "mongodb", "swift"]
PLAY = """
- hosts: lab
  gather_facts: false
  tasks:
    - name: Read each role's inputs
      ansible.builtin.include_role:
        name: "rainbow.edge.{{ item }}"
        tasks_from: facts
      loop: %s
    - name: Show what was published
      ansible.builtin.debug:
        msg: "PUBLISHED {{ query('ansible.builtin.varnames', '_provides$') | reject('match', '^__') | sort | to_json }}"
""" % json.dumps(ROLES)


def test_every_role_reads_its_inputs_and_publishes_only_what_it_declares(tmp_path):
    (tmp_path / "play.yml").write_text(PLAY)
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "edge_lan_ip": "10.20.0.5", "edge_lan_cidr": "10.20.0.0/16", "edge_domain": "lab.test"}
    (tmp_path / "inventory.json").write_text(json.dumps({"all": {"children": {
        group: {"hosts": {"edge1": host}} for group in ["lab", "edge"] + ROLES}}}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    result = subprocess.run(["ansible-playbook", "-i", str(tmp_path / "inventory.json"), str(tmp_path / "play.yml")],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    published = json.loads(re.search(r"PUBLISHED (\[.*\])", result.stdout).group(1))
    declaring = sorted("%s_provides" % role for role in ROLES
                       if "__%s_provides:" % role in (ROOT / "roles" / role / "vars" / "main.yml").read_text())
    assert declaring, "no role declares anything: the test would show nothing"
    assert published == declaring
