# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `icn` role: the In-Country Nodes between SIP trunks and phones on the WAN and the voice tiers on the LAN.

Real SIP peers, from Debian's sip-tester (sipp): `trunk` (WAN) is a carrier's
SIP trunk calling in, answering outbound calls (lab-trunk-uas), and, with a
second and third address the tests give it, a phone and a stranger;
`voice-lan` (LAN) is the stand-in for the voice tiers (lab-voice-uas),
answering calls with G.711 audio and registrations. Media flows both ways:
the callers echo what they receive (sipp -rtp_echo).
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import copy_between_hosts, install_text, wait_for

ICN1, ICN2, TRUNK, VOICE = "icn1", "icn2", "trunk", "voice-lan"
LAN_VIP, WAN_VIP = "10.20.20.20", "198.51.100.230"
ICN_LAN = {ICN1: "10.20.20.21", ICN2: "10.20.20.22"}
TRUNK_IP, PHONE_IP, STRANGER_IP = "198.51.100.240", "198.51.100.249", "198.51.100.236"
VOICE_IP = "10.20.20.50"
SIPP = Path(__file__).resolve().parents[1] / "sipp"
SCENARIOS = "/etc/lab-sipp"
CA = "/etc/lab-sipp/ca.crt"


def _service(host, unit: str, command: str) -> None:
    """A lab peer as a transient unit (its console output thrown away: sipp draws a screen)."""
    host.run(f"systemctl stop {unit}; systemctl reset-failed {unit}")
    host.check_output(f"systemd-run --unit {unit} --property StandardOutput=null {command}")
    assert wait_for(lambda: host.service(unit).is_running, timeout=10)


@pytest.fixture(scope="module")
def peers(lab):
    """Both peers with the scenarios; the trunk with its phone's and stranger's addresses; the two stand-ins
    answering."""
    trunk, voice = lab.host(TRUNK), lab.host(VOICE)
    for host in (trunk, voice):
        for name in ("caller.xml", "voice_uas.xml", "trunk_uas.xml", "register.xml"):
            install_text(host, (SIPP / name).read_text(), f"{SCENARIOS}/{name}")
    for address in (PHONE_IP, STRANGER_IP):
        trunk.run(f"ip addr add {address}/27 dev eth0")
    copy_between_hosts(lab, ICN1, "/etc/kamailio/tls/ca.crt", trunk, CA)
    voice.run("rm -f /var/log/lab-voice-uas.log")
    _service(voice, "lab-voice-uas", f"/usr/bin/sipp -sf {SCENARIOS}/voice_uas.xml -i {VOICE_IP} -p 5060 "
                                     f"-mi {VOICE_IP} -mp 20000 -nostdin -trace_msg "
                                     "-message_file /var/log/lab-voice-uas.log")
    trunk.run("rm -f /var/log/lab-trunk-uas.log")
    _service(trunk, "lab-trunk-uas", f"/usr/bin/sipp -sf {SCENARIOS}/trunk_uas.xml -i {TRUNK_IP} -p 5060 "
                                     f"-mi {TRUNK_IP} -mp 22000 -rtp_echo -nostdin -trace_msg "
                                     "-message_file /var/log/lab-trunk-uas.log")
    return trunk, voice


def _call(host, source: str, target: str, log: str, calls: int = 1, rate: float = 1, hold_ms: int = 5000,
          port: int = 5070, media_port: int = 40000, timeout: int = 60):
    """sipp's caller: ``calls`` calls at ``rate`` per second from ``source``, each held ``hold_ms`` with media
    echoed; its message log in ``log``. Returns the run (rc 0: every call completed)."""
    host.run(f"rm -f {log}")
    return host.run(f"timeout {timeout + 10} /usr/bin/sipp {target}:5060 -sf {SCENARIOS}/caller.xml -s 1000 "
                    f"-i {source} -p {port} -mi {source} -mp {media_port} -rtp_echo -m {calls} -r {rate} "
                    f"-d {hold_ms} -nostdin -timeout {timeout}s -timeout_error -trace_msg -message_file {log} "
                    f"-trace_stat -stf {log}.csv")


