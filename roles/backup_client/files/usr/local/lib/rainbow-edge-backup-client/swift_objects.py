# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Managed by rainbow.edge (role backup_client): changes here are replaced.
"""The Edge's Swift objects as one tar stream, and back.

``export`` writes every object of the configured accounts to stdout as a tar
stream (``<account>/<container>/<object>``, with the object's content type,
ETag and metadata in PAX headers), which role backup_client stores in borg
(``borg create --content-from-command``: a failed export stores nothing).
Each object is read through the proxy and its MD5 checked against its
ETag; an object deleted after the listing is left out, one rewritten since
is taken as it is when read.

``import`` reads such a stream on stdin and uploads one container's objects
into a container (the same one, or another), sending each object's MD5 as its
ETag so that Swift refuses any copy that differs. A target container holding
objects is refused unless ``--overwrite``, before anything is read.

Large objects are kept as Swift holds them: their segments are objects of
their own (in their segments' container), and a static large object (SLO)
is kept as its manifest (read with ``multipart-manifest=get&format=raw``, put
back with ``multipart-manifest=put``, which makes Swift check every
segment's MD5 and size), a dynamic one (DLO) as its zero-byte manifest with
its ``X-Object-Manifest``. A large object is restored after its segments'
container: ``import --check`` reads the stream and writes nothing, and
fails naming every segment of an SLO that the target account lacks (or
holds with another MD5 or size), so that the restore refuses before any
object is written.

Swift has no snapshot: the copy is consistent per object (Swift's objects are
written whole), not one instant of the whole store.

The configuration (JSON, 0600): {"auth_url": "http://<proxy>:8080/auth/v1.0",
"accounts": [{"account", "user", "key"}]}. Prints a JSON summary on stderr
(export) or stdout (import).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from typing import BinaryIO, Iterator

PAX_PREFIX = "RAINBOW_EDGE.swift."
# Object metadata Swift returns and takes back as it is (a DLO's manifest header too).
KEPT_HEADERS = ("content-type", "content-encoding", "content-disposition", "x-object-manifest")
# An SLO is read, and put back, as its manifest.
MANIFEST_GET = {"multipart-manifest": "get", "format": "raw"}
MANIFEST_PUT = {"multipart-manifest": "put"}
LISTING_PAGE = 10000


class SwiftError(Exception):
    """A reason to stop."""


class Session:
    """One account's storage URL and token (tempauth, v1.0)."""

    def __init__(self, auth_url: str, account: str, user: str, key: str) -> None:
        request = urllib.request.Request(auth_url, headers={"X-Auth-User": f"{account}:{user}", "X-Auth-Key": key})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                self.storage_url = response.headers["X-Storage-Url"]
                self.token = response.headers["X-Auth-Token"]
        except urllib.error.HTTPError as error:
            raise SwiftError(f"account {account}: authentication as {user} refused ({error.code})") from error
        self.account = account

    def request(self, method: str, path: str = "", query: dict | None = None, headers: dict | None = None,
                data=None):
        url = self.storage_url + "".join("/" + urllib.parse.quote(part, safe="") for part in path.split("/") if part)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, method=method, data=data,
                                         headers={"X-Auth-Token": self.token, **(headers or {})})
        return urllib.request.urlopen(request, timeout=300)

    def listing(self, path: str = "") -> Iterator[dict]:
        marker = ""
        while True:
            with self.request("GET", path, {"format": "json", "limit": LISTING_PAGE, "marker": marker}) as response:
                page = json.load(response) if response.status == 200 else []
            if not page:
                return
            yield from page
            marker = page[-1]["name"]


class HashingReader:
    """A response body read once, through MD5."""

    def __init__(self, body: BinaryIO) -> None:
        self.body = body
        self.md5 = hashlib.md5(usedforsecurity=False)

    def read(self, size: int = -1) -> bytes:
        chunk = self.body.read(size)
        self.md5.update(chunk)
        return chunk


def member_name(account: str, container: str, name: str) -> str:
    return f"{account}/{container}/{name}"


def split_member(name: str) -> tuple[str, str, str]:
    account, container, obj = name.split("/", 2)
    return account, container, obj


