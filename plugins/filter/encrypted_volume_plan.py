# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""encrypted_volume_plan: the encrypted_volume role's plan, in tested Python (docs in the .yml beside)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import encrypted_volume_plan as plan


def encrypted_volume_plan(volumes, probe, settings, keys=None):
    return plan.volume_plan(list(volumes), dict(probe), dict(settings), dict(keys or {}))


class FilterModule:
    """Ansible filter plugins of the encrypted_volume role."""

    def filters(self) -> dict:
        return {"encrypted_volume_plan": encrypted_volume_plan}
