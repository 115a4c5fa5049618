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
        "api_swift_user": "", "api_swift_key": "", "api_swift_container": "files",
        "api_turn_static_auth_secret": "", "api_turn_uris": [], "api_turn_credential_lifetime": 86400,
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


SWIFT_USERS = [{"account": "rainbow", "user": "files", "key": "files-key-0123456789"},
               {"account": "dispersion", "user": "report", "key": "dispersion-key-0123"}]
TURN = ["turn:203.0.113.31:3478?transport=udp"]


def test_an_edge_with_swift_and_turn_needs_the_application_s_account_and_the_turn_secret():
    files_and_media = good_inputs(api_swift_user="rainbow:files", api_swift_key="files-key-0123456789",
                                  api_turn_static_auth_secret="t" * 40)
    assert api_config.input_errors(files_and_media, "10.20.16.11", [], SWIFT_USERS, TURN) == []
    errors = api_config.input_errors(good_inputs(), "10.20.16.11", [], SWIFT_USERS, TURN)
    assert errors == [
        "api_swift_user: the application stores users' files in the Edge's Swift: expected its account as "
        "<account>:<user>, one of the Swift servers' swift_auth_users ['dispersion:report', 'rainbow:files']; got ''",
        "api_turn_static_auth_secret (default: turn_static_auth_secret): is empty: the application makes users' TURN "
        "credentials with the TURN servers' secret",
    ]
    # Without Swift servers or TURN servers, neither is needed.
    assert api_config.input_errors(good_inputs(), "10.20.16.11", [], None, []) == []


def test_the_swift_account_must_be_one_the_swift_servers_have_with_the_same_key():
    other = api_config.input_errors(good_inputs(api_swift_user="rainbow:other", api_swift_key="x" * 20),
                                    "10.20.16.11", [], SWIFT_USERS)
    assert other == ["api_swift_user: rainbow:other is not one of the Swift servers' swift_auth_users "
                     "['dispersion:report', 'rainbow:files']"]
    wrong_key = api_config.input_errors(good_inputs(api_swift_user="rainbow:files", api_swift_key="not-the-key"),
                                        "10.20.16.11", [], SWIFT_USERS)
    assert wrong_key == ["api_swift_key: not the key swift_auth_users gives rainbow:files"]
    assert not [error for error in wrong_key + other if "files-key" in error or "not-the-key" in error]
    no_swift = api_config.input_errors(good_inputs(api_swift_user="rainbow:files"), "10.20.16.11", [], None)
    assert no_swift == ["api_swift_user: the Edge has no Swift servers (group swift) to store files in; "
                        "got 'rainbow:files'"]


def test_bad_turn_inputs_are_named():
    errors = api_config.input_errors(good_inputs(api_turn_uris=["stun:x y"], api_turn_static_auth_secret="short",
                                                 api_turn_credential_lifetime=10, api_swift_container="a/b"),
                                     "10.20.16.11", [], SWIFT_USERS[:0], TURN)
    assert [error.split(":")[0] for error in errors] == [
        "api_swift_user", "api_swift_container", "api_turn_uris", "api_turn_static_auth_secret (default",
        "api_turn_credential_lifetime"], errors
    assert not [error for error in errors if "short" in error and "shorter" not in error]
