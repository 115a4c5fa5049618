# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TURN REST API for Janus on its own host (installed by the rainbow.edge conference role).

Janus asks it for a TURN credential for each PeerConnection
(``turn_rest_api`` of janus.jcfg: ``?service=turn&username=...&api=KEY``)
and relays through the URIs it returns. The credential is the one coturn
checks with ``use-auth-secret`` (draft-uberti-behave-turn-rest): the
username ``<expiry>:<user>`` and the base64 HMAC-SHA1 of it under the TURN
servers' shared secret.

Listens on the loopback only. Reads from its environment the files of the
shared secret (``TURN_REST_SECRET_FILE``) and of the key Janus presents
(``TURN_REST_KEY_FILE``), the address (``TURN_REST_LISTEN``, host:port),
the path (``TURN_REST_PATH``), the URIs (``TURN_REST_URIS``,
comma-separated) and the credentials' lifetime in seconds
(``TURN_REST_LIFETIME``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_USER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def credential(secret: bytes, user: str, lifetime: int, now: float) -> dict:
    """A time-limited TURN credential for ``user`` (a safe default name when Janus sends none or an odd one)."""
    name = user if _USER.match(user or "") else "janus"
    username = "%d:%s" % (int(now) + lifetime, name)
    password = base64.b64encode(hmac.new(secret, username.encode(), hashlib.sha1).digest()).decode()
    return {"username": username, "password": password, "ttl": lifetime}


def answer(query: dict, secret: bytes, key: str, uris: list, lifetime: int, now: float) -> tuple:
    """The HTTP status and JSON body for a request's query parameters."""
    given = (query.get("api") or query.get("key") or [""])[0]
    if not hmac.compare_digest(given.encode(), key.encode()):
        return 403, {"error": "wrong or missing key"}
    if (query.get("service") or [""])[0] != "turn":
        return 400, {"error": "service must be turn"}
    body = credential(secret, (query.get("username") or [""])[0], lifetime, now)
    body["uris"] = list(uris)
    return 200, body


def _read_file(variable: str) -> str:
    with open(os.environ[variable], encoding="utf-8") as handle:
        return handle.read().strip()


def main() -> int:
    secret = _read_file("TURN_REST_SECRET_FILE").encode()
    key = _read_file("TURN_REST_KEY_FILE")
    host, port = os.environ["TURN_REST_LISTEN"].rsplit(":", 1)
    path = os.environ.get("TURN_REST_PATH", "/turn-credentials")
    uris = [uri for uri in os.environ.get("TURN_REST_URIS", "").split(",") if uri]
    lifetime = int(os.environ.get("TURN_REST_LIFETIME", "86400"))

    class Handler(BaseHTTPRequestHandler):
        server_version = "rainbow-edge-turn-rest"
        sys_version = ""

        def _serve(self, body_text: str) -> None:
            url = urlsplit(self.path)
            if url.path != path:
                status, body = 404, {"error": "not found"}
            else:
                query = parse_qs(url.query)
                for name, values in parse_qs(body_text).items():
                    query.setdefault(name, values)
                status, body = answer(query, secret, key, uris, lifetime, time.time())
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._serve("")

        def do_POST(self) -> None:  # noqa: N802
            length = min(int(self.headers.get("Content-Length") or 0), 4096)
            self._serve(self.rfile.read(length).decode("utf-8", "replace"))

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
            # The query holds the key: log the status only.
            if len(args) > 1 and str(args[1]) != "200":
                sys.stderr.write("%s %s\n" % (self.command, args[1]))

    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
