# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The application servers' decisions: their input check and the data tiers they reach.

The vendor's packages come from its apt repository, trusted only through
the key the inventory pins by fingerprint (module_utils/apt_repository.py).
Used by the ``api`` role through ``plugins/filter/api_config.py``;
unit-tested in ``tests/unit/plugins/module_utils/test_api_config.py``.
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.apt_repository import repository_errors
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, lan_errors,
)

_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$")
_SQL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_PATH = re.compile(r"^/[^\s]*$")


#: The endpoint the application reaches on each data tier's hosts: the group, the variables of the host's
#: address and port (as the tier's own input check converted them, else the inventory's), the port's default.
TIER_ENDPOINTS = {
    "mariadb": ("mariadb_lan_ip", "mariadb_port", 3306),
    "xmpp": ("xmpp_lan_ip", "xmpp_c2s_tls_port", 5223),
    "swift": ("swift_lan_ip", "swift_proxy_port", 8080),
    "mongodb": ("mongodb_lan_ip", "mongodb_port", 27017),
}


def endpoint_paths(tier: str) -> Tuple[List[str], List[str], int]:
    """Where a host's variables hold the address and port of ``tier``'s endpoint, and the port's default."""
    address, port, default = TIER_ENDPOINTS[tier]
    checked = "__%s_input_check.inputs." % tier
    return [checked + address, address, "edge_lan_ip"], [checked + port, port], default


def endpoint_hosts(tier: str, members: Sequence[str], primaries: Mapping[str, Any]) -> List[str]:
    """The hosts of ``tier`` the application reaches: MariaDB's primary only (writes go there), else every member.

    ``primaries`` maps each member to the primary it names (``mariadb_primary``).
    """
    if tier != "mariadb":
        return list(members)
    primary = primaries.get(members[0]) if members else None
    return [primary] if primary else []


def input_errors(inputs: Mapping[str, Any], sql_server: Any, xmpp_servers: Sequence[Any] = ()) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable (secrets never shown).

    ``sql_server`` is the MariaDB server's address the application writes
    to (the primary the inventory names), ``xmpp_servers`` the XMPP servers'
    addresses it reaches.
    """
    errors: List[str] = lan_errors("api", inputs)
    for name in ("api_port", "api_private_port"):
        if not is_int_in(inputs.get(name), 1024, 65535):
            errors.append("%s: expected a TCP port 1024-65535; got %r" % (name, inputs.get(name)))
    allowed = inputs.get("api_allowed_cidrs") or []
    bad = [cidr for cidr in allowed if not is_ipv4_network(cidr)]
    if bad or not allowed:
        errors.append("api_allowed_cidrs: expected IPv4 networks in CIDR form; %s"
                      % ("not networks: %r" % bad if bad else "the list is empty"))
    for name in ("api_health_path", "api_metrics_path"):
        if not _PATH.match(str(inputs.get(name) or "")):
            errors.append("%s: expected an absolute URL path such as /healthz; got %r" % (name, inputs.get(name)))
    paths = inputs.get("api_public_paths") or []
    bad_paths = [path for path in paths if not _PATH.match(str(path))]
    if bad_paths:
        errors.append("api_public_paths: expected absolute URL paths such as /api; not paths: %r" % (bad_paths,))
    errors += _repository_errors(inputs)
    entry = str(inputs.get("api_entry_point") or "")
    if not _PATH.match(entry):
        errors.append("api_entry_point: expected the absolute path of the application's script that node runs, "
                      "from the vendor's package (such as /usr/lib/rainbow-api/server.js); got %r" % (entry,))
    for name in ("api_sql_database", "api_sql_user"):
        if not _SQL_NAME.match(str(inputs.get(name) or "")):
            errors.append("%s: expected a MariaDB name of 1-64 letters, digits or _; got %r" % (name, inputs.get(name)))
    if not inputs.get("api_sql_password"):
        errors.append("api_sql_password is empty: give the application's MariaDB password from the vault")
    if not is_ipv4_address(sql_server):
        errors.append("api_sql_server: no MariaDB server to write to (the inventory names no primary for group "
                      "mariadb and api_sql_server is empty); got %r" % (sql_server,))
    if not is_int_in(inputs.get("api_sql_port"), 1, 65535):
        errors.append("api_sql_port: expected a TCP port; got %r" % (inputs.get("api_sql_port"),))
    bad_xmpp = [server for server in xmpp_servers if not is_ipv4_address(server)]
    if bad_xmpp:
        errors.append("api: the XMPP servers' LAN addresses are not all known (xmpp_lan_ip or edge_lan_ip); got %r"
                      % (list(xmpp_servers),))
    if not is_int_in(inputs.get("api_drain_timeout"), 0, 3600):
        errors.append("api_drain_timeout: expected 0-3600 seconds for requests in flight to end; got %r"
                      % (inputs.get("api_drain_timeout"),))
    if not is_int_in(inputs.get("api_stop_timeout"), 1, 3600):
        errors.append("api_stop_timeout: expected 1-3600 seconds for the application to stop; got %r"
                      % (inputs.get("api_stop_timeout"),))
    return errors


def _repository_errors(inputs: Mapping[str, Any]) -> List[str]:
    errors = repository_errors("api", inputs)
    packages = inputs.get("api_packages") or []
    bad = [package for package in packages if not _PACKAGE.match(str(package))]
    if not packages or bad:
        errors.append("api_packages: expected the vendor's Debian package names (name or name=version); %s"
                      % ("not package names: %r" % bad if bad else "the list is empty"))
    return errors
