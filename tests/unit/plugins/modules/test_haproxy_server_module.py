"""The haproxy_server module against a stand-in of haproxy's runtime API (a unix socket speaking its protocol)."""

import itertools
import socket
import threading

import pytest

from ansible_collections.rainbow.edge.plugins.modules import haproxy_server

HEADER = "# pxname,svname,qcur,scur,status,check_status,last_chk\n"


class FakeHaproxy:
    """One backend's servers: status and sessions; sessions end one per poll once draining."""

    def __init__(self, path, servers):
        self.servers = servers
        self.commands = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            with connection:
                line = connection.makefile().readline().strip()
                self.commands.append(line)
                connection.sendall(self.answer(line).encode())

    def answer(self, line):
        if line == "show stat":
            rows = ["api,%s,0,%d,%s,%s,%s" % (name, server["scur"], server["status"],
                                              server.get("check_status", "L7OK"),
                                              server.get("last_chk", "HTTP status check returned code <200>"))
                    for name, server in self.servers.items()]
            for server in self.servers.values():
                if server["status"] == "DRAIN" and server["scur"] > server.get("stuck", 0):
                    server["scur"] -= 1
            return HEADER + "\n".join(rows) + "\n\n"
        words = line.split()
        if words[:3] == ["show", "servers", "state"]:
            # The fields this module reads, in haproxy's order (a real answer has more).
            rows = ["1 api %d %s 10.20.16.%d 2 %d" % (index, name, 20 + index, s.get("admin", 0))
                    for index, (name, s) in enumerate(self.servers.items(), 1)]
            return "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n" + "\n".join(rows) + "\n\n"
        if words[:2] == ["set", "server"] and words[3] == "state":
            backend, name = words[2].split("/")
            if backend != "api" or name not in self.servers:
                return "No such server.\n"
            server = self.servers[name]
            server["admin"] = 0x08 if words[4] == "drain" else 0
            health = server.get("health", "UP")
            server["status"] = ("DRAIN" if health == "UP" else health) if words[4] == "drain" else health
            return "\n"
        return "Unknown command.\n"

    def close(self):
        self.listener.close()


@pytest.fixture
def lb(tmp_path):
    fake = FakeHaproxy(tmp_path / "admin.sock", {"api1": {"status": "UP", "scur": 3},
                                                 "api2": {"status": "UP", "scur": 1}})
    yield fake, haproxy_server.RuntimeAPI(str(tmp_path / "admin.sock"))
    fake.close()


def no_sleep(_seconds):
    pass


def test_drain_waits_until_the_sessions_in_flight_have_ended(lb):
    fake, api = lb
    result = haproxy_server.drain(api, "api", "api1", 30, False, sleep=no_sleep)
    assert result == dict(result, found=True, changed=True, status="DRAIN", sessions=0)
    assert "set server api/api1 state drain" in fake.commands
    assert fake.servers["api2"]["status"] == "UP"


def test_sessions_still_open_after_the_timeout_are_returned_not_failed(lb):
    fake, api = lb
    fake.servers["api1"]["stuck"] = 1  # a WebSocket
    times = itertools.count(0, 5)
    result = haproxy_server.drain(api, "api", "api1", 60, False, clock=lambda: next(times), sleep=no_sleep)
    assert result["sessions"] == 1 and result["status"] == "DRAIN" and "failed" not in result


def test_a_drained_server_is_not_drained_again(lb):
    fake, api = lb
    fake.servers["api1"].update(status="DRAIN", scur=0, admin=0x08)
    result = haproxy_server.drain(api, "api", "api1", 30, False, sleep=no_sleep)
    assert result["changed"] is False
    assert not any(command.startswith("set") for command in fake.commands)


def test_a_drained_server_whose_check_failed_is_made_ready_too(lb):
    """haproxy shows such a server DOWN, not DRAIN: the administrative state says it is drained."""
    fake, api = lb
    fake.servers["api1"].update(status="DOWN", scur=0, admin=0x08)
    result = haproxy_server.ready(api, "api", "api1", 30, False, sleep=no_sleep)
    assert result["changed"] is True and result["status"] == "UP"


def test_ready_waits_for_the_health_check(lb):
    fake, api = lb
    fake.servers["api1"].update(status="DRAIN", scur=0, admin=0x08)
    result = haproxy_server.ready(api, "api", "api1", 30, False, sleep=no_sleep)
    assert result["changed"] is True and result["status"] == "UP"
    assert "set server api/api1 state ready" in fake.commands


def test_a_server_that_stays_down_fails_naming_its_check(lb):
    fake, api = lb
    fake.servers["api1"].update(status="DRAIN", scur=0, admin=0x08, health="DOWN", check_status="L4CON",
                                last_chk="Connection refused")
    times = itertools.count(0, 5)
    result = haproxy_server.ready(api, "api", "api1", 10, False, clock=lambda: next(times), sleep=no_sleep)
    assert result["failed"] is True
    assert "DOWN" in result["msg"] and "L4CON" in result["msg"] and "Connection refused" in result["msg"]


def test_an_unknown_server_has_nothing_to_drain(lb):
    fake, api = lb
    assert haproxy_server.drain(api, "api", "api9", 30, False, sleep=no_sleep) == {"found": False, "changed": False}
    assert haproxy_server.drain(api, "xmpp-http", "api1", 30, False, sleep=no_sleep)["found"] is False


def test_check_mode_reports_the_change_and_sends_nothing(lb):
    fake, api = lb
    assert haproxy_server.drain(api, "api", "api1", 30, True, sleep=no_sleep)["changed"] is True
    assert not any(command.startswith("set") for command in fake.commands)
    assert fake.servers["api1"]["status"] == "UP"


def test_a_refused_command_is_an_error_with_haproxy_s_words(lb, monkeypatch):
    fake, api = lb
    monkeypatch.setattr(fake, "answer", lambda line: (HEADER + "api,api1,0,0,UP,L7OK,\n") if line == "show stat"
                        else "" if line.startswith("show servers") else "Require 'admin' level.\n")
    with pytest.raises(RuntimeError, match="admin"):
        haproxy_server.drain(api, "api", "api1", 30, False, sleep=no_sleep)
