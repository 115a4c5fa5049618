# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voice tiers: the voice database (the mariadb role on group voice_db), the `voice_proxy` role, and the
tiers that run the vendor's software (`voice_pbx_gateway`, `cloud_pbx_gateway`, `voice_pbx_orchestrator`,
`voice_web`).

Real SIP peers, from Debian's sip-tester (sipp): `phone` is a subscriber's
phone that registers with its digest and answers calls (lab-phone), and,
with a second address the tests give it, a stranger outside the allowed
networks. The vendor's software is in no registry reachable here: its tiers
run the lab's fixture (molecule/voice/fixture, from a signed lab repository
on `vlab`), whose gateways are sipp UAS answering OPTIONS and calls and whose
orchestrator and voice web are small HTTPS servers (the voice web writes
subscribers to the voice database); calls towards the phones are placed
with sipp from a gateway's address, as the vendor's gateways place them.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import copy_between_hosts, install_text, secret, vip_holder, wait_for

DB1, DB2, PROXY1, PROXY2, PHONE, LAB = "vdb1", "vdb2", "vproxy1", "vproxy2", "phone", "vlab"
GW1, GW2, CGW, ORCH, WEB1, WEB2 = "vgw1", "vgw2", "cgw1", "vorch", "vweb1", "vweb2"
WEBS = (WEB1, WEB2)
PROXIES = (PROXY1, PROXY2)
PROXY_VIP, DB_VIP, WEB_VIP = "10.20.21.20", "10.20.21.50", "10.20.21.45"
PROXY_LAN = {PROXY1: "10.20.21.21", PROXY2: "10.20.21.22"}
PHONE_IP, STRANGER_IP = "10.20.21.70", "10.20.21.200"
# An In-Country Node's LAN VIP (voice_proxy_icn_addresses), which the phone host takes to stand in for one.
ICN_STAND_IN = "10.20.21.80"
TRUNK_MARK = "X-Rainbow-Edge-Trunk"
VENDOR_LAN = {GW1: "10.20.21.31", GW2: "10.20.21.32", CGW: "10.20.21.35", ORCH: "10.20.21.40", WEB1: "10.20.21.41",
              WEB2: "10.20.21.42"}
# Each vendor tier: its unit (and state directory) and its account.
VENDOR_TIERS = {
    GW1: ("rainbow-edge-voice-pbx-gateway", "rainbow-edge-voice-pbx-gateway"),
    GW2: ("rainbow-edge-voice-pbx-gateway", "rainbow-edge-voice-pbx-gateway"),
    CGW: ("rainbow-edge-cloud-pbx-gateway", "rainbow-edge-cloud-pbx-gateway"),
    ORCH: ("rainbow-edge-voice-pbx-orchestrator", "rainbow-edge-pbx-orchestrator"),
    WEB1: ("rainbow-edge-voice-web", "rainbow-edge-voice-web"),
    WEB2: ("rainbow-edge-voice-web", "rainbow-edge-voice-web"),
}
# Calls from a gateway leave from its address, on a port of their own (the
# fixture's sipp holds 5060).
GATEWAY_CALLER_PORT = 5090
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
    """The phone and the first Voice Cloud PBX Gateway (the calls' other end) with the scenarios and the Edge's CA;
    the subscriber in the voice database."""
    phone, gateway = lab.host(PHONE), lab.host(GW1)
    for host in (phone, gateway):
        for name in ("register.xml", "caller.xml", "answer.xml", "options.xml"):
            install_text(host, (SIPP / name).read_text(), f"{SCENARIOS}/{name}")
    copy_between_hosts(lab, PROXY1, "/etc/kamailio/tls/ca.crt", phone, CA)
    ha1 = hashlib.md5(f"{USER}:{DOMAIN}:{PASSWORD}".encode()).hexdigest()
    _sql(lab, _primary(lab), f"REPLACE INTO subscriber (username, domain, ha1) VALUES ('{USER}', '{DOMAIN}', '{ha1}')")
    return phone, gateway


