#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: swift_ring
short_description: Keep a Swift ring in line with the inventory, with the guards of a live cluster
version_added: 0.1.0
description:
  - Reads the ring's builder file (C(<builder_dir>/<ring>.builder)) with Swift's own library, plans what
    C(swift-ring-builder) must do to match O(devices), and does it with C(swift-ring-builder) (which keeps a
    copy of every builder and ring it replaces under C(<builder_dir>/backups)).
  - A missing builder is created once (C(create), C(add), C(rebalance)). An existing builder is never rebuilt;
    it only changes through C(add), C(set_weight), C(remove), C(set_min_part_hours) and one C(rebalance).
  - B(Refused), every reason listed at once - a part power different from the deployed one; a different replica
    count; a device moved to another region or zone; a device absent from O(devices) that still has weight (drain
    it first with weight 0); a rebalance within C(min_part_hours) of the last one (never forced); a ring file
    without its builder (rebuilding would reassign every partition).
  - With O(plan_only=true) nothing is changed and refusals are returned in RV(errors) instead of failing, so a
    preflight can list them with its other checks.
options:
  ring:
    description: Which ring.
    type: str
    required: true
    choices: [account, container, object]
  builder_dir:
    description: Directory of the builder and ring files.
    type: path
    default: /etc/swift
  part_power:
    description:
      - Part power of the ring (2^part_power partitions).
      - Unset, an existing ring keeps its own and a new ring gets O(default_part_power).
      - Set, it must equal the deployed one.
    type: int
  default_part_power:
    description: Part power of a new ring when O(part_power) is unset.
    type: int
    default: 14
  replicas:
    description: Replica count.
    type: int
    default: 3
  min_part_hours:
    description: Hours before a partition may move again; a rebalance is refused within it.
    type: int
    default: 24
  devices:
    description: Every device the ring must hold; a device is identified by O(devices[].ip), O(devices[].port)
      and O(devices[].device).
    type: list
    elements: dict
    required: true
    suboptions:
      region:
        description: Region.
        type: int
        default: 1
      zone:
        description: Zone (a failure domain; no two replicas of a partition share one while another exists).
        type: int
        required: true
      ip:
        description: Address of the storage server.
        type: str
        required: true
      port:
        description: Port of the ring's server (object, container or account).
        type: int
        required: true
      device:
        description: Device name, the directory under the server's C(devices) (C(/srv/node/<device>)).
        type: str
        required: true
      weight:
        description: Relative weight (0 drains the device).
        type: float
        default: 100
  plan_only:
    description: Only read and plan; return refusals in RV(errors) instead of failing.
    type: bool
    default: false
notes:
  - Runs on the ring host, which needs Swift (C(python3-swift), C(swift-ring-builder)) once a builder exists.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.changes
author:
  - Rainbow Edge engineering (@rainbow-edge)
"""

EXAMPLES = r"""
- name: Build or update the object ring
  rainbow.edge.swift_ring:
    ring: object
    min_part_hours: 24
    devices:
      - {region: 1, zone: 1, ip: 10.20.6.11, port: 6200, device: d1, weight: 100}
      - {region: 1, zone: 2, ip: 10.20.6.12, port: 6200, device: d1, weight: 100}
      - {region: 1, zone: 3, ip: 10.20.6.13, port: 6200, device: d1, weight: 100}

- name: What would change, without failing (for a preflight)
  rainbow.edge.swift_ring:
    ring: object
    devices: "{{ my_devices }}"
    plan_only: true
  register: object_ring_plan
"""

RETURN = r"""
plan:
  description: What is (or would be) done.
  returned: always
  type: dict
  sample: {ring: object, create: false, add: [], set_weight: [], remove: [], set_min_part_hours: null,
           rebalance: false, write_ring: false, part_power: 14, replicas: 3, min_part_hours: 24}
errors:
  description: Every refusal, each with the option it concerns and a message.
  returned: always
  type: list
  elements: dict
  sample: [{option: part_power, message: "the object ring exists with part power 14; ..."}]
state:
  description: The builder as found before any change (null when there was none).
  returned: always
  type: dict
  sample: {part_power: 14, replicas: 3.0, min_part_hours: 24, devices: 9, min_part_seconds_left: 0, version: 3}
summary:
  description: One line describing the plan.
  returned: always
  type: str
  sample: nothing to do
