# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's virtual addresses as keepalived VRRP instances (the shared role's ``vip`` entry point).

Every HA pair of the Edge that moves an address (the GateKeepers' LAN and
WAN VIPs today; load balancers, the MariaDB primary and the voice tiers
next) does it one way: keepalived, all members starting as BACKUP, the
highest priority winning the first election, unicast adverts to the named
peers, optionally tracked services and a notify hook, several instances of
one role moving together. A request is checked whole: every problem is
reported in one error, and nothing is rendered from a request with one.
"""

from __future__ import annotations

import ipaddress
import re
from typing import List, Mapping, Sequence

#: The directory the shared keepalived.conf includes, one file per role.
CONF_DIR = "/etc/keepalived/conf.d"

_NAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_INTERFACE = re.compile(r"^[A-Za-z0-9_.:@+-]{1,15}$")
_PATH = re.compile(r"^/[A-Za-z0-9_./+-]+$")
_INSTANCE_KEYS = {"name", "router_id", "interface", "address", "unicast_src", "unicast_peers", "priority"}
_TRACK_KEYS = {"name", "script", "interval", "fall", "rise", "weight"}


class VipError(ValueError):
    """A VIP request with problems, each one line of the message."""

    def __init__(self, name: object, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("virtual addresses %s: %s" % ('"%s"' % name if isinstance(name, str) else repr(name),
                                                       "; ".join(self.problems)))


def _whole(value: object, low: int, high: int):
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and low <= value <= high else None


def _address(value: object):
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.IPv4Address(value.strip())
    except ValueError:
        return None


def _instance(index: int, instance: object, problems: List[str], seen_names: set, seen_ids: dict) -> dict:
    where = "instance %d" % (index + 1)
    if not isinstance(instance, Mapping):
        problems.append("%s: expected a mapping {name, router_id, interface, address, unicast_src, unicast_peers,"
                        " priority}, got %r" % (where, instance))
        return {}
    unknown = sorted(set(instance) - _INSTANCE_KEYS)
    if unknown:
        problems.append("%s: unknown key(s) %s" % (where, ", ".join(unknown)))
    name = instance.get("name")
    if not (isinstance(name, str) and _NAME.match(name)):
        problems.append("%s: name %r must be 1-32 of [A-Za-z0-9_]" % (where, name))
    elif name in seen_names:
        problems.append("%s: name %s is given twice" % (where, name))
    else:
        seen_names.add(name)
        where = "instance %s" % name
    router_id = _whole(instance.get("router_id"), 1, 255)
    if router_id is None:
        problems.append("%s: router_id %r is not a VRRP router id (1-255)" % (where, instance.get("router_id")))
    interface = instance.get("interface")
    if not (isinstance(interface, str) and _INTERFACE.match(interface)):
        problems.append("%s: interface %r is not an interface name" % (where, interface))
    elif router_id is not None:
        if (interface, router_id) in seen_ids:
            owner = seen_ids[(interface, router_id)]
            problems.append("%s: router_id %d is already %s's on %s" % (where, router_id, owner, interface))
        seen_ids[(interface, router_id)] = name
    address = instance.get("address")
    try:
        vip = ipaddress.IPv4Interface(address.strip()) if isinstance(address, str) and "/" in address else None
    except ValueError:
        vip = None
    if vip is None:
        problems.append("%s: address %r is not an IPv4 address with its prefix (10.20.0.1/16)" % (where, address))
    source = instance.get("unicast_src")
    peers = instance.get("unicast_peers") or []
    if isinstance(peers, str) or not isinstance(peers, Sequence):
        problems.append("%s: unicast_peers must be a list of IPv4 addresses, got %r" % (where, peers))
        peers = []
    peer_addresses = []
    for peer in peers:
        parsed = _address(peer)
        if parsed is None:
            problems.append("%s: unicast peer %r is not an IPv4 address" % (where, peer))
        else:
            peer_addresses.append(str(parsed))
    if peer_addresses and _address(source) is None:
        problems.append("%s: unicast_src %r is not an IPv4 address (unicast peers need this host's own)" % (where, source))
    if vip is not None and str(vip.ip) in peer_addresses + ([str(_address(source))] if _address(source) else []):
        problems.append("%s: the virtual address %s is a member's own address" % (where, vip.ip))
    # A member may rank differently in each instance (M/M: each VIP at home on another member).
    priority = None
    if "priority" in instance:
        priority = _whole(instance["priority"], 1, 254)
        if priority is None:
            problems.append("%s: priority %r is not a VRRP priority (1-254)" % (where, instance["priority"]))
    return {"name": name, "router_id": router_id, "interface": interface, "address": str(vip) if vip else "",
            "unicast_src": str(_address(source)) if peer_addresses else "", "unicast_peers": peer_addresses,
            "priority": priority}


def _track_script(index: int, track: object, problems: List[str]) -> dict:
    where = "track script %d" % (index + 1)
    if not isinstance(track, Mapping):
        problems.append("%s: expected a mapping {name, script, interval, fall, rise, weight}, got %r" % (where, track))
        return {}
    unknown = sorted(set(track) - _TRACK_KEYS)
    if unknown:
        problems.append("%s: unknown key(s) %s" % (where, ", ".join(unknown)))
    name = track.get("name")
    if not (isinstance(name, str) and _NAME.match(name)):
        problems.append("%s: name %r must be 1-32 of [A-Za-z0-9_]" % (where, name))
    script = track.get("script")
    if not (isinstance(script, str) and _PATH.match(script.split(" ")[0])):
        problems.append("%s: script %r must start with an absolute path" % (where, script))
    values = {}
    for key, low, high, default in (("interval", 1, 3600, 2), ("fall", 1, 255, 2), ("rise", 1, 255, 2),
                                    ("weight", -254, 254, 0)):
        raw = track.get(key, default)
        number = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if isinstance(raw, str) and re.match(r"^-?\d+$", raw.strip()):
            number = int(raw)
        if number is None or not low <= number <= high:
            problems.append("%s: %s %r is not a whole number from %d to %d" % (where, key, raw, low, high))
        values[key] = number
    return dict(values, name=name, script=script)


def render_instances(name: object, instances: object, priority: object, advert_interval: object = 1,
                     preempt: bool = False, sync_group: str = "", notify: str = "", track_scripts: object = None,
                     preempt_delay: object = 0) -> str:
    """The text of ``/etc/keepalived/conf.d/<name>.conf``; raises VipError listing every problem."""
    problems: List[str] = []
    if not (isinstance(name, str) and _FILE_NAME.match(name)):
        problems.append("the name must be of [a-z0-9_-] (the role's), starting with a letter or digit")
    if isinstance(instances, (str, bytes)) or not isinstance(instances, Sequence) or not instances:
        problems.append("instances must be a non-empty list, got %r" % (instances,))
        instances = []
    level = _whole(priority, 1, 254)
    if level is None:
        problems.append("priority %r is not a VRRP priority (1-254)" % (priority,))
    interval = _whole(advert_interval, 1, 255)
    if interval is None:
        problems.append("advert_interval %r is not a whole number of seconds (1-255)" % (advert_interval,))
    delay = _whole(preempt_delay, 0, 1000)
    if delay is None:
        problems.append("preempt_delay %r is not a whole number of seconds (0-1000)" % (preempt_delay,))
    elif delay and not preempt:
        problems.append("preempt_delay %d needs preempt" % delay)
    if sync_group and not (isinstance(sync_group, str) and _NAME.match(sync_group)):
        problems.append("sync_group %r must be 1-32 of [A-Za-z0-9_]" % (sync_group,))
    if notify and not (isinstance(notify, str) and _PATH.match(notify)):
        problems.append("notify %r must be an absolute path" % (notify,))
    tracks = track_scripts or []
    if isinstance(tracks, (str, bytes)) or not isinstance(tracks, Sequence):
        problems.append("track_scripts must be a list, got %r" % (tracks,))
        tracks = []
    seen_names: set = set()
    seen_ids: dict = {}
    rendered = [_instance(index, instance, problems, seen_names, seen_ids) for index, instance in enumerate(instances)]
    scripts = [_track_script(index, track, problems) for index, track in enumerate(tracks)]
    if sync_group and len(rendered) < 2:
        problems.append("sync_group %s needs at least two instances" % sync_group)
    if problems:
        raise VipError(name, problems)
    lines: List[str] = []
    for script in scripts:
        lines += ["vrrp_script %s {" % script["name"], '    script "%s"' % script["script"],
                  "    interval %d" % script["interval"], "    fall %d" % script["fall"], "    rise %d" % script["rise"]]
        if script["weight"]:
            lines.append("    weight %d" % script["weight"])
        lines += ["}", ""]
    for instance in rendered:
        lines += ["vrrp_instance %s {" % instance["name"],
                  "    # Every member starts as BACKUP: the highest priority wins the first election.",
                  "    state BACKUP",
                  "    interface %s" % instance["interface"],
                  "    virtual_router_id %d" % instance["router_id"],
                  "    priority %d" % (instance["priority"] or level),
                  "    advert_int %d" % interval]
        if not preempt:
            lines.append("    nopreempt")
        elif delay:
            lines.append("    # A returning member waits this long before taking its address back.")
            lines.append("    preempt_delay %d" % delay)
        if instance["unicast_peers"]:
            lines += ["    unicast_src_ip %s" % instance["unicast_src"], "    unicast_peer {"]
            lines += ["        %s" % peer for peer in instance["unicast_peers"]]
            lines.append("    }")
        lines += ["    virtual_ipaddress {", "        %s dev %s" % (instance["address"], instance["interface"]), "    }"]
        if scripts:
            lines += ["    track_script {"] + ["        %s" % script["name"] for script in scripts] + ["    }"]
        if notify:
            lines.append("    notify %s" % notify)
        lines += ["}", ""]
    if sync_group:
        lines += ["# These addresses move together.", "vrrp_sync_group %s {" % sync_group, "    group {"]
        lines += ["        %s" % instance["name"] for instance in rendered]
        lines += ["    }", "}", ""]
    return "\n".join(lines)


def interface_with_address(facts: Mapping, address: object) -> str:
    """The interface whose primary IPv4 address is ``address``, from a host's facts; empty when none.

    A VIP moves on the interface that carries the member's own address on
    that network.
    """
    for name in facts.get("interfaces") or []:
        interface = facts.get(str(name).replace("-", "_").replace(".", "_"))
        if isinstance(interface, Mapping) and (interface.get("ipv4") or {}).get("address") == address:
            return interface.get("device") or str(name)
    return ""