def _invites(lab, gateway: str, number: str = "") -> int:
    """The INVITEs a gateway's fixture received (over UDP) for ``number`` (any when empty)."""
    log = f"/var/lib/{VENDOR_TIERS[gateway][0]}/sip-udp.log"
    out = lab.host(gateway).run(f"grep -c '^INVITE sip:{number}' {log}")
    return int(out.stdout.strip() or 0)


def _dispatcher_flags(lab, proxy: str) -> dict[str, str]:
    """{gateway address: its state in ``proxy``'s dispatcher (A active, I inactive, P probing)}."""
    out = lab.host(proxy).check_output("kamcmd -s unix:/run/kamailio/kamailio_ctl dispatcher.list")
    return dict(re.findall(r"URI: sip:([\d.]+):\d+\s+FLAGS: (\w+)", out))


def _register(phone, password: str, port: int = PHONE_PORT, user: str = USER):
    """One registration of the phone's contact on ``port`` (rc 0: accepted); the phone stops answering there
    meanwhile (one socket per port)."""
    if port == PHONE_PORT:
        phone.run("systemctl stop lab-phone; systemctl reset-failed lab-phone")
    return phone.run(f"timeout 30 /usr/bin/sipp {PROXY_VIP}:5060 -sf {SCENARIOS}/register.xml -s {user} "
                     f"-au {user} -ap {password} -i {PHONE_IP} -p {port} -m 1 -nostdin -timeout 10s -timeout_error")


def _web(phone, method: str, path: str, body: str = "") -> dict:
    """The voice web's answer at its VIP, over HTTPS verified with the Edge's CA (the JSON it returns)."""
    data = f"-H 'Content-Type: application/json' --data '{body}'" if body else ""
    return json.loads(phone.check_output(f"curl -sf --max-time 10 --cacert {CA} -X {method} {data} "
                                         f"https://{WEB_VIP}:8443{path}"))


def _answer_on_phone(phone) -> None:
    phone.run("rm -f /var/log/lab-phone.log")
    _service(phone, "lab-phone", f"/usr/bin/sipp -sf {SCENARIOS}/answer.xml -i {PHONE_IP} -p {PHONE_PORT} -nostdin "
                                 "-trace_msg -message_file /var/log/lab-phone.log")


