"""The MariaDB primary decision: the rule that keeps a failover from losing data."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.rainbow.edge.plugins.filter.mariadb_topology import mariadb_replica_status, mariadb_topology_decision
from ansible_collections.rainbow.edge.plugins.module_utils.mariadb_topology import decide, gtid_sequences, most_advanced

MEMBERS = ["db1", "db2", "db3"]
IP_OF = {"db1": "10.20.0.21", "db2": "10.20.0.22", "db3": "10.20.0.23"}


def state(alive=True, read_only=True, binlog="", io="", source="", io_running="No"):
    return {"alive": alive, "read_only": read_only, "gtid_binlog_pos": binlog, "gtid_io_pos": io,
            "source": source, "io_running": io_running}


def test_gtid_sequences_take_the_highest_per_domain_and_ignore_junk():
    assert gtid_sequences("0-1-100,1-2-7", "0-2-101, 2-1-5", "", None, "garbage,0-x-1") == {0: 101, 1: 7, 2: 5}


def test_most_advanced_needs_every_domain():
    seqs = {"a": {0: 10, 1: 3}, "b": {0: 11}, "c": {0: 11, 1: 3}}
    assert most_advanced(seqs) == ["c"]


def test_the_one_writable_server_stays_primary_whatever_the_inventory_says():
    states = {"db1": state(), "db2": state(read_only=False, binlog="0-2-50"), "db3": state()}
    topo = decide(states, MEMBERS, IP_OF, inventory_primary="db1")
    assert topo.primary == "db2" and not topo.refusal


def test_two_writable_servers_are_a_split_and_nothing_is_decided():
    states = {"db1": state(read_only=False), "db2": state(read_only=False), "db3": state()}
    topo = decide(states, MEMBERS, IP_OF, "db1")
    assert topo.primary == "" and topo.refusal.startswith("Split brain: db1 and db2")


def test_a_replica_still_connected_to_an_unreachable_source_refuses_the_promotion():
    # db1 does not answer this run, but db2 still streams from it.
    states = {"db2": state(binlog="0-1-90", io="0-1-100", source=IP_OF["db1"], io_running="Yes"),
              "db3": state(binlog="0-1-100", source=IP_OF["db1"], io_running="Connecting")}
    topo = decide(states, MEMBERS, IP_OF, "db1")
    assert topo.fenced_out == ["db1"] and topo.primary == "" and "alive for them" in topo.refusal


def test_with_none_writable_the_most_advanced_wins_over_the_preferred_and_the_inventory():
    # db3's relay log holds 0-1-120: more than db2's binary log.
    states = {"db1": state(alive=False), "db2": state(binlog="0-1-110"), "db3": state(binlog="0-1-100", io="0-1-120")}
    topo = decide(states, MEMBERS, IP_OF, inventory_primary="db1", preferred="db2")
    assert topo.primary == "db3" and topo.down == ["db1"]


def test_among_equals_the_preferred_then_the_source_then_the_inventory():
    equal = {"db1": state(binlog="0-1-5"), "db2": state(binlog="0-1-5", source=IP_OF["db3"]), "db3": state(binlog="0-1-5")}
    assert decide(equal, MEMBERS, IP_OF, "db1", preferred="db2").primary == "db2"
    assert decide(equal, MEMBERS, IP_OF, "db1").primary == "db3"      # the others' current source
    no_source = {h: state(binlog="0-1-5") for h in MEMBERS}
    assert decide(no_source, MEMBERS, IP_OF, "db2").primary == "db2"  # the inventory's


def test_nobody_answering_is_refused():
    topo = decide({}, MEMBERS, IP_OF, "db1")
    assert topo.primary == "" and topo.refusal == "No server of db1, db2, db3 answers."


def test_the_filters_give_the_decision_and_the_flat_replica_row():
    states = {"db1": state(read_only=False)}
    assert mariadb_topology_decision(states, MEMBERS, IP_OF, "db1")["primary"] == "db1"
    nested = {"10.20.0.21": {3306: {"repl": {"Slave_IO_Running": "Yes"}}}}
    assert mariadb_replica_status(nested) == {"Slave_IO_Running": "Yes", "Master_Host": "10.20.0.21",
                                              "Master_Port": 3306, "Master_User": "repl"}
    assert mariadb_replica_status(None) == {}


_positions = st.dictionaries(st.integers(0, 2), st.integers(0, 50), max_size=3).map(
    lambda d: ",".join(f"{dom}-1-{seq}" for dom, seq in d.items()))
_states = st.fixed_dictionaries({
    "alive": st.booleans(), "read_only": st.booleans(), "gtid_binlog_pos": _positions, "gtid_io_pos": _positions,
    "source": st.sampled_from(["", *IP_OF.values()]), "io_running": st.sampled_from(["Yes", "No", "Connecting"])})


@settings(max_examples=400, deadline=None)
@given(states=st.dictionaries(st.sampled_from(MEMBERS), _states),
       inventory_primary=st.sampled_from(MEMBERS), preferred=st.sampled_from(["", *MEMBERS]))
def test_a_decided_primary_answers_holds_every_answering_servers_transactions_and_is_never_fenced(
        states, inventory_primary, preferred):
    topo = decide(states, MEMBERS, IP_OF, inventory_primary, preferred)
    assert bool(topo.primary) != bool(topo.refusal)
    if not topo.primary:
        return
    assert topo.primary in topo.alive and topo.primary not in topo.fenced_out and not topo.fenced_out
    assert len(topo.writable) <= 1
    if not topo.writable:
        # Nothing acknowledged to a client can be lost: the new primary holds it all.
        mine = gtid_sequences(states[topo.primary]["gtid_binlog_pos"], states[topo.primary]["gtid_io_pos"])
        for other in topo.alive:
            theirs = gtid_sequences(states[other]["gtid_binlog_pos"], states[other]["gtid_io_pos"])
            assert all(seq <= mine.get(dom, -1) for dom, seq in theirs.items()), (topo.primary, other)