def _start_call(host, unit: str, source: str, port: int, media_port: int, hold_ms: int, log: str = "") -> None:
    """One call from ``source`` to the WAN VIP, held ``hold_ms`` with media echoed, run by sipp as a transient
    unit that stays after it exits (its exit status is the call's); its messages in ``log`` when given."""
    host.run(f"systemctl stop {unit}; systemctl reset-failed {unit}")
    trace = ""
    if log:
        host.run(f"rm -f {log}")
        trace = f" -trace_msg -message_file {log}"
    host.check_output(
        f"systemd-run --unit {unit} --remain-after-exit --property StandardOutput=null /usr/bin/sipp "
        f"{WAN_VIP}:5060 -sf {SCENARIOS}/caller.xml -s 1000 -i {source} -p {port} -mi {source} -mp {media_port} "
        f"-rtp_echo -m 1 -d {hold_ms} -nostdin -timeout {hold_ms // 1000 + 90}s -timeout_error{trace}")


def _call_status(host, unit: str, timeout: float) -> str:
    """The exit status of the call ``unit`` runs, once it has ended."""
    assert wait_for(lambda: host.check_output(f"systemctl show -p SubState --value {unit}") == "exited",
                    timeout=timeout, interval=1), host.check_output(f"systemctl status {unit} | tail -n 5")
    return host.check_output(f"systemctl show -p ExecMainStatus --value {unit}")


def _messages(host, log: str) -> list[str]:
    """The SIP messages of a sipp message log, each as text (a log truncated while sipp writes it starts with a
    hole of NULs, dropped)."""
    text = host.check_output(f"cat {log}").replace("\x00", "")
    return [part.strip() for part in re.split(r"(?:^|\n)-{5,}[^\n]*\n", text) if part.strip()]


def _sdp_addresses(message: str) -> set[str]:
    return set(re.findall(r"^[co]=IN IP4 (\S+)", message, re.M) + re.findall(r"^c=IN IP4 (\S+)", message, re.M))


def _holder(lab, vip: str) -> str | None:
    """The member holding ``vip`` now (a member that is down holds nothing); None when none or both do."""
    holders = []
    for member in (ICN1, ICN2):
        addresses = lab.host(member).run("ip -o -4 addr show")
        if addresses.rc == 0 and f" {vip}/" in addresses.stdout:
            holders.append(member)
    return holders[0] if len(holders) == 1 else None


def _media_ports(icn, call_id: str) -> list[tuple[str, str, int]]:
    """(local, remote, packets received) of each RTP port rtpengine holds for the call (RTCP left out)."""
    text = icn.check_output(f"rtpengine-ctl list sessions {call_id}")
    return [(local, remote, int(packets)) for local, remote, packets in re.findall(
        r"^-+ Port\s+(\S+) <>\s+(\S+), SSRC \S+, (\d+) p,", text, re.M)]


def _cpu_seconds(icn) -> dict[str, float]:
    """CPU seconds used so far by kamailio's processes and rtpengine's (user and system, from /proc)."""
    used: dict[str, float] = {}
    for name in ("kamailio", "rtpengine"):
        ticks = icn.check_output(f"for pid in $(pgrep -x {name}); do cut -d' ' -f14,15 /proc/$pid/stat; done")
        used[name] = sum(int(value) for value in ticks.split()) / 100  # USER_HZ
    return used


def test_both_vips_are_on_one_member_and_both_daemons_run_on_both_members(lab):
    # One sync group: whichever member won the first election holds both VIPs.
    master = _holder(lab, WAN_VIP)
    assert master in (ICN1, ICN2) and _holder(lab, LAN_VIP) == master, (master, _holder(lab, LAN_VIP))
    for name in (ICN1, ICN2):
        host = lab.host(name)
        for unit in ("kamailio", "rtpengine-daemon", "keepalived"):
            assert host.service(unit).is_running and host.service(unit).is_enabled, (name, unit)


