# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Managed by rainbow.edge (role backup): changes here are replaced.
"""Maintenance of the Edge's backup repositories, run on the backup host only.

The clients reach their repositories through ``borg serve --append-only``: a
client's delete or prune is only recorded, and stays undoable until a
compaction from here. So before pruning and compacting a repository, this
compares its archives with those it held after the last maintenance: an
archive gone that this host did not prune is a deletion by a client (or an
intruder on it). That repository is then left alone - no prune, no compact -
its metric ``rainbow_edge_backup_repository_tampered`` is set and the run
fails, until an operator rolls the deletion back (``--rollback HOST``, with
the backup SSH server stopped: roles/backup/README.md) or accepts it
(``--accept-deletions HOST``).

Without ``--verify-data``: prune (per source, the archive names' prefix
``<source>.``; incremental sources by age only), compact, and ``borg check`` of the repository and archives.
With it: ``borg check --verify-data`` only (reads back every chunk).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOCK_WAIT = "600"
# Sources whose archives each hold only what changed since the one before
# (the binary logs): a point-in-time restore replays every one after its
# dump, so they are pruned by age only, kept for as long as the daily dumps.
INCREMENTAL_SOURCES = frozenset({"mariadb-binlog"})


class BorgError(RuntimeError):
    pass


def borg(*args: str) -> str:
    proc = subprocess.run(["borg", *args], capture_output=True, text=True, check=False)
    # rc 1: warnings only (borg 1.2 and later).
    if proc.returncode not in (0, 1):
        raise BorgError(f"borg {args[0]} failed (rc {proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def archives(repository: str) -> dict[str, str]:
    listing = json.loads(borg("list", "--json", "--lock-wait", LOCK_WAIT, repository))
    return {archive["id"]: archive["name"] for archive in listing["archives"]}


def sources(names) -> list[str]:
    return sorted({name.split(".", 1)[0] for name in names if "." in name})


def segments(repository: str) -> list[int]:
    """The numbers of the repository's segment files (``data/<n // 1000>/<n>``)."""
    return sorted(int(path.name) for path in Path(repository, "data").glob("*/*") if path.name.isdigit())


def write_state(path: Path, held: dict[str, str], repository: str) -> None:
    """What the repository holds now, and its last segment: what a rollback returns to."""
    last = (segments(repository) or [0])[-1]
    path.write_text(json.dumps({"archives": held, "segment": last}, indent=1, sort_keys=True) + "\n")


def rollback(host: str, repository: str, config: dict) -> list[str]:
    """Return ``host``'s repository to its state after the last good maintenance.

    Borg's procedure for append-only repositories: the segments written since
    (a client's deletes, and its backups since) are removed with the index
    files, which borg rebuilds; then this account's cache and security entry
    of the repository, which remember the newer manifest. Returns what was removed.
    """
    state = json.loads((Path(config["state_dir"]) / f"{host}.json").read_text())
    keep = state.get("segment")
    if not keep:
        raise ValueError(f"{host}: no segment recorded by a good maintenance: nothing to roll back to")
    root = Path(repository)
    if (root / "lock.exclusive").exists():
        raise ValueError(f"{host}: the repository is locked (a backup running?): stop the backup SSH server first")
    removed = [path for path in root.glob("data/*/*") if path.name.isdigit() and int(path.name) > keep]
    removed += [path for pattern in ("hints.*", "index.*", "integrity.*") for path in root.glob(pattern)
                if path.suffix[1:].isdigit() and int(path.suffix[1:]) > keep]
    for path in removed:
        path.unlink()
    repository_id = next(line.split("=", 1)[1].strip() for line in (root / "config").read_text().splitlines()
                         if line.startswith("id ="))
    home = Path.home()
    for remembered in (home / ".cache/borg" / repository_id, home / ".config/borg/security" / repository_id):
        shutil.rmtree(remembered, ignore_errors=True)
    return sorted(str(path.relative_to(root)) for path in removed)


