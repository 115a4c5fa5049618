# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke test's plan as a filter (docs in edge_smoke_targets.yml; logic in module_utils/edge_smoke.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import edge_smoke


def edge_smoke_targets(groups, hostvars, ca_host=""):
    return edge_smoke.smoke_targets(dict(groups), hostvars, ca_host or "")


class FilterModule:
    """What playbooks/smoke.yml probes, and where."""

    def filters(self) -> dict:
        return {"edge_smoke_targets": edge_smoke_targets}
