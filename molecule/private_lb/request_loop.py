# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A request loop for the private_lb scenario: one new HTTPS connection and GET every 0.1 s.

Usage: python3 request_loop.py CA URL LOG SECONDS
Verifies the server against CA (the Edge's), for the URL's host (a VIP's
address); appends one JSON line per request to LOG: {"at", "ok", "status"
or "error"}; stops after SECONDS.
"""

from __future__ import annotations

import http.client
import json
import ssl
import sys
import time
import urllib.parse


def main(argv: list) -> int:
    ca, url, log, seconds = argv[1], argv[2], argv[3], float(argv[4])
    parsed = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=ca)
    end = time.time() + seconds
    with open(log, "a", encoding="utf-8") as out:
        while time.time() < end:
            started = time.time()
            record = {"at": started}
            try:
                connection = http.client.HTTPSConnection(parsed.hostname, parsed.port, context=context, timeout=1)
                connection.request("GET", parsed.path)
                response = connection.getresponse()
                response.read()
                connection.close()
                record.update(ok=200 <= response.status < 400, status=response.status)
            except (OSError, http.client.HTTPException) as error:
                record.update(ok=False, error="%s: %s" % (type(error).__name__, error))
            out.write(json.dumps(record) + "\n")
            out.flush()
            time.sleep(max(0.0, 0.1 - (time.time() - started)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
