"""The backup tier's decisions (plugins/module_utils/backup_config.py)."""

from __future__ import annotations

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import backup_config as bc

PASSPHRASE = "correct-horse-battery-staple-42"
BACKUP = {
    "backup_lan_cidr": "10.20.0.0/16",
    "backup_lan_ip": "10.20.0.51",
    "backup_ssh_port": 2222,
    "backup_allowed_cidrs": ["10.20.0.0/16"],
    "backup_passphrase": PASSPHRASE,
    "backup_keep_daily": 7,
    "backup_keep_weekly": 4,
    "backup_keep_monthly": 6,
    "backup_maintenance_on_calendar": "*-*-* 05:30:00",
    "backup_verify_on_calendar": "Sun *-*-* 06:30:00",
    "backup_data_device": "/dev/disk/by-id/virtio-backup",
    "backup_data_mount_point": "/srv/backup",
}
CLIENT = {
    "backup_client_server": "backup1",
    "backup_client_passphrase": PASSPHRASE,
    "backup_client_paths": ["/etc"],
    "backup_client_on_calendar": "*-*-* 01:00:00",
    "backup_client_mariadb": False,
    "backup_client_mariadb_binlog_on_calendar": "*:0/15",
    "backup_client_swift": False,
    "backup_client_swift_accounts": [],
    "backup_client_swift_auth_url": "http://10.20.0.31:8080/auth/v1.0",
    "backup_client_randomized_delay_seconds": 1800,
    "backup_client_key_escrow_dir": "/srv/escrow/edge1",
}
HOSTS = ["gk1", "backup1", "db1"]


def test_good_inputs_have_no_problem():
    assert bc.backup_input_errors(BACKUP) == []
    assert bc.backup_client_input_errors(CLIENT, HOSTS, ["backup1"]) == []


def test_every_problem_of_the_backup_host_is_listed_at_once_without_the_passphrase():
    bad = dict(BACKUP, backup_lan_ip="192.0.2.1", backup_ssh_port=22, backup_allowed_cidrs=[],
               backup_passphrase="tooShortSecret42", backup_keep_daily=0, backup_keep_weekly=0, backup_keep_monthly=0,
               backup_maintenance_on_calendar="daily; rm -rf /", backup_data_device="", backup_data_mount_point="srv")
    errors = bc.backup_input_errors(bad)
    for name in ("backup_lan_ip", "backup_ssh_port", "backup_allowed_cidrs", "backup_passphrase",
                 "backup_keep_daily, backup_keep_weekly, backup_keep_monthly", "backup_maintenance_on_calendar",
                 "backup_data_device", "backup_data_mount_point"):
        assert any(error.startswith(name) for error in errors), (name, errors)
    assert len(errors) == 8, errors
    assert not any("tooShortSecret42" in error for error in errors)
    assert "16 characters" in " ".join(errors)


@pytest.mark.parametrize("keep", [{"backup_keep_daily": -1}, {"backup_keep_weekly": 521}, {"backup_keep_monthly": "6"}])
def test_a_retention_out_of_range_is_refused(keep):
    errors = bc.backup_input_errors(dict(BACKUP, **keep))
    assert [error.split(":")[0] for error in errors] == list(keep), errors


def test_a_passphrase_on_two_lines_is_refused():
    assert bc.backup_input_errors(dict(BACKUP, backup_passphrase=PASSPHRASE + "\nsecond")) == [
        "backup_passphrase: expected one line; got a value with a line break"]


def test_every_problem_of_a_client_is_listed_at_once():
    bad = dict(CLIENT, backup_client_server="db1", backup_client_passphrase="", backup_client_paths=["etc"],
               backup_client_on_calendar="", backup_client_randomized_delay_seconds=-5, backup_client_key_escrow_dir="")
    errors = bc.backup_client_input_errors(bad, HOSTS, ["backup1"])
    assert errors[0] == "backup_client_server: expected a host of group backup (backup1); got 'db1'"
    assert "backup_client_passphrase (default: backup_passphrase): expected the repositories' passphrase, at least " \
           "20 characters (vault it); got an empty value" in errors
    assert len(errors) == 6, errors


