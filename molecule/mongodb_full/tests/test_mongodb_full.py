# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MongoDB replica set with its server, where MongoDB's packages can be reached.

Skipped unless RAINBOW_EDGE_MONGODB_REPO_REACHABLE=1 (see
roles/mongodb/README.md): no registry reachable from this project's machines
has mongod, and these tests need the real daemon. Not run so far.
"""

from __future__ import annotations

import json
import os
import secrets

import pytest

from conftest import secret, wait_for

pytestmark = pytest.mark.skipif(
    os.environ.get("RAINBOW_EDGE_MONGODB_REPO_REACHABLE") != "1",
    reason="MongoDB's packages are not reachable here (set RAINBOW_EDGE_MONGODB_REPO_REACHABLE=1 where they are)",
)

MEMBERS = ("mgo-full-1", "mgo-full-2", "mgo-full-3")
LAN_IP = {"mgo-full-1": "10.20.5.141", "mgo-full-2": "10.20.5.142", "mgo-full-3": "10.20.5.143"}
DOMAIN = "lab.rainbow-edge.test"
REPLICA_SET = "rs-lab-rainbow-edge-test"
CA_FILE = "/etc/mongodb/pki/ca.crt"


def _mongosh(host, target: str, script: str, user: str | None = "admin", database: str = "admin", extra: str = "") -> object:
    auth = ""
    if user == "admin":
        auth = f"-u admin -p {secret('mongodb_admin_password')} --authenticationDatabase admin"
    elif user == "rainbow":
        auth = f"-u rainbow -p {secret('mongodb_rainbow_password')} --authenticationDatabase rainbow"
    cmd = (f"mongosh --quiet --tls --tlsCAFile {CA_FILE} {auth} {extra} "
           f"'mongodb://{target}.{DOMAIN}:27017/{database}' --eval {json.dumps('JSON.stringify(' + script + ')')}")
    return host.run(cmd)


@pytest.fixture(scope="module")
def members(lab):
    return {name: lab.host(name) for name in MEMBERS}


def _states(host) -> dict[str, str]:
    result = _mongosh(host, "mgo-full-1", "rs.status().members.map(m => [m.name, m.stateStr])")
    assert result.rc == 0, result.stderr
    return {name.split(".")[0]: state for name, state in json.loads(result.stdout)}


def test_replica_set_has_one_primary_two_secondaries(members):
    def settled():
        states = _states(members["mgo-full-1"])
        return states if sorted(states.values()) == ["PRIMARY", "SECONDARY", "SECONDARY"] else None

    states = wait_for(settled, timeout=120)
    assert states and states["mgo-full-1"] == "PRIMARY", _states(members["mgo-full-1"])
    print(f"FIGURE: mongodb_full replica set {REPLICA_SET}: {states}")


def test_shard_member_settings_are_live(members):
    result = _mongosh(members["mgo-full-1"], "mgo-full-1", "db.adminCommand({getCmdLineOpts: 1}).parsed")
    parsed = json.loads(result.stdout)
    assert parsed["sharding"]["clusterRole"] == "shardsvr" and parsed["replication"]["replSetName"] == REPLICA_SET, parsed
    assert parsed["net"]["tls"]["mode"] == "requireTLS" and parsed["security"]["keyFile"] == "/etc/mongodb/keyfile", parsed


def test_application_user_writes_to_the_majority_and_reads_from_a_secondary(members):
    doc = secrets.token_hex(8)
    write = _mongosh(members["mgo-full-2"], "mgo-full-1",
                     f"db.lab.insertOne({{_id: '{doc}'}}, {{writeConcern: {{w: 'majority', wtimeout: 10000}}}}).acknowledged",
                     user="rainbow", database="rainbow")
    assert write.rc == 0 and write.stdout.strip() == "true", write.stderr
    read = _mongosh(members["mgo-full-3"], "mgo-full-3", f"db.getMongo().setReadPref('secondary'), db.lab.findOne({{_id: '{doc}'}})._id",
                    user="rainbow", database="rainbow", extra="--directConnection")
    assert read.rc == 0 and doc in read.stdout, read.stderr


def test_unauthenticated_and_plaintext_clients_are_refused(members):
    client = members["mgo-full-2"]
    anonymous = _mongosh(client, "mgo-full-1", "db.adminCommand({listDatabases: 1}).ok", user=None)
    assert anonymous.rc != 0 or "requires authentication" in anonymous.stdout + anonymous.stderr
    plaintext = client.run(f"mongosh --quiet 'mongodb://mgo-full-1.{DOMAIN}:27017/admin' --eval 'db.runCommand({{ping: 1}}).ok'")
    assert plaintext.rc != 0


def test_documents_are_ciphertext_on_the_disk(members):
    canary = f"mongodb-full-canary-{secrets.token_hex(8)}"
    write = _mongosh(members["mgo-full-1"], "mgo-full-1",
                     f"db.lab.insertOne({{note: '{canary}'}}, {{writeConcern: {{w: 'majority', j: true}}}}).acknowledged, db.adminCommand({{fsync: 1}}).ok",
                     user="admin", database="rainbow")
    assert write.rc == 0, write.stderr
    host = members["mgo-full-1"]
    count = int(host.check_output(f"dd if=/dev/vdb iflag=direct bs=4M status=none | grep -a -c -F {canary} || true") or 0)
    print(f"FIGURE: mongodb_full canary document in raw /dev/vdb of mgo-full-1: {count}")
    assert count == 0
