# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `metrics` role: Prometheus scraping what the Edge declares, alerts delivered, federation.

met-mon runs the tier; met-host is another Edge host, met-mail the Edge's
mail relay, met-db1 and met-db2 a MariaDB pair; met-global stands for the global Rainbow side (its own
Prometheus federates from the Edge, and it records the alerts delivered to
its webhook) and for the customer's mail server the relay hands the alert
e-mails to; met-outside is outside metrics_allowed_cidrs.
"""

from __future__ import annotations

import json
import os
import shlex
import urllib.parse
from pathlib import Path

import pytest
import yaml

from conftest import INPUT_REFUSAL, secret, wait_for

MON, HOST, MAIL, GLOBAL, OUTSIDE = "met-mon", "met-host", "met-mail", "met-global", "met-outside"
DB1, DB2 = "met-db1", "met-db2"
EDGE_HOSTS = (MON, HOST, MAIL, DB1, DB2)
# Where the customer's mail server (on met-global) files what the relay handed it.
MAILDIR = "/var/lib/lab-smtp/Maildir/new"
URL = "https://10.20.9.41:9090"
CA = "/etc/prometheus/tls/ca.crt"
USER = "federation"
ALERTS = "/var/lib/lab-webhook/alerts.jsonl"
# The inventory's own probe target (metrics_probe_targets): a TLS service the tests start on met-global.
SERVICE_PROBE, SERVICE = "lab-service", "10.20.9.50:9443"
# The lab's intervals (molecule.yml) and the for: of EdgeHostDown and EdgeMariaDBReplicationStopped.
SCRAPE, EVALUATION, GROUP_WAIT, HOST_DOWN_FOR, REPLICATION_STOPPED_FOR = 5, 5, 5, 60, 60


@pytest.fixture(scope="module")
def mon(lab):
    return lab.host(MON)


@pytest.fixture(scope="module")
def webhook(lab):
    """The lab fixture that records the alerts delivered to metrics_alert_webhook_urls, run on met-global."""
    probe = lab.host(GLOBAL)
    script = (Path(__file__).resolve().parents[1] / "webhook_receiver.py").read_text()
    probe.check_output(f"printf '%s' {shlex.quote(script)} > /usr/local/bin/lab-webhook-receiver")
    probe.run("systemctl stop lab-webhook-receiver; systemctl reset-failed lab-webhook-receiver")
    probe.check_output(f"systemd-run --unit lab-webhook-receiver /usr/bin/python3 /usr/local/bin/lab-webhook-receiver "
                       f"10.20.9.50 9099 {ALERTS}")
    assert wait_for(lambda: probe.socket("tcp://10.20.9.50:9099").is_listening, timeout=20)
    return probe


def _password() -> str:
    return secret("metrics_federation_password")


def _api(mon, path: str) -> dict:
    """GET an API path of the Edge's Prometheus on met-mon as the global side does: TLS verified, basic auth
    (the password read there, kept out of the test's output)."""
    out = mon.check_output(f"curl -sS --fail --cacert {CA} -u \"{USER}:$(cat /etc/prometheus/federation.password)\" "
                           f"{shlex.quote(URL + path)}")
    return json.loads(out)


def test_prometheus_scrapes_every_target_the_edge_declares(mon):
    def healthy():
        targets = _api(mon, "/api/v1/targets?state=active")["data"]["activeTargets"]
        # A probe's target is up when the blackbox exporter answered, whatever the probe found.
        found = {(t["labels"]["job"], t["labels"].get("host"), t["labels"].get("probe")): t["health"]
                 for t in targets}
        return found if all(health == "up" for health in found.values()) and len(found) == 13 else None
    found = wait_for(healthy, timeout=60)
    assert found == {("node", MON, None): "up", ("node", HOST, None): "up", ("node", MAIL, None): "up",
                     ("node", DB1, None): "up", ("node", DB2, None): "up",
                     ("mysqld", DB1, None): "up", ("mysqld", DB2, None): "up",
                     ("prometheus", MON, None): "up", ("alertmanager", MON, None): "up",
                     ("postfix", MAIL, None): "up", ("probe", MON, "prometheus"): "up",
                     ("probe", MAIL, "smtp"): "up", ("probe", None, SERVICE_PROBE): "up"}, _api(mon, "/api/v1/targets")


def test_the_edge_s_alert_rules_are_loaded(mon):
    groups = _api(mon, "/api/v1/rules")["data"]["groups"]
    alerts = sorted(rule["name"] for group in groups for rule in group["rules"])
    # Every rule of the role's file, each once.
    rules_file = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "roles/metrics/files/etc/prometheus/rules/rainbow-edge.rules.yml"
    expected = sorted(rule["alert"] for group in yaml.safe_load(rules_file.read_text())["groups"] for rule in group["rules"])
    assert alerts == expected and len(alerts) == 19, alerts
    assert all(rule["health"] == "ok" for group in groups for rule in group["rules"]), groups


def _query(mon, expr: str) -> list:
    return _api(mon, "/api/v1/query?query=" + urllib.parse.quote(expr))["data"]["result"]


def _value(mon, expr: str):
    """The value of a one-series query, or None while there is no such series."""
    result = _query(mon, expr)
    return float(result[0]["value"][1]) if len(result) == 1 else None


def _not_after(host, certificate: str) -> int:
    return int(host.check_output(f"date -d \"$(openssl x509 -noout -enddate -in {certificate} | cut -d= -f2)\" +%s"))


def test_the_blackbox_exporter_probes_prometheus_s_tls_endpoint_against_the_edge_s_ca(mon):
    # Declared by the metrics role itself (kind probe_targets), as a tier declares its endpoints.
    assert wait_for(lambda: _value(mon, 'probe_success{probe="prometheus"}') == 1, timeout=30), \
        _query(mon, '{job="probe"}')
    (series,) = _query(mon, 'probe_ssl_earliest_cert_expiry{probe="prometheus"}')
    assert (series["metric"]["host"], series["metric"]["role"], series["metric"]["instance"]) == \
        (MON, "metrics", "10.20.9.41:9090"), series
    # The leaf certificate expires first: the expiry the alert reads is the one on disk.
    assert int(float(series["value"][1])) == _not_after(mon, "/etc/prometheus/tls/prometheus.crt")
    assert mon.socket("tcp://127.0.0.1:9115").is_listening
    assert not mon.socket("tcp://0.0.0.0:9115").is_listening


def _serve_tls(probe, certificate: str, key: str) -> None:
    """Serve TLS on met-global's SERVICE port with this certificate (the service the inventory's probe targets)."""
    probe.run("systemctl stop lab-tls-service; systemctl reset-failed lab-tls-service")
    probe.check_output(f"printf '%s\\n' {shlex.quote(certificate)} > /run/lab-tls-service.crt")
    probe.check_output(f"umask 077; printf '%s\\n' {shlex.quote(key)} > /run/lab-tls-service.key")
    probe.check_output("systemd-run --unit lab-tls-service openssl s_server -quiet -www -accept 9443 "
                       "-cert /run/lab-tls-service.crt -key /run/lab-tls-service.key")
    assert wait_for(lambda: probe.socket("tcp://0.0.0.0:9443").is_listening, timeout=20)


def _alert_states(mon, alertname: str) -> set:
    return {series["metric"]["alertstate"]
            for series in _query(mon, f'ALERTS{{alertname="{alertname}",probe="{SERVICE_PROBE}"}}')}


def test_an_endpoint_fails_its_probe_until_its_certificate_is_the_edge_s_then_warns_of_its_expiry(lab, mon):
    probe = lab.host(GLOBAL)
    # Nothing listens yet: the probe has failed since the converge, and its alert is on.
    assert _value(mon, f'probe_success{{probe="{SERVICE_PROBE}"}}') == 0
    assert _alert_states(mon, "EdgeProbeFailed") & {"pending", "firing"}, _query(mon, "ALERTS")
    debug = f"curl -sS 'http://127.0.0.1:9115/probe?module=tls&target={SERVICE}&debug=true'"
    try:
        # A certificate the Edge's CA did not sign: the handshake is refused, the probe still fails.
        probe.check_output("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 5 "
                           "-subj /CN=10.20.9.50 -addext subjectAltName=IP:10.20.9.50 "
                           "-keyout /run/self.key -out /run/self.crt 2>/dev/null")
        _serve_tls(probe, probe.check_output("cat /run/self.crt"), probe.check_output("cat /run/self.key"))
        log = mon.check_output(debug)
        assert "probe_success 0" in log and "certificate signed by unknown authority" in log, log
        assert _value(mon, f'probe_success{{probe="{SERVICE_PROBE}"}}') == 0

        # Signed by the Edge's CA (met-mon holds it) for 10 days: the probe passes and the expiry warns.
        mon.check_output("cd /run && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                         "-subj /CN=10.20.9.50 -keyout lab-service.key -out lab-service.csr 2>/dev/null && "
                         "printf 'subjectAltName=IP:10.20.9.50\\n' > lab-service.ext && "
                         "openssl x509 -req -in lab-service.csr -CA /etc/rainbow-edge/ca/ca.crt "
                         "-CAkey /etc/rainbow-edge/ca/ca.key -days 10 -extfile lab-service.ext -out lab-service.crt "
                         "2>/dev/null")
        _serve_tls(probe, mon.check_output("cat /run/lab-service.crt"), mon.check_output("cat /run/lab-service.key"))
        assert wait_for(lambda: _value(mon, f'probe_success{{probe="{SERVICE_PROBE}"}}') == 1,
                        timeout=6 * SCRAPE), mon.check_output(debug)
        expiry = _value(mon, f'probe_ssl_earliest_cert_expiry{{probe="{SERVICE_PROBE}"}}')
        assert int(expiry) == _not_after(mon, "/run/lab-service.crt")
        # EdgeCertificateExpiring waits 10 minutes before it fires: pending is the rule acting on the probe.
        assert wait_for(lambda: "pending" in _alert_states(mon, "EdgeCertificateExpiring"),
                        timeout=4 * EVALUATION + 2 * SCRAPE), _query(mon, "ALERTS")
        assert wait_for(lambda: not _alert_states(mon, "EdgeProbeFailed"), timeout=4 * EVALUATION), \
            _query(mon, "ALERTS")
        print(f"FIGURE: probe {SERVICE_PROBE} refused a certificate outside the Edge's CA, passed with the Edge's, "
              f"expiry {(expiry - float(mon.check_output('date +%s'))) / 86400:.1f} days: EdgeCertificateExpiring "
              f"pending, EdgeProbeFailed gone")
    finally:
        probe.run("systemctl stop lab-tls-service; rm -f /run/lab-tls-service.* /run/self.*")
        mon.run("rm -f /run/lab-service.*")


def test_only_tls_with_the_federation_account_gets_in(lab):
    probe = lab.host(GLOBAL)
    plain = probe.run("curl -sS -o /dev/null -w '%{http_code}' --max-time 5 http://10.20.9.41:9090/federate")
    assert plain.stdout != "200", plain
    no_credentials = probe.run(
        "curl -sS -k -o /dev/null -w '%{http_code}' --max-time 5 'https://10.20.9.41:9090/federate?match[]=up'")
    assert no_credentials.stdout == "401", no_credentials
    wrong = probe.run(
        "curl -sS -k -o /dev/null -w '%{http_code}' --max-time 5 -u federation:not-the-password "
        "'https://10.20.9.41:9090/federate?match[]=up'")
    assert wrong.stdout == "401", wrong


def test_a_host_outside_the_allowed_networks_is_filtered(lab):
    result = lab.host(OUTSIDE).run("curl -sS -k --max-time 5 https://10.20.9.41:9090/-/ready")
    # 28: timed out; a filtered port answers nothing (no reset, no TLS).
    assert result.rc == 28, result


def test_the_global_prometheus_federates_up_for_every_edge_host(lab, mon):
    probe = lab.host(GLOBAL)
    ca_pem = mon.check_output(f"cat {CA}")
    config = {
        "global": {"scrape_interval": "5s"},
        "scrape_configs": [{
            "job_name": "edge-federate",
            "honor_labels": True,
            "metrics_path": "/federate",
            "params": {"match[]": ['{job="node"}']},
            "scheme": "https",
            "basic_auth": {"username": USER, "password": _password()},
            "tls_config": {"ca_file": "/etc/prometheus/edge-ca.crt"},
            "static_configs": [{"targets": ["10.20.9.41:9090"]}],
        }],
    }
    probe.run(f"printf '%s\\n' {shlex.quote(ca_pem)} > /etc/prometheus/edge-ca.crt")
    probe.run(f"printf '%s\\n' {shlex.quote(json.dumps(config))} > /etc/prometheus/prometheus.yml")
    restarted = probe.run("systemctl restart prometheus")
    assert restarted.rc == 0, restarted

    # Only what came from the Edge: the probe's own Prometheus scraped itself before this test.
    query = "'http://127.0.0.1:9090/api/v1/query?query=up%7Bjob%3D%22node%22,edge%3D%22lab.rainbow-edge.test%22%7D'"

    def federated():
        # --fail: a Prometheus still starting answers 503 Service Unavailable.
        out = probe.run(f"curl -sS --fail --max-time 5 {query}")
        if out.rc != 0:
            return None
        result = json.loads(out.stdout)["data"]["result"]
        hosts = {r["metric"].get("host"): r["value"][1] for r in result}
        return hosts if set(hosts) == set(EDGE_HOSTS) else None
    hosts = wait_for(federated, timeout=60)
    assert hosts == {host: "1" for host in EDGE_HOSTS}, hosts
    # The federated series say which Edge they come from.
    labels = json.loads(probe.check_output(f"curl -sS {query}"))["data"]["result"][0]["metric"]
    assert labels["role"] == "common" and labels["instance"].endswith(":9100"), labels


def _deliveries(probe) -> list[dict]:
    text = probe.run(f"cat {ALERTS}").stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _delivered(probe, status: str, after: float, alertname: str = "EdgeHostDown", host: str = HOST):
    for delivery in _deliveries(probe):
        body = delivery["body"]
        for alert in body["alerts"]:
            if (alert["labels"]["alertname"] == alertname and alert["labels"].get("host") == host
                    and alert["status"] == status and delivery["received"] >= after):
                return delivery
    return None


def _alert_mail(probe, status: str, after: float):
    """The first alert e-mail for HOST with ``status`` (FIRING, RESOLVED) filed after ``after`` (epoch s)."""
    script = (
        "import email, json, os, sys\n"
        "out = []\n"
        "for name in sorted(os.listdir(sys.argv[1])):\n"
        "    path = os.path.join(sys.argv[1], name)\n"
        "    with open(path, 'rb') as f:\n"
        "        m = email.message_from_binary_file(f)\n"
        "    out.append({'filed': os.stat(path).st_mtime, 'subject': str(m['Subject']), 'from': str(m['From']),\n"
        "                'to': str(m['To']), 'dkim': m['DKIM-Signature'] is not None,\n"
        "                'received': ' '.join(str(r) for r in m.get_all('Received', []))})\n"
        "print(json.dumps(out))\n")
    listed = probe.run(f"python3 -c {shlex.quote(script)} {MAILDIR}")
    if listed.rc != 0:
        return None
    for mail in json.loads(listed.stdout):
        if (mail["filed"] >= after and mail["subject"].startswith(f"[{status}")
                and "EdgeHostDown" in mail["subject"] and HOST in mail["subject"]):
            return mail
    return None


def test_a_stopped_node_exporter_fires_host_down_at_the_webhook_then_resolves(lab, mon, webhook, tmp_path):
    probe, host = webhook, lab.host(HOST)
    bound = HOST_DOWN_FOR + 2 * SCRAPE + EVALUATION + GROUP_WAIT
    clock = float(probe.check_output("date +%s.%N"))
    host.check_output("systemctl stop prometheus-node-exporter")
    try:
        fired = wait_for(lambda: _delivered(probe, "firing", clock), timeout=bound + 60, interval=1)
        assert fired, f"no EdgeHostDown for {HOST} delivered in {bound + 60} s: {_deliveries(probe)}"
        elapsed = fired["received"] - clock
        print(f"FIGURE: EdgeHostDown delivered {elapsed:.1f} s after the node exporter stopped (bound {bound} s)")
        assert elapsed <= bound, f"delivered after {elapsed:.1f} s; bound {bound} s"
        # And by e-mail, through the Edge's mail relay, to the customer's mail server.
        mail = wait_for(lambda: _alert_mail(probe, "FIRING", clock), timeout=60, interval=1)
        assert mail, f"no EdgeHostDown e-mail for {HOST} in {MAILDIR} 60 s after its webhook delivery"
        print(f"FIGURE: EdgeHostDown e-mailed through {MAIL}, filed {mail['filed'] - clock:.1f} s after the node "
              f"exporter stopped")
        assert mail["from"] == "alertmanager@lab.rainbow-edge.test" and mail["to"] == "ops@example.net", mail
        assert mail["dkim"] and f"by {MAIL}." in mail["received"], mail
        # Alertmanager holds it too.
        held = json.loads(mon.check_output("curl -sS --fail http://127.0.0.1:9093/api/v2/alerts"))
        assert any(a["labels"]["alertname"] == "EdgeHostDown" and a["labels"]["host"] == HOST for a in held), held
        # The health report (playbooks/health.yml) reads it there, names the host it is about, and fails.
        run = lab.playbook("health", "-e", f"edge_health_report_dir={tmp_path}")
        report = json.loads((tmp_path / "health.json").read_text())
        alerts = [f for f in report["findings"] if f["summary"].startswith("Alert EdgeHostDown")]
        assert [(f["severity"], f["hosts"], f["detail"]) for f in alerts] == [
            ("critical", [HOST], f"firing in Alertmanager on {MON}")], report["findings"]
        assert run.returncode != 0 and report["status"] == "critical", run
    finally:
        host.check_output("systemctl start prometheus-node-exporter")
    started = float(probe.check_output("date +%s.%N"))
    resolved = wait_for(lambda: _delivered(probe, "resolved", started), timeout=120, interval=1)
    assert resolved, f"EdgeHostDown for {HOST} never resolved: {_deliveries(probe)}"
    print(f"FIGURE: EdgeHostDown resolved {resolved['received'] - started:.1f} s after the node exporter started")


def test_stopped_replication_fires_its_alert_at_the_webhook_then_resolves(lab, webhook):
    probe, replica = webhook, lab.host(DB2)
    bound = REPLICATION_STOPPED_FOR + 2 * SCRAPE + EVALUATION + GROUP_WAIT
    clock = float(probe.check_output("date +%s.%N"))
    replica.check_output("mariadb -e 'STOP SLAVE'")
    try:
        fired = wait_for(lambda: _delivered(probe, "firing", clock, "EdgeMariaDBReplicationStopped", DB2),
                         timeout=bound + 60, interval=1)
        assert fired, f"no EdgeMariaDBReplicationStopped for {DB2} delivered in {bound + 60} s: {_deliveries(probe)}"
        elapsed = fired["received"] - clock
        print(f"FIGURE: EdgeMariaDBReplicationStopped delivered {elapsed:.1f} s after replication stopped on {DB2} "
              f"(bound {bound} s)")
        assert elapsed <= bound, f"delivered after {elapsed:.1f} s; bound {bound} s"
    finally:
        replica.check_output("mariadb -e 'START SLAVE'")
    started = float(probe.check_output("date +%s.%N"))
    resolved = wait_for(lambda: _delivered(probe, "resolved", started, "EdgeMariaDBReplicationStopped", DB2),
                        timeout=120, interval=1)
    assert resolved, f"EdgeMariaDBReplicationStopped for {DB2} never resolved: {_deliveries(probe)}"
    print(f"FIGURE: EdgeMariaDBReplicationStopped resolved {resolved['received'] - started:.1f} s after replication "
          f"started again")


def test_the_data_is_on_the_encrypted_volume_and_retention_is_sized_from_it(mon):
    for path in ("/srv/metrics/data/prometheus", "/srv/metrics/data/alertmanager"):
        assert mon.check_output(f"findmnt --noheadings --output SOURCE --target {path}") == "/dev/vdb"
        assert mon.file(path).user == "prometheus"
    status = mon.check_output("fscrypt status /srv/metrics/data")
    assert "Unlocked: Yes" in status and "AES_256_XTS" in status, status
    size = int(mon.check_output("findmnt --noheadings --bytes --output SIZE --target /srv/metrics"))
    flags = mon.check_output("cat /proc/$(systemctl show -p MainPID --value prometheus)/cmdline | tr '\\0' ' '")
    assert f"--storage.tsdb.retention.size={size * 80 // 100 // 2 ** 20}MB" in flags, flags
    assert "--storage.tsdb.retention.time=30d" in flags and "--storage.tsdb.path=/srv/metrics/data/prometheus" in flags
    assert "--web.listen-address=10.20.9.41:9090" in flags, flags


def test_the_federation_password_is_kept_as_a_hash(mon):
    web = mon.file("/etc/prometheus/web.yml")
    assert (web.user, web.group, web.mode) == ("root", "prometheus", 0o640)
    assert _password() not in web.content_string
    assert f"{USER}: \"$2b$" in web.content_string, web.content_string
    clear = mon.file("/etc/prometheus/federation.password")
    assert (clear.user, clear.group, clear.mode) == ("root", "prometheus", 0o640)
    # Alertmanager listens on loopback only.
    assert mon.socket("tcp://127.0.0.1:9093").is_listening
    assert not mon.socket("tcp://0.0.0.0:9093").is_listening


def test_bad_inputs_are_refused_with_every_problem_at_once(lab):
    bad_target = {"lab_fixture_provides": {"scrape_targets": [{"job": "app", "address": "10.20.9.11", "port": 70000}]}}
    run = lab.playbook("metrics", "-e", "metrics_retention_days=0", "-e", "metrics_federation_password=",
                       "-e", json.dumps(bad_target))
    text = run.refusal(INPUT_REFUSAL, [MON])[MON]
    assert "metrics_retention_days: expected 1-3650 days; got 0" in text, text
    assert "metrics_federation_password: expected the federation account's password" in text, text
    assert "it is empty" in text
    for host in EDGE_HOSTS:
        assert (f"{host}: lab_fixture_provides.scrape_targets[0].port: expected a TCP port 1-65535; got 70000"
                in text), text
