#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bcrypt hash of a password, kept while it still matches."""

from __future__ import annotations

DOCUMENTATION = r"""
module: bcrypt_hash
short_description: The bcrypt hash of a password, the current one kept while it matches
description:
  - Returns O(current) when it is a bcrypt hash of O(password), otherwise a new hash (a new salt each time). A
    configuration rendered from the result changes only when the password does, so reruns change nothing.
  - For the files that hold a service's basic-auth accounts as bcrypt hashes (Prometheus's web configuration).
  - Runs on the host that keeps the hash, with that host's C(python3-bcrypt).
version_added: 0.1.0
author:
  - Rainbow Edge engineering (@rainbow-edge)
options:
  password:
    description: The password, from ansible-vault. Never returned nor logged.
    type: str
    required: true
  current:
    description: The hash in use now, empty when there is none.
    type: str
    default: ""
  cost:
    description: bcrypt's cost factor for a new hash (4-15).
    type: int
    default: 12
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
requirements:
  - bcrypt (Debian's python3-bcrypt) on the host
"""

EXAMPLES = r"""
- name: Hash the federation password, keeping the hash in use while it matches
  rainbow.edge.bcrypt_hash:
    password: "{{ metrics_federation_password }}"
    current: "{{ current_hash }}"
  register: federation_hash
  no_log: true
"""

RETURN = r"""
hash:
  description: The bcrypt hash of the password.
  returned: success
  type: str
  sample: $2b$12$0R4OcbBMDDZAg1Ztg1ZT7uOTwK0pBGnqnZpHtBMFTbO4ufhkEOKpG
kept:
  description: Whether O(current) matched and is returned.
  returned: success
  type: bool
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import bcrypt
except ImportError:
    bcrypt = None
    BCRYPT_IMPORT_ERROR = traceback.format_exc()
else:
    BCRYPT_IMPORT_ERROR = None


def matches(password: str, current: str) -> bool:
    """Whether ``current`` is a bcrypt hash of ``password`` (False for anything that is not a bcrypt hash)."""
    if not current.startswith(("$2a$", "$2b$", "$2y$")):
        return False
    try:
        return bcrypt.checkpw(password.encode(), current.encode())
    except ValueError:
        return False


def main():
    module = AnsibleModule(
        argument_spec={
            "password": {"type": "str", "required": True, "no_log": True},
            "current": {"type": "str", "default": ""},
            "cost": {"type": "int", "default": 12},
        },
        supports_check_mode=True,
    )
    if bcrypt is None:
        module.fail_json(msg=missing_required_lib("bcrypt (Debian: python3-bcrypt)"), exception=BCRYPT_IMPORT_ERROR)
    password, current, cost = module.params["password"], module.params["current"], module.params["cost"]
    if not 4 <= cost <= 15:
        module.fail_json(msg="cost: expected 4-15; got %d" % cost)
    if matches(password, current):
        module.exit_json(changed=False, hash=current, kept=True)
    new = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost)).decode()
    module.exit_json(changed=False, hash=new, kept=False)


if __name__ == "__main__":
    main()
