# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voice proxy's decisions (docs in the .yml files beside; logic in module_utils/voice_proxy_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import voice_proxy_config


def voice_proxy_input_errors(inputs, group=None, host="", member_vips=None, reserved_ports=None, release=None):
    return voice_proxy_config.input_errors(inputs or {}, list(group or []), host, dict(member_vips or {}),
                                           [int(port) for port in reserved_ports or []], release)


def voice_proxy_firewall_rules(inputs, peers=None):
    return voice_proxy_config.firewall_rules(inputs or {}, list(peers or []))


class FilterModule:
    """The voice proxy's filters."""

    def filters(self) -> dict:
        return {"voice_proxy_firewall_rules": voice_proxy_firewall_rules,
                "voice_proxy_input_errors": voice_proxy_input_errors}
