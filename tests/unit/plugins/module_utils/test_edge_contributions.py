"""The one contribution mechanism between tiers (plugins/module_utils/edge_contributions.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.filter.edge_contributions import contributions, provides_errors

NODE = {"job": "node", "address": "10.20.0.21", "port": 9100}
MYSQLD = {"job": "mysqld", "address": "10.20.0.21", "port": 9104, "labels": {"tier": "mariadb"}}
HOSTVARS = {
    "db1": {"common_provides": {"scrape_targets": [NODE]}, "mariadb_provides": {"scrape_targets": [MYSQLD]},
            "edge_lan_ip": "10.20.0.21", "not_provides": "text"},
    "gk1": {"common_provides": {"scrape_targets": [dict(NODE, address="10.20.0.2")],
                                "log_files": [{"name": "dnsmasq", "paths": ["/var/log/dnsmasq.log"]}]}},
    "sw1": {"swift_provides": {"scrape_targets": [{"job": "swift", "address": "10.20.0.31", "port": "8080"}]}},
    "off": {},
}


def test_every_item_of_a_kind_with_its_host_and_role():
    found = contributions(["db1", "gk1", "off", "gone"], HOSTVARS, "scrape_targets")
    assert found == {"items": [dict(NODE, host="db1", role="common"), dict(MYSQLD, host="db1", role="mariadb"),
                               dict(NODE, address="10.20.0.2", host="gk1", role="common")], "errors": []}
    assert contributions(["gk1"], HOSTVARS, "log_files")["items"] == [
        {"name": "dnsmasq", "paths": ["/var/log/dnsmasq.log"], "host": "gk1", "role": "common"}]


def test_a_declaration_with_problems_contributes_nothing_and_is_reported():
    found = contributions(["sw1", "db1"], HOSTVARS, "scrape_targets")
    assert [item["role"] for item in found["items"]] == ["common", "mariadb"]
    assert found["errors"] == ["sw1: swift_provides.scrape_targets[0].port: expected a TCP port 1-65535; got '8080'"]


def test_every_problem_of_a_declaration_is_named():
    assert provides_errors({"scrape_targets": [{"job": "Node", "port": 0, "scheme": "ftp", "colour": 1}, "x"],
                            "log_files": {"name": "a"}, "dns_records": []}, "common") == [
        "common_provides.scrape_targets[0]: unknown field 'colour' (known: address, job, labels, path, port, scheme)",
        "common_provides.scrape_targets[0].job: expected a job name of [a-z0-9_-]; got 'Node'",
        "common_provides.scrape_targets[0].address: missing; expected the host's IPv4 address the endpoint listens on",
        "common_provides.scrape_targets[0].port: expected a TCP port 1-65535; got 0",
        "common_provides.scrape_targets[0].scheme: expected http or https; got 'ftp'",
        "common_provides.scrape_targets[1]: expected a mapping, got 'x'",
        "common_provides.log_files: expected a list, got {'name': 'a'}",
        "common_provides: unknown kind 'dns_records' (known: backup_sources, lb_backends, log_files, mariadb_databases, probe_targets, scrape_targets)",
    ]
    assert provides_errors({}, "common") == [] and provides_errors(None, "common") == []
    assert provides_errors({"backup_sources": [{"name": "etc", "paths": []}]}, "gatekeeper") == [
        "gatekeeper_provides.backup_sources[0].paths: expected a non-empty list of absolute paths; got []"]


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(AnsibleFilterError, match="contributions: unknown kind 'metrics'"):
        contributions(["db1"], HOSTVARS, "metrics")


def test_a_declared_password_never_reaches_a_message():
    secret = "s3cret-Pa55word"
    declaration = {"mariadb_databases": [
        {"name": "xmpp-db", "user": "xmpp", "password": secret[:5], "address": "10.20.0.40"},
        {"name": "xmpp", "user": "xmpp", "password": secret, "address": "10.20.0.40", "extra": secret},
        secret]}
    errors = provides_errors(declaration, "xmpp")
    assert errors == [
        "xmpp_provides.mariadb_databases[0].name: expected a database name of letters, digits and underscores "
        "(at most 64); got 'xmpp-db'",
        "xmpp_provides.mariadb_databases[0].password: expected a password of at least 12 characters; "
        "got a value withheld (secret)",
        "xmpp_provides.mariadb_databases[1]: unknown field 'extra' (known: address, name, password, user)",
        "xmpp_provides.mariadb_databases[2]: expected a mapping, got a str (value withheld: this kind carries secrets)",
    ]
    assert not any(secret[:5] in error for error in errors)
    listed = provides_errors({"mariadb_databases": {"name": secret}}, "xmpp")
    assert listed == ["xmpp_provides.mariadb_databases: expected a list, got a dict (value withheld: this kind carries secrets)"]


def test_a_probe_target_names_its_module_and_an_address():
    assert provides_errors({"probe_targets": [{"name": "api", "address": "gk1", "port": 8443, "module": "icmp"}]},
                           "gatekeeper") == [
        "gatekeeper_provides.probe_targets[0].address: expected the IPv4 address the endpoint listens on (a host's "
        "or a VIP); got 'gk1'",
        "gatekeeper_provides.probe_targets[0].module: expected one of tcp, tls; got 'icmp'",
    ]
    assert provides_errors({"probe_targets": [{"name": "api", "address": "10.20.0.11", "port": 8443,
                                               "module": "tls"}]}, "gatekeeper") == []


def test_a_load_balancer_backend_names_how_it_is_reached_and_routed():
    xmpp_http = {"name": "xmpp-http", "address": "10.20.0.41", "port": 5443, "mode": "http", "tls": True,
                 "check_path": "/bosh", "balance": "leastconn", "private_port": 5443, "public_paths": ["/ws", "/bosh"]}
    xmpp_tls = {"name": "xmpp-c2s-tls", "address": "10.20.0.41", "port": 5223, "mode": "tcp", "tls": True,
                "public_alpn": "xmpp-client"}
    assert provides_errors({"lb_backends": [xmpp_http, xmpp_tls]}, "xmpp") == []
    assert provides_errors({"lb_backends": [
        {"name": "api", "address": "10.20.0.51", "port": 8080, "mode": "udp", "tls": "yes", "check_path": "health",
         "balance": "random", "private_port": 0, "public_alpn": "XMPP client", "public_paths": ["/api v1"]},
        {"name": "api", "address": "10.20.0.51", "port": 8080, "mode": "http", "public_paths": []},
    ]}, "api") == [
        "api_provides.lb_backends[0].mode: expected one of tcp, http; got 'udp'",
        "api_provides.lb_backends[0].tls: expected true when the server speaks TLS (checked against the Edge's CA), "
        "else false; got 'yes'",
        "api_provides.lb_backends[0].check_path: expected an absolute URL path answering 2xx or 3xx to GET "
        "(http mode); got 'health'",
        "api_provides.lb_backends[0].balance: expected one of roundrobin, leastconn, source; got 'random'",
        "api_provides.lb_backends[0].private_port: expected the TCP port 1-65535 the private load balancers serve "
        "it on; got 0",
        "api_provides.lb_backends[0].public_alpn: expected an ALPN protocol id such as xmpp-client (tcp mode); "
        "got 'XMPP client'",
        "api_provides.lb_backends[0].public_paths: expected a non-empty list of URL path prefixes such as /ws "
        "(http mode); got ['/api v1']",
        "api_provides.lb_backends[1].public_paths: expected a non-empty list of URL path prefixes such as /ws "
        "(http mode); got []",
    ]
