# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs tier with the Elastic Stack, where Elastic's packages can be reached.

Skipped unless RAINBOW_EDGE_ELASTIC_REPO_REACHABLE=1 (see
roles/logs/README.md): no registry reachable from this project's machines
has Elasticsearch, Logstash or Kibana, and these tests need the real
services. Not run so far.
"""

from __future__ import annotations

import json
import os
import shlex
import uuid

import pytest

from conftest import secret, wait_for

pytestmark = pytest.mark.skipif(
    os.environ.get("RAINBOW_EDGE_ELASTIC_REPO_REACHABLE") != "1",
    reason="Elastic's packages are not reachable here (set RAINBOW_EDGE_ELASTIC_REPO_REACHABLE=1 where they are)",
)

STORE, APP, PROBE = "log-full-store", "log-full-app", "log-full-probe"
STORE_IP = "10.20.22.41"
DEVICE = "/dev/vdb"
CA = "/etc/elasticsearch/rainbow-edge/ca.crt"
DATA_STREAM = "logs-rainbow_edge-edge"


@pytest.fixture(scope="module")
def store(lab):
    return lab.host(STORE)


def _es(store, method: str, path: str, user: str = "elastic", password_file: str = "logs_elastic_password",
        body: object | None = None) -> tuple[int, dict]:
    """Elasticsearch's answer on the logs host (loopback, the Edge's CA): (status, body)."""
    data = f"-H 'Content-Type: application/json' -d {shlex.quote(json.dumps(body))}" if body is not None else ""
    out = store.check_output(
        f"curl -s -o /tmp/es.json -w '%{{http_code}}' --cacert {CA} -u {user}:{secret(password_file)} "
        f"-X {method} {data} https://127.0.0.1:9200{path}; echo; cat /tmp/es.json")
    status, _newline, text = out.partition("\n")
    return int(status), json.loads(text or "{}")


def _hits(store, token: str) -> int:
    status, answer = _es(store, "GET", f"/{DATA_STREAM}/_search?q=message:{token}")
    return answer.get("hits", {}).get("total", {}).get("value", 0) if status == 200 else 0


def test_a_token_logged_on_a_host_is_searchable_in_elasticsearch(lab, store):
    token = f"rainbowedgetoken{uuid.uuid4().hex}"
    lab.host(APP).check_output(f"logger -t lab-token {token}")
    assert wait_for(lambda: _hits(store, token) == 1, timeout=60, interval=1), f"{token} not indexed in 60 s"
    _status, answer = _es(store, "GET", f"/{DATA_STREAM}/_search?q=message:{token}")
    source = answer["hits"]["hits"][0]["_source"]
    assert source["host"]["name"] == APP and source["process"]["name"] == "lab-token", source


def test_the_data_stream_is_deleted_after_the_retention(store):
    status, answer = _es(store, "GET", f"/_data_stream/{DATA_STREAM}")
    assert status == 200 and answer["data_streams"][0]["ilm_policy"] == "rainbow-edge-logs", answer
    _status, policy = _es(store, "GET", "/_ilm/policy/rainbow-edge-logs")
    assert policy["rainbow-edge-logs"]["policy"]["phases"]["delete"]["min_age"] == "365d", policy


def test_logstash_s_account_may_write_but_not_delete(store):
    status, _answer = _es(store, "DELETE", f"/_data_stream/{DATA_STREAM}", user="rainbow_edge_logstash",
                          password_file="logs_logstash_password")
    assert status == 403


def test_elasticsearch_and_logstash_listen_on_loopback_only_and_kibana_on_the_lan(lab):
    states = lab.scan(PROBE, STORE_IP, "5601,9200,9300,5514,9600")
    assert states == {5601: "open", 9200: "closed", 9300: "closed", 5514: "closed", 9600: "closed"}, states
    out = lab.host(PROBE).check_output(f"curl -s -o /dev/null -w '%{{http_code}}' -k https://{STORE_IP}:5601/api/status")
    # Security on: Kibana answers, and asks for credentials.
    assert out in ("401", "200"), out


def test_the_stack_s_data_is_on_the_encrypted_volume_and_no_canary_is_on_the_raw_device(lab, store):
    for path in ("/srv/logs/data/elasticsearch", "/srv/logs/data/logstash"):
        assert store.check_output(f"findmnt --noheadings --output SOURCE --target {path}") == DEVICE
    canary = f"RAINBOWEDGEELKCANARY{uuid.uuid4().hex}"
    lab.host(APP).check_output(f"logger -t lab-canary {canary}")
    assert wait_for(lambda: _hits(store, canary) == 1, timeout=60, interval=1)
    store.check_output("curl -s -o /dev/null --cacert {0} -u elastic:{1} -X POST https://127.0.0.1:9200/_flush; sync"
                       .format(CA, secret("logs_elastic_password")))
    count = store.check_output(f"dd if={DEVICE} iflag=direct bs=4M status=none | grep -a -c -F {canary} || true")
    assert count.strip() == "0", count


def test_no_password_is_in_a_setting_the_services_accounts_can_read(store):
    for name in ("logs_elastic_password", "logs_kibana_system_password", "logs_logstash_password"):
        found = store.run(f"grep -rl -F {shlex.quote(secret(name))} /etc/elasticsearch /etc/logstash /etc/kibana")
        assert found.stdout == "", f"{name} in {found.stdout}"
    for path in ("/etc/default/logstash", "/etc/default/kibana"):
        stat = store.file(path)
        assert (stat.user, stat.mode) == ("root", 0o600)
