# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MariaDB pair (mdb-db1, mdb-db2), its standalone control (mdb-plain), seen from mdb-client.

Each test would fail without the feature it checks: rows written on the
primary reach the replica through real replication, the replica refuses
writes, a canary is absent from every raw file of the encrypted servers but
present in those of the same role's server with encryption off, and under a
real client's insert loop neither a switchover nor a `kill -9` of the
primary followed by the failover runbook loses an acknowledged commit.

The tests run in file order and share the pair: the switchover moves the
primary to mdb-db2 (the inventory still says mdb-db1), the rerun must keep
it there, then the failover kills mdb-db2 and promotes mdb-db1.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import time
import uuid
from pathlib import Path

import pytest

from conftest import INPUT_REFUSAL, secret, vip_holder, wait_for

PAIR = {"mdb-db1": "10.20.4.11", "mdb-db2": "10.20.4.12"}
# The pair's VIP (mariadb_vip), held by its live primary only.
VIP = "10.20.4.50"
PLAIN, PLAIN_IP = "mdb-plain", "10.20.4.13"
CLIENT = "mdb-client"
DATADIR, BINLOG_DIR = "/var/lib/mysql", "/var/lib/mysql-binlog"
KEY_DIR = "/etc/mysql/encryption"
# Every place a server writes to: data (tables, redo and undo logs, relay
# logs), binary logs, logs, temporary directories.
RAW_DIRS = (DATADIR, BINLOG_DIR, "/var/log", "/tmp", "/var/tmp")
NO_RESTART_DROPIN = "/run/systemd/system/mariadb.service.d/lab-keep-down.conf"


def root_sql(lab, host: str, statement: str) -> list[list[str]]:
    """Run SQL as root through the server's socket; return rows of strings."""
    out = lab.host(host).check_output(f"mariadb --batch --skip-column-names -e {shlex.quote(statement)}")
    return [line.split("\t") for line in out.splitlines() if line]


def status(lab, host: str, name: str) -> str:
    rows = root_sql(lab, host, f"SHOW GLOBAL STATUS LIKE '{name}'")
    return rows[0][1] if rows else ""


def variable(lab, host: str, name: str) -> str:
    return root_sql(lab, host, f"SELECT @@GLOBAL.{name}")[0][0]


def replica_status(lab, host: str) -> dict[str, str]:
    out = lab.host(host).check_output("mariadb -e 'SHOW SLAVE STATUS\\G'")
    return dict(re.findall(r"^\s*(\w+): ?(.*)$", out, re.M))


def answers(lab, host: str) -> bool:
    return lab.host(host).run("mariadb-admin --connect-timeout=3 ping").rc == 0


def primary(lab) -> str:
    writable = [host for host in PAIR if answers(lab, host) and variable(lab, host, "read_only") == "0"]
    assert len(writable) == 1, f"expected one writable server, got {writable}"
    return writable[0]


def app(lab, host_ip: str, statement: str, account: str = "") -> dict:
    """One statement from the client, as the application (or a declared ``account``), over TLS."""
    env = (f"MDB_USER={account}_app MDB_DATABASE={account} MDB_PASSWORD_FILE=/root/mdb-{account}-password "
           if account else "")
    out = lab.host(CLIENT).check_output(f"{env}python3 /root/mdb_client.py exec {host_ip} {shlex.quote(statement)}")
    return json.loads(out)


@pytest.fixture(scope="module", autouse=True)
def client(lab):
    """The client gets its script, the Edge's CA and the application password."""
    probe = lab.host(CLIENT)
    ca = lab.host("mdb-db1").file("/etc/mysql/ssl/ca.pem").content_string
    script = (Path(__file__).parent / "mdb_client.py").read_text()
    for path, content in (("/root/mdb_client.py", script), ("/root/mdb-ca.pem", ca),
                          ("/root/mdb-app-password", secret("mariadb_app_password")),
                          ("/root/mdb-contributed-password", secret("mariadb_contributed_password"))):
        probe.check_output(f"install -m 0600 /dev/null {path} && printf %s {shlex.quote(content)} > {path}")
    return probe


def replication_healthy(lab, source: str, replica: str) -> bool:
    st = replica_status(lab, replica)
    return (st.get("Slave_IO_Running") == "Yes" and st.get("Slave_SQL_Running") == "Yes"
            and st.get("Master_Host") == PAIR[source]
            and status(lab, source, "Rpl_semi_sync_master_status") == "ON"
            and variable(lab, replica, "gtid_current_pos") == variable(lab, source, "gtid_binlog_pos"))


