# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GateKeeper management API (rainbow.edge): tunnel and peer status, DHCP leases,
VIP ownership, and WireGuard peers added or removed at run time.

Served by uvicorn over TLS on the LAN side only, behind a bearer token. Written
for the python3-fastapi of Debian 13 (0.115, pydantic 2.10) and of Debian 12
(0.92, pydantic 1.10). Configuration comes from the environment (the systemd
unit's EnvironmentFile).
"""

from __future__ import annotations

import dataclasses
import fcntl
import hmac
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import List, Optional

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from gatekeeper_api import core

WG_INTERFACE = os.environ.get("RBE_WG_INTERFACE", "wg0")
WG_CONF = Path(os.environ.get("RBE_WG_CONF", f"/etc/wireguard/{WG_INTERFACE}.conf"))
API_PEERS = Path(os.environ.get("RBE_API_PEERS", f"/var/lib/rainbow-edge/gatekeeper/{WG_INTERFACE}-api-peers.conf"))
WG_SYNC = os.environ.get("RBE_WG_SYNC", "/usr/local/sbin/rainbow-edge-wg-sync")
LEASES = Path(os.environ.get("RBE_LEASES", "/var/lib/misc/dnsmasq.leases"))
TOKEN_FILE = Path(os.environ.get("RBE_API_TOKEN_FILE", "/etc/rainbow-edge/gatekeeper-api.token"))
RUN_DIR = Path(os.environ.get("RBE_RUN_DIR", "/run/rainbow-edge"))
# "EDGE_LAN=10.20.0.1,EDGE_WAN=198.51.100.5"
VIPS = core.parse_vips(os.environ.get("RBE_VIPS", ""))
# Networks a peer added here may not claim (the LAN this GateKeeper serves).
PROTECTED_NETWORKS = [n for n in os.environ.get("RBE_PROTECTED_NETWORKS", "").split(",") if n]

_TOKEN = TOKEN_FILE.read_text(encoding="ascii").strip() if TOKEN_FILE.exists() else ""


class PeerIn(BaseModel):
    public_key: str = Field(..., description="WireGuard public key (base64, 44 characters)")
    allowed_ips: List[str] = Field(..., description="Networks routed to this peer, CIDR")
    endpoint: Optional[str] = Field(None, description="host:port where the peer listens; none for a roaming peer")
    persistent_keepalive: Optional[int] = Field(None, description="Seconds between keepalives (for peers behind NAT)")
    name: Optional[str] = Field(None, description="Label for operators")


class PeerStatusOut(BaseModel):
    public_key: str
    endpoint: Optional[str]
    allowed_ips: List[str]
    latest_handshake: int = Field(..., description="Unix time of the last handshake, 0 if none")
    rx_bytes: int
    tx_bytes: int
    persistent_keepalive: Optional[int]
    source: str = Field(..., description="inventory (Ansible), api (added here) or unknown")


class TunnelOut(BaseModel):
    interface: str
    backend: str = Field(..., description="kernel or userspace (wireguard-go)")
    public_key: str
    listen_port: int
    peers: List[PeerStatusOut]


class LeaseOut(BaseModel):
    expires: int
    mac: str
    ip: str
    hostname: Optional[str]


class VipOut(BaseModel):
    name: str
    address: str
    held: bool = Field(..., description="Whether this GateKeeper holds the address now")
    vrrp_state: Optional[str] = Field(None, description="MASTER, BACKUP or FAULT, as keepalived last reported")


def require_token(request: Request) -> None:
    """Bearer token, compared in constant time; no token configured means no access."""
    header = request.headers.get("authorization", "")
    scheme, _separator, presented = header.partition(" ")
    if not _TOKEN or scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), _TOKEN.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})


app = FastAPI(
    title="rainbow.edge GateKeeper API",
    version="1",
    description="Tunnel and peer status, DHCP leases, VIP ownership; WireGuard peers added and removed at run time.",
    docs_url=None,
    redoc_url=None,
    openapi_url="/v1/openapi.json",
)
router = APIRouter(prefix="/v1", dependencies=[Depends(require_token)])


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=20).stdout


def _inventory_keys() -> set[str]:
    return {peer.public_key for peer in core.parse_peers(WG_CONF.read_text())} if WG_CONF.exists() else set()


def _api_peers() -> list[core.Peer]:
    return core.parse_peers(API_PEERS.read_text()) if API_PEERS.exists() else []


def _backend() -> str:
    info = json.loads(_run("ip", "-d", "-j", "link", "show", "dev", WG_INTERFACE))
    kind = info[0].get("linkinfo", {}).get("info_kind", "") if info else ""
    return "kernel" if kind == "wireguard" else "userspace"


class _PeersLock:
    """One writer at a time, across workers: the peers file then the interface."""

    def __enter__(self):
        API_PEERS.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(str(API_PEERS) + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def _save_and_apply(peers: list[core.Peer]) -> None:
    """Write the peers file atomically, then reconcile the interface with it."""
    with tempfile.NamedTemporaryFile("w", dir=API_PEERS.parent, delete=False, prefix=".peers-") as handle:
        handle.write(core.render_peers(peers))
        temp = handle.name
    os.chmod(temp, 0o600)
    os.replace(temp, API_PEERS)
    try:
        _run(WG_SYNC, WG_INTERFACE)
    except subprocess.CalledProcessError as exc:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, f"the tunnel did not take the change: {exc.stderr.strip()}") from None


@router.get("/tunnel", response_model=TunnelOut, summary="Tunnel and peer status")
def tunnel() -> TunnelOut:
    try:
        dump = _run("wg", "show", WG_INTERFACE, "dump")
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"tunnel {WG_INTERFACE} is down") from None
    state = core.parse_wg_dump(WG_INTERFACE, dump)
    inventory, added = _inventory_keys(), {peer.public_key for peer in _api_peers()}
    peers = []
    for peer in state.peers:
        source = "inventory" if peer.public_key in inventory else "api" if peer.public_key in added else "unknown"
        peers.append(PeerStatusOut(**{**dataclasses.asdict(peer), "source": source}))
    return TunnelOut(interface=state.interface, backend=_backend(), public_key=state.public_key, listen_port=state.listen_port, peers=peers)


@router.get("/peers", response_model=List[PeerIn], summary="Peers added through this API")
def list_peers() -> list[PeerIn]:
    return [PeerIn(**dataclasses.asdict(peer)) for peer in _api_peers()]


@router.post("/peers", response_model=PeerIn, status_code=status.HTTP_201_CREATED, summary="Add a WireGuard peer")
def add_peer(body: PeerIn) -> PeerIn:
    # model_dump is pydantic 2's name (Debian 13); dict() is pydantic 1's.
    peer = core.Peer(**(body.model_dump() if hasattr(body, "model_dump") else body.dict()))
    try:
        peer.validate(PROTECTED_NETWORKS)
    except core.PeerError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    with _PeersLock():
        peers = _api_peers()
        if peer.public_key in _inventory_keys() or any(p.public_key == peer.public_key for p in peers):
            raise HTTPException(status.HTTP_409_CONFLICT, "a peer with this public key exists")
        _save_and_apply(peers + [peer])
    return body


@router.delete("/peers/{public_key:path}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, summary="Remove a peer added through this API")
def remove_peer(public_key: str) -> Response:
    with _PeersLock():
        peers = _api_peers()
        if public_key in _inventory_keys():
            raise HTTPException(status.HTTP_409_CONFLICT, "this peer comes from the inventory: remove it there")
        remaining = [p for p in peers if p.public_key != public_key]
        if len(remaining) == len(peers):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such peer")
        _save_and_apply(remaining)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/dhcp/leases", response_model=List[LeaseOut], summary="DHCP leases handed out by this GateKeeper")
def leases() -> list[LeaseOut]:
    text = LEASES.read_text() if LEASES.exists() else ""
    return [LeaseOut(**dataclasses.asdict(lease)) for lease in core.parse_leases(text)]


@router.get("/vip", response_model=List[VipOut], summary="Virtual addresses and whether this GateKeeper holds them")
def vip() -> list[VipOut]:
    held = core.held_addresses(_run("ip", "-j", "-4", "addr", "show"))
    result = []
    for name, address in sorted(VIPS.items()):
        state_file = RUN_DIR / f"vrrp-{name}.state"
        state = state_file.read_text().strip() if state_file.exists() else None
        result.append(VipOut(name=name, address=address, held=address in held, vrrp_state=state))
    return result


app.include_router(router)
