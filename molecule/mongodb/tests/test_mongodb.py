# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `mongodb` role on three members, without the MongoDB server.

No registry reachable from this machine has mongod, so this scenario sets
``mongodb_install_server: false``: the role sets up everything around the
daemon and these tests check it (rendered configuration key by key, the
repository and its pinned key, keyFile, certificates, encrypted data
directory, firewall, check mode, idempotence, refusals). Nothing here
pretends to be mongod: replica set initiation and users are tested by
molecule/mongodb_full where the packages can be reached.
"""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest
import yaml

from conftest import INPUT_REFUSAL, wait_for

MEMBERS = ("mgo-1", "mgo-2", "mgo-3")
LAN_IP = {"mgo-1": "10.20.5.11", "mgo-2": "10.20.5.12", "mgo-3": "10.20.5.13"}
DOMAIN = "lab.rainbow-edge.test"
REPLICA_SET = "rs-lab-rainbow-edge-test"
DB_PATH = "/srv/mongodb/data"
KEYFILE = "/etc/mongodb/keyfile"
PEM = "/etc/mongodb/pki/member.pem"
CERT = "/etc/mongodb/pki/member.d/1-certificate.pem"
CA_FILE = "/etc/mongodb/pki/ca.crt"
KEYRING = "/etc/apt/keyrings/mongodb-server-7.0.asc"
SOURCES = "/etc/apt/sources.list.d/mongodb-org-7.0.sources"
LAB_KEY_FINGERPRINT = "70D96D79EE8905F4A7F6CCFBC596C6402877AB5C"
PREFLIGHT_TASK = INPUT_REFUSAL


@pytest.fixture(scope="module")
def members(lab):
    return {name: lab.host(name) for name in MEMBERS}


def _config(host) -> dict:
    return yaml.safe_load(host.file("/etc/mongod.conf").content_string)


@pytest.mark.parametrize("name", MEMBERS)
def test_rendered_configuration_key_by_key(members, name):
    host = members[name]
    config = _config(host)
    assert config["net"]["bindIp"] == f"127.0.0.1,{LAN_IP[name]}", config["net"]
    assert config["net"]["port"] == 27017
    tls = config["net"]["tls"]
    assert tls["mode"] == "requireTLS" and tls["certificateKeyFile"] == PEM and tls["CAFile"] == CA_FILE, tls
    assert tls["disabledProtocols"] == "TLS1_0,TLS1_1", tls
    security = config["security"]
    assert security == {"authorization": "enabled", "clusterAuthMode": "keyFile", "keyFile": KEYFILE}, security
    assert config["replication"]["replSetName"] == REPLICA_SET
    assert config["sharding"]["clusterRole"] == "shardsvr"  # edge_variant: connected
    assert config["storage"]["dbPath"] == DB_PATH
    conf = host.file("/etc/mongod.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", "mongodb", 0o640)


@pytest.mark.parametrize("name", MEMBERS)
def test_db_path_is_on_the_encrypted_volume(members, name):
    host = members[name]
    assert host.check_output(f"findmnt --noheadings --output SOURCE --target {DB_PATH}") == "/dev/vdb"
    status = host.check_output(f"fscrypt status {DB_PATH}")
    assert "contents:AES_256_XTS filenames:AES_256_CTS policy_version:2" in status and "Unlocked: Yes" in status, status
    data = host.file(DB_PATH)
    assert (data.user, data.group, data.mode) == ("mongodb", "mongodb", 0o750)
    # mongod may only start once the volume is mounted and unlocked.
    dropin = host.file("/etc/systemd/system/mongod.service.d/rainbow-edge-volume-mongodb.conf")
    assert dropin.contains("^Requires=rainbow-edge-volume-mongodb.service$"), dropin.content_string
    assert dropin.contains(f"^RequiresMountsFor={DB_PATH}$"), dropin.content_string


def test_data_written_to_db_path_is_ciphertext_on_the_disk(members):
    host = members["mgo-1"]
    tag = secrets.token_hex(8)
    secret, control = f"mongodb-secret-canary-{tag}", f"mongodb-control-canary-{tag}"
    host.check_output(f"printf '%s\\n' {secret} > {DB_PATH}/lab-canary && chown mongodb:mongodb {DB_PATH}/lab-canary")
    host.check_output(f"printf '%s\\n' {control} > /srv/mongodb/lab-control && sync")
    try:
        out = host.check_output(f"dd if=/dev/vdb iflag=direct bs=4M status=none | grep -a -o -F -e {secret} -e {control} | sort | uniq -c")
        found = {line.split()[1]: int(line.split()[0]) for line in out.splitlines() if line.strip()}
        print(f"FIGURE: mongodb raw /dev/vdb of mgo-1: canary in dbPath {found.get(secret, 0)}, control beside it in clear {found.get(control, 0)}")
        assert found.get(control, 0) >= 1, found
        assert found.get(secret, 0) == 0, found
    finally:
        host.run(f"rm -f {DB_PATH}/lab-canary /srv/mongodb/lab-control")


def test_keyfile_is_the_same_secret_on_every_member_mongodb_only(members):
    digests = set()
    for host in members.values():
        keyfile = host.file(KEYFILE)
        assert (keyfile.user, keyfile.group, keyfile.mode) == ("mongodb", "mongodb", 0o400)
        content = keyfile.content_string.strip()
        assert 6 <= len(content) <= 1024 and content.isalnum()
        digests.add(hashlib.sha256(content.encode()).hexdigest())
    assert len(digests) == 1


@pytest.mark.parametrize("name", MEMBERS)
def test_member_certificate_is_signed_by_the_edge_ca(members, name):
    host = members[name]
    assert host.run(f"openssl verify -CAfile {CA_FILE} {CERT}").rc == 0
    text = host.check_output(f"openssl x509 -in {CERT} -noout -text")
    for san in (f"DNS:{name}.{DOMAIN}", f"IP Address:{LAN_IP[name]}", "IP Address:127.0.0.1"):
        assert san in text, text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text, text
    pem = host.file(PEM)
    assert (pem.user, pem.group, pem.mode) == ("mongodb", "mongodb", 0o400)
    assert "PRIVATE KEY" in pem.content_string and "BEGIN CERTIFICATE" in pem.content_string
    # The Edge CA's private key stays on its host (here the first member), root only.
    ca_key = host.file("/etc/rainbow-edge/ca/ca.key")
    if name == "mgo-1":
        assert (ca_key.user, ca_key.mode) == ("root", 0o600)
    else:
        assert not ca_key.exists


def test_members_authenticate_each_other_over_tls_through_the_firewall(members):
    """mgo-2 presents its certificate on the mongod port, mgo-1 verifies it and presents its own.

    Not mongod (absent here): openssl on port 27017, to test the PKI and the
    firewall drop-in the role wrote.
    """
    server, client = members["mgo-2"], members["mgo-1"]
    server.run("systemctl stop lab-tls 2>/dev/null; systemctl reset-failed lab-tls 2>/dev/null")
    server.check_output(
        f"systemd-run --unit=lab-tls --property=Type=exec openssl s_server -accept {LAN_IP['mgo-2']}:27017 "
        f"-cert {PEM} -CAfile {CA_FILE} -Verify 1 -verify_return_error -tls1_2 -www"
    )
    try:
        assert wait_for(lambda: server.run(f"ss -ltn 'sport = :27017' | grep -q {LAN_IP['mgo-2']}").rc == 0)
        result = client.run(
            f"echo | openssl s_client -connect {LAN_IP['mgo-2']}:27017 -servername mgo-2.{DOMAIN} "
            f"-verify_hostname mgo-2.{DOMAIN} -CAfile {CA_FILE} -cert {PEM} -verify_return_error -brief"
        )
        assert result.rc == 0, result.stderr
        assert "Verification: OK" in result.stderr, result.stderr
        # Without a certificate from the Edge CA, the member's identity cannot be verified.
        stranger = client.run(f"echo | openssl s_client -connect {LAN_IP['mgo-2']}:27017 -verify_return_error -brief")
        assert stranger.rc != 0
    finally:
        server.run("systemctl stop lab-tls")


def test_firewall_opens_mongodb_to_the_lan_only(members):
    rules = members["mgo-1"].check_output("nft list chain inet rainbow_edge services")
    assert "ip saddr 10.20.0.0/16 tcp dport 27017 accept" in rules, rules


def test_repository_and_pinned_key_are_configured(members):
    host = members["mgo-1"]
    keyring = host.file(KEYRING)
    assert keyring.exists and keyring.mode == 0o644
    listing = host.check_output(f"gpg --batch --homedir /var/lib/rainbow-edge/mongodb-gnupg --with-colons --show-keys {KEYRING}")
    assert f"fpr:::::::::{LAB_KEY_FINGERPRINT}:" in listing, listing
    sources = host.file(SOURCES).content_string
    for line in ("Types: deb", "URIs: https://repo.mongodb.org/apt/debian", "Suites: bookworm/mongodb-org/7.0",
                 "Components: main", f"Signed-By: {KEYRING}",
                 # mongodb_install_server: false, the repository is not reachable here.
                 "Enabled: no"):
        assert f"\n{line}\n" in f"\n{sources}\n", sources
    # apt's view of that entry once enabled, in a scratch apt state (the
    # host's own lists are not touched): the index it would fetch, where from.
    scratch = "/tmp/mongodb-apt-check"
    host.check_output(f"rm -rf {scratch} && mkdir -p {scratch}/sources {scratch}/lists/partial "
                      f"&& sed 's/^Enabled: no$/Enabled: yes/' {SOURCES} > {scratch}/sources/mongodb-org-7.0.sources")
    apt = (f"-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts={scratch}/sources "
           f"-o Dir::State::Lists={scratch}/lists -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=")
    targets = host.check_output(f"apt-get {apt} indextargets --no-release-info 'Identifier: Packages'")
    assert "URI: https://repo.mongodb.org/apt/debian/dists/bookworm/mongodb-org/7.0/main/binary-amd64/Packages" in targets, targets
    assert "Sourcesentry: " in targets and "mongodb-org-7.0.sources:1" in targets, targets
    # apt asks that origin for its release file; here the lab's cache refuses
    # the HTTPS tunnel, so apt-cache policy cannot list it and the server
    # package has no candidate: why this scenario does not install mongod.
    update = host.run(f"apt-get {apt} update")
    attempt = [line for line in (update.stdout + update.stderr).splitlines() if "repo.mongodb.org/apt/debian bookworm/mongodb-org/7.0" in line]
    assert attempt, update.stdout + update.stderr
    policy = host.check_output(f"apt-cache {apt} policy mongodb-org-server")
    host.run(f"rm -rf {scratch}")
    print(f"FIGURE: mongodb repository origin tried by apt-get update: {attempt[-1].strip()[:120]}")
    print(f"FIGURE: mongodb apt-cache policy mongodb-org-server here: {policy.strip() or '(no candidate: repository unreachable)'}")


def test_standalone_variant_drops_the_shard_role(lab):
    """Same members as a Standalone Edge's local replica set: no sharding section (check mode, nothing applied)."""
    run = lab.playbook("mongodb", "--check", "--diff", "--extra-vars", json.dumps({"edge_variant": "standalone"}))
    assert run.returncode == 0, run
    afters = [
        diff["after"]
        for name, host, result in run.results()
        if name.endswith("Write mongod.conf") and host == "mgo-1"
        for diff in result.get("diff", []) if isinstance(diff, dict) and "after" in diff
    ]
    assert afters, run
    standalone = yaml.safe_load(afters[0])
    assert "sharding" not in standalone and standalone["replication"]["replSetName"] == REPLICA_SET, standalone


