#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop, enable or disable a list of systemd units in one task."""

from __future__ import annotations

DOCUMENTATION = r"""
module: systemd_units
short_description: Start, stop, enable or disable several systemd units at once
description:
  - The list form of M(ansible.builtin.systemd_service) for a role's own services, one task per host instead of
    one loop item per unit. One C(systemctl show) reads every unit; then at most one C(systemctl enable) (or
    C(disable)) and one C(systemctl start) (or C(stop)) change the units that need it. systemd starts the units of
    one call side by side, in the order their dependencies give.
  - Nothing changes when any unit to start or enable is missing or masked; every such unit is named at once.
  - It restarts nothing; handlers restart the one unit whose configuration changed.
version_added: 0.1.0
author:
  - Rainbow Edge engineering (@rainbow-edge)
options:
  names:
    description:
      - Unit names, with their suffix where it is not C(.service) (C(swift-recon-cron.timer), C(wg-quick@wg0)).
    type: list
    elements: str
    required: true
  state:
    description:
      - V(started) starts the units that are not running; V(stopped) stops those that are.
      - Omitted, running state is left alone.
    type: str
    choices: [started, stopped]
  enabled:
    description:
      - Whether the units start at boot. Units that cannot be enabled (V(static), V(transient)) are left as they are.
      - A unit that does not exist counts as stopped and disabled.
    type: bool
  daemon_reload:
    description:
      - Run C(systemctl daemon-reload) first, so that unit files written by earlier tasks are read. Not counted as
        a change.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.changes
requirements:
  - systemd on the host
notes:
  - Inside a container without systemd as PID 1 it fails as systemctl does.
seealso:
  - module: ansible.builtin.systemd_service
"""

EXAMPLES = r"""
- name: Start and enable the Swift services
  rainbow.edge.systemd_units:
    names: [rsync, memcached, swift-account, swift-container, swift-object, swift-proxy, swift-recon-cron.timer]
    state: started
    enabled: true
    daemon_reload: true

- name: Stop the units this cluster does not use
  rainbow.edge.systemd_units:
    names: [swift-container-sync, swift-object-reconstructor]
    state: stopped
    enabled: false
"""

RETURN = r"""
started:
  description: Units started (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [swift-proxy]
stopped:
  description: Units stopped.
  returned: always
  type: list
  elements: str
  sample: []
enabled:
  description: Units enabled.
  returned: always
  type: list
  elements: str
  sample: [swift-proxy]
disabled:
  description: Units disabled.
  returned: always
  type: list
  elements: str
  sample: []
units:
  description: What C(systemctl show) said of each unit before any change, by name.
  returned: always
  type: dict
  sample: {swift-proxy: {LoadState: loaded, ActiveState: inactive, UnitFileState: disabled}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils import systemd_units


def main():
    module = AnsibleModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "state": {"type": "str", "choices": ["started", "stopped"]},
            "enabled": {"type": "bool"},
            "daemon_reload": {"type": "bool", "default": False},
        },
        required_one_of=[("state", "enabled")],
        supports_check_mode=True,
    )
    names = module.params["names"]
    systemctl = module.get_bin_path("systemctl", required=True)
    if module.params["daemon_reload"] and not module.check_mode:
        module.run_command([systemctl, "daemon-reload"], check_rc=True)
    result = {"changed": False, "started": [], "stopped": [], "enabled": [], "disabled": [], "units": {}}
    if not names:
        module.exit_json(**result)
    rc, out, err = module.run_command(
        [systemctl, "show", "--property=" + ",".join(systemd_units.SHOW_PROPERTIES), "--", *names]
    )
    if rc != 0:
        module.fail_json(msg=f"systemctl show failed: {err.strip()}", rc=rc, **result)
    shown = systemd_units.parse_show(out)
    result["units"] = {name: {key: value for key, value in unit.items() if key != "Id"} for name, unit in zip(names, shown)}
    actions = systemd_units.plan(names, shown, module.params["state"], module.params["enabled"])
    if actions["problems"]:
        module.fail_json(msg="; ".join(actions["problems"]), problems=actions["problems"], **result)
    result.update(
        started=actions["start"], stopped=actions["stop"], enabled=actions["enable"], disabled=actions["disable"]
    )
    result["changed"] = any(actions[key] for key in ("start", "stop", "enable", "disable"))
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)
    # Boot state first: a unit that fails to start is still enabled, as systemd_service leaves it.
    for verb, key in (("enable", "enable"), ("disable", "disable"), ("stop", "stop"), ("start", "start")):
        if actions[key]:
            rc, out, err = module.run_command([systemctl, verb, "--", *actions[key]])
            if rc != 0:
                module.fail_json(
                    msg=f"systemctl {verb} {' '.join(actions[key])} failed: {err.strip() or out.strip()}", rc=rc, **result
                )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
