"""The All-in-One's composition, ports, memory shares and WAN addresses (module_utils/aio_config.py)."""

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import aio_config

SHARES = {"mariadb": 35, "mongodb": 25, "xmpp": 15, "api": 10, "public_lb": 5}
TIERS = list(aio_config.AIO_TIERS)
GROUPS = ["edge", "aio"] + TIERS
MEMORY = 32096  # a 32 GB virtual machine's MemTotal, in MiB


def tier_inputs(**changes):
    inputs = {
        "common": {"common_ssh_port": 22, "common_node_exporter_port": 9100},
        "mariadb": {"mariadb_port": 3306, "mariadb_exporter_port": 9104, "mariadb_exporter_enabled": True,
                    "mariadb_innodb_buffer_pool_size": "8G"},
        "mongodb": {"mongodb_port": 27017, "mongodb_wiredtiger_cache_size_gb": 4.0},
        "xmpp": {"xmpp_c2s_port": 5222, "xmpp_c2s_tls_port": 5223, "xmpp_http_port": 5443, "xmpp_admin_port": 5281,
                 "xmpp_s2s_port": 5269, "xmpp_federation_domains": [], "xmpp_cluster_port_min": 4200,
                 "xmpp_cluster_port_max": 4210},
        "api": {"api_port": 8443},
        "public_lb": {"public_lb_metrics_port": 8404, "public_lb_vips": ["198.51.100.13"],
                      "public_lb_wan_ip": "198.51.100.12"},
    }
    for key, value in changes.items():
        role = next(role for role in inputs if key.startswith(role + "_"))
        inputs[role][key] = value
    return inputs


def errors(group_names=None, memtotal=MEMORY, tiers=None, shares=None, **changes):
    return aio_config.input_errors("aio1", GROUPS if group_names is None else group_names, memtotal,
                                   {"aio_tiers": TIERS if tiers is None else tiers,
                                    "aio_memory_shares": SHARES if shares is None else shares},
                                   tier_inputs(**changes))


def test_the_footprint_s_all_in_one_passes():
    assert errors() == []


def test_every_problem_is_listed_at_once():
    found = errors(group_names=["edge", "aio", "mariadb", "swift"], xmpp_admin_port=8443,
                   mariadb_innodb_buffer_pool_size="", public_lb_vips=[])
    assert found[0].startswith("aio1 carries the All-in-One's tiers through their groups, and is not in group(s) "
                               "mongodb, xmpp, api, public_lb"), found
    assert found[1].startswith("aio1 is an All-in-One and is also in group(s) swift"), found
    assert found[2] == ("port 8443 is taken by xmpp (xmpp_admin_port) and api (api_port): give each its own port")
    assert found[3].startswith("mariadb_innodb_buffer_pool_size: 16048 MiB (empty: half the host) is over 75 % of "
                               "MariaDB's share of the All-in-One (aio_memory_shares.mariadb, 35 % of 32096 MiB = "
                               "11233 MiB): set it to at most 8424M"), found
    assert found[4].startswith("public_lb_vips: an All-in-One has two WAN addresses"), found
    assert len(found) == 5


@pytest.mark.parametrize("changes,collision", [
    ({"api_port": 3306}, "port 3306 is taken by mariadb (mariadb_port) and api (api_port)"),
    ({"public_lb_metrics_port": 443}, "port 443 is taken by public_lb (public_lb_metrics_port) and public_lb (the public "
                                      "entry point)"),
    ({"api_port": 4205}, "port 4205 is taken by xmpp (xmpp_cluster_port_min-max) and api (api_port)"),
    ({"common_node_exporter_port": 4369}, "port 4369 is taken by common (common_node_exporter_port) and xmpp (epmd)"),
    ({"mariadb_exporter_port": 8404}, "port 8404 is taken by mariadb (mariadb_exporter_port) and public_lb "
                                      "(public_lb_metrics_port)"),
])
def test_two_listeners_on_one_port_are_refused(changes, collision):
    assert collision + ": give each its own port" in errors(**changes)


def test_a_switched_off_listener_takes_no_port():
    assert errors(mariadb_exporter_enabled=False, mariadb_exporter_port=8404) == []
    # Server-to-server listens only with federation domains.
    assert errors(xmpp_s2s_port=8443) == []
    assert errors(xmpp_s2s_port=8443, xmpp_federation_domains=["global.example.com"]) == [
        "port 8443 is taken by xmpp (xmpp_s2s_port) and api (api_port): give each its own port"]


def test_a_tier_left_out_whose_group_still_holds_the_host_is_refused():
    tiers = ["mariadb", "xmpp", "api", "public_lb"]
    assert errors(tiers=tiers) == [
        "aio1 is in group(s) mongodb, which aio_tiers leaves out: their playbooks would converge the tier here without "
        "its share or checks; add the tier to aio_tiers or take the host out of the group"]