def test_the_binary_logs_schedule_is_checked_only_on_a_mariadb_host():
    bad = dict(CLIENT, backup_client_mariadb_binlog_on_calendar="every 15 minutes;")
    assert bc.backup_client_input_errors(bad, HOSTS, ["backup1"]) == []
    assert bc.backup_client_input_errors(dict(bad, backup_client_mariadb=True), HOSTS, ["backup1"]) == [
        "backup_client_mariadb_binlog_on_calendar: expected a systemd calendar event such as '*-*-* 01:00:00'; "
        "got 'every 15 minutes;'"]


def test_the_swift_accounts_are_checked_only_on_the_host_backing_swift_up_and_keys_never_quoted():
    bad = dict(CLIENT, backup_client_swift_accounts=[{"account": "rainbow", "user": "files", "key": "s3cretKey"},
                                                     {"account": "photos", "key": "otherSecret"}],
               backup_client_swift_auth_url="10.20.0.31:8080")
    assert bc.backup_client_input_errors(bad, HOSTS, ["backup1"]) == []
    errors = bc.backup_client_input_errors(dict(bad, backup_client_swift=True), HOSTS, ["backup1"])
    assert errors == [
        "backup_client_swift_accounts[1]: expected account, user and key; missing user",
        "backup_client_swift_auth_url: expected Swift's tempauth URL, such as http://10.20.0.31:8080/auth/v1.0; "
        "got '10.20.0.31:8080'"]
    assert "Secret" not in str(errors) and "s3cret" not in str(errors)
    assert bc.backup_client_input_errors(dict(CLIENT, backup_client_swift=True), HOSTS, ["backup1"]) == [
        "backup_client_swift_accounts (default: swift_auth_users): expected the Swift accounts to back up, "
        "[{account, user, key}]; the list is empty"]


@pytest.mark.parametrize("server, backup_hosts, expected", [
    ("", [], "the inventory has no host in group backup"),
    ("nowhere", ["backup1"], "expected a host of the inventory; got 'nowhere'"),
])
def test_the_backup_host_must_be_one_of_group_backup(server, backup_hosts, expected):
    errors = bc.backup_client_input_errors(dict(CLIENT, backup_client_server=server), HOSTS, backup_hosts)
    assert len(errors) == 1 and expected in errors[0], errors


def test_each_client_has_a_repository_of_its_own():
    assert bc.repositories(["db1", "sw-1.a"], "/srv/backup/data/repos") == {
        "db1": "/srv/backup/data/repos/db1", "sw-1.a": "/srv/backup/data/repos/sw-1.a"}


@pytest.mark.parametrize("host", ["../db1", "a/b", "", "-x"])
def test_a_host_name_that_would_leave_the_repositories_directory_is_refused(host):
    with pytest.raises(ValueError):
        bc.repositories([host], "/srv/backup/data/repos")


@pytest.mark.parametrize("stat, expected", [
    ({"exists": False}, "/srv/escrow/edge1 is not a directory this controller can write (it does not exist)"),
    ({"exists": True, "isdir": True, "writeable": False}, "(not writable)"),
])
def test_an_escrow_directory_the_controller_cannot_write_is_refused_before_any_repository(stat, expected):
    errors = bc.backup_client_input_errors(CLIENT, HOSTS, ["backup1"], stat)
    assert len(errors) == 1 and expected in errors[0], errors
    assert bc.backup_client_input_errors(CLIENT, HOSTS, ["backup1"], {"exists": True, "isdir": True, "writeable": True}) == []


DUMPS = {"db1": ["mariadb.2026-12-03T01:00:00"], "db2": ["mariadb.2026-12-04T01:00:00", "mariadb.2026-12-02T01:00:00"]}


def test_a_mariadb_restore_reads_the_newest_dump_of_any_server_unless_told():
    plan = bc.mariadb_restore_plan({"backup_restore_target": "db1"}, ["db1", "db2"], DUMPS)
    assert plan == {"source": "db2", "archive": "mariadb.2026-12-04T01:00:00", "errors": []}
    plan = bc.mariadb_restore_plan({"backup_restore_target": "db1", "backup_restore_source": "db1"}, ["db1", "db2"], DUMPS)
    assert plan["source"] == "db1" and plan["archive"] == "mariadb.2026-12-03T01:00:00"
    plan = bc.mariadb_restore_plan({"backup_restore_target": "db2", "backup_restore_archive": "mariadb.2026-12-02T01:00:00"},
                                   ["db1", "db2"], DUMPS)
    assert plan["source"] == "db2" and plan["errors"] == []


