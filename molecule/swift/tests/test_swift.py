# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swift on three converged nodes, used through its proxies by a real client.

The client (python3-swiftclient on sw-client, on the LAN) authenticates with
the application account of the inventory. Each test would fail without the
feature it names: objects keep their md5 through any proxy, a whole node
can die, the disks hold no plaintext (and the same grep finds it when the
encryption middleware is left out), the storage services are closed to the
LAN, and bad input or a dangerous change stops in the input check with
nothing changed. The node-loss test runs last: it stops and restarts a node.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import INPUT_REFUSAL, secret, wait_for

NODES = ("sw-node1", "sw-node2", "sw-node3")
IPS = {"sw-node1": "10.20.6.11", "sw-node2": "10.20.6.12", "sw-node3": "10.20.6.13"}
CLIENT = "sw-client"
STOPPED = "sw-node3"
PROXY_PORT = 8080
STORAGE_PORTS = (6200, 6201, 6202, 873, 11211)
ACCOUNT, USER = "rainbow", "files"
DISKS = {"d1": "/dev/vdb", "d2": "/dev/vdc", "d3": "/dev/vdd"}
RING_FILES = [f"/etc/swift/{ring}.{kind}" for ring in ("account", "container", "object") for kind in ("ring.gz", "builder")]
PREFLIGHT_TASK = INPUT_REFUSAL

# Runs on the client (and on node1 for the positive control): one JSON
# command in, one JSON result out.
CLIENT_SCRIPT = r'''
import hashlib, json, os, sys
from swiftclient.client import Connection

cmd = json.loads(sys.argv[1])
conn = Connection(authurl=cmd["auth_url"], user=cmd["user"], key=cmd["key"],
                  retries=4, starting_backoff=0.5, timeout=20)
out = {}
if cmd["op"] == "upload":
    conn.put_container(cmd["container"])
    for name, size in cmd["objects"]:
        data = os.urandom(size)
        out[name] = {"md5": hashlib.md5(data).hexdigest(), "etag": conn.put_object(cmd["container"], name, data)}
elif cmd["op"] == "put_canary":
    conn.put_container(cmd["container"])
    data = ((cmd["canary"] + "\n") * cmd["repeat"]).encode()
    out = {"md5": hashlib.md5(data).hexdigest(), "etag": conn.put_object(cmd["container"], cmd["name"], data)}
elif cmd["op"] == "download":
    for name in cmd["objects"]:
        try:
            headers, body = conn.get_object(cmd["container"], name)
            out[name] = {"md5": hashlib.md5(body).hexdigest(), "etag": headers.get("etag")}
        except Exception as exc:
            out[name] = {"error": str(exc)}
elif cmd["op"] == "get_canary":
    body = conn.get_object(cmd["container"], cmd["name"])[1]
    out = {"md5": hashlib.md5(body).hexdigest(), "canaries": body.decode().count(cmd["canary"])}
elif cmd["op"] == "delete":
    conn.delete_object(cmd["container"], cmd["name"])
elif cmd["op"] == "token":
    url, token = conn.get_auth()
    out = {"url": url, "token": token}
print(json.dumps(out))
'''


def swift(host, op: str, proxy: str = "sw-node1", **args) -> dict:
    """Run the client script on ``host`` against the proxy of node ``proxy``."""
    address = "127.0.0.1:18080" if proxy == "control" else f"{IPS[proxy]}:{PROXY_PORT}"
    cmd = dict(args, op=op, auth_url=f"http://{address}/auth/v1.0", user=f"{ACCOUNT}:{USER}",
               key=secret("swift_files_key"))
    payload = base64.b64encode(json.dumps(cmd).encode()).decode()
    result = host.run(f"python3 /root/swift_client.py \"$(echo {payload} | base64 -d)\"")
    assert result.rc == 0, f"swift {op} via {proxy} failed: {result.stderr[-3000:]}"
    return json.loads(result.stdout)


