"""Every pre-flight check, its boundaries, and that all findings come at once."""

import copy

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils.edge_checks import check_inventory, match_disks, validate
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import EdgeInputError


def checks(findings, check=None):
    return [f for f in findings if check is None or f["check"] == check]


def first_host(opts, tier):
    return opts["groups"][tier][0]


@pytest.mark.parametrize("options", [
    {"variant": "connected"},
    {"variant": "connected", "voice": True, "datacenters": 2},
    {"variant": "standalone", "concurrent_users": 800},
    {"variant": "standalone", "concurrent_users": 20000},
    {"variant": "standalone", "voice": True, "concurrent_users": 40000, "datacenters": 3},
], ids=["connected", "connected-voice-2dc", "small", "large", "large-voice-3dc"])
def test_a_fitting_inventory_passes(inventory, options):
    result = validate(inventory(**options))
    assert result["failures"] == [], result["msg"]
    assert result["passed"]
    assert "fit the footprint" in result["msg"]


def test_every_shortfall_is_listed_at_once(inventory):
    opts = inventory(variant="connected", datacenters=2)
    db = first_host(opts, "mariadb")
    gk = first_host(opts, "gatekeeper")
    opts["hosts"][db].update(vcpus=2, memory_mb=2048, disks_gb=[256])
    opts["hosts"][gk]["nics"][0]["speed_mbps"] = 100
    opts["groups"]["swift"] = opts["groups"]["swift"][:1]
    opts["links"][0]["rtt_ms"] = 101
    opts["wan_bandwidth_mbps"] = 20
    result = validate(opts)
    found = {(f["host"], f["tier"], f["check"]) for f in result["failures"]}
    assert found == {
        (db, "mariadb", "vcpus"), (db, "mariadb", "memory"), (db, "mariadb", "disks"),
        (gk, "gatekeeper", "nic_speed"), (None, "swift", "count"), (None, None, "rtt"),
        (None, None, "wan_bandwidth"),
    }
    assert result["msg"].count("\n- ") == 7
    for finding in result["failures"]:
        assert set(finding) == {"host", "tier", "check", "expected", "actual", "hint"}
        assert all(finding[key] for key in ("check", "expected", "actual", "hint"))


# --- vCPU, memory, disks ----------------------------------------------------

@pytest.mark.parametrize("vcpus,fails", [(3, True), (4, False), (64, False), (0, True)])
def test_vcpus(inventory, vcpus, fails):
    opts = inventory(variant="connected")
    opts["hosts"][first_host(opts, "mariadb")]["vcpus"] = vcpus
    assert bool(checks(validate(opts)["failures"], "vcpus")) is fails


@pytest.mark.parametrize("memory_mb,fails", [
    (64 * 1024, False),
    (64 * 1024 * 0.97, False),      # 3 % under-reported: allowed
    (64 * 1024 * 0.97 - 1, True),
    (62 * 1024, True),
])
def test_memory_allows_three_percent(inventory, memory_mb, fails):
    opts = inventory(variant="connected")
    opts["hosts"][first_host(opts, "mariadb")]["memory_mb"] = memory_mb
    assert bool(checks(validate(opts)["failures"], "memory")) is fails


def test_memory_tolerance_is_configurable(inventory):
    opts = inventory(variant="connected", memory_tolerance_pct=0)
    opts["hosts"][first_host(opts, "mariadb")]["memory_mb"] = 64 * 1024 - 1
    assert checks(validate(opts)["failures"], "memory")


@pytest.mark.parametrize("disks,fails", [
    ([64, 256, 256], False),
    ([2048, 300, 300, 64], False),
    ([256, 256, 64], False),
    ([1000], True),                  # one big disk is not three distinct ones
    ([64, 256], True),
    ([64, 255, 256], True),
    ([256, 256, 256], False),        # a larger disk may hold the 64 GB requirement
    ([], True),
])
def test_disks_need_distinct_matches(inventory, disks, fails):
    opts = inventory(variant="connected")
    opts["hosts"][first_host(opts, "mariadb")]["disks_gb"] = disks
    assert bool(checks(validate(opts)["failures"], "disks")) is fails


