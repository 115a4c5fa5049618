# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `logs` and `log_shipping` roles: every Edge host's logs on the logs host, nothing lost.

log-store runs the receiver (and ships its own logs to it); log-app ships its
journal and the log file its fixture tier declares; log-outside is on the
allowed network but has no certificate of the Edge's CA.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
import uuid

import pytest

from conftest import wait_for

STORE, APP, OUTSIDE = "log-store", "log-app", "log-outside"
EDGE_HOSTS = (STORE, APP)
HOSTS_DIR = "/srv/logs/data/hosts"
DEVICE = "/dev/vdb"
REFUSAL = "Refuse the run with every problem kept by the input checks"
# Queued during an outage, the sender's rsyslog restarted half-way.
OUTAGE_MESSAGES = 1000


@pytest.fixture(scope="module")
def store(lab):
    return lab.host(STORE)


def _stored(store, host: str) -> str:
    """What the logs host filed for ``host`` (its current file)."""
    return store.run(f"cat {HOSTS_DIR}/{host}/messages.log").stdout


def test_each_edge_host_has_a_file_of_its_own_on_the_encrypted_volume(store):
    listed = set(store.check_output(f"ls {HOSTS_DIR}").split())
    assert listed == set(EDGE_HOSTS), listed
    for host in EDGE_HOSTS:
        stored = store.file(f"{HOSTS_DIR}/{host}/messages.log")
        assert (stored.user, stored.group, stored.mode) == ("root", "adm", 0o640)
    assert store.check_output(f"findmnt --noheadings --output SOURCE --target {HOSTS_DIR}") == DEVICE
    status = store.check_output("fscrypt status /srv/logs/data")
    assert "Unlocked: Yes" in status and "AES_256_XTS" in status, status


@pytest.mark.parametrize("host", EDGE_HOSTS)
def test_a_token_logged_on_a_host_is_on_the_logs_host_within_10_s(lab, store, host):
    token = f"rainbow-edge-token-{uuid.uuid4().hex}"
    start = time.monotonic()
    lab.host(host).check_output(f"logger -t lab-token {token}")
    arrived = wait_for(lambda: token in _stored(store, host), timeout=10, interval=0.2)
    elapsed = time.monotonic() - start
    assert arrived, f"{token} from {host} not on {STORE} in 10 s"
    print(f"FIGURE: logs token from {host} filed on {STORE} in {elapsed:.2f} s (bound 10 s)")


def test_a_declared_log_file_is_shipped_with_its_tier_s_tag(lab, store):
    token = f"rainbow-edge-app-line-{uuid.uuid4().hex}"
    lab.host(APP).check_output(f"echo {token} >> /var/log/lab-app/app.log")
    assert wait_for(lambda: token in _stored(store, APP), timeout=20, interval=0.5)
    line = next(line for line in _stored(store, APP).splitlines() if token in line)
    # <timestamp> <host> <tag> <line>: the tag names the role that declared the stream.
    assert line.endswith(f" {APP} lab_fixture-app {token}"), line


def _numbers(store, label: str) -> list[int]:
    """The numbers of log-app's messages ``<label> <n>``, in the order the logs host filed them."""
    # The tag is the journal's identifier and process: lab-outage[<pid>].
    pattern = re.compile(rf" {APP} lab-outage\[\d+\] {label} (\d+)$")
    return [int(match.group(1)) for line in _stored(store, APP).splitlines() if (match := pattern.search(line))]


def _podman(*args: str) -> None:
    subprocess.run(["podman", *args], check=True, capture_output=True, timeout=120)


def _log(host, label: str, first: int, last: int) -> None:
    host.check_output(f"for i in $(seq {first} {last}); do logger -t lab-outage \"{label} $i\"; done")


def _store_back(store) -> float:
    _podman("start", STORE)
    returned = time.monotonic()
    assert wait_for(lambda: store.run("systemctl is-system-running --wait").stdout.strip() in ("running", "degraded"),
                    timeout=120)
    return returned


def _arrived(store, label: str, count: int) -> list[int] | None:
    found = _numbers(store, label)
    return found if set(found) >= set(range(1, count + 1)) else None


