"""The metrics tier's decisions (plugins/module_utils/metrics_config.py)."""

from __future__ import annotations

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import metrics_config as mc

GOOD = {
    "metrics_lan_cidr": "10.20.0.0/16",
    "metrics_lan_ip": "10.20.0.41",
    "metrics_port": 9090,
    "metrics_alertmanager_port": 9093,
    "metrics_blackbox_port": 9115,
    "metrics_allowed_cidrs": ["10.20.0.0/16", "10.255.0.0/24"],
    "metrics_external_labels": {"edge": "edge1.example.net"},
    "metrics_scrape_interval_seconds": 15,
    "metrics_evaluation_interval_seconds": 15,
    "metrics_retention_days": 30,
    "metrics_retention_size_percent": 80,
    "metrics_data_device": "/dev/disk/by-id/virtio-metrics",
    "metrics_data_mount_point": "/srv/metrics",
    "metrics_federation_user": "federation",
    "metrics_federation_password": "s3cret-s3cret-s3cret",
    "metrics_alert_webhook_urls": ["http://198.51.100.140:9099/alerts"],
    "metrics_alert_email_to": [],
    "metrics_alert_email_from": "alertmanager@edge1.example.net",
    "metrics_alert_smarthost": "",
    "metrics_alert_group_wait_seconds": 30,
    "metrics_alert_group_interval_seconds": 300,
    "metrics_alert_repeat_interval_hours": 4,
    "metrics_probe_targets": [{"name": "public-entry", "address": "edge1.example.net", "port": 443,
                               "module": "tls_public"}],
}


def _target(host, job, address, port, **extra):
    return dict({"host": host, "role": "common", "job": job, "address": address, "port": port}, **extra)


def test_good_inputs_have_no_problem():
    assert mc.input_errors(GOOD) == []


def test_every_problem_is_listed_at_once_each_naming_its_variable():
    bad = dict(GOOD, metrics_retention_days=0, metrics_federation_password="", metrics_lan_ip="192.0.2.1",
               metrics_allowed_cidrs=["10.20.0.1/16"], metrics_external_labels={"job": "x"},
               metrics_alert_email_to=["ops@example.net"], metrics_retention_size_percent=100,
               metrics_data_device="sdb", metrics_alertmanager_port=9090)
    errors = mc.input_errors(bad)
    for variable in ("metrics_retention_days", "metrics_federation_password: expected", "it is empty",
                     "metrics_lan_ip", "metrics_allowed_cidrs", "metrics_external_labels",
                     "metrics_alert_smarthost is empty", "metrics_retention_size_percent", "metrics_data_device",
                     "metrics_port, metrics_alertmanager_port"):
        assert any(variable in error for error in errors), (variable, errors)
    assert len(errors) == 9, errors


def test_an_edge_whose_alerts_reach_no_one_is_refused():
    errors = mc.input_errors(dict(GOOD, metrics_alert_webhook_urls=[]))
    assert errors == ["metrics_alert_webhook_urls, metrics_alert_email_to: expected at least one webhook or "
                      "recipient: alerts would reach no one"]


def test_inputs_of_the_wrong_types_are_reported_not_raised():
    errors = mc.input_errors({"metrics_external_labels": "edge", "metrics_alert_webhook_urls": ["ftp://x"]})
    assert any(error.startswith("metrics_external_labels") for error in errors), errors
    assert any(error.startswith("metrics_alert_webhook_urls: expected http(s) URLs") for error in errors), errors


def test_scrape_jobs_group_the_targets_with_their_host_and_role():
    items = [_target("mon", "node", "10.20.0.41", 9100), _target("db1", "node", "10.20.0.21", 9100),
             dict(_target("db1", "mysqld", "10.20.0.21", 9104), role="mariadb", labels={"tier": "db"})]
    result = mc.scrape_configs(items)
    assert result["errors"] == []
    assert [job["job_name"] for job in result["configs"]] == ["mysqld", "node"]
    node = result["configs"][1]
    assert node["scheme"] == "http" and node["metrics_path"] == "/metrics"
    assert node["static_configs"] == [
        {"targets": ["10.20.0.21:9100"], "labels": {"host": "db1", "role": "common"}},
        {"targets": ["10.20.0.41:9100"], "labels": {"host": "mon", "role": "common"}},
    ]
    assert result["configs"][0]["static_configs"][0]["labels"] == {"tier": "db", "host": "db1", "role": "mariadb"}


