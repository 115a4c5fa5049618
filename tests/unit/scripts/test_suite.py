"""scripts/suite.py: which scenario reads which file, receipts, lanes and the CI budget.

The derivation decides what CI skips: a file a scenario reads that it
missed would let a broken change land on an old receipt. So every tracked
file is changed in turn, and the scenarios whose key moves are compared
with what this file states by hand about the collection.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("suite", ROOT / "scripts" / "suite.py")
suite = importlib.util.module_from_spec(_spec)
sys.modules["suite"] = suite
_spec.loader.exec_module(suite)

# The scenarios themselves; their release variants (mariadb@debian12) read the same files.
SCENARIOS = sorted(name for name in suite.load_scenarios(ROOT) if suite.VARIANT not in name)
# The roles each scenario's playbooks reach, as a reader of molecule/ and
# playbooks/ would list them (the connected scenario, which is the demo, converges site.yml: every role).
# Every scenario reads the internal role `shared` through the roles that include it.
# The roles of playbooks/check_inputs.yml's loop, which every playbook of a
# tier that reads other tiers' declarations (or its tests) runs first: each
# is applied only to the hosts of its own group (and common to all), so a
# scenario reads those of its groups only.
CHECKED = {"shared", "common", "gatekeeper", "encrypted_volume", "xmpp", "api", "turn", "conference", "mail", "mariadb",
           "mongodb", "swift"}
# The roles of playbooks/check_operations_inputs.yml's loop, which logs.yml
# and backup.yml run first: every one, whichever hosts the scenario has.
OPERATIONS = {"logs", "log_shipping", "metrics", "backup", "backup_client"}
ROLES_READ = {
    "common": {"shared", "common"},
    # Its tests run playbooks/check_inputs.yml: the roles of its groups (gatekeeper, mariadb).
    "preflight": {"shared", "common", "preflight", "gatekeeper", "mariadb"},
    "gatekeeper": {"shared", "common", "gatekeeper"},
    "encrypted_volume": {"shared", "common", "encrypted_volume"},
    "mariadb": {"shared", "common", "mariadb"},
    "mongodb": {"shared", "common", "mongodb", "encrypted_volume"},
    "mongodb_full": {"shared", "common", "mongodb", "encrypted_volume"},
    "swift": {"shared", "common", "swift"},
    # site.yml names every role: the voice tiers' too (voice.yml, icn.yml), whose groups the connected scenario leaves empty.
    "connected": CHECKED | OPERATIONS | {"preflight", "aio", "private_lb", "public_lb", "icn", "voice_proxy", "voice_vendor",
                                         "voice_web", "voice_pbx_gateway", "cloud_pbx_gateway", "voice_pbx_orchestrator"},
    # playbooks/metrics.yml checks every tier's inputs first (check_inputs.yml), for their declarations;
    # the metrics role keeps its data on the encrypted volume; prepare converges a MariaDB pair (its replication
    # alert) and the mail relay the alert e-mails go through.
    "metrics": {"shared", "common", "metrics", "encrypted_volume", "mail", "mariadb"},
    # playbooks/logs.yml too, then the logs, metrics and backup tiers' checks, the receiver and every host's shipping.
    "logs": {"shared", "common", "encrypted_volume"} | OPERATIONS,
    "logs_full": {"shared", "common", "encrypted_volume"} | OPERATIONS,
    # playbooks/backup.yml likewise, then the backup host and its clients.
    "backup": {"shared", "common", "encrypted_volume"} | OPERATIONS,
    "backup_mariadb": {"shared", "common", "encrypted_volume", "mariadb"} | OPERATIONS,
    "backup_swift": {"shared", "common", "encrypted_volume", "swift"} | OPERATIONS,
    # playbooks/xmpp.yml too, then the MariaDB servers (its database) and the XMPP servers.
    "xmpp": {"shared", "common", "xmpp", "mariadb"},
    # Its prepare converges playbooks/xmpp.yml; then playbooks/private_lb.yml.
    "private_lb": {"shared", "common", "xmpp", "mariadb", "private_lb"},
    "public_lb": {"shared", "common", "xmpp", "mariadb", "public_lb"},
    # playbooks/aio.yml, then the tiers the All-in-One carries (MongoDB left out).
    "aio": {"shared", "common", "aio", "mariadb", "xmpp", "api", "public_lb"},
    # Its prepare converges playbooks/xmpp.yml and playbooks/private_lb.yml; then playbooks/api.yml.
    "api": {"shared", "common", "xmpp", "mariadb", "private_lb", "api"},
    # playbooks/turn.yml and playbooks/mail.yml check every tier's inputs first.
    "turn": {"shared", "common", "turn"},
    "mail": {"shared", "common", "mail"},
    # Its prepare converges playbooks/turn.yml and playbooks/public_lb.yml; then playbooks/conference.yml.
    "conference": {"shared", "common", "turn", "public_lb", "conference"},
    # playbooks/icn.yml checks every tier's inputs first, then every voice tier's (check_voice_inputs.yml): of its
    # groups, the In-Country Nodes'.
    "icn": {"shared", "common", "icn"},
    # playbooks/voice.yml: every voice tier's inputs checked (check_voice_inputs.yml), the voice database (the
    # mariadb role on group voice_db), playbooks/voice_proxy.yml, then playbooks/voice_web.yml and
    # playbooks/voice_pbx.yml: the vendor's tiers, through the internal role voice_vendor.
    "voice": {"shared", "common", "mariadb", "voice_proxy", "voice_vendor", "voice_web", "voice_pbx_gateway",
              "cloud_pbx_gateway", "voice_pbx_orchestrator"},
    # The execution environment packs the whole collection: every role.
    "ee": {path.name for path in (ROOT / "roles").iterdir() if path.is_dir()},
}
# Scenarios whose suite.yml says `inputs: all`: they read every file but the
# receipts and the planner's metadata.
EVERY_FILE_READERS = {"ee"}
# Playbooks beyond playbooks/common.yml and playbooks/<scenario>.yml: what a
# scenario's converge imports or its tests run.
# playbooks/check_operations_inputs.yml, which logs.yml and backup.yml import (it imports check_inputs.yml).
OPERATIONS_CHECK = {"check_operations_inputs", "tasks/check_operations_role_inputs", "tasks/refuse_checked_hosts"}
PLAYBOOKS_READ = {
    "preflight": {"check_inputs", "tasks/check_role_inputs"},
    "mariadb": {"mariadb_failover", "mariadb_switchover"},
    "mongodb_full": {"mongodb"},
    # Its tests run every role's input check (one member accepted on an All-in-One).
    "mongodb": {"check_inputs", "tasks/check_role_inputs"},
    "gatekeeper": {"gatekeeper_gateway", "gatekeeper_api"},
    "connected": {"connected", "site", "check", "aio", "check_inputs", "tasks/check_role_inputs", "preflight", "gatekeeper_gateway", "gatekeeper_api",
                  "encrypted_volume", "mariadb", "mongodb", "swift", "xmpp", "api", "private_lb", "public_lb", "turn", "conference", "mail",
                  "health", "check_voice_inputs", "tasks/refuse_checked_hosts", "icn", "voice", "voice_db", "voice_proxy",
                  "voice_web", "voice_pbx", "logs", "metrics", "backup", "check_operations_inputs",
                  "tasks/check_operations_role_inputs", "backup_restore_files"},
    "metrics": {"check_inputs", "tasks/check_role_inputs", "health", "mail", "mariadb"},
    "logs": {"check_inputs", "tasks/check_role_inputs"} | OPERATIONS_CHECK,
    # It converges playbooks/logs.yml (molecule.yml).
    "logs_full": {"logs", "check_inputs", "tasks/check_role_inputs"} | OPERATIONS_CHECK,
    "backup": {"check_inputs", "tasks/check_role_inputs", "backup_restore_files"} | OPERATIONS_CHECK,
    # It converges playbooks/backup.yml (molecule.yml), after a prepare that converges the MariaDB pair.
    "backup_mariadb": {"backup", "check_inputs", "tasks/check_role_inputs", "mariadb",
                       "backup_restore_mariadb"} | OPERATIONS_CHECK,
    # Likewise, after a prepare that converges Swift.
    "backup_swift": {"backup", "check_inputs", "tasks/check_role_inputs", "swift",
                     "backup_restore_swift"} | OPERATIONS_CHECK,
    "xmpp": {"check_inputs", "tasks/check_role_inputs", "mariadb"},
    "private_lb": {"check_inputs", "tasks/check_role_inputs", "xmpp", "mariadb"},
    "public_lb": {"check_inputs", "tasks/check_role_inputs", "xmpp", "mariadb"},
    "aio": {"check_inputs", "tasks/check_role_inputs", "mariadb", "xmpp", "api", "public_lb", "smoke"},
    "api": {"check_inputs", "tasks/check_role_inputs", "xmpp", "mariadb", "private_lb", "api_rolling_restart"},
    "turn": {"check_inputs", "tasks/check_role_inputs", "smoke"},
    "mail": {"check_inputs", "tasks/check_role_inputs"},
    "conference": {"check_inputs", "tasks/check_role_inputs", "turn", "public_lb"},
    "icn": {"check_inputs", "tasks/check_role_inputs", "check_voice_inputs", "tasks/refuse_checked_hosts"},
    "voice": {"voice_db", "voice_proxy", "voice_web", "voice_pbx", "check_voice_inputs", "check_inputs", "tasks/check_role_inputs",
              "tasks/refuse_checked_hosts", "mariadb_switchover"},
}
# Plugins: the modules and module_utils of the sizing preflight, Swift's
# ring module, and the network tests every role's input checks use.
PREFLIGHT_PLUGINS = {"preflight", "connected"}
MARIADB_READERS = {s for s, roles in ROLES_READ.items() if "mariadb" in roles}
VOLUME_READERS = {s for s, roles in ROLES_READ.items() if "encrypted_volume" in roles}
SWIFT_READERS = {s for s, roles in ROLES_READ.items() if "swift" in roles}
GATEKEEPER_READERS = {s for s, roles in ROLES_READ.items() if "gatekeeper" in roles}
XMPP_READERS = {s for s, roles in ROLES_READ.items() if "xmpp" in roles}
API_READERS = {s for s, roles in ROLES_READ.items() if "api" in roles}
TURN_READERS = {s for s, roles in ROLES_READ.items() if "turn" in roles}
MAIL_READERS = {s for s, roles in ROLES_READ.items() if "mail" in roles}
CONFERENCE_READERS = {s for s, roles in ROLES_READ.items() if "conference" in roles}
LOGS_READERS = {s for s, roles in ROLES_READ.items() if "logs" in roles}
METRICS_READERS = {s for s, roles in ROLES_READ.items() if "metrics" in roles}
BACKUP_READERS = {s for s, roles in ROLES_READ.items() if "backup" in roles}
LB_READERS = {s for s, roles in ROLES_READ.items() if roles & {"private_lb", "public_lb"}}
ICN_READERS = {s for s, roles in ROLES_READ.items() if "icn" in roles}
VOICE_PROXY_READERS = {s for s, roles in ROLES_READ.items() if "voice_proxy" in roles}
VOICE_VENDOR_READERS = {s for s, roles in ROLES_READ.items() if "voice_vendor" in roles}
HOST_VALUES_ROLES = {"backup", "backup_client", "gatekeeper", "log_shipping", "mariadb", "preflight", "private_lb",
                     "public_lb", "xmpp", "api", "mail", "conference", "icn", "voice_proxy", "voice_vendor"}
PLUGINS_READ = {
    "plugins/modules/edge_facts.py": PREFLIGHT_PLUGINS,
    "plugins/modules/edge_plan.py": PREFLIGHT_PLUGINS,
    "plugins/modules/edge_validate.py": PREFLIGHT_PLUGINS,
    "plugins/modules/swift_ring.py": SWIFT_READERS,
    "plugins/module_utils/swift_ring.py": SWIFT_READERS,
    "plugins/test/network.py": set(SCENARIOS),
    "plugins/test/ipv4_address.yml": set(SCENARIOS),
    "plugins/test/ipv4_network.yml": set(SCENARIOS),
    # The MariaDB primary decision, which the mariadb role's topology reads.
    "plugins/module_utils/mariadb_topology.py": MARIADB_READERS,
    "plugins/filter/mariadb_topology.py": MARIADB_READERS,
    "plugins/filter/mariadb_topology_decision.yml": MARIADB_READERS,
    "plugins/filter/mariadb_replica_status.yml": MARIADB_READERS,
    # Loops of the mariadb and preflight roles' vars, in Python.
    "plugins/module_utils/mariadb_checks.py": MARIADB_READERS,
    "plugins/filter/mariadb_checks.py": MARIADB_READERS,
    "plugins/filter/mariadb_global_privilege_holders.yml": MARIADB_READERS,
    "plugins/filter/mariadb_contributed_accounts.yml": MARIADB_READERS,
    "plugins/filter/mariadb_key_file_changes.yml": MARIADB_READERS,
    # Other hosts' published inputs, read by the roles that look at their peers or other tiers.
    **{path: {s for s, roles in ROLES_READ.items() if roles & HOST_VALUES_ROLES} | PREFLIGHT_PLUGINS
       for path in ("plugins/filter/host_values.py", "plugins/filter/host_values.yml")},
    "plugins/filter/preflight_probes.py": PREFLIGHT_PLUGINS,
    "plugins/filter/preflight_dc_probes.yml": PREFLIGHT_PLUGINS,
    "plugins/filter/preflight_rtt_peers.yml": PREFLIGHT_PLUGINS,
    # The swift role's cluster view; it reads the footprint's scale thresholds.
    "plugins/module_utils/swift_cluster.py": SWIFT_READERS,
    "plugins/filter/swift_cluster.py": SWIFT_READERS,
    **{f"plugins/filter/swift_{name}.yml": SWIFT_READERS for name in (
        "nodes", "ring_devices", "sizing", "changed_settings", "ring_holders", "foreign_disks", "ring_errors",
        "deployed_files", "missing_disks")},
    "plugins/module_utils/edge_footprint.py": PREFLIGHT_PLUGINS | SWIFT_READERS | {"aio"},
    # The sizing modules' shared option docs, and the inventory check of the preflight.
    "plugins/doc_fragments/plan.py": PREFLIGHT_PLUGINS,
    "plugins/modules/edge_inventory_check.py": PREFLIGHT_PLUGINS,
    # The plan report's picture of the inventory: playbooks/plan.yml only, which no scenario runs.
    "plugins/module_utils/edge_topology.py": set(),
    "plugins/filter/edge_topology.py": set(),
    "plugins/filter/edge_topology.yml": set(),
    # The encrypted volumes' probe and plan.
    # Swift's probe reads its files and disks with it too.
    "plugins/modules/block_devices.py": VOLUME_READERS | SWIFT_READERS,
    # block_devices's docs name the plan's filter, so Swift's readers reach it too.
    "plugins/module_utils/encrypted_volume_plan.py": VOLUME_READERS | SWIFT_READERS,
    "plugins/filter/encrypted_volume_plan.py": VOLUME_READERS | SWIFT_READERS,
    "plugins/filter/encrypted_volume_plan.yml": VOLUME_READERS | SWIFT_READERS,
    # Every role's typed inputs (common's included, which every scenario runs).
    "plugins/action/role_inputs.py": set(SCENARIOS),
    "plugins/modules/role_inputs.py": set(SCENARIOS),
    "plugins/module_utils/edge_role_inputs.py": set(SCENARIOS),
    # Services started in one task (common's included).
    "plugins/modules/systemd_units.py": set(SCENARIOS),
    "plugins/module_utils/systemd_units.py": set(SCENARIOS),
    # The shared role's firewall drop-ins and TLS (every role opens ports through it).
    **{path: set(SCENARIOS) for path in (
        "plugins/module_utils/firewall_dropin.py", "plugins/filter/firewall_dropin.py", "plugins/filter/firewall_dropin.yml",
        "plugins/module_utils/edge_tls.py", "plugins/filter/edge_tls.py", "plugins/filter/tls_ca_host.yml",
        "plugins/filter/tls_input_errors.yml", "plugins/filter/tls_certificate_verdict.yml")},
    # The shared role's VIPs (keepalived), which every scenario's shared role references.
    "plugins/module_utils/keepalived_vip.py": set(SCENARIOS),
    "plugins/filter/keepalived_instances.py": set(SCENARIOS),
    "plugins/filter/keepalived_instances.yml": set(SCENARIOS),
    # What the tiers declare for each other, published by the shared role.
    "plugins/module_utils/edge_contributions.py": set(SCENARIOS),
    "plugins/filter/edge_contributions.py": set(SCENARIOS),
    "plugins/filter/contributions.yml": set(SCENARIOS),
    "plugins/filter/provides_errors.yml": set(SCENARIOS),
    # The metrics tier's decisions and its federation account's hash.
    **{path: METRICS_READERS - EVERY_FILE_READERS for path in (
        "plugins/module_utils/metrics_config.py", "plugins/filter/metrics_config.py", "plugins/modules/bcrypt_hash.py",
        "plugins/filter/metrics_input_errors.yml", "plugins/filter/metrics_scrape_configs.yml",
        "plugins/filter/metrics_retention_size.yml", "plugins/filter/metrics_alertmanager_config.yml",
        "plugins/filter/metrics_probe_scrape_config.yml", "plugins/filter/metrics_blackbox_config.yml")},
    # The logs tier's decisions.
    "plugins/module_utils/logs_config.py": LOGS_READERS,
    # Input coercion of the sizing preflight, and the predicates the tiers' input checks share.
    # (edge_contributions reads it: every scenario.)
    "plugins/module_utils/edge_inputs.py": set(SCENARIOS),
    # The XMPP tier's decisions (check_inputs.yml checks its inputs).
    **{path: XMPP_READERS for path in (
        "plugins/module_utils/xmpp_config.py", "plugins/filter/xmpp_config.py", "plugins/filter/xmpp_input_errors.yml",
        "plugins/filter/xmpp_cluster.yml", "plugins/filter/xmpp_ejabberd_config.yml")},
    # The application servers' decisions (check_inputs.yml checks their inputs).
    **{path: API_READERS for path in (
        "plugins/module_utils/api_config.py", "plugins/filter/api_config.py", "plugins/filter/api_input_errors.yml",
        "plugins/filter/api_endpoints.yml")},
    # The drain module of the shared role's drained restart (restart_drained), which every scenario's shared
    # role references.
    "plugins/modules/haproxy_server.py": set(SCENARIOS),
    # A repository's pinned key, checked by the application servers' and conferencing servers' input checks.
    "plugins/module_utils/apt_repository.py": API_READERS | CONFERENCE_READERS | VOICE_VENDOR_READERS | LOGS_READERS,
    # The conferencing servers' decisions (check_inputs.yml checks their inputs).
    **{path: CONFERENCE_READERS for path in (
        "plugins/module_utils/conference_config.py", "plugins/filter/conference_config.py",
        *(f"plugins/filter/conference_{name}.yml" for name in (
            "input_errors", "firewall_rules", "janus_modules", "disabled_modules", "missing_modules",
            "derived_key")))},
    # The TURN servers' decisions (check_inputs.yml checks their inputs); their URIs, which the conferencing
    # servers and the application servers hand out.
    **{path: TURN_READERS for path in (
        "plugins/filter/turn_input_errors.yml", "plugins/filter/turn_denied_peer_ranges.yml",
        "plugins/filter/turn_firewall_rules.yml")},
    **{path: TURN_READERS | CONFERENCE_READERS | API_READERS for path in (
        "plugins/module_utils/turn_config.py", "plugins/filter/turn_config.py")},
    "plugins/filter/turn_uris.yml": CONFERENCE_READERS | API_READERS,
    # The mail relays' decisions (check_inputs.yml checks their inputs).
    **{path: MAIL_READERS for path in (
        "plugins/module_utils/mail_config.py", "plugins/filter/mail_config.py", "plugins/filter/mail_input_errors.yml",
        "plugins/filter/mail_client_addresses.yml", "plugins/filter/mail_dns_records.yml",
        "plugins/filter/mail_egress_addresses.yml")},
    # The load balancers' decisions; each role's own filters by their names. The voice proxies' VIP is one of
    # theirs (lb_vrrp_instances).
    **{path: LB_READERS | VOICE_PROXY_READERS for path in (
        "plugins/module_utils/load_balancer.py", "plugins/filter/load_balancer.py",
        "plugins/filter/lb_vrrp_instances.yml")},
    "plugins/filter/lb_backends.yml": LB_READERS,
    # The interface of an address, where a role moves a VIP: the load balancers, the In-Country Nodes, MariaDB,
    # the voice proxies.
    "plugins/filter/interface_with_address.yml": LB_READERS | ICN_READERS | MARIADB_READERS | VOICE_PROXY_READERS,
    # The In-Country Nodes' decisions; the voice proxies pair and name their destinations the same way.
    **{path: ICN_READERS for path in (
        "plugins/filter/icn_input_errors.yml", "plugins/filter/icn_vrrp_instances.yml",
        "plugins/filter/icn_firewall_rules.yml")},
    **{path: ICN_READERS | VOICE_PROXY_READERS for path in (
        "plugins/module_utils/icn_config.py", "plugins/filter/icn_config.py", "plugins/filter/icn_destinations.yml",
        "plugins/filter/icn_pair.yml")},
    # The vendor's voice tiers' decisions; the voice proxies read their gateways through them.
    **{path: VOICE_VENDOR_READERS | VOICE_PROXY_READERS for path in (
        "plugins/module_utils/voice_vendor_config.py", "plugins/filter/voice_vendor_config.py",
        *(f"plugins/filter/voice_vendor_{name}.yml" for name in (
            "deployment", "input_errors", "firewall_rules", "config_file", "gateways")))},
    # What the paired voice tiers check alike: the voice proxies' and the voice web servers'.
    "plugins/module_utils/voice_pair.py": VOICE_PROXY_READERS | VOICE_VENDOR_READERS,
    # The voice proxies' decisions.
    **{path: VOICE_PROXY_READERS for path in (
        "plugins/module_utils/voice_proxy_config.py", "plugins/filter/voice_proxy_config.py",
        "plugins/filter/voice_proxy_input_errors.yml", "plugins/filter/voice_proxy_firewall_rules.yml")},
    **{path: {s for s in LB_READERS if "private_lb" in ROLES_READ[s]} for path in (
        "plugins/filter/private_lb_input_errors.yml", "plugins/filter/private_lb_probe_targets.yml")},
    **{path: {s for s in LB_READERS if "public_lb" in ROLES_READ[s]} for path in (
        "plugins/filter/public_lb_input_errors.yml", "plugins/filter/lb_vip_probe_targets.yml")},
    # The customer's certificate's check: the public load balancers' and the TURN servers'.
    "plugins/filter/tls_served_certificate_errors.yml":
        {s for s in LB_READERS if "public_lb" in ROLES_READ[s]} | TURN_READERS,
    **{path: LOGS_READERS for path in (
        "plugins/filter/logs_config.py", "plugins/filter/logs_input_errors.yml",
        "plugins/filter/log_shipping_input_errors.yml", "plugins/filter/logs_host_names.yml",
        "plugins/filter/rsyslog_string.yml", "plugins/filter/log_shipping_file_inputs.yml",
        "plugins/filter/logs_elastic_input_errors.yml", "plugins/filter/logs_elastic_heaps.yml",
        "plugins/filter/logs_elastic_objects.yml", "plugins/modules/elasticsearch_objects.py")},
    # The backup tier's decisions; the MariaDB restore's plan only in the scenario that restores MariaDB.
    **{path: BACKUP_READERS - EVERY_FILE_READERS for path in (
        "plugins/module_utils/backup_config.py", "plugins/filter/backup_config.py",
        "plugins/filter/backup_input_errors.yml", "plugins/filter/backup_client_input_errors.yml",
        "plugins/filter/backup_repositories.yml", "plugins/filter/backup_mongodb_members.yml")},
    "plugins/filter/backup_mariadb_restore_plan.yml": {"backup_mariadb"},
    # Which host gets which role of the logs, metrics and backup tiers (check_operations_inputs.yml).
    **{path: {s for s, played in PLAYBOOKS_READ.items() if "check_operations_inputs" in played} for path in (
        "plugins/filter/operations_roles.py", "plugins/filter/operations_roles.yml")},
    # The health report (playbooks/health.yml), which the connected scenario's and the metrics tier's tests run.
    **{path: {"connected", "metrics"} for path in (
        "plugins/modules/edge_health_probe.py", "plugins/module_utils/edge_health.py", "plugins/filter/edge_health.py",
        "plugins/filter/edge_health_report.yml", "plugins/filter/edge_health_html.yml",
        "plugins/filter/edge_health_summary.yml")},
    # The All-in-One's decisions; the inventory check of the preflight reads its tiers.
    "plugins/module_utils/aio_config.py": {"aio", "connected"} | PREFLIGHT_PLUGINS,
    **{path: {"aio", "connected"} for path in (
        "plugins/filter/aio_config.py", "plugins/filter/aio_input_errors.yml", "plugins/filter/aio_memory_limits.yml",
        "plugins/filter/aio_left_out.yml")},
    # The smoke test (playbooks/smoke.yml), which the All-in-One's tests (XMPP) and the TURN tier's run.
    **{path: {"aio", "turn"} for path in (
        "plugins/module_utils/edge_smoke.py", "plugins/filter/edge_smoke.py", "plugins/filter/edge_smoke_targets.yml",
        "plugins/modules/xmpp_message_probe.py", "plugins/module_utils/xmpp_client.py",
        "plugins/modules/turn_relay_probe.py", "plugins/module_utils/turn_client.py")},
    # Container detection, read by common's vars (every scenario) and gatekeeper's.
    "plugins/test/host_kind.py": set(SCENARIOS),
    "plugins/test/container.yml": set(SCENARIOS),
}


# A scenario's lab files that another scenario's prepare imports, or hands
# to a copy in a *_src variable: the vendor's repository and the
# application's fixture. (The build script they copy with a plain src: is
# not followed yet: scripts/suite.py, _COPY_SRC.)
LAB_FILES_SHARED = {
    "molecule/api/vendor_repo.yml": {"aio"},
    "molecule/api/fixture/": {"aio"},
    # A helper module of molecule/ the whole-Edge scenarios' tests import by name.
    "molecule/whole_edge_checks.py": {"connected"},
}


def expected_readers(path: str) -> set[str]:
    """The scenarios that read ``path``, by the rules above."""
    if path.startswith(suite.RECEIPT_DIR + "/") or (path.startswith("molecule/") and path.endswith("/suite.yml")):
        return set()
    return derived_readers(path) | EVERY_FILE_READERS


def derived_readers(path: str) -> set[str]:
    """The scenarios whose inputs are derived from the code that read ``path``."""
    parts = path.split("/")
    if suite._under(path, suite.COMMON_INPUTS):
        return set(SCENARIOS)
    if suite._under(path, suite.NOT_INPUTS):
        return set()
    if parts[0] == "molecule":
        if parts[-1] == "suite.yml":
            return set()
        own = {parts[1]} if len(parts) > 2 else set()  # a scenario's directory, or a module of molecule/
        return own | next((readers for prefix, readers in LAB_FILES_SHARED.items() if path.startswith(prefix)), set())
    if parts[0] == "roles":
        if suite._DOC.search(path):
            return set()
        return {s for s in SCENARIOS if parts[1] in ROLES_READ[s]}
    if parts[0] == "playbooks":
        stem = path[len("playbooks/"):-len(".yml")]
        readers = {s for s in SCENARIOS if stem in PLAYBOOKS_READ.get(s, set()) | {s, "common"}}
        return readers
    if path in PLUGINS_READ:
        return PLUGINS_READ[path]
    if path.startswith("plugins/module_utils/edge_"):
        return PREFLIGHT_PLUGINS
    if path in ("scripts/demo",):
        return {"connected"}
    if path in ("scripts/build-ee", "scripts/ee_collections.py"):
        return set()  # the ee scenario's, which reads every file
    return set(SCENARIOS)  # anything else: conservatively read by all


@pytest.fixture(scope="module")
def tree():
    files = suite.tracked_files(ROOT)
    texts: dict = {}
    digests = {path: suite.file_digest(ROOT / path) for path in files}
    inputs = {s: suite.scenario_inputs(s, ROOT, files, texts) for s in SCENARIOS}
    keys = {s: suite.input_key(inputs[s], ROOT, digests) for s in SCENARIOS}
    return files, texts, digests, keys, inputs


def test_every_scenario_reaches_exactly_its_roles(tree):
    files, texts, _digests, _keys, _inputs = tree
    for scenario in SCENARIOS:
        inputs = suite.scenario_inputs(scenario, ROOT, files, dict(texts))
        roles = {p.split("/")[1] for p in inputs if p.startswith("roles/")}
        assert roles == ROLES_READ[scenario], scenario


def test_changing_each_tracked_file_moves_exactly_the_keys_of_its_readers(tree):
    """The issue's rule: a file a scenario's converge or verify reads changes its
    key; another tier's role, the docs, the unit tests and the receipts do not."""
    files, _texts, digests, keys, inputs = tree
    wrong = {}
    # A changed content that names nothing new leaves every walk as it was
    # (test_a_new_import_in_a_role_is_followed changes what a file names), so
    # each scenario's inputs are walked once, not once per file.
    for path in files:
        changed_digests = dict(digests, **{path: "changed"})
        moved = {s for s in SCENARIOS if suite.input_key(inputs[s], ROOT, changed_digests) != keys[s]}
        if moved != expected_readers(path):
            wrong[path] = {"moved": sorted(moved), "expected": sorted(expected_readers(path))}
    assert not wrong, json.dumps(wrong, indent=1)


