"""Swift's objects as a tar stream and back (roles/backup_client/files/usr/local/lib/rainbow-edge-backup-client/swift_objects.py),
against an in-memory Swift: what the stream keeps, what the restore refuses."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import urllib.error
from email.message import Message
from pathlib import Path

import pytest

SCRIPT = (Path(__file__).resolve().parents[4]
          / "roles/backup_client/files/usr/local/lib/rainbow-edge-backup-client/swift_objects.py")


@pytest.fixture(name="swift")
def fixture_swift():
    spec = importlib.util.spec_from_file_location("rainbow_edge_swift_objects", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Response(io.BytesIO):
    def __init__(self, body: bytes = b"", headers: dict | None = None, status: int = 200):
        super().__init__(body)
        self.status = status
        self.headers = Message()
        for key, value in (headers or {}).items():
            self.headers[key] = value


class FakeSwift:
    """Accounts -> containers -> {name: (body, headers)}; a corrupt object reads other bytes than its ETag says.

    An SLO is stored as its manifest (the raw format: [{path, etag, size_bytes}]) with the header
    X-Static-Large-Object, read whole as its segments joined, and as its manifest with multipart-manifest=get;
    its PUT with multipart-manifest=put checks each segment, as Swift does.
    """

    def __init__(self):
        self.store = {"rainbow": {}}
        self.corrupt = set()

    def _segment(self, path):
        container, _slash, name = path.lstrip("/").partition("/")
        return self.store["rainbow"].get(container, {}).get(name)

    def _slo_body(self, manifest):
        return b"".join(self._segment(s["path"])[0] for s in json.loads(manifest))

    def handle(self, account, method, path="", query=None, headers=None, data=None):
        """Swift's answer to one request, as urllib gives it."""
        containers = self.store[account]
        container, _slash, name = path.partition("/")
        if method == "GET" and not container:
            names = [] if query and query.get("marker") else [{"name": c} for c in sorted(containers)]
            return Response(json.dumps(names).encode())
        if method == "GET" and not name:
            listing = [{"name": n, "hash": hashlib.md5(body).hexdigest()}
                       for n, (body, _headers) in sorted(containers[container].items())]
            return Response(json.dumps([] if query and query.get("marker") else listing).encode())
        if method in ("GET", "HEAD") and name:
            if name not in containers[container]:
                raise urllib.error.HTTPError(path, 404, "Not Found", {}, None)
            body, extra = containers[container][name]
            if extra.get("X-Static-Large-Object") and (query or {}).get("multipart-manifest") != "get":
                whole = self._slo_body(body)
                # The object's headers: its own type, and no manifest's.
                return Response(whole if method == "GET" else b"", {
                    "ETag": '"%s"' % hashlib.md5(whole).hexdigest(), "Content-Length": str(len(whole)),
                    "X-Timestamp": "1764800000.00000", **extra})
            read = body[::-1] if name in self.corrupt else body
            headers = dict(extra)
            if extra.get("X-Static-Large-Object"):
                # The raw manifest is JSON, whatever the object's type.
                headers["Content-Type"] = "application/json; charset=utf-8"
            return Response(read if method == "GET" else b"", {
                "ETag": hashlib.md5(body).hexdigest(), "Content-Length": str(len(body)),
                "X-Timestamp": "1764800000.00000", **headers})
        if method == "HEAD":
            if container not in containers:
                raise urllib.error.HTTPError(path, 404, "Not Found", {}, None)
            return Response(headers={"X-Container-Object-Count": str(len(containers[container]))})
        if method == "PUT" and not name:
            containers.setdefault(container, {})
            return Response(status=201)
        if method == "PUT" and (query or {}).get("multipart-manifest") == "put":
            body = data.read()
            for segment in json.loads(body):
                held = self._segment(segment["path"])
                if held is None or hashlib.md5(held[0]).hexdigest() != segment["etag"]:
                    raise urllib.error.HTTPError(path, 400, "Bad Request", {},
                                                 io.BytesIO(b"Errors:\n" + segment["path"].encode() + b", 404 Not Found"))
            kept = {k: v for k, v in headers.items() if k != "Content-Length"}
            containers[container][name] = (body, {**kept, "X-Static-Large-Object": "True"})
            return Response(status=201)
        if method == "PUT":
            body = data.read()
            if hashlib.md5(body).hexdigest() != headers["ETag"]:
                raise urllib.error.HTTPError(path, 422, "Unprocessable Entity", {}, None)
            kept = {k: v for k, v in headers.items() if k not in ("ETag", "Content-Length")}
            containers[container][name] = (body, kept)
            return Response(status=201)
        raise AssertionError((method, path))


