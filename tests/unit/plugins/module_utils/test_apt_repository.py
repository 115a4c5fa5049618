"""A repository's pinned signing key and its inputs (module_utils/apt_repository.py)."""

from pathlib import Path

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import apt_repository

KEYS = Path(__file__).parent / "data" / "openpgp"
# As gpg 2.2 printed them when the fixture keys were made (gpg --show-keys).
VENDOR = "7D8D8B5356EF8B24F65F66F00318DBC60C7C0FE5"  # ed25519, OpenPGP v4
OTHER = "7C0DE75B57849A122E372F10B2D2000F341E5E77"   # rsa2048 with no subkey
NAME = "conference_apt_signing_key"


def key(name):
    return (KEYS / name).read_text()


def test_the_fingerprints_are_those_gpg_prints():
    assert apt_repository.primary_fingerprints(key("vendor.asc")) == [VENDOR]
    assert apt_repository.primary_fingerprints(key("other.asc")) == [OTHER]


def test_the_pinned_key_passes_in_gpg_s_spaced_form():
    spaced = " ".join(VENDOR[i:i + 4] for i in range(0, 40, 4)).lower()
    assert apt_repository.signing_key_errors(key("vendor.asc"), spaced, NAME) == []


def test_another_key_than_the_pinned_one_is_refused_naming_both():
    errors = apt_repository.signing_key_errors(key("other.asc"), VENDOR, NAME)
    assert len(errors) == 1 and OTHER in errors[0] and VENDOR in errors[0]


def test_a_second_key_block_beside_the_vendor_s_is_refused():
    """apt trusts every key of a Signed-By file: an extra block would widen the trust."""
    errors = apt_repository.signing_key_errors(key("vendor.asc") + key("other.asc"), VENDOR, NAME)
    assert len(errors) == 1 and "2 primary keys" in errors[0]


def test_an_edited_key_fails_its_checksum():
    lines = key("vendor.asc").splitlines()
    body = next(i for i, line in enumerate(lines) if line.startswith("mDM"))
    lines[body] = lines[body][:10] + ("A" if lines[body][10] != "A" else "B") + lines[body][11:]
    errors = apt_repository.signing_key_errors("\n".join(lines), VENDOR, NAME)
    assert len(errors) == 1 and "checksum" in errors[0]


def test_a_truncated_key_is_refused():
    text = key("vendor.asc")
    assert "END PGP" in apt_repository.signing_key_errors(text[:len(text) // 2], VENDOR, NAME)[0]


@pytest.mark.parametrize("armored, pin, words", [
    ("", VENDOR, ["conference_apt_signing_key is empty"]),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", VENDOR, ["not an ASCII-armored"]),
    (None, "", ["fingerprint is empty", "conference_apt_signing_key is empty"]),
    ("x", "not-hex", ["expected 40 or 64 hex digits", "not an ASCII-armored"]),
])
def test_a_missing_or_wrong_key_or_pin_is_named(armored, pin, words):
    errors = apt_repository.signing_key_errors(armored, pin, NAME)
    assert len(errors) == len(words)
    for error, word in zip(errors, words):
        assert word in error


def repository_inputs(**changes):
    inputs = {"conference_apt_repository_url": "http://mirror.example/janus-backport",
              "conference_apt_repository_suite": "trixie-backports", "conference_apt_repository_components": ["main"],
              "conference_apt_signing_key": key("vendor.asc"), "conference_apt_signing_key_fingerprint": VENDOR}
    inputs.update(changes)
    return inputs


def test_a_good_repository_passes():
    assert apt_repository.repository_errors("conference", repository_inputs()) == []


def test_every_problem_of_a_repository_is_named_with_the_role_s_variables():
    errors = apt_repository.repository_errors("conference", repository_inputs(
        conference_apt_repository_url="ftp://mirror", conference_apt_repository_suite="",
        conference_apt_repository_components=[], conference_apt_signing_key_fingerprint=OTHER), "a Janus backport")
    named = ["conference_apt_repository_url: expected a Janus backport", "conference_apt_repository_suite",
             "conference_apt_repository_components", "conference_apt_signing_key is key"]
    assert len(errors) == len(named), errors
    for error, name in zip(errors, named):
        assert name in error
