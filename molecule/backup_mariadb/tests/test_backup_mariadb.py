# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MariaDB's backups (role backup_client) and their restore (playbooks/backup_restore_mariadb.yml).

bm-db1 is the primary, bm-db2 its replica, which backs MariaDB up; bm-store
keeps the repositories. The drill writes rows while the backups run, loses
the table, and restores it to a GTID, then to the end of the archived logs.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path

import pytest

from conftest import copy_repository_without_its_key, secret, wait_for

PRIMARY, REPLICA, STORE, FRESH = "bm-db1", "bm-db2", "bm-store", "bm-fresh"
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."))
RESTORE = "roles/backup_client/files/usr/local/lib/rainbow-edge-backup-client/restore_mariadb.py"
JOB = "/usr/local/sbin/rainbow-edge-backup"
TEXTFILES = "/var/lib/prometheus/node-exporter"
TABLE = "rainbow.drill"
BULK = "rainbow.bulk"
WRITER = "rainbow-edge-drill-writer"
ACKED = "/root/drill-acked"


@pytest.fixture(scope="module")
def primary(lab):
    return lab.host(PRIMARY)


@pytest.fixture(scope="module")
def replica(lab):
    return lab.host(REPLICA)


def _sql(host, query: str) -> str:
    return host.check_output(f"mariadb --batch --skip-column-names --execute {shlex.quote(query)}")


def _archives(host, pattern: str) -> list[str]:
    return sorted(host.check_output(f"{JOB} borg list --short --glob-archives {shlex.quote(pattern)}").split())


def _run_unit(host, unit: str) -> float:
    start = time.monotonic()
    result = host.run(f"systemctl start {unit}")
    elapsed = time.monotonic() - start
    assert result.rc == 0, host.run(f"journalctl -u {unit} -n 40 --no-pager").stdout
    return elapsed


def _checksum(host, table: str = TABLE) -> str:
    return _sql(host, f"CHECKSUM TABLE {table}").split()[-1]


def _ids(host) -> set[int]:
    return {int(row) for row in _sql(host, f"SELECT id FROM {TABLE}").split()}


def _caught_up(primary, replica) -> bool:
    return _sql(replica, "SELECT @@gtid_slave_pos") == _sql(primary, "SELECT @@gtid_binlog_pos")


def _restore(lab, *args: str):
    return lab.playbook("backup_restore_mariadb", "-e", f"backup_restore_target={PRIMARY}", *args)


def _summary(run) -> dict:
    for name, _host, result in run.results():
        if name == "Say what was restored":
            return result["msg"]
    raise AssertionError(run)


def _stderr(run) -> str:
    return "\n".join(result.get("stderr", "") for _name, _host, result in run.results())


def test_the_replica_backs_mariadb_up_and_the_primary_leaves_it_to_it(primary, replica):
    _run_unit(primary, "rainbow-edge-backup.service")
    _run_unit(replica, "rainbow-edge-backup.service")
    assert _archives(primary, "files.*") and _archives(replica, "files.*")
    assert _archives(primary, "mariadb.*") == []
    assert _archives(replica, "mariadb.*")
    assert not primary.file(f"{TEXTFILES}/rainbow_edge_backup_mariadb.prom").exists
    newest = replica.file(f"{TEXTFILES}/rainbow_edge_backup_mariadb.prom").content_string
    assert 'rainbow_edge_backup_newest_timestamp_seconds{source="mariadb"} ' in newest, newest


def test_a_replica_that_does_not_replicate_fails_its_backup_and_leaves_the_time_old(primary, replica):
    textfile = f"{TEXTFILES}/rainbow_edge_backup_mariadb.prom"
    before = replica.file(textfile).content_string
    dumps = _archives(replica, "mariadb.*")
    _sql(replica, "STOP REPLICA SQL_THREAD")
    try:
        result = replica.run("systemctl start rainbow-edge-backup.service")
        journal = replica.run("journalctl -u rainbow-edge-backup.service -n 20 --no-pager").stdout
    finally:
        _sql(replica, "START REPLICA SQL_THREAD")
    assert result.rc != 0
    assert "a replica that does not replicate" in journal, journal
    assert replica.file(textfile).content_string == before
    assert _archives(replica, "mariadb.*") == dumps


def test_the_binary_logs_are_archived_in_clear_of_mariadbs_encryption_only_inside_borg(lab, replica):
    """The server keeps its binary logs encrypted; the archive holds them readable (for the replay), and
    the repository's raw files hold no canary written into the database."""
    canary = f"canary-{time.time_ns()}"
    _sql(lab.host(PRIMARY), f"CREATE TABLE IF NOT EXISTS rainbow.canary (note VARCHAR(64)); "
                            f"INSERT INTO rainbow.canary VALUES ('{canary}')")
    assert wait_for(lambda: _caught_up(lab.host(PRIMARY), replica), 30)
    _run_unit(replica, "rainbow-edge-backup-mariadb-binlog.service")
    newest = _archives(replica, "mariadb-binlog.*")[-1]
    listing = replica.check_output(f"{JOB} borg list --short ::{newest}").split()
    assert listing and all(name.startswith("mariadb-bin.") for name in listing), listing
    assert replica.run(f"grep -rqa {canary} /var/lib/mysql-binlog").rc == 1, "the server's binary logs are in clear"
    decoded = replica.run(f"cd /run && mkdir -p drill-extract && cd drill-extract && {JOB} borg extract ::{newest}"
                          f" && mariadb-binlog --verbose {' '.join(listing)} | grep -c {canary}; rm -rf /run/drill-extract")
    assert decoded.stdout.strip() not in ("", "0"), decoded
    raw = lab.host(STORE).run(f"grep -rqa {canary} /srv/backup/data/repos/{REPLICA}")
    assert raw.rc == 1, "the canary is in clear in the repository"


