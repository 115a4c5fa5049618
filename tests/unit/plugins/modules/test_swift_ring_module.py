# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rainbow.edge.swift_ring without Swift installed: the builder reader and swift-ring-builder are faked."""

import pytest

from ansible_collections.rainbow.edge.plugins.modules import swift_ring

DEVICES = [{"zone": zone, "ip": "10.20.6.1%d" % zone, "port": 6200, "device": disk}
           for zone in (1, 2, 3) for disk in ("d1", "d2", "d3")]


def state(**overrides):
    built = {
        "part_power": 14, "replicas": 3.0, "min_part_hours": 24,
        "devices": [dict(dev, id=index, region=1, weight=100.0) for index, dev in enumerate(DEVICES)],
        "min_part_seconds_left": 0, "devs_changed": False, "ever_rebalanced": True, "version": 3,
        "ring_file_exists": True,
    }
    built.update(overrides)
    return built


@pytest.fixture
def builder(tmp_path, monkeypatch):
    """A builder file whose content the fake reader returns; run_command records calls."""
    calls = []
    holder = {"state": None}

    def fake_read(builder_file, ring_file):
        return holder["state"]

    def fake_run(self, argv, **kwargs):
        calls.append(argv)
        if argv[2] == "rebalance":
            return 1, "Reassigned 49152 (100.00%) partitions. Balance is now 0.00.", ""
        return 0, "", ""
    monkeypatch.setattr(swift_ring, "read_builder", fake_read)
    monkeypatch.setattr(swift_ring.AnsibleModule, "run_command", fake_run)

    def make(current):
        holder["state"] = current
        if current is not None:
            (tmp_path / "object.builder").write_bytes(b"pickle")
            (tmp_path / "object.ring.gz").write_bytes(b"gzip")
        return str(tmp_path)
    make.calls = calls
    return make


def args(directory, **extra):
    return dict({"ring": "object", "builder_dir": directory, "devices": DEVICES, "min_part_hours": 24}, **extra)


def test_plan_only_on_a_new_host_plans_a_creation_and_changes_nothing(module_runner, builder):
    directory = builder(None)
    rc, result = module_runner(swift_ring.main, args(directory, plan_only=True))
    assert rc == 0 and result["changed"] is False and result["errors"] == []
    assert result["plan"]["create"] and len(result["plan"]["add"]) == 9
    assert result["plan"]["part_power"] == 14 and result["state"] is None
    assert builder.calls == []


def test_check_mode_predicts_the_change_without_running_anything(module_runner, builder):
    directory = builder(None)
    rc, result = module_runner(swift_ring.main, args(directory, _ansible_check_mode=True))
    assert rc == 0 and result["changed"] is True and builder.calls == []


def test_creation_runs_swift_ring_builder_and_accepts_a_rebalance_warning(module_runner, builder):
    directory = builder(None)
    rc, result = module_runner(swift_ring.main, args(directory, default_part_power=12))
    assert rc == 0 and result["changed"] is True
    assert builder.calls[0][2:] == ["create", "12", "3", "24"]
    assert [call[2] for call in builder.calls[1:]] == ["add"] * 9 + ["rebalance"]


def test_an_unchanged_ring_runs_nothing(module_runner, builder):
    directory = builder(state())
    rc, result = module_runner(swift_ring.main, args(directory))
    assert rc == 0 and result["changed"] is False and builder.calls == []
    assert result["state"]["devices"] == 9 and result["summary"] == "nothing to do"


def test_a_part_power_change_fails_before_any_command(module_runner, builder):
    directory = builder(state())
    rc, result = module_runner(swift_ring.main, args(directory, part_power=16))
    assert rc == 1 and "part power 14" in result["msg"] and builder.calls == []


def test_a_refusal_is_data_in_plan_only_mode(module_runner, builder):
    directory = builder(state(min_part_seconds_left=1800))
    rc, result = module_runner(swift_ring.main, args(directory, plan_only=True,
                                                     devices=DEVICES + [dict(DEVICES[0], device="d4")]))
    assert rc == 0 and result["changed"] is False
    assert [e["option"] for e in result["errors"]] == ["min_part_hours"]
    assert builder.calls == []


def test_a_ring_file_without_its_builder_is_never_rebuilt(module_runner, builder, tmp_path):
    directory = builder(None)
    (tmp_path / "object.ring.gz").write_bytes(b"gzip")
    rc, result = module_runner(swift_ring.main, args(directory))
    assert rc == 1 and "without its builder" in result["msg"] and builder.calls == []


def test_a_failing_command_stops_the_run(module_runner, builder, monkeypatch):
    directory = builder(state())

    def failing(self, argv, **kwargs):
        builder.calls.append(argv)
        return 2, "No partitions could be reassigned.", ""
    monkeypatch.setattr(swift_ring.AnsibleModule, "run_command", failing)
    rc, result = module_runner(swift_ring.main, args(directory, devices=DEVICES + [dict(DEVICES[0], device="d4")]))
    assert rc == 1 and "rc 2" in result["msg"]
    assert [call[2] for call in builder.calls] == ["add"]
