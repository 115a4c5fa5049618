# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs tier's decisions: the input checks of ``logs`` (the receiver) and
``log_shipping`` (every Edge host), the peers each side accepts, the
rsyslog inputs of the log files the tiers declare, and the Elastic Stack of
the logs host (its inputs, JVM heaps, and the objects it needs in
Elasticsearch).

Used through the filters of ``plugins/filter/logs_config.py``; unit-tested in
``tests/unit/plugins/module_utils/test_logs_config.py``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.apt_repository import repository_errors
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


# Elasticsearch's heap stays under the JVM's compressed object pointers limit.
MAX_ELASTICSEARCH_HEAP_MB = 31744
MIN_ELASTICSEARCH_HEAP_MB = 1024
DEFAULT_LOGSTASH_HEAP_MB = 1024
MIN_LOGSTASH_HEAP_MB = 256
# What Kibana (node) and the host itself keep beside the two JVMs.
KIBANA_MEMORY_MB = 1024
SYSTEM_MEMORY_MB = 1024
MIN_SECRET = 16
_SECRET = re.compile(r"^[A-Za-z0-9._+=/:,@%^~-]+$")
MIN_ENCRYPTION_KEY = 32
# The Stack's names in Elasticsearch: one data stream of the Edge's logs.
LOGS_DATA_STREAM = "logs-rainbow_edge-edge"
LOGS_INDEX_PATTERN = "logs-rainbow_edge-*"
LOGS_POLICY = "rainbow-edge-logs"
LOGS_WRITER_ROLE = "rainbow_edge_logs_writer"
LOGSTASH_USER = "rainbow_edge_logstash"


def _secret_errors(name: str, value: Any, minimum: int, what: str) -> List[str]:
    if not isinstance(value, str) or len(value) < minimum:
        # Never the value itself: it is a secret.
        return ["%s: expected %s, at least %d characters (vault it); got %s"
                % (name, what, minimum, "an empty value" if not value else "%d characters" % len(str(value)))]
    if not _SECRET.match(value):
        # Written into systemd environment files and Elastic's settings, where quotes, $ and \ would be read.
        return ["%s: expected letters, digits and . _ + = / : , @ %% ^ ~ - only (such as openssl rand -base64 "
                "24 makes); got other characters" % name]
    return []


