# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TURN servers' decisions: their input check and the peers they must never relay to.

A TURN server relays a client's packets to any peer the client names: left
open, it is a way from the Internet into the Edge's LAN and to the host's
own loopback services. ``denied_peer_ranges`` gives coturn's
``denied-peer-ip`` ranges for every private, loopback, link-local and
otherwise non-public range, the Edge's LAN and any network the inventory
adds. Used by the ``turn`` role through ``plugins/filter/turn_config.py``;
unit-tested in ``tests/unit/plugins/module_utils/test_turn_config.py``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, List, Mapping, Optional, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, is_on_network, lan_errors, open_files_limit, wan_errors,
)

#: Networks no TURN client may reach through the relay, whatever the inventory says (RFC 6890 special-purpose
#: ranges that are not global, and multicast): "this network", RFC 1918, shared address space (carrier-grade
#: NAT), loopback, link-local, IETF protocol assignments, benchmarking, multicast and reserved.
NEVER_RELAYED = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
)
_REALM = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
#: The shortest shared secret accepted: the TURN REST API signs every credential with it (HMAC-SHA1).
MIN_SECRET_LENGTH = 32


def denied_peer_ranges(lan_cidrs: Sequence[Any], extra_cidrs: Sequence[Any] = ()) -> List[str]:
    """coturn's ``denied-peer-ip`` values ("first-last"): the never-relayed ranges, the LAN and ``extra_cidrs``,
    merged where they touch or overlap, in address order. Values that are not IPv4 networks are left out
    (the input check reports them)."""
    networks = [ipaddress.IPv4Network(cidr) for cidr in NEVER_RELAYED]
    networks += [ipaddress.IPv4Network(str(cidr), strict=False) for cidr in list(lan_cidrs) + list(extra_cidrs)
                 if is_ipv4_network(str(cidr).strip()) or is_ipv4_address(str(cidr).strip())]
    ranges: List[List[int]] = []
    for network in sorted(networks, key=lambda net: (int(net.network_address), -net.num_addresses)):
        first, last = int(network.network_address), int(network.broadcast_address)
        if ranges and first <= ranges[-1][1] + 1:
            ranges[-1][1] = max(ranges[-1][1], last)
        else:
            ranges.append([first, last])
    return ["%s-%s" % (ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)) for first, last in ranges]


def is_relayed(address: Any, denied: Sequence[str]) -> bool:
    """Whether coturn, given ``denied`` (denied_peer_ranges), relays to ``address``."""
    value = int(ipaddress.IPv4Address(str(address)))
    for span in denied:
        first, last = (int(ipaddress.IPv4Address(part)) for part in span.split("-"))
        if first <= value <= last:
            return False
    return True


def listening_ports(inputs: Mapping[str, Any]) -> List[int]:
    """The ports the TURN server serves: STUN/TURN, TURN over TLS and DTLS, and the alternative TLS port (443,
    redirected to the TLS port)."""
    ports = [inputs.get("turn_port"), inputs.get("turn_tls_port"), inputs.get("turn_alt_tls_port")]
    return [port for port in ports if isinstance(port, int) and not isinstance(port, bool) and port > 0]


