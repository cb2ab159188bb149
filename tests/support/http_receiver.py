#!/usr/bin/python3
"""A real HTTP receiver for kc-notify's webhook and SMS tests.

Usage: http_receiver.py PORT LOG_FILE

Every POST is appended to LOG_FILE as one JSON line: the path, the headers
kc-notify signs with, and the body as received. While LOG_FILE + ".down"
exists the receiver answers 503, like an endpoint that is failing; while
LOG_FILE + ".stall" exists it holds each request unanswered (up to two
minutes, then 503), like an endpoint that hangs. Every POST, answered or
not, first adds its X-Kechuang-Notification to LOG_FILE + ".arrivals", one
line each: the attempts as the receiver counts them. The tests create and
remove those files. It prints "ready" once it listens.
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
LOG = sys.argv[2]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        with open(LOG + ".arrivals", "a", encoding="utf-8") as arrivals:
            arrivals.write(self.headers.get("X-Kechuang-Notification", "") + "\n")
        deadline = time.monotonic() + 120
        stalled = False
        while os.path.exists(LOG + ".stall") and time.monotonic() < deadline:
            stalled = True
            time.sleep(0.05)
        if stalled or os.path.exists(LOG + ".down"):
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