def test_a_trunk_call_reaches_the_lan_with_media_relayed_both_ways_and_each_side_sees_only_its_own_addresses(
        lab, peers):
    trunk, voice = peers
    icn = lab.host(_holder(lab, WAN_VIP))
    voice.run("truncate -s 0 /var/log/lab-voice-uas.log")
    log = "/tmp/lab-call-in.log"
    _start_call(trunk, "lab-call-in", TRUNK_IP, 5070, 40000, 8000, log)
    # During the call: rtpengine's ports of it, each side's, and the packets each received.
    call_id = wait_for(lambda: re.search(r"^ID:\s+(\S+@" + re.escape(TRUNK_IP) + r") \| del:n",
                                         icn.check_output("rtpengine-ctl list sessions all"), re.M), timeout=10)
    time.sleep(4)
    ports = _media_ports(icn, call_id.group(1))
    assert _call_status(trunk, "lab-call-in", 30) == "0", trunk.check_output(f"tail -n 40 {log}")
    print(f"FIGURE: a trunk's call through the WAN VIP, 4 s into it, rtpengine's ports (local <> remote, packets "
          f"received): {ports}")
    sides = {local.rsplit(":", 1)[0]: (remote.rsplit(":", 1)[0], packets) for local, remote, packets in ports}
    assert set(sides) == {WAN_VIP, LAN_VIP}, ports
    assert sides[WAN_VIP][0] == TRUNK_IP and sides[LAN_VIP][0] == VOICE_IP, ports
    # Media both ways: the voice tier's audio in on the LAN side, the trunk's echo of it in on the WAN side.
    assert sides[LAN_VIP][1] >= 100 and sides[WAN_VIP][1] >= 100, ports
    # What the trunk received: the WAN VIP in the SDP, and no address of the LAN anywhere (topology hiding).
    seen_by_trunk = [m for m in _messages(trunk, log) if "message received" in m.split("\n", 1)[0]]
    answer = [m for m in seen_by_trunk if "SIP/2.0 200 OK" in m and "application/sdp" in m]
    assert answer, seen_by_trunk
    assert _sdp_addresses(answer[0]) == {WAN_VIP}, answer[0]
    assert not any("10.20." in m for m in seen_by_trunk), seen_by_trunk
    # What the voice tier received: the LAN VIP in the offer's SDP, no WAN address in it.
    offer = [m for m in _messages(voice, "/var/log/lab-voice-uas.log")
             if "message received" in m.split("\n", 1)[0] and "INVITE sip:" in m]
    assert offer, "no INVITE reached the voice tier"
    assert _sdp_addresses(offer[0]) == {LAN_VIP}, offer[0]
    # The trunk's mark, which the voice proxies trust from the LAN VIP only: this node's, the caller's forged one
    # stripped.
    assert _trunk_marks(offer[0]) == [TRUNK_IP], offer[0]


def _trunk_marks(message: str) -> list[str]:
    """The values of the trunk mark (X-Rainbow-Edge-Trunk) in a SIP message."""
    return re.findall(r"^X-Rainbow-Edge-Trunk:\s*(\S+)", message, re.M | re.I)


def test_a_phone_s_call_reaches_the_lan_without_the_trunk_mark_it_forged(lab, peers):
    trunk, voice = peers
    voice.run("truncate -s 0 /var/log/lab-voice-uas.log")
    run = _call(trunk, PHONE_IP, WAN_VIP, "/tmp/lab-call-phone.log", port=5075, media_port=43000, hold_ms=1000)
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]

    def offers() -> list[str]:
        return [m for m in _messages(voice, "/var/log/lab-voice-uas.log")
                if "message received" in m.split("\n", 1)[0] and "INVITE sip:" in m]
    # sipp writes its message log a little after the call.
    offer = wait_for(offers, timeout=15)
    assert offer, "no INVITE reached the voice tier"
    assert "forged-by-the-caller" in lab.host(TRUNK).check_output("cat /tmp/lab-call-phone.log")
    assert _trunk_marks(offer[0]) == [], offer[0]


