"""The conferencing servers' input check, Janus's modules and TURN URIs (module_utils/conference_config.py)."""

import base64
import hashlib
import hmac
import json
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

from ansible_collections.rainbow.edge.plugins.filter.conference_config import (
    conference_derived_key, conference_disabled_modules, conference_firewall_rules, conference_input_errors,
    conference_janus_modules, conference_missing_modules,
)
from ansible_collections.rainbow.edge.plugins.module_utils.firewall_dropin import render_dropin

ROOT = Path(__file__).resolve().parents[4]
KEYS = Path(__file__).parent / "data" / "openpgp"
VENDOR = "7D8D8B5356EF8B24F65F66F00318DBC60C7C0FE5"
LIMITS = "Limit                     Soft Limit           Hard Limit           Units\n" \
         "Max open files            1024                 65536                files\n"
TURN = ["turn:10.20.18.41:3478?transport=udp"]
# dpkg-query --listfiles janus, Debian 12's janus 1.1.2-1 (abridged: one of each kind of line).
PACKAGE_FILES = "\n".join([
    "/.", "/etc/janus", "/etc/janus/janus.jcfg", "/usr/bin/janus",
    "/usr/lib/x86_64-linux-gnu/janus/plugins",
    "/usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroom.so.1.1.2",
    "/usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroom.so",
    "/usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_echotest.so",
    "/usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_sip.so",
    "/usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_streaming.so",
    "/usr/lib/x86_64-linux-gnu/janus/transports/libjanus_http.so",
    "/usr/lib/x86_64-linux-gnu/janus/transports/libjanus_websockets.so",
    "/usr/lib/x86_64-linux-gnu/janus/transports/libjanus_pfunix.so",
    "/usr/lib/x86_64-linux-gnu/janus/transports/libjanus_mqtt.so",
    "/usr/lib/x86_64-linux-gnu/janus/events/libjanus_wsevh.so",
    "/usr/lib/x86_64-linux-gnu/janus/loggers/libjanus_jsonlog.so",
    "/usr/share/janus/duktape/echotest.js",
])


def good_inputs(**changes):
    inputs = {
        "conference_lan_cidr": "10.20.18.0/24", "conference_lan_ip": "10.20.18.21",
        "conference_wan_cidr": "198.51.100.112/28", "conference_wan_ip": "198.51.100.121",
        "conference_external_ip": "",
        "conference_api_secret": "a" * 40, "conference_admin_secret": "b" * 40, "conference_room_admin_key": "c" * 40,
        "conference_port": 8089, "conference_ws_port": 8989, "conference_admin_port": 7889,
        "conference_private_port": 8089, "conference_turn_rest_port": 8095,
        "conference_base_path": "/janus", "conference_ws_path": "/janus-ws",
        "conference_allowed_origin": "https://lab.rainbow-edge.test",
        "conference_allowed_cidrs": ["0.0.0.0/0"], "conference_signalling_allowed_cidrs": ["10.20.18.0/24"],
        "conference_admin_allowed_cidrs": ["10.20.18.0/24"],
        "conference_rtp_min_port": 20000, "conference_rtp_max_port": 40000,
        "conference_plugins": ["videoroom", "echotest"], "conference_turn_uris": [],
        "conference_turn_static_auth_secret": "t" * 40, "conference_turn_credential_lifetime": 86400,
        "conference_session_timeout": 60, "conference_debug_level": 4, "conference_max_open_files": 65536,
        "conference_drain_timeout": 10,
        "conference_apt_repository_url": "", "conference_apt_repository_suite": "trixie-backports",
        "conference_apt_repository_components": ["main"], "conference_apt_signing_key": "",
        "conference_apt_signing_key_fingerprint": "",
    }
    inputs.update(changes)
    return inputs


def test_good_inputs_pass_on_debian_12():
    assert conference_input_errors(good_inputs(), "12", [22, 9100], LIMITS, TURN) == []