def test_a_new_file_outside_the_known_areas_is_an_input_of_every_scenario(tree):
    files, texts, digests, keys, _inputs = tree
    new = "lab/new_helper.yml"
    texts = dict(texts, **{new: "x: 1\n"})
    for scenario in SCENARIOS:
        assert new in suite.scenario_inputs(scenario, ROOT, files + [new], texts)


def test_a_new_import_in_a_role_is_followed(tree):
    """A role that starts using another role makes that role its scenario's input."""
    files, texts, _digests, _keys, _inputs = tree
    path = "roles/swift/tasks/main.yml"
    texts = dict(texts)
    texts[path] = (ROOT / path).read_text() + "\n- ansible.builtin.include_role:\n    name: rainbow.edge.mariadb\n"
    inputs = suite.scenario_inputs("swift", ROOT, files, texts)
    assert "roles/mariadb/tasks/main.yml" in inputs


def test_a_file_a_scenario_s_test_names_by_its_path_is_an_input(tree):
    """A test that installs another scenario's client, or imports a plugin's pure-Python helper by its path."""
    files, texts, _digests, _keys, _inputs = tree
    path = "molecule/turn/tests/test_turn.py"
    assert "molecule/conference/janus_client.py" not in suite.scenario_inputs("turn", ROOT, files, dict(texts))
    texts = dict(texts)
    texts[path] = (ROOT / path).read_text() + (
        '\nCLIENT = ROOT / "molecule/conference/janus_client.py"\nHELPER = "plugins/module_utils/turn_config.py"\n'
        'GONE = "molecule/conference/no_such_file.py"\n')
    inputs = suite.scenario_inputs("turn", ROOT, files, texts)
    assert {"molecule/conference/janus_client.py", "plugins/module_utils/turn_config.py"} <= set(inputs)
    assert "molecule/conference/no_such_file.py" not in inputs


