# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The metrics tier's decisions: its input check, Prometheus's scrape jobs, retention, Alertmanager's routes.

Used by the ``metrics`` role through the filters of ``plugins/filter/metrics_config.py``;
unit-tested in ``tests/unit/plugins/module_utils/test_metrics_config.py``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, List, Mapping, Sequence

_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOSTPORT = re.compile(r"^[A-Za-z0-9.-]+:([0-9]{1,5})$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
# Labels Prometheus sets itself on every target.
_RESERVED_LABELS = frozenset({"job", "instance", "host", "role"})
# Units of Prometheus's --storage.tsdb.retention.size (powers of 1024).
_MIB = 1024 * 1024


class MetricsError(Exception):
    """A request the metrics tier cannot act on."""


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _network(value: Any) -> bool:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except (ValueError, TypeError):
        return False
    return "/" in str(value)


def _address(value: Any) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except (ValueError, TypeError):
        return False
    return True


def input_errors(inputs: Mapping[str, Any]) -> List[str]:
    """Every problem of the role's converted inputs, each naming its variable."""
    errors: List[str] = []
    lan, address = inputs.get("metrics_lan_cidr"), inputs.get("metrics_lan_ip")
    if not _network(lan):
        errors.append("metrics_lan_cidr (default: edge_lan_cidr): expected an IPv4 network in CIDR form such as "
                      "10.20.0.0/16; got %r" % (lan,))
    if not _address(address) or (_network(lan) and ipaddress.IPv4Address(address) not in ipaddress.IPv4Network(lan)):
        errors.append("metrics_lan_ip (default: edge_lan_ip): expected this host's address on the LAN %s; got %r"
                      % (lan, address))
    for name in ("metrics_port", "metrics_alertmanager_port"):
        if not _int_in(inputs.get(name), 1024, 65535):
            errors.append("%s: expected a TCP port 1024-65535; got %r" % (name, inputs.get(name)))
    if inputs.get("metrics_port") == inputs.get("metrics_alertmanager_port"):
        errors.append("metrics_port, metrics_alertmanager_port: expected two different ports; both are %r"
                      % (inputs.get("metrics_port"),))
    allowed = inputs.get("metrics_allowed_cidrs") or []
    bad = [cidr for cidr in allowed if not _network(cidr)]
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
        if not _int_in(inputs.get(name), 1, 300):
            errors.append("%s: expected 1-300 seconds; got %r" % (name, inputs.get(name)))
    if not _int_in(inputs.get("metrics_retention_days"), 1, 3650):
        errors.append("metrics_retention_days: expected 1-3650 days; got %r" % (inputs.get("metrics_retention_days"),))
    if not _int_in(inputs.get("metrics_retention_size_percent"), 1, 95):
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
        errors.append("metrics_alert_email_to: recipients are given but metrics_alert_smarthost is empty: e-mail "
                      "needs the Edge's mail relay (host:port)")
    if smarthost and not _EMAIL.match(str(inputs.get("metrics_alert_email_from") or "")):
        errors.append("metrics_alert_email_from: expected the sender's e-mail address; got %r"
                      % (inputs.get("metrics_alert_email_from"),))
    if not hooks and not recipients:
        errors.append("metrics_alert_webhook_urls, metrics_alert_email_to: expected at least one webhook or "
                      "recipient: alerts would reach no one")
    for name, low, high in (("metrics_alert_group_wait_seconds", 1, 3600),
                            ("metrics_alert_group_interval_seconds", 1, 86400),
                            ("metrics_alert_repeat_interval_hours", 1, 168)):
        if not _int_in(inputs.get(name), low, high):
            errors.append("%s: expected %d-%d; got %r" % (name, low, high, inputs.get(name)))
    return errors


def scrape_configs(items: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Prometheus scrape jobs from the declared scrape targets: ``{configs, errors}``.

    One job per declared job name; every target carries the labels ``host``
    (inventory name) and ``role`` (the declaring role) and its own. Declarations
    of one job must agree on scheme and path; an endpoint declared twice is an
    error (it would be scraped twice, its series clashing).
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
        job = jobs.setdefault(item["job"], {"job_name": item["job"], "scheme": scheme, "metrics_path": path,
                                            "static_configs": []})
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


def retention_size(size_bytes: Any, percent: int) -> str:
    """``--storage.tsdb.retention.size`` for a volume of ``size_bytes``: ``percent`` of it, in whole MiB."""
    if not isinstance(size_bytes, int) or isinstance(size_bytes, bool) or size_bytes <= 0:
        raise MetricsError("the data volume's size is unknown (got %r): is it mounted?" % (size_bytes,))
    if not _int_in(percent, 1, 95):
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