def test_debian_13_needs_the_backport_s_repository_and_its_pinned_key():
    errors = conference_input_errors(good_inputs(), "13", [22, 9100], LIMITS, TURN)
    assert len(errors) == 1 and "Debian 13 has no Janus package" in errors[0], errors
    given = good_inputs(conference_apt_repository_url="http://mirror.example/janus",
                        conference_apt_signing_key=(KEYS / "vendor.asc").read_text(),
                        conference_apt_signing_key_fingerprint=VENDOR)
    assert conference_input_errors(given, "13", [22, 9100], LIMITS, TURN) == []
    unpinned = dict(given, conference_apt_signing_key_fingerprint="")
    errors = conference_input_errors(unpinned, "13", [22, 9100], LIMITS, TURN)
    assert len(errors) == 1 and errors[0].startswith("conference_apt_signing_key_fingerprint is empty"), errors


def test_every_problem_is_listed_at_once_and_no_secret_is_shown():
    inputs = good_inputs(conference_lan_ip="10.30.0.5", conference_external_ip="10.20.18.99",
                         conference_api_secret="short", conference_admin_secret="c" * 40,
                         conference_port=80, conference_ws_port=7889,
                         conference_rtp_min_port=8000, conference_rtp_max_port=9000,
                         conference_admin_allowed_cidrs=["0.0.0.0/0"], conference_allowed_cidrs=[],
                         conference_base_path="janus", conference_allowed_origin="*",
                         conference_plugins=["sip"], conference_turn_uris=["stun:x"],
                         conference_turn_static_auth_secret="", conference_session_timeout=0,
                         conference_max_open_files=100000, conference_drain_timeout=-1)
    errors = conference_input_errors(inputs, "12", [22, 9100], LIMITS, TURN)
    named = ["conference_lan_ip", "conference_external_ip 10.20.18.99 is not a public address",
             "conference_api_secret: is 5 characters",
             "conference_admin_secret and conference_room_admin_key are the same secret",
             "conference_port: expected a TCP port 1024-65535", "must differ",
             "the RTP range 8000-9000", "conference_allowed_cidrs: the list is empty",
             "conference_admin_allowed_cidrs: the admin API stays on the LAN", "conference_base_path",
             "conference_allowed_origin", "conference_plugins: expected some of videoroom, echotest; unknown: ['sip']",
             "conference_turn_uris", "conference_turn_static_auth_secret (default: turn_static_auth_secret): is empty",
             "conference_session_timeout", "conference_drain_timeout",
             "conference_max_open_files 100000 is above the host's hard limit of open files (65536)"]
    for name in named:
        assert any(name in error for error in errors), (name, errors)
    assert len(errors) == len(named), errors
    assert not any("c" * 40 in error or "t" * 40 in error for error in errors)


def test_the_rtp_range_must_leave_the_host_s_services_and_janus_s_ports_alone():
    errors = conference_input_errors(good_inputs(conference_rtp_min_port=8000, conference_rtp_max_port=9100),
                                     "12", [22, 9100], LIMITS, TURN)
    assert errors == ["the RTP range 8000-9100 (conference_rtp_min_port, conference_rtp_max_port) overlaps service "
                      "port(s) [8089, 8095, 8989, 9100] of this host"]


def test_without_turn_servers_no_turn_secret_is_needed():
    inputs = good_inputs(conference_turn_static_auth_secret="")
    assert conference_input_errors(inputs, "12", [22, 9100], LIMITS, []) == []


def test_a_secret_with_a_control_character_is_refused_unshown():
    errors = conference_input_errors(good_inputs(conference_api_secret="\n" + "a" * 40), "12", [], LIMITS, TURN)
    assert errors == ["conference_api_secret: only printable ASCII characters are accepted (Janus's configuration "
                      "quotes it)"]


def test_the_package_s_modules_are_read_by_kind():
    modules = conference_janus_modules(PACKAGE_FILES)
    assert modules["folders"] == {kind: "/usr/lib/x86_64-linux-gnu/janus/" + kind
                                  for kind in ("plugins", "transports", "events", "loggers")}
    assert modules["files"]["plugins"] == ["libjanus_echotest.so", "libjanus_sip.so", "libjanus_streaming.so",
                                           "libjanus_videoroom.so"]


