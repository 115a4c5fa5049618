# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the voice tiers that run the vendor's software.

The Voice Cloud PBX Gateways (8.4: five per voice set, M/M), the Cloud PBX
Gateways (9.4: two), the Voice Cloud PBX Orchestrator (8.4: one) and the
voice web servers (9.5: a master/backup pair with a VIP per 200k
subscribers, which provision the subscribers in the voice database) run
the vendor's software, which is in no public registry. One way for all
(the internal ``voice_vendor`` role): the vendor's packages from its apt
repository trusted through a pinned key (``apt_repository``), a JSON
configuration from the inventory, a hardened unit under the tier's own
account, the host firewall, metrics; for a paired tier its VIP
(``voice_pair``), for a tier with an account on the voice database that
account. Each tier is a thin role whose inputs are prefixed with its name.
Used through
``plugins/filter/voice_vendor_config.py``; unit-tested in
``tests/unit/plugins/module_utils/test_voice_vendor_config.py``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, NamedTuple, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.apt_repository import repository_errors
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, lan_errors,
)
from ansible_collections.rainbow.edge.plugins.module_utils.icn_config import destinations
from ansible_collections.rainbow.edge.plugins.module_utils.voice_pair import database_errors, pair_errors

_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$")
_COMMAND = re.compile(r"^/[^\s]+(\s.*)?$")
_PATH = re.compile(r"^/[^\s]*$")


class Tier(NamedTuple):
    """A voice tier of the vendor: its name in the footprint, what it serves (``sip``: SIP and RTP for the voice
    proxies' calls; ``https``: an HTTPS API), its unit and its system account (at most 32 characters); whether it
    drives the PBX gateways (the orchestrator), runs as a master/backup pair with a VIP (``<tier>_vip``) and has an
    account on the voice database (``<tier>_sql_*``); ``sizing`` is the footprint's count, for messages."""
    title: str
    kind: str
    service: str
    account: str
    drives_gateways: bool = False
    paired: bool = False
    database: bool = False
    sizing: str = ""


TIERS: Dict[str, Tier] = {
    "voice_pbx_gateway": Tier("Voice Cloud PBX Gateway", "sip", "rainbow-edge-voice-pbx-gateway",
                              "rainbow-edge-voice-pbx-gateway"),
    "cloud_pbx_gateway": Tier("Cloud PBX Gateway", "sip", "rainbow-edge-cloud-pbx-gateway",
                              "rainbow-edge-cloud-pbx-gateway"),
    "voice_pbx_orchestrator": Tier("Voice Cloud PBX Orchestrator", "https", "rainbow-edge-voice-pbx-orchestrator",
                                   "rainbow-edge-pbx-orchestrator", drives_gateways=True),
    "voice_web": Tier("Voice web server", "https", "rainbow-edge-voice-web", "rainbow-edge-voice-web",
                      paired=True, database=True, sizing="9.5: two per 200,000 subscribers"),
}

#: The gateway tiers, which the orchestrator drives and the voice proxies dispatch to (voice_pbx_gateway only).
GATEWAY_TIERS: Tuple[str, ...] = tuple(name for name, tier in TIERS.items() if tier.kind == "sip")


def tier(name: str) -> Tier:
    if name not in TIERS:
        raise ValueError("not a voice tier of the vendor: %r (one of %s)" % (name, ", ".join(sorted(TIERS))))
    return TIERS[name]


def ports(name: str, inputs: Mapping[str, Any]) -> Dict[str, Any]:
    """The tier's ports by input name (values as given)."""
    names = ["sip_port", "metrics_port"] if tier(name).kind == "sip" else ["https_port", "metrics_port"]
    return {"%s_%s" % (name, port): inputs.get("%s_%s" % (name, port)) for port in names}


