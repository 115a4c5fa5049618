# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What rainbow.edge.systemd_units decides from one `systemctl show`."""

from ansible_collections.rainbow.edge.plugins.module_utils import systemd_units as su


def unit(name, load="loaded", active="inactive", file_state="disabled"):
    return {"Id": name, "LoadState": load, "ActiveState": active, "UnitFileState": file_state}


def test_show_output_is_one_block_per_unit_in_order():
    out = "Id=rsync.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\n" \
          "Id=x.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n"
    assert su.parse_show(out) == [
        unit("rsync.service", active="active", file_state="enabled"),
        unit("x.service", load="not-found", file_state=""),
    ]


def test_only_units_not_running_are_started_and_only_disabled_ones_enabled():
    names = ["a", "b", "c", "d", "e"]
    shown = [unit("a", active="active", file_state="enabled"), unit("b"), unit("c", active="failed", file_state="static"),
             unit("d", active="activating", file_state="enabled-runtime"), unit("e", active="active", file_state="alias")]
    actions = su.plan(names, shown, "started", True)
    assert actions == {"problems": [], "start": ["b", "c"], "stop": [], "enable": ["b", "d"], "disable": []}


def test_a_rerun_changes_nothing():
    shown = [unit("a", active="active", file_state="enabled"), unit("t.timer", active="active", file_state="enabled")]
    actions = su.plan(["a", "t.timer"], shown, "started", True)
    assert not any(actions[key] for key in ("problems", "start", "stop", "enable", "disable"))


def test_stopping_skips_units_that_do_not_exist_and_leaves_static_ones_enabled_state():
    shown = [unit("a", active="active", file_state="enabled"), unit("gone", load="not-found", file_state=""),
             unit("s", active="deactivating", file_state="static"), unit("m", load="masked", file_state="masked")]
    actions = su.plan(["a", "gone", "s", "m"], shown, "stopped", False)
    assert actions == {"problems": [], "start": [], "stop": ["a", "s"], "enable": [], "disable": ["a"]}


def test_every_missing_or_masked_unit_to_start_is_named_and_nothing_else_is_planned_for_it():
    shown = [unit("gone", load="not-found", file_state=""), unit("m", load="masked", file_state="masked"), unit("ok")]
    actions = su.plan(["gone", "m", "ok"], shown, "started", True)
    assert actions["problems"] == ["gone: no such unit", "m: the unit is masked"]
    assert actions["start"] == ["ok"]


def test_state_alone_leaves_boot_state_and_enabled_alone_leaves_running_state():
    shown = [unit("a")]
    assert su.plan(["a"], shown, "started", None)["enable"] == []
    assert su.plan(["a"], shown, None, True) == {"problems": [], "start": [], "stop": [], "enable": ["a"], "disable": []}


def test_a_short_answer_is_a_problem_not_a_guess():
    assert su.plan(["a", "b"], [unit("a")], "started", True)["problems"]
