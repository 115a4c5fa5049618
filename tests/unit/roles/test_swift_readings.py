"""The Swift node's readings for the metrics tier (roles/swift/files/.../swift_readings.py): what the alerts
EdgeSwiftDiskUnmounted and EdgeSwiftCopiesMissing read.

The program ships in roles/swift/files and runs on the Swift node's own python3; it is imported here from there
(tests/unit/roles/conftest.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import swift_readings as readings  # roles/swift/files/usr/local/lib/rainbow-edge (conftest.py)

PROGRAM = readings.__file__
RULES = Path(__file__).resolve().parents[3] / "roles/metrics/files/etc/prometheus/rules/rainbow-edge.rules.yml"


def test_a_device_directory_that_is_not_a_mount_point_is_unmounted(tmp_path):
    for name in ("d1", "d2", "d3"):
        (tmp_path / name).mkdir()
    (tmp_path / "a-file").write_text("")
    mounted = {str(tmp_path / "d1"), str(tmp_path / "d3")}
    assert readings.unmounted_disks(str(tmp_path), is_mount=lambda path: path in mounted) == ["d2"]
    assert readings.unmounted_disks(str(tmp_path / "absent")) == []


def test_mount_points_come_from_the_mount_table_with_its_escapes_decoded(tmp_path):
    """Not from os.path.ismount: it stats through the mounted disk (swift's, 0750), which the unit's root without
    capabilities cannot traverse, and would call every mounted disk unmounted."""
    table = tmp_path / "mounts"
    table.write_text("/dev/vdb /srv/node/d1 xfs rw,noatime 0 0\n"
                     "/dev/vdc /srv/node/disk\\040two xfs rw 0 0\n"
                     "proc /proc proc rw 0 0\n")
    assert readings.mount_points(str(table)) == {"/srv/node/d1", "/srv/node/disk two", "/proc"}


@pytest.mark.parametrize("report, missing", [
    # Debian 12's and 13's swift: missing_<n> for the n that occur; missing_0 is the healthy count.
    ({"object": {"missing_0": 4, "retries": 0, "pct_found": 100.0}, "container": {"missing_0": 2}},
     {"object": 0, "container": 0}),
    ({"object": {"missing_0": 1, "missing_1": 2, "missing_3": 1}, "container": {"missing_2": 1}},
     {"object": 3, "container": 1}),
    # Older releases.
    ({"object": {"missing_one": 1, "missing_two": 1, "missing_all": 1}, "container": {}}, {"object": 3, "container": 0}),
    ({}, {"object": 0, "container": 0}),
])
def test_partitions_missing_at_least_one_copy_are_counted_per_ring(report, missing):
    assert readings.copies_missing(report) == missing


def test_the_textfile_names_the_series_the_alert_rules_read():
    text = readings.render(["d2"], {"object": 3, "container": 0}, True)
    assert "rainbow_edge_swift_unmounted_disks 1\n" in text
    assert 'rainbow_edge_swift_copies_missing{ring="object"} 3\n' in text
    assert 'rainbow_edge_swift_copies_missing{ring="container"} 0\n' in text
    assert "rainbow_edge_swift_dispersion_report_ok 1\n" in text
    rules = RULES.read_text()
    assert "rainbow_edge_swift_unmounted_disks > 0" in rules and "rainbow_edge_swift_copies_missing > 0" in rules


def test_a_failed_report_writes_no_copies_and_says_so():
    text = readings.render([], None, False)
    assert "rainbow_edge_swift_copies_missing" not in text and "rainbow_edge_swift_dispersion_report_ok 0\n" in text
    assert "dispersion" not in readings.render([], None, None)  # a node that did not populate the account


def test_the_textfile_is_replaced_whole(tmp_path):
    target = tmp_path / "rainbow_edge_swift.prom"
    target.write_text("old\n")
    readings.write_atomically(str(target), "rainbow_edge_swift_unmounted_disks 0\n")
    assert target.read_text() == "rainbow_edge_swift_unmounted_disks 0\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rainbow_edge_swift.prom"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_the_program_runs_on_a_node_without_a_populated_dispersion_account(tmp_path):
    (tmp_path / "node" / "d1").mkdir(parents=True)
    textfile = tmp_path / "out.prom"
    subprocess.run([sys.executable, str(PROGRAM)], check=True,
                   env={"RBE_SWIFT_DEVICES_DIR": str(tmp_path / "node"), "RBE_METRICS_TEXTFILE": str(textfile),
                        "PYTHONDONTWRITEBYTECODE": "1"})
    assert textfile.read_text().splitlines()[-1] == "rainbow_edge_swift_unmounted_disks 1"


def test_a_dispersion_marker_that_cannot_be_looked_at_is_an_error_not_a_no(tmp_path, monkeypatch):
    """Otherwise the copies missing would silently go unreported (the marker's directory is swift's, 0750)."""
    assert readings.dispersion_populated(str(tmp_path / "absent")) is False
    (tmp_path / "populated").write_text("")
    assert readings.dispersion_populated(str(tmp_path / "populated")) is True

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(readings.os, "stat", refused)
    with pytest.raises(PermissionError):
        readings.dispersion_populated(str(tmp_path / "populated"))
