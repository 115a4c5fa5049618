"""The GateKeeper pair, probed from its LAN, from the WAN and from another site.

Tests run in file order: the failover test stops the MASTER, so it comes last.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import INPUT_REFUSAL, wait_for

GK_A, GK_B, GLOBAL, CLIENT, WAN = "gk-a", "gk-b", "gk-global", "gk-client", "gk-wan"
GLOBAL_SERVER = "gk-global-svc"
GK_C, CLIENT2 = "gk-c", "gk-client2"
DC2_VIP = "10.20.3.253"
VIP = "10.20.3.254"
DOMAIN = "lab.rainbow-edge.test"
WG_PORT = 51871
WAN_IP = {GK_A: "198.51.100.34", GK_B: "198.51.100.35", GLOBAL: "198.51.100.36"}
LAN_IP = {GK_A: "10.20.3.2", GK_B: "10.20.3.3"}
TUNNEL_IP = {GK_A: "10.255.3.2", GK_B: "10.255.3.3", GLOBAL: "10.255.3.10"}
GLOBAL_SIDE_IP = "172.30.3.20"
GLOBAL_VIP = "172.30.3.254"
WAN_HOST_IP = "198.51.100.40"
TOKEN = "lab-only-token-9f3c2e7a5b1d4c8e6f0a2b4d6e8f0a1c"


def _vrrp_state(lab, gatekeeper: str) -> str:
    return lab.host(gatekeeper).run("cat /run/rainbow-edge/vrrp-EDGE_LAN.state").stdout.strip()


# The GateKeeper's readings for the metrics tier, in node-exporter's textfile directory (gatekeeper_api/metrics.py).
READINGS = "/var/lib/prometheus/node-exporter/rainbow_edge_gatekeeper.prom"
_READING = re.compile(r'^(?P<metric>[a-z_]+)\{(?P<labels>[^}]*)\} (?P<value>\S+)$')


def _readings(lab, gatekeeper: str) -> dict[tuple[str, str], float]:
    """{(metric, the vip's address or the peer's name): value} from the GateKeeper's readings."""
    readings = {}
    for line in lab.host(gatekeeper).file(READINGS).content_string.splitlines():
        match = _READING.match(line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group("labels")))
            readings[(match.group("metric"), labels.get("vip") or labels.get("peer"))] = float(match.group("value"))
    return readings


@pytest.fixture(scope="module", autouse=True)
def nominal_master(lab):
    """Start from the pair's nominal state, gk-a MASTER: after an earlier
    verify's failover test gk-b keeps the VIP (nopreempt) until it restarts."""
    if _vrrp_state(lab, GK_A) != "MASTER":
        lab.host(GK_B).check_output("systemctl restart keepalived")
        assert wait_for(lambda: _vrrp_state(lab, GK_A) == "MASTER", timeout=30)
        assert wait_for(lambda: _vrrp_state(lab, GK_B) == "BACKUP", timeout=30)


@pytest.fixture(scope="module")
def client(lab):
    """The LAN client as a DHCP client: podman gives every container an address,
    a real client starts with none, so it drops podman's before asking."""
    host = lab.host(CLIENT)
    host.check_output("ip -4 addr flush dev eth0")
    host.check_output("dhclient -v -1 -pf /run/dhclient.pid -lf /var/lib/dhcp/dhclient.leases eth0")
    return host


@pytest.fixture(scope="module")
def client2(lab):
    """A DHCP client in DC2, on the DC2 part of the stretched LAN."""
    host = lab.host(CLIENT2)
    host.check_output("dhclient -v -1 -pf /run/dhclient.pid -lf /var/lib/dhcp/dhclient.leases eth0")
    return host


def _lease(client) -> dict:
    text = client.file("/var/lib/dhcp/dhclient.leases").content_string
    last = text.rsplit("lease {", 1)[-1]
    return {
        "address": re.search(r"fixed-address ([0-9.]+);", last).group(1),
        "routers": re.search(r"option routers ([0-9.]+);", last).group(1),
        "dns": re.search(r"option domain-name-servers ([0-9.]+);", last).group(1),
        "domain": re.search(r'option domain-name "([^"]+)";', last).group(1),
        "server": re.search(r"option dhcp-server-identifier ([0-9.]+);", last).group(1),
    }


