# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health report: the tools' output parsed, and every host's readings judged together."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import edge_health

NOW = 1_800_000_000.0
GROUPS = {"edge": ["db1", "db2", "gk1", "gk2", "s1", "x1", "x2"], "mariadb": ["db1", "db2"],
          "gatekeeper": ["gk1", "gk2"], "swift": ["s1"], "xmpp": ["x1", "x2"]}
REPLICATING = {"connection": "", "primary_host": "10.20.0.21", "io_running": "Yes", "sql_running": "Yes",
               "seconds_behind": 0, "last_error": ""}


def healthy():
    base = {"failed_units": [], "vips": [], "wireguard": [], "certificates": [], "metrics": []}
    vip = "10.20.0.254"
    return {
        "db1": dict(base, mariadb={"read_only": False, "semi_sync_enabled": True, "semi_sync_primary": True,
                                   "replicas": []}),
        "db2": dict(base, mariadb={"read_only": True, "semi_sync_enabled": True, "semi_sync_primary": False,
                                   "replicas": [dict(REPLICATING)]}),
        "gk1": dict(base, vips=[{"address": vip, "file": "gatekeeper.conf", "held": True}],
                    wireguard=[{"interface": "wg0", "peer": "K2=", "endpoint": "198.51.100.131:51820",
                                "allowed_ips": "10.99.0.2/32", "latest_handshake": int(NOW) - 30}]),
        "gk2": dict(base, vips=[{"address": vip, "file": "gatekeeper.conf", "held": False}],
                    certificates=[{"path": "/etc/gk/api.pem", "subject": "CN=gk2", "not_after": NOW + 300 * 86400}]),
        "s1": dict(base, swift={"unmounted": [], "dispersion": {
            "object": {"missing_one": 0, "missing_two": 0, "missing_all": 0, "retries": 0, "pct_found": 100.0},
            "container": {"missing_one": 0, "missing_two": 0, "missing_all": 0, "retries": 0, "pct_found": 100.0}}}),
        "x1": dict(base, xmpp={"cluster": ["ejabberd@x1", "ejabberd@x2"]}),
        "x2": dict(base, xmpp={"cluster": ["ejabberd@x1", "ejabberd@x2"]}),
    }


def judge(probes):
    return edge_health.report(probes, GROUPS, now=NOW, edge="edge.test")


def test_a_healthy_edge_is_green_and_says_what_was_checked():
    health = judge(healthy())
    assert health["status"] == "green" and health["findings"] == [], health
    checked = " | ".join(health["checked"])
    for item in ("reachability of 7 hosts", "replication of db1, db2", "disks and copies of s1", "cluster of x1, x2",
                 "owners of 10.20.0.254", "handshakes of 1 WireGuard peers", "expiry of 1 certificates"):
        assert item in checked, checked
    assert edge_health.summary_lines(health)[0].startswith("Edge edge.test: GREEN")


def test_a_stopped_replica_comes_first_even_beside_other_findings():
    probes = healthy()
    probes["db2"]["mariadb"] = {"error": "Can't connect to local server through socket"}
    probes["db1"]["mariadb"]["semi_sync_primary"] = False
    probes["gk2"]["certificates"][0]["not_after"] = NOW + 5 * 86400
    probes["gk1"]["failed_units"] = ["dnsmasq.service"]
    health = judge(probes)
    assert health["status"] == "critical"
    first = health["findings"][0]
    assert first["topic"] == "mariadb" and first["hosts"] == ["db2"], health["findings"]
    assert first["summary"] == "MariaDB replica db2 does not answer"
    assert "the primary db1 has one copy of the data fewer" in first["detail"]
    assert [f["severity"] for f in health["findings"]] == ["critical", "warning", "warning", "warning"]
    assert health["counts"] == {"critical": 1, "warning": 3}


def test_an_unreachable_host_is_the_worst_finding():
    probes = healthy()
    probes["x2"] = {"unreachable": True, "msg": "Failed to connect to the host via ssh"}
    probes["db2"]["mariadb"]["replicas"][0]["sql_running"] = "No"
    health = judge(probes)
    assert [f["topic"] for f in health["findings"]][:2] == ["host", "mariadb"], health["findings"]
    assert health["findings"][0]["summary"] == "x2 is unreachable"