def test_a_module_of_molecule_a_scenario_s_test_imports_by_name_is_an_input(tree):
    """A helper module beside conftest.py is read by the scenarios whose tests import it, not by every scenario."""
    files, texts, _digests, _keys, _inputs = tree
    path = "molecule/turn/tests/test_turn.py"
    assert "molecule/whole_edge_checks.py" not in suite.scenario_inputs("turn", ROOT, files, dict(texts))
    texts = dict(texts)
    texts[path] = (ROOT / path).read_text() + "\nfrom whole_edge_checks import prometheus_get\nimport no_such_helper\n"
    inputs = suite.scenario_inputs("turn", ROOT, files, texts)
    assert "molecule/whole_edge_checks.py" in inputs
    assert "molecule/no_such_helper.py" not in inputs


def test_a_role_named_by_a_loop_variable_reaches_the_roles_of_its_literal_list_only(tree):
    """check_inputs.yml's loop names its roles: the preflight's tests, which run it, read those, not a role outside it."""
    files, texts, _digests, _keys, _inputs = tree
    assert "roles/metrics/tasks/main.yml" not in suite.scenario_inputs("preflight", ROOT, files, dict(texts))
    # A loop that sets the same variable from an expression could name any role.
    path = "playbooks/check_inputs.yml"
    texts = dict(texts)
    texts[path] = (ROOT / path).read_text() + (
        "\n- hosts: all\n  tasks:\n    - ansible.builtin.include_tasks: tasks/check_role_inputs.yml\n"
        "      loop: \"{{ edge_roles }}\"\n      loop_control:\n        loop_var: edge_checked_role\n")
    assert "roles/metrics/tasks/main.yml" in suite.scenario_inputs("preflight", ROOT, files, texts)


