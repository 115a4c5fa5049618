# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The XMPP tier's decisions: its input check, the ejabberd cluster's members, ejabberd.yml.

Used by the ``xmpp`` role through the filters of ``plugins/filter/xmpp_config.py``;
unit-tested in ``tests/unit/plugins/module_utils/test_xmpp_config.py``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, lan_errors,
)

_DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_SQL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_JID = re.compile(r"^[^@/\s\"'<>&]{1,1023}@[a-z0-9.-]{1,253}$")
# The Erlang distribution's cookie: ejabberdctl and erl read it unquoted.
_COOKIE = re.compile(r"^[A-Za-z0-9]{20,255}$")
#: The TLS versions clients may use (ejabberd's protocol_options turn the older ones off).
TLS_PROTOCOL_OPTIONS = ["no_sslv2", "no_sslv3", "no_tlsv1", "no_tlsv1_1", "cipher_server_preference", "no_compression"]
#: Mozilla's intermediate profile (TLS 1.2 ciphers; TLS 1.3 ones are always on in OpenSSL/OTP).
TLS_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
               "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
#: The Erlang node name of an XMPP server: by its LAN address (long names, no DNS needed).
NODE_PREFIX = "ejabberd@"
# The ports of one server, by the input that sets them.
_PORTS = ("xmpp_c2s_port", "xmpp_c2s_tls_port", "xmpp_http_port", "xmpp_admin_port", "xmpp_s2s_port")


def node_name(address: str) -> str:
    """The Erlang node name of the XMPP server at ``address``."""
    return NODE_PREFIX + str(address)


