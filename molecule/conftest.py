"""Fixtures shared by every molecule scenario's testinfra tests.

Hosts are reached with ``runc exec``, as the scenario's tasks are
(shared/connection_plugins/podman_runc.py): testinfra's podman backend
starts podman for each command, which costs 0.7-1.5 s on a loaded machine,
and molecule's own testinfra wiring would run ansible for each. Inventory
variables are read from the inventory molecule wrote.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from functools import cached_property
from pathlib import Path

import pytest
import testinfra
import testinfra.backend.base
import testinfra.host

RUNC_ROOT = os.environ.get("ANSIBLE_PODMAN_RUNC_ROOT", "/run/runc")
# The task of rainbow.edge.shared (entry point refuse) that stops a role's
# run with every problem of the role listed.
INPUT_REFUSAL = "Check the role's inputs and the host"


class RuncBackend(testinfra.backend.base.BaseBackend):
    """testinfra commands run in a lab container with runc exec."""

    NAME = "runc"

    def __init__(self, name: str, container_id: str) -> None:
        self.container_id = container_id
        super().__init__(name)

    def run(self, command: str, *args: str, **kwargs) -> testinfra.backend.base.CommandResult:
        cmd = self.get_command(command, *args)
        out = self.run_local("runc --root %s exec %s /bin/sh -c %s", RUNC_ROOT, self.container_id, cmd)
        out.command = self.encode(cmd)
        return out


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
            # create.yml records each host's container ID as its address.
            container_id = self.vars(name).get("ansible_host")
            assert container_id, f"{name} has no container ID in {self._inventory}: recreate the scenario"
            self._hosts[name] = testinfra.host.Host(RuncBackend(name, container_id))
        return self._hosts[name]

    def fingerprint(self, hosts, paths) -> dict[str, str]:
        """sha256sum of ``paths`` on each of ``hosts``: equal before and after a run that must change nothing."""
        listing = " ".join(shlex.quote(path) for path in paths)
        return {host: self.host(host).check_output(f"sha256sum -- {listing}") for host in hosts}

    def vars(self, name: str) -> dict:
        return self._listing["_meta"]["hostvars"][name]

    def group(self, name: str) -> list[str]:
        return sorted(self._listing.get(name, {}).get("hosts", []))

    def scan(self, probe: str, target: str, ports: str, udp: bool = False, rate: int = 0) -> dict[int, str]:
        """nmap ``target`` from container ``probe``; return {port: state}.

        -Pn: a default-deny host answers no ping probe either; states are
        nmap's (open, closed, filtered, open|filtered). ``rate`` sets a
        minimum packet rate, for full-range scans of hosts that drop silently.
        """
        pace = f"--min-rate {rate} --max-retries 1" if rate else "--max-retries 2"
        cmd = f"nmap -Pn -n {'-sU' if udp else '-sS'} {pace} -p {ports} -oX - {target}"
        result = self.host(probe).run(cmd)
        assert result.rc == 0, f"nmap failed on {probe}: {result.stderr}"
        report = ET.fromstring(result.stdout)
        states = {int(port.get("portid")): port.find("state").get("state") for port in report.iter("port")}
        # Ports nmap summarizes instead of listing (<extraports state="filtered" count="65535">)
        # take that state; with more than one summary nmap does not say which port is which.
        extra = list(report.iter("extraports"))
        assert len(extra) <= 1, f"nmap summarized ports in several states: {[e.get('state') for e in extra]}; scan fewer ports"
        if extra:
            for port in _port_list(ports):
                states.setdefault(port, extra[0].get("state"))
        return states

    def playbook(self, name: str, *args: str) -> PlaybookRun:
        """Run the collection's playbooks/<name>.yml against this scenario's hosts."""
        project = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1")
        # Only the json callback may write to stdout: a profiling callback
        # enabled in the environment would break the parsing.
        env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
        proc = subprocess.run(
            ["ansible-playbook", "-i", self._inventory, str(project / "playbooks" / f"{name}.yml"), *args],
            capture_output=True, text=True, cwd=project, env=env, check=False,
        )
        return PlaybookRun(proc)


def _port_list(spec: str) -> list[int]:
    """'22,80-82' -> [22, 80, 81, 82]"""
    ports: list[int] = []
    for part in spec.split(","):
        low, _dash, high = part.partition("-")
        ports.extend(range(int(low), int(high or low) + 1))
    return ports


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
        changed = [f"{host}: {name}" for name, host, result in self.results() if result.get("changed")]
        return (
            f"ansible-playbook rc={self.returncode}\nchanged: {changed}\nfailed: {self.failures()}\n"
            f"stats: {self.report.get('stats')}\nstderr: {self.stderr[-2000:]}"
            + (f"\nstdout: {self.report['unparsed_stdout'][-3000:]}" if "unparsed_stdout" in self.report else "")
        )

    def results(self):
        """(task name, host, result) for every task result of the run."""
        for play in self.report["plays"]:
            for task in play["tasks"]:
                for host, result in task["hosts"].items():
                    yield task["task"]["name"], host, result

    def failures(self) -> dict[str, tuple[str, object]]:
        """host -> (failed task name, its msg)."""
        return {host: (name, result.get("msg")) for name, host, result in self.results() if result.get("failed")}

    def warnings(self) -> dict[str, list[str]]:
        """host -> the warnings its task results carry (the json callback keeps them there, even under no_log)."""
        found: dict[str, list[str]] = {}
        for _name, host, result in self.results():
            found.setdefault(host, []).extend(" ".join(str(w).split()) for w in result.get("warnings", []))
        return found

    def changed(self) -> int:
        return sum(stat.get("changed", 0) for stat in self.report["stats"].values())

    def refusal(self, task: str, hosts) -> dict[str, str]:
        """What a run that had to stop before any change said on each of ``hosts``.

        Asserts that it failed, changed nothing, and failed on each host in a
        task whose name ends with ``task``; returns host -> that task's
        messages on one line (whitespace collapsed).
        """
        assert self.returncode != 0, self
        assert self.changed() == 0, self
        failures = self.failures()
        texts = {}
        for host in hosts:
            assert host in failures, self
            name, messages = failures[host]
            assert name.endswith(task), self
            text = "\n".join(messages) if isinstance(messages, list) else str(messages)
            texts[host] = " ".join(text.split())
        return texts


@pytest.fixture(scope="session")
def lab() -> Lab:
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory:
        pytest.fail("MOLECULE_INVENTORY_FILE is not set: run these tests through molecule verify")
    return Lab(inventory)


def secret(name: str) -> str:
    """A throwaway secret the scenario generated (an ansible.builtin.password lookup file)."""
    return (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / name).read_text().split()[0]


def wait_for(check, timeout: float = 30.0, interval: float = 0.5):
    """Poll ``check`` until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def install_text(host, text: str, target: str) -> None:
    """Write ``text`` to ``target`` on a lab host (its directory made): a test client's script, or a CA
    copied from an Edge host so that the client trusts the Edge's certificates."""
    host.check_output(f"mkdir -p {shlex.quote(str(Path(target).parent))} && printf '%s' {shlex.quote(text)} > {target}")