def test_every_problem_of_a_mariadb_restore_request_is_listed_at_once():
    plan = bc.mariadb_restore_plan({"backup_restore_target": "web1", "backup_restore_source": "sw1",
                                    "backup_restore_archive": "files.2026-12-04T01:00:00",
                                    "backup_restore_stop_gtid": "0-1"}, ["db1", "db2"], DUMPS)
    assert [error.split(":")[0] for error in plan["errors"]] == [
        "backup_restore_target", "backup_restore_source", "backup_restore_archive", "backup_restore_stop_gtid"]


@pytest.mark.parametrize("request_, dumps, expected", [
    ({"backup_restore_archive": "mariadb.2026-12-05T01:00:00"}, DUMPS, "no repository of group mariadb holds"),
    ({"backup_restore_archive": "mariadb.2026-12-03T01:00:00"}, {"db1": DUMPS["db1"], "db2": DUMPS["db1"]},
     "set backup_restore_source"),
    ({}, {}, "no dump of MariaDB (mariadb.*) in the repository of any host of group mariadb"),
])
def test_a_mariadb_restore_without_one_dump_to_read_is_refused(request_, dumps, expected):
    plan = bc.mariadb_restore_plan(dict(request_, backup_restore_target="db1"), ["db1", "db2"], dumps)
    assert len(plan["errors"]) == 1 and expected in plan["errors"][0], plan


MONGODB = dict(CLIENT, backup_client_mongodb=True, backup_client_mongodb_user="rainbow_edge_backup",
               backup_client_mongodb_password="mongodb-backup-0123456789", backup_client_mongodb_replica_set="rs-edge1",
               backup_client_mongodb_port=27017)
MONGODB_USERS = [{"name": "rainbow", "database": "rainbow", "roles": ["readWrite"], "password": "x"},
                 {"name": "rainbow_edge_backup", "database": "admin", "roles": ["backup", "restore", "clusterMonitor"],
                  "password": "mongodb-backup-0123456789"}]


def test_the_mongodb_dump_s_account_must_be_declared_with_its_roles_and_password():
    assert bc.backup_client_input_errors(MONGODB, HOSTS, ["backup1"], mongodb_users=MONGODB_USERS) == []
    # Not a MongoDB dumper: mongodb_users is not read.
    assert bc.backup_client_input_errors(CLIENT, HOSTS, ["backup1"], mongodb_users=None) == []
    errors = bc.backup_client_input_errors(MONGODB, HOSTS, ["backup1"], mongodb_users=MONGODB_USERS[:1])
    assert errors == ["backup_client_mongodb_user: no account rainbow_edge_backup on database admin in mongodb_users, "
                      "which the mongodb role creates: add {name: rainbow_edge_backup, database: admin, roles: [backup, "
                      "restore, clusterMonitor], password: <backup_client_mongodb_password>}"]
    weaker = [dict(MONGODB_USERS[1], roles=["backup"], password="another-password-0123")]
    errors = bc.backup_client_input_errors(MONGODB, HOSTS, ["backup1"], mongodb_users=weaker)
    assert [error.split(":")[0] for error in errors] == ["backup_client_mongodb_user", "backup_client_mongodb_password"]
    assert "lacks the roles restore, clusterMonitor" in errors[0]
    assert not any("0123" in error for error in errors), "a password was quoted"


def test_every_problem_of_the_mongodb_dump_is_listed_at_once():
    bad = dict(MONGODB, backup_client_mongodb_password="short", backup_client_mongodb_port=0,
               backup_client_mongodb_replica_set="rs edge")
    errors = bc.backup_client_input_errors(bad, HOSTS, ["backup1"], mongodb_users=[])
    assert [error.split(":")[0] for error in errors] == [
        "backup_client_mongodb_password", "backup_client_mongodb_user", "backup_client_mongodb_port",
        "backup_client_mongodb_replica_set"], errors
    assert "got 5 characters" in errors[0] and "short" not in errors[0]


def test_the_replica_set_s_members_are_named_as_their_certificates():
    assert bc.mongodb_members(["mongo2", "mongo1.lab", "mongo3"], "edge1.example.net", 27017) == [
        "mongo1.edge1.example.net:27017", "mongo2.edge1.example.net:27017", "mongo3.edge1.example.net:27017"]
