# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs tier's decisions: the input checks of ``logs`` (the receiver) and
``log_shipping`` (every Edge host), the peers each side accepts, and the
rsyslog inputs of the log files the tiers declare.

Used through the filters of ``plugins/filter/logs_config.py``; unit-tested in
``tests/unit/plugins/module_utils/test_logs_config.py``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import is_int_in, is_ipv4_network, lan_errors

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _lan_errors(prefix: str, inputs: Mapping[str, Any]) -> List[str]:
    errors: List[str] = lan_errors(prefix, inputs)
    domain = inputs.get(prefix + "_domain")
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        errors.append("%s_domain (default: edge_domain): expected the Edge's DNS domain such as edge.example.net "
                      "(the certificates' names, which the other side checks); got %r" % (prefix, domain))
    return errors


def logs_input_errors(inputs: Mapping[str, Any]) -> List[str]:
    """Every problem of the ``logs`` role's converted inputs, each naming its variable."""
    errors = _lan_errors("logs", inputs)
    if not is_int_in(inputs.get("logs_relp_port"), 1024, 65535):
        errors.append("logs_relp_port: expected a TCP port 1024-65535; got %r" % (inputs.get("logs_relp_port"),))
    allowed = inputs.get("logs_allowed_cidrs") or []
    bad = [cidr for cidr in allowed if not is_ipv4_network(cidr)]
    if bad or not allowed:
        errors.append("logs_allowed_cidrs: expected the IPv4 networks of the Edge's hosts in CIDR form; %s"
                      % ("not networks: %r" % bad if bad else "the list is empty"))
    if not is_int_in(inputs.get("logs_retention_days"), 1, 3650):
        errors.append("logs_retention_days: expected 1-3650 days; got %r" % (inputs.get("logs_retention_days"),))
    device = inputs.get("logs_data_device") or ""
    if not str(device).startswith("/dev/"):
        errors.append("logs_data_device: expected the block device of the data volume, such as "
                      "/dev/disk/by-id/virtio-logs-data; got %r" % (device,))
    if not str(inputs.get("logs_data_mount_point") or "").startswith("/"):
        errors.append("logs_data_mount_point: expected an absolute path; got %r" % (inputs.get("logs_data_mount_point"),))
    return errors


def log_shipping_input_errors(inputs: Mapping[str, Any], inventory_hosts: Sequence[str],
                              logs_hosts: Sequence[str]) -> List[str]:
    """Every problem of the ``log_shipping`` role's converted inputs.

    ``inventory_hosts``: every host of the inventory; ``logs_hosts``: the hosts
    of group ``logs`` (the receivers the inventory has).
    """
    errors = _lan_errors("log_shipping", inputs)
    receiver = inputs.get("log_shipping_receiver")
    if not receiver:
        errors.append("log_shipping_receiver (default: the first host of group logs): expected the logs host "
                      "this host ships to; the inventory has no host in group logs")
    elif receiver not in inventory_hosts:
        errors.append("log_shipping_receiver: expected a host of the inventory; got %r" % (receiver,))
    elif receiver not in logs_hosts:
        errors.append("log_shipping_receiver: expected a host of group logs (%s); got %r"
                      % (", ".join(logs_hosts) or "none", receiver))
    if not is_int_in(inputs.get("log_shipping_queue_max_messages"), 1000, 100000000):
        errors.append("log_shipping_queue_max_messages: expected 1000-100000000 messages; got %r"
                      % (inputs.get("log_shipping_queue_max_messages"),))
    if not is_int_in(inputs.get("log_shipping_queue_disk_megabytes"), 16, 1048576):
        errors.append("log_shipping_queue_disk_megabytes: expected 16-1048576 MiB; got %r"
                      % (inputs.get("log_shipping_queue_disk_megabytes"),))
    if not is_int_in(inputs.get("log_shipping_ack_timeout_seconds"), 1, 300):
        errors.append("log_shipping_ack_timeout_seconds: expected 1-300 seconds; got %r"
                      % (inputs.get("log_shipping_ack_timeout_seconds"),))
    if not is_int_in(inputs.get("log_shipping_retry_seconds"), 1, 3600):
        errors.append("log_shipping_retry_seconds: expected 1-3600 seconds; got %r"
                      % (inputs.get("log_shipping_retry_seconds"),))
    return errors


def host_names(hosts: Sequence[str], domain: str) -> List[str]:
    """The names the Edge's certificates carry for ``hosts`` (``<short name>.<domain>``), sorted, once each."""
    return sorted({"%s.%s" % (str(host).split(".", maxsplit=1)[0], domain) for host in hosts})


def rsyslog_string(value: Any) -> str:
    """``value`` as an rsyslog RainerScript string constant, quoted and escaped."""
    text = str(value)
    if any(char in text for char in "\0\n\r"):
        raise ValueError("an rsyslog string cannot hold a NUL or a line break: %r" % (text,))
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def file_inputs(items: Sequence[Mapping[str, Any]]) -> List[Dict[str, str]]:
    """One rsyslog ``imfile`` input per path of the declared ``log_files`` items.

    Each input's tag says which role declared the stream (``<role>-<name>:``),
    so that the logs host files it with the host's other logs and a reader
    knows where it came from; each path is read once, by its first declaration.
    """
    inputs: List[Dict[str, str]] = []
    seen = set()
    for item in sorted(items, key=lambda item: (item["role"], item["name"])):
        for path in item["paths"]:
            if path in seen:
                continue
            seen.add(path)
            inputs.append({"file": path, "tag": "%s-%s:" % (item["role"], item["name"])})
    return inputs
