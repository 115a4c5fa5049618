# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the tiers declare for each other (docs in contributions.yml and provides_errors.yml beside)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.module_utils import edge_contributions


def contributions(hosts, hostvars, kind):
    try:
        return edge_contributions.collect(list(hosts), hostvars, kind)
    except ValueError as error:
        raise AnsibleFilterError("contributions: %s" % error) from error


def provides_errors(provides, role):
    return edge_contributions.provides_errors(role, provides)


class FilterModule:
    """The one contribution mechanism between tiers."""

    def filters(self) -> dict:
        return {"contributions": contributions, "provides_errors": provides_errors}
