# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup tier's decisions: the input checks of ``backup`` (the backup
host) and ``backup_client`` (every other Edge host), and where each client's
repository lives.

Used through the filters of ``plugins/filter/backup_config.py``; unit-tested
in ``tests/unit/plugins/module_utils/test_backup_config.py``.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import is_int_in, is_ipv4_network, lan_errors


# Shortest passphrase accepted: borg's key derivation does not make up for a guessable one.
MIN_PASSPHRASE = 20
# A systemd calendar event: letters, digits and the punctuation of OnCalendar= only.
_CALENDAR = re.compile(r"^[A-Za-z0-9*:.,/~ -]+$")
_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def repositories(hosts: Sequence[str], repos_dir: str) -> Dict[str, str]:
    """Each client host's repository path on the backup host: ``<repos_dir>/<host>``."""
    bad = [host for host in hosts if not _HOST.match(str(host))]
    if bad:
        raise ValueError("host names unfit for a repository path: %r" % bad)
    return {host: posixpath.join(repos_dir, host) for host in hosts}


def _passphrase_errors(name: str, value: Any) -> List[str]:
    if not isinstance(value, str) or len(value) < MIN_PASSPHRASE:
        # Never the value itself: it is a secret.
        return ["%s: expected the repositories' passphrase, at least %d characters (vault it); got %s"
                % (name, MIN_PASSPHRASE, "an empty value" if not value else "%d characters" % len(str(value)))]
    if "\n" in value:
        return ["%s: expected one line; got a value with a line break" % name]
    return []


def _calendar_errors(name: str, value: Any) -> List[str]:
    if not isinstance(value, str) or not value.strip() or not _CALENDAR.match(value):
        return ["%s: expected a systemd calendar event such as '*-*-* 01:00:00'; got %r" % (name, value)]
    return []


def _swift_account_errors(accounts: Any, auth_url: Any) -> List[str]:
    """The Swift accounts the backup reads; keys are never quoted."""
    errors = []
    if not accounts:
        errors.append("backup_client_swift_accounts (default: swift_auth_users): expected the Swift accounts to back "
                      "up, [{account, user, key}]; the list is empty")
    for index, account in enumerate(accounts or []):
        missing = [field for field in ("account", "user", "key")
                   if not isinstance(account, Mapping) or not account.get(field)]
        if missing:
            errors.append("backup_client_swift_accounts[%d]: expected account, user and key; missing %s"
                          % (index, ", ".join(missing)))
    if not isinstance(auth_url, str) or not re.match(r"^https?://[^/:]+(:\d+)?/", auth_url):
        errors.append("backup_client_swift_auth_url: expected Swift's tempauth URL, such as "
                      "http://10.20.0.31:8080/auth/v1.0; got %r" % (auth_url,))
    return errors


def backup_input_errors(inputs: Mapping[str, Any]) -> List[str]:
    """Every problem of the ``backup`` role's converted inputs, each naming its variable."""
    errors: List[str] = lan_errors("backup", inputs)
    if not is_int_in(inputs.get("backup_ssh_port"), 1024, 65535):
        errors.append("backup_ssh_port: expected a TCP port 1024-65535 (the host's own sshd keeps its port); got %r"
                      % (inputs.get("backup_ssh_port"),))
    allowed = inputs.get("backup_allowed_cidrs") or []
    bad = [cidr for cidr in allowed if not is_ipv4_network(cidr)]
    if bad or not allowed:
        errors.append("backup_allowed_cidrs: expected the IPv4 networks of the Edge's hosts in CIDR form; %s"
                      % ("not networks: %r" % bad if bad else "the list is empty"))
    errors += _passphrase_errors("backup_passphrase", inputs.get("backup_passphrase"))
    for period, high in (("daily", 3650), ("weekly", 520), ("monthly", 120)):
        name = "backup_keep_" + period
        if not is_int_in(inputs.get(name), 0, high):
            errors.append("%s: expected 0-%d archives; got %r" % (name, high, inputs.get(name)))
    if sum(inputs.get("backup_keep_" + period) or 0 for period in ("daily", "weekly", "monthly")
           if is_int_in(inputs.get("backup_keep_" + period), 0, 10000)) == 0:
        errors.append("backup_keep_daily, backup_keep_weekly, backup_keep_monthly: all 0 would let prune remove "
                      "every archive; keep at least one")
    errors += _calendar_errors("backup_maintenance_on_calendar", inputs.get("backup_maintenance_on_calendar"))
    errors += _calendar_errors("backup_verify_on_calendar", inputs.get("backup_verify_on_calendar"))
    device = inputs.get("backup_data_device") or ""
    if not str(device).startswith("/dev/"):
        errors.append("backup_data_device: expected the block device of the data volume, such as "
                      "/dev/disk/by-id/virtio-backup-data; got %r" % (device,))
    if not str(inputs.get("backup_data_mount_point") or "").startswith("/"):
        errors.append("backup_data_mount_point: expected an absolute path; got %r"
                      % (inputs.get("backup_data_mount_point"),))
    return errors


