# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `private_lb` role: haproxy on two VIPs moved by keepalived, in front of the backends the XMPP servers declare.

lb1 and lb2 are the load balancers (lb1 the home of VIP1, lb2 of VIP2);
lb-xmpp1 and lb-xmpp2 one ejabberd cluster storing in lb-db's MariaDB;
lb-client runs the real clients on the LAN: slixmpp (Debian's
python3-slixmpp), openssl, curl, nmap and a request loop (Python's
http.client), all from Debian through the lab's package cache.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from conftest import (INPUT_REFUSAL, XmppHold, copy_between_hosts, haproxy_server_states, install_text,
                      install_xmpp_client, run_xmpp_client, vip_holder, wait_for, xmpp_account)

DB, XMPP1, XMPP2, LB1, LB2, CLIENT = "lb-db", "lb-xmpp1", "lb-xmpp2", "lb1", "lb2", "lb-client"
ADDRESS = {XMPP1: "10.20.14.21", XMPP2: "10.20.14.22", LB1: "10.20.14.31", LB2: "10.20.14.32"}
VIP1, VIP2 = "10.20.14.71", "10.20.14.72"
DOMAIN = "lab.rainbow-edge.test"
BACKENDS = ("xmpp-c2s", "xmpp-c2s-tls", "xmpp-http")
CA = "/etc/lab-lb/ca.pem"
REQUEST_LOOP = "/usr/local/lib/lab-request-loop.py"


@pytest.fixture(scope="module")
def client(lab):
    """lb-client with the test clients and the Edge's CA (copied from a load balancer)."""
    probe = lab.host(CLIENT)
    install_xmpp_client(probe)
    install_text(probe, (Path(__file__).resolve().parents[1] / "request_loop.py").read_text(), REQUEST_LOOP)
    copy_between_hosts(lab, LB1, "/etc/haproxy/tls/ca.pem", probe, CA)
    return probe


def _holder(lab, vip: str):
    return vip_holder(lab, vip, (LB1, LB2))


def _account(lab, user: str) -> str:
    return xmpp_account(lab, XMPP1, user, DOMAIN)


_xmpp = run_xmpp_client


def test_each_load_balancer_is_the_home_of_one_vip(lab):
    assert wait_for(lambda: _holder(lab, VIP1) == LB1 and _holder(lab, VIP2) == LB2, timeout=30), \
        (_holder(lab, VIP1), _holder(lab, VIP2))


def test_both_load_balancers_serve_every_declared_server_and_see_it_up(client):
    for lb in (LB1, LB2):
        metrics = client.check_output(f"curl -sf http://{ADDRESS[lb]}:8404/metrics")
        states = haproxy_server_states(metrics)
        expected = {(backend, server): "UP" for backend in BACKENDS for server in (XMPP1, XMPP2)}
        assert wait_for(lambda: all(haproxy_server_states(client.check_output(
            f"curl -sf http://{ADDRESS[lb]}:8404/metrics")).get(key) == "UP" for key in expected), timeout=20), \
            (lb, states)


def test_xmpp_clients_through_the_two_vips_exchange_a_message_kept_in_the_archive(lab, client):
    alice, bob = f"alice{uuid.uuid4().hex[:8]}", f"bob{uuid.uuid4().hex[:8]}"
    env = {"SENDER_PASSWORD": _account(lab, alice), "RECEIVER_PASSWORD": _account(lab, bob)}
    body = f"through-the-load-balancers-{uuid.uuid4().hex}"
    # STARTTLS through VIP1, direct TLS through VIP2: TLS passes through to ejabberd, which proves the domain.
    sent = _xmpp(client, f"converse {CA} {alice}@{DOMAIN} {VIP1}:5222:starttls {bob}@{DOMAIN} {VIP2}:5223:tls {body}",
                 env)
    assert sent.rc == 0, sent.stdout + sent.stderr
    archived = _xmpp(client, f"archive {CA} {bob}@{DOMAIN} {VIP1}:5223:tls {alice}@{DOMAIN}",
                     {"PASSWORD": env["RECEIVER_PASSWORD"]})
    assert archived.rc == 0, archived.stdout + archived.stderr
    assert json.loads(archived.stdout.strip().splitlines()[-1]) == [body]