CONFIG = {"auth_url": "http://proxy/auth/v1.0", "accounts": [{"account": "rainbow", "user": "files", "key": "k"}]}


@pytest.fixture(name="fake")
def fixture_fake(swift, monkeypatch):
    fake = FakeSwift()
    fake.store["rainbow"]["files"] = {
        "a/b.txt": (b"hello", {"Content-Type": "text/plain", "X-Object-Meta-Origin": "drill"}),
        "empty": (b"", {"Content-Type": "application/octet-stream"}),
    }

    class FakeSession(swift.Session):
        """The real session's listing, over the fake's answers."""

        def __init__(self, _auth_url, account, _user, _key):  # pylint: disable=super-init-not-called
            self.account = account

        def request(self, method, path="", query=None, headers=None, data=None):
            return fake.handle(self.account, method, path, query, headers, data)

    monkeypatch.setattr(swift, "Session", FakeSession)
    return fake


def test_objects_round_trip_with_their_type_and_metadata(swift, fake):
    stream = io.BytesIO()
    assert swift.export(CONFIG, stream) == {"objects": 2, "bytes": 5, "gone": 0}
    original = dict(fake.store["rainbow"]["files"])
    fake.store["rainbow"]["files"] = {}
    stream.seek(0)
    assert swift.import_objects(CONFIG, "rainbow/files", "rainbow/files", False, stream) == {"objects": 2, "bytes": 5}
    restored = fake.store["rainbow"]["files"]
    assert restored["a/b.txt"][0] == b"hello" and restored["empty"][0] == b""
    assert restored["a/b.txt"][1] == {"content-type": "text/plain", "x-object-meta-origin": "drill"}
    assert set(restored) == set(original)


def test_a_live_container_is_refused_before_the_stream_is_read_unless_asked(swift, fake):
    stream = io.BytesIO()
    swift.export(CONFIG, stream)
    stream.seek(0)
    with pytest.raises(swift.SwiftError, match="rainbow/files holds 2 objects: the restore would overwrite live data"):
        swift.import_objects(CONFIG, "rainbow/files", "rainbow/files", False, stream)
    assert stream.tell() == 0
    assert swift.import_objects(CONFIG, "rainbow/files", "rainbow/copy", False, stream)["objects"] == 2


def test_an_object_read_with_other_bytes_than_its_md5_fails_the_export(swift, fake):
    fake.corrupt.add("a/b.txt")
    with pytest.raises(swift.SwiftError, match="read MD5 .* is not its ETag"):
        swift.export(CONFIG, io.BytesIO())


def test_a_restore_of_a_container_the_archive_lacks_or_of_an_unknown_account_is_refused(swift, fake):
    stream = io.BytesIO()
    swift.export(CONFIG, stream)
    stream.seek(0)
    with pytest.raises(swift.SwiftError, match="holds no object of rainbow/photos"):
        swift.import_objects(CONFIG, "rainbow/photos", "rainbow/photos", False, stream)
    with pytest.raises(swift.SwiftError, match="no credentials for account other"):
        swift.import_objects(CONFIG, "rainbow/files", "other/files", False, io.BytesIO())


