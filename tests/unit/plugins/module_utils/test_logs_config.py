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


ELASTIC = dict(
    LOGS, logs_elastic_stack=True,
    logs_apt_repository_url="https://artifacts.elastic.co/packages/9.x/apt", logs_apt_repository_suite="stable",
    logs_apt_repository_components=["main"], logs_apt_signing_key="", logs_apt_signing_key_fingerprint="",
    logs_elastic_password="elastic-0123456789abcdef", logs_kibana_system_password="kibana-0123456789abcdef",
    logs_logstash_password="logstash-0123456789abcdef", logs_kibana_encryption_key="k" * 32,
    logs_kibana_port=5601, logs_kibana_allowed_cidrs=["10.20.0.0/16"], logs_elasticsearch_heap_mb=0,
    logs_logstash_heap_mb=0)


def _without_key_errors(errors):
    """The signing key's own checks (test_apt_repository.py) left aside."""
    return [error for error in errors if not error.startswith("logs_apt_signing_key")]


def test_the_elastic_stack_left_out_has_no_problem():
    assert lc.elastic_input_errors(dict(LOGS, logs_elastic_stack=False), 2048) == []


def test_good_elastic_inputs_have_no_problem_but_the_key():
    assert _without_key_errors(lc.elastic_input_errors(ELASTIC, 32768)) == []
    assert any(error.startswith("logs_apt_signing_key") for error in lc.elastic_input_errors(ELASTIC, 32768))


def test_every_elastic_problem_is_listed_at_once_and_no_secret_shown():
    bad = dict(ELASTIC, logs_apt_repository_url="ftp://mirror", logs_elastic_password="short",
               logs_kibana_system_password="", logs_logstash_password='has"quote-0123456789',
               logs_kibana_encryption_key="k" * 31, logs_kibana_port=2514, logs_kibana_allowed_cidrs=[],
               logs_elasticsearch_heap_mb=512)
    errors = _without_key_errors(lc.elastic_input_errors(bad, 32768))
    named = [error.split(":")[0] for error in errors]
    assert named == ["logs_apt_repository_url", "logs_elastic_password", "logs_kibana_system_password",
                     "logs_logstash_password", "logs_kibana_encryption_key", "logs_kibana_port",
                     "logs_kibana_allowed_cidrs", "logs_elasticsearch_heap_mb"], errors
    assert not any("short" in error or "quote" in error for error in errors)


def test_the_same_password_twice_is_refused():
    same = dict(ELASTIC, logs_logstash_password=ELASTIC["logs_elastic_password"])
    assert any("three different passwords" in error for error in lc.elastic_input_errors(same, 32768))


@pytest.mark.parametrize("memory_mb, given, heaps", [
    # The footprint's logs host (32 GB): half of 32768 - 1024 - 1024 - 1024.
    (32768, {}, {"elasticsearch": 14848, "logstash": 1024}),
    (131072, {}, {"elasticsearch": 31744, "logstash": 1024}),
    (4096, {}, {"elasticsearch": 1024, "logstash": 1024}),
    (32768, {"logs_elasticsearch_heap_mb": 8192, "logs_logstash_heap_mb": 2048},
     {"elasticsearch": 8192, "logstash": 2048}),
])
def test_heaps_are_shares_of_the_host_s_memory(memory_mb, given, heaps):
    assert lc.elastic_heaps(dict(ELASTIC, **given), memory_mb) == heaps


def test_heaps_the_host_cannot_hold_are_refused():
    errors = _without_key_errors(lc.elastic_input_errors(dict(ELASTIC, logs_elasticsearch_heap_mb=16384), 16384))
    assert len(errors) == 1 and "need 19456 MiB; this host has 16384" in errors[0]
    small = _without_key_errors(lc.elastic_input_errors(ELASTIC, 3000))
    assert len(small) == 1 and "this host has 3000" in small[0]


def test_logstash_may_only_create_documents_in_the_edge_s_data_stream():
    objects = lc.elastic_objects(ELASTIC)
    role = objects["roles"][lc.LOGS_WRITER_ROLE]
    assert role["indices"] == [{"names": ["logs-rainbow_edge-*"],
                                "privileges": ["auto_configure", "create_doc", "view_index_metadata"]}]
    assert [user["name"] for user in objects["users"]] == ["kibana_system", "rainbow_edge_logstash"]
    policy = objects["ilm_policies"][lc.LOGS_POLICY]
    assert policy["phases"]["delete"]["min_age"] == "365d"
    template = objects["index_templates"][lc.LOGS_POLICY]
    assert template["template"]["settings"]["index"]["lifecycle"]["name"] == lc.LOGS_POLICY
    assert lc.LOGS_DATA_STREAM.startswith(template["index_patterns"][0].rstrip("*"))