def test_a_restore_brings_back_every_acknowledged_row_to_a_gtid_and_to_the_end(lab, primary, replica):
    _sql(primary, f"DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} (id INT PRIMARY KEY, note VARCHAR(64))")
    # The bulk of the lab's data, for the figures: 200000 rows of 100 characters.
    _sql(primary, f"DROP TABLE IF EXISTS {BULK}; CREATE TABLE {BULK} (id INT PRIMARY KEY, payload CHAR(100)); "
                  f"INSERT INTO {BULK} SELECT seq, CONCAT(SHA2(seq, 256), LEFT(SHA2(seq + 1, 256), 36)) "
                  "FROM rainbow.seq_1_to_200000")
    bulk = _checksum(primary, BULK)
    assert wait_for(lambda: _caught_up(primary, replica), 60)
    # A real client's writes, each acknowledged (committed) before its id is recorded.
    primary.check_output(
        f"rm -f {ACKED}; systemd-run --unit {WRITER} --collect /bin/bash -c "
        + shlex.quote(f"i=0; while true; do i=$((i+1)); mariadb --execute \"INSERT INTO {TABLE} VALUES ($i, "
                      f"REPEAT('x', 40))\" && echo $i >> {ACKED}; done"))
    try:
        assert wait_for(lambda: len(primary.run(f"cat {ACKED}").stdout.split()) >= 50, 60)
        dump_seconds = _run_unit(replica, "rainbow-edge-backup.service")
        acked_at_flush = set(map(int, primary.check_output(f"cat {ACKED}").split()))
        binlog_seconds = _run_unit(replica, "rainbow-edge-backup-mariadb-binlog.service")
    finally:
        primary.check_output(f"systemctl stop {WRITER}")
    assert wait_for(lambda: _caught_up(primary, replica), 60)
    gtid = _sql(primary, "SELECT @@gtid_binlog_pos")
    at_gtid = (_ids(primary), _checksum(primary))
    assert acked_at_flush <= at_gtid[0]
    # A second burst after the GTID, archived too.
    first = max(at_gtid[0]) + 1
    _sql(primary, "; ".join(f"INSERT INTO {TABLE} VALUES ({i}, 'after')" for i in range(first, first + 20)))
    assert wait_for(lambda: _caught_up(primary, replica), 60)
    at_end = (_ids(primary), _checksum(primary))
    _run_unit(replica, "rainbow-edge-backup-mariadb-binlog.service")
    dump = _archives(replica, "mariadb.*")[-1]
    size = json.loads(replica.check_output(f"{JOB} borg info --json ::{dump}"))["archives"][0]["stats"]
    print(f"FIGURE: daily backup on the replica (/etc, then the dump) under a write loop in {dump_seconds:.1f} s, dump "
          f"({size['original_size'] / 1024:.0f} KiB, {size['deduplicated_size'] / 1024:.0f} KiB stored); "
          f"binary logs archived in {binlog_seconds:.1f} s; {len(at_end[0])} rows")

    # The loss, replicated to the replica as well.
    _sql(primary, f"DROP TABLE {TABLE}")

    # The server still holds other tables (rainbow.canary, rainbow.bulk), which the dump's
    # tables would replace: refused unless asked, and nothing written.
    refused = _restore(lab, "-e", f"backup_restore_stop_gtid={gtid}")
    texts = refused.refusal("Refuse a replica, or a server holding tables without backup_restore_overwrite", [PRIMARY])
    assert "holds application tables (2): the restore would overwrite live data; set backup_restore_overwrite=true" \
        in texts[PRIMARY], texts
    assert _sql(primary, "SHOW TABLES FROM rainbow LIKE 'drill'") == ""

    run = _restore(lab, "-e", f"backup_restore_stop_gtid={gtid}", "-e", "backup_restore_overwrite=true")
    assert run.returncode == 0, run
    summary = _summary(run)
    assert summary["dump"] == dump and summary["restored_to_gtid"].split("-")[2] == gtid.split("-")[2], summary
    assert (_ids(primary), _checksum(primary)) == at_gtid, "the point-in-time restore is not the table at the GTID"
    assert wait_for(lambda: _caught_up(primary, replica), 60)
    assert _checksum(replica) == at_gtid[1], "the restore did not replicate"
    print(f"FIGURE: point-in-time restore to {gtid}: {len(at_gtid[0])} rows, CHECKSUM TABLE equal, "
          f"{summary['transactions_replayed']} transactions replayed; check {summary['check_seconds']} s, "
          f"dump {summary['dump_seconds']} s, replay {summary['replay_seconds']} s")

    run = _restore(lab, "-e", "backup_restore_overwrite=true")
    assert run.returncode == 0, run
    assert (_ids(primary), _checksum(primary)) == at_end, "the restore to the end lost rows"
    assert _checksum(primary, BULK) == bulk
    assert wait_for(lambda: _caught_up(primary, replica), 60)
    assert _checksum(replica) == at_end[1]
    summary = _summary(run)
    print(f"FIGURE: restore to the end of the archived logs: {len(at_end[0])} rows, CHECKSUM TABLE equal, "
          f"{summary['transactions_replayed']} transactions replayed in {summary['replay_seconds']} s")
    # The temporary key is gone from the backup host.
    assert "rainbow-edge-restore" not in lab.host(STORE).file("/etc/rainbow-edge-backup/authorized_keys").content_string


