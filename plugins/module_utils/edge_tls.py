# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Edge's one TLS design: which host keeps the CA, and when a certificate is signed anew.

Every host makes its own key and signing request; the Edge's CA signs on
the host that keeps it (its key never leaves that host); the certificate
comes back to the host. These functions are the decisions of that flow,
run on the controller (filters ``tls_ca_host``, ``tls_input_errors`` and
``tls_certificate_verdict``): the roles' YAML only moves files.
"""

from __future__ import annotations

import datetime
import warnings
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core depends on cryptography
    HAS_CRYPTOGRAPHY = False

#: The inventory group whose first host keeps the Edge's CA, when the inventory names one.
CA_GROUP = "edge_ca"
#: Without that group (or edge_tls_ca_host), the first host of the first of these groups keeps it:
#: LAN-only tiers first, data tiers before the others; a host facing the WAN comes last.
CA_HOST_PREFERENCE = (
    CA_GROUP, "backup", "metrics", "logs", "mariadb", "mongodb", "swift", "xmpp", "app", "api", "mail",
    "private_lb", "aio", "conference", "turn", "public_lb", "gatekeeper",
)
#: CA/Browser Forum ceiling for a server certificate's lifetime (days); the default stays below it.
MAX_CERTIFICATE_DAYS = 825


def choose_ca_host(groups: Mapping[str, Sequence[str]], given: Optional[str] = "") -> str:
    """The host that keeps the Edge's CA: ``given``, else by CA_HOST_PREFERENCE, else the first host by name.

    The same inventory gives the same host to every role and every play, so an
    Edge has one CA whichever roles a run applies.
    """
    if given:
        return given
    for group in CA_HOST_PREFERENCE:
        members = list(groups.get(group) or [])
        if members:
            return members[0]
    everyone = sorted(set(groups.get("all") or []) - set(groups.get("ungrouped") or [])) or sorted(groups.get("all") or [])
    return everyone[0] if everyone else ""


def _load_certificate(pem: str):
    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


def _public_bytes(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _signed_by(certificate, issuer_key) -> bool:
    """Whether ``issuer_key`` made the signature of ``certificate``."""
    try:
        if isinstance(issuer_key, ec.EllipticCurvePublicKey):
            issuer_key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                              ec.ECDSA(certificate.signature_hash_algorithm))
        elif isinstance(issuer_key, rsa.RSAPublicKey):
            issuer_key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                              padding.PKCS1v15(), certificate.signature_hash_algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _is_ca(certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def tls_input_errors(inputs: Mapping[str, Any], inventory_hosts: Iterable[str]) -> List[str]:
    """Problems of the Edge-wide TLS inputs (``edge_tls_*``, read converted), one message each."""
    errors = []
    hosts = set(inventory_hosts)
    ca_host = inputs.get("edge_tls_ca_host") or ""
    if ca_host and ca_host not in hosts:
        errors.append("edge_tls_ca_host: %s is not a host of this inventory; name the host that keeps the Edge's CA"
                      " (or leave it empty: the first host of group %s, else of the data tiers)" % (ca_host, CA_GROUP))
    days = inputs.get("edge_tls_certificate_days")
    renewal = inputs.get("edge_tls_renewal_days")
    ca_days = inputs.get("edge_tls_ca_days")
    if isinstance(days, int) and not 1 <= days <= MAX_CERTIFICATE_DAYS:
        errors.append("edge_tls_certificate_days: expected 1 to %d days; got %d" % (MAX_CERTIFICATE_DAYS, days))
    if isinstance(days, int) and isinstance(renewal, int) and not 1 <= renewal < days:
        errors.append("edge_tls_renewal_days: expected at least 1 and fewer than edge_tls_certificate_days (%d); got %d"
                      % (days, renewal))
    if isinstance(days, int) and isinstance(ca_days, int) and ca_days <= days:
        errors.append("edge_tls_ca_days: the CA must outlive the certificates it signs (edge_tls_certificate_days %d);"
                      " got %d" % (days, ca_days))
    certificate_pem = inputs.get("edge_tls_ca_certificate") or ""
    key_pem = inputs.get("edge_tls_ca_private_key") or ""
    if bool(certificate_pem) != bool(key_pem):
        errors.append("edge_tls_ca_certificate, edge_tls_ca_private_key: give both (PEM, the key in a vault)"
                      " or neither (the CA host makes its own)")
    elif certificate_pem and HAS_CRYPTOGRAPHY:
        errors += _given_ca_errors(certificate_pem, key_pem)
    return errors


def _given_ca_errors(certificate_pem: str, key_pem: str) -> List[str]:
    try:
        certificate = _load_certificate(certificate_pem)
    except ValueError:
        return ["edge_tls_ca_certificate: expected one PEM certificate (-----BEGIN CERTIFICATE-----)"]
    errors = []
    if not _is_ca(certificate):
        errors.append("edge_tls_ca_certificate: this certificate is not a CA (basicConstraints CA:TRUE)")
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        # The key's text is never repeated in a message.
        errors.append("edge_tls_ca_private_key: expected an unencrypted PEM private key")
    else:
        if _public_bytes(key.public_key()) != _public_bytes(certificate.public_key()):
            errors.append("edge_tls_ca_private_key: this key is not the key of edge_tls_ca_certificate")
    return errors


def _names(subject_alt_name) -> List[str]:
    names = ["DNS:%s" % name for name in subject_alt_name.get_values_for_type(x509.DNSName)]
    names += ["IP:%s" % address for address in subject_alt_name.get_values_for_type(x509.IPAddress)]
    return sorted(names)


def _alt_names(item) -> List[str]:
    try:
        return _names(item.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return []


def _usages(item) -> List[str]:
    try:
        return sorted(usage.dotted_string for usage in item.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return []


def certificate_verdict(current_pem: Optional[str], csr_pem: str, ca_pem: str, renewal_days: int,
                        now: Optional[datetime.datetime] = None) -> Dict[str, Any]:
    """Whether the host's current certificate is kept, and why not: ``{keep, reason}``.

    Kept only when it is for the request's key, subject, names and usages,
    signed by this CA, and valid for more than ``renewal_days`` from ``now``.
    """
    if not current_pem or not current_pem.strip():
        return {"keep": False, "reason": "no certificate yet"}
    try:
        current = _load_certificate(current_pem)
    except ValueError:
        return {"keep": False, "reason": "the current certificate is not readable PEM"}
    request = x509.load_pem_x509_csr(csr_pem.encode() if isinstance(csr_pem, str) else csr_pem)
    ca = _load_certificate(ca_pem)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_after = current.not_valid_after_utc
    if current.issuer != ca.subject or not _signed_by(current, ca.public_key()):
        return {"keep": False, "reason": "signed by another CA than the Edge's (%s)" % current.issuer.rfc4514_string()}
    if _public_bytes(current.public_key()) != _public_bytes(request.public_key()):
        return {"keep": False, "reason": "for another key than the host's"}
    if current.subject != request.subject:
        reason = "for subject %s, wanted %s" % (current.subject.rfc4514_string(), request.subject.rfc4514_string())
        return {"keep": False, "reason": reason}
    if _alt_names(current) != _alt_names(request):
        reason = "for names %s, wanted %s" % (", ".join(_alt_names(current)) or "none",
                                              ", ".join(_alt_names(request)) or "none")
        return {"keep": False, "reason": reason}
    if _usages(current) != _usages(request):
        return {"keep": False, "reason": "for other extended key usages than requested"}
    if not_after - now <= datetime.timedelta(days=renewal_days):
        return {"keep": False, "reason": "expires %s, within the renewal window of %d days"
                % (not_after.strftime("%Y-%m-%d"), renewal_days)}
    return {"keep": True, "reason": "valid until %s" % not_after.strftime("%Y-%m-%d")}


#: Signature hashes a served certificate and its chain may use (the customer's: "signed with SHA-256").
STRONG_HASHES = ("sha256", "sha384", "sha512")
_PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def _pem_certificates(text: str) -> list:
    """Every certificate of a PEM bundle that parses (a system bundle may hold one this library refuses)."""
    certificates = []
    for block in (text or "").split(_PEM_CERTIFICATE)[1:]:
        # Old roots with a non-positive serial make cryptography warn: they are skipped quietly if refused.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                certificates.append(_load_certificate(_PEM_CERTIFICATE + block.split("-----END CERTIFICATE-----")[0]
                                                      + "-----END CERTIFICATE-----\n"))
            except ValueError:
                continue
    return certificates


def served_certificate_errors(field: str, chain_pem: str, key_pem: str, names: Sequence[str], roots_pem: str,
                              renewal_days: int = 30, now: Optional[datetime.datetime] = None) -> List[str]:
    """Problems of a certificate the customer gives for the Edge's public name, checked before it is used.

    ``chain_pem`` is the certificate, then its intermediates; ``roots_pem``
    the roots clients trust (the load balancer's system bundle and any the
    inventory adds). Checked: the key is the certificate's; every signature
    in the chain uses SHA-256 or stronger; the chain leads to a trusted root
    (intermediates given); it covers every name in ``names``; it is valid
    now and for more than ``renewal_days``. Each problem is one line naming
    ``field``; the key's text never appears.
    """
    if not HAS_CRYPTOGRAPHY:  # pragma: no cover - ansible-core depends on cryptography
        return ["%s: the controller's Python lacks the cryptography library needed to check it" % field]
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    chain = _pem_certificates(chain_pem)
    if not chain:
        return ["%s: expected the certificate, then its intermediates, in PEM (-----BEGIN CERTIFICATE-----)" % field]
    leaf, intermediates = chain[0], chain[1:]
    errors = []
    try:
        key = serialization.load_pem_private_key((key_pem or "").encode(), password=None)
    except (ValueError, TypeError):
        errors.append("%s: its private key is not an unencrypted PEM private key" % field)
    else:
        if _public_bytes(key.public_key()) != _public_bytes(leaf.public_key()):
            errors.append("%s: the private key given is not this certificate's key" % field)
    for position, certificate in enumerate(chain):
        algorithm = certificate.signature_hash_algorithm
        if algorithm is not None and algorithm.name not in STRONG_HASHES:
            errors.append("%s: %s is signed with %s, not SHA-256 or stronger"
                          % (field, "the certificate" if position == 0 else "intermediate %d" % position,
                             algorithm.name.upper()))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if not_after <= now:
        errors.append("%s: expired on %s" % (field, not_after.strftime("%Y-%m-%d")))
    elif not_after - now <= datetime.timedelta(days=renewal_days):
        errors.append("%s: expires on %s, within %d days: renew it first"
                      % (field, not_after.strftime("%Y-%m-%d"), renewal_days))
    elif not_before > now:
        errors.append("%s: not valid before %s" % (field, not_before.strftime("%Y-%m-%d")))
    roots = _pem_certificates(roots_pem)
    if not roots:
        return errors + ["%s: no trusted root to check the chain against" % field]
    # The chain and the names are checked at a time the certificate is valid, so that an expired
    # certificate is reported once, as expired.
    moment = min(max(now, not_before), not_after - datetime.timedelta(seconds=1))
    verifier_policy = PolicyBuilder().store(Store(roots)).time(moment)
    for name in names:
        try:
            verifier_policy.build_server_verifier(x509.DNSName(name)).verify(leaf, intermediates)
        except VerificationError as error:
            text = str(error).split(" (encountered processing", maxsplit=1)[0]
            if "subjectAltName" in text:
                errors.append("%s: does not cover %s (%s)" % (field, name, text))
            else:
                errors.append("%s: no complete chain to a trusted root for %s (%s): give the intermediates "
                              "after the certificate" % (field, name, text))
    return errors
