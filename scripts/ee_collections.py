# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection tarballs of the execution environment, made without a Galaxy server.

scripts/build-ee builds the image offline: ``ansible-galaxy collection install
--offline`` inside it installs tarballs only. This helper makes them:

* rainbow.edge: the artifact ``ansible-galaxy collection build`` made from the
  checkout (``--artifact``), repacked;
* every collection galaxy.yml depends on, and theirs in turn: packed from the
  copy installed on the controller (the ``ansible`` package of requirements.txt
  bundles them), after checking its version against each constraint and every
  file against the checksum its FILES.json records. The ``ansible`` package
  leaves out the collections' tests and CI files: FILES.json is rewritten to
  list the files packed (ansible-galaxy checks them again when it installs
  the tarball).

The tarballs are reproducible (sorted members, fixed times and owners), so an
unchanged collection gives the same bytes and podman's layer cache holds
across rebuilds. requirements.yml lists them, with paths relative to the
directory the image build installs them from. Stale tarballs are removed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
import sysconfig
import tarfile
from collections import deque
from pathlib import Path

import yaml
from ansible.galaxy.dependency_resolution.versioning import meets_requirements

# Member times of every tarball: fixed, so that equal contents give equal bytes.
EPOCH = 0


class CollectionError(Exception):
    """A dependency that is missing, too old or not as its FILES.json describes it."""


def fqcn_of(manifest: dict) -> str:
    info = manifest["collection_info"]
    return f"{info['namespace']}.{info['name']}"


def tarball_name(manifest: dict) -> str:
    info = manifest["collection_info"]
    return f"{info['namespace']}-{info['name']}-{info['version']}.tar.gz"


def _member(name: str, kind: bytes, mode: int, size: int = 0, link: str = "") -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.mode = mode
    member.size = size
    member.linkname = link
    member.mtime = EPOCH
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    return member


def write_reproducible(entries: list, destination: Path) -> None:
    """Write ``entries`` ((TarInfo, bytes or None), any order) as a gzipped tar whose bytes depend on them only."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for member, data in sorted(entries, key=lambda entry: entry[0].name):
            archive.addfile(member, io.BytesIO(data) if data is not None else None)
    # mtime=0 and no file name in the gzip header.
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0) as compressed:
        compressed.write(raw.getvalue())
    destination.parent.mkdir(parents=True, exist_ok=True)
    if not destination.is_file() or destination.read_bytes() != packed.getvalue():
        destination.write_bytes(packed.getvalue())


def repack_artifact(artifact: Path, output: Path) -> Path:
    """A built collection artifact rewritten reproducibly; returns the new tarball's path."""
    entries = []
    with tarfile.open(artifact, "r:gz") as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
        for member in archive.getmembers():
            data = archive.extractfile(member).read() if member.isfile() else None
            kind = member.type if member.type in (tarfile.DIRTYPE, tarfile.SYMTYPE) else tarfile.REGTYPE
            entries.append((_member(member.name, kind, member.mode, len(data or b""), member.linkname), data))
    destination = output / tarball_name(manifest)
    write_reproducible(entries, destination)
    return destination


def pack_installed(root: Path, output: Path) -> tuple[Path, int, int]:
    """An installed collection (``root`` holds its MANIFEST.json and FILES.json) as a tarball.

    Returns the tarball, the number of files packed and the number of files
    FILES.json lists that the installed copy lacks: the ``ansible`` package
    leaves out the collections' tests and CI files. Every file packed must
    have the checksum FILES.json records for it; what FILES.json does not
    list (__pycache__) stays out. FILES.json is rewritten to list what was
    packed, and MANIFEST.json to hold its new checksum.
    """
    manifest = json.loads((root / "MANIFEST.json").read_text())
    files_listed = json.loads((root / "FILES.json").read_text())
    entries, kept, changed, missing = [], [], [], 0
    for item in files_listed["files"]:
        name = item["name"]
        path = root / name
        if name == ".":
            kept.append(item)
        elif item["ftype"] == "dir":
            if path.is_dir() and not path.is_symlink():
                kept.append(item)
                entries.append((_member(name, tarfile.DIRTYPE, 0o755), None))
            else:
                missing += 1
        elif path.is_symlink():
            kept.append(item)
            entries.append((_member(name, tarfile.SYMTYPE, 0o777, link=str(path.readlink())), None))
        elif not path.is_file():
            missing += 1
        else:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != item["chksum_sha256"]:
                changed.append(name)
                continue
            kept.append(item)
            mode = 0o755 if path.stat().st_mode & 0o100 else 0o644
            entries.append((_member(name, tarfile.REGTYPE, mode, len(data)), data))
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise CollectionError(f"{fqcn_of(manifest)} in {root}: files changed since it was built ({shown})")
    files_bytes = (json.dumps(dict(files_listed, files=kept), indent=2) + "\n").encode()
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_bytes).hexdigest()
    manifest_bytes = (json.dumps(manifest, indent=2) + "\n").encode()
    for name, data in (("MANIFEST.json", manifest_bytes), ("FILES.json", files_bytes)):
        entries.append((_member(name, tarfile.REGTYPE, 0o644, len(data)), data))
    destination = output / tarball_name(manifest)
    write_reproducible(entries, destination)
    return destination, sum(1 for item in kept if item["ftype"] == "file"), missing


