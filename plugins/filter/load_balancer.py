# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The load balancers' decisions (docs in the .yml files beside; logic in module_utils/load_balancer.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import load_balancer


def lb_backends(items, reserved_ports=None):
    return load_balancer.backends(items or [], reserved_ports or {})


def lb_vrrp_instances(members, member_addresses, vips, network, router_id, interface, host, role):
    return load_balancer.vrrp_instances(members, member_addresses, vips, network, int(router_id), interface, host,
                                        role)


def private_lb_probe_targets(served, vips):
    return load_balancer.probe_targets(served or [], vips or [])


def private_lb_input_errors(inputs, members, member_addresses, interface, limits_text=""):
    return load_balancer.private_input_errors(inputs, members, member_addresses, interface, limits_text or "")


def lb_vip_probe_targets(vips, name, port, module):
    return load_balancer.vip_probe_targets(vips or [], name, int(port), module)


def public_lb_input_errors(inputs, members, member_wan_addresses, wan_interface, limits_text=""):
    return load_balancer.public_input_errors(inputs, members, member_wan_addresses, wan_interface, limits_text or "")


class FilterModule:
    """The load balancers' filters."""

    def filters(self) -> dict:
        return {
            "lb_backends": lb_backends,
            "lb_vrrp_instances": lb_vrrp_instances,
            "private_lb_input_errors": private_lb_input_errors,
            "private_lb_probe_targets": private_lb_probe_targets,
            "public_lb_input_errors": public_lb_input_errors,
            "lb_vip_probe_targets": lb_vip_probe_targets,
        }
