# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Managed by rainbow.edge (role backup_client): changes here are replaced.
"""Restore MariaDB on this server from a host's borg repository.

A dump (archive ``mariadb.<UTC time>``, made by role backup_client) is
restored, then the binary logs archived after it (``mariadb-binlog.<UTC
time>``) are replayed from the dump's GTID to their end, or to a given GTID
(inclusive). Everything is checked before anything is written: the dump's
GTID (read in a first pass), that the archived logs continue it without a
gap, that the GTID asked for is among them.

The replayed transactions get new GTIDs from this server: theirs are in its
history already (and strict mode refuses them out of order), and so the
restore replicates to this server's replicas like any other write.

Run by playbooks/backup_restore_mariadb.yml with borg's environment
(BORG_REPO, BORG_RSH, BORG_PASSCOMMAND) set; prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

DUMP_PREFIX = "mariadb."
BINLOG_PREFIX = "mariadb-binlog."
# mariadb-dump --master-data=2 --gtid writes the dump's position as a comment.
_DUMP_GTID = re.compile(rb"^-- SET GLOBAL gtid_slave_pos='([0-9,-]*)';$")
# mariadb-binlog's comment line before each transaction's GTID event.
_EVENT_GTID = re.compile(rb"^#\d{6} +\d+:\d+:\d+ .*\tGTID (\d+)-(\d+)-(\d+)(?: |$)")
# The statements by which a decoded transaction keeps its original GTID.
_GTID_SETTING = re.compile(rb"^/\*M?!100001 SET @@session\.(?:gtid_domain_id|server_id|gtid_seq_no)=\d+\*/")
LOCK_WAIT = "600"


class RestoreError(Exception):
    """A reason to write nothing."""


def parse_gtid_list(text: str) -> dict[int, int]:
    """``0-1-57,1-3-9`` as {domain: sequence number}."""
    positions: dict[int, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        match = re.fullmatch(r"(\d+)-(\d+)-(\d+)", item)
        if not match:
            raise RestoreError(f"not a GTID: {item!r} (expected domain-server-sequence, such as 0-1-57)")
        positions[int(match.group(1))] = int(match.group(3))
    return positions


def dump_gtid(lines: Iterable[bytes]) -> str:
    """The GTID position a dump stands at, from its mariadb-dump comment."""
    found = None
    for line in lines:
        match = _DUMP_GTID.match(line.rstrip(b"\r\n"))
        if match:
            found = match.group(1).decode()
    if found is None:
        raise RestoreError("the dump records no GTID position (it was not made by mariadb-dump --master-data --gtid)")
    return found


def event_gtids(lines: Iterable[bytes]) -> list[tuple[int, int, int]]:
    """(domain, server, sequence) of each transaction in mariadb-binlog's output, in order."""
    return [tuple(int(part) for part in match.groups())
            for match in map(_EVENT_GTID.match, lines) if match]


def check_chain(start: dict[int, int], events: list[tuple[int, int, int]], stop: str) -> list[tuple[int, int, int]]:
    """The transactions to replay after ``start``, up to ``stop`` when set; refused on a gap.

    In strict mode a domain's sequence numbers grow by one per transaction:
    a missing number is a transaction the archived logs lack.
    """
    after = [event for event in events if event[2] > start.get(event[0], 0)]
    expected = dict(start)
    for domain, server, sequence in after:
        if domain in expected and sequence != expected[domain] + 1:
            raise RestoreError(
                f"the archived binary logs lack transactions {domain}-*-{expected[domain] + 1} to "
                f"{domain}-*-{sequence - 1} (after the dump's {domain}-*-{start.get(domain, 0)}): "
                f"a restore past them would lose them")
        expected[domain] = sequence
    if not stop:
        return after
    stop_positions = parse_gtid_list(stop)
    if len(stop_positions) != 1:
        raise RestoreError(f"restore to one GTID at a time; got {stop!r}")
    domain, sequence = next(iter(stop_positions.items()))
    if sequence <= start.get(domain, 0):
        raise RestoreError(f"GTID {stop} is at or before the dump's position {format_gtids(start)}: "
                           "restore an older dump (backup_restore_archive)")
    if not any(event[0] == domain and event[2] == sequence for event in after):
        newest = max((event[2] for event in after if event[0] == domain), default=start.get(domain, 0))
        raise RestoreError(f"GTID {stop} is not in the archived binary logs, which reach {domain}-*-{newest}")
    return [event for event in after if event[0] != domain or event[2] <= sequence]


def format_gtids(positions: dict[int, int]) -> str:
    return ",".join(f"{domain}-*-{sequence}" for domain, sequence in sorted(positions.items())) or "none"


def strip_gtids(lines: Iterable[bytes]) -> Iterator[bytes]:
    """mariadb-binlog's output without the statements that keep the original GTIDs."""
    return (line for line in lines if not _GTID_SETTING.match(line))


