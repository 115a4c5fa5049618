"""Variants, scaling rules and boundaries of the sizing plan."""

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import EdgeInputError
from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import build_plan, compute_sets, read_demand


def counts(plan):
    return {tier: entry["count"] for tier, entry in plan["tiers"].items()}


GENERIC = {"gatekeeper": 2, "logs": 1, "backup": 1, "metrics": 1}
CONNECTED = {"xmpp": 2, "mariadb": 2, "mongodb": 3, "private_lb": 2, "swift": 3}
CONNECTED_VOICE = {"icn": 2, "voice_pbx_orchestrator": 1, "voice_pbx_gateway": 5}
SMALL = {"aio": 1, "turn": 1, "conference": 1, "swift": 1}
LARGE = {"api": 2, "turn": 2, "conference": 2, "public_lb": 2, "cloud_pbx_gateway": 2}
STANDALONE_VOICE = {"voice_web": 2, "voice_proxy": 2, "voice_db": 2}
MAIL = {"mail": 2}


def times(table, factor):
    return {tier: count * factor for tier, count in table.items()}


# --- every variant ---------------------------------------------------------

def test_connected_edge_is_generic_plus_8_3():
    plan = build_plan({"variant": "connected", "concurrent_users": 20000})
    assert counts(plan) == dict(GENERIC, **CONNECTED)
    assert plan["scale"] == "large"
    assert plan["totals"]["hosts"] == 17


def test_connected_edge_with_voice_adds_8_4():
    plan = build_plan({"variant": "connected", "voice": True, "concurrent_users": 20000})
    assert counts(plan) == dict(GENERIC, **CONNECTED, **CONNECTED_VOICE)


def test_small_standalone_edge_is_generic_plus_9_3_plus_mail():
    plan = build_plan({"variant": "standalone", "concurrent_users": 800})
    assert counts(plan) == dict(GENERIC, **SMALL, **MAIL)
    assert plan["scale"] == "small"
    assert plan["tiers"]["swift"]["vcpus"] == 4  # the 9.3 Swift row, not 8.3's


def test_large_standalone_edge_is_generic_plus_8_3_plus_9_4():
    plan = build_plan({"variant": "standalone", "concurrent_users": 20000})
    assert counts(plan) == dict(GENERIC, **CONNECTED, **LARGE, **MAIL)
    assert plan["tiers"]["swift"]["vcpus"] == 6


def test_large_standalone_edge_with_voice_adds_8_4_and_9_5():
    plan = build_plan({"variant": "standalone", "voice": True, "concurrent_users": 20000})
    assert counts(plan) == dict(GENERIC, **CONNECTED, **LARGE, **CONNECTED_VOICE, **STANDALONE_VOICE, **MAIL)
    assert plan["totals"]["hosts"] == 43


def test_external_mail_relay_drops_the_mail_tier():
    plan = build_plan({"variant": "standalone", "concurrent_users": 800, "mail_relay": "external"})
    assert "mail" not in plan["tiers"]


def test_connected_edge_has_no_mail_tier():
    assert "mail" not in build_plan({"variant": "connected"})["tiers"]


# --- boundaries ------------------------------------------------------------

@pytest.mark.parametrize("concurrent,registered,scale", [
    (1000, 5000, "small"),
    (1001, 5000, "large"),
    (1000, 5001, "large"),
    (1001, 5001, "large"),
    (500, 1000, "small"),
    (0, 0, "small"),
])
def test_small_large_boundaries(concurrent, registered, scale):
    plan = build_plan({"variant": "standalone", "concurrent_users": concurrent, "registered_users": registered})
    assert plan["scale"] == scale


def test_registered_defaults_to_five_times_concurrent():
    assert build_plan({"variant": "standalone", "concurrent_users": 1000})["demand"]["registered_users"] == 5000
    assert build_plan({"variant": "standalone", "concurrent_users": 1000})["scale"] == "small"
    assert build_plan({"variant": "standalone", "concurrent_users": 1001})["scale"] == "large"


@pytest.mark.parametrize("concurrent,sets", [
    (0, 1), (1, 1), (20000, 1), (20001, 2), (40000, 2), (40001, 3), (60000, 3), (100000, 5), (200000, 10),
])
def test_application_sets_grow_linearly_per_started_20k(concurrent, sets):
    plan = build_plan({"variant": "connected", "concurrent_users": concurrent,
                       "registered_users": concurrent})
    assert plan["sets"]["application"] == sets
    assert counts(plan) == dict(GENERIC, **times(CONNECTED, sets))


def test_doubling_from_20k_to_40k_users():
    base = build_plan({"variant": "standalone", "concurrent_users": 20000, "registered_users": 100000})
    double = build_plan({"variant": "standalone", "concurrent_users": 40000, "registered_users": 200000})
    for tier in list(CONNECTED) + list(LARGE):
        assert double["tiers"][tier]["count"] == 2 * base["tiers"][tier]["count"]
    for tier in list(GENERIC) + list(MAIL):
        assert double["tiers"][tier]["count"] == base["tiers"][tier]["count"]