@pytest.mark.parametrize("change, expected", [
    (lambda p: p["db2"]["mariadb"].update(read_only=False), "2 MariaDB servers take writes at once: db1, db2"),
    (lambda p: p["db1"]["mariadb"].update(read_only=True), "No MariaDB server takes writes"),
    (lambda p: p["db2"]["mariadb"]["replicas"][0].update(io_running="Connecting", last_error="error 2003"),
     "MariaDB replica db2 does not replicate"),
    (lambda p: p["gk1"]["vips"][0].update(held=False), "No member holds the virtual address 10.20.0.254"),
    (lambda p: p["gk2"]["vips"][0].update(held=True), "2 members hold the virtual address 10.20.0.254 at once"),
    (lambda p: p["gk1"]["wireguard"][0].update(latest_handshake=int(NOW) - 301),
     "WireGuard peer 198.51.100.131:51820 of gk1: last handshake 301 s ago"),
    (lambda p: p["gk1"]["wireguard"][0].update(latest_handshake=0), "last handshake never"),
    (lambda p: p["s1"]["swift"].update(unmounted=["d2"]), "Swift disks not mounted on s1: d2"),
    (lambda p: p["s1"]["swift"]["dispersion"]["object"].update(missing_two=3), "lost two"),
    (lambda p: p["x1"].update(xmpp={"cluster": ["ejabberd@x1"]}), "ejabberd on x1 sees 1 of the 2 cluster members"),
    (lambda p: p["x1"].update(xmpp={"error": "nodedown"}), "ejabberd on x1 does not answer"),
    (lambda p: p["gk2"]["certificates"][0].update(not_after=NOW - 1), "The certificate /etc/gk/api.pem on gk2 has expired"),
    (lambda p: p["s1"]["metrics"].append({"name": "rainbow_edge_backup_newest_timestamp_seconds",
                                          "labels": {"source": "files"}, "value": NOW - 27 * 3600}),
     "The newest backup of files on s1 is 27.0 h old"),
    (lambda p: p["s1"]["metrics"].append({"name": "rainbow_edge_backup_repository_tampered",
                                          "labels": {"repository": "db1"}, "value": 1}),
     "Archives of db1 on s1 were removed by no maintenance"),
    (lambda p: p["gk1"].update(alerts=[{"name": "EdgeHostDown", "severity": "critical",
                                        "summary": "db2 is down", "labels": {"host": "db2"}}]),
     "Alert EdgeHostDown: db2 is down"),
    (lambda p: p["gk1"].update(alerts={"error": "Connection refused"}), "Alertmanager on gk1 does not answer"),
], ids=["two-primaries", "no-primary", "replica-io-stopped", "vip-held-by-none", "vip-held-by-two",
        "handshake-stale", "handshake-never", "swift-unmounted", "swift-copies-lost", "xmpp-partition", "xmpp-down",
        "certificate-expired", "backup-too-old", "backup-tampered",
        "alert-critical", "alertmanager-down"])
def test_each_critical_condition_is_found(change, expected):
    probes = healthy()
    change(probes)
    health = judge(probes)
    assert health["status"] == "critical", health
    assert any(expected in f["summary"] for f in health["findings"] if f["severity"] == "critical"), health["findings"]


@pytest.mark.parametrize("change, expected", [
    (lambda p: p["db2"]["mariadb"]["replicas"][0].update(seconds_behind=61), "MariaDB replica db2 lags 61 s"),
    (lambda p: p["db1"]["mariadb"].update(semi_sync_primary=False), "commits without a replica's acknowledgement"),
    (lambda p: p["s1"]["swift"]["dispersion"]["container"].update(missing_one=2), "2 Swift container partitions miss"),
    (lambda p: p["gk2"]["certificates"][0].update(not_after=NOW + 20 * 86400), "expires in 20 days"),
    (lambda p: p["s1"]["metrics"].append({"name": "rainbow_edge_backup_newest_timestamp_seconds",
                                          "labels": {"source": "mariadb-binlog"}, "value": NOW - 2 * 3600}),
     "The newest backup of mariadb-binlog on s1 is 2.0 h old"),
    (lambda p: p["x2"].update(failed_units=["ejabberd.service"]), "Failed units on x2: ejabberd.service"),
    (lambda p: p["gk1"].update(alerts=[{"name": "EdgeDiskFilling", "severity": "", "summary": "",
                                        "labels": {"alertname": "EdgeDiskFilling", "mountpoint": "/"}}]),
     "Alert EdgeDiskFilling: mountpoint=/"),
], ids=["replica-lag", "semi-sync-off", "one-copy-missing", "certificate-expiring", "binlog-archive-old",
        "failed-unit", "alert-without-severity"])
