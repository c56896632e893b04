#!/usr/bin/env python3
"""A misbehaving HTTP server for chainsnap's transfer tests (127.0.0.1 only).

Serves files from --root. The first two path segments choose a fault and how many times
it happens before the server behaves (per path, counting every request):

    GET /<mode>/<times>/<file>       times = 0 means "always"

modes:
    ok        normal answers, Range supported (206 + Content-Range)
    drop      sends the headers and half the body, then closes the connection
    500       answers 500 Internal Server Error
    503       answers 503 with an S3 SlowDown error body
    429       answers 429 Too Many Requests with Retry-After: 1
    stall     sends half the body, then sends nothing for --stall seconds, then closes
    short     answers 200 with a consistent but truncated body (Content-Length = half)
    norange   ignores Range: always 200 with the whole body (times is ignored)
    etag      the ETag changes after <times> requests (times=0: changes on every request)
    wrongrange answers 206 for a range other than the one asked for
    nohead    refuses HEAD with 405 (GET works normally)

Prints the port it listens on (one line) to stdout once ready. Stop it with SIGTERM/SIGKILL.
GET /_stats returns the request counts per path as JSON.
"""
import argparse
import json
import os
import re
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
LOCK = threading.Lock()
ARGS = None


def bump(path):
    with LOCK:
        COUNTS[path] = COUNTS.get(path, 0) + 1
        return COUNTS[path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def send_plain(self, status, body=b"", extra=None):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        if self.path.startswith("/nohead/"):
            return self.send_plain(405, b"")
        self.do_GET()

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                body = json.dumps(COUNTS).encode()
            return self.send_plain(200, body, {"Content-Type": "application/json"})
        parts = self.path.lstrip("/").split("/", 2)
        if len(parts) < 3:
            return self.send_plain(404, b"use /<mode>/<times>/<file>")
        mode, times, name = parts[0], int(parts[1]), parts[2]
        n = bump(self.path)
        faulty = times == 0 or n <= times
        full = os.path.join(ARGS.root, name)
        if ".." in name.split("/") or not os.path.isfile(full):
            return self.send_plain(404, b"not found")
        with open(full, "rb") as f:
            data = f.read()
        etag = '"v1"'
        if mode == "etag" and (times == 0 or n > times):
            etag = '"v%d"' % (n + 1)

        if faulty and mode == "500":
            return self.send_plain(500, b"<Error><Code>InternalError</Code><Message>injected</Message></Error>")
        if faulty and mode == "503":
            return self.send_plain(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
        if faulty and mode == "429":
            return self.send_plain(429, b"too many requests", {"Retry-After": "1"})

        status, start, end = 200, 0, len(data)
        rng = self.headers.get("Range")
        m = re.match(r"bytes=(\d+)-(\d*)$", rng or "")
        if m and mode != "norange":
            start = int(m.group(1))
            end = min(len(data), int(m.group(2)) + 1) if m.group(2) else len(data)
            if start >= len(data):
                return self.send_plain(416, b"", {"Content-Range": "bytes */%d" % len(data)})
            status = 206
            if faulty and mode == "wrongrange":
                start = max(0, start - 1)
        body = data[start:end]
        headers = {"ETag": etag, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if status == 206:
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end - 1, len(data))

        if faulty and mode == "short":
            body = body[: len(body) // 2]
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        # "hugelength": a Content-Length of 512 GiB in front of the real (small) body, then close.
        self.send_header("Content-Length", str(1 << 39 if faulty and mode == "hugelength" else len(body)))
        self.end_headers()
        if faulty and mode == "hugelength" and self.command != "HEAD":
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        if self.command == "HEAD":
            return
        if faulty and mode in ("drop", "stall"):
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            if mode == "stall":
                time.sleep(ARGS.stall)
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--stall", type=float, default=3.0)
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", ARGS.port), Handler)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
