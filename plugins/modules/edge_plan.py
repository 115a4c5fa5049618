#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: edge_plan
short_description: Size a Rainbow Edge from its number of users, calls and datacenters
version_added: 0.1.0
description:
  - Answers "what do I need for N users?" without any server. Returns, for each tier (inventory group) of
    the Edge, the number of servers and each server's vCPUs, RAM, disks (size and IOPS class), NICs and HA
    mode, plus totals, a placement over the datacenters and warnings.
  - The figures are those of the Rainbow Edge Technical Overview (Ed 05), sections 7.4 (generic tiers),
    8.3 and 8.4 (Connected Edge, voice), 9.3 to 9.6 (Standalone Edge small and large scale, voice, mail).
  - B(Variant and scale.) A Connected Edge is 7.4 + 8.3 (+ 8.4 with O(voice)). A Standalone Edge is
    C(small) (7.4 + 9.3) with at most 1000 concurrent B(and) at most 5000 registered users, C(large)
    (7.4 + 8.3 + 9.4, + 8.4 + 9.5 with voice) above either figure. A Connected Edge reports C(large).
    Standalone Edges add the two send-only mail relays of 9.6 unless O(mail_relay=external).
  - B(How "double up the footprint for every 20k concurrent users" is read.) As one more copy of the base
    application footprint for every started block of 20,000 concurrent users (or 100,000 registered users) -
    sets = max(1, ceil(concurrent_users / 20000), ceil(registered_users / 100000)), and the count of
    every 8.3 and 9.4 tier is its base count times C(sets). From 20k to 40k users the footprint doubles, as
    the document says; beyond, it grows linearly (60k users = 3 sets, 100k = 5 sets), because the base is
    the stated capacity of 20k users and capacity grows with each server added. The exponential reading
    (x2 per further 20k, so 200k users = 512x) is rejected. 100k registered per set is the conservative end
    of the document's "100-200k registers". Growth is horizontal (more servers); a vertical choice agreed
    with ALE Operations can be written as O(overrides).
  - B(Voice.) voice_sets = max(1, ceil(voice_users / 50000), ceil(concurrent_calls / 2000)) multiplies
    the 8.4 tiers (ICN, PBX orchestrator, PBX gateways) and the 9.5 voice proxies; voice web and database
    pairs hold 200,000 subscribers each. The 7.4 tiers are invariant; 9.3 and 9.6 are fixed.
  - B(Several datacenters.) Active-active datacenters should use at most half of their capacity (7.1), so
    with O(datacenters) above 1 and O(active_active=true) the sets are computed for twice the load. The
    scale (small or large) is always chosen on the nominal figures.
  - Impossible requests fail with a message saying why, for example voice on a small Standalone Edge,
    negative counts, fewer registered than concurrent users, or an unknown variant.
options:
  render:
    description: Documents to render from the plan and return in RV(documents).
    type: list
    elements: str
    choices: [markdown, html, svg]
    default: []
notes:
  - Pure computation on the controller; no host is contacted.
  - Plan warnings (assumptions, overrides, DC spread, address space) are emitted as Ansible warnings and
    returned in RV(warnings); RV(notes) holds the informational remarks.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
  - rainbow.edge.plan
seealso:
  - module: rainbow.edge.edge_validate
  - module: rainbow.edge.edge_facts
author:
  - Rainbow Edge engineering (@rainbow-edge)
"""

EXAMPLES = r"""
- name: What does a Connected Edge for 50k concurrent users need?
  rainbow.edge.edge_plan:
    variant: connected
    concurrent_users: 50000
  register: plan

- name: Large Standalone Edge with voice over three datacenters, with the bill of materials
  rainbow.edge.edge_plan:
    variant: standalone
    voice: true
    concurrent_users: 20000
    registered_users: 100000
    voice_users: 50000
    concurrent_calls: 2000
    datacenters: 3
    render: [markdown, html, svg]
  register: plan

- name: Write the topology picture
  ansible.builtin.copy:
    content: "{{ plan.documents.svg }}"
    dest: /tmp/edge-topology.svg
    mode: "0644"

- name: A lab whose MariaDB servers are smaller than the documents' figure
  rainbow.edge.edge_plan:
    variant: connected
    overrides:
      mariadb: {vcpus: 1, memory_gb: 1, disks: [8]}
"""

RETURN = r"""
variant:
  description: The variant planned.
  returned: success
  type: str
  sample: standalone
voice:
  description: Whether Rainbow Voice is planned.
  returned: success
  type: bool
  sample: true