def export(config: dict, out: BinaryIO) -> dict:
    counts = {"objects": 0, "bytes": 0, "gone": 0}
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for entry in config["accounts"]:
            session = Session(config["auth_url"], entry["account"], entry["user"], entry["key"])
            for container in session.listing():
                for listed in session.listing(container["name"]):
                    if not export_object(session, container["name"], listed, archive, counts):
                        counts["gone"] += 1
    return counts


def export_object(session: Session, container: str, listed: dict, archive: tarfile.TarFile, counts: dict) -> bool:
    """One object into the stream, as it is when read; False if it was deleted after the listing."""
    path = f"{container}/{listed['name']}"
    try:
        response = session.request("GET", path, MANIFEST_GET)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise SwiftError(f"{session.account}/{path}: {error.code} {error.reason}") from error
    if response.headers.get("X-Static-Large-Object", "").lower() == "true":
        with response:
            return export_manifest(session, container, listed["name"], response.read(), archive, counts)
    with response:
        # Rewritten since the listing, the object is taken as it is now, whole.
        etag = response.headers.get("ETag", "").strip('"')
        info = tarfile.TarInfo(member_name(session.account, container, listed["name"]))
        info.size = int(response.headers["Content-Length"])
        info.mtime = int(float(response.headers.get("X-Timestamp", "0")))
        info.mode = 0o600
        info.pax_headers = {PAX_PREFIX + "etag": etag}
        for header, value in response.headers.items():
            lowered = header.lower()
            if lowered in KEPT_HEADERS or lowered.startswith("x-object-meta-"):
                info.pax_headers[PAX_PREFIX + lowered] = value
        reader = HashingReader(response)
        archive.addfile(info, reader)
        if reader.md5.hexdigest() != etag:
            # Already in the stream: the export fails and borg keeps nothing.
            raise SwiftError(f"{session.account}/{path}: read MD5 {reader.md5.hexdigest()} is not its ETag {etag}")
    counts["objects"] += 1
    counts["bytes"] += info.size
    return True


def export_manifest(session: Session, container: str, name: str, manifest: bytes, archive: tarfile.TarFile,
                    counts: dict) -> bool:
    """An SLO's manifest into the stream, with the whole object's type and metadata (read with HEAD: the
    manifest's own answer names its JSON)."""
    try:
        segments = json.loads(manifest)
        if not isinstance(segments, list) or not all(isinstance(s, dict) and "path" in s for s in segments):
            raise ValueError("not a list of segments")
    except ValueError as error:
        raise SwiftError(f"{session.account}/{container}/{name}: unreadable large object manifest: {error}") from error
    try:
        with session.request("HEAD", f"{container}/{name}") as response:
            headers = response.headers
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise SwiftError(f"{session.account}/{container}/{name}: {error.code} {error.reason}") from error
    info = tarfile.TarInfo(member_name(session.account, container, name))
    info.size = len(manifest)
    info.mtime = int(float(headers.get("X-Timestamp", "0")))
    info.mode = 0o600
    info.pax_headers = {PAX_PREFIX + "slo": "true",
                        PAX_PREFIX + "etag": hashlib.md5(manifest, usedforsecurity=False).hexdigest()}
    for header, value in headers.items():
        lowered = header.lower()
        if lowered in KEPT_HEADERS or lowered.startswith("x-object-meta-"):
            info.pax_headers[PAX_PREFIX + lowered] = value
    archive.addfile(info, io.BytesIO(manifest))
    counts["objects"] += 1
    counts["bytes"] += info.size
    return True


def object_count(session: Session, container: str) -> int:
    try:
        with session.request("HEAD", container) as response:
            return int(response.headers.get("X-Container-Object-Count", "0"))
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return 0
        raise


def missing_segments(session: Session, manifest: bytes) -> list[str]:
    """The segments of an SLO manifest (the raw format) that the account lacks, or holds with another MD5 or
    size."""
    missing = []
    for segment in json.loads(manifest):
        path = segment["path"].lstrip("/")
        try:
            with session.request("HEAD", path) as response:
                held = (response.headers.get("ETag", "").strip('"'), response.headers.get("Content-Length"))
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise SwiftError(f"{session.account}/{path}: {error.code} {error.reason}") from error
            missing.append(f"{path} (absent)")
            continue
        if held != (segment.get("etag"), str(segment.get("size_bytes"))):
            missing.append(f"{path} (another MD5 or size)")
    return missing


