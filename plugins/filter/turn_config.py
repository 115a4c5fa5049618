# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TURN servers' decisions (docs in the .yml files beside; logic in module_utils/turn_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import turn_config


def turn_input_errors(inputs, reserved_ports=None, limits_text=""):
    return turn_config.input_errors(inputs or {}, [int(port) for port in reserved_ports or []], limits_text or "")


def turn_denied_peer_ranges(lan_cidrs, extra_cidrs=None):
    return turn_config.denied_peer_ranges(list(lan_cidrs or []), list(extra_cidrs or []))


def turn_firewall_rules(inputs):
    return turn_config.firewall_rules(inputs or {})


def turn_uris(addresses, ports=None, fallbacks=None):
    return turn_config.turn_uris(dict(addresses or {}), dict(ports or {}), dict(fallbacks or {}))


class FilterModule:
    """The TURN servers' filters."""

    def filters(self) -> dict:
        return {"turn_denied_peer_ranges": turn_denied_peer_ranges, "turn_firewall_rules": turn_firewall_rules,
                "turn_input_errors": turn_input_errors, "turn_uris": turn_uris}
