#!/usr/bin/env python3
"""A TCP proxy that caps each connection's download rate, like an object store does.

    throttle_proxy.py LISTEN_PORT UPSTREAM_PORT RATE_BYTES_PER_SECOND

nginx's `limit_rate` is per request and lets every request send a full second's worth
(`rate * (elapsed + 1)`) before it throttles, so clients that ask for many ranges smaller
than the rate are never slowed. This proxy caps the connection instead: bytes from the
upstream to the client pass through a token bucket (rate RATE, burst 256 KiB) that lives as
long as the TCP connection, whatever requests it carries. Bytes move with splice(2), so the
proxy itself costs little CPU. Listens on 127.0.0.1 only; prints "ready" when listening.
"""
import os
import socket
import sys
import threading
import time

BURST = 256 << 10
SLICE = 128 << 10


def pump_up(client, upstream):
    """Client to upstream (requests): unthrottled."""
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            upstream.sendall(data)
    except OSError:
        pass
    finally:
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def pump_down(upstream, client, rate):
    """Upstream to client (responses): token bucket, moved with splice through a pipe."""
    r, w = os.pipe()
    tokens = float(BURST)
    last = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            tokens = min(BURST, tokens + (now - last) * rate)
            last = now
            if tokens < SLICE / 4:
                time.sleep((SLICE / 4 - tokens) / rate)
                continue
            want = int(min(tokens, SLICE))
            n = os.splice(upstream.fileno(), w, want)
            if n == 0:
                break
            tokens -= n
            left = n
            while left:
                left -= os.splice(r, client.fileno(), left)
    except OSError:
        pass
    finally:
        os.close(r)
        os.close(w)
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def serve(listen_port, upstream_port, rate):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(256)
    print("ready", flush=True)
    while True:
        client, _ = srv.accept()
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump_up, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump_down, args=(upstream, client, rate), daemon=True).start()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    serve(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