MANAGED = ("/etc/mongod.conf", KEYFILE, PEM, "/etc/nftables.d/mongodb.nft", SOURCES)


def test_bad_input_stops_in_the_input_check_before_any_change(lab, members):
    before = lab.fingerprint(members, MANAGED)
    bad = {
        "mongodb_keyfile": "",
        "mongodb_admin_password": "",
        "mongodb_members": ["mgo-1", "mgo-2", "mgo-9"],
        "mongodb_lan_ip": "192.0.2.10",
        "mongodb_data_device": "/dev/vdz",
    }
    run = lab.playbook("mongodb", "--extra-vars", json.dumps(bad))
    texts = run.refusal(PREFLIGHT_TASK, ["mgo-1", "mgo-3"])
    text = texts["mgo-1"]
    assert "mongodb_keyfile: expected the members' shared secret, 6-1024 base64 characters" in text and "it is empty" in text, text
    assert "mongodb_admin_password: expected the administrator's password, at least 16 characters" in text, text
    assert 'mongodb_members: expected hosts of the inventory group mongodb; not in that group: ["mgo-9"]' in text, text
    assert 'mongodb_lan_ip (default: edge_lan_ip): expected this host\'s address on the LAN 10.20.0.0/16; got "192.0.2.10"' in text, text
    # The data volume's problems come in the same list (one check, every problem).
    assert "encrypted_volume_volumes[].device: expected a block device; missing or not a block device: mongodb: /dev/vdz" in text, text
    # mgo-3 is not a member in that list: it says so too.
    assert "mongodb_members: this host (mgo-3) is in group mongodb but not in mongodb_members" in texts["mgo-3"]
    assert lab.fingerprint(members, MANAGED) == before