@pytest.mark.parametrize("group", ["turn", "private_lb", "voice_proxy", "cloud_pbx_gateway", "gatekeeper"])
def test_a_tier_with_servers_of_its_own_is_refused(group):
    assert errors(group_names=GROUPS + [group]) == [
        "aio1 is an All-in-One and is also in group(s) %s, whose servers are hosts of their own (section 9.3): "
        "remove it from them" % group]


def test_a_tier_left_out_is_not_checked_nor_given_a_share():
    tiers = ["mariadb", "xmpp", "api", "public_lb"]
    # MongoDB's default cache (half the host) would not fit; it is not carried here.
    assert errors(tiers=tiers, group_names=["edge", "aio"] + tiers, mongodb_wiredtiger_cache_size_gb=0.0) == []
    limits = aio_config.memory_limits(MEMORY, SHARES, tiers)
    assert limits == {"mariadb.service": 11233, "mongod.service": 0, "ejabberd.service": 4814,
                      "rainbow-edge-api.service": 3209, "haproxy.service": 1604}
    assert aio_config.left_out(tiers) == ["mongodb"]
    assert aio_config.left_out(TIERS) == []


@pytest.mark.parametrize("value,fits", [("8G", True), ("8424M", True), ("8425M", False), ("9G", False),
                                        (str(8424 * 1048576), True)])
def test_the_buffer_pool_must_fit_75_percent_of_mariadb_s_share(value, fits):
    assert (errors(mariadb_innodb_buffer_pool_size=value) == []) is fits


@pytest.mark.parametrize("value,fits", [(4.0, True), (4.7, True), (4.8, False), (0.0, False)])
def test_mongodb_s_cache_must_fit_60_percent_of_its_share(value, fits):
    found = errors(mongodb_wiredtiger_cache_size_gb=value)
    assert (found == []) is fits, found
    if value == 0.0:
        assert "(0: MongoDB's default, half the host less 1 GB)" in found[0] and "set it to at most 4.7" in found[0]


@pytest.mark.parametrize("shares,message", [
    (dict(SHARES, mariadb=50), "aio_memory_shares: the tiers' shares add up to 105 %, leaving the system less than "
                               "its 10 %: lower them"),
    (dict(SHARES, redis=5), "aio_memory_shares: redis is not a tier of the All-in-One"),
    (dict(SHARES, xmpp=0), "aio_memory_shares.xmpp: expected a whole percent of the host's memory, 1-100; got 0"),
    ({key: value for key, value in SHARES.items() if key != "api"}, "aio_memory_shares: no share for api"),
])
def test_the_shares_leave_the_system_its_reserve(shares, message):
    assert any(error.startswith(message) for error in errors(shares=shares)), errors(shares=shares)


def test_a_bad_share_and_an_oversized_cache_are_listed_together():
    found = errors(shares=dict(SHARES, xmpp=0), mariadb_innodb_buffer_pool_size="20G")
    assert found[0].startswith("aio_memory_shares.xmpp: expected a whole percent"), found
    assert found[1].startswith("mariadb_innodb_buffer_pool_size: 20480 MiB is over 75 %"), found


def test_the_vip_is_a_second_wan_address():
    assert errors(public_lb_vips=["198.51.100.12"]) == [
        "public_lb_vips: 198.51.100.12 is aio1's own WAN address (public_lb_wan_ip, default edge_wan_ip); the VIP is "
        "the All-in-One's second WAN address"]
    assert errors(public_lb_vips=["198.51.100.13", "198.51.100.14"])[0].endswith("has 2 VIP(s): give it exactly one")
    # Without the public load balancer, no VIP is asked for.
    tiers = ["mariadb", "mongodb", "xmpp", "api"]
    assert errors(tiers=tiers, group_names=["edge", "aio"] + tiers, public_lb_vips=[]) == []


def test_unknown_tiers_are_named():
    assert errors(tiers=TIERS + ["swift"])[0].startswith("aio_tiers: swift not a tier of the All-in-One")


@pytest.mark.parametrize("value,mib", [("8G", 8192), ("512M", 512), ("1048576K", 1024), ("1073741824", 1024)])
def test_mariadb_sizes_are_read_in_mib(value, mib):
    assert aio_config.size_mb(value) == mib


def test_the_template_s_figures_fit_a_32_gb_all_in_one():
    """inventories/standalone-small/hosts.yml sets 8G and 4 GB for the footprint's 32 GB (scripts/render_inventories.py)."""
    assert errors(memtotal=31 * 1024, mariadb_innodb_buffer_pool_size="8G", mongodb_wiredtiger_cache_size_gb=4.0) == []