def test_a_call_from_the_lan_goes_out_through_the_trunk(lab, peers):
    trunk, voice = peers
    trunk.run("truncate -s 0 /var/log/lab-trunk-uas.log")
    run = _call(voice, VOICE_IP, LAN_VIP, "/tmp/lab-call-out.log", port=5070, media_port=41000)
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    seen_by_trunk = [m for m in _messages(trunk, "/var/log/lab-trunk-uas.log")
                     if "message received" in m.split("\n", 1)[0]]
    offer = [m for m in seen_by_trunk if "INVITE sip:" in m and "application/sdp" in m]
    assert offer, seen_by_trunk
    assert _sdp_addresses(offer[0]) == {WAN_VIP}, offer[0]
    # Nothing the trunk received names the LAN: not the URI, From, To, Call-ID, Via, Record-Route or Contact.
    assert not any("10.20." in m for m in seen_by_trunk), seen_by_trunk
    assert f"INVITE sip:1000@{TRUNK_IP}:5060 " in offer[0], offer[0]
    # No trunk mark leaves towards the carriers (the LAN caller's forged one stripped).
    assert _trunk_marks(offer[0]) == [], offer[0]


def test_kamailio_serves_tls_1_2_or_later_with_the_edge_ca_certificate_on_the_wan_vip(peers):
    trunk, _voice = peers
    out = trunk.run(f"echo | timeout 10 openssl s_client -connect {WAN_VIP}:5061 -CAfile {CA} -tls1_2 -brief")
    assert "Verification: OK" in out.stdout + out.stderr, out.stdout + out.stderr
    old = trunk.run(f"echo | timeout 10 openssl s_client -connect {WAN_VIP}:5061 -tls1_1 -brief")
    assert old.rc != 0


def test_sip_from_a_network_that_is_neither_a_trunk_nor_a_phone_gets_no_answer(lab, peers):
    trunk, _voice = peers
    run = _call(trunk, STRANGER_IP, WAN_VIP, "/tmp/lab-call-stranger.log", port=5072, media_port=42000, timeout=8)
    assert run.rc != 0
    received = [m for m in _messages(trunk, "/tmp/lab-call-stranger.log")
                if "message received" in m.split("\n", 1)[0]] if trunk.file("/tmp/lab-call-stranger.log").exists else []
    assert received == [], received
    # Nor do the TCP ports: SIP and TLS are open to the trunk's address, filtered for the stranger's.
    scans = {}
    for source in (TRUNK_IP, STRANGER_IP):
        out = trunk.check_output(f"nmap -Pn -n -sS -e eth0 -S {source} --max-retries 1 -p 5060,5061 {WAN_VIP}")
        scans[source] = dict(re.findall(r"^(\d+)/tcp\s+(\S+)", out, re.M))
    print(f"FIGURE: SIP and TLS ports of the WAN VIP seen from the trunk's address and a stranger's: {scans}")
    assert scans[TRUNK_IP] == {"5060": "open", "5061": "open"}, scans
    assert scans[STRANGER_IP] == {"5060": "filtered", "5061": "filtered"}, scans


def _register(host, count: int, rate: int, port: int) -> dict:
    """``count`` registrations from the phone's address at ``rate`` per second; sipp's final counters."""
    stats = f"/tmp/lab-register-{port}.csv"
    host.run(f"rm -f {stats}")
    host.run(f"timeout 60 /usr/bin/sipp {WAN_VIP}:5060 -sf {SCENARIOS}/register.xml -i {PHONE_IP} -p {port} "
             f"-m {count} -r {rate} -nostdin -timeout 40s -trace_stat -stf {stats}")
    rows = host.check_output(f"cat {stats}").splitlines()
    header, last = rows[0].split(";"), rows[-1].split(";")
    values = dict(zip(header, last))
    return {"sent": count, "answered": int(values["SuccessfulCall(C)"]), "failed": int(values["FailedCall(C)"])}


def test_a_registration_flood_from_a_phone_is_throttled_and_the_phone_registers_once_it_calms_down(peers):
    trunk, _voice = peers
    flood = _register(trunk, 300, 100, 5073)
    print(f"FIGURE: registration flood from a phone, 300 REGISTERs at 100/s: {flood['answered']} answered, "
          f"{flood['failed']} unanswered (pike: 30 per 2 s)")
    assert 1 <= flood["answered"] <= 75, flood
    time.sleep(10)  # pike's remove latency (4 s) and a sampling period after the flood
    calm = _register(trunk, 3, 1, 5074)
    assert calm["answered"] == 3, calm