@pytest.mark.parametrize("disks,warned,fails", [
    ([40, 512, 512], True, False),    # the seed gives the OS disk no size: a warning, not a failure
    ([64, 512, 512], False, False),
    ([512, 512], True, False),        # no disk for the OS besides the data disks
    ([40, 512, 500], False, True),    # a stated data disk short: a failure, and nothing more
])
def test_the_aio_system_disk_is_assumed_not_required(inventory, disks, warned, fails):
    opts = inventory(variant="standalone", concurrent_users=800)
    opts["hosts"][first_host(opts, "aio")]["disks_gb"] = disks
    result = validate(opts)
    assert bool(checks(result["failures"], "disks")) is fails, result["msg"]
    warnings = checks(result["warnings"], "disks")
    assert bool(warnings) is warned
    if warned:
        assert warnings[0]["host"] == first_host(opts, "aio")
        assert "64 GB assumed" in warnings[0]["hint"]


def test_the_mail_relays_unstated_size_is_warned_about(inventory):
    opts = inventory(variant="standalone", concurrent_users=800)
    mail = first_host(opts, "mail")
    opts["hosts"][mail].update(vcpus=1, memory_mb=1024, disks_gb=[20])
    result = validate(opts)
    assert result["passed"], result["msg"]
    assert {f["check"] for f in result["warnings"] if f["host"] == mail} == {"memory", "disks"}


def test_an_override_makes_an_unstated_figure_a_requirement(inventory):
    opts = inventory(variant="standalone", concurrent_users=800,
                     overrides={"mail": {"memory_gb": 2, "disks": [64]}})
    mail = first_host(opts, "mail")
    opts["hosts"][mail].update(memory_mb=1024, disks_gb=[20])
    assert {f["check"] for f in validate(opts)["failures"] if f["host"] == mail} == {"memory", "disks"}


@pytest.mark.parametrize("required,available,missing", [
    ([64, 256, 256], [256, 64, 256], []),
    ([64, 256, 256], [300, 100], [256]),
    ([100, 50], [60, 120], []),      # greedy ascending gets this right
    ([100, 50], [120], [100]),
    ([10], [], [10]),
])
def test_match_disks(required, available, missing):
    assert match_disks(required, available) == missing


def test_disk_tolerance(inventory):
    opts = inventory(variant="connected", disk_tolerance_pct=5)
    opts["hosts"][first_host(opts, "mariadb")]["disks_gb"] = [61, 244, 244]
    assert not checks(validate(opts)["failures"], "disks")


# --- counts and membership --------------------------------------------------

def test_count_more_servers_is_fine(inventory):
    opts = inventory(variant="connected")
    extra = copy.deepcopy(opts["hosts"][first_host(opts, "xmpp")])
    opts["hosts"]["xmpp-extra"] = extra
    opts["groups"]["xmpp"].append("xmpp-extra")
    assert validate(opts)["passed"]


def test_missing_tier_and_missing_facts(inventory):
    opts = inventory(variant="connected")
    del opts["groups"]["logs"]
    gone = first_host(opts, "metrics")
    del opts["hosts"][gone]
    result = validate(opts)
    assert {(f["host"], f["tier"], f["check"]) for f in result["failures"]} == {
        (None, "logs", "count"), (gone, "metrics", "facts")}


def test_an_unexpected_tier_fails_and_a_shared_host_warns(inventory):
    opts = inventory(variant="connected")
    db = first_host(opts, "mariadb")
    opts["groups"]["aio"] = [db]
    opts["groups"]["mongodb"].append(db)
    result = validate(opts)
    assert [f["tier"] for f in checks(result["failures"], "unexpected_tier")] == ["aio"]
    assert checks(result["warnings"], "shared_host")


def test_non_tier_groups_are_ignored(inventory):
    opts = inventory(variant="connected")
    opts["groups"].update(all=list(opts["hosts"]), ungrouped=[], dc1=["x"])
    assert validate(opts)["passed"]