# --- replication -----------------------------------------------------------

def test_row_written_on_primary_is_read_on_replica(lab):
    source = primary(lab)
    replica = next(host for host in PAIR if host != source)
    marker = f"row-{uuid.uuid4().hex[:12]}"
    assert app(lab, PAIR[source], "CREATE TABLE IF NOT EXISTS probe (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))")["ok"]
    written = app(lab, PAIR[source], f"INSERT INTO probe (v) VALUES ('{marker}')")
    assert written["ok"], written
    seen = wait_for(lambda: app(lab, PAIR[replica], f"SELECT v FROM probe WHERE v = '{marker}'")["rows"], timeout=30)
    assert seen == [[marker]], f"{marker} never reached {replica}"


def test_a_database_declared_by_a_tier_is_reached_from_its_address_only(lab):
    """The inventory's fixture declaration (lab_app_provides, for the client's address) made a
    database and an account on the primary: the account writes there, and the row replicates;
    it reaches no other database, and from another address it is not let in."""
    source = primary(lab)
    replica = next(host for host in PAIR if host != source)
    marker = f"declared-{uuid.uuid4().hex[:12]}"
    created = app(lab, PAIR[source], "CREATE TABLE IF NOT EXISTS t (v VARCHAR(64))", account="contributed")
    assert created["ok"], created
    assert app(lab, PAIR[source], f"INSERT INTO t VALUES ('{marker}')", account="contributed")["ok"]
    seen = wait_for(lambda: app(lab, PAIR[replica], f"SELECT v FROM t WHERE v = '{marker}'",
                                account="contributed")["rows"], timeout=30)
    assert seen == [[marker]], f"{marker} never reached {replica}"
    other = app(lab, PAIR[source], "SELECT COUNT(*) FROM rainbow.probe", account="contributed")
    assert not other["ok"] and other["errno"] == 1142, other  # SELECT command denied
    # The same account and password from mdb-plain's address: no such account there.
    elsewhere = lab.host(PLAIN).run(
        f"MYSQL_PWD={shlex.quote(secret('mariadb_contributed_password'))} mariadb --connect-timeout=3 "
        f"-h {PAIR[source]} -u contributed_app --ssl-ca=/etc/mysql/ssl/ca.pem contributed -e 'SELECT 1'")
    assert elsewhere.rc != 0 and "Access denied for user 'contributed_app'@'10.20.4.13'" in elsewhere.stderr, elsewhere


def test_replica_refuses_writes(lab):
    replica = next(host for host in PAIR if host != primary(lab))
    refused = app(lab, PAIR[replica], "INSERT INTO probe (v) VALUES ('must-not-land')")
    assert not refused["ok"] and refused["errno"] == 1290, refused
    assert "read-only" in refused["error"], refused


def test_replication_is_gtid_semisync_after_sync_over_verified_tls(lab):
    source = primary(lab)
    replica = next(host for host in PAIR if host != source)
    st = replica_status(lab, replica)
    assert st["Using_Gtid"] == "Slave_Pos", st
    assert st["Master_SSL_Allowed"] == "Yes" and st["Master_SSL_Verify_Server_Cert"] == "Yes", st
    assert status(lab, replica, "Rpl_semi_sync_slave_status") == "ON"
    assert wait_for(lambda: status(lab, source, "Rpl_semi_sync_master_status") == "ON", timeout=30)
    assert status(lab, source, "Rpl_semi_sync_master_clients") == "1"
    assert variable(lab, source, "rpl_semi_sync_master_wait_point") == "AFTER_SYNC"
    for host in PAIR:
        assert variable(lab, host, "sync_binlog") == "1"
        assert variable(lab, host, "innodb_flush_log_at_trx_commit") == "1"
        assert variable(lab, host, "gtid_strict_mode") == "1"
        assert variable(lab, host, "log_slave_updates") == "1"
    # The replication account needs the replica's own certificate: the
    # Edge's CA signs every TLS service of the Edge.
    grants = root_sql(lab, source, f"SHOW GRANTS FOR 'replicator'@'{PAIR[replica]}'")
    assert f"REQUIRE SUBJECT '/CN={replica}.lab.rainbow-edge.test'" in grants[0][0], grants


