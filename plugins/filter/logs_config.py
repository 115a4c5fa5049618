# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs and log_shipping roles' decisions (docs in the .yml files beside; logic in module_utils/logs_config.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.rainbow.edge.plugins.module_utils import logs_config


def logs_input_errors(inputs):
    return logs_config.logs_input_errors(inputs)


def log_shipping_input_errors(inputs, inventory_hosts, logs_hosts):
    return logs_config.log_shipping_input_errors(inputs, inventory_hosts, logs_hosts)


def logs_host_names(hosts, domain):
    return logs_config.host_names(hosts, domain)


def rsyslog_string(value):
    try:
        return logs_config.rsyslog_string(value)
    except ValueError as error:
        raise AnsibleFilterError("rsyslog_string: %s" % error) from error


def log_shipping_file_inputs(items):
    return logs_config.file_inputs(items)


def logs_elastic_input_errors(inputs, memory_mb):
    return logs_config.elastic_input_errors(inputs, memory_mb)


def logs_elastic_heaps(inputs, memory_mb):
    return logs_config.elastic_heaps(inputs, memory_mb)


def logs_elastic_objects(inputs):
    return logs_config.elastic_objects(inputs)


class FilterModule:
    """The logs tier's filters."""

    def filters(self) -> dict:
        return {
            "logs_input_errors": logs_input_errors,
            "log_shipping_input_errors": log_shipping_input_errors,
            "logs_host_names": logs_host_names,
            "rsyslog_string": rsyslog_string,
            "log_shipping_file_inputs": log_shipping_file_inputs,
            "logs_elastic_input_errors": logs_elastic_input_errors,
            "logs_elastic_heaps": logs_elastic_heaps,
            "logs_elastic_objects": logs_elastic_objects,
        }
