#!/usr/bin/env python3
"""A TCP server on 127.0.0.1 that accepts connections and never answers (a hung store or node).

Prints "PORT <n>" on stdout once listening; holds every connection open until it exits.
"""
import socket
import sys
import time

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
s.listen(64)
print("PORT %d" % s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # read nothing, answer nothing
    if len(held) > 1000:
        held.pop(0).close()
    time.sleep(0)
