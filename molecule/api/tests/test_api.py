# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `api` role: the vendor's application (a fixture) from a signed repository, behind the private load balancers.

api1 and api2 run the fixture application (molecule/api/fixture, packaged
and signed by prepare.yml on api-client, never shipped), writing to
api-db's MariaDB and reaching api-xmpp; api-lb1 and api-lb2 balance it on
their VIPs. api-client runs the real clients on the LAN: curl, openssl,
nmap, a request loop (Python's http.client) and a WebSocket client
(Debian's python3-websockets), all from Debian through the lab's package
cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import time
import uuid
from pathlib import Path

import pytest

from conftest import copy_between_hosts, haproxy_server_states, install_text, secret, wait_for

DB, XMPP, LB1, LB2, API1, API2, CLIENT = "api-db", "api-xmpp", "api-lb1", "api-lb2", "api1", "api2", "api-client"
APIS = (API1, API2)
ADDRESS = {LB1: "10.20.16.31", LB2: "10.20.16.32", API1: "10.20.16.21", API2: "10.20.16.22"}
VIP1, VIP2 = "10.20.16.71", "10.20.16.72"
CA = "/etc/lab-api/ca.pem"
LOAD_CLIENT = "/usr/local/lib/lab-load-client.py"
SOURCE = "/etc/apt/sources.list.d/rainbow-edge-api-vendor.sources"
KEYRING = "/etc/apt/keyrings/rainbow-edge-api-vendor.asc"


def _secret_file(name: str) -> str:
    return (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / name).read_text()


@pytest.fixture(scope="module")
def client(lab):
    """api-client with the load client and the Edge's CA (copied from an application server)."""
    probe = lab.host(CLIENT)
    install_text(probe, (Path(__file__).resolve().parents[1] / "load_client.py").read_text(), LOAD_CLIENT)
    copy_between_hosts(lab, API1, "/etc/rainbow-edge-api/tls/ca.crt", probe, CA)
    return probe


def _get(client, url: str) -> dict:
    return json.loads(client.check_output(f"curl -sf --cacert {CA} {shlex.quote(url)}"))


def _both_up(client) -> bool:
    return all(haproxy_server_states(client.check_output(f"curl -sf http://{ADDRESS[lb]}:8404/metrics")).get(("api", api))
               == "UP" for lb in (LB1, LB2) for api in APIS)


def test_the_application_runs_as_its_own_account_under_a_hardened_unit(lab):
    for name in APIS:
        host = lab.host(name)
        shown = dict(line.split("=", 1) for line in host.check_output(
            "systemctl show rainbow-edge-api -p ActiveState -p User -p NoNewPrivileges -p ProtectSystem "
            "-p CapabilityBoundingSet -p PrivateTmp -p SystemCallFilter").splitlines() if "=" in line)
        assert shown["ActiveState"] == "active", shown
        assert shown["User"] == "rainbow-edge-api" and shown["NoNewPrivileges"] == "yes", shown
        assert shown["ProtectSystem"] == "strict" and shown["PrivateTmp"] == "yes", shown
        assert shown["CapabilityBoundingSet"] == "", shown
        owner = host.check_output("ps -o user= -C node").split()
        assert owner and set(owner) == {"rainbow-edge-api"}, owner
        config = host.file("/etc/rainbow-edge-api/config.json")
        assert (config.user, config.group, config.mode) == ("root", "rainbow-edge-api", 0o640)
        exposure = host.run("systemd-analyze security --no-pager rainbow-edge-api.service")
        score = re.search(r"Overall exposure level for rainbow-edge-api.service: ([0-9.]+)", exposure.stdout)
        assert score, exposure.stdout[-500:] + exposure.stderr
        print(f"FIGURE: api systemd-analyze security exposure of rainbow-edge-api.service on {name}: {score.group(1)}")
        assert float(score.group(1)) <= 3.0, exposure.stdout


def test_the_vendor_s_source_is_trusted_through_the_pinned_key_only(lab):
    vendor_key = _secret_file("vendor.asc").strip()
    for name in APIS:
        host = lab.host(name)
        source = host.check_output(f"cat {SOURCE}")
        assert f"Signed-By: {KEYRING}" in source, source
        assert "Trusted" not in source and "allow-insecure" not in source.lower(), source
        assert host.check_output(f"cat {KEYRING}").strip() == vendor_key
        policy = host.check_output("apt-cache policy rainbow-edge-api-fixture")
        assert re.search(r"\*\*\* 1\.0\.0 \d+\s+\d+ http://10\.20\.16\.50/\w+/debian stable/main", policy), policy


def test_each_vip_serves_both_servers_writing_to_mariadb_and_reaching_xmpp(lab, client):
    for vip in (VIP1, VIP2):
        assert wait_for(lambda: _both_up(client), timeout=30)
        seen = set()
        for _request in range(4):
            status = _get(client, f"https://{vip}:8443/api/status")
            seen.add(status["server"])
            assert status["mariadb"]["host"] == DB, status
            assert status["xmpp"] == {"server": "10.20.16.15", "features": "sasl"}, status
        assert seen == set(APIS), seen
    work = _get(client, f"https://{VIP1}:8443/api/work?ms=10&client=status-check")
    row = lab.host(DB).check_output(f"mariadb -N -e 'SELECT server, client FROM rainbow_api.work WHERE id = {work['id']}'")
    assert row.split() == [work["server"], "status-check"], row


def test_the_declared_scrape_target_serves_the_application_s_metrics(client):
    """What the api role declares for the metrics tier (https://<LAN address>:8443/metrics) answers over verified TLS."""
    for name in APIS:
        metrics = client.check_output(f"curl -sf --cacert {CA} https://{ADDRESS[name]}:8443/metrics")
        assert re.search(r"^rainbow_edge_api_fixture_requests_total \d+$", metrics, re.M), metrics


def test_users_get_turn_credentials_made_with_the_turn_servers_secret(client):
    """What a browser asks before a call: a TURN REST credential ("<expiry>:<user>", base64 HMAC-SHA1 under the TURN
    servers' shared secret, which coturn checks: molecule/turn) and the URIs to relay through."""
    for vip in (VIP1, VIP2):
        started = time.time()
        given = _get(client, f"https://{vip}:8443/api/turn?user=alice")
        expiry, user = given["username"].split(":")
        assert user == "alice" and abs(int(expiry) - (started + 86400)) < 120, given
        digest = hmac.new(secret("turn_static_auth_secret").encode(), given["username"].encode(), hashlib.sha1).digest()
        assert given["password"] == base64.b64encode(digest).decode(), given
        assert given["uris"] == ["turn:198.51.100.90:3478?transport=udp"] and given["ttl"] == 86400, given
    # Without Swift servers, the application stores no files.
    status = client.run(f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {CA} https://{VIP1}:8443/api/files/a.bin")
    assert status.stdout == "503", status.stdout


def test_the_lan_reaches_the_application_port_and_nothing_else(lab):
    # 9229: node's inspector, never opened; 3000, 8080: where Node applications often listen.
    found = lab.scan(CLIENT, ADDRESS[API1], "3000,8080,8443,9229")
    assert {port for port, state in found.items() if state == "open"} == {8443}, found


def _records(client, log: str) -> list:
    return [json.loads(line) for line in client.run(f"cat {log}").stdout.splitlines() if line.strip()]


def test_a_rolling_restart_under_load_fails_no_request_and_moves_the_websocket(lab, client):
    """Each request lasts 1 s and writes a row; a WebSocket is held open through VIP1 all along."""
    tag = f"roll{uuid.uuid4().hex[:8]}"
    work_log, socket_log = f"/tmp/{tag}.jsonl", f"/tmp/{tag}-ws.jsonl"
    assert wait_for(lambda: _both_up(client), timeout=30)
    for unit in ("lab-work", "lab-websocket"):
        client.run(f"systemctl stop {unit}; systemctl reset-failed {unit}")
    client.check_output(f"systemd-run --unit lab-work /usr/bin/python3 {LOAD_CLIENT} work {CA} "
                        f"'https://{VIP1}:8443/api/work?ms=1000' {work_log} 150 4")
    client.check_output(f"systemd-run --unit lab-websocket /usr/bin/python3 {LOAD_CLIENT} websocket {CA} "
                        f"wss://{VIP1}:8443/api/ws {socket_log} 150")
    try:
        assert wait_for(lambda: len(_records(client, work_log)) >= 8, timeout=30), _records(client, work_log)
        started = time.time()
        run = lab.playbook("api_rolling_restart")
        took = time.time() - started
        assert run.returncode == 0, run
        time.sleep(4)
    finally:
        client.run("systemctl stop lab-work lab-websocket")
    records, events = _records(client, work_log), _records(client, socket_log)
    failed = [record for record in records if not record["ok"]]
    drains = [(host, result.get("item"), result.get("waited"), result.get("sessions"))
              for name, host, result in run.results() if name.endswith("Drain this server on every load balancer")
              for result in result.get("results", [])]
    closes = [event for event in events if event["event"] == "closed"]
    print(f"FIGURE: api rolling restart of 2 servers took {took:.0f} s under 4 clients of 1 s requests: "
          f"{len(records)} requests, {len(failed)} failed, slowest {max(r['took'] for r in records):.2f} s; "
          f"WebSocket closed {len(closes)} time(s) with codes {[event['code'] for event in closes]}, "
          f"reconnected each time; drains (host, load balancer, waited s, sessions left): {drains}")
    assert not failed, failed[:5]
    # Served by both servers, and by each after its restart.
    assert {record["server"] for record in records} == set(APIS)
    # Every answered request's row is in MariaDB (a request the stopped loop left unanswered may have one too).
    rows = set(lab.host(DB).check_output(
        f"mariadb -N -e \"SELECT id FROM rainbow_api.work WHERE client LIKE '{tag}-w%'\"").split())
    assert {str(record["id"]) for record in records} <= rows, (len(rows), len(records))
    # The WebSocket: closed 1001 (going away) by each restarting server that held it, open again at once on the other.
    assert not [event for event in events if event["event"] == "error"], events
    assert closes and all(event["code"] == 1001 for event in closes), closes
    opens = [event for event in events if event["event"] == "open"]
    assert len(opens) == len(closes) + 1, (opens, closes)
    for before, after in zip(opens, opens[1:]):
        assert before["server"] != after["server"], opens
    for close in closes:
        reopened = next(event for event in opens if event["at"] > close["at"])
        assert reopened["at"] - close["at"] < 2, (close, reopened)
    assert wait_for(lambda: _both_up(client), timeout=30)


def test_a_repository_not_signed_by_the_pinned_key_is_refused_and_its_source_removed(lab):
    for suite in ("foreign", "unsigned"):
        run = lab.playbook("api", "-e", f"api_apt_repository_suite={suite}")
        assert run.returncode != 0, run
        failures = run.failures()
        name, message = failures[API1]
        assert name.endswith("Refuse the repository"), run
        assert "apt refused the repository" in str(message) and suite in str(message), message
        # Nothing left for other roles' apt runs to trip on; the application kept running.
        assert not lab.host(API1).file(SOURCE).exists
        assert lab.host(API1).service("rainbow-edge-api").is_running
        assert API2 not in failures, run  # one server at a time: the first refusal stops the run
    restored = lab.playbook("api")
    assert restored.returncode == 0, restored
    assert lab.host(API1).file(SOURCE).exists


def test_bad_inputs_are_refused_with_every_problem_at_once(lab):
    other_key, vendor = _secret_file("other.asc"), _secret_file("vendor.fpr").strip()
    other = _secret_file("other.fpr").strip()
    run = lab.playbook("api", "-e", json.dumps({"api_apt_signing_key": other_key, "api_entry_point": "server.js",
                                                "api_apt_repository_url": "ftp://10.20.16.50/debian",
                                                "api_swift_user": "rainbow:files", "api_turn_credential_lifetime": 10}))
    # playbooks/api.yml checks the application servers' inputs with every role's (check_inputs.yml).
    texts = run.refusal("Refuse the run with every problem of every role", list(APIS))
    for text in texts.values():
        assert f"api_apt_signing_key is key {other}, not the pinned {vendor}" in text, text
        assert "api_entry_point: expected the absolute path" in text, text
        assert "api_apt_repository_url: expected the vendor's apt repository as an http:// or https:// URL" in text
        assert "api_swift_user: the Edge has no Swift servers (group swift) to store files in" in text, text
        assert "api_turn_credential_lifetime: expected 60-604800 seconds; got 10" in text, text
    assert secret("api_sql_password") not in json.dumps(run.report)
