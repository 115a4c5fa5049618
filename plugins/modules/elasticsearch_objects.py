#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make Elasticsearch hold the users, roles, ILM policies and index templates it is given."""

from __future__ import annotations

DOCUMENTATION = r"""
module: elasticsearch_objects
short_description: Make Elasticsearch hold the given users, roles, lifecycle policies and index templates
description:
  - Talks to Elasticsearch's REST API (on the host it runs on, over TLS checked against O(ca_path)) as the
    superuser O(login_user).
  - Waits, at most O(wait_timeout) seconds, until Elasticsearch answers.
  - When Elasticsearch refuses O(login_password) and O(reset_password_command) is given (a first start, whose
    superuser has the password the package made, or a rotation), runs it to set that password, then goes on.
  - Each role, ILM policy and index template is read first and written only when what Elasticsearch holds does
    not contain what is given (Elasticsearch adds defaults of its own, which are not differences).
  - Each user's password is tried; a refused one is set. A reserved (built-in) user only gets its password;
    another user is created with its roles, or updated when its roles differ.
  - Passwords are never returned or logged.
version_added: 0.1.0
author:
  - Rainbow Edge engineering (@rainbow-edge)
options:
  url:
    description: Elasticsearch's HTTP endpoint.
    type: str
    default: https://127.0.0.1:9200
  ca_path:
    description: The CA certificate Elasticsearch's certificate is checked against (the Edge's CA).
    type: path
    required: true
  login_user:
    description: The superuser the module acts as.
    type: str
    default: elastic
  login_password:
    description: Its password (never logged).
    type: str
    required: true
  reset_password_command:
    description:
      - C(elasticsearch-reset-password), run with C(--interactive --batch) and the password on its standard input
        when Elasticsearch refuses O(login_password). Empty - a refused login fails the module.
    type: path
  wait_timeout:
    description: Seconds to wait for Elasticsearch to answer.
    type: int
    default: 180
  users:
    description: Users and their passwords.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The user name.
        type: str
        required: true
      password:
        description: Its password (never logged).
        type: str
        required: true
      roles:
        description: Its roles (not for a reserved user).
        type: list
        elements: str
        default: []
      reserved:
        description: A built-in user (such as C(kibana_system)), whose password only is set.
        type: bool
        default: false
  roles:
    description: Role name to its definition (C(PUT /_security/role/<name>)'s body).
    type: dict
    default: {}
  ilm_policies:
    description: Policy name to its C(policy) (C(PUT /_ilm/policy/<name>)'s C(policy)).
    type: dict
    default: {}
  index_templates:
    description: Composable index template name to its body (C(PUT /_index_template/<name>)).
    type: dict
    default: {}
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads and compares, and reports what it would write; writes nothing and resets no password.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: The Edge's logs objects in Elasticsearch
  rainbow.edge.elasticsearch_objects:
    ca_path: /etc/elasticsearch/rainbow-edge/ca.crt
    login_password: "{{ logs_elastic_password }}"
    reset_password_command: /usr/share/elasticsearch/bin/elasticsearch-reset-password
    users:
      - {name: kibana_system, password: "{{ logs_kibana_system_password }}", reserved: true}
      - {name: rainbow_edge_logstash, password: "{{ logs_logstash_password }}", roles: [rainbow_edge_logs_writer]}
    roles:
      rainbow_edge_logs_writer:
        indices: [{names: [logs-rainbow_edge-*], privileges: [auto_configure, create_doc]}]
    ilm_policies:
      rainbow-edge-logs:
        phases:
          delete: {min_age: 365d, actions: {delete: {}}}
"""

RETURN = r"""
changes:
  description: What was written (or, in check mode, would be), one line each; never a password.
  returned: always
  type: list
  elements: str
  sample: ["password of elastic", "role rainbow_edge_logs_writer", "ILM policy rainbow-edge-logs"]
"""

import base64
import json
import time
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.error import HTTPError, URLError
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

POLL_SECONDS = 2.0


class Refused(Exception):
    """Elasticsearch answered 401 to the credentials used."""


