"""The metrics tier's alert rules, checked and unit-tested with promtool.

promtool comes from Debian's ``prometheus`` package, the one the metrics role
installs on the Edge: taken from PATH, or unpacked (never installed: its
service would start on this machine) into the test cache from the package
apt downloads.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
RULES = ROOT / "roles/metrics/files/etc/prometheus/rules/rainbow-edge.rules.yml"
RULE_TESTS = HERE / "rainbow-edge.rules.test.yml"
CACHE = ROOT / ".cache/promtool"


def _unpacked_promtool() -> Path:
    binary = CACHE / "usr/bin/promtool"
    if binary.is_file():
        return binary
    CACHE.mkdir(parents=True, exist_ok=True)
    download = ["apt-get", "download", "-q", "prometheus"]
    if subprocess.run(download, cwd=CACHE, capture_output=True, check=False).returncode != 0:
        # A new machine has no package lists yet.
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=True)
        subprocess.run(download, cwd=CACHE, capture_output=True, check=True)
    package = sorted(CACHE.glob("prometheus_*.deb"))[-1]
    subprocess.run(["dpkg-deb", "-x", str(package), str(CACHE)], check=True)
    package.unlink()
    return binary


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    return found or str(_unpacked_promtool())


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=False, cwd=HERE)


def test_the_rules_pass_promtool_check(promtool):
    result = _run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rule_tests_pass(promtool):
    result = _run(promtool, "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing():
    alerts = {rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}
    fired = {check["alertname"] for case in yaml.safe_load(RULE_TESTS.read_text())["tests"]
             for check in case["alert_rule_test"] if check.get("exp_alerts")}
    assert alerts - fired == set(), f"alerts no test shows firing: {sorted(alerts - fired)}"
    assert fired - alerts == set(), f"tests of alerts the rules do not have: {sorted(fired - alerts)}"


def test_the_rules_test_file_reads_the_role_s_rules():
    rule_files = yaml.safe_load(RULE_TESTS.read_text())["rule_files"]
    assert [(HERE / path).resolve() for path in rule_files] == [RULES]
