# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `turn` role: coturn relaying to public peers only, tested with coturn's own clients.

turn1 runs coturn on the LAN and the WAN. turn-client, on both, runs
turnutils_uclient (Debian's coturn package, its server disabled), the echo
peer turnutils_peer (UDP 3480) on both its addresses, nmap, and a TURN
Allocate client that reports the server's error codes
(molecule/turn/turn_allocate.py, Python's standard library), all from
Debian through the lab's package cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from pathlib import Path

import pytest

from conftest import copy_between_hosts, install_text, secret

TURN, CLIENT = "turn1", "turn-client"
TURN_LAN, TURN_WAN = "10.20.17.21", "198.51.100.101"
CLIENT_LAN, CLIENT_WAN = "10.20.17.50", "198.51.100.110"
DOMAIN = "lab.rainbow-edge.test"
CA = "/etc/lab-turn/ca.crt"
ALLOCATE = "/usr/local/lib/lab-turn-allocate.py"
PEER_PORT = 3480
USER_QUOTA = 10  # the role's default (turn_user_quota)
RELAY_PORTS = range(50000, 51000)  # turn_relay_min_port-turn_relay_max_port (molecule.yml)


@pytest.fixture(scope="module")
def client(lab):
    """turn-client with the Allocate client and the Edge's CA (copied from the TURN server)."""
    probe = lab.host(CLIENT)
    install_text(probe, (Path(__file__).resolve().parents[1] / "turn_allocate.py").read_text(), ALLOCATE)
    copy_between_hosts(lab, TURN, "/etc/coturn/tls/ca.crt", probe, CA)
    assert probe.service("lab-turn-peer").is_running
    return probe


def _credential(user: str, valid_for: int, key: str | None = None) -> tuple[str, str]:
    """A TURN REST API credential: "<expiry>:<user>" and the base64 HMAC-SHA1 of it under the shared secret."""
    username = f"{int(time.time()) + valid_for}:{user}"
    digest = hmac.new((key or secret("turn_static_auth_secret")).encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def _uclient(client, peer: str, transport: str = "", port: int = 3478, key: str | None = None):
    """turnutils_uclient with a REST credential (-W: it makes one from the secret): 10 messages relayed to the
    peer, who echoes them back."""
    user = f"u{time.monotonic_ns()}"  # a user of its own: the allocations of one run count in no other's quota
    return client.run(f"timeout 60 turnutils_uclient {transport} -p {port} -W {key or secret('turn_static_auth_secret')}"
                      f" -u {user} -e {peer} -r {PEER_PORT} -n 10 -m 1 -l 120 {TURN_WAN}")


def _allocate(client, username: str, password: str, count: int = 1, environment: dict | None = None,
              port: int = 3478) -> list[dict]:
    variables = " ".join(f"{name}={value}" for name, value in dict(environment or {}, PASSWORD=password).items())
    run = client.run(f"{variables} timeout 60 /usr/bin/python3 {ALLOCATE} {TURN_WAN} {port} {username} {count}")
    assert run.rc == 0, run.stdout + run.stderr
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def test_coturn_runs_confined_without_any_capability_and_serves_only_the_turn_ports(lab):
    host = lab.host(TURN)
    assert host.service("coturn").is_running and host.service("coturn").is_enabled
    pid = host.check_output("systemctl show --property MainPID --value coturn")
    status = host.check_output(f"cat /proc/{pid}/status")
    assert re.search(r"^Uid:\s+(\d+)", status, re.M).group(1) == host.check_output("id -u turnserver")
    assert re.search(r"^CapEff:\s+0+$", status, re.M), status
    config = host.file("/etc/turnserver.conf")
    assert (config.user, config.group, config.mode) == ("root", "turnserver", 0o640)
    # No CLI (5766), no web admin (8080): on the WAN address only the TURN ports listen (and the relays'),
    # on the LAN address the TURN ports too. (ss cannot name coturn's sockets here: a container has no
    # CAP_SYS_PTRACE to read another account's /proc/<pid>/fd.)
    sockets = {tuple(line.split()) for line in host.check_output("ss -Hlntu | awk '{print $1, $5}'").splitlines()}
    ports = {(proto, address.rsplit(":", 1)[0], int(address.rsplit(":", 1)[1])) for proto, address in sockets}
    on_wan = {(proto, port) for proto, address, port in ports if address == TURN_WAN and port not in RELAY_PORTS}
    assert on_wan == {("tcp", 3478), ("tcp", 5349), ("udp", 3478), ("udp", 5349)}, sorted(ports)
    assert {("tcp", 3478), ("tcp", 5349)} <= {(proto, port) for proto, address, port in ports if address == TURN_LAN}
    assert not [entry for entry in ports if entry[2] in (5766, 8080)], sorted(ports)
    exposure = host.run("systemd-analyze security --no-pager coturn.service")
    score = re.search(r"Overall exposure level for coturn.service: ([0-9.]+)", exposure.stdout)
    assert score, exposure.stdout[-500:] + exposure.stderr
    print(f"FIGURE: turn systemd-analyze security exposure of coturn.service: {score.group(1)}")
    assert float(score.group(1)) <= 3.0, exposure.stdout


@pytest.mark.parametrize("transport, port, label", [("", 3478, "UDP"), ("-t", 3478, "TCP"), ("-S", 5349, "TLS")])
def test_a_rest_credential_allocates_and_relays_to_a_peer_on_the_wan(client, transport, port, label):
    run = _uclient(client, CLIENT_WAN, transport, port)
    assert run.rc == 0, run.stdout[-2000:] + run.stderr
    sent = re.search(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", run.stdout, re.M)
    assert sent and int(sent.group(1)) > 0 and sent.group(1) == sent.group(2), run.stdout[-2000:]
    lost = re.search(r"Total lost packets (\d+)", run.stdout)
    assert lost and lost.group(1) == "0", run.stdout[-2000:]
    rtt = re.search(r"Average round trip delay ([0-9.]+) ms", run.stdout)
    print(f"FIGURE: turn relay over {label}: {sent.group(2)} of {sent.group(1)} messages echoed through the relay, "
          f"round trip {rtt.group(1) if rtt else '?'} ms")


@pytest.mark.parametrize("port", [5349, 443])
def test_turn_over_tls_allocates_with_the_edge_s_certificate_on_5349_and_443(client, port):
    """443 reaches coturn's TLS port through the host firewall's redirect. (turnutils_uclient's own TLS
    connect gave up on it with "SSL routines::internal error" after its non-blocking connect retries, in
    the lab: the Allocate client here verifies the certificate and its name, as a browser does.)"""
    username, password = _credential("tls", 3600)
    answers = _allocate(client, username, password, environment={"TLS_CA": CA, "TLS_NAME": DOMAIN}, port=port)
    assert [answer["code"] for answer in answers] == [0] and answers[0]["relayed"].startswith(TURN_WAN), answers


@pytest.mark.parametrize("port", [5349, 443])
def test_tls_is_1_2_or_later(client, port):
    # coturn keeps a TLS connection open after the client's close_notify: timeout ends s_client.
    verified = client.run(f"timeout 10 openssl s_client -connect {TURN_WAN}:{port} -servername {DOMAIN} -CAfile {CA} "
                          f"-verify_hostname {DOMAIN} -verify_return_error -brief < /dev/null")
    assert "Verification: OK" in verified.stderr, verified.stderr
    assert re.search(r"Protocol version: TLSv1\.[23]", verified.stderr), verified.stderr
    old = client.run(f"timeout 10 openssl s_client -connect {TURN_WAN}:{port} -tls1_1 -cipher DEFAULT@SECLEVEL=0 "
                     f"-brief < /dev/null")
    assert "Protocol version: TLSv1.1" not in old.stderr and "Verification" not in old.stderr, old.stderr


@pytest.mark.parametrize("case", ["another secret", "expired"])
def test_a_credential_of_another_secret_or_expired_gets_401(client, case):
    username, password = (_credential("mallory", 3600, key="not-the-edge-s-secret-" + "x" * 20) if case == "another secret"
                          else _credential("alice", -60))
    assert _allocate(client, username, password) == [{"code": 401, "reason": "Unauthorized"}]
    # The same user with a valid credential is served: the refusal was the credential's.
    username, password = _credential("alice", 3600)
    assert _allocate(client, username, password)[0]["code"] == 0


def test_one_credential_holds_at_most_the_user_quota_of_allocations(client):
    username, password = _credential(f"quota{time.monotonic_ns()}", 3600)
    answers = _allocate(client, username, password, USER_QUOTA + 1)
    assert [answer["code"] for answer in answers] == [0] * USER_QUOTA + [486], answers
    relayed = {answer["relayed"].split(":")[0] for answer in answers[:USER_QUOTA]}
    assert relayed == {TURN_WAN}, relayed


@pytest.mark.parametrize("peer", [CLIENT_LAN, TURN_LAN, "127.0.0.1", "169.254.169.254"])
def test_a_relay_to_the_lan_loopback_or_link_local_is_refused_403(client, peer):
    run = _uclient(client, peer)
    assert run.rc != 0, run.stdout[-2000:]
    assert "error 403 (Forbidden IP)" in run.stdout, run.stdout[-2000:]


def test_from_the_wan_only_the_turn_ports_answer(lab, client):
    states = lab.scan(CLIENT, TURN_WAN, "1-65535", rate=5000)
    assert {port for port, state in states.items() if state == "open"} == {443, 3478, 5349}, \
        {port: state for port, state in states.items() if state != "filtered"}


def test_bad_inputs_are_refused_with_every_problem_at_once_and_no_secret(lab):
    run = lab.playbook("turn", "-e", json.dumps({"turn_relay_min_port": 3000, "turn_relay_max_port": 6000,
                                                 "turn_external_ip": "10.20.17.99", "turn_realm": "edge"}))
    # playbooks/turn.yml checks the TURN servers' inputs with every role's (check_inputs.yml).
    text = run.refusal("Refuse the run with every problem of every role", [TURN])[TURN]
    assert "overlaps service port(s) [3478, 5349] of this host" in text, text
    assert "turn_external_ip 10.20.17.99 is not a public address" in text, text
    assert "turn_realm (default: edge_domain): expected the Edge's domain name" in text, text
    assert secret("turn_static_auth_secret") not in json.dumps(run.report)
    empty = lab.playbook("turn", "-e", json.dumps({"turn_static_auth_secret": ""}))
    text = empty.refusal("Refuse the run with every problem of every role", [TURN])[TURN]
    assert "turn_static_auth_secret: is empty" in text, text


def _smoke_turn_result(run) -> dict:
    relayed = [result for name, _host, result in run.results() if name.startswith("Relay datagrams each way")]
    assert len(relayed) == 1, run
    return relayed[0]


def test_the_smoke_playbook_relays_media_from_the_controller_as_a_user_s_browser_does(lab, tmp_path):
    """playbooks/smoke.yml from this machine, on the WAN's side: a credential made from the REST secret, a
    relay allocated on the WAN address, datagrams each way to a second socket standing for the other user."""
    run = lab.playbook("smoke", "-e", f"smoke_credentials_dir={tmp_path}")
    assert run.returncode == 0, run
    relay = _smoke_turn_result(run)["relay"]
    assert relay["relayed_to_client"] == relay["relayed_to_peer"] == 10, relay
    assert relay["relayed"].split(":")[0] == TURN_WAN and RELAY_PORTS.start <= int(relay["relayed"].split(":")[1]) \
        < RELAY_PORTS.stop, relay
    report = next(result["msg"] for name, _host, result in run.results() if name == "Report what the smoke test probed")
    assert report["not_probed"] == ["XMPP: the inventory has no xmpp group"], report
    assert secret("turn_static_auth_secret") not in json.dumps(run.report)
    print(f"FIGURE: turn smoke playbook: {relay['relayed_to_peer']} datagrams each way through {relay['relayed']}, "
          f"round trips {min(relay['round_trips_ms'])}-{max(relay['round_trips_ms'])} ms")


def test_the_smoke_playbook_fails_on_a_turn_server_that_does_not_hold_the_edge_s_secret(lab, tmp_path):
    run = lab.playbook("smoke", "-e", f"smoke_credentials_dir={tmp_path}",
                       "-e", "turn_static_auth_secret=not-the-secret-of-this-edge-0123456789")
    assert run.returncode != 0
    failed = _smoke_turn_result(run)
    assert failed.get("failed") and "Allocate refused: 401 Unauthorized" in failed["msg"], run
