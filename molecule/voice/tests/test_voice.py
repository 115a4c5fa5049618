# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voice tiers: the voice database (the mariadb role on group voice_db) and the `voice_proxy` role.

Real SIP peers, from Debian's sip-tester (sipp): `phone` is a subscriber's
phone that registers with its digest and answers calls (lab-phone), and,
with a second address the tests give it, a stranger outside the allowed
networks; `pbx` is the stand-in for the PBX gateways (lab-pbx: the vendor's
Asterisk-based software is in no registry reachable here), which answers
the calls it is dispatched and calls the phones.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import copy_between_hosts, install_text, secret, vip_holder, wait_for

DB1, DB2, PROXY1, PROXY2, PHONE, PBX = "vdb1", "vdb2", "vproxy1", "vproxy2", "phone", "pbx"
PROXIES = (PROXY1, PROXY2)
PROXY_VIP, DB_VIP = "10.20.21.20", "10.20.21.50"
PROXY_LAN = {PROXY1: "10.20.21.21", PROXY2: "10.20.21.22"}
PHONE_IP, PBX_IP, STRANGER_IP = "10.20.21.70", "10.20.21.60", "10.20.21.200"
DOMAIN = "lab.rainbow-edge.test"
# The phone's own SIP port: its registration's Contact, where it answers calls.
PHONE_PORT = 5080
SIPP = Path(__file__).resolve().parents[1] / "sipp"
SCENARIOS = "/etc/lab-sipp"
CA = "/etc/lab-sipp/ca.crt"
# A subscriber, as the voice web would provision it: its digest hash only.
USER, PASSWORD = "alice", "lab-alice-digest-secret"


def _service(host, unit: str, command: str) -> None:
    """A lab peer as a transient unit (its console output thrown away: sipp draws a screen)."""
    host.run(f"systemctl stop {unit}; systemctl reset-failed {unit}")
    host.check_output(f"systemd-run --unit {unit} --property StandardOutput=null {command}")
    assert wait_for(lambda: host.service(unit).is_running, timeout=10)


def _primary(lab) -> str:
    """The voice database server that takes writes now."""
    for server in (DB1, DB2):
        if lab.host(server).run("mariadb -N -e 'SELECT @@read_only'").stdout.strip() == "0":
            return server
    raise AssertionError("no voice database server takes writes")


def _sql(lab, server: str, query: str) -> list[list[str]]:
    """Rows of ``query`` on the kamailio database of ``server`` (root, its socket)."""
    out = lab.host(server).check_output(f"mariadb -N -B kamailio -e {query!r}")
    return [line.split("\t") for line in out.splitlines() if line]


def _locations(lab, server: str, user: str) -> list[str]:
    return [row[0] for row in _sql(lab, server, f"SELECT contact FROM location WHERE username = '{user}'")]


@pytest.fixture(scope="module")
def peers(lab):
    """Both peers with the scenarios and the Edge's CA; the subscriber in the voice database; the PBX stand-in
    answering; the phone registered and answering."""
    phone, pbx = lab.host(PHONE), lab.host(PBX)
    for host in (phone, pbx):
        for name in ("register.xml", "caller.xml", "answer.xml"):
            install_text(host, (SIPP / name).read_text(), f"{SCENARIOS}/{name}")
    copy_between_hosts(lab, PROXY1, "/etc/kamailio/tls/ca.crt", phone, CA)
    ha1 = hashlib.md5(f"{USER}:{DOMAIN}:{PASSWORD}".encode()).hexdigest()
    _sql(lab, _primary(lab), f"REPLACE INTO subscriber (username, domain, ha1) VALUES ('{USER}', '{DOMAIN}', '{ha1}')")
    pbx.run("rm -f /var/log/lab-pbx.log")
    _service(pbx, "lab-pbx", f"/usr/bin/sipp -sf {SCENARIOS}/answer.xml -i {PBX_IP} -p 5060 -nostdin -trace_msg "
                             "-message_file /var/log/lab-pbx.log")
    return phone, pbx


def _register(phone, password: str, port: int = PHONE_PORT):
    """One registration of the phone's contact on ``port`` (rc 0: accepted); the phone stops answering there
    meanwhile (one socket per port)."""
    if port == PHONE_PORT:
        phone.run("systemctl stop lab-phone; systemctl reset-failed lab-phone")
    return phone.run(f"timeout 30 /usr/bin/sipp {PROXY_VIP}:5060 -sf {SCENARIOS}/register.xml -s {USER} "
                     f"-au {USER} -ap {password} -i {PHONE_IP} -p {port} -m 1 -nostdin -timeout 10s -timeout_error")


def _answer_on_phone(phone) -> None:
    phone.run("rm -f /var/log/lab-phone.log")
    _service(phone, "lab-phone", f"/usr/bin/sipp -sf {SCENARIOS}/answer.xml -i {PHONE_IP} -p {PHONE_PORT} -nostdin "
                                 "-trace_msg -message_file /var/log/lab-phone.log")


