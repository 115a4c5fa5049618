"""The preflight scenario: real figures, real RTT and bandwidth, real shortfalls.

Converge ran playbooks/preflight.yml with the lab footprint the containers
meet (preflight_overrides in molecule.yml) and wrote its reports to the
ephemeral directory. These tests compare what edge_facts reported with what
the containers show through testinfra, then run the same playbook with the
documents' footprint and check that it fails, listing every shortfall at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from conftest import wait_for

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
# The Edge hosts (pf-probe-wan is the far end of the bandwidth test, not part of the Edge).
HOSTS = ["pf-gk1", "pf-gk2", "pf-db1", "pf-db2"]
TIER_OF = {"pf-gk1": "gatekeeper", "pf-gk2": "gatekeeper", "pf-db1": "mariadb", "pf-db2": "mariadb"}
# The documents' figures for the two tiers under test (7.4 and 8.3).
FOOTPRINT = {
    "gatekeeper": {"vcpus": 2, "memory_gb": 2, "disks": [64, 256]},
    "mariadb": {"vcpus": 4, "memory_gb": 64, "disks": [64, 256, 256]},
}


@pytest.fixture(scope="module")
def report():
    return json.loads((EPHEMERAL / "preflight-report" / "preflight.json").read_text())


def run_preflight(*extra: str, report_dir: Path, overrides: dict | None = None) -> subprocess.CompletedProcess:
    """playbooks/preflight.yml against the scenario's inventory, as an operator runs it."""
    extra_vars = {"preflight_report_dir": str(report_dir)}
    if overrides is not None:
        extra_vars["preflight_overrides"] = overrides
    command = [str(Path(sys.executable).parent / "ansible-playbook"),
               "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(PROJECT / "playbooks" / "preflight.yml"),
               "-e", json.dumps(extra_vars), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))


def disks_of(host) -> list[tuple[str, float]]:
    """Whole disks, GiB, read differently from edge_facts: the machine's disks
    from /proc/partitions (no loop, zram or partition) and the block devices
    handed to the container from `blockdev` on its /dev nodes (lsblk shows
    nothing in a container)."""
    rows = [line.split() for line in host.file("/proc/partitions").content_string.splitlines()[2:] if line.strip()]
    names = {row[3] for row in rows}
    found = {}
    for _major, _minor, blocks, name in rows:
        partition = any(name != other and name.startswith(other) for other in names)
        if int(blocks) > 0 and not partition and not name.startswith(("zram", "ram", "loop", "dm-", "md")):
            found[name] = round(int(blocks) * 1024 / 2 ** 30, 2)
    nodes = host.check_output("find /dev -maxdepth 1 -type b -printf '%f\\n'").split()
    for name in nodes:
        if not name.startswith(("loop", "zram", "ram")):
            found[name] = round(int(host.check_output("blockdev --getsize64 /dev/%s" % name)) / 2 ** 30, 2)
    return sorted(found.items())


def mem_total_mb(host) -> float:
    for line in host.file("/proc/meminfo").content_string.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no MemTotal")


def ipv4_by_interface(host) -> dict[str, list[str]]:
    addresses: dict[str, list[str]] = {}
    for line in host.check_output("ip -4 -o addr show").splitlines():
        fields = line.split()
        if fields[1] != "lo":
            addresses.setdefault(fields[1], []).append(fields[3].split("/")[0])
    return addresses


@pytest.mark.parametrize("name", HOSTS)
def test_edge_facts_reports_the_real_cpu_memory_and_disks(lab, report, name):
    host = lab.host(name)
    facts = report["hosts"][name]
    assert facts["vcpus"] == int(host.check_output("nproc"))
    assert abs(facts["memory_total_mb"] - mem_total_mb(host)) < 1
    assert facts["memory_mb"] <= facts["memory_total_mb"]
    assert sorted((d["name"], d["size_gb"]) for d in facts["disks"]) == disks_of(host)
    assert facts["datacenter"] == lab.vars(name)["edge_datacenter"]


@pytest.mark.parametrize("name", HOSTS)
def test_edge_facts_reports_the_real_nics_addresses_and_zones(lab, report, name):
    host = lab.host(name)
    facts = report["hosts"][name]
    seen = {(nic["name"], nic["zone"]): nic for nic in facts["nics"] if nic["addresses"]}
    real = ipv4_by_interface(host)
    assert {nic_name for nic_name, _zone in seen} == set(real)
    lan = seen[("eth0", "lan")]
    assert lan["addresses"] == real["eth0"] == [lab.vars(name)["edge_lan_ip"]]
    assert lan["speed_mbps"] == int(host.file("/sys/class/net/eth0/speed").content_string.strip())
    if "edge_wan_ip" in lab.vars(name):
        assert seen[("eth1", "wan")]["addresses"] == real["eth1"] == [lab.vars(name)["edge_wan_ip"]]
    else:
        assert "eth1" not in real


def test_rtt_between_the_two_datacenters_was_measured(report):
    links = {(link["from_dc"], link["to_dc"]): link for link in report["links"]}
    assert set(links) == {("dc1", "dc2"), ("dc2", "dc1")}
    for link in links.values():
        assert link["error"] is None and link["samples"] == 5
        assert 0 < link["rtt_ms"] < 100


