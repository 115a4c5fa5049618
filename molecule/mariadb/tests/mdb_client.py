# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A MariaDB client for the lab, run on mdb-client (python3-mysqldb: libmariadb).

Copied to the client by the tests. Two commands:

``exec HOST SQL``
    Runs one statement as the application account over TLS and prints a JSON
    line: {"ok": true, "rows": [...]} or {"ok": false, "errno": N, "error": "..."}.
    MDB_USER, MDB_DATABASE and MDB_PASSWORD_FILE name another account.

``loop OUT STOPFILE MAX_IDS MAX_SECONDS TABLE HOST [HOST...]``
    Inserts ids 1, 2, 3... into rainbow.TABLE, one transaction each, on the
    first host that takes the write (moving on to the next host on any
    error, as an application behind a load balancer would), and appends a
    line "id unix_time host" to OUT for every id whose COMMIT was
    acknowledged. Stops after MAX_IDS ids, MAX_SECONDS seconds, or when
    STOPFILE exists. An id whose retry finds it already stored (duplicate
    key: committed, but the acknowledgement was lost with the server) is
    written as "dup id": it was never acknowledged.
"""

from __future__ import annotations

import json
import os
import sys
import time

import MySQLdb

USER = os.environ.get("MDB_USER", "app")
DATABASE = os.environ.get("MDB_DATABASE", "rainbow")
CA = "/root/mdb-ca.pem"
PASSWORD_FILE = os.environ.get("MDB_PASSWORD_FILE", "/root/mdb-app-password")


def connect(host: str):
    with open(PASSWORD_FILE, encoding="ascii") as handle:
        password = handle.read().strip()
    return MySQLdb.connect(
        host=host, user=USER, passwd=password, db=DATABASE, ssl={"ca": CA},
        # A commit may wait for a replica's acknowledgement (semi-sync timeout 10 s).
        connect_timeout=3, read_timeout=30, write_timeout=30, autocommit=False,
    )


def run_exec(host: str, statement: str) -> int:
    try:
        conn = connect(host)
        cur = conn.cursor()
        cur.execute(statement)
        rows = [list(map(str, row)) for row in cur.fetchall()] if cur.description else []
        conn.commit()
        print(json.dumps({"ok": True, "rows": rows, "cipher": conn.get_host_info()}))
    except MySQLdb.Error as exc:
        print(json.dumps({"ok": False, "errno": exc.args[0], "error": str(exc.args[-1])}))
    return 0


def run_loop(out: str, stopfile: str, max_ids: int, max_seconds: float, table: str, hosts: list[str]) -> int:
    deadline = time.monotonic() + max_seconds
    current, conn, next_id = 0, None, 1
    with open(out, "a", encoding="ascii", buffering=1) as acked:
        while next_id <= max_ids and time.monotonic() < deadline and not os.path.exists(stopfile):
            try:
                if conn is None:
                    conn = connect(hosts[current])
                cur = conn.cursor()
                cur.execute(f"INSERT INTO {table} (id, host) VALUES (%s, %s)", (next_id, hosts[current]))
                conn.commit()
                acked.write(f"{next_id} {time.time():.6f} {hosts[current]}\n")
                next_id += 1
                time.sleep(0.005)
            except MySQLdb.IntegrityError as exc:
                if exc.args[0] != 1062:
                    raise
                acked.write(f"dup {next_id}\n")
                next_id += 1
                if conn is not None:
                    conn.rollback()
            except MySQLdb.Error:
                if conn is not None:
                    try:
                        conn.close()
                    except MySQLdb.Error:
                        pass
                conn = None
                current = (current + 1) % len(hosts)
                time.sleep(0.1)
    return 0


def main(argv: list[str]) -> int:
    if argv[1] == "exec":
        return run_exec(argv[2], argv[3])
    if argv[1] == "loop":
        out, stopfile, max_ids, max_seconds, table, *hosts = argv[2:]
        return run_loop(out, stopfile, int(max_ids), float(max_seconds), table, hosts)
    raise SystemExit(f"unknown command {argv[1]!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
