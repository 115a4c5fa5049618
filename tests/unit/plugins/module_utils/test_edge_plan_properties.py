"""Property tests of the sizing rules: invariants that hold for every valid demand."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import EdgeInputError
from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import build_plan

users = st.integers(min_value=0, max_value=2 * 10 ** 6)
demands = st.fixed_dictionaries({
    "variant": st.sampled_from(["connected", "standalone"]),
    "voice": st.booleans(),
    "concurrent_users": users,
    "voice_users": users,
    "concurrent_calls": st.integers(min_value=0, max_value=10 ** 5),
    "datacenters": st.integers(min_value=1, max_value=3),
    "active_active": st.booleans(),
}).map(lambda d: dict(d, registered_users=d["concurrent_users"] * 5))


def plan_or_none(options):
    try:
        return build_plan(options)
    except EdgeInputError as exc:
        # The only refusal a valid-typed demand may meet: voice on a small Standalone Edge.
        assert "only at large scale" in str(exc)
        assert options["variant"] == "standalone" and options["voice"]
        return None


@settings(max_examples=300, deadline=None)
@given(demands)
def test_totals_are_the_sums_of_the_tiers(options):
    plan = plan_or_none(options)
    if plan is None:
        return
    tiers = plan["tiers"].values()
    assert plan["totals"]["hosts"] == sum(t["count"] for t in tiers)
    assert plan["totals"]["vcpus"] == sum(t["count"] * t["vcpus"] for t in tiers)
    assert plan["totals"]["memory_gb"] == sum(t["count"] * t["memory_gb"] for t in tiers)
    assert plan["totals"]["disk_gb"] == sum(t["count"] * sum(d["size_gb"] for d in t["disks"]) for t in tiers)
    for tier, entry in plan["tiers"].items():
        assert sum(plan["placement"][dc].get(tier, 0) for dc in plan["datacenters"]) == entry["count"]
    assert {t: plan["tiers"][t]["count"] for t in ("gatekeeper", "logs", "backup", "metrics")} == {
        "gatekeeper": 2, "logs": 1, "backup": 1, "metrics": 1}


@settings(max_examples=300, deadline=None)
@given(demands, st.integers(min_value=1, max_value=10 ** 5))
def test_more_users_never_means_fewer_servers(options, more):
    plan = plan_or_none(options)
    bigger_options = dict(options, concurrent_users=options["concurrent_users"] + more,
                          registered_users=(options["concurrent_users"] + more) * 5)
    bigger = plan_or_none(bigger_options)
    if plan is None or bigger is None:
        return
    if plan["scale"] == bigger["scale"]:
        for tier, entry in plan["tiers"].items():
            assert bigger["tiers"][tier]["count"] >= entry["count"]
    assert bigger["totals"]["vcpus"] >= plan["totals"]["vcpus"]


@settings(max_examples=300, deadline=None)
@given(demands)
def test_capacity_covers_the_demand(options):
    plan = plan_or_none(options)
    if plan is None or plan["scale"] == "small":
        return
    factor = plan["load_factor"]
    assert plan["sets"]["application"] * 20000 >= options["concurrent_users"] * factor
    assert plan["sets"]["application"] * 100000 >= options["registered_users"] * factor
    # Never more than one set beyond what is needed.
    assert (plan["sets"]["application"] - 1) * 20000 < max(options["concurrent_users"] * factor, 1) \
        or (plan["sets"]["application"] - 1) * 100000 < options["registered_users"] * factor
    if plan["voice"]:
        assert plan["sets"]["voice"] * 50000 >= options["voice_users"] * factor
        assert plan["sets"]["voice"] * 2000 >= options["concurrent_calls"] * factor
