"""The elasticsearch_objects module against an in-memory stand-in of Elasticsearch's REST API.

The stand-in answers the calls the module makes as Elasticsearch 9 does
(status codes, and bodies holding defaults of their own beside what was
written), so that a rerun is shown to write nothing.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import logs_config
from ansible_collections.rainbow.edge.plugins.modules import elasticsearch_objects as eo

INPUTS = {"logs_retention_days": 365, "logs_kibana_system_password": "kibana-system-0123456789",
          "logs_logstash_password": "logstash-writer-0123456789"}
SUPER = "elastic-superuser-0123456789"


class FakeElasticsearch:
    """Users, roles, policies and templates, answered with the extra keys Elasticsearch adds."""

    def __init__(self, passwords):
        self.passwords = dict(passwords)
        self.users = {"elastic": {"roles": ["superuser"]}, "kibana_system": {"roles": ["kibana_system"]}}
        self.roles, self.policies, self.templates = {}, {}, {}
        self.writes = []

    def client(self, user, password):
        return FakeClient(self, user, password)

    def answer(self, user, password, method, path, body):
        if self.passwords.get(user) != password:
            return 401, {"error": {"type": "security_exception", "reason": "unable to authenticate user"}}
        if method != "GET":
            self.writes.append((method, path))
        parts = path.strip("/").split("/")
        if path == "/_security/_authenticate":
            return 200, {"username": user}
        if parts[:2] == ["_security", "role"]:
            name = parts[2]
            if method == "GET":
                held = self.roles.get(name)
                return (200, {name: held}) if held else (404, {})
            self.roles[name] = dict(copy.deepcopy(body), run_as=[], metadata={}, applications=[],
                                    transient_metadata={"enabled": True})
            for index in self.roles[name].get("indices", []):
                index["allow_restricted_indices"] = False
            return 200, {"role": {"created": True}}
        if parts[:2] == ["_security", "user"]:
            name = parts[2]
            if len(parts) == 4 and parts[3] == "_password":
                self.passwords[name] = body["password"]
                return 200, {}
            if method == "GET":
                held = self.users.get(name)
                return (200, {name: dict(held, username=name, enabled=True, metadata={})}) if held else (404, {})
            self.users[name] = {"roles": body["roles"]}
            self.passwords[name] = body["password"]
            return 200, {"created": True}
        if parts[:2] == ["_ilm", "policy"]:
            name = parts[2]
            if method == "GET":
                held = self.policies.get(name)
                return (200, {name: {"version": 1, "modified_date": "2026-12-06", "policy": held}}) if held \
                    else (404, {})
            policy = copy.deepcopy(body["policy"])
            policy["phases"]["delete"]["actions"]["delete"]["delete_searchable_snapshot"] = True
            self.policies[name] = policy
            return 200, {"acknowledged": True}
        if parts[0] == "_index_template":
            name = parts[1]
            if method == "GET":
                held = self.templates.get(name)
                return (200, {"index_templates": [{"name": name, "index_template": held}]}) if held else (404, {})
            template = copy.deepcopy(body)
            template["data_stream"] = {"hidden": False, "allow_custom_routing": False}
            self.templates[name] = template
            return 200, {"acknowledged": True}
        return 400, {"error": "unexpected %s %s" % (method, path)}


class FakeClient:
    def __init__(self, server, user, password):
        self.server, self.user, self.password, self.url = server, user, password, "https://127.0.0.1:9200"

    def as_user(self, user, password):
        return FakeClient(self.server, user, password)

    def request(self, method, path, body=None):
        return self.server.answer(self.user, self.password, method, path, copy.deepcopy(body))


class Failed(Exception):
    pass


class FakeModule:
    """What ensure() uses of AnsibleModule; run_command stands for elasticsearch-reset-password."""

    def __init__(self, server, check_mode=False, reset_rc=0):
        self.server, self.check_mode, self.reset_rc = server, check_mode, reset_rc
        self.commands = []

    def run_command(self, argv, data=None):
        self.commands.append(argv)
        if self.reset_rc == 0:
            self.server.passwords[argv[argv.index("--username") + 1]] = data.split("\n")[0]
        return self.reset_rc, "", "ERROR: cannot reach the cluster"

    def fail_json(self, **result):
        raise Failed(result)


def params(reset=True):
    objects = logs_config.elastic_objects(INPUTS)
    return dict(objects, login_password=SUPER,
                reset_password_command="/usr/share/elasticsearch/bin/elasticsearch-reset-password" if reset else None)


def run(server, check_mode=False, reset=True, reset_rc=0):
    module = FakeModule(server, check_mode, reset_rc)
    return eo.ensure(module, server.client("elastic", SUPER), params(reset)), module


def test_a_fresh_node_gets_everything_then_a_rerun_writes_nothing():
    server = FakeElasticsearch({"elastic": "made-by-the-package", "kibana_system": "made-by-the-package"})
    result, module = run(server)
    assert result["changed"] is True
    assert result["changes"] == ["password of elastic", "role rainbow_edge_logs_writer", "password of kibana_system",
                                 "user rainbow_edge_logstash with roles rainbow_edge_logs_writer",
                                 "ILM policy rainbow-edge-logs", "index template rainbow-edge-logs"]
    assert module.commands[0][1:] == ["--username", "elastic", "--interactive", "--batch", "--url",
                                      "https://127.0.0.1:9200"]
    assert server.passwords["rainbow_edge_logstash"] == INPUTS["logs_logstash_password"]
    assert server.policies["rainbow-edge-logs"]["phases"]["delete"]["min_age"] == "365d"
    writes = len(server.writes)
    again, module = run(server)
    assert again == {"changed": False, "changes": []}
    assert len(server.writes) == writes and module.commands == []


def test_check_mode_reports_and_writes_nothing():
    server = FakeElasticsearch({"elastic": SUPER, "kibana_system": "made-by-the-package"})
    result, _module = run(server, check_mode=True)
    assert result["changed"] is True and "password of kibana_system" in result["changes"]
    assert server.writes == [] and server.passwords["kibana_system"] == "made-by-the-package"


def test_check_mode_with_the_package_s_password_reports_the_reset_only():
    server = FakeElasticsearch({"elastic": "made-by-the-package"})
    result, module = run(server, check_mode=True)
    assert result == {"changed": True, "changes": ["password of elastic"]} and module.commands == []


def test_a_changed_retention_or_password_is_written_again():
    server = FakeElasticsearch({"elastic": SUPER, "kibana_system": "x"})
    run(server)
    changed_inputs = dict(INPUTS, logs_retention_days=30, logs_logstash_password="rotated-logstash-0123456789")
    module = FakeModule(server)
    result = eo.ensure(module, server.client("elastic", SUPER),
                       dict(logs_config.elastic_objects(changed_inputs), login_password=SUPER,
                            reset_password_command=None))
    assert result["changes"] == ["password of rainbow_edge_logstash", "ILM policy rainbow-edge-logs"]
    assert server.policies["rainbow-edge-logs"]["phases"]["delete"]["min_age"] == "30d"


def test_a_refused_superuser_without_a_reset_command_fails_naming_it():
    server = FakeElasticsearch({"elastic": "made-by-the-package"})
    with pytest.raises(Failed) as failed:
        run(server, reset=False)
    assert "refuses login_password for elastic" in failed.value.args[0]["msg"]


def test_a_failed_reset_fails_with_what_the_tool_said_and_no_password():
    server = FakeElasticsearch({"elastic": "made-by-the-package"})
    with pytest.raises(Failed) as failed:
        run(server, reset_rc=65)
    message = failed.value.args[0]["msg"]
    assert "cannot reach the cluster" in message and "rc 65" in message and SUPER not in message


@pytest.mark.parametrize("actual, wanted, expected", [
    ({"a": 1, "b": 2}, {"a": 1}, True),
    ({"a": {"x": "0"}}, {"a": {"x": 0}}, True),
    ({"a": ["y", "x"]}, {"a": ["x", "y"]}, True),
    ({"a": ["x"]}, {"a": ["x", "y"]}, False),
    ({"a": [{"n": 1, "extra": 2}]}, {"a": [{"n": 1}]}, True),
    ({"a": True}, {"a": "true"}, False),
    (None, {}, False),
    ({}, {"a": None}, False),
])
def test_what_elasticsearch_holds_contains_what_is_given(actual, wanted, expected):
    assert eo.contains(actual, wanted) is expected


def test_waiting_returns_the_last_error_after_the_timeout():
    class Down:
        def request(self, method, path, body=None):
            raise ConnectionRefusedError("connection refused")
    times = iter([0, 10, 200])
    assert "connection refused" in eo.wait_until_answering(Down(), 180, sleep=lambda s: None,
                                                           clock=lambda: next(times))
