"""The MariaDB restore's decisions (roles/backup_client/files/usr/local/lib/rainbow-edge-backup-client/restore_mariadb.py):
the dump's GTID, the binary logs' chain after it, the GTIDs dropped at replay. Inputs are the real tools' output
(mariadb-dump 11.8 and mariadb-binlog 11.8, shortened)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = (Path(__file__).resolve().parents[4]
          / "roles/backup_client/files/usr/local/lib/rainbow-edge-backup-client/restore_mariadb.py")

DUMP = b"""-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;
INSERT INTO `t` VALUES (1,'a'),(2,'b');
-- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows
-- Preferably use GTID to start replication from GTID position:

-- SET GLOBAL gtid_slave_pos='0-1-3';
""".splitlines(keepends=True)

DECODED = b"""# at 854
#261204 12:09:29 server id 1  end_log_pos 896 CRC32 0xeb180ee8 \tGTID 0-1-4 trans thread_id=9
/*M!100101 SET @@session.skip_parallel_replication=0*//*!*/;
/*M!100001 SET @@session.gtid_domain_id=0*//*!*/;
/*M!100001 SET @@session.server_id=1*//*!*/;
/*M!100001 SET @@session.gtid_seq_no=4*//*!*/;
START TRANSACTION
#261204 12:09:29 server id 1  end_log_pos 1110 CRC32 0x28295845 \tGTID 0-1-5 trans thread_id=9
/*!100001 SET @@session.gtid_seq_no=5*//*!*/;
/*!100001 SET @@SESSION.SERVER_ID=@@GLOBAL.SERVER_ID */;
""".splitlines(keepends=True)


@pytest.fixture(name="restore")
def fixture_restore():
    spec = importlib.util.spec_from_file_location("rainbow_edge_restore_mariadb", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_dump_gtid_is_read_from_mariadb_dumps_comment(restore):
    assert restore.dump_gtid(iter(DUMP)) == "0-1-3"
    with pytest.raises(restore.RestoreError, match="records no GTID position"):
        restore.dump_gtid(iter(DUMP[:2]))


def test_gtid_lists_are_read_per_domain_and_nonsense_refused(restore):
    assert restore.parse_gtid_list("0-1-57,1-3-9") == {0: 57, 1: 9}
    assert restore.parse_gtid_list("") == {}
    with pytest.raises(restore.RestoreError, match="not a GTID: '0-1'"):
        restore.parse_gtid_list("0-1")


def test_each_transactions_gtid_is_found_in_mariadb_binlogs_output(restore):
    assert restore.event_gtids(DECODED) == [(0, 1, 4), (0, 1, 5)]


def test_the_replay_drops_the_original_gtids_and_keeps_the_rest(restore):
    kept = list(restore.strip_gtids(DECODED))
    assert not any(b"gtid_seq_no" in line or b"session.server_id=1" in line or b"gtid_domain_id=0" in line
                   for line in kept)
    assert b"START TRANSACTION\n" in kept
    assert b"/*!100001 SET @@SESSION.SERVER_ID=@@GLOBAL.SERVER_ID */;\n" in kept
    assert len(kept) == len(DECODED) - 4


def test_the_chain_after_the_dump_is_replayed_to_its_end_or_to_a_gtid(restore):
    events = [(0, 1, 2), (0, 1, 3), (0, 1, 4), (0, 1, 5), (0, 1, 6)]
    assert restore.check_chain({0: 3}, events, "") == [(0, 1, 4), (0, 1, 5), (0, 1, 6)]
    assert restore.check_chain({0: 3}, events, "0-1-5") == [(0, 1, 4), (0, 1, 5)]


@pytest.mark.parametrize("events, stop, message", [
    ([(0, 1, 4), (0, 1, 6)], "", r"lack transactions 0-\*-5 to 0-\*-5"),
    ([(0, 1, 5)], "", r"lack transactions 0-\*-4 to 0-\*-4"),
    ([(0, 1, 4)], "0-1-9", r"not in the archived binary logs, which reach 0-\*-4"),
    ([(0, 1, 4)], "0-1-2", "at or before the dump's position"),
    ([(0, 1, 4)], "0-1-4,1-1-1", "one GTID at a time"),
])
def test_a_gap_or_a_gtid_out_of_reach_is_refused_before_any_write(restore, events, stop, message):
    with pytest.raises(restore.RestoreError, match=message):
        restore.check_chain({0: 3}, events, stop)


def test_the_binary_logs_replayed_are_those_after_the_dump_and_the_last_before(restore):
    names = ["files.2026-12-04T01:00:00", "mariadb-binlog.2026-12-04T00:45:00", "mariadb-binlog.2026-12-04T01:00:00",
             "mariadb.2026-12-04T01:00:30", "mariadb-binlog.2026-12-04T01:15:00"]
    assert restore.binlog_archives(names, "mariadb.2026-12-04T01:00:30") == [
        "mariadb-binlog.2026-12-04T01:00:00", "mariadb-binlog.2026-12-04T01:15:00"]
    assert restore.binlog_archives(names[:1], "mariadb.2026-12-04T01:00:30") == []
