# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The metrics tier's decisions: its input check, Prometheus's scrape jobs, retention, Alertmanager's routes.

Used by the ``metrics`` role through the filters of ``plugins/filter/metrics_config.py``;
unit-tested in ``tests/unit/plugins/module_utils/test_metrics_config.py``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.rainbow.edge.plugins.module_utils.edge_contributions import PROBE_MODULES
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    is_int_in, is_ipv4_address, is_ipv4_network, lan_errors,
)

_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOSTPORT = re.compile(r"^[A-Za-z0-9.-]+:([0-9]{1,5})$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_PROBE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# Labels Prometheus sets itself on every target.
_RESERVED_LABELS = frozenset({"job", "instance", "host", "role"})
# The probes' own label: which declared endpoint a probe_* series is about.
_PROBE_LABEL = "probe"
#: The blackbox exporter's modules an operator may name in metrics_probe_targets:
#: the declared ones, and TLS verified against the system's CAs (an endpoint
#: with a publicly signed certificate, such as the Edge's public name).
OPERATOR_PROBE_MODULES = PROBE_MODULES + ("tls_public",)
#: Seconds the blackbox exporter gives one probe (Prometheus's scrape timeout bounds it too).
PROBE_TIMEOUT_SECONDS = 5
# Units of Prometheus's --storage.tsdb.retention.size (powers of 1024).
_MIB = 1024 * 1024


class MetricsError(Exception):
    """A request the metrics tier cannot act on."""


def input_errors(inputs: Mapping[str, Any]) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable."""
    errors: List[str] = lan_errors("metrics", inputs)
    ports = ("metrics_port", "metrics_alertmanager_port", "metrics_blackbox_port")
    for name in ports:
        if not is_int_in(inputs.get(name), 1024, 65535):
            errors.append("%s: expected a TCP port 1024-65535; got %r" % (name, inputs.get(name)))
    for index, name in enumerate(ports):
        for other in ports[index + 1:]:
            if inputs.get(name) == inputs.get(other):
                errors.append("%s, %s: expected different ports; both are %r" % (name, other, inputs.get(name)))
    allowed = inputs.get("metrics_allowed_cidrs") or []
    bad = [cidr for cidr in allowed if not is_ipv4_network(cidr)]
    if bad or not allowed:
        errors.append("metrics_allowed_cidrs: expected IPv4 networks in CIDR form (the LAN and the tunnel's); %s"
                      % ("not networks: %r" % bad if bad else "the list is empty"))
    labels = inputs.get("metrics_external_labels") or {}
    bad_labels = (sorted(str(key) for key, value in labels.items()
                         if not _LABEL.match(str(key)) or key in _RESERVED_LABELS or not isinstance(value, str)
                         or not value)
                  if isinstance(labels, Mapping) else [repr(labels)])
    if bad_labels:
        errors.append("metrics_external_labels: expected label names of [a-zA-Z0-9_] (not %s) with non-empty text "
                      "values; wrong: %s" % (", ".join(sorted(_RESERVED_LABELS)), ", ".join(bad_labels)))
    for name in ("metrics_scrape_interval_seconds", "metrics_evaluation_interval_seconds"):
        if not is_int_in(inputs.get(name), 1, 300):
            errors.append("%s: expected 1-300 seconds; got %r" % (name, inputs.get(name)))
    if not is_int_in(inputs.get("metrics_retention_days"), 1, 3650):
        errors.append("metrics_retention_days: expected 1-3650 days; got %r" % (inputs.get("metrics_retention_days"),))
    if not is_int_in(inputs.get("metrics_retention_size_percent"), 1, 95):
        errors.append("metrics_retention_size_percent: expected 1-95 (%% of the data volume); got %r"
                      % (inputs.get("metrics_retention_size_percent"),))
    device = inputs.get("metrics_data_device") or ""
    if not str(device).startswith("/dev/"):
        errors.append("metrics_data_device: expected the block device of the data volume, such as "
                      "/dev/disk/by-id/virtio-metrics-data; got %r" % (device,))
    if not str(inputs.get("metrics_data_mount_point") or "").startswith("/"):
        errors.append("metrics_data_mount_point: expected an absolute path; got %r"
                      % (inputs.get("metrics_data_mount_point"),))
    user = inputs.get("metrics_federation_user") or ""
    if not re.match(r"^[A-Za-z0-9_.-]{1,64}$", str(user)):
        errors.append("metrics_federation_user: expected an account name of letters, digits, _ . and -; got %r"
                      % (user,))
    password = inputs.get("metrics_federation_password") or ""
    if len(password) < 16:
        errors.append("metrics_federation_password: expected the federation account's password, at least 16 "
                      "characters, from ansible-vault; %s" % ("it is empty" if not password else "it is too short"))
    errors += _alert_errors(inputs)
    errors += _probe_target_errors(inputs.get("metrics_probe_targets"))
    return errors


def _probe_target_errors(targets: Any) -> List[str]:
    """Problems of the operator's own probe targets (``metrics_probe_targets``)."""
    if targets in (None, []):
        return []
    if not isinstance(targets, list):
        return ["metrics_probe_targets: expected a list of {name, address, port, module}; got %r" % (targets,)]
    errors: List[str] = []
    fields = {"name", "address", "port", "module", "labels"}
    for index, target in enumerate(targets):
        where = "metrics_probe_targets[%d]" % index
        if not isinstance(target, Mapping):
            errors.append("%s: expected a mapping {name, address, port, module}; got %r" % (where, target))
            continue
        errors += ["%s: unknown field %r (known: %s)" % (where, key, ", ".join(sorted(fields)))
                   for key in target if key not in fields]
        if not isinstance(target.get("name"), str) or not _PROBE_NAME.match(target["name"]):
            errors.append("%s.name: expected a probe name of [a-z0-9_-]; got %r" % (where, target.get("name")))
        address = target.get("address")
        if not is_ipv4_address(address) and not (isinstance(address, str) and _DNS_NAME.match(address)):
            errors.append("%s.address: expected an IPv4 address or a DNS name; got %r" % (where, address))
        if not is_int_in(target.get("port"), 1, 65535):
            errors.append("%s.port: expected a TCP port 1-65535; got %r" % (where, target.get("port")))
        if target.get("module") not in OPERATOR_PROBE_MODULES:
            errors.append("%s.module: expected one of %s; got %r"
                          % (where, ", ".join(OPERATOR_PROBE_MODULES), target.get("module")))
        labels = target.get("labels", {})
        if not isinstance(labels, Mapping) or any(
                not isinstance(key, str) or not _LABEL.match(key) or key in _RESERVED_LABELS | {_PROBE_LABEL}
                or not isinstance(value, str) for key, value in labels.items()):
            errors.append("%s.labels: expected label names of [a-zA-Z0-9_] (not %s) with text values; got %r"
                          % (where, ", ".join(sorted(_RESERVED_LABELS | {_PROBE_LABEL})), labels))
    return errors


def _alert_errors(inputs: Mapping[str, Any]) -> List[str]:
    errors: List[str] = []
    hooks = inputs.get("metrics_alert_webhook_urls") or []
    bad = [url for url in hooks if not isinstance(url, str) or not _URL.match(url)]
    if bad:
        errors.append("metrics_alert_webhook_urls: expected http(s) URLs; not URLs: %r" % bad)
    recipients = inputs.get("metrics_alert_email_to") or []
    smarthost = inputs.get("metrics_alert_smarthost") or ""
    bad = [address for address in recipients if not isinstance(address, str) or not _EMAIL.match(address)]
    if bad:
        errors.append("metrics_alert_email_to: expected e-mail addresses; not addresses: %r" % bad)
    match = _HOSTPORT.match(smarthost)
    if smarthost and (not match or not 1 <= int(match.group(1)) <= 65535):
        errors.append("metrics_alert_smarthost: expected the Edge's mail relay as host:port; got %r" % (smarthost,))
    if recipients and not smarthost:
        errors.append("metrics_alert_email_to: recipients are given but metrics_alert_smarthost is empty (the "
                      "inventory has no host in group mail): e-mail needs the Edge's mail relay (host:port)")
    if smarthost and not _EMAIL.match(str(inputs.get("metrics_alert_email_from") or "")):
        errors.append("metrics_alert_email_from: expected the sender's e-mail address; got %r"
                      % (inputs.get("metrics_alert_email_from"),))
    if not hooks and not recipients:
        errors.append("metrics_alert_webhook_urls, metrics_alert_email_to: expected at least one webhook or "
                      "recipient: alerts would reach no one")
    for name, low, high in (("metrics_alert_group_wait_seconds", 1, 3600),
                            ("metrics_alert_group_interval_seconds", 1, 86400),
                            ("metrics_alert_repeat_interval_hours", 1, 168)):
        if not is_int_in(inputs.get(name), low, high):
            errors.append("%s: expected %d-%d; got %r" % (name, low, high, inputs.get(name)))
    return errors


def scrape_configs(items: Sequence[Mapping[str, Any]], ca_file: str = "") -> Dict[str, Any]:
    """Prometheus scrape jobs from the declared scrape targets: ``{configs, errors}``.

    One job per declared job name; every target carries the labels ``host``
    (inventory name) and ``role`` (the declaring role) and its own. Declarations
    of one job must agree on scheme and path; an endpoint declared twice is an
    error (it would be scraped twice, its series clashing). An HTTPS job verifies
    its targets' certificates against ``ca_file``, the Edge's CA, which signs
    every tier's certificate (without it Prometheus knows only the system's
    roots, and every such target is down: "certificate signed by unknown
    authority"), with TLS 1.2 at least.
    """
    jobs: Dict[str, Dict[str, Any]] = {}
    seen: Dict[str, str] = {}
    errors: List[str] = []
    for item in items:
        endpoint = "%s:%s" % (item["address"], item["port"])
        who = "%s (role %s, job %s)" % (item["host"], item["role"], item["job"])
        if endpoint in seen:
            errors.append("scrape target %s is declared twice: by %s and by %s" % (endpoint, seen[endpoint], who))
            continue
        seen[endpoint] = who
        scheme, path = item.get("scheme", "http"), item.get("path", "/metrics")
        job = jobs.setdefault(item["job"], dict({"job_name": item["job"], "scheme": scheme, "metrics_path": path,
                                                 "static_configs": []}, **_scrape_tls(scheme, ca_file)))
        if (job["scheme"], job["metrics_path"]) != (scheme, path):
            errors.append("job %s: %s declares %s://...%s, other targets of the job %s://...%s"
                          % (item["job"], who, scheme, path, job["scheme"], job["metrics_path"]))
            continue
        labels = dict(item.get("labels") or {}, host=item["host"], role=item["role"])
        job["static_configs"].append({"targets": [endpoint], "labels": labels})
    configs = [jobs[name] for name in sorted(jobs)]
    for job in configs:
        job["static_configs"].sort(key=lambda config: (config["labels"]["host"], config["targets"][0]))
    return {"configs": configs, "errors": errors}


def _scrape_tls(scheme: str, ca_file: str) -> Dict[str, Any]:
    if scheme != "https":
        return {}
    return {"tls_config": dict({"ca_file": ca_file} if ca_file else {}, min_version="TLS12")}


def probe_scrape_config(declared: Sequence[Mapping[str, Any]], operator: Optional[Sequence[Mapping[str, Any]]],
                        exporter: str) -> Dict[str, Any]:
    """The scrape job of the blackbox exporter's probes: ``{configs, errors}``.

    ``declared`` are the tiers' ``probe_targets`` (each with its ``host`` and
    ``role``), ``operator`` the inventory's ``metrics_probe_targets`` (labelled
    role ``inventory``, no host). Prometheus asks the exporter at ``exporter``
    (host:port) to probe each target with its module; every series keeps the
    target as ``instance`` and the probe's name as ``probe``. Several hosts of a
    role declaring the same probe alike (a VIP they share) make one probe without
    a ``host`` label. A probe name used twice by one host's role (or in the
    inventory's list), or an endpoint probed with the same module twice, is an
    error (the series would clash).
    """
    # An endpoint a role's hosts share (a VIP) is declared alike by each: one
    # probe, with no host label (either host may hold it).
    shared: Dict[Any, List[str]] = {}
    for item in declared:
        shared.setdefault(_probe_key(item), []).append(item["host"])
    targets: List[Dict[str, Any]] = []
    for item in declared:
        hosts = shared[_probe_key(item)]
        if len(hosts) == 1:
            targets.append(dict(item))
        elif item["host"] == hosts[0]:
            targets.append({key: value for key, value in item.items() if key != "host"})
    targets += [dict(item, role="inventory") for item in operator or []]
    errors: List[str] = []
    by_name: Dict[str, str] = {}
    by_endpoint: Dict[Any, str] = {}
    static_configs = []
    for item in targets:
        endpoint = "%s:%s" % (item["address"], item["port"])
        who = ("%s (role %s)" % (item["host"], item["role"]) if "host" in item
               else "metrics_probe_targets" if item["role"] == "inventory"
               else "the hosts of role %s" % item["role"])
        name = (item.get("host"), item["role"], item["name"])
        if name in by_name:
            errors.append("probe %s is declared twice: by %s and by %s" % (item["name"], by_name[name], who))
            continue
        if (endpoint, item["module"]) in by_endpoint:
            errors.append("probe of %s with module %s is declared twice: by %s and by %s"
                          % (endpoint, item["module"], by_endpoint[(endpoint, item["module"])], who))
            continue
        by_name[name] = by_endpoint[(endpoint, item["module"])] = who
        labels = dict(item.get("labels") or {}, probe=item["name"], role=item["role"], __param_module=item["module"])
        if "host" in item:
            labels["host"] = item["host"]
        static_configs.append({"targets": [endpoint], "labels": labels})
    if not static_configs:
        return {"configs": [], "errors": errors}
    static_configs.sort(key=lambda config: (config["labels"].get("host", ""), config["labels"]["probe"]))
    job = {
        "job_name": "probe",
        "metrics_path": "/probe",
        "static_configs": static_configs,
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter},
        ],
    }
    return {"configs": [job], "errors": errors}


