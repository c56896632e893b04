#!/usr/bin/env python3
"""A small JSON-RPC test node for chainsnap's RLP tests (127.0.0.1 only).

Serves a chain of blocks read from an RLP stream and imports RLP files the way geth or
coreth do, decoding them with PyPI's `rlp` (an implementation independent of chainsnap's):

  eth_blockNumber, eth_getBlockByNumber, eth_syncing, debug_getRawBlock (JSON-RPC batches too)
  admin_importChain(file)   rejects gaps and bad parent hashes; skips blocks it already has
  admin.aliasChain          (luxd node admin API)
  GET /ext/health

Paths follow luxd (/ext/bc/C/rpc, /ext/bc/C/admin, /ext/admin, /ext/health); with --geth
everything is served at /.

  --chain FILE        the chain it knows (blocks 1..N); the genesis hash is block 1's parent
  --height H          how many of those blocks it has at start (default: all)
  --fail-at N         the first admin_importChain whose file holds block N fails there
  --fail-mode MODE    coreth: a failed file commits nothing; geth: blocks before the failure stay
  --fail-times K      how many imports fail at N before it works (default 1)

Prints "PORT <n>" on stdout once listening. Test-only helper: test_state returns counters.
"""
import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import rlp
from eth_hash.auto import keccak


def split_blocks(data):
    """Cuts an RLP stream into (raw block bytes, decoded item) pairs with pyrlp."""
    out = []
    pos = 0
    while pos < len(data):
        item, _, end = rlp.codec.consume_item(data, pos)
        out.append((data[pos:end], item))
        pos = end
    return out


def header_info(item):
    header = item[0]
    return {
        "number": int.from_bytes(header[8], "big"),
        "parent": bytes(header[0]),
        "hash": keccak(rlp.encode(header)),
        "timestamp": int.from_bytes(header[11], "big"),
    }


class Chain:
    def __init__(self, blocks, height, genesis_hash):
        self.lock = threading.Lock()
        self.known = blocks  # list of (raw, info) for numbers 1..N (for serving raw blocks)
        self.genesis_hash = genesis_hash
        self.have = [(b[0], b[1]) for b in blocks[:height]]  # blocks the node holds, numbers 1..height
        self.imports = 0
        self.failed_imports = 0
        self.imported_files = []

    def height(self):
        return len(self.have)

    def info(self, n):
        if n == 0:
            return {"number": 0, "hash": self.genesis_hash, "parent": b"\0" * 32, "timestamp": 0}
        if 1 <= n <= len(self.have):
            return self.have[n - 1][1]
        return None

    def raw(self, n):
        if 1 <= n <= len(self.have):
            return self.have[n - 1][0]
        return None


class Node:
    def __init__(self, args):
        blocks = []
        genesis = b"\0" * 32
        if args.chain:
            with open(args.chain, "rb") as f:
                for raw, item in split_blocks(f.read()):
                    blocks.append((raw, header_info(item)))
            if blocks:
                genesis = blocks[0][1]["parent"]
        if args.genesis_hash:
            genesis = bytes.fromhex(args.genesis_hash.removeprefix("0x"))
        height = len(blocks) if args.height is None else min(args.height, len(blocks))
        self.chain = Chain(blocks, height, genesis)
        self.fail_at = args.fail_at
        self.fail_mode = args.fail_mode
        self.fail_times = args.fail_times
        self.aliases = {}

    def import_chain(self, path):
        with open(path, "rb") as f:
            data = f.read()
        blocks = split_blocks(data)  # raises on malformed RLP
        c = self.chain
        with c.lock:
            c.imports += 1
            c.imported_files.append(path)
            staged = []
            head_n = c.height()
            head_h = c.info(head_n)["hash"]
            for raw, item in blocks:
                info = header_info(item)
                n = info["number"]
                if n <= head_n:
                    mine = c.info(n)
                    if mine is not None and mine["hash"] == info["hash"]:
                        continue  # already known, like geth's insertChain
                    raise RPCError(-32000, "block #%d conflicts with the node's chain" % n)
                if self.fail_at is not None and n == self.fail_at and self.fail_times > 0:
                    self.fail_times -= 1
                    c.failed_imports += 1
                    if self.fail_mode == "geth":
                        c.have.extend(staged)
                    raise RPCError(-32000, "injected failure at block #%d" % n)
                if n != head_n + 1:
                    raise RPCError(-32000, "non-contiguous insert: block #%d after #%d" % (n, head_n))
                if info["parent"] != head_h:
                    raise RPCError(-32000, "block #%d: unknown ancestor (parent %s)" % (n, info["parent"].hex()))
                staged.append((raw, info))
                head_n, head_h = n, info["hash"]
            c.have.extend(staged)
        return True