# What the MongoDB account of the dump and the restore needs, on database admin.
MONGODB_BACKUP_ROLES = ("backup", "restore", "clusterMonitor")
MIN_MONGODB_PASSWORD = 16
_MONGODB_SECRET = re.compile(r"^[A-Za-z0-9._+=/:,@%^~-]+$")


def _mongodb_errors(inputs: Mapping[str, Any], mongodb_users: Any) -> List[str]:
    """The dump's account: its password, and its declaration in the mongodb role's ``mongodb_users``."""
    user, password = inputs.get("backup_client_mongodb_user"), inputs.get("backup_client_mongodb_password")
    errors: List[str] = []
    if not isinstance(password, str) or len(password) < MIN_MONGODB_PASSWORD:
        errors.append("backup_client_mongodb_password: expected the password of MongoDB's account %s, at least %d "
                      "characters (vault it); got %s" % (user, MIN_MONGODB_PASSWORD, "an empty value" if not password
                                                         else "%d characters" % len(str(password))))
    elif not _MONGODB_SECRET.match(password):
        errors.append("backup_client_mongodb_password: expected letters, digits and . _ + = / : , @ % ^ ~ - only "
                      "(it is written into the tools' settings); got other characters")
    declared = [entry for entry in (mongodb_users if isinstance(mongodb_users, list) else [])
                if isinstance(entry, Mapping) and entry.get("name") == user and entry.get("database") == "admin"]
    wanted = "{name: %s, database: admin, roles: [%s], password: <backup_client_mongodb_password>}" % (
        user, ", ".join(MONGODB_BACKUP_ROLES))
    if not declared:
        errors.append("backup_client_mongodb_user: no account %s on database admin in mongodb_users, which the "
                      "mongodb role creates: add %s" % (user, wanted))
    else:
        roles = declared[0].get("roles") or []
        missing = [role for role in MONGODB_BACKUP_ROLES if role not in roles]
        if missing:
            errors.append("backup_client_mongodb_user: %s in mongodb_users lacks the roles %s: expected %s"
                          % (user, ", ".join(missing), wanted))
        if declared[0].get("password") != password:
            # Never either value.
            errors.append("backup_client_mongodb_password: not the password mongodb_users gives %s" % (user,))
    if not is_int_in(inputs.get("backup_client_mongodb_port"), 1, 65535):
        errors.append("backup_client_mongodb_port: expected a TCP port; got %r"
                      % (inputs.get("backup_client_mongodb_port"),))
    if not re.match(r"^[A-Za-z0-9_-]+$", str(inputs.get("backup_client_mongodb_replica_set") or "")):
        errors.append("backup_client_mongodb_replica_set: expected the replica set's name (letters, digits, _ and -); "
                      "got %r" % (inputs.get("backup_client_mongodb_replica_set"),))
    return errors


def mongodb_members(hosts: Sequence[str], domain: str, port: int) -> List[str]:
    """The replica set's members as their certificates name them: ``<short name>.<domain>:<port>``, sorted."""
    return sorted("%s.%s:%d" % (str(host).split(".", maxsplit=1)[0], domain, int(port)) for host in hosts)


