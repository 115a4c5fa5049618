# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voice proxy's decisions: its input check and its firewall.

The voice proxy of a large Standalone Edge (9.5: two hosts per voice set,
master/backup with a VIP) is kamailio as registrar and proxy for the phones:
subscribers and locations in the voice database (the mariadb role applied to
group ``voice_db``), so that both members know every phone and a failover
loses no registration; calls to numbers that no phone registered dispatched
to the PBX gateways. Its pairs are formed as the In-Country Nodes' (group
order, two by two: ``icn_config.pair``) and its destinations are written
the same way ("address" or "address:port"). Used by the ``voice_proxy`` role
through ``plugins/filter/voice_proxy_config.py``; unit-tested in
``tests/unit/plugins/module_utils/test_voice_proxy_config.py``.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, is_on_network, lan_errors,
)
from ansible_collections.rainbow.edge.plugins.module_utils.icn_config import destinations, pair

_PORTS = ("voice_proxy_sip_port", "voice_proxy_sip_tls_port", "voice_proxy_metrics_port")


# The first Debian release whose kamailio keeps its tls module and the TLS of
# db_mysql (libmariadb) apart (kamailio 5.7.5 and later: tls_threads_mode).
# In Debian 12's 5.6 both share OpenSSL 3's per-thread state across the
# forked workers, which free it twice at start (kamailio issue #3791).
FIRST_RELEASE_WITH_SIP_TLS = 13


