# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The metrics role's decisions (docs in the .yml files beside; logic in module_utils/metrics_config.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.module_utils import metrics_config


def metrics_input_errors(inputs):
    return metrics_config.input_errors(inputs)


def metrics_scrape_configs(items, ca_file=""):
    return metrics_config.scrape_configs(items, ca_file)


def metrics_probe_scrape_config(declared, operator, exporter):
    return metrics_config.probe_scrape_config(declared, operator, exporter)


def metrics_blackbox_config(ca_file):
    return metrics_config.blackbox_config(ca_file)


def metrics_retention_size(size_bytes, percent):
    try:
        return metrics_config.retention_size(size_bytes, percent)
    except metrics_config.MetricsError as error:
        raise AnsibleFilterError("metrics retention size: %s" % error) from error


def metrics_alertmanager_config(inputs):
    return metrics_config.alertmanager_config(inputs)


class FilterModule:
    """The metrics role's filters."""

    def filters(self) -> dict:
        return {
            "metrics_input_errors": metrics_input_errors,
            "metrics_scrape_configs": metrics_scrape_configs,
            "metrics_probe_scrape_config": metrics_probe_scrape_config,
            "metrics_blackbox_config": metrics_blackbox_config,
            "metrics_retention_size": metrics_retention_size,
            "metrics_alertmanager_config": metrics_alertmanager_config,
        }