def _report(store, label: str, count: int, returned: float, what: str) -> list[int]:
    numbers = wait_for(lambda: _arrived(store, label, count), timeout=240, interval=1)
    assert numbers, f"{len(set(_numbers(store, label)))} of {count} messages arrived after the outage"
    first_seen = list(dict.fromkeys(numbers))
    print(f"FIGURE: logs outage, {what}: all {count} arrived {time.monotonic() - returned:.1f} s after the logs host "
          f"returned; duplicates {len(numbers) - len(first_seen)}; in order {first_seen == sorted(first_seen)}")
    assert first_seen == list(range(1, count + 1)), "messages arrived out of order"
    return numbers


def test_messages_logged_while_the_logs_host_is_away_all_arrive_in_order(lab, store):
    """The logs host stops, log-app logs at once (into the session it has not yet seen broken, then into its
    queue): the shipper sends again what the logs host did not acknowledge, the queue keeps the rest."""
    app, label = lab.host(APP), f"away-{uuid.uuid4().hex[:12]}"
    _podman("stop", "--time", "20", STORE)
    try:
        _log(app, label, 1, 200)
    finally:
        returned = _store_back(store)
    _report(store, label, 200, returned, "200 messages logged from the moment it stopped")


def test_an_outage_with_the_sender_restarted_half_way_loses_nothing(lab, store):
    """K messages logged during an outage, log-app's rsyslog restarted half-way: all K arrive, in order.

    The shipper confirms a message to rsyslog only once the logs host acknowledged it: what follows stays in
    rsyslog's disk queue, saved when rsyslog stops, and the message in hand is written to the shipper's held
    file and delivered first after the restart. (With omrelp, what it had handed to librelp before it took the
    session for broken was lost: rsyslog/rsyslog#3820, 161 of these 1000.) A message the logs host had but
    did not acknowledge would come twice: counted.
    """
    app, label, half = lab.host(APP), f"outage-{uuid.uuid4().hex[:12]}", OUTAGE_MESSAGES // 2
    _podman("stop", "--time", "20", STORE)
    try:
        _log(app, label, 1, half)
        # rsyslog restarted during the outage saves its queue and picks it up again.
        app.check_output("systemctl restart rsyslog")
        _log(app, label, half + 1, OUTAGE_MESSAGES)
        spooled = app.check_output("du -sk /var/spool/rsyslog | cut -f1")
    finally:
        returned = _store_back(store)
    _report(store, label, OUTAGE_MESSAGES, returned,
            f"{OUTAGE_MESSAGES} messages, log-app's rsyslog restarted half-way, {spooled} KiB spooled")


def test_a_client_without_the_edge_s_certificate_is_refused(lab, store):
    outside = lab.host(OUTSIDE)
    ca_pem = store.check_output("cat /etc/rsyslog-receiver/tls/ca.crt")
    # It trusts the Edge's CA and claims an Edge host's name, with a certificate of its own.
    outside.check_output(
        "mkdir -p /etc/lab-relp && cd /etc/lab-relp && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
        "-nodes -keyout client.key -out client.crt -days 2 -subj /CN=log-app.lab.rainbow-edge.test "
        "-addext subjectAltName=DNS:log-app.lab.rainbow-edge.test 2>/dev/null")
    outside.check_output(f"printf '%s\\n' {shlex.quote(ca_pem)} > /etc/lab-relp/ca.crt")
    config = """module(load="omrelp")
action(type="omrelp" target="10.20.8.41" port="2514" tls="on"
       tls.caCert="/etc/lab-relp/ca.crt" tls.myCert="/etc/lab-relp/client.crt" tls.myPrivKey="/etc/lab-relp/client.key"
       tls.authMode="name" tls.permittedPeer=["log-store.lab.rainbow-edge.test"]
       action.resumeRetryCount="-1" action.resumeInterval="1")
"""
    outside.check_output(f"printf '%s' {shlex.quote(config)} > /etc/rsyslog.d/90-lab-relp.conf && systemctl restart rsyslog")
    token = f"rainbow-edge-intruder-{uuid.uuid4().hex}"
    outside.check_output(f"logger -t lab-intruder {token}")
    time.sleep(10)
    filed = store.run(f"grep -rl {token} {HOSTS_DIR}")
    assert filed.stdout == "", f"a message of a client without the Edge's certificate was filed: {filed.stdout}"
    # The receiver saw it and said why.
    journal = store.check_output("journalctl --unit rainbow-edge-logs-receiver --since -1min --no-pager --output cat")
    assert re.search(r"(?i)certificate|tls|authentication", journal), journal


