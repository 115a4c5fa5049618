# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection to the lab's podman containers through ``runc exec``.

Test lab only: molecule's shared config points Ansible here.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: podman_runc
short_description: Run tasks in the lab's rootful podman containers with runc exec
description:
  - Test lab only (C(molecule/shared)). Every task in a scenario starts one or more
    processes in a container; C(podman exec) spends most of its time starting podman
    itself (0.15 s idle, 0.7 to 1.5 s on a loaded 2-core machine), while C(runc exec)
    on the same container takes 0.06 to 0.09 s.
  - The process runs exactly as with C(podman exec) - same namespaces, capabilities,
    seccomp filter, cgroup and environment - because runc applies the container's own
    OCI config, the one podman handed it.
  - Needs root on the controller (rootful podman with the runc runtime), as the lab does.
options:
  remote_addr:
    description:
      - The container's full ID (what C(molecule/shared/create.yml) records as each
        host's address) or its name, resolved with C(podman inspect) at each connection.
    default: inventory_hostname
    type: str
    vars:
      - name: inventory_hostname
      - name: ansible_host
  runc_root:
    description: The state directory podman's runc runtime uses for rootful containers.
    default: /run/runc
    type: path
    vars:
      - name: ansible_podman_runc_root
    env:
      - name: ANSIBLE_PODMAN_RUNC_ROOT
"""

import re
import shlex
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible.utils.display import Display

display = Display()

_CONTAINER_ID = re.compile(r"^[0-9a-f]{64}$")
# What runc prints when the container it was given is not running.
_NOT_RUNNING = re.compile(rb"container does not exist|container not running|cannot exec in a (stopped|paused) container")


class Connection(ConnectionBase):
    """One ``runc exec`` per command, file transfer through ``cat``."""

    transport = "podman_runc"
    has_pipelining = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._container_id = None

    def _connect(self):
        super()._connect()
        if self._connected:
            return self
        address = self.get_option("remote_addr")
        if _CONTAINER_ID.match(address):
            self._container_id = address
        else:
            inspect = subprocess.run(
                ["podman", "container", "inspect", "--format", "{{.Id}}", address],
                capture_output=True, check=False,
            )
            if inspect.returncode != 0:
                raise AnsibleConnectionFailure(f"no podman container {address}: {to_text(inspect.stderr).strip()}")
            self._container_id = to_text(inspect.stdout).strip()
        self._connected = True
        return self

    def _runc_exec(self, argv, stdin=None, in_data=None, stdout=subprocess.PIPE):
        """Run argv in the container; raise if the container itself is not there."""
        command = ["runc", "--root", self.get_option("runc_root"), "exec", self._container_id, *argv]
        display.vvv(f"RUNC EXEC {shlex.join(argv)}", host=self._container_id[:12])
        try:
            proc = subprocess.run(
                command, input=in_data, stdin=None if in_data is not None else (stdin or subprocess.DEVNULL),
                stdout=stdout, stderr=subprocess.PIPE, check=False,
            )
        except FileNotFoundError as exc:
            raise AnsibleConnectionFailure("runc is not installed on the controller") from exc
        if proc.returncode != 0 and _NOT_RUNNING.search(proc.stderr or b""):
            raise AnsibleConnectionFailure(
                f"the container (ID {self._container_id[:12]}) is not running: {to_text(proc.stderr).strip()}"
            )
        return proc

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        proc = self._runc_exec(["/bin/sh", "-c", to_text(cmd)], in_data=in_data)
        return proc.returncode, proc.stdout, proc.stderr

    @ensure_connect
    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        try:
            with open(to_bytes(in_path), "rb") as source:
                proc = self._runc_exec(["/bin/sh", "-c", f"cat > {shlex.quote(out_path)}"], stdin=source)
        except OSError as exc:
            raise AnsibleError(f"cannot read {in_path}: {exc}") from exc
        if proc.returncode != 0:
            raise AnsibleError(f"failed to write {out_path} in the container: {to_text(proc.stderr).strip()}")

    @ensure_connect
    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        with open(to_bytes(out_path), "wb") as target:
            proc = self._runc_exec(["cat", "--", in_path], stdout=target)
        if proc.returncode != 0:
            raise AnsibleError(f"failed to read {in_path} in the container: {to_text(proc.stderr).strip()}")

    def close(self):
        super().close()
        self._connected = False
