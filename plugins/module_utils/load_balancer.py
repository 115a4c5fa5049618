# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The load balancers' decisions: the backends the tiers declare, the private pair's VIPs, its inputs.

Every tier that has servers to balance declares them (kind ``lb_backends``
of the contribution mechanism, ``edge_contributions.py``); every host
declaring one name is a server of that backend. ``backends`` groups the
declarations into haproxy backends and lists what the load balancers
cannot serve (one name declared two ways, two backends on one port).
``vrrp_instances`` spreads the private pair's VIPs over its members, each
the home of one (M/M). ``private_input_errors`` checks the private pair's
inputs. Every problem is listed at once.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, is_on_network, open_files_limit,
)

_DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")

#: What every server of one backend must declare alike.
SHARED_FIELDS = ("mode", "tls", "check_path", "balance", "private_port", "public_alpn", "public_paths")
#: The fields' values when a declaration leaves them out.
DEFAULTS = {"tls": False, "check_path": "", "balance": "roundrobin", "private_port": 0, "public_alpn": "",
            "public_paths": []}

#: A VIP's home member gets this VRRP priority; the others less, in inventory order after it.
HOME_PRIORITY = 150
BACKUP_PRIORITY = 100


def _settings(item: Mapping[str, Any]) -> Dict[str, Any]:
    return {field: item.get(field, DEFAULTS.get(field)) for field in SHARED_FIELDS}


def backends(items: Sequence[Mapping[str, Any]], reserved_ports: Mapping[Any, str] = None) -> Dict[str, Any]:
    """The declared ``lb_backends`` items (with ``host``) as haproxy backends: ``{backends, errors}``.

    ``reserved_ports`` maps the load balancers' own ports to what they are
    for (``{8404: "the load balancers' metrics"}``): a backend asking for one
    is refused. Backends come sorted by name, their servers in the order the
    items came (inventory order).
    """
    reserved = {int(port): what for port, what in (reserved_ports or {}).items()}
    by_name: Dict[str, Dict[str, Any]] = {}
    errors: List[str] = []
    for item in items:
        name, settings = item["name"], _settings(item)
        backend = by_name.setdefault(name, dict(settings, name=name, servers=[], declared_by=item["host"]))
        differing = [field for field in SHARED_FIELDS if backend[field] != settings[field]]
        if differing:
            errors.append("lb_backends %s: %s and %s declare it differently (%s)"
                          % (name, backend["declared_by"], item["host"], ", ".join(differing)))
            continue
        server = {"name": item["host"], "address": item["address"], "port": item["port"]}
        if any(known["address"] == server["address"] and known["port"] == server["port"]
               for known in backend["servers"]):
            errors.append("lb_backends %s: %s:%s is declared twice (%s)"
                          % (name, server["address"], server["port"], item["host"]))
            continue
        backend["servers"].append(server)
    port_owner: Dict[int, str] = {}
    for name in sorted(by_name):
        backend = by_name[name]
        if backend["check_path"] and backend["mode"] != "http":
            errors.append("lb_backends %s: check_path %s needs mode http (a tcp backend is checked by connecting)"
                          % (name, backend["check_path"]))
        if backend["public_alpn"] and backend["mode"] != "tcp":
            errors.append("lb_backends %s: public_alpn needs mode tcp (ALPN chooses a stream, not a request)" % name)
        if backend["public_paths"] and backend["mode"] != "http":
            errors.append("lb_backends %s: public_paths needs mode http" % name)
        port = backend["private_port"]
        if not port:
            continue
        if port in reserved:
            errors.append("lb_backends %s: private port %d is %s port" % (name, port, reserved[port]))
        elif port in port_owner:
            errors.append("lb_backends %s and %s: two backends on one port (%d) of the private load balancers"
                          % (port_owner[port], name, port))
        else:
            port_owner[port] = name
    errors += _path_overlap_errors(by_name)
    result = []
    for name in sorted(by_name):
        backend = dict(by_name[name])
        del backend["declared_by"]
        result.append(backend)
    return {"backends": result, "errors": errors}


def path_matches(prefix: str, path: str) -> bool:
    """Whether a request for ``path`` goes to a backend declaring ``prefix``: the path itself, or below it
    (``/janus`` serves ``/janus`` and ``/janus/info``, never ``/janus-ws``), as the public load balancers match."""
    base = prefix.rstrip("/")
    return path == prefix or path.startswith(base + "/")


def _path_overlap_errors(by_name: Mapping[str, Mapping[str, Any]]) -> List[str]:
    """Two backends whose paths would both match one request: which one serves it would depend on their order."""
    errors = []
    paths = [(name, path) for name in sorted(by_name) for path in by_name[name]["public_paths"]]
    for index, (name, path) in enumerate(paths):
        for other, other_path in paths[index + 1:]:
            if other != name and (path_matches(path, other_path) or path_matches(other_path, path)):
                errors.append("lb_backends %s and %s: paths %s and %s overlap (a request could reach either)"
                              % (name, other, path, other_path))
    return errors


