# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `encrypted_volume` role on a converged host, read down to the raw bytes of its disk.

This machine's kernel has no device-mapper, so the role chose fscrypt here
(ext4 `-O encrypt`, policy v2, AES-256-XTS contents, AES-256-CTS names);
LUKS2 could not be opened here: `test_luks2_header_is_written_but_cannot_be_opened_here`
shows how far it goes. Each test would fail without the feature: a plain
ext4 volume shows the canary in its raw bytes, a volume without its boot
unit comes back locked after a restart, and a role without its input check
formats whatever device it is given.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import INPUT_REFUSAL, wait_for

HOST = "ev-data"
DEVICE = "/dev/vdb"
SPARE = "/dev/vdc"
MOUNT = "/srv/data"
DATA = f"{MOUNT}/data"
KEY = "/etc/rainbow-edge/volume-keys/data.key"
READY_UNIT = "rainbow-edge-volume-data.service"
# The loop-backed file behind /dev/vdb on this machine (molecule/shared/create.yml).
IMAGE = Path("/var/lib/rainbow-edge-lab/disks/encrypted_volume") / f"{HOST}-data.img"
PREFLIGHT_TASK = INPUT_REFUSAL
ROLE_VARS = Path(__file__).resolve().parents[3] / "roles" / "encrypted_volume" / "vars" / "main.yml"


@pytest.fixture(scope="module")
def host(lab):
    return lab.host(HOST)


@pytest.fixture(scope="module")
def canaries(host):
    """One canary in the encrypted directory, a control canary beside it in clear, both on /dev/vdb."""
    tag = secrets.token_hex(8)
    found = {
        "secret": f"rainbow-edge-secret-canary-{tag}",
        "secret_name": f"secret-file-name-{tag}",
        "control": f"rainbow-edge-control-canary-{tag}",
        "control_name": f"control-file-name-{tag}",
    }
    host.check_output(f"printf '%s\\n' {found['secret']} > {DATA}/{found['secret_name']}")
    host.check_output(f"mkdir -p {MOUNT}/plain-control && printf '%s\\n' {found['control']} > {MOUNT}/plain-control/{found['control_name']}")
    host.check_output("sync")
    return found


def _raw_counts_in_container(host, needles: dict[str, str]) -> dict[str, int]:
    """Occurrences of each needle in /dev/vdb, read once with O_DIRECT (no page cache) inside the container."""
    patterns = " ".join(f"-e {needle}" for needle in needles.values())
    out = host.check_output(f"dd if={DEVICE} iflag=direct bs=4M status=none | grep -a -o -F {patterns} | sort | uniq -c")
    found = {line.split()[1]: int(line.split()[0]) for line in out.splitlines() if line.strip()}
    return {name: found.get(needle, 0) for name, needle in needles.items()}


def _raw_counts_in_image(needles: dict[str, str]) -> tuple[dict[str, int], int]:
    """({name: occurrences}, bytes read) of each needle in the loop image file on this machine, read once."""
    patterns = {name: needle.encode() for name, needle in needles.items()}
    keep = max(len(p) for p in patterns.values()) - 1
    counts, size, tail = dict.fromkeys(patterns, 0), 0, b""
    with IMAGE.open("rb") as image:
        while chunk := image.read(16 << 20):
            size += len(chunk)
            window = tail + chunk
            for name, pattern in patterns.items():
                # Matches wholly inside the carried-over tail were counted with the previous chunk.
                counts[name] += window.count(pattern) - tail.count(pattern)
            tail = window[-keep:]
    return counts, size


def test_volume_is_fscrypt_policy_v2_aes256(host):
    mount = json.loads(host.check_output(f"findmnt --json --mountpoint {MOUNT}"))["filesystems"][0]
    assert mount["source"] == DEVICE and mount["fstype"] == "ext4", mount
    assert {"nodev", "nosuid", "noexec"} <= set(mount["options"].split(",")), mount
    assert "encrypt" in host.check_output(f"dumpe2fs -h {DEVICE} 2>/dev/null | grep -i '^Filesystem features'")
    status = host.check_output(f"fscrypt status {DATA}")
    assert "contents:AES_256_XTS filenames:AES_256_CTS policy_version:2" in status, status
    assert "Unlocked: Yes" in status and 'raw key protector "data"' in status, status


def test_key_is_root_only_and_not_on_the_volume(host):
    key = host.file(KEY)
    assert key.exists and (key.user, key.group, key.mode) == ("root", "root", 0o400)
    assert key.size == 32  # fscrypt raw key: 256 bits
    assert host.file(KEY).content != b"\0" * 32
    key_dir = host.file(os.path.dirname(KEY))
    assert (key_dir.user, key_dir.mode) == ("root", 0o700)
    # The key lives on the system disk, never on the device it opens.
    key_fs = host.check_output(f"findmnt --noheadings --output SOURCE --target {KEY}")
    assert key_fs != DEVICE, key_fs


