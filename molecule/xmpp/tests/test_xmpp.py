# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `xmpp` role: an ejabberd cluster storing in MariaDB, tested with real XMPP clients.

xmpp1 and xmpp2 are one ejabberd cluster storing in xmpp-db's MariaDB;
xmpp-client runs slixmpp (Debian's python3-slixmpp, through the lab's
package cache) and nmap on the LAN.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from conftest import XmppHold, copy_between_hosts, install_xmpp_client, run_xmpp_client, secret, wait_for, xmpp_account

DB, XMPP1, XMPP2, CLIENT = "xmpp-db", "xmpp1", "xmpp2", "xmpp-client"
ADDRESS = {XMPP1: "10.20.13.21", XMPP2: "10.20.13.22"}
DOMAIN = "lab.rainbow-edge.test"
CA = "/etc/lab-xmpp/ca.crt"
NODES = {f"ejabberd@{address}" for address in ADDRESS.values()}


@pytest.fixture(scope="module")
def client(lab):
    """xmpp-client with the test client and the Edge's CA (copied from an XMPP server)."""
    probe = lab.host(CLIENT)
    install_xmpp_client(probe)
    copy_between_hosts(lab, XMPP1, "/etc/ejabberd/tls/ca.crt", probe, CA)
    return probe


def _account(lab, user: str) -> str:
    return xmpp_account(lab, XMPP1, user, DOMAIN)


_run_client = run_xmpp_client


def test_both_servers_are_one_cluster(lab):
    for host in (XMPP1, XMPP2):
        listed = lab.host(host).check_output("ejabberdctl list_cluster")
        assert all(node in listed for node in NODES), (host, listed)


def test_two_clients_on_different_servers_exchange_a_message_kept_in_mariadb(lab, client):
    alice, bob = f"alice{uuid.uuid4().hex[:8]}", f"bob{uuid.uuid4().hex[:8]}"
    env = {"SENDER_PASSWORD": _account(lab, alice), "RECEIVER_PASSWORD": _account(lab, bob)}
    body = f"hello-{uuid.uuid4().hex}"
    # Alice on xmpp1 with direct TLS, Bob on xmpp2 with STARTTLS: the cluster routes between them.
    result = _run_client(client, f"converse {CA} {alice}@{DOMAIN} {ADDRESS[XMPP1]}:5223:tls "
                                 f"{bob}@{DOMAIN} {ADDRESS[XMPP2]}:5222:starttls {body}", env)
    assert result.rc == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["received"] == body, outcome
    print(f"FIGURE: xmpp message from xmpp1 to xmpp2 delivered in {outcome['seconds']:.3f} s")
    # Both sides' archives hold it, in MariaDB (XEP-0313, mod_mam's sql table).
    rows = lab.host(DB).check_output(
        f"mariadb -N -e \"SELECT username FROM ejabberd.archive WHERE txt = '{body}' ORDER BY username\"")
    assert rows.split() == sorted([alice, bob]), rows
    archived = _run_client(client, f"archive {CA} {bob}@{DOMAIN} {ADDRESS[XMPP1]}:5223:tls {alice}@{DOMAIN}",
                           {"PASSWORD": env["RECEIVER_PASSWORD"]})
    assert archived.rc == 0, archived.stdout + archived.stderr
    assert json.loads(archived.stdout.strip().splitlines()[-1]) == [body]


def test_a_web_client_logs_in_over_websocket_and_bosh_and_the_web_admin_ask_for_credentials(lab, client):
    erin, frank = f"erin{uuid.uuid4().hex[:8]}", f"frank{uuid.uuid4().hex[:8]}"
    erin_password, frank_password = _account(lab, erin), _account(lab, frank)
    body = f"from-the-web-{uuid.uuid4().hex}"
    # Erin logs in over WebSocket on xmpp1 (RFC 7395, SCRAM-SHA-1) and writes to Frank, who is offline.
    result = _run_client(client, f"web {CA} {ADDRESS[XMPP1]}:5443 {erin}@{DOMAIN} {frank}@{DOMAIN} {body}",
                         {"PASSWORD": erin_password})
    assert result.rc == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert "SCRAM-SHA-1" in outcome["bosh_mechanisms"], outcome
    # The path the role declares as its load-balancer health check answers.
    assert 200 <= outcome["bosh_get_status"] < 400, outcome
    assert outcome["admin_status"] == 401, outcome
    # Frank, logging in later on xmpp2, finds it in his archive.
    archived = _run_client(client, f"archive {CA} {frank}@{DOMAIN} {ADDRESS[XMPP2]}:5222:starttls {erin}@{DOMAIN}",
                           {"PASSWORD": frank_password})
    assert archived.rc == 0, archived.stdout + archived.stderr
    assert json.loads(archived.stdout.strip().splitlines()[-1]) == [body]