def test_clients_without_tls_are_refused(lab):
    password = shlex.quote(secret("mariadb_app_password"))
    login = f"mariadb -h {PAIR['mdb-db1']} -u app -p{password} rainbow -e 'SELECT 1'"
    plain = lab.host(CLIENT).run(f"{login} --skip-ssl")
    # The same credentials over TLS get in (below). MariaDB 11.8 (Debian 13)
    # names the reason; 10.11 (Debian 12) answers "access denied".
    refusal = {"13": "ERROR 3159 (08004): Connections using insecure transport are prohibited",
               "12": "Access denied"}[lab.host("mdb-db1").system_info.release.split(".")[0]]
    assert plain.rc != 0 and refusal in plain.stderr, plain.stderr
    assert lab.host(CLIENT).run(f"{login} --ssl --ssl-ca=/root/mdb-ca.pem --ssl-verify-server-cert").rc == 0
    tls = app(lab, PAIR["mdb-db1"], "SHOW SESSION STATUS LIKE 'Ssl_version'")
    assert tls["ok"] and tls["rows"][0][1] in ("TLSv1.2", "TLSv1.3"), tls


def test_exporter_reports_with_monitoring_grants_only(lab):
    for host, ip in PAIR.items():
        metrics = lab.host(CLIENT).check_output(f"curl -fsS --max-time 10 http://{ip}:9104/metrics")
        assert re.search(r"^mysql_up 1$", metrics, re.M), host
        assert "mysql_global_status_rpl_semi_sync_master_status" in metrics, host
    grants = " ".join(row[0] for row in root_sql(lab, primary(lab), "SHOW GRANTS FOR 'prometheus'@'localhost'"))
    assert "unix_socket" in grants, grants
    assert re.search(r"\bSELECT\b|ALL PRIVILEGES", grants) is None, grants


# --- encryption at rest ---------------------------------------------------------

def _files_with(lab, host: str, needle: str) -> list[str]:
    out = lab.host(host).run(f"grep -rlaF -- {shlex.quote(needle)} {' '.join(RAW_DIRS)}")
    assert out.rc in (0, 1), out.stderr
    return out.stdout.split()


