# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The application servers' decisions: their input check and the vendor's signing key.

The vendor's packages come from its apt repository, trusted only through
the key the inventory pins by fingerprint: ``signing_key_errors`` reads the
fingerprints of an ASCII-armored OpenPGP key block itself (RFC 4880 and
RFC 9580 packets), so the check needs no gpg on the controller or the host.
Used by the ``api`` role through ``plugins/filter/api_config.py``;
unit-tested in ``tests/unit/plugins/module_utils/test_api_config.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, List, Mapping, Sequence, Tuple

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, lan_errors,
)

_ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
_ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----"
_FINGERPRINT = re.compile(r"^([0-9A-F]{40}|[0-9A-F]{64})$")
_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$")
_SQL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_SUITE = re.compile(r"^[A-Za-z0-9._/-]+$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$")
_PATH = re.compile(r"^/[^\s]*$")
# OpenPGP packet tags (RFC 9580 section 5): the primary key; subkeys are not pinned.
_PUBLIC_KEY = 6
# The fingerprint's hash prefix and length field, by key version.
_FINGERPRINT_FORMAT = {4: (hashlib.sha1, b"\x99", 2), 5: (hashlib.sha256, b"\x9a", 4), 6: (hashlib.sha256, b"\x9b", 4)}


#: The endpoint the application reaches on each data tier's hosts: the group, the variables of the host's
#: address and port (as the tier's own input check converted them, else the inventory's), the port's default.
TIER_ENDPOINTS = {
    "mariadb": ("mariadb_lan_ip", "mariadb_port", 3306),
    "xmpp": ("xmpp_lan_ip", "xmpp_c2s_tls_port", 5223),
    "swift": ("swift_lan_ip", "swift_proxy_port", 8080),
    "mongodb": ("mongodb_lan_ip", "mongodb_port", 27017),
}


def endpoint_paths(tier: str) -> Tuple[List[str], List[str], int]:
    """Where a host's variables hold the address and port of ``tier``'s endpoint, and the port's default."""
    address, port, default = TIER_ENDPOINTS[tier]
    checked = "__%s_input_check.inputs." % tier
    return [checked + address, address, "edge_lan_ip"], [checked + port, port], default


def endpoint_hosts(tier: str, members: Sequence[str], primaries: Mapping[str, Any]) -> List[str]:
    """The hosts of ``tier`` the application reaches: MariaDB's primary only (writes go there), else every member.

    ``primaries`` maps each member to the primary it names (``mariadb_primary``).
    """
    if tier != "mariadb":
        return list(members)
    primary = primaries.get(members[0]) if members else None
    return [primary] if primary else []


def normal_fingerprint(value: Any) -> str:
    """A fingerprint as upper-case hex without spaces or a ``0x`` prefix (``gpg`` prints it in groups)."""
    text = str(value or "").replace(" ", "").upper()
    return text[2:] if text.startswith("0X") else text


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def dearmor(armored: str) -> bytes:
    """The binary packets of every ASCII-armored public key block in ``armored`` (ValueError when there is none).

    apt trusts every key of a ``Signed-By`` file, so a second block counts.
    """
    lines = [line.strip() for line in str(armored or "").strip().splitlines()]
    if _ARMOR_BEGIN not in lines:
        raise ValueError("not an ASCII-armored OpenPGP public key block (%s ... %s)" % (_ARMOR_BEGIN, _ARMOR_END))
    data = b""
    while _ARMOR_BEGIN in lines:
        start = lines.index(_ARMOR_BEGIN) + 1
        if _ARMOR_END not in lines[start:]:
            raise ValueError("a key block has no %s line (a truncated key)" % _ARMOR_END)
        end = lines.index(_ARMOR_END, start)
        data += _block(lines[start:end])
        lines = lines[end + 1:]
    return data


