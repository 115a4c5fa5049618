"""Lab fixture: a webhook receiver that records every notification Alertmanager delivers.

Usage: python3 webhook_receiver.py ADDRESS PORT FILE. Each POST body (Alertmanager's
webhook JSON) is appended to FILE as one line, with the time it arrived.
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[3], "a", encoding="utf-8") as out:
            out.write(json.dumps({"received": time.time(), "path": self.path, "body": json.loads(body)}) + "\n")
        self.send_response(200)
        self.end_headers()


if __name__ == "__main__":
    import os
    os.makedirs(os.path.dirname(sys.argv[3]), exist_ok=True)
    HTTPServer((sys.argv[1], int(sys.argv[2])), Receiver).serve_forever()
