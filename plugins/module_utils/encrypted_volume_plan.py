# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each encrypted volume needs, from the block_devices module's probe.

Pure: the probe (devices, mount points, key files, kernel) and the role's
inputs in, one plan entry per volume out. The supplied keys are only
checked (well formed, same as the key file already there); they are never
part of the plan.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, Dict, List, Mapping, Sequence

BACKENDS = ("luks", "fscrypt")


def classify(device: Mapping[str, Any], label: str, fstype: str) -> str:
    """``luks`` or ``fscrypt`` (ours, by label), ``none`` (blank) or ``foreign`` (anything else)."""
    signature = device.get("signature") or {}
    if device.get("blkid_rc") == 0 and signature.get("LABEL") == label:
        if signature.get("TYPE") == "crypto_LUKS":
            return "luks"
        if signature.get("TYPE") == fstype:
            return "fscrypt"
    if device.get("blkid_rc") == 2 and device.get("blank"):
        return "none"
    return "foreign"


def found(device: Mapping[str, Any]) -> str:
    """What the device carries, in words, for messages."""
    signature = (device.get("signature") or {}) if device.get("blkid_rc") == 0 else {}
    parts = [signature.get("TYPE", ""), signature.get("PTTYPE", ""),
             ("LABEL=" + signature["LABEL"]) if "LABEL" in signature else ""]
    return " ".join(part for part in parts if part) or "non-zero data, no signature"


def mount_unit(mount_point: str) -> str:
    """systemd's unit name for a mount point (systemd-escape --path, for the names the role accepts)."""
    return mount_point[1:].replace("-", "\\x2d").replace("/", "-") + ".mount"


def _sha1_of_base64(text: str) -> str:
    try:
        return hashlib.sha1(base64.b64decode(text)).hexdigest()
    except (binascii.Error, ValueError):
        return ""


def volume_plan(volumes: Sequence[Mapping[str, Any]], probe: Mapping[str, Any], settings: Mapping[str, Any],
                keys: Mapping[str, str]) -> List[Dict[str, Any]]:
    """One entry per volume; ``probe`` is the block_devices result for ``volumes`` in order.

    ``settings``: key_dir, fstype, backend (auto, luks or fscrypt), label_prefix,
    key_bytes and key_patterns (both per backend).
    """
    kernel = probe.get("kernel") or {}
    plan = []
    for index, volume in enumerate(volumes):
        device = probe["devices"][index]
        name = volume["name"]
        label = settings["label_prefix"] + name
        existing = classify(device, label, settings["fstype"])
        if existing in BACKENDS:
            backend = existing
        elif settings["backend"] != "auto":
            backend = settings["backend"]
        else:
            backend = "luks" if kernel.get("dm_available") else "fscrypt"
        path = device.get("path") or volume["device"]
        source = "/dev/mapper/" + label if backend == "luks" else path
        mounted = str(probe.get("mounts", {}).get(volume["mount_point"], ""))
        key_file = "%s/%s.key" % (settings["key_dir"], name)
        key = probe.get("files", {}).get(key_file) or {}
        supplied = str(keys.get(name) or "")
        plan.append({
            "name": name,
            "device": volume["device"],
            "path": path,
            "mount_point": volume["mount_point"],
            "data_dir": volume["mount_point"] + "/data",
            "owner": volume.get("owner") or "root",
            "group": volume.get("group") or "root",
            "mode": volume.get("mode") or "0700",
            "required_by": list(volume.get("required_by") or []),
            "is_block": bool(device.get("is_block")),
            "found": found(device),
            "existing": existing,
            "backend": backend,
            "label": label,
            "source": source,
            "busy": bool(device.get("busy")),
            "mounted_source": mounted,
            "mounted_ok": mounted == source,
            "mount_unit": mount_unit(volume["mount_point"]),
            "ready_unit": "rainbow-edge-volume-%s.service" % name,
            "key_file": key_file,
            "key_bytes": int(settings["key_bytes"][backend]),
            "key_exists": bool(key.get("exists")),
            "key_supplied": bool(supplied),
            "key_well_formed": bool(re.match(settings["key_patterns"][backend], supplied)),
            "key_conflict": bool(supplied and key.get("exists")
                                 and key.get("checksum", "") != _sha1_of_base64(supplied)),
            "key_lost": existing in BACKENDS and not key.get("exists") and not supplied,
            "format": existing in ("none", "foreign"),
            "wipe": existing == "foreign",
        })
    return plan
