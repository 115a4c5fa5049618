#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: edge_inventory_check
short_description: Check an inventory's tier groups against its Edge variant, before any host is contacted
version_added: 0.1.0
description:
  - Plans the Edge exactly as M(rainbow.edge.edge_plan) does (same options), then checks the inventory's tier
    groups against the plan, from the inventory alone. The first thing a whole-Edge run does, so that a wrong
    inventory stops it before any host is read or changed.
  - Lists every problem at once. B(Failures.) A variant's playbook (O(variant_playbook)) run over an inventory
    of another variant; hosts in a tier the Edge must not have (a TURN group on a
    Connected Edge, voice tiers without O(voice)); O(voice) on an Edge that cannot have it (a small Standalone
    Edge; the groups are then judged against the Edge without voice); a tier with fewer servers than planned;
    a tier in O(skipped_tiers) that is not one of the Edge's, or that has hosts.
  - B(Warnings.) Each tier in O(skipped_tiers), with its reason (the run does not converge it, and no run
    leaves a tier out silently); each tier of the plan outside O(tiers).
options:
  variant_playbook:
    description:
      - The whole-Edge playbook of one variant that runs this check (C(playbooks/connected.yml),
        C(playbooks/standalone_small.yml), C(playbooks/standalone_large.yml)). The plan of the inventory
        must be that variant (and, for a Standalone Edge, that scale); otherwise the run is refused, naming
        the playbook that fits.
      - Not given (C(playbooks/site.yml)), whatever variant the inventory describes is deployed.
    type: str
    choices: [connected, standalone_small, standalone_large]
    version_added: 0.2.0
  groups:
    description:
      - Tier name to host names, as the inventory's C(groups) (passing the whole C(groups) variable is fine
        - groups that are not tier names are ignored).
    type: dict
    default: {}
  tiers:
    description:
      - Check the server counts of these tiers only (a partial delivery). Empty checks every tier of the plan.
        Tiers the Edge must not have are refused whatever this says.
    type: list
    elements: str
    default: []
  skipped_tiers:
    description:
      - Tiers of the plan this run leaves out on purpose, to the reason (for example a lab that cannot run
        MongoDB). Their groups must be empty; each is reported as a warning.
    type: dict
    default: {}
  fail_on_failures:
    description: Fail the task when a check fails (the message lists every problem).
    type: bool
    default: true
notes:
  - Pure computation on the controller (C(run_once), C(delegate_to=localhost)); no host is contacted.
  - Structured warnings are returned in RV(warnings_detail); each is also an Ansible warning.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
  - rainbow.edge.plan
seealso:
  - module: rainbow.edge.edge_plan
  - module: rainbow.edge.edge_validate
author:
  - Rainbow Edge engineering (@rainbow-edge)
"""

EXAMPLES = r"""
- name: playbooks/standalone_small.yml refuses an inventory of any other Edge
  rainbow.edge.edge_inventory_check:
    variant_playbook: standalone_small
    variant: "{{ edge_variant }}"
    concurrent_users: "{{ edge_concurrent_users }}"
    groups: "{{ groups }}"
  run_once: true
  delegate_to: localhost

- name: Refuse an inventory that is not the Edge it says it is
  rainbow.edge.edge_inventory_check:
    variant: "{{ edge_variant }}"
    voice: "{{ edge_voice }}"
    concurrent_users: "{{ edge_concurrent_users }}"
    groups: "{{ groups }}"
    skipped_tiers: "{{ edge_skipped_tiers | default({}) }}"
  run_once: true
  delegate_to: localhost

- name: A lab that cannot run MongoDB and the ELK server says so
  rainbow.edge.edge_inventory_check:
    variant: standalone
    concurrent_users: 800
    groups: "{{ groups }}"
    skipped_tiers:
      mongodb: no MongoDB package is reachable from the lab
      logs: no Elasticsearch package is reachable from the lab
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
passed:
  description: True when no check failed.
  returned: always
  type: bool
  sample: false
msg:
  description: Summary; when checks failed, one line per problem (tier, check, expected, actual, hint).
  returned: always
  type: str
  sample: "Edge inventory: 1 problem(s) for a Connected Edge:\n- edge [turn] unexpected_tier: expected no turn servers ..."
failures:
  description: Every failed check, in the shape of M(rainbow.edge.edge_validate)'s RV(failures) (C(host) is null).
  returned: always
  type: list
  elements: dict
  sample: [{host: null, tier: turn, check: unexpected_tier, expected: no turn servers on a Connected Edge,
            actual: "1 host(s): turn1", hint: "remove the group: ..."}]
warnings_detail:
  description: Every warning (C(not_converged) for a skipped tier, C(not_checked)), in the same shape.
  returned: always
  type: list
  elements: dict
  sample: [{host: null, tier: mongodb, check: not_converged, expected: mongodb servers (MongoDB, section 8.3),
            actual: left out by edge_skipped_tiers, hint: no MongoDB package is reachable from the lab}]
scope:
  description: The tiers whose server counts were checked.
  returned: always
  type: list
  elements: str
  sample: [gatekeeper, mariadb]
skipped_tiers:
  description: The tiers left out, to their reasons (C(skipped) is Ansible's own result key).
  returned: always
  type: dict
  sample: {mongodb: no MongoDB package is reachable from the lab}
plan:
  description: The plan the groups were checked against, as M(rainbow.edge.edge_plan) returns it.
  returned: always
  type: dict
  sample: {variant: connected, scale: large, tiers: {}, totals: {hosts: 17}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils.edge_ansible import attempt, new_module
from ansible_collections.rainbow.edge.plugins.module_utils.edge_checks import VARIANT_PLAYBOOKS, check_inventory
from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import PLAN_ARGUMENT_SPEC

ARGUMENT_SPEC = dict(
    PLAN_ARGUMENT_SPEC,
    variant_playbook=dict(type="str", choices=list(VARIANT_PLAYBOOKS)),
    groups=dict(type="dict", default={}),
    tiers=dict(type="list", elements="str", default=[]),
    skipped_tiers=dict(type="dict", default={}),
    fail_on_failures=dict(type="bool", default=True),
)


def run(module: AnsibleModule) -> None:
    """Check, then exit or fail with every problem in the result."""
    result, error = attempt(check_inventory, module.params)
    if error is not None:
        module.fail_json(msg="edge_inventory_check: %s" % error)
    result["warnings_detail"] = result.pop("warnings")
    for finding in result["warnings_detail"]:
        module.warn("[%s] %s: expected %s, got %s (%s)" % (
            finding["tier"], finding["check"], finding["expected"], finding["actual"], finding["hint"]))
    if result["failures"] and module.params["fail_on_failures"]:
        module.fail_json(**result)
    module.exit_json(changed=False, **result)


def main() -> None:
    module = new_module("edge_inventory_check", ARGUMENT_SPEC)
    run(module)


if __name__ == "__main__":
    main()