def test_each_warning_is_found(change, expected):
    probes = healthy()
    change(probes)
    health = judge(probes)
    assert health["status"] == "warning", health
    assert [f["summary"] for f in health["findings"] if expected in f["summary"]], health["findings"]


def test_thresholds_are_the_alert_rules_own():
    probes = healthy()
    probes["db2"]["mariadb"]["replicas"][0]["seconds_behind"] = 60
    probes["gk1"]["wireguard"][0]["latest_handshake"] = int(NOW) - 300
    probes["gk2"]["certificates"][0]["not_after"] = NOW + 21 * 86400
    assert judge(probes)["findings"] == []


def test_a_single_server_without_replica_is_not_blamed_for_semi_sync():
    probes = {"db1": dict(healthy()["db1"])}
    probes["db1"]["mariadb"] = dict(probes["db1"]["mariadb"], semi_sync_primary=False)
    assert edge_health.report(probes, {"mariadb": ["db1"]}, now=NOW)["findings"] == []


def test_tiers_without_hosts_are_not_reported_as_checked():
    health = edge_health.report({"gk1": healthy()["gk1"]}, {"gatekeeper": ["gk1"]}, now=NOW)
    assert not [item for item in health["checked"] if item.startswith(("replication", "disks", "cluster"))]


def test_the_html_page_is_well_formed_and_escapes_what_hosts_say():
    probes = healthy()
    probes["db2"]["mariadb"] = {"error": "<script>alert(1)</script> & more"}
    page = edge_health.render_html(judge(probes))
    assert "<script>" not in page and "&lt;script&gt;" in page
    ET.fromstring(page.split("\n", 1)[1])  # well-formed past the doctype
    assert edge_health.render_html(judge(healthy())).count("every check passed") == 1


def test_keepalived_files_give_their_virtual_addresses():
    text = """vrrp_instance gatekeeper_lan {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.20.0.254/24 dev eth0
        198.51.100.140
    }
}
vrrp_instance other { virtual_ipaddress {
  10.20.0.253/24
} }"""
    assert edge_health.parse_keepalived_vips(text) == ["10.20.0.254", "198.51.100.140", "10.20.0.253"]


def test_wireguard_dump_gives_its_peers_not_its_interfaces():
    dump = ("wg0\tPRIV=\tPUB=\t51820\toff\n"
            "wg0\tPEER1=\t(none)\t198.51.100.131:51820\t10.99.0.2/32\t1799999970\t100\t200\t25\n"
            "wg0\tPEER2=\t(none)\t(none)\t10.99.0.3/32\t0\t0\t0\toff\n")
    peers = edge_health.parse_wireguard_dump(dump)
    assert [(p["peer"], p["endpoint"], p["latest_handshake"]) for p in peers] == [
        ("PEER1=", "198.51.100.131:51820", 1799999970), ("PEER2=", "", 0)]


def test_textfile_samples_keep_their_labels_and_skip_other_metrics():
    text = ('# HELP rainbow_edge_backup_newest_timestamp_seconds newest\n'
            'rainbow_edge_backup_newest_timestamp_seconds{source="files",host="db1"} 1.7999e+09\n'
            'node_time_seconds 1\nrainbow_edge_broken{a="b"} NaNx\n'
            'rainbow_edge_backup_repository_tampered{repository="a\\"b"} 0\n')
    samples = edge_health.parse_prometheus_text(text)
    assert samples == [
        {"name": "rainbow_edge_backup_newest_timestamp_seconds", "labels": {"source": "files", "host": "db1"},
         "value": 1.7999e9},
        {"name": "rainbow_edge_backup_repository_tampered", "labels": {"repository": 'a"b'}, "value": 0.0}]