class Client:
    """Elasticsearch's REST API over TLS, as one user: ``request`` returns (status, decoded body)."""

    def __init__(self, url: str, ca_path: str, user: str, password: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.ca_path = ca_path
        self.user = user
        self.password = password
        self.timeout = timeout

    def as_user(self, user: str, password: str) -> "Client":
        return Client(self.url, self.ca_path, user, password, self.timeout)

    def request(self, method: str, path: str, body: Optional[Any] = None) -> Tuple[int, Any]:
        token = base64.b64encode(("%s:%s" % (self.user, self.password)).encode()).decode()
        headers = {"Authorization": "Basic " + token, "Content-Type": "application/json"}
        data = json.dumps(body) if body is not None else None
        try:
            response = open_url(self.url + path, method=method, data=data, headers=headers, ca_path=self.ca_path,
                                validate_certs=True, timeout=self.timeout)
            status, text = response.getcode(), response.read()
        except HTTPError as error:
            status, text = error.code, error.read()
        try:
            decoded = json.loads(text) if text else None
        except ValueError:
            decoded = {"raw": text.decode(errors="replace")[:300]}
        return status, decoded


def contains(actual: Any, wanted: Any) -> bool:
    """Whether ``actual`` (what Elasticsearch returned) holds ``wanted``: dicts by their given keys, lists of
    scalars as sets, other lists item by item, scalars equal (numbers and strings compared as text)."""
    if isinstance(wanted, Mapping):
        return isinstance(actual, Mapping) and all(key in actual and contains(actual[key], value)
                                                   for key, value in wanted.items())
    if isinstance(wanted, list):
        if not isinstance(actual, list):
            return False
        if all(not isinstance(item, (Mapping, list)) for item in wanted):
            return sorted(str(item) for item in actual) == sorted(str(item) for item in wanted)
        return len(actual) == len(wanted) and all(contains(a, w) for a, w in zip(actual, wanted))
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual == wanted
    return str(actual) == str(wanted)


class Objects:
    """Reads, compares and writes; ``changes`` lists what was (or would be) written."""

    def __init__(self, client: Client, check_mode: bool):
        self.client = client
        self.check_mode = check_mode
        self.changes: List[str] = []

    def _call(self, method: str, path: str, body: Optional[Any] = None, ok: Tuple[int, ...] = (200,)) -> Any:
        status, answer = self.client.request(method, path, body)
        if status == 401:
            raise Refused()
        if status not in ok:
            raise RuntimeError("%s %s: Elasticsearch answered %d: %s" % (method, path, status, _reason(answer)))
        return status, answer

    def _write(self, change: str, method: str, path: str, body: Any) -> None:
        self.changes.append(change)
        if not self.check_mode:
            self._call(method, path, body)

    def role(self, name: str, wanted: Mapping[str, Any]) -> None:
        path = "/_security/role/" + quote(name, safe="")
        status, answer = self._call("GET", path, ok=(200, 404))
        if status == 404 or not contains((answer or {}).get(name), wanted):
            self._write("role " + name, "PUT", path, wanted)

    def ilm_policy(self, name: str, wanted: Mapping[str, Any]) -> None:
        path = "/_ilm/policy/" + quote(name, safe="")
        status, answer = self._call("GET", path, ok=(200, 404))
        if status == 404 or not contains(((answer or {}).get(name) or {}).get("policy"), wanted):
            self._write("ILM policy " + name, "PUT", path, {"policy": wanted})

    def index_template(self, name: str, wanted: Mapping[str, Any]) -> None:
        path = "/_index_template/" + quote(name, safe="")
        status, answer = self._call("GET", path, ok=(200, 404))
        held = [item.get("index_template") for item in (answer or {}).get("index_templates", [])
                if item.get("name") == name] if status == 200 else []
        if not held or not contains(held[0], wanted):
            self._write("index template " + name, "PUT", path, wanted)

    def user(self, user: Mapping[str, Any]) -> None:
        name = user["name"]
        path = "/_security/user/" + quote(name, safe="")
        if not user.get("reserved"):
            roles = list(user.get("roles") or [])
            status, answer = self._call("GET", path, ok=(200, 404))
            held = (answer or {}).get(name) if status == 200 else None
            if held is None or not contains(held.get("roles"), roles):
                self._write("user %s with roles %s" % (name, ", ".join(roles) or "none"), "PUT", path,
                            {"password": user["password"], "roles": roles})
                return
        status, answer = self.client.as_user(name, user["password"]).request("GET", "/_security/_authenticate")
        if status == 401:
            self._write("password of " + name, "PUT", path + "/_password", {"password": user["password"]})
        elif status != 200:
            raise RuntimeError("GET /_security/_authenticate as %s: Elasticsearch answered %d: %s"
                               % (name, status, _reason(answer)))


def _reason(answer: Any) -> str:
    if isinstance(answer, Mapping):
        error = answer.get("error")
        if isinstance(error, Mapping):
            return str(error.get("reason") or error.get("type") or error)[:300]
        if error:
            return str(error)[:300]
    return json.dumps(answer)[:300] if answer is not None else "no body"


def wait_until_answering(client: Client, timeout: float, sleep=time.sleep, clock=time.monotonic) -> Optional[str]:
    """None once Elasticsearch answers (any HTTP status), or the last error after ``timeout`` seconds."""
    deadline = clock() + timeout
    while True:
        try:
            status, answer = client.request("GET", "/_security/_authenticate")
            if status != 503:
                return None
            last = "503: %s" % _reason(answer)
        except (URLError, OSError, ValueError) as error:
            last = str(getattr(error, "reason", error))
        if clock() >= deadline:
            return last
        sleep(POLL_SECONDS)


def ensure(module: AnsibleModule, client: Client, params: Mapping[str, Any]) -> Dict[str, Any]:
    """Everything the module does once Elasticsearch answers; the result to exit with."""
    objects = Objects(client, module.check_mode)
    status, _answer = client.request("GET", "/_security/_authenticate")
    if status == 401:
        command = params.get("reset_password_command")
        if not command:
            module.fail_json(msg="Elasticsearch refuses login_password for %s" % client.user, changes=[])
        objects.changes.append("password of " + client.user)
        if module.check_mode:
            # The rest cannot be read without the password: reported as it stands.
            return {"changed": True, "changes": objects.changes}
        password = params["login_password"]
        rc, out, err = module.run_command([command, "--username", client.user, "--interactive", "--batch",
                                           "--url", client.url], data="%s\n%s" % (password, password))
        if rc != 0:
            module.fail_json(msg="%s could not set the password of %s (rc %d): %s"
                             % (command, client.user, rc, (err or out).strip()[-500:]), changes=objects.changes)
        status, _answer = client.request("GET", "/_security/_authenticate")
        if status == 401:
            module.fail_json(msg="Elasticsearch still refuses login_password for %s after %s"
                             % (client.user, command), changes=objects.changes)
    for name, body in sorted(params["roles"].items()):
        objects.role(name, body)
    for user in params["users"]:
        objects.user(user)
    for name, policy in sorted(params["ilm_policies"].items()):
        objects.ilm_policy(name, policy)
    for name, body in sorted(params["index_templates"].items()):
        objects.index_template(name, body)
    return {"changed": bool(objects.changes), "changes": objects.changes}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "default": "https://127.0.0.1:9200"},
            "ca_path": {"type": "path", "required": True},
            "login_user": {"type": "str", "default": "elastic"},
            "login_password": {"type": "str", "required": True, "no_log": True},
            "reset_password_command": {"type": "path"},
            "wait_timeout": {"type": "int", "default": 180},
            "users": {"type": "list", "elements": "dict", "default": [], "options": {
                "name": {"type": "str", "required": True},
                "password": {"type": "str", "required": True, "no_log": True},
                "roles": {"type": "list", "elements": "str", "default": []},
                "reserved": {"type": "bool", "default": False},
            }},
            "roles": {"type": "dict", "default": {}},
            "ilm_policies": {"type": "dict", "default": {}},
            "index_templates": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    params = module.params
    client = Client(params["url"], params["ca_path"], params["login_user"], params["login_password"])
    waited = wait_until_answering(client, params["wait_timeout"])
    if waited is not None:
        module.fail_json(msg="Elasticsearch at %s did not answer in %d s: %s"
                         % (client.url, params["wait_timeout"], waited), changes=[])
    try:
        module.exit_json(**ensure(module, client, params))
    except Refused:
        module.fail_json(msg="Elasticsearch refused the login of %s in the middle of the run" % client.user,
                         changes=[])
    except (RuntimeError, URLError, OSError) as error:
        module.fail_json(msg=str(error), changes=[])


if __name__ == "__main__":
    main()