def ring_checksums(lab) -> dict:
    return {(node, path): lab.host(node).check_output(f"sha256sum {path}").split()[0]
            for node in NODES for path in RING_FILES}


def config_checksums(lab) -> dict:
    return {node: lab.host(node).check_output("cat /etc/swift/*.conf /etc/fstab /etc/rsyncd.conf | sha256sum")
            for node in NODES}


def input_check_messages(run) -> str:
    """A run refused by every node's input check, nothing changed: the nodes' messages."""
    texts = run.refusal(PREFLIGHT_TASK, NODES)
    assert set(run.failures()) == set(NODES), run
    return "\n".join(texts.values())


@pytest.fixture(scope="module")
def client(lab):
    host = lab.host(CLIENT)
    for target in (host, lab.host("sw-node1")):
        encoded = base64.b64encode(CLIENT_SCRIPT.encode()).decode()
        target.check_output(f"echo {encoded} | base64 -d > /root/swift_client.py")
    return host


@pytest.fixture(scope="module")
def uploaded(client):
    """30 objects of 1 KiB to 2 MiB uploaded through node1's proxy: name -> md5, etag."""
    sizes = [1024 * (1 + (i * 977) % 2048) for i in range(30)]
    objects = [[f"file-{i:02d}.bin", size] for i, size in enumerate(sizes)]
    return swift(client, "upload", container="files", objects=objects), sum(sizes)


def test_every_node_runs_a_healthy_proxy(lab, client):
    for node, ip in IPS.items():
        assert client.check_output(f"curl -fsS --max-time 5 http://{ip}:{PROXY_PORT}/healthcheck") == "OK", node


def test_objects_uploaded_through_the_proxy_keep_their_md5(client, uploaded):
    objects, size = uploaded
    wrong_etag = [name for name, obj in objects.items() if obj["etag"] != obj["md5"]]
    assert not wrong_etag, wrong_etag
    # Read back through another node's proxy.
    downloaded = swift(client, "download", proxy="sw-node2", container="files", objects=sorted(objects))
    bad = {name: got for name, got in downloaded.items() if got.get("md5") != objects[name]["md5"]}
    assert not bad, bad
    print(f"FIGURE: swift_objects_uploaded={len(objects)} bytes={size} etag_ok={len(objects) - len(wrong_etag)} "
          f"downloaded_ok={len(objects) - len(bad)}")


def test_a_token_from_one_proxy_works_on_every_proxy(client, uploaded):
    auth = swift(client, "token", proxy="sw-node1")
    assert auth["url"] == f"http://{IPS['sw-node1']}:{PROXY_PORT}/v1/AUTH_{ACCOUNT}"
    for node, ip in IPS.items():
        status = client.check_output(
            f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 -H 'X-Auth-Token: {auth['token']}' "
            f"http://{ip}:{PROXY_PORT}/v1/AUTH_{ACCOUNT}/files/file-00.bin")
        assert status == "200", f"token from sw-node1 refused by {node}: {status}"


