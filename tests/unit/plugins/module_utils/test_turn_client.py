"""The smoke test's TURN client (module_utils/turn_client.py): RFC 5769's sample messages, the REST credential
against openssl, and a relay through a scripted TURN server on this machine's loopback."""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import threading

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import turn_client as tc

# RFC 5769 2.4: a request with long-term authentication. Username "マトリックス", realm "example.org",
# password "The<U+00AD>M<U+00AA>tr<U+2168>", which SASLprep makes "TheMatrIX".
LONG_TERM_REQUEST = bytes.fromhex(
    "000100602112a44278ad3433c6ad72c029da412e"
    "00060012e3839ee38388e383aae38383e382afe382b90000"
    "0015001c662f2f3439396b39353464364f4c33346f4c394653547679363473410014000b6578616d706c652e6f726700"
    "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666")
# RFC 5769 2.2 and 2.3: responses with XOR-MAPPED-ADDRESS 192.0.2.1:32853 and
# 2001:db8:1234:5678:11:2233:4455:6677:32853, short-term password "VOkJxbRl1RmTxUk/WvJxBt".
IPV4_RESPONSE = bytes.fromhex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000080001a147e112a643"
    "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96")
IPV6_RESPONSE = bytes.fromhex(
    "010100482112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
    "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
    "80280004c8fb0b4c")
SHORT_TERM_KEY = b"VOkJxbRl1RmTxUk/WvJxBt"


def test_the_long_term_request_is_reproduced_byte_for_byte():
    username, realm = "マトリックス", b"example.org"
    key = tc.long_term_key(username, realm, "TheMatrIX")
    transaction = bytes.fromhex("78ad3433c6ad72c029da412e")
    message = tc.encode(tc.BINDING, transaction, [(tc.USERNAME, username.encode()),
                                                  (tc.NONCE, b"f//499k954d6OL34oL9FSTvy64sA"), (tc.REALM, realm)], key)
    assert message == LONG_TERM_REQUEST
    decoded = tc.decode(LONG_TERM_REQUEST)
    assert tc.integrity_ok(decoded, key)
    assert not tc.integrity_ok(decoded, tc.long_term_key(username, realm, "TheMatrix"))


@pytest.mark.parametrize("response, address", [(IPV4_RESPONSE, ("192.0.2.1", 32853)),
                                               (IPV6_RESPONSE, ("2001:db8:1234:5678:11:2233:4455:6677", 32853))])
def test_the_sample_responses_decode_with_integrity_fingerprint_and_address(response, address):
    message = tc.decode(response)
    assert message.kind == tc.BINDING | tc.SUCCESS
    assert message.attributes[tc.SOFTWARE] == b"test vector"
    assert tc.integrity_ok(message, SHORT_TERM_KEY) and tc.fingerprint_ok(message)
    assert tc.xor_address(message.attributes[tc.XOR_MAPPED_ADDRESS], message.transaction) == address
    assert tc.encode_xor_address(*address, message.transaction) == message.attributes[tc.XOR_MAPPED_ADDRESS]
    damaged = bytearray(response)
    damaged[30] ^= 1  # a byte of SOFTWARE
    assert not tc.integrity_ok(tc.decode(bytes(damaged)), SHORT_TERM_KEY)
    assert not tc.fingerprint_ok(tc.decode(bytes(damaged)))


def test_an_encoded_message_carries_a_fingerprint_the_decoder_accepts():
    transaction = bytes(range(12))
    message = tc.decode(tc.encode(tc.ALLOCATE, transaction, [(tc.LIFETIME, b"\0\0\0\x3c")], b"k" * 16, True))
    assert tc.fingerprint_ok(message) and tc.integrity_ok(message, b"k" * 16)
    assert list(message.attributes) == [tc.LIFETIME, tc.MESSAGE_INTEGRITY, tc.FINGERPRINT]


@pytest.mark.parametrize("data", [b"", b"\0" * 19, b"\0\x01\0\0" + b"\0" * 16, b"\x80\x01\0\0\x21\x12\xa4\x42" + b"\0" * 12])
def test_what_is_not_a_stun_message_is_refused(data):
    with pytest.raises(tc.TurnError):
        tc.decode(data)


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is needed to cross-check the HMAC")
def test_the_rest_credential_is_the_hmac_openssl_computes():
    username, password = tc.rest_credentials("s3cret-of-the-edge", "smoke-a", 3600, now=1_700_000_000)
    assert username == "1700003600:smoke-a"
    digest = subprocess.run(["openssl", "dgst", "-sha1", "-hmac", "s3cret-of-the-edge", "-binary"],
                            input=username.encode(), capture_output=True, check=True).stdout
    assert password == base64.b64encode(digest).decode()