def backup_client_input_errors(inputs: Mapping[str, Any], inventory_hosts: Sequence[str],
                               backup_hosts: Sequence[str], escrow_stat: Optional[Mapping[str, Any]] = None,
                               mongodb_users: Any = None) -> List[str]:
    """Every problem of the ``backup_client`` role's converted inputs.

    ``inventory_hosts``: every host of the inventory; ``backup_hosts``: the
    hosts of group ``backup``; ``escrow_stat``: ``ansible.builtin.stat``'s
    ``stat`` of the key escrow directory on the controller, when it was read;
    ``mongodb_users``: the mongodb role's accounts on this host (read when it
    dumps MongoDB).
    """
    errors: List[str] = []
    server = inputs.get("backup_client_server")
    if not server:
        errors.append("backup_client_server (default: the first host of group backup): expected the backup host "
                      "this host's repository lives on; the inventory has no host in group backup")
    elif server not in inventory_hosts:
        errors.append("backup_client_server: expected a host of the inventory; got %r" % (server,))
    elif server not in backup_hosts:
        errors.append("backup_client_server: expected a host of group backup (%s); got %r"
                      % (", ".join(backup_hosts) or "none", server))
    errors += _passphrase_errors("backup_client_passphrase (default: backup_passphrase)",
                                 inputs.get("backup_client_passphrase"))
    paths = inputs.get("backup_client_paths") or []
    bad = [path for path in paths if not isinstance(path, str) or not path.startswith("/")]
    if bad or not paths:
        errors.append("backup_client_paths: expected absolute paths to back up; %s"
                      % ("not absolute: %r" % bad if bad else "the list is empty"))
    errors += _calendar_errors("backup_client_on_calendar", inputs.get("backup_client_on_calendar"))
    if inputs.get("backup_client_mariadb"):
        errors += _calendar_errors("backup_client_mariadb_binlog_on_calendar",
                                   inputs.get("backup_client_mariadb_binlog_on_calendar"))
    if inputs.get("backup_client_swift"):
        errors += _swift_account_errors(inputs.get("backup_client_swift_accounts"),
                                        inputs.get("backup_client_swift_auth_url"))
    if inputs.get("backup_client_mongodb"):
        errors += _mongodb_errors(inputs, mongodb_users)
    if not is_int_in(inputs.get("backup_client_randomized_delay_seconds"), 0, 86400):
        errors.append("backup_client_randomized_delay_seconds: expected 0-86400 seconds; got %r"
                      % (inputs.get("backup_client_randomized_delay_seconds"),))
    escrow = inputs.get("backup_client_key_escrow_dir") or ""
    if not str(escrow).startswith("/"):
        errors.append("backup_client_key_escrow_dir: expected an absolute directory on the controller where each "
                      "repository's key is exported (keep it outside the Edge); got %r" % (escrow,))
    elif escrow_stat is not None and not (escrow_stat.get("isdir") and escrow_stat.get("writeable")):
        # Found only after the repository exists, the key would not be escrowed at all.
        errors.append("backup_client_key_escrow_dir: %s is not a directory this controller can write (%s); create it "
                      "before the run" % (escrow, "it does not exist" if not escrow_stat.get("exists") else "not writable"))
    return errors


_GTID = re.compile(r"^\d+-\d+-\d+$")
_DUMP_ARCHIVE = re.compile(r"^mariadb\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


def mariadb_restore_plan(request: Mapping[str, Any], mariadb_hosts: Sequence[str],
                         dumps: Mapping[str, Sequence[str]]) -> Dict[str, Any]:
    """Which repository and dump a MariaDB restore reads, and every problem of the request at once.

    ``request``: backup_restore_target, backup_restore_source (optional: the
    host whose repository holds the newest dump), backup_restore_archive
    (optional: that host's newest dump), backup_restore_stop_gtid (optional);
    ``dumps``: each MariaDB host's ``mariadb.*`` archives, as its repository lists them.
    Returns {source, archive, errors}.
    """
    errors: List[str] = []
    target = request.get("backup_restore_target") or ""
    source = request.get("backup_restore_source") or ""
    archive = request.get("backup_restore_archive") or ""
    stop = request.get("backup_restore_stop_gtid") or ""
    if target not in mariadb_hosts:
        errors.append("backup_restore_target: expected the MariaDB server to restore onto, a host of group mariadb "
                      "(%s); got %r" % (", ".join(mariadb_hosts) or "none", target or None))
    if source and source not in mariadb_hosts:
        errors.append("backup_restore_source: expected a host of group mariadb whose repository holds the dump; "
                      "got %r" % (source,))
        source = ""
    if archive and not _DUMP_ARCHIVE.match(str(archive)):
        errors.append("backup_restore_archive: expected a dump's name, mariadb.<UTC time> such as "
                      "mariadb.2026-12-04T01:00:00; got %r" % (archive,))
        archive = ""
    if stop and not _GTID.match(str(stop)):
        errors.append("backup_restore_stop_gtid: expected one GTID, domain-server-sequence such as 0-1-57; got %r"
                      % (stop,))
    held = {host: sorted(dumps.get(host) or []) for host in mariadb_hosts}
    if archive:
        holders = [host for host in ([source] if source else mariadb_hosts) if archive in held[host]]
        if not holders:
            errors.append("backup_restore_archive: no repository of %s holds %s" % (source or "group mariadb", archive))
        elif len(holders) > 1:
            errors.append("backup_restore_archive: %s is in the repositories of %s: set backup_restore_source"
                          % (archive, ", ".join(holders)))
        else:
            source = holders[0]
    else:
        candidates = [(held[host][-1], host) for host in ([source] if source else mariadb_hosts) if held[host]]
        if candidates:
            archive, source = max(candidates)
        else:
            errors.append("no dump of MariaDB (mariadb.*) in the repository of %s: nothing to restore"
                          % (source or "any host of group mariadb"))
    return {"source": source, "archive": archive, "errors": errors}