def test_canary_is_ciphertext_on_the_raw_device(host, canaries):
    # Read back in clear through the mount.
    assert host.check_output(f"cat {DATA}/{canaries['secret_name']}") == canaries["secret"]
    counts = _raw_counts_in_container(host, canaries)
    image_counts, scanned = _raw_counts_in_image(canaries)
    print(f"FIGURE: encrypted_volume raw {DEVICE} (O_DIRECT, in the container): secret canary {counts['secret']}, "
          f"secret file name {counts['secret_name']}, control canary {counts['control']}, control file name {counts['control_name']}")
    print(f"FIGURE: encrypted_volume loop image on the machine ({scanned >> 20} MiB scanned): secret canary {image_counts['secret']}, "
          f"secret file name {image_counts['secret_name']}, control canary {image_counts['control']}, control file name {image_counts['control_name']}")
    # Positive control: the same kind of write, unencrypted, on the same device, is found.
    assert counts["control"] >= 1 and counts["control_name"] >= 1, counts
    assert image_counts["control"] >= 1 and image_counts["control_name"] >= 1, image_counts
    # Contents and file names in the encrypted directory are not.
    assert counts["secret"] == 0 and counts["secret_name"] == 0, counts
    assert image_counts["secret"] == 0 and image_counts["secret_name"] == 0, image_counts


def test_volume_is_unlocked_and_mounted_again_after_a_restart(lab, host, canaries):
    start = time.monotonic()
    subprocess.run(["podman", "restart", "--time", "10", HOST], check=True, capture_output=True)
    booted = wait_for(lambda: host.run("systemctl is-system-running --wait").stdout.strip() in ("running", "degraded"), timeout=120)
    assert booted, host.run("systemctl --failed").stdout
    elapsed = time.monotonic() - start
    assert host.check_output("systemctl is-system-running") == "running", host.run("systemctl --failed").stdout
    assert host.check_output(f"findmnt --noheadings --output SOURCE --mountpoint {MOUNT}") == DEVICE
    assert host.service(READY_UNIT).is_running or host.check_output(f"systemctl is-active {READY_UNIT}") == "active"
    assert "Unlocked: Yes" in host.check_output(f"fscrypt status {DATA}")
    # The boot unlocked it, nobody else: the unit's own run did the unlocking.
    journal = host.check_output(f"journalctl --boot --unit {READY_UNIT} --no-pager --output cat")
    assert "Finished" in journal or "Started" in journal, journal
    assert host.check_output(f"cat {DATA}/{canaries['secret_name']}") == canaries["secret"]
    print(f"FIGURE: encrypted_volume restart to unlocked and mounted, no manual step: {elapsed:.1f} s")


def test_rerun_after_the_restart_changes_nothing(lab):
    run = lab.playbook("encrypted_volume")
    assert run.returncode == 0, run
    print(f"FIGURE: encrypted_volume rerun after restart: changed={run.changed()}")
    assert run.changed() == 0, run


def test_missing_key_of_an_encrypted_volume_stops_in_the_input_check(lab, host):
    """The volume's secret is gone (key file lost, none in the inventory): no new key may replace it."""
    before = host.check_output(f"sha256sum {KEY}")
    host.check_output(f"mv {KEY} /root/data.key.aside")
    try:
        run = lab.playbook("encrypted_volume")
        text = run.refusal(PREFLIGHT_TASK, [HOST])[HOST]
        expected = ("encrypted_volume_keys: these volumes are already encrypted but their key file is missing from "
                    "/etc/rainbow-edge/volume-keys; restore the key from your backup into encrypted_volume_keys.<name>")
        assert expected in text and '["data"]' in text, text
        assert not host.file(KEY).exists
        print(f"FIGURE: encrypted_volume lost key: stopped in the input check, changed={run.changed()}")
    finally:
        host.run(f"mv /root/data.key.aside {KEY}")
    assert host.check_output(f"sha256sum {KEY}") == before


@pytest.fixture(scope="module")
def customer_disk(host):
    """/dev/vdc made to look like a disk that holds someone's data."""
    host.check_output(f"mkfs.ext4 -q -F -L customer-data {SPARE}")
    return host.check_output(f"blkid --probe --output value --match-tag UUID {SPARE}")


def _fingerprint(host, device: str) -> str:
    return host.check_output(f"dd if={device} iflag=direct bs=1M count=8 status=none | sha256sum")