def maintain(host: str, repository: str, config: dict, verify_data: bool, accept: bool) -> dict[str, float]:
    """One repository's maintenance; returns its metrics."""
    state = Path(config["state_dir"]) / f"{host}.json"
    held = archives(repository)
    if accept or not state.exists():
        write_state(state, held, repository)
    known = json.loads(state.read_text())["archives"]
    lost = {archive_id: name for archive_id, name in known.items() if archive_id not in held}
    if lost:
        print(f"{host}: archives removed by no maintenance of this host, the repository is left as it is "
              f"(no prune, no compact): {sorted(lost.values())}", file=sys.stderr)
        return {"tampered": 1}
    if verify_data:
        borg("check", "--verify-data", "--lock-wait", LOCK_WAIT, repository)
    else:
        keep = config["keep"]
        for source in sources(held.values()):
            if source in INCREMENTAL_SOURCES:
                rule = ["--keep-within", f"{keep['daily']}d"]
            else:
                rule = ["--keep-daily", str(keep["daily"]), "--keep-weekly", str(keep["weekly"]),
                        "--keep-monthly", str(keep["monthly"])]
            borg("prune", "--lock-wait", LOCK_WAIT, "--glob-archives", f"{source}.*", *rule, repository)
        borg("compact", "--lock-wait", LOCK_WAIT, repository)
        borg("check", "--lock-wait", LOCK_WAIT, repository)
        write_state(state, archives(repository), repository)
    return {"tampered": 0, "maintenance_timestamp_seconds": time.time()}


def write_metrics(path: Path, metrics: dict[str, dict[str, float]], previous: str) -> None:
    """node-exporter's textfile, replaced whole; a repository whose maintenance failed keeps its old time."""
    old = {}
    for line in previous.splitlines():
        if line.startswith("rainbow_edge_backup_repository_maintenance_timestamp_seconds{"):
            name, value = line.rsplit(" ", 1)
            old[name] = value
    lines = [
        "# HELP rainbow_edge_backup_repository_tampered 1 when archives were removed by no maintenance of the backup host.",
        "# TYPE rainbow_edge_backup_repository_tampered gauge",
    ]
    lines += [f'rainbow_edge_backup_repository_tampered{{repository="{host}"}} {m["tampered"]}'
              for host, m in sorted(metrics.items()) if "tampered" in m]
    lines += [
        "# HELP rainbow_edge_backup_repository_maintenance_timestamp_seconds End of the last good maintenance.",
        "# TYPE rainbow_edge_backup_repository_maintenance_timestamp_seconds gauge",
    ]
    for host in sorted(metrics):
        name = f'rainbow_edge_backup_repository_maintenance_timestamp_seconds{{repository="{host}"}}'
        value = metrics[host].get("maintenance_timestamp_seconds")
        if value is not None:
            lines.append(f"{name} {value:.0f}")
        elif name in old:
            lines.append(f"{name} {old[name]}")
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".rainbow_edge_backup", delete=False) as out:
        out.write("\n".join(lines) + "\n")
    os.chmod(out.name, 0o644)
    os.replace(out.name, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--verify-data", action="store_true")
    parser.add_argument("--accept-deletions", metavar="HOST", action="append", default=[],
                        help="take HOST's repository as it is now (after an operator checked the deletions)")
    parser.add_argument("--rollback", metavar="HOST",
                        help="return HOST's repository to its state after the last good maintenance, and stop")
    args = parser.parse_args()
    config = json.loads(Path(args.config).read_text())
    if args.rollback:
        if args.rollback not in config["repositories"]:
            parser.error(f"no repository for {args.rollback}: {sorted(config['repositories'])}")
        try:
            removed = rollback(args.rollback, config["repositories"][args.rollback], config)
        except (OSError, ValueError) as error:
            print(error, file=sys.stderr)
            return 1
        print(f"{args.rollback}: removed {len(removed)} files written since the last good maintenance: {removed}")
        return 0
    os.environ["BORG_PASSCOMMAND"] = f"cat {config['passphrase_file']}"
    textfile = Path(config["textfile"])
    previous = textfile.read_text() if textfile.exists() else ""
    metrics: dict[str, dict[str, float]] = {}
    failed = []
    for host, repository in sorted(config["repositories"].items()):
        if not (Path(repository) / "config").exists():
            print(f"{host}: no repository yet at {repository} (the client initialises it)")
            continue
        try:
            metrics[host] = maintain(host, repository, config, args.verify_data, host in args.accept_deletions)
        except (BorgError, OSError, ValueError) as error:
            print(f"{host}: {error}", file=sys.stderr)
            metrics[host] = {}
        if metrics[host].get("tampered") or "maintenance_timestamp_seconds" not in metrics[host]:
            failed.append(host)
    write_metrics(textfile, metrics, previous)
    if failed:
        print(f"maintenance failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
