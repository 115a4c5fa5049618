"""The Edge's TLS decisions (plugins/module_utils/edge_tls.py)."""

from __future__ import annotations

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.rainbow.edge.plugins.filter.edge_tls import (
    tls_ca_host, tls_certificate_verdict, tls_input_errors, tls_served_certificate_errors)

NOW = datetime.datetime(2026, 12, 3, tzinfo=datetime.timezone.utc)
GOOD = {"edge_tls_ca_host": "", "edge_tls_certificate_days": 397, "edge_tls_renewal_days": 30, "edge_tls_ca_days": 3650,
        "edge_tls_ca_certificate": "", "edge_tls_ca_private_key": ""}


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(item):
    return item.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def make_ca(common_name="rainbow.edge CA lab", ca=True):
    key = ec.generate_private_key(ec.SECP384R1())
    certificate = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
                   .sign(key, hashes.SHA256()))
    return key, certificate


def make_request(key, common_name="db1.lab", names=("db1", "db1.lab"), addresses=("10.20.0.21",),
                 usages=(ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)):
    alt = [x509.DNSName(name) for name in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    return (x509.CertificateSigningRequestBuilder().subject_name(_name(common_name))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
            .sign(key, hashes.SHA256()))


def sign(request, ca_key, ca_certificate, days=397, start=NOW):
    builder = (x509.CertificateBuilder().subject_name(request.subject).issuer_name(ca_certificate.subject)
               .public_key(request.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days)))
    for extension in request.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return builder.sign(ca_key, hashes.SHA256())


@pytest.fixture(scope="module")
def edge():
    ca_key, ca_certificate = make_ca()
    host_key = ec.generate_private_key(ec.SECP384R1())
    request = make_request(host_key)
    return {"ca_key": ca_key, "ca": ca_certificate, "key": host_key, "request": request,
            "current": sign(request, ca_key, ca_certificate)}


def verdict(edge, current, request=None, renewal_days=30, now=NOW):
    from ansible_collections.rainbow.edge.plugins.module_utils.edge_tls import certificate_verdict
    return certificate_verdict(_pem(current) if current is not None else "", _pem(request or edge["request"]),
                               _pem(edge["ca"]), renewal_days, now=now)


def test_a_current_certificate_is_kept_until_its_renewal_window(edge):
    assert verdict(edge, edge["current"]) == {"keep": True, "reason": "valid until 2028-01-04"}
    late = NOW + datetime.timedelta(days=397 - 30)
    assert verdict(edge, edge["current"], now=late) == {
        "keep": False, "reason": "expires 2028-01-04, within the renewal window of 30 days"}
    assert verdict(edge, edge["current"], now=late - datetime.timedelta(days=1))["keep"]


def test_no_or_unreadable_certificate_is_signed(edge):
    assert verdict(edge, None) == {"keep": False, "reason": "no certificate yet"}
    assert tls_certificate_verdict("garbage", _pem(edge["request"]), _pem(edge["ca"]), "30") == {
        "keep": False, "reason": "the current certificate is not readable PEM"}


def test_a_certificate_of_another_ca_is_replaced_even_under_the_same_name(edge):
    other_key, other_ca = make_ca()  # same subject, another key: a CA made anew
    forged = sign(edge["request"], other_key, other_ca)
    assert verdict(edge, forged) == {
        "keep": False, "reason": "signed by another CA than the Edge's (CN=rainbow.edge CA lab)"}


def test_a_changed_key_name_address_or_usage_is_signed_anew(edge):
    new_key = ec.generate_private_key(ec.SECP384R1())
    assert verdict(edge, edge["current"], make_request(new_key))["reason"] == "for another key than the host's"
    moved = make_request(edge["key"], addresses=("10.20.0.99",))
    assert verdict(edge, edge["current"], moved) == {
        "keep": False, "reason": "for names DNS:db1, DNS:db1.lab, IP:10.20.0.21, wanted DNS:db1, DNS:db1.lab, IP:10.20.0.99"}
    renamed = make_request(edge["key"], common_name="db9.lab")
    assert verdict(edge, edge["current"], renamed)["reason"] == "for subject CN=db1.lab, wanted CN=db9.lab"
    server_only = make_request(edge["key"], usages=(ExtendedKeyUsageOID.SERVER_AUTH,))
    assert verdict(edge, edge["current"], server_only)["reason"] == "for other extended key usages than requested"


