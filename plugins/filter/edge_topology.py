# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edge_topology: the inventory given, beside its plan (documented in edge_topology.yml; logic in
module_utils/edge_topology.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import edge_topology as topology


def edge_topology(plan, groups, hostvars):
    """``plan_result | rainbow.edge.edge_topology(groups, hostvars)`` -> {topology, tiers, markdown, svg}."""
    found = topology.read_topology(groups, hostvars)
    return {
        "topology": found,
        "tiers": topology.compare_with_plan(found, plan),
        "markdown": topology.topology_markdown(found, plan),
        "svg": topology.topology_svg(found, plan),
    }


class FilterModule:
    """The plan report's picture of the inventory."""

    def filters(self) -> dict:
        return {"edge_topology": edge_topology}
