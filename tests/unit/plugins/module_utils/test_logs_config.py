"""The logs tier's decisions (plugins/module_utils/logs_config.py)."""

from __future__ import annotations

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import logs_config as lc

LOGS = {
    "logs_domain": "edge1.example.net",
    "logs_lan_cidr": "10.20.0.0/16",
    "logs_lan_ip": "10.20.0.45",
    "logs_relp_port": 2514,
    "logs_allowed_cidrs": ["10.20.0.0/16"],
    "logs_retention_days": 365,
    "logs_data_device": "/dev/disk/by-id/virtio-logs",
    "logs_data_mount_point": "/srv/logs",
}
SHIPPING = {
    "log_shipping_domain": "edge1.example.net",
    "log_shipping_lan_cidr": "10.20.0.0/16",
    "log_shipping_lan_ip": "10.20.0.11",
    "log_shipping_receiver": "logs1",
    "log_shipping_queue_max_messages": 500000,
    "log_shipping_queue_disk_megabytes": 1024,
    "log_shipping_retry_seconds": 10,
    "log_shipping_ack_timeout_seconds": 15,
}
HOSTS = ["gk1", "logs1", "db1"]


def test_good_inputs_have_no_problem():
    assert lc.logs_input_errors(LOGS) == []
    assert lc.log_shipping_input_errors(SHIPPING, HOSTS, ["logs1"]) == []


def test_every_problem_of_the_receiver_is_listed_at_once():
    bad = dict(LOGS, logs_lan_ip="192.0.2.1", logs_relp_port=70000, logs_allowed_cidrs=["10.20.0.1/16"],
               logs_retention_days=0, logs_data_device="", logs_data_mount_point="srv", logs_domain="")
    errors = lc.logs_input_errors(bad)
    assert len(errors) == 7, errors
    assert "logs_lan_ip (default: edge_lan_ip): expected this host's address on the LAN 10.20.0.0/16; got '192.0.2.1'" in errors
    assert "logs_relp_port: expected a TCP port 1024-65535; got 70000" in errors
    assert "logs_retention_days: expected 1-3650 days; got 0" in errors
    assert any(error.startswith("logs_allowed_cidrs: ") and "10.20.0.1/16" in error for error in errors)
    assert any(error.startswith("logs_domain (default: edge_domain): ") for error in errors)


@pytest.mark.parametrize("receiver, logs_hosts, expected", [
    ("", [], "the inventory has no host in group logs"),
    ("nowhere", ["logs1"], "expected a host of the inventory; got 'nowhere'"),
    ("db1", ["logs1"], "expected a host of group logs (logs1); got 'db1'"),
])
def test_the_receiver_must_be_a_logs_host_of_the_inventory(receiver, logs_hosts, expected):
    errors = lc.log_shipping_input_errors(dict(SHIPPING, log_shipping_receiver=receiver), HOSTS, logs_hosts)
    assert len(errors) == 1 and expected in errors[0], errors


def test_every_problem_of_a_sender_is_listed_at_once():
    bad = dict(SHIPPING, log_shipping_queue_max_messages=0, log_shipping_queue_disk_megabytes=True,
               log_shipping_retry_seconds=0, log_shipping_ack_timeout_seconds=301, log_shipping_lan_cidr="10.20.0.0")
    errors = lc.log_shipping_input_errors(bad, HOSTS, ["logs1"])
    # The LAN is not a network, so the address is not on it either.
    assert len(errors) == 6, errors
    assert "log_shipping_queue_max_messages: expected 1000-100000000 messages; got 0" in errors
    assert "log_shipping_queue_disk_megabytes: expected 16-1048576 MiB; got True" in errors


def test_host_names_are_the_certificates_names():
    assert lc.host_names(["db1", "logs1.lab", "db1"], "edge1.example.net") == [
        "db1.edge1.example.net", "logs1.edge1.example.net"]


@pytest.mark.parametrize("value, quoted", [
    ("/var/log/app/*.log", '"/var/log/app/*.log"'),
    ('a "b" \\c', '"a \\"b\\" \\\\c"'),
    (2514, '"2514"'),
])
def test_rsyslog_strings_are_quoted_and_escaped(value, quoted):
    assert lc.rsyslog_string(value) == quoted


@pytest.mark.parametrize("value", ["a\nb", "a\0b", "a\rb"])
def test_rsyslog_strings_refuse_what_no_string_can_hold(value):
    with pytest.raises(ValueError):
        lc.rsyslog_string(value)


def test_each_declared_path_is_one_tagged_input_read_once():
    items = [
        {"host": "db1", "role": "mariadb", "name": "slow", "paths": ["/var/log/mysql/slow.log"]},
        {"host": "db1", "role": "app", "name": "access", "paths": ["/var/log/app/*.log", "/var/log/mysql/slow.log"]},
    ]
    assert lc.file_inputs(items) == [
        {"file": "/var/log/app/*.log", "tag": "app-access:"},
        {"file": "/var/log/mysql/slow.log", "tag": "app-access:"},
    ]
    assert lc.file_inputs([]) == []
