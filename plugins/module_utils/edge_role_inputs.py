# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's inputs, checked against its argument spec and converted.

Ansible's own role validation accepts ``-e common_ssh_port=22`` (a string it
could convert) but hands the role the string, so a comparison in Jinja fails
later with a template error that hides every other finding. Here each option
is validated on its own: a value that converts is returned converted, a value
that does not is reported (naming the variable and what it expects) and
replaced by the role's default, so the role's cross-field checks still run on
sane values and every problem is listed at once.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Mapping, Tuple

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

_TYPE_WORDS = {
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "a boolean (true or false)",
    "list": "a list",
    "dict": "a mapping",
    "path": "a path",
    "raw": "any value",
}
# Names whose values are kept out of messages even where the spec has no
# no_log: passwords, keys, tokens, secrets.
_SECRET_NAME = re.compile(r"pass|secret|token|private|credential|(^|_)keys?($|_)")
# Keys of a role's argument spec that are documentation, not validation.
_DOC_KEYS = frozenset(("description", "short_description", "version_added", "default"))


def expected(spec: Mapping[str, Any]) -> str:
    """What an option expects, in words, from its spec."""
    kind = spec.get("type", "str")
    words = _TYPE_WORDS.get(kind, kind)
    if kind == "list" and spec.get("elements"):
        element = _TYPE_WORDS.get(spec["elements"], spec["elements"])
        words = "a list of %ss" % element.split(" ", 1)[-1].split(" (")[0]
        if spec["elements"] == "dict" and spec.get("options"):
            words += " with keys %s" % ", ".join(sorted(spec["options"]))
    elif kind == "dict" and spec.get("options"):
        words += " with keys %s" % ", ".join(sorted(spec["options"]))
    if spec.get("choices"):
        words += ", one of %s" % ", ".join(str(choice) for choice in spec["choices"])
    return words


def _validation_spec(spec: Mapping[str, Any]) -> Dict[str, Any]:
    """The spec without its documentation keys, nested options included."""
    clean = {key: value for key, value in spec.items() if key not in _DOC_KEYS}
    if isinstance(clean.get("options"), Mapping):
        clean["options"] = {name: _validation_spec(sub) for name, sub in clean["options"].items()}
    return clean


def _shown(value: Any, secret: bool) -> str:
    if secret:
        return "a value (hidden: the option is secret)"
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _validate_one(name: str, spec: Mapping[str, Any], value: Any) -> Tuple[Any, List[str]]:
    try:
        result = ArgumentSpecValidator({name: _validation_spec(spec)}).validate(
            {name: value}, validate_role_argument_spec=True)
    except ArithmeticError:
        # Ansible's int conversion lets OverflowError out for "inf".
        return value, ["argument '%s' is of type %s and cannot be converted" % (name, type(value).__name__)]
    return result.validated_parameters.get(name, value), list(result.error_messages)


def read_role_inputs(options: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any],
                     fallbacks: Mapping[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """Check ``values`` against a role entry point's ``options``.

    Returns ``(inputs, errors)``: ``inputs`` holds every option, converted to
    its spec's type; an option whose value is missing or invalid gets its
    ``fallbacks`` value (the role's default) instead, and ``errors`` says why,
    one message per option, naming it and what it expects. Secret options
    (``no_log``, or named like a password, key or token) never have their
    value in a message.
    """
    inputs: Dict[str, Any] = {}
    errors: List[str] = []
    for name, spec in options.items():
        secret = bool(spec.get("no_log")) or bool(_SECRET_NAME.search(name))
        if name in values:
            converted, problems = _validate_one(name, spec, values[name])
            if not problems:
                inputs[name] = converted
                continue
            details = [p for p in problems if not p.startswith("argument '%s' is of type" % name)]
            message = "%s: expected %s; got %s" % (name, expected(spec), _shown(values[name], secret))
            if details and not secret:
                message += " (%s)" % "; ".join(details)
            errors.append(message)
        elif spec.get("required"):
            errors.append("%s: expected %s; it is not set" % (name, expected(spec)))
        fallback = fallbacks.get(name)
        if fallback is None:
            inputs[name] = None
            continue
        converted, problems = _validate_one(name, spec, fallback)
        inputs[name] = fallback if problems else converted
    return inputs, errors