def copy_between_hosts(lab: Lab, source: str, path: str, host, target: str) -> None:
    """Copy the text file ``path`` of lab host ``source`` to ``target`` on ``host``."""
    install_text(host, lab.host(source).file(path).content_string, target)


# The real XMPP client of the xmpp, private_lb and public_lb scenarios
# (molecule/shared/xmpp_client.py), run by Debian's python3 on a client host.
XMPP_CLIENT = "/usr/local/lib/lab-xmpp-client.py"


def install_xmpp_client(client) -> None:
    """Copy the XMPP client onto the client host."""
    install_text(client, (Path(__file__).resolve().parent / "shared" / "xmpp_client.py").read_text(), XMPP_CLIENT)


class XmppHold:
    """A client kept online by the XMPP client's ``hold`` command in a transient unit on the client host,
    logging in again (in the order given) whenever its server goes; its events read back."""

    UNIT, EVENTS = "lab-xmpp-hold", "/tmp/lab-xmpp-hold.jsonl"

    def __init__(self, client, ca: str, jid: str, password: str, *servers: str) -> None:
        self.client = client
        client.run(f"systemctl stop {self.UNIT}; systemctl reset-failed {self.UNIT}")
        client.check_output(f"rm -f {self.EVENTS}; systemd-run --unit {self.UNIT} --setenv=PASSWORD={password} "
                            f"/usr/bin/python3 {XMPP_CLIENT} hold {ca} {jid} {self.EVENTS} {' '.join(servers)}")

    def sessions(self) -> list[dict]:
        """Every event so far: {"event": "online"|..., "server": address:port, "at": epoch s}."""
        text = self.client.run(f"cat {self.EVENTS}").stdout
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def online_since(self, moment: float) -> list[dict]:
        return [event for event in self.sessions() if event["event"] == "online" and event["at"] > moment]

    def stop(self) -> None:
        self.client.run(f"systemctl stop {self.UNIT}")


