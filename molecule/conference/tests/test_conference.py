# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `conference` role: Janus behind the public load balancer, tested with a real WebRTC client.

conf1 and conf2 run Janus; conf-lb serves its APIs on 443 of its VIP;
conf-turn runs coturn. conf-client, on the WAN and the LAN, runs aiortc
(Debian's python3-aiortc: real ICE, DTLS-SRTP and RTP) through
molecule/conference/janus_client.py, a WebSocket client, curl and nmap.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from conftest import copy_between_hosts, install_text, secret, wait_for

CONFS = ("conf1", "conf2")
LAN = {"conf1": "10.20.19.21", "conf2": "10.20.19.22"}
WAN = {"conf1": "198.51.100.203", "conf2": "198.51.100.204"}
TURN_WAN = "198.51.100.202"
VIP = "198.51.100.205"
CLIENT = "conf-client"
DOMAIN = "lab.rainbow-edge.test"
CA = "/etc/lab-conference/ca.crt"
JANUS_CLIENT = "/usr/local/lib/lab-janus-client.py"
URL = f"https://{DOMAIN}/janus"
RTP = range(20000, 21000)  # conference_rtp_min_port-conference_rtp_max_port (molecule.yml)
WANTED_PLUGINS = {"janus.plugin.videoroom", "janus.plugin.echotest"}


@pytest.fixture(scope="module")
def client(lab):
    """conf-client with the WebRTC client, the Edge's CA and the Edge's name on the load balancer's VIP."""
    probe = lab.host(CLIENT)
    install_text(probe, (Path(__file__).resolve().parents[1] / "janus_client.py").read_text(), JANUS_CLIENT)
    copy_between_hosts(lab, "conf1", "/etc/janus/tls/ca.crt", probe, CA)
    hosts = probe.file("/etc/hosts").content_string
    if DOMAIN not in hosts:
        probe.check_output(f"echo '{VIP} {DOMAIN}' >> /etc/hosts")
    return probe


def _curl(client, url: str, body: dict | None = None, extra: str = "") -> dict:
    data = f"-d '{json.dumps(body)}'" if body is not None else ""
    run = client.run(f"curl -sS --max-time 20 --cacert {CA} {extra} {data} '{url}'")
    assert run.rc == 0, run.stderr
    return json.loads(run.stdout)


def _webrtc(client, mode: str, seconds: int = 8) -> dict:
    env = f"APISECRET={secret('conference_api_secret')} ROOMKEY={secret('conference_room_admin_key')} CA={CA}"
    run = client.run(f"{env} timeout 120 python3 {JANUS_CLIENT} {URL} {mode} {seconds}")
    assert run.rc == 0, run.stdout + run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def _serving(candidates: list) -> str:
    """The conferencing server whose WAN address Janus's answer offers."""
    hosts = {candidate["address"] for candidate in candidates if candidate["typ"] == "host"}
    servers = [name for name, address in WAN.items() if address in hosts]
    assert len(servers) == 1, candidates
    return servers[0]


def test_janus_runs_confined_as_its_account_without_any_capability(lab):
    for name in CONFS:
        host = lab.host(name)
        assert host.service("janus").is_running and host.service("janus").is_enabled
        pid = host.check_output("systemctl show --property MainPID --value janus")
        status = host.check_output(f"cat /proc/{pid}/status")
        assert re.search(r"^Uid:\s+(\d+)", status, re.M).group(1) == host.check_output("id -u janus")
        assert re.search(r"^CapEff:\s+0+$", status, re.M), status
        config = host.file("/etc/janus/janus.jcfg")
        assert (config.user, config.group, config.mode) == ("root", "janus", 0o640)
        exposure = host.check_output("systemd-analyze security janus.service | tail -n 1")
        print(f"FIGURE: {name} janus.service {exposure}")
        assert float(re.search(r"level for \S+: ([0-9.]+)", exposure).group(1)) <= 3.0, exposure


def test_janus_listens_on_the_lan_only_and_its_credentials_service_on_the_loopback(lab):
    for name in CONFS:
        listening = lab.host(name).check_output("ss -Hltn | awk '{print $4}'").split()
        janus = {address for address in listening if address.rsplit(":", 1)[1] in ("8089", "8989", "7889")}
        assert janus == {f"{LAN[name]}:8089", f"{LAN[name]}:8989", f"{LAN[name]}:7889"}, listening
        assert "127.0.0.1:8095" in listening, listening
        assert not any(address.endswith(":8088") or address.endswith(":8188") for address in listening), listening


@pytest.mark.parametrize("port", [8089, 8989, 7889])
def test_the_apis_speak_tls_1_2_or_later_with_a_certificate_of_the_edge_s_ca(client, port):
    for name in CONFS:
        good = client.run(f"openssl s_client -connect {LAN[name]}:{port} -CAfile {CA} -verify_return_error "
                          f"-tls1_2 </dev/null")
        assert good.rc == 0 and "Verify return code: 0 (ok)" in good.stdout, good.stdout + good.stderr
        old = client.run(f"openssl s_client -connect {LAN[name]}:{port} -tls1_1 -cipher DEFAULT@SECLEVEL=0 </dev/null")
        assert old.rc != 0, old.stdout


def test_only_the_video_room_and_echo_test_and_the_two_transports_are_loaded(client):
    info = _curl(client, f"{URL}/info")
    assert set(info["plugins"]) == WANTED_PLUGINS, info["plugins"]
    assert set(info["transports"]) == {"janus.transport.http", "janus.transport.websockets"}, info["transports"]
    assert not info.get("events") and not info.get("loggers"), info
    assert info["api_secret"] is True and info["auth_token"] is False
    assert "dependencies" not in info, info  # hide_dependencies


def test_a_request_without_the_api_secret_is_refused(client):
    answer = _curl(client, URL, {"janus": "create", "transaction": "x"})
    assert answer["janus"] == "error" and answer["error"]["code"] == 403, answer


def test_the_echo_test_sends_real_media_back_through_the_wan(client):
    result = _webrtc(client, "echo")
    print(f"FIGURE: echo test frames received in 8 s: {result['frames']}; ICE {result['ice']}")
    assert result["frames"].get("audio", 0) > 100 and result["frames"].get("video", 0) > 50, result
    # Janus offers its WAN address only (ice_enforce_list), never the LAN, on the RTP range.
    hosts = [candidate for candidate in result["candidates"] if candidate["typ"] == "host"]
    assert hosts and all(c["address"] in WAN.values() and c["port"] in RTP for c in hosts), result["candidates"]


def test_janus_relays_through_the_edge_s_turn_server_with_rest_credentials(client):
    """A relay candidate on conf-turn's WAN address: coturn accepted the credential Janus got from its host's
    TURN REST API."""
    result = _webrtc(client, "echo", 3)
    relays = [candidate for candidate in result["candidates"] if candidate["typ"] == "relay"]
    assert relays and all(candidate["address"] == TURN_WAN for candidate in relays), result["candidates"]


def test_a_video_room_carries_a_publisher_s_media_to_a_subscriber(client):
    result = _webrtc(client, "room")
    print(f"FIGURE: video room subscriber frames in 8 s: {result['frames']}")
    assert result["frames"].get("video", 0) > 50 and result["frames"].get("audio", 0) > 100, result


def test_making_a_room_without_the_room_admin_key_is_refused(client):
    secret_value = secret("conference_api_secret")
    session = _curl(client, URL, {"janus": "create", "transaction": "a", "apisecret": secret_value})["data"]["id"]
    handle = _curl(client, f"{URL}/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom",
                                                "transaction": "b", "apisecret": secret_value})["data"]["id"]
    answer = _curl(client, f"{URL}/{session}/{handle}",
                   {"janus": "message", "body": {"request": "create", "room": 4242}, "transaction": "c",
                    "apisecret": secret_value})
    data = answer["plugindata"]["data"]
    assert data.get("videoroom") == "event" and data.get("error_code"), answer
    assert "created" not in json.dumps(answer)


