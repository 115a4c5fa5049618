"""The encrypted_volume role's plan (plugins/module_utils/encrypted_volume_plan.py)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, strategies as st

from ansible_collections.rainbow.edge.plugins.module_utils.encrypted_volume_plan import classify, found, volume_plan

SETTINGS = {"key_dir": "/etc/keys", "fstype": "ext4", "backend": "auto", "label_prefix": "rbe-",
            "key_bytes": {"luks": 64, "fscrypt": 32},
            "key_patterns": {"luks": "^[A-Za-z0-9+/]{86}==$", "fscrypt": "^[A-Za-z0-9+/]{43}=$"}}
VOLUME = {"name": "db", "device": "/dev/disk/by-id/virtio-db", "mount_point": "/srv/mongo-db"}
KEY32 = base64.b64encode(bytes(range(32))).decode()


def _device(rc=2, signature=None, blank=True, busy=False, is_block=True):
    return {"device": VOLUME["device"], "path": "/dev/vdb", "exists": True, "is_block": is_block,
            "blkid_rc": rc if is_block else None, "signature": signature or {}, "blank": blank, "busy": busy}


def _probe(device, mounts=None, key=None, dm=False):
    return {"devices": [device], "mounts": mounts or {"/srv/mongo-db": ""},
            "files": {"/etc/keys/db.key": key or {"exists": False, "checksum": ""}},
            "kernel": {"dm_available": dm, "fscrypt_available": True}}


def test_a_blank_device_is_formatted_with_fscrypt_without_device_mapper():
    [entry] = volume_plan([VOLUME], _probe(_device()), SETTINGS, {})
    assert (entry["existing"], entry["backend"], entry["format"], entry["wipe"]) == ("none", "fscrypt", True, False)
    assert entry["source"] == "/dev/vdb" and entry["key_bytes"] == 32 and entry["path"] == "/dev/vdb"
    assert entry["mount_unit"] == "srv-mongo\\x2ddb.mount" and entry["ready_unit"] == "rainbow-edge-volume-db.service"
    assert (entry["owner"], entry["group"], entry["mode"], entry["data_dir"]) == ("root", "root", "0700", "/srv/mongo-db/data")


def test_with_device_mapper_luks_is_chosen_and_mounted_from_its_mapping():
    [entry] = volume_plan([VOLUME], _probe(_device(), dm=True), SETTINGS, {})
    assert entry["backend"] == "luks" and entry["source"] == "/dev/mapper/rbe-db" and entry["key_bytes"] == 64


@pytest.mark.parametrize("device, existing", [
    (_device(0, {"TYPE": "crypto_LUKS", "LABEL": "rbe-db"}), "luks"),
    (_device(0, {"TYPE": "ext4", "LABEL": "rbe-db"}), "fscrypt"),
    (_device(0, {"TYPE": "ext4", "LABEL": "rbe-other"}), "foreign"),
    (_device(0, {"PTTYPE": "gpt"}), "foreign"),
    (_device(2, blank=False), "foreign"),
    (_device(is_block=False), "foreign"),
])
def test_what_a_device_holds(device, existing):
    assert classify(device, "rbe-db", "ext4") == existing


def test_an_existing_volume_keeps_its_backend_whatever_is_asked():
    luks = _device(0, {"TYPE": "crypto_LUKS", "LABEL": "rbe-db"})
    [entry] = volume_plan([VOLUME], _probe(luks), dict(SETTINGS, backend="fscrypt"), {})
    assert entry["backend"] == "luks" and not entry["format"] and entry["key_lost"]


def test_found_describes_signatures():
    assert found(_device(0, {"TYPE": "ext4", "PTTYPE": "dos", "LABEL": "x"})) == "ext4 dos LABEL=x"
    assert found(_device(2, blank=False)) == "non-zero data, no signature"


def test_mount_point_state():
    [entry] = volume_plan([VOLUME], _probe(_device(), mounts={"/srv/mongo-db": "/dev/vdb"}), SETTINGS, {})
    assert entry["mounted_ok"] and entry["mounted_source"] == "/dev/vdb"
    [entry] = volume_plan([VOLUME], _probe(_device(), mounts={"/srv/mongo-db": "/dev/vdz"}), SETTINGS, {})
    assert not entry["mounted_ok"]


def test_key_checks_and_that_keys_never_reach_the_plan():
    same = {"exists": True, "checksum": hashlib.sha1(bytes(range(32))).hexdigest()}
    [entry] = volume_plan([VOLUME], _probe(_device(), key=same), SETTINGS, {"db": KEY32})
    assert entry["key_supplied"] and entry["key_well_formed"] and not entry["key_conflict"] and entry["key_exists"]
    assert KEY32 not in str(entry)
    other = {"exists": True, "checksum": "0" * 40}
    [entry] = volume_plan([VOLUME], _probe(_device(), key=other), SETTINGS, {"db": KEY32})
    assert entry["key_conflict"]
    [entry] = volume_plan([VOLUME], _probe(_device()), SETTINGS, {"db": "not base64!"})
    assert entry["key_supplied"] and not entry["key_well_formed"] and not entry["key_conflict"]


@given(st.binary(min_size=0, max_size=80))
def test_a_key_is_well_formed_exactly_when_it_is_32_bytes_for_fscrypt(raw):
    key = base64.b64encode(raw).decode()
    [entry] = volume_plan([VOLUME], _probe(_device()), SETTINGS, {"db": key})
    assert entry["key_well_formed"] == (len(raw) == 32)
