#!/usr/bin/env python3
"""Runs a test server so that it cannot outlive the test process that started it.

usage: with_parent.py COMMAND [ARGS...]

The server runs as this script's child with PR_SET_PDEATHSIG=SIGKILL, so killing this
script (the harness's stop()) kills the server at once. This script polls its own parent:
when the test process is gone (crashed, killed), it exits, and the server goes with it.
SIGTERM/SIGINT are forwarded to the server. Exits with the server's status.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1


def die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: with_parent.py COMMAND [ARGS...]")
    parent = os.getppid()
    child = subprocess.Popen(sys.argv[1:], preexec_fn=die_with_parent)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, f: child.send_signal(s))
    while True:
        try:
            code = child.wait(timeout=0.5)
            sys.exit(code if code >= 0 else 128 - code)
        except subprocess.TimeoutExpired:
            pass
        if os.getppid() != parent:
            child.kill()
            sys.exit(1)


if __name__ == "__main__":
    main()