def borg(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["borg", *args], check=True, **kwargs)


def archives() -> list[str]:
    return borg("list", "--lock-wait", LOCK_WAIT, "--short", stdout=subprocess.PIPE, text=True).stdout.split()


def binlog_archives(names: list[str], dump: str) -> list[str]:
    """The binary-log archives made after the dump, and the last one before it
    (the log that held the dump's GTID may have been closed and archived just before)."""
    dump_time = dump[len(DUMP_PREFIX):]
    logs = sorted(name for name in names if name.startswith(BINLOG_PREFIX))
    before = [name for name in logs if name[len(BINLOG_PREFIX):] < dump_time]
    return before[-1:] + [name for name in logs if name[len(BINLOG_PREFIX):] >= dump_time]


def stream_dump(dump: str, consumer: list[str] | None) -> str:
    """Read the dump once: into ``consumer``'s stdin when given; returns its GTID."""
    extract = subprocess.Popen(["borg", "extract", "--lock-wait", LOCK_WAIT, "--stdout", f"::{dump}"],
                               stdout=subprocess.PIPE)
    sink = subprocess.Popen(consumer, stdin=subprocess.PIPE) if consumer else None

    def lines() -> Iterator[bytes]:
        for line in extract.stdout:
            if sink:
                sink.stdin.write(line)
            yield line

    try:
        gtid = dump_gtid(lines())
    finally:
        if sink:
            sink.stdin.close()
    failures = [" ".join(proc.args[:2]) for proc in (extract, sink) if proc and proc.wait() != 0]
    if failures:
        raise RestoreError(f"reading the dump {dump} failed in: {', '.join(failures)}")
    return gtid


def decode(files: list[Path], start: str, stop: str = "") -> list[str]:
    command = ["mariadb-binlog", f"--start-position={start}"]
    if stop:
        command.append(f"--stop-position={stop}")
    return command + [str(path) for path in files]


def restore(dump: str, stop: str, binlogs: bool, workdir: Path) -> dict:
    names = archives()
    if dump not in names:
        dumps = [name for name in names if name.startswith(DUMP_PREFIX)]
        raise RestoreError(f"no archive {dump} in the repository (its dumps: {', '.join(dumps) or 'none'})")
    if stop and not binlogs:
        raise RestoreError("a restore to a GTID replays the binary logs: do not turn them off")
    started = time.monotonic()
    gtid = stream_dump(dump, None)
    start = parse_gtid_list(gtid)
    files: list[Path] = []
    replay: list[tuple[int, int, int]] = []
    if binlogs:
        for archive in binlog_archives(names, dump):
            borg("extract", "--lock-wait", LOCK_WAIT, f"::{archive}", cwd=workdir)
        files = sorted(workdir.iterdir())
        if files:
            decoded = subprocess.run(decode(files, gtid), check=True, stdout=subprocess.PIPE).stdout
            replay = check_chain(start, event_gtids(decoded.splitlines()), stop)
        elif stop:
            raise RestoreError(f"GTID {stop} is not in the archived binary logs: the repository has none after {dump}")
    checked = time.monotonic()
    # Everything is known good: write.
    stream_dump(dump, ["mariadb"])
    dumped = time.monotonic()
    if replay:
        decoder = subprocess.Popen(decode(files, gtid, stop), stdout=subprocess.PIPE)
        client = subprocess.Popen(["mariadb"], stdin=subprocess.PIPE)
        for line in strip_gtids(decoder.stdout):
            client.stdin.write(line)
        client.stdin.close()
        if decoder.wait() != 0 or client.wait() != 0:
            raise RestoreError(f"the dump {dump} is restored, but replaying its binary logs failed: "
                               f"this server holds the dump's data and part of what followed")
    last = replay[-1] if replay else None
    return {
        "dump": dump,
        "dump_gtid": gtid,
        "binlog_archives": len(binlog_archives(names, dump)) if binlogs else 0,
        "transactions_replayed": len(replay),
        "restored_to_gtid": "-".join(map(str, last)) if last else gtid,
        "check_seconds": round(checked - started, 2),
        "dump_seconds": round(dumped - checked, 2),
        "replay_seconds": round(time.monotonic() - dumped, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", required=True, help="the dump, mariadb.<UTC time>")
    parser.add_argument("--stop-gtid", default="", help="restore up to this GTID, inclusive")
    parser.add_argument("--no-binlogs", action="store_true", help="restore the dump alone")
    args = parser.parse_args(argv)
    # Decrypted binary logs stay in memory (/run), never on a disk in clear.
    workdir = Path(tempfile.mkdtemp(prefix="rainbow-edge-restore-binlog.", dir="/run"))
    try:
        summary = restore(args.archive, args.stop_gtid, not args.no_binlogs, workdir)
    except (RestoreError, subprocess.CalledProcessError) as error:
        print(f"restore of MariaDB refused or failed: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
