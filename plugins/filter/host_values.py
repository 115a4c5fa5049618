# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_values: what each of some hosts sets, read from hostvars (documented in host_values.yml)."""

from __future__ import annotations

from collections.abc import Mapping

_MISSING = object()


def _lookup(variables, path):
    value = variables
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def host_values(hosts, hostvars, paths, default=None):
    """``hosts | rainbow.edge.host_values(hostvars, ['a.b', 'c'], default)`` -> {host: first of a.b, c defined}."""
    if isinstance(paths, str):
        paths = [paths]
    values = {}
    for host in hosts:
        variables = hostvars[host] if host in hostvars else {}
        values[host] = default
        for path in paths:
            found = _lookup(variables, path)
            if found is not _MISSING and found is not None:
                values[host] = found
                break
    return values


class FilterModule:
    """Reading other hosts' variables without a Jinja loop."""

    def filters(self) -> dict:
        return {"host_values": host_values}
