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