def test_scope_limits_the_tiers_checked(inventory):
    opts = inventory(variant="connected", tiers=["mariadb", "gatekeeper"])
    for tier in ("xmpp", "mongodb", "logs"):
        del opts["groups"][tier]
    result = validate(opts)
    assert result["passed"]
    assert result["scope"] == ["gatekeeper", "mariadb"]


def test_scope_must_name_plan_tiers(inventory):
    with pytest.raises(EdgeInputError, match="not part of this plan"):
        validate(inventory(variant="connected", tiers=["aio"]))


# --- addresses and NICs ----------------------------------------------------

def test_lan_address_outside_the_lan(inventory):
    opts = inventory(variant="connected")
    db = first_host(opts, "mariadb")
    opts["hosts"][db]["nics"][0]["address"] = "192.168.1.10"
    found = checks(validate(opts)["failures"], "lan_address")
    assert {f["host"] for f in found} == {db}
    assert len(found) == 2  # no LAN address inside, and one outside


def test_lan_cidr_is_overridable(inventory):
    opts = inventory(variant="connected", lan_cidr="10.0.0.0/8")
    assert validate(opts)["passed"]
    opts = inventory(variant="connected", lan_cidr="172.16.0.0/12")
    assert len(checks(validate(opts)["failures"], "lan_address")) == 2 * 17


@pytest.mark.parametrize("tier", ["gatekeeper", "icn"])
def test_public_ipv4_on_wan_tiers(inventory, tier):
    opts = inventory(variant="connected", voice=True)
    host = first_host(opts, tier)
    opts["hosts"][host]["nics"][1]["addresses"] = ["192.168.7.7"]  # NAT-ed private address
    found = checks(validate(opts)["failures"], "public_ipv4")
    assert [(f["host"], f["tier"]) for f in found] == [(host, tier)]


@pytest.mark.parametrize("tier", ["aio", "turn", "conference"])
def test_public_ipv4_on_small_standalone_tiers(inventory, tier):
    opts = inventory(variant="standalone", concurrent_users=500)
    host = first_host(opts, tier)
    opts["hosts"][host]["nics"] = opts["hosts"][host]["nics"][:1]
    assert [f["host"] for f in checks(validate(opts)["failures"], "public_ipv4")] == [host]


def test_public_lb_and_aio_need_two_public_addresses(inventory):
    opts = inventory(variant="standalone", concurrent_users=5000)
    lb = first_host(opts, "public_lb")
    opts["hosts"][lb]["nics"][1]["addresses"] = opts["hosts"][lb]["nics"][1]["addresses"][:1]
    found = checks(validate(opts)["failures"], "public_ipv4")
    assert [f["host"] for f in found] == [lb]
    assert found[0]["expected"].startswith("2 public")


def test_a_public_load_balancer_s_planned_vips_count_before_it_holds_them(inventory):
    opts = inventory(variant="standalone", concurrent_users=5000)
    lb = first_host(opts, "public_lb")
    own = opts["hosts"][lb]["nics"][1]["addresses"][0]
    opts["hosts"][lb]["nics"][1]["addresses"] = [own]  # a fresh host: its own address only
    assert [f["host"] for f in checks(validate(opts)["failures"], "public_ipv4")] == [lb]
    opts["hosts"][lb]["wan_vips"] = ["198.51.100.81", "198.51.100.82"]
    assert not checks(validate(opts)["failures"], "public_ipv4")
    # A VIP it already holds counts once; a private "VIP" does not count.
    opts["hosts"][lb]["wan_vips"] = [own, "192.168.1.10"]
    found = checks(validate(opts)["failures"], "public_ipv4")
    assert [f["host"] for f in found] == [lb]
    assert "planned VIP 192.168.1.10" in found[0]["actual"]


def test_globally_routable_addresses_are_public_without_public_cidrs(inventory):
    opts = inventory(variant="connected")
    opts["public_cidrs"] = []
    assert len(checks(validate(opts)["failures"], "public_ipv4")) == 2
    for host in opts["groups"]["gatekeeper"]:
        opts["hosts"][host]["nics"][1]["addresses"] = ["100.1.2.%d" % len(host)]
    assert not checks(validate(opts)["failures"], "public_ipv4")


