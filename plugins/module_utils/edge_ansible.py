# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue between AnsibleModule and the pure Edge code."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils.edge_inputs import EdgeInputError


def new_module(name: str, argument_spec: Dict[str, Any]) -> AnsibleModule:
    """AnsibleModule, but an infinite number for an int option fails cleanly.

    ansible-core's ``check_type_int`` (2.21) lets ``OverflowError`` escape
    for ``.inf`` (YAML) / ``Infinity`` (JSON), which would end the module in a
    traceback before any of our code runs. The arguments are then read again
    untyped, only to report the problem through fail_json.
    """
    try:
        return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    except OverflowError as exc:
        reason = str(exc)
    untyped = {key: {"type": "raw"} for key in argument_spec}
    fallback = AnsibleModule(argument_spec=untyped, supports_check_mode=True)
    fallback.fail_json(msg="%s: a whole-number option got an infinite value (%s)" % (name, reason))


def attempt(func: Callable[..., Any], *args: Any) -> Tuple[Any, Optional[str]]:
    """Run pure code; bad input comes back as a message (not a traceback).

    Returning the message lets the caller fail_json outside an ``except``
    block, where ansible-core would attach the pending exception's traceback.
    """
    try:
        return func(*args), None
    except EdgeInputError as exc:
        return None, str(exc)
