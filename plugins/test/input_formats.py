# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for the input formats every role checks: ports, DNS domains, SSH keys, URLs, users.

One definition each, so that a port or a domain means the same thing in every
role's input check; the role's own list still names the variable and says
what it expects.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import struct
from urllib.parse import urlsplit

# RFC 1123 labels, lower case (inventory values are compared as written);
# the last label starts with a letter so that an IPv4 address is not a domain.
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$)({_LABEL}\.)+[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?$")
_HOST = re.compile(rf"^(?=.{{1,253}}$)({_LABEL}\.)*{_LABEL}$", re.IGNORECASE)
# useradd's default NAME_REGEX, at most 32 characters.
_UNIX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")

# Public key types OpenSSH 9 accepts in authorized_keys (no DSA).
SSH_KEY_TYPES = frozenset((
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
))


def tcp_port(value: object, minimum: int = 1) -> bool:
    """True for a whole number from ``minimum`` (1 unless given) to 65535; False for text, booleans or floats.

    Role inputs arrive converted (rainbow.edge.role_inputs): "22" given with
    -e is 22 here, and a value that could not be converted was reported there.
    """
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= 65535


def dns_domain(value: object) -> bool:
    """True for a lower-case domain of two labels or more such as 'edge.example.com'."""
    return isinstance(value, str) and _DOMAIN.match(value) is not None


def unix_user(value: object) -> bool:
    """True for a user name useradd accepts by default: lower case, at most 32 characters."""
    return isinstance(value, str) and _UNIX_USER.match(value) is not None


def ssh_public_key(value: object) -> bool:
    """True for one authorized_keys line: a known key type, its key data, an optional comment.

    The key data must be base64 whose first field names the same key type, as
    sshd reads it: a pasted fragment or a key type and data from two different
    keys are refused here rather than silently ignored by sshd.
    """
    if not isinstance(value, str) or "\n" in value:
        return False
    fields = value.strip().split(None, 2)
    if len(fields) < 2 or fields[0] not in SSH_KEY_TYPES:
        return False
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(blob) < 4:
        return False
    (length,) = struct.unpack(">I", blob[:4])
    return blob[4:4 + length] == fields[0].encode("ascii") and len(blob) > 4 + length


def http_url(value: object) -> bool:
    """True for an http:// or https:// URL with a host name or IPv4 address and an optional port 1-65535."""
    if not isinstance(value, str) or any(char.isspace() for char in value):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return False
    if port is not None and not 1 <= port <= 65535:
        return False
    return _HOST.match(parts.hostname) is not None or _is_ipv4(parts.hostname)


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


class TestModule:
    """Ansible test plugins: ``x is rainbow.edge.tcp_port``, ``x is rainbow.edge.dns_domain``..."""

    def tests(self) -> dict:
        return {
            "tcp_port": tcp_port,
            "dns_domain": dns_domain,
            "unix_user": unix_user,
            "ssh_public_key": ssh_public_key,
            "http_url": http_url,
        }