def test_canary_is_in_no_raw_file_of_the_encrypted_servers(lab):
    canary = f"CANARY-{uuid.uuid4().hex}"
    source = primary(lab)
    for ip in (PAIR[source], PLAIN_IP):
        assert app(lab, ip, "CREATE TABLE IF NOT EXISTS canary (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))")["ok"]
        assert app(lab, ip, f"INSERT INTO canary (v) VALUES ('{canary}')")["ok"]
    for host in PAIR:
        assert wait_for(lambda host=host: root_sql(lab, host, f"SELECT COUNT(*) FROM rainbow.canary WHERE v = '{canary}'") == [["1"]])
    # The same steps on every server put the row on disk: table pages
    # flushed, binary log rotated (it is synced at every commit anyway).
    for host in (*PAIR, PLAIN):
        root_sql(lab, host, "FLUSH LOCAL TABLES rainbow.canary FOR EXPORT; UNLOCK TABLES; FLUSH LOCAL BINARY LOGS")

    control = _files_with(lab, PLAIN, canary)
    in_data = [f for f in control if f.startswith(DATADIR + "/")]
    in_binlog = [f for f in control if f.startswith(BINLOG_DIR + "/")]
    leaks = {host: _files_with(lab, host, canary) for host in PAIR}
    print(f"FIGURE: canary files encrypted_servers={sum(map(len, leaks.values()))} "
          f"control={len(control)} (control: {', '.join(control)})")
    assert in_data and in_binlog, f"positive control failed: canary not found on {PLAIN} ({control})"
    assert leaks == {host: [] for host in PAIR}, leaks

    for host in PAIR:
        scheme = root_sql(lab, host, "SELECT ENCRYPTION_SCHEME FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                                     "WHERE NAME = 'rainbow/canary'")
        assert scheme == [["1"]], (host, scheme)


def test_key_file_is_encrypted_outside_the_data_and_private(lab):
    key_hex = secret("mariadb_key_1").lower()
    for host in PAIR:
        server = lab.host(host)
        assert variable(lab, host, "file_key_management_filename") == f"{KEY_DIR}/keyfile.enc"
        assert variable(lab, host, "file_key_management_encryption_algorithm") == "aes_ctr"
        for name in ("keyfile.enc", "filekey"):
            f = server.file(f"{KEY_DIR}/{name}")
            assert (f.user, f.group, f.mode) == ("root", "mysql", 0o440), (host, name)
        directory = server.file(KEY_DIR)
        assert (directory.user, directory.group, directory.mode) == ("root", "mysql", 0o750)
        assert not server.file(f"{KEY_DIR}/keyfile").exists
        # The stored key file is ciphertext: the key itself is nowhere in it.
        assert key_hex not in server.file(f"{KEY_DIR}/keyfile.enc").content.hex()
        assert server.run(f"grep -rlai -- {key_hex} {KEY_DIR} {DATADIR} {BINLOG_DIR}").rc == 1


# --- input check ----------------------------------------------------------------

MANAGED = ("/etc/mysql/mariadb.conf.d/90-rainbow-edge.cnf", f"{KEY_DIR}/keyfile.enc", "/etc/default/prometheus-mysqld-exporter")


# Only the replica names a primary that is not in the inventory (mdb-db1
# and mdb-plain keep theirs): the run must stop for every server.
GHOST_FOR_REPLICA = "{{ {'mdb-db2': 'mdb-ghost', 'mdb-plain': 'mdb-plain'}.get(inventory_hostname, 'mdb-db1') }}"


INPUT_CHECK = INPUT_REFUSAL
KEYS_CHECK = "Check the key file against the inventory's keys"


@pytest.mark.parametrize(("bad", "failing", "task", "expected"), [
    ({"mariadb_replication_password": ""}, tuple(PAIR), INPUT_CHECK,
     ("mariadb_replication_password: expected a secret", "it is empty")),
    ({"mariadb_primary": GHOST_FOR_REPLICA}, ("mdb-db2",), INPUT_CHECK,
     ("mariadb_primary: expected the inventory name of a server in group mariadb", 'got "mdb-ghost"')),
    ({"mariadb_encryption_keys": [{"id": 1, "key": "ab" * 32}]}, tuple(PAIR), KEYS_CHECK,
     ("mariadb_encryption_keys: key ids [1, 2] differ",)),
    ({"mariadb_vip": "10.20.4.11"}, (*PAIR, PLAIN), INPUT_CHECK,
     ("mariadb_vip: expected empty or a free IPv4 address of the LAN 10.20.0.0/16, no server's own",
      'got "10.20.4.11"')),
], ids=["missing-secret", "replica-unknown-primary", "changed-key", "vip-a-server-own"])
def test_bad_input_stops_in_the_input_check_before_any_change(lab, bad, failing, task, expected):
    before = lab.fingerprint(PAIR, MANAGED)
    run = lab.playbook("mariadb", "--extra-vars", json.dumps(bad))
    # Nothing changed on any server, including those whose own input is fine.
    for host, text in run.refusal(task, failing).items():
        assert all(part in text for part in expected), (host, text)
    print(f"FIGURE: bad input {'/'.join(sorted(bad))}: stopped in '{run.failures()[failing[0]][0]}', changed={run.changed()}")
    assert lab.fingerprint(PAIR, MANAGED) == before


def vip_answer(lab, statement: str) -> str:
    """One statement through the VIP with the mariadb client, verifying the server's certificate names the VIP."""
    return lab.host(CLIENT).check_output(
        f"mariadb --host={VIP} --user=app --password=\"$(cat /root/mdb-app-password)\" --ssl-ca=/root/mdb-ca.pem"
        f" --ssl-verify-server-cert --batch --skip-column-names rainbow -e {shlex.quote(statement)}").strip()


def test_the_vip_is_held_by_the_primary_alone_and_reaches_it_over_verified_tls(lab):
    live = primary(lab)
    assert vip_holder(lab, VIP, [*PAIR, PLAIN]) == live
    assert vip_answer(lab, "SELECT @@hostname") == live
    # keepalived tracks the server that takes writes: the replica is in FAULT, not a backup that could take it.
    replica = next(host for host in PAIR if host != live)
    states = {host: lab.host(host).check_output(
        "journalctl -u keepalived --no-pager -o cat | grep -io 'entering [a-z]* state' | tail -n 1").upper()
        for host in PAIR}
    assert states[live] == "ENTERING MASTER STATE" and states[replica] == "ENTERING FAULT STATE", states


# --- runbooks -------------------------------------------------------------------

class Loop:
    """The client's insert loop, run as a transient unit on mdb-client."""

    def __init__(self, lab, table: str, addresses: list[str]) -> None:
        """A loop writing to the first of ``addresses`` that answers (servers' own, or the VIP)."""
        table = f"{table}_{uuid.uuid4().hex[:6]}"
        self.lab, self.table, self.addresses = lab, table, addresses
        self.out, self.stop = f"/root/{table}.acked", f"/root/{table}.stop"
        self.unit = f"mdb-loop-{table}"

    def start(self, max_ids: int = 200000, max_seconds: int = 300) -> None:
        client = self.lab.host(CLIENT)
        client.check_output(f"rm -f {self.out} {self.stop}")
        assert app(self.lab, self.addresses[0],
                   f"CREATE TABLE {self.table} (id INT PRIMARY KEY, host VARCHAR(32), at TIMESTAMP(6) DEFAULT NOW(6))")["ok"]
        client.check_output(
            f"systemd-run --unit={self.unit} --property=Type=exec python3 /root/mdb_client.py loop "
            f"{self.out} {self.stop} {max_ids} {max_seconds} {self.table} "
            + " ".join(self.addresses))

    def acked(self) -> list[tuple[int, float, str]]:
        text = self.lab.host(CLIENT).run(f"cat {self.out}").stdout
        return [(int(i), float(t), h) for i, t, h in (line.split() for line in text.splitlines() if not line.startswith("dup"))]

    def finish(self) -> list[tuple[int, float, str]]:
        client = self.lab.host(CLIENT)
        client.check_output(f"touch {self.stop}")
        assert wait_for(lambda: client.run(f"systemctl is-active {self.unit}").stdout.strip() != "active", timeout=60)
        result = client.run(f"systemctl show -p Result --value {self.unit}").stdout.strip()
        assert result in ("success", ""), f"insert loop failed: {client.run(f'journalctl -u {self.unit} -n 20').stdout}"
        return self.acked()

    def wait_acks(self, count: int, on: str | None = None, after: float = 0.0, timeout: float = 120) -> None:
        def enough():
            return len([a for a in self.acked() if a[1] > after and (on is None or a[2] == PAIR[on])]) >= count
        assert wait_for(enough, timeout=timeout, interval=1), f"fewer than {count} acknowledged writes on {on}"


def _stored_ids(lab, host: str, table: str) -> set[int]:
    return {int(row[0]) for row in root_sql(lab, host, f"SELECT id FROM rainbow.{table}")}


def _longest_pause(acked) -> float:
    times = [a[1] for a in acked]
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def test_switchover_loses_no_acknowledged_write(lab):
    old = primary(lab)
    new = next(host for host in PAIR if host != old)
    loop = Loop(lab, "switchover_ids", [PAIR[old], PAIR[new]])
    # A second client knows only the VIP: it follows the primary through it.
    via_vip = Loop(lab, "switchover_vip_ids", [VIP])
    loop.start()
    via_vip.start()
    loop.wait_acks(100, on=old)
    via_vip.wait_acks(100)
    run = lab.playbook("mariadb_switchover", "--extra-vars", json.dumps({"mariadb_switchover_to": new}))
    assert run.returncode == 0, run
    # The runbook ends once the new primary holds the VIP.
    assert vip_holder(lab, VIP, PAIR) == new
    done = time.time()
    loop.wait_acks(100, on=new)
    via_vip.wait_acks(100, after=done)
    acked = loop.finish()
    acked_via_vip = via_vip.finish()
    lost_via_vip = sorted({a[0] for a in acked_via_vip} - _stored_ids(lab, new, via_vip.table))
    print(f"FIGURE: switchover through the VIP acknowledged={len(acked_via_vip)} lost={len(lost_via_vip)} "
          f"write_pause_seconds={_longest_pause(acked_via_vip):.2f}")
    assert not lost_via_vip, f"acknowledged through the VIP but missing on {new}: {lost_via_vip[:20]}"
    assert vip_answer(lab, "SELECT @@hostname") == new

    stored = _stored_ids(lab, new, loop.table)
    lost = sorted({a[0] for a in acked} - stored)
    print(f"FIGURE: switchover acknowledged={len(acked)} found={len(acked) - len(lost)} lost={len(lost)} "
          f"write_pause_seconds={_longest_pause(acked):.2f}")
    assert not lost, f"acknowledged but missing on {new}: {lost[:20]}"
    assert primary(lab) == new
    assert wait_for(lambda: replication_healthy(lab, new, old), timeout=60), replica_status(lab, old)


def test_rerun_keeps_the_live_primary_and_changes_nothing(lab):
    live = primary(lab)
    run = lab.playbook("mariadb")
    assert run.returncode == 0, run
    assert run.changed() == 0, run
    assert primary(lab) == live
    # The operator is told which inventory change matches the live servers.
    messages = [str(result.get("msg")) for task, host, result in run.results() if "Say which inventory" in task]
    assert any(f"set mariadb_primary: {live}" in m for m in messages), messages


def test_failover_after_kill_loses_no_acknowledged_write_and_old_primary_rejoins(lab):
    old = primary(lab)
    new = next(host for host in PAIR if host != old)
    loop = Loop(lab, "failover_ids", [PAIR[old], PAIR[new]])
    via_vip = Loop(lab, "failover_vip_ids", [VIP])
    loop.start()
    via_vip.start()
    loop.wait_acks(200, on=old)
    via_vip.wait_acks(100)

    # kill -9, and systemd must not restart it in place: the server stays down.
    victim = lab.host(old)
    victim.check_output(f"mkdir -p {os.path.dirname(NO_RESTART_DROPIN)} && printf '[Service]\\nRestart=no\\n' > {NO_RESTART_DROPIN}"
                        " && systemctl daemon-reload")
    killed_at = time.time()
    victim.check_output("kill -9 $(pidof mariadbd)")
    assert wait_for(lambda: victim.run("pidof mariadbd").rc == 1, timeout=10)

    # The killed server's keepalived lets the VIP go; nobody holds it until a server takes writes.
    assert wait_for(lambda: vip_holder(lab, VIP, PAIR) is None and f" {VIP}/" not in
                    lab.host(new).check_output("ip -o -4 addr show"), timeout=10), "the VIP stayed on the killed primary"
    run = lab.playbook("mariadb_failover")
    assert run.returncode == 0, run
    assert vip_holder(lab, VIP, PAIR) == new
    loop.wait_acks(100, on=new, after=killed_at)
    via_vip.wait_acks(100, after=killed_at)
    acked = loop.finish()
    acked_via_vip = via_vip.finish()
    lost_via_vip = sorted({a[0] for a in acked_via_vip} - _stored_ids(lab, new, via_vip.table))
    print(f"FIGURE: failover through the VIP acknowledged={len(acked_via_vip)} lost={len(lost_via_vip)} "
          f"write_pause_seconds={_longest_pause(acked_via_vip):.1f} (the runbook's run included)")
    assert not lost_via_vip, f"acknowledged through the VIP but missing on {new}: {lost_via_vip[:20]}"
    assert victim.run("pidof mariadbd").rc == 1, "the killed server came back during the test"

    stored = _stored_ids(lab, new, loop.table)
    acked_ids = {a[0] for a in acked}
    lost = sorted(acked_ids - stored)
    first_after = min(a[1] for a in acked if a[1] > killed_at and a[2] == PAIR[new])
    print(f"FIGURE: acknowledged={len(acked_ids)} found={len(acked_ids & stored)} lost={len(lost)} "
          f"failover_seconds={first_after - killed_at:.1f}")
    assert not lost, f"acknowledged but missing on {new}: {lost[:20]}"
    assert primary(lab) == new

    # The old primary comes back (read-only, as every server starts), and
    # the runbook, run again, makes it a replica that catches up.
    victim.check_output(f"rm -f {NO_RESTART_DROPIN} && systemctl daemon-reload && systemctl start mariadb")
    assert variable(lab, old, "read_only") == "1"
    rejoin = lab.playbook("mariadb_failover")
    assert rejoin.returncode == 0, rejoin
    assert wait_for(lambda: replication_healthy(lab, new, old), timeout=90), replica_status(lab, old)
    assert _stored_ids(lab, old, loop.table) == _stored_ids(lab, new, loop.table)
    # Back as a read-only replica, it does not take the VIP back.
    assert vip_holder(lab, VIP, PAIR) == new
    truncated = victim.run(f"journalctl -u mariadb --no-pager --since @{int(killed_at)} | grep -c 'truncated binlog'").stdout.strip()
    print(f"FIGURE: rejoined {old} caught up with {new}; unacknowledged transactions dropped at its restart: "
          f"{'yes' if truncated not in ('', '0') else 'none'}")