def test_an_https_job_verifies_its_targets_with_the_edge_s_ca_and_an_http_job_has_no_tls():
    """The application servers declare their metrics over HTTPS with a certificate of the Edge's CA: without the CA
    Prometheus marks every one down ("x509: certificate signed by unknown authority")."""
    items = [_target("app1", "api", "10.20.0.61", 8080, scheme="https"), _target("db1", "node", "10.20.0.21", 9100)]
    configs = {job["job_name"]: job for job in mc.scrape_configs(items, "/etc/prometheus/tls/ca.crt")["configs"]}
    assert configs["api"]["tls_config"] == {"ca_file": "/etc/prometheus/tls/ca.crt", "min_version": "TLS12"}
    assert "tls_config" not in configs["node"]
    # Without a CA file, the system's roots, still TLS 1.2 at least.
    assert mc.scrape_configs(items)["configs"][0]["tls_config"] == {"min_version": "TLS12"}


def test_an_endpoint_declared_twice_or_a_job_that_disagrees_is_reported_and_left_out():
    items = [_target("a", "node", "10.20.0.1", 9100), _target("b", "node", "10.20.0.1", 9100),
             _target("c", "node", "10.20.0.3", 9100, scheme="https")]
    result = mc.scrape_configs(items)
    assert len(result["errors"]) == 2, result["errors"]
    assert "10.20.0.1:9100 is declared twice: by a (role common, job node) and by b" in result["errors"][0]
    assert "job node: c (role common, job node) declares https" in result["errors"][1]
    assert [c["targets"] for c in result["configs"][0]["static_configs"]] == [["10.20.0.1:9100"]]


@pytest.mark.parametrize(("size", "percent", "expected"), [
    (512 * 1024 ** 3, 80, "419430MB"),
    (1024 ** 3, 80, "819MB"),
])
def test_the_retention_size_is_a_share_of_the_volume(size, percent, expected):
    assert mc.retention_size(size, percent) == expected


@pytest.mark.parametrize(("size", "percent", "message"), [
    (0, 80, "is it mounted?"),
    (50 * 1024 ** 2, 80, "at least 64 MiB"),
    (1024 ** 3, 0, "expected 1-95"),
])
def test_a_retention_that_cannot_be_sized_fails(size, percent, message):
    with pytest.raises(mc.MetricsError, match=message):
        mc.retention_size(size, percent)


def test_alertmanager_sends_every_alert_to_the_webhooks_and_mails_only_through_a_relay():
    config = mc.alertmanager_config(GOOD)
    assert "global" not in config
    assert config["receivers"] == [{"name": "edge", "webhook_configs": [
        {"url": "http://198.51.100.140:9099/alerts", "send_resolved": True}]}]
    assert config["route"]["group_wait"] == "30s" and config["route"]["repeat_interval"] == "4h"
    mailed = mc.alertmanager_config(dict(GOOD, metrics_alert_email_to=["ops@example.net"],
                                         metrics_alert_smarthost="mail.edge1.example.net:25"))
    assert mailed["global"]["smtp_smarthost"] == "mail.edge1.example.net:25"
    assert mailed["receivers"][0]["email_configs"] == [{"to": "ops@example.net", "send_resolved": True}]


def _probe(host, name, address, port, module="tls", **extra):
    return dict({"host": host, "role": "metrics", "name": name, "address": address, "port": port,
                 "module": module}, **extra)


def test_the_operator_s_probe_targets_are_checked_with_the_other_inputs():
    bad = dict(GOOD, metrics_blackbox_port=9093, metrics_probe_targets=[
        {"name": "Entry", "address": "edge_1.example.net", "port": 0, "module": "icmp", "labels": {"probe": "x"}},
        {"name": "ok", "address": "198.51.100.7", "port": 443, "module": "tls", "via": "wan"},
        "edge1.example.net:443",
    ])
    errors = mc.input_errors(bad)
    for expected in ("metrics_alertmanager_port, metrics_blackbox_port: expected different ports",
                     "metrics_probe_targets[0].name", "metrics_probe_targets[0].address",
                     "metrics_probe_targets[0].port", "metrics_probe_targets[0].module: expected one of tcp, tls, "
                     "tls_public", "metrics_probe_targets[0].labels", "metrics_probe_targets[1]: unknown field 'via'",
                     "metrics_probe_targets[2]: expected a mapping"):
        assert any(expected in error for error in errors), (expected, errors)
    assert len(errors) == 8, errors