class RPCError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def quantity(n):
    return hex(n)


def parse_number(tag, node):
    if tag in ("latest", "pending", "safe", "finalized"):
        return node.chain.height()
    if tag == "earliest":
        return 0
    if isinstance(tag, int):
        return tag
    return int(tag, 16)


def handle_call(node, path, req, geth):
    method = req.get("method")
    params = req.get("params") or []
    rpc_paths = ("/",) if geth else ("/ext/bc/C/rpc",)
    admin_paths = ("/",) if geth else ("/ext/bc/C/admin",)
    node_admin_paths = ("/",) if geth else ("/ext/admin",)
    c = node.chain
    if method == "admin_importChain" and path in admin_paths:
        return node.import_chain(params[0])
    if method == "admin.aliasChain" and path in node_admin_paths:
        p = params[0] if params else {}
        node.aliases[p.get("alias")] = p.get("chain")
        return {}
    if method == "test_state":
        return {"height": c.height(), "imports": c.imports, "failedImports": c.failed_imports,
                "importedFiles": c.imported_files, "aliases": node.aliases}
    if path not in rpc_paths:
        raise RPCError(-32601, "method %s not available at %s" % (method, path))
    if method == "eth_blockNumber":
        return quantity(c.height())
    if method == "eth_syncing":
        return False
    if method == "eth_getBlockByNumber":
        n = parse_number(params[0], node)
        with c.lock:
            info = c.info(n)
        if info is None:
            return None
        return {"number": quantity(n), "hash": "0x" + info["hash"].hex(), "parentHash": "0x" + info["parent"].hex(),
                "timestamp": quantity(info["timestamp"])}
    if method == "debug_getRawBlock":
        n = parse_number(params[0], node)
        with c.lock:
            raw = c.raw(n)
        if raw is None:
            raise RPCError(-32000, "block #%d not found" % n)
        return "0x" + raw.hex()
    raise RPCError(-32601, "the method %s does not exist/is not available" % method)


def make_handler(node, geth):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == ("/" if geth else "/ext/health"):
                self.send(200, {"healthy": True, "checks": {}})
            else:
                self.send(404, {"error": "not found"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            try:
                payload = json.loads(self.rfile.read(n))
            except Exception:
                self.send(400, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
                return
            if isinstance(payload, list):
                self.send(200, [self.one(r) for r in payload])
            else:
                self.send(200, self.one(payload))

        def one(self, req):
            rid = req.get("id")
            try:
                return {"jsonrpc": "2.0", "id": rid, "result": handle_call(node, self.path, req, geth)}
            except RPCError as e:
                return {"jsonrpc": "2.0", "id": rid, "error": {"code": e.code, "message": e.message}}
            except Exception as e:  # malformed files, bad params
                return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": "%s: %s" % (type(e).__name__, e)}}

    return Handler


def main():
    # A test runner may start us with SIGTERM blocked; make sure it stops us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--chain")
    ap.add_argument("--height", type=int)
    ap.add_argument("--genesis-hash")
    ap.add_argument("--geth", action="store_true")
    ap.add_argument("--fail-at", type=int)
    ap.add_argument("--fail-mode", choices=["coreth", "geth"], default="coreth")
    ap.add_argument("--fail-times", type=int, default=1)
    args = ap.parse_args()
    node = Node(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(node, args.geth))
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
