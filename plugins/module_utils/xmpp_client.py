# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An XMPP client for the smoke test: two users log in at the Edge's entry point and talk.

Standard library only. Direct TLS with ALPN ``xmpp-client`` (XEP-0368, what
the public load balancers route on 443) or STARTTLS (RFC 6120), the
certificate always verified for the Edge's domain; SASL PLAIN; resource
binding; chat messages; the message archive (XEP-0313, MAM 2). Used by
``plugins/modules/xmpp_message_probe.py``; unit-tested against a scripted
XMPP server over real TLS in ``tests/unit/plugins/module_utils/test_xmpp_client.py``.
"""

from __future__ import annotations

import base64
import socket
import ssl
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Callable, List, Optional
from xml.sax.saxutils import escape, quoteattr

STREAM_NS = "http://etherx.jabber.org/streams"
CLIENT_NS = "jabber:client"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind"
MAM_NS = "urn:xmpp:mam:2"
FORWARD_NS = "urn:xmpp:forward:0"
DATA_NS = "jabber:x:data"


class XmppError(Exception):
    """The server refused, did not answer, or could not be trusted; the message never holds a password."""


def _q(ns: str, tag: str) -> str:
    return "{%s}%s" % (ns, tag)


class Session:
    """One user's session: connected, TLS verified, authenticated and bound (``jid`` is the full JID)."""

    def __init__(self, host: str, port: int, domain: str, user: str, password: str, tls: str = "direct",
                 ca_file: Optional[str] = None, timeout: float = 10.0, resource: str = "smoke") -> None:
        if tls not in ("direct", "starttls"):
            raise XmppError("tls must be direct or starttls, not %r" % tls)
        self.domain, self.user, self.timeout = domain, user, timeout
        self.context = ssl.create_default_context(cafile=ca_file or None)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.where = "%s:%d" % (host, port)
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            raise XmppError("cannot connect to %s: %s" % (self.where, error))
        self.jid = ""
        try:
            if tls == "direct":
                self.context.set_alpn_protocols(["xmpp-client"])
                self._wrap()
                features = self._open_stream()
            else:
                features = self._open_stream()
                if features.find(_q(TLS_NS, "starttls")) is None:
                    raise XmppError("%s offers no STARTTLS" % self.where)
                self._send("<starttls xmlns='%s'/>" % TLS_NS)
                if self._next().tag != _q(TLS_NS, "proceed"):
                    raise XmppError("%s refused STARTTLS" % self.where)
                self._wrap()
                features = self._open_stream()
            self._authenticate(features, password)
            self._bind(resource)
        except (OSError, ET.ParseError) as error:
            self.close()
            raise XmppError("%s: %s" % (self.where, error))
        except XmppError:
            self.close()
            raise

    # The stream -----------------------------------------------------------------------------------------

    def _wrap(self) -> None:
        try:
            self.sock = self.context.wrap_socket(self.sock, server_hostname=self.domain)
        except ssl.SSLCertVerificationError as error:
            raise XmppError("%s: the certificate is not trusted for %s: %s" % (self.where, self.domain,
                                                                               error.verify_message))

    def _send(self, text: str) -> None:
        self.sock.sendall(text.encode("utf-8"))

    def _open_stream(self) -> ET.Element:
        """Open (or restart) the stream; the server's features."""
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth, self.pending = 0, []
        self._send("<?xml version='1.0'?><stream:stream to=%s version='1.0' xmlns='%s' xmlns:stream='%s'>"
                   % (quoteattr(self.domain), CLIENT_NS, STREAM_NS))
        features = self._next()
        if features.tag != _q(STREAM_NS, "features"):
            raise XmppError("%s sent %s where its stream features were expected" % (self.where, features.tag))
        return features

    def _next(self, deadline: Optional[float] = None) -> ET.Element:
        """The next top-level element of the stream."""
        deadline = deadline or time.monotonic() + self.timeout
        while not self.pending:
            for event, element in self.parser.read_events():
                if event == "start":
                    self.depth += 1
                    if self.depth == 1 and element.tag != _q(STREAM_NS, "stream"):
                        raise XmppError("%s does not speak XMPP (%s)" % (self.where, element.tag))
                else:
                    self.depth -= 1
                    if self.depth == 1:
                        self.pending.append(element)
                    elif self.depth == 0:
                        raise XmppError("%s closed the stream" % self.where)
            if self.pending:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise XmppError("%s: no answer within %s s" % (self.where, self.timeout))
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise XmppError("%s: no answer within %s s" % (self.where, self.timeout))
            if not data:
                raise XmppError("%s closed the connection" % self.where)
            self.parser.feed(data)
        element = self.pending.pop(0)
        if element.tag == _q(STREAM_NS, "error"):
            condition = next((child.tag.split("}")[-1] for child in element), "undefined-condition")
            raise XmppError("%s: stream error %s" % (self.where, condition))
        return element

    def _wait(self, match: Callable[[ET.Element], bool], what: str) -> ET.Element:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                element = self._next(deadline)
            except XmppError as error:
                raise XmppError("%s (waiting for %s)" % (error, what))
            if match(element):
                return element

    # Login ----------------------------------------------------------------------------------------------

    def _authenticate(self, features: ET.Element, password: str) -> None:
        mechanisms = [m.text for m in features.iter(_q(SASL_NS, "mechanism"))]
        if "PLAIN" not in mechanisms:
            raise XmppError("%s offers no SASL PLAIN (offers %s)" % (self.where, mechanisms))
        token = base64.b64encode(b"\0" + self.user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode()
        self._send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL_NS, token))
        answer = self._next()
        if answer.tag != _q(SASL_NS, "success"):
            condition = next((child.tag.split("}")[-1] for child in answer), answer.tag.split("}")[-1])
            raise XmppError("%s refused the login of %s@%s: %s" % (self.where, self.user, self.domain, condition))
        self._open_stream()

    def _bind(self, resource: str) -> None:
        self._send("<iq type='set' id='bind'><bind xmlns='%s'><resource>%s-%s</resource></bind></iq>"
                   % (BIND_NS, escape(resource), uuid.uuid4().hex[:8]))
        answer = self._wait(lambda e: e.tag == _q(CLIENT_NS, "iq") and e.get("id") == "bind", "the bound address")
        jid = answer.findtext("%s/%s" % (_q(BIND_NS, "bind"), _q(BIND_NS, "jid")))
        if answer.get("type") != "result" or not jid:
            raise XmppError("%s refused to bind a resource for %s@%s" % (self.where, self.user, self.domain))
        self.jid = jid
        self._send("<presence/>")

    # Talking --------------------------------------------------------------------------------------------

    def send_message(self, to: str, body: str) -> None:
        self._send("<message to=%s type='chat' id=%s><body>%s</body></message>"
                   % (quoteattr(to), quoteattr(uuid.uuid4().hex), escape(body)))

    def receive_message(self, body: str) -> str:
        """Wait for a chat message with ``body``; the JID it came from."""
        found = self._wait(lambda e: e.tag == _q(CLIENT_NS, "message") and e.findtext(_q(CLIENT_NS, "body")) == body,
                           "the message %r" % body)
        return found.get("from", "")

    def archived_bodies(self, with_jid: str) -> List[str]:
        """The bodies of this user's archived messages with ``with_jid`` (XEP-0313), oldest first."""
        query = uuid.uuid4().hex
        self._send(
            "<iq type='set' id=%s><query xmlns='%s' queryid=%s><x xmlns='%s' type='submit'>"
            "<field var='FORM_TYPE' type='hidden'><value>%s</value></field>"
            "<field var='with'><value>%s</value></field></x></query></iq>"
            % (quoteattr(query), MAM_NS, quoteattr(query), DATA_NS, MAM_NS, escape(with_jid)))
        bodies: List[str] = []
        while True:
            element = self._wait(lambda e: (e.tag == _q(CLIENT_NS, "iq") and e.get("id") == query)
                                 or e.find(_q(MAM_NS, "result")) is not None, "the archive")
            if element.tag == _q(CLIENT_NS, "iq"):
                if element.get("type") != "result":
                    raise XmppError("%s refused the archive query of %s" % (self.where, self.jid))
                return bodies
            forwarded = element.find("%s/%s/%s" % (_q(MAM_NS, "result"), _q(FORWARD_NS, "forwarded"),
                                                   _q(CLIENT_NS, "message")))
            if forwarded is not None and forwarded.findtext(_q(CLIENT_NS, "body")) is not None:
                bodies.append(forwarded.findtext(_q(CLIENT_NS, "body")))

    def close(self) -> None:
        try:
            self._send("</stream:stream>")
        except OSError:
            pass
        self.sock.close()