def xmpp_account(lab: Lab, server: str, user: str, domain: str) -> str:
    """A fresh account (made with ejabberdctl on ``server``, as the application's provisioning does); its password."""
    password = uuid.uuid4().hex
    lab.host(server).check_output(f"ejabberdctl register {user} {domain} {password}")
    return password


def run_xmpp_client(client, command: str, env: dict, timeout: int = 90):
    """The XMPP client's ``command`` on the client host, its passwords in the environment (never on its command line)."""
    variables = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    return client.run(f"{variables} timeout {timeout} /usr/bin/python3 {XMPP_CLIENT} {command}")


def vip_holder(lab: Lab, vip: str, members) -> str | None:
    """The member holding ``vip`` now; None when none or, in a handover, two do."""
    holders = [member for member in members if f" {vip}/" in lab.host(member).check_output("ip -o -4 addr show")]
    return holders[0] if len(holders) == 1 else None


def haproxy_server_states(metrics: str) -> dict:
    """{(backend, server): state} from haproxy's Prometheus endpoint (the haproxy_server_status line at 1)."""
    states = {}
    for line in metrics.splitlines():
        if line.startswith("haproxy_server_status{") and line.endswith(" 1"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            states[(labels["proxy"], labels["server"])] = labels["state"]
    return states


def copy_repository_without_its_key(lab: Lab, store: str, target: str, client: str) -> str:
    """Backup disaster drill: copy ``client``'s borg repository from the backup host ``store`` to
    ``/root/drill`` on ``target`` (a host that was never part of the Edge), blank the copy's own key,
    and put beside it the key the backup role escrowed (``/root/drill/escrowed.key``).
    Returns the copy's path."""
    store_id, target_id = (lab.vars(name)["ansible_host"] for name in (store, target))
    copy = subprocess.run(
        f"runc --root {RUNC_ROOT} exec {store_id} tar -C /srv/backup/data/repos -cf - {client}"
        f" | runc --root {RUNC_ROOT} exec {target_id} sh -c 'rm -rf /root/drill && mkdir /root/drill && tar -C /root/drill -xf -'",
        shell=True, capture_output=True, text=True, check=False)
    assert copy.returncode == 0, copy.stderr
    host = lab.host(target)
    drill = f"/root/drill/{client}"
    host.check_output(
        "python3 -c 'import configparser, sys; c = configparser.ConfigParser(); c.read(sys.argv[1]);"
        " c[\"repository\"][\"key\"] = \"\"; c.write(open(sys.argv[1], \"w\"))' " + f"{drill}/config")
    escrowed = (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / f"{client}.borg-key").read_text()
    host.check_output(f"printf %s {shlex.quote(escrowed)} > /root/drill/escrowed.key")
    return drill