def test_every_module_but_the_wanted_plugins_and_the_two_transports_is_disabled():
    disabled = conference_disabled_modules(conference_janus_modules(PACKAGE_FILES), ["videoroom", "echotest"])
    assert disabled == {"plugins": "libjanus_sip.so,libjanus_streaming.so",
                        "transports": "libjanus_mqtt.so,libjanus_pfunix.so",
                        "events": "libjanus_wsevh.so", "loggers": "libjanus_jsonlog.so"}
    only_echo = conference_disabled_modules(conference_janus_modules(PACKAGE_FILES), ["echotest"])
    assert "libjanus_videoroom.so" in only_echo["plugins"].split(",")


def test_a_build_without_a_wanted_module_is_named_and_nothing_before_the_install():
    without = "\n".join(line for line in PACKAGE_FILES.splitlines() if "websockets" not in line and "echotest" not in line)
    assert conference_missing_modules(conference_janus_modules(without), ["videoroom", "echotest"]) == [
        "plugin echotest", "transport websockets"]
    assert conference_missing_modules(conference_janus_modules(""), ["videoroom"]) == []
    assert conference_janus_modules("")["folders"] == {}


def test_the_firewall_opens_media_to_the_internet_and_the_apis_to_the_lan_only():
    text = render_dropin("conference", conference_firewall_rules(good_inputs()))
    assert "ip saddr { 0.0.0.0/0 } udp dport { 20000-40000 } accept" in text, text
    assert "ip saddr { 10.20.18.0/24 } tcp dport { 8089, 8989 } accept" in text, text
    assert "ip saddr { 10.20.18.0/24 } tcp dport { 7889 } accept" in text, text


def test_the_derived_key_is_stable_per_secret_and_purpose():
    key = conference_derived_key("a" * 40, "turn-rest")
    assert key == hmac.new(b"a" * 40, b"turn-rest", hashlib.sha256).hexdigest()
    assert key != conference_derived_key("b" * 40, "turn-rest") and conference_derived_key("", "turn-rest") == ""


@pytest.fixture(scope="module")
def turn_rest():
    """The TURN REST API the role installs on the conferencing servers (a program file, not a module)."""
    path = ROOT / "roles/conference/files/usr/local/lib/rainbow-edge/turn_rest_credentials.py"
    spec = spec_from_loader("turn_rest_credentials", SourceFileLoader("turn_rest_credentials", str(path)))
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_turn_rest_api_answers_coturn_s_credential_for_the_right_key(turn_rest):
    query = {"service": ["turn"], "username": ["4242"], "api": ["k" * 64]}
    status, body = turn_rest.answer(query, b"s" * 40, "k" * 64, TURN, 3600, 1000000)
    assert status == 200 and body["username"] == "1003600:4242" and body["ttl"] == 3600 and body["uris"] == TURN
    digest = hmac.new(b"s" * 40, b"1003600:4242", hashlib.sha1).digest()
    assert body["password"] == base64.b64encode(digest).decode()
    json.dumps(body)


@pytest.mark.parametrize("query, status", [
    ({"service": ["turn"], "username": ["x"]}, 403),
    ({"service": ["turn"], "api": ["wrong"]}, 403),
    ({"service": ["stun"], "key": ["k" * 64]}, 400),
])
def test_the_turn_rest_api_refuses_a_wrong_key_or_service(turn_rest, query, status):
    assert turn_rest.answer(query, b"s" * 40, "k" * 64, TURN, 3600, 0)[0] == status


def test_an_odd_username_from_a_client_becomes_a_safe_name(turn_rest):
    """Janus passes the client's opaque_id: it must not shape coturn's username."""
    body = turn_rest.credential(b"s" * 40, "a:b c/../", 60, 0)
    assert body["username"] == "60:janus"