def _probe_key(item: Mapping[str, Any]) -> Any:
    return (item["role"], item["name"], item["address"], item["port"], item["module"],
            tuple(sorted((item.get("labels") or {}).items())))


def blackbox_config(ca_file: str) -> Dict[str, Any]:
    """The blackbox exporter's modules: ``tcp``, ``tls`` (the Edge's CA), ``tls_public`` (the system's CAs)."""
    tcp = {"preferred_ip_protocol": "ip4", "ip_protocol_fallback": False}
    return {"modules": {
        "tcp": {"prober": "tcp", "timeout": "%ds" % PROBE_TIMEOUT_SECONDS, "tcp": dict(tcp)},
        "tls": {"prober": "tcp", "timeout": "%ds" % PROBE_TIMEOUT_SECONDS,
                "tcp": dict(tcp, tls=True, tls_config={"ca_file": ca_file, "min_version": "TLS12"})},
        "tls_public": {"prober": "tcp", "timeout": "%ds" % PROBE_TIMEOUT_SECONDS,
                       "tcp": dict(tcp, tls=True, tls_config={"min_version": "TLS12"})},
    }}


def retention_size(size_bytes: Any, percent: int) -> str:
    """``--storage.tsdb.retention.size`` for a volume of ``size_bytes``: ``percent`` of it, in whole MiB."""
    if not isinstance(size_bytes, int) or isinstance(size_bytes, bool) or size_bytes <= 0:
        raise MetricsError("the data volume's size is unknown (got %r): is it mounted?" % (size_bytes,))
    if not is_int_in(percent, 1, 95):
        raise MetricsError("expected 1-95 %%; got %r" % (percent,))
    mib = size_bytes * percent // 100 // _MIB
    if mib < 64:
        raise MetricsError("%d%% of the data volume is %d MiB: Prometheus needs at least 64 MiB" % (percent, mib))
    return "%dMB" % mib