def _dialogs(host) -> set[str]:
    """The Call-IDs of the trunk's calls kamailio holds dialogs of (kamcmd, its control socket)."""
    return set(re.findall(r"call-id: (\S+@" + re.escape(TRUNK_IP) + ")", host.check_output("kamcmd dlg.list")))


def test_a_call_in_progress_is_replicated_to_the_backup_over_dmq(lab, peers):
    trunk, _voice = peers
    master = _holder(lab, WAN_VIP)
    backup = ICN2 if master == ICN1 else ICN1
    known = _dialogs(lab.host(master))
    _start_call(trunk, "lab-call-dmq", TRUNK_IP, 5077, 45000, 6000)
    try:
        new = wait_for(lambda: _dialogs(lab.host(master)) - known, timeout=10)
        replicated = wait_for(lambda: new <= _dialogs(lab.host(backup)), timeout=5)
        print(f"FIGURE: a call in progress on {master} ({', '.join(sorted(new))}): known to {backup} over DMQ")
        assert replicated
    finally:
        trunk.run("systemctl stop lab-call-dmq")


def test_bad_inputs_stop_in_the_input_check_with_every_problem(lab):
    bad = ('{"icn_trunk_cidrs": ["trunks"], "icn_wan_vip": "198.51.100.10", '
           '"icn_rtp_min_port": 5000, "icn_rtp_max_port": 6000}')
    run = lab.playbook("icn", "-e", bad)
    texts = run.refusal("Refuse the run with every problem kept by the input checks", [ICN1, ICN2])
    for text in texts.values():
        assert "icn_trunk_cidrs: expected IPv4 networks" in text, text
        assert "icn_wan_vip 198.51.100.10 is outside its network 198.51.100.224/27" in text, text
        assert "the RTP range 5000-6000 (icn_rtp_min_port, icn_rtp_max_port) overlaps" in text, text
        assert lab.vars(ICN1)["icn_topology_hiding_key"] not in text


def _monotonic(host, unit: str, what: str) -> int:
    """A unit's timestamp (systemd, microseconds of the host kernel's monotonic clock, which the lab's
    containers share)."""
    return int(host.check_output(f"systemctl show -p {what}TimestampMonotonic --value {unit}"))


def test_a_change_restarts_one_member_at_a_time_and_the_call_in_progress_is_kept_by_both(lab, peers):
    trunk, _voice = peers
    master = _holder(lab, WAN_VIP)
    backup = ICN2 if master == ICN1 else ICN1
    known = _dialogs(lab.host(master))
    _start_call(trunk, "lab-call-rolling", TRUNK_IP, 5078, 46000, 150000)
    call = wait_for(lambda: _dialogs(lab.host(master)) - known, timeout=10)
    restarted_before = {m: _monotonic(lab.host(m), "kamailio", "ActiveEnter") for m in (ICN1, ICN2)}
    # A change of kamailio's settings (the flood limit), as an operator makes it.
    run = lab.playbook("icn", "-e", '{"icn_pike_requests": 31}')
    assert run.returncode == 0, run
    windows = {m: (_monotonic(lab.host(m), "kamailio", "InactiveEnter"),
                   _monotonic(lab.host(m), "kamailio", "ActiveEnter")) for m in (ICN1, ICN2)}
    assert all(windows[m][1] > restarted_before[m] for m in (ICN1, ICN2)), (restarted_before, windows)
    first, second = sorted((ICN1, ICN2), key=lambda m: windows[m][0])
    gap = (windows[second][0] - windows[first][1]) / 1e6
    print(f"FIGURE: a change of kamailio's settings restarted {first}, then {second} {gap:.1f} s after {first} "
          f"was active again; the call in progress ({', '.join(sorted(call))}) kept by both")
    assert gap > 0, windows
    # The restarted members read the call back from each other (DMQ); the call ends normally.
    assert wait_for(lambda: call <= _dialogs(lab.host(master)) and call <= _dialogs(lab.host(backup)), timeout=10)
    assert _holder(lab, WAN_VIP) == master
    assert _call_status(trunk, "lab-call-rolling", 200) == "0"