def input_errors(name: str, inputs: Mapping[str, Any], reserved_ports: Sequence[int] = (),
                 gateways: Sequence[Mapping[str, Any]] = None, group: Sequence[str] = (), host: str = "",
                 member_vips: Mapping[str, Any] = None) -> List[str]:
    """Every problem of tier ``name``'s converted inputs, each naming its variable (a password never shown).

    ``reserved_ports`` are the host's other services' ports (SSH, the node exporter); ``gateways`` (the
    orchestrator only) every gateway it drives (``gateways()``); for a paired tier ``group`` is its group,
    ``host`` this host and ``member_vips`` {member: the VIP it names} for the whole group.
    """
    found = tier(name)
    kind = found.kind
    errors: List[str] = lan_errors(name, inputs)
    errors += repository_errors(name, inputs)
    packages = inputs.get(name + "_packages") or []
    bad = [package for package in packages if not _PACKAGE.match(str(package))]
    if not packages or bad:
        errors.append("%s_packages: expected the vendor's Debian package names (name or name=version); %s"
                      % (name, "not package names: %r" % bad if bad else "the list is empty"))
    command = str(inputs.get(name + "_command") or "")
    if not _COMMAND.match(command):
        errors.append("%s_command: expected the absolute path of the vendor's program with its arguments (from its "
                      "package, such as /usr/sbin/rainbow-pbx-gateway --foreground); got %r" % (name, command))
    settings = inputs.get(name + "_settings")
    if not isinstance(settings, Mapping):
        errors.append("%s_settings: expected a mapping (the vendor's own settings, passed whole); got %r"
                      % (name, type(settings).__name__))
    allowed = inputs.get(name + "_allowed_cidrs") or []
    bad = [cidr for cidr in allowed if not is_ipv4_network(cidr)]
    if bad or not allowed:
        errors.append("%s_allowed_cidrs: expected IPv4 networks in CIDR form; %s"
                      % (name, "not networks: %r" % bad if bad else "the list is empty"))
    errors += _port_errors(name, inputs, reserved_ports)
    if not _PATH.match(str(inputs.get(name + "_metrics_path") or "")):
        errors.append("%s_metrics_path: expected an absolute URL path such as /metrics; got %r"
                      % (name, inputs.get(name + "_metrics_path")))
    if not is_int_in(inputs.get(name + "_stop_timeout"), 1, 3600):
        errors.append("%s_stop_timeout: expected 1-3600 seconds for the calls in progress to end; got %r"
                      % (name, inputs.get(name + "_stop_timeout")))
    if kind == "sip":
        proxy = inputs.get(name + "_voice_proxy")
        if proxy not in ("", None) and len(destinations([proxy])) != 1:
            errors.append("%s_voice_proxy: expected the voice proxies' VIP as \"address\" or \"address:port\" "
                          "(default: voice_proxy_vip of group voice_proxy); got %r" % (name, proxy))
    if found.paired:
        errors += pair_errors(name, inputs, group, host, member_vips or {}, "%ss" % found.title.lower(), found.sizing)
    if found.database:
        errors += database_errors(name, inputs)
    if gateways is not None:
        bad = sorted(str(gateway.get("name")) for gateway in gateways
                     if not is_ipv4_address(gateway.get("address")) or not is_int_in(gateway.get("sip_port"), 1, 65535)
                     or not is_int_in(gateway.get("metrics_port"), 1, 65535))
        if bad:
            errors.append("%s: the LAN address or SIP port of gateway(s) %s is not known (their <tier>_lan_ip, "
                          "edge_lan_ip, <tier>_sip_port)" % (name, ", ".join(bad)))
    return errors


def _port_errors(name: str, inputs: Mapping[str, Any], reserved_ports: Sequence[int]) -> List[str]:
    errors: List[str] = []
    given = ports(name, inputs)
    for variable, value in given.items():
        # The vendor's software runs without capabilities: no port below 1024.
        if not is_int_in(value, 1024, 65535):
            errors.append("%s: expected a port 1024-65535 (the service runs without privileges); got %r"
                          % (variable, value))
    numbers = [value for value in given.values() if is_int_in(value, 1024, 65535)]
    if len(set(numbers)) != len(numbers):
        errors.append("%s must differ; got %r" % (", ".join(given), list(given.values())))
    taken = sorted(set(numbers) & set(reserved_ports))
    if taken:
        errors.append("port(s) %s of the %s are this host's other services' (SSH, node exporter)"
                      % (taken, tier(name).title))
    if tier(name).kind == "sip":
        low, high = inputs.get(name + "_rtp_port_min"), inputs.get(name + "_rtp_port_max")
        if not (is_int_in(low, 1024, 65535) and is_int_in(high, 1024, 65535) and low < high):
            errors.append("%s_rtp_port_min, %s_rtp_port_max: expected a range of UDP ports 1024-65535, the first "
                          "below the last; got %r-%r" % (name, name, low, high))
        else:
            inside = sorted(port for port in set(numbers) | set(reserved_ports) if low <= port <= high)
            if inside:
                errors.append("%s_rtp_port_min, %s_rtp_port_max: the RTP range %d-%d holds port(s) %s of this "
                              "host's other services (SIP, metrics, SSH, node exporter)"
                              % (name, name, low, high, inside))
    return errors


