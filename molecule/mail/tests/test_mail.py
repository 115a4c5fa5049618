# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `mail` role: send-only relays, tested with a real SMTP client, MX and DKIM verifier.

mail1 and mail2 relay for mail-app (an application host). mail-gw is the
LAN's DNS and way out, and on the WAN the recipients' MX (aiosmtpd, writing
a Maildir); swaks sends, dkimverify (python3-dkim) checks the signatures
against the records the role printed, published in mail-gw's dnsmasq.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import uuid
from pathlib import Path

import pytest

from conftest import wait_for

RELAYS = {"mail1": "10.20.18.21", "mail2": "10.20.18.22"}
APP, GATEWAY = "mail-app", "mail-gw"
GATEWAY_LAN, GATEWAY_WAN = "10.20.18.50", "198.51.100.120"
DOMAIN = "lab.rainbow-edge.test"
MAILDIR = "/var/lib/lab-mx/Maildir/new"


def _records() -> list[dict]:
    return json.loads((Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "mail-report" / "dns-records.json").read_text())


@pytest.fixture(scope="module")
def published(lab):
    """The records the role printed, published in the lab's DNS (dnsmasq on mail-gw), as the customer would."""
    lines = []
    for record in _records():
        value = record["value"]
        chunks = ",".join(json.dumps(value[start:start + 250]) for start in range(0, len(value), 250))
        lines.append(f"txt-record={record['name']},{chunks}")
    gateway = lab.host(GATEWAY)
    gateway.check_output(f"printf '%s\\n' {' '.join(shlex.quote(line) for line in lines)} > /etc/dnsmasq.d/dkim.conf"
                         " && systemctl restart dnsmasq")
    return _records()


def _send(lab, host: str, relay: str, sender: str, marker: str):
    return lab.host(host).run(
        f"swaks --server {relay} --port 25 --from {sender} --to someone@example.net --helo {host}.{DOMAIN}"
        f" --header 'Subject: {marker}' --body 'rainbow.edge notification {marker}' --timeout 30")


def _delivered(lab, marker: str) -> str | None:
    found = lab.host(GATEWAY).run(f"grep -l -r {marker} {MAILDIR}")
    return found.stdout.split()[0] if found.rc == 0 else None


def test_each_relay_listens_on_its_lan_address_and_opendkim_on_loopback_only(lab):
    for name, address in RELAYS.items():
        host = lab.host(name)
        listening = host.check_output("ss -Hlnt | awk '{print $4}' | sort -u").split()
        assert f"{address}:25" in listening and "127.0.0.1:25" in listening, listening
        assert "0.0.0.0:25" not in listening and "*:25" not in listening, listening
        assert "127.0.0.1:8891" in listening and not [s for s in listening if s.endswith(":8891") and
                                                      not s.startswith("127.0.0.1")], listening
        key = host.file(f"/etc/opendkim/keys/{name}.private")
        assert (key.user, key.mode) == ("opendkim", 0o600)


@pytest.mark.parametrize("relay", sorted(RELAYS))
def test_an_application_host_s_mail_reaches_the_mx_over_tls_and_its_dkim_signature_verifies(lab, published, relay):
    marker = f"m{uuid.uuid4().hex}"
    sent = _send(lab, APP, RELAYS[relay], f"notifications@{DOMAIN}", marker)
    assert sent.rc == 0, sent.stdout[-1500:]
    message = wait_for(lambda: _delivered(lab, marker), timeout=60)
    assert message, lab.host(relay).run("tail -20 /var/log/mail.log").stdout
    gateway = lab.host(GATEWAY)
    signature = gateway.check_output(f"grep -i '^DKIM-Signature:' -A3 {message}")
    assert f"d={DOMAIN}" in signature and f"s={relay}" in signature, signature
    verified = gateway.run(f"dkimverify < {message}")
    assert verified.rc == 0 and "signature ok" in verified.stdout, verified.stdout + verified.stderr
    log = lab.host(relay).check_output("grep -h 'TLS connection established to mx.example.net' /var/log/mail.log")
    assert re.search(r"TLSv1\.[23]", log), log
    print(f"FIGURE: mail through {relay}: delivered to the lab MX over {re.search(r'TLSv1[.][23]', log).group(0)},"
          f" DKIM signature (s={relay}) verified against the published record")


