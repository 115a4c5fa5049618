# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Strict IPv4 tests for validating inventory input in role preflights."""

from __future__ import annotations

import ipaddress


def ipv4_network(value: object) -> bool:
    """True for '10.20.0.0/16' or '192.0.2.7/32'; False for '10.20.0.5/16', '10.20.0.0' or junk.

    Unlike ansible.utils' ipv4('net'), a /32 counts as a network, and host bits
    make the value invalid instead of being silently masked: a typo in a
    firewall source must stop the run, not widen or narrow the rule.
    """
    if not isinstance(value, str) or "/" not in value:
        return False
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return False
    return True


def ipv4_address(value: object) -> bool:
    """True for a dotted-quad IPv4 address such as '10.20.0.5' (no prefix)."""
    if not isinstance(value, str):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


class TestModule:
    """Ansible test plugins: ``x is rainbow.edge.ipv4_network``."""

    def tests(self) -> dict:
        return {"ipv4_network": ipv4_network, "ipv4_address": ipv4_address}