def test_no_default_account_and_no_wrong_key(client):
    for user, key in (("test:tester", "testing"), ("admin:admin", "admin"), (f"{ACCOUNT}:{USER}", "wrong-key")):
        status = client.check_output(
            f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 -H 'X-Auth-User: {user}' -H 'X-Auth-Key: {key}' "
            f"http://{IPS['sw-node1']}:{PROXY_PORT}/auth/v1.0")
        assert status == "401", f"{user} got {status}"
    anonymous = client.check_output(
        f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 http://{IPS['sw-node1']}:{PROXY_PORT}/v1/AUTH_{ACCOUNT}/files")
    assert anonymous == "401", anonymous


def test_storage_services_are_closed_to_the_lan_and_open_between_nodes(lab):
    ports = ",".join(str(port) for port in (PROXY_PORT,) + STORAGE_PORTS)
    states = lab.scan(CLIENT, IPS["sw-node1"], ports)
    assert states[PROXY_PORT] == "open", states
    assert {port: states[port] for port in STORAGE_PORTS} == {port: "filtered" for port in STORAGE_PORTS}, states
    node2 = lab.host("sw-node2")
    for port in STORAGE_PORTS:
        assert node2.run(f"timeout 3 bash -c '</dev/tcp/{IPS['sw-node1']}/{port}'").rc == 0, port


def test_disks_are_mounted_by_uuid_with_mount_check(lab):
    for node in NODES:
        host = lab.host(node)
        fstab = host.file("/etc/fstab").content_string
        for name, device in DISKS.items():
            fs_uuid = host.check_output(f"blkid -p -s UUID -o value {device}")
            assert re.search(rf"^UUID={fs_uuid}\s+/srv/node/{name}\s+xfs\s+noatime,nofail\s", fstab, re.M), fstab
            mount = json.loads(host.check_output(f"findmnt --json -o TARGET,SOURCE,FSTYPE /srv/node/{name}"))
            assert mount["filesystems"][0]["fstype"] == "xfs", mount
            assert host.check_output(f"blkid -p -s LABEL -o value {device}") == name
            assert host.file(f"/srv/node/{name}").user == "swift"
        for server in ("account", "container", "object"):
            assert host.file(f"/etc/swift/{server}-server.conf").contains("^mount_check = true$")


def test_rings_are_identical_everywhere_and_recon_sees_every_node(lab):
    sums = ring_checksums(lab)
    for path in RING_FILES:
        assert len({sums[(node, path)] for node in NODES}) == 1, path
    node1 = lab.host("sw-node1")
    md5 = node1.check_output("swift-recon --md5")
    assert md5.count("3/3 hosts matched, 0 error[s] while checking hosts.") >= 2, md5
    unmounted = node1.check_output("swift-recon -u")
    # Unmounted drives are listed as "Not mounted: ...", unreachable hosts as "-> http://...".
    assert "Getting unmounted drives from 3 hosts" in unmounted, unmounted
    assert "Not mounted" not in unmounted and "-> http" not in unmounted, unmounted
    disks = node1.check_output("swift-recon -d")
    assert "Distribution Graph" in disks or "Disk usage" in disks, disks
    ring = node1.check_output("swift-ring-builder /etc/swift/object.builder")
    match = re.search(r"(\d+) partitions, ([\d.]+) replicas, (\d+) regions, (\d+) zones, (\d+) devices", ring)
    assert match and (match.group(2), match.group(4), match.group(5)) == ("3.000000", "3", "9"), ring
    print(f"FIGURE: swift_ring partitions={match.group(1)} replicas=3 zones={match.group(4)} devices={match.group(5)} "
          f"recon_md5_matched=3/3")


def test_secrets_live_in_private_files_only(lab):
    root_secret = base64.b64encode(secret("swift_root_secret_raw").encode()).decode()
    for node in NODES:
        host = lab.host(node)
        keymaster = host.file("/etc/swift/keymaster.conf")
        assert (keymaster.user, keymaster.group, keymaster.mode) == ("root", "swift", 0o640)
        assert root_secret in keymaster.content_string
        proxy = host.file("/etc/swift/proxy-server.conf")
        assert (proxy.user, proxy.group, proxy.mode) == ("root", "swift", 0o640)
        assert root_secret not in proxy.content_string
        assert "keymaster_config_path = /etc/swift/keymaster.conf" in proxy.content_string
        assert " keymaster encryption proxy-logging proxy-server" in proxy.content_string
        assert host.file("/etc/swift/dispersion.conf").mode == 0o600
        assert host.file("/etc/swift/swift.conf").mode == 0o640


def _grep_disks(host, needle: str) -> tuple[int, int]:
    """(files under /srv/node containing needle, hits in the raw data disks)."""
    host.check_output("sync")
    files = host.run(f"grep -r -l -a -F '{needle}' /srv/node")
    # Swift's auditors replace their status files while grep walks the tree:
    # a file gone between listing and reading is the only error allowed.
    errors = [line for line in files.stderr.splitlines() if not line.endswith(": No such file or directory")]
    assert files.rc in (0, 1) or (files.rc == 2 and not errors), files.stderr
    raw = 0
    for device in DISKS.values():
        # O_DIRECT: the disk's bytes, not a cached copy of them.
        out = host.check_output(f"dd if={device} bs=4M iflag=direct status=none | grep -c -a -F '{needle}' || true")
        raw += int(out or 0)
    return len(files.stdout.split()), raw


def _object_locations(lab, container: str, name: str) -> dict:
    """node -> .data files of one object, found through the object ring."""
    out = lab.host("sw-node1").check_output(
        f"swift-get-nodes -a /etc/swift/object.ring.gz AUTH_{ACCOUNT} {container} {name}")
    part = re.search(r"^Partition\s+(\d+)$", out, re.M).group(1)
    obj_hash = re.search(r"^Hash\s+([0-9a-f]+)$", out, re.M).group(1)
    found = {}
    for node in NODES:
        listing = lab.host(node).run(f"ls /srv/node/*/objects/{part}/{obj_hash[-3:]}/{obj_hash}/*.data")
        found[node] = listing.stdout.split()
    return found


def test_a_canary_is_encrypted_on_disk_but_clear_through_the_proxy(lab, client):
    canary = f"RAINBOW-CANARY-{uuid.uuid4().hex}"
    repeat = 4096
    put = swift(client, "put_canary", container="canary", name="canary.txt", canary=canary, repeat=repeat)
    assert put["etag"] == put["md5"], put
    back = swift(client, "get_canary", proxy="sw-node3", container="canary", name="canary.txt", canary=canary)
    assert back == {"md5": put["md5"], "canaries": repeat}, back

    where = _object_locations(lab, "canary", "canary.txt")
    assert sum(len(files) for files in where.values()) == 3, where
    hits = {node: _grep_disks(lab.host(node), canary) for node in NODES}
    assert all(found == (0, 0) for found in hits.values()), f"plaintext canary on disk: {hits}"

    # Positive control: the same proxy configuration without keymaster and
    # encryption, on node1's loopback, stores the same text; the same grep
    # must find it. (After the negative check: deleted data stays on a disk.)
    node1 = lab.host("sw-node1")
    node1.check_output(
        "sed -e 's/ keymaster encryption / /' -e 's/^bind_ip = .*/bind_ip = 127.0.0.1/' "
        "-e 's/^bind_port = .*/bind_port = 18080/' /etc/swift/proxy-server.conf > /run/swift-control-proxy.conf "
        "&& chown swift /run/swift-control-proxy.conf && chmod 600 /run/swift-control-proxy.conf")
    assert "keymaster" not in node1.check_output("grep '^pipeline' /run/swift-control-proxy.conf")
    node1.check_output("systemd-run --unit=swift-control-proxy --property=User=swift "
                       "/usr/bin/swift-proxy-server /run/swift-control-proxy.conf")
    try:
        # The storage nodes have no curl: python3 asks the healthcheck.
        health = ("python3 -c \"import urllib.request; "
                  "print(urllib.request.urlopen('http://127.0.0.1:18080/healthcheck', timeout=5).read().decode())\"")
        assert wait_for(lambda: node1.run(health).stdout.strip() == "OK", timeout=60), \
            node1.run("journalctl --no-pager -n 40 -u swift-control-proxy").stdout
        swift(node1, "put_canary", proxy="control", container="canary-control", name="canary.txt",
              canary=canary, repeat=repeat)
        control_where = _object_locations(lab, "canary-control", "canary.txt")
        control = {node: _grep_disks(lab.host(node), canary) for node in NODES}
        holders = [node for node, files in control_where.items() if files]
        assert holders and all(control[node][0] >= 1 and control[node][1] >= 1 for node in holders), control
    finally:
        node1.run("systemctl stop swift-control-proxy")
        node1.run("rm -f /run/swift-control-proxy.conf")
    swift(client, "delete", container="canary-control", name="canary.txt")
    print(f"FIGURE: swift_canary bytes={repeat * (len(canary) + 1)} encrypted_replicas=3 plaintext_files=0 plaintext_raw_hits=0 "
          f"control_plaintext_files={sum(c[0] for c in control.values())} "
          f"control_raw_hits={sum(c[1] for c in control.values())}")


def test_the_rings_were_built_once_through_converge_rerun_and_check(lab):
    # molecule ran the playbook three times before these tests (converge,
    # idempotence with changed=0, check mode). swift-ring-builder keeps a
    # copy of every builder it saves: one create and one rebalance per ring,
    # ever, or a rerun rebuilt a ring.
    backups = lab.host("sw-node1").check_output("ls /etc/swift/backups/").split()
    saves = {ring: len([name for name in backups if name.endswith(f".{ring}.builder")])
             for ring in ("account", "container", "object")}
    assert saves == {"account": 2, "container": 2, "object": 2}, backups
    print(f"FIGURE: swift_rings builder_saves_per_ring={saves} after converge, rerun and check mode")


def test_missing_secrets_and_a_part_power_change_stops_in_the_input_check(lab):
    before = ring_checksums(lab), config_checksums(lab)
    bad = {"swift_hash_path_suffix": "", "swift_keymaster_root_secret": "", "swift_dispersion_key": "short",
           "swift_part_power": 10}
    run = lab.playbook("swift", "--extra-vars", json.dumps(bad))
    text = input_check_messages(run)
    assert "swift_hash_path_suffix: expected a secret of at least 16 characters (ansible-vault)" in text, text
    assert "it is missing" in text, text
    assert "swift_keymaster_root_secret: expected the base64 encoding of at least 32 random bytes" in text, text
    assert "swift_dispersion_key: expected the dispersion account's key" in text, text
    assert "swift_part_power: the object ring exists with part power 14" in text, text
    assert "10 is refused" in text, text
    assert (ring_checksums(lab), config_checksums(lab)) == before


def test_changed_hash_path_and_root_secret_are_refused_once_data_exists(lab):
    before = ring_checksums(lab), config_checksums(lab)
    bad = {"swift_hash_path_prefix": "another-prefix-" + uuid.uuid4().hex,
           "swift_hash_path_suffix": "another-suffix-" + uuid.uuid4().hex,
           "swift_keymaster_root_secret": base64.b64encode(os.urandom(32)).decode()}
    run = lab.playbook("swift", "--extra-vars", json.dumps(bad))
    text = input_check_messages(run)
    assert "swift_hash_path_prefix, swift_hash_path_suffix: differs from the value deployed in /etc/swift/swift.conf" in text, text
    assert "every account, container and object would be looked for under another hash" in text, text
    assert "swift_keymaster_root_secret: differs from the root secret deployed" in text, text
    for value in bad.values():
        assert value not in json.dumps(run.report) + run.stderr, "a secret was printed"
    assert (ring_checksums(lab), config_checksums(lab)) == before


def test_fewer_than_three_nodes_are_refused_on_a_large_edge(lab):
    before = ring_checksums(lab), config_checksums(lab)
    pair = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "swift_pair.yml")
    pair.write_text(json.dumps({"all": {"children": {"swift_pair": {"hosts": {"sw-node1": {}, "sw-node2": {}}}}}}))
    run = lab.playbook("swift", "-i", str(pair), "--extra-vars", json.dumps({"swift_cluster_group": "swift_pair"}))
    text = input_check_messages(run)
    assert "swift_pair (swift_cluster_group): a Connected Edge needs at least 3 Swift nodes" in text, text
    assert 'got 2: ["sw-node1", "sw-node2"]' in text, text

    # A small Standalone Edge may run Swift on fewer nodes; dropping a node
    # that holds data is still refused (its disks must be drained first).
    small = {"swift_cluster_group": "swift_pair", "edge_variant": "standalone", "edge_concurrent_users": 500}
    run = lab.playbook("swift", "-i", str(pair), "--extra-vars", json.dumps(small))
    text = input_check_messages(run)
    assert "needs at least" not in text, text
    assert "swift_disks: device 10.20.6.13:6200/d1 (weight 100) of the object ring is no longer in the inventory" in text, text
    assert "Drain it first" in text, text
    assert (ring_checksums(lab), config_checksums(lab)) == before


