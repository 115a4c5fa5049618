#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: xmpp_message_probe
short_description: Two XMPP users log in at an Edge's entry point and exchange a message each way
version_added: 0.2.0
description:
  - Logs two existing users in at O(host) and O(port) - direct TLS with ALPN C(xmpp-client), as the public load
    balancers route on 443, or STARTTLS - with the certificate verified for O(domain) against O(ca_file) (or the
    system's trust store), SASL PLAIN and a bound resource each.
  - Each user sends the other a chat message and waits for the other's; then, with O(archive), the first user asks
    its message archive (XEP-0313) for both. A refused login names the user, never the password.
  - Run it where a user stands (the controller, for the smoke test).
options:
  host:
    description: The entry point's address or name.
    type: str
    required: true
  port:
    description: Its port (443 on the public load balancers' VIPs, 5223 or 5222 on an XMPP server).
    type: int
    default: 443
  domain:
    description: The Edge's XMPP domain; the certificate must be valid for it.
    type: str
    required: true
  tls:
    description: C(direct) - TLS from the first byte, with ALPN C(xmpp-client) (XEP-0368); C(starttls) - RFC 6120.
    type: str
    choices: [direct, starttls]
    default: direct
  ca_file:
    description: The CA file to verify the certificate with, on the machine running the module. Empty - the
      system's trust store (a customer's certificate from a public CA).
    type: path
  users:
    description: The two users, in the order they speak.
    type: list
    elements: dict
    required: true
    suboptions:
      user:
        description: The user's local part (the JID's part before C(@)).
        type: str
        required: true
      password:
        description: The user's password (never shown in the module's output).
        type: str
        required: true
  archive:
    description: Also check that the first user's archive holds both messages.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each answer, each message and the archive.
    type: float
    default: 10
notes:
  - The module changes nothing of the server but the messages it sends (kept in the users' archives); it always
    reports C(changed=false) and runs the same in check mode.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - rainbow.edge.attributes.read_only
author:
  - Rainbow Edge engineering (@rainbow-edge)
"""

EXAMPLES = r"""
- name: Two users talk through the public entry point
  rainbow.edge.xmpp_message_probe:
    host: 203.0.113.22
    port: 443
    domain: edge.example.com
    ca_file: /tmp/edge-ca.crt
    users:
      - {user: smoke-a, password: "{{ smoke_a_password }}"}
      - {user: smoke-b, password: "{{ smoke_b_password }}"}
  delegate_to: localhost
"""

RETURN = r"""
exchange:
  description: What the exchange measured.
  returned: success
  type: dict
  contains:
    users:
      description: The two users' bound JIDs.
      type: list
      elements: str
      sample: [smoke-a@edge.example.com/smoke-1a2b3c4d, smoke-b@edge.example.com/smoke-5e6f7a8b]
    login_seconds:
      description: Seconds from the first connection until both users were bound.
      type: float
      sample: 0.21
    exchange_seconds:
      description: Seconds for the two messages, each sent and received.
      type: float
      sample: 0.011
    messages:
      description: Messages exchanged.
      type: int
      sample: 2
    archived:
      description: Of them, found in the first user's archive (0 without O(archive)).
      type: int
      sample: 2
    tls_version:
      description: The TLS version negotiated.
      type: str
      sample: TLSv1.3
    alpn:
      description: The ALPN protocol the server agreed to (null with STARTTLS).
      type: str
      sample: xmpp-client
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rainbow.edge.plugins.module_utils.xmpp_client import XmppError, exchange


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            port=dict(type="int", default=443),
            domain=dict(type="str", required=True),
            tls=dict(type="str", choices=["direct", "starttls"], default="direct"),
            ca_file=dict(type="path"),
            users=dict(type="list", elements="dict", required=True, options=dict(
                user=dict(type="str", required=True),
                password=dict(type="str", required=True, no_log=True),
            )),
            archive=dict(type="bool", default=True),
            timeout=dict(type="float", default=10),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if len(params["users"]) != 2:
        module.fail_json(msg="users: expected exactly 2 users, got %d" % len(params["users"]))
    try:
        result = exchange(params["host"], params["port"], params["domain"], *params["users"], tls=params["tls"],
                          ca_file=params["ca_file"], archive=params["archive"], timeout=params["timeout"])
    except XmppError as error:
        module.fail_json(msg="XMPP at %s:%d: %s" % (params["host"], params["port"], error))
    module.exit_json(changed=False, exchange=result)


if __name__ == "__main__":
    main()