@pytest.mark.parametrize("host", [XMPP1, XMPP2])
def test_clients_get_tls_1_2_or_later_with_the_edge_s_certificate_only(client, host):
    address = ADDRESS[host]
    direct = client.run(f"openssl s_client -connect {address}:5223 -CAfile {CA} -verify_hostname {DOMAIN} "
                        f"-verify_return_error -brief < /dev/null")
    assert direct.rc == 0, direct.stderr
    starttls = client.run(f"openssl s_client -connect {address}:5222 -starttls xmpp -xmpphost {DOMAIN} "
                          f"-CAfile {CA} -verify_hostname {DOMAIN} -verify_return_error -brief < /dev/null")
    assert starttls.rc == 0, starttls.stderr
    for old in ("-tls1_1", "-tls1"):
        refused = client.run(f"openssl s_client -connect {address}:5223 {old} -cipher DEFAULT@SECLEVEL=0 < /dev/null")
        assert refused.rc != 0, (old, refused.stdout)


def test_the_lan_reaches_the_client_ports_and_the_web_admin_only(lab, client):
    states = lab.scan(CLIENT, ADDRESS[XMPP1], "4369,4200-4210,5222,5223,5269,5280,5281,5443")
    assert {port for port, state in states.items() if state == "open"} == {5222, 5223, 5281, 5443}, states


def test_a_client_of_a_killed_server_logs_in_again_on_the_other_with_its_history(lab, client):
    carol, dave = f"carol{uuid.uuid4().hex[:8]}", f"dave{uuid.uuid4().hex[:8]}"
    carol_password, dave_password = _account(lab, carol), _account(lab, dave)
    before = f"before-{uuid.uuid4().hex}"
    sent = _run_client(client, f"converse {CA} {dave}@{DOMAIN} {ADDRESS[XMPP2]}:5223:tls "
                               f"{carol}@{DOMAIN} {ADDRESS[XMPP1]}:5223:tls {before}",
                       {"SENDER_PASSWORD": dave_password, "RECEIVER_PASSWORD": carol_password})
    assert sent.rc == 0, sent.stdout + sent.stderr
    hold = XmppHold(client, CA, f"{carol}@{DOMAIN}", carol_password,
                    f"{ADDRESS[XMPP1]}:5223:tls", f"{ADDRESS[XMPP2]}:5223:tls")
    assert wait_for(lambda: hold.online_since(0), timeout=30), hold.sessions()
    assert hold.sessions()[0]["server"].startswith(ADDRESS[XMPP1])
    server = lab.host(XMPP1)
    try:
        killed = time.time()
        server.check_output("systemctl kill --signal=KILL ejabberd")
        again = wait_for(lambda: hold.online_since(killed), timeout=60)
        assert again, hold.sessions()
        assert again[0]["server"].startswith(ADDRESS[XMPP2]), again
        print(f"FIGURE: xmpp client logged in again on xmpp2 {again[0]['at'] - killed:.1f} s after ejabberd "
              f"was killed on xmpp1")
        archived = _run_client(client, f"archive {CA} {carol}@{DOMAIN} {ADDRESS[XMPP2]}:5222:starttls "
                                       f"{dave}@{DOMAIN}", {"PASSWORD": carol_password})
        assert archived.rc == 0, archived.stdout + archived.stderr
        assert json.loads(archived.stdout.strip().splitlines()[-1]) == [before]
    finally:
        hold.stop()
        # systemd restarts it (Restart=on-failure); it is back in the cluster.
        assert wait_for(lambda: server.run("ejabberdctl status").rc == 0, timeout=90)
    listed = lab.host(XMPP2).check_output("ejabberdctl list_cluster")
    assert all(node in listed for node in NODES), listed


def test_bad_inputs_are_refused_with_every_problem_at_once_and_no_secret(lab):
    run = lab.playbook("xmpp", "-e", "xmpp_sql_password=tooshort", "-e", "xmpp_erlang_cookie=",
                       "-e", "xmpp_c2s_tls_port=5222", "-e", "xmpp_domain=Not_A_Domain")
    # playbooks/xmpp.yml checks the XMPP servers' inputs with every role's (check_inputs.yml), which refuses once.
    texts = run.refusal("Refuse the run with every problem of every role", [XMPP1, XMPP2])
    for text in texts.values():
        assert "xmpp_sql_password: expected a password of at least 12 characters" in text, text
        assert "xmpp_erlang_cookie: the cluster of xmpp1, xmpp2 needs one shared cookie" in text, text
        assert "xmpp_c2s_tls_port: port 5222 is already xmpp_c2s_port" in text, text
        assert "xmpp_domain (default: edge_domain): expected the Edge's XMPP domain" in text, text
        assert "tooshort" not in text
    assert secret("xmpp_sql_password") not in json.dumps(run.report)
