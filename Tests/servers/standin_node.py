#!/usr/bin/env python3
"""A stand-in for luxd used by the supervisor tests.

Serves GET /ext/health ({"healthy": true} once --healthy-after seconds have passed, 503
before, never with --never-healthy), POST /ext/admin (admin.aliasChain) and POST
/ext/bc/C/admin (admin_importChain) and /ext/bc/C/rpc (eth_blockNumber, eth_getBlockByNumber:
every block up to the current height, with hash --block-hash or 0x followed by the number in 64
hex digits), on 127.0.0.1:--port (0 = any free port, printed as "PORT n" on stdout). Heights can
advance (--advance-per-sec from --height at --epoch) and stop advancing (--advance-for: a node
that comes back stuck).
Every call and every signal is appended as one JSON line to --record. On SIGTERM/SIGINT it
exits with --exit-status; with --exit-after S it exits on its own after S seconds.
"""
import signal
import sys

# Before anything slow: a SIGTERM may come while Python is still starting; it is handled below.
_early_signals = []
signal.signal(signal.SIGTERM, signal.SIG_IGN if "--ignore-sigterm" in sys.argv else lambda s, f: _early_signals.append(s))
signal.signal(signal.SIGINT, lambda s, f: _early_signals.append(s))

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--record", required=True)
ap.add_argument("--healthy-after", type=float, default=0)
ap.add_argument("--never-healthy", action="store_true")
ap.add_argument("--exit-status", type=int, default=0)
ap.add_argument("--exit-after", type=float, default=0)
ap.add_argument("--ignore-sigterm", action="store_true")
ap.add_argument("--height", type=int, default=0, help="eth_blockNumber answer")
ap.add_argument("--syncing", action="store_true", help="eth_syncing reports progress instead of false")
ap.add_argument("--block-hash", help="hash eth_getBlockByNumber gives every block")
ap.add_argument("--advance-per-sec", type=float, default=0, help="height grows by this many blocks per second")
ap.add_argument("--epoch", type=float, default=0, help="unix time at which the height was --height (default: start)")
ap.add_argument("--advance-for", type=float, default=-1, help="stop advancing this many seconds after start (a stuck node)")
args, extra = ap.parse_known_args()

lock = threading.Lock()
started = time.time()


def height():
    """--height at --epoch, growing --advance-per-sec blocks per second (until --advance-for)."""
    now = time.time()
    if args.advance_for >= 0:
        now = min(now, started + args.advance_for)
    return max(0, int(args.height + args.advance_per_sec * (now - (args.epoch or started))))


def record(**kw):
    with lock, open(args.record, "a") as f:
        f.write(json.dumps(kw) + "\n")
        f.flush()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/ext/health":
            ok = not args.never_healthy and time.time() - started >= args.healthy_after
            self.reply(200 if ok else 503, {"healthy": ok, "checks": {}})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        req = json.loads(self.rfile.read(n) or b"{}")
        method, params = req.get("method"), req.get("params")
        record(event="call", path=self.path, method=method, params=params)
        result = None
        if method == "admin.aliasChain" and self.path == "/ext/admin":
            result = {}
        elif method == "admin_importChain" and self.path == "/ext/bc/C/admin":
            result = True
        elif method == "eth_blockNumber":
            result = hex(height())
        elif method == "eth_getBlockByNumber":
            h = height()
            n = h if params[0] == "latest" else int(params[0], 16)
            if n <= h:
                result = {"number": hex(n), "hash": args.block_hash or "0x%064x" % n, "transactions": []}
        elif method == "eth_syncing":
            result = {"currentBlock": hex(height()), "highestBlock": hex(height() + 100)} if args.syncing else False
        else:
            return self.reply(200, {"jsonrpc": "2.0", "id": req.get("id"),
                                    "error": {"code": -32601, "message": "method %s not found at %s" % (method, self.path)}})
        self.reply(200, {"jsonrpc": "2.0", "id": req.get("id"), "result": result})


def on_signal(sig, _frame):
    record(event="signal", signal=sig)
    if args.ignore_sigterm and sig == signal.SIGTERM:
        return
    sys.stdout.flush()
    import os
    os._exit(args.exit_status)


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
# A parent's thread may have had these blocked (the mask survives exec): take them back.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
for _s in _early_signals:
    on_signal(_s, None)
server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
record(event="start", argv=sys.argv[1:], extra=extra)
print("PORT %d" % server.server_address[1], flush=True)
if args.exit_after > 0:
    def later():
        time.sleep(args.exit_after)
        record(event="exit-after")
        import os
        os._exit(args.exit_status)
    threading.Thread(target=later, daemon=True).start()
server.serve_forever()