@pytest.mark.parametrize("groups, given, expected", [
    ({"all": ["gk1", "db1", "sw1"], "gatekeeper": ["gk1"], "mariadb": ["db1"], "swift": ["sw1"]}, "", "db1"),
    ({"all": ["gk1", "db1", "m1"], "gatekeeper": ["gk1"], "mariadb": ["db1"], "metrics": ["m1"]}, "", "m1"),
    ({"all": ["gk1", "db1"], "edge_ca": ["gk1"], "mariadb": ["db1"]}, "", "gk1"),
    ({"all": ["gk2", "gk1"], "gatekeeper": ["gk2", "gk1"]}, "", "gk2"),
    ({"all": ["b", "a"], "ungrouped": ["b", "a"]}, "", "a"),
    ({"all": ["gk1", "db1"], "mariadb": ["db1"]}, "gk1", "gk1"),
    # A relay on the LAN, not a lab or application host that happens to sort first.
    ({"all": ["mail-app", "mail1"], "mail": ["mail1"], "lab_app": ["mail-app"]}, "", "mail1"),
    ({"all": ["a-client", "api1"], "api": ["api1"], "turn": ["t1"]}, "", "api1"),
    ({"all": []}, "", ""),
])
def test_one_ca_host_per_inventory(groups, given, expected):
    assert tls_ca_host(groups, given) == expected


def test_the_tls_inputs_are_checked_together():
    assert tls_input_errors(GOOD, ["db1"]) == []
    bad = dict(GOOD, edge_tls_ca_host="ghost", edge_tls_certificate_days=900, edge_tls_renewal_days=900,
               edge_tls_ca_days=800, edge_tls_ca_certificate="-----BEGIN CERTIFICATE-----")
    assert tls_input_errors(bad, ["db1"]) == [
        "edge_tls_ca_host: ghost is not a host of this inventory; name the host that keeps the Edge's CA"
        " (or leave it empty: the first host of group edge_ca, else of the data tiers)",
        "edge_tls_certificate_days: expected 1 to 825 days; got 900",
        "edge_tls_renewal_days: expected at least 1 and fewer than edge_tls_certificate_days (900); got 900",
        "edge_tls_ca_days: the CA must outlive the certificates it signs (edge_tls_certificate_days 900); got 800",
        "edge_tls_ca_certificate, edge_tls_ca_private_key: give both (PEM, the key in a vault)"
        " or neither (the CA host makes its own)",
    ]


def test_a_ca_given_by_the_inventory_must_be_a_ca_with_its_key(edge):
    key, certificate = make_ca()
    given = dict(GOOD, edge_tls_ca_certificate=_pem(certificate), edge_tls_ca_private_key=_key_pem(key))
    assert tls_input_errors(given, []) == []
    wrong_key = dict(given, edge_tls_ca_private_key=_key_pem(edge["key"]))
    assert tls_input_errors(wrong_key, []) == [
        "edge_tls_ca_private_key: this key is not the key of edge_tls_ca_certificate"]
    leaf = dict(given, edge_tls_ca_certificate=_pem(edge["current"]), edge_tls_ca_private_key="not a key")
    errors = tls_input_errors(leaf, [])
    assert errors == ["edge_tls_ca_certificate: this certificate is not a CA (basicConstraints CA:TRUE)",
                      "edge_tls_ca_private_key: expected an unencrypted PEM private key"]
    assert all("not a key" not in error for error in errors)
    assert tls_input_errors(dict(given, edge_tls_ca_certificate="junk"), []) == [
        "edge_tls_ca_certificate: expected one PEM certificate (-----BEGIN CERTIFICATE-----)"]


