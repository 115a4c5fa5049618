# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The All-in-One's decisions (docs in the .yml files beside; logic in module_utils/aio_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import aio_config


def aio_input_errors(inputs, host, group_names, memtotal_mb, tier_inputs):
    return aio_config.input_errors(host, list(group_names or []), int(memtotal_mb), inputs or {}, tier_inputs or {})


def aio_memory_limits(inputs, memtotal_mb):
    return aio_config.memory_limits(int(memtotal_mb), dict((inputs or {}).get("aio_memory_shares") or {}),
                                    list((inputs or {}).get("aio_tiers") or []))


def aio_left_out(inputs):
    return aio_config.left_out(list((inputs or {}).get("aio_tiers") or []))


class FilterModule:
    """The All-in-One's filters."""

    def filters(self) -> dict:
        return {"aio_input_errors": aio_input_errors, "aio_left_out": aio_left_out,
                "aio_memory_limits": aio_memory_limits}
