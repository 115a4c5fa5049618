# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rainbow.edge.systemd_units against a test double of systemctl on PATH.

The double keeps unit states in a JSON file and logs every call; the real
systemctl is exercised by the scenarios whose roles use the module.
"""

import json
import os
import stat

import pytest

from ansible_collections.rainbow.edge.plugins.modules import systemd_units

FAKE_SYSTEMCTL = r'''#!/usr/bin/env python3
import json, os, sys
path = os.environ["FAKE_SYSTEMCTL_STATE"]
state = json.load(open(path))
verb, args = sys.argv[1], [a for a in sys.argv[2:] if a != "--" and not a.startswith("--property")]
with open(path + ".log", "a") as log:
    log.write(" ".join([verb] + args) + "\n")
if verb == "show":
    blocks = []
    for name in args:
        u = state.get(name, {"LoadState": "not-found", "ActiveState": "inactive", "UnitFileState": ""})
        blocks.append("Id=%s.service\n" % name + "".join("%s=%s\n" % kv for kv in u.items()))
    sys.stdout.write("\n".join(blocks))
elif verb in ("start", "stop", "enable", "disable"):
    for name in args:
        if verb == "start" and name in state.get("_fail", []):
            sys.stderr.write("Job for %s.service failed.\n" % name)
            sys.exit(1)
        key, value = {"start": ("ActiveState", "active"), "stop": ("ActiveState", "inactive"),
                      "enable": ("UnitFileState", "enabled"), "disable": ("UnitFileState", "disabled")}[verb]
        state[name][key] = value
    json.dump(state, open(path, "w"))
'''


@pytest.fixture
def systemctl(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    state_file = tmp_path / "units.json"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SYSTEMCTL_STATE", str(state_file))

    def setup(units, fail=()):
        state_file.write_text(json.dumps({**units, "_fail": list(fail)}))
        return lambda: (state_file.with_name("units.json.log").read_text().splitlines()
                        if state_file.with_name("units.json.log").exists() else [])
    return setup


def unit(active="inactive", file_state="disabled"):
    return {"LoadState": "loaded", "ActiveState": active, "UnitFileState": file_state}


def test_one_call_each_starts_and_enables_what_needs_it_and_a_rerun_changes_nothing(module_runner, systemctl):
    calls = systemctl({"a": unit(), "b": unit("active", "enabled"), "c": unit("failed", "enabled")})
    args = {"names": ["a", "b", "c"], "state": "started", "enabled": True, "daemon_reload": True}
    rc, result = module_runner(systemd_units.main, args)
    assert rc == 0 and result["changed"]
    assert (result["started"], result["enabled"]) == (["a", "c"], ["a"])
    assert calls() == ["daemon-reload", "show a b c", "enable a", "start a c"]
    rc, result = module_runner(systemd_units.main, args)
    assert rc == 0 and not result["changed"]
    assert calls()[4:] == ["daemon-reload", "show a b c"]


def test_check_mode_reports_and_changes_nothing(module_runner, systemctl):
    calls = systemctl({"a": unit("active", "enabled"), "x": unit()})
    args = {"names": ["a", "x"], "state": "stopped", "enabled": False, "daemon_reload": True, "_ansible_check_mode": True}
    rc, result = module_runner(systemd_units.main, args)
    assert rc == 0 and result["changed"] and result["stopped"] == ["a"] and result["disabled"] == ["a"]
    assert calls() == ["show a x"]


def test_a_missing_unit_to_start_stops_everything_before_any_change(module_runner, systemctl):
    calls = systemctl({"a": unit()})
    rc, result = module_runner(systemd_units.main, {"names": ["a", "typo"], "state": "started", "enabled": True})
    assert rc == 1 and result["failed"] and result["problems"] == ["typo: no such unit"]
    assert calls() == ["show a typo"]


def test_a_unit_that_fails_to_start_fails_the_task_with_systemd_message(module_runner, systemctl):
    systemctl({"a": unit(), "bad": unit()}, fail=["bad"])
    rc, result = module_runner(systemd_units.main, {"names": ["a", "bad"], "state": "started", "enabled": True})
    assert rc == 1 and "systemctl start a bad failed: Job for bad.service failed." in result["msg"]
