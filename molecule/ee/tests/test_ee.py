# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment, as AWX uses it: ansible-runner inside the image, without network.

create built the image (scripts/build-ee); converge ran rainbow.edge.plan
and validate.yml in it with ansible-runner, each in its private data
directory. These tests read what the runs left there, as AWX reads a job:
ansible-runner's status and job events, and the files the plan wrote.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import yaml
from ansible.galaxy.dependency_resolution.versioning import meets_requirements

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
RUNS = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ee"
BUILD = json.loads((PROJECT / ".cache" / "ee" / "build.json").read_text())
GALAXY = yaml.safe_load((PROJECT / "galaxy.yml").read_text())
# Where the image holds the collection: the runs must use that copy, not this checkout.
INSTALLED = "/usr/share/ansible/collections/ansible_collections/rainbow/edge"


def in_image(*argv: str) -> str:
    """A command's output in a throwaway container of the image, without network."""
    return subprocess.run(["podman", "run", "--rm", "--network", "none", BUILD["image"], *argv],
                          check=True, capture_output=True, text=True, timeout=180).stdout


def events(run: str) -> list[dict]:
    """ansible-runner's job events of a run, in order."""
    directory = RUNS / run / "artifacts" / run / "job_events"
    return sorted((json.loads(path.read_text()) for path in directory.glob("*.json")), key=lambda e: e["counter"])


def task_result(run: str, task: str) -> dict:
    """The event that holds the result of ``task`` (one host, no loop)."""
    found = [event for event in events(run) if event["event"] in ("runner_on_ok", "runner_on_failed")
             and event["event_data"].get("task") == task]
    assert len(found) == 1, f"{run}: {len(found)} results of task {task!r}"
    return found[0]


def runner_status(run: str) -> tuple[str, str]:
    artifacts = RUNS / run / "artifacts" / run
    return (artifacts / "status").read_text().strip(), (artifacts / "rc").read_text().strip()


def test_the_image_holds_the_collection_its_dependencies_and_the_controller_s_ansible_core():
    listing = json.loads(in_image("ansible-galaxy", "collection", "list", "--format", "json"))
    installed = {name: info["version"] for collections in listing.values() for name, info in collections.items()}
    assert installed["rainbow.edge"] == GALAXY["version"]
    for name, constraint in GALAXY["dependencies"].items():
        assert name in installed, f"{name} is not in the image"
        assert meets_requirements(installed[name], constraint), f"{name} {installed[name]} does not meet {constraint}"
    core = re.search(r"^ansible-core==(\S+)$", (PROJECT / "requirements.txt").read_text(), re.M).group(1)
    assert re.search(rf"^ansible \[core {re.escape(core)}\]", in_image("ansible", "--version"), re.M)
    assert in_image("ansible-runner", "--version").strip()
    config = json.loads(subprocess.run(["podman", "image", "inspect", BUILD["image"]], check=True,
                                       capture_output=True, text=True).stdout)[0]["Config"]
    assert config["User"] == "1000" and config["Labels"]["ansible-execution-environment"] == "true"
    print(f"FIGURE: ee_image={BUILD['image']} size_mb={BUILD['size_bytes'] // 1000000} "
          f"build_seconds={BUILD['seconds']} cached_steps={BUILD['cached_steps']}/{BUILD['steps']} "
          f"collections={len(installed)} ansible_core={core}")


def test_the_plan_playbook_ran_in_the_image_and_wrote_the_plan_of_its_variables(tmp_path):
    assert runner_status("plan") == ("successful", "0")
    start = next(event for event in events("plan") if event["event"] == "playbook_on_start")
    assert start["event_data"]["playbook"] == f"{INSTALLED}/playbooks/plan.yml"
    written = RUNS / "plan" / "plan"
    assert sorted(path.name for path in written.iterdir()) == [
        "edge-plan.html", "edge-plan.json", "edge-plan.md", "edge-plan.svg"]
    plan = json.loads((written / "edge-plan.json").read_text())
    assert (plan["variant"], plan["scale"]) == ("standalone", "large")
    totals = plan["totals"]
    assert f"| **Total** | | | **{totals['hosts']}** |" in (written / "edge-plan.md").read_text()
    shown = task_result("plan", "Show the totals")["event_data"]["res"]["msg"]
    assert f"{totals['hosts']} servers, {totals['vcpus']} vCPUs" in shown and "Written to /runner/plan" in shown
    # The same plan as the checkout's playbook makes on the controller.
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    subprocess.run(["ansible-playbook", str(PROJECT / "playbooks" / "plan.yml"), "-e", "edge_variant=standalone",
                    "-e", "edge_concurrent_users=20000", "-e", f"plan_output_dir={tmp_path}"],
                   cwd=PROJECT, env=env, check=True, capture_output=True, timeout=300)
    assert json.loads((tmp_path / "edge-plan.json").read_text()) == plan
    print(f"FIGURE: ee_plan variant=standalone users=20000 scale={plan['scale']} servers={totals['hosts']} "
          f"vcpus={totals['vcpus']} memory_gb={totals['memory_gb']} disk_gb={totals['disk_gb']}")


def test_edge_validate_ran_in_the_image_passing_the_edge_that_fits_and_listing_the_other_s_shortfalls():
    assert runner_status("validate") == ("successful", "0")
    fit = task_result("validate", "Validate an All-in-One that fits")
    assert fit["event"] == "runner_on_ok"
    assert fit["event_data"]["res"]["passed"] is True and fit["event_data"]["res"]["failures"] == []
    short = task_result("validate", "Validate an All-in-One short of vCPUs, RAM and a disk")
    assert short["event"] == "runner_on_failed" and short["event_data"]["ignore_errors"] is True
    result = short["event_data"]["res"]
    assert result["passed"] is False
    failures = {failure["check"]: failure for failure in result["failures"]}
    assert sorted(failures) == ["disks", "memory", "vcpus"]
    assert (failures["vcpus"]["expected"], failures["vcpus"]["actual"]) == ("8 vCPUs", "4 vCPUs")
    assert all(failure["host"] == "aio1" and failure["tier"] == "aio" for failure in failures.values())
    for check in failures:
        assert f"- aio1 [aio] {check}:" in result["msg"]
    print(f"FIGURE: ee_validate fit_failures={len(fit['event_data']['res']['failures'])} "
          f"short_failures={len(failures)} checks={','.join(sorted(failures))}")