@pytest.mark.parametrize("registered,sets", [(100000, 1), (100001, 2), (200000, 2), (250000, 3)])
def test_registered_users_count_100k_per_set(registered, sets):
    plan = build_plan({"variant": "connected", "concurrent_users": 1000, "registered_users": registered})
    assert plan["sets"]["application"] == sets


def test_generic_tiers_are_invariant():
    plan = build_plan({"variant": "standalone", "voice": True, "concurrent_users": 500000,
                       "voice_users": 1000000, "concurrent_calls": 40000})
    assert {tier: plan["tiers"][tier]["count"] for tier in GENERIC} == GENERIC
    assert plan["tiers"]["mail"]["count"] == 2


def test_small_scale_never_scales():
    plan = build_plan({"variant": "standalone", "concurrent_users": 1000, "datacenters": 3})
    assert counts(plan) == dict(GENERIC, **SMALL, **MAIL)


@pytest.mark.parametrize("voice_users,calls,voice_sets,subscriber_pairs", [
    (0, 0, 1, 1), (50000, 2000, 1, 1), (50001, 0, 2, 1), (0, 2001, 2, 1), (100000, 2000, 2, 1),
    (200000, 0, 4, 1), (200001, 0, 5, 2), (10000, 8000, 4, 1),
])
def test_voice_sets(voice_users, calls, voice_sets, subscriber_pairs):
    plan = build_plan({"variant": "standalone", "voice": True, "concurrent_users": 20000,
                       "voice_users": voice_users, "concurrent_calls": calls})
    assert plan["sets"]["voice"] == voice_sets
    assert plan["sets"]["voice_subscribers"] == subscriber_pairs
    assert plan["tiers"]["icn"]["count"] == 2 * voice_sets
    assert plan["tiers"]["voice_pbx_orchestrator"]["count"] == voice_sets
    assert plan["tiers"]["voice_pbx_gateway"]["count"] == 5 * voice_sets
    assert plan["tiers"]["voice_proxy"]["count"] == 2 * voice_sets
    assert plan["tiers"]["voice_web"]["count"] == 2 * subscriber_pairs
    assert plan["tiers"]["voice_db"]["count"] == 2 * subscriber_pairs


def test_connected_voice_scales_the_8_4_set():
    plan = build_plan({"variant": "connected", "voice": True, "voice_users": 120000})
    assert plan["tiers"]["voice_pbx_gateway"]["count"] == 15
    assert "voice_proxy" not in plan["tiers"]


# --- datacenters -----------------------------------------------------------

def test_active_active_doubles_the_load():
    one = build_plan({"variant": "connected", "concurrent_users": 20000, "registered_users": 100000})
    two = build_plan({"variant": "connected", "concurrent_users": 20000, "registered_users": 100000,
                      "datacenters": 2})
    nominal = build_plan({"variant": "connected", "concurrent_users": 20000, "registered_users": 100000,
                          "datacenters": 2, "active_active": False})
    assert (one["sets"]["application"], two["sets"]["application"], nominal["sets"]["application"]) == (1, 2, 1)
    assert two["load_factor"] == 2


def test_scale_is_chosen_on_nominal_figures():
    plan = build_plan({"variant": "standalone", "concurrent_users": 900, "datacenters": 2})
    assert plan["scale"] == "small"


def test_placement_covers_every_server_and_spreads_pairs():
    plan = build_plan({"variant": "standalone", "voice": True, "concurrent_users": 30000, "datacenters": 3})
    for tier, entry in plan["tiers"].items():
        placed = [plan["placement"][dc].get(tier, 0) for dc in plan["datacenters"]]
        assert sum(placed) == entry["count"]
        assert max(placed) - min(placed) <= 1
    assert plan["datacenters"] == ["dc1", "dc2", "dc3"]
    assert any("fewer servers than datacenters" in w for w in plan["warnings"])


def test_single_servers_do_not_pile_up_in_dc1():
    plan = build_plan({"variant": "connected", "datacenters": 3})
    singles = [dc for tier in ("logs", "backup", "metrics") for dc in plan["datacenters"]
               if plan["placement"][dc].get(tier)]
    assert len(set(singles)) > 1


# --- totals, addresses, overrides ------------------------------------------

def test_totals_of_the_connected_edge():
    totals = build_plan({"variant": "connected"})["totals"]
    assert totals["hosts"] == 17
    assert totals["vcpus"] == 2 * 2 + 4 + 1 + 2 + 2 * 4 + 2 * 4 + 3 * 4 + 2 * 4 + 3 * 6
    assert totals["memory_gb"] == 2 * 2 + 32 + 2 + 2 + 2 * 16 + 2 * 64 + 3 * 64 + 2 * 4 + 3 * 16
    assert totals["disk_gb"] == (2 * 320 + 1024 + 4160 + 576 + 2 * 64 + 2 * 576 + 3 * 576 + 2 * 64 + 3 * 3136)
    # LAN: 17 servers + GateKeeper VIP + 2 private LB VIPs; WAN: one per GateKeeper.
    assert (totals["lan_ipv4"], totals["public_ipv4"], totals["vips"]) == (20, 2, 3)


