"""The lab's connection plugin (molecule/shared/connection_plugins/podman_runc.py), without containers:
the runc command lines it builds and the errors it raises. The scenarios run it for real."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ansible.errors import AnsibleConnectionFailure
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

ROOT = Path(__file__).resolve().parents[3]
CONTAINER_ID = "7c851df326225a97d334245a763a387a9ebecd0fd3212faa4e8b23abdd580389"


class FakeRun:
    """subprocess.run stand-in: records each call, answers from a list."""

    def __init__(self, *answers):
        self.calls = []
        self.answers = list(answers)

    def __call__(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        rc, out, err = self.answers.pop(0) if self.answers else (0, b"", b"")
        if kwargs.get("stdout") not in (None, subprocess.PIPE):
            kwargs["stdout"].write(out)
            out = None
        return subprocess.CompletedProcess(argv, rc, out, err)


@pytest.fixture()
def connect(monkeypatch):
    connection_loader.add_directory(str(ROOT / "molecule" / "shared" / "connection_plugins"))

    def _connect(address, *answers):
        fake = FakeRun(*answers)
        monkeypatch.setattr(subprocess, "run", fake)
        conn = connection_loader.get("podman_runc", PlayContext(), None)
        conn.set_options(var_options={"inventory_hostname": "gk-a", "ansible_host": address})
        return conn, fake

    return _connect


def test_a_command_runs_through_runc_exec_with_its_input(connect):
    conn, fake = connect(CONTAINER_ID, (0, b"out", b""))
    assert conn.exec_command("echo 'hi there'", in_data=b"module") == (0, b"out", b"")
    argv, kwargs = fake.calls[0]
    assert argv == ["runc", "--root", "/run/runc", "exec", CONTAINER_ID, "/bin/sh", "-c", "echo 'hi there'"]
    assert kwargs["input"] == b"module"


def test_a_command_without_input_reads_nothing_from_the_controller(connect):
    conn, fake = connect(CONTAINER_ID)
    conn.exec_command("true")
    assert fake.calls[0][1]["stdin"] is subprocess.DEVNULL


def test_a_name_is_resolved_to_the_container_id_once(connect):
    conn, fake = connect("gk-a", (0, CONTAINER_ID.encode() + b"\n", b""))
    conn.exec_command("true")
    conn.exec_command("true")
    assert fake.calls[0][0][:3] == ["podman", "container", "inspect"]
    assert [argv[4] for argv, _kwargs in fake.calls[1:]] == [CONTAINER_ID, CONTAINER_ID]


def test_an_unknown_name_is_a_connection_failure(connect):
    conn, _fake = connect("nope", (125, b"", b"Error: no such container nope"))
    with pytest.raises(AnsibleConnectionFailure, match="no podman container nope"):
        conn.exec_command("true")


def test_a_failing_command_returns_its_status(connect):
    conn, _fake = connect(CONTAINER_ID, (3, b"", b"boom"))
    assert conn.exec_command("exit 3") == (3, b"", b"boom")


def test_a_stopped_container_is_a_connection_failure_not_a_task_result(connect):
    conn, _fake = connect(CONTAINER_ID, (1, b"", b'level=error msg="exec failed: container does not exist"'))
    with pytest.raises(AnsibleConnectionFailure, match=r"\(ID 7c851df32622\) is not running"):
        conn.exec_command("true")


def test_put_file_streams_the_file_to_a_quoted_path(connect, tmp_path):
    source = tmp_path / "module.py"
    source.write_bytes(b"payload")
    conn, fake = connect(CONTAINER_ID)
    conn.put_file(str(source), "/root/.ansible/tmp/a b")
    argv, kwargs = fake.calls[0]
    assert argv[-3:] == ["/bin/sh", "-c", "cat > '/root/.ansible/tmp/a b'"]
    assert kwargs["stdin"].name == str(source).encode()


def test_fetch_file_writes_what_cat_printed(connect, tmp_path):
    conn, fake = connect(CONTAINER_ID, (0, b"remote bytes", b""))
    target = tmp_path / "fetched"
    conn.fetch_file("/etc/hostname", str(target))
    assert fake.calls[0][0][-3:] == ["cat", "--", "/etc/hostname"]
    assert target.read_bytes() == b"remote bytes"
