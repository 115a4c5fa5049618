# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that describe an Edge's demand, shared by every module that plans it."""

from __future__ import annotations


class ModuleDocFragment:
    """Options of PLAN_ARGUMENT_SPEC (plugins/module_utils/edge_plan.py)."""

    DOCUMENTATION = r"""
options:
  variant:
    description: Edge variant (section 5).
    type: str
    choices: [connected, standalone]
    default: connected
  voice:
    description: Add Rainbow Voice (8.4; on a Standalone Edge also 9.5, large scale only).
    type: bool
    default: false
  concurrent_users:
    description: Users connected at the same time. V(0) plans the smallest footprint of the variant.
    type: int
    default: 0
  registered_users:
    description:
      - Registered users. Not given, it is taken as 5 x O(concurrent_users) (the ratio of the documents' tables).
      - It cannot be below O(concurrent_users).
    type: int
  voice_users:
    description: Subscribed Rainbow Voice users (only with O(voice=true)).
    type: int
    default: 0
  concurrent_calls:
    description: Concurrent voice calls (only with O(voice=true)).
    type: int
    default: 0
  datacenters:
    description: Number of datacenters the Edge spans (1 to 3; 7.1 recommends two to three).
    type: int
    default: 1
  active_active:
    description:
      - With several datacenters, size the scalable tiers for twice the load so that each DC stays at or
        below half of its capacity (7.1). Set V(false) to size for the nominal load only.
    type: bool
    default: true
  scale:
    description:
      - V(auto) chooses from the figures. V(large) plans a large Standalone Edge for small figures (growth
        expected, or voice). V(small) is refused when the figures exceed the small footprint.
    type: str
    choices: [auto, small, large]
    default: auto
  mail_relay:
    description:
      - Standalone Edge mail (9.6). V(edge) plans the recommended couple of dedicated send-only relays
        (the documents give them no size, so the smallest Edge server is assumed, and warned about).
        V(external) uses the company's or a partner's relay.
    type: str
    choices: [edge, external]
    default: edge
  overrides:
    description:
      - Per-tier replacement figures, for a footprint agreed with ALE Operations (vertical scaling) or a
        lab. Keys are tier names, values a mapping of C(count), C(vcpus), C(memory_gb) and C(disks)
        (a list of sizes in GB or of C({size_gb, iops})). Every override is reported as a warning.
    type: dict
    default: {}
"""
