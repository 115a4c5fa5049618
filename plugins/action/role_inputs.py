# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of rainbow.edge.role_inputs (documented in plugins/modules/role_inputs.py)."""

from __future__ import annotations

import os

import yaml

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.rainbow.edge.plugins.module_utils.debian_releases import release_findings
from ansible_collections.rainbow.edge.plugins.module_utils.edge_role_inputs import read_role_inputs

display = Display()


class ActionModule(ActionBase):
    """Read the calling role's inputs against its argument spec; never fails on bad inputs."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("entry_point", "role", "check_release", "release_peers"))

    def _options(self, entry_point, role_name):
        role = self._task._role
        if role is None:
            raise AnsibleActionFail("rainbow.edge.role_inputs reads the argument spec of the role it runs in: call it from a role's tasks")
        role_path = role._role_path
        if role_name:
            # The collection's roles are siblings: roles/<name>.
            if os.sep in role_name or role_name.startswith("."):
                raise AnsibleActionFail(f"role: expected a role name of this collection such as common; got {role_name!r}")
            role_path = os.path.join(os.path.dirname(role_path), role_name)
        path = os.path.join(role_path, "meta", "argument_specs.yml")
        try:
            with open(path, "rb") as spec_file:
                specs = (yaml.safe_load(spec_file) or {}).get("argument_specs", {})
        except (OSError, yaml.YAMLError) as exc:
            raise AnsibleActionFail(f"cannot read {path}: {exc}") from exc
        if entry_point not in specs:
            raise AnsibleActionFail(f"{path} has no entry point {entry_point!r} (it has: {', '.join(sorted(specs))})")
        return specs[entry_point].get("options") or {}

    def _evaluate(self, name, raw, errors):
        try:
            return True, self._templar.template(raw)
        except AnsibleError as exc:
            errors.append(f"{name}: cannot be evaluated: {to_text(exc.message).splitlines()[0]}")
            return False, None

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        options = self._options(self._task.args.get("entry_point", "main"), self._task.args.get("role"))
        errors = []
        values, fallbacks = {}, {}
        for name, spec in options.items():
            if "default" in spec:
                fallbacks[name] = self._evaluate(name + " (its default)", spec["default"], [])[1]
            if name in task_vars:
                ok, value = self._evaluate(name, task_vars[name], errors)
                if ok:
                    values[name] = value
        inputs, problems = read_role_inputs(options, values, fallbacks)
        if boolean(self._task.args.get("check_release", False), strict=False):
            errors += self._release_errors(task_vars)
        result.update(changed=False, inputs=inputs, errors=errors + problems)
        return result

    def _release_errors(self, task_vars):
        """Errors about the Debian release of this host and of its peers; the warnings are shown."""
        host = task_vars.get("inventory_hostname", "this host")
        facts = task_vars.get("ansible_facts") or {}
        hostvars = task_vars.get("hostvars") or {}
        peers = {}
        for peer in self._task.args.get("release_peers") or []:
            peer_facts = hostvars[peer].get("ansible_facts", {}) if peer in hostvars else {}
            peers[peer] = peer_facts.get("distribution_major_version")
        role = self._task.args.get("role") or (self._task._role.get_name(include_role_fqcn=False) if self._task._role else "role")
        errors, warnings = release_findings(host, facts.get("distribution"), facts.get("distribution_major_version"),
                                            peers, f"{role} members")
        for warning in warnings:
            display.warning(warning)
        return errors