def test_the_published_records_are_spf_the_relays_dkim_keys_and_dmarc(published):
    names = [record["name"] for record in published]
    assert names == [DOMAIN, f"mail1._domainkey.{DOMAIN}", f"mail2._domainkey.{DOMAIN}", f"_dmarc.{DOMAIN}"], names
    assert published[0]["value"] == f"v=spf1 ip4:{GATEWAY_WAN} -all"
    assert published[3]["value"].startswith("v=DMARC1; p=quarantine;")


def test_a_lan_host_that_is_not_an_application_host_gets_554_and_a_foreign_sender_is_refused(lab):
    marker = f"m{uuid.uuid4().hex}"
    other = _send(lab, GATEWAY, RELAYS["mail1"], f"notifications@{DOMAIN}", marker)
    assert other.rc != 0 and "554 5.7.1" in other.stdout and "Client host rejected" in other.stdout, \
        other.stdout[-1500:]
    foreign = _send(lab, APP, RELAYS["mail1"], "someone@example.org", marker)
    assert foreign.rc != 0 and "554 5.7.1" in foreign.stdout and "Sender address rejected" in foreign.stdout, \
        foreign.stdout[-1500:]
    assert not _delivered(lab, marker)


def test_port_25_is_unreachable_from_the_wan_and_reachable_from_the_lan(lab):
    # From the WAN address (mail-gw routes for the relays): the host firewall drops it.
    for address in RELAYS.values():
        wan = lab.host(GATEWAY).run(f"nmap -Pn -n -sS -e eth0 -S {GATEWAY_WAN} -p 25 --max-retries 2 {address}")
        assert re.search(r"25/tcp\s+filtered", wan.stdout), wan.stdout
        lan = lab.host(GATEWAY).run(f"nmap -Pn -n -sS -p 25,9154 {address}")
        assert re.search(r"25/tcp\s+open", lan.stdout) and re.search(r"9154/tcp\s+open", lan.stdout), lan.stdout


def test_mail_queued_while_the_mx_is_down_survives_a_restart_and_is_delivered_when_it_returns(lab, published):
    gateway, relay = lab.host(GATEWAY), lab.host("mail1")
    marker = f"m{uuid.uuid4().hex}"

    def queued():
        return [json.loads(line)["queue_id"] for line in relay.run("postqueue -j").stdout.splitlines() if line.strip()]
    gateway.check_output("systemctl stop lab-mx")
    try:
        sent = _send(lab, APP, RELAYS["mail1"], f"notifications@{DOMAIN}", marker)
        assert sent.rc == 0, sent.stdout[-1500:]
        ids = wait_for(queued, timeout=30)
        assert any(marker in relay.run(f"postcat -bq {queue_id}").stdout for queue_id in ids), ids
        relay.check_output("systemctl restart postfix")
        assert set(ids) <= set(queued()), "mail in the queue was lost in postfix's restart"
        assert not _delivered(lab, marker)
    finally:
        gateway.check_output("systemctl start lab-mx")
    # The MX answers a few seconds after its start (Python, on a loaded machine): a flush before that
    # defers the mail again, for postfix's backoff (300 s), beyond this test's wait.
    assert wait_for(lambda: ":25 " in gateway.check_output("ss -Hltn"), timeout=60), "the lab's MX did not come back"
    relay.check_output("postqueue -f")
    assert wait_for(lambda: _delivered(lab, marker), timeout=90), relay.run("postqueue -p").stdout


def test_postfix_s_exporter_serves_its_metrics_on_the_lan(lab):
    metrics = lab.host(GATEWAY).check_output(f"curl -sf http://{RELAYS['mail1']}:9154/metrics")
    assert "postfix_up" in metrics, metrics[:500]


def test_a_mail_domain_that_is_not_the_edge_s_is_refused(lab):
    run = lab.playbook("mail", "-e", json.dumps({"mail_domain": "example.com"}))
    texts = run.refusal("Refuse the run with every problem of every role", list(RELAYS))
    for text in texts.values():
        assert "mail_domain example.com is not the Edge's domain" in text, text