def _block(body: List[str]) -> bytes:
    """The binary content of one armored block's lines (headers, base64, checksum)."""
    # Armor headers ("Comment: ...") end at the first blank line.
    if "" in body and all(":" in line for line in body[:body.index("")]):
        body = body[body.index("") + 1:]
    checksum = None
    if body and body[-1].startswith("=") and len(body[-1]) == 5:
        checksum = body.pop()
    try:
        data = base64.b64decode("".join(body), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the key block's base64 is damaged (%s)" % error) from None
    if checksum is not None:
        try:
            expected = int.from_bytes(base64.b64decode(checksum[1:], validate=True), "big")
        except (binascii.Error, ValueError):
            raise ValueError("the key block's checksum line %r is damaged" % checksum) from None
        if _crc24(data) != expected:
            raise ValueError("the key block's checksum does not match its content (a truncated or edited key)")
    return data


def packets(data: bytes) -> List[Tuple[int, bytes]]:
    """The ``(tag, body)`` OpenPGP packets of ``data``, old and new header formats."""
    result = []
    offset = 0
    while offset < len(data):
        header = data[offset]
        if not header & 0x80:
            raise ValueError("byte %d is not an OpenPGP packet header" % offset)
        if header & 0x40:  # new format
            tag = header & 0x3F
            first = data[offset + 1]
            if first < 192:
                length, offset = first, offset + 2
            elif first < 224:
                length, offset = ((first - 192) << 8) + data[offset + 2] + 192, offset + 3
            elif first == 255:
                length, offset = int.from_bytes(data[offset + 2:offset + 6], "big"), offset + 6
            else:
                raise ValueError("a key packet with a partial length (not allowed in a key block)")
        else:  # old format
            tag = (header >> 2) & 0x0F
            size = {0: 1, 1: 2, 2: 4}.get(header & 0x03)
            if size is None:
                length, offset = len(data) - offset - 1, offset + 1
            else:
                length, offset = int.from_bytes(data[offset + 1:offset + 1 + size], "big"), offset + 1 + size
        if offset + length > len(data):
            raise ValueError("a packet runs past the end of the key block (a truncated key)")
        result.append((tag, data[offset:offset + length]))
        offset += length
    return result


def primary_fingerprints(armored: str) -> List[str]:
    """The fingerprints (upper-case hex) of the primary keys of an ASCII-armored key block."""
    result = []
    for tag, body in packets(dearmor(armored)):
        if tag != _PUBLIC_KEY:
            continue
        version = body[0] if body else 0
        if version not in _FINGERPRINT_FORMAT:
            raise ValueError("a version %d key: only OpenPGP v4, v5 and v6 keys are accepted" % version)
        digest, prefix, size = _FINGERPRINT_FORMAT[version]
        result.append(digest(prefix + len(body).to_bytes(size, "big") + body).hexdigest().upper())
    return result


def signing_key_errors(armored: Any, pinned: Any, name: str = "api_apt_signing_key") -> List[str]:
    """Problems of a repository's signing key and its pinned fingerprint (``<name>_fingerprint``)."""
    errors: List[str] = []
    fingerprint = normal_fingerprint(pinned)
    if not fingerprint:
        errors.append("%s_fingerprint is empty: pin the vendor's signing key by its fingerprint (40 or 64 hex digits,"
                      " as gpg --show-keys prints it)" % name)
    elif not _FINGERPRINT.match(fingerprint):
        errors.append("%s_fingerprint: expected 40 or 64 hex digits (spaces allowed); got %r" % (name, pinned))
    if not armored:
        errors.append("%s is empty: give the vendor's public key, ASCII-armored (the apt source is never trusted"
                      " without it)" % name)
        return errors
    try:
        found = primary_fingerprints(armored)
    except ValueError as error:
        return errors + ["%s: %s" % (name, error)]
    if len(found) != 1:
        errors.append("%s holds %d primary keys (%s): give the vendor's one signing key"
                      % (name, len(found), ", ".join(found) or "none"))
    elif fingerprint and _FINGERPRINT.match(fingerprint) and found[0] != fingerprint:
        errors.append("%s is key %s, not the pinned %s: the key given is not the vendor's (or the pin is outdated)"
                      % (name, found[0], fingerprint))
    return errors


def input_errors(inputs: Mapping[str, Any], sql_server: Any, xmpp_servers: Sequence[Any] = ()) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable (secrets never shown).

    ``sql_server`` is the MariaDB server's address the application writes
    to (the primary the inventory names), ``xmpp_servers`` the XMPP servers'
    addresses it reaches.
    """
    errors: List[str] = lan_errors("api", inputs)
    for name in ("api_port", "api_private_port"):
        if not is_int_in(inputs.get(name), 1024, 65535):
            errors.append("%s: expected a TCP port 1024-65535; got %r" % (name, inputs.get(name)))
    allowed = inputs.get("api_allowed_cidrs") or []
    bad = [cidr for cidr in allowed if not is_ipv4_network(cidr)]
    if bad or not allowed:
        errors.append("api_allowed_cidrs: expected IPv4 networks in CIDR form; %s"
                      % ("not networks: %r" % bad if bad else "the list is empty"))
    for name in ("api_health_path", "api_metrics_path"):
        if not _PATH.match(str(inputs.get(name) or "")):
            errors.append("%s: expected an absolute URL path such as /healthz; got %r" % (name, inputs.get(name)))
    paths = inputs.get("api_public_paths") or []
    bad_paths = [path for path in paths if not _PATH.match(str(path))]
    if bad_paths:
        errors.append("api_public_paths: expected absolute URL paths such as /api; not paths: %r" % (bad_paths,))
    errors += _repository_errors(inputs)
    entry = str(inputs.get("api_entry_point") or "")
    if not _PATH.match(entry):
        errors.append("api_entry_point: expected the absolute path of the application's script that node runs, "
                      "from the vendor's package (such as /usr/lib/rainbow-api/server.js); got %r" % (entry,))
    for name in ("api_sql_database", "api_sql_user"):
        if not _SQL_NAME.match(str(inputs.get(name) or "")):
            errors.append("%s: expected a MariaDB name of 1-64 letters, digits or _; got %r" % (name, inputs.get(name)))
    if not inputs.get("api_sql_password"):
        errors.append("api_sql_password is empty: give the application's MariaDB password from the vault")
    if not is_ipv4_address(sql_server):
        errors.append("api_sql_server: no MariaDB server to write to (the inventory names no primary for group "
                      "mariadb and api_sql_server is empty); got %r" % (sql_server,))
    if not is_int_in(inputs.get("api_sql_port"), 1, 65535):
        errors.append("api_sql_port: expected a TCP port; got %r" % (inputs.get("api_sql_port"),))
    bad_xmpp = [server for server in xmpp_servers if not is_ipv4_address(server)]
    if bad_xmpp:
        errors.append("api: the XMPP servers' LAN addresses are not all known (xmpp_lan_ip or edge_lan_ip); got %r"
                      % (list(xmpp_servers),))
    if not is_int_in(inputs.get("api_drain_timeout"), 0, 3600):
        errors.append("api_drain_timeout: expected 0-3600 seconds for requests in flight to end; got %r"
                      % (inputs.get("api_drain_timeout"),))
    if not is_int_in(inputs.get("api_stop_timeout"), 1, 3600):
        errors.append("api_stop_timeout: expected 1-3600 seconds for the application to stop; got %r"
                      % (inputs.get("api_stop_timeout"),))
    return errors


def _repository_errors(inputs: Mapping[str, Any]) -> List[str]:
    errors: List[str] = []
    url = str(inputs.get("api_apt_repository_url") or "")
    if not _URL.match(url):
        errors.append("api_apt_repository_url: expected the vendor's apt repository as an http:// or https:// URL "
                      "(reached through the GateKeepers' mirror); got %r" % (url,))
    if not _SUITE.match(str(inputs.get("api_apt_repository_suite") or "")):
        errors.append("api_apt_repository_suite: expected the repository's suite (such as stable); got %r"
                      % (inputs.get("api_apt_repository_suite"),))
    components = inputs.get("api_apt_repository_components") or []
    if not components or not all(_SUITE.match(str(component)) for component in components):
        errors.append("api_apt_repository_components: expected the repository's components (such as [main]); got %r"
                      % (components,))
    packages = inputs.get("api_packages") or []
    bad = [package for package in packages if not _PACKAGE.match(str(package))]
    if not packages or bad:
        errors.append("api_packages: expected the vendor's Debian package names (name or name=version); %s"
                      % ("not package names: %r" % bad if bad else "the list is empty"))
    errors += signing_key_errors(inputs.get("api_apt_signing_key"), inputs.get("api_apt_signing_key_fingerprint"))
    return errors
