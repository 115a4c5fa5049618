# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The send-only mail relays' decisions (docs in the .yml files beside; logic in module_utils/mail_config.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.filter.host_values import host_values
from ansible_collections.rainbow.edge.plugins.module_utils import mail_config


def mail_input_errors(inputs, edge_domain, clients=None, spf_addresses=None):
    return mail_config.input_errors(inputs or {}, edge_domain, list(clients or []), list(spf_addresses or []))


def mail_client_addresses(client_groups, groups, hostvars, extra=None):
    """The LAN addresses of the hosts of ``client_groups`` (as each read its own inputs), then ``extra``."""
    hosts = []
    for group in client_groups or []:
        hosts += [host for host in (groups or {}).get(group, []) if host not in hosts]
    addresses = host_values(hosts, hostvars, ["edge_lan_ip"], "")
    found = [addresses[host] or "%s (no edge_lan_ip)" % host for host in hosts]
    return found + [address for address in extra or [] if address not in found]


def mail_egress_addresses(gatekeepers, hostvars):
    """The GateKeepers' WAN addresses and WAN VIP, each once: the LAN's mail leaves the Edge from them."""
    found = []
    for paths in (["gatekeeper_wan_ip", "edge_wan_ip"], ["gatekeeper_wan_vip"]):
        for address in host_values(list(gatekeepers or []), hostvars, paths, "").values():
            if address and address not in found:
                found.append(address)
    return found


def mail_dns_records(members, hostvars, domain, spf_addresses, dmarc_policy, dmarc_report_address=""):
    """The records to publish, from the DKIM record each relay of ``members`` published (__mail_dkim_published)."""
    dkim = {}
    for member in members or []:
        published = (hostvars[member] if member in hostvars else {}).get("__mail_dkim_published")
        if not published:
            raise AnsibleFilterError("mail_dns_records: %s published no DKIM record in this run (run "
                                     "playbooks/mail.yml on every relay)" % member)
        dkim[published["selector"]] = published["record"]
    try:
        return mail_config.dns_records(domain, dkim, list(spf_addresses or []), dmarc_policy,
                                       dmarc_report_address or "")
    except ValueError as error:
        raise AnsibleFilterError("mail_dns_records: %s" % error) from error


class FilterModule:
    """The mail relays' filters."""

    def filters(self) -> dict:
        return {"mail_client_addresses": mail_client_addresses, "mail_dns_records": mail_dns_records,
                "mail_egress_addresses": mail_egress_addresses, "mail_input_errors": mail_input_errors}
