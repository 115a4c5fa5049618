# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived_instances: a role's virtual addresses as keepalived VRRP instances (docs in the .yml beside)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.module_utils import keepalived_vip


def keepalived_instances(instances, name, priority, advert_interval=1, preempt=False, sync_group="", notify="",
                         track_scripts=None, preempt_delay=0):
    try:
        return keepalived_vip.render_instances(name, instances, priority, advert_interval, bool(preempt),
                                               sync_group or "", notify or "", track_scripts, preempt_delay)
    except keepalived_vip.VipError as error:
        raise AnsibleFilterError(str(error)) from error


def interface_with_address(facts, address):
    return keepalived_vip.interface_with_address(facts or {}, address)


class FilterModule:
    """The shared role's vip entry point."""

    def filters(self) -> dict:
        return {"keepalived_instances": keepalived_instances, "interface_with_address": interface_with_address}
