"""Unit tests for the rainbow.edge input-format Jinja tests (tcp_port, dns_domain, unix_user, ssh_public_key, http_url)."""

import base64
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.rainbow.edge.plugins.test.input_formats import TestModule as InputFormatTests
from ansible_collections.rainbow.edge.plugins.test.input_formats import (
    SSH_KEY_TYPES, dns_domain, http_url, ssh_public_key, tcp_port, unix_user,
)


def _key(key_type: str, payload: bytes = b"\x00\x00\x00\x20" + bytes(range(32)), named: str | None = None) -> str:
    """An authorized_keys line whose key data names ``named`` (default: the key type itself)."""
    name = (named or key_type).encode()
    return f"{key_type} {base64.b64encode(struct.pack('>I', len(name)) + name + payload).decode()}"


ED25519 = _key("ssh-ed25519")


def test_every_test_is_registered():
    assert set(InputFormatTests().tests()) == {"tcp_port", "dns_domain", "unix_user", "ssh_public_key", "http_url"}


@given(st.integers())
def test_a_port_is_exactly_a_whole_number_from_1_to_65535(number):
    assert tcp_port(number) == (1 <= number <= 65535)


@given(st.integers(min_value=1, max_value=65535), st.integers(min_value=1, max_value=65535))
def test_the_minimum_raises_the_lower_bound_only(number, minimum):
    assert tcp_port(number, minimum) == (number >= minimum)


@pytest.mark.parametrize("value", ["22", 22.0, True, None, [22]])
def test_a_port_is_never_text_a_float_or_a_boolean(value):
    assert not tcp_port(value)


@pytest.mark.parametrize("value", ["edge.example.com", "lab.rainbow-edge.test", "a.io", "x1.example.org"])
def test_domains_accepted(value):
    assert dns_domain(value)


@pytest.mark.parametrize("value", [
    "example", "Edge.Example.com", "edge.example.com.", "10.20.0.1", "-edge.example.com", "edge..example.com",
    "edge_1.example.com", "a." + "b" * 64 + ".com", ".".join(["abcdefghij"] * 25) + ".com", "", None, 42,
])
def test_domains_refused(value):
    assert not dns_domain(value)


@pytest.mark.parametrize("value", ["rainbow-ops", "_svc", "a" * 32])
def test_user_names_accepted(value):
    assert unix_user(value)


@pytest.mark.parametrize("value", ["Root", "1ops", "a" * 33, "ops user", "", None])
def test_user_names_refused(value):
    assert not unix_user(value)


@pytest.mark.parametrize("key_type", sorted(SSH_KEY_TYPES))
def test_every_supported_key_type_is_accepted_with_or_without_comment(key_type):
    assert ssh_public_key(_key(key_type))
    assert ssh_public_key(_key(key_type) + " ops@laptop with spaces")


@pytest.mark.parametrize("value", [
    "not a key",
    "ssh-dss " + _key("ssh-dss").split()[1],           # DSA: sshd no longer takes it
    "ssh-ed25519 AAAA",                                 # truncated paste
    "ssh-ed25519 " + _key("ssh-rsa").split()[1],        # key data of another type
    _key("ssh-ed25519", payload=b""),                   # a type name and nothing else
    ED25519[:-6],                                       # cut in the middle of the base64
    ED25519 + "\nssh-ed25519 AAAA",                     # two lines in one item
    "ssh-ed25519",
    "", None,
])
def test_what_sshd_would_not_take_is_refused(value):
    assert not ssh_public_key(value)


@given(st.binary(min_size=1, max_size=96))
def test_key_data_naming_its_type_is_accepted_whatever_follows(payload):
    assert ssh_public_key(_key("ssh-ed25519", payload=payload))


@pytest.mark.parametrize("value", [
    "http://deb.debian.org/debian", "https://security.debian.org/debian-security", "http://10.20.0.1:3142",
    "http://mirror:3142/", "https://repo.mongodb.org/apt/debian",
])
def test_urls_accepted(value):
    assert http_url(value)


@pytest.mark.parametrize("value", [
    "ftp://deb.debian.org/debian", "deb.debian.org/debian", "http://", "http://user:secret@mirror/",
    "http://mirror:0/", "http://mirror:70000/", "http://mirror:port/", "http://mir ror/", "http://-bad-.example/",
    "", None,
])
def test_urls_refused(value):
    assert not http_url(value)
