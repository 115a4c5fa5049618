"""The mariadb role's account and key-file checks (plugins/module_utils/mariadb_checks.py)."""

from __future__ import annotations

from hypothesis import given, strategies as st

from ansible_collections.rainbow.edge.plugins.module_utils.mariadb_checks import (
    global_privilege_holders, key_file_changes, parse_key_file)

HEX = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
KEYS = st.dictionaries(st.integers(min_value=1, max_value=2**31), HEX, max_size=6)


def test_accounts_with_global_power_are_named():
    users = [
        {"name": "app", "priv": "app.*:ALL"},
        {"name": "reader", "priv": "app.*:SELECT/*.*:PROCESS"},
        {"name": "admin", "priv": "*.*:all privileges"},
        {"name": "ops", "priv": "app.*:SELECT / *.*: SUPER ,PROCESS"},
        {"name": "backup", "priv": "*.*:SELECT,FILE"},
        {"priv": "*.*:SHUTDOWN"},
        {"name": "none"},
    ]
    assert global_privilege_holders(users) == ["admin", "ops", "backup", "?"]


def test_a_key_file_is_read_by_id():
    assert parse_key_file("1;ABCD\n# comment\n\n2;ef01 \nx;00\n") == {1: "abcd", 2: "ef01"}


@given(KEYS)
def test_the_same_keys_change_nothing_and_new_ids_are_a_rotation(current):
    text = "\n".join(f"{key_id};{key.upper()}" for key_id, key in current.items())
    wanted = [{"id": key_id, "key": key} for key_id, key in current.items()]
    assert key_file_changes(text, wanted) == {"has_keys": bool(current), "changed_ids": []}
    rotated = wanted + [{"id": 2**31 + 1, "key": "0" * 64}]
    assert key_file_changes(text, rotated)["changed_ids"] == []


@given(KEYS, KEYS)
def test_every_changed_or_dropped_key_is_named_by_id_only(current, wanted_keys):
    text = "\n".join(f"{key_id};{key}" for key_id, key in current.items())
    result = key_file_changes(text, [{"id": str(key_id), "key": key} for key_id, key in wanted_keys.items()])
    assert result["changed_ids"] == sorted(i for i, key in current.items() if wanted_keys.get(i) != key)
    assert all(isinstance(i, int) for i in result["changed_ids"])
    assert not any(key in str(result) for key in current.values())


def test_malformed_wanted_entries_are_left_to_the_role_s_own_checks():
    assert key_file_changes("1;aa", [{"key": "aa"}, "junk", {"id": "x", "key": "aa"}]) == {
        "has_keys": True, "changed_ids": [1]}
