#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only probe of block devices, mount points, files and the kernel's disk encryption support."""

from __future__ import annotations

DOCUMENTATION = r"""
module: block_devices
short_description: Read what is on block devices and mount points, before a role formats or mounts anything
description:
  - Read only, in one task per host; runs the same in check mode.
  - For each device, its resolved path, whether it is a block device, the signatures C(blkid --probe) finds
    (file system, partition table, LUKS, label), whether a device without a signature is blank (all zero over
    O(blank_bytes)), and whether something holds it (opened exclusively, as mkfs does; busy means mounted,
    swap, RAID or held by device-mapper).
  - For each mount point, what is mounted there; for each file, whether it exists and its SHA-1.
  - Optionally, what the kernel offers for disk encryption (device-mapper with dm_crypt, ext4 encryption).
  - The encrypted_volume role turns this into its volume plan with the
    P(rainbow.edge.encrypted_volume_plan#filter) filter.
version_added: 0.1.0
author:
  - Rainbow Edge engineering (@rainbow-edge)
options:
  devices:
    description: Device paths (symbolic links such as V(/dev/disk/by-id/...) are resolved).
    type: list
    elements: path
    default: []
  blank_bytes:
    description: Bytes at the start of a device without a signature that must be zero for it to count as blank.
    type: int
    default: 4194304
  mount_points:
    description: Mount points to look at.
    type: list
    elements: path
    default: []
  files:
    description: Files whose existence and SHA-1 to read.
    type: list
    elements: path
    default: []
  kernel:
    description: Also read the kernel's disk encryption support.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
requirements:
  - blkid and findmnt (util-linux) on the host
"""

EXAMPLES = r"""
- name: Probe the data disks before formatting them
  rainbow.edge.block_devices:
    devices: [/dev/vdb, /dev/vdc]
    mount_points: [/srv/mongodb]
    files: [/etc/rainbow-edge/keys/mongodb.key]
    kernel: true
  register: probe
"""

RETURN = r"""
devices:
  description: One entry per O(devices), in order.
  returned: always
  type: list
  elements: dict
  sample:
    - device: /dev/vdb
      path: /dev/vdb
      exists: true
      is_block: true
      blkid_rc: 0
      signature: {TYPE: ext4, LABEL: rbe-mongodb}
      blank: null
      busy: false
mounts:
  description: Mount point to the source mounted there, or an empty string.
  returned: always
  type: dict
  sample: {/srv/mongodb: /dev/vdb}
files:
  description: File path to V({exists, checksum}) (SHA-1, empty when missing).
  returned: always
  type: dict
kernel:
  description: V({dm_available, fscrypt_available}) when O(kernel) is true.
  returned: when kernel is true
  type: dict
"""

import errno
import os
import stat

from ansible.module_utils.basic import AnsibleModule


def _is_block(path):
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


def _blank(path, size):
    """True when the first ``size`` bytes exist and are all zero (as ``cmp --bytes=size path /dev/zero``)."""
    seen = 0
    with open(path, "rb") as device:
        while seen < size:
            chunk = device.read(min(1 << 20, size - seen))
            if not chunk:
                return False
            if chunk.count(0) != len(chunk):
                return False
            seen += len(chunk)
    return True


def _busy(path):
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_EXCL))
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return True
        raise
    return False


def probe_device(module, device, blank_bytes):
    path = os.path.realpath(device) if os.path.islink(device) else device
    entry = {"device": device, "path": path, "exists": os.path.exists(path), "is_block": _is_block(path),
             "blkid_rc": None, "signature": {}, "blank": None, "busy": False}
    if not entry["is_block"]:
        return entry
    rc, out, err = module.run_command(["blkid", "--probe", "--output", "export", path])
    if rc not in (0, 2):  # 0: signatures found, 2: none
        module.fail_json(msg="blkid failed on %s: %s" % (path, err.strip()))
    entry["blkid_rc"] = rc
    if rc == 0:
        entry["signature"] = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    else:
        entry["blank"] = _blank(path, blank_bytes)
    entry["busy"] = _busy(path)
    return entry


def mounted_source(module, mount_point):
    rc, out, err = module.run_command(["findmnt", "--noheadings", "--output", "SOURCE", "--mountpoint", mount_point])
    if rc not in (0, 1):  # 0: something is mounted there, 1: nothing
        module.fail_json(msg="findmnt failed on %s: %s" % (mount_point, err.strip()))
    return out.strip() if rc == 0 else ""


def kernel_support(module):
    control = os.path.exists("/dev/mapper/control")
    dm_crypt = os.path.exists("/sys/module/dm_crypt")
    if control and not dm_crypt:
        # Not loaded: is there a module to load (or is it built in)?
        rc, _out, _err = module.run_command(["modinfo", "--field", "filename", "dm_crypt"])
        dm_crypt = rc == 0
    return {"dm_available": control and dm_crypt,
            "fscrypt_available": os.path.exists("/sys/fs/ext4/features/encryption")}


def main():
    module = AnsibleModule(
        argument_spec={
            "devices": {"type": "list", "elements": "path", "default": []},
            "blank_bytes": {"type": "int", "default": 4194304},
            "mount_points": {"type": "list", "elements": "path", "default": []},
            "files": {"type": "list", "elements": "path", "default": []},
            "kernel": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = {
            "changed": False,
            "devices": [probe_device(module, device, params["blank_bytes"]) for device in params["devices"]],
            "mounts": {mount_point: mounted_source(module, mount_point) for mount_point in params["mount_points"]},
            "files": {path: {"exists": os.path.isfile(path),
                             "checksum": module.digest_from_file(path, "sha1") if os.path.isfile(path) else ""}
                      for path in params["files"]},
        }
    except OSError as exc:
        module.fail_json(msg="cannot probe %s: %s" % (exc.filename, exc.strerror))
    if params["kernel"]:
        result["kernel"] = kernel_support(module)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