def test_a_role_the_loop_applies_to_its_own_group_only_is_read_by_scenarios_with_such_hosts(tree):
    """check_role_inputs.yml runs a role only on the hosts of its group: the turn scenario reads roles/turn
    through check_inputs.yml, the xmpp scenario (no TURN server) does not; without the group condition, both do."""
    files, texts, _digests, _keys, _inputs = tree
    assert "roles/turn/tasks/input_check.yml" in suite.scenario_inputs("turn", ROOT, files, dict(texts))
    assert "roles/turn/tasks/input_check.yml" not in suite.scenario_inputs("xmpp", ROOT, files, dict(texts))
    path = "playbooks/tasks/check_role_inputs.yml"
    texts = dict(texts)
    texts[path] = (ROOT / path).read_text().replace(
        "when: edge_checked_role == 'common' or edge_checked_role in group_names", "when: true")
    assert "roles/turn/tasks/input_check.yml" in suite.scenario_inputs("xmpp", ROOT, files, texts)


def test_a_scenario_s_groups_are_its_platforms_and_unknown_when_not_listed_plainly(tmp_path):
    (tmp_path / "molecule" / "x").mkdir(parents=True)
    molecule = tmp_path / "molecule" / "x" / "molecule.yml"
    molecule.write_text("platforms:\n  - name: a\n    groups: [edge, turn]  # the relay\n  - name: b\n"
                        "    groups: [lab_probe]\n")
    assert suite.scenario_groups("x", tmp_path) == {"edge", "turn", "lab_probe"}
    molecule.write_text("platforms:\n  - name: a\n    groups:\n      - edge\n")
    assert suite.scenario_groups("x", tmp_path) is None
    molecule.write_text("provisioner:\n  inventory:\n    children:\n      edge: {}\n")
    assert suite.scenario_groups("x", tmp_path) is None
    assert suite.scenario_groups("missing", tmp_path) is None