def test_wan_bandwidth_was_measured_with_a_one_off_iperf3(lab, report):
    bandwidth = report["bandwidth"]
    assert bandwidth["error"] is None, bandwidth
    assert bandwidth["target"] == "198.51.100.20"  # pf-probe-wan, beyond pf-gk1's WAN NIC
    assert bandwidth["wan_bandwidth_mbps"] >= 50
    # The server was one-off: nothing is left listening.
    assert wait_for(lambda: not lab.host("pf-probe-wan").socket("tcp://0.0.0.0:5201").is_listening, timeout=10)


def test_lab_disks_handed_to_a_container_are_seen(report):
    sizes = sorted(disk["size_gb"] for disk in report["hosts"]["pf-db1"]["disks"])
    assert 64.0 in sizes and 200.0 in sizes


def test_converge_passed_with_the_lab_footprint_and_says_so(report):
    assert report["passed"] is True and report["failures"] == []
    assert any("overridden" in warning for warning in report["plan"]["warnings"])


def expected_shortfalls(lab) -> set[tuple[str, str, str]]:
    """What the documents' footprint must reject, from the containers' own figures."""
    expected = set()
    for name, tier in TIER_OF.items():
        host, need = lab.host(name), FOOTPRINT[tier]
        if int(host.check_output("nproc")) < need["vcpus"]:
            expected.add((name, tier, "vcpus"))
        if mem_total_mb(host) < need["memory_gb"] * 1024 * 0.97:
            expected.add((name, tier, "memory"))
        pool = sorted(size for _name, size in disks_of(host))
        for size in sorted(need["disks"]):
            match = next((disk for disk in pool if disk >= size), None)
            if match is None:
                expected.add((name, tier, "disks"))
                break
            pool.remove(match)
    return expected


def test_the_real_footprint_fails_listing_every_shortfall_at_once(lab, tmp_path):
    expected = expected_shortfalls(lab)
    assert expected, "the lab containers were expected to be smaller than a real MariaDB/GateKeeper"
    result = run_preflight(report_dir=tmp_path, overrides={})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Stop when the Edge does not fit its footprint" in output
    failures = json.loads((tmp_path / "preflight.json").read_text())["failures"]
    assert {(f["host"], f["tier"], f["check"]) for f in failures} == expected
    for host, tier, check in expected:  # every one of them in the one failure message
        assert "%s [%s] %s: expected" % (host, tier, check) in output
    assert "Edge pre-flight: %d failure(s)" % len(expected) in output
    junit = ET.parse(tmp_path / "preflight.junit.xml").getroot().find("testsuite")
    failed = {case.get("name") for case in junit.iter("testcase") if case.find("failure") is not None}
    assert failed == {host for host, _tier, _check in expected}
    assert int(junit.get("failures")) == len(failed)


def test_check_mode_reads_only_and_still_reports(tmp_path):
    result = run_preflight("--check", report_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in HOSTS:
        assert "%s " % name in result.stdout
    recap = result.stdout.split("PLAY RECAP", 1)[1]
    assert "changed=0" in recap and "changed=1" not in recap and "failed=0" in recap
    assert json.loads((tmp_path / "preflight.json").read_text())["passed"] is True
    assert (tmp_path / "preflight.junit.xml").exists()


def test_an_old_release_and_a_mixed_pair_are_refused_with_every_other_finding(lab, tmp_path):
    """playbooks/check_inputs.yml on the Edge with pf-old (Debian 11) added to it.

    pf-old is refused for its release and the MariaDB pair (pf-db1 on
    Debian 13, pf-db2 on Debian 12) for running two releases, each beside
    the roles' other findings; pf-db2's Debian 12 alone is only a warning,
    and nothing changes anywhere.
    """
    old_release = tmp_path / "old-release.yml"
    old_release.write_text(yaml.safe_dump({"edge": {"hosts": {"pf-old": {"edge_lan_ip": "10.20.2.31"}}}}))
    run = lab.playbook("check_inputs", "-i", str(old_release))
    texts = run.refusal("Refuse the run with every problem of every role", ["pf-old", "pf-db1", "pf-db2"])
    assert "pf-old runs Debian 11: Edge hosts run Debian 13 (trixie) or 12 (bookworm); reinstall it with Debian 13." \
        in texts["pf-old"], run
    mixed = "The mariadb members of {} run different Debian releases (pf-db1: Debian 13, pf-db2: Debian 12)"
    for host in ("pf-db1", "pf-db2"):
        assert mixed.format(host) in texts[host], run
        # Beside the other findings, not instead of them.
        assert len([line for line in run.failures()[host][1] if line.strip()]) > 2, run
    warnings = run.warnings()
    assert any("pf-db2 runs Debian 12 (bookworm), oldstable" in w for w in warnings["pf-db2"]), warnings
    assert not any("oldstable" in w for w in warnings["pf-db1"]), warnings
    for host, (_task, messages) in run.failures().items():
        if host.startswith("pf-gk"):  # Debian 13 and no pair across releases
            assert "runs Debian" not in str(messages), run


def test_figures(report, capsys):
    """Measured figures as short FIGURE: lines (molecule wraps long lines) for scripts/test."""
    rtt = max(link["rtt_ms"] for link in report["links"])
    with capsys.disabled():
        print("\nFIGURE: preflight RTT dc1-dc2 %.3f ms (worst median)" % rtt)
        print("FIGURE: preflight WAN iperf3 %.0f Mb/s" % report["bandwidth"]["wan_bandwidth_mbps"])
