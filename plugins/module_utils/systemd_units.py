# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What to do to a list of systemd units, from one `systemctl show` of them all.

Pure functions: the module rainbow.edge.systemd_units runs systemctl; this
file decides. A role that starts eight units with a loop of
ansible.builtin.systemd_service pays eight round trips and eight module runs
per host on every rerun; one `systemctl show` and at most one `systemctl
enable` and one `systemctl start` do the same.
"""

from __future__ import annotations

SHOW_PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState")

# ActiveState values of a unit that is up or on its way up: starting it again
# would change nothing.
_RUNNING = frozenset(("active", "activating", "reloading", "refreshing"))
# UnitFileState values `systemctl enable` turns into "enabled". Others either
# are enabled already (enabled, alias, indirect, generated...) or cannot be
# (static, transient): systemd_service does not touch those either.
_ENABLEABLE = frozenset(("disabled", "enabled-runtime", "linked", "linked-runtime"))
_DISABLEABLE = frozenset(("enabled", "enabled-runtime", "linked", "linked-runtime"))


def parse_show(output: str) -> list[dict[str, str]]:
    """`systemctl show --property=... UNIT...`: one block of KEY=VALUE per unit, blank-line separated, in order."""
    units, current = [], {}
    for line in output.splitlines():
        if not line.strip():
            if current:
                units.append(current)
                current = {}
            continue
        key, _sep, value = line.partition("=")
        current[key] = value
    if current:
        units.append(current)
    return units


def plan(names: list[str], shown: list[dict[str, str]], state: str, enabled: bool | None) -> dict:
    """The units to start, stop, enable and disable, and the problems that forbid any change.

    names: the units asked for, in order; shown: parse_show() of them, in the same order.
    state: started, stopped or None (leave running state alone); enabled: True, False or None.
    """
    problems, actions = [], {"start": [], "stop": [], "enable": [], "disable": []}
    if len(shown) != len(names):
        return {"problems": [f"systemctl show answered for {len(shown)} units, {len(names)} were asked"], **actions}
    for name, unit in zip(names, shown):
        load, active, file_state = unit.get("LoadState", ""), unit.get("ActiveState", ""), unit.get("UnitFileState", "")
        if load == "not-found":
            # A unit that does not exist is stopped and disabled already; one to start is a mistake.
            if state == "started" or enabled is True:
                problems.append(f"{name}: no such unit")
            continue
        if load == "masked" or file_state.startswith("masked"):
            if state == "started" or enabled is True:
                problems.append(f"{name}: the unit is masked")
            continue
        if state == "started" and active not in _RUNNING:
            actions["start"].append(name)
        elif state == "stopped" and active in _RUNNING | {"deactivating"}:
            actions["stop"].append(name)
        if enabled is True and file_state in _ENABLEABLE:
            actions["enable"].append(name)
        elif enabled is False and file_state in _DISABLEABLE:
            actions["disable"].append(name)
    return {"problems": problems, **actions}