def import_objects(config: dict, source: str, target: str, overwrite: bool, stream: BinaryIO,
                   check: bool = False) -> dict:
    """Upload the objects of ``source`` (<account>/<container>) in the stream into ``target``; with ``check``,
    write nothing and refuse large objects whose segments the target account lacks."""
    source_account, source_container = source.split("/", 1)
    target_account, target_container = target.split("/", 1)
    accounts = {entry["account"]: entry for entry in config["accounts"]}
    if target_account not in accounts:
        raise SwiftError(f"no credentials for account {target_account} (the accounts: {', '.join(accounts)})")
    entry = accounts[target_account]
    session = Session(config["auth_url"], target_account, entry["user"], entry["key"])
    held = object_count(session, target_container)
    if held and not overwrite:
        raise SwiftError(f"{target} holds {held} objects: the restore would overwrite live data; "
                         "set backup_restore_overwrite=true to do it")
    if not check:
        session.request("PUT", target_container).close()
    counts = {"objects": 0, "bytes": 0}
    missing = []
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            account, container, name = split_member(member.name)
            if (account, container) != (source_account, source_container) or not member.isfile():
                continue
            slo = member.pax_headers.get(PAX_PREFIX + "slo") == "true"
            if check:
                if slo:
                    missing += missing_segments(session, archive.extractfile(member).read())
                counts["objects"] += 1
                counts["bytes"] += member.size
                continue
            # An SLO's ETag is its segments', not its manifest's: Swift checks each segment instead.
            headers = {} if slo else {"ETag": member.pax_headers[PAX_PREFIX + "etag"]}
            headers["Content-Length"] = str(member.size)
            for key, value in member.pax_headers.items():
                if key.startswith(PAX_PREFIX) and key not in (PAX_PREFIX + "etag", PAX_PREFIX + "slo"):
                    headers[key[len(PAX_PREFIX):]] = value
            try:
                session.request("PUT", f"{target_container}/{name}", MANIFEST_PUT if slo else None, headers=headers,
                                data=archive.extractfile(member)).close()
            except urllib.error.HTTPError as error:
                if slo and error.code == 400:
                    # Swift names the segments it could not find or that differ.
                    detail = " ".join((error.read() or b"").decode(errors="replace").split())[:500]
                    raise SwiftError(f"{target}/{name}: large object refused ({detail or error.reason}): restore its "
                                     "segments' container first") from error
                # 422: the data Swift received does not match the ETag.
                raise SwiftError(f"{target}/{name}: upload refused ({error.code} {error.reason})") from error
            counts["objects"] += 1
            counts["bytes"] += member.size
    if not counts["objects"]:
        raise SwiftError(f"the archive holds no object of {source}")
    if missing:
        raise SwiftError(f"{target}: large objects whose segments {target_account} lacks: {', '.join(missing)}; "
                         "restore their segments' container first (nothing was written)")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("export", help="every object, as a tar stream on stdout")
    restore = commands.add_parser("import", help="one container's objects from a tar stream on stdin")
    restore.add_argument("--source", required=True, help="<account>/<container> in the stream")
    restore.add_argument("--target", help="<account>/<container> to upload into (default: the source)")
    restore.add_argument("--overwrite", action="store_true", help="into a container that holds objects")
    restore.add_argument("--check", action="store_true",
                         help="write nothing; fail if a large object's segments are not in the target account")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    try:
        if args.command == "export":
            counts = export(config, sys.stdout.buffer)
            print(json.dumps(counts), file=sys.stderr)
        else:
            for path in filter(None, (args.source, args.target)):
                if path.count("/") != 1 or not all(path.split("/")):
                    raise SwiftError(f"expected <account>/<container>; got {path!r}")
            counts = import_objects(config, args.source, args.target or args.source, args.overwrite,
                                    sys.stdin.buffer, args.check)
            print(json.dumps(counts))
    except (SwiftError, urllib.error.URLError, OSError) as error:
        print(f"swift objects: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