def _public_chain(leaf_days=90, leaf_start=NOW - datetime.timedelta(days=1), names=("*.example.test",),
                  leaf_hash=None):
    """A root, an intermediate and a wildcard leaf as a public CA issues them (web PKI profile)."""
    root_key, intermediate_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _key in range(3))

    def certificate(subject, issuer, issuer_key, key, ca, start, days, algorithm=hashes.SHA256()):
        builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                                  critical=False))
        if ca:
            builder = (builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                             critical=True)
                       .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
        else:
            builder = (builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                                             critical=False)
                       .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        return builder.sign(issuer_key, algorithm)

    long_ago = NOW - datetime.timedelta(days=365)
    root = certificate("Root", "Root", root_key, root_key, True, long_ago, 3650)
    intermediate = certificate("Intermediate", "Root", root_key, intermediate_key, True, long_ago, 1825)
    leaf = certificate(names[0], "Intermediate", intermediate_key, leaf_key, False, leaf_start, leaf_days,
                       leaf_hash or hashes.SHA256())
    return {"root": _pem(root), "intermediate": _pem(intermediate), "leaf": _pem(leaf), "key": _key_pem(leaf_key),
            "other_key": _key_pem(intermediate_key)}


def _served(chain, key, names=("edge1.example.test",), roots=None, now=NOW):
    from ansible_collections.rainbow.edge.plugins.module_utils.edge_tls import served_certificate_errors
    return served_certificate_errors("public_lb_certificate", chain, key, list(names), roots, now=now)


def test_a_customer_wildcard_with_its_chain_and_key_is_served():
    given = _public_chain()
    assert _served(given["leaf"] + given["intermediate"], given["key"], roots=given["root"]) == []
    # The filter reads the same way (the current time: the chain above is valid around now too).
    assert tls_served_certificate_errors(given["leaf"] + given["intermediate"], "public_lb_certificate",
                                         given["key"], ["edge1.example.test"], given["root"]) == []


def test_a_customer_certificate_is_refused_with_every_problem_and_never_its_key():
    given = _public_chain()
    errors = _served(given["leaf"], given["other_key"], names=["edge1.example.test", "edge.other.test"],
                     roots=given["root"])
    assert errors[0] == "public_lb_certificate: the private key given is not this certificate's key"
    assert errors[1].startswith("public_lb_certificate: no complete chain to a trusted root for edge1.example.test")
    assert errors[1].endswith("give the intermediates after the certificate")
    assert errors[2].startswith("public_lb_certificate: does not cover edge.other.test")
    assert len(errors) == 3 and "PRIVATE KEY" not in " ".join(errors)
    expired = _public_chain(leaf_days=30, leaf_start=NOW - datetime.timedelta(days=40))
    assert _served(expired["leaf"] + expired["intermediate"], expired["key"], roots=expired["root"]) == [
        "public_lb_certificate: expired on 2026-11-23"]
    soon = _public_chain(leaf_days=20)
    assert _served(soon["leaf"] + soon["intermediate"], soon["key"], roots=soon["root"]) == [
        "public_lb_certificate: expires on 2026-12-22, within 30 days: renew it first"]
    weak = _public_chain(leaf_hash=hashes.SHA224())
    assert "public_lb_certificate: the certificate is signed with SHA224, not SHA-256 or stronger" in _served(
        weak["leaf"] + weak["intermediate"], weak["key"], roots=weak["root"])
    assert _served("not a certificate", given["key"], roots=given["root"]) == [
        "public_lb_certificate: expected the certificate, then its intermediates, in PEM (-----BEGIN CERTIFICATE-----)"]
    assert _served(given["leaf"] + given["intermediate"], "", roots=given["root"]) == [
        "public_lb_certificate: its private key is not an unencrypted PEM private key"]