@pytest.mark.parametrize("vip", [VIP1, VIP2])
def test_the_http_backend_is_served_over_tls_1_2_or_later_with_the_load_balancers_certificate(client, vip):
    verified = client.run(f"openssl s_client -connect {vip}:5443 -CAfile {CA} -verify_ip {vip} "
                          f"-verify_return_error -brief < /dev/null")
    assert verified.rc == 0, verified.stderr
    for old in ("-tls1_1", "-tls1"):
        refused = client.run(f"openssl s_client -connect {vip}:5443 {old} -cipher DEFAULT@SECLEVEL=0 < /dev/null")
        assert refused.rc != 0, (old, refused.stdout)
    # By the service name too, and to ejabberd's BOSH over TLS verified against the Edge's CA.
    name = "lb.lab.rainbow-edge.test"
    status = client.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {CA} "
                                 f"--resolve {name}:5443:{vip} https://{name}:5443/bosh")
    assert status == "200", status


def test_the_lan_reaches_the_balanced_ports_on_the_vips_and_the_metrics_on_the_hosts_only(lab):
    on_vip = lab.scan(CLIENT, VIP1, "5222,5223,5443,8404")
    assert {port for port, state in on_vip.items() if state == "open"} == {5222, 5223, 5443}, on_vip
    on_host = lab.scan(CLIENT, ADDRESS[LB1], "5222,5223,5443,8404")
    assert {port for port, state in on_host.items() if state == "open"} == {8404}, on_host


def _loop_records(client, log: str) -> list:
    return [json.loads(line) for line in client.run(f"cat {log}").stdout.splitlines() if line.strip()]


def _gaps(records: list) -> list:
    """Each run of failed requests: (first failure's time, first success's time after it, failures)."""
    gaps, start, failed = [], None, 0
    for record in records:
        if not record["ok"]:
            start = record["at"] if start is None else start
            failed += 1
        elif start is not None:
            gaps.append((start, record["at"], failed))
            start, failed = None, 0
    if start is not None:
        gaps.append((start, None, failed))
    return gaps


def test_haproxy_killed_moves_its_vip_within_5_s_and_requests_go_on_after_the_gap(lab, client):
    log = "/tmp/lab-request-loop.jsonl"
    balancer = lab.host(LB1)
    client.run("systemctl stop lab-request-loop; systemctl reset-failed lab-request-loop")
    client.check_output(f"rm -f {log}; systemd-run --unit lab-request-loop /usr/bin/python3 {REQUEST_LOOP} "
                        f"{CA} https://{VIP1}:5443/bosh {log} 60")
    try:
        assert wait_for(lambda: len(_loop_records(client, log)) >= 20, timeout=20)
        # A haproxy that dies and stays dead: systemd may not start it again.
        balancer.check_output("systemctl mask --runtime haproxy.service")
        killed = time.time()
        balancer.check_output("systemctl kill --signal=KILL haproxy.service")
        assert wait_for(lambda: _holder(lab, VIP1) == LB2, timeout=10, interval=0.2), _holder(lab, VIP1)
        moved = time.time() - killed
        assert moved <= 5, moved
        time.sleep(5)
        # haproxy back: after the preempt delay (5 s here) lb1 takes its VIP back.
        balancer.check_output("systemctl unmask --runtime haproxy.service && systemctl start haproxy.service")
        back = time.time()
        assert wait_for(lambda: _holder(lab, VIP1) == LB1, timeout=30, interval=0.2), _holder(lab, VIP1)
        returned = time.time() - back
        time.sleep(5)
    finally:
        client.run("systemctl stop lab-request-loop")
        balancer.run("systemctl unmask --runtime haproxy.service; systemctl start haproxy.service")
    records = _loop_records(client, log)
    gaps = _gaps(records)
    failures = [record for record in records if not record["ok"]]
    print(f"FIGURE: private_lb VIP moved to lb2 {moved:.1f} s after haproxy was killed on lb1; back on lb1 "
          f"{returned:.1f} s after haproxy started again (preempt delay 5 s); request loop: {len(records)} requests, "
          f"{len(failures)} failed, gaps " + ", ".join(
              f"{(end - start) if end else float('nan'):.2f} s ({count} failed)" for start, end, count in gaps))
    # Every failure is in the kill's gap or the return's, each shorter than 5 s, and the loop ends answered.
    assert records[-1]["ok"], records[-5:]
    assert len(gaps) <= 2, gaps
    for start, end, _count in gaps:
        assert end is not None and end - start <= 5, gaps
        assert start >= killed - 0.5, (gaps, killed)


