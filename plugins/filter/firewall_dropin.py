# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewall_dropin: a role's accept rules as a host-firewall drop-in (docs in the .yml beside)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.module_utils import firewall_dropin as dropin


def firewall_dropin(rules, name, content=""):
    try:
        return dropin.render_dropin(name, rules, content)
    except dropin.FirewallDropinError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    """The shared role's firewall entry point."""

    def filters(self) -> dict:
        return {"firewall_dropin": firewall_dropin}
