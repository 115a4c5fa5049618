#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: edge_health_probe
short_description: Read an Edge host's health, changing nothing
version_added: 0.2.0
description:
  - Reads, in one pass, what the health report (C(playbooks/health.yml)) judges on this host - the
    systemd units that failed; the virtual addresses of every keepalived file in C(/etc/keepalived/conf.d) and
    whether this host holds each; every WireGuard peer's latest handshake (C(wg show all dump)); the expiry of
    every PEM certificate under O(certificate_dirs); the C(rainbow_edge_*) samples of node-exporter's textfiles
    (the backup tier's ages); and, when asked, the tier's own state (O(mariadb), O(swift), O(xmpp)) and the
    alerts firing in Alertmanager (O(alertmanager_url)).
  - A reading that fails (a server stopped, a tool missing) is returned as that reading's C(error), and the module
    itself fails only when it cannot run at all, so one broken service never hides the others.
  - Judging is the controller's (filter P(rainbow.edge.edge_health_report#filter)), with every host's readings
    together.
options:
  certificate_dirs:
    description: Directories searched (recursively) for PEM certificates, C(*.pem) and C(*.crt).
    type: list
    elements: path
    default: [/etc]
  certificate_excludes:
    description: Directories left out of that search (the system's trust store).
    type: list
    elements: path
    default: [/etc/ssl/certs, /etc/ca-certificates]
  textfile_dir:
    description: node-exporter's textfile collector directory.
    type: path
    default: /var/lib/prometheus/node-exporter
  mariadb:
    description: Read MariaDB's replication (C(read_only), semi-sync status, every replica connection) through
      the local socket as root.
    type: bool
    default: false
  swift:
    description: Read the Swift disks (C(/srv/node/*) not mounted) and, on the host holding the populated
      dispersion account, C(swift-dispersion-report).
    type: bool
    default: false
  xmpp:
    description: Read the running members of the ejabberd cluster (C(ejabberdctl list_cluster)).
    type: bool
    default: false
  alertmanager_url:
    description:
      - The Alertmanager whose active alerts (not silenced, not inhibited) to read, on the metrics hosts
        (C(http://127.0.0.1:9093)). Empty - none.
    type: str
    default: ""
  timeout:
    description: Seconds each tool may take.
    type: int
    default: 60
notes:
  - Nothing on the host is changed; the module always reports C(changed=false).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
author:
  - Rainbow Edge engineering (@rainbow-edge)
"""

EXAMPLES = r"""
- name: Read this host's health
  rainbow.edge.edge_health_probe:
    mariadb: "{{ 'mariadb' in group_names }}"
    swift: "{{ 'swift' in group_names }}"
  register: edge_health_probe
"""

RETURN = r"""
failed_units:
  description: The systemd units in state failed.
  returned: always
  type: list
  elements: str
vips:
  description: Each virtual address of the keepalived files, with C(held) true when this host has it.
  returned: always
  type: list
  elements: dict
  sample: [{address: 10.20.0.254, file: /etc/keepalived/conf.d/gatekeeper.conf, held: true}]
wireguard:
  description: Each WireGuard peer - C(interface), C(peer) (public key), C(endpoint), C(allowed_ips),
    C(latest_handshake) (epoch seconds, 0 for never).
  returned: always
  type: list
  elements: dict
certificates:
  description: Each PEM certificate found - C(path), C(subject), C(not_after) (epoch seconds).
  returned: always
  type: list
  elements: dict
metrics:
  description: The C(rainbow_edge_*) samples of the textfiles - C(name), C(labels), C(value).
  returned: always
  type: list
  elements: dict
mariadb:
  description: C(read_only), C(semi_sync_enabled), C(semi_sync_primary), C(replicas) (C(connection),
    C(primary_host), C(io_running), C(sql_running), C(seconds_behind), C(last_error)); or C(error).
  returned: when O(mariadb)
  type: dict
swift:
  description: C(unmounted) (device directories), C(dispersion) (per ring C(missing_one), C(missing_two),
    C(missing_all)) on the host that populated it, or C(dispersion_error).
  returned: when O(swift)
  type: dict
xmpp:
  description: C(cluster) (the running ejabberd nodes), or C(error).
  returned: when O(xmpp)
  type: dict
alerts:
  description: The active alerts - C(name), C(severity), C(summary), C(labels); or a dict with C(error).
  returned: when O(alertmanager_url)
  type: raw
now:
  description: The host's clock (epoch seconds) when read.
  returned: always
  type: float
"""

import glob
import http.client
import json
import os
import shutil
import time
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.rainbow.edge.plugins.module_utils.edge_health import (
    alertmanager_reading,
    dispersion_reading,
    mariadb_reading,
    parse_keepalived_vips,
    parse_prometheus_text,
    parse_wireguard_dump,
    unmounted_disks,
)

KEEPALIVED_DIR = "/etc/keepalived/conf.d"
SWIFT_DEVICES_DIR = "/srv/node"
SWIFT_DISPERSION_MARK = "/var/lib/swift/dispersion.populated"
SWIFT_DISPERSION_CONF = "/etc/swift/dispersion.conf"
MARIADB_VARIABLES = (
    "SELECT 'read_only', @@global.read_only "
    "UNION ALL SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES "
    "WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_ENABLED' "
    "UNION ALL SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
    "WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS'"
)


class Probe:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.timeout = module.params["timeout"]

    def run(self, argv):
        """rc, stdout, one line of what went wrong (stderr, else stdout)."""
        # coreutils' timeout: a hung tool becomes this reading's error, not a hung run.
        timeout = self.tool("timeout")
        prefix = [timeout, str(self.timeout)] if timeout else []
        rc, out, err = self.module.run_command(prefix + list(argv), environ_update={"LC_ALL": "C"})
        if rc == 124:
            return rc, out, "no answer within %d s" % self.timeout
        problem = " ".join((err.strip() or out.strip()).split())[:300]
        return rc, out, problem

    def tool(self, name):
        return shutil.which(name) or next((path for path in ("/usr/sbin/" + name, "/usr/bin/" + name, "/sbin/" + name)
                                           if os.access(path, os.X_OK)), None)

    def failed_units(self):
        systemctl = self.tool("systemctl")
        if not systemctl:
            return []
        rc, out, _problem = self.run([systemctl, "list-units", "--state=failed", "--plain", "--no-legend",
                                      "--no-pager"])
        return [line.split()[0] for line in out.splitlines() if line.strip()] if rc == 0 else []

    def held_addresses(self):
        ip = self.tool("ip")
        if not ip:
            return set()
        rc, out, _problem = self.run([ip, "-j", "-4", "addr", "show"])
        if rc != 0:
            return set()
        return {info.get("local") for link in json.loads(out or "[]") for info in link.get("addr_info", [])}

    def vips(self):
        held = self.held_addresses()
        found = []
        for path in sorted(glob.glob(os.path.join(KEEPALIVED_DIR, "*.conf"))):
            with open(path, encoding="utf-8", errors="replace") as handle:
                for address in parse_keepalived_vips(handle.read()):
                    found.append({"address": address, "file": path, "held": address in held})
        return found

    def wireguard(self):
        wg = self.tool("wg")
        if not wg:
            return []
        rc, out, _problem = self.run([wg, "show", "all", "dump"])
        return parse_wireguard_dump(out) if rc == 0 else []

    def certificates(self):
        openssl = self.tool("openssl")
        if not openssl:
            return []
        excludes = [os.path.join(path, "") for path in self.module.params["certificate_excludes"]]
        found = []
        for root_dir in self.module.params["certificate_dirs"]:
            for root, dirs, files in os.walk(root_dir):
                dirs[:] = [d for d in dirs if not os.path.join(root, d, "").startswith(tuple(excludes))]
                for name in sorted(files):
                    path = os.path.join(root, name)
                    if not name.endswith((".pem", ".crt")) or os.path.islink(path):
                        continue
                    try:
                        with open(path, "rb") as handle:
                            if b"-----BEGIN CERTIFICATE-----" not in handle.read(1 << 20):
                                continue
                    except OSError:
                        continue
                    rc, out, _problem = self.run([openssl, "x509", "-in", path, "-noout", "-enddate", "-subject",
                                                  "-nameopt", "RFC2253"])
                    if rc != 0:
                        continue
                    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
                    try:
                        not_after = datetime.strptime(fields.get("notAfter", ""), "%b %d %H:%M:%S %Y %Z")
                    except ValueError:
                        continue
                    found.append({"path": path, "subject": fields.get("subject", "").strip(),
                                  "not_after": not_after.replace(tzinfo=timezone.utc).timestamp()})
        return found

    def metrics(self):
        samples = []
        for path in sorted(glob.glob(os.path.join(self.module.params["textfile_dir"], "*.prom"))):
            with open(path, encoding="utf-8", errors="replace") as handle:
                samples.extend(parse_prometheus_text(handle.read()))
        return samples

    def mariadb(self):
        client = self.tool("mariadb") or self.tool("mysql")
        if not client:
            return {"error": "no MariaDB client on the host"}
        base = [client, "--batch", "--connect-timeout=%d" % min(self.timeout, 10)]
        rc, variables, problem = self.run(base + ["--skip-column-names", "-e", MARIADB_VARIABLES])
        if rc != 0:
            return {"error": problem or "the MariaDB client failed"}
        # Vertical rows keep their column names: the reading goes by name.
        rc, replicas, problem = self.run(base + ["-e", "SHOW ALL REPLICAS STATUS\\G"])
        if rc != 0:
            return {"error": problem or "SHOW ALL REPLICAS STATUS failed"}
        return mariadb_reading(variables, replicas)

    def swift(self):
        reading = {"unmounted": []}
        if os.path.isdir(SWIFT_DEVICES_DIR):
            node_dirs = [os.path.join(SWIFT_DEVICES_DIR, name) for name in sorted(os.listdir(SWIFT_DEVICES_DIR))
                         if os.path.isdir(os.path.join(SWIFT_DEVICES_DIR, name))]
            reading["unmounted"] = [os.path.basename(path) for path in unmounted_disks(
                node_dirs, [path for path in node_dirs if os.path.ismount(path)])]
        report_tool = self.tool("swift-dispersion-report")
        if os.path.exists(SWIFT_DISPERSION_MARK) and report_tool:
            rc, out, problem = self.run([report_tool, "--dump-json", SWIFT_DISPERSION_CONF])
            try:
                reading["dispersion"] = dispersion_reading(json.loads(out.strip().splitlines()[-1]))
            except (ValueError, IndexError):
                reading["dispersion_error"] = problem or "rc %d, no JSON report" % rc
        return reading

    def xmpp(self):
        ejabberdctl = self.tool("ejabberdctl")
        if not ejabberdctl:
            return {"error": "ejabberdctl is not installed"}
        rc, out, problem = self.run([ejabberdctl, "list_cluster"])
        if rc != 0:
            return {"error": problem or "ejabberdctl list_cluster failed (rc %d)" % rc}
        return {"cluster": sorted(line.strip().strip("'") for line in out.splitlines() if line.strip())}

    def alerts(self, url):
        query = "/api/v2/alerts?active=true&silenced=false&inhibited=false"
        try:
            response = open_url(url.rstrip("/") + query, timeout=self.timeout)
            return alertmanager_reading(json.loads(response.read()))
        # No answer, an HTTP error or no JSON: the reading's error, which the report shows.
        except (OSError, ValueError, http.client.HTTPException) as error:
            return {"error": " ".join(str(error).split())[:300]}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            certificate_dirs=dict(type="list", elements="path", default=["/etc"]),
            certificate_excludes=dict(type="list", elements="path", default=["/etc/ssl/certs", "/etc/ca-certificates"]),
            textfile_dir=dict(type="path", default="/var/lib/prometheus/node-exporter"),
            mariadb=dict(type="bool", default=False),
            swift=dict(type="bool", default=False),
            xmpp=dict(type="bool", default=False),
            alertmanager_url=dict(type="str", default=""),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    probe = Probe(module)
    result = {
        "changed": False,
        "now": time.time(),
        "failed_units": probe.failed_units(),
        "vips": probe.vips(),
        "wireguard": probe.wireguard(),
        "certificates": probe.certificates(),
        "metrics": probe.metrics(),
    }
    for tier in ("mariadb", "swift", "xmpp"):
        if module.params[tier]:
            result[tier] = getattr(probe, tier)()
    if module.params["alertmanager_url"]:
        result["alerts"] = probe.alerts(module.params["alertmanager_url"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