def test_formatted_or_missing_device_stops_in_the_input_check(lab, host, customer_disk):
    before = _fingerprint(host, SPARE)
    volumes = [
        {"name": "data", "device": DEVICE, "mount_point": MOUNT},
        {"name": "spare", "device": SPARE, "mount_point": "/srv/spare"},
        {"name": "ghost", "device": "/dev/vdz", "mount_point": "/srv/ghost"},
    ]
    run = lab.playbook("encrypted_volume", "--extra-vars", json.dumps({"encrypted_volume_volumes": volumes}))
    text = run.refusal(PREFLIGHT_TASK, [HOST])[HOST]
    refused = "encrypted_volume_force_format_devices: refusing to format devices that already carry data: spare: /dev/vdc (ext4 LABEL=customer-data)"
    assert refused in text, text
    assert "encrypted_volume_volumes[].device: expected a block device; missing or not a block device: ghost: /dev/vdz" in text, text
    assert _fingerprint(host, SPARE) == before
    assert host.check_output(f"blkid --probe --output value --match-tag UUID {SPARE}") == customer_disk
    assert not host.file("/srv/spare").exists and not host.file("/srv/ghost").exists


def test_luks_without_device_mapper_stops_in_the_input_check(lab, host, customer_disk):
    before = _fingerprint(host, SPARE)
    extra = {
        "encrypted_volume_backend": "luks",
        "encrypted_volume_volumes": [{"name": "spare", "device": SPARE, "mount_point": "/srv/spare"}],
        "encrypted_volume_force_format_devices": [SPARE],
    }
    run = lab.playbook("encrypted_volume", "--extra-vars", json.dumps(extra))
    text = run.refusal(PREFLIGHT_TASK, [HOST])[HOST]
    assert "encrypted_volume_backend: LUKS needs device-mapper with dm_crypt, which this kernel lacks" in text, text
    assert _fingerprint(host, SPARE) == before


def _adhoc(lab, module: str, args: dict) -> dict:
    """Run one module on the host through the scenario inventory; return its result."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        ["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], HOST, "-m", module, "-a", json.dumps(args)],
        capture_output=True, text=True, env=env, check=False,
    )
    report = json.loads(proc.stdout)
    return report["plays"][0]["tasks"][0]["hosts"][HOST]


def test_luks2_header_is_written_but_cannot_be_opened_here(lab, host, customer_disk):
    """LUKS2 is the production backend; this kernel has no device-mapper.

    The role's own LUKS parameters (vars/main.yml) go through the same module
    the role uses: the header is real (luksDump), opening it is not possible
    here. The mounted-LUKS path of the role is not exercised on this machine.
    """
    luks = yaml.safe_load(ROLE_VARS.read_text())["__encrypted_volume_luks"]
    host.check_output("head -c 64 /dev/urandom > /root/luks-lab.key && chmod 0400 /root/luks-lab.key")
    created = _adhoc(lab, "community.crypto.luks_device", {
        "device": SPARE, "state": "present", "type": luks["type"], "label": "rbe-lab", "cipher": luks["cipher"],
        "keysize": luks["key_size"], "pbkdf": {"algorithm": luks["pbkdf"]}, "keyfile": "/root/luks-lab.key",
    })
    assert created.get("changed") and not created.get("failed"), created
    dump = host.check_output(f"cryptsetup luksDump {SPARE}")
    assert "Version:       \t2" in dump or "Version: 2" in " ".join(dump.split())
    assert "cipher: aes-xts-plain64" in dump and "Cipher key: 512 bits" in dump and "PBKDF:      argon2id" in dump, dump
    opened = _adhoc(lab, "community.crypto.luks_device", {
        "device": SPARE, "state": "opened", "name": "rbe-lab", "keyfile": "/root/luks-lab.key",
    })
    assert opened.get("failed"), opened
    # What stops it, with the module's helpers out of the way: no device-mapper.
    direct = host.run(f"cryptsetup open --key-file /root/luks-lab.key {SPARE} rbe-lab")
    assert direct.rc != 0 and "Cannot initialize device-mapper" in direct.stderr, direct.stderr
    print("FIGURE: encrypted_volume LUKS2 header aes-xts-plain64/512-bit/argon2id written; open impossible here (no device-mapper)")


def test_listed_device_is_overwritten_and_encrypted(lab, host):
    """With the device named in encrypted_volume_force_format_devices, the role takes it (here: the lab LUKS header)."""
    extra = {
        "encrypted_volume_volumes": [
            {"name": "data", "device": DEVICE, "mount_point": MOUNT},
            {"name": "spare", "device": SPARE, "mount_point": "/srv/spare", "required_by": ["lab-consumer.service"]},
        ],
        "encrypted_volume_force_format_devices": [SPARE],
    }
    run = lab.playbook("encrypted_volume", "--extra-vars", json.dumps(extra))
    assert run.returncode == 0, run
    assert host.check_output("findmnt --noheadings --output SOURCE --mountpoint /srv/spare") == SPARE
    assert "policy_version:2" in host.check_output("fscrypt status /srv/spare/data")
    # A unit that needs the volume is bound to it.
    dropin = host.file("/etc/systemd/system/lab-consumer.service.d/rainbow-edge-volume-spare.conf")
    assert dropin.contains("^Requires=rainbow-edge-volume-spare.service$")
    assert dropin.contains("^RequiresMountsFor=/srv/spare/data$")