def elastic_heaps(inputs: Mapping[str, Any], memory_mb: int) -> Dict[str, int]:
    """The JVM heaps (MiB) of Elasticsearch and Logstash on a host of ``memory_mb``.

    Given heaps are kept; 0 is Logstash's 1024 and, for Elasticsearch, half of
    what the host keeps after Logstash, Kibana and the system (the other half
    is the page cache Lucene reads through), between 1024 and 31744.
    """
    logstash = int(inputs.get("logs_logstash_heap_mb") or 0) or DEFAULT_LOGSTASH_HEAP_MB
    elasticsearch = int(inputs.get("logs_elasticsearch_heap_mb") or 0)
    if not elasticsearch:
        left = int(memory_mb) - logstash - KIBANA_MEMORY_MB - SYSTEM_MEMORY_MB
        elasticsearch = min(MAX_ELASTICSEARCH_HEAP_MB, max(MIN_ELASTICSEARCH_HEAP_MB, left // 2))
    return {"elasticsearch": elasticsearch, "logstash": logstash}


def elastic_input_errors(inputs: Mapping[str, Any], memory_mb: Any) -> List[str]:
    """Every problem of the logs role's Elastic Stack inputs (none when ``logs_elastic_stack`` is false)."""
    if not inputs.get("logs_elastic_stack"):
        return []
    errors = repository_errors("logs", inputs, "Elastic's apt repository")
    errors += _secret_errors("logs_elastic_password", inputs.get("logs_elastic_password"), MIN_SECRET,
                             "the password of Elasticsearch's superuser elastic")
    errors += _secret_errors("logs_kibana_system_password", inputs.get("logs_kibana_system_password"), MIN_SECRET,
                             "the password of Kibana's account kibana_system")
    errors += _secret_errors("logs_logstash_password", inputs.get("logs_logstash_password"), MIN_SECRET,
                             "the password of Logstash's account %s" % LOGSTASH_USER)
    errors += _secret_errors("logs_kibana_encryption_key", inputs.get("logs_kibana_encryption_key"),
                             MIN_ENCRYPTION_KEY, "the key Kibana encrypts its saved objects with")
    passwords = ("logs_elastic_password", "logs_kibana_system_password", "logs_logstash_password")
    secrets = [inputs.get(name) for name in passwords]
    if all(secrets) and len(set(secrets)) < len(secrets):
        errors.append("logs_elastic_password, logs_kibana_system_password, logs_logstash_password: expected three "
                      "different passwords; two are the same")
    port = inputs.get("logs_kibana_port")
    if not is_int_in(port, 1024, 65535) or port == inputs.get("logs_relp_port"):
        errors.append("logs_kibana_port: expected a TCP port 1024-65535 other than logs_relp_port; got %r" % (port,))
    allowed = inputs.get("logs_kibana_allowed_cidrs") or []
    bad = [cidr for cidr in allowed if not is_ipv4_network(cidr)]
    if bad or not allowed:
        errors.append("logs_kibana_allowed_cidrs: expected the IPv4 networks that may reach Kibana in CIDR form; %s"
                      % ("not networks: %r" % bad if bad else "the list is empty"))
    given = {name: inputs.get(name) for name in ("logs_elasticsearch_heap_mb", "logs_logstash_heap_mb")}
    if not is_int_in(given["logs_elasticsearch_heap_mb"], 0, MAX_ELASTICSEARCH_HEAP_MB) or \
            given["logs_elasticsearch_heap_mb"] and given["logs_elasticsearch_heap_mb"] < MIN_ELASTICSEARCH_HEAP_MB:
        errors.append("logs_elasticsearch_heap_mb: expected 0 (sized from the host's memory) or %d-%d MiB; got %r"
                      % (MIN_ELASTICSEARCH_HEAP_MB, MAX_ELASTICSEARCH_HEAP_MB, given["logs_elasticsearch_heap_mb"]))
    elif not is_int_in(given["logs_logstash_heap_mb"], 0, 65536) or \
            given["logs_logstash_heap_mb"] and given["logs_logstash_heap_mb"] < MIN_LOGSTASH_HEAP_MB:
        errors.append("logs_logstash_heap_mb: expected 0 (1024) or %d-65536 MiB; got %r"
                      % (MIN_LOGSTASH_HEAP_MB, given["logs_logstash_heap_mb"]))
    elif is_int_in(memory_mb, 1, 1 << 40):
        heaps = elastic_heaps(inputs, memory_mb)
        needed = heaps["elasticsearch"] + heaps["logstash"] + KIBANA_MEMORY_MB + SYSTEM_MEMORY_MB
        if needed > memory_mb:
            errors.append("logs_elasticsearch_heap_mb, logs_logstash_heap_mb: the heaps (%d and %d MiB) with Kibana "
                          "and the system (%d MiB) need %d MiB; this host has %d: give it more memory (the footprint "
                          "says 32 GB) or smaller heaps"
                          % (heaps["elasticsearch"], heaps["logstash"], KIBANA_MEMORY_MB + SYSTEM_MEMORY_MB, needed,
                             memory_mb))
    return errors


def elastic_objects(inputs: Mapping[str, Any]) -> Dict[str, Any]:
    """What Elasticsearch must hold for the Edge's logs, as the module ``elasticsearch_objects`` takes it.

    Logstash writes with an account that may only create documents in the
    Edge's data stream; the data stream's indices roll over daily and are
    deleted ``logs_retention_days`` after (the files' retention); one node,
    so no replica. Written in the form Elasticsearch returns (settings
    nested, values as strings), so that a read compares equal.
    """
    retention = int(inputs["logs_retention_days"])
    return {
        "users": [
            {"name": "kibana_system", "password": inputs["logs_kibana_system_password"], "reserved": True},
            {"name": LOGSTASH_USER, "password": inputs["logs_logstash_password"], "roles": [LOGS_WRITER_ROLE]},
        ],
        "roles": {
            LOGS_WRITER_ROLE: {
                "cluster": ["monitor"],
                "indices": [{"names": [LOGS_INDEX_PATTERN],
                             "privileges": ["auto_configure", "create_doc", "view_index_metadata"]}],
            },
        },
        "ilm_policies": {
            LOGS_POLICY: {
                "phases": {
                    "hot": {"min_age": "0ms",
                            "actions": {"rollover": {"max_age": "1d", "max_primary_shard_size": "50gb"}}},
                    "delete": {"min_age": "%dd" % retention, "actions": {"delete": {}}},
                },
            },
        },
        "index_templates": {
            LOGS_POLICY: {
                "index_patterns": [LOGS_INDEX_PATTERN],
                "data_stream": {},
                # Above the built-in logs-*-* template (priority 100).
                "priority": 500,
                "composed_of": ["logs@mappings", "logs@settings"],
                "template": {"settings": {"index": {"lifecycle": {"name": LOGS_POLICY},
                                                    "number_of_replicas": "0"}}},
            },
        },
    }


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
