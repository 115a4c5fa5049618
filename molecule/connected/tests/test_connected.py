# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Connected Edge that scripts/demo leaves running, used by real clients.

Each test is what a user of a Connected Edge would try first: the global
side's application server reaches MariaDB, Swift and XMPP through the
GateKeepers' tunnel and no other way, a stranger on the WAN reaches none of
them, the database pair replicates, files written through one Swift proxy
are read through another, hosts behind the GateKeepers install packages
through the mirror at the LAN VIP, from the WAN nothing answers but
WireGuard, every host's logs are filed on the logs host, Prometheus scrapes
every host with no alert firing, and a host's backup restores. The scans of
the GateKeepers' WAN addresses run from this machine, which sits on the
Edge's WAN bridge (its gateway address) the way the Internet sits in front
of a GateKeeper.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import shutil
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

from conftest import (copy_between_hosts, install_text, install_xmpp_client, run_xmpp_client, secret, vip_holder, wait_for,
                      xmpp_account)
from whole_edge_checks import (LOGS_HOSTS_DIR, assert_line_filed_on_logs_host, backup_and_restore_files,
                               lab_clock_synchronised, prometheus_get)

GATEKEEPERS = ("connected-gk1", "connected-gk2")
WAN_IP = {"connected-gk1": "198.51.100.130", "connected-gk2": "198.51.100.131"}
VIP = "10.20.0.254"
WG_PORT = 51820
TUNNEL_IP = {"connected-gk1": "10.255.0.11", "connected-gk2": "10.255.0.12"}
LAN = "10.20.0.0/24"
# The global side (lab probes, molecule.yml): the global cloud's GateKeeper, an
# application server behind it, and a stranger on the WAN.
GLOBAL_GK, GLOBAL_APP, STRANGER = "connected-global-gk", "connected-global-app", "connected-stranger"
GLOBAL_GK_TUNNEL_IP, GLOBAL_APP_IP = "10.255.0.100", "172.30.0.20"
# The Edge's CA, copied onto the global application server.
GLOBAL_CA = "/etc/lab-global/edge-ca.crt"
PRIMARY, REPLICA = "connected-db1", "connected-db2"
PRIMARY_IP = "10.20.0.21"
PROXIES = {"connected-store1": "10.20.0.31", "connected-store2": "10.20.0.32", "connected-store3": "10.20.0.33"}
# The LAN host that plays the application server in these tests.
APP_HOST = "connected-db1"
XMPP_SERVERS = {"connected-xmpp1": "10.20.0.41", "connected-xmpp2": "10.20.0.42"}
XMPP_DOMAIN = "connected.rainbow-edge.test"
LOGS, METRICS, BACKUP = "connected-logs1", "connected-metrics1", "connected-backup1"
PROMETHEUS = "https://10.20.0.52:9090"

# Swift's own protocol, spoken with the standard library on an Edge host:
# tempauth, then PUT through one proxy and GET through another.
SWIFT_CLIENT = r'''
import hashlib, json, os, sys, urllib.request
cmd = json.loads(sys.argv[1])
def call(method, url, headers, data=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, dict(resp.headers), resp.read()
_, auth, _ = call("GET", f"http://{cmd['put_via']}:8080/auth/v1.0",
                  {"X-Auth-User": cmd["user"], "X-Auth-Key": cmd["key"]})
token, storage = auth["X-Auth-Token"], auth["X-Storage-Url"]
data = os.urandom(cmd["size"])
call("PUT", f"{storage}/{cmd['container']}", {"X-Auth-Token": token})
put, headers, _ = call("PUT", f"{storage}/{cmd['container']}/{cmd['name']}", {"X-Auth-Token": token}, data)
other = storage.replace(cmd["put_via"], cmd["get_via"])
got, _, body = call("GET", f"{other}/{cmd['container']}/{cmd['name']}", {"X-Auth-Token": token})
print(json.dumps({"put": put, "etag": headers.get("Etag"), "get": got, "storage": storage,
                  "md5_sent": hashlib.md5(data).hexdigest(), "md5_read": hashlib.md5(body).hexdigest()}))
'''


def sql(host, statement: str) -> str:
    """One statement through the mariadb client, as root over the local socket."""
    encoded = base64.b64encode(statement.encode()).decode()
    return host.check_output(f"echo {encoded} | base64 -d | mariadb --batch --skip-column-names")