def probe_targets(served: Sequence[Mapping[str, Any]], vips: Sequence[str]) -> List[Dict[str, Any]]:
    """Probes (kind ``probe_targets``) of each served backend on each VIP: a TLS handshake where TLS is spoken."""
    return [{"name": "private-lb-%s-%d" % (backend["name"], index + 1), "address": vip,
             "port": backend["private_port"], "module": "tls" if backend["tls"] or backend["mode"] == "http" else "tcp"}
            for index, vip in enumerate(vips) for backend in served]


def vip_probe_targets(vips: Sequence[str], name: str, port: int, module: str) -> List[Dict[str, Any]]:
    """One probe (kind ``probe_targets``) of ``port`` on each VIP, named ``<name>-<n>``."""
    return [{"name": "%s-%d" % (name, index + 1), "address": vip, "port": port, "module": module}
            for index, vip in enumerate(vips)]


def vrrp_instances(members: Sequence[str], member_addresses: Mapping[str, str], vips: Sequence[str],
                   network: str, router_id: int, interface: str, host: str, role: str = "private_lb"
                   ) -> List[Dict[str, Any]]:
    """This member's VRRP instances: one per VIP, each at home on one member in turn.

    VIP *i* (from 0) is at home on member *i* modulo the number of members
    (priority 150 there); the others back it up in inventory order after
    the home (100, 99, ...), so two VIPs on two members make M/M. The
    instances are named after ``role`` (``PRIVATE_LB_1``), each with this
    member's ``priority`` in it, as the shared role's ``vip`` entry point
    takes them; the VIPs take the prefix of ``network`` (the LAN's or the
    WAN's).
    """
    prefix = ipaddress.IPv4Network(network).prefixlen
    count = len(members)
    own = members.index(host)
    address = member_addresses[host]
    peers = [member_addresses[member] for member in members if member != host]
    result = []
    for index, vip in enumerate(vips):
        rank = (own - index) % count
        result.append({"name": "%s_%d" % (role.upper(), index + 1), "router_id": router_id + index,
                       "interface": interface, "address": "%s/%d" % (vip, prefix), "unicast_src": address,
                       "unicast_peers": peers, "priority": HOME_PRIORITY if rank == 0 else BACKUP_PRIORITY + 1 - rank})
    return result


def _network(inputs: Mapping[str, Any], field: str, hint: str, errors: List[str]):
    """The network of ``field``, or None (and a problem) when it is not one."""
    network = inputs.get(field)
    if is_ipv4_network(network):
        return network
    errors.append("%s %r is not an IPv4 network %s" % (field, network, hint))
    return None


def _address(inputs: Mapping[str, Any], field: str, network: Any, where: str, fallback: str,
             errors: List[str]) -> bool:
    """Whether ``field`` is an address on ``network`` (its problem added when not)."""
    address = inputs.get(field)
    if not is_ipv4_address(address):
        errors.append("%s %r is not an IPv4 address (set %s for the host)" % (field, address, fallback))
    elif network and not is_on_network(address, network):
        errors.append("%s %s is outside the %s %s" % (field, address, where, network))
    else:
        return True
    return False


def private_input_errors(inputs: Mapping[str, Any], members: Sequence[str], member_addresses: Mapping[str, str],
                         interface: str, limits_text: str = "") -> List[str]:
    """Problems of the private pair's inputs (converted by the argument spec), each one line."""
    errors: List[str] = []
    lan = _network(inputs, "private_lb_lan_cidr", "such as 10.20.0.0/16", errors)
    if _address(inputs, "private_lb_lan_ip", lan, "LAN", "edge_lan_ip", errors) and not interface:
        errors.append("no interface of this host carries private_lb_lan_ip %s: set private_lb_interface"
                      % inputs["private_lb_lan_ip"])
    return errors + common_input_errors("private_lb", inputs, members, member_addresses, lan, "LAN", limits_text)


