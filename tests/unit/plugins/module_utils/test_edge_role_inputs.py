"""A role's inputs, checked against its spec and converted (plugins/module_utils/edge_role_inputs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, strategies as st

from ansible_collections.rainbow.edge.plugins.module_utils.edge_role_inputs import expected, read_role_inputs

ROLES = Path(__file__).resolve().parents[4] / "roles"
PORT = {"type": "int", "default": 22, "description": "SSH port."}
SWITCH = {"type": "bool", "default": False, "description": "A switch."}
SECRET = {"type": "int", "no_log": True, "default": 1, "description": "A secret number."}
PEERS = {"type": "list", "elements": "dict", "default": [], "description": "Peers.",
         "options": {"name": {"type": "str", "required": True}, "port": {"type": "int", "default": 51820}}}


def test_a_number_given_as_text_reaches_the_role_as_a_number():
    inputs, errors = read_role_inputs({"common_ssh_port": PORT}, {"common_ssh_port": "22"}, {"common_ssh_port": 22})
    assert errors == []
    assert inputs == {"common_ssh_port": 22} and isinstance(inputs["common_ssh_port"], int)


@pytest.mark.parametrize("text, value", [("false", False), ("no", False), ("yes", True), ("True", True), ("0", False)])
def test_a_switch_given_as_text_reaches_the_role_as_a_boolean(text, value):
    inputs, errors = read_role_inputs({"x_switch": SWITCH}, {"x_switch": text}, {"x_switch": False})
    assert errors == [] and inputs["x_switch"] is value


def test_a_value_that_cannot_convert_is_named_with_what_it_expects_and_replaced_by_the_default():
    inputs, errors = read_role_inputs({"common_ssh_port": PORT, "x_switch": SWITCH},
                                      {"common_ssh_port": "ssh", "x_switch": "maybe"},
                                      {"common_ssh_port": 22, "x_switch": False})
    assert inputs == {"common_ssh_port": 22, "x_switch": False}
    assert errors == ['common_ssh_port: expected a whole number; got "ssh"',
                      'x_switch: expected a boolean (true or false); got "maybe"']


def test_a_range_is_not_the_spec_s_business():
    # 70000 is a whole number: the role's own list says it is no port.
    inputs, errors = read_role_inputs({"common_ssh_port": PORT}, {"common_ssh_port": 70000}, {"common_ssh_port": 22})
    assert errors == [] and inputs["common_ssh_port"] == 70000


def test_a_secret_value_never_appears_in_a_message():
    errors = read_role_inputs({"x_secret": SECRET}, {"x_secret": "hunter2-not-a-number"}, {"x_secret": 1})[1]
    assert errors == ["x_secret: expected a whole number; got a value (hidden: the option is secret)"]
    assert "hunter2" not in errors[0]


@pytest.mark.parametrize("name", ["mariadb_encryption_keys", "mongodb_admin_password", "x_tls_ca_private_key", "x_api_token"])
def test_a_value_named_like_a_secret_is_hidden_even_without_no_log(name):
    spec = {"type": "list", "elements": "dict", "default": [], "description": "Keys."}
    errors = read_role_inputs({name: spec}, {name: "[{'id': 1, 'key': 'c0ffee'}]"}, {name: []})[1]
    assert len(errors) == 1 and "c0ffee" not in errors[0] and "hidden" in errors[0], errors


def test_nested_options_are_converted_and_their_problems_named():
    inputs, errors = read_role_inputs({"x_peers": PEERS}, {"x_peers": [{"name": "a", "port": "51821"}]}, {"x_peers": []})
    assert errors == [] and inputs["x_peers"] == [{"name": "a", "port": 51821}]
    inputs, errors = read_role_inputs({"x_peers": PEERS}, {"x_peers": [{"port": "udp"}]}, {"x_peers": []})
    assert inputs["x_peers"] == []
    assert len(errors) == 1 and errors[0].startswith("x_peers: expected a list of mappings with keys name, port; got")
    assert "name" in errors[0] and "port" in errors[0]


def test_a_missing_required_option_is_reported():
    spec = {"x_required": {"type": "str", "required": True, "description": "Needed."}}
    inputs, errors = read_role_inputs(spec, {}, {})
    assert errors == ["x_required: expected a string; it is not set"] and inputs == {"x_required": None}


def test_choices_are_part_of_what_is_expected():
    spec = {"x_mode": {"type": "str", "choices": ["a", "b"], "default": "a", "description": "Mode."}}
    inputs, errors = read_role_inputs(spec, {"x_mode": "c"}, {"x_mode": "a"})
    assert inputs == {"x_mode": "a"} and errors[0].startswith('x_mode: expected a string, one of a, b; got "c"')


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_any_whole_number_survives_as_text_or_number(number):
    for given_value in (number, str(number)):
        inputs, errors = read_role_inputs({"p": PORT}, {"p": given_value}, {"p": 22})
        assert errors == [] and inputs["p"] == number


@given(st.one_of(st.text(alphabet=st.characters(categories=["L"]), min_size=1),
                 st.sampled_from(["INF", "-Infinity", "nan", "1.5", "", " "])))
def test_text_that_is_no_whole_number_is_always_reported_never_passed_on(text):
    inputs, errors = read_role_inputs({"p": PORT}, {"p": text}, {"p": 22})
    assert inputs["p"] == 22 and len(errors) == 1 and errors[0].startswith("p: expected a whole number; got ")


@pytest.mark.parametrize("role", sorted(p.name for p in ROLES.iterdir() if p.is_dir()))
def test_every_role_s_own_defaults_pass_its_spec(role):
    """The defaults that are plain values (not templates) are valid for their own spec."""
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    for entry_point in specs.values():
        options = entry_point.get("options") or {}
        plain = {name: spec["default"] for name, spec in options.items()
                 if "default" in spec and "{{" not in str(spec["default"])}
        errors = read_role_inputs({name: options[name] for name in plain}, plain, plain)[1]
        assert errors == [], errors


def test_expected_words():
    assert expected({"type": "list", "elements": "str"}) == "a list of strings"
    assert expected({"type": "dict", "options": {"b": {}, "a": {}}}) == "a mapping with keys a, b"
