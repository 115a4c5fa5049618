"""Helpers shared by the module_utils and module tests of the Edge sizing code.

Not a test file: the conftest.py of module_utils/ and modules/ import it.
"""

import contextlib
import io
import ipaddress
import json
from unittest import mock

from ansible.module_utils import _internal as module_internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.rainbow.edge.plugins.module_utils.edge_plan import build_plan

# Documentation range standing in for public addresses; the checks are told
# to count it as public (public_cidrs), as the lab does.
PUBLIC_TEST_NET = "198.51.100.0/24"


def fitting_inventory(options, lan_speed=10000, wan_speed=1000):
    """Groups and host facts that meet a plan exactly (each host the tier's minimum)."""
    plan = build_plan(options, options.get("overrides"))
    lan_hosts = ipaddress.IPv4Network("10.20.0.0/16").hosts()
    wan_hosts = ipaddress.IPv4Network(PUBLIC_TEST_NET).hosts()
    groups, hosts = {}, {}
    for dc in plan["datacenters"]:
        for tier, count in plan["placement"][dc].items():
            entry = plan["tiers"][tier]
            for _index in range(count):
                name = "%s-%s-%d" % (tier, dc, len(groups.get(tier, [])) + 1)
                groups.setdefault(tier, []).append(name)
                nics = [{"name": "eth0", "speed_mbps": lan_speed, "address": str(next(lan_hosts)), "zone": "lan"}]
                wan = sum(nic["ipv4"] for nic in entry["nics"] if nic["zone"] == "wan")
                if wan:
                    nics.append({"name": "eth1", "speed_mbps": wan_speed, "zone": "wan",
                                 "addresses": [str(next(wan_hosts)) for _index in range(wan)]})
                hosts[name] = {
                    "vcpus": entry["vcpus"],
                    "memory_mb": entry["memory_gb"] * 1024 * 0.975,  # what a VM reports
                    "disks_gb": [disk["size_gb"] for disk in entry["disks"]],
                    "nics": nics,
                    "datacenter": dc,
                }
    links = [{"from_dc": a, "to_dc": b, "rtt_ms": 2.0}
             for a in plan["datacenters"] for b in plan["datacenters"] if a < b]
    return groups, hosts, links


def run_module(main, args):
    """Run a module's main() in-process: (rc, result as the controller would read it).

    Anything but SystemExit escaping main() is a traceback, and fails the test
    that called this.
    """
    out = io.StringIO()
    rc = None
    # As on a target host: once any test of the session has imported the
    # controller's code (the lab connection plugin's tests do), modules would
    # send their warnings to the controller's display instead of the result.
    with patch_module_args(args), contextlib.redirect_stdout(out), \
            mock.patch.object(module_internal, "is_controller", False):
        try:
            main()
        except SystemExit as exc:
            rc = exc.code
    assert rc is not None, "module returned without exit_json/fail_json"
    result = json.loads(out.getvalue())
    # The module side sends warnings as WarningSummary events; the controller
    # shows (and registers) their messages.
    result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
    return rc, result


def make_inventory(**options):
    """Validate options with a fitting inventory filled in (lab-style public addresses)."""
    groups, hosts, links = fitting_inventory(options)
    result = dict(options, groups=groups, hosts=hosts, links=links, public_cidrs=[PUBLIC_TEST_NET])
    if options.get("variant", "connected") == "connected":
        result.setdefault("wan_bandwidth_mbps", 500)
    return result
