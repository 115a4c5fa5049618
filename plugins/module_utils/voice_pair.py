# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the voice tiers that run as a master/backup pair with a VIP check alike.

The voice proxies and the voice web servers (9.5: two each, M/S with a VIP)
are paired as the In-Country Nodes are (group order, two by two:
``icn_config.pair``), each pair sharing one VIP of the LAN that no other
pair names, and both reach the voice database with an account of their
own. Each check names the tier's own variables (``<tier>_vip``,
``<tier>_sql_password``...). Used by ``voice_proxy_config`` and
``voice_vendor_config``; unit-tested through them.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, is_on_network,
)
from ansible_collections.rainbow.edge.plugins.module_utils.icn_config import pair


def pair_errors(tier: str, inputs: Mapping[str, Any], group: Sequence[str], host: str,
                member_vips: Mapping[str, Any], servers: str, what: str) -> List[str]:
    """The pairing of group ``tier`` and the pair's VIP (``<tier>_vip``) and VRRP settings.

    ``group`` is the tier's group, paired two by two; ``member_vips`` {member: the VIP it names} for the whole
    group (a pair names one VIP, no other pair the same); ``servers`` names the tier's servers and ``what``
    their count, in the message about a lone member (such as "voice proxies", "9.5: two per voice set").
    """
    errors: List[str] = []
    lan = inputs.get(tier + "_lan_cidr")
    members = pair(group, host)
    if len(members) != 2:
        errors.append("group %s: expected %s in pairs (master and backup, %s, paired in the group's order); "
                      "this host's pair has %d host(s): %s"
                      % (tier, servers, what, len(members), ", ".join(members) or "none"))
    vip = inputs.get(tier + "_vip")
    if not is_ipv4_address(vip):
        errors.append("%s_vip: expected the IPv4 address the pair shares on the LAN; got %r" % (tier, vip))
    elif is_ipv4_network(lan) and not is_on_network(vip, lan):
        errors.append("%s_vip %s is outside its network %s (%s_lan_cidr)" % (tier, vip, lan, tier))
    elif vip == inputs.get(tier + "_lan_ip"):
        errors.append("%s_vip %s is this host's own address (%s_lan_ip): the VIP must be a third address"
                      % (tier, vip, tier))
    else:
        named = sorted({str(member_vips.get(member)) for member in members if member in member_vips})
        if len(named) > 1:
            errors.append("%s_vip: the pair %s names different VIPs (%s); a pair shares one"
                          % (tier, ", ".join(members), ", ".join(named)))
        others = sorted(member for member, value in member_vips.items() if value == vip and member not in members)
        if others:
            errors.append("%s_vip %s is also the VIP of %s, of another pair; each pair needs its own"
                          % (tier, vip, ", ".join(others)))
    for name, low, high, meaning in (
            ("vrrp_router_id", 1, 255, "VRRP router id of the pair's VIP"),
            ("vrrp_advert_interval", 1, 10, "seconds between VRRP adverts")):
        value = inputs.get("%s_%s" % (tier, name))
        if not is_int_in(value, low, high):
            errors.append("%s_%s: expected %d-%d %s; got %r" % (tier, name, low, high, meaning, value))
    return errors


def database_errors(tier: str, inputs: Mapping[str, Any]) -> List[str]:
    """The tier's account on the voice database (``<tier>_sql_server``, ``_sql_port``, ``_sql_database``,
    ``_sql_user``, ``_sql_password``); the password is never shown."""
    errors: List[str] = []
    server = inputs.get(tier + "_sql_server")
    if not is_ipv4_address(server):
        errors.append("%s_sql_server: expected the voice database's address (default: the mariadb_vip of group "
                      "voice_db, which follows its primary); got %r" % (tier, server))
    if not is_int_in(inputs.get(tier + "_sql_port"), 1, 65535):
        errors.append("%s_sql_port: expected a port 1-65535; got %r" % (tier, inputs.get(tier + "_sql_port")))
    for name in (tier + "_sql_database", tier + "_sql_user"):
        value = str(inputs.get(name) or "")
        if not value or not value.replace("_", "").isalnum():
            errors.append("%s: expected a MariaDB name (letters, digits, _); got %r" % (name, inputs.get(name)))
    if not inputs.get(tier + "_sql_password"):
        errors.append("%s_sql_password: empty; give the voice database account's password from the vault "
                      "(the voice database's mariadb_users gives the same)" % tier)
    return errors