def input_errors(inputs: Mapping[str, Any], reserved_ports: Sequence[int] = (), limits_text: str = "") -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable (the secret never shown).

    ``reserved_ports`` are the host's other services' ports (SSH, the node exporter): the relay range
    must not take them. ``limits_text`` is the host's /proc/1/limits, whose hard limit of open files
    systemd cannot raise for coturn.
    """
    errors: List[str] = lan_errors("turn", inputs) + wan_errors("turn", inputs)
    lan, wan = inputs.get("turn_lan_cidr"), inputs.get("turn_wan_cidr")
    external = inputs.get("turn_external_ip") or ""
    if external and not is_ipv4_address(external):
        errors.append("turn_external_ip: expected the public IPv4 address clients reach turn_wan_ip at (1:1 NAT), "
                      "or empty when turn_wan_ip is public; got %r" % (external,))
    if is_ipv4_address(external) and not is_relayed(external, denied_peer_ranges([])):
        errors.append("turn_external_ip %s is not a public address: clients on the Internet cannot reach it"
                      % external)
    if is_ipv4_address(external) and is_on_network(external, lan):
        errors.append("turn_external_ip %s is on the LAN %s" % (external, lan))
    if not _REALM.match(str(inputs.get("turn_realm") or "")):
        errors.append("turn_realm (default: edge_domain): expected the Edge's domain name, such as "
                      "edge.example.com; got %r" % (inputs.get("turn_realm"),))
    secret = str(inputs.get("turn_static_auth_secret") or "")
    if len(secret) < MIN_SECRET_LENGTH:
        errors.append("turn_static_auth_secret: %s; give at least %d random characters from the vault (the TURN "
                      "REST API signs every credential with it)"
                      % ("is empty" if not secret else "is %d characters" % len(secret), MIN_SECRET_LENGTH))
    errors += _port_errors(inputs, reserved_ports)
    for name in ("turn_allowed_cidrs", "turn_denied_peer_cidrs"):
        values = inputs.get(name) or []
        bad = [cidr for cidr in values if not is_ipv4_network(cidr)]
        if bad:
            errors.append("%s: expected IPv4 networks in CIDR form; not networks: %r" % (name, bad))
    if not inputs.get("turn_allowed_cidrs"):
        errors.append("turn_allowed_cidrs: the list is empty: no client could reach the TURN ports")
    if is_ipv4_network(wan) and is_ipv4_network(lan) and \
            ipaddress.IPv4Network(wan).overlaps(ipaddress.IPv4Network(lan)):
        errors.append("turn_wan_cidr %s overlaps the LAN %s: the relay must never reach the LAN" % (wan, lan))
    for name, low, high, what in (
            ("turn_user_quota", 0, 100000, "allocations per user (0: no limit)"),
            ("turn_total_quota", 0, 1000000, "allocations on the server (0: no limit)"),
            ("turn_max_bps", 0, 10 ** 10, "bytes per second per session (0: no limit)"),
            ("turn_bps_capacity", 0, 10 ** 11, "bytes per second for all sessions (0: no limit)")):
        if not is_int_in(inputs.get(name), low, high):
            errors.append("%s: expected %d-%d %s; got %r" % (name, low, high, what, inputs.get(name)))
    allowed = open_files_limit(limits_text)
    if not is_int_in(inputs.get("turn_max_open_files"), 1024, 1048576):
        errors.append("turn_max_open_files: expected 1024-1048576; got %r" % (inputs.get("turn_max_open_files"),))
    elif allowed is not None and inputs["turn_max_open_files"] > allowed:
        errors.append("turn_max_open_files %d is above the host's hard limit of open files (%d), which systemd "
                      "cannot raise: lower it, or raise the host's limit" % (inputs["turn_max_open_files"], allowed))
    if is_int_in(inputs.get("turn_bps_capacity"), 1, 10 ** 11) and inputs.get("turn_max_bps") == 0:
        errors.append("turn_bps_capacity is set and turn_max_bps is 0: coturn refuses a server capacity without "
                      "a per-session limit; set turn_max_bps too")
    return errors


def _port_errors(inputs: Mapping[str, Any], reserved_ports: Sequence[int]) -> List[str]:
    errors: List[str] = []
    for name in ("turn_port", "turn_tls_port"):
        if not is_int_in(inputs.get(name), 1, 65535):
            errors.append("%s: expected a port 1-65535; got %r" % (name, inputs.get(name)))
    if not is_int_in(inputs.get("turn_alt_tls_port"), 0, 65535):
        errors.append("turn_alt_tls_port: expected a port 1-65535, or 0 for none; got %r"
                      % (inputs.get("turn_alt_tls_port"),))
    ports = listening_ports(inputs)
    if len(set(ports)) != len(ports):
        errors.append("turn_port, turn_tls_port and turn_alt_tls_port must differ; got %r" % (ports,))
    low, high = inputs.get("turn_relay_min_port"), inputs.get("turn_relay_max_port")
    if not (is_int_in(low, 1024, 65535) and is_int_in(high, 1024, 65535) and low < high):
        errors.append("turn_relay_min_port and turn_relay_max_port: expected a UDP port range within 1024-65535, "
                      "lowest first; got %r-%r" % (low, high))
        return errors
    taken = sorted({port for port in list(ports) + list(reserved_ports) if low <= port <= high})
    if taken:
        errors.append("the relay range %d-%d (turn_relay_min_port, turn_relay_max_port) overlaps service "
                      "port(s) %s of this host: relayed traffic would reach them" % (low, high, taken))
    return errors


def firewall_rules(inputs: Mapping[str, Any]) -> List[dict]:
    """The host-firewall rules (shared role's firewall entry point) for the TURN ports and the relay range.

    The alternative TLS port (443) is redirected to the TLS port before the filter sees it (nat drop-in
    of the role): accepting the TLS port accepts both."""
    sources = list(inputs.get("turn_allowed_cidrs") or [])
    return [
        {"ports": [inputs.get("turn_port"), inputs.get("turn_tls_port")], "proto": "tcp", "sources": sources,
         "comment": "STUN and TURN over TCP and TLS"},
        {"ports": [inputs.get("turn_port"), inputs.get("turn_tls_port")], "proto": "udp", "sources": sources,
         "comment": "STUN and TURN over UDP and DTLS"},
        {"ports": ["%s-%s" % (inputs.get("turn_relay_min_port"), inputs.get("turn_relay_max_port"))], "proto": "udp",
         "sources": sources, "comment": "TURN relayed media"},
    ]


def turn_uris(addresses: Mapping[str, Any], ports: Optional[Mapping[str, Any]] = None,
              fallbacks: Optional[Mapping[str, Any]] = None) -> List[str]:
    """The URIs through which a client relays: one ``turn:<address>:<port>?transport=udp`` per TURN server, in host
    order. ``addresses`` maps each server to the address the client reaches it at (the conferencing servers: its
    WAN address; a user's browser: its public address, ``turn_external_ip`` behind a 1:1 NAT), ``fallbacks`` to
    the address used where that one is empty, ``ports`` to its STUN/TURN port (3478 when unknown). Servers without
    an IPv4 address are left out."""
    uris = []
    for host in sorted(addresses):
        address = str(addresses[host] or (fallbacks or {}).get(host) or "").strip()
        if is_ipv4_address(address):
            port = (ports or {}).get(host)
            uris.append("turn:%s:%d?transport=udp" % (address, int(port) if is_int_in(port, 1, 65535) else 3478))
    return uris
