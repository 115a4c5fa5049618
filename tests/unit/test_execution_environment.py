"""The execution environment's definition agrees with the controller's pins, the lab and galaxy.yml.

execution-environment/execution-environment.yml repeats a few facts kept
elsewhere: ansible-core's pin (requirements.txt), the lab's Debian 13 image
(scripts/lib.sh) and the collection's dependencies (galaxy.yml, through
meta/execution-environment.yml). A change to one of them fails here before
an image is built with the other.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EE = yaml.safe_load((ROOT / "execution-environment" / "execution-environment.yml").read_text())
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())


def test_ansible_core_is_the_controller_s():
    pinned = re.search(r"^ansible-core==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert EE["dependencies"]["ansible_core"]["package_pip"] == f"ansible-core=={pinned}"
    assert re.fullmatch(r"ansible-runner==\S+", EE["dependencies"]["ansible_runner"]["package_pip"])


def test_the_base_image_is_the_lab_s_debian_13_image():
    image = subprocess.run(["bash", "-c", f". {ROOT}/scripts/lib.sh; lab_image_for 13"], check=True,
                           capture_output=True, text=True).stdout.strip()
    assert EE["images"]["base_image"]["name"] == image


def test_collections_come_as_tarballs_only():
    assert EE["build_arg_defaults"]["ANSIBLE_GALAXY_CLI_COLLECTION_OPTS"] == "--offline"
    assert EE["dependencies"]["galaxy"] == "requirements.yml"
    assert {"src": "collections", "dest": "collections"} in EE["additional_build_files"]


def test_the_collection_tells_ansible_builder_its_controller_requirements_and_ships_them():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    files = [meta["dependencies"]["python"], meta["dependencies"]["system"]]
    for path in files:
        assert (ROOT / path).is_file(), path
        assert not any(fnmatch.fnmatch(path, pattern) for pattern in GALAXY["build_ignore"]), path
    python = (ROOT / files[0]).read_text()
    # Not the development toolchain of the top-level requirements.txt.
    for tool in ("molecule", "pytest", "ansible-lint", "ansible=="):
        assert tool not in python
    assert re.search(r"^netaddr\b", python, re.M)
