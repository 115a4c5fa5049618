# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the vendor's voice tiers (docs in the .yml files beside; logic in
module_utils/voice_vendor_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.filter.host_values import host_values
from ansible_collections.rainbow.edge.plugins.module_utils import voice_vendor_config


def voice_vendor_deployment(inputs, tier):
    return voice_vendor_config.deployment(tier, inputs or {})


def voice_vendor_input_errors(inputs, tier, reserved_ports=None, gateways=None, group=None, host="",
                              member_vips=None):
    return voice_vendor_config.input_errors(tier, inputs or {}, [int(port) for port in reserved_ports or []],
                                            None if gateways is None else list(gateways), list(group or []),
                                            host or "", dict(member_vips or {}))


def voice_vendor_firewall_rules(inputs, tier, peers=None):
    return voice_vendor_config.firewall_rules(tier, inputs or {}, list(peers or []))


def voice_vendor_config_file(inputs, tier, tls=None, voice_proxy="", gateways=None):
    return voice_vendor_config.config(tier, inputs or {}, dict(tls or {}), voice_proxy, list(gateways or []))


def voice_vendor_gateways(groups, hostvars, tiers=None, destinations=False):
    def read(host, paths, default):
        return host_values([host], hostvars, paths, default)[host]
    found = voice_vendor_config.gateways(groups or {}, read,
                                         tuple(tiers) if tiers else voice_vendor_config.GATEWAY_TIERS)
    if destinations:
        return ["%s:%s" % (gateway["address"], gateway["sip_port"]) for gateway in found]
    return found


class FilterModule:
    """The vendor's voice tiers' filters."""

    def filters(self) -> dict:
        return {"voice_vendor_config_file": voice_vendor_config_file,
                "voice_vendor_deployment": voice_vendor_deployment,
                "voice_vendor_firewall_rules": voice_vendor_firewall_rules,
                "voice_vendor_gateways": voice_vendor_gateways,
                "voice_vendor_input_errors": voice_vendor_input_errors}