def test_a_plugin_that_imports_another_plugin_reads_it(tree):
    """mail_config.py (a filter) calls host_values.py's function: the mail scenario reads host_values.py."""
    files, texts, _digests, _keys, _inputs = tree
    assert "plugins/filter/host_values.py" in suite.scenario_inputs("mail", ROOT, files, dict(texts))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_metadata_reads_as_yaml_does(scenario):
    meta = ROOT / "molecule" / scenario / "suite.yml"
    assert meta.is_file(), f"molecule/{scenario}/suite.yml is missing: order and expected minutes live there"
    assert suite.parse_metadata(meta.read_text(), str(meta)) == yaml.safe_load(meta.read_text())


def test_bad_metadata_is_refused():
    with pytest.raises(suite.SuiteError, match="unknown line"):
        suite.parse_metadata("minuts: 3\n", "x")
    with pytest.raises(suite.SuiteError, match="must be int"):
        suite.parse_metadata("minutes: many\n", "x")


NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)


def test_a_receipt_covers_only_its_key_for_seven_days():
    receipt = {"input_key": "k1", "passed": "2026-11-30T12:00:00Z"}
    assert suite.receipt_verdict(receipt, "k1", NOW) == ""
    assert "inputs changed" in suite.receipt_verdict(receipt, "k2", NOW)
    assert "older than 7 days" in suite.receipt_verdict(dict(receipt, passed="2026-11-24T11:59:00Z"), "k1", NOW)
    assert suite.receipt_verdict(None, "k1", NOW) == "no receipt"


