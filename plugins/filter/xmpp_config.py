# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xmpp role's decisions (docs in the .yml files beside; logic in module_utils/xmpp_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import xmpp_config


def xmpp_input_errors(inputs, members, member_addresses, sql_server):
    return xmpp_config.input_errors(inputs, members, member_addresses, sql_server)


def xmpp_cluster(members, member_addresses, host):
    return xmpp_config.cluster(members, member_addresses, host)


def xmpp_ejabberd_config(inputs, sql_server, tls, sql_schema_option):
    return xmpp_config.ejabberd_config(inputs, sql_server, tls, sql_schema_option)


class FilterModule:
    """The xmpp role's filters."""

    def filters(self) -> dict:
        return {
            "xmpp_input_errors": xmpp_input_errors,
            "xmpp_cluster": xmpp_cluster,
            "xmpp_ejabberd_config": xmpp_ejabberd_config,
        }
