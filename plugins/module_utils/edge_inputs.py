# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input coercion shared by the Edge sizing and validation code.

Module options arrive from playbooks, inventories and ``-e`` flags, so a
number may be a string, a boolean may be ``"yes"`` and a nested structure
may be anything at all. Every reader here either returns a clean value or
raises :class:`EdgeInputError` whose message names the offending field, so
the modules can turn any bad input into a clear ``fail_json`` message instead
of a traceback.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any, List, Mapping, Optional, Union

Number = Union[int, float]

_TRUE = frozenset(("yes", "on", "1", "true", "y", "t"))
_FALSE = frozenset(("no", "off", "0", "false", "n", "f"))


class EdgeInputError(ValueError):
    """An option or fact that cannot be used, with a message naming where."""


def as_int(value: Any, field: str, minimum: Optional[int] = None,
           maximum: Optional[int] = None) -> int:
    """Read a whole number; booleans and fractions are refused, not rounded.

    ``True`` is an ``int`` in Python: accepting it would silently size an Edge
    for one user when a flag was put in the wrong place.
    """
    if isinstance(value, bool):
        raise EdgeInputError("%s must be a whole number, got a boolean (%r)" % (field, value))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise EdgeInputError("%s must be a whole number, got %r" % (field, value))
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text, 10)
        except ValueError:
            raise EdgeInputError("%s must be a whole number, got %r" % (field, value)) from None
    else:
        raise EdgeInputError("%s must be a whole number, got %s" % (field, type(value).__name__))
    _check_range(number, field, minimum, maximum)
    return number


def as_number(value: Any, field: str, minimum: Optional[float] = None,
              maximum: Optional[float] = None) -> float:
    """Read a finite number (int or float, or a string holding one)."""
    if isinstance(value, bool):
        raise EdgeInputError("%s must be a number, got a boolean (%r)" % (field, value))
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise EdgeInputError("%s must be a number, got %r" % (field, value)) from None
    else:
        raise EdgeInputError("%s must be a number, got %s" % (field, type(value).__name__))
    if not math.isfinite(number):
        raise EdgeInputError("%s must be a finite number, got %r" % (field, value))
    _check_range(number, field, minimum, maximum)
    return number


def as_optional_number(value: Any, field: str, minimum: Optional[float] = None) -> Optional[float]:
    """Like :func:`as_number`, but ``None`` (not measured) stays ``None``."""
    if value is None:
        return None
    return as_number(value, field, minimum=minimum)


def as_bool(value: Any, field: str) -> bool:
    """Read a boolean the way Ansible does (yes/no, true/false, 1/0)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise EdgeInputError("%s must be a boolean, got %r" % (field, value))


def as_str(value: Any, field: str, allow_empty: bool = False) -> str:
    """Read a string; numbers are accepted (inventories often hold dc names as 1, 2)."""
    if isinstance(value, bool) or value is None:
        raise EdgeInputError("%s must be a string, got %r" % (field, value))
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        raise EdgeInputError("%s must be a string, got %s" % (field, type(value).__name__))
    if not allow_empty and not value.strip():
        raise EdgeInputError("%s must not be empty" % field)
    return value.strip()


def as_mapping(value: Any, field: str) -> Mapping[str, Any]:
    """Read a mapping; ``None`` counts as empty (an unset YAML key)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise EdgeInputError("%s must be a mapping, got %s" % (field, type(value).__name__))
    for key in value:
        if not isinstance(key, str):
            raise EdgeInputError("%s keys must be strings, got %r" % (field, key))
    return value