def _websocket_info(client, origin: str):
    script = (
        "import asyncio, json, ssl, websockets\n"
        f"context = ssl.create_default_context(cafile='{CA}')\n"
        "async def main():\n"
        f"    async with websockets.connect('wss://{DOMAIN}/janus-ws', subprotocols=['janus-protocol'],"
        f" ssl=context, origin='{origin}') as socket:\n"
        "        await socket.send(json.dumps({'janus': 'info', 'transaction': 'w'}))\n"
        "        print(await asyncio.wait_for(socket.recv(), 10))\n"
        "asyncio.run(main())\n")
    return client.run(f"timeout 30 python3 -c {shlex.quote(script)}")


def test_the_websocket_api_answers_the_edge_s_origin_through_the_load_balancer_and_no_other(client):
    run = _websocket_info(client, f"https://{DOMAIN}")
    assert run.rc == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["janus"] == "server_info"
    other = _websocket_info(client, "https://evil.example")
    assert other.rc != 0 and "server_info" not in other.stdout, other.stdout


def test_a_browser_of_another_origin_gets_no_cors_grant(client):
    run = client.run(f"curl -sS -i --cacert {CA} -H 'Origin: https://evil.example' '{URL}/info'")
    assert "access-control-allow-origin: https://evil.example" not in run.stdout.lower(), run.stdout
    good = client.run(f"curl -sS -i --cacert {CA} -H 'Origin: https://{DOMAIN}' '{URL}/info'")
    assert f"access-control-allow-origin: https://{DOMAIN}" in good.stdout.lower(), good.stdout