def nmap(target: str, ports: str, udp: bool = False) -> dict[int, str]:
    """nmap from this machine; {port: state}, summarized ports included."""
    assert shutil.which("nmap"), "nmap is missing on this machine: scripts/lab installs it"
    # A full TCP range at a minimum rate: the GateKeepers drop silently.
    pace = [] if udp else ["--min-rate", "4000"]
    cmd = ["nmap", "-Pn", "-n", "-sU" if udp else "-sS", *pace, "--max-retries", "1", "-p", ports, "-oX", "-", target]
    report = ET.fromstring(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    states = {int(p.get("portid")): p.find("state").get("state") for p in report.iter("port")}
    for extra in report.iter("extraports"):
        states[-1] = extra.get("state")  # every port not listed is in this state
    return states


def expected_alerts() -> set[tuple[str, str]]:
    """(alert, host) pairs a healthy Connected Edge fires on this machine: the clock's only, and only when unsynchronised."""
    return set() if lab_clock_synchronised() else {("EdgeClockOffset", host) for host in ALL_HOSTS}


def test_a_row_written_on_the_primary_is_read_on_the_replica(lab):
    marker = uuid.uuid4().hex
    sql(lab.host(PRIMARY), "CREATE TABLE IF NOT EXISTS rainbow.connected_check (id VARCHAR(32) PRIMARY KEY) ENGINE=InnoDB;"
                           f"INSERT INTO rainbow.connected_check VALUES ('{marker}')")
    replica = lab.host(REPLICA)
    seen = wait_for(lambda: sql(replica, f"SELECT id FROM rainbow.connected_check WHERE id = '{marker}'").strip() == marker,
                    timeout=30)
    assert seen, "the row written on the primary did not reach the replica"
    # The replica is read-only for the applications, so it cannot diverge.
    assert sql(replica, "SELECT @@read_only").strip() == "1"


def swift_round_trip(host, put_via: str, get_via: str, size: int) -> dict:
    """SWIFT_CLIENT run by ``host``'s python3: an object of ``size`` random bytes PUT through the proxy
    ``put_via`` and read back through ``get_via``, as account rainbow:files; what it saw."""
    install_text(host, SWIFT_CLIENT, "/root/lab_swift_client.py")
    cmd = {"user": "rainbow:files", "key": secret("swift_files_key"), "container": "checks",
           "name": f"check-{uuid.uuid4().hex}.bin", "size": size, "put_via": put_via, "get_via": get_via}
    payload = base64.b64encode(json.dumps(cmd).encode()).decode()
    result = json.loads(host.check_output(f"python3 /root/lab_swift_client.py \"$(echo {payload} | base64 -d)\""))
    assert result["put"] == 201 and result["get"] == 200, result
    assert result["etag"] == result["md5_sent"] == result["md5_read"], result
    return result


def test_an_object_put_through_one_proxy_is_read_through_another(lab):
    swift_round_trip(lab.host(APP_HOST), PROXIES["connected-store1"], PROXIES["connected-store2"], 1 << 20)
    print(f"FIGURE: connected_swift_object_bytes={1 << 20} put_via=connected-store1 get_via=connected-store2 md5_ok=1")


def test_hosts_behind_the_gatekeepers_install_through_the_mirror_at_the_vip(lab):
    host = lab.host(APP_HOST)
    proxy = host.check_output("apt-config dump Acquire::http::Proxy")
    assert f'"http://{VIP}:3142"' in proxy, proxy
    host.check_output("apt-get update -q")
    host.check_output("apt-get install -y -q --download-only --reinstall hello")
    logs = "".join(lab.host(gk).run("cat /var/log/apt-cacher-ng/apt-cacher.log").stdout for gk in GATEKEEPERS)
    assert re.search(r"hello_[^|]*\.deb", logs), "the package did not come through the GateKeepers' mirror"


@pytest.mark.parametrize("gatekeeper", GATEKEEPERS)
def test_nothing_answers_on_the_wan_but_wireguard(lab, gatekeeper):
    tcp = nmap(WAN_IP[gatekeeper], "1-65535")
    assert set(tcp.values()) == {"filtered"}, {p: s for p, s in tcp.items() if s != "filtered"}
    udp = nmap(WAN_IP[gatekeeper], f"53,67,123,161,3142,4789,{WG_PORT}", udp=True)
    assert "open" not in udp.values() and "closed" not in udp.values(), udp
    # What the WAN side of the live ruleset accepts: the WireGuard port, nothing else.
    rules = json.loads(lab.host(gatekeeper).check_output("nft -j list chain inet rainbow_edge services"))["nftables"]
    wan_rules = [r["rule"] for r in rules if "rule" in r and '"eth1"' in json.dumps(r["rule"]["expr"])]
    assert [r.get("comment") for r in wan_rules] == ["WireGuard"], wan_rules
    assert f'"right": {WG_PORT}' in json.dumps(wan_rules[0]["expr"])
    wg = lab.host(gatekeeper).check_output("wg show all listen-port")
    assert str(WG_PORT) in wg, wg


def test_the_lan_reaches_the_gatekeepers_services_at_the_vip():
    # Control for the WAN scan: the same probes from the LAN find DNS and the mirror.
    tcp = nmap(VIP, "3142")
    udp = nmap(VIP, "53", udp=True)
    assert tcp.get(3142) == "open" and udp.get(53) == "open", (tcp, udp)


@pytest.fixture(scope="module")
def global_app(lab):
    """The global side up: the global GateKeeper's tunnel to the Edge's GateKeepers (the Edge's LAN routed to
    the one holding the VIP, as the global cloud's routing would), and its application server with the
    Edge's CA and the XMPP client. A rerun of the verify starts the tunnel over."""
    gk = lab.host(GLOBAL_GK)
    gk.run("ip link del wg0; pkill -f 'wireguard-go wg0'")
    holder = wait_for(lambda: vip_holder(lab, VIP, GATEKEEPERS), timeout=30)
    assert holder, "no GateKeeper holds the LAN VIP"
    peers = []
    for name in GATEKEEPERS:
        key = lab.host(name).check_output("wg show wg0 public-key")
        allowed = f"{TUNNEL_IP[name]}/32" + (f",{LAN}" if name == holder else "")
        peers.append(f"peer {key} endpoint {WAN_IP[name]}:{WG_PORT} allowed-ips {allowed} persistent-keepalive 5")
    gk.check_output("wireguard-go wg0")
    gk.check_output(f"wg set wg0 private-key /etc/wireguard/global.key listen-port {WG_PORT} {' '.join(peers)}")
    gk.check_output(f"ip addr add {GLOBAL_GK_TUNNEL_IP}/24 dev wg0 && ip link set wg0 up && ip route replace {LAN} dev wg0")
    # Until now the Edge's GateKeepers met the global GateKeeper never (EdgeWireGuardHandshakeStale fires):
    # their readings see the handshake, and the alert resolves, before the tests read the Edge's health.
    assert wait_for(lambda: all(_handshakes(lab, gk).get("global", 0) > 0 for gk in GATEKEEPERS), timeout=60)
    assert wait_for(lambda: "EdgeWireGuardHandshakeStale" not in {firing[0] for firing in _firing(lab)},
                    timeout=180, interval=10), _firing(lab)
    app = lab.host(GLOBAL_APP)
    install_xmpp_client(app)
    copy_between_hosts(lab, PRIMARY, "/etc/mysql/ssl/ca.pem", app, GLOBAL_CA)
    return app


def _handshakes(lab, gatekeeper: str) -> dict[str, float]:
    """{peer: Unix time of its latest handshake} from the GateKeeper's readings for the metrics tier."""
    text = lab.host(gatekeeper).file("/var/lib/prometheus/node-exporter/rainbow_edge_gatekeeper.prom").content_string
    return {peer: float(value) for peer, value in
            re.findall(r'^rainbow_edge_wireguard_latest_handshake_seconds\{[^}]*peer="([^"]*)"[^}]*\} (\S+)$', text, re.M)}


def global_sql(app, statement: str, timeout: int = 10):
    """``statement`` through the mariadb client on the global application server, as its account, over TLS
    verified against the Edge's CA; its password in the environment, never on the command line."""
    password = shlex.quote(secret("mariadb_global_app_password"))
    return app.run(f"MYSQL_PWD={password} mariadb -h {PRIMARY_IP} -u global_app --connect-timeout={timeout} "
                   f"--ssl-ca={GLOBAL_CA} --ssl-verify-server-cert --batch --skip-column-names -e {shlex.quote(statement)}")


def _tunnel_bytes(lab) -> int:
    """Bytes the global GateKeeper received through its tunnel, from every peer."""
    transfer = lab.host(GLOBAL_GK).check_output("wg show wg0 transfer")
    return sum(int(line.split()[1]) for line in transfer.splitlines() if line.strip())


def test_the_global_side_reaches_mariadb_swift_and_xmpp_through_the_tunnel_under_its_own_address(lab, global_app):
    before = _tunnel_bytes(lab)
    # MariaDB over TLS: the session is the global server's own address (routed, not masqueraded), so
    # the Edge's accounts and firewalls can tell the global side from the LAN.
    session = global_sql(global_app, "SELECT USER(), @@read_only")
    assert session.rc == 0, session.stderr
    user, read_only = session.stdout.strip().split("\t")
    assert user == f"global_app@{GLOBAL_APP_IP}" and read_only == "0", session.stdout
    # Swift: an object PUT through one proxy, read back through another.
    swift_round_trip(global_app, PROXIES["connected-store1"], PROXIES["connected-store3"], 256 << 10)
    # XMPP: two users of the Edge's domain log in on the two servers and exchange a message.
    alice, bob = f"alice{uuid.uuid4().hex[:8]}", f"bob{uuid.uuid4().hex[:8]}"
    first, second = XMPP_SERVERS
    env = {"SENDER_PASSWORD": xmpp_account(lab, first, alice, XMPP_DOMAIN),
           "RECEIVER_PASSWORD": xmpp_account(lab, second, bob, XMPP_DOMAIN)}
    body = f"global-{uuid.uuid4().hex}"
    sent = run_xmpp_client(global_app, f"converse {GLOBAL_CA} {alice}@{XMPP_DOMAIN} {XMPP_SERVERS[first]}:5222:starttls "
                                       f"{bob}@{XMPP_DOMAIN} {XMPP_SERVERS[second]}:5222:starttls {body}", env)
    assert sent.rc == 0, sent.stdout + sent.stderr
    # All of it came through the global GateKeeper's tunnel.
    received = _tunnel_bytes(lab) - before
    assert received > 256 << 10, received
    print(f"FIGURE: connected_global_side_tunnel_bytes_received={received} (MariaDB, Swift 256 KiB, XMPP)")


def test_with_the_tunnel_down_the_global_side_reaches_nothing(lab, global_app):
    gk = lab.host(GLOBAL_GK)
    gk.check_output("ip link set wg0 down")
    try:
        assert global_sql(global_app, "SELECT 1", timeout=5).rc != 0
        for address, port in ((PROXIES["connected-store1"], 8080), (XMPP_SERVERS["connected-xmpp1"], 5222)):
            assert global_app.run(f"timeout 5 bash -c 'exec 3<>/dev/tcp/{address}/{port}'").rc != 0, (address, port)
    finally:
        gk.check_output(f"ip link set wg0 up && ip route replace {LAN} dev wg0")
    assert wait_for(lambda: global_sql(global_app, "SELECT 1").rc == 0, timeout=30)


def test_a_stranger_on_the_wan_reaches_no_data_tier_even_routed_through_a_gatekeeper(lab):
    # The stranger sends the Edge's LAN to connected-gk1's WAN address (molecule.yml): the GateKeeper
    # forwards nothing from the WAN, and the data tiers admit only the LAN and the global side.
    targets = {PRIMARY_IP: "3306", PROXIES["connected-store1"]: "8080", XMPP_SERVERS["connected-xmpp1"]: "5222,5223,5443"}
    for address, ports in targets.items():
        states = lab.scan(STRANGER, address, ports)
        assert set(states.values()) == {"filtered"}, (address, states)


# Extra vars given the ordinary way (-e name=value) are strings to Ansible.
EDGE_HOSTS = (*GATEKEEPERS, PRIMARY, REPLICA, *PROXIES)
# Every host of the Edge, each shipping its logs, scraped and (but the backup host) backed up.
ALL_HOSTS = (*EDGE_HOSTS, *XMPP_SERVERS, LOGS, METRICS, BACKUP)
# The hosts whose roles serve TLS from the Edge's CA (their input checks read edge_tls_*).
TLS_HOSTS = (*GATEKEEPERS, PRIMARY, REPLICA)
MANAGED_FILES = ["/etc/ssh/sshd_config", "/etc/nftables.conf"]


def test_a_message_through_the_xmpp_cluster_is_kept_in_the_replicated_mariadb(lab):
    first, second = (lab.host(name) for name in XMPP_SERVERS)
    listed = first.check_output("ejabberdctl list_cluster")
    assert all(f"ejabberd@{address}" in listed for address in XMPP_SERVERS.values()), listed
    sender, receiver = f"ann{uuid.uuid4().hex[:8]}", f"ben{uuid.uuid4().hex[:8]}"
    for user in (sender, receiver):
        first.check_output(f"ejabberdctl register {user} {XMPP_DOMAIN} {uuid.uuid4().hex}")
    body = f"cluster-{uuid.uuid4().hex}"
    # Sent on the other server to a user who is offline: kept for him in MariaDB, and on the replica.
    second.check_output(f"ejabberdctl send_message chat {sender}@{XMPP_DOMAIN} {receiver}@{XMPP_DOMAIN} '' {body}")
    assert first.check_output(f"ejabberdctl get_offline_count {receiver} {XMPP_DOMAIN}").strip() == "1"
    assert wait_for(lambda: sql(lab.host(REPLICA), f"SELECT COUNT(*) FROM ejabberd.spool WHERE username = '{receiver}' "
                                                   f"AND xml LIKE '%{body}%'").strip() == "1", timeout=30)
    # A client on the LAN gets TLS with the Edge's certificate for the XMPP domain (STARTTLS).
    for address in XMPP_SERVERS.values():
        lab.host(APP_HOST).check_output(
            f"openssl s_client -connect {address}:5222 -starttls xmpp -xmpphost {XMPP_DOMAIN} "
            f"-CAfile /etc/mysql/ssl/ca.pem -verify_hostname {XMPP_DOMAIN} -verify_return_error -brief < /dev/null")


def _extra_vars(values: dict) -> list[str]:
    return [arg for name, value in values.items() for arg in ("-e", f"{name}={value}")]


def test_check_mode_on_the_converged_edge_reports_no_change(lab):
    """An operator's `ansible-playbook playbooks/connected.yml --check` on the live Edge: it runs through and
    would change nothing."""
    started = time.monotonic()
    run = lab.playbook("connected", "--check")
    assert run.returncode == 0, run
    assert run.changed() == 0, run
    print(f"FIGURE: connected.yml --check on the converged Edge: changed=0 in {time.monotonic() - started:.0f} s")


def test_typed_inputs_given_as_text_are_accepted(lab):
    run = lab.playbook("check_inputs", "--check", *_extra_vars({
        "common_ssh_port": "22", "gatekeeper_vrrp_priority": "0", "mariadb_encryption": "true", "swift_replicas": "3"}))
    assert run.returncode == 0 and run.changed() == 0, run


@pytest.mark.parametrize("wrong, expected", [
    ({"common_ssh_port": "ssh", "gatekeeper_vrrp_priority": "high", "mariadb_encryption": "perhaps",
      "swift_replicas": "three", "edge_tls_renewal_days": "soon"},
     {"common_ssh_port: expected a whole number; got \"ssh\"": EDGE_HOSTS,
      "gatekeeper_vrrp_priority: expected a whole number; got \"high\"": GATEKEEPERS,
      "mariadb_encryption: expected a boolean (true or false); got \"perhaps\"": (PRIMARY, REPLICA),
      "swift_replicas: expected a whole number; got \"three\"": tuple(PROXIES),
      "edge_tls_renewal_days: expected a whole number; got \"soon\"": TLS_HOSTS}),
    ({"common_ssh_port": "70000", "edge_tls_certificate_days": "900"},
     {"common_ssh_port: expected a TCP port 1-65535; got 70000": EDGE_HOSTS,
      "edge_tls_certificate_days: expected 1 to 825 days; got 900": TLS_HOSTS}),
], ids=["wrong-types", "port-out-of-range"])
def test_wrong_inputs_stop_the_whole_edge_run_with_every_problem_listed(lab, wrong, expected):
    """Through site.yml --check: every role's findings on every host, no template error, nothing changed."""
    before = lab.fingerprint(EDGE_HOSTS, MANAGED_FILES)
    run = lab.playbook("site", "--check", *_extra_vars(wrong))
    texts = run.refusal("Refuse the run with every problem of every role", EDGE_HOSTS)
    for message, hosts in expected.items():
        for host in EDGE_HOSTS:
            assert (message in texts[host]) == (host in hosts), (host, message, texts[host])
    assert "not supported between" not in str(run), run
    assert lab.fingerprint(EDGE_HOSTS, MANAGED_FILES) == before


def _health(lab, report_dir, *args):
    """playbooks/health.yml over the Connected Edge: (the run, the JSON report it wrote)."""
    run = lab.playbook("health", "-e", f"edge_health_report_dir={report_dir}", *args)
    report = report_dir / "health.json"
    assert report.exists(), run
    edge_changes = [(name, host) for name, host, result in run.results()
                    if result.get("changed") and host != "localhost"]
    assert edge_changes == [], run
    return run, json.loads(report.read_text())


def _alert_findings(health) -> set[tuple[str, str]]:
    """(alert, host) of the report's alert findings, asserting that each is a warning of the metrics host."""
    found = set()
    for finding in health["findings"]:
        if finding["topic"] == "alerts":
            assert finding["severity"] == "warning" and finding["detail"] == f"firing in Alertmanager on {METRICS}", finding
            found.add((finding["summary"].split(":")[0].removeprefix("Alert "), *finding["hosts"]))
    return found


def _healthy(health) -> bool:
    """Green, or on a lab machine whose clock is not synchronised, warning with the clock's alerts alone."""
    expected = expected_alerts()
    others = [finding for finding in health["findings"] if finding["topic"] != "alerts"]
    return (others == [] and _alert_findings(health) == expected
            and health["status"] == ("warning" if expected else "green"))


def test_the_health_report_of_the_connected_edge_is_green(lab, tmp_path):
    run, health = _health(lab, tmp_path)
    assert run.returncode == 0, run
    assert _healthy(health), health
    checked = " | ".join(health["checked"])
    for item in (f"reachability of {len(lab.group('edge'))} hosts", f"replication of {PRIMARY}, {REPLICA}",
                 "disks and copies of connected-store1, connected-store2, connected-store3", "cluster of connected-xmpp1, connected-xmpp2",
                 f"owners of {VIP}", "handshakes of", "expiry of"):
        assert item in checked, checked
    assert "Edge health: connected.rainbow-edge.test" in (tmp_path / "health.html").read_text()


def test_the_health_report_puts_a_stopped_replica_first(lab, tmp_path):
    replica = lab.host(REPLICA)
    replica.check_output("systemctl stop mariadb")
    try:
        run, health = _health(lab, tmp_path)
    finally:
        replica.check_output("systemctl start mariadb")
    assert run.returncode != 0, run
    assert health["status"] == "critical", health
    first = health["findings"][0]
    assert (first["topic"], first["hosts"], first["summary"]) == (
        "mariadb", [REPLICA], f"MariaDB replica {REPLICA} does not answer"), health["findings"]
    assert f"the primary {PRIMARY} has one copy of the data fewer" in first["detail"]
    # The run fails after writing the report, with the finding first in its message.
    name, messages = run.failures()["localhost"]
    assert name.startswith("Fail on the findings") and messages[1].startswith(f"CRITICAL: MariaDB replica {REPLICA}"), run
    # Back to green once the replica replicates again.
    assert wait_for(lambda: "Slave_SQL_Running: Yes" in replica.check_output("mariadb -e 'SHOW REPLICA STATUS\\G'")
                    and "Slave_IO_Running: Yes" in replica.check_output("mariadb -e 'SHOW REPLICA STATUS\\G'"),
                    timeout=60), "the replica did not replicate again after its restart"
    run, health = _health(lab, tmp_path)
    assert run.returncode == 0 and _healthy(health), health


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_a_line_logged_on_each_host_is_filed_on_the_logs_host(lab, host):
    assert_line_filed_on_logs_host(lab, host, LOGS)


def test_the_xmpp_servers_log_files_installed_after_the_shipping_are_shipped(lab):
    """site.yml configures log shipping before the XMPP servers exist: their log files appear later, and ship."""
    for server in XMPP_SERVERS:
        filed = f"{LOGS_HOSTS_DIR}/{server}/messages.log"
        assert wait_for(lambda: f" {server} xmpp-ejabberd " in lab.host(LOGS).run(f"cat {filed}").stdout,
                        timeout=30, interval=1), f"no line of ejabberd's log file from {server} in {filed}"


def _prometheus(lab, path: str) -> dict:
    return prometheus_get(lab, METRICS, PROMETHEUS + path)


def test_prometheus_scrapes_every_host_and_no_alert_fires_but_the_lab_clock_s(lab):
    def node_targets():
        targets = _prometheus(lab, "/api/v1/targets?state=active")["data"]["activeTargets"]
        found = {t["labels"].get("host"): t["health"] for t in targets if t["labels"]["job"] == "node"}
        return found if found == {host: "up" for host in ALL_HOSTS} else None
    assert wait_for(node_targets, timeout=90, interval=5), _prometheus(lab, "/api/v1/targets?state=active")
    down = [(t["labels"]["job"], t["labels"].get("host"), t["lastError"])
            for t in _prometheus(lab, "/api/v1/targets?state=active")["data"]["activeTargets"] if t["health"] != "up"]
    assert down == [], down

    # An alert of an earlier test's outage (the stopped replica) resolves within a few evaluations.
    expected = expected_alerts()
    assert wait_for(lambda: _firing(lab) == expected, timeout=180, interval=10), (_firing(lab), expected)
    # What the GateKeepers' alerts read: one holder of the LAN VIP, and every tunnel peer's handshake.
    held = _prometheus(lab, "/api/v1/query?query=sum%20by%20(vip)%20(rainbow_edge_vrrp_master)")["data"]["result"]
    assert [(r["metric"]["vip"], r["value"][1]) for r in held] == [(VIP, "1")], held
    series = _prometheus(lab, "/api/v1/query?query=rainbow_edge_wireguard_latest_handshake_seconds")["data"]["result"]
    peers = {(r["metric"]["host"], r["metric"]["peer"]) for r in series}
    assert peers == {(gk, peer) for gk in GATEKEEPERS for peer in (*GATEKEEPERS, "global") if peer != gk}, peers


def _firing(lab) -> set[tuple[str, str]]:
    """(alert, host) of each alert firing in the Edge's Prometheus."""
    return {(a["labels"]["alertname"], a["labels"].get("host"))
            for a in _prometheus(lab, "/api/v1/alerts")["data"]["alerts"] if a["state"] == "firing"}


def test_a_backup_of_the_replica_is_taken_and_its_files_restored(lab):
    """The replica's files, and MariaDB's dump (taken on the replica, never on the primary), restore."""
    archives = backup_and_restore_files(lab, REPLICA)
    assert any(name.startswith("mariadb.") for name in archives), archives


def test_wrong_inputs_of_the_logs_metrics_and_backup_tiers_stop_the_whole_edge_run(lab):
    """Through site.yml --check: every host's log shipping and each operations tier's own, listed at once."""
    before = lab.fingerprint(ALL_HOSTS, MANAGED_FILES)
    run = lab.playbook("site", "--check", *_extra_vars({
        "log_shipping_retry_seconds": "soon", "logs_retention_days": "forever",
        "metrics_scrape_interval_seconds": "often", "backup_keep_daily": "many"}))
    texts = run.refusal("Refuse the run with every problem kept by the input checks", ALL_HOSTS)
    expected = {"log_shipping_retry_seconds: expected a whole number; got \"soon\"": ALL_HOSTS,
                "logs_retention_days: expected a whole number; got \"forever\"": (LOGS,),
                "metrics_scrape_interval_seconds: expected a whole number; got \"often\"": (METRICS,),
                "backup_keep_daily: expected a whole number; got \"many\"": (BACKUP,)}
    for message, hosts in expected.items():
        for host in ALL_HOSTS:
            assert (message in texts[host]) == (host in hosts), (host, message, texts[host])
    assert lab.fingerprint(ALL_HOSTS, MANAGED_FILES) == before
