"""The host-firewall drop-in a role's rules become (plugins/module_utils/firewall_dropin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.filter.firewall_dropin import firewall_dropin
from ansible_collections.rainbow.edge.plugins.module_utils.firewall_dropin import (
    DROPIN_DIR,
    FIREWALL_TABLE,
    FirewallDropinError,
    render_dropin,
)

ROLES = Path(__file__).resolve().parents[4] / "roles"


def test_drop_ins_land_where_common_includes_them_in_its_table():
    common = yaml.safe_load((ROLES / "common" / "vars" / "main.yml").read_text())
    shared = yaml.safe_load((ROLES / "shared" / "vars" / "main.yml").read_text())
    assert common["__common_nftables_dropin_dir"] == shared["__shared_firewall_dropin_dir"] == DROPIN_DIR
    assert common["__common_nftables_table"] == FIREWALL_TABLE


def test_rules_become_accept_lines_in_chain_services():
    text = render_dropin("mariadb", [
        {"port": 3306, "sources": ["10.20.0.0/16"], "comment": "MariaDB"},
        {"ports": [9104, "9104", 9100], "sources": ["10.30.1.0/24", "10.30.1.0/24"], "iifname": "eth1"},
        {"port": 3478, "proto": "udp", "sources": []},
    ])
    assert text == (
        "table inet rainbow_edge {\n"
        "\tchain services {\n"
        '\t\tip saddr { 10.20.0.0/16 } tcp dport { 3306 } accept comment "MariaDB"\n'
        '\t\tiifname "eth1" ip saddr { 10.30.1.0/24 } tcp dport { 9104, 9100 } accept comment "mariadb"\n'
        '\t\tudp dport { 3478 } accept comment "mariadb"\n'
        "\t}\n"
        "}\n")


def test_vrrp_adverts_are_accepted_by_protocol_without_ports():
    text = render_dropin("private_lb", [{"proto": "vrrp", "sources": ["10.20.0.12/32"], "comment": "VRRP"}])
    assert '\t\tip saddr { 10.20.0.12/32 } ip protocol 112 accept comment "VRRP"\n' in text
    with pytest.raises(FirewallDropinError) as raised:
        render_dropin("private_lb", [{"proto": "vrrp", "port": 112}, {"proto": "vrrp", "ports": [1, 2]}])
    assert raised.value.problems == ["rule 1: proto vrrp has no ports; give neither port nor ports",
                                     "rule 2: proto vrrp has no ports; give neither port nor ports"]


def test_a_port_range_is_written_as_nftables_reads_it_and_a_reversed_one_refused():
    text = render_dropin("turn", [{"ports": [3478, "49152-65535", " 50000 - 50010 "], "proto": "udp"}])
    assert '\t\tudp dport { 3478, 49152-65535, 50000-50010 } accept comment "turn"\n' in text
    with pytest.raises(FirewallDropinError) as raised:
        render_dropin("turn", [{"ports": ["65535-49152", "5-5", "1-70000", "a-b"]}])
    assert [problem.split(" is not")[0] for problem in raised.value.problems] == [
        "rule 1: '65535-49152'", "rule 1: '5-5'", "rule 1: '1-70000'", "rule 1: 'a-b'"]


def test_content_is_kept_as_given():
    content = "table ip rainbow_edge_nat {\n}\n\n"
    assert render_dropin("gatekeeper", [], content) == "table ip rainbow_edge_nat {\n}\n"
    assert render_dropin("gatekeeper", None, content) == "table ip rainbow_edge_nat {\n}\n"


def test_every_problem_of_a_request_is_reported_at_once():
    with pytest.raises(FirewallDropinError) as raised:
        render_dropin("Maria DB", [
            {"port": 70000, "sources": ["10.20.0.1/16", "lan"], "proto": "sctp", "comment": 'say "hi"'},
            {"port": 1, "ports": [2]},
            {"ports": "3306", "iifname": "an interface name too long"},
            "3306",
            {"port": True, "source": ["10.0.0.0/8"]},
        ])
    problems = raised.value.problems
    assert problems == [
        "the name must be of [a-z0-9_-], starting with a letter or digit",
        "rule 1: proto 'sctp' is not one of tcp, udp, vrrp",
        'rule 1: 70000 is not a port (1-65535) or a range of them such as "49152-65535"',
        "rule 1: source '10.20.0.1/16' is not an IPv4 network such as 10.20.0.0/16",
        "rule 1: source 'lan' is not an IPv4 network such as 10.20.0.0/16",
        "rule 1: comment 'say \"hi\"' must be 1-128 characters without quotes, backslashes or newlines",
        "rule 2: give port or ports, not both",
        "rule 3: ports must be a non-empty list, got '3306'",
        "rule 3: iifname 'an interface name too long' is not an interface name",
        "rule 4: expected a mapping such as {port: 3306, sources: [10.20.0.0/16]}, got '3306'",
        "rule 5: unknown key(s) source (known: comment, iifname, port, ports, proto, sources)",
        'rule 5: True is not a port (1-65535) or a range of them such as "49152-65535"',
    ]
    assert str(raised.value).startswith('firewall drop-in "Maria DB": the name must be')


@pytest.mark.parametrize("rules, content, expected", [
    ([], "", "give either rules or content, not neither"),
    ([{"port": 22}], "table inet x {\n}", "give either rules or content, not both"),
    ("22", "", "rules must be a list, got '22'"),
    ([], ["table"], "content must be nftables text, got ['table']"),
])
def test_rules_or_content_one_of_them(rules, content, expected):
    with pytest.raises(FirewallDropinError) as raised:
        render_dropin("swift", rules, content)
    assert expected in raised.value.problems


def test_the_filter_fails_the_task_with_the_whole_list():
    assert firewall_dropin([{"port": 22}], "ssh").endswith('tcp dport { 22 } accept comment "ssh"\n\t}\n}\n')
    with pytest.raises(AnsibleFilterError,
                       match=r'drop-in "ssh": rule 1: 0 is not a port \(1-65535\) or a range of them such as "49152-65535"; rule 2: give port'):
        firewall_dropin([{"port": 0}, {}], "ssh")