def _api(lab, path: str, method: str = "GET", token: str | None = TOKEN, body: dict | None = None, gatekeeper: str = GK_A):
    """Call a GateKeeper's API from the LAN client over TLS, verifying its certificate."""
    client = lab.host(CLIENT)
    ca = base64.b64encode(lab.host(gatekeeper).file("/etc/rainbow-edge/gatekeeper-api-ca.crt").content).decode()
    client.check_output(f"echo {ca} | base64 -d > /tmp/{gatekeeper}-edge-ca.crt")
    args = [f"curl -sS --max-time 10 --cacert /tmp/{gatekeeper}-edge-ca.crt -o /tmp/api-body -w '%{{http_code}}' -X {method}"]
    if token:
        args.append(f"-H 'Authorization: Bearer {token}'")
    if body is not None:
        args.append(f"-H 'Content-Type: application/json' --data '{json.dumps(body)}'")
    args.append(f"'https://{LAN_IP[gatekeeper]}:8443{path}'")
    code = int(client.check_output(" ".join(args)))
    text = client.file("/tmp/api-body").content_string
    return code, (json.loads(text) if text.strip().startswith(("{", "[")) else text)


def _web_server(host, address: str, port: int, unit: str):
    host.run(f"systemctl stop {unit}; systemctl reset-failed {unit}")
    host.check_output(f"systemd-run --unit={unit} python3 -m http.server {port} --bind {address}")
    assert wait_for(lambda: host.run(f"python3 -c \"import socket; socket.create_connection(('{address}', {port}), 1)\"").rc == 0)


def _sources_seen(host, unit: str, probe: str) -> set[str]:
    """Client addresses that asked `unit` (python's http.server) for /?probe=PROBE."""
    # This run of the server only: an earlier verify's requests are in the journal too.
    invocation = host.check_output(f"systemctl show -p InvocationID --value {unit}")
    log = host.check_output(f"journalctl _SYSTEMD_INVOCATION_ID={invocation} --no-pager -o cat")
    return set(re.findall(rf"^([0-9.]+) - - \[.*\] \"GET /\?probe={re.escape(probe)} ", log, re.M))


def test_lan_client_gets_a_lease_with_the_vip_as_router_and_resolver(lab, client):
    lease = _lease(client)
    assert 100 <= int(lease["address"].split(".")[-1]) <= 199, lease
    assert lease["routers"] == VIP and lease["dns"] == VIP and lease["domain"] == DOMAIN, lease
    assert re.search(rf"^default via {re.escape(VIP)} dev eth0", client.check_output("ip -4 route"), re.M)
    code, leases = _api(lab, "/v1/dhcp/leases", gatekeeper=GK_A if lease["server"] == LAN_IP[GK_A] else GK_B)
    assert code == 200 and lease["address"] in {entry["ip"] for entry in leases}, leases


def test_lan_client_resolves_edge_names(client):
    def resolve(name):
        return client.check_output(f"dig +short +time=2 @{VIP} {name}")

    assert resolve(f"gk-a.{DOMAIN}") == LAN_IP[GK_A]
    assert resolve(f"gateway.{DOMAIN}") == VIP
    assert resolve(f"mariadb.{DOMAIN}") == "10.20.3.20"
    # The Edge's domain is answered locally, never forwarded.
    assert "NXDOMAIN" in client.check_output(f"dig +time=2 @{VIP} no-such-host.{DOMAIN}")


def test_lan_client_reaches_the_wan_through_nat(lab, client):
    wan = lab.host(WAN)
    _web_server(wan, WAN_HOST_IP, 8080, "lab-web")
    client.check_output(f"curl -fsS --max-time 5 'http://{WAN_HOST_IP}:8080/?probe=nat-check'")
    # The WAN sees the MASTER's public address, never the client's LAN address.
    assert _sources_seen(wan, "lab-web", "nat-check") == {WAN_IP[GK_A]}


