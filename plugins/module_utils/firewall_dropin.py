# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The body of a host-firewall drop-in: a role's accept rules as nftables text.

``common`` writes the host firewall (table ``inet rainbow_edge``, default
deny) with an empty chain ``services`` and includes every file of
``/etc/nftables.d/``; each role adds its rules to that chain through the
shared role's ``firewall`` entry point, which renders them here. A request
is checked whole: every problem is reported in one error, and nothing is
rendered from a request with one.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, List, Mapping, Sequence

#: The table ``common`` owns; drop-ins add to its chain ``services``.
FIREWALL_TABLE = "rainbow_edge"
#: The directory ``common``'s /etc/nftables.conf includes, one file per drop-in.
DROPIN_DIR = "/etc/nftables.d"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_INTERFACE = re.compile(r"^[A-Za-z0-9_.:@+-]{1,15}$")
# nftables ends a comment at its closing quote; a role's comment is plain text.
_COMMENT = re.compile(r'^[^"\\\n]{1,128}$')
_RANGE = re.compile(r"^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$")
_RULE_KEYS = {"port", "ports", "proto", "sources", "iifname", "comment"}
_PROTOCOLS = ("tcp", "udp", "vrrp")
# Protocols without ports (a rule for one gives none), by number: nft
# resolves names through /etc/protocols, which a minimal Debian lacks.
_PORTLESS = {"vrrp": 112}


class FirewallDropinError(ValueError):
    """A drop-in request with problems, each one line of the message."""

    def __init__(self, name: object, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__(
            "firewall drop-in %s: %s" % (_quoted(name), "; ".join(self.problems)))


def _quoted(value: object) -> str:
    return '"%s"' % value if isinstance(value, str) else repr(value)


def _port(value: object) -> int | None:
    """A port as an int, or None when the value is not one (a bool is not a port)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= 65535:
        return value
    return None


def _port_or_range(value: object) -> str | None:
    """A port, or a range "first-last" (first below last), as nftables writes it; None when neither."""
    port = _port(value)
    if port is not None:
        return str(port)
    match = _RANGE.match(value) if isinstance(value, str) else None
    if match:
        first, last = _port(match.group(1)), _port(match.group(2))
        if first is not None and last is not None and first < last:
            return "%d-%d" % (first, last)
    return None


def _network(value: object) -> str | None:
    """An IPv4 network or address in the form nftables reads (host bits must be zero)."""
    if not isinstance(value, str):
        return None
    try:
        return str(ipaddress.IPv4Network(value.strip(), strict=True))
    except ValueError:
        return None


def _rule_line(index: int, rule: object, name: str, problems: List[str]) -> str:
    where = "rule %d" % (index + 1)
    if not isinstance(rule, Mapping):
        problems.append("%s: expected a mapping such as {port: 3306, sources: [10.20.0.0/16]}, got %r" % (where, rule))
        return ""
    unknown = sorted(set(rule) - _RULE_KEYS)
    if unknown:
        problems.append("%s: unknown key(s) %s (known: %s)" % (where, ", ".join(unknown), ", ".join(sorted(_RULE_KEYS))))
    proto = rule.get("proto", "tcp")
    if proto not in _PROTOCOLS:
        problems.append("%s: proto %r is not one of %s" % (where, proto, ", ".join(_PROTOCOLS)))
    if proto in _PORTLESS:
        if "port" in rule or "ports" in rule:
            problems.append("%s: proto %s has no ports; give neither port nor ports" % (where, proto))
        raw_ports: Sequence[Any] = []
    elif ("port" in rule) == ("ports" in rule):
        problems.append("%s: give port or ports, not %s" % (where, "both" if "port" in rule else "neither"))
        raw_ports = []
    else:
        raw_ports = [rule["port"]] if "port" in rule else rule["ports"]
        if isinstance(raw_ports, (str, bytes)) or not isinstance(raw_ports, Sequence) or not raw_ports:
            problems.append("%s: ports must be a non-empty list, got %r" % (where, raw_ports))
            raw_ports = []
    ports: List[str] = []
    for raw in raw_ports:
        port = _port_or_range(raw)
        if port is None:
            problems.append("%s: %r is not a port (1-65535) or a range of them such as \"49152-65535\"" % (where, raw))
        elif port not in ports:
            ports.append(port)
    raw_sources = rule.get("sources") or []
    if isinstance(raw_sources, str) or not isinstance(raw_sources, Sequence):
        problems.append("%s: sources must be a list of IPv4 networks, got %r" % (where, raw_sources))
        raw_sources = []
    sources = []
    for raw in raw_sources:
        network = _network(raw)
        if network is None:
            problems.append("%s: source %r is not an IPv4 network such as 10.20.0.0/16" % (where, raw))
        elif network not in sources:
            sources.append(network)
    iifname = rule.get("iifname")
    if iifname is not None and not (isinstance(iifname, str) and _INTERFACE.match(iifname)):
        problems.append("%s: iifname %r is not an interface name" % (where, iifname))
    comment = rule.get("comment", name)
    if not (isinstance(comment, str) and _COMMENT.match(comment)):
        problems.append("%s: comment %r must be 1-128 characters without quotes, backslashes or newlines" % (where, comment))
    words = []
    if iifname is not None:
        words.append('iifname "%s"' % iifname)
    if sources:
        words.append("ip saddr { %s }" % ", ".join(sources))
    if proto in _PORTLESS:
        words.append("ip protocol %d" % _PORTLESS[proto])
    else:
        words.append("%s dport { %s }" % (proto, ", ".join(ports)))
    words.append('accept comment "%s"' % comment)
    return " ".join(words)


def render_dropin(name: object, rules: object = None, content: object = "", table: str = FIREWALL_TABLE) -> str:
    """The drop-in text for ``rules`` (accept rules) or ``content`` (self-contained nftables text).

    Raises FirewallDropinError listing every problem of the request. A rule
    without sources accepts from anywhere: say so with ``sources: []``.
    """
    problems: List[str] = []
    if not (isinstance(name, str) and _NAME.match(name)):
        problems.append("the name must be of [a-z0-9_-], starting with a letter or digit")
    rules = [] if rules is None else rules
    content = "" if content is None else content
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Sequence):
        problems.append("rules must be a list, got %r" % (rules,))
        rules = []
    if not isinstance(content, str):
        problems.append("content must be nftables text, got %r" % (content,))
        content = ""
    if bool(rules) == bool(content.strip()):
        problems.append("give either rules or content, not %s" % ("both" if rules else "neither"))
    lines = [_rule_line(index, rule, str(name), problems) for index, rule in enumerate(rules)]
    if problems:
        raise FirewallDropinError(name, problems)
    if content.strip():
        return content.strip() + "\n"
    body = "".join("\t\t%s\n" % line for line in lines)
    return "table inet %s {\n\tchain services {\n%s\t}\n}\n" % (table, body)
