# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The application servers' decisions (docs in the .yml files beside; logic in module_utils/api_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.filter.host_values import host_values
from ansible_collections.rainbow.edge.plugins.module_utils import api_config


def api_input_errors(inputs, sql_server, xmpp_servers=None, swift_auth_users=None, turn_uris=None):
    return api_config.input_errors(inputs or {}, sql_server, list(xmpp_servers or []),
                                   None if swift_auth_users is None else list(swift_auth_users), list(turn_uris or []))


def api_endpoints(groups, hostvars):
    """Each data tier's endpoints the application reaches: {tier: [{host, address, port}]} (empty lists for none).

    MariaDB's is its primary only, the one the inventory names for group ``mariadb``.
    """
    result = {}
    for tier in api_config.TIER_ENDPOINTS:
        members = list((groups or {}).get(tier) or [])
        primaries = host_values(members[:1], hostvars, ["__mariadb_input_check.inputs.mariadb_primary",
                                                        "mariadb_primary"], "")
        hosts = api_config.endpoint_hosts(tier, members, primaries)
        address_paths, port_paths, default_port = api_config.endpoint_paths(tier)
        addresses = host_values(hosts, hostvars, address_paths, "")
        ports = host_values(hosts, hostvars, port_paths, default_port)
        result[tier] = [{"host": host, "address": addresses[host], "port": int(ports[host])} for host in hosts]
    return result


class FilterModule:
    """The application servers' filters."""

    def filters(self) -> dict:
        return {"api_endpoints": api_endpoints, "api_input_errors": api_input_errors}
