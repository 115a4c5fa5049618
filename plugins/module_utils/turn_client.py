# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A TURN client for the smoke test: what a user's browser does to relay media through the Edge.

Standard library only. STUN messages (RFC 5389) with long-term credentials,
MESSAGE-INTEGRITY checked on every answer and FINGERPRINT when present, TURN
(RFC 5766) Allocate, CreatePermission, Send and Data indications and the
deleting Refresh, over UDP, and the credentials of the TURN REST API
(draft-uberti-behave-turn-rest: ``<expiry>:<user>`` and the base64 HMAC-SHA1
of it under the shared secret), which is what coturn's
``static-auth-secret`` checks. Used by ``plugins/modules/turn_relay_probe.py``;
unit-tested against RFC 5769's sample messages in
``tests/unit/plugins/module_utils/test_turn_client.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import os
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

MAGIC = 0x2112A442
HEADER = 20

BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION = 0x0001, 0x0003, 0x0004, 0x0006, 0x0007, 0x0008
SUCCESS, ERROR = 0x0100, 0x0110  # class bits of a response, or-ed into the method
SEND_INDICATION, DATA_INDICATION = 0x0016, 0x0017

MAPPED_ADDRESS, USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0001, 0x0006, 0x0008, 0x0009
LIFETIME, XOR_PEER_ADDRESS, DATA_ATTRIBUTE, REALM, NONCE = 0x000D, 0x0012, 0x0013, 0x0014, 0x0015
XOR_RELAYED_ADDRESS, REQUESTED_TRANSPORT, XOR_MAPPED_ADDRESS = 0x0016, 0x0019, 0x0020
SOFTWARE, FINGERPRINT = 0x8022, 0x8028
FINGERPRINT_XOR = 0x5354554E
UDP = 17


class TurnError(Exception):
    """The TURN server refused, did not answer, or answered what a client cannot trust."""


def rest_credentials(secret: str, user: str, valid_for: int, now: Optional[float] = None) -> Tuple[str, str]:
    """The TURN REST API's credential: username ``<expiry>:<user>``, password base64(HMAC-SHA1(secret, username))."""
    username = "%d:%s" % (int(now if now is not None else time.time()) + valid_for, user)
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def long_term_key(username: str, realm: bytes, password: str) -> bytes:
    """RFC 5389 15.4: MD5(username ":" realm ":" password), the password already SASLprep-ed by the caller."""
    return hashlib.md5(username.encode("utf-8") + b":" + realm + b":" + password.encode("utf-8")).digest()


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def encode(kind: int, transaction: bytes, attributes: List[Tuple[int, bytes]], key: Optional[bytes] = None,
           fingerprint: bool = False) -> bytes:
    """A STUN message; MESSAGE-INTEGRITY under ``key`` and FINGERPRINT last when asked."""
    body = b"".join(_attribute(attr, value) for attr, value in attributes)
    if key is not None:
        # The HMAC covers the message with its length counting MESSAGE-INTEGRITY (24 bytes), not what follows.
        head = struct.pack("!HHI", kind, len(body) + 24, MAGIC) + transaction
        body += _attribute(MESSAGE_INTEGRITY, hmac.new(key, head + body, hashlib.sha1).digest())
    if fingerprint:
        head = struct.pack("!HHI", kind, len(body) + 8, MAGIC) + transaction
        crc = (binascii.crc32(head + body) & 0xFFFFFFFF) ^ FINGERPRINT_XOR
        body += _attribute(FINGERPRINT, struct.pack("!I", crc))
    return struct.pack("!HHI", kind, len(body), MAGIC) + transaction + body


@dataclass
class Message:
    """A decoded STUN message: its type, transaction and attributes (first of each kind), with their offsets."""

    kind: int
    transaction: bytes
    attributes: Dict[int, bytes] = field(default_factory=dict)
    offsets: Dict[int, int] = field(default_factory=dict)
    raw: bytes = b""

    def error(self) -> Tuple[int, str]:
        raw = self.attributes.get(ERROR_CODE, b"\0\0\0\0")
        return (raw[2] & 0x07) * 100 + raw[3], raw[4:].decode("utf-8", "replace")


def decode(data: bytes) -> Message:
    """Parse one STUN message; raises TurnError on what is not one."""
    if len(data) < HEADER:
        raise TurnError("a message of %d bytes is shorter than a STUN header" % len(data))
    kind, length, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC or kind & 0xC000 or len(data) < HEADER + length:
        raise TurnError("not a STUN message (type 0x%04x, cookie 0x%08x, %d bytes)" % (kind, magic, len(data)))
    message = Message(kind, data[8:HEADER], raw=data[:HEADER + length])
    offset = HEADER
    while offset + 4 <= HEADER + length:
        attr, size = struct.unpack("!HH", data[offset:offset + 4])
        if attr not in message.attributes:
            message.attributes[attr] = data[offset + 4:offset + 4 + size]
            message.offsets[attr] = offset
        offset += 4 + size + (-size % 4)
    return message


