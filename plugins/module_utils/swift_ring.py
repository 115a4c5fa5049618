# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swift rings: what ``swift-ring-builder`` must do to match the inventory.

Pure code (no Swift import), so the guards are unit-tested anywhere:

* a ring is **created once**; an existing builder is only ever changed with
  ``add`` / ``set_weight`` / ``remove`` and one ``rebalance``;
* the **part power never changes** once the ring exists (it fixes where
  every object lives); the replica count does not change here either;
* a device moving to another region/zone, or removed while it still has
  weight, is refused: drain it first (weight 0, wait for replication);
* a rebalance **inside min_part_hours** is refused, never forced: Swift moves
  at most one replica of a partition per min_part_hours so that every
  object keeps enough reachable copies while replication catches up.

``current`` is what the builder file holds (None: no builder), as read on the
ring host by the ``rainbow.edge.swift_ring`` module; ``desired`` comes from the
inventory. ``plan_ring`` returns every action and every error at once.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Dict, List, Optional

RINGS = ("account", "container", "object")
# A weight is written with this precision by swift-ring-builder's output.
WEIGHT_TOLERANCE = 0.005
MIN_PART_POWER = 6
MAX_PART_POWER = 24
# The default part power: at least ~100 partitions per disk once the
# footprint's disks have grown tenfold (ceil(log2(disks * 10 * 100))).
PARTITIONS_PER_DISK = 100
GROWTH_FACTOR = 10


def default_part_power(footprint_disks: int) -> int:
    """Part power for a cluster whose footprint has ``footprint_disks`` disks.

    A 1-node small Standalone Edge (3 disks) gets 12, a 3-node cluster (9
    disks) 14: enough partitions for tenfold growth, few enough that
    replication passes stay short.
    """
    disks = max(1, int(footprint_disks))
    power = int(math.ceil(math.log2(disks * GROWTH_FACTOR * PARTITIONS_PER_DISK)))
    return max(MIN_PART_POWER, min(MAX_PART_POWER, power))


def device_key(dev: Dict[str, Any]) -> tuple:
    """A device's identity in a ring: where it is served from."""
    return (str(dev["ip"]), int(dev["port"]), str(dev["device"]))


def device_label(dev: Dict[str, Any]) -> str:
    return "%s:%s/%s" % device_key(dev)


def _error(option: str, message: str) -> Dict[str, str]:
    return {"option": option, "message": message}


def validate_desired(ring: str, desired: Dict[str, Any]) -> List[Dict[str, str]]:
    """Errors in what the inventory asks for, whatever is deployed."""
    errors = []
    if ring not in RINGS:
        errors.append(_error("ring", "expected one of %s; got %r" % (", ".join(RINGS), ring)))
    part_power = desired.get("part_power")
    if part_power is not None and not MIN_PART_POWER <= int(part_power) <= MAX_PART_POWER:
        errors.append(_error("part_power", "expected a part power from %d to %d; got %s"
                             % (MIN_PART_POWER, MAX_PART_POWER, part_power)))
    replicas = int(desired.get("replicas", 0))
    if replicas < 1:
        errors.append(_error("replicas", "expected at least 1 replica; got %s" % desired.get("replicas")))
    if int(desired.get("min_part_hours", -1)) < 1:
        errors.append(_error("min_part_hours", "expected at least 1 hour between rebalances; got %s"
                             % desired.get("min_part_hours")))
    devices = desired.get("devices") or []
    seen = {}
    for dev in devices:
        key = device_key(dev)
        if key in seen:
            errors.append(_error("devices", "device %s is listed twice" % device_label(dev)))
        seen[key] = dev
        if float(dev.get("weight", 0)) < 0:
            errors.append(_error("devices", "device %s: expected a weight of 0 or more; got %s"
                                 % (device_label(dev), dev.get("weight"))))
    weighted = [dev for dev in devices if float(dev.get("weight", 0)) > 0]
    if replicas >= 1 and len(weighted) < replicas:
        errors.append(_error("devices", "the %s ring needs at least %d devices with a weight above 0 for %d "
                             "replicas; the inventory gives %d" % (ring, replicas, replicas, len(weighted))))
    return errors


