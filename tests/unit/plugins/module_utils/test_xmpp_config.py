"""The XMPP tier's decisions (plugins/module_utils/xmpp_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import xmpp_config as xc

INPUTS = {
    "xmpp_domain": "edge1.example.net",
    "xmpp_lan_cidr": "10.20.0.0/16",
    "xmpp_lan_ip": "10.20.0.21",
    "xmpp_c2s_port": 5222,
    "xmpp_c2s_tls_port": 5223,
    "xmpp_http_port": 5443,
    "xmpp_admin_port": 5281,
    "xmpp_allowed_cidrs": ["10.20.0.0/16"],
    "xmpp_admin_allowed_cidrs": ["10.20.0.0/16"],
    "xmpp_admins": [],
    "xmpp_federation_domains": [],
    "xmpp_s2s_allowed_cidrs": [],
    "xmpp_s2s_port": 5269,
    "xmpp_erlang_cookie": "A" * 32,
    "xmpp_cluster_port_min": 4200,
    "xmpp_cluster_port_max": 4210,
    "xmpp_sql_server": "",
    "xmpp_sql_port": 3306,
    "xmpp_sql_database": "ejabberd",
    "xmpp_sql_user": "ejabberd",
    "xmpp_sql_password": "a-password-of-24-letters",
    "xmpp_sql_pool_size": 10,
}
MEMBERS = ["xmpp1", "xmpp2"]
ADDRESSES = {"xmpp1": "10.20.0.21", "xmpp2": "10.20.0.22"}
TLS = {"key": "/etc/ejabberd/tls/xmpp.key", "certificate": "/etc/ejabberd/tls/xmpp.crt", "ca": "/etc/ejabberd/tls/ca.crt"}


def test_good_inputs_have_no_problem():
    assert xc.input_errors(INPUTS, MEMBERS, ADDRESSES, "10.20.0.10") == []


def test_every_problem_is_listed_at_once_and_no_secret_is_shown():
    bad = dict(INPUTS, xmpp_domain="Edge_1", xmpp_lan_ip="192.0.2.1", xmpp_c2s_tls_port=5222, xmpp_admin_port=80,
               xmpp_allowed_cidrs=[], xmpp_admin_allowed_cidrs=["10.20.0.1/16"], xmpp_admins=["not a jid"],
               xmpp_federation_domains=["global.example.com"], xmpp_cluster_port_min=4300, xmpp_cluster_port_max=4200,
               xmpp_sql_database="ejabberd-db", xmpp_sql_password="short", xmpp_sql_pool_size=0,
               xmpp_erlang_cookie="secret!")
    errors = xc.input_errors(bad, MEMBERS, {"xmpp1": "10.20.0.21"}, "")
    text = "\n".join(errors)
    for expected in (
            "xmpp_domain (default: edge_domain): expected the Edge's XMPP domain",
            "xmpp_lan_ip (default: edge_lan_ip): expected this host's address on the LAN 10.20.0.0/16; got '192.0.2.1'",
            "xmpp_admin_port: expected a TCP port 1024-65535; got 80",
            "xmpp_c2s_tls_port: port 5222 is already xmpp_c2s_port",
            "xmpp_cluster_port_min, xmpp_cluster_port_max: expected a range of at most 101 TCP ports",
            "xmpp_allowed_cidrs: expected IPv4 networks in CIDR form; the list is empty",
            "xmpp_admin_allowed_cidrs: expected IPv4 networks in CIDR form; not networks: ['10.20.0.1/16']",
            "xmpp_admins: expected bare JIDs",
            "xmpp_s2s_allowed_cidrs: federation with global.example.com needs the networks",
            "xmpp_sql_database: expected 1-64 letters, digits or underscores; got 'ejabberd-db'",
            "xmpp_sql_password: expected a password of at least 12 characters (from the vault); it is too short",
            "xmpp_sql_pool_size: expected 1-100 connections; got 0",
            "xmpp_sql_server: expected the MariaDB primary's LAN address",
            "xmpp_erlang_cookie: the cluster of xmpp1, xmpp2 needs one shared cookie",
            "xmpp: no LAN address (xmpp_lan_ip or edge_lan_ip) for the cluster's member(s) xmpp2"):
        assert expected in text, (expected, errors)
    assert len(errors) == 15, errors
    assert "short" not in text.replace("too short", "") and "secret!" not in text


def test_the_erlang_distribution_range_may_not_hold_a_listener_or_epmd():
    errors = xc.input_errors(dict(INPUTS, xmpp_cluster_port_min=5220, xmpp_cluster_port_max=5225), MEMBERS,
                             ADDRESSES, "10.20.0.10")
    assert errors == ["xmpp_cluster_port_min, xmpp_cluster_port_max: the range holds 5222, 5223, already "
                      "xmpp_c2s_port, xmpp_c2s_tls_port"]
    assert "epmd" in xc.input_errors(dict(INPUTS, xmpp_http_port=4369), MEMBERS, ADDRESSES, "10.20.0.10")[0]


def test_a_lone_server_needs_no_cookie():
    assert xc.input_errors(dict(INPUTS, xmpp_erlang_cookie=""), ["xmpp1"], ADDRESSES, "10.20.0.10") == []


def test_the_first_member_starts_the_cluster_and_the_others_join_it():
    first, second = (xc.cluster(MEMBERS, ADDRESSES, host) for host in MEMBERS)
    assert first == {"node": "ejabberd@10.20.0.21", "seed": "ejabberd@10.20.0.21", "joins": False,
                     "nodes": ["ejabberd@10.20.0.21", "ejabberd@10.20.0.22"], "peer_addresses": ["10.20.0.22"]}
    assert second["joins"] and second["seed"] == "ejabberd@10.20.0.21" and second["peer_addresses"] == ["10.20.0.21"]
    assert xc.cluster(["xmpp1"], ADDRESSES, "xmpp1")["peer_addresses"] == []


def test_the_configuration_has_tls_only_clients_and_everything_lasting_in_mariadb():
    config = xc.ejabberd_config(INPUTS, "10.20.0.10", TLS, True)
    ports = {listener["port"]: listener for listener in config["listen"]}
    assert sorted(ports) == [5222, 5223, 5281, 5443]
    assert ports[5222]["starttls_required"] is True and ports[5223]["tls"] is True
    assert all(listener["ip"] == "10.20.0.21" for listener in config["listen"])
    assert all({"no_tlsv1", "no_tlsv1_1", "no_sslv3"} <= set(listener["protocol_options"])
               for listener in config["listen"])
    assert ports[5443]["request_handlers"] == {"/ws": "ejabberd_http_ws", "/bosh": "mod_bosh"}
    assert ports[5281]["request_handlers"] == {"/admin": "ejabberd_web_admin"}
    assert (config["default_db"], config["auth_method"], config["sql_type"]) == ("sql", "sql", "mysql")
    assert (config["sql_ssl"], config["sql_ssl_verify"], config["sql_ssl_cafile"]) == (True, True, TLS["ca"])
    assert config["modules"]["mod_mam"]["db_type"] == "sql"
    assert config["update_sql_schema"] is False
    assert "update_sql_schema" not in xc.ejabberd_config(INPUTS, "10.20.0.10", TLS, False)


def test_federation_is_off_unless_the_global_side_s_domains_are_named():
    alone = xc.ejabberd_config(INPUTS, "10.20.0.10", TLS, True)
    assert alone["access_rules"]["s2s"] == {"deny": "all"}
    assert all(listener["module"] != "ejabberd_s2s_in" for listener in alone["listen"])
    connected = xc.ejabberd_config(dict(INPUTS, xmpp_federation_domains=["global.example.com"],
                                        xmpp_s2s_allowed_cidrs=["10.99.0.0/24"]), "10.20.0.10", TLS, True)
    assert connected["access_rules"]["s2s"] == {"allow": "federation"}
    assert connected["acl"]["federation"] == {"server": ["global.example.com"]}
    assert [listener["port"] for listener in connected["listen"] if listener["module"] == "ejabberd_s2s_in"] == [5269]