def exchange(host: str, port: int, domain: str, first: dict, second: dict, tls: str = "direct",
             ca_file: Optional[str] = None, archive: bool = True, timeout: float = 10.0) -> dict:
    """Two users log in, send each other a message, and (``archive``) the first finds both in its archive.

    ``first`` and ``second`` are ``{"user": ..., "password": ...}``. Returns what was measured.
    """
    started = time.monotonic()
    one = Session(host, port, domain, first["user"], first["password"], tls, ca_file, timeout)
    try:
        two = Session(host, port, domain, second["user"], second["password"], tls, ca_file, timeout)
        try:
            logged_in = time.monotonic() - started
            token = uuid.uuid4().hex
            bodies = ["smoke %s from %s" % (token, first["user"]), "smoke %s from %s" % (token, second["user"])]
            moment = time.monotonic()
            one.send_message(two.jid, bodies[0])
            sender = two.receive_message(bodies[0])
            two.send_message(one.jid, bodies[1])
            answerer = one.receive_message(bodies[1])
            exchanged = time.monotonic() - moment
            if sender.split("/")[0] != one.jid.split("/")[0] or answerer.split("/")[0] != two.jid.split("/")[0]:
                raise XmppError("a message arrived from %r / %r, not from the other user" % (sender, answerer))
            archived: List[str] = []
            if archive:
                # The archive is written as the messages pass; a server may take a moment to make it readable.
                deadline = time.monotonic() + timeout
                while True:
                    archived = [b for b in one.archived_bodies(two.jid.split("/")[0]) if b in bodies]
                    if archived == bodies or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                if archived != bodies:
                    raise XmppError("the archive of %s holds %d of the 2 messages exchanged" % (one.jid, len(archived)))
            return {"users": [one.jid, two.jid], "login_seconds": round(logged_in, 3),
                    "exchange_seconds": round(exchanged, 3), "messages": 2, "archived": len(archived),
                    "tls_version": one.sock.version(), "alpn": one.sock.selected_alpn_protocol()}
        finally:
            two.close()
    finally:
        one.close()