def test_public_addresses_beyond_a_slash_28_are_warned():
    plan = build_plan({"variant": "standalone", "voice": True, "concurrent_users": 20000})
    assert plan["totals"]["public_ipv4"] == 2 + 2 * 1 + 2 * 1 + 2 * 2 + 2 + 1
    many = build_plan({"variant": "standalone", "voice": True, "concurrent_users": 60000})
    assert any("/28" in warning for warning in many["warnings"])


def test_overrides_replace_figures_and_are_warned():
    plan = build_plan({"variant": "connected"},
                      {"mariadb": {"vcpus": 1, "memory_gb": 1, "disks": [8, {"size_gb": 16, "iops": "optimized"}]},
                       "xmpp": {"count": 0}})
    entry = plan["tiers"]["mariadb"]
    assert (entry["vcpus"], entry["memory_gb"]) == (1, 1)
    assert entry["disks"] == [{"size_gb": 8, "iops": "standard", "stated": True},
                              {"size_gb": 16, "iops": "optimized", "stated": True}]
    assert plan["tiers"]["xmpp"]["count"] == 0
    assert sum("overridden" in warning for warning in plan["warnings"]) == 4


def test_assumed_figures_are_warned():
    plan = build_plan({"variant": "standalone", "concurrent_users": 800})
    assert any(w.startswith("tier aio:") for w in plan["warnings"])
    assert any(w.startswith("tier mail:") for w in plan["warnings"])


def test_plan_is_deterministic():
    options = {"variant": "standalone", "voice": True, "concurrent_users": 33333, "datacenters": 2}
    assert build_plan(options) == build_plan(options)


# --- impossible requests ---------------------------------------------------

@pytest.mark.parametrize("options,message", [
    ({"variant": "standalone", "voice": True, "concurrent_users": 1000}, "only at large scale"),
    ({"variant": "standalone", "voice": True, "concurrent_users": 800, "scale": "small"}, "only at large scale"),
    ({"variant": "hybrid"}, "variant must be one of"),
    ({"concurrent_users": -1}, "concurrent_users must be at least 0"),
    ({"registered_users": -5}, "registered_users must be at least 0"),
    ({"voice_users": -1}, "voice_users must be at least 0"),
    ({"concurrent_calls": -1}, "concurrent_calls must be at least 0"),
    ({"datacenters": 0}, "datacenters must be at least 1"),
    ({"datacenters": 4}, "datacenters must be at most 3"),
    ({"concurrent_users": 10, "registered_users": 5}, "cannot be below concurrent_users"),
    ({"variant": "standalone", "concurrent_users": 1001, "scale": "small"}, "scale small holds at most"),
    ({"variant": "connected", "scale": "small"}, "only for a Standalone Edge"),
    ({"concurrent_users": True}, "boolean"),
    ({"concurrent_users": "many"}, "whole number"),
    ({"concurrent_users": 10 ** 12}, "at most"),
    ({"mail_relay": "pigeon"}, "mail_relay must be one of"),
])
def test_impossible_requests_fail_clearly(options, message):
    with pytest.raises(EdgeInputError, match=message):
        build_plan(options)


@pytest.mark.parametrize("overrides,message", [
    ({"nosuch": {"vcpus": 1}}, "no such tier"),
    ({"mariadb": {"cpus": 1}}, "unknown key"),
    ({"mariadb": {"vcpus": -1}}, "at least 0"),
    ({"mariadb": {"disks": "big"}}, "must be a list"),
    ({"mariadb": {"disks": [{"size_gb": 8, "iops": "fast"}]}}, "iops must be"),
    ({"mariadb": []}, "must be a mapping"),
])
def test_bad_overrides_fail_clearly(overrides, message):
    with pytest.raises(EdgeInputError, match=message):
        build_plan({"variant": "connected"}, overrides)


def test_forced_large_scale_allows_voice_on_few_users():
    plan = build_plan({"variant": "standalone", "voice": True, "concurrent_users": 300, "scale": "large"})
    assert plan["scale"] == "large"
    assert any("scale large forced" in note for note in plan["notes"])


def test_demand_accepts_ansible_style_strings():
    demand = read_demand({"variant": "Standalone", "voice": "yes", "concurrent_users": "2000",
                          "datacenters": "2", "active_active": "no"})
    assert (demand.variant, demand.voice, demand.concurrent_users, demand.datacenters,
            demand.active_active) == ("standalone", True, 2000, 2, False)
    assert compute_sets(demand)["application"] == 1
