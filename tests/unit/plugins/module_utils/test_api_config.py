"""The application servers' input check (module_utils/api_config.py)."""

from pathlib import Path

from ansible_collections.rainbow.edge.plugins.module_utils import api_config

KEYS = Path(__file__).parent / "data" / "openpgp"
# As gpg 2.2 printed them when the fixture keys were made (gpg --show-keys).
VENDOR = "7D8D8B5356EF8B24F65F66F00318DBC60C7C0FE5"  # ed25519, OpenPGP v4
OTHER = "7C0DE75B57849A122E372F10B2D2000F341E5E77"   # rsa2048 with no subkey


def key(name):
    return (KEYS / name).read_text()


def good_inputs(**changes):
    inputs = {
        "api_lan_cidr": "10.20.16.0/24", "api_lan_ip": "10.20.16.21", "api_port": 8443, "api_private_port": 8443,
        "api_allowed_cidrs": ["10.20.16.0/24"],
        "api_health_path": "/healthz", "api_metrics_path": "/metrics", "api_public_paths": ["/api"],
        "api_apt_repository_url": "http://repo.vendor.example/debian", "api_apt_repository_suite": "stable",
        "api_apt_repository_components": ["main"], "api_packages": ["rainbow-edge-api-fixture"],
        "api_apt_signing_key": key("vendor.asc"), "api_apt_signing_key_fingerprint": VENDOR,
        "api_entry_point": "/usr/lib/rainbow-edge-api-fixture/server.js",
        "api_sql_database": "rainbow_api", "api_sql_user": "rainbow_api", "api_sql_password": "s3cret",
        "api_sql_port": 3306, "api_drain_timeout": 30, "api_stop_timeout": 30,
    }
    inputs.update(changes)
    return inputs


def test_good_inputs_pass():
    assert api_config.input_errors(good_inputs(), "10.20.16.11", ["10.20.16.31"]) == []


def test_every_problem_is_listed_at_once_and_no_secret_is_shown():
    inputs = good_inputs(api_lan_ip="10.30.0.5", api_port=80, api_allowed_cidrs=[], api_public_paths=["api"],
                         api_apt_repository_url="ftp://repo", api_apt_repository_suite="", api_packages=["Bad Name"],
                         api_apt_signing_key_fingerprint=OTHER, api_entry_point="server.js",
                         api_sql_user="bad-name", api_sql_password="", api_drain_timeout=-1, api_stop_timeout=0)
    errors = api_config.input_errors(inputs, "", ["10.20.16.31", ""])
    named = ["api_lan_ip", "api_port", "api_allowed_cidrs", "api_public_paths", "api_apt_repository_url",
             "api_apt_repository_suite", "api_packages", "api_apt_signing_key is key", "api_entry_point",
             "api_sql_user", "api_sql_password", "api_sql_server", "XMPP servers", "api_drain_timeout",
             "api_stop_timeout"]
    assert len(errors) == len(named), errors
    for name in named:
        assert any(name in error for error in errors), name
    assert not any("s3cret" in error for error in errors)