def alertmanager_config(inputs: Mapping[str, Any]) -> Dict[str, Any]:
    """Alertmanager's configuration: one route, every alert to every webhook and recipient."""
    receiver: Dict[str, Any] = {"name": "edge"}
    hooks = inputs.get("metrics_alert_webhook_urls") or []
    if hooks:
        receiver["webhook_configs"] = [{"url": url, "send_resolved": True} for url in hooks]
    recipients = inputs.get("metrics_alert_email_to") or []
    config: Dict[str, Any] = {}
    if recipients:
        config["global"] = {"smtp_smarthost": inputs["metrics_alert_smarthost"],
                            "smtp_from": inputs["metrics_alert_email_from"],
                            # The Edge's relay is on its LAN; it offers STARTTLS where it has a certificate.
                            "smtp_require_tls": False}
        receiver["email_configs"] = [{"to": address, "send_resolved": True} for address in recipients]
    config["route"] = {
        "receiver": "edge",
        "group_by": ["alertname", "host"],
        "group_wait": "%ds" % inputs["metrics_alert_group_wait_seconds"],
        "group_interval": "%ds" % inputs["metrics_alert_group_interval_seconds"],
        "repeat_interval": "%dh" % inputs["metrics_alert_repeat_interval_hours"],
    }
    config["receivers"] = [receiver]
    # A host down silences the other alerts of that host: one page, not ten.
    config["inhibit_rules"] = [{"source_matchers": ['alertname="EdgeHostDown"'],
                                "target_matchers": ['alertname!="EdgeHostDown"'],
                                "equal": ["host"]}]
    return config