def test_probes_are_one_job_asking_the_exporter_with_each_target_s_module():
    declared = [_probe("mon", "prometheus", "10.20.0.41", 9090),
                _probe("gk1", "api", "10.20.0.11", 8443, role="gatekeeper"),
                _probe("gk1", "lan-vip", "10.20.0.10", 3142, module="tcp", role="gatekeeper", labels={"vip": "lan"})]
    result = mc.probe_scrape_config(declared, GOOD["metrics_probe_targets"], "127.0.0.1:9115")
    assert result["errors"] == []
    (job,) = result["configs"]
    assert job["job_name"] == "probe" and job["metrics_path"] == "/probe"
    assert [(config["targets"], config["labels"]) for config in job["static_configs"]] == [
        (["edge1.example.net:443"], {"probe": "public-entry", "role": "inventory", "__param_module": "tls_public"}),
        (["10.20.0.11:8443"], {"probe": "api", "role": "gatekeeper", "__param_module": "tls", "host": "gk1"}),
        (["10.20.0.10:3142"], {"vip": "lan", "probe": "lan-vip", "role": "gatekeeper", "__param_module": "tcp",
                               "host": "gk1"}),
        (["10.20.0.41:9090"], {"probe": "prometheus", "role": "metrics", "__param_module": "tls", "host": "mon"}),
    ]
    # The target becomes the exporter's parameter and the series' instance; the exporter is scraped.
    assert job["relabel_configs"] == [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": "127.0.0.1:9115"},
    ]


def test_a_probe_declared_twice_is_reported_and_left_out():
    declared = [_probe("gk1", "api", "10.20.0.11", 8443), _probe("gk2", "api", "10.20.0.12", 8443),
                _probe("gk1", "api", "10.20.0.13", 8443), _probe("gk2", "api2", "10.20.0.12", 8443),
                _probe("gk2", "api-port", "10.20.0.12", 8443, module="tcp")]
    result = mc.probe_scrape_config(declared, [], "127.0.0.1:9115")
    assert result["errors"] == [
        "probe api is declared twice: by gk1 (role metrics) and by gk1 (role metrics)",
        "probe of 10.20.0.12:8443 with module tls is declared twice: by gk2 (role metrics) and by gk2 (role metrics)",
    ]
    assert [config["labels"]["probe"] for config in result["configs"][0]["static_configs"]] == [
        "api", "api", "api-port"]


def test_an_endpoint_a_role_s_hosts_share_is_one_probe_without_a_host():
    vip = {"role": "gatekeeper", "name": "api-vip", "address": "10.20.0.10", "port": 8443, "module": "tls"}
    result = mc.probe_scrape_config([dict(vip, host="gk1"), dict(vip, host="gk2")], [], "127.0.0.1:9115")
    assert result["errors"] == []
    assert [(config["targets"], config["labels"]) for config in result["configs"][0]["static_configs"]] == [
        (["10.20.0.10:8443"], {"probe": "api-vip", "role": "gatekeeper", "__param_module": "tls"})]
    # Declared unlike (another module) by the other host: a clash, not a shared endpoint.
    result = mc.probe_scrape_config([dict(vip, host="gk1"), dict(vip, host="gk2", name="vip")], [], "x:1")
    assert result["errors"] == ["probe of 10.20.0.10:8443 with module tls is declared twice: by gk1 (role "
                                "gatekeeper) and by gk2 (role gatekeeper)"]


def test_nothing_to_probe_is_no_job():
    assert mc.probe_scrape_config([], None, "127.0.0.1:9115") == {"configs": [], "errors": []}


def test_the_blackbox_modules_verify_tls_against_the_edge_s_ca_or_the_system_s():
    modules = mc.blackbox_config("/etc/prometheus/tls/ca.crt")["modules"]
    assert sorted(modules) == sorted(mc.OPERATOR_PROBE_MODULES)
    assert modules["tls"]["tcp"]["tls_config"] == {"ca_file": "/etc/prometheus/tls/ca.crt", "min_version": "TLS12"}
    assert modules["tls_public"]["tcp"]["tls_config"] == {"min_version": "TLS12"}
    assert "tls" not in modules["tcp"]["tcp"]
