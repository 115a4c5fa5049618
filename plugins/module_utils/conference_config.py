# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The conferencing servers' decisions: their input check, the Janus modules they load, the TURN servers they use.

Janus loads every plugin, transport, event handler and logger its package
installs unless told not to: ``janus_modules`` reads what the package
installed (``dpkg-query -L janus``) and ``disabled_modules`` names every
module the role does not want, so a newer package's extra plugins stay off
too. Janus gets its TURN credentials from the TURN REST API served on the
host itself (``files/usr/local/lib/rainbow-edge/turn_rest_credentials.py``),
for the URIs ``turn_uris`` makes from the Edge's TURN servers. Used by the
``conference`` role through ``plugins/filter/conference_config.py``;
unit-tested in ``tests/unit/plugins/module_utils/test_conference_config.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.apt_repository import repository_errors
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, is_on_network, lan_errors, open_files_limit, wan_errors,
)
from ansible_collections.rainbow.edge.plugins.module_utils.turn_config import denied_peer_ranges, is_relayed

#: The module kinds of Janus and the file-name prefix of each (the package's libjanus_<name>.so).
MODULE_KINDS = ("plugins", "transports", "events", "loggers")
#: The plugins the role can enable: the two the Edge's conferencing uses.
KNOWN_PLUGINS = ("videoroom", "echotest")
#: The transports the role serves: the HTTP API (and the admin API) and the WebSocket API.
TRANSPORTS = ("http", "websockets")
#: The shortest secret accepted for the API, the admin API and the video room's admin key.
MIN_SECRET_LENGTH = 32
SECRETS = ("conference_api_secret", "conference_admin_secret", "conference_room_admin_key")
_MODULE_FILE = re.compile(r"^libjanus_([a-z0-9_]+)\.so$")
_PATH_PREFIX = re.compile(r"^/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$")
_ORIGIN = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_TURN_URI = re.compile(r"^turns?:[A-Za-z0-9.-]+(:[0-9]{1,5})?(\?transport=(udp|tcp|tls))?$")


def janus_modules(package_files: str) -> Dict[str, Any]:
    """The folders and module files of the installed Janus package, from ``dpkg-query -L janus``.

    ``{"folders": {kind: path}, "files": {kind: [file, ...]}}``: Janus loads files ending in ``.so`` from each
    kind's folder (the package's ``libjanus_<name>.so`` links to the versioned library). Empty folders and
    lists when the package is not installed yet (a check-mode run on a fresh host).
    """
    folders: Dict[str, str] = {}
    files: Dict[str, List[str]] = {kind: [] for kind in MODULE_KINDS}
    for line in (package_files or "").splitlines():
        path = line.strip()
        parts = path.rsplit("/", 2)
        if len(parts) != 3 or parts[1] not in MODULE_KINDS or not parts[0].endswith("/janus"):
            continue
        if _MODULE_FILE.match(parts[2]):
            folders[parts[1]] = "%s/%s" % (parts[0], parts[1])
            files[parts[1]].append(parts[2])
    return {"folders": folders, "files": {kind: sorted(set(names)) for kind, names in files.items()}}


def disabled_modules(modules: Mapping[str, Any], plugins: Sequence[str]) -> Dict[str, str]:
    """Janus's ``disable`` lists, by kind: every installed module but the ``plugins`` wanted and the HTTP and
    WebSocket transports (no event handler, no external logger), comma-separated as janus.jcfg takes them."""
    wanted = {"plugins": set(plugins), "transports": set(TRANSPORTS), "events": set(), "loggers": set()}
    result = {}
    for kind in MODULE_KINDS:
        names = (modules.get("files") or {}).get(kind) or []
        result[kind] = ",".join(name for name in names if _MODULE_FILE.match(name).group(1) not in wanted[kind])
    return result


def missing_modules(modules: Mapping[str, Any], plugins: Sequence[str]) -> List[str]:
    """The wanted plugins and transports the installed package does not have (empty before it is installed)."""
    files = modules.get("files") or {}
    if not any(files.values()):
        return []
    missing = ["plugin %s" % name for name in plugins if "libjanus_%s.so" % name not in (files.get("plugins") or [])]
    missing += ["transport %s" % name for name in TRANSPORTS
                if "libjanus_%s.so" % name not in (files.get("transports") or [])]
    return missing


def derived_key(secret: Any, purpose: str) -> str:
    """A key for ``purpose`` derived from ``secret`` (HMAC-SHA256, hex): the key Janus presents to the TURN REST
    API on its own host, with nothing more to keep in the vault. Empty without a secret."""
    if not secret:
        return ""
    return hmac.new(str(secret).encode(), purpose.encode(), hashlib.sha256).hexdigest()