def test_the_admin_api_answers_on_the_lan_with_its_secret_only(client):
    admin = secret("conference_admin_secret")
    for name in CONFS:
        url = f"https://{LAN[name]}:7889/admin"
        listed = _curl(client, url, {"janus": "list_sessions", "transaction": "l", "admin_secret": admin})
        assert listed["janus"] == "success", listed
        refused = _curl(client, url, {"janus": "list_sessions", "transaction": "l"})
        assert refused["janus"] == "error" and refused["error"]["code"] == 403, refused


def test_from_the_wan_janus_s_servers_show_no_tcp_port(lab):
    for name in CONFS:
        states = lab.scan(CLIENT, WAN[name], "22,7088,7889,8088,8089,8095,8188,8989")
        assert not [port for port, state in states.items() if state == "open"], states


def test_a_new_call_goes_to_the_other_server_when_one_stops(lab, client):
    first = _serving(_webrtc(client, "echo", 2)["candidates"])
    other = next(name for name in CONFS if name != first)
    lab.host(first).check_output("systemctl stop janus")
    try:
        # The load balancer's health check takes the stopped server out; a new session lands on the other.
        def on_other():
            run = client.run(f"APISECRET={secret('conference_api_secret')} ROOMKEY=x CA={CA} "
                             f"timeout 60 python3 {JANUS_CLIENT} {URL} echo 3")
            return run.rc == 0 and json.loads(run.stdout.strip().splitlines()[-1])
        result = wait_for(on_other, timeout=60, interval=2)
        assert result, "no call succeeded after the stop"
        assert _serving(result["candidates"]) == other
        assert result["frames"].get("audio", 0) > 20, result
    finally:
        lab.host(first).check_output("systemctl start janus")
    assert wait_for(lambda: client.run(f"curl -sf --cacert {CA} https://{LAN[first]}:8089/janus/info").rc == 0,
                    timeout=60)


def test_bad_inputs_are_refused_with_every_problem_at_once_and_no_secret(lab):
    run = lab.playbook("conference", "-e", json.dumps({
        "conference_rtp_min_port": 8000, "conference_rtp_max_port": 9000, "conference_external_ip": "10.20.19.99",
        "conference_admin_allowed_cidrs": ["0.0.0.0/0"], "conference_room_admin_key": "short"}))
    text = run.refusal("Refuse the run with every problem of every role", list(CONFS))["conf1"]
    assert "overlaps service port(s) [8089, 8095, 8989] of this host" in text, text
    assert "conference_external_ip 10.20.19.99 is not a public address" in text, text
    assert "conference_admin_allowed_cidrs: the admin API stays on the LAN" in text, text
    assert "conference_room_admin_key: is 5 characters" in text, text
    report = json.dumps(run.report)
    for name in ("conference_api_secret", "conference_admin_secret", "turn_static_auth_secret"):
        assert secret(name) not in report
