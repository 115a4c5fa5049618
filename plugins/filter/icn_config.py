# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The In-Country Nodes' decisions (docs in the .yml files beside; logic in module_utils/icn_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import icn_config


def icn_input_errors(inputs, group=None, host="", reserved_ports=None, limits_text=""):
    return icn_config.input_errors(inputs or {}, list(group or []), host, [int(port) for port in reserved_ports or []],
                                   limits_text or "")


def icn_pair(group, host):
    return icn_config.pair(list(group or []), host)


def icn_vrrp_instances(inputs, members, member_lan, member_wan, host, lan_interface, wan_interface):
    return icn_config.vrrp_instances(inputs or {}, list(members or []), dict(member_lan or {}), dict(member_wan or {}),
                                     host, lan_interface, wan_interface)


def icn_firewall_rules(inputs, peer_lan=None, peer_wan=None):
    return icn_config.firewall_rules(inputs or {}, list(peer_lan or []), list(peer_wan or []))


def icn_destinations(values, default_port=5060):
    return ["%s:%d" % pair for pair in icn_config.destinations(list(values or []), int(default_port))]


class FilterModule:
    """The In-Country Nodes' filters."""

    def filters(self) -> dict:
        return {"icn_destinations": icn_destinations, "icn_firewall_rules": icn_firewall_rules,
                "icn_input_errors": icn_input_errors, "icn_pair": icn_pair, "icn_vrrp_instances": icn_vrrp_instances}
