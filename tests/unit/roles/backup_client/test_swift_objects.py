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
    """Accounts -> containers -> {name: (body, headers)}; a corrupt object reads other bytes than its ETag says."""

    def __init__(self):
        self.store = {"rainbow": {}}
        self.corrupt = set()

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
        if method == "GET":
            if name not in containers[container]:
                raise urllib.error.HTTPError(path, 404, "Not Found", {}, None)
            body, extra = containers[container][name]
            read = body[::-1] if name in self.corrupt else body
            return Response(read, {"ETag": hashlib.md5(body).hexdigest(), "Content-Length": str(len(body)),
                                   "X-Timestamp": "1764800000.00000", **extra})
        if method == "HEAD":
            if container not in containers:
                raise urllib.error.HTTPError(path, 404, "Not Found", {}, None)
            return Response(headers={"X-Container-Object-Count": str(len(containers[container]))})
        if method == "PUT" and not name:
            containers.setdefault(container, {})
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
