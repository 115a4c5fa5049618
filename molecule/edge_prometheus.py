# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole-Edge scenarios' view of the Edge's Prometheus (connected, demo), and the lab clock its alerts read.

Imported by name from a scenario's tests (the suite's planner follows the import:
a change here is an input of those scenarios only).
"""

from __future__ import annotations

import base64
import ctypes
import json

# The metrics role's files on its host (roles/metrics/vars/main.yml).
CA = "/etc/prometheus/tls/ca.crt"
PASSWORD_FILE = "/etc/prometheus/federation.password"

# Run by the metrics host's python3: the federation password is read there and never leaves it.
_CLIENT = (
    "import base64, json, ssl, sys, urllib.request\n"
    f"ctx = ssl.create_default_context(cafile='{CA}')\n"
    f"secret = open('{PASSWORD_FILE}').read().strip()\n"
    "auth = base64.b64encode(('federation:' + secret).encode()).decode()\n"
    "req = urllib.request.Request(sys.argv[1], headers={'Authorization': 'Basic ' + auth})\n"
    "print(urllib.request.urlopen(req, context=ctx, timeout=30).read().decode())\n"
)


def prometheus_get(lab, metrics_host: str, url: str) -> dict:
    """GET ``url`` of the Edge's Prometheus on its host, as the global side does: TLS verified, basic auth."""
    encoded = base64.b64encode(_CLIENT.encode()).decode()
    return json.loads(lab.host(metrics_host).check_output(f"echo {encoded} | base64 -d | python3 - '{url}'"))


def lab_clock_synchronised() -> bool:
    """Whether this machine's kernel clock is synchronised (adjtimex, read only: not TIME_ERROR).

    The containers' clock is this kernel's: chronyd in them never sets it
    (roles/common, -x), and the node exporters' node_timex_* read its state.
    A lab machine whose clock nothing disciplines makes every host's
    EdgeClockOffset alert fire, truthfully; the tests expect exactly that.
    """
    state = ctypes.CDLL(None, use_errno=True).adjtimex(ctypes.create_string_buffer(512))
    assert state >= 0, f"adjtimex failed: errno {ctypes.get_errno()}"
    return state != 5  # TIME_ERROR: STA_UNSYNC is set
