"""Lab only: a TURN Allocate over UDP or TLS (RFC 5766, long-term credentials of RFC 5389), reporting the answer.

coturn's turnutils_uclient says only "Cannot complete Allocation" when the
server refuses a credential; this client prints the error code the server
sent (401, 486), so that the tests tell a refused credential from a quota.
Standard library only, run by Debian's python3 on the client host.

    turn_allocate.py SERVER PORT USERNAME [COUNT]   (the password in $PASSWORD)

With $TLS_CA set, over TLS (a TCP stream), verifying the server's certificate
against that CA and the name in $TLS_NAME.

Makes COUNT allocations (default 1), each from its own socket, and prints
one JSON line per allocation: {"code": 0} when allocated (with the relayed
address), else {"code": 401, "reason": "Unauthorized"}.
"""

import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import sys

MAGIC = 0x2112A442
ALLOCATE, ALLOCATE_OK, ALLOCATE_ERROR = 0x0003, 0x0103, 0x0113
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, REALM, NONCE = 0x0006, 0x0008, 0x0009, 0x0014, 0x0015
XOR_RELAYED_ADDRESS, REQUESTED_TRANSPORT = 0x0016, 0x0019
UDP = 17


def attribute(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def message(kind, transaction, attributes, key=None):
    body = b"".join(attribute(k, v) for k, v in attributes)
    if key is None:
        return struct.pack("!HHI", kind, len(body), MAGIC) + transaction + body
    # MESSAGE-INTEGRITY covers the message with the length counting it (24 bytes).
    head = struct.pack("!HHI", kind, len(body) + 24, MAGIC) + transaction
    digest = hmac.new(key, head + body, hashlib.sha1).digest()
    return head + body + attribute(MESSAGE_INTEGRITY, digest)


def parse(data):
    kind, length = struct.unpack("!HH", data[:4])
    attributes, offset = {}, 20
    while offset < 20 + length:
        attr, size = struct.unpack("!HH", data[offset:offset + 4])
        attributes.setdefault(attr, data[offset + 4:offset + 4 + size])
        offset += 4 + size + (-size % 4)
    return kind, attributes


def answer(kind, attributes):
    if kind == ALLOCATE_OK:
        raw = attributes[XOR_RELAYED_ADDRESS]
        port = struct.unpack("!H", raw[2:4])[0] ^ (MAGIC >> 16)
        address = socket.inet_ntoa(struct.pack("!I", struct.unpack("!I", raw[4:8])[0] ^ MAGIC))
        return {"code": 0, "relayed": "%s:%d" % (address, port)}
    raw = attributes.get(ERROR_CODE, b"\0\0\0\0")
    return {"code": (raw[2] & 0x07) * 100 + raw[3], "reason": raw[4:].decode("utf-8", "replace")}


class Datagrams:
    """STUN over UDP: one message per datagram."""

    def __init__(self, server, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(5)
        self.sock.connect((server, port))

    def exchange(self, data):
        self.sock.send(data)
        return self.sock.recv(2048)


class Stream:
    """STUN over TLS: messages one after the other on the stream, each sized by its header."""

    def __init__(self, server, port, ca, name):
        context = ssl.create_default_context(cafile=ca)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.sock = context.wrap_socket(socket.create_connection((server, port), timeout=5), server_hostname=name)

    def _read(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return data

    def exchange(self, data):
        self.sock.sendall(data)
        head = self._read(20)
        return head + self._read(struct.unpack("!H", head[2:4])[0])


def allocate(channel, username, password):
    transport = [(REQUESTED_TRANSPORT, struct.pack("!B3x", UDP))]
    # The first request has no credential: the server answers 401 with its realm and a nonce.
    kind, attributes = parse(channel.exchange(message(ALLOCATE, os.urandom(12), transport)))
    if kind != ALLOCATE_ERROR or REALM not in attributes:
        return answer(kind, attributes)
    realm, nonce = attributes[REALM], attributes[NONCE]
    key = hashlib.md5(b"%s:%s:%s" % (username.encode(), realm, password.encode())).digest()
    signed = transport + [(USERNAME, username.encode()), (REALM, realm), (NONCE, nonce)]
    return answer(*parse(channel.exchange(message(ALLOCATE, os.urandom(12), signed, key))))


def main():
    server, port, username = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    held = []  # the channels stay open: each allocation lives while the next ones are made
    for _allocation in range(count):
        if os.environ.get("TLS_CA"):
            channel = Stream(server, port, os.environ["TLS_CA"], os.environ["TLS_NAME"])
        else:
            channel = Datagrams(server, port)
        held.append(channel)
        print(json.dumps(allocate(channel, username, os.environ["PASSWORD"])), flush=True)


if __name__ == "__main__":
    main()
