# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rainbow.edge.block_devices on this machine's files: no block device is needed for what is not one.

The blkid, busy and kernel paths run against real devices in the
encrypted_volume and mongodb lab scenarios (loop devices in containers).
"""

import hashlib
import os

from ansible_collections.rainbow.edge.plugins.modules import block_devices


def test_a_file_or_a_missing_path_is_no_block_device_and_nothing_runs(module_runner, tmp_path):
    regular = tmp_path / "disk.img"
    regular.write_bytes(b"\0" * 4096)
    link = tmp_path / "by-id"
    link.symlink_to(regular)
    rc, result = module_runner(block_devices.main, {"devices": [str(link), str(tmp_path / "missing")]})
    assert rc == 0 and result["changed"] is False
    first, missing = result["devices"]
    assert first["path"] == str(regular) and first["exists"] and not first["is_block"]
    assert first["blkid_rc"] is None and first["signature"] == {} and first["busy"] is False
    assert missing["path"] == str(tmp_path / "missing") and not missing["exists"] and not missing["is_block"]
    assert "kernel" not in result


def test_key_files_report_existence_and_sha1(module_runner, tmp_path):
    key = tmp_path / "db.key"
    key.write_bytes(b"secret-bytes")
    rc, result = module_runner(block_devices.main, {"files": [str(key), str(tmp_path / "none.key")], "_ansible_check_mode": True})
    assert rc == 0
    assert result["files"][str(key)] == {"exists": True, "checksum": hashlib.sha1(b"secret-bytes").hexdigest()}
    assert result["files"][str(tmp_path / "none.key")] == {"exists": False, "checksum": ""}


def test_blank_means_every_byte_of_the_span_is_zero(tmp_path):
    zero = tmp_path / "zero"
    zero.write_bytes(b"\0" * 8192)
    assert block_devices._blank(str(zero), 8192)
    assert not block_devices._blank(str(zero), 8193)  # shorter than the span: not known blank
    zero.write_bytes(b"\0" * 4096 + b"\1" + b"\0" * 4095)
    assert not block_devices._blank(str(zero), 8192)


def test_mount_points_and_kernel_are_read(module_runner):
    rc, result = module_runner(block_devices.main, {"mount_points": ["/", "/nonexistent-mount-point"], "kernel": True})
    assert rc == 0
    assert result["mounts"]["/"] != "" and result["mounts"]["/nonexistent-mount-point"] == ""
    assert result["kernel"]["fscrypt_available"] == os.path.exists("/sys/fs/ext4/features/encryption")
    assert set(result["kernel"]) == {"dm_available", "fscrypt_available"}