def test_mariadb_reading_from_the_clients_output():
    variables = "read_only\t1\nRPL_SEMI_SYNC_MASTER_ENABLED\tON\nRPL_SEMI_SYNC_MASTER_STATUS\tOFF\n"
    replicas = ("*************************** 1. row ***************************\n"
                "              Connection_name: \n"
                "                  Master_Host: 10.20.0.21\n"
                "             Slave_IO_Running: Yes\n"
                "            Slave_SQL_Running: Yes\n"
                "        Seconds_Behind_Master: 3\n"
                "                Last_IO_Error: \n"
                "               Last_SQL_Error: \n")
    reading = edge_health.mariadb_reading(variables, replicas)
    assert reading == {"read_only": True, "semi_sync_enabled": True, "semi_sync_primary": False, "replicas": [
        {"connection": "", "primary_host": "10.20.0.21", "io_running": "Yes", "sql_running": "Yes",
         "seconds_behind": 3, "last_error": ""}]}
    primary = edge_health.mariadb_reading("read_only\t0\nRPL_SEMI_SYNC_MASTER_STATUS\tON\n", "")
    assert primary["read_only"] is False and primary["semi_sync_primary"] is True and primary["replicas"] == []
    stopped = edge_health.mariadb_reading("read_only\t1\n", replicas.replace("Seconds_Behind_Master: 3",
                                                                             "Seconds_Behind_Master: NULL"))
    assert stopped["replicas"][0]["seconds_behind"] is None


def test_dispersion_report_reading():
    # As Debian's swift (2.30, 2.35) prints it with a node down: partitions counted by copies missing.
    report = {"object": {"retries": 0, "overlapping": 0, "pct_found": 88.9, "copies_found": 24, "copies_expected": 27,
                         "missing_1": 3},
              "container": {"retries": 0, "overlapping": 0, "pct_found": 66.7, "copies_found": 6, "copies_expected": 9,
                            "missing_1": 1, "missing_2": 1, "missing_3": 1}}
    reading = edge_health.dispersion_reading(report)
    assert reading["object"] == {"missing_one": 3, "missing_two": 0, "missing_all": 0, "retries": 0, "pct_found": 88.9}
    assert (reading["container"]["missing_one"], reading["container"]["missing_two"],
            reading["container"]["missing_all"]) == (1, 1, 1)
    # Older releases' words.
    old = edge_health.dispersion_reading({"object": {"missing_one": 1, "pct_found": 99.5, "retries": 0}, "container": {}})
    assert old["object"]["missing_one"] == 1 and old["container"]["missing_all"] == 0


def test_unmounted_disks():
    assert edge_health.unmounted_disks(["/srv/node/d1", "/srv/node/d2"], ["/srv/node/d1"]) == ["/srv/node/d2"]


def test_an_alert_names_the_host_it_is_about_and_says_where_it_fires():
    probes = healthy()
    probes["gk1"]["alerts"] = [{"name": "EdgeHostDown", "severity": "critical", "summary": "x",
                                "labels": {"alertname": "EdgeHostDown", "host": "db2"}}]
    health = judge(probes)
    alert = [f for f in health["findings"] if f["topic"] == "alerts"][0]
    assert alert["hosts"] == ["db2"] and alert["detail"] == "firing in Alertmanager on gk1"
    assert "alerts firing in Alertmanager on gk1" in health["checked"]
    probes["gk1"]["alerts"] = []
    assert judge(probes)["status"] == "green"


def test_alertmanager_reading_keeps_the_active_alerts_only():
    alerts = [
        {"labels": {"alertname": "EdgeHostDown", "severity": "critical", "host": "db2"},
         "annotations": {"summary": "db2 is down"}, "status": {"state": "active"}},
        {"labels": {"alertname": "EdgeClockOffset"}, "annotations": {}, "status": {"state": "suppressed"}},
    ]
    assert edge_health.alertmanager_reading(alerts) == [
        {"name": "EdgeHostDown", "severity": "critical", "summary": "db2 is down",
         "labels": {"alertname": "EdgeHostDown", "severity": "critical", "host": "db2"}}]