def test_a_rebalance_inside_min_part_hours_is_refused(lab):
    before = ring_checksums(lab), config_checksums(lab)
    disks = [{"name": name, "device": device, "weight": 50 if name == "d1" else 100} for name, device in DISKS.items()]
    run = lab.playbook("swift", "--extra-vars", json.dumps({"swift_disks": disks}))
    text = input_check_messages(run)
    for ring in ("account", "container", "object"):
        assert re.search(rf"swift_min_part_hours \(a rebalance is due for swift_disks\): the {ring} ring needs a rebalance "
                         rf"\(weight 10\.20\.6\.11:\d+/d1 100->50, .*rebalance\) but it was rebalanced less than "
                         rf"min_part_hours \(24 h\) ago: refused, not forced, until ", text), text
    assert (ring_checksums(lab), config_checksums(lab)) == before


READINGS = "/var/lib/prometheus/node-exporter/rainbow_edge_swift.prom"


def _readings(host) -> dict[str, float]:
    """Take the node's readings for the metrics tier now (its timer's unit) and read their textfile."""
    host.check_output("systemctl start rainbow-edge-swift-readings.service")
    samples = {}
    for line in host.file(READINGS).content_string.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_each_node_writes_what_the_swift_alerts_read_and_an_unmounted_disk_counts(lab):
    """EdgeSwiftDiskUnmounted and EdgeSwiftCopiesMissing read these (roles/swift/tasks/readings.yml)."""
    for node in NODES:
        host = lab.host(node)
        assert host.service("rainbow-edge-swift-readings.timer").is_enabled, node
        samples = _readings(host)
        assert samples["rainbow_edge_swift_unmounted_disks"] == 0, (node, samples)
        if node == NODES[0]:  # the ring master populated the dispersion account: the cluster's copies
            assert samples["rainbow_edge_swift_dispersion_report_ok"] == 1, samples
            assert samples['rainbow_edge_swift_copies_missing{ring="object"}'] == 0, samples
            assert samples['rainbow_edge_swift_copies_missing{ring="container"}'] == 0, samples
        else:
            assert not [name for name in samples if "copies_missing" in name], (node, samples)
    host = lab.host("sw-node2")
    # Lazily, as a disk that failed under the running services: they hold files open on it ("target is busy").
    host.check_output("umount -l /srv/node/d2")
    try:
        assert _readings(host)["rainbow_edge_swift_unmounted_disks"] == 1
    finally:
        host.check_output("mount /srv/node/d2")
    assert _readings(host)["rainbow_edge_swift_unmounted_disks"] == 0


