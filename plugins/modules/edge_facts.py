#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: edge_facts
short_description: Read what an Edge host really has, and measure RTT and bandwidth to its peers
version_added: 0.1.0
description:
  - Reads the host itself - usable vCPUs (CPU affinity, capped by a cgroup CPU quota), memory (C(MemTotal),
    capped by a cgroup memory limit), whole disks and their sizes (C(/sys/block), plus the block devices handed
    to a container as C(/dev) nodes), every network interface
    with its link speed (C(/sys/class/net/*/speed)), IPv4 addresses (C(ip -j addr)) and zone.
  - The zone of an address is V(lan) when it is O(lan_ip) or inside O(lan_cidr), V(wan) when it is
    O(wan_ip), inside O(wan_cidrs) or globally routable, V(other) otherwise. An interface carrying addresses
    of two zones is listed once per zone.
  - When asked, measures the RTT to peers (typically one host of each other datacenter) as the median
    time of TCP handshakes - a refused connection counts too, since the reset comes back after one round
    trip, so neither a listener nor the raw-socket privilege of C(ping) is needed.
  - When asked, starts a one-off C(iperf3) server (it exits after one test, or after
    O(iperf3_idle_timeout) seconds without one) or measures the bandwidth to such a server in both
    directions at once (C(iperf3 --bidir)); the lower direction is the result.
  - Returns everything in C(ansible_facts) in the shape M(rainbow.edge.edge_validate) reads.
options:
  gather:
    description: Read the host's figures (RV(ansible_facts.edge_host)). V(false) only measures.
    type: bool
    default: true
  lan_cidr:
    description: The Edge LAN.
    type: str
    default: 10.20.0.0/16
  lan_ip:
    description: The host's declared LAN address (C(edge_lan_ip)); it is in zone V(lan) wherever it is.
    type: str
  wan_ip:
    description: The host's declared public address (C(edge_wan_ip)); it is in zone V(wan).
    type: str
  wan_cidrs:
    description: Networks whose addresses are in zone V(wan) although not globally routable (labs).
    type: list
    elements: str
    default: []
  wan_vips:
    description:
      - WAN VIPs the inventory plans for the host (a public load balancer's C(public_lb_vips)), returned as
        C(wan_vips) of RV(ansible_facts.edge_host); the footprint check counts them among the host's public addresses,
        since the host holds them only once its role has run.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  datacenter:
    description: The host's datacenter (C(edge_datacenter)), returned with the facts and the RTT measurements.
    type: str
  name:
    description: The name to record as the origin of RTT measurements (the inventory name). Defaults to the hostname.
    type: str
  rtt_peers:
    description:
      - Peers to measure the RTT to, C([{name, address, datacenter, port}]); C(port) defaults to O(rtt_port).
    type: list
    elements: dict
    default: []
  rtt_port:
    description: TCP port probed on the peers (open or closed both work; a port a firewall drops does not).
    type: int
    default: 22
  rtt_samples:
    description: Handshakes per peer; the median is reported.
    type: int
    default: 5
  rtt_timeout:
    description: Seconds to wait for each handshake.
    type: float
    default: 2
  iperf3_server:
    description: Start a one-off C(iperf3) server on this host for a peer's bandwidth measurement.
    type: bool
    default: false
  iperf3_port:
    description: TCP port of the C(iperf3) server (both sides).
    type: int
    default: 5201
  iperf3_idle_timeout:
    description: Seconds after which an unused one-off C(iperf3) server exits.
    type: int
    default: 60
  bandwidth_target:
    description: Address of a peer running an C(iperf3) server to measure the bandwidth to. Empty means no measurement.
    type: str
  bandwidth_seconds:
    description: Duration of the bandwidth test.
    type: int
    default: 3
notes:
  - Nothing on the host is changed; the optional C(iperf3) server is a transient process that exits by itself,
    so the module runs the same way in check mode and always reports C(changed=false).
  - The C(iperf3) package is needed only for bandwidth measurements; without it the result says so.
  - Only the peers given are contacted (lab containers, or the Edge's own hosts).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
  - rainbow.edge.attributes.read_only
attributes:
  facts:
    support: full
seealso:
  - module: rainbow.edge.edge_validate
author:
  - Rainbow Edge engineering (@rainbow-edge)
"""

EXAMPLES = r"""
- name: Read the host
  rainbow.edge.edge_facts:
    lan_cidr: "{{ edge_lan_cidr | default('10.20.0.0/16') }}"
    lan_ip: "{{ edge_lan_ip | default(omit) }}"
    wan_ip: "{{ edge_wan_ip | default(omit) }}"
    datacenter: "{{ edge_datacenter | default(omit) }}"
    name: "{{ inventory_hostname }}"

- name: Measure the RTT from dc1 to a host of dc2
  rainbow.edge.edge_facts:
    gather: false
    datacenter: dc1
    rtt_peers:
      - {name: db2, address: 10.20.1.22, datacenter: dc2}

- name: Start a one-off iperf3 server on a peer
  rainbow.edge.edge_facts:
    gather: false
    iperf3_server: true
  delegate_to: gk2

- name: Measure the bandwidth to it
  rainbow.edge.edge_facts:
    gather: false
    bandwidth_target: 198.51.100.19
"""

RETURN = r"""
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: dict
  contains:
    edge_host:
      description:
        - The host's figures, as M(rainbow.edge.edge_validate) reads them - C(vcpus) (usable), C(vcpus_online),
          C(vcpus_quota), C(memory_mb) (usable, MiB), C(memory_total_mb), C(memory_limit_mb), C(disks_gb)
          (whole disks, GiB, largest first), C(disks) (C(name), C(size_gb), C(rotational), C(model)),
          C(nics) (C(name), C(speed_mbps) null when unknown, C(zone), C(address), C(addresses), C(mac),
          C(operstate), C(physical)), C(datacenter), C(wan_vips) (O(wan_vips), checked), C(hostname).
      returned: when O(gather=true)
      type: dict
      sample:
        vcpus: 2
        memory_mb: 23975.3
        disks_gb: [256.0]
        nics: [{name: eth0, speed_mbps: 10000, zone: lan, address: 10.20.2.21, addresses: [10.20.2.21]}]
        datacenter: dc1
    edge_rtt:
      description: One measurement per peer, C({from_dc, to_dc, from_host, to_host, address, port, rtt_ms,
        rtt_min_ms, rtt_max_ms, samples, error}); C(rtt_ms) is null when the peer never answered.
      returned: when O(rtt_peers) is not empty
      type: list
      elements: dict
      sample: [{from_dc: dc1, to_dc: dc2, from_host: db1, to_host: db2, rtt_ms: 0.21, samples: 5, error: null}]
    edge_bandwidth:
      description: C({target, wan_bandwidth_mbps, upload_mbps, download_mbps, error}); the bandwidth is the
        lower direction, null when not measured.
      returned: when O(bandwidth_target) is set
      type: dict
      sample: {target: 198.51.100.19, wan_bandwidth_mbps: 940.2, upload_mbps: 941.0, download_mbps: 940.2, error: null}
iperf3_server:
  description: Whether the one-off server was started, on which port, and the error if not.
  returned: when O(iperf3_server=true)
  type: dict
  sample: {started: true, port: 5201, error: null}
"""

import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils.edge_ansible import attempt, new_module
from ansible_collections.rainbow.edge.plugins.module_utils import edge_host
from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import (
    EdgeInputError,
    as_address,
    as_int,
    as_list,
    as_mapping,
    as_network,
    as_str,
)

ARGUMENT_SPEC = dict(
    gather=dict(type="bool", default=True),
    lan_cidr=dict(type="str", default="10.20.0.0/16"),
    lan_ip=dict(type="str"),
    wan_ip=dict(type="str"),
    wan_cidrs=dict(type="list", elements="str", default=[]),
    wan_vips=dict(type="list", elements="str", default=[]),
    datacenter=dict(type="str"),
    name=dict(type="str"),
    rtt_peers=dict(type="list", elements="dict", default=[]),
    rtt_port=dict(type="int", default=22),
    rtt_samples=dict(type="int", default=5),
    rtt_timeout=dict(type="float", default=2.0),
    iperf3_server=dict(type="bool", default=False),
    iperf3_port=dict(type="int", default=5201),
    iperf3_idle_timeout=dict(type="int", default=60),
    bandwidth_target=dict(type="str"),
    bandwidth_seconds=dict(type="int", default=3),
)


def host_facts(module: AnsibleModule, reader: edge_host.HostReader) -> dict:
    """The host's figures with each NIC's zone."""
    params = module.params
    lan = as_network(params["lan_cidr"], "lan_cidr")
    lan_ip = as_address(params["lan_ip"], "lan_ip") if params["lan_ip"] else None
    wan_ip = as_address(params["wan_ip"], "wan_ip") if params["wan_ip"] else None
    wan_networks = [as_network(item, "wan_cidrs[%d]" % index)
                    for index, item in enumerate(params["wan_cidrs"])]
    disks = reader.disks()
    facts = dict(reader.vcpus(), **reader.memory())
    facts.update({
        "disks": disks,
        "disks_gb": [disk["size_gb"] for disk in disks],
        "nics": edge_host.classify_nics(reader.interfaces(), reader.addresses(), lan, lan_ip, wan_ip,
                                        wan_networks),
        "datacenter": params["datacenter"] or None,
        "wan_vips": [str(as_address(item, "wan_vips[%d]" % index)) for index, item in enumerate(params["wan_vips"])],
        "hostname": socket.gethostname(),
    })
    return facts


def rtt_facts(module: AnsibleModule) -> list:
    """One measurement per peer, in the shape edge_validate's ``links`` takes."""
    params = module.params
    samples = as_int(params["rtt_samples"], "rtt_samples", 1, 100)
    port_default = as_int(params["rtt_port"], "rtt_port", 1, 65535)
    if not 0 < params["rtt_timeout"] <= 60:
        raise EdgeInputError("rtt_timeout must be between 0 and 60 seconds, got %s" % params["rtt_timeout"])
    links = []
    for index, raw in enumerate(params["rtt_peers"]):
        where = "rtt_peers[%d]" % index
        peer = as_mapping(raw, where)
        address = str(as_address(peer.get("address"), where + ".address"))
        port = as_int(peer.get("port", port_default), where + ".port", 1, 65535)
        measured = edge_host.measure_rtt(address, port, samples, params["rtt_timeout"])
        links.append(dict(measured, **{
            "from_dc": params["datacenter"] or "",
            "to_dc": as_str(peer.get("datacenter", ""), where + ".datacenter", allow_empty=True),
            "from_host": params["name"] or socket.gethostname(),
            "to_host": as_str(peer.get("name", address), where + ".name"),
            "address": address, "port": port,
        }))
    return links


def start_iperf3_server(module: AnsibleModule) -> dict:
    """A one-off iperf3 daemon; a missing binary is reported, not fatal."""
    port = as_int(module.params["iperf3_port"], "iperf3_port", 1, 65535)
    idle = as_int(module.params["iperf3_idle_timeout"], "iperf3_idle_timeout", 1, 86400)
    binary = module.get_bin_path("iperf3")
    if not binary:
        return {"started": False, "port": port, "error": "iperf3 is not installed (apt install iperf3)"}
    argv = [binary] + edge_host.iperf3_server_argv(port, idle)[1:]
    rc, _out, err = module.run_command(argv)
    return {"started": rc == 0, "port": port, "error": None if rc == 0 else (err.strip() or "rc=%d" % rc)}


def bandwidth_facts(module: AnsibleModule) -> dict:
    """Both directions to the peer's iperf3 server; the lower one is the Edge's bandwidth."""
    target = str(as_address(module.params["bandwidth_target"], "bandwidth_target"))
    port = as_int(module.params["iperf3_port"], "iperf3_port", 1, 65535)
    seconds = as_int(module.params["bandwidth_seconds"], "bandwidth_seconds", 1, 60)
    binary = module.get_bin_path("iperf3")
    if not binary:
        return {"target": target, "wan_bandwidth_mbps": None,
                "error": "iperf3 is not installed on the client (apt install iperf3)"}
    argv = [binary] + edge_host.iperf3_client_argv(target, port, seconds)[1:]
    rc, out, err = module.run_command(argv)
    result = edge_host.parse_iperf3(out)
    if rc != 0 and not result.get("error"):
        result["error"] = err.strip() or "iperf3 exited with rc=%d" % rc
    return dict(result, target=target)


def gather(module: AnsibleModule) -> dict:
    """Everything asked for: {'ansible_facts': ..., 'iperf3_server': ...}."""
    facts = {}
    result = {"changed": False, "ansible_facts": facts}
    if module.params["gather"]:
        reader = edge_host.HostReader("/", runner=lambda argv: module.run_command(
            [module.get_bin_path(argv[0]) or argv[0]] + argv[1:]))
        facts["edge_host"] = host_facts(module, reader)
    if as_list(module.params["rtt_peers"], "rtt_peers"):
        facts["edge_rtt"] = rtt_facts(module)
    if module.params["iperf3_server"]:
        result["iperf3_server"] = start_iperf3_server(module)
    if module.params["bandwidth_target"]:
        facts["edge_bandwidth"] = bandwidth_facts(module)
    return result


def run(module: AnsibleModule) -> None:
    """Gather and measure; bad input ends in fail_json with the reason."""
    result, error = attempt(gather, module)
    if error is not None:
        module.fail_json(msg="edge_facts: %s" % error)
    module.exit_json(**result)


def main() -> None:
    module = new_module("edge_facts", ARGUMENT_SPEC)
    run(module)


if __name__ == "__main__":
    main()