def listening_ports(inputs: Mapping[str, Any]) -> List[int]:
    """The TCP ports Janus serves on the LAN: its API over HTTPS, its WebSocket API and its admin API; and the
    TURN REST API on the loopback."""
    names = ("conference_port", "conference_ws_port", "conference_admin_port", "conference_turn_rest_port")
    return [inputs.get(name) for name in names if is_int_in(inputs.get(name), 1, 65535)]


def input_errors(inputs: Mapping[str, Any], release: Any = "", reserved_ports: Sequence[int] = (),
                 limits_text: str = "", turn_servers: Sequence[str] = ()) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable (secrets never shown).

    ``release`` is the host's Debian major release: Debian 13 has no Janus, which then comes from the repository
    the inventory names. ``reserved_ports`` are the host's other services' ports (SSH, the node exporter), which
    the RTP range must not take; ``limits_text`` is the host's /proc/1/limits; ``turn_servers`` the TURN URIs
    Janus will use (the Edge's TURN servers, or conference_turn_uris).
    """
    errors: List[str] = lan_errors("conference", inputs) + wan_errors("conference", inputs)
    lan = inputs.get("conference_lan_cidr")
    external = inputs.get("conference_external_ip") or ""
    if external and not is_ipv4_address(external):
        errors.append("conference_external_ip: expected the public IPv4 address clients reach conference_wan_ip at "
                      "(1:1 NAT), or empty when conference_wan_ip is public; got %r" % (external,))
    elif external and (is_on_network(external, lan) or not is_relayed(external, denied_peer_ranges([]))):
        errors.append("conference_external_ip %s is not a public address: clients on the Internet cannot reach it"
                      % external)
    errors += _secret_errors(inputs)
    errors += _port_errors(inputs, reserved_ports)
    for name, what in (("conference_allowed_cidrs", "no client could send media"),
                       ("conference_signalling_allowed_cidrs", "no load balancer could reach the APIs"),
                       ("conference_admin_allowed_cidrs", "no one could reach the admin API")):
        values = inputs.get(name) or []
        bad = [cidr for cidr in values if not is_ipv4_network(cidr)]
        if bad:
            errors.append("%s: expected IPv4 networks in CIDR form; not networks: %r" % (name, bad))
        elif not values:
            errors.append("%s: the list is empty: %s" % (name, what))
    admin = [cidr for cidr in inputs.get("conference_admin_allowed_cidrs") or [] if is_ipv4_network(cidr)]
    if is_ipv4_network(lan):
        outside = [cidr for cidr in admin
                   if not ipaddress.IPv4Network(cidr).subnet_of(ipaddress.IPv4Network(lan, strict=False))]
        if outside:
            errors.append("conference_admin_allowed_cidrs: the admin API stays on the LAN; networks outside %s: %r"
                          % (lan, outside))
    errors += _path_errors(inputs)
    origin = str(inputs.get("conference_allowed_origin") or "")
    if not _ORIGIN.match(origin):
        errors.append("conference_allowed_origin: expected the web origin of the Edge's clients, such as "
                      "https://edge.example.com (browsers get no answer from any other); got %r" % (origin,))
    plugins = inputs.get("conference_plugins") or []
    unknown = [name for name in plugins if name not in KNOWN_PLUGINS]
    if unknown or not plugins:
        errors.append("conference_plugins: expected some of %s; %s" % (
            ", ".join(KNOWN_PLUGINS), "unknown: %r" % unknown if unknown else "the list is empty"))
    bad_uris = [uri for uri in inputs.get("conference_turn_uris") or [] if not _TURN_URI.match(str(uri))]
    if bad_uris:
        errors.append("conference_turn_uris: expected TURN URIs such as turn:10.20.0.40:3478?transport=udp; got %r"
                      % bad_uris)
    secret = str(inputs.get("conference_turn_static_auth_secret") or "")
    if turn_servers and len(secret) < MIN_SECRET_LENGTH:
        errors.append("conference_turn_static_auth_secret (default: turn_static_auth_secret): %s; Janus relays "
                      "through %s with credentials made from the TURN servers' shared secret, at least %d "
                      "characters" % ("is empty" if not secret else "is %d characters" % len(secret),
                                      ", ".join(turn_servers), MIN_SECRET_LENGTH))
    if not is_int_in(inputs.get("conference_turn_credential_lifetime"), 60, 7 * 86400):
        errors.append("conference_turn_credential_lifetime: expected 60-604800 seconds; got %r"
                      % (inputs.get("conference_turn_credential_lifetime"),))
    for name, low, high in (("conference_session_timeout", 10, 3600), ("conference_debug_level", 0, 7),
                            ("conference_drain_timeout", 0, 3600)):
        if not is_int_in(inputs.get(name), low, high):
            errors.append("%s: expected %d-%d; got %r" % (name, low, high, inputs.get(name)))
    allowed = open_files_limit(limits_text)
    if not is_int_in(inputs.get("conference_max_open_files"), 1024, 1048576):
        errors.append("conference_max_open_files: expected 1024-1048576; got %r"
                      % (inputs.get("conference_max_open_files"),))
    elif allowed is not None and inputs["conference_max_open_files"] > allowed:
        errors.append("conference_max_open_files %d is above the host's hard limit of open files (%d), which "
                      "systemd cannot raise: lower it, or raise the host's limit"
                      % (inputs["conference_max_open_files"], allowed))
    if str(release) == "13":
        if not inputs.get("conference_apt_repository_url"):
            errors.append("conference_apt_repository_url is empty: Debian 13 has no Janus package; name the "
                          "repository of its backport (scripts/backport-janus builds one; roles/conference/README.md)")
        else:
            errors += repository_errors("conference", inputs, "the repository of the Janus backport")
    return errors


def _secret_errors(inputs: Mapping[str, Any]) -> List[str]:
    errors = []
    values = {}
    for name in SECRETS:
        value = str(inputs.get(name) or "")
        if len(value) < MIN_SECRET_LENGTH:
            errors.append("%s: %s; give at least %d random characters from the vault"
                          % (name, "is empty" if not value else "is %d characters" % len(value), MIN_SECRET_LENGTH))
        elif not all(" " <= char <= "~" for char in value):
            errors.append("%s: only printable ASCII characters are accepted (Janus's configuration quotes it)"
                          % name)
        else:
            values.setdefault(value, []).append(name)
    for names in values.values():
        if len(names) > 1:
            errors.append("%s are the same secret: each grants something else (API, admin API, rooms); give each "
                          "its own" % " and ".join(names))
    return errors


def _port_errors(inputs: Mapping[str, Any], reserved_ports: Sequence[int]) -> List[str]:
    errors: List[str] = []
    for name in ("conference_port", "conference_ws_port", "conference_admin_port", "conference_private_port",
                 "conference_turn_rest_port"):
        if not is_int_in(inputs.get(name), 1024, 65535):
            errors.append("%s: expected a TCP port 1024-65535; got %r" % (name, inputs.get(name)))
    ports = listening_ports(inputs)
    if len(set(ports)) != len(ports):
        errors.append("conference_port, conference_ws_port, conference_admin_port and conference_turn_rest_port "
                      "must differ; got %r" % (ports,))
    low, high = inputs.get("conference_rtp_min_port"), inputs.get("conference_rtp_max_port")
    if not (is_int_in(low, 1024, 65535) and is_int_in(high, 1024, 65535) and low < high):
        errors.append("conference_rtp_min_port and conference_rtp_max_port: expected a UDP port range within "
                      "1024-65535, lowest first; got %r-%r" % (low, high))
        return errors
    taken = sorted({port for port in list(ports) + list(reserved_ports) if low <= port <= high})
    if taken:
        errors.append("the RTP range %d-%d (conference_rtp_min_port, conference_rtp_max_port) overlaps service "
                      "port(s) %s of this host" % (low, high, taken))
    return errors


def _path_errors(inputs: Mapping[str, Any]) -> List[str]:
    errors = []
    for name in ("conference_base_path", "conference_ws_path"):
        path = inputs.get(name)
        if not _PATH_PREFIX.match(str(path or "")):
            errors.append("%s: expected a URL path such as /janus; got %r" % (name, path))
    if inputs.get("conference_base_path") == inputs.get("conference_ws_path"):
        errors.append("conference_base_path and conference_ws_path are both %r: each path reaches one API"
                      % (inputs.get("conference_base_path"),))
    return errors


def firewall_rules(inputs: Mapping[str, Any]) -> List[dict]:
    """The host-firewall rules (shared role's firewall entry point): the RTP range from the allowed networks, the
    APIs from the load balancers' networks, the admin API from the LAN networks given."""
    return [
        {"ports": ["%s-%s" % (inputs.get("conference_rtp_min_port"), inputs.get("conference_rtp_max_port"))],
         "proto": "udp", "sources": list(inputs.get("conference_allowed_cidrs") or []),
         "comment": "WebRTC media (ICE, DTLS-SRTP)"},
        {"ports": [inputs.get("conference_port"), inputs.get("conference_ws_port")], "proto": "tcp",
         "sources": list(inputs.get("conference_signalling_allowed_cidrs") or []),
         "comment": "Janus API over HTTPS and WebSocket (the load balancers)"},
        {"port": inputs.get("conference_admin_port"), "proto": "tcp",
         "sources": list(inputs.get("conference_admin_allowed_cidrs") or []), "comment": "Janus admin API"},
    ]
