# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A vendor's apt repository, trusted through one pinned key: the inputs' check.

Packages that Debian does not ship (the vendor's application, a backport
such as Janus for Debian 13) come from an apt repository the inventory
names, trusted only through the key it pins by fingerprint.
``signing_key_errors`` reads the fingerprints of an ASCII-armored OpenPGP
key block itself (RFC 4880 and RFC 9580 packets), so the check needs no
gpg on the controller or the host. ``repository_errors`` checks a role's
``<role>_apt_repository_*`` and ``<role>_apt_signing_key*`` inputs; the
shared role's ``apt_repository`` entry point adds the source. Used by the
``api`` and ``conference`` roles' input checks; unit-tested in
``tests/unit/plugins/module_utils/test_apt_repository.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, List, Mapping, Tuple

_ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
_ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----"
_FINGERPRINT = re.compile(r"^([0-9A-F]{40}|[0-9A-F]{64})$")
_SUITE = re.compile(r"^[A-Za-z0-9._/-]+$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$")
# OpenPGP packet tags (RFC 9580 section 5): the primary key; subkeys are not pinned.
_PUBLIC_KEY = 6
# The fingerprint's hash prefix and length field, by key version.
_FINGERPRINT_FORMAT = {4: (hashlib.sha1, b"\x99", 2), 5: (hashlib.sha256, b"\x9a", 4), 6: (hashlib.sha256, b"\x9b", 4)}


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


def signing_key_errors(armored: Any, pinned: Any, name: str) -> List[str]:
    """Problems of a repository's signing key and its pinned fingerprint (``<name>_fingerprint``)."""
    errors: List[str] = []
    fingerprint = normal_fingerprint(pinned)
    if not fingerprint:
        errors.append("%s_fingerprint is empty: pin the repository's signing key by its fingerprint (40 or 64 hex digits,"
                      " as gpg --show-keys prints it)" % name)
    elif not _FINGERPRINT.match(fingerprint):
        errors.append("%s_fingerprint: expected 40 or 64 hex digits (spaces allowed); got %r" % (name, pinned))
    if not armored:
        errors.append("%s is empty: give the repository's public key, ASCII-armored (the apt source is never trusted"
                      " without it)" % name)
        return errors
    try:
        found = primary_fingerprints(armored)
    except ValueError as error:
        return errors + ["%s: %s" % (name, error)]
    if len(found) != 1:
        errors.append("%s holds %d primary keys (%s): give the repository's one signing key"
                      % (name, len(found), ", ".join(found) or "none"))
    elif fingerprint and _FINGERPRINT.match(fingerprint) and found[0] != fingerprint:
        errors.append("%s is key %s, not the pinned %s: the key given is not the repository's (or the pin is outdated)"
                      % (name, found[0], fingerprint))
    return errors


def repository_errors(role: str, inputs: Mapping[str, Any], what: str = "the vendor's apt repository") -> List[str]:
    """Problems of a role's repository inputs: ``<role>_apt_repository_url``, ``_suite``, ``_components`` and
    ``<role>_apt_signing_key`` with its pinned ``_fingerprint``."""
    errors: List[str] = []
    url = str(inputs.get("%s_apt_repository_url" % role) or "")
    if not _URL.match(url):
        errors.append("%s_apt_repository_url: expected %s as an http:// or https:// URL (reached through the "
                      "GateKeepers' mirror); got %r" % (role, what, url))
    suite = inputs.get("%s_apt_repository_suite" % role)
    if not _SUITE.match(str(suite or "")):
        errors.append("%s_apt_repository_suite: expected the repository's suite (such as stable); got %r"
                      % (role, suite))
    components = inputs.get("%s_apt_repository_components" % role) or []
    if not components or not all(_SUITE.match(str(component)) for component in components):
        errors.append("%s_apt_repository_components: expected the repository's components (such as [main]); got %r"
                      % (role, components))
    errors += signing_key_errors(inputs.get("%s_apt_signing_key" % role),
                                 inputs.get("%s_apt_signing_key_fingerprint" % role), "%s_apt_signing_key" % role)
    return errors
