# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The conferencing servers' decisions (docs in the .yml files beside; logic in module_utils/conference_config.py)."""

from __future__ import annotations

from ansible_collections.rainbow.edge.plugins.module_utils import conference_config


def conference_input_errors(inputs, release="", reserved_ports=None, limits_text="", turn_uris=None):
    return conference_config.input_errors(inputs or {}, str(release or ""),
                                          [int(port) for port in reserved_ports or []], limits_text or "",
                                          list(turn_uris or []))


def conference_firewall_rules(inputs):
    return conference_config.firewall_rules(inputs or {})


def conference_janus_modules(package_files):
    return conference_config.janus_modules(package_files or "")


def conference_disabled_modules(modules, plugins):
    return conference_config.disabled_modules(modules or {}, list(plugins or []))


def conference_missing_modules(modules, plugins):
    return conference_config.missing_modules(modules or {}, list(plugins or []))


def conference_derived_key(secret, purpose):
    return conference_config.derived_key(secret, str(purpose))


class FilterModule:
    """The conferencing servers' filters."""

    def filters(self) -> dict:
        return {"conference_derived_key": conference_derived_key,
                "conference_disabled_modules": conference_disabled_modules,
                "conference_firewall_rules": conference_firewall_rules,
                "conference_input_errors": conference_input_errors,
                "conference_janus_modules": conference_janus_modules,
                "conference_missing_modules": conference_missing_modules}