@pytest.mark.parametrize("speed,severity", [(999, "failures"), (1000, None), (None, "warnings"), (-1, "warnings")])
def test_nic_speed(inventory, speed, severity):
    opts = inventory(variant="connected")
    opts["hosts"][first_host(opts, "xmpp")]["nics"][0]["speed_mbps"] = speed
    result = validate(opts)
    for kind in ("failures", "warnings"):
        assert bool(checks(result[kind], "nic_speed")) is (kind == severity)


def test_same_nic_for_lan_and_wan_warns(inventory):
    opts = inventory(variant="connected")
    gk = first_host(opts, "gatekeeper")
    opts["hosts"][gk]["nics"][1]["name"] = "eth0"
    result = validate(opts)
    assert result["passed"]
    assert [f["host"] for f in checks(result["warnings"], "distinct_nics")] == [gk]


@pytest.mark.parametrize("variant,users,warned", [
    ("connected", 0, True), ("standalone", 20000, True), ("standalone", 800, False)])
def test_10g_lan_on_data_hosts_of_large_edges(inventory, variant, users, warned):
    opts = inventory(variant=variant, concurrent_users=users)
    for host in opts["hosts"].values():
        host["nics"][0]["speed_mbps"] = 1000
    result = validate(opts)
    assert result["passed"]
    assert bool(checks(result["warnings"], "lan_10g")) is warned


def test_10g_lan_recommendation(inventory):
    opts = inventory(variant="standalone", concurrent_users=20000)
    for host in opts["hosts"].values():
        host["nics"][0]["speed_mbps"] = 1000
    warned = {f["tier"] for f in checks(validate(opts)["warnings"], "lan_10g")}
    assert warned == {"logs", "backup", "mariadb", "mongodb", "swift"}
    small = inventory(variant="standalone", concurrent_users=800)
    for host in small["hosts"].values():
        host["nics"][0]["speed_mbps"] = 1000
    assert not checks(validate(small)["warnings"], "lan_10g")


# --- datacenters, RTT, bandwidth, HA ------------------------------------------

@pytest.mark.parametrize("rtt,fails", [(100, False), (100.0, False), (101, True), (100.5, True), (0, False)])
def test_rtt_boundary(inventory, rtt, fails):
    opts = inventory(variant="connected", datacenters=2)
    opts["links"] = [{"from_dc": "dc1", "to_dc": "dc2", "rtt_ms": rtt, "from_host": "a", "to_host": "b"}]
    assert bool(checks(validate(opts)["failures"], "rtt")) is fails


def test_rtt_limit_is_configurable(inventory):
    opts = inventory(variant="connected", datacenters=2, max_rtt_ms=5)
    opts["links"][0]["rtt_ms"] = 6
    assert checks(validate(opts)["failures"], "rtt")


def test_unanswered_rtt_fails_and_unmeasured_pair_warns(inventory):
    opts = inventory(variant="connected", datacenters=3)
    opts["links"] = [{"from_dc": "dc1", "to_dc": "dc2", "rtt_ms": None, "error": "timed out"},
                     {"from_dc": "dc2", "to_dc": "dc3", "rtt_ms": 3}]
    result = validate(opts)
    assert [f["actual"] for f in checks(result["failures"], "rtt")] == ["no answer dc1 -> dc2: timed out"]
    assert [f["expected"] for f in checks(result["warnings"], "rtt")] == ["a measured RTT between dc1 and dc3"]


@pytest.mark.parametrize("mbps,kind", [(49.9, "failures"), (50, "warnings"), (99, "warnings"), (100, None),
                                       (None, "warnings")])
def test_wan_bandwidth_on_connected_edges(inventory, mbps, kind):
    opts = inventory(variant="connected", wan_bandwidth_mbps=mbps)
    result = validate(opts)
    for severity in ("failures", "warnings"):
        assert bool(checks(result[severity], "wan_bandwidth")) is (severity == kind)


