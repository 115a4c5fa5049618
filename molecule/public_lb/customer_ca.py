# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A test fixture standing in for the customer's public CA: a root, an intermediate and a wildcard certificate.

The Edge serves the certificate the customer buys for its name (a wildcard
signed with SHA-256 by a public CA, its intermediates beside it). This
fixture makes one the same way (web PKI profile) so that the public_lb
scenario runs the production path: the certificate checked before use, its
chain served, clients verifying it against the root.

Usage: python3 customer_ca.py DIR NAME...   writes root.pem, chain.pem (the
certificate, then the intermediate) and key.pem into DIR, once.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Customer CA fixture"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, issuer: str, issuer_key, key, ca: bool, start, days: int, names=()):
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                        critical=True)
    else:
        builder = (builder.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                         critical=True)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   # Where clients learn of a revocation, as a public CA's certificates say (never fetched here).
                   .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                       [x509.UniformResourceIdentifier("http://crl.customer-ca.test/intermediate.crl")],
                       None, None, None)]), critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def make_chain(names, days: int = 90, start=None, key_of_another: bool = False) -> dict:
    """{root, chain, key}: PEM texts; the certificate valid ``days`` from ``start`` (default: yesterday).

    ``key_of_another`` returns a key that is not the certificate's.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    root_key, intermediate_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _key in range(3))
    long_ago = now - datetime.timedelta(days=365)
    root = _certificate("Customer Root fixture", "Customer Root fixture", root_key, root_key, True, long_ago, 3650)
    intermediate = _certificate("Customer Intermediate fixture", "Customer Root fixture", root_key, intermediate_key,
                                True, long_ago, 1825)
    leaf = _certificate(names[0], "Customer Intermediate fixture", intermediate_key, leaf_key, False,
                        start or now - datetime.timedelta(days=1), days, names)
    key = ec.generate_private_key(ec.SECP256R1()) if key_of_another else leaf_key
    return {"root": _pem(root), "chain": _pem(leaf) + _pem(intermediate), "key": _key_pem(key)}


def main(argv: list) -> int:
    target, names = Path(argv[1]), argv[2:]
    if not (target / "chain.pem").exists():
        made = make_chain(names)
        target.mkdir(parents=True, exist_ok=True)
        for name in ("root", "chain", "key"):
            path = target / ("%s.pem" % name)
            path.write_text(made[name])
            path.chmod(0o600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