def _large_objects(fake):
    """An SLO of two segments, and a DLO over a prefix of the same segments' container."""
    first, second = b"A" * 70, b"B" * 30
    fake.store["rainbow"]["big_segments"] = {
        "movie/1": (first, {"Content-Type": "application/octet-stream"}),
        "movie/2": (second, {"Content-Type": "application/octet-stream"}),
    }
    manifest = json.dumps([{"path": "/big_segments/movie/1", "etag": hashlib.md5(first).hexdigest(), "size_bytes": 70},
                           {"path": "/big_segments/movie/2", "etag": hashlib.md5(second).hexdigest(),
                            "size_bytes": 30}]).encode()
    fake.store["rainbow"]["big"] = {
        "movie.mp4": (manifest, {"Content-Type": "video/mp4", "X-Object-Meta-Origin": "drill",
                                 "X-Static-Large-Object": "True"}),
        "movie-dlo": (b"", {"Content-Type": "video/mp4", "X-Object-Manifest": "big_segments/movie/"}),
    }
    return first + second


def test_large_objects_are_kept_as_their_manifests_and_restored_after_their_segments(swift, fake):
    whole = _large_objects(fake)
    stream = io.BytesIO()
    counts = swift.export(CONFIG, stream)
    # Two segments, two manifests, the two plain objects: the SLO is not read as its 100 bytes.
    assert counts["objects"] == 6 and counts["gone"] == 0
    fake.store["rainbow"]["big"] = {}
    segments = fake.store["rainbow"].pop("big_segments")
    stream.seek(0)
    with pytest.raises(swift.SwiftError, match="large object refused .*big_segments/movie/1, 404 Not Found.*restore "
                                               "its segments' container first"):
        swift.import_objects(CONFIG, "rainbow/big", "rainbow/big", False, stream)
    fake.store["rainbow"]["big"] = {}
    stream.seek(0)
    assert swift.import_objects(CONFIG, "rainbow/big_segments", "rainbow/big_segments", False, stream)["objects"] == 2
    assert {n: body for n, (body, _h) in fake.store["rainbow"]["big_segments"].items()} == \
        {n: body for n, (body, _h) in segments.items()}
    stream.seek(0)
    assert swift.import_objects(CONFIG, "rainbow/big", "rainbow/big", False, stream)["objects"] == 2
    restored = fake.store["rainbow"]["big"]
    body, headers = restored["movie.mp4"]
    assert fake._slo_body(body) == whole  # pylint: disable=protected-access
    assert headers == {"content-type": "video/mp4", "x-object-meta-origin": "drill", "X-Static-Large-Object": "True"}
    assert restored["movie-dlo"] == (b"", {"content-type": "video/mp4", "x-object-manifest": "big_segments/movie/"})


def test_the_check_pass_refuses_missing_segments_and_writes_nothing(swift, fake):
    _large_objects(fake)
    stream = io.BytesIO()
    swift.export(CONFIG, stream)
    fake.store["rainbow"].pop("big")
    fake.store["rainbow"]["big_segments"].pop("movie/2")
    stream.seek(0)
    with pytest.raises(swift.SwiftError, match=r"large objects whose segments rainbow lacks: big_segments/movie/2 "
                                               r"\(absent\); restore their segments' container first \(nothing was "
                                               r"written\)"):
        swift.import_objects(CONFIG, "rainbow/big", "rainbow/big", False, stream, check=True)
    assert "big" not in fake.store["rainbow"]
    fake.store["rainbow"]["big_segments"]["movie/2"] = (b"C" * 30, {})
    stream.seek(0)
    with pytest.raises(swift.SwiftError, match=r"big_segments/movie/2 \(another MD5 or size\)"):
        swift.import_objects(CONFIG, "rainbow/big", "rainbow/big", False, stream, check=True)
    fake.store["rainbow"]["big_segments"]["movie/2"] = (b"B" * 30, {})
    stream.seek(0)
    assert swift.import_objects(CONFIG, "rainbow/big", "rainbow/big", False, stream, check=True)["objects"] == 2
    assert "big" not in fake.store["rainbow"]
