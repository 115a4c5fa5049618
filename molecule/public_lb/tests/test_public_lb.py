# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `public_lb` role: only 443 on two WAN VIPs, HTTPS and XMPP (ALPN) with the customer's certificate.

plb1 and plb2 are the load balancers (plb1 the home of VIP1, plb2 of VIP2)
in front of pub-xmpp1 and pub-xmpp2 (one ejabberd cluster storing in
pub-db's MariaDB). The certificate comes from customer_ca.py, a fixture
standing in for the customer's public CA. pub-client runs the real clients
from the WAN: testssl.sh, nmap, curl, slixmpp (Debian's python3-slixmpp) and
a WebSocket client (python3-websockets), all from Debian through the lab's
package cache.
"""

from __future__ import annotations

import datetime
import json
import os
import shlex
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import INPUT_REFUSAL, install_text, install_xmpp_client, run_xmpp_client, vip_holder, wait_for, xmpp_account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from customer_ca import make_chain  # noqa: E402  (the scenario's fixture CA)

DB, XMPP1, XMPP2, LB1, LB2, CLIENT = "pub-db", "pub-xmpp1", "pub-xmpp2", "plb1", "plb2", "pub-client"
WAN = {LB1: "198.51.100.71", LB2: "198.51.100.72"}
VIP1, VIP2 = "198.51.100.81", "198.51.100.82"
DOMAIN = "lab.rainbow-edge.test"
ROOT = "/etc/lab-customer/root.pem"


@pytest.fixture(scope="module")
def client(lab):
    """pub-client with the XMPP client, the customer's root, and the Edge's name on VIP1."""
    probe = lab.host(CLIENT)
    install_xmpp_client(probe)
    root = (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "customer-ca" / "root.pem").read_text()
    install_text(probe, root, ROOT)
    probe.check_output(f"grep -q ' {DOMAIN}$' /etc/hosts || echo '{VIP1} {DOMAIN}' >> /etc/hosts")
    return probe


def _holder(lab, vip: str):
    return vip_holder(lab, vip, (LB1, LB2))


def _account(lab, user: str) -> str:
    return xmpp_account(lab, XMPP1, user, DOMAIN)


_xmpp = run_xmpp_client


def test_each_load_balancer_is_the_home_of_one_wan_vip(lab):
    assert wait_for(lambda: _holder(lab, VIP1) == LB1 and _holder(lab, VIP2) == LB2, timeout=30), \
        (_holder(lab, VIP1), _holder(lab, VIP2))


def test_testssl_finds_tls_1_2_and_1_3_only_no_weak_cipher_a_complete_chain_and_hsts(client):
    client.run("rm -f /tmp/testssl.json")
    # -p protocols, -s cipher categories, -S the certificate (its chain against the customer's root), -h headers.
    run = client.run(f"testssl --quiet --color 0 --warnings off --add-ca {ROOT} --ip {VIP1} "
                     f"--jsonfile /tmp/testssl.json -p -s -S -h https://{DOMAIN}/bosh")
    findings = {item["id"]: item for item in json.loads(client.check_output("cat /tmp/testssl.json"))}
    assert findings, run.stdout + run.stderr

    def finding(name):
        return findings[name]["finding"]
    for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert finding(old).startswith("not offered"), (old, findings[old])
    assert finding("TLS1_2") == "offered", findings["TLS1_2"]
    assert finding("TLS1_3").startswith("offered"), findings["TLS1_3"]
    for weak in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA"):
        assert finding(weak).startswith("not offered"), (weak, findings[weak])
    # CBC without forward secrecy: "OBSOLETED" in testssl.sh 3.2 (Debian 13), "AVERAGE" in 3.0 (Debian 12).
    obsolete = [name for name in ("cipherlist_OBSOLETED", "cipherlist_AVERAGE") if name in findings]
    assert obsolete and all(finding(name).startswith("not offered") for name in obsolete), obsolete
    chain = [item for name, item in findings.items() if name.startswith("cert_chainOfTrust")
             or name.startswith("cert_chain_of_trust")]
    assert chain and all(item["finding"].startswith("passed") for item in chain), chain
    assert finding("HSTS_time").startswith("365 days"), findings["HSTS_time"]
    # Strong ciphers without forward secrecy: a category of testssl.sh 3.2 (Debian 13), not of 3.0.
    if "cipherlist_STRONG_NOFS" in findings:
        assert finding("cipherlist_STRONG_NOFS").startswith("not offered"), findings["cipherlist_STRONG_NOFS"]
    serious = {name: item["finding"] for name, item in findings.items() if item["severity"] in ("HIGH", "CRITICAL")}
    print(f"FIGURE: public_lb testssl.sh: {len(findings)} findings, HIGH or CRITICAL: {sorted(serious) or 'none'}")
    assert not serious, serious


def test_an_http2_client_gets_hsts_and_only_the_declared_paths(client):
    answer = client.check_output(f"curl -s --http2 -D - -o /dev/null --cacert {ROOT} --resolve {DOMAIN}:443:{VIP2} "
                                 f"https://{DOMAIN}/bosh")
    assert answer.startswith("HTTP/2 200"), answer
    assert "strict-transport-security: max-age=31536000" in answer.lower(), answer
    missing = client.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {ROOT} "
                                  f"--resolve {DOMAIN}:443:{VIP2} https://{DOMAIN}/admin/")
    assert missing == "404", missing


def test_nmap_from_the_wan_finds_only_443_on_the_vips_and_nothing_on_the_hosts(lab):
    for target, expected in ((VIP1, {443}), (VIP2, {443}), (WAN[LB1], set()), (WAN[LB2], set())):
        states = lab.scan(CLIENT, target, "1-65535", rate=5000)
        assert {port for port, state in states.items() if state == "open"} == expected, (target, {
            port: state for port, state in states.items() if state != "filtered"})


def test_xmpp_clients_on_443_exchange_a_message_kept_in_the_archive(lab, client):
    alice, bob = f"alice{uuid.uuid4().hex[:8]}", f"bob{uuid.uuid4().hex[:8]}"
    env = {"SENDER_PASSWORD": _account(lab, alice), "RECEIVER_PASSWORD": _account(lab, bob)}
    body = f"through-443-{uuid.uuid4().hex}"
    # Direct TLS with ALPN xmpp-client (XEP-0368) on both VIPs; the certificate is verified for the XMPP domain.
    sent = _xmpp(client, f"converse {ROOT} {alice}@{DOMAIN} {VIP1}:443:tls {bob}@{DOMAIN} {VIP2}:443:tls {body}", env)
    assert sent.rc == 0, sent.stdout + sent.stderr
    archived = _xmpp(client, f"archive {ROOT} {bob}@{DOMAIN} {VIP1}:443:tls {alice}@{DOMAIN}",
                     {"PASSWORD": env["RECEIVER_PASSWORD"]})
    assert archived.rc == 0, archived.stdout + archived.stderr
    assert json.loads(archived.stdout.strip().splitlines()[-1]) == [body]
    rows = lab.host(DB).check_output(
        f"mariadb -N -e \"SELECT COUNT(*) FROM ejabberd.archive WHERE txt = '{body}'\"")
    assert int(rows.strip()) == 2, rows  # in the sender's archive and the receiver's


def test_a_web_client_logs_in_over_wss_on_443_and_its_message_is_archived(lab, client):
    erin, frank = f"erin{uuid.uuid4().hex[:8]}", f"frank{uuid.uuid4().hex[:8]}"
    erin_password, frank_password = _account(lab, erin), _account(lab, frank)
    body = f"over-wss-{uuid.uuid4().hex}"
    result = _xmpp(client, f"web {ROOT} {DOMAIN}:443 {erin}@{DOMAIN} {frank}@{DOMAIN} {body} none",
                   {"PASSWORD": erin_password})
    assert result.rc == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert "SCRAM-SHA-1" in outcome["bosh_mechanisms"], outcome
    archived = _xmpp(client, f"archive {ROOT} {frank}@{DOMAIN} {VIP2}:443:tls {erin}@{DOMAIN}",
                     {"PASSWORD": frank_password})
    assert archived.rc == 0, archived.stdout + archived.stderr
    assert json.loads(archived.stdout.strip().splitlines()[-1]) == [body]


def test_a_client_over_its_request_or_connection_rate_is_refused_then_served_again(client):
    time.sleep(11)  # the earlier tests' requests leave the 10 s window
    urls = " ".join([f"-o /dev/null https://{DOMAIN}/bosh"] * 80)
    codes = client.check_output(f"curl -s --http2 --cacert {ROOT} --resolve {DOMAIN}:443:{VIP1} "
                                f"-w '%{{http_code}}\\n' {urls}").split()
    assert codes.count("429") > 0 and codes.count("200") >= 45, codes
    handshakes = client.check_output(
        "python3 -c " + shlex.quote(
            "import socket, ssl\n"
            f"context = ssl.create_default_context(cafile='{ROOT}')\n"
            "done = refused = 0\n"
            "for attempt in range(700):\n"
            "    try:\n"
            f"        with socket.create_connection(('{VIP2}', 443), timeout=2) as raw:\n"
            f"            with context.wrap_socket(raw, server_hostname='{DOMAIN}'):\n"
            "                done += 1\n"
            "    except (OSError, ssl.SSLError):\n"
            "        refused += 1\n"
            "print(done, refused)\n"))
    done, refused = (int(number) for number in handshakes.split())
    print(f"FIGURE: public_lb rate limits: {codes.count('429')} of 80 requests refused with 429 (limit 50 per 10 s); "
          f"{refused} of 700 connections refused (limit 600 per 10 s)")
    assert refused > 0 and done >= 550, (done, refused)
    time.sleep(11)
    again = client.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {ROOT} "
                                f"--resolve {DOMAIN}:443:{VIP1} https://{DOMAIN}/bosh")
    assert again == "200", again


def test_a_certificate_with_another_key_or_expired_is_refused_before_any_change(lab, tmp_path):
    names = ["*.rainbow-edge.test"]
    other_key = make_chain(names, key_of_another=True)
    expired = make_chain(names, days=30, start=datetime.datetime.now(datetime.timezone.utc)
                         - datetime.timedelta(days=40))
    expectations = (
        (other_key, {"public_lb_vips": ["10.20.15.71", VIP2]},
         ["public_lb_certificate: the private key given is not this certificate's key",
          "public_lb_vips: 10.20.15.71 is outside the WAN 198.51.100.64/27"]),
        (expired, {}, ["public_lb_certificate: expired on"]),
    )
    for index, (made, more, messages) in enumerate(expectations):
        given = tmp_path / f"given{index}.json"
        given.write_text(json.dumps(dict(more, public_lb_certificate=made["chain"], public_lb_private_key=made["key"],
                                         public_lb_certificate_roots=made["root"])))
        run = lab.playbook("public_lb", "-e", f"@{given}")
        texts = run.refusal(INPUT_REFUSAL, [LB1, LB2])
        for text in texts.values():
            for message in messages:
                assert message in text, text
            assert "PRIVATE KEY" not in text
        assert made["key"].splitlines()[1] not in json.dumps(run.report)
