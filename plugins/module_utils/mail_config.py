# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The send-only mail relays' decisions: their input check and the DNS records the customer publishes.

The relays send the Edge's notifications (password recovery and the like)
from the Edge's own domain: the receivers trust them through SPF (the
addresses mail leaves the Edge from: the GateKeepers', which masquerade the
LAN), DKIM (each relay signs with its own key, made on the host, under its
own selector) and DMARC. ``dns_records`` gives the records to publish, from
the relays' DKIM public keys (opendkim-genkey's ``<selector>.txt``). Used by
the ``mail`` role through ``plugins/filter/mail_config.py``; unit-tested in
``tests/unit/plugins/module_utils/test_mail_config.py``.
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, lan_errors,
)

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SELECTOR = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_RELAYHOST = re.compile(r"^(\[[a-z0-9.-]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?$")
_MAILBOX = re.compile(r"^[A-Za-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,63}$")


def is_within(name: str, domain: str) -> bool:
    """Whether ``name`` is ``domain`` or one of its subdomains."""
    return name == domain or name.endswith("." + domain)


def input_errors(inputs: Mapping[str, Any], edge_domain: Any, clients: Sequence[Any] = (),
                 spf_addresses: Sequence[Any] = ()) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable.

    ``clients`` are the addresses allowed to submit (the client groups' LAN
    addresses and mail_client_addresses), ``spf_addresses`` the addresses
    mail leaves the Edge from.
    """
    errors: List[str] = lan_errors("mail", inputs)
    domain, edge = str(inputs.get("mail_domain") or ""), str(edge_domain or "").lower()
    if not _DOMAIN.match(domain):
        errors.append("mail_domain (default: edge_domain): expected the Edge's domain name in lower case, such as "
                      "edge.example.com; got %r" % (domain,))
    elif not edge or not (is_within(domain, edge) or is_within(edge, domain)):
        errors.append("mail_domain %s is not the Edge's domain (edge_domain %r) nor its parent or subdomain: the "
                      "relays send only with the Edge's domain, whose DNS the customer controls" % (domain, edge))
    hostname = str(inputs.get("mail_hostname") or "")
    if not _DOMAIN.match(hostname):
        errors.append("mail_hostname: expected the relay's fully qualified name, such as mail1.edge.example.com "
                      "(receivers check it against its address); got %r" % (hostname,))
    if not _SELECTOR.match(str(inputs.get("mail_dkim_selector") or "")):
        errors.append("mail_dkim_selector: expected a DNS label (letters, digits, -), one per relay; got %r"
                      % (inputs.get("mail_dkim_selector"),))
    if inputs.get("mail_dkim_key_bits") not in (2048, 3072, 4096):
        errors.append("mail_dkim_key_bits: expected 2048, 3072 or 4096 (RSA); got %r"
                      % (inputs.get("mail_dkim_key_bits"),))
    bad_clients = [client for client in clients if not is_ipv4_address(client)]
    if bad_clients or not clients:
        errors.append("mail_client_groups, mail_client_addresses: %s" % (
            "these are not IPv4 addresses (the client hosts' edge_lan_ip): %r" % (bad_clients,) if bad_clients
            else "no host may submit mail (no host in the groups %r and no address given)"
            % (list(inputs.get("mail_client_groups") or []),)))
    if not is_int_in(inputs.get("mail_port"), 1, 65535):
        errors.append("mail_port: expected a TCP port; got %r" % (inputs.get("mail_port"),))
    for name in ("mail_allowed_cidrs", "mail_exporter_allowed_cidrs"):
        values = inputs.get(name) or []
        bad = [cidr for cidr in values if not is_ipv4_network(cidr)]
        if bad or not values:
            errors.append("%s: expected IPv4 networks in CIDR form; %s"
                          % (name, "not networks: %r" % (bad,) if bad else "the list is empty"))
    relayhost = str(inputs.get("mail_relayhost") or "")
    if relayhost and not _RELAYHOST.match(relayhost):
        errors.append("mail_relayhost: expected a relay such as [smtp.example.com]:587, or empty to deliver to the "
                      "recipients' MX; got %r" % (relayhost,))
    report = str(inputs.get("mail_dmarc_report_address") or "")
    if report and not _MAILBOX.match(report):
        errors.append("mail_dmarc_report_address: expected a mailbox for DMARC reports, or empty; got %r" % (report,))
    bad_spf = [address for address in spf_addresses if not is_ipv4_address(address)]
    if bad_spf or not spf_addresses:
        errors.append("mail_spf_addresses: %s" % (
            "not IPv4 addresses: %r" % (bad_spf,) if bad_spf else
            "no address mail leaves the Edge from (no GateKeeper WAN address in the inventory and none given): "
            "the SPF record would authorize nobody"))
    if not is_int_in(inputs.get("mail_message_size_limit"), 1024, 1024 ** 3):
        errors.append("mail_message_size_limit: expected 1024 bytes to 1 GiB; got %r"
                      % (inputs.get("mail_message_size_limit"),))
    if not is_int_in(inputs.get("mail_exporter_port"), 1024, 65535) or \
            inputs.get("mail_exporter_port") == inputs.get("mail_port"):
        errors.append("mail_exporter_port: expected a TCP port 1024-65535 other than mail_port; got %r"
                      % (inputs.get("mail_exporter_port"),))
    return errors


def dkim_public_key(genkey_txt: str) -> str:
    """The ``p=`` value of an opendkim-genkey ``<selector>.txt`` record (its quoted strings joined)."""
    joined = "".join(re.findall(r'"([^"]*)"', genkey_txt or ""))
    found = re.search(r"(?:^|;)\s*p=([A-Za-z0-9+/=]+)", joined)
    if not found:
        raise ValueError("no public key (p=) in the DKIM record")
    return found.group(1)


def dns_records(domain: str, dkim: Mapping[str, str], spf_addresses: Sequence[str], dmarc_policy: str,
                dmarc_report_address: str = "") -> List[dict]:
    """The TXT records the customer publishes for the relays: SPF, each relay's DKIM key, DMARC.

    ``dkim`` maps each relay's selector to its opendkim-genkey ``<selector>.txt``. Each record is
    {"name": ..., "type": "TXT", "value": ...}, its value as one string (split into 255-byte
    strings by the DNS software).
    """
    records = [{"name": domain, "type": "TXT",
                "value": "v=spf1 %s -all" % " ".join("ip4:%s" % address for address in spf_addresses)}]
    for selector in sorted(dkim):
        records.append({"name": "%s._domainkey.%s" % (selector, domain), "type": "TXT",
                        "value": "v=DKIM1; k=rsa; p=%s" % dkim_public_key(dkim[selector])})
    dmarc = "v=DMARC1; p=%s; adkim=s; aspf=s" % dmarc_policy
    if dmarc_report_address:
        dmarc += "; rua=mailto:%s" % dmarc_report_address
    records.append({"name": "_dmarc.%s" % domain, "type": "TXT", "value": dmarc})
    return records