def test_a_restore_onto_a_replica_or_to_an_unarchived_gtid_is_refused_before_any_write(lab, primary, replica):
    checksum = _checksum(primary)
    refused = lab.playbook("backup_restore_mariadb", "-e", f"backup_restore_target={REPLICA}")
    texts = refused.refusal("Refuse a replica, or a server holding tables without backup_restore_overwrite", [REPLICA])
    assert "is a replica" in texts[REPLICA], texts
    domain, server, sequence = _sql(primary, "SELECT @@gtid_binlog_pos").split("-")
    run = _restore(lab, "-e", "backup_restore_overwrite=true", "-e", f"backup_restore_stop_gtid={domain}-{server}-{int(sequence) + 1000}")
    assert run.returncode != 0
    assert "is not in the archived binary logs" in _stderr(run), run
    assert _checksum(primary) == checksum
    assert "rainbow-edge-restore" not in lab.host(STORE).file("/etc/rainbow-edge-backup/authorized_keys").content_string


def test_a_check_run_of_the_restore_checks_and_writes_nothing(lab, primary):
    checksum = _checksum(primary)
    run = _restore(lab, "-e", "backup_restore_overwrite=true", "--check")
    assert run.returncode == 0, run
    assert _checksum(primary) == checksum
    assert "rainbow-edge-restore" not in lab.host(STORE).file("/etc/rainbow-edge-backup/authorized_keys").content_string


def test_bad_restore_requests_are_refused_at_once(lab):
    run = lab.playbook("backup_restore_mariadb", "-e", f"backup_restore_target={STORE}", "-e", "backup_restore_source=nowhere",
                       "-e", "backup_restore_stop_gtid=yesterday")
    texts = run.refusal("Refuse the restore with every problem of its request", ["localhost"])
    for expected in ("backup_restore_target: expected the MariaDB server to restore onto", "backup_restore_source: expected",
                     "backup_restore_stop_gtid: expected one GTID"):
        assert expected in texts["localhost"], texts


def test_a_fresh_host_restores_mariadb_with_only_the_escrowed_key_and_the_passphrase(lab, primary):
    """Disaster drill: the backup host and the pair are gone. A host that was never part of the Edge,
    with Debian's stock MariaDB (none of the pair's data-at-rest keys), restores from a copy of the
    replica's repository whose own copy of the key is lost, with the key the role escrowed and the
    vault's passphrase, through the collection's restore (the file the role installs)."""
    expected = (_ids(primary), _checksum(primary))
    drill = copy_repository_without_its_key(lab, STORE, FRESH, REPLICA)
    fresh = lab.host(FRESH)
    restore = (PROJECT / RESTORE).read_text()
    fresh.check_output(f"printf %s {shlex.quote(restore)} > /root/drill/restore_mariadb.py")
    environment = (f"BORG_REPO={drill} BORG_PASSPHRASE={shlex.quote(secret('backup_passphrase'))}"
                   " BORG_RELOCATED_REPO_ACCESS_IS_OK=yes")
    assert fresh.run(f"{environment} borg list --short").rc != 0, "the copy still holds its key"
    fresh.check_output(f"{environment} borg key import {drill} /root/drill/escrowed.key")
    dump = fresh.check_output(f"{environment} borg list --short --glob-archives 'mariadb.*'").split()[-1]
    start = time.monotonic()
    summary = json.loads(fresh.check_output(f"{environment} python3 /root/drill/restore_mariadb.py --archive {dump}"))
    elapsed = time.monotonic() - start
    assert (_ids(fresh), _checksum(fresh)) == expected, summary
    assert _checksum(fresh, BULK) == _checksum(primary, BULK)
    print(f"FIGURE: MariaDB restored on a fresh host with stock MariaDB from a copy of {REPLICA}'s repository with "
          f"the escrowed key: {len(expected[0])} rows, CHECKSUM TABLE equal, {summary['transactions_replayed']} "
          f"transactions replayed, in {elapsed:.1f} s")