def input_errors(inputs: Mapping[str, Any], members: Sequence[str], member_addresses: Mapping[str, Any],
                 sql_server: Any) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable.

    ``members`` are the hosts of the ejabberd cluster (group ``xmpp``),
    ``member_addresses`` their LAN addresses, ``sql_server`` the MariaDB
    server's address the servers store in (the primary the inventory names).
    """
    errors: List[str] = []
    domain = inputs.get("xmpp_domain")
    if not (isinstance(domain, str) and _DNS_NAME.match(domain)):
        errors.append("xmpp_domain (default: edge_domain): expected the Edge's XMPP domain, a lower-case DNS name "
                      "such as edge.example.com; got %r" % (domain,))
    errors += lan_errors("xmpp", inputs)
    for name in _PORTS:
        if not is_int_in(inputs.get(name), 1024, 65535):
            errors.append("%s: expected a TCP port 1024-65535; got %r" % (name, inputs.get(name)))
    low, high = inputs.get("xmpp_cluster_port_min"), inputs.get("xmpp_cluster_port_max")
    if not (is_int_in(low, 1024, 65535) and is_int_in(high, 1024, 65535) and low <= high <= low + 100):
        errors.append("xmpp_cluster_port_min, xmpp_cluster_port_max: expected a range of at most 101 TCP ports "
                      "1024-65535 for the Erlang distribution; got %r-%r" % (low, high))
        cluster_ports: Sequence[int] = []
    else:
        cluster_ports = range(low, high + 1)
    used: Dict[Any, str] = {4369: "epmd (the Erlang port mapper)"}
    for name in _PORTS:
        port = inputs.get(name)
        if port in used:
            errors.append("%s: port %r is already %s" % (name, port, used[port]))
        used.setdefault(port, name)
    clash = sorted(port for port in cluster_ports if port in used)
    if clash:
        errors.append("xmpp_cluster_port_min, xmpp_cluster_port_max: the range holds %s, already %s"
                      % (", ".join(map(str, clash)), ", ".join(used[port] for port in clash)))
    for name in ("xmpp_allowed_cidrs", "xmpp_admin_allowed_cidrs"):
        value = inputs.get(name) or []
        bad = [cidr for cidr in value if not is_ipv4_network(cidr)]
        if bad or not value:
            errors.append("%s: expected IPv4 networks in CIDR form; %s"
                          % (name, "not networks: %r" % bad if bad else "the list is empty"))
    bad_admins = [jid for jid in inputs.get("xmpp_admins") or [] if not (isinstance(jid, str) and _JID.match(jid))]
    if bad_admins:
        errors.append("xmpp_admins: expected bare JIDs such as ops@%s; not JIDs: %r" % (domain, bad_admins))
    federation = inputs.get("xmpp_federation_domains") or []
    bad_domains = [name for name in federation if not (isinstance(name, str) and _DNS_NAME.match(name))]
    if bad_domains:
        errors.append("xmpp_federation_domains: expected lower-case DNS names (the global side's XMPP domains); "
                      "not names: %r" % (bad_domains,))
    s2s_cidrs = inputs.get("xmpp_s2s_allowed_cidrs") or []
    bad_s2s = [cidr for cidr in s2s_cidrs if not is_ipv4_network(cidr)]
    if bad_s2s:
        errors.append("xmpp_s2s_allowed_cidrs: expected IPv4 networks in CIDR form; not networks: %r" % (bad_s2s,))
    if federation and not s2s_cidrs:
        errors.append("xmpp_s2s_allowed_cidrs: federation with %s needs the networks the global side's servers "
                      "come from (the GateKeeper tunnel's); the list is empty" % ", ".join(map(str, federation)))
    for name in ("xmpp_sql_database", "xmpp_sql_user"):
        if not (isinstance(inputs.get(name), str) and _SQL_NAME.match(inputs.get(name))):
            errors.append("%s: expected 1-64 letters, digits or underscores; got %r" % (name, inputs.get(name)))
    password = inputs.get("xmpp_sql_password")
    if not (isinstance(password, str) and len(password) >= 12):
        errors.append("xmpp_sql_password: expected a password of at least 12 characters (from the vault); "
                      "it is %s" % ("empty" if not password else "too short"))
    if not is_int_in(inputs.get("xmpp_sql_port"), 1, 65535):
        errors.append("xmpp_sql_port: expected a TCP port 1-65535; got %r" % (inputs.get("xmpp_sql_port"),))
    if not is_int_in(inputs.get("xmpp_sql_pool_size"), 1, 100):
        errors.append("xmpp_sql_pool_size: expected 1-100 connections; got %r" % (inputs.get("xmpp_sql_pool_size"),))
    if not is_ipv4_address(sql_server):
        errors.append("xmpp_sql_server: expected the MariaDB primary's LAN address (empty: the primary of group "
                      "mariadb); got %r" % (sql_server,))
    cookie = inputs.get("xmpp_erlang_cookie")
    if len(members) > 1 and not (isinstance(cookie, str) and _COOKIE.match(cookie)):
        errors.append("xmpp_erlang_cookie: the cluster of %s needs one shared cookie of 20-255 letters and digits "
                      "(from the vault); it is %s" % (", ".join(members), "empty" if not cookie else "not one"))
    missing = [member for member in members if not is_ipv4_address(member_addresses.get(member))]
    if missing:
        errors.append("xmpp: no LAN address (xmpp_lan_ip or edge_lan_ip) for the cluster's member(s) %s"
                      % ", ".join(missing))
    return errors


def cluster(members: Sequence[str], member_addresses: Mapping[str, Any], host: str) -> Dict[str, Any]:
    """The cluster as ``host`` sees it: its node, the node it joins, every node and the peers' addresses.

    The first member of the group starts the cluster; every other joins it.
    """
    nodes = [node_name(member_addresses[member]) for member in members]
    own = node_name(member_addresses[host])
    return {
        "node": own,
        "seed": nodes[0] if nodes else own,
        "joins": bool(nodes) and own != nodes[0],
        "nodes": nodes,
        "peer_addresses": [str(member_addresses[member]) for member in members if member != host],
    }


def _tls_listener(port: int, address: str, module: str, **options: Any) -> Dict[str, Any]:
    listener = {"port": port, "ip": address, "module": module}
    listener.update(options)
    listener.update({"protocol_options": TLS_PROTOCOL_OPTIONS, "ciphers": TLS_CIPHERS})
    return listener


def ejabberd_config(inputs: Mapping[str, Any], sql_server: str, tls: Mapping[str, str],
                    sql_schema_option: bool) -> Dict[str, Any]:
    """ejabberd.yml as a mapping (the role writes it with to_nice_yaml).

    ``tls`` has the ``key``, ``certificate`` and ``ca`` files; ``sql_schema_option``
    says whether this ejabberd knows ``update_sql_schema`` (24.06 and later:
    the role loads the schema itself, on every release, and turns it off).
    """
    address = inputs["xmpp_lan_ip"]
    federation = list(inputs.get("xmpp_federation_domains") or [])
    c2s = {"max_stanza_size": 262144, "shaper": "c2s_shaper", "access": "c2s"}
    listen = [
        _tls_listener(inputs["xmpp_c2s_port"], address, "ejabberd_c2s", starttls_required=True, **c2s),
        _tls_listener(inputs["xmpp_c2s_tls_port"], address, "ejabberd_c2s", tls=True, **c2s),
        # Web clients, through the load balancers.
        _tls_listener(inputs["xmpp_http_port"], address, "ejabberd_http", tls=True,
                      request_handlers={"/ws": "ejabberd_http_ws", "/bosh": "mod_bosh"}),
        # Operators, from the LAN only (host firewall).
        _tls_listener(inputs["xmpp_admin_port"], address, "ejabberd_http", tls=True,
                      request_handlers={"/admin": "ejabberd_web_admin"}),
    ]
    if federation:
        listen.append(_tls_listener(inputs["xmpp_s2s_port"], address, "ejabberd_s2s_in", max_stanza_size=524288))
    config: Dict[str, Any] = {
        "hosts": [inputs["xmpp_domain"]],
        "loglevel": "info",
        # Debian's logrotate rotates the logs.
        "log_rotate_count": 0,
        "certfiles": [tls["key"], tls["certificate"]],
        "ca_file": tls["ca"],
        "listen": listen,
        # Server-to-server: TLS only, and only with the global side's domains.
        "s2s_use_starttls": "required",
        "s2s_protocol_options": TLS_PROTOCOL_OPTIONS,
        "s2s_ciphers": TLS_CIPHERS,
        "s2s_access": "s2s",
        "acl": {
            "admin": {"user": list(inputs.get("xmpp_admins") or []) or ["nobody@" + inputs["xmpp_domain"]]},
            "loopback": {"ip": ["127.0.0.0/8"]},
            # The servers this one federates with: none unless the inventory names the global side's.
            "federation": {"server": federation or ["nowhere.invalid"]},
        },
        "access_rules": {
            "c2s": {"allow": "all"},
            "announce": {"allow": "admin"},
            "configure": {"allow": "admin"},
            "s2s": {"allow": "federation"} if federation else {"deny": "all"},
        },
        "api_permissions": {
            "console commands": {"from": ["ejabberd_ctl"], "who": "all", "what": "*"},
            "admin access": {"who": {"access": {"allow": [{"acl": "admin"}]}}, "what": ["*", "!stop", "!start"]},
        },
        "shaper": {"normal": {"rate": 3000, "burst_size": 20000}, "fast": 100000},
        "shaper_rules": {"max_user_sessions": 10, "max_user_offline_messages": 5000,
                         "c2s_shaper": {"none": "admin", "normal": "all"}},
        # Everything that lasts is in MariaDB; Mnesia (in the cluster) keeps sessions and routes.
        "default_db": "sql",
        "auth_method": "sql",
        "auth_password_format": "scram",
        "new_sql_schema": True,
        "sql_type": "mysql",
        "sql_server": sql_server,
        "sql_port": inputs["xmpp_sql_port"],
        "sql_database": inputs["xmpp_sql_database"],
        "sql_username": inputs["xmpp_sql_user"],
        "sql_password": inputs["xmpp_sql_password"],
        "sql_pool_size": inputs["xmpp_sql_pool_size"],
        "sql_ssl": True,
        "sql_ssl_verify": True,
        "sql_ssl_cafile": tls["ca"],
        "modules": {
            "mod_adhoc": {},
            "mod_admin_extra": {},
            "mod_announce": {"access": "announce"},
            "mod_blocking": {},
            "mod_bosh": {},
            "mod_caps": {},
            "mod_carboncopy": {},
            "mod_client_state": {},
            "mod_configure": {},
            "mod_disco": {},
            "mod_last": {},
            # The message archive (XEP-0313), in MariaDB: every message kept.
            "mod_mam": {"db_type": "sql", "assume_mam_usage": True, "default": "always"},
            "mod_offline": {"access_max_user_messages": "max_user_offline_messages"},
            "mod_ping": {},
            "mod_privacy": {},
            "mod_private": {},
            "mod_roster": {"versioning": True},
            "mod_stream_mgmt": {"resend_on_timeout": "if_offline"},
            "mod_vcard": {"search": False},
            "mod_version": {"show_os": False},
        },
    }
    if sql_schema_option:
        config["update_sql_schema"] = False
    return config