def _call(host, source: str, number: str, caller: str, port: int, credentials: str = "", timeout: int = 20):
    """One call from ``source`` through the proxy's VIP to ``number``, held 1 s (rc 0: it completed)."""
    return host.run(f"timeout {timeout + 10} /usr/bin/sipp {PROXY_VIP}:5060 -sf {SCENARIOS}/caller.xml -s {number} "
                    f"-set caller {caller} {credentials} -i {source} -p {port} -m 1 -d 1000 -nostdin "
                    f"-timeout {timeout}s -timeout_error")


def test_the_vip_is_on_one_proxy_and_kamailio_and_keepalived_run_on_both(lab):
    assert vip_holder(lab, PROXY_VIP, PROXIES) in PROXIES
    for name in PROXIES:
        for unit in ("kamailio", "keepalived"):
            assert lab.host(name).service(unit).is_running and lab.host(name).service(unit).is_enabled, (name, unit)


def test_kamailio_schema_is_in_the_voice_database_on_both_servers(lab):
    for server in (DB1, DB2):
        versions = dict(_sql(lab, server, "SELECT table_name, table_version FROM version"))
        assert {"version", "subscriber", "location", "location_attrs"} <= set(versions), (server, versions)
    # The voice database's VIP is on its primary, which the proxies reach through it.
    assert vip_holder(lab, DB_VIP, (DB1, DB2)) == _primary(lab)


def test_a_phone_registers_with_its_digest_and_its_location_is_in_the_voice_database(lab, peers):
    phone, _pbx = peers
    run = _register(phone, PASSWORD)
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    contact = f"sip:{USER}@{PHONE_IP}:{PHONE_PORT}"
    # Written by the proxy to the primary, replicated to the replica.
    for server in (DB1, DB2):
        assert wait_for(lambda s=server: contact in _locations(lab, s, USER), timeout=10), (server, contact)
    print(f"FIGURE: {USER} registered through the VIP {PROXY_VIP}; its location {contact} on both voice database "
          "servers")


def test_a_wrong_password_gets_no_registration(lab, peers):
    phone, _pbx = peers
    run = _register(phone, "not-" + PASSWORD, port=5081)
    assert run.rc != 0
    assert not any(f":{5081}" in contact for contact in _locations(lab, _primary(lab), USER))


def test_the_pbx_calls_the_registered_phone_through_the_vip(lab, peers):
    phone, pbx = peers
    assert _register(phone, PASSWORD).rc == 0
    _answer_on_phone(phone)
    run = _call(pbx, PBX_IP, USER, "pbx", 5090)
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    received = phone.check_output("cat /var/log/lab-phone.log")
    assert f"INVITE sip:{USER}@{PHONE_IP}:{PHONE_PORT}" in received, received[-2000:]


def test_a_phone_calls_a_number_nobody_registered_and_a_pbx_gateway_answers(lab, peers):
    phone, pbx = peers
    pbx.run("truncate -s 0 /var/log/lab-pbx.log")
    run = _call(phone, PHONE_IP, "5551234", USER, 5082, f"-au {USER} -ap {PASSWORD}")
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "INVITE sip:5551234@" in pbx.check_output("cat /var/log/lab-pbx.log")


def test_a_call_without_the_subscriber_digest_reaches_no_gateway(lab, peers):
    phone, pbx = peers
    pbx.run("truncate -s 0 /var/log/lab-pbx.log")
    run = _call(phone, PHONE_IP, "5559876", USER, 5083, f"-au {USER} -ap not-{PASSWORD}", timeout=8)
    assert run.rc != 0
    assert "5559876" not in pbx.check_output("cat /var/log/lab-pbx.log")


def test_sip_from_outside_the_allowed_networks_gets_no_answer(lab, peers):
    phone, _pbx = peers
    phone.run(f"ip addr add {STRANGER_IP}/24 dev eth0")
    try:
        run = phone.run(f"timeout 20 /usr/bin/sipp {PROXY_VIP}:5060 -sf {SCENARIOS}/register.xml -s {USER} "
                        f"-au {USER} -ap {PASSWORD} -i {STRANGER_IP} -p 5084 -m 1 -nostdin -timeout 8s "
                        "-timeout_error -trace_msg -message_file /tmp/lab-stranger.log")
        assert run.rc != 0
        received = [m for m in phone.check_output("cat /tmp/lab-stranger.log").split("-----")
                    if "message received" in m]
        assert received == [], received
        scans = {}
        for source in (PHONE_IP, STRANGER_IP):
            out = phone.check_output(f"nmap -Pn -n -sS -e eth0 -S {source} --max-retries 1 -p 5060,5061 {PROXY_VIP}")
            scans[source] = dict(re.findall(r"^(\d+)/tcp\s+(\S+)", out, re.M))
        print(f"FIGURE: SIP and TLS ports of the voice proxy's VIP seen from a phone and from a stranger: {scans}")
        assert scans[PHONE_IP] == {"5060": "open", "5061": "open"}, scans
        assert scans[STRANGER_IP] == {"5060": "filtered", "5061": "filtered"}, scans
    finally:
        phone.run(f"ip addr del {STRANGER_IP}/24 dev eth0")