def integrity_ok(message: Message, key: bytes) -> bool:
    """MESSAGE-INTEGRITY of a received message, recomputed with its length cut after that attribute."""
    offset = message.offsets.get(MESSAGE_INTEGRITY)
    if offset is None:
        return False
    head = struct.pack("!HH", message.kind, offset + 24 - HEADER) + message.raw[4:HEADER]
    expected = hmac.new(key, head + message.raw[HEADER:offset], hashlib.sha1).digest()
    return hmac.compare_digest(expected, message.attributes[MESSAGE_INTEGRITY])


def fingerprint_ok(message: Message) -> bool:
    """FINGERPRINT, when present, matches; a message without one passes."""
    offset = message.offsets.get(FINGERPRINT)
    if offset is None:
        return True
    crc = (binascii.crc32(message.raw[:offset]) & 0xFFFFFFFF) ^ FINGERPRINT_XOR
    return struct.pack("!I", crc) == message.attributes[FINGERPRINT]


def xor_address(raw: bytes, transaction: bytes) -> Tuple[str, int]:
    """An XOR-*-ADDRESS value: (address, port)."""
    family, port = struct.unpack("!xBH", raw[:4])
    port ^= MAGIC >> 16
    mask = struct.pack("!I", MAGIC) + (transaction if family == 2 else b"")
    address = bytes(a ^ b for a, b in zip(raw[4:4 + len(mask)], mask))
    return str(ipaddress.ip_address(address)), port


def encode_xor_address(address: str, port: int, transaction: bytes) -> bytes:
    ip = ipaddress.ip_address(address)
    mask = struct.pack("!I", MAGIC) + (transaction if ip.version == 6 else b"")
    return struct.pack("!xBH", 1 if ip.version == 4 else 2, port ^ (MAGIC >> 16)) + \
        bytes(a ^ b for a, b in zip(ip.packed, mask))


class Client:
    """One UDP TURN client: an allocation made with long-term credentials, every answer checked."""

    def __init__(self, server: str, port: int, username: str, password: str, timeout: float = 5.0) -> None:
        self.server = (socket.gethostbyname(server), port)
        self.username, self.password = username, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.sock.connect(self.server)
        self.realm = self.nonce = self.key = None
        self.relayed = self.mapped = None

    def close(self) -> None:
        self.sock.close()

    def _request(self, method: int, attributes: List[Tuple[int, bytes]], signed: bool = True) -> Message:
        """Send a request (signed once the realm is known) and return its success answer; retried at most
        three times on loss, once on a stale nonce (438)."""
        for _stale in range(2):
            transaction = os.urandom(12)
            extra = [(USERNAME, self.username.encode("utf-8")), (REALM, self.realm), (NONCE, self.nonce)] \
                if signed and self.key else []
            data = encode(method, transaction, attributes + extra, self.key if extra else None, fingerprint=True)
            answer = self._exchange(data, transaction)
            if answer.kind == method | SUCCESS:
                # A success to a signed request is signed with the same key (a refusal of the credential,
                # 401 or 438, cannot be: RFC 5389 10.2.2).
                if extra and not integrity_ok(answer, self.key):
                    raise TurnError("the answer to 0x%04x has no valid MESSAGE-INTEGRITY: not the server whose "
                                    "secret made this credential" % method)
                return answer
            if answer.error()[0] == 438 and NONCE in answer.attributes:  # stale nonce: sign again with the new one
                self.nonce = answer.attributes[NONCE]
                continue
            return answer
        return answer

    def _exchange(self, data: bytes, transaction: bytes) -> Message:
        for _attempt in range(3):
            self.sock.send(data)
            try:
                while True:
                    answer = decode(self.sock.recv(4096))
                    if answer.transaction == transaction:
                        if not fingerprint_ok(answer):
                            raise TurnError("an answer with a wrong FINGERPRINT")
                        return answer
            except socket.timeout:
                continue
        raise TurnError("no answer from %s:%d over UDP after 3 tries" % self.server)

    def allocate(self, lifetime: int = 600) -> Tuple[str, int]:
        attributes = [(REQUESTED_TRANSPORT, struct.pack("!B3x", UDP)), (LIFETIME, struct.pack("!I", lifetime))]
        # The first request carries no credential: the server answers 401 with its realm and a nonce.
        answer = self._request(ALLOCATE, attributes, signed=False)
        if answer.kind == ALLOCATE | ERROR and answer.error()[0] == 401 and REALM in answer.attributes:
            self.realm, self.nonce = answer.attributes[REALM], answer.attributes[NONCE]
            self.key = long_term_key(self.username, self.realm, self.password)
            answer = self._request(ALLOCATE, attributes)
        if answer.kind != ALLOCATE | SUCCESS:
            raise TurnError("Allocate refused: %d %s" % answer.error())
        self.relayed = xor_address(answer.attributes[XOR_RELAYED_ADDRESS], answer.transaction)
        if XOR_MAPPED_ADDRESS in answer.attributes:
            self.mapped = xor_address(answer.attributes[XOR_MAPPED_ADDRESS], answer.transaction)
        return self.relayed

    def create_permission(self, peer: str) -> None:
        transaction = os.urandom(12)  # only for the address's encoding: IPv4 ignores it
        answer = self._request(CREATE_PERMISSION, [(XOR_PEER_ADDRESS, encode_xor_address(peer, 0, transaction))])
        if answer.kind != CREATE_PERMISSION | SUCCESS:
            raise TurnError("CreatePermission for %s refused: %d %s" % ((peer,) + answer.error()))

    def send(self, peer: Tuple[str, int], payload: bytes) -> None:
        transaction = os.urandom(12)
        self.sock.send(encode(SEND_INDICATION, transaction, [
            (XOR_PEER_ADDRESS, encode_xor_address(peer[0], peer[1], transaction)), (DATA_ATTRIBUTE, payload)]))

    def receive(self) -> Tuple[Tuple[str, int], bytes]:
        """The next Data indication: (the peer it came from, its payload)."""
        while True:
            message = decode(self.sock.recv(4096))
            if message.kind == DATA_INDICATION:
                return (xor_address(message.attributes[XOR_PEER_ADDRESS], message.transaction),
                        message.attributes[DATA_ATTRIBUTE])

    def release(self) -> None:
        """Refresh with LIFETIME 0: the server frees the relay at once."""
        answer = self._request(REFRESH, [(LIFETIME, struct.pack("!I", 0))])
        if answer.kind != REFRESH | SUCCESS:
            raise TurnError("the deleting Refresh was refused: %d %s" % answer.error())


