# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Edge's TLS decisions as filters (docs in tls_*.yml beside; logic in module_utils/edge_tls.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.module_utils import edge_tls


def tls_ca_host(groups, given=""):
    return edge_tls.choose_ca_host(groups, given)


def tls_input_errors(inputs, inventory_hosts):
    return edge_tls.tls_input_errors(dict(inputs), list(inventory_hosts))


def tls_certificate_verdict(current_pem, csr_pem, ca_pem, renewal_days):
    try:
        return edge_tls.certificate_verdict(current_pem, csr_pem, ca_pem, int(renewal_days))
    except ValueError as error:
        raise AnsibleFilterError("tls_certificate_verdict: %s" % error) from error


def tls_served_certificate_errors(chain_pem, field, key_pem, names, roots_pem, renewal_days=30):
    return edge_tls.served_certificate_errors(field, chain_pem or "", key_pem or "", list(names or []),
                                              roots_pem or "", int(renewal_days))


class FilterModule:
    """The shared role's tls entry point."""

    def filters(self) -> dict:
        return {
            "tls_ca_host": tls_ca_host,
            "tls_input_errors": tls_input_errors,
            "tls_certificate_verdict": tls_certificate_verdict,
            "tls_served_certificate_errors": tls_served_certificate_errors,
        }
