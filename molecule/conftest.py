"""Fixtures shared by every molecule scenario's testinfra tests.

Hosts are reached with testinfra's podman backend (molecule's own testinfra
wiring would fall back to one ansible run per command for podman hosts),
and their inventory variables are read from the inventory molecule wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET
from functools import cached_property
from pathlib import Path

import pytest
import testinfra


class Lab:
    """The scenario's hosts: ``lab.host(name)`` and ``lab.vars(name)``."""

    def __init__(self, inventory: str) -> None:
        self._inventory = inventory
        self._hosts: dict[str, testinfra.host.Host] = {}

    @cached_property
    def _listing(self) -> dict:
        out = subprocess.run(
            ["ansible-inventory", "-i", self._inventory, "--list"],
            check=True, capture_output=True, text=True,
        ).stdout
        return json.loads(out)

    def host(self, name: str) -> testinfra.host.Host:
        if name not in self._hosts:
            self._hosts[name] = testinfra.get_host(f"podman://{name}")
        return self._hosts[name]

    def vars(self, name: str) -> dict:
        return self._listing["_meta"]["hostvars"][name]

    def group(self, name: str) -> list[str]:
        return sorted(self._listing.get(name, {}).get("hosts", []))

    def scan(self, probe: str, target: str, ports: str, udp: bool = False) -> dict[int, str]:
        """nmap ``target`` from container ``probe``; return {port: state}.

        -Pn: a default-deny host answers no ping probe either; states are
        nmap's (open, closed, filtered, open|filtered).
        """
        cmd = f"nmap -Pn -n {'-sU' if udp else '-sS'} --max-retries 2 -p {ports} -oX - {target}"
        result = self.host(probe).run(cmd)
        assert result.rc == 0, f"nmap failed on {probe}: {result.stderr}"
        return {
            int(port.get("portid")): port.find("state").get("state")
            for port in ET.fromstring(result.stdout).iter("port")
        }

    def playbook(self, name: str, *args: str) -> PlaybookRun:
        """Run the collection's playbooks/<name>.yml against this scenario's hosts."""
        project = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1")
        proc = subprocess.run(
            ["ansible-playbook", "-i", self._inventory, str(project / "playbooks" / f"{name}.yml"), *args],
            capture_output=True, text=True, cwd=project, env=env, check=False,
        )
        return PlaybookRun(proc)


class PlaybookRun:
    """An ansible-playbook run read through the json callback."""

    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.returncode = proc.returncode
        self.stderr = proc.stderr
        try:
            self.report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            self.report = {"plays": [], "stats": {}, "unparsed_stdout": proc.stdout}

    def __repr__(self) -> str:
        return json.dumps(self.report, indent=1)[-6000:] + self.stderr[-2000:]

    def results(self):
        """(task name, host, result) for every task result of the run."""
        for play in self.report["plays"]:
            for task in play["tasks"]:
                for host, result in task["hosts"].items():
                    yield task["task"]["name"], host, result

    def failures(self) -> dict[str, tuple[str, object]]:
        """host -> (failed task name, its msg)."""
        return {host: (name, result.get("msg")) for name, host, result in self.results() if result.get("failed")}

    def changed(self) -> int:
        return sum(stat.get("changed", 0) for stat in self.report["stats"].values())


@pytest.fixture(scope="session")
def lab() -> Lab:
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory:
        pytest.fail("MOLECULE_INVENTORY_FILE is not set: run these tests through molecule verify")
    return Lab(inventory)


def wait_for(check, timeout: float = 30.0, interval: float = 0.5):
    """Poll ``check`` until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
