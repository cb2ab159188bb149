#!/usr/bin/python3
"""A real HTTP receiver for kc-notify's webhook and SMS tests.

Usage: http_receiver.py PORT LOG_FILE

Every POST is appended to LOG_FILE as one JSON line: the path, the headers
kc-notify signs with, and the body as received. While LOG_FILE + ".down"
exists the receiver answers 503, like an endpoint that is failing; the
tests create and remove that file. It prints "ready" once it listens.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
LOG = sys.argv[2]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        if os.path.exists(LOG + ".down"):
            self.send_response(503)
            self.end_headers()
            return
        record = {
            "path": self.path,
            "timestamp": self.headers.get("X-Kechuang-Timestamp", ""),
            "signature": self.headers.get("X-Kechuang-Signature", ""),
            "notification": self.headers.get("X-Kechuang-Notification", ""),
            "body": body,
        }
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
print("ready", flush=True)
server.serve_forever()