def test_fewer_than_three_members_stops_in_the_input_check(lab, members):
    before = lab.fingerprint(members, MANAGED)
    run = lab.playbook("mongodb", "--extra-vars", json.dumps({"mongodb_members": ["mgo-1", "mgo-2"]}))
    text = run.refusal(PREFLIGHT_TASK, ["mgo-1"])["mgo-1"]
    expected = ('mongodb_members (default: the hosts of group mongodb): a replica set M/S/S needs an odd number of members, '
                '3 to 7 (one on an All-in-One, group aio); got 2: ["mgo-1", "mgo-2"]')
    assert expected in text, text
    assert lab.fingerprint(members, MANAGED) == before


def test_one_member_passes_the_input_check_on_an_all_in_one_only(lab, members, tmp_path):
    """A small Standalone Edge's All-in-One (group aio) is a one-member set: its HA is the virtualisation's."""
    one = json.dumps({"mongodb_members": ["mgo-1"]})
    alone = lab.playbook("check_inputs", "--limit", "mgo-1", "--extra-vars", one)
    assert "a replica set M/S/S needs an odd number of members" in json.dumps(alone.failures()), alone
    # The same host in group aio (a second inventory, as the small Standalone template makes it).
    extra = tmp_path / "aio.yml"
    extra.write_text(yaml.safe_dump({"all": {"children": {"aio": {"hosts": {"mgo-1": {}}}}}}))
    aio = lab.playbook("check_inputs", "-i", str(extra), "--limit", "mgo-1", "--extra-vars", one)
    assert aio.returncode == 0 and aio.changed() == 0, aio


def test_signing_key_with_another_fingerprint_is_not_trusted(lab, members):
    """The pinned fingerprint is checked before apt trusts a key: here the lab key against MongoDB's real fingerprint."""
    host = members["mgo-1"]
    before = host.check_output(f"sha256sum {KEYRING}")
    run = lab.playbook("mongodb", "--limit", "mgo-1", "--extra-vars",
                       json.dumps({"mongodb_apt_key_fingerprint": "E58830201F7DD82CD808AA84160D26BB1785BA38"}))
    assert run.returncode != 0, run
    task, message = run.failures()["mgo-1"]
    assert task.endswith("Refuse a signing key with another fingerprint"), run
    assert "expected exactly E58830201F7DD82CD808AA84160D26BB1785BA38. Not trusting it." in " ".join(str(message).split()), message
    assert host.check_output(f"sha256sum {KEYRING}") == before
