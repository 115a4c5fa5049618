# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Swift node's readings for the metrics tier, in node-exporter's textfile collector.

What the metrics tier's alerts EdgeSwiftDiskUnmounted and EdgeSwiftCopiesMissing
read (the metrics role's alert rules):

* ``rainbow_edge_swift_unmounted_disks``: directories of the devices directory
  that are not mount points (a disk that failed to mount, where Swift would
  otherwise write to the system disk), on every Swift node;
* ``rainbow_edge_swift_copies_missing{ring}``: partitions of the dispersion
  objects missing at least one copy, per ring, from swift-dispersion-report on
  the node that populated the dispersion account (one node per cluster: the
  copies are the cluster's, not the node's);
* ``rainbow_edge_swift_dispersion_report_ok``: 1 when that report could be read,
  0 when it failed (then the copies are unknown and not written).

Run by rainbow-edge-swift-readings.timer (this role's tasks/readings.yml).
Standard library only; written atomically (a temporary file renamed), as the
textfile collector reads whole files. Unit-tested in
tests/unit/roles/test_swift_readings.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile

DEVICES_DIR = "/srv/node"
DISPERSION_MARK = "/var/lib/swift/dispersion.populated"
DISPERSION_CONF = "/etc/swift/dispersion.conf"
REPORT = "/usr/bin/swift-dispersion-report"
TEXTFILE = "/var/lib/prometheus/node-exporter/rainbow_edge_swift.prom"
MOUNTS = "/proc/self/mounts"
RINGS = ("object", "container")


def mount_points(mounts: str = MOUNTS) -> set:
    """The mount points of the mount table (octal escapes such as \\040 decoded).

    Read from the table rather than by os.path.ismount: that one stats each
    mounted disk's parent through the disk, owned by swift with mode 0750, which
    this program (root without capabilities) cannot traverse; ismount then
    says False and every mounted disk would count as unmounted.
    """
    with open(mounts, encoding="utf-8") as table:
        return {re.sub(r"\\([0-7]{3})", lambda octal: chr(int(octal.group(1), 8)), line.split()[1])
                for line in table if len(line.split()) > 1}


def unmounted_disks(devices_dir: str, is_mount=None) -> list:
    """The device directories that are not mount points, by name."""
    if not os.path.isdir(devices_dir):
        return []
    if is_mount is None:
        mounted = mount_points()
        is_mount = mounted.__contains__
    return sorted(name for name in os.listdir(devices_dir)
                  if os.path.isdir(os.path.join(devices_dir, name)) and not is_mount(os.path.join(devices_dir, name)))


def copies_missing(report: dict) -> dict:
    """Per ring, the partitions missing at least one copy.

    swift-dispersion-report --dump-json counts partitions by the copies they miss in ``missing_<n>`` keys, present
    only for the n that occur, ``missing_0`` among them (partitions missing nothing); releases before 2.x said
    ``missing_one``, ``missing_two``, ``missing_all``.
    """
    missing = {}
    for ring in RINGS:
        part = report.get(ring) or {}
        missing[ring] = sum(int(value or 0) for key, value in part.items()
                            if re.match(r"^missing_([1-9][0-9]*|one|two|all)$", str(key)))
    return missing


def render(unmounted: list, missing: dict | None, report_ok: bool | None) -> str:
    lines = ["# HELP rainbow_edge_swift_unmounted_disks Swift device directories that are not mount points.",
             "# TYPE rainbow_edge_swift_unmounted_disks gauge",
             "rainbow_edge_swift_unmounted_disks %d" % len(unmounted)]
    if report_ok is not None:
        lines += ["# HELP rainbow_edge_swift_dispersion_report_ok Whether swift-dispersion-report could be read.",
                  "# TYPE rainbow_edge_swift_dispersion_report_ok gauge",
                  "rainbow_edge_swift_dispersion_report_ok %d" % (1 if report_ok else 0)]
    if missing is not None:
        lines += ["# HELP rainbow_edge_swift_copies_missing Dispersion partitions missing at least one copy.",
                  "# TYPE rainbow_edge_swift_copies_missing gauge"]
        lines += ['rainbow_edge_swift_copies_missing{ring="%s"} %d' % (ring, missing[ring]) for ring in RINGS]
    return "\n".join(lines) + "\n"


def dispersion_populated(mark: str = DISPERSION_MARK) -> bool:
    """Whether this node populated the dispersion account (its marker exists).

    Not os.path.exists, which says False when the marker cannot be looked at
    (a directory this program may not search): the copies would silently go
    unreported. Such an error stops the program, and its unit fails.
    """
    try:
        os.stat(mark)
    except FileNotFoundError:
        return False
    return True


def read_report(timeout: int = 240) -> dict | None:
    """swift-dispersion-report's JSON (its last line), or None when it fails."""
    try:
        done = subprocess.run([REPORT, "--dump-json", DISPERSION_CONF], capture_output=True, text=True,
                              timeout=timeout, check=False)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return None


def write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".rainbow_edge_swift.")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def main() -> int:
    unmounted = unmounted_disks(os.environ.get("RBE_SWIFT_DEVICES_DIR", DEVICES_DIR))
    missing = report_ok = None
    if dispersion_populated():
        report = read_report()
        report_ok = report is not None
        missing = copies_missing(report) if report is not None else None
    write_atomically(os.environ.get("RBE_METRICS_TEXTFILE", TEXTFILE), render(unmounted, missing, report_ok))
    return 0


if __name__ == "__main__":
    sys.exit(main())
