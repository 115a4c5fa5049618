# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swift's objects in the backups (role backup_client) and their restore (playbooks/backup_restore_swift.yml).

bs-node1..3 are the Swift nodes, bs-node1 backs every object up through its
proxy; bs-store keeps the repositories. Objects are written and read back by
a client of the test's own (the Swift API with urllib, tempauth), not by the
backup's code.
"""

from __future__ import annotations

import json
import shlex
import time

import pytest

from conftest import secret

NODE, STORE = "bs-node1", "bs-store"
JOB = "/usr/local/sbin/rainbow-edge-backup"
CONTAINER = "files"
CLIENT = "/root/swift_client.py"
# A Swift client: put NAME SIZE SEED CONTENT_TYPE, put-large NAME (an SLO of
# three segments in <container>_segments, and a DLO NAME-dlo over the same
# segments), stat (every object's md5 of its content, ETag, content type and
# metadata, as JSON), delete-all.
CLIENT_CODE = r'''
import hashlib, json, random, sys, urllib.request
AUTH, KEY, CONTAINER = "http://10.20.12.11:8080/auth/v1.0", sys.argv[1], sys.argv[2]
req = urllib.request.Request(AUTH, headers={"X-Auth-User": "rainbow:files", "X-Auth-Key": KEY})
with urllib.request.urlopen(req) as r:
    URL, TOKEN = r.headers["X-Storage-Url"], r.headers["X-Auth-Token"]
def call(method, path, data=None, headers=None):
    req = urllib.request.Request(URL + "/" + path, data=data, method=method, headers={"X-Auth-Token": TOKEN, **(headers or {})})
    return urllib.request.urlopen(req)
command = sys.argv[3]
if command == "put":
    name, size, seed, ctype = sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7]
    call("PUT", CONTAINER).close()
    body = random.Random(seed).randbytes(size) if seed != "canary" else (sys.argv[8] * (size // len(sys.argv[8]) + 1)).encode()[:size]
    call("PUT", CONTAINER + "/" + name, body, {"Content-Type": ctype, "X-Object-Meta-Origin": "drill-" + name}).close()
elif command == "put-large":
    name, segments = sys.argv[4], CONTAINER + "_segments"
    call("PUT", CONTAINER).close()
    call("PUT", segments).close()
    manifest = []
    for index, size in enumerate((1048576, 1048576, 1000)):
        part, path = random.Random(name + str(index)).randbytes(size), "%s/%s/%08d" % (segments, name, index)
        call("PUT", path, part).close()
        manifest.append({"path": "/" + path, "etag": hashlib.md5(part).hexdigest(), "size_bytes": size})
    call("PUT", CONTAINER + "/" + name + "?multipart-manifest=put", json.dumps(manifest).encode(),
         {"Content-Type": "video/mp4", "X-Object-Meta-Origin": "drill-" + name}).close()
    call("PUT", CONTAINER + "/" + name + "-dlo", b"", {"Content-Type": "video/mp4", "X-Object-Meta-Origin": "drill-dlo",
                                                      "X-Object-Manifest": segments + "/" + name + "/"}).close()
elif command == "stat":
    try:
        listing = json.load(call("GET", CONTAINER + "?format=json"))
    except urllib.error.HTTPError as error:
        listing = []
    found = {}
    for item in listing:
        with call("GET", CONTAINER + "/" + item["name"]) as r:
            found[item["name"]] = {"md5": hashlib.md5(r.read()).hexdigest(), "etag": r.headers["ETag"].strip(chr(34)),
                                   "type": r.headers["Content-Type"], "origin": r.headers.get("X-Object-Meta-Origin")}
    print(json.dumps(found, sort_keys=True))
elif command == "delete-all":
    for item in json.load(call("GET", CONTAINER + "?format=json")):
        call("DELETE", CONTAINER + "/" + item["name"]).close()
'''
OBJECTS = [("doc-%02d.bin" % index, size) for index, size in
           enumerate([1, 1024, 65536, 1048576, 3 * 1048576 + 17, 0, 4096, 200000])]


@pytest.fixture(scope="module")
def node(lab):
    host = lab.host(NODE)
    host.check_output(f"printf %s {shlex.quote(CLIENT_CODE)} > {CLIENT}")
    return host


def _client(node, container: str, *args: str) -> str:
    key = shlex.quote(secret("swift_files_key"))
    return node.check_output(f"python3 {CLIENT} {key} {container} " + " ".join(map(shlex.quote, args)))


def _stat(node, container: str = CONTAINER) -> dict:
    return json.loads(_client(node, container, "stat"))


def _backup(node) -> tuple[str, float]:
    start = time.monotonic()
    result = node.run("systemctl start rainbow-edge-backup.service")
    elapsed = time.monotonic() - start
    assert result.rc == 0, node.run("journalctl -u rainbow-edge-backup.service -n 30 --no-pager").stdout
    return sorted(node.check_output(f"{JOB} borg list --short --glob-archives 'swift.*'").split())[-1], elapsed


def _restore(lab, *args: str):
    return lab.playbook("backup_restore_swift", "-e", f"backup_restore_container=rainbow/{CONTAINER}", *args)


@pytest.fixture(scope="module")
def written(node):
    for name, size in OBJECTS:
        _client(node, CONTAINER, "put", name, str(size), name, "application/x-drill")
    canary = f"canary-{time.time_ns()}"
    _client(node, CONTAINER, "put", "canary.txt", "4096", "canary", "text/plain", canary)
    objects = _stat(node)
    assert len(objects) == len(OBJECTS) + 1
    return objects, canary


def test_the_first_swift_node_backs_every_object_up_and_the_repository_holds_no_canary(lab, node, written):
    objects, canary = written
    archive, elapsed = _backup(node)
    info = json.loads(node.check_output(f"{JOB} borg info --json ::{archive}"))["archives"][0]["stats"]
    assert info["original_size"] >= sum(size for _name, size in OBJECTS)
    for other in ("bs-node2", "bs-node3"):
        assert lab.host(other).check_output(f"{JOB} borg list --short --glob-archives 'swift.*'") == ""
    newest = node.file("/var/lib/prometheus/node-exporter/rainbow_edge_backup_swift.prom").content_string
    assert 'rainbow_edge_backup_newest_timestamp_seconds{source="swift"} ' in newest
    raw = lab.host(STORE).run(f"grep -rqa {canary} /srv/backup/data/repos/{NODE}")
    assert raw.rc == 1, "the canary is in clear in the repository"
    print(f"FIGURE: {len(objects)} Swift objects ({info['original_size'] / 1048576:.1f} MiB) backed up in "
          f"{elapsed:.1f} s, {info['deduplicated_size'] / 1048576:.1f} MiB stored")


def test_a_container_is_restored_with_the_right_md5_and_a_live_one_only_when_asked(lab, node, written):
    objects, _canary = written
    _client(node, CONTAINER, "delete-all")
    assert _stat(node) == {}
    start = time.monotonic()
    run = _restore(lab)
    assert run.returncode == 0, run
    elapsed = time.monotonic() - start
    restored = _stat(node)
    assert restored == objects
    assert all(item["md5"] == item["etag"] for item in restored.values())
    print(f"FIGURE: container rainbow/{CONTAINER} ({len(restored)} objects) restored with equal MD5 in {elapsed:.1f} s")

    # Now live: refused unless asked, and nothing written.
    _client(node, CONTAINER, "put", "doc-00.bin", "10", "changed", "application/x-drill")
    refused = _restore(lab)
    texts = refused.refusal("Refuse a live container without backup_restore_overwrite, or report the failure", [NODE])
    assert f"rainbow/{CONTAINER} holds {len(objects)} objects: the restore would overwrite live data" in texts[NODE], texts
    assert _stat(node)["doc-00.bin"] != objects["doc-00.bin"]
    run = _restore(lab, "-e", "backup_restore_overwrite=true")
    assert run.returncode == 0, run
    assert _stat(node) == objects

    # Into another container, beside the live one.
    run = _restore(lab, "-e", "backup_restore_target_container=rainbow/files-restored")
    assert run.returncode == 0, run
    assert _stat(node, "files-restored") == objects


def test_large_objects_are_restored_whole_after_their_segments(lab, node):
    """An SLO and a DLO are kept as their manifests; restored before their segments, the SLO is refused before
    anything is written; after them, both read back whole."""
    container, segments = "large", "large_segments"
    _client(node, container, "put-large", "movie.mp4")
    before, before_segments = _stat(node, container), _stat(node, segments)
    assert before["movie.mp4"]["md5"] == before["movie.mp4-dlo"]["md5"] and len(before_segments) == 3
    archive, _elapsed = _backup(node)
    info = json.loads(node.check_output(f"{JOB} borg info --json ::{archive}"))["archives"][0]["stats"]
    _client(node, container, "delete-all")
    _client(node, segments, "delete-all")

    def restore(name: str):
        return lab.playbook("backup_restore_swift", "-e", f"backup_restore_container=rainbow/{name}",
                            "-e", f"backup_restore_archive={archive}")
    refused = restore(container)
    texts = refused.refusal("Refuse a live container without backup_restore_overwrite, or report the failure", [NODE])
    assert (f"rainbow/{container}: large objects whose segments rainbow lacks: {segments}/movie.mp4/00000000 (absent)"
            in texts[NODE]), texts
    assert _stat(node, container) == {}, "the refused restore wrote objects"
    for name in (segments, container):
        run = restore(name)
        assert run.returncode == 0, run
    assert _stat(node, segments) == before_segments
    assert _stat(node, container) == before
    print(f"FIGURE: an SLO and a DLO of {(2 * 1048576 + 1000) / 1048576:.1f} MiB restored whole after their "
          f"segments; archive {info['original_size'] / 1048576:.1f} MiB")


def test_bad_restore_requests_are_refused_at_once(lab):
    run = lab.playbook("backup_restore_swift", "-e", "backup_restore_container=files", "-e", "backup_restore_host=bs-store",
                       "-e", "backup_restore_archive=files.yesterday")
    texts = run.refusal("Refuse a restore without a container, or with a host outside group swift", ["localhost"])
    for expected in ("Set backup_restore_container to <account>/<container> (got files)",
                     "backup_restore_host, if set, to a host of group swift (got bs-store)",
                     "an archive swift.<UTC time> (got files.yesterday)"):
        assert expected in texts["localhost"], texts