def firewall_rules(name: str, inputs: Mapping[str, Any], peers: Sequence[str] = ()) -> List[dict]:
    """The host-firewall rules (shared role's firewall entry point): the tier's service from
    ``<tier>_allowed_cidrs`` (SIP over UDP and TCP and the RTP range, or HTTPS), its metrics from the LAN, and for
    a paired tier VRRP from the other member (``peers``, its LAN address)."""
    allowed = list(inputs.get(name + "_allowed_cidrs") or [])
    title = tier(name).title
    if tier(name).kind == "sip":
        sip = inputs.get(name + "_sip_port")
        rules = [
            {"ports": [sip], "proto": "udp", "sources": allowed, "comment": "SIP over UDP to the %s" % title},
            {"ports": [sip], "proto": "tcp", "sources": allowed, "comment": "SIP over TCP to the %s" % title},
            {"ports": ["%s-%s" % (inputs.get(name + "_rtp_port_min"), inputs.get(name + "_rtp_port_max"))],
             "proto": "udp", "sources": allowed, "comment": "RTP media of the %s's calls" % title},
        ]
    else:
        rules = [{"ports": [inputs.get(name + "_https_port")], "proto": "tcp", "sources": allowed,
                  "comment": "HTTPS API of the %s" % title}]
    rules.append({"ports": [inputs.get(name + "_metrics_port")], "proto": "tcp",
                  "sources": [inputs.get(name + "_lan_cidr")], "comment": "metrics of the %s" % title})
    if tier(name).paired and peers:
        rules.append({"proto": "vrrp", "sources": list(peers), "comment": "VRRP adverts of the other member"})
    return rules


def deployment(name: str, inputs: Mapping[str, Any]) -> Dict[str, Any]:
    """Tier ``name`` as the internal ``voice_vendor`` role deploys it, from its converted inputs: the tier's unit,
    account and title, and each input without the tier's prefix (``voice_pbx_gateway_sip_port`` -> ``sip_port``)."""
    found = tier(name)
    prefix = name + "_"
    unprefixed = {key[len(prefix):]: value for key, value in inputs.items() if key.startswith(prefix)}
    return dict(unprefixed, tier=name, title=found.title, kind=found.kind, service=found.service,
                account=found.account, drives_gateways=found.drives_gateways, paired=found.paired,
                database=found.database, config_dir="/etc/%s" % found.service,
                config_file="/etc/%s/config.json" % found.service)


def config(name: str, inputs: Mapping[str, Any], tls: Mapping[str, str], voice_proxy: Any = "",
           gateways: Sequence[Mapping[str, Any]] = ()) -> Dict[str, Any]:
    """The configuration the vendor's software reads at start (``RAINBOW_EDGE_CONFIG``, JSON): where it listens,
    its certificate, the voice tiers it reaches, and ``<tier>_settings`` passed whole.

    ``voice_proxy`` (gateways) is the voice proxies' VIP, "address" or "address:port"; ``gateways`` (the
    orchestrator) the gateways it drives, each {name, tier, address, sip_port, metrics_port}. A paired tier's
    service answers on its VIP too (``listen.vip``: the vendor's software listens on every address for it, as
    the VIP comes and goes); a tier with an account on the voice database gets it (``voice_db``, over TLS
    verified with the Edge's CA).
    """
    found = tier(name)
    listen: Dict[str, Any] = {"address": inputs.get(name + "_lan_ip"),
                              "metrics_port": inputs.get(name + "_metrics_port"),
                              "metrics_path": inputs.get(name + "_metrics_path")}
    result: Dict[str, Any] = {"tier": name, "listen": listen, "tls": dict(tls)}
    if found.kind == "sip":
        listen.update(sip_port=inputs.get(name + "_sip_port"),
                      rtp_ports=[inputs.get(name + "_rtp_port_min"), inputs.get(name + "_rtp_port_max")])
        proxy = destinations([voice_proxy] if voice_proxy else [])
        result["voice_proxy"] = {"address": proxy[0][0], "port": proxy[0][1]} if proxy else None
    else:
        listen["https_port"] = inputs.get(name + "_https_port")
    if found.drives_gateways:
        result["gateways"] = [dict(gateway) for gateway in gateways]
    if found.paired:
        listen["vip"] = inputs.get(name + "_vip")
    if found.database:
        result["voice_db"] = {"address": inputs.get(name + "_sql_server"), "port": inputs.get(name + "_sql_port"),
                              "database": inputs.get(name + "_sql_database"), "user": inputs.get(name + "_sql_user"),
                              "password": inputs.get(name + "_sql_password"), "ca": tls.get("ca")}
    result["settings"] = dict(inputs.get(name + "_settings") or {})
    return result


def gateways(groups: Mapping[str, Sequence[str]], read: Any, tiers: Sequence[str] = GATEWAY_TIERS
             ) -> List[Dict[str, Any]]:
    """Every gateway of the ``tiers`` groups: {name, tier, address, sip_port, metrics_port}, each value as the
    gateway's own input check converted it, else its inventory's (``read(host, [paths], default)`` reads a host's
    variables: the first path set)."""
    found: List[Dict[str, Any]] = []
    for name in tiers:
        tier(name)
        for host in groups.get(name, []) or []:
            checked = "__%s_input_check.inputs.%s_" % (name, name)
            found.append({
                "name": host, "tier": name,
                "address": read(host, [checked + "lan_ip", name + "_lan_ip", "edge_lan_ip"], ""),
                "sip_port": read(host, [checked + "sip_port", name + "_sip_port"], 5060),
                "metrics_port": read(host, [checked + "metrics_port", name + "_metrics_port"], 9480),
            })
    return found
