"""The `common` role on a converged Debian 12 host, probed from its LAN and from the WAN.

Each test would fail on a stock host: a listener nobody opened answers
there, SSH takes passwords, chrony and node exporter are absent, and lynis
scores about 59.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import INPUT_REFUSAL, wait_for

EDGE = "cm-edge"
LAN_PROBE = "cm-probe-lan"
WAN_PROBE = "cm-probe-wan"
EDGE_LAN_IP = "10.20.1.10"
EDGE_WAN_IP = "198.51.100.2"
TIME_SOURCE = "10.20.1.20"
LYNIS_MINIMUM = 75
UNOPENED_PORT = 8080


@pytest.fixture(scope="module")
def edge(lab):
    return lab.host(EDGE)


@pytest.fixture(scope="module")
def unopened_listener(edge):
    """A real service on a port no role opened: only the firewall keeps it unreachable."""
    edge.run(f"systemd-run --unit=lab-listener --property=Type=exec python3 -m http.server {UNOPENED_PORT}")
    assert wait_for(lambda: edge.run(f"python3 -c \"import urllib.request as u; u.urlopen('http://127.0.0.1:{UNOPENED_PORT}/')\"").rc == 0)
    yield UNOPENED_PORT
    edge.run("systemctl stop lab-listener")


def test_port_no_role_opened_is_dropped_from_the_lan(lab, unopened_listener):
    states = lab.scan(LAN_PROBE, EDGE_LAN_IP, f"22,9100,{unopened_listener}")
    assert states[unopened_listener] == "filtered", states
    assert states[22] == "open", states
    assert states[9100] == "open", states


def test_node_exporter_answers_from_the_lan(lab):
    metrics = lab.host(LAN_PROBE).check_output(f"curl -fsS --max-time 5 http://{EDGE_LAN_IP}:9100/metrics")
    assert "node_uname_info" in metrics


def test_nothing_answers_from_the_wan(lab, unopened_listener):
    states = lab.scan(WAN_PROBE, EDGE_WAN_IP, f"22,9100,{unopened_listener}")
    assert set(states.values()) == {"filtered"}, states


def test_ssh_refuses_passwords_and_takes_the_ops_key(lab):
    probe = lab.host(LAN_PROBE)
    ssh = "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=5"
    # What the server offers, as the OpenSSH client sees it.
    offered = probe.run(f"{ssh} -v -o PubkeyAuthentication=no rainbow-ops@{EDGE_LAN_IP} true").stderr
    assert set(re.findall(r"Authentications that can continue: (\S+)", offered)) == {"publickey"}, offered

    password = probe.run(f"{ssh} -o PreferredAuthentications=password,keyboard-interactive -o PubkeyAuthentication=no rainbow-ops@{EDGE_LAN_IP} true")
    assert password.rc != 0 and "Permission denied (publickey)" in password.stderr, password.stderr

    key = probe.run(f"{ssh} -i /root/.ssh/lab_ops_key rainbow-ops@{EDGE_LAN_IP} sudo -n id -u")
    assert key.rc == 0 and key.stdout.strip() == "0", key.stderr


def test_ssh_offers_only_modern_algorithms(lab, edge):
    out = lab.host(LAN_PROBE).check_output(f"nmap -Pn -n -p 22 --script ssh2-enum-algos {EDGE_LAN_IP}")
    offered = set(re.findall(r"^\|\s+([a-z0-9@.+-]+)$", out, re.M))
    assert {"chacha20-poly1305@openssh.com", "curve25519-sha256", "ssh-ed25519"} <= offered, out
    # The post-quantum hybrid where the release's OpenSSH has it: 10.0 on Debian 13 (9.2 on Debian 12 has not).
    if int(edge.system_info.release.split(".")[0]) >= 13:
        assert "mlkem768x25519-sha256" in offered, out
    weak = {name for name in offered if re.search(r"cbc|sha1|md5|group1-|group14-|arcfour|3des|ssh-rsa$|ecdsa", name)}
    assert not weak, f"weak algorithms offered: {sorted(weak)}"


def test_unattended_upgrades_apply_debian_security(edge):
    result = edge.run("unattended-upgrade --dry-run --debug")
    assert result.rc == 0, result.stderr
    codename = edge.check_output(". /etc/os-release && echo $VERSION_CODENAME")
    assert f"Allowed origins are: origin=Debian,codename={codename}-security,label=Debian-Security" in result.stdout + result.stderr
    assert edge.file("/etc/apt/apt.conf.d/20auto-upgrades").contains('APT::Periodic::Unattended-Upgrade "1";')
    # The run above recreates a missing sources.list; the role's stays as it is,
    # without entries, so the next playbook run changes nothing (see the check-mode rerun below).
    legacy = edge.file("/etc/apt/sources.list").content_string
    assert "debian.sources" in legacy and not re.search(r"^\s*deb", legacy, re.M), legacy


def test_chrony_follows_the_configured_time_source(edge):
    assert edge.file("/etc/chrony/chrony.conf").contains(f"^server {TIME_SOURCE} iburst$")
    assert edge.service("chrony").is_running and edge.service("chrony").is_enabled
    tracking = wait_for(lambda: TIME_SOURCE in edge.check_output("chronyc -n tracking") and edge.check_output("chronyc -n tracking"), timeout=60)
    assert tracking, edge.check_output("chronyc -n sources")
    assert re.search(rf"^Reference ID\s+: [0-9A-F]+ \({re.escape(TIME_SOURCE)}\)", tracking, re.M), tracking


def test_journal_is_persistent(edge):
    config = edge.check_output("systemd-analyze cat-config systemd/journald.conf")
    assert re.search(r"^Storage=persistent$", config, re.M), config
    machine_id = edge.file("/etc/machine-id").content_string.strip()
    assert edge.file(f"/var/log/journal/{machine_id}/system.journal").exists
    marker = f"rainbow-edge-journal-check-{machine_id[:8]}"
    edge.check_output(f"logger {marker}")
    edge.check_output("journalctl --flush")
    assert wait_for(lambda: marker in edge.run(f"journalctl --file '/var/log/journal/{machine_id}/system.journal' --grep {marker} -q").stdout)


def test_identity_comes_from_the_inventory(edge):
    assert edge.check_output("hostname -f") == "cm-edge.lab.rainbow-edge.test"
    assert edge.check_output("getent hosts cm-edge").split()[0] == EDGE_LAN_IP


def test_every_unit_runs(edge):
    assert edge.check_output("systemctl is-system-running") == "running", edge.check_output("systemctl --failed")
    for service in ("ssh", "chrony", "nftables", "prometheus-node-exporter", "unattended-upgrades", "rsyslog"):
        assert edge.service(service).is_running or service == "nftables", service
        assert edge.service(service).is_enabled, service


def test_lynis_hardening_index(edge):
    report = edge.check_output("lynis audit system --quick --no-colors --no-log")
    index = int(re.search(r"Hardening index : (\d+)", report).group(1))
    print(f"lynis hardening index on {EDGE}: {index} (stock containers: Debian 13 57, Debian 12 59)")
    assert index >= LYNIS_MINIMUM, f"lynis hardening index {index} < {LYNIS_MINIMUM}"


MANAGED_FILES = ("/etc/issue", "/etc/ssh/sshd_config", "/etc/nftables.conf", "/etc/chrony/chrony.conf", "/etc/hosts")


def test_invalid_variables_stops_in_the_input_check_before_any_change(lab):
    before = lab.fingerprint([EDGE], MANAGED_FILES)
    bad = {
        "common_ops_authorized_keys": ["not a key"],
        "edge_lan_ip": "10.99.0.5",
        "common_ntp_servers": [],
        "common_ntp_pools": [],
        "common_login_banner": "this text must never land",
    }
    run = lab.playbook("common", "--extra-vars", json.dumps(bad))
    # Every problem at once, each naming its variable and what it expects.
    text = run.refusal(INPUT_REFUSAL, [EDGE])[EDGE]
    assert "common_ops_authorized_keys: expected OpenSSH public keys" in text, text
    assert "common_lan_ip (default: edge_lan_ip): expected this host's IPv4 address" in text, text
    assert "common_ntp_servers, common_ntp_pools: expected at least one time source" in text, text
    assert lab.fingerprint([EDGE], MANAGED_FILES) == before


def test_typed_inputs_given_as_text_on_the_command_line_change_nothing(lab):
    """-e name=value gives strings: the role reads them converted, so a rerun with the values it has is a no-op."""
    before = lab.fingerprint([EDGE], MANAGED_FILES)
    run = lab.playbook("common", "--check", "-e", "common_ssh_port=22", "-e", "common_node_exporter_port=9100",
                       "-e", "common_unattended_upgrades_automatic_reboot=false")
    assert run.returncode == 0 and run.changed() == 0, run
    assert lab.fingerprint([EDGE], MANAGED_FILES) == before


def test_mistyped_variable_is_refused_by_the_argument_spec(lab):
    before = lab.fingerprint([EDGE], MANAGED_FILES)
    run = lab.playbook("common", "--extra-vars", json.dumps({"common_ssh_port": "ssh"}))
    assert run.returncode != 0, run
    task, message = run.failures()[EDGE]
    assert "common_ssh_port" in str(message) and "int" in str(message), run
    assert run.changed() == 0, run
    assert lab.fingerprint([EDGE], MANAGED_FILES) == before
