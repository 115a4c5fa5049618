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
from ansible_collections.rainbow.edge.plugins.module_utils.icn_config import destinations
from ansible_collections.rainbow.edge.plugins.module_utils.voice_pair import database_errors, pair_errors

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
    errors += pair_errors("voice_proxy", inputs, group, host, member_vips, "voice proxies", "9.5: two per voice set")
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
    icn = inputs.get("voice_proxy_icn_addresses") or []
    bad = [value for value in icn if not is_ipv4_address(value)]
    if bad:
        errors.append("voice_proxy_icn_addresses: expected the In-Country Nodes' LAN addresses (IPv4); got %r" % (bad,))
    elif all(is_ipv4_network(cidr) for cidr in cidrs):
        unheard = [address for address in icn if not any(is_on_network(address, cidr) for cidr in cidrs)]
        if unheard:
            errors.append("voice_proxy_icn_addresses: %s outside voice_proxy_allowed_cidrs: the proxy would not "
                          "answer the In-Country Node(s)" % ", ".join(unheard))
    errors += _port_errors(inputs, reserved_ports)
    errors += database_errors("voice_proxy", inputs)
    for name, low, high, what in (
            ("voice_proxy_max_expires", 60, 86400, "seconds a registration lasts at most"),
            ("voice_proxy_pbx_gateway_probe_interval", 1, 3600, "seconds between the PBX gateways' probes")):
        if not is_int_in(inputs.get(name), low, high):
            errors.append("%s: expected %d-%d %s; got %r" % (name, low, high, what, inputs.get(name)))
    return errors


def _port_errors(inputs: Mapping[str, Any], reserved_ports: Sequence[int]) -> List[str]:
    errors: List[str] = []
    ports = []
    for name in _PORTS:
        if not is_int_in(inputs.get(name), 1, 65535):
            errors.append("%s: expected a port 1-65535; got %r" % (name, inputs.get(name)))
        else:
            ports.append(inputs[name])
    if len(set(ports)) != len(ports):
        errors.append("%s must differ; got %r" % (", ".join(_PORTS), ports))
    taken = sorted(set(ports) & set(reserved_ports))
    if taken:
        errors.append("port(s) %s of the voice proxy are this host's other services' (SSH, node exporter)" % taken)
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