def test_wan_bandwidth_is_not_checked_on_standalone_edges(inventory):
    result = validate(inventory(variant="standalone", concurrent_users=800, wan_bandwidth_mbps=1))
    assert not checks(result["failures"] + result["warnings"], "wan_bandwidth")


def test_ha_members_in_one_dc_warn(inventory):
    opts = inventory(variant="connected", datacenters=2)
    for host in opts["groups"]["mongodb"]:
        opts["hosts"][host]["datacenter"] = "dc1"
    result = validate(opts)
    assert result["passed"]
    assert [f["tier"] for f in checks(result["warnings"], "ha_spread")] == ["mongodb"]


def test_one_dc_never_warns_about_ha_spread(inventory):
    result = validate(inventory(variant="connected"))
    assert not checks(result["warnings"], "ha_spread")


def test_datacenter_mismatch_warns(inventory):
    opts = inventory(variant="connected", datacenters=2)
    opts["datacenters"] = 3
    opts["hosts"][first_host(opts, "logs")]["datacenter"] = None
    found = {f["check"] for f in validate(opts)["warnings"]}
    assert {"datacenters", "datacenter"} <= found


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize("mutate,message", [
    (lambda o: o["hosts"].__setitem__("h", {"vcpus": 1}), "memory_mb is missing"),
    (lambda o: o["hosts"].__setitem__("h", {"vcpus": "x", "memory_mb": 1}), "whole number"),
    (lambda o: o["hosts"].__setitem__("h", []), "must be a mapping"),
    (lambda o: o["hosts"].__setitem__("h", {"vcpus": 1, "memory_mb": 1, "nics": [{"zone": "dmz"}]}), "zone"),
    (lambda o: o["hosts"].__setitem__("h", {"vcpus": 1, "memory_mb": 1, "nics": [{"address": "1.2.3"}]}),
     "IPv4 address"),
    (lambda o: o.__setitem__("links", [{"from_dc": "dc1"}]), "to_dc is missing"),
    (lambda o: o.__setitem__("links", [{"from_dc": "a", "to_dc": "b", "rtt_ms": -1}]), "at least 0"),
    (lambda o: o.__setitem__("groups", {"mariadb": "db1"}), "must be a list"),
    (lambda o: o.__setitem__("lan_cidr", "10.20.0.1/16"), "IPv4 network"),
    (lambda o: o.__setitem__("public_cidrs", ["nope"]), "IPv4 network"),
    (lambda o: o.__setitem__("max_rtt_ms", float("nan")), "finite"),
])
def test_bad_input_fails_clearly(inventory, mutate, message):
    opts = inventory(variant="connected")
    mutate(opts)
    with pytest.raises(EdgeInputError, match=message):
        validate(opts)


# --- the inventory against its variant, before any host is read --------------

def groups_only(opts):
    """What the inventory check is given: the sizing options and the groups, no facts."""
    return {key: value for key, value in opts.items() if key not in ("hosts", "links", "wan_bandwidth_mbps")}


@pytest.mark.parametrize("options", [
    {"variant": "connected"},
    {"variant": "connected", "voice": True},
    {"variant": "standalone", "concurrent_users": 800},
    {"variant": "standalone", "concurrent_users": 20000, "voice": True},
], ids=["connected", "connected-voice", "small", "large-voice"])
def test_each_variant_inventory_passes(inventory, options):
    result = check_inventory(groups_only(inventory(**options)))
    assert result["passed"], result["msg"]
    assert result["warnings"] == []


def test_a_connected_inventory_with_turn_is_refused(inventory):
    opts = groups_only(inventory(variant="connected"))
    opts["groups"]["turn"] = ["turn1"]
    opts["groups"]["icn"] = ["icn1", "icn2"]
    result = check_inventory(opts)
    assert {(f["tier"], f["check"]) for f in result["failures"]} == {
        ("turn", "unexpected_tier"), ("icn", "unexpected_tier")}
    assert "turn1" in result["msg"] and "edge_voice: true" in result["msg"]
    assert result["msg"].count("\n- ") == 2


