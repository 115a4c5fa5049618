# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which MariaDB server of a primary/replica set is the primary: the decision that can lose data.

Input: what each server of the set answered (``discover`` reads it: alive,
read_only, GTID positions, whom it replicates from and whether its I/O
thread is connected). Output: who answers, who accepts writes, who holds
every transaction any answering server holds, and the one server to treat
as primary, or an empty decision with the reason when none may be chosen.

The rules (the same as the role's runbooks, docs in roles/mariadb/README.md):

* two or more writable servers: no decision (a split the operator resolves);
* exactly one writable server: it is the primary (a rerun keeps the live
  primary, whatever the inventory says);
* none writable (every server starts read-only): the most advanced answering
  server, preferring the one asked for, then the current source of the
  others, then the inventory's primary;
* a replica still connected to a source this run cannot reach: that source
  is *fenced out* of this run but alive for the replica, so promoting anyone
  would split the set; the decision is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def gtid_sequences(*positions: str) -> dict[int, int]:
    """Highest sequence number per GTID domain in comma-separated GTID lists.

    ``"0-1-100,1-2-7"`` -> ``{0: 100, 1: 7}``. Malformed entries are ignored,
    as MariaDB prints an empty string for "no position".
    """
    seqs: dict[int, int] = {}
    for position in positions:
        for gtid in str(position or "").split(","):
            parts = gtid.strip().split("-")
            if len(parts) != 3 or not all(p.isdigit() for p in parts):
                continue
            domain, seq = int(parts[0]), int(parts[2])
            if seq > seqs.get(domain, -1):
                seqs[domain] = seq
    return seqs


def holds_all_of(mine: dict[int, int], other: dict[int, int]) -> bool:
    """Whether a server at ``mine`` holds every transaction of one at ``other``."""
    return all(seq <= mine.get(domain, -1) for domain, seq in other.items())


def most_advanced(seqs_by_host: dict[str, dict[int, int]]) -> list[str]:
    """The hosts that hold every transaction any of the given hosts holds."""
    return [host for host, mine in seqs_by_host.items()
            if all(holds_all_of(mine, other) for other in seqs_by_host.values())]


def replica_status(slave_status: dict | None) -> dict:
    """The first replication channel of ansible.mariadb's mariadb_info ``slave_status``.

    mariadb_info nests SHOW SLAVE STATUS by source host, port and user; the
    result is that channel's row with Master_Host, Master_Port and
    Master_User put back in.
    """
    for host, ports in (slave_status or {}).items():
        for port, users in ports.items():
            for user, status in users.items():
                return dict(status, Master_Host=host, Master_Port=port, Master_User=user)
    return {}


@dataclass
class Topology:
    """The decision and what it was made from."""

    alive: list[str] = field(default_factory=list)
    down: list[str] = field(default_factory=list)
    writable: list[str] = field(default_factory=list)
    most_advanced: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    fenced_out: list[str] = field(default_factory=list)
    primary: str = ""
    refusal: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def decide(states: dict[str, dict], members: list[str], ip_of: dict[str, str],
           inventory_primary: str, preferred: str = "") -> Topology:
    """Decide the primary of ``members`` from their ``states``.

    ``states``: host -> the role's discovered state (a host with no state, or
    ``alive`` false, did not answer). ``ip_of``: host -> the address other
    servers replicate from (their ``source``). ``preferred``: a switchover or
    failover target, honoured only if it is among the most advanced.
    """
    host_of_ip = {ip: host for host, ip in ip_of.items()}
    state = {host: states.get(host) or {"alive": False} for host in members}
    topo = Topology()
    topo.alive = [h for h in members if state[h].get("alive")]
    topo.down = [h for h in members if h not in topo.alive]
    topo.writable = [h for h in topo.alive if not state[h].get("read_only", True)]
    seqs = {h: gtid_sequences(state[h].get("gtid_binlog_pos"), state[h].get("gtid_io_pos")) for h in topo.alive}
    topo.most_advanced = most_advanced(seqs)
    topo.sources = _unique(host_of_ip[state[h].get("source")] for h in topo.alive
                           if state[h].get("source") in host_of_ip)
    topo.fenced_out = _unique(host_of_ip[state[h].get("source")] for h in topo.alive
                              if state[h].get("io_running") == "Yes" and state[h].get("source") in host_of_ip
                              and host_of_ip[state[h].get("source")] not in topo.alive)
    if len(topo.writable) > 1:
        topo.refusal = (f"Split brain: {' and '.join(topo.writable)} both accept writes. Set read_only=ON on the "
                        "one whose writes you will reconcile by hand, then run playbooks/mariadb_failover.yml.")
    elif topo.fenced_out:
        topo.refusal = (f"{', '.join(topo.fenced_out)} does not answer this run, but replicas are still connected "
                        "to it: it is alive for them. Stop it (or cut it off) before promoting another server.")
    elif len(topo.writable) == 1:
        topo.primary = topo.writable[0]
    else:
        order = [preferred] + topo.sources + [inventory_primary] + sorted(topo.most_advanced)
        topo.primary = next((h for h in order if h in topo.most_advanced), "")
        if not topo.primary:
            topo.refusal = f"No server of {', '.join(members)} answers."
    return topo


def _unique(items) -> list:
    seen: list = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
