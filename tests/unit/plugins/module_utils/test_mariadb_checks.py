"""The mariadb role's account and key-file checks (plugins/module_utils/mariadb_checks.py)."""

from __future__ import annotations

from hypothesis import given, strategies as st

from ansible_collections.rainbow.edge.plugins.module_utils.mariadb_checks import (
    contributed_accounts, global_privilege_holders, key_file_changes, parse_key_file)

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


def _declared(host, name, user, password, address):
    return {"name": name, "user": user, "password": password, "address": address, "host": host, "role": "xmpp"}


def test_declared_databases_get_one_account_per_name_and_address_with_their_databases_only():
    items = [_declared("x1", "xmpp", "xmpp", "password-one-1", "10.20.0.41"),
             _declared("x1", "archive", "xmpp", "password-one-1", "10.20.0.41"),
             _declared("x2", "xmpp", "xmpp", "password-two-2", "10.20.0.42"),
             _declared("x2", "xmpp", "xmpp", "password-two-2", "10.20.0.42")]
    assert contributed_accounts(items) == {
        "databases": [{"name": "archive"}, {"name": "xmpp"}],
        "users": [{"name": "xmpp", "host": "10.20.0.41", "password": "password-one-1", "priv": "xmpp.*:ALL/archive.*:ALL"},
                  {"name": "xmpp", "host": "10.20.0.42", "password": "password-two-2", "priv": "xmpp.*:ALL"}],
        "errors": []}
    assert contributed_accounts([]) == {"databases": [], "users": [], "errors": []}


def test_conflicting_declarations_are_named_without_their_passwords():
    items = [_declared("x1", "xmpp", "xmpp", "password-one-1", "10.20.0.41"),
             _declared("x2", "xmpp", "xmpp", "password-two-2", "10.20.0.41"),
             _declared("x3", "files", "app", "password-three", "10.20.0.43")]
    found = contributed_accounts(items, [{"name": "app", "host": "10.20.0.43", "password": "x", "priv": "files.*:ALL"}])
    assert found["users"] == [] and found["databases"] == [{"name": "files"}, {"name": "xmpp"}]
    assert found["errors"] == [
        "mariadb_users: account app@10.20.0.43 is also declared by x3 (xmpp); keep one of them",
        "mariadb_databases contributions: account xmpp@10.20.0.41 is declared with different passwords by "
        "x1 (xmpp), x2 (xmpp); one account has one password"]
    assert not any("password-" in error for error in found["errors"])
