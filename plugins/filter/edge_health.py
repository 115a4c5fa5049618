# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health report's filters (docs in the .yml files beside; logic in module_utils/edge_health.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import edge_health


def edge_health_report(hosts, hostvars, groups, edge="", probe="edge_health_probe"):
    probes = {host: hostvars[host].get(probe) or {} for host in hosts or []}
    return edge_health.report(probes, {name: list(members) for name, members in dict(groups or {}).items()},
                              edge=edge or "")


def edge_health_html(health):
    return edge_health.render_html(health)


def edge_health_summary(health):
    return edge_health.summary_lines(health)


class FilterModule:
    """The health report's filters."""

    def filters(self) -> dict:
        return {"edge_health_html": edge_health_html, "edge_health_report": edge_health_report,
                "edge_health_summary": edge_health_summary}