def test_a_canary_logged_on_a_host_is_not_in_the_raw_volume(lab, store):
    tag = uuid.uuid4().hex
    canary, control = f"RAINBOW-EDGE-LOG-CANARY-{tag}", f"RAINBOW-EDGE-LOG-CONTROL-{tag}"
    lab.host(APP).check_output(f"logger -t lab-canary {canary}")
    # Read back in clear through the mount.
    assert wait_for(lambda: canary in _stored(store, APP), timeout=10, interval=0.2)
    # Positive control: the same kind of write outside the encrypted directory, on the same device.
    store.check_output(f"mkdir -p /srv/logs/plain-control && echo {control} > /srv/logs/plain-control/control.log")
    store.check_output("sync")
    out = store.check_output(f"dd if={DEVICE} iflag=direct bs=4M status=none | grep -a -o -F -e {canary} -e {control} "
                             "| sort | uniq -c")
    counts = {line.split()[1]: int(line.split()[0]) for line in out.splitlines() if line.strip()}
    print(f"FIGURE: logs raw {DEVICE}: canary {counts.get(canary, 0)}, control {counts.get(control, 0)}")
    assert counts.get(control, 0) >= 1, counts
    assert counts.get(canary, 0) == 0, counts


def test_bad_inputs_are_refused_with_every_problem_at_once(lab):
    bad_file = {"lab_fixture_provides": {"log_files": [{"name": "app", "paths": ["relative.log"]}]}}
    run = lab.playbook("logs", "-e", "logs_retention_days=0", "-e", "logs_relp_port=70000",
                       "-e", "log_shipping_queue_max_messages=0", "-e", json.dumps(bad_file))
    texts = run.refusal(REFUSAL, EDGE_HOSTS)
    store_text, app_text = texts[STORE], texts[APP]
    assert "logs_retention_days: expected 1-3650 days; got 0" in store_text, store_text
    assert "logs_relp_port: expected a TCP port 1024-65535; got 70000" in store_text, store_text
    for host, text in texts.items():
        assert "log_shipping_queue_max_messages: expected 1000-100000000 messages; got 0" in text, text
        assert f"{host}: lab_fixture_provides.log_files[0].paths" in text, text
    # Only the logs host runs the receiver's check.
    assert "logs_retention_days" not in app_text, app_text


def test_the_elastic_stack_s_inputs_are_checked_with_the_receiver_s(lab):
    """The Stack cannot be installed here; its input check runs all the same, secrets never shown."""
    run = lab.playbook("logs", "-e", "logs_elastic_stack=true", "-e", "logs_retention_days=0",
                       "-e", "logs_logstash_password=short-secret", "-e", "logs_elasticsearch_heap_mb=512",
                       "-e", "log_shipping_retry_seconds=0")
    text = run.refusal(REFUSAL, EDGE_HOSTS)[STORE]
    for expected in ("logs_retention_days: expected 1-3650 days; got 0",
                     "logs_apt_signing_key is empty: give the repository's public key",
                     "logs_elastic_password: expected the password of Elasticsearch's superuser elastic, at least 16 "
                     "characters (vault it); got an empty value",
                     "logs_logstash_password: expected the password of Logstash's account rainbow_edge_logstash, at "
                     "least 16 characters (vault it); got 12 characters",
                     "logs_kibana_encryption_key: ",
                     "logs_elasticsearch_heap_mb: expected 0 (sized from the host's memory) or 1024-31744 MiB; got 512"):
        assert expected in text, text
    assert "short-secret" not in json.dumps(run.report) + run.stderr, "a secret was shown"