scale:
  description: V(small) or V(large) (a Connected Edge is V(large)).
  returned: success
  type: str
  sample: large
datacenters:
  description: Names of the planned datacenters.
  returned: success
  type: list
  elements: str
  sample: [dc1, dc2, dc3]
demand:
  description: The options as read, with defaults filled in (registered users derived when not given).
  returned: success
  type: dict
  sample: {variant: standalone, voice: true, concurrent_users: 20000, registered_users: 100000}
load_factor:
  description: 2 when active-active datacenters are sized for twice the load, else 1.
  returned: success
  type: int
  sample: 2
sets:
  description: Copies of the scalable tables, see the description.
  returned: success
  type: dict
  sample: {application: 2, voice: 2, voice_subscribers: 1}
sections:
  description: The document's tables that make up this Edge.
  returned: success
  type: list
  elements: str
  sample: ["7.4", "8.3", "9.4", "8.4", "9.5", "9.6"]
tiers:
  description:
    - Tier name (the inventory group) to its requirements. Sizes are per server.
    - C(count) servers, C(vcpus), C(memory_gb), C(disks) (C(size_gb), C(iops) V(standard) or V(optimized)),
      C(nics) (C(zone) V(lan)/V(wan), C(ipv4) addresses held by each server, C(vips) floating VRRP addresses
      of the tier), C(ha) (V(M/S), V(M/M), ..., null when the document gives none), C(groups) (HA groups,
      count / base count), C(title), C(section), C(scaling), C(data) (data-hosting tier), C(public)
      (needs public IPv4), C(assumed) (figures the document leaves out, in words), C(unstated) (which of
        C(vcpus) and C(memory_gb) the document leaves out, which the validator warns about and never fails on),
        C(overridden) (keys overridden).
  returned: success
  type: dict
  sample:
    mariadb:
      count: 2
      groups: 1
      ha: M/S
      vcpus: 4
      memory_gb: 64
      disks: [{size_gb: 64, iops: standard, stated: true}, {size_gb: 256, iops: optimized, stated: true},
              {size_gb: 256, iops: optimized, stated: true}]
      nics: [{zone: lan, ipv4: 1, vips: 0}]
      title: MySQL/MariaDB
      section: "8.3"
      scaling: users
      data: true
      public: false
      assumed: []
      unstated: []
      overridden: []
totals:
  description: Sums over all tiers (disk in GB; addresses include VIPs).
  returned: success
  type: dict
  sample: {hosts: 17, vcpus: 65, memory_gb: 448, disk_gb: 18944, lan_ipv4: 20, public_ipv4: 2, vips: 3}
placement:
  description: Datacenter to tier to server count, round robin (instances on each DC, 7.1).
  returned: success
  type: dict
  sample: {dc1: {gatekeeper: 1, mariadb: 1}, dc2: {gatekeeper: 1, mariadb: 1}}
warnings:
  description: Plan warnings (also shown as Ansible warnings), for example assumed sizes and overrides.
  returned: when there are any
  type: list
  elements: str
  sample: ["tier mail: the document gives the mail relays no size; ..."]
notes:
  description: Informational remarks (derived figures, bandwidth recommendation).
  returned: success
  type: list
  elements: str
  sample: ["registered_users not given: taken as 100000 (5 x concurrent users, ...)"]
documents:
  description: The rendered documents asked for in O(render) (C(markdown), C(html), C(svg)).
  returned: when O(render) is not empty
  type: dict
  sample: {markdown: "# Rainbow Edge bill of materials\n..."}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils.edge_ansible import attempt, new_module
from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import PLAN_ARGUMENT_SPEC, build_plan
from ansible_collections.rainbow.edge.plugins.module_utils.edge_report import render_plan

ARGUMENT_SPEC = dict(
    PLAN_ARGUMENT_SPEC,
    render=dict(type="list", elements="str", default=[], choices=["markdown", "html", "svg"]),
)


def run(module: AnsibleModule) -> None:
    """Plan, warn, render; any bad input ends in fail_json with the reason."""
    plan, error = attempt(build_plan, module.params, module.params["overrides"])
    if error is not None:
        module.fail_json(msg="edge_plan: %s" % error)
    documents, error = attempt(render_plan, plan, module.params["render"])
    if error is not None:
        module.fail_json(msg="edge_plan: %s" % error)
    for text in plan.pop("warnings"):
        module.warn(text)
    if documents:
        plan["documents"] = documents
    module.exit_json(changed=False, **plan)


def main() -> None:
    module = new_module("edge_plan", ARGUMENT_SPEC)
    run(module)


if __name__ == "__main__":
    main()
