# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rainbow.edge.edge_health_probe on this machine: certificates and textfiles from a test directory.

The tiers' readings against live servers are the demo scenario's
(molecule/connected/tests/test_connected.py, the health report tests).
"""

import json
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ansible_collections.rainbow.edge.plugins.modules import edge_health_probe


@pytest.fixture
def etc(tmp_path):
    """A directory with a certificate expiring in 10 days, a private key and a trust store left out."""
    # The module reads certificates with the openssl CLI, as on every Debian host.
    assert shutil.which("openssl"), "openssl is missing on this machine"
    root = tmp_path / "etc"
    (root / "svc").mkdir(parents=True)
    (root / "trust").mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=svc.edge.test", "-days", "10", "-keyout", str(root / "svc" / "key.pem"),
                    "-out", str(root / "svc" / "cert.pem")], check=True, capture_output=True)
    shutil.copy(root / "svc" / "cert.pem", root / "trust" / "ca.crt")
    (root / "svc" / "chain.crt").symlink_to(root / "svc" / "cert.pem")
    return root


def test_certificates_and_textfiles_are_read(module_runner, etc, tmp_path):
    textfiles = tmp_path / "textfiles"
    textfiles.mkdir()
    (textfiles / "rainbow_edge_backup.prom").write_text(
        'rainbow_edge_backup_newest_timestamp_seconds{source="files"} 1800000000\nnode_other 1\n')
    rc, result = module_runner(edge_health_probe.main, {
        "certificate_dirs": [str(etc)], "certificate_excludes": [str(etc / "trust")],
        "textfile_dir": str(textfiles), "_ansible_check_mode": True})
    assert rc == 0 and result["changed"] is False, result
    # The key, the symlink and the excluded trust store are not certificates to report.
    assert [(c["path"], c["subject"]) for c in result["certificates"]] == [(str(etc / "svc" / "cert.pem"),
                                                                           "CN=svc.edge.test")]
    days = (result["certificates"][0]["not_after"] - time.time()) / 86400
    assert 9.9 < days <= 10.0, days
    assert result["metrics"] == [{"name": "rainbow_edge_backup_newest_timestamp_seconds",
                                  "labels": {"source": "files"}, "value": 1.8e9}]
    for key in ("failed_units", "vips", "wireguard"):
        assert isinstance(result[key], list), result
    assert "mariadb" not in result and "swift" not in result and "xmpp" not in result


def test_a_tier_that_does_not_answer_is_a_reading_not_a_failure(module_runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no MariaDB client, no ejabberdctl
    rc, result = module_runner(edge_health_probe.main, {
        "certificate_dirs": [str(tmp_path)], "textfile_dir": str(tmp_path / "none"), "mariadb": True, "xmpp": True})
    assert rc == 0, result
    assert result["mariadb"]["error"] and result["xmpp"]["error"] == "ejabberdctl is not installed"


class _Alertmanager(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = json.dumps([{"labels": {"alertname": "EdgeHostDown", "severity": "critical", "host": "h1"},
                            "annotations": {"summary": "h1 is down"}, "status": {"state": "active"}}]).encode()
        assert self.path == "/api/v2/alerts?active=true&silenced=false&inhibited=false", self.path
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_alertmanager_s_active_alerts_are_read_and_its_silence_is_an_error(module_runner, tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Alertmanager)
    threading.Thread(target=server.handle_request, daemon=True).start()
    base = {"certificate_dirs": [str(tmp_path)], "textfile_dir": str(tmp_path / "none")}
    rc, result = module_runner(edge_health_probe.main, dict(base, alertmanager_url="http://127.0.0.1:%d/" % server.server_port))
    server.server_close()
    assert rc == 0 and result["alerts"] == [{"name": "EdgeHostDown", "severity": "critical", "summary": "h1 is down",
                                             "labels": {"alertname": "EdgeHostDown", "severity": "critical",
                                                        "host": "h1"}}], result
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    rc, result = module_runner(edge_health_probe.main, dict(base, alertmanager_url="http://127.0.0.1:%d" % port, timeout=5))
    assert rc == 0 and "error" in result["alerts"], result