def _until(seconds_left: int, now: float) -> str:
    moment = datetime.datetime.fromtimestamp(now + seconds_left, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def plan_ring(ring: str, current: Optional[Dict[str, Any]], desired: Dict[str, Any],
              default_power: int, now: float) -> Dict[str, Any]:
    """Everything to do to bring ``current`` to ``desired``, and every reason not to.

    ``current`` keys: part_power, replicas, min_part_hours, devices (each
    with id, region, zone, ip, port, device, weight), min_part_seconds_left,
    devs_changed, ever_rebalanced, ring_file_exists.
    ``desired`` keys: part_power (None: keep the deployed one, or
    ``default_power`` for a new ring), replicas, min_part_hours, devices.
    """
    errors = validate_desired(ring, desired)
    plan: Dict[str, Any] = {
        "ring": ring, "create": False, "add": [], "set_weight": [], "remove": [],
        "set_min_part_hours": None, "rebalance": False, "write_ring": False, "errors": errors,
    }
    devices = [dict(dev) for dev in desired.get("devices") or []]
    asked_power = desired.get("part_power")
    if current is None:
        plan["create"] = True
        plan["part_power"] = int(asked_power) if asked_power is not None else int(default_power)
        plan["replicas"] = int(desired["replicas"])
        plan["min_part_hours"] = int(desired["min_part_hours"])
        plan["add"] = list(devices)
        plan["rebalance"] = True
        return plan

    plan["part_power"] = int(current["part_power"])
    plan["replicas"] = current["replicas"]
    plan["min_part_hours"] = int(current["min_part_hours"])
    if asked_power is not None and int(asked_power) != int(current["part_power"]):
        errors.append(_error("part_power", (
            "the %s ring exists with part power %d; it is fixed for the life of the cluster (it decides "
            "where every object is stored), so %s is refused. Keep %d (or leave the part power unset)."
        ) % (ring, current["part_power"], asked_power, current["part_power"])))
    if float(current["replicas"]) != float(desired["replicas"]):
        errors.append(_error("replicas", (
            "the %s ring exists with %s replicas; changing the replica count is not done by this "
            "role (it moves a share of every partition): keep %s"
        ) % (ring, _number(current["replicas"]), _number(current["replicas"]))))
    if int(desired["min_part_hours"]) != int(current["min_part_hours"]):
        plan["set_min_part_hours"] = int(desired["min_part_hours"])

    deployed = {device_key(dev): dev for dev in current.get("devices") or []}
    wanted = {device_key(dev): dev for dev in devices}
    for key, dev in wanted.items():
        have = deployed.get(key)
        if have is None:
            plan["add"].append(dev)
            continue
        if (int(have["region"]), int(have["zone"])) != (int(dev["region"]), int(dev["zone"])):
            errors.append(_error("devices", (
                "device %s is in region %s zone %s of the %s ring; the inventory puts it in region %s zone %s. "
                "Moving a device is a removal and an addition: drain it (weight 0), remove it, then add it back"
            ) % (device_label(dev), have["region"], have["zone"], ring, dev["region"], dev["zone"])))
        if abs(float(have["weight"]) - float(dev["weight"])) > WEIGHT_TOLERANCE:
            plan["set_weight"].append({"id": int(have["id"]), "device": device_label(dev),
                                       "from": float(have["weight"]), "weight": float(dev["weight"])})
    for key, have in sorted(deployed.items()):
        if key in wanted:
            continue
        if float(have["weight"]) > WEIGHT_TOLERANCE:
            errors.append(_error("devices", (
                "device %s (weight %s) of the %s ring is no longer in the inventory; removing a device that still "
                "holds data is refused. Drain it first: keep it listed with weight 0, run, let replication empty "
                "it (swift-dispersion-report, swift-recon -r), then remove it from the inventory"
            ) % (device_label(have), _number(have["weight"]), ring)))
        else:
            plan["remove"].append({"id": int(have["id"]), "device": device_label(have)})

    changes = plan["add"] or plan["set_weight"] or plan["remove"]
    plan["rebalance"] = bool(changes or current.get("devs_changed"))
    seconds_left = int(current.get("min_part_seconds_left") or 0)
    if plan["rebalance"] and seconds_left > 0:
        errors.append(_error("min_part_hours", (
            "the %s ring needs a rebalance (%s) but it was rebalanced less than min_part_hours (%d h) ago: "
            "refused, not forced, until %s (%d min from now). Within min_part_hours a partition may not move "
            "again, so that each object keeps enough reachable replicas while replication catches up. "
            "Rerun after that time."
        ) % (ring, describe(plan), int(current["min_part_hours"]), _until(seconds_left, now),
             int(math.ceil(seconds_left / 60.0)))))
    plan["write_ring"] = (not plan["rebalance"] and bool(current.get("ever_rebalanced"))
                          and not current.get("ring_file_exists", True))
    return plan


def _number(value: Any) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else str(value)


def describe(plan: Dict[str, Any]) -> str:
    """One line: what the plan does."""
    parts = []
    if plan.get("create"):
        parts.append("create with part power %s, %s replicas, min_part_hours %s"
                     % (plan["part_power"], _number(plan["replicas"]), plan["min_part_hours"]))
    if plan.get("add"):
        parts.append("add " + ", ".join(device_label(dev) for dev in plan["add"]))
    if plan.get("set_weight"):
        weights = ["%s %s->%s" % (dev["device"], _number(dev["from"]), _number(dev["weight"]))
                   for dev in plan["set_weight"]]
        parts.append("weight " + ", ".join(weights))
    if plan.get("remove"):
        parts.append("remove " + ", ".join(dev["device"] for dev in plan["remove"]))
    if plan.get("set_min_part_hours") is not None:
        parts.append("min_part_hours -> %s" % plan["set_min_part_hours"])
    if plan.get("rebalance"):
        parts.append("rebalance")
    if plan.get("write_ring"):
        parts.append("write the missing ring file from its builder")
    return "; ".join(parts) or "nothing to do"


def has_changes(plan: Dict[str, Any]) -> bool:
    return bool(plan["create"] or plan["add"] or plan["set_weight"] or plan["remove"]
                or plan["set_min_part_hours"] is not None or plan["rebalance"] or plan["write_ring"])


def commands(builder_file: str, plan: Dict[str, Any], tool: str = "swift-ring-builder") -> List[List[str]]:
    """The swift-ring-builder command lines that carry out ``plan``, in order.

    Devices are named by id (``d<id>``) so that each command matches exactly
    one device; rebalance is never forced (no ``--force``, no
    ``pretend_min_part_hours_passed``).
    """
    argv: List[List[str]] = []
    if plan["create"]:
        argv.append([tool, builder_file, "create", str(plan["part_power"]), _number(plan["replicas"]),
                     str(plan["min_part_hours"])])
    for dev in plan["add"]:
        argv.append([tool, builder_file, "add", "--region", str(dev["region"]), "--zone", str(dev["zone"]),
                     "--ip", str(dev["ip"]), "--port", str(dev["port"]), "--device", str(dev["device"]),
                     "--weight", _number(dev["weight"])])
    for dev in plan["set_weight"]:
        argv.append([tool, builder_file, "set_weight", "d%d" % dev["id"], _number(dev["weight"]), "--yes"])
    for dev in plan["remove"]:
        argv.append([tool, builder_file, "remove", "d%d" % dev["id"], "--yes"])
    if plan["set_min_part_hours"] is not None:
        argv.append([tool, builder_file, "set_min_part_hours", str(plan["set_min_part_hours"])])
    if plan["rebalance"]:
        argv.append([tool, builder_file, "rebalance"])
    elif plan["write_ring"]:
        argv.append([tool, builder_file, "write_ring"])
    return argv
