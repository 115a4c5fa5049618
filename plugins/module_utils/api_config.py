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
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.apt_repository import repository_errors
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, lan_errors,
)

_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$")
_SQL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_PATH = re.compile(r"^/[^\s]*$")
_SWIFT_USER = re.compile(r"^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$")
_SWIFT_CONTAINER = re.compile(r"^[^/\s]{1,256}$")
_TURN_URI = re.compile(r"^turns?:[^\s?]+(\?transport=(udp|tcp))?$")


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


def input_errors(inputs: Mapping[str, Any], sql_server: Any, xmpp_servers: Sequence[Any] = (),
                 swift_auth_users: Optional[Sequence[Mapping[str, Any]]] = None,
                 turn_uris: Sequence[str] = ()) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable (secrets never shown).

    ``sql_server`` is the MariaDB server's address the application writes
    to (the primary the inventory names), ``xmpp_servers`` the XMPP servers'
    addresses it reaches, ``swift_auth_users`` the Swift servers' accounts
    (None: the Edge has no Swift servers), ``turn_uris`` what its users relay
    through.
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
    errors += files_errors(inputs, swift_auth_users) + turn_errors(inputs, turn_uris)
    if not is_int_in(inputs.get("api_drain_timeout"), 0, 3600):
        errors.append("api_drain_timeout: expected 0-3600 seconds for requests in flight to end; got %r"
                      % (inputs.get("api_drain_timeout"),))
    if not is_int_in(inputs.get("api_stop_timeout"), 1, 3600):
        errors.append("api_stop_timeout: expected 1-3600 seconds for the application to stop; got %r"
                      % (inputs.get("api_stop_timeout"),))
    return errors


def files_errors(inputs: Mapping[str, Any], swift_auth_users: Optional[Sequence[Mapping[str, Any]]]) -> List[str]:
    """The application's Swift account: required on an Edge with Swift servers, one of their ``swift_auth_users``
    with the same key."""
    user, key = str(inputs.get("api_swift_user") or ""), inputs.get("api_swift_key") or ""
    if swift_auth_users is None:
        return ["api_swift_user: the Edge has no Swift servers (group swift) to store files in; got %r" % (user,)] \
            if user else []
    errors = []
    accounts = sorted("%s:%s" % (entry.get("account"), entry.get("user")) for entry in swift_auth_users)
    if not _SWIFT_USER.match(user):
        errors.append("api_swift_user: the application stores users' files in the Edge's Swift: expected its account "
                      "as <account>:<user>, one of the Swift servers' swift_auth_users %s; got %r" % (accounts, user))
    elif user not in accounts:
        errors.append("api_swift_user: %s is not one of the Swift servers' swift_auth_users %s" % (user, accounts))
    elif not any("%s:%s" % (e.get("account"), e.get("user")) == user and e.get("key") == key for e in swift_auth_users):
        errors.append("api_swift_key: not the key swift_auth_users gives %s" % user)
    if not _SWIFT_CONTAINER.match(str(inputs.get("api_swift_container") or "")):
        errors.append("api_swift_container: expected a container name of 1-256 characters without /; got %r"
                      % (inputs.get("api_swift_container"),))
    return errors


def turn_errors(inputs: Mapping[str, Any], turn_uris: Sequence[str]) -> List[str]:
    """What the application needs to hand out TURN credentials, when there is a TURN server to relay through."""
    errors = []
    bad = [uri for uri in inputs.get("api_turn_uris") or [] if not _TURN_URI.match(str(uri))]
    if bad:
        errors.append("api_turn_uris: expected TURN URIs such as turn:203.0.113.9:3478?transport=udp; got %r" % (bad,))
    if turn_uris and len(str(inputs.get("api_turn_static_auth_secret") or "")) < 16:
        errors.append("api_turn_static_auth_secret (default: turn_static_auth_secret): %s: the application makes "
                      "users' TURN credentials with the TURN servers' secret"
                      % ("is empty" if not inputs.get("api_turn_static_auth_secret") else "is shorter than 16 characters"))
    if not is_int_in(inputs.get("api_turn_credential_lifetime"), 60, 7 * 86400):
        errors.append("api_turn_credential_lifetime: expected 60-604800 seconds; got %r"
                      % (inputs.get("api_turn_credential_lifetime"),))
    return errors


def _repository_errors(inputs: Mapping[str, Any]) -> List[str]:
    errors = repository_errors("api", inputs)
    packages = inputs.get("api_packages") or []
    bad = [package for package in packages if not _PACKAGE.match(str(package))]
    if not packages or bad:
        errors.append("api_packages: expected the vendor's Debian package names (name or name=version); %s"
                      % ("not package names: %r" % bad if bad else "the list is empty"))
    return errors