def test_tunnel_handshakes_and_carries_lan_traffic_to_the_global_side(lab, client):
    gk_a, glob = lab.host(GK_A), lab.host(GLOBAL)
    global_key = glob.check_output("wg show wg0 public-key")
    handshakes = wait_for(lambda: dict(l.split() for l in gk_a.check_output("wg show wg0 latest-handshakes").splitlines()).get(global_key, "0") != "0")
    assert handshakes, gk_a.check_output("wg show wg0")
    # A server on the global side, whose gateway is the global GateKeeper's VIP.
    server = lab.host(GLOBAL_SERVER)
    server.run(f"ip route replace 10.255.3.0/24 via {GLOBAL_VIP}")
    _web_server(server, GLOBAL_SIDE_IP, 8081, "lab-global-web")
    client.check_output(f"curl -fsS --max-time 5 'http://{GLOBAL_SIDE_IP}:8081/?probe=through-the-tunnel'")
    # The global side is reachable only through the tunnel, from the GateKeeper's tunnel address.
    assert _sources_seen(server, "lab-global-web", "through-the-tunnel") == {TUNNEL_IP[GK_A]}
    assert "0% packet loss" in client.check_output(f"ping -c 3 -W 2 {GLOBAL_SIDE_IP}")


def test_lan_is_one_segment_across_dcs(lab, client, client2):
    lease = _lease(client2)
    # DHCP stays in its DC: DC2's client is served by DC2, with DC2's gateway.
    assert lease["server"] == "10.20.3.4" and lease["routers"] == DC2_VIP, lease
    dc1_client = _lease(client)["address"]
    # Same subnet, two DCs: only VXLAN inside the tunnel joins them.
    before = json.loads(lab.host(GK_A).check_output("ip -s -j link show vx-3"))[0]["stats64"]["rx"]["packets"]
    assert "0% packet loss" in client2.check_output(f"ping -c 3 -W 2 {dc1_client}")
    assert "0% packet loss" in client2.check_output(f"ping -c 3 -W 2 {LAN_IP[GK_A]}")
    after = json.loads(lab.host(GK_A).check_output("ip -s -j link show vx-3"))[0]["stats64"]["rx"]["packets"]
    assert after > before, "DC2's traffic did not come through the DC1 master's VXLAN port"
    # The DC1 BACKUP keeps its VXLAN port out of the bridge: no loop.
    backup_port = json.loads(lab.host(GK_B).check_output("ip -j link show vx-3"))[0]
    assert "master" not in backup_port and "UP" not in backup_port["flags"], backup_port


def test_wan_scan_finds_only_wireguard(lab):
    for gatekeeper in (GK_A, GK_B):
        tcp = lab.scan(WAN, WAN_IP[gatekeeper], "1-65535", rate=4000)
        assert set(tcp.values()) == {"filtered"}, {p: s for p, s in tcp.items() if s != "filtered"}
        udp = lab.scan(WAN, WAN_IP[gatekeeper], f"53,67,123,161,500,3142,4789,{WG_PORT}", udp=True)
        assert "closed" not in udp.values() and "open" not in udp.values(), udp
        # What the WAN side of the live ruleset accepts: the WireGuard port, nothing else.
        rules = json.loads(lab.host(gatekeeper).check_output("nft -j list chain inet rainbow_edge services"))["nftables"]
        wan_rules = [r["rule"] for r in rules if "rule" in r and '"eth1"' in json.dumps(r["rule"]["expr"])]
        assert [r.get("comment") for r in wan_rules] == ["WireGuard"], wan_rules
        assert f'"right": {WG_PORT}' in json.dumps(wan_rules[0]["expr"])
    # Control: the same scan from the LAN finds the services the LAN is meant to use.
    lan = lab.scan(CLIENT, LAN_IP[GK_A], "53,3142,8443")
    assert set(lan.values()) == {"open"}, lan