STAMPED_LOG = """\
1000 INFO     swift ➜ discovery: scenario test matrix: destroy, syntax, create
1000 INFO     swift ➜ destroy: Executing
1003 INFO     swift ➜ syntax: Executing
1010 INFO     swift ➜ create: Executing
1050 INFO     swift ➜ prepare: Executing
1100 INFO     swift ➜ converge: Executing
1400 INFO     swift ➜ idempotence: Executing
1600 INFO     swift ➜ check: Executing
1700 INFO     swift ➜ verify: Executing
1701     │ FIGURE: swift_objects_uploaded=30 bytes=1
2000 INFO     swift ➜ destroy: Executing
2010 INFO     swift ➜ destroy: Executed: Successful
"""


def test_stage_times_and_figures_come_from_the_stamped_log():
    assert suite.stage_times(STAMPED_LOG, "swift") == {
        "destroy": 13, "syntax": 7, "create": 40, "prepare": 50, "converge": 300,
        "idempotence": 200, "check": 100, "verify": 300}
    assert suite.figures(STAMPED_LOG) == ["FIGURE: swift_objects_uploaded=30 bytes=1"]


@pytest.fixture
def fake_repo(tmp_path):
    """A git checkout with three scenarios and their metadata."""
    for name, minutes in (("alpha", 30), ("beta", 20), ("gamma", 5)):
        (tmp_path / "molecule" / name).mkdir(parents=True)
        (tmp_path / "molecule" / name / "molecule.yml").write_text("---\n")
        (tmp_path / "molecule" / name / "suite.yml").write_text(f"order: 1\nminutes: {minutes}\n")
    (tmp_path / "molecule" / "shared").mkdir()
    (tmp_path / "molecule" / "shared" / "converge.yml").write_text("---\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_a_scenario_with_a_current_receipt_is_skipped_and_all_ignores_receipts(fake_repo):
    key = suite.scenario_key("alpha", fake_repo)
    suite.write_receipt("alpha", key, STAMPED_LOG.replace("swift", "alpha"), jobs=2, wall=1234, root=fake_repo)
    plan = suite.make_plan(None, 2, False, fake_repo, environ={})
    assert plan.run == ["beta", "gamma"] and "passed" in plan.skipped["alpha"]
    assert suite.make_plan(None, 2, True, fake_repo, environ={}).run == ["alpha", "beta", "gamma"]
    # The receipt's measured time replaces the metadata's guess.
    assert suite.make_plan(None, 2, True, fake_repo, environ={}).minutes["alpha"] == 21
    # A change to the scenario's own files voids the receipt.
    (fake_repo / "molecule" / "alpha" / "molecule.yml").write_text("---\n# changed\n")
    assert "alpha" in suite.make_plan(None, 2, False, fake_repo, environ={}).run


def test_lanes_are_balanced_longest_first(fake_repo):
    plan = suite.make_plan(None, 2, True, fake_repo, environ={})
    assert plan.lanes == [["alpha"], ["beta", "gamma"]] and plan.wall_minutes == 30


def test_a_release_variant_has_its_own_key_and_runs_in_the_lane_of_its_scenario(fake_repo):
    (fake_repo / "molecule" / "gamma" / "suite.yml").write_text("order: 1\nminutes: 5\ndebian12: idempotence\n")
    (fake_repo / "molecule" / "beta" / "suite.yml").write_text("order: 1\nminutes: 20\ndebian12: full\n")
    scenarios = suite.load_scenarios(fake_repo)
    assert list(scenarios) == ["alpha", "beta", "beta@debian12", "gamma", "gamma@debian12"]
    assert suite.scenario_inputs("gamma@debian12", fake_repo) == suite.scenario_inputs("gamma", fake_repo)
    assert suite.scenario_key("gamma@debian12", fake_repo) != suite.scenario_key("gamma", fake_repo)
    plan = suite.make_plan(None, 3, True, fake_repo, environ={})
    # beta and beta@debian12 (40 min) share one lane: the same containers.
    assert plan.lanes == [["beta", "beta@debian12"], ["alpha"], ["gamma", "gamma@debian12"]]
    assert (scenarios["gamma@debian12"].molecule_scenario, scenarios["gamma@debian12"].release) == ("gamma", "12")
    assert scenarios["gamma@debian12"].sequence == ("destroy", "create", "prepare", "converge", "idempotence")
    assert scenarios["beta@debian12"].sequence == scenarios["beta"].sequence == ("test",)


def test_an_unknown_release_sequence_is_refused(fake_repo):
    (fake_repo / "molecule" / "gamma" / "suite.yml").write_text("debian12: quick\n")
    with pytest.raises(suite.SuiteError, match="debian12 must be one of full, idempotence"):
        suite.load_scenarios(fake_repo)


def test_a_scenario_whose_inputs_are_all_reads_every_file_but_the_receipts_and_the_planner_s_metadata(fake_repo):
    (fake_repo / "molecule" / "gamma" / "suite.yml").write_text("order: 1\nminutes: 5\ninputs: all\n")
    for path in ("README.md", "docs/guide.md", "roles/x/README.md", "tests/unit/test_x.py", "tests/receipts/beta.json"):
        (fake_repo / path).parent.mkdir(parents=True, exist_ok=True)
        (fake_repo / path).write_text("{}\n")
    inputs = suite.scenario_inputs("gamma", fake_repo)
    assert inputs == ["README.md", "docs/guide.md", "molecule/alpha/molecule.yml", "molecule/beta/molecule.yml",
                      "molecule/gamma/molecule.yml", "molecule/shared/converge.yml", "roles/x/README.md",
                      "tests/unit/test_x.py"]
    # Another scenario's receipt leaves its key as it was; any other file moves it.
    key = suite.scenario_key("gamma", fake_repo)
    suite.write_receipt("alpha", "k", STAMPED_LOG.replace("swift", "alpha"), jobs=2, wall=60, root=fake_repo)
    (fake_repo / "molecule" / "gamma" / "suite.yml").write_text("order: 2\nminutes: 9\ninputs: all\n")
    assert suite.scenario_key("gamma", fake_repo) == key
    (fake_repo / "docs" / "guide.md").write_text("y\n")
    assert suite.scenario_key("gamma", fake_repo) != key
    # The other scenarios still derive theirs: the docs are not among them.
    assert "docs/guide.md" not in suite.scenario_inputs("alpha", fake_repo)


def test_an_unknown_inputs_value_is_refused(fake_repo):
    (fake_repo / "molecule" / "gamma" / "suite.yml").write_text("inputs: some\n")
    with pytest.raises(suite.SuiteError, match="inputs must be all"):
        suite.load_scenarios(fake_repo)


def test_record_refuses_when_inputs_changed_during_the_run(fake_repo, monkeypatch, tmp_path_factory):
    monkeypatch.setattr(suite, "ROOT", fake_repo)
    log = tmp_path_factory.mktemp("log") / "run.log"
    log.write_text(STAMPED_LOG)
    args = suite.argparse.Namespace(scenario="beta", log=str(log), key="stale", jobs=2, wall=10)
    assert suite.cmd_record(args) == 0
    assert not suite.receipt_path("beta", fake_repo).exists()


def test_over_budget_ci_stops_within_a_minute_and_lists_what_to_run(tmp_path):
    """.ci/run with every receipt ignored: the real plan is far above a 1-minute
    budget, so scripts/test refuses before it installs or starts anything."""
    if os.geteuid() != 0 and not shutil.which("sudo"):
        pytest.skip("scripts/test runs as root")
    env = dict(os.environ, RAINBOW_EDGE_TEST_BUDGET_MINUTES="1", RAINBOW_EDGE_TEST_ALL="1",
               RAINBOW_EDGE_VENV=str(tmp_path / "no-venv"))
    start = time.monotonic()
    proc = subprocess.run([str(ROOT / ".ci" / "run")], capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)
    elapsed = time.monotonic() - start
    assert proc.returncode != 0, proc.stderr
    assert "OVER BUDGET" in proc.stderr and "scripts/test molecule:swift" in proc.stderr, proc.stderr
    # Nothing was set up: the venv it would have created does not exist.
    assert not (tmp_path / "no-venv").exists()
    assert elapsed < 60
    print(f"FIGURE: over_budget_refusal_seconds={elapsed:.1f}")
