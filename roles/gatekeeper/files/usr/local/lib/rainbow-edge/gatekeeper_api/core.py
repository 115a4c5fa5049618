# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GateKeeper API: the parts that do not need FastAPI (parsing, validation, rendering),
and the readings the metrics tier gets from every GateKeeper (gatekeeper_api/metrics.py).

Runs on the GateKeeper's Debian python3 (3.11) and is unit-tested on the
controller; it imports nothing outside the standard library.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from dataclasses import dataclass, field

_ENDPOINT = re.compile(r"^(?P<host>[A-Za-z0-9.-]{1,253}):(?P<port>[0-9]{1,5})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
API_MARK = "(added through the API)"
# "# NAME (inventory)", "# NAME (outside the inventory)", "# NAME (added through the API)": the comment
# before each [Peer] section of the tunnel's configuration and of the API's peers file.
_PEER_COMMENT = re.compile(r"^#\s*(?P<name>[^\s(][^(]*?)\s+\([^()]*\)$")


class PeerError(ValueError):
    """A peer request that cannot be applied; the message says why."""


@dataclass
class Peer:
    """A WireGuard peer as the API and the peers file know it."""

    public_key: str
    allowed_ips: list[str]
    endpoint: str | None = None
    persistent_keepalive: int | None = None
    name: str | None = None

    def validate(self, forbidden_networks: list[str] | tuple[str, ...] = ()) -> Peer:
        validate_public_key(self.public_key)
        if not self.allowed_ips:
            raise PeerError("allowed_ips: at least one network is required")
        networks = []
        for value in self.allowed_ips:
            try:
                network = ipaddress.IPv4Network(value, strict=True)
            except ValueError as exc:
                raise PeerError(f"allowed_ips: {value!r} is not an IPv4 network in CIDR form ({exc})") from None
            if network.prefixlen == 0:
                raise PeerError("allowed_ips: 0.0.0.0/0 would send all traffic into the tunnel")
            networks.append(network)
        for value in forbidden_networks:
            forbidden = ipaddress.IPv4Network(value)
            for network in networks:
                if network.overlaps(forbidden):
                    raise PeerError(f"allowed_ips: {network} overlaps {forbidden}, which this GateKeeper serves")
        if self.endpoint is not None:
            match = _ENDPOINT.match(self.endpoint)
            if not match or not 1 <= int(match["port"]) <= 65535:
                raise PeerError(f"endpoint: expected host:port with a port 1-65535, got {self.endpoint!r}")
        if self.persistent_keepalive is not None and not 0 <= self.persistent_keepalive <= 65535:
            raise PeerError("persistent_keepalive: expected 0-65535 seconds")
        if self.name is not None and not _NAME.match(self.name):
            raise PeerError("name: letters, digits, '.', '_' and '-', at most 63 characters")
        return self

    def render(self) -> str:
        """The peer as a WireGuard configuration block (wg addconf/syncconf format)."""
        lines = [f"# {self.name or self.public_key} {API_MARK}", "[Peer]", f"PublicKey = {self.public_key}"]
        if self.endpoint:
            lines.append(f"Endpoint = {self.endpoint}")
        lines.append("AllowedIPs = " + ", ".join(self.allowed_ips))
        if self.persistent_keepalive:
            lines.append(f"PersistentKeepalive = {self.persistent_keepalive}")
        return "\n".join(lines) + "\n"


def validate_public_key(key: str) -> str:
    """A WireGuard public key: 32 bytes in standard base64 (44 characters)."""
    try:
        raw = base64.b64decode(key, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(key) != 44 or len(raw) != 32:
        raise PeerError("public_key: expected 44 characters of base64 (32 bytes), as `wg pubkey` prints")
    return key


@dataclass
class PeerStatus:
    public_key: str
    endpoint: str | None
    allowed_ips: list[str]
    latest_handshake: int
    rx_bytes: int
    tx_bytes: int
    persistent_keepalive: int | None
    source: str = "unknown"


@dataclass
class TunnelStatus:
    interface: str
    public_key: str
    listen_port: int
    peers: list[PeerStatus] = field(default_factory=list)


def parse_wg_dump(interface: str, text: str) -> TunnelStatus:
    """Parse `wg show IFACE dump`. The private key on its first line is dropped here."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"no WireGuard interface {interface}")
    _private, public_key, listen_port, _fwmark = lines[0].split("\t")[:4]
    status = TunnelStatus(interface=interface, public_key=public_key, listen_port=int(listen_port))
    for line in lines[1:]:
        key, _psk, endpoint, allowed, handshake, rx, tx, keepalive = line.split("\t")[:8]
        status.peers.append(
            PeerStatus(
                public_key=key,
                endpoint=None if endpoint == "(none)" else endpoint,
                allowed_ips=[] if allowed == "(none)" else allowed.split(","),
                latest_handshake=int(handshake),
                rx_bytes=int(rx),
                tx_bytes=int(tx),
                persistent_keepalive=None if keepalive == "off" else int(keepalive),
            )
        )
    return status


def parse_peers(text: str) -> list[Peer]:
    """Peers from WireGuard configuration text ([Peer] sections; other sections ignored).

    A peer written by the API is preceded by a `# NAME (added through the API)`
    comment, which gives its name back.
    """
    peers: list[Peer] = []
    current: dict | None = None
    name: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            if line.endswith(API_MARK):
                name = line[1 : -len(API_MARK)].strip()
            continue
        if not line:
            continue
        if line.startswith("["):
            if current is not None:
                peers.append(_peer_from(current))
            current = {"name": name} if line == "[Peer]" else None
            name = None
            continue
        if current is not None and "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            current[key.lower()] = value
    if current is not None:
        peers.append(_peer_from(current))
    return peers


def _peer_from(fields: dict) -> Peer:
    keepalive = fields.get("persistentkeepalive")
    name = fields.get("name")
    return Peer(
        public_key=fields.get("publickey", ""),
        allowed_ips=[part.strip() for part in fields.get("allowedips", "").split(",") if part.strip()],
        endpoint=fields.get("endpoint"),
        persistent_keepalive=int(keepalive) if keepalive else None,
        name=name if name and name != fields.get("publickey") else None,
    )


def render_peers(peers: list[Peer]) -> str:
    return "\n".join(peer.render() for peer in peers)


@dataclass
class Lease:
    expires: int
    mac: str
    ip: str
    hostname: str | None


def parse_leases(text: str) -> list[Lease]:
    """Parse dnsmasq's lease file: `expiry mac ip hostname client-id` per line."""
    leases = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and not line.startswith("duid "):
            leases.append(Lease(expires=int(parts[0]), mac=parts[1], ip=parts[2], hostname=None if parts[3] == "*" else parts[3]))
    return leases


def parse_vips(text: str) -> dict[str, str]:
    """The GateKeeper's virtual addresses by name, from RBE_VIPS ("EDGE_LAN=10.20.0.254,EDGE_WAN=198.51.100.5")."""
    return dict(item.split("=", 1) for item in text.split(",") if "=" in item)


def held_addresses(ip_json: str) -> set[str]:
    """The IPv4 addresses this host holds now, from `ip -j -4 addr show`."""
    return {info["local"] for link in json.loads(ip_json or "[]") for info in link.get("addr_info", []) if "local" in info}


def peer_names(*texts: str) -> dict[str, str]:
    """Each peer's name by public key: the `# NAME (...)` comment before its [Peer] section, in WireGuard
    configuration texts (the tunnel's configuration, the API's peers file)."""
    names: dict[str, str] = {}
    for text in texts:
        pending, current = None, None
        for raw in text.splitlines():
            line = raw.strip()
            comment = _PEER_COMMENT.match(line)
            if comment:
                pending = comment.group("name")
            elif line.startswith("["):
                current, pending = (pending if line == "[Peer]" else None), None
            elif current and "=" in line and line.split("=", 1)[0].strip().lower() == "publickey":
                names[line.split("=", 1)[1].strip()] = current
    return names


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render_metrics(interface: str, peers: list[PeerStatus], names: dict[str, str],
                   vips: list[tuple[str, str, bool]]) -> str:
    """The GateKeeper's readings in Prometheus's text format, for node-exporter's textfile collector.

    ``vips``: (name, address, held now) of each virtual address (the alerts EdgeVipHeldByNone and
    EdgeVipHeldByTwo sum them across the GateKeepers); ``peers``: the tunnel's peers, each named from
    ``names`` (its public key otherwise), with the Unix time of its latest handshake, 0 for none
    (EdgeWireGuardHandshakeStale).
    """
    lines = ["# HELP rainbow_edge_vrrp_master 1 while this GateKeeper holds the virtual address, else 0.",
             "# TYPE rainbow_edge_vrrp_master gauge"]
    for name, address, held in sorted(vips):
        lines.append('rainbow_edge_vrrp_master{vip="%s",name="%s"} %d' % (_label(address), _label(name), int(held)))
    lines += ["# HELP rainbow_edge_wireguard_latest_handshake_seconds Unix time of the peer's latest handshake, 0 for none.",
              "# TYPE rainbow_edge_wireguard_latest_handshake_seconds gauge"]
    for peer in sorted(peers, key=lambda item: item.public_key):
        lines.append('rainbow_edge_wireguard_latest_handshake_seconds{interface="%s",peer="%s",public_key="%s"} %d'
                     % (_label(interface), _label(names.get(peer.public_key, peer.public_key)), _label(peer.public_key),
                        peer.latest_handshake))
    return "\n".join(lines) + "\n"
