"""The mail relays' input check and the DNS records they print (module_utils/mail_config.py)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.filter.mail_config import (
    mail_client_addresses, mail_dns_records, mail_egress_addresses, mail_input_errors,
)
from ansible_collections.rainbow.edge.plugins.module_utils import mail_config

# As opendkim-genkey 2.11 writes <selector>.txt (the key shortened).
GENKEY_TXT = '''mail1._domainkey\tIN\tTXT\t( "v=DKIM1; h=sha256; k=rsa; "
\t  "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu5"
\t  "Qw0x+/AB==" )  ; ----- DKIM key mail1 for lab.rainbow-edge.test
'''


def good_inputs(**changes):
    inputs = {
        "mail_lan_cidr": "10.20.18.0/24", "mail_lan_ip": "10.20.18.21", "mail_domain": "lab.rainbow-edge.test",
        "mail_hostname": "mail1.lab.rainbow-edge.test", "mail_client_groups": ["api"], "mail_client_addresses": [],
        "mail_port": 25, "mail_allowed_cidrs": ["10.20.18.0/24"], "mail_relayhost": "",
        "mail_outbound_tls_level": "may", "mail_message_size_limit": 10485760, "mail_dkim_selector": "mail1",
        "mail_dkim_key_bits": 2048, "mail_spf_addresses": [], "mail_dmarc_policy": "quarantine",
        "mail_dmarc_report_address": "", "mail_exporter_port": 9154, "mail_exporter_allowed_cidrs": ["10.20.18.0/24"],
    }
    inputs.update(changes)
    return inputs


def errors(inputs, edge="lab.rainbow-edge.test", clients=("10.20.18.40",), spf=("198.51.100.113",)):
    return mail_input_errors(inputs, edge, list(clients), list(spf))


def test_good_inputs_pass():
    assert errors(good_inputs()) == []
    # The Edge's parent domain, or a subdomain of the Edge's, is the Edge's too.
    assert errors(good_inputs(mail_domain="rainbow-edge.test")) == []
    assert errors(good_inputs(mail_domain="notify.lab.rainbow-edge.test")) == []
    assert errors(good_inputs(mail_relayhost="[smtp.example.com]:587")) == []


@pytest.mark.parametrize("changes, clients, spf, expected", [
    ({"mail_domain": "example.com"}, ("10.20.18.40",), ("198.51.100.113",),
     "mail_domain example.com is not the Edge's domain (edge_domain 'lab.rainbow-edge.test')"),
    ({"mail_domain": "evil-rainbow-edge.test"}, ("10.20.18.40",), ("198.51.100.113",), "is not the Edge's domain"),
    ({"mail_domain": "Lab.Rainbow-Edge.Test"}, ("10.20.18.40",), ("198.51.100.113",), "in lower case"),
    ({}, (), ("198.51.100.113",), "no host may submit mail (no host in the groups ['api']"),
    ({}, ("api1 (no edge_lan_ip)",), ("198.51.100.113",), "not IPv4 addresses (the client hosts' edge_lan_ip)"),
    ({}, ("10.20.18.40",), (), "mail_spf_addresses: no address mail leaves the Edge from"),
    ({"mail_dkim_selector": "mail_1"}, ("10.20.18.40",), ("198.51.100.113",), "mail_dkim_selector: expected a DNS label"),
    ({"mail_dkim_key_bits": 1024}, ("10.20.18.40",), ("198.51.100.113",), "mail_dkim_key_bits: expected 2048"),
    ({"mail_relayhost": "smtp.example.com:587 x"}, ("10.20.18.40",), ("198.51.100.113",), "mail_relayhost:"),
    ({"mail_dmarc_report_address": "reports"}, ("10.20.18.40",), ("198.51.100.113",), "mail_dmarc_report_address:"),
    ({"mail_exporter_port": 25}, ("10.20.18.40",), ("198.51.100.113",), "mail_exporter_port: expected"),
    ({"mail_allowed_cidrs": []}, ("10.20.18.40",), ("198.51.100.113",), "mail_allowed_cidrs: expected IPv4 networks"),
    ({"mail_hostname": "mail1"}, ("10.20.18.40",), ("198.51.100.113",), "mail_hostname: expected the relay's fully"),
])
def test_each_bad_input_is_named(changes, clients, spf, expected):
    found = errors(good_inputs(**changes), clients=clients, spf=spf)
    assert any(expected in error for error in found), found


def test_every_problem_is_listed_at_once():
    found = errors(good_inputs(mail_domain="example.com", mail_lan_ip="10.20.19.1", mail_port=0), clients=(), spf=())
    assert len(found) == 5, found


def test_the_client_addresses_are_the_groups_hosts_then_the_extra_ones():
    groups = {"api": ["api1", "api2"], "xmpp": ["api2", "x1"]}
    hostvars = {"api1": {"edge_lan_ip": "10.20.18.31"}, "api2": {"edge_lan_ip": "10.20.18.32"}, "x1": {}}
    assert mail_client_addresses(["api", "xmpp"], groups, hostvars, ["10.20.18.99", "10.20.18.31"]) == [
        "10.20.18.31", "10.20.18.32", "x1 (no edge_lan_ip)", "10.20.18.99"]
    assert mail_client_addresses(["voice"], groups, hostvars) == []


def test_mail_leaves_from_the_gatekeepers_wan_addresses_and_vip():
    hostvars = {"gk1": {"gatekeeper_wan_ip": "198.51.100.2", "gatekeeper_wan_vip": "198.51.100.4"},
                "gk2": {"edge_wan_ip": "198.51.100.3", "gatekeeper_wan_vip": "198.51.100.4"}}
    assert mail_egress_addresses(["gk1", "gk2"], hostvars) == ["198.51.100.2", "198.51.100.3", "198.51.100.4"]


def test_the_records_are_spf_each_relay_s_dkim_key_and_dmarc():
    hostvars = {"mail1": {"__mail_dkim_published": {"selector": "mail1", "record": GENKEY_TXT}},
                "mail2": {"__mail_dkim_published": {"selector": "mail2", "record": GENKEY_TXT.replace("mail1", "mail2")}}}
    records = mail_dns_records(["mail1", "mail2"], hostvars, "lab.rainbow-edge.test", ["198.51.100.2", "198.51.100.3"],
                               "reject", "dmarc@lab.rainbow-edge.test")
    assert records == [
        {"name": "lab.rainbow-edge.test", "type": "TXT", "value": "v=spf1 ip4:198.51.100.2 ip4:198.51.100.3 -all"},
        {"name": "mail1._domainkey.lab.rainbow-edge.test", "type": "TXT",
         "value": "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu5Qw0x+/AB=="},
        {"name": "mail2._domainkey.lab.rainbow-edge.test", "type": "TXT",
         "value": "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu5Qw0x+/AB=="},
        {"name": "_dmarc.lab.rainbow-edge.test", "type": "TXT",
         "value": "v=DMARC1; p=reject; adkim=s; aspf=s; rua=mailto:dmarc@lab.rainbow-edge.test"},
    ]


def test_a_relay_that_published_nothing_or_a_record_without_a_key_is_named():
    with pytest.raises(AnsibleFilterError, match="mail2 published no DKIM record"):
        mail_dns_records(["mail2"], {"mail2": {}}, "lab.rainbow-edge.test", ["198.51.100.2"], "none")
    with pytest.raises(ValueError, match="no public key"):
        mail_config.dkim_public_key('mail1._domainkey IN TXT ( "v=DKIM1; k=rsa; " )')