def test_voice_on_a_small_standalone_is_listed_with_every_other_problem(inventory):
    opts = groups_only(inventory(variant="standalone", concurrent_users=800))
    opts["voice"] = True
    opts["groups"]["voice_proxy"] = ["proxy1"]
    opts["groups"]["swift"] = []
    result = check_inventory(opts)
    assert {(f["tier"], f["check"]) for f in result["failures"]} == {
        (None, "voice"), ("voice_proxy", "unexpected_tier"), ("swift", "count")}
    assert "exists only at large scale" in result["msg"]


def test_missing_tiers_fail_unless_declared_skipped_with_a_reason(inventory):
    opts = groups_only(inventory(variant="connected"))
    del opts["groups"]["mongodb"]
    opts["groups"]["logs"] = []
    assert {f["tier"] for f in checks(check_inventory(opts)["failures"], "count")} == {"mongodb", "logs"}
    opts["skipped_tiers"] = {"mongodb": "no MongoDB package reachable", "logs": "no Elasticsearch package"}
    result = check_inventory(opts)
    assert result["passed"], result["msg"]
    assert {(f["tier"], f["actual"], f["hint"]) for f in result["warnings"]} == {
        ("mongodb", "left out by edge_skipped_tiers", "no MongoDB package reachable"),
        ("logs", "left out by edge_skipped_tiers", "no Elasticsearch package")}


def test_a_skipped_tier_must_be_empty_and_part_of_the_edge(inventory):
    opts = groups_only(inventory(variant="connected"))
    opts["skipped_tiers"] = {"xmpp": "later", "turn": "not here"}
    result = check_inventory(opts)
    assert {(f["tier"], f["check"]) for f in result["failures"]} == {("xmpp", "skipped_tier"), ("turn", "skipped_tier")}


def test_a_skipped_tier_needs_a_reason(inventory):
    opts = groups_only(inventory(variant="connected"))
    opts["skipped_tiers"] = {"mongodb": ""}
    with pytest.raises(EdgeInputError, match="skipped_tiers.mongodb"):
        check_inventory(opts)


def test_tiers_outside_a_partial_delivery_are_warned_about(inventory):
    opts = groups_only(inventory(variant="connected"))
    del opts["groups"]["mongodb"]
    opts["tiers"] = ["gatekeeper", "mariadb"]
    result = check_inventory(opts)
    assert result["passed"], result["msg"]
    assert "mongodb" in {f["tier"] for f in checks(result["warnings"], "not_checked")}


def test_validate_leaves_skipped_tiers_out(inventory):
    opts = inventory(variant="connected")
    for host in opts["groups"].pop("mongodb"):
        del opts["hosts"][host]
    assert checks(validate(opts)["failures"], "count")
    opts["skipped_tiers"] = {"mongodb": "not in this lab"}
    result = validate(opts)
    assert result["passed"], result["msg"]
    assert "mongodb" not in result["scope"]


@pytest.mark.parametrize("playbook,options", [
    ("connected", {"variant": "connected"}),
    ("connected", {"variant": "connected", "voice": True, "datacenters": 2}),
    ("standalone_small", {"variant": "standalone", "concurrent_users": 800}),
    ("standalone_large", {"variant": "standalone", "concurrent_users": 20000, "voice": True}),
    ("standalone_large", {"variant": "standalone", "concurrent_users": 800, "scale": "large"}),
    ("", {"variant": "standalone", "concurrent_users": 800}),
    (None, {"variant": "connected"}),
], ids=["connected", "connected-voice", "small", "large-voice", "small-figures-planned-large", "site", "site-none"])
def test_each_variant_playbook_takes_its_own_inventory(inventory, playbook, options):
    opts = groups_only(inventory(**options))
    opts["variant_playbook"] = playbook
    result = check_inventory(opts)
    assert result["passed"], result["msg"]


