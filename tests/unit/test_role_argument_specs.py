"""Every role documents exactly its public defaults, with the same values.

meta/argument_specs.yml is how users (and ansible-doc) learn a role, and
Ansible validates inputs against it at role start: it must not drift from
defaults/main.yml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "roles").iterdir() if p.is_dir())


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_has_argument_specs(role):
    assert (role / "meta" / "argument_specs.yml").is_file(), f"{role.name}: no meta/argument_specs.yml"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_equal_defaults(role):
    defaults_file = role / "defaults" / "main.yml"
    defaults = _load(defaults_file) if defaults_file.exists() else {}
    options = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"].get("options", {})
    assert sorted(options) == sorted(defaults), (
        f"{role.name}: documented but not defaulted: {sorted(set(options) - set(defaults))}; "
        f"defaulted but not documented: {sorted(set(defaults) - set(options))}"
    )
    for name, default in defaults.items():
        if _templated_non_text(default, options[name]):
            # antsibull-docs checks a default against the option's type, which a Jinja expression of a
            # bool, int, list or dict fails: the spec quotes it in the description instead.
            assert "default" not in options[name], f"{role.name}: {name}: a Jinja default of type {options[name]['type']}"
            assert "Default C(%s)" % default in _text(options[name]["description"]), (
                f"{role.name}: {name}: its description does not quote its default {default!r}")
        else:
            assert options[name].get("default") == default, f"{role.name}: {name} default differs from its spec"


def _templated_non_text(default, option) -> bool:
    return isinstance(default, str) and "{{" in default and option.get("type") not in ("str", "path", "raw")


def _text(description) -> str:
    return " ".join(description) if isinstance(description, list) else str(description)


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_option_is_described_and_typed(role):
    specs = _load(role / "meta" / "argument_specs.yml")["argument_specs"]
    for entry, spec in specs.items():
        for name, option in spec.get("options", {}).items():
            assert option.get("description"), f"{role.name}/{entry}: {name} has no description"
            assert option.get("type"), f"{role.name}/{entry}: {name} has no type"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_public_variables_carry_the_role_prefix(role):
    defaults_file = role / "defaults" / "main.yml"
    if not defaults_file.exists():
        return
    prefix = role.name + "_"
    stray = [name for name in _load(defaults_file) if not name.startswith(prefix)]
    assert not stray, f"{role.name}: defaults without the {prefix} prefix: {stray}"
    vars_file = role / "vars" / "main.yml"
    if vars_file.exists():
        private = [name for name in _load(vars_file) if not name.startswith(("_" + prefix, "__" + prefix))]
        assert not private, f"{role.name}: vars/main.yml names without the _{prefix}/__{prefix} prefix: {private}"
