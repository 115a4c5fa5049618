# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `aio` role: a small Standalone Edge's All-in-One, its tiers composed on one host.

aio1 carries MariaDB, the XMPP servers, the application servers (the
fixture standing in for the vendor's application) and the public load
balancer through their groups; MongoDB is left out (no registry here has
it). aio-client runs the real clients from the WAN: slixmpp (Debian's
python3-slixmpp), curl and nmap, all from Debian through the lab's package
cache.
"""

from __future__ import annotations

import json
import uuid

import pytest

from conftest import INPUT_REFUSAL, copy_between_hosts, install_xmpp_client, run_xmpp_client, xmpp_account

AIO, CLIENT = "aio1", "aio-client"
LAN, WAN, VIP = "10.20.23.11", "198.51.100.210", "198.51.100.211"
DOMAIN = "lab.rainbow-edge.test"
CA = "/etc/lab-aio/ca.crt"
# Each carried tier's unit and its share of the host (roles/aio/defaults/main.yml).
SHARES = {"mariadb.service": 35, "ejabberd.service": 15, "rainbow-edge-api.service": 10, "haproxy.service": 5}
# What the run changes: the tiers' configurations and the memory shares.
MANAGED = ["/etc/systemd/system/mariadb.service.d/rainbow-edge-aio-memory.conf",
           "/etc/systemd/system/haproxy.service.d/rainbow-edge-aio-memory.conf",
           "/etc/ejabberd/ejabberd.yml", "/etc/haproxy/haproxy.cfg", "/etc/mysql/mariadb.conf.d/90-rainbow-edge.cnf"]


@pytest.fixture(scope="module")
def client(lab):
    """aio-client with the XMPP client, the Edge's CA, and the Edge's name on the public VIP."""
    probe = lab.host(CLIENT)
    install_xmpp_client(probe)
    copy_between_hosts(lab, AIO, "/etc/ejabberd/tls/ca.crt", probe, CA)
    probe.check_output(f"grep -q ' {DOMAIN}$' /etc/hosts || echo '{VIP} {DOMAIN}' >> /etc/hosts")
    return probe


def _memtotal_mb(lab) -> int:
    """The host's memory as Ansible reads it (ansible_facts.memtotal_mb: MemTotal in MiB)."""
    line = next(line for line in lab.host(AIO).file("/proc/meminfo").content_string.splitlines()
                if line.startswith("MemTotal:"))
    return int(line.split()[1]) // 1024


def test_each_tier_s_unit_runs_within_its_share_of_the_host_s_memory(lab):
    host = lab.host(AIO)
    memtotal = _memtotal_mb(lab)
    for unit, share in SHARES.items():
        assert host.service(unit).is_running, unit
        # systemd's reading of the drop-in; the lab's containers have cgroup v1, read-only, where no memory.high
        # exists to enforce it (a real host with cgroup v2 applies it).
        high = int(host.check_output(f"systemctl show -P MemoryHigh {unit}"))
        assert high == memtotal * share // 100 * 1024 * 1024, (unit, high)
    # MongoDB is not carried here: no share is written for it.
    assert not host.file("/etc/systemd/system/mongod.service.d/rainbow-edge-aio-memory.conf").exists
    pool = int(host.check_output("mariadb -N -e 'SELECT @@innodb_buffer_pool_size'"))
    assert pool == 256 * 1024 * 1024, pool
    print(f"FIGURE: aio memory shares of {memtotal} MiB: "
          + ", ".join(f"{unit} {memtotal * share // 100} MiB" for unit, share in SHARES.items()))


def test_each_service_listens_on_a_port_of_its_own(lab):
    listening = lab.host(AIO).check_output("ss -ltnH").splitlines()
    local = {line.split()[3] for line in listening}
    expected = {
        f"{LAN}:3306": "MariaDB", f"{LAN}:5222": "XMPP (STARTTLS)", f"{LAN}:5223": "XMPP (direct TLS)",
        f"{LAN}:5443": "XMPP (WebSocket, BOSH)", f"{LAN}:5281": "XMPP (web admin)",
        f"{LAN}:8443": "the application", f"{VIP}:443": "the public entry point",
        f"{LAN}:8404": "haproxy's metrics",
    }
    missing = {address: what for address, what in expected.items() if address not in local}
    assert not missing, (missing, sorted(local))
    # One IPv4 listener per port (a daemon on IPv4 and IPv6 shows twice, once each).
    ports = [address.rsplit(":", 1)[1] for address in local if not address.startswith("[")]
    shared = {port for port in ports if ports.count(port) > 1}
    assert not shared, (shared, sorted(local))


def test_two_users_exchange_a_message_at_the_public_entry_kept_in_mariadb(lab, client):
    alice, bob = f"alice{uuid.uuid4().hex[:8]}", f"bob{uuid.uuid4().hex[:8]}"
    env = {"SENDER_PASSWORD": xmpp_account(lab, AIO, alice, DOMAIN),
           "RECEIVER_PASSWORD": xmpp_account(lab, AIO, bob, DOMAIN)}
    body = f"all-in-one-{uuid.uuid4().hex}"
    # Direct TLS with ALPN xmpp-client (XEP-0368) on the public VIP, the certificate verified for the domain.
    sent = run_xmpp_client(client, f"converse {CA} {alice}@{DOMAIN} {VIP}:443:tls {bob}@{DOMAIN} {VIP}:443:tls {body}",
                           env)
    assert sent.rc == 0, sent.stdout + sent.stderr
    archived = run_xmpp_client(client, f"archive {CA} {bob}@{DOMAIN} {VIP}:443:tls {alice}@{DOMAIN}",
                               {"PASSWORD": env["RECEIVER_PASSWORD"]})
    assert archived.rc == 0, archived.stdout + archived.stderr
    assert json.loads(archived.stdout.strip().splitlines()[-1]) == [body]
    rows = lab.host(AIO).check_output(f"mariadb -N -e \"SELECT COUNT(*) FROM ejabberd.archive WHERE txt = '{body}'\"")
    assert int(rows.strip()) == 2, rows  # in the sender's archive and the receiver's


def test_the_application_answers_at_the_public_entry_with_its_database_and_xmpp(client):
    status = json.loads(client.check_output(
        f"curl -sf --cacert {CA} --resolve {DOMAIN}:443:{VIP} https://{DOMAIN}/api/status"))
    assert status["server"] and status["mariadb"]["version"], status
    assert status["xmpp"], status


def _smoke_exchange(run) -> dict:
    exchanges = [result["exchange"] for name, host, result in run.results()
                 if name.startswith("Two users talk at") and "exchange" in result]
    assert len(exchanges) == 1, run
    return exchanges[0]


def _smoke_state(lab) -> tuple[list[int], int]:
    """Whether smoke-a and smoke-b exist (ejabberdctl check_account: 0 yes, 1 no), and their archived rows."""
    host = lab.host(AIO)
    accounts = [host.run(f"ejabberdctl check_account {user} {DOMAIN}").rc for user in ("smoke-a", "smoke-b")]
    rows = host.check_output("mariadb -N -e \"SELECT COUNT(*) FROM ejabberd.archive "
                             "WHERE username IN ('smoke-a', 'smoke-b')\"")
    return accounts, int(rows.strip())


def test_the_smoke_playbook_s_users_talk_from_the_controller_at_the_public_vip_archived_then_removed(lab, tmp_path):
    """playbooks/smoke.yml from this machine, on the WAN's side: users made on the XMPP server, a message each way
    at the VIP (direct TLS, ALPN xmpp-client, the Edge's CA fetched from its host), both in the archive; kept
    with smoke_keep_users (4 rows: each message in both archives), then removed with their archives."""
    kept = lab.playbook("smoke", "-e", f"smoke_credentials_dir={tmp_path}", "-e", "smoke_keep_users=true")
    assert kept.returncode == 0, kept
    exchange = _smoke_exchange(kept)
    assert (exchange["messages"], exchange["archived"], exchange["alpn"]) == (2, 2, "xmpp-client"), exchange
    assert [jid.split("/")[0] for jid in exchange["users"]] == [f"smoke-a@{DOMAIN}", f"smoke-b@{DOMAIN}"]
    assert _smoke_state(lab) == ([0, 0], 4)
    passwords = {user: (tmp_path / user).read_text() for user in ("smoke-a", "smoke-b")}
    assert tmp_path.stat().st_mode & 0o777 == 0o700
    report = next(result["msg"] for name, _host, result in kept.results() if name == "Report what the smoke test probed")
    assert report["not_probed"] == ["TURN: the inventory has no turn group"], report
    print(f"FIGURE: aio smoke playbook: 2 users logged in at {VIP}:443 in {exchange['login_seconds']} s, "
          f"a message each way in {exchange['exchange_seconds']} s ({exchange['tls_version']}), both archived")

    removed = lab.playbook("smoke", "-e", f"smoke_credentials_dir={tmp_path}")
    assert removed.returncode == 0, removed
    assert _smoke_exchange(removed)["archived"] == 2
    assert {user: (tmp_path / user).read_text() for user in passwords} == passwords  # reused, not made again
    assert _smoke_state(lab) == ([1, 1], 0)
    for run in (kept, removed):
        text = json.dumps(run.report) + run.stderr
        assert not [user for user, password in passwords.items() if password.split()[0] in text]


def test_from_the_wan_only_443_on_the_vip_and_nothing_on_the_host_s_address(lab):
    for target, expected in ((VIP, {443}), (WAN, set())):
        states = lab.scan(CLIENT, target, "1-65535", rate=5000)
        assert {port for port, state in states.items() if state == "open"} == expected, (target, {
            port: state for port, state in states.items() if state != "filtered"})


def test_colliding_ports_an_oversized_cache_and_a_second_vip_are_refused_before_any_change(lab, tmp_path):
    before = lab.fingerprint([AIO], MANAGED)
    given = tmp_path / "given.json"
    given.write_text(json.dumps({"xmpp_admin_port": 8443, "mariadb_innodb_buffer_pool_size": "4096G",
                                 "public_lb_vips": [VIP, "10.20.23.99"]}))
    run = lab.playbook("aio", "-e", f"@{given}")
    text = run.refusal(INPUT_REFUSAL, [AIO])[AIO]
    assert "port 8443 is taken by xmpp (xmpp_admin_port) and api (api_port)" in text, text
    assert "mariadb_innodb_buffer_pool_size: 4194304 MiB is over 75 % of MariaDB's share of the All-in-One" in text, text
    assert "public_lb_vips: an All-in-One has two WAN addresses (section 9.3)" in text, text
    # The public load balancer's own check, listed with the All-in-One's before any tier is changed.
    assert "public_lb_vips: 10.20.23.99 is outside the WAN 198.51.100.208/28" in text, text
    assert lab.fingerprint([AIO], MANAGED) == before


def test_a_rerun_changes_nothing_and_says_which_tier_it_leaves_out(lab):
    # The whole playbook: the public load balancer's check reads what every tier's input check publishes.
    run = lab.playbook("aio")
    assert run.returncode == 0 and run.changed() == 0, run
    said = [result.get("msg", "") for name, host, result in run.results()
            if host == AIO and name.endswith("Say which of the All-in-One's tiers this host leaves out")]
    assert said and "left out by aio_tiers: mongodb" in " ".join(said[0].split()), said
