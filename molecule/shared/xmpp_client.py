# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real XMPP client for the scenarios' tests (xmpp, private_lb; slixmpp, Debian's python3-slixmpp).

Usage (every connection is TLS verified against the Edge's CA, for the XMPP domain):
  python3 lab-xmpp-client.py converse CA SENDER@DOMAIN HOST:PORT:MODE RECEIVER@DOMAIN HOST:PORT:MODE BODY
      both log in (passwords in $SENDER_PASSWORD, $RECEIVER_PASSWORD), the sender sends BODY,
      the receiver must get it; prints {"received": BODY, "seconds": ...}
  python3 lab-xmpp-client.py archive CA JID HOST:PORT:MODE WITH
      prints the bodies of JID's message archive (XEP-0313) with WITH, oldest first, as JSON
  python3 lab-xmpp-client.py web CA HOST:PORT JID TO BODY [ADMIN_PORT|none]
      logs in over WebSocket ($PASSWORD) and sends BODY to TO, opens a BOSH session, GETs /bosh and the
      web admin; prints {"websocket", "bosh_mechanisms", "bosh_get_status", "admin_status"}
  python3 lab-xmpp-client.py hold CA JID EVENTS HOST:PORT:MODE [HOST:PORT:MODE ...]
      stays logged in; when the server drops the connection, logs in again on the next server of the
      list; appends one JSON line per session to EVENTS ({"event": "online", "server": ..., "at": ...})
MODE is starttls or tls (direct TLS, XEP-0368, with ALPN xmpp-client). Passwords come from the environment ($PASSWORD for
archive and hold), never from the command line.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.client
import inspect
import json
import os
import re
import ssl
import sys
import time
import uuid

import slixmpp


class Client(slixmpp.ClientXMPP):
    """One account's client on one server, TLS verified against the Edge's CA."""

    def __init__(self, jid: str, password: str, ca: str, server: str):
        # SCRAM-SHA-1 without channel binding: the SCRAM-*-PLUS variants slixmpp
        # prefers bind to the TLS session in ways servers do not all share on TLS 1.3.
        super().__init__(jid, password, sasl_mech="SCRAM-SHA-1")
        host, port, mode = server.split(":")
        # Not server, host or port: slixmpp's own attributes.
        self.endpoint = server
        self.endpoint_host, self.endpoint_port, self.direct_tls = host, int(port), mode == "tls"
        self.ca_certs = ca
        # Direct TLS names its protocol (XEP-0368), as Dino and Conversations do: a load balancer
        # sharing 443 with HTTPS routes the stream by it.
        if self.direct_tls:
            self.ssl_context.set_alpn_protocols(["xmpp-client"])
        self.online = asyncio.Event()
        self.messages: asyncio.Queue = asyncio.Queue()
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0059")
        self.register_plugin("xep_0313")
        self.add_event_handler("session_start", self._started)
        self.add_event_handler("message", self._message)
        self.add_event_handler("failed_auth", lambda event: self._fail("authentication failed: %s" % event))

    def _fail(self, why: str) -> None:
        print(json.dumps({"error": why, "server": self.endpoint}), flush=True)
        os._exit(2)

    async def _started(self, _event) -> None:
        self.send_presence()
        await self.get_roster()
        self.online.set()

    def _message(self, message) -> None:
        if message["type"] in ("chat", "normal") and message["body"]:
            self.messages.put_nowait(message["body"])

    def start(self) -> None:
        """Connect with this client's TLS mode (slixmpp 1.10 on Debian 13; 1.8 on Debian 12)."""
        parameters = inspect.signature(self.connect).parameters
        if "host" in parameters:
            self.enable_direct_tls = self.direct_tls
            self.enable_starttls = not self.direct_tls
            self.enable_plaintext = False
            self.connect(self.endpoint_host, self.endpoint_port)
        else:
            self.connect(address=(self.endpoint_host, self.endpoint_port), use_ssl=self.direct_tls, force_starttls=not self.direct_tls)


async def _online(client: Client, timeout: float = 30) -> None:
    client.start()
    try:
        await asyncio.wait_for(client.online.wait(), timeout)
    except asyncio.TimeoutError:
        client._fail("not logged in within %d s" % timeout)


async def converse(ca: str, sender: str, sender_server: str, receiver: str, receiver_server: str, body: str) -> None:
    alice = Client(sender, os.environ["SENDER_PASSWORD"], ca, sender_server)
    bob = Client(receiver, os.environ["RECEIVER_PASSWORD"], ca, receiver_server)
    await _online(bob)
    await _online(alice)
    start = time.monotonic()
    alice.send_message(mto=receiver, mbody=body, mtype="chat")
    got = await asyncio.wait_for(bob.messages.get(), 20)
    print(json.dumps({"received": got, "seconds": round(time.monotonic() - start, 3)}), flush=True)
    alice.disconnect()
    bob.disconnect()
    await asyncio.sleep(0.5)


async def archive(ca: str, jid: str, server: str, with_jid: str) -> None:
    client = Client(jid, os.environ["PASSWORD"], ca, server)
    await _online(client)
    bodies = []
    async for page in client["xep_0313"].retrieve(with_jid=slixmpp.JID(with_jid), iterator=True, rsm={"max": 50}):
        for result in page["mam"]["results"]:
            bodies.append(result["mam_result"]["forwarded"]["stanza"]["body"])
    print(json.dumps(bodies), flush=True)
    client.disconnect()
    await asyncio.sleep(0.5)


async def hold(ca: str, jid: str, events: str, servers: list) -> None:
    index = 0
    while True:
        client = Client(jid, os.environ["PASSWORD"], ca, servers[index % len(servers)])
        gone = asyncio.Event()
        client.add_event_handler("disconnected", lambda _event, gone=gone: gone.set())
        client.add_event_handler("connection_failed", lambda _event, gone=gone: gone.set())
        client.start()
        online = asyncio.ensure_future(client.online.wait())
        dropped = asyncio.ensure_future(gone.wait())
        await asyncio.wait([online, dropped], timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if client.online.is_set():
            with open(events, "a", encoding="utf-8") as out:
                out.write(json.dumps({"event": "online", "server": client.endpoint, "at": time.time()}) + "\n")
            await gone.wait()
            with open(events, "a", encoding="utf-8") as out:
                out.write(json.dumps({"event": "dropped", "server": client.endpoint, "at": time.time()}) + "\n")
        client.abort() if hasattr(client, "abort") else client.disconnect()
        online.cancel()
        dropped.cancel()
        index += 1
        await asyncio.sleep(0.5)


FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"


def _scram_sha1(user: str, password: str):
    """A SCRAM-SHA-1 client (RFC 5802, no channel binding): yields what to send, is sent what came back."""
    client_nonce = uuid.uuid4().hex
    first_bare = "n=%s,r=%s" % (user, client_nonce)
    server_first = yield "n,," + first_bare
    fields = dict(part.split("=", 1) for part in server_first.split(","))
    assert fields["r"].startswith(client_nonce), server_first
    salted = hashlib.pbkdf2_hmac("sha1", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
    without_proof = "c=biws,r=%s" % fields["r"]
    message = ",".join((first_bare, server_first, without_proof)).encode()
    signature = hmac.new(hashlib.sha1(client_key).digest(), message, hashlib.sha1).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    yield without_proof + ",p=" + base64.b64encode(proof).decode()


async def _frame(socket, wanted: str, timeout: float = 15) -> str:
    """Frames until one holds ``wanted``; fails on a SASL failure or a stream error."""
    while True:
        frame = await asyncio.wait_for(socket.recv(), timeout)
        if "<failure" in frame or "stream:error" in frame or "<error" in frame:
            raise RuntimeError("server said: %s" % frame)
        if wanted in frame:
            return frame


async def websocket_send(context, endpoint: str, jid: str, password: str, to: str, body: str) -> None:
    """Log in over WebSocket (RFC 7395) and send one message, as a web client does."""
    import websockets  # Debian's python3-websockets, on the client container only
    user, domain = jid.split("@")
    opening = '<open xmlns="%s" to="%s" version="1.0"/>' % (FRAMING, domain)
    async with websockets.connect("wss://%s/ws" % endpoint, ssl=context, subprotocols=["xmpp"]) as socket:
        await socket.send(opening)
        await _frame(socket, "SCRAM-SHA-1")
        scram = _scram_sha1(user, password)
        first = base64.b64encode(next(scram).encode()).decode()
        await socket.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">%s</auth>' % first)
        challenge = re.search(r">([^<]+)</challenge>", await _frame(socket, "<challenge")).group(1)
        final = scram.send(base64.b64decode(challenge).decode())
        await socket.send('<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">%s</response>'
                          % base64.b64encode(final.encode()).decode())
        await _frame(socket, "<success")
        await socket.send(opening)
        await _frame(socket, "urn:ietf:params:xml:ns:xmpp-bind")
        await socket.send('<iq type="set" id="bind1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind">'
                          '<resource>web</resource></bind></iq>')
        # ejabberd quotes attributes with ' and other servers with ": match the id alone.
        await _frame(socket, "bind1")
        await socket.send('<message to="%s" type="chat" id="m1"><body>%s</body></message>' % (to, body))
        # A ping answered after the message: the server has processed it.
        await socket.send('<iq type="get" id="ping1"><ping xmlns="urn:xmpp:ping"/></iq>')
        await _frame(socket, "ping1")
        await socket.send('<close xmlns="%s"/>' % FRAMING)


def web(ca: str, endpoint: str, jid: str, to: str, body: str, admin_port: str = "5281") -> dict:
    context = ssl.create_default_context(cafile=ca)
    asyncio.get_event_loop().run_until_complete(
        websocket_send(context, endpoint, jid, os.environ["PASSWORD"], to, body))
    host, port = endpoint.rsplit(":", 1)
    bosh = http.client.HTTPSConnection(host, int(port), context=context, timeout=15)
    bosh.request("POST", "/bosh", body=(
        "<body rid='%d' to='%s' xml:lang='en' wait='10' hold='1' ver='1.6' xmpp:version='1.0' "
        "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>"
        % (int(time.time()), jid.split("@")[1])), headers={"Content-Type": "text/xml; charset=utf-8"})
    answer = bosh.getresponse().read().decode()
    # The load balancers' health check of the HTTP backend (lb_backends check_path).
    bosh.request("GET", "/bosh")
    health = bosh.getresponse()
    health.read()
    outcome = {"websocket": "sent", "bosh_mechanisms": re.findall(r"<mechanism>([^<]+)</mechanism>", answer),
               "bosh_get_status": health.status}
    # The web admin is on the servers only (no admin port through a load balancer).
    if admin_port != "none":
        admin = http.client.HTTPSConnection(host, int(admin_port), context=context, timeout=15)
        admin.request("GET", "/admin/")
        outcome["admin_status"] = admin.getresponse().status
    return outcome


def main(argv: list) -> int:
    command, arguments = argv[1], argv[2:]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if command == "converse":
        loop.run_until_complete(converse(*arguments))
    elif command == "archive":
        loop.run_until_complete(archive(*arguments))
    elif command == "hold":
        ca, jid, events, *servers = arguments
        loop.run_until_complete(hold(ca, jid, events, servers))
    elif command == "web":
        print(json.dumps(web(*arguments)), flush=True)
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