def common_input_errors(role: str, inputs: Mapping[str, Any], members: Sequence[str],
                        member_addresses: Mapping[str, str], network: Any, where: str,
                        limits_text: str = "") -> List[str]:
    """Problems of the inputs every load balancer role has (``<role>_vips``, VRRP, ports, networks, timeouts).

    ``network`` is the one the VIPs are on (``where``: LAN or WAN), None when
    it is itself wrong; ``member_addresses`` the members' addresses on it.
    """
    errors: List[str] = []
    vips = inputs.get("%s_vips" % role) or []
    if not vips:
        errors.append("%s_vips is empty: give one %s address per load balancer (M/M: each is the home of one)"
                      % (role, where))
    addresses = {member_addresses.get(member) for member in members}
    seen = set()
    for vip in vips:
        if not is_ipv4_address(vip):
            errors.append("%s_vips: %r is not an IPv4 address" % (role, vip))
        elif network and not is_on_network(vip, network):
            errors.append("%s_vips: %s is outside the %s %s" % (role, vip, where, network))
        elif vip in addresses:
            errors.append("%s_vips: %s is a load balancer's own address" % (role, vip))
        elif vip in seen:
            errors.append("%s_vips: %s is given twice" % (role, vip))
        elif network and ipaddress.IPv4Address(vip) in (ipaddress.IPv4Network(network).network_address,
                                                        ipaddress.IPv4Network(network).broadcast_address):
            errors.append("%s_vips: %s is the %s's network or broadcast address" % (role, vip, where))
        seen.add(vip)
    if vips and len(vips) < len(members):
        errors.append("%s_vips: %d address(es) for %d load balancers: give one per load balancer, so that each is "
                      "the home of one" % (role, len(vips), len(members)))
    router_id = inputs.get("%s_vrrp_router_id" % role)
    if not is_int_in(router_id, 1, 255) or not is_int_in(int(router_id) + max(len(vips), 1) - 1, 1, 255):
        errors.append("%s_vrrp_router_id %r: the VIPs take %d VRRP router ids from it, which must stay in 1-255"
                      % (role, router_id, max(len(vips), 1)))
    field = "%s_metrics_port" % role
    if not is_int_in(inputs.get(field), 1, 65535):
        errors.append("%s %r is not a TCP port 1-65535" % (field, inputs.get(field)))
    for field in ("%s_allowed_cidrs" % role, "%s_metrics_allowed_cidrs" % role):
        for allowed in inputs.get(field) or []:
            if not is_ipv4_network(allowed):
                errors.append("%s: %r is not an IPv4 network such as 10.20.0.0/16" % (field, allowed))
    for field in ("%s_tcp_timeout" % role, "%s_http_timeout" % role, "%s_tunnel_timeout" % role):
        if not is_int_in(inputs.get(field), 1, 86400):
            errors.append("%s %r is not a whole number of seconds from 1 to 86400" % (field, inputs.get(field)))
    field = "%s_vrrp_preempt_delay" % role
    if not is_int_in(inputs.get(field), 0, 1000):
        errors.append("%s %r is not a whole number of seconds from 0 to 1000" % (field, inputs.get(field)))
    field = "%s_max_connections" % role
    if not is_int_in(inputs.get(field), 100, 1000000):
        errors.append("%s %r is not a whole number from 100 to 1000000" % (field, inputs.get(field)))
    else:
        # haproxy needs two descriptors per connection and some of its own; it cannot start without them.
        needed, allowed = 2 * inputs[field] + 100, open_files_limit(limits_text)
        if allowed is not None and needed > allowed:
            errors.append("%s %d needs about %d open files and this host allows %d (its init's hard limit): "
                          "lower it, or raise the limit" % (field, inputs[field], needed, allowed))
    return errors


def public_input_errors(inputs: Mapping[str, Any], members: Sequence[str], member_wan_addresses: Mapping[str, str],
                        wan_interface: str, limits_text: str = "") -> List[str]:
    """Problems of the public pair's inputs (converted by the argument spec), each one line.

    The customer's certificate itself is checked by ``edge_tls.served_certificate_errors``.
    """
    errors: List[str] = []
    lan = _network(inputs, "public_lb_lan_cidr", "such as 10.20.0.0/16", errors)
    _address(inputs, "public_lb_lan_ip", lan, "LAN", "edge_lan_ip", errors)
    wan = _network(inputs, "public_lb_wan_cidr", "(the WAN the VIPs are on; set edge_wan_cidr)", errors)
    if wan and lan and ipaddress.IPv4Network(wan).overlaps(ipaddress.IPv4Network(lan)):
        errors.append("public_lb_wan_cidr %s overlaps the LAN %s" % (wan, lan))
    if _address(inputs, "public_lb_wan_ip", wan, "WAN", "edge_wan_ip", errors) and not wan_interface:
        errors.append("no interface of this host carries public_lb_wan_ip %s: set public_lb_wan_interface"
                      % inputs["public_lb_wan_ip"])
    names = inputs.get("public_lb_server_names") or []
    if not names:
        errors.append("public_lb_server_names is empty: give the names clients use (the Edge's FQDN, its XMPP domain)")
    for name in names:
        if not (isinstance(name, str) and _DNS_NAME.match(name)):
            errors.append("public_lb_server_names: %r is not a DNS name in lower case (edge1.example.com)" % (name,))
    certificate, key = inputs.get("public_lb_certificate") or "", inputs.get("public_lb_private_key") or ""
    if bool(certificate) != bool(key):
        errors.append("public_lb_certificate, public_lb_private_key: give both (the key from a vault) or neither "
                      "(a certificate of the Edge's CA, for a lab)")
    if not is_int_in(inputs.get("public_lb_hsts_max_age"), 0, 63072000):
        errors.append("public_lb_hsts_max_age %r is not a whole number of seconds from 0 to 63072000 (two years)"
                      % (inputs.get("public_lb_hsts_max_age"),))
    for field in ("public_lb_connection_rate_limit", "public_lb_request_rate_limit"):
        if not is_int_in(inputs.get(field), 1, 1000000):
            errors.append("%s %r is not a whole number from 1 to 1000000 (per client address, per 10 s)"
                          % (field, inputs.get(field)))
    return errors + common_input_errors("public_lb", inputs, members, member_wan_addresses, wan, "WAN", limits_text)