def reflexive_address(sock: socket.socket, server: Tuple[str, int]) -> Tuple[str, int]:
    """A STUN Binding from ``sock``: the address the server sees it at."""
    transaction = os.urandom(12)
    for _attempt in range(3):
        sock.sendto(encode(BINDING, transaction, [], fingerprint=True), server)
        try:
            while True:
                data, _source = sock.recvfrom(4096)
                answer = decode(data)
                if answer.transaction == transaction and answer.kind == BINDING | SUCCESS:
                    return xor_address(answer.attributes[XOR_MAPPED_ADDRESS], transaction)
        except socket.timeout:
            continue
    raise TurnError("no answer to a STUN Binding from %s:%d" % server)


def relay_probe(server: str, port: int, username: str, password: str, count: int = 10,
                timeout: float = 5.0) -> dict:
    """Relay ``count`` datagrams each way between an allocation and a second socket of this machine.

    The second socket stands for the other user's endpoint behind a NAT: it learns its public address with
    a STUN Binding, the client permits that address, the peer speaks first, and each datagram is answered
    through the relay. Returns the addresses, the counts and the round trips (ms, client to peer and back).
    """
    client = Client(server, port, username, password, timeout)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.settimeout(timeout)
    try:
        relayed = client.allocate()
        peer.bind(("0.0.0.0", 0))
        peer_address = reflexive_address(peer, client.server)
        client.create_permission(peer_address[0])
        to_client = to_peer = 0
        round_trips: List[float] = []
        for number in range(count):
            payload = b"rainbow-edge smoke %d " % number + os.urandom(16)
            peer.sendto(payload, relayed)
            source, data = client.receive()
            if data != payload:
                raise TurnError("datagram %d reached the client changed" % number)
            to_client += 1
            started = time.monotonic()
            client.send(source, data[::-1])
            answer, origin = peer.recvfrom(4096)
            round_trips.append(round((time.monotonic() - started) * 1000, 3))
            if answer != payload[::-1] or origin[0] != relayed[0]:
                raise TurnError("datagram %d reached the peer changed or from %s, not the relay" % (number, origin))
            to_peer += 1
        client.release()
        return {"server": "%s:%d" % client.server, "relayed": "%s:%d" % relayed,
                "mapped": "%s:%d" % client.mapped if client.mapped else None, "peer": "%s:%d" % peer_address,
                "relayed_to_client": to_client, "relayed_to_peer": to_peer, "round_trips_ms": round_trips}
    except socket.timeout:
        raise TurnError("a datagram through the relay was lost (no answer in %s s)" % timeout)
    except OSError as error:
        raise TurnError("%s:%d: %s" % (server, port, error))
    finally:
        client.close()
        peer.close()
