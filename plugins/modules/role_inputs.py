#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the rainbow.edge.role_inputs action (it runs on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: role_inputs
short_description: Read the calling role's inputs, checked against its argument spec and converted
description:
  - Runs on the controller, inside a role's tasks. For every option of the role's
    C(meta/argument_specs.yml) entry point, takes the variable's value, checks it against
    the option's spec (type, elements, nested options, choices) and converts it, the way
    Ansible's role validation checks it but, unlike that validation, returns the converted
    value, so C(-e common_ssh_port=22) reaches the role as the number 22.
  - Never fails on a bad input. Each one is reported in RV(errors), naming the variable and
    what it expects, and replaced in RV(inputs) by the role's default, so that the role's
    own checks (ranges, cross-field rules) still run and every problem is listed at once.
  - Roles read their typed inputs from RV(inputs), never from the raw variables.
version_added: 0.1.0
author:
  - Rainbow Edge engineering (@rainbow-edge)
options:
  entry_point:
    description: The entry point of the role's argument spec whose options are read.
    type: str
    default: main
  role:
    description:
      - The role of this collection whose inputs are read, by its short name (C(common)).
      - Default is the role the task runs in; the internal role C(rainbow.edge.shared) passes the
        name of the role that included it.
    type: str
  check_release:
    description:
      - Also check the Debian release of the host and of its O(release_peers), against the releases
        the collection supports (C(plugins/module_utils/debian_releases.py)).
      - An unsupported system or release, or peers on different releases, is reported in RV(errors);
        Debian oldstable is accepted with a warning naming the end of its support.
    type: bool
    default: false
  release_peers:
    description:
      - The members of the host's HA pair, replica set or cluster (the host may be among them), which
        must run one Debian release. A member whose facts were not gathered in this play is left out.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
notes:
  - Run it with C(no_log) when the role has secret options; messages never show the value
    of an option marked C(no_log) in the spec.
"""

EXAMPLES = r"""
- name: Read the role's inputs
  rainbow.edge.role_inputs:
  register: __common_inputs
  no_log: true

- name: Read the role's inputs, and refuse an unsupported Debian release or a mixed pair
  rainbow.edge.role_inputs:
    check_release: true
    release_peers: "{{ groups['mariadb'] }}"
  register: __mariadb_inputs
  no_log: true

- name: Check the role's variables
  ansible.builtin.assert:
    that: __common_inputs.errors | length == 0
    fail_msg: "{{ __common_inputs.errors }}"
"""

RETURN = r"""
inputs:
  description: Every option of the entry point, converted to its type; an invalid one holds the role's default.
  returned: always
  type: dict
  sample: {common_ssh_port: 22, common_domain: edge.example.com}
errors:
  description:
    - One message per invalid option, naming it and what it expects.
    - With O(check_release), first the problems of the host's Debian release and of its peers'.
  returned: always
  type: list
  elements: str
  sample: ["common_ssh_port: expected a whole number; got \"ssh\""]
"""