def test_a_bounded_load_of_20_calls_a_second_for_60_s_with_media(lab, peers):
    trunk, _voice = peers
    icn = lab.host(_holder(lab, WAN_VIP))
    rate, seconds, hold_ms = 20, 60, 2000
    before, started = _cpu_seconds(icn), time.time()
    run = trunk.run(f"cd /tmp && rm -f lab-load* caller_*_rtt.csv; timeout {seconds + 60} /usr/bin/sipp {WAN_VIP}:5060 "
                    f"-sf {SCENARIOS}/caller.xml -s 1000 -i {TRUNK_IP} -p 5076 -mi {TRUNK_IP} -mp 44000 -rtp_echo "
                    f"-m {rate * seconds} -r {rate} -d {hold_ms} -l 200 -nostdin -timeout {seconds + 40}s "
                    f"-trace_stat -stf /tmp/lab-load.csv -trace_rtt -rtt_freq 1")
    wall = time.time() - started
    after = _cpu_seconds(icn)
    rows = trunk.check_output("cat /tmp/lab-load.csv").splitlines()
    values = dict(zip(rows[0].split(";"), rows[-1].split(";")))
    answered, failed = int(values["SuccessfulCall(C)"]), int(values["FailedCall(C)"])
    samples = sorted(float(fields[1]) for fields in (line.split(";") for line in trunk.check_output(
        "cat /tmp/caller_*_rtt.csv").splitlines()) if len(fields) >= 3 and re.fullmatch(r"[0-9.]+", fields[1]))
    centile = {p: samples[min(len(samples) - 1, int(len(samples) * p / 100))] if samples else float("nan")
               for p in (50, 95, 99)}
    cpu = {name: (after.get(name, 0) - before.get(name, 0)) / wall * 100 for name in after}
    print(f"FIGURE: load through the ICN, {rate} calls/s for {seconds} s, each held {hold_ms} ms with G.711 both "
          f"ways: {answered} completed, {failed} failed ({answered / (answered + failed) * 100:.2f} %); call setup "
          f"(INVITE to 200) p50 {centile[50]:.1f} ms, p95 {centile[95]:.1f} ms, p99 {centile[99]:.1f} ms; ICN CPU "
          f"over {wall:.0f} s: " + ", ".join(f"{name} {share:.0f} % of a core" for name, share in cpu.items())
          + " (callers, stand-ins and both members share the machine's 2 cores)")
    assert answered + failed == rate * seconds, values
    assert failed <= (rate * seconds) // 100, run.stdout[-2000:]
    assert len(samples) >= answered, (len(samples), answered)


def test_kamailio_metrics_are_served_on_the_lan_only(lab, peers):
    _trunk, voice = peers
    text = voice.check_output(f"curl -sf http://{ICN_LAN[ICN1]}:9494/metrics")
    assert re.search(r"^kamailio_", text, re.M), text[:500]
    assert lab.scan(TRUNK, WAN_VIP, "9494")[9494] == "filtered"


def test_the_master_killed_moves_both_vips_within_5_s_and_a_new_call_succeeds(lab, peers):
    trunk, _voice = peers
    master = _holder(lab, WAN_VIP)
    backup = ICN2 if master == ICN1 else ICN1
    assert master in (ICN1, ICN2)
    killed = time.time()
    subprocess.run(["podman", "kill", master], check=True, capture_output=True)
    try:
        assert wait_for(lambda: _holder(lab, WAN_VIP) == backup and _holder(lab, LAN_VIP) == backup,
                        timeout=15, interval=0.2)
        moved = time.time() - killed
        run = _call(trunk, TRUNK_IP, WAN_VIP, "/tmp/lab-call-after.log", hold_ms=2000)
        assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
        print(f"FIGURE: icn master {master} killed: both VIPs on {backup} {moved:.1f} s later; a new call through "
              "the WAN VIP completed")
        assert moved <= 5, moved
    finally:
        subprocess.run(["podman", "start", master], check=False, capture_output=True)