def _dispersion(host) -> dict:
    out = host.check_output("swift-dispersion-report -j")
    return json.loads(out[out.index("{"):])


def _missing_on(lab, node: str, container: str, names: list[str]) -> list[str]:
    """Objects whose replica is not on ``node`` yet (direct HEAD to its object server)."""
    script = (
        "import json, sys\n"
        "from swift.common.ring import Ring\n"
        "from swift.common.direct_client import direct_head_object\n"
        "ring = Ring('/etc/swift', ring_name='object')\n"
        "missing = []\n"
        f"for name in {names!r}:\n"
        f"    part, nodes = ring.get_nodes('AUTH_{ACCOUNT}', '{container}', name)\n"
        f"    dev = [n for n in nodes if n['ip'] == '{IPS[node]}'][0]\n"
        "    try:\n"
        f"        direct_head_object(dev, part, 'AUTH_{ACCOUNT}', '{container}', name, conn_timeout=2, response_timeout=5)\n"
        "    except Exception:\n"
        "        missing.append(name)\n"
        "print(json.dumps(missing))\n")
    encoded = base64.b64encode(script.encode()).decode()
    return json.loads(lab.host("sw-node1").check_output(f"echo {encoded} | base64 -d | python3 -"))


def test_one_node_down_loses_nothing_and_comes_back(lab, client, uploaded):
    objects, _size = uploaded
    assert _dispersion(lab.host("sw-node1"))["object"]["pct_found"] == 100.0
    subprocess.run(["podman", "stop", "--time", "10", STOPPED], check=True, capture_output=True)
    down_at = time.monotonic()
    try:
        # Every object, through a surviving proxy.
        downloaded = swift(client, "download", proxy="sw-node1", container="files", objects=sorted(objects))
        ok = [name for name, got in downloaded.items() if got.get("md5") == objects[name]["md5"]]
        assert len(ok) == len(objects), {n: g for n, g in downloaded.items() if n not in ok}
        # New uploads, read back through the other surviving proxy.
        new = swift(client, "upload", proxy="sw-node2", container="during-outage",
                    objects=[[f"new-{i:02d}.bin", 64 * 1024 * (i + 1)] for i in range(10)])
        assert all(obj["etag"] == obj["md5"] for obj in new.values()), new
        back = swift(client, "download", proxy="sw-node1", container="during-outage", objects=sorted(new))
        assert all(back[name].get("md5") == new[name]["md5"] for name in new), back
        report = _dispersion(lab.host("sw-node1"))
        # The report counts partitions by copies missing: "missing_<n>" keys,
        # present only when some partition misses n copies.
        for kind in ("object", "container"):
            assert report[kind].get("missing_2", 0) == 0 and report[kind].get("missing_3", 0) == 0, report
            assert report[kind].get("missing_1", 0) > 0, f"{STOPPED} is down: one copy of some partitions must be missing"
        # What the metrics tier reads: the ring master's readings count the same partitions.
        samples = _readings(lab.host("sw-node1"))
        for kind in ("object", "container"):
            assert samples[f'rainbow_edge_swift_copies_missing{{ring="{kind}"}}'] == report[kind]["missing_1"], samples
        print(f"FIGURE: objects={len(objects)} downloaded_ok={len(ok)} uploads_during_outage={len(new)} "
              f"dispersion_missing_two={report['object'].get('missing_2', 0)} "
              f"dispersion_missing_one={report['object'].get('missing_1', 0)} "
              f"container_missing_two={report['container'].get('missing_2', 0)} "
              f"object_copies_found_pct={report['object']['pct_found']:.1f} node_down={STOPPED}")
    finally:
        subprocess.run(["podman", "start", STOPPED], check=True, capture_output=True)
    outage = time.monotonic() - down_at

    # The node boots back: disks mounted from /etc/fstab, services up, and
    # replication moves the outage's third replicas from handoffs to it.
    node3 = lab.host(STOPPED)
    # Right after `podman start` systemd is not on the bus yet and
    # `is-system-running --wait` returns at once: wait until boot has ended.
    booted = wait_for(lambda: node3.run("systemctl is-system-running --wait").stdout.strip() in ("running", "degraded"),
                      timeout=180, interval=2)
    assert booted, node3.run("systemctl list-jobs --no-pager").stdout
    for name in DISKS:
        assert node3.run(f"findmnt /srv/node/{name}").rc == 0, f"/srv/node/{name} not mounted after restart"
    for service in ("swift-object", "swift-object-replicator", "swift-container", "swift-account", "swift-proxy", "rsync"):
        assert node3.service(service).is_running, service
    started = time.monotonic()
    missing = wait_for(lambda: not _missing_on(lab, STOPPED, "during-outage", sorted(new)), timeout=240, interval=5)
    assert missing, f"still missing on {STOPPED}: {_missing_on(lab, STOPPED, 'during-outage', sorted(new))}"
    print(f"FIGURE: swift_node_restart outage_s={outage:.0f} handoffs_reverted_s={time.monotonic() - started:.0f} "
          f"objects_replicated_back={len(new)}")