commands:
  description: The swift-ring-builder command lines run (or that would run).
  returned: always
  type: list
  elements: list
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils.swift_ring import (
    RINGS,
    commands,
    describe,
    has_changes,
    plan_ring,
)

DEVICE_SPEC = dict(
    region=dict(type="int", default=1),
    zone=dict(type="int", required=True),
    ip=dict(type="str", required=True),
    port=dict(type="int", required=True),
    device=dict(type="str", required=True),
    weight=dict(type="float", default=100),
)

ARGUMENT_SPEC = dict(
    ring=dict(type="str", required=True, choices=list(RINGS)),
    builder_dir=dict(type="path", default="/etc/swift"),
    part_power=dict(type="int"),
    default_part_power=dict(type="int", default=14),
    replicas=dict(type="int", default=3),
    min_part_hours=dict(type="int", default=24),
    devices=dict(type="list", elements="dict", required=True, options=DEVICE_SPEC),
    plan_only=dict(type="bool", default=False),
)

DEVICE_FIELDS = ("id", "region", "zone", "ip", "port", "device", "weight")


def read_builder(builder_file, ring_file):
    """The builder's state as plain data (Swift's library reads the pickle)."""
    from swift.common.ring import RingBuilder  # pylint: disable=import-outside-toplevel

    builder = RingBuilder.load(builder_file)
    return {
        "part_power": builder.part_power,
        "replicas": builder.replicas,
        "min_part_hours": builder.min_part_hours,
        "devices": [{field: dev[field] for field in DEVICE_FIELDS} for dev in builder.devs if dev is not None],
        "min_part_seconds_left": builder.min_part_seconds_left,
        "devs_changed": bool(builder.devs_changed),
        "ever_rebalanced": bool(builder.ever_rebalanced),
        "version": builder.version,
        "ring_file_exists": os.path.exists(ring_file),
    }


def summarize(state):
    if state is None:
        return None
    summary = dict((key, value) for key, value in state.items() if key != "devices")
    summary["devices"] = len(state["devices"])
    return summary


def run(module):
    params = module.params
    ring = params["ring"]
    builder_file = os.path.join(params["builder_dir"], ring + ".builder")
    ring_file = os.path.join(params["builder_dir"], ring + ".ring.gz")
    errors = []
    state = None
    if os.path.exists(builder_file):
        try:
            state = read_builder(builder_file, ring_file)
        except ImportError:
            module.fail_json(msg="%s exists but Swift's Python library (python3-swift) is not installed here"
                             % builder_file)
    elif os.path.exists(ring_file):
        errors.append({"option": "ring", "message": (
            "%s exists without its builder %s: building a new ring would reassign every partition and make "
            "the stored objects unreachable. Restore the builder (%s/backups, another Swift node, the "
            "controller's copy) or recreate it with `swift-ring-builder %s write_builder`"
        ) % (ring_file, builder_file, params["builder_dir"], ring_file)})

    desired = {
        "part_power": params["part_power"],
        "replicas": params["replicas"],
        "min_part_hours": params["min_part_hours"],
        "devices": params["devices"],
    }
    plan = plan_ring(ring, state, desired, params["default_part_power"], time.time())
    errors = errors + plan.pop("errors")
    argv = commands(builder_file, plan)
    result = dict(plan=plan, errors=errors, state=summarize(state), summary=describe(plan), commands=argv)
    if params["plan_only"]:
        module.exit_json(changed=False, **result)
    if errors:
        module.fail_json(msg="%s ring: %s" % (ring, "; ".join(error["message"] for error in errors)), **result)
    if not has_changes(plan) or module.check_mode:
        module.exit_json(changed=has_changes(plan), **result)

    if not os.path.isdir(params["builder_dir"]):
        module.fail_json(msg="%s does not exist: install Swift first" % params["builder_dir"], **result)
    outputs = []
    for command in argv:
        rc, out, err = module.run_command(command)
        outputs.append({"command": command, "rc": rc, "stdout": out})
        # rebalance exits 1 for warnings (dispersion, balance) after saving the ring.
        saved = command[2] == "rebalance" and rc == 1 and "Reassigned" in out
        if rc != 0 and not saved:
            module.fail_json(msg="%s failed (rc %d): %s %s" % (" ".join(command), rc, out.strip(), err.strip()),
                             outputs=outputs, **result)
    result["state"] = summarize(read_builder(builder_file, ring_file))
    module.exit_json(changed=True, outputs=outputs, **result)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module)


if __name__ == "__main__":
    main()
