# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GateKeeper's readings for the metrics tier, written for node-exporter's textfile collector.

Run by rainbow-edge-gatekeeper-metrics.timer (python3 -m gatekeeper_api.metrics)
with the API's environment: whether this GateKeeper holds each virtual
address now, and each tunnel peer's latest handshake (core.render_metrics).
The file is replaced whole, so the collector never reads half of it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from gatekeeper_api import core

WG_INTERFACE = os.environ.get("RBE_WG_INTERFACE", "wg0")
WG_CONF = Path(os.environ.get("RBE_WG_CONF", f"/etc/wireguard/{WG_INTERFACE}.conf"))
API_PEERS = Path(os.environ.get("RBE_API_PEERS", f"/var/lib/rainbow-edge/gatekeeper/{WG_INTERFACE}-api-peers.conf"))
VIPS = core.parse_vips(os.environ.get("RBE_VIPS", ""))
TEXTFILE = Path(os.environ.get("RBE_METRICS_TEXTFILE", "/var/lib/prometheus/node-exporter/rainbow_edge_gatekeeper.prom"))


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=20).stdout


def readings() -> str:
    names = core.peer_names(*(path.read_text() for path in (WG_CONF, API_PEERS) if path.exists()))
    try:
        peers = core.parse_wg_dump(WG_INTERFACE, _run("wg", "show", WG_INTERFACE, "dump")).peers
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, ValueError):
        # The tunnel is down: every peer it should have shows no handshake.
        peers = [core.PeerStatus(public_key=key, endpoint=None, allowed_ips=[], latest_handshake=0, rx_bytes=0,
                                 tx_bytes=0, persistent_keepalive=None) for key in names]
    held = core.held_addresses(_run("ip", "-j", "-4", "addr", "show"))
    vips = [(name, address, address in held) for name, address in VIPS.items()]
    return core.render_metrics(WG_INTERFACE, peers, names, vips)


def main() -> None:
    text = readings()
    with tempfile.NamedTemporaryFile("w", dir=TEXTFILE.parent, prefix=".", suffix=".tmp", delete=False) as handle:
        handle.write(text)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, TEXTFILE)


if __name__ == "__main__":
    main()
