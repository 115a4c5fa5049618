#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: edge_validate
short_description: Prove that an Edge's hosts, links and bandwidth fit its footprint
version_added: 0.1.0
description:
  - Plans the Edge exactly as M(rainbow.edge.edge_plan) does (same options), then checks the inventory's
    tier groups and the facts gathered by M(rainbow.edge.edge_facts) against the plan.
  - Runs every check and collects every finding before failing, so the failure message lists all
    shortfalls at once. Failures are requirements of the Technical Overview; warnings are its
    recommendations or what could not be measured.
  - B(Failures.) Hosts in a tier the plan does not have (see M(rainbow.edge.edge_inventory_check)). Per host,
    against its tier (inventory group) - fewer vCPUs than the tier; less RAM than the tier less
    O(memory_tolerance_pct) (VMs report a little less than they were given); a required disk
    without a distinct disk at least that size; no LAN address inside O(lan_cidr), or a LAN address outside
    it; fewer public IPv4 addresses on WAN NICs than an Internet-facing tier needs (GateKeeper, All-in-One,
    TURN, conferencing, public load balancer, ICN; 2 for the All-in-One and public load balancers);
    a NIC slower than 1 Gbps; no facts for a host of a tier. Per tier - fewer servers than planned.
    Network - RTT between two datacenters above O(max_rtt_ms) (100 ms, so 100 passes and 101 fails) or no
    answer; WAN bandwidth under 50 Mbps on a Connected Edge.
  - B(Warnings.) LAN and WAN on the same NIC; data-hosting servers (logs, backup, MariaDB, MongoDB, Swift,
    voice database) of a large Edge without a 10 Gbps LAN NIC; WAN bandwidth under 100 Mbps or not
    measured (Connected); all servers of a tier in one datacenter while several exist; unknown NIC speed;
    a pair of datacenters whose RTT was not measured; a tier left out (O(skipped_tiers), or outside O(tiers)); a
    host in several tiers; datacenter names that do not match O(datacenters); a host short of a figure the
    documents do not state (the All-in-One's OS disk, the mail relays' size, which the plan assumes).
options:
  groups:
    description:
      - Tier name to host names, as the inventory's C(groups) (passing the whole C(groups) variable is fine
        - groups that are not tier names are ignored).
    type: dict
    default: {}
  hosts:
    description:
      - Host name to facts, as M(rainbow.edge.edge_facts) returns them in C(ansible_facts.edge_host).
      - Each value has C(vcpus), C(memory_mb), C(disks_gb) (list of sizes in GB), C(nics) (list of
        C({name, speed_mbps, address, addresses, zone}) with C(zone) V(lan), V(wan) or V(other); a speed of
        null or -1 is unknown) and C(datacenter). Other keys are ignored.
    type: dict
    default: {}
  links:
    description:
      - RTT measurements between datacenters, C([{from_dc, to_dc, rtt_ms, from_host, to_host, error}]);
        C(rtt_ms) null means no answer. M(rainbow.edge.edge_facts) returns them in C(ansible_facts.edge_rtt).
    type: list
    elements: dict
    default: []
  wan_bandwidth_mbps:
    description: Measured Internet bandwidth in Mb/s (checked on a Connected Edge). Not given means not measured.
    type: float
  lan_cidr:
    description: The Edge LAN; the documents require 10.20.0.0/16.
    type: str
    default: 10.20.0.0/16
  public_cidrs:
    description:
      - Networks whose addresses count as public beside the globally routable ones, for labs on
        documentation ranges such as 198.51.100.0/24. Leave empty in production.
    type: list
    elements: str
    default: []
  max_rtt_ms:
    description: Highest allowed RTT between two datacenters (7.2).
    type: float
    default: 100
  min_nic_mbps:
    description: Slowest allowed NIC (7.2 - at least 1 Gbps).
    type: float
    default: 1000
  memory_tolerance_pct:
    description: How far below the tier's RAM a host may report (the kernel reserves some of a VM's RAM).
    type: float
    default: 3
  disk_tolerance_pct:
    description: How far below a required disk size a disk may be (sizes are read in GiB).
    type: float
    default: 0
  tiers:
    description:
      - Check only these tiers (a partial delivery, or a lab). Empty checks every tier of the plan. Network
        checks always run.
    type: list
    elements: str
    default: []
  skipped_tiers:
    description:
      - Tiers of the plan this run leaves out on purpose, to the reason (see M(rainbow.edge.edge_inventory_check),
        which refuses a skipped tier with hosts). They are not checked.
    type: dict
    default: {}
  fail_on_failures:
    description:
      - Fail the task when a check fails (the message lists every failure). V(false) returns the same
        result without failing, for a play that writes reports first and fails afterwards.
    type: bool
    default: true
notes:
  - Pure computation, normally run once on the controller (C(run_once), C(delegate_to=localhost)).
  - Structured warnings are returned in RV(warnings_detail); each is also an Ansible warning (the
    C(warnings) key of a result belongs to Ansible and holds strings), as are the plan's warnings
    (overrides, assumed figures), prefixed with C(plan:).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
  - rainbow.edge.plan
seealso:
  - module: rainbow.edge.edge_plan
  - module: rainbow.edge.edge_facts
author:
  - Rainbow Edge engineering (@rainbow-edge)
"""

EXAMPLES = r"""
- name: Gather what the checks compare, on every host
  rainbow.edge.edge_facts:
    lan_cidr: 10.20.0.0/16
    datacenter: "{{ edge_datacenter }}"