def test_apt_on_the_lan_client_goes_through_the_mirror(lab, client):
    client.check_output("rm -f /etc/apt/apt.conf.d/00rainbow-edge-lab-cache /etc/apt/apt.conf.d/80rainbow-edge-proxy")
    # Control: without the mirror the LAN has no way to the Debian archive.
    direct = client.run("apt-get -o Acquire::http::Timeout=5 -o Acquire::Retries=0 update")
    assert direct.rc != 0 or "Failed to fetch" in direct.stderr, direct.stderr
    # What common_apt_proxy writes on every Edge host.
    client.check_output(f"printf 'Acquire::http::Proxy \"http://{VIP}:3142\";\\n' > /etc/apt/apt.conf.d/80rainbow-edge-proxy")
    update = client.run("apt-get update")
    assert update.rc == 0 and "Failed" not in update.stderr, update.stderr
    client.check_output("apt-get install -y --download-only --reinstall hello")
    log = lab.host(GK_A).check_output("cat /var/log/apt-cacher-ng/apt-cacher.log")
    assert re.search(r"hello_[^|]*\.deb", log), "the package did not go through the GateKeeper's mirror"


def test_api_answers_with_the_token_and_refuses_without(lab):
    assert _api(lab, "/v1/tunnel", token=None)[0] == 401
    assert _api(lab, "/v1/tunnel", token="not-the-token-" + "x" * 30)[0] == 401
    code, tunnel = _api(lab, "/v1/tunnel")
    assert code == 200 and tunnel["listen_port"] == WG_PORT and tunnel["backend"] == "userspace", tunnel
    assert {peer["source"] for peer in tunnel["peers"]} == {"inventory"}
    code, vips = _api(lab, "/v1/vip")
    assert code == 200 and vips == [{"name": "EDGE_LAN", "address": VIP, "held": True, "vrrp_state": "MASTER"}], vips
    code, spec = _api(lab, "/v1/openapi.json", token=None)
    assert code == 200 and {"/v1/tunnel", "/v1/peers", "/v1/dhcp/leases", "/v1/vip"} <= set(spec["paths"])


def test_api_unit_is_confined(lab):
    report = lab.host(GK_A).check_output("systemd-analyze security --no-pager rainbow-edge-gatekeeper-api")
    exposure = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", report).group(1))
    print(f"FIGURE: gatekeeper API unit exposure (systemd-analyze security) = {exposure}")
    assert exposure <= 4.0, report


def test_peer_added_through_the_api_brings_its_tunnel_up(lab):
    wan, gk_a = lab.host(WAN), lab.host(GK_A)
    wan.run("ip link del wg-site 2>/dev/null; pkill -f 'wireguard-go wg-site'")
    wan.check_output("umask 077; wg genkey > /root/site.key")
    site_key = wan.check_output("wg pubkey < /root/site.key")
    code, body = _api(lab, "/v1/peers", "POST", body={
        "public_key": site_key, "allowed_ips": ["10.255.3.40/32"], "endpoint": f"{WAN_HOST_IP}:51900",
        "persistent_keepalive": 5, "name": "site-wan"})
    assert code == 201, body
    gk_a_key = _api(lab, "/v1/tunnel")[1]["public_key"]
    wan.check_output("wireguard-go wg-site")
    wan.check_output(f"wg set wg-site private-key /root/site.key listen-port 51900 "
                     f"peer {gk_a_key} endpoint {WAN_IP[GK_A]}:{WG_PORT} allowed-ips {TUNNEL_IP[GK_A]}/32 persistent-keepalive 5")
    wan.check_output("ip addr add 10.255.3.40/24 dev wg-site && ip link set wg-site up")
    assert wait_for(lambda: wan.run(f"ping -c 1 -W 1 {TUNNEL_IP[GK_A]}").rc == 0, timeout=20)
    peers = {p["public_key"]: p for p in _api(lab, "/v1/tunnel")[1]["peers"]}
    assert peers[site_key]["source"] == "api" and peers[site_key]["latest_handshake"] > 0, peers[site_key]

    # A rerun of the playbook keeps the API's peer and changes nothing.
    run = lab.playbook("gatekeeper")
    assert run.returncode == 0 and run.changed() == 0, run
    assert site_key in gk_a.check_output("wg show wg0 peers")

    assert _api(lab, f"/v1/peers/{site_key}", "DELETE")[0] == 204
    assert site_key not in gk_a.check_output("wg show wg0 peers")
    # Peers of the inventory are the inventory's to remove.
    inventory_peer = lab.host(GK_B).check_output("wg show wg0 public-key")
    assert _api(lab, f"/v1/peers/{inventory_peer}", "DELETE")[0] == 409