def find_installed(fqcn: str, search: list[Path]) -> Path | None:
    namespace, name = fqcn.split(".", 1)
    for base in search:
        root = base / "ansible_collections" / namespace / name
        if (root / "MANIFEST.json").is_file():
            return root
    return None


def resolve(dependencies: dict, search: list[Path]) -> dict[str, Path]:
    """FQCN to installed copy, for ``dependencies`` (name to constraint) and all of theirs.

    Each copy must meet every constraint any collection of the set puts on it.
    """
    found: dict[str, Path] = {}
    constraints: dict[str, list[tuple[str, str]]] = {}
    queue = deque(("galaxy.yml", name, spec) for name, spec in dependencies.items())
    while queue:
        wanted_by, fqcn, spec = queue.popleft()
        constraints.setdefault(fqcn, []).append((wanted_by, str(spec)))
        if fqcn in found:
            continue
        root = find_installed(fqcn, search)
        if root is None:
            raise CollectionError(f"{fqcn} ({spec}, wanted by {wanted_by}) is installed in none of: "
                                  + ", ".join(str(base) for base in search))
        found[fqcn] = root
        manifest = json.loads((root / "MANIFEST.json").read_text())
        for name, dependency_spec in (manifest["collection_info"].get("dependencies") or {}).items():
            queue.append((fqcn, name, dependency_spec))
    for fqcn, root in found.items():
        version = json.loads((root / "MANIFEST.json").read_text())["collection_info"]["version"]
        for wanted_by, spec in constraints[fqcn]:
            if not meets_requirements(version, spec):
                raise CollectionError(f"{fqcn} {version} (in {root}) does not meet {wanted_by}'s {spec}")
    return found


def write_requirements(tarballs: list[Path], requirements: Path, relative_to: Path) -> None:
    entries = [{"name": str(path.relative_to(relative_to)), "type": "file"} for path in sorted(tarballs)]
    requirements.write_text("---\n# Written by scripts/build-ee: the collection tarballs it made (scripts/ee_collections.py).\n"
                            + yaml.safe_dump({"collections": entries}, sort_keys=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--galaxy", type=Path, required=True, help="the collection's galaxy.yml (its dependencies)")
    parser.add_argument("--artifact", type=Path, required=True,
                        help="the collection's tarball, as `ansible-galaxy collection build` made it")
    parser.add_argument("--search", type=Path, action="append",
                        help="a directory holding ansible_collections/ with the dependencies installed "
                             "(repeatable; default: this Python's site-packages, where the `ansible` package puts them)")
    parser.add_argument("--output", type=Path, required=True, help="directory of the tarballs")
    parser.add_argument("--requirements", type=Path, required=True,
                        help="requirements.yml to write; its paths are relative to this file's directory")
    args = parser.parse_args(argv)
    search = args.search or [Path(sysconfig.get_paths()["purelib"])]
    try:
        galaxy = yaml.safe_load(args.galaxy.read_text())
        tarballs = [repack_artifact(args.artifact, args.output)]
        for fqcn, root in sorted(resolve(galaxy.get("dependencies") or {}, search).items()):
            tarball, packed, left_out = pack_installed(root, args.output)
            tarballs.append(tarball)
            print(f"{tarball.name}: {packed} files from {root}"
                  + (f" ({left_out} of its FILES.json not installed: left out)" if left_out else ""), file=sys.stderr)
    except CollectionError as exc:
        print(f"ee_collections: {exc}", file=sys.stderr)
        return 1
    for stale in set(args.output.glob("*.tar.gz")) - set(tarballs):
        stale.unlink()
    write_requirements(tarballs, args.requirements, args.requirements.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
