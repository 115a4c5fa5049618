# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks of the mariadb role that need more than a comparison.

- Which inventory accounts ask for global privileges that would let them
  read every database or stop the server.
- Which encryption keys in a server's key file the inventory would change
  or drop (data encrypted with them would become unreadable). Only key ids
  leave these functions: the keys never reach a task result or a message.
- Which databases and accounts the other tiers declared (contributions of
  kind ``mariadb_databases``), and which of those declarations conflict.
  Passwords never reach a message.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Sequence

# Global privileges no application account of an Edge may hold.
FORBIDDEN_GLOBAL_PRIVILEGES = ("ALL", "ALL PRIVILEGES", "SUPER", "READ_ONLY ADMIN", "FILE", "SHUTDOWN")


def global_privilege_holders(users: Iterable[Mapping[str, Any]],
                             forbidden: Sequence[str] = FORBIDDEN_GLOBAL_PRIVILEGES) -> List[str]:
    """Names of the accounts whose ``priv`` grants one of ``forbidden`` on ``*.*``.

    ``priv`` is ansible.mariadb's form (mariadb_user): ``db.table:PRIV,PRIV/db2.*:PRIV``.
    """
    banned = {privilege.upper() for privilege in forbidden}
    holders = []
    for user in users:
        for grant in str(user.get("priv") or "").split("/"):
            grant = grant.strip()
            if not grant.startswith("*.*:"):
                continue
            privileges = {privilege.strip().upper() for privilege in grant[4:].split(",")}
            if privileges & banned:
                holders.append(str(user.get("name", "?")))
                break
    return holders


def parse_key_file(text: str) -> Dict[int, str]:
    """The file_key_management plugin's ``id;hexkey`` lines as {id: key in lower case}."""
    keys: Dict[int, str] = {}
    for line in text.splitlines():
        key_id, sep, key = line.partition(";")
        if sep and key_id.strip().isdigit():
            keys[int(key_id)] = key.strip().lower()
    return keys


def key_file_changes(current_text: str, wanted: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
    """What the inventory's ``mariadb_encryption_keys`` would do to a server's key file.

    Returns ``{"has_keys": bool, "changed_ids": [ids]}``: the ids present in the
    file whose key the inventory changes or no longer lists. Adding keys with
    new ids is how keys are rotated, so new ids are not changes.
    """
    current = parse_key_file(current_text)
    wanted_keys: Dict[int, str] = {}
    for item in wanted:
        if not isinstance(item, Mapping) or "id" not in item:
            continue
        try:
            wanted_keys[int(item["id"])] = str(item.get("key", "")).strip().lower()
        except (TypeError, ValueError):
            continue
    changed = sorted(key_id for key_id, key in current.items() if wanted_keys.get(key_id, "") != key)
    return {"has_keys": bool(current), "changed_ids": changed}


def contributed_accounts(items: Iterable[Mapping[str, Any]],
                         users: Iterable[Mapping[str, Any]] = ()) -> Dict[str, Any]:
    """The databases and accounts declared by other tiers, in mariadb_db/mariadb_user's terms.

    ``items`` are contributions of kind ``mariadb_databases`` (each with the
    declaring ``host`` and ``role``). One account per name and address, with
    every privilege on each database declared for it and nothing else.
    Returns ``{"databases": [{name}], "users": [{name, host, password, priv}],
    "errors": [message]}``; errors: an account declared with two passwords,
    or one that ``mariadb_users`` (``users``) defines too.
    """
    accounts: Dict[tuple, Dict[str, Any]] = {}
    for item in items:
        key = (str(item["user"]), str(item["address"]))
        account = accounts.setdefault(key, {"databases": [], "passwords": set(), "declared_by": []})
        if item["name"] not in account["databases"]:
            account["databases"].append(str(item["name"]))
        account["passwords"].add(str(item["password"]))
        account["declared_by"].append("%s (%s)" % (item.get("host", "?"), item.get("role", "?")))
    inventory_accounts = {(str(user.get("name")), str(user.get("host", "%"))) for user in users}
    errors: List[str] = []
    result: List[Dict[str, Any]] = []
    for (name, address), account in sorted(accounts.items()):
        declared_by = ", ".join(sorted(set(account["declared_by"])))
        if len(account["passwords"]) > 1:
            errors.append("mariadb_databases contributions: account %s@%s is declared with different "
                          "passwords by %s; one account has one password" % (name, address, declared_by))
            continue
        if (name, address) in inventory_accounts:
            errors.append("mariadb_users: account %s@%s is also declared by %s; keep one of them"
                          % (name, address, declared_by))
            continue
        result.append({"name": name, "host": address, "password": next(iter(account["passwords"])),
                       "priv": "/".join("%s.*:ALL" % database for database in account["databases"])})
    databases = sorted({database for account in accounts.values() for database in account["databases"]})
    return {"databases": [{"name": database} for database in databases], "users": result, "errors": errors}
