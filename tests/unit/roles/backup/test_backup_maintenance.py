"""The backup host's maintenance (roles/backup/files/usr/local/lib/rainbow-edge-backup/maintenance.py),
with borg replaced by a recording fake: which repositories it prunes and compacts, which it refuses."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[4] / "roles/backup/files/usr/local/lib/rainbow-edge-backup/maintenance.py"


@pytest.fixture
def maintenance():
    spec = importlib.util.spec_from_file_location("rainbow_edge_backup_maintenance", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeBorg:
    """Archives per repository; prune removes all but the newest of a source, as keep 1 would."""

    def __init__(self, archives: dict[str, dict[str, str]]):
        self.archives = archives
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *args: str) -> str:
        self.calls.append(args)
        repository = args[-1]
        if args[0] == "list":
            listed = [{"id": archive_id, "name": name} for archive_id, name in self.archives[repository].items()]
            return json.dumps({"archives": listed})
        if args[0] == "prune":
            prefix = args[args.index("--glob-archives") + 1].rstrip("*")
            matching = sorted((name, archive_id) for archive_id, name in self.archives[repository].items()
                              if name.startswith(prefix))
            for _name, archive_id in matching[:-1]:
                del self.archives[repository][archive_id]
        return ""

    def commands(self, repository: str) -> list[str]:
        return [call[0] for call in self.calls if call[-1] == repository]


def _config(tmp_path: Path, repositories: dict[str, str]) -> dict:
    return {"repositories": repositories, "state_dir": str(tmp_path), "textfile": str(tmp_path / "backup.prom"),
            "passphrase_file": "/dev/null", "keep": {"daily": 7, "weekly": 4, "monthly": 6}}


def test_sources_are_the_archive_names_prefixes(maintenance):
    assert maintenance.sources(["files.2026-12-04T01:00:00", "mariadb.2026-12-04T01:00:00", "files.x", "odd"]) == [
        "files", "mariadb"]


def test_a_repository_seen_first_is_pruned_per_source_compacted_checked_and_remembered(maintenance, tmp_path, monkeypatch):
    borg = FakeBorg({"/r/db1": {"a1": "files.2026-12-03T01:00:00", "a2": "files.2026-12-04T01:00:00",
                                "m1": "mariadb.2026-12-04T01:00:00"}})
    monkeypatch.setattr(maintenance, "borg", borg)
    metrics = maintenance.maintain("db1", "/r/db1", _config(tmp_path, {"db1": "/r/db1"}), False, False)
    assert metrics["tampered"] == 0 and metrics["maintenance_timestamp_seconds"] > 0
    assert borg.commands("/r/db1") == ["list", "prune", "prune", "compact", "check", "list"]
    # What prune removed is the maintenance's own: the state holds what is left.
    assert json.loads((tmp_path / "db1.json").read_text())["archives"] == {
        "a2": "files.2026-12-04T01:00:00", "m1": "mariadb.2026-12-04T01:00:00"}


def test_the_binary_logs_are_pruned_by_age_only_the_dumps_by_the_retention(maintenance, tmp_path, monkeypatch):
    # Each binary-log archive holds only the logs closed since the one before:
    # keeping one a day would cut the chain a point-in-time restore replays.
    borg = FakeBorg({"/r/db2": {"m1": "mariadb.2026-12-04T01:00:00", "b1": "mariadb-binlog.2026-12-04T01:15:00",
                                "b2": "mariadb-binlog.2026-12-04T01:30:00"}})
    monkeypatch.setattr(maintenance, "borg", borg)
    maintenance.maintain("db2", "/r/db2", _config(tmp_path, {"db2": "/r/db2"}), False, False)
    prunes = {call[call.index("--glob-archives") + 1]: call[call.index("--glob-archives") + 2:-1]
              for call in borg.calls if call[0] == "prune"}
    assert prunes == {"mariadb.*": ("--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "6"),
                      "mariadb-binlog.*": ("--keep-within", "7d")}


def test_an_archive_a_client_deleted_stops_prune_and_compact(maintenance, tmp_path, monkeypatch):
    borg = FakeBorg({"/r/db1": {"a2": "files.2026-12-04T01:00:00", "a3": "files.2026-12-05T01:00:00"}})
    monkeypatch.setattr(maintenance, "borg", borg)
    config = _config(tmp_path, {"db1": "/r/db1"})
    maintenance.write_state(tmp_path / "db1.json", {"a1": "files.2026-12-03T01:00:00", "a2": "files.2026-12-04T01:00:00"},
                            str(tmp_path))
    assert maintenance.maintain("db1", "/r/db1", config, False, False) == {"tampered": 1}
    assert borg.commands("/r/db1") == ["list"]
    # Still refused on the next run: the state is kept as it was.
    assert maintenance.maintain("db1", "/r/db1", config, False, False) == {"tampered": 1}
    # Accepted by an operator: taken as it is, then maintained.
    assert maintenance.maintain("db1", "/r/db1", config, False, True)["tampered"] == 0
    assert "compact" in borg.commands("/r/db1")


def test_verify_data_reads_back_every_chunk_and_prunes_nothing(maintenance, tmp_path, monkeypatch):
    borg = FakeBorg({"/r/db1": {"a1": "files.2026-12-03T01:00:00", "a2": "files.2026-12-04T01:00:00"}})
    monkeypatch.setattr(maintenance, "borg", borg)
    maintenance.maintain("db1", "/r/db1", _config(tmp_path, {"db1": "/r/db1"}), True, False)
    assert [call for call in borg.calls if call[0] != "list"] == [("check", "--verify-data", "--lock-wait", "600", "/r/db1")]


def test_the_metrics_keep_the_old_time_of_a_repository_whose_maintenance_failed(maintenance, tmp_path):
    textfile = tmp_path / "backup.prom"
    old = 'rainbow_edge_backup_repository_maintenance_timestamp_seconds{repository="db2"} 1700000000\n'
    maintenance.write_metrics(textfile, {"db1": {"tampered": 0, "maintenance_timestamp_seconds": 1800000000.4},
                                         "db2": {}, "sw1": {"tampered": 1}}, old)
    lines = textfile.read_text().splitlines()
    assert 'rainbow_edge_backup_repository_tampered{repository="db1"} 0' in lines
    assert 'rainbow_edge_backup_repository_tampered{repository="sw1"} 1' in lines
    assert 'rainbow_edge_backup_repository_maintenance_timestamp_seconds{repository="db1"} 1800000000' in lines
    assert 'rainbow_edge_backup_repository_maintenance_timestamp_seconds{repository="db2"} 1700000000' in lines
    assert not any('repository="sw1"} 1' in line and "timestamp" in line for line in lines)
    assert textfile.stat().st_mode & 0o777 == 0o644


def test_a_rollback_removes_what_was_written_since_the_last_good_maintenance(maintenance, tmp_path, monkeypatch):
    repository = tmp_path / "repos/db1"
    (repository / "data/0").mkdir(parents=True)
    for number in range(1, 8):
        (repository / f"data/0/{number}").write_bytes(b"BORG_SEG")
    for name in ("hints", "index", "integrity"):
        (repository / f"{name}.4").write_text("")
        (repository / f"{name}.7").write_text("")
    (repository / "config").write_text("[repository]\nversion = 1\nid = 0123abcd\n")
    home = tmp_path / "home"
    for remembered in (home / ".cache/borg/0123abcd", home / ".config/borg/security/0123abcd",
                       home / ".config/borg/security/other"):
        remembered.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "db1.json").write_text(json.dumps({"archives": {}, "segment": 4}))
    removed = maintenance.rollback("db1", str(repository), {"state_dir": str(state_dir)})
    assert removed == ["data/0/5", "data/0/6", "data/0/7", "hints.7", "index.7", "integrity.7"]
    assert maintenance.segments(str(repository)) == [1, 2, 3, 4]
    assert (repository / "index.4").exists()
    assert not (home / ".cache/borg/0123abcd").exists() and not (home / ".config/borg/security/0123abcd").exists()
    assert (home / ".config/borg/security/other").exists()


def test_a_rollback_refuses_a_locked_repository_or_one_never_maintained(maintenance, tmp_path):
    repository = tmp_path / "db1"
    (repository / "lock.exclusive").mkdir(parents=True)
    (tmp_path / "db1.json").write_text(json.dumps({"archives": {}, "segment": 4}))
    with pytest.raises(ValueError, match="locked"):
        maintenance.rollback("db1", str(repository), {"state_dir": str(tmp_path)})
    (tmp_path / "db1.json").write_text(json.dumps({"archives": {}}))
    with pytest.raises(ValueError, match="no segment recorded"):
        maintenance.rollback("db1", str(repository), {"state_dir": str(tmp_path)})
