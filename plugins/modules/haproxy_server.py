#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drain a server of one haproxy backend, or make it ready again, through haproxy's runtime API."""

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_server
short_description: Drain one server of an haproxy backend, or make it ready again, and wait for the result
description:
  - Talks to haproxy's runtime API (its admin socket) on the load balancer it runs on.
  - V(drain) sends no new request or connection to the server and waits, at most O(timeout) seconds, until its
    sessions in flight have ended; sessions still open then (WebSockets, long polls) are returned in RV(sessions),
    not treated as a failure, so that the caller can stop the server, whose clients reconnect to another.
  - V(ready) returns the server to the backend and waits, at most O(timeout) seconds, until haproxy's health
    check sees it up; it fails, naming the check's result, when it does not come up.
  - A load balancer without haproxy's socket, or whose configuration has no such server yet (a first
    deployment), has nothing to drain; RV(found) is false and nothing changes.
version_added: 0.1.0
author:
  - Rainbow Edge engineering (@rainbow-edge)
options:
  socket:
    description: haproxy's admin socket (C(stats socket ... level admin) of the shared haproxy configuration).
    type: path
    default: /run/haproxy/admin.sock
  backend:
    description: The backend's name (a declared C(lb_backends) name).
    type: str
    required: true
  server:
    description: The server's name in the backend (the declaring host's inventory name).
    type: str
    required: true
  state:
    description: V(drain) or V(ready).
    type: str
    required: true
    choices: [drain, ready]
  timeout:
    description: Seconds to wait for the sessions to end (V(drain)) or the health check to pass (V(ready)).
    type: int
    default: 30
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the server's state and reports the change it would make; sends nothing and waits for nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Drain the application server on every load balancer
  rainbow.edge.haproxy_server:
    backend: api
    server: "{{ inventory_hostname }}"
    state: drain
    timeout: 30
  delegate_to: "{{ item }}"
  loop: "{{ groups['private_lb'] + groups['public_lb'] }}"

- name: Make it ready again once its health check passes
  rainbow.edge.haproxy_server:
    backend: api
    server: "{{ inventory_hostname }}"
    state: ready
  delegate_to: "{{ item }}"
  loop: "{{ groups['private_lb'] + groups['public_lb'] }}"
"""

RETURN = r"""
found:
  description: Whether this haproxy serves that server (false when it has no socket or no such server).
  returned: always
  type: bool
status:
  description: The server's status as haproxy reports it at the end (C(UP), C(DRAIN), C(DOWN), ...).
  returned: when found
  type: str
  sample: DRAIN
sessions:
  description: The server's sessions still open at the end.
  returned: when found
  type: int
waited:
  description: Seconds spent waiting.
  returned: when found
  type: float
"""

import csv
import os
import socket
import time

from ansible.module_utils.basic import AnsibleModule

POLL_SECONDS = 0.5
# srv_admin_state bits set by the runtime API (haproxy's server.h): forced maintenance, forced drain.
FORCED_MAINT = 0x01
FORCED_DRAIN = 0x08


class RuntimeAPI:
    """One command per connection to haproxy's admin socket (its non-interactive mode)."""

    def __init__(self, path: str, timeout: float = 10.0):
        self.path = path
        self.timeout = timeout

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(self.timeout)
            connection.connect(self.path)
            connection.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def admin_state(self, backend: str, server: str) -> int:
        """The server's administrative state bits (``show servers state``): forced drain, maintenance."""
        lines = self.command("show servers state %s" % backend).splitlines()
        header = next((line[2:].split() for line in lines if line.startswith("# ")), [])
        for line in lines:
            fields = line.split()
            if header and len(fields) >= len(header) and not line.startswith("#"):
                row = dict(zip(header, fields))
                if row.get("srv_name") == server:
                    return int(row.get("srv_admin_state") or 0)
        return 0

    def server_stat(self, backend: str, server: str):
        """The ``show stat`` row of ``backend``/``server`` as a dict, or None."""
        text = self.command("show stat").lstrip("# ")
        for row in csv.DictReader(text.splitlines()):
            if row.get("pxname") == backend and row.get("svname") == server:
                return row
        return None


def _sessions(row) -> int:
    return int(row.get("scur") or 0)


def _set_and_wait(api: RuntimeAPI, backend: str, server: str, state: str, changed: bool, done, timeout: float,
                  check_mode: bool, clock, sleep) -> dict:
    """Send ``set server ... state <state>`` when ``changed``, then poll until ``done(row)`` or ``timeout``."""
    row = api.server_stat(backend, server)
    if check_mode:
        return {"found": True, "changed": changed, "status": row["status"], "sessions": _sessions(row), "waited": 0.0}
    if changed:
        _expect_empty(api.command("set server %s/%s state %s" % (backend, server, state)))
    start = clock()
    row = api.server_stat(backend, server)
    while not done(row) and clock() - start < timeout:
        sleep(POLL_SECONDS)
        row = api.server_stat(backend, server)
    return {"found": True, "changed": changed, "status": row["status"], "sessions": _sessions(row),
            "waited": round(clock() - start, 1), "done": done(row)}


def drain(api: RuntimeAPI, backend: str, server: str, timeout: float, check_mode: bool, clock=time.monotonic,
          sleep=time.sleep) -> dict:
    """No new sessions to the server; wait for those in flight (what remains is returned, not a failure)."""
    if api.server_stat(backend, server) is None:
        return {"found": False, "changed": False}
    changed = not api.admin_state(backend, server) & FORCED_DRAIN
    result = _set_and_wait(api, backend, server, "drain", changed, lambda row: _sessions(row) == 0, timeout,
                           check_mode, clock, sleep)
    result.pop("done", None)
    return result


def ready(api: RuntimeAPI, backend: str, server: str, timeout: float, check_mode: bool, clock=time.monotonic,
          sleep=time.sleep) -> dict:
    """The server back in the backend; fails when haproxy's health check does not see it up in time."""
    if api.server_stat(backend, server) is None:
        return {"found": False, "changed": False}
    # A drained server whose check fails shows DOWN, not DRAIN: its administrative state tells.
    changed = bool(api.admin_state(backend, server) & (FORCED_DRAIN | FORCED_MAINT))
    result = _set_and_wait(api, backend, server, "ready", changed, lambda row: row["status"] == "UP", timeout,
                           check_mode, clock, sleep)
    if not result.pop("done", True):
        row = api.server_stat(backend, server)
        result["failed"] = True
        result["msg"] = ("%s/%s is %s, not UP, %d s after it was made ready: its health check says %s %s"
                         % (backend, server, row["status"], timeout, row.get("check_status") or "-",
                            row.get("last_chk") or ""))
    return result


def _expect_empty(answer: str) -> None:
    """haproxy answers a successful ``set server`` with an empty line; anything else is its refusal."""
    if answer.strip():
        raise RuntimeError(answer.strip())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            socket=dict(type="path", default="/run/haproxy/admin.sock"),
            backend=dict(type="str", required=True),
            server=dict(type="str", required=True),
            state=dict(type="str", required=True, choices=["drain", "ready"]),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not os.path.exists(params["socket"]):
        module.exit_json(changed=False, found=False)
    api = RuntimeAPI(params["socket"])
    action = drain if params["state"] == "drain" else ready
    try:
        result = action(api, params["backend"], params["server"], params["timeout"], module.check_mode)
    except (OSError, RuntimeError) as error:
        module.fail_json(msg="haproxy's runtime API at %s refused %s/%s %s: %s"
                         % (params["socket"], params["backend"], params["server"], params["state"], error))
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
