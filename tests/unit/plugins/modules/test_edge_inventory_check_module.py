"""rainbow.edge.edge_inventory_check: the inventory's groups against its variant, facts never needed."""

from ansible_collections.rainbow.edge.plugins.modules import edge_inventory_check


def groups_of(inventory, **options):
    args = inventory(**options)
    return {key: value for key, value in args.items() if key in edge_inventory_check.ARGUMENT_SPEC}


def test_a_fitting_inventory_passes_without_any_host_facts(module_runner, inventory):
    rc, result = module_runner(edge_inventory_check.main, groups_of(inventory, variant="standalone",
                                                                    concurrent_users=800))
    assert rc == 0, result["msg"]
    assert result["passed"] and result["changed"] is False and result["failures"] == []
    assert "aio" in result["scope"]


def test_every_problem_fails_the_task_at_once(module_runner, inventory):
    args = groups_of(inventory, variant="connected")
    args["groups"]["turn"] = ["turn1"]
    args["groups"]["swift"] = args["groups"]["swift"][:1]
    rc, result = module_runner(edge_inventory_check.main, args)
    assert rc == 1 and result["failed"]
    assert {(f["tier"], f["check"]) for f in result["failures"]} == {("turn", "unexpected_tier"), ("swift", "count")}
    assert result["msg"].count("\n- ") == 2
    assert "exception" not in result


def test_skipped_tiers_come_back_as_warnings(module_runner, inventory):
    args = groups_of(inventory, variant="connected")
    args["groups"]["mongodb"] = []
    args["skipped_tiers"] = {"mongodb": "no MongoDB package in this lab"}
    rc, result = module_runner(edge_inventory_check.main, args)
    assert rc == 0, result["msg"]
    assert result["skipped_tiers"] == {"mongodb": "no MongoDB package in this lab"}
    assert [w["check"] for w in result["warnings_detail"]] == ["not_converged"]
    assert any("no MongoDB package in this lab" in text for text in result["warnings"])


def test_bad_input_is_a_message(module_runner, inventory):
    args = groups_of(inventory, variant="connected")
    args["skipped_tiers"] = {"mongodb": ["not", "a", "reason"]}
    rc, result = module_runner(edge_inventory_check.main, args)
    assert rc == 1 and "skipped_tiers.mongodb" in result["msg"]
    assert "exception" not in result


def test_a_variant_playbook_over_another_variant_fails_the_task(module_runner, inventory):
    args = groups_of(inventory, variant="connected")
    args["variant_playbook"] = "standalone_small"
    rc, result = module_runner(edge_inventory_check.main, args)
    assert rc == 1 and result["failed"]
    assert [f["check"] for f in result["failures"]] == ["variant_playbook"]
    assert "run playbooks/connected.yml" in result["msg"]
