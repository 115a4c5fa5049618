# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one tier declares for another to act on: the Edge's one contribution mechanism.

A role that has something for another tier (a metrics endpoint to scrape, a
log file to ship, a backend to balance, a database to create, a path to back
up) declares it in ``__<role>_provides`` (its vars, from its converted
inputs). The shared role's ``inputs`` entry point checks that declaration
against the kinds below and publishes it as the host fact ``<role>_provides``
(``{kind: [item, ...]}``). The consuming role reads every host's with the
filter ``rainbow.edge.contributions`` and never lists the other tiers by name.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import is_ipv4_address

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_PATH = re.compile(r"^/[^\0\n]*$")
# A MariaDB database or account name that needs no quoting.
_SQL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def _port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _name(value: Any) -> bool:
    return isinstance(value, str) and bool(_NAME.match(value))


def _path(value: Any) -> bool:
    return isinstance(value, str) and bool(_PATH.match(value))


def _labels(value: Any) -> bool:
    return isinstance(value, Mapping) and all(_name(key) and isinstance(text, str) for key, text in value.items())


def _paths(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_path(path) for path in value)


def _sql_name(value: Any) -> bool:
    return isinstance(value, str) and bool(_SQL_NAME.match(value))


def _password(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 12


# An HTTP request path prefix that routes to a backend (/ws, /api/v1).
_PATH_PREFIX = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")


def _path_prefixes(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(path, str) and bool(_PATH_PREFIX.match(path)) for path in value)


# An ALPN protocol id as IANA registers them (xmpp-client, h2).
_ALPN = re.compile(r"^[a-z0-9][a-z0-9./-]{0,39}$")


#: How the metrics tier's blackbox exporter probes a declared endpoint: a TCP
#: connection, or a TLS handshake whose chain must lead to the Edge's CA.
PROBE_MODULES = ("tcp", "tls")

#: How a load balancer talks to a declared backend: bytes passed through
#: (``tcp``), or HTTP, which it serves over TLS itself (``http``).
LB_MODES = ("tcp", "http")
#: How a load balancer spreads a backend's connections over its servers.
LB_BALANCES = ("roundrobin", "leastconn", "source")

#: Every kind a role may declare: its fields, each (required, check, what the check expects).
KINDS: Dict[str, Dict[str, Tuple[bool, Any, str]]] = {
    # For the metrics tier: a Prometheus endpoint of this host.
    "scrape_targets": {
        "job": (True, _name, "a job name of [a-z0-9_-]"),
        "address": (True, is_ipv4_address, "the host's IPv4 address the endpoint listens on"),
        "port": (True, _port, "a TCP port 1-65535"),
        "scheme": (False, lambda v: v in ("http", "https"), "http or https"),
        "path": (False, _path, "an absolute URL path such as /metrics"),
        "labels": (False, _labels, "a mapping of label names to text"),
    },
    # For the metrics tier: an endpoint of this host that the blackbox exporter
    # connects to (``tcp``), or with TLS verified against the Edge's CA (``tls``).
    "probe_targets": {
        "name": (True, _name, "a probe name of [a-z0-9_-]"),
        "address": (True, is_ipv4_address, "the IPv4 address the endpoint listens on (a host's or a VIP)"),
        "port": (True, _port, "a TCP port 1-65535"),
        "module": (True, lambda v: v in PROBE_MODULES, "one of %s" % ", ".join(PROBE_MODULES)),
        "labels": (False, _labels, "a mapping of label names to text"),
    },
    # For the logs tier: files of this host to ship.
    "log_files": {
        "name": (True, _name, "a name of [a-z0-9_-] for the stream"),
        "paths": (True, _paths, "a non-empty list of absolute paths (globs allowed)"),
    },
    # For the backup tier: what to back up on this host.
    "backup_sources": {
        "name": (True, _name, "a name of [a-z0-9_-]"),
        "paths": (True, _paths, "a non-empty list of absolute paths"),
    },
    # For the MariaDB servers: a database, and an account that reaches it
    # (every privilege on that database, none elsewhere) from this host's
    # address only.
    "mariadb_databases": {
        "name": (True, _sql_name, "a database name of letters, digits and underscores (at most 64)"),
        "user": (True, _sql_name, "an account name of letters, digits and underscores"),
        "password": (True, _password, "a password of at least 12 characters"),
        "address": (True, is_ipv4_address, "the IPv4 address this host connects from"),
    },
    # For the load balancers: this host is a server of the backend ``name``;
    # every host declaring one name is a server of it and declares it alike.
    # The private load balancers serve it on their VIPs at ``private_port``;
    # the public ones on 443, chosen by ALPN (tcp) or by path prefix (http).
    "lb_backends": {
        "name": (True, _name, "a backend name of [a-z0-9_-]"),
        "address": (True, is_ipv4_address, "the IPv4 address this host serves it on"),
        "port": (True, _port, "a TCP port 1-65535"),
        "mode": (True, lambda v: v in LB_MODES, "one of %s" % ", ".join(LB_MODES)),
        "tls": (False, lambda v: isinstance(v, bool),
                "true when the server speaks TLS (checked against the Edge's CA), else false"),
        "check_path": (False, _path, "an absolute URL path answering 2xx or 3xx to GET (http mode)"),
        "balance": (False, lambda v: v in LB_BALANCES, "one of %s" % ", ".join(LB_BALANCES)),
        "private_port": (False, _port, "the TCP port 1-65535 the private load balancers serve it on"),
        "public_alpn": (False, lambda v: isinstance(v, str) and bool(_ALPN.match(v)),
                        "an ALPN protocol id such as xmpp-client (tcp mode)"),
        "public_paths": (False, _path_prefixes, "a non-empty list of URL path prefixes such as /ws (http mode)"),
    },
}

#: Fields whose values never appear in a message (the declarations are no_log).
SECRET_FIELDS = frozenset({("mariadb_databases", "password")})


def _shown(kind: str, value: Any) -> str:
    """A value for a message: only its type where the kind carries a secret."""
    if any(secret_kind == kind for secret_kind, _field in SECRET_FIELDS):
        return "a %s (value withheld: this kind carries secrets)" % type(value).__name__
    return repr(value)


def item_errors(role: str, kind: str, index: int, item: Any) -> List[str]:
    """Problems of one declared item, each naming the role, the kind and the field."""
    where = "%s_provides.%s[%d]" % (role, kind, index)
    if kind not in KINDS:
        return ["%s_provides: unknown kind %r (known: %s)" % (role, kind, ", ".join(sorted(KINDS)))]
    if not isinstance(item, Mapping):
        return ["%s: expected a mapping, got %s" % (where, _shown(kind, item))]
    fields = KINDS[kind]
    errors = ["%s: unknown field %r (known: %s)" % (where, key, ", ".join(sorted(fields)))
              for key in item if key not in fields]
    for field, (required, check, expected) in fields.items():
        if field not in item:
            if required:
                errors.append("%s.%s: missing; expected %s" % (where, field, expected))
        elif not check(item[field]):
            shown = "a value withheld (secret)" if (kind, field) in SECRET_FIELDS else repr(item[field])
            errors.append("%s.%s: expected %s; got %s" % (where, field, expected, shown))
    return errors


def provides_errors(role: str, provides: Any) -> List[str]:
    """Problems of a role's whole declaration (``{kind: [item, ...]}``)."""
    if provides in (None, {}):
        return []
    if not isinstance(provides, Mapping):
        return ["%s_provides: expected a mapping of kinds to lists, got a %s" % (role, type(provides).__name__)]
    errors: List[str] = []
    for kind, items in provides.items():
        if kind not in KINDS:
            errors.append("%s_provides: unknown kind %r (known: %s)" % (role, kind, ", ".join(sorted(KINDS))))
        elif not isinstance(items, list):
            errors.append("%s_provides.%s: expected a list, got %s" % (role, kind, _shown(kind, items)))
        else:
            for index, item in enumerate(items):
                errors += item_errors(role, kind, index, item)
    return errors


_PROVIDES = re.compile(r"^([a-z][a-z0-9_]*)_provides$")


def collect(hosts: Sequence[str], hostvars: Mapping[str, Mapping[str, Any]], kind: str) -> Dict[str, Any]:
    """Every item of ``kind`` that the hosts' roles published: ``{items, errors}``.

    Reads each host's ``<role>_provides`` facts, whatever the roles (a consumer
    never names the tiers that feed it); each item gains ``host`` and ``role``.
    A declaration with problems contributes nothing and is reported.
    """
    if kind not in KINDS:
        raise ValueError("unknown kind %r (known: %s)" % (kind, ", ".join(sorted(KINDS))))
    items: List[Dict[str, Any]] = []
    errors: List[str] = []
    for host in hosts:
        variables = hostvars[host] if host in hostvars else {}
        for name in sorted(variables):
            match = _PROVIDES.match(name)
            if not match or not isinstance(variables[name], Mapping):
                continue
            role, provides = match.group(1), variables[name]
            problems = provides_errors(role, provides)
            if problems:
                errors += ["%s: %s" % (host, problem) for problem in problems]
                continue
            for item in provides.get(kind) or []:
                items.append(dict(item, host=host, role=role))
    return {"items": items, "errors": errors}
