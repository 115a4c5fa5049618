# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the whole-Edge scenarios' tests check alike: the Edge's Prometheus and the lab clock its
alerts read, a line logged on a host filed on the logs host, a host's backup taken and its files restored.

Imported by name from a scenario's tests (the suite's planner follows the import:
a change here is an input of those scenarios only).
"""

from __future__ import annotations

import base64
import ctypes
import json
import uuid

from conftest import wait_for

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


# Where the logs host files each host's logs (the logs role's README).
LOGS_HOSTS_DIR = "/srv/logs/data/hosts"
# The backup clients' job, as their timer runs it.
BACKUP_JOB = "/usr/local/sbin/rainbow-edge-backup"


def assert_line_filed_on_logs_host(lab, host: str, logs_host: str) -> None:
    """A line logged on ``host`` is in its file on ``logs_host`` within 20 s (log shipping, the logs tier)."""
    token = f"lab-token-{uuid.uuid4().hex}"
    lab.host(host).check_output(f"logger -t lab-token {token}")
    filed = f"{LOGS_HOSTS_DIR}/{host}/messages.log"
    assert wait_for(lambda: token in lab.host(logs_host).run(f"cat {filed}").stdout, timeout=20, interval=0.5), \
        f"{token} from {host} not in {filed} on {logs_host}"


def backup_and_restore_files(lab, host: str) -> list[str]:
    """Take a backup of ``host`` now, restore its newest files archive (playbooks/backup_restore_files.yml), and
    check a marker written before it came back; the archives the backup host holds for it."""
    target = lab.host(host)
    marker = f"lab-restore-{uuid.uuid4().hex}"
    target.check_output(f"echo {marker} > /etc/lab-restore-drill")
    result = target.run("systemctl start rainbow-edge-backup.service")
    assert result.rc == 0, target.run("journalctl -u rainbow-edge-backup.service -n 30 --no-pager").stdout
    archives = target.check_output(f"{BACKUP_JOB} borg list --short").split()
    newest_files = sorted(name for name in archives if name.startswith("files."))[-1]
    run = lab.playbook("backup_restore_files", "-e", f"backup_restore_host={host}")
    assert run.returncode == 0, run
    restored = f"/var/lib/rainbow-edge-backup-client/restore/{newest_files}/etc/lab-restore-drill"
    assert target.check_output(f"cat {restored}") == marker
    return archives