- name: Check the whole Edge at once
  rainbow.edge.edge_validate:
    variant: connected
    concurrent_users: 20000
    datacenters: 2
    groups: "{{ groups }}"
    hosts: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, ['ansible_facts', 'edge_host']))) }}"
    links: "{{ ansible_play_hosts_all | map('extract', hostvars, ['ansible_facts', 'edge_rtt']) | select('defined') | flatten }}"
    wan_bandwidth_mbps: 300
  run_once: true
  delegate_to: localhost

- name: Check figures written by hand (no host needed)
  rainbow.edge.edge_validate:
    variant: standalone
    concurrent_users: 800
    tiers: [aio]
    # Documentation addresses stand in for public ones in this example.
    public_cidrs: [198.51.100.0/24]
    groups:
      aio: [aio1]
    hosts:
      aio1:
        vcpus: 8
        memory_mb: 32000
        disks_gb: [64, 512, 512]
        datacenter: dc1
        nics:
          - {name: eth0, speed_mbps: 10000, address: 10.20.0.10, zone: lan}
          - {name: eth1, speed_mbps: 1000, addresses: [198.51.100.10, 198.51.100.11], zone: wan}
  delegate_to: localhost
"""

RETURN = r"""
passed:
  description: True when no check failed.
  returned: always
  type: bool
  sample: false
msg:
  description: Summary; when checks failed, one line per failure (host, tier, check, expected, actual, hint).
  returned: always
  type: str
  sample: "Edge pre-flight: 1 failure(s), 0 warning(s) over 4 host(s):\n- db1 [mariadb] vcpus: expected 4 vCPUs, got 2 vCPUs (...)"
failures:
  description: Every failed check.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: Host name, null for tier-wide and network checks.
      type: str
    tier:
      description: Tier name, null for network checks.
      type: str
    check:
      description:
        - Check name, for example C(vcpus), C(memory), C(disks), C(count), C(lan_address), C(public_ipv4),
          C(nic_speed), C(rtt), C(wan_bandwidth), C(facts).
      type: str
    expected:
      description: What the footprint asks for.
      type: str
    actual:
      description: What was found.
      type: str
    hint:
      description: What to do about it, with the document's section.
      type: str
  sample: [{host: db1, tier: mariadb, check: vcpus, expected: 4 vCPUs, actual: 2 vCPUs, hint: give the VM 2 more vCPU(s) ...}]
warnings_detail:
  description: Every warning, in the same shape as RV(failures).
  returned: always
  type: list
  elements: dict
  sample: [{host: db1, tier: mariadb, check: lan_10g, expected: a 10000 Mbps LAN NIC, actual: 1000 Mbps, hint: ...}]
scope:
  description: The tiers checked.
  returned: always
  type: list
  elements: str
  sample: [gatekeeper, mariadb]
checked:
  description: The (host, tier) pairs checked; C(host) null for a tier's count, both null for network checks.
  returned: always
  type: list
  elements: dict
  sample: [{host: null, tier: mariadb}, {host: db1, tier: mariadb}]
plan:
  description: The plan the hosts were checked against, as M(rainbow.edge.edge_plan) returns it.
  returned: always
  type: dict
  sample: {variant: connected, scale: large, tiers: {}, totals: {hosts: 17}}
junit:
  description: The result as JUnit XML (a test case per checked host and tier), for CI.
  returned: always
  type: str
  sample: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ...>"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils.edge_ansible import attempt, new_module
from ansible_collections.rainbow.edge.plugins.module_utils.edge_checks import validate
from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import PLAN_ARGUMENT_SPEC
from ansible_collections.rainbow.edge.plugins.module_utils.edge_report import junit_xml

ARGUMENT_SPEC = dict(
    PLAN_ARGUMENT_SPEC,
    groups=dict(type="dict", default={}),
    hosts=dict(type="dict", default={}),
    links=dict(type="list", elements="dict", default=[]),
    wan_bandwidth_mbps=dict(type="float"),
    lan_cidr=dict(type="str", default="10.20.0.0/16"),
    public_cidrs=dict(type="list", elements="str", default=[]),
    max_rtt_ms=dict(type="float", default=100.0),
    min_nic_mbps=dict(type="float", default=1000.0),
    memory_tolerance_pct=dict(type="float", default=3.0),
    disk_tolerance_pct=dict(type="float", default=0.0),
    tiers=dict(type="list", elements="str", default=[]),
    skipped_tiers=dict(type="dict", default={}),
    fail_on_failures=dict(type="bool", default=True),
)


def run(module: AnsibleModule) -> None:
    """Validate, then exit or fail with every finding in the result."""
    result, error = attempt(validate, module.params)
    if error is not None:
        module.fail_json(msg="edge_validate: %s" % error)
    finish(module, result)


def finish(module: AnsibleModule, result: dict) -> None:
    """Warnings become Ansible warnings (strings) and warnings_detail (dicts)."""
    result["junit"] = junit_xml(result)
    result["warnings_detail"] = result.pop("warnings")
    for text in result["plan"]["warnings"]:
        module.warn("plan: %s" % text)
    for finding in result["warnings_detail"]:
        module.warn("%s%s %s: expected %s, got %s (%s)" % (
            finding["host"] or "edge", " [%s]" % finding["tier"] if finding["tier"] else "",
            finding["check"], finding["expected"], finding["actual"], finding["hint"]))
    if result["failures"] and module.params["fail_on_failures"]:
        module.fail_json(**result)
    module.exit_json(changed=False, **result)


def main() -> None:
    module = new_module("edge_validate", ARGUMENT_SPEC)
    run(module)


if __name__ == "__main__":
    main()
