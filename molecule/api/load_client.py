# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clients of the application through a load balancer's VIP, for the api scenario (lab only).

Usage:
  python3 load_client.py work CA URL LOG SECONDS WORKERS
      WORKERS clients side by side, each sending one request after another
      (GET URL, a new HTTPS connection each, verified against CA); the
      fixture's /api/work lasts at least 1 s and writes to MariaDB, its
      row naming the client "<LOG's name>-w<worker>". One JSON
      line per request in LOG: {at, took, ok, status, server, id (the row
      written)} or {.., error}.
  python3 load_client.py websocket CA URL LOG SECONDS
      One WebSocket held open, a message every 0.5 s; when the server closes
      it, the close code is logged and the client connects again. One JSON
      line per event in LOG: {at, event: open|echo|closed|error, server, code}.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse


def _log(out, lock, record: dict) -> None:
    with lock:
        out.write(json.dumps(record) + "\n")
        out.flush()


def work(ca: str, url: str, log: str, seconds: float, workers: int) -> int:
    parsed = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=ca)
    end = time.time() + seconds
    lock = threading.Lock()
    tag = os.path.splitext(os.path.basename(log))[0][:48]

    def worker(number: int, out) -> None:
        while time.time() < end:
            started = time.time()
            record = {"at": started, "worker": number}
            try:
                connection = http.client.HTTPSConnection(parsed.hostname, parsed.port, context=context, timeout=15)
                connection.request("GET", "%s?%s&client=%s-w%d" % (parsed.path, parsed.query, tag, number))
                response = connection.getresponse()
                body = response.read()
                connection.close()
                record.update(ok=response.status == 200, status=response.status,
                              server=response.getheader("X-Served-By"))
                if response.status == 200:
                    record["id"] = json.loads(body)["id"]
                else:
                    record["body"] = body[:200].decode(errors="replace")
            except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
                record.update(ok=False, error="%s: %s" % (type(error).__name__, error))
            record["took"] = round(time.time() - started, 3)
            _log(out, lock, record)
            if not record["ok"]:
                time.sleep(0.1)  # a refused request returns at once: do not flood the log

    with open(log, "a", encoding="utf-8") as out:
        threads = [threading.Thread(target=worker, args=(number, out)) for number in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return 0


async def _websocket(ca: str, url: str, out, lock, seconds: float) -> None:
    import websockets  # Debian's python3-websockets (10.4 on Debian 12, 15 on Debian 13)

    context = ssl.create_default_context(cafile=ca)
    end = time.time() + seconds
    while time.time() < end:
        try:
            async with websockets.connect(url, ssl=context, open_timeout=5) as socket:
                hello = json.loads(await socket.recv())
                _log(out, lock, {"at": time.time(), "event": "open", "server": hello["server"]})
                while time.time() < end:
                    await socket.send("ping %f" % time.time())
                    echo = json.loads(await socket.recv())
                    _log(out, lock, {"at": time.time(), "event": "echo", "server": echo["server"]})
                    await asyncio.sleep(0.5)
                await socket.close()
        except websockets.exceptions.ConnectionClosed as closed:
            frame = getattr(closed, "rcvd", None)
            code = frame.code if frame is not None else getattr(closed, "code", None)
            _log(out, lock, {"at": time.time(), "event": "closed", "code": code})
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as error:
            _log(out, lock, {"at": time.time(), "event": "error", "error": "%s: %s" % (type(error).__name__, error)})
            await asyncio.sleep(0.2)


def websocket(ca: str, url: str, log: str, seconds: float) -> int:
    with open(log, "a", encoding="utf-8") as out:
        asyncio.run(_websocket(ca, url, out, threading.Lock(), seconds))
    return 0


def main(argv: list) -> int:
    if argv[1] == "work":
        return work(argv[2], argv[3], argv[4], float(argv[5]), int(argv[6]))
    if argv[1] == "websocket":
        return websocket(argv[2], argv[3], argv[4], float(argv[5]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