def _override(tmp_path: Path, host_vars: dict) -> str:
    """An extra inventory source whose host_vars/ files outrank molecule's (later source, same level)."""
    (tmp_path / "host_vars").mkdir()
    for host, values in host_vars.items():
        (tmp_path / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(values))
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {host: None for host in host_vars}}}))
    return str(tmp_path / "hosts.yml")


def test_changed_address_and_route_take_effect_on_rerun(lab, tmp_path):
    gk_a, gk_b = lab.host(GK_A), lab.host(GK_B)
    override = _override(tmp_path, {
        GK_A: {"gatekeeper_wg_address": "10.255.3.12/24"},
        GLOBAL: {"gatekeeper_wg_routed_networks": ["172.30.3.0/24", "172.30.33.0/24"]},
    })
    try:
        run = lab.playbook("gatekeeper", "-i", override)
        assert run.returncode == 0, run
        assert "10.255.3.12/24" in gk_a.check_output("ip -4 addr show dev wg0")
        assert "10.255.3.2/24" not in gk_a.check_output("ip -4 addr show dev wg0")
        a_key = gk_a.check_output("wg show wg0 public-key")
        assert f"{a_key}\t10.255.3.12/32" in gk_b.check_output("wg show wg0 allowed-ips")
        assert "172.30.33.0/24 dev wg0" in gk_a.check_output("ip -4 route")
        assert wait_for(lambda: gk_b.run("ping -c 1 -W 1 10.255.3.12").rc == 0, timeout=20)
    finally:
        restored = lab.playbook("gatekeeper")
    assert restored.returncode == 0, restored
    assert "10.255.3.2/24" in gk_a.check_output("ip -4 addr show dev wg0")
    assert "172.30.33.0/24" not in gk_a.check_output("ip -4 route")


def test_bad_input_stops_in_the_input_check_before_any_change(lab):
    bad = {
        "gatekeeper_wg_address": "10.20.3.77/24",
        "gatekeeper_wg_external_peers": [{"name": "keyless", "endpoint": "198.51.100.99:51820", "allowed_ips": ["172.31.0.0/24"]}],
        "gatekeeper_wg_port": 70000,
        "gatekeeper_lan_vip": "10.99.0.1",
    }
    before = lab.host(GK_A).check_output("sha256sum /etc/wireguard/wg0.conf /etc/keepalived/conf.d/gatekeeper.conf /etc/dnsmasq.d/rainbow-edge.conf")
    run = lab.playbook("gatekeeper", "--extra-vars", json.dumps(bad))
    text = run.refusal(INPUT_REFUSAL, [GK_A])[GK_A]
    for expected in ("gatekeeper_wg_address: the tunnel network 10.20.3.77/24 overlaps the LAN",
                     "gatekeeper_wg_external_peers: every peer needs public_key",
                     "gatekeeper_wg_port: expected the Edge's WireGuard UDP port, 1-65535; got 70000",
                     "gatekeeper_lan_vip: expected a free address inside the LAN"):
        assert expected in text, text
    assert run.changed() == 0, run
    assert lab.host(GK_A).check_output("sha256sum /etc/wireguard/wg0.conf /etc/keepalived/conf.d/gatekeeper.conf /etc/dnsmasq.d/rainbow-edge.conf") == before


def test_vlans_are_refused_on_a_kernel_without_8021q(lab):
    run = lab.playbook("gatekeeper", "--extra-vars", json.dumps({"gatekeeper_vlans": [{"id": 100, "parent": "eth0"}]}))
    assert run.returncode != 0, run
    assert "gatekeeper_vlans: this kernel has no 802.1Q support" in "\n".join(run.failures()[GK_A][1]), run
    assert run.changed() == 0, run