def input_errors(inputs: Mapping[str, Any], group: Sequence[str], host: str, member_vips: Mapping[str, Any],
                 reserved_ports: Sequence[int] = (), release: Any = None) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable (the password never shown).

    ``group`` is group ``voice_proxy``, paired two by two; ``member_vips`` {member: the VIP it names} for the whole
    group (a pair names one VIP, no other pair the same); ``reserved_ports`` the host's other services' ports (SSH,
    the node exporter); ``release`` the host's Debian major release (unknown: not checked).
    """
    errors: List[str] = lan_errors("voice_proxy", inputs)
    if inputs.get("voice_proxy_sip_tls") and str(release or "").isdigit() \
            and int(str(release)) < FIRST_RELEASE_WITH_SIP_TLS:
        errors.append("voice_proxy_sip_tls: Debian %s's kamailio (5.6) crashes when SIP over TLS and its TLS "
                      "connections to the voice database share one process (OpenSSL 3; kamailio issue #3791, fixed "
                      "from kamailio 5.7.5, Debian %d); set voice_proxy_sip_tls: false on Debian %s (SIP over UDP and "
                      "TCP only; the voice database stays on TLS), or run the voice proxies on Debian %d"
                      % (release, FIRST_RELEASE_WITH_SIP_TLS, release, FIRST_RELEASE_WITH_SIP_TLS))
    lan = inputs.get("voice_proxy_lan_cidr")
    members = pair(group, host)
    if len(members) != 2:
        errors.append("group voice_proxy: expected voice proxies in pairs (master and backup, 9.5: two per voice "
                      "set, paired in the group's order); this host's pair has %d host(s): %s"
                      % (len(members), ", ".join(members) or "none"))
    vip = inputs.get("voice_proxy_vip")
    if not is_ipv4_address(vip):
        errors.append("voice_proxy_vip: expected the IPv4 address the pair shares on the LAN; got %r" % (vip,))
    elif is_ipv4_network(lan) and not is_on_network(vip, lan):
        errors.append("voice_proxy_vip %s is outside its network %s (voice_proxy_lan_cidr)" % (vip, lan))
    elif vip == inputs.get("voice_proxy_lan_ip"):
        errors.append("voice_proxy_vip %s is this host's own address (voice_proxy_lan_ip): the VIP must be a third "
                      "address" % vip)
    else:
        named = sorted({str(member_vips.get(member)) for member in members if member in member_vips})
        if len(named) > 1:
            errors.append("voice_proxy_vip: the pair %s names different VIPs (%s); a pair shares one"
                          % (", ".join(members), ", ".join(named)))
        others = sorted(member for member, value in member_vips.items() if value == vip and member not in members)
        if others:
            errors.append("voice_proxy_vip %s is also the VIP of %s, of another pair; each pair needs its own"
                          % (vip, ", ".join(others)))
    domain = str(inputs.get("voice_proxy_domain") or "")
    if not domain or any(char in domain for char in " \t\"'@:;/"):
        errors.append("voice_proxy_domain (default: edge_domain): expected the phones' SIP domain, such as "
                      "voice.example.com; got %r" % (inputs.get("voice_proxy_domain"),))
    cidrs = inputs.get("voice_proxy_allowed_cidrs") or []
    bad = [cidr for cidr in cidrs if not is_ipv4_network(cidr)]
    if bad:
        errors.append("voice_proxy_allowed_cidrs: expected IPv4 networks in CIDR form; not networks: %r" % (bad,))
    elif not cidrs:
        errors.append("voice_proxy_allowed_cidrs: empty: no phone, In-Country Node or PBX gateway could reach the "
                      "voice proxy")
    gateways = inputs.get("voice_proxy_pbx_gateways") or []
    bad = [value for value in gateways if len(destinations([value])) != 1]
    if bad:
        errors.append("voice_proxy_pbx_gateways: expected \"address\" or \"address:port\" (IPv4); got %r" % (bad,))
    elif is_ipv4_network(lan):
        outside = [address for address, _port in destinations(gateways) if not is_on_network(address, lan)]
        if outside:
            errors.append("voice_proxy_pbx_gateways: %s not on the LAN %s" % (", ".join(outside), lan))
    errors += _port_errors(inputs, reserved_ports)
    errors += _database_errors(inputs)
    for name, low, high, what in (
            ("voice_proxy_max_expires", 60, 86400, "seconds a registration lasts at most"),
            ("voice_proxy_pbx_gateway_probe_interval", 1, 3600, "seconds between the PBX gateways' probes"),
            ("voice_proxy_vrrp_router_id", 1, 255, "VRRP router id of the pair's VIP"),
            ("voice_proxy_vrrp_advert_interval", 1, 10, "seconds between VRRP adverts")):
        if not is_int_in(inputs.get(name), low, high):
            errors.append("%s: expected %d-%d %s; got %r" % (name, low, high, what, inputs.get(name)))
    return errors


def _port_errors(inputs: Mapping[str, Any], reserved_ports: Sequence[int]) -> List[str]:
    errors: List[str] = []
    ports = []
    for name in _PORTS + ("voice_proxy_sql_port",):
        if not is_int_in(inputs.get(name), 1, 65535):
            errors.append("%s: expected a port 1-65535; got %r" % (name, inputs.get(name)))
        elif name in _PORTS:
            ports.append(inputs[name])
    if len(set(ports)) != len(ports):
        errors.append("%s must differ; got %r" % (", ".join(_PORTS), ports))
    taken = sorted(set(ports) & set(reserved_ports))
    if taken:
        errors.append("port(s) %s of the voice proxy are this host's other services' (SSH, node exporter)" % taken)
    return errors


def _database_errors(inputs: Mapping[str, Any]) -> List[str]:
    errors: List[str] = []
    server = inputs.get("voice_proxy_sql_server")
    if not is_ipv4_address(server):
        errors.append("voice_proxy_sql_server: expected the voice database's address (default: the mariadb_vip of "
                      "group voice_db, which follows its primary); got %r" % (server,))
    for name in ("voice_proxy_sql_database", "voice_proxy_sql_user"):
        value = str(inputs.get(name) or "")
        if not value or not value.replace("_", "").isalnum():
            errors.append("%s: expected a MariaDB name (letters, digits, _); got %r" % (name, inputs.get(name)))
    if not inputs.get("voice_proxy_sql_password"):
        errors.append("voice_proxy_sql_password: empty; give the voice database account's password from the vault "
                      "(the voice database's mariadb_users gives the same)")
    return errors


def firewall_rules(inputs: Mapping[str, Any], peers: Sequence[str]) -> List[dict]:
    """The host-firewall rules (shared role's firewall entry point): SIP over UDP, TCP and (when served) TLS from
    ``voice_proxy_allowed_cidrs``, kamailio's metrics from the LAN, VRRP from the other member (``peers``, its LAN
    address)."""
    allowed = list(inputs.get("voice_proxy_allowed_cidrs") or [])
    sip = inputs.get("voice_proxy_sip_port")
    tls = inputs.get("voice_proxy_sip_tls")
    rules = [
        {"ports": [sip], "proto": "udp", "sources": allowed, "comment": "SIP over UDP from the phones and voice tiers"},
        {"ports": [sip, inputs.get("voice_proxy_sip_tls_port")] if tls else [sip], "proto": "tcp", "sources": allowed,
         "comment": "SIP over TCP and TLS from the phones and voice tiers" if tls
         else "SIP over TCP from the phones and voice tiers"},
        {"ports": [inputs.get("voice_proxy_metrics_port")], "proto": "tcp", "sources": [inputs.get("voice_proxy_lan_cidr")],
         "comment": "kamailio's Prometheus endpoint"},
    ]
    if peers:
        rules.append({"proto": "vrrp", "sources": list(peers), "comment": "VRRP adverts of the other member"})
    return rules