def test_kamailio_serves_tls_1_2_or_later_with_the_edge_ca_certificate_on_the_vip(peers):
    phone, _pbx = peers
    out = phone.run(f"echo | timeout 10 openssl s_client -connect {PROXY_VIP}:5061 -CAfile {CA} -tls1_2 -brief")
    assert "Verification: OK" in out.stdout + out.stderr, out.stdout + out.stderr


def test_kamailio_metrics_count_the_registrations_and_the_database_errors(lab, peers):
    _phone, pbx = peers
    accepted, errors = 0, 0
    for proxy in PROXIES:
        text = pbx.check_output(f"curl -sf http://{PROXY_LAN[proxy]}:9495/metrics")
        accepted += int(re.search(r"^kamailio_registrar_accepted_regs (\d+)", text, re.M).group(1))
        errors += int(re.search(r"^kamailio_mysql_driver_errors (\d+)", text, re.M).group(1))
    # The phone's registrations so far (the tests above), all on the VIP's holder; no database error.
    assert accepted >= 2 and errors == 0, (accepted, errors)


def test_bad_inputs_stop_in_the_input_check_with_every_problem(lab):
    bad = ('{"voice_proxy_allowed_cidrs": ["phones"], "voice_proxy_vip": "10.30.0.1", '
           '"voice_proxy_pbx_gateways": ["pbx.example"]}')
    run = lab.playbook("voice_proxy", "-e", bad)
    texts = run.refusal("Refuse the run with every problem of the voice proxies", list(PROXIES))
    for text in texts.values():
        assert "voice_proxy_allowed_cidrs: expected IPv4 networks" in text, text
        assert "voice_proxy_vip 10.30.0.1 is outside its network 10.20.0.0/16" in text, text
        assert "voice_proxy_pbx_gateways: expected \"address\" or \"address:port\"" in text, text
        assert secret("voice_sql_password") not in text


def test_a_switchover_of_the_voice_database_keeps_the_locations_and_the_proxies_follow_its_vip(lab, peers):
    phone, pbx = peers
    before = _primary(lab)
    target = DB2 if before == DB1 else DB1
    run = lab.playbook("mariadb_switchover", "-e", "mariadb_group=voice_db", "-e", f"mariadb_switchover_to={target}")
    assert run.returncode == 0, run
    assert _primary(lab) == target and vip_holder(lab, DB_VIP, (DB1, DB2)) == target
    # The locations written before are on the new primary; the proxies reconnect to it through the VIP.
    assert f"sip:{USER}@{PHONE_IP}:{PHONE_PORT}" in _locations(lab, target, USER)
    started, attempts = time.time(), 0

    def registered() -> bool:
        nonlocal attempts
        attempts += 1
        return _register(phone, PASSWORD, port=5085).rc == 0

    assert wait_for(registered, timeout=60, interval=1)
    assert wait_for(lambda: any(":5085" in c for c in _locations(lab, target, USER)), timeout=10)
    print(f"FIGURE: voice database switched over from {before} to {target}: a phone registered again through the "
          f"voice proxy {time.time() - started:.1f} s later ({attempts} attempt(s)), its location written on {target}")
    _answer_on_phone(phone)
    call = _call(pbx, PBX_IP, USER, "pbx", 5092)
    assert call.rc == 0, call.stdout[-2000:] + call.stderr[-2000:]


def test_the_master_killed_moves_the_vip_and_the_phone_is_still_reached_without_registering_again(lab, peers):
    phone, pbx = peers
    assert _register(phone, PASSWORD).rc == 0
    _answer_on_phone(phone)
    master = vip_holder(lab, PROXY_VIP, PROXIES)
    backup = PROXY2 if master == PROXY1 else PROXY1
    assert master in PROXIES
    killed = time.time()
    subprocess.run(["podman", "kill", master], check=True, capture_output=True)
    try:
        assert wait_for(lambda: vip_holder(lab, PROXY_VIP, [backup]) == backup, timeout=15, interval=0.2)
        moved = time.time() - killed
        # The phone did not register again: the new master finds it in the voice database.
        run = _call(pbx, PBX_IP, USER, "pbx", 5091)
        assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
        print(f"FIGURE: voice proxy master {master} killed: the VIP on {backup} {moved:.1f} s later; a call to "
              f"{USER}, registered before, reached its phone through {backup}")
        assert moved <= 5, moved
    finally:
        subprocess.run(["podman", "start", master], check=False, capture_output=True)