def as_list(value: Any, field: str) -> List[Any]:
    """Read a list; ``None`` counts as empty, a lone string is refused (not split)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    raise EdgeInputError("%s must be a list, got %s" % (field, type(value).__name__))


def as_network(value: Any, field: str) -> ipaddress.IPv4Network:
    """Read an IPv4 network in CIDR form (host bits set are refused)."""
    text = as_str(value, field)
    try:
        return ipaddress.IPv4Network(text, strict=True)
    except ValueError as exc:
        raise EdgeInputError("%s must be an IPv4 network such as 10.20.0.0/16, got %r (%s)"
                             % (field, text, exc)) from None


def as_address(value: Any, field: str) -> ipaddress.IPv4Address:
    """Read an IPv4 address; a ``/prefix`` suffix (as ``ip addr`` prints) is dropped."""
    text = as_str(value, field).split("/", 1)[0]
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        raise EdgeInputError("%s must be an IPv4 address, got %r" % (field, value)) from None


def check_keys(value: Mapping[str, Any], allowed: frozenset, field: str) -> None:
    """Refuse unknown keys: a typo (``memory_gib``) must not be silently ignored."""
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise EdgeInputError("%s has unknown key(s) %s; allowed: %s"
                             % (field, ", ".join(unknown), ", ".join(sorted(allowed))))


def _check_range(number: Number, field: str, minimum: Optional[Number],
                 maximum: Optional[Number]) -> None:
    if minimum is not None and number < minimum:
        raise EdgeInputError("%s must be at least %s, got %s" % (field, minimum, number))
    if maximum is not None and number > maximum:
        raise EdgeInputError("%s must be at most %s, got %s" % (field, maximum, number))


# Predicates for the roles' input checks, which list every problem at once:
# each answers True or False and never raises.

def is_int_in(value: Any, low: int, high: int) -> bool:
    """An int (not a bool) from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def is_ipv4_network(value: Any) -> bool:
    """An IPv4 network in CIDR form, host bits clear (``10.20.0.0/16``)."""
    try:
        ipaddress.IPv4Network(value, strict=True)
    except (ValueError, TypeError):
        return False
    return "/" in str(value)


def is_ipv4_address(value: Any) -> bool:
    """An IPv4 address."""
    try:
        ipaddress.IPv4Address(value)
    except (ValueError, TypeError):
        return False
    return True


def is_on_network(address: Any, network: Any) -> bool:
    """An IPv4 address inside the IPv4 network ``network`` (CIDR form)."""
    return is_ipv4_address(address) and is_ipv4_network(network) and \
        ipaddress.IPv4Address(address) in ipaddress.IPv4Network(network)


def lan_errors(role: str, inputs: Any) -> List[str]:
    """Problems of a role's ``<role>_lan_cidr`` and ``<role>_lan_ip`` (defaults: edge_lan_cidr, edge_lan_ip)."""
    errors: List[str] = []
    lan, address = inputs.get(role + "_lan_cidr"), inputs.get(role + "_lan_ip")
    if not is_ipv4_network(lan):
        errors.append("%s_lan_cidr (default: edge_lan_cidr): expected an IPv4 network in CIDR form such as "
                      "10.20.0.0/16; got %r" % (role, lan))
    if not is_on_network(address, lan):
        errors.append("%s_lan_ip (default: edge_lan_ip): expected this host's address on the LAN %s; got %r"
                      % (role, lan, address))
    return errors


def wan_errors(role: str, inputs: Any) -> List[str]:
    """Problems of a role's ``<role>_wan_cidr`` and ``<role>_wan_ip`` (defaults: edge_wan_cidr, edge_wan_ip)."""
    errors: List[str] = []
    wan, address = inputs.get(role + "_wan_cidr"), inputs.get(role + "_wan_ip")
    if not is_ipv4_network(wan):
        errors.append("%s_wan_cidr (default: edge_wan_cidr): expected the WAN this host faces as an IPv4 network in "
                      "CIDR form; got %r" % (role, wan))
    elif not is_on_network(address, wan):
        errors.append("%s_wan_ip (default: edge_wan_ip): expected this host's address on the WAN %s; got %r"
                      % (role, wan, address))
    return errors


def open_files_limit(limits_text: str):
    """The hard limit of open files in a ``/proc/<pid>/limits`` text (None when unlimited or unread)."""
    for line in (limits_text or "").splitlines():
        if line.startswith("Max open files"):
            fields = line.split()
            return int(fields[4]) if fields[4].isdigit() else None
    return None
