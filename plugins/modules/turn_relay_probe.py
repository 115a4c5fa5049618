#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: turn_relay_probe
short_description: Relay datagrams through a TURN server as a user's browser does
version_added: 0.2.0
description:
  - Allocates a UDP relay on a TURN server with long-term credentials - made from the TURN REST API's shared
    secret (O(shared_secret)), as the Edge's application hands them to its users, or given as O(username) and
    O(password) - and relays O(count) datagrams each way between that allocation and a second socket of the
    machine running the module, which stands for the other user's endpoint behind a NAT (it learns its public
    address with a STUN Binding, and speaks first).
  - Every answer to a signed request is checked - MESSAGE-INTEGRITY with the credential's key, FINGERPRINT - so
    a server that does not hold the Edge's secret fails the probe. The allocation is deleted at the end.
  - Run it where a user stands, on the Internet's side of the TURN server (the controller, for the smoke test), as
    the TURN servers relay to public peers only.
options:
  server:
    description: The TURN server's public address or name.
    type: str
    required: true
  port:
    description: Its UDP port.
    type: int
    default: 3478
  shared_secret:
    description:
      - The TURN REST API secret (C(turn_static_auth_secret)); the module makes a credential for O(user) valid
        for O(valid_for) seconds. Mutually exclusive with O(username).
    type: str
  user:
    description: The user named in the credential made from O(shared_secret).
    type: str
    default: smoke
  valid_for:
    description: Seconds the credential made from O(shared_secret) is valid.
    type: int
    default: 600
  username:
    description: A credential's username, with O(password). Mutually exclusive with O(shared_secret).
    type: str
  password:
    description: That credential's password.
    type: str
  count:
    description: Datagrams relayed each way.
    type: int
    default: 10
  timeout:
    description: Seconds to wait for each answer and each relayed datagram.
    type: float
    default: 5
notes:
  - Nothing on any host is changed (the relay is the server's for the probe's few seconds); the module always
    reports C(changed=false) and runs the same in check mode.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
author:
  - Rainbow Edge engineering (@rainbow-edge)
"""

EXAMPLES = r"""
- name: Relay media through the first TURN server, from the controller
  rainbow.edge.turn_relay_probe:
    server: 203.0.113.31
    shared_secret: "{{ turn_static_auth_secret }}"
  delegate_to: localhost
  register: smoke_turn
"""

RETURN = r"""
relay:
  description: What the relay did.
  returned: success
  type: dict
  contains:
    server:
      description: The server's address and port.
      type: str
      sample: 203.0.113.31:3478
    relayed:
      description: The relayed transport address the server allocated.
      type: str
      sample: 203.0.113.31:50565
    mapped:
      description: This machine's address as the server saw it (null when the server did not say).
      type: str
      sample: 203.0.113.1:40021
    peer:
      description: The second socket's public address, which the allocation permitted.
      type: str
      sample: 203.0.113.1:51234
    relayed_to_client:
      description: Datagrams that reached the client through the relay.
      type: int
      sample: 10
    relayed_to_peer:
      description: Datagrams that reached the peer through the relay.
      type: int
      sample: 10
    round_trips_ms:
      description: Each round trip, client to peer and back, in milliseconds.
      type: list
      elements: float
      sample: [0.41, 0.38]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils.turn_client import TurnError, relay_probe, rest_credentials


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            server=dict(type="str", required=True),
            port=dict(type="int", default=3478),
            shared_secret=dict(type="str", no_log=True),
            user=dict(type="str", default="smoke"),
            valid_for=dict(type="int", default=600),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            count=dict(type="int", default=10),
            timeout=dict(type="float", default=5),
        ),
        mutually_exclusive=[("shared_secret", "username")],
        required_one_of=[("shared_secret", "username")],
        required_together=[("username", "password")],
        supports_check_mode=True,
    )
    params = module.params
    if params["count"] < 1:
        module.fail_json(msg="count must be at least 1, got %d" % params["count"])
    if params["shared_secret"] is not None:
        username, password = rest_credentials(params["shared_secret"], params["user"], params["valid_for"])
    else:
        username, password = params["username"], params["password"]
    try:
        relay = relay_probe(params["server"], params["port"], username, password, params["count"], params["timeout"])
    except TurnError as error:
        module.fail_json(msg="TURN relay through %s:%d failed: %s" % (params["server"], params["port"], error))
    module.exit_json(changed=False, relay=relay)


if __name__ == "__main__":
    main()