class ScriptedTurnServer(threading.Thread):
    """A TURN server on loopback speaking just what the probe uses, so its logic is tested before coturn runs it:
    401 then Allocate with a relay socket, Binding, CreatePermission, Send and Data indications, Refresh."""

    REALM, NONCE = b"lab.test", b"nonce-1"

    def __init__(self, password: str, answer_key: bytes | None = None, drop_relay: bool = False):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.relay.bind(("127.0.0.1", 0))
        self.password, self.answer_key, self.drop_relay = password, answer_key, drop_relay
        self.client = None
        self.permitted = set()
        self.released = False

    @property
    def port(self):
        return self.sock.getsockname()[1]

    def run(self):
        threading.Thread(target=self._relay_to_client, daemon=True).start()
        while True:
            data, source = self.sock.recvfrom(4096)
            message = tc.decode(data)
            method = message.kind & ~0x0110
            if message.kind == tc.SEND_INDICATION:
                peer = tc.xor_address(message.attributes[tc.XOR_PEER_ADDRESS], message.transaction)
                if peer[0] in self.permitted:
                    self.relay.sendto(message.attributes[tc.DATA_ATTRIBUTE], peer)
                continue
            if method == tc.BINDING:
                self._answer(message, source, [(tc.XOR_MAPPED_ADDRESS, tc.encode_xor_address(
                    source[0], source[1], message.transaction))], signed=False)
                continue
            if tc.USERNAME not in message.attributes:
                self._answer(message, source, [(tc.ERROR_CODE, b"\0\0\x04\x01Unauthorized"),
                                               (tc.REALM, self.REALM), (tc.NONCE, self.NONCE)], error=True,
                             signed=False)
                continue
            key = tc.long_term_key(message.attributes[tc.USERNAME].decode(), self.REALM, self.password)
            if not tc.integrity_ok(message, key):
                self._answer(message, source, [(tc.ERROR_CODE, b"\0\0\x04\x01Unauthorized"),
                                               (tc.REALM, self.REALM), (tc.NONCE, self.NONCE)], error=True,
                             signed=False)
                continue
            if method == tc.ALLOCATE:
                self.client = source
                relayed = self.relay.getsockname()
                self._answer(message, source, [(tc.XOR_RELAYED_ADDRESS, tc.encode_xor_address(
                    relayed[0], relayed[1], message.transaction))], key=key)
            elif method == tc.CREATE_PERMISSION:
                self.permitted.add(tc.xor_address(message.attributes[tc.XOR_PEER_ADDRESS], message.transaction)[0])
                self._answer(message, source, [], key=key)
            elif method == tc.REFRESH:
                self.released = True
                self._answer(message, source, [(tc.LIFETIME, b"\0\0\0\0")], key=key)

    def _answer(self, message, source, attributes, key=None, error=False, signed=True):
        kind = message.kind | (tc.ERROR if error else tc.SUCCESS)
        key = self.answer_key or key
        self.sock.sendto(tc.encode(kind, message.transaction, attributes, key if signed else None, True), source)

    def _relay_to_client(self):
        while True:
            data, peer = self.relay.recvfrom(4096)
            if self.drop_relay or peer[0] not in self.permitted:
                continue
            transaction = bytes(12)
            self.sock.sendto(tc.encode(tc.DATA_INDICATION, transaction, [
                (tc.XOR_PEER_ADDRESS, tc.encode_xor_address(peer[0], peer[1], transaction)),
                (tc.DATA_ATTRIBUTE, data)]), self.client)


def test_the_probe_relays_each_way_and_releases_the_allocation():
    username, password = tc.rest_credentials("secret", "smoke", 600)
    server = ScriptedTurnServer(password)
    server.start()
    result = tc.relay_probe("127.0.0.1", server.port, username, password, count=5, timeout=2)
    assert result["relayed_to_client"] == result["relayed_to_peer"] == 5
    assert len(result["round_trips_ms"]) == 5
    assert result["relayed"] == "127.0.0.1:%d" % server.relay.getsockname()[1]
    assert server.permitted == {"127.0.0.1"} and server.released


def test_a_wrong_password_is_reported_as_the_server_s_refusal():
    server = ScriptedTurnServer("the-right-one")
    server.start()
    with pytest.raises(tc.TurnError, match="Allocate refused: 401 Unauthorized"):
        tc.relay_probe("127.0.0.1", server.port, "1:smoke", "another", count=1, timeout=2)


def test_an_answer_signed_with_another_key_is_not_trusted():
    server = ScriptedTurnServer("pw", answer_key=b"x" * 16)
    server.start()
    with pytest.raises(tc.TurnError, match="no valid MESSAGE-INTEGRITY"):
        tc.relay_probe("127.0.0.1", server.port, "1:smoke", "pw", count=1, timeout=2)


def test_a_relay_that_loses_datagrams_fails_the_probe():
    server = ScriptedTurnServer("pw", drop_relay=True)
    server.start()
    with pytest.raises(tc.TurnError, match="lost"):
        tc.relay_probe("127.0.0.1", server.port, "1:smoke", "pw", count=1, timeout=1)


def test_no_server_is_reported_after_three_tries():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    with pytest.raises(tc.TurnError, match="no answer from 127.0.0.1:%d" % silent.getsockname()[1]):
        tc.relay_probe("127.0.0.1", silent.getsockname()[1], "1:u", "p", timeout=0.2)
    silent.close()
