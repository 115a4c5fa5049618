# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the smoke test (``playbooks/smoke.yml``) probes on an Edge, and where, decided from the inventory alone.

The smoke test stands where a user stands, on the Internet's side of the
Edge, and runs from the controller. Its steps:

* **XMPP**: two throwaway users log in and talk. The entry point is the
  public load balancers' first VIP on 443 (direct TLS with ALPN
  ``xmpp-client``), or, on an Edge without them (Connected), the first XMPP
  server's direct-TLS port on its LAN address. The certificate is verified
  against the Edge's CA, or the controller's trust store when the public load
  balancers serve the customer's certificate. The users are made on the first
  XMPP server.
* **TURN**: media relayed through the first TURN server's public address,
  with a credential made from the TURN REST secret, as the application does.

A step whose tier the inventory does not have is named as not probed, never
silently dropped. The smoke play runs no role, so the roles' defaults a step
reads are repeated in ``ROLE_DEFAULTS``; a unit test keeps them equal to the
roles' ``defaults/main.yml``. Used through ``plugins/filter/edge_smoke_targets.py``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_tls import choose_ca_host

#: The role defaults the smoke test reads (``{{ edge_* }}`` defaults are resolved by ``_value``).
ROLE_DEFAULTS = {
    "xmpp_domain": "{{ edge_domain | default('') }}",
    "xmpp_lan_ip": "{{ edge_lan_ip | default('') }}",
    "xmpp_c2s_tls_port": 5223,
    "public_lb_vips": [],
    "public_lb_certificate": "",
    "turn_external_ip": "",
    "turn_wan_ip": "{{ edge_wan_ip | default('') }}",
    "turn_port": 3478,
    "turn_static_auth_secret": "",
}
#: Where the CA host keeps the Edge's CA certificate (roles/shared/vars/main.yml, __shared_tls_ca_certificate).
CA_CERTIFICATE = "/etc/rainbow-edge/ca/ca.crt"
#: Each templated default above is that edge_* variable, or empty.
_EDGE_FALLBACK = {"xmpp_domain": "edge_domain", "xmpp_lan_ip": "edge_lan_ip", "turn_wan_ip": "edge_wan_ip"}


def _value(hostvars: Mapping[str, Any], host: str, name: str) -> Any:
    variables = hostvars.get(host) or {}
    if name in variables and variables[name] is not None:
        return variables[name]
    if name in _EDGE_FALLBACK:
        return variables.get(_EDGE_FALLBACK[name]) or ""
    return ROLE_DEFAULTS[name]


def smoke_targets(groups: Mapping[str, Sequence[str]], hostvars: Mapping[str, Any], ca_host: str = "") -> Dict[str, Any]:
    """The smoke test's plan: ``xmpp`` and ``turn`` (each a dict, or None with its reason in ``not_probed``),
    the host whose CA the controller fetches (``ca_host``, empty when no step needs it; ``ca_certificate``, its
    path there) and ``errors``."""
    errors: List[str] = []
    not_probed: List[str] = []
    xmpp = turn = None
    xmpp_servers = list(groups.get("xmpp") or [])
    balancers = list(groups.get("public_lb") or [])
    if xmpp_servers:
        server = xmpp_servers[0]
        domain = _value(hostvars, server, "xmpp_domain")
        if not domain:
            errors.append("%s: xmpp_domain (default: edge_domain) is empty: the users' JIDs need the Edge's "
                          "domain" % server)
        if balancers:
            vips = _value(hostvars, balancers[0], "public_lb_vips") or []
            if not vips:
                errors.append("%s: public_lb_vips is empty: the public entry point has no address" % balancers[0])
            customer = bool(_value(hostvars, balancers[0], "public_lb_certificate"))
            xmpp = {"host": vips[0] if vips else "", "port": 443, "via": "the public load balancers' first VIP",
                    "ca": "system" if customer else "edge"}
        else:
            address = _value(hostvars, server, "xmpp_lan_ip")
            if not address:
                errors.append("%s: xmpp_lan_ip (default: edge_lan_ip) is empty: the XMPP server has no address "
                              "to probe" % server)
            xmpp = {"host": address, "port": int(_value(hostvars, server, "xmpp_c2s_tls_port")),
                    "via": "%s's direct TLS port (no public load balancers)" % server, "ca": "edge"}
        xmpp.update(server=server, domain=domain, tls="direct")
    else:
        not_probed.append("XMPP: the inventory has no xmpp group")
    turn_servers = list(groups.get("turn") or [])
    if turn_servers:
        server = turn_servers[0]
        address = _value(hostvars, server, "turn_external_ip") or _value(hostvars, server, "turn_wan_ip")
        if not address:
            errors.append("%s: neither turn_external_ip nor turn_wan_ip (default: edge_wan_ip) is set: the TURN "
                          "server has no public address to probe" % server)
        if not _value(hostvars, server, "turn_static_auth_secret"):
            errors.append("%s: turn_static_auth_secret is empty: no credential can be made" % server)
        turn = {"server": server, "host": address, "port": int(_value(hostvars, server, "turn_port"))}
    else:
        not_probed.append("TURN: the inventory has no turn group")
    needs_ca = bool(xmpp and xmpp["ca"] == "edge")
    return {"xmpp": xmpp, "turn": turn, "not_probed": not_probed, "errors": errors,
            "ca_host": choose_ca_host(groups, ca_host) if needs_ca else "", "ca_certificate": CA_CERTIFICATE}
