"""Every role's README answers an operator's questions, under the same headings, in the same order.

What it deploys, its inputs by group, what it opens on which network, what it
stores where, how to operate it (backup, failover, upgrade), and which
scenario proves it: a newcomer finds the same answer in the same place in
every role.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "roles").iterdir() if p.is_dir())
SECTIONS = ["What it deploys", "Inputs", "Network", "Data", "Operations", "Tested by"]


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_readme_has_the_operator_sections_in_order(role):
    readme = role / "README.md"
    assert readme.is_file(), f"{role.name}: no README.md"
    headings = re.findall(r"^## (.+?)\s*$", readme.read_text(), flags=re.MULTILINE)
    found = [heading for heading in headings if heading in SECTIONS]
    assert found == SECTIONS, f"{role.name}: README sections {found}, expected {SECTIONS} in that order"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_each_operator_section_says_something(role):
    text = (role / "README.md").read_text()
    for section in SECTIONS:
        body = re.search(r"^## %s\s*$(.*?)(?=^## |\Z)" % re.escape(section), text, flags=re.MULTILINE | re.DOTALL)
        assert body and len(body.group(1).split()) >= 8, f"{role.name}: section '{section}' is (nearly) empty"
