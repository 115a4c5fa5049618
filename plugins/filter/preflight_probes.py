# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which hosts of the preflight time the round trips between datacenters (docs: the .yml files beside)."""

from __future__ import annotations


def preflight_dc_probes(datacenter_of):
    """``{host: dc} | rainbow.edge.preflight_dc_probes`` -> {dc: the first of its hosts, by name}."""
    probes = {}
    for host in sorted(datacenter_of):
        datacenter = str(datacenter_of[host] or "")
        if datacenter and datacenter not in probes:
            probes[datacenter] = host
    return probes


def preflight_rtt_peers(probes, host, datacenter, lan_ip_of):
    """``probes | rainbow.edge.preflight_rtt_peers(host, dc, {host: ip})``: whom ``host`` times, if it is its DC's probe."""
    datacenter = str(datacenter)
    if probes.get(datacenter) != host:
        return []
    return [{"name": probe, "address": lan_ip_of[probe], "datacenter": other}
            for other, probe in probes.items()
            if other != datacenter and lan_ip_of.get(probe)]


class FilterModule:
    """Filters of the preflight role's RTT measurement."""

    def filters(self) -> dict:
        return {"preflight_dc_probes": preflight_dc_probes, "preflight_rtt_peers": preflight_rtt_peers}