def test_a_killed_xmpp_server_s_client_logs_in_again_through_the_vip_with_its_history(lab, client):
    carol, dave = f"carol{uuid.uuid4().hex[:8]}", f"dave{uuid.uuid4().hex[:8]}"
    carol_password, dave_password = _account(lab, carol), _account(lab, dave)
    before = f"before-{uuid.uuid4().hex}"
    sent = _xmpp(client, f"converse {CA} {dave}@{DOMAIN} {VIP2}:5223:tls {carol}@{DOMAIN} {VIP1}:5223:tls {before}",
                 {"SENDER_PASSWORD": dave_password, "RECEIVER_PASSWORD": carol_password})
    assert sent.rc == 0, sent.stdout + sent.stderr
    hold = XmppHold(client, CA, f"{carol}@{DOMAIN}", carol_password, f"{VIP1}:5223:tls")

    def serving():
        # The cluster lists every session on every node: the session's own line names its node.
        sessions = lab.host(XMPP1).run(f"ejabberdctl user_sessions_info {carol} {DOMAIN}").stdout
        found = [server for server in (XMPP1, XMPP2) if f"ejabberd@{ADDRESS[server]}" in sessions]
        return found[0] if len(found) == 1 else None

    assert wait_for(lambda: hold.online_since(0), timeout=30), hold.sessions()
    first = wait_for(serving, timeout=20)
    assert first, "carol is on no XMPP server"
    other = XMPP2 if first == XMPP1 else XMPP1
    server = lab.host(first)
    try:
        killed = time.time()
        server.check_output("systemctl kill --signal=KILL ejabberd")
        again = wait_for(lambda: hold.online_since(killed), timeout=60)
        assert again, hold.sessions()
        print(f"FIGURE: private_lb xmpp client logged in again through VIP1 {again[0]['at'] - killed:.1f} s after "
              f"ejabberd was killed on {first}")
        archived = _xmpp(client, f"archive {CA} {carol}@{DOMAIN} {VIP2}:5222:starttls {dave}@{DOMAIN}",
                         {"PASSWORD": carol_password})
        assert archived.rc == 0, archived.stdout + archived.stderr
        assert json.loads(archived.stdout.strip().splitlines()[-1]) == [before]
    finally:
        hold.stop()
        assert wait_for(lambda: server.run("ejabberdctl status").rc == 0, timeout=90)
    # Back in the cluster, and up again on both load balancers.
    assert other in (XMPP1, XMPP2)
    for lb in (LB1, LB2):
        assert wait_for(lambda: all(haproxy_server_states(client.check_output(
            f"curl -sf http://{ADDRESS[lb]}:8404/metrics")).get((backend, first)) == "UP" for backend in BACKENDS),
            timeout=60), lb


def test_bad_inputs_are_refused_with_every_problem_at_once(lab):
    run = lab.playbook("private_lb", "-e", json.dumps({"private_lb_vips": ["10.30.0.71", VIP2]}),
                       "-e", "private_lb_metrics_port=5443")
    texts = run.refusal(INPUT_REFUSAL, [LB1, LB2])
    for text in texts.values():
        assert "private_lb_vips: 10.30.0.71 is outside the LAN 10.20.0.0/16" in text, text
        assert "lb_backends xmpp-http: private port 5443 is the load balancers' metrics port" in text, text