def _ping_gaps(client, seconds: float, action) -> float:
    """Ping the VIP every 0.1 s while `action` runs; return the longest gap between replies."""
    # A unit of its own per measurement: the journal of a reused unit name
    # would join two runs into one false gap.
    unit = f"lab-vip-ping-{time.monotonic_ns()}"
    client.check_output(f"systemd-run --unit={unit} ping -D -i 0.1 -w {int(seconds)} {VIP}")
    time.sleep(2)
    action()
    time.sleep(seconds - 2)
    log = client.check_output(f"journalctl -u {unit} --no-pager -o cat")
    client.run(f"systemctl stop {unit}; systemctl reset-failed {unit}")
    stamps = [float(s) for s in re.findall(r"^\[([0-9.]+)\] \d+ bytes from", log, re.M)]
    assert len(stamps) > 10, log
    return max(b - a for a, b in zip(stamps, stamps[1:]))


def test_the_readings_for_the_metrics_tier_show_the_vip_holder_and_each_peer_s_handshake(lab):
    """What the alerts EdgeVipHeldByNone/Two and EdgeWireGuardHandshakeStale read, refreshed every 15 s."""
    def held():
        return {gk: _readings(lab, gk).get(("rainbow_edge_vrrp_master", VIP)) for gk in (GK_A, GK_B)}
    assert wait_for(lambda: held() == {GK_A: 1.0, GK_B: 0.0}, timeout=40), held()
    unit = lab.host(GK_A).check_output("systemctl show -P ActiveState rainbow-edge-gatekeeper-metrics.timer")
    assert unit.strip() == "active", unit
    now = time.time()
    handshakes = {peer: value for (metric, peer), value in _readings(lab, GK_A).items()
                  if metric == "rainbow_edge_wireguard_latest_handshake_seconds"}
    # Each mesh member is named as the inventory names it; the other DC's and the global GateKeeper handshook.
    assert {GK_B, GLOBAL, "gk-c"} <= set(handshakes), handshakes
    assert all(now - handshakes[peer] < 300 for peer in (GK_B, GLOBAL)), handshakes
    print(f"FIGURE: gatekeeper readings: {len(handshakes)} tunnel peers, handshake ages "
          + ", ".join(f"{peer} {now - value:.0f} s" for peer, value in sorted(handshakes.items()) if value))


def test_vip_moves_to_the_backup_when_the_master_dies(lab, client, client2):
    wan = lab.host(WAN)
    gap = _ping_gaps(client, 15, lambda: subprocess.run(["podman", "kill", "--signal", "KILL", GK_A], check=True))
    print(f"FIGURE: VIP failover gap after killing the MASTER = {gap:.2f} s")
    assert gap < 5.0
    # The client keeps its default route, now through the BACKUP.
    assert re.search(rf"^default via {re.escape(VIP)} dev eth0", client.check_output("ip -4 route"), re.M)
    client.check_output(f"curl -fsS --max-time 5 'http://{WAN_HOST_IP}:8080/?probe=after-failover'")
    assert _sources_seen(wan, "lab-web", "after-failover") == {WAN_IP[GK_B]}
    code, vips = _api(lab, "/v1/vip", gatekeeper=GK_B)
    assert code == 200 and vips[0]["held"] and vips[0]["vrrp_state"] == "MASTER", vips
    # The new MASTER's readings say so within an interval (the dead one's are gone with its node exporter).
    assert wait_for(lambda: _readings(lab, GK_B).get(("rainbow_edge_vrrp_master", VIP)) == 1.0, timeout=30)
    # The new MASTER also carries the LAN across DCs.
    dc1_client = _lease(client)["address"]
    assert wait_for(lambda: client2.run(f"ping -c 1 -W 1 {dc1_client}").rc == 0, timeout=15)

    # The old MASTER comes back as BACKUP (nopreempt): no second outage.
    gap_back = _ping_gaps(client, 30, lambda: subprocess.run(["podman", "start", GK_A], check=True))
    print(f"FIGURE: VIP gap when the old MASTER returns = {gap_back:.2f} s")
    assert gap_back < 1.0
    assert wait_for(lambda: _vrrp_state(lab, GK_A) == "BACKUP", timeout=60)
    # On the LAN bridge: with the LAN stretched across DCs eth0 is one of its ports.
    assert VIP in lab.host(GK_B).check_output("ip -4 addr show dev br-lan")
