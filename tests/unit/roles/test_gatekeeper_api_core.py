"""The GateKeeper API's pure core: peer validation, peers-file round trip, wg and lease parsing.

The module ships in roles/gatekeeper/files and runs on the GateKeeper's own
python3; it is imported here from there (tests/unit/roles/conftest.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from gatekeeper_api import core  # roles/gatekeeper/files/usr/local/lib/rainbow-edge (conftest.py)

KEY = "lKbKwlFzN6gx0ug95OUmM98cIMJxhKQDgFjkxRK8wxI="
OTHER = "UENapWheP0LaUePlZUPs2tWh9tDy43Nx5/JIGdYmF2Q="


def peer(**changes):
    values = {"public_key": KEY, "allowed_ips": ["10.255.0.9/32", "172.30.9.0/24"], "endpoint": "198.51.100.9:51820",
              "persistent_keepalive": 25, "name": "site-b"}
    values.update(changes)
    return core.Peer(**values)


def test_a_valid_peer_round_trips_through_the_peers_file():
    peers = [peer(), peer(public_key=OTHER, endpoint=None, persistent_keepalive=None, name=None, allowed_ips=["10.255.0.10/32"])]
    text = core.render_peers([p.validate(["10.20.0.0/16"]) for p in peers])
    assert core.parse_peers(text) == peers


@pytest.mark.parametrize(("changes", "message"), [
    ({"public_key": "short"}, "public_key: expected 44 characters"),
    ({"public_key": "!" * 43 + "="}, "public_key: expected 44 characters"),
    ({"allowed_ips": []}, "allowed_ips: at least one network"),
    ({"allowed_ips": ["10.255.0.9/24"]}, "is not an IPv4 network in CIDR form"),
    ({"allowed_ips": ["0.0.0.0/0"]}, "would send all traffic into the tunnel"),
    ({"allowed_ips": ["10.20.5.0/24"]}, "overlaps 10.20.0.0/16"),
    ({"endpoint": "198.51.100.9:70000"}, "endpoint: expected host:port"),
    ({"endpoint": "no-port"}, "endpoint: expected host:port"),
    ({"persistent_keepalive": -1}, "persistent_keepalive"),
    ({"name": "bad name with spaces"}, "name:"),
])
def test_invalid_peers_are_refused_with_the_reason(changes, message):
    with pytest.raises(core.PeerError, match=message):
        peer(**changes).validate(["10.20.0.0/16"])


def test_the_private_key_of_a_dump_is_never_returned():
    dump = (
        "cHJpdmF0ZS1rZXktbmV2ZXItc2hvd24tYW55d2hlcmUhIT0=\t" + KEY + "\t51871\toff\n"
        + OTHER + "\t(none)\t198.51.100.36:51871\t10.255.3.10/32,172.30.3.0/24\t1795374945\t1234\t5678\t25\n"
    )
    status = core.parse_wg_dump("wg0", dump)
    assert status.public_key == KEY and status.listen_port == 51871
    assert "cHJpdmF0ZS1rZXk" not in repr(status)
    (only,) = status.peers
    assert only.allowed_ips == ["10.255.3.10/32", "172.30.3.0/24"] and only.latest_handshake == 1795374945
    assert only.persistent_keepalive == 25 and only.rx_bytes == 1234


def test_leases_are_read_from_dnsmasq_format():
    text = "1795417734 a6:16:fa:95:10:70 10.20.3.155 gk-client 01:a6:16:fa:95:10:70\n1795417800 02:00:00:00:03:99 10.20.3.99 * *\nduid 00:01\n"
    leases = core.parse_leases(text)
    assert [(l.ip, l.hostname) for l in leases] == [("10.20.3.155", "gk-client"), ("10.20.3.99", None)]


@given(st.text(max_size=200))
def test_parsers_never_crash_on_junk_peers_files(text):
    for parsed in core.parse_peers(text):
        assert isinstance(parsed.allowed_ips, list)


WG_CONF = """# Ansible managed
# No PrivateKey here: it stays in /etc/wireguard/wg0.key (made on this host)
# and rainbow-edge-wg-sync applies it with the peers added through the API.
[Interface]
Address = 10.255.0.11/24
ListenPort = 51820

# gk2 (inventory)
[Peer]
PublicKey = %s
Endpoint = 198.51.100.131:51820
AllowedIPs = 10.255.0.12/32

# global (outside the inventory)
[Peer]
PublicKey = %s
AllowedIPs = 10.255.0.100/32, 172.30.0.0/24
""" % (KEY, OTHER)


def test_peers_are_named_from_the_comments_of_the_tunnel_s_configuration_and_the_api_s_file():
    api_peer = "Y" * 43 + "="
    api_file = core.render_peers([peer(public_key=api_peer, name="site-b")])
    assert core.peer_names(WG_CONF, api_file) == {KEY: "gk2", OTHER: "global", api_peer: "site-b"}
    # The [Interface] section's comment names nothing; a peer without a comment keeps no name.
    assert core.peer_names("# Ansible managed\n[Interface]\n\n[Peer]\nPublicKey = %s\n" % KEY) == {}


def test_vips_and_held_addresses():
    assert core.parse_vips("EDGE_LAN=10.20.0.254,EDGE_WAN=198.51.100.5") == {
        "EDGE_LAN": "10.20.0.254", "EDGE_WAN": "198.51.100.5"}
    assert core.parse_vips("") == {}
    ip_json = ('[{"ifname": "eth0", "addr_info": [{"family": "inet", "local": "10.20.0.11", "prefixlen": 24},'
               ' {"family": "inet", "local": "10.20.0.254", "prefixlen": 32}]}, {"ifname": "wg0", "addr_info": []}]')
    assert core.held_addresses(ip_json) == {"10.20.0.11", "10.20.0.254"}


def test_the_readings_for_the_metrics_tier_are_prometheus_text_the_alert_rules_read():
    dump = ("cHJpdmF0ZS1rZXktbmV2ZXItc2hvd24tYW55d2hlcmUhIT0=\t" + "Z" * 43 + "=\t51820\toff\n"
            + KEY + "\t(none)\t198.51.100.131:51820\t10.255.0.12/32\t1795374945\t1234\t5678\t25\n"
            + OTHER + "\t(none)\t(none)\t10.255.0.100/32\t0\t0\t0\t25\n")
    status = core.parse_wg_dump("wg0", dump)
    text = core.render_metrics("wg0", status.peers, {KEY: "gk2"}, [("EDGE_LAN", "10.20.0.254", True),
                                                                   ("EDGE_WAN", "198.51.100.5", False)])
    assert 'rainbow_edge_vrrp_master{vip="10.20.0.254",name="EDGE_LAN"} 1\n' in text
    assert 'rainbow_edge_vrrp_master{vip="198.51.100.5",name="EDGE_WAN"} 0\n' in text
    assert f'rainbow_edge_wireguard_latest_handshake_seconds{{interface="wg0",peer="gk2",public_key="{KEY}"}} ' in text
    # A peer without a name is labelled with its key; one never met shows 0 (the stale-handshake alert fires).
    assert f'peer="{OTHER}",public_key="{OTHER}"}} 0\n' in text
    assert text.count("# TYPE") == 2 and text.endswith("\n")


def test_label_values_are_escaped():
    text = core.render_metrics("wg0", [], {}, [('a"b\\c\nd', "10.0.0.1", True)])
    assert 'name="a\\"b\\\\c\\nd"' in text
