# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What kind of host the facts describe (docs in the .yml beside)."""

from __future__ import annotations

from collections.abc import Mapping

#: Runtimes whose kernel belongs to the machine underneath: there, kernel
#: settings are the host's to set and the clock cannot be set.
CONTAINER_TYPES = frozenset(("container", "podman", "docker", "lxc", "systemd-nspawn", "containerd"))


def container(facts: object) -> bool:
    """True when ``ansible_facts`` (subset ``virtual``) describe a container guest."""
    if not isinstance(facts, Mapping):
        return False
    return facts.get("virtualization_role") == "guest" and facts.get("virtualization_type") in CONTAINER_TYPES


class TestModule:
    """Ansible test plugins: ``ansible_facts is rainbow.edge.container``."""

    def tests(self) -> dict:
        return {"container": container}