@pytest.mark.parametrize("playbook,options,right", [
    ("connected", {"variant": "standalone", "concurrent_users": 800}, "standalone_small"),
    ("standalone_small", {"variant": "connected"}, "connected"),
    ("standalone_small", {"variant": "standalone", "concurrent_users": 20000}, "standalone_large"),
    ("standalone_large", {"variant": "standalone", "concurrent_users": 800}, "standalone_small"),
], ids=["connected-over-small", "small-over-connected", "small-over-large", "large-over-small"])
def test_a_variant_playbook_refuses_another_variant_naming_the_right_one(inventory, playbook, options, right):
    opts = groups_only(inventory(**options))
    opts["variant_playbook"] = playbook
    result = check_inventory(opts)
    assert [(f["tier"], f["check"]) for f in result["failures"]] == [(None, "variant_playbook")]
    assert "playbooks/%s.yml" % playbook in result["msg"]
    assert "run playbooks/%s.yml" % right in result["msg"]


def test_the_wrong_playbook_is_listed_with_every_group_problem(inventory):
    opts = groups_only(inventory(variant="connected"))
    opts["groups"]["turn"] = ["turn1"]
    opts["variant_playbook"] = "standalone_large"
    result = check_inventory(opts)
    assert {(f["tier"], f["check"]) for f in result["failures"]} == {
        (None, "variant_playbook"), ("turn", "unexpected_tier")}


def test_an_unknown_variant_playbook_is_an_input_error(inventory):
    opts = groups_only(inventory(variant="connected"))
    opts["variant_playbook"] = "standalone"
    with pytest.raises(EdgeInputError, match="variant_playbook: standalone is not a variant's playbook"):
        check_inventory(opts)


def test_the_voice_groups_are_counted_against_the_plan_s_voice_sets(inventory):
    # 100,000 subscribers and 4,000 calls are two voice sets (8.4: 50,000 and 2,000 each): two pairs of
    # In-Country Nodes, two orchestrators, ten PBX gateways. An inventory sized for one set is refused.
    two_sets = {"variant": "connected", "voice": True, "voice_users": 100000, "concurrent_calls": 4000}
    opts = groups_only(inventory(**two_sets))
    assert check_inventory(opts)["passed"]
    assert [len(opts["groups"][tier]) for tier in ("icn", "voice_pbx_orchestrator", "voice_pbx_gateway")] == [4, 2, 10]
    one_set = groups_only(inventory(variant="connected", voice=True, voice_users=50000, concurrent_calls=2000))
    opts["groups"] = one_set["groups"]
    failures = check_inventory(opts)["failures"]
    assert {(f["tier"], f["check"]) for f in failures} == {
        ("icn", "count"), ("voice_pbx_orchestrator", "count"), ("voice_pbx_gateway", "count")}


@pytest.mark.parametrize("check", [validate, check_inventory], ids=["validate", "check_inventory"])
def test_the_all_in_one_s_tier_groups_hold_its_hosts_only(inventory, check):
    opts = inventory(variant="standalone", concurrent_users=800)
    if check is check_inventory:
        opts = groups_only(opts)
    aio = first_host(opts, "aio")
    for tier in ("mariadb", "mongodb", "xmpp", "api", "public_lb"):
        opts["groups"][tier] = [aio]
    result = check(opts)
    assert result["failures"] == [], result["msg"]
    # A host of another tier in one of them, and a private load balancer: refused, each named.
    swift = first_host(opts, "swift")
    opts["groups"]["xmpp"] = [aio, swift]
    opts["groups"]["private_lb"] = [aio]
    failures = checks(check(opts)["failures"], "unexpected_tier")
    assert {(f["tier"], f["actual"]) for f in failures} == {
        ("xmpp", "1 other host(s): %s" % swift), ("private_lb", "1 host(s): %s" % aio)}, failures


def test_a_tier_group_of_the_all_in_one_on_a_large_edge_is_its_own_tier(inventory):
    opts = groups_only(inventory(variant="standalone", concurrent_users=20000))
    opts["groups"]["aio"] = ["aio1"]
    result = check_inventory(opts)
    assert [f["tier"] for f in checks(result["failures"], "unexpected_tier")] == ["aio"], result["msg"]