def _call(host, source: str, number: str, caller: str, port: int, credentials: str = "", timeout: int = 20,
          scenario: str = "caller.xml"):
    """One call from ``source`` through the proxy's VIP to ``number``, held 1 s (rc 0: it completed)."""
    return host.run(f"timeout {timeout + 10} /usr/bin/sipp {PROXY_VIP}:5060 -sf {SCENARIOS}/{scenario} -s {number} "
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
    phone, _gateway = peers
    run = _register(phone, PASSWORD)
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    contact = f"sip:{USER}@{PHONE_IP}:{PHONE_PORT}"
    # Written by the proxy to the primary, replicated to the replica.
    for server in (DB1, DB2):
        assert wait_for(lambda s=server: contact in _locations(lab, s, USER), timeout=10), (server, contact)
    print(f"FIGURE: {USER} registered through the VIP {PROXY_VIP}; its location {contact} on both voice database "
          "servers")


def test_a_wrong_password_gets_no_registration(lab, peers):
    phone, _gateway = peers
    run = _register(phone, "not-" + PASSWORD, port=5081)
    assert run.rc != 0
    assert not any(f":{5081}" in contact for contact in _locations(lab, _primary(lab), USER))


def test_a_gateway_calls_the_registered_phone_through_the_vip(lab, peers):
    phone, gateway = peers
    assert _register(phone, PASSWORD).rc == 0
    _answer_on_phone(phone)
    run = _call(gateway, VENDOR_LAN[GW1], USER, "pbx", GATEWAY_CALLER_PORT)
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    received = phone.check_output("cat /var/log/lab-phone.log")
    assert f"INVITE sip:{USER}@{PHONE_IP}:{PHONE_PORT}" in received, received[-2000:]


def test_a_phone_calls_a_number_nobody_registered_and_a_pbx_gateway_answers(lab, peers):
    phone, _gateway = peers
    run = _call(phone, PHONE_IP, "5551234", USER, 5082, f"-au {USER} -ap {PASSWORD}")
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert _invites(lab, GW1, "5551234") + _invites(lab, GW2, "5551234") == 1


def test_calls_to_numbers_nobody_registered_go_to_the_voice_pbx_gateways_in_turn(lab, peers):
    phone, _gateway = peers
    before = {gateway: _invites(lab, gateway) for gateway in (GW1, GW2)}
    for attempt in range(4):
        run = _call(phone, PHONE_IP, f"555700{attempt}", USER, 5086, f"-au {USER} -ap {PASSWORD}")
        assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    got = {gateway: _invites(lab, gateway) - before[gateway] for gateway in (GW1, GW2)}
    print(f"FIGURE: 4 calls to numbers nobody registered, dispatched to the hosts of group voice_pbx_gateway: {got}")
    assert got == {GW1: 2, GW2: 2}, got
    # The Cloud PBX Gateway is not the voice proxies' (it is the orchestrator's).
    assert _invites(lab, CGW) == 0
    # The calls left from the VIP, not from the member's own address (its first UDP socket, the probes'):
    # Record-Route names the VIP only, so the other member can take the dialog over.
    routed = set()
    for gateway in (GW1, GW2):
        log = lab.host(gateway).check_output(f"cat /var/lib/{VENDOR_TIERS[gateway][0]}/sip-udp.log")
        routed |= set(re.findall(r"^Record-Route: <sip:([\d.]+)", log, re.M))
    assert routed == {PROXY_VIP}, routed


def test_a_trunk_call_marked_by_an_in_country_node_reaches_a_gateway_without_a_digest_and_only_from_it(lab, peers):
    phone, _gateway = peers
    # caller.xml whose INVITE carries the mark an In-Country Node puts on a trunk's call.
    marked = (SIPP / "caller.xml").read_text().replace(
        "Max-Forwards: 70\n", f"Max-Forwards: 70\n      {TRUNK_MARK}: 198.51.100.240\n", 1)
    install_text(phone, marked, f"{SCENARIOS}/trunk_caller.xml")
    phone.run(f"ip addr add {ICN_STAND_IN}/24 dev eth0")
    try:
        # Marked, but not from an In-Country Node: challenged, and without a digest it reaches no gateway.
        assert _call(phone, PHONE_IP, "5556001", "carrier", 5096, timeout=8, scenario="trunk_caller.xml").rc != 0
        # From an In-Country Node but not marked: a subscriber's call like any other, challenged.
        assert _call(phone, ICN_STAND_IN, "5556002", "carrier", 5097, timeout=8).rc != 0
        # Marked, from an In-Country Node: the carrier's call goes to a gateway.
        call = _call(phone, ICN_STAND_IN, "5556003", "carrier", 5098, scenario="trunk_caller.xml")
        assert call.rc == 0, call.stdout[-2000:] + call.stderr[-2000:]
    finally:
        phone.run(f"ip addr del {ICN_STAND_IN}/24 dev eth0")
    reached = {number: sum(_invites(lab, gateway, number) for gateway in (GW1, GW2))
               for number in ("5556001", "5556002", "5556003")}
    assert reached == {"5556001": 0, "5556002": 0, "5556003": 1}, reached
    # The mark goes no further than the proxy.
    for gateway in (GW1, GW2):
        log = f"/var/lib/{VENDOR_TIERS[gateway][0]}/sip-udp.log"
        assert lab.host(gateway).run(f"grep -ci '^{TRUNK_MARK}' {log}").stdout.strip() == "0"


def test_a_call_without_the_subscriber_digest_reaches_no_gateway(lab, peers):
    phone, _gateway = peers
    run = _call(phone, PHONE_IP, "5559876", USER, 5083, f"-au {USER} -ap not-{PASSWORD}", timeout=8)
    assert run.rc != 0
    assert _invites(lab, GW1, "5559876") + _invites(lab, GW2, "5559876") == 0


def test_sip_from_outside_the_allowed_networks_gets_no_answer(lab, peers):
    phone, _gateway = peers
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
    phone, _gateway = peers
    out = phone.run(f"echo | timeout 10 openssl s_client -connect {PROXY_VIP}:5061 -CAfile {CA} -tls1_2 -brief")
    assert "Verification: OK" in out.stdout + out.stderr, out.stdout + out.stderr


def test_kamailio_metrics_count_the_registrations_and_the_database_errors(lab, peers):
    accepted, errors = 0, 0
    for proxy in PROXIES:
        text = lab.host(LAB).check_output(f"curl -sf http://{PROXY_LAN[proxy]}:9495/metrics")
        accepted += int(re.search(r"^kamailio_registrar_accepted_regs (\d+)", text, re.M).group(1))
        errors += int(re.search(r"^kamailio_mysql_driver_errors (\d+)", text, re.M).group(1))
    # The phone's registrations so far (the tests above), all on the VIP's holder; no database error.
    assert accepted >= 2 and errors == 0, (accepted, errors)


def test_kamailio_restarts_cleanly_with_sip_over_tls_beside_tls_to_the_database(lab, peers):
    """The tls module and the TLS connections to the voice database in one kamailio: Debian 12's 5.6 freed
    OpenSSL's memory twice in 8 of 10 starts (hence voice_proxy_sip_tls: false there); here ten restarts of the
    backup member each come up and log no memory error."""
    probe = lab.host(LAB)
    backup = next(name for name in PROXIES if name != vip_holder(lab, PROXY_VIP, PROXIES))
    host = lab.host(backup)
    metrics = f"curl -sf -o /dev/null http://{PROXY_LAN[backup]}:9495/metrics"
    for attempt in range(10):
        since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
        time.sleep(1)
        # Past systemd's start rate limit (5 starts in 10 s), which is not kamailio's doing.
        host.run("systemctl reset-failed kamailio")
        assert host.run("systemctl restart kamailio").rc == 0, attempt
        assert wait_for(lambda: probe.run(metrics).rc == 0, timeout=10), attempt
        journal = host.check_output(f"journalctl -u kamailio --since '{since}' --no-pager")
        assert not re.search(r"BUG:|exited by a signal|TLS/SSL error", journal), (attempt, journal[-2000:])


def test_bad_inputs_stop_in_the_input_check_with_every_problem(lab):
    bad = ('{"voice_proxy_allowed_cidrs": ["phones"], "voice_proxy_vip": "10.30.0.1", '
           '"voice_proxy_pbx_gateways": ["pbx.example"]}')
    run = lab.playbook("voice_proxy", "-e", bad)
    texts = run.refusal("Refuse the run with every problem kept by the input checks", list(PROXIES))
    for text in texts.values():
        assert "voice_proxy_allowed_cidrs: expected IPv4 networks" in text, text
        assert "voice_proxy_vip 10.30.0.1 is outside its network 10.20.0.0/16" in text, text
        assert "voice_proxy_pbx_gateways: expected \"address\" or \"address:port\"" in text, text
        assert secret("voice_sql_password") not in text


@pytest.mark.parametrize("name", [GW1, GW2, CGW, ORCH, WEB1, WEB2])
def test_each_vendor_tier_runs_its_package_from_the_signed_repository_under_its_hardened_unit(lab, name):
    host = lab.host(name)
    unit, account = VENDOR_TIERS[name]
    policy = host.check_output("apt-cache policy rainbow-voice-fixture")
    assert "http://10.20.21.60/" in policy and "Installed: 1.0.0" in policy, policy
    source = host.check_output(f"cat /etc/apt/sources.list.d/{unit}.sources")
    assert "Signed-By: /etc/apt/keyrings/" in source and "Trusted" not in source, source
    shown = dict(line.split("=", 1) for line in host.check_output(
        f"systemctl show {unit} -p ActiveState -p User -p NoNewPrivileges -p ProtectSystem -p CapabilityBoundingSet "
        "-p MemoryDenyWriteExecute -p PrivateTmp").splitlines())
    assert shown["ActiveState"] == "active" and shown["User"] == account, shown
    assert shown["NoNewPrivileges"] == "yes" and shown["ProtectSystem"] == "strict", shown
    assert shown["MemoryDenyWriteExecute"] == "yes" and shown["PrivateTmp"] == "yes", shown
    assert shown["CapabilityBoundingSet"] == "", shown
    config = host.file(f"/etc/{unit}/config.json")
    assert (config.user, config.group, config.mode) == ("root", account, 0o640)
    data = json.loads(config.content_string)
    assert data["listen"]["address"] == VENDOR_LAN[name], data
    if name in WEBS:
        assert data["settings"] == {"sip_domain": DOMAIN} and data["listen"]["vip"] == WEB_VIP, data
        assert data["voice_db"]["address"] == DB_VIP and data["voice_db"]["user"] == "voice_web", data
    else:
        assert data["settings"] == {"lab_setting": "passed whole", "codecs": ["PCMU"]}, data
    if name in (GW1, GW2, CGW):
        assert data["voice_proxy"] == {"address": PROXY_VIP, "port": 5060}, data
    text = lab.host(LAB).check_output(f"curl -sf http://{VENDOR_LAN[name]}:9480/metrics")
    assert "rainbow_voice_fixture_up" in text, text


def test_both_proxies_see_the_gateways_active_and_a_stopped_gateway_leaves_the_rotation_until_it_is_back(lab, peers):
    phone, _gateway = peers
    gateways = {VENDOR_LAN[GW1], VENDOR_LAN[GW2]}
    # Each member probes from its own address and hears its own answers, the backup too.
    for proxy in PROXIES:
        flags = _dispatcher_flags(lab, proxy)
        assert set(flags) == gateways and all(flag.startswith("A") for flag in flags.values()), (proxy, flags)
    master = vip_holder(lab, PROXY_VIP, PROXIES)
    unit = VENDOR_TIERS[GW1][0]
    stopped = time.time()
    lab.host(GW1).check_output(f"systemctl stop {unit}")
    try:
        assert wait_for(lambda: _dispatcher_flags(lab, master)[VENDOR_LAN[GW1]].startswith("I"), timeout=20,
                        interval=0.2)
        out_after = time.time() - stopped
        before = _invites(lab, GW2)
        setups = []
        for attempt in range(3):
            started = time.time()
            run = _call(phone, PHONE_IP, f"555800{attempt}", USER, 5088, f"-au {USER} -ap {PASSWORD}")
            setups.append(round(time.time() - started, 1))
            assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
        assert _invites(lab, GW2) - before == 3
    finally:
        lab.host(GW1).check_output(f"systemctl start {unit}")
    restarted = time.time()
    assert wait_for(lambda: _dispatcher_flags(lab, master)[VENDOR_LAN[GW1]].startswith("A"), timeout=20,
                    interval=0.2)
    back_after = time.time() - restarted
    print(f"FIGURE: {GW1} stopped: out of {master}'s rotation {out_after:.1f} s later (probes each 2 s); 3 calls "
          f"meanwhile answered by {GW2} in {setups} s (each held 1 s); back {back_after:.1f} s after its start")


def test_the_orchestrator_lists_every_gateway_over_https_verified_with_the_edge_ca(lab, peers):
    phone, _gateway = peers
    out = phone.check_output(f"curl -sf --cacert {CA} https://{VENDOR_LAN[ORCH]}:8443/gateways")
    listed = {entry["name"]: (entry["tier"], entry["address"], entry["metrics_up"]) for entry in json.loads(out)}
    assert listed == {GW1: ("voice_pbx_gateway", VENDOR_LAN[GW1], True),
                      GW2: ("voice_pbx_gateway", VENDOR_LAN[GW2], True),
                      CGW: ("cloud_pbx_gateway", VENDOR_LAN[CGW], True)}, listed


def test_the_vendor_tiers_answer_the_allowed_networks_only(lab, peers):
    phone, _gateway = peers
    options = (f"timeout 20 /usr/bin/sipp {VENDOR_LAN[CGW]}:5060 -sf {SCENARIOS}/options.xml -s lab -m 1 -nostdin "
               "-timeout 6s -timeout_error")
    assert phone.run(f"{options} -i {PHONE_IP} -p 5093").rc == 0
    phone.run(f"ip addr add {STRANGER_IP}/24 dev eth0")
    try:
        assert phone.run(f"{options} -i {STRANGER_IP} -p 5094").rc != 0
        scans = {}
        for source in (PHONE_IP, STRANGER_IP):
            out = phone.check_output(f"nmap -Pn -n -sS -e eth0 -S {source} --max-retries 1 -p 8443,9480 "
                                     f"{VENDOR_LAN[ORCH]}")
            scans[source] = dict(re.findall(r"^(\d+)/tcp\s+(\S+)", out, re.M))
    finally:
        phone.run(f"ip addr del {STRANGER_IP}/24 dev eth0")
    print(f"FIGURE: the orchestrator's HTTPS and metrics ports seen from a phone and from a stranger: {scans}")
    assert scans[PHONE_IP] == {"8443": "open", "9480": "open"}, scans
    assert scans[STRANGER_IP] == {"8443": "filtered", "9480": "open"}, scans


def test_bad_vendor_tier_inputs_stop_in_the_input_check_with_every_problem(lab):
    bad = ('{"voice_pbx_gateway_allowed_cidrs": ["trunks"], "voice_pbx_gateway_rtp_port_min": 5000, '
           '"voice_pbx_gateway_rtp_port_max": 6000, "voice_pbx_gateway_command": "gateway --foreground", '
           '"voice_pbx_gateway_apt_signing_key_fingerprint": "0000000000000000000000000000000000000000", '
           '"voice_web_vip": "10.30.0.1", "voice_web_sql_password": ""}')
    # Any voice tier's playbook checks every voice tier: the voice web's problems stop the PBX gateways' run too.
    run = lab.playbook("voice_pbx", "-e", bad)
    task = "Refuse the run with every problem kept by the input checks"
    texts = run.refusal(task, [GW1, GW2])
    for text in texts.values():
        assert "voice_pbx_gateway_allowed_cidrs: expected IPv4 networks in CIDR form; not networks: ['trunks']" in text
        assert "the RTP range 5000-6000 holds port(s) [5060]" in text, text
        assert "voice_pbx_gateway_command: expected the absolute path" in text, text
        assert "not the pinned 0000000000000000000000000000000000000000" in text, text
    for text in run.refusal(task, list(WEBS)).values():
        assert "voice_web_vip 10.30.0.1 is outside its network 10.20.0.0/16 (voice_web_lan_cidr)" in text, text
        assert "voice_web_sql_password: empty" in text, text
        assert secret("voice_web_sql_password") not in text


def test_a_subscriber_written_through_the_voice_web_vip_registers_with_the_voice_proxy(lab, peers):
    phone, _gateway = peers
    master = vip_holder(lab, WEB_VIP, WEBS)
    assert master == WEB1, master
    assert _web(phone, "GET", "/healthz") == {"server": WEB1, "database": "ok"}
    written = _web(phone, "PUT", "/subscribers/bob", '{"password": "lab-bob-digest-secret"}')
    assert written == {"username": "bob", "domain": DOMAIN, "server": WEB1}, written
    # In the voice database, as its digest only, and the phone registers with it through the voice proxy.
    rows = _sql(lab, _primary(lab), "SELECT domain, password, ha1 FROM subscriber WHERE username = 'bob'")
    ha1 = hashlib.md5(f"bob:{DOMAIN}:lab-bob-digest-secret".encode()).hexdigest()
    assert rows == [[DOMAIN, "", ha1]], rows
    assert _register(phone, "wrong-secret", port=5089, user="bob").rc != 0
    assert _register(phone, "lab-bob-digest-secret", port=5089, user="bob").rc == 0
    assert wait_for(lambda: any(":5089" in c for c in _locations(lab, _primary(lab), "bob")), timeout=10)
    # The voice web's account reads and writes rows of the voice database only: no schema change, nothing global.
    grants = lab.host(DB1).check_output("mariadb -N -e \"SHOW GRANTS FOR 'voice_web'@'10.20.21.41'\"").splitlines()
    assert [line.split(" TO ")[0] for line in grants] == [
        "GRANT USAGE ON *.*", "GRANT SELECT, INSERT, UPDATE, DELETE ON `kamailio`.*"], grants


def test_the_voice_web_master_stopped_moves_its_vip_and_the_other_member_writes_subscribers(lab, peers):
    phone, _gateway = peers
    master = vip_holder(lab, WEB_VIP, WEBS)
    backup = WEB2 if master == WEB1 else WEB1
    assert master in WEBS
    stopped = time.time()
    lab.host(master).check_output("systemctl stop rainbow-edge-voice-web")
    try:
        assert wait_for(lambda: vip_holder(lab, WEB_VIP, WEBS) == backup, timeout=15, interval=0.2)
        moved = time.time() - stopped
        health = f"curl -sf --max-time 3 --cacert {CA} https://{WEB_VIP}:8443/healthz"
        assert wait_for(lambda: phone.run(health).rc == 0, timeout=10, interval=0.2)
        answered = time.time() - stopped
        written = _web(phone, "PUT", "/subscribers/carol", '{"password": "lab-carol-digest-secret"}')
        assert written["server"] == backup, written
        assert _web(phone, "GET", "/subscribers/carol") == {"username": "carol", "domain": DOMAIN}
        print(f"FIGURE: voice web master {master} stopped: its VIP on {backup} {moved:.1f} s later, HTTPS answered "
              f"there {answered:.1f} s after the stop; a subscriber written through the VIP by {backup}")
        assert moved <= 5, moved
    finally:
        lab.host(master).run("systemctl start rainbow-edge-voice-web")
    # Back, it leaves the VIP where it is (no preemption: no second move).
    assert wait_for(lambda: lab.host(master).service("rainbow-edge-voice-web").is_running, timeout=20)
    time.sleep(4)
    assert vip_holder(lab, WEB_VIP, WEBS) == backup


def test_a_switchover_of_the_voice_database_keeps_the_locations_and_the_proxies_follow_its_vip(lab, peers):
    phone, gateway = peers
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
    call = _call(gateway, VENDOR_LAN[GW1], USER, "pbx", GATEWAY_CALLER_PORT + 2)
    assert call.rc == 0, call.stdout[-2000:] + call.stderr[-2000:]


def test_the_master_killed_moves_the_vip_and_the_phone_is_still_reached_without_registering_again(lab, peers):
    phone, gateway = peers
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
        run = _call(gateway, VENDOR_LAN[GW1], USER, "pbx", GATEWAY_CALLER_PORT + 1)
        assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
        # The new master dispatches at once: it heard its own probes' answers before.
        flags = _dispatcher_flags(lab, backup)
        assert all(flag.startswith("A") for flag in flags.values()), flags
        call = _call(phone, PHONE_IP, "5558888", USER, 5087, f"-au {USER} -ap {PASSWORD}")
        assert call.rc == 0, call.stdout[-2000:] + call.stderr[-2000:]
        print(f"FIGURE: voice proxy master {master} killed: the VIP on {backup} {moved:.1f} s later; a call to "
              f"{USER}, registered before, reached its phone through {backup}, and a call to a number nobody "
              "registered reached a gateway at once")
        assert moved <= 5, moved
    finally:
        subprocess.run(["podman", "start", master], check=False, capture_output=True)
