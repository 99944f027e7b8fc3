#!/usr/bin/env python3
"""Hold N idle keep-alive connections open against a server and report its RSS growth.

Usage: idle-connections.py HOST PORT SERVER_PID [N=10000] [PATH=/]
Each connection sends one GET, reads the whole response (Content-Length), then stays open and
idle. Prints "idle_connections N", "rss_before_kib", "rss_after_kib", "rss_per_connection_bytes".
"""
import os
import selectors
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main():
    host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    path = sys.argv[5] if len(sys.argv) > 5 else "/"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    time.sleep(0.5)
    before = rss_kib(pid)
    sel = selectors.DefaultSelector()
    socks, pending = [], {}
    for i in range(n):
        s = socket.create_connection((host, port))
        s.sendall(request)
        s.setblocking(False)
        socks.append(s)
        pending[s] = b""
        sel.register(s, selectors.EVENT_READ)
        # Drain as we go so the server's write buffers never pile up.
        while len(pending) > 256:
            drain(sel, pending, 1.0)
    deadline = time.time() + 60
    while pending and time.time() < deadline:
        drain(sel, pending, 1.0)
    if pending:
        print(f"error: {len(pending)} connections got no full response", file=sys.stderr)
        sys.exit(1)
    time.sleep(1.0)
    alive = sum(1 for s in socks if is_open(s))
    after = rss_kib(pid)
    print(f"idle_connections {alive}")
    print(f"rss_before_kib {before}")
    print(f"rss_after_kib {after}")
    print(f"rss_per_connection_bytes {int((after - before) * 1024 / max(alive, 1))}")
    for s in socks:
        s.close()


def drain(sel, pending, timeout):
    for key, _ in sel.select(timeout):
        s = key.fileobj
        try:
            data = s.recv(65536)
        except BlockingIOError:
            continue
        if not data:
            raise RuntimeError("server closed a connection")
        buf = pending[s] + data
        head, sep, body = buf.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v.strip())
            if len(body) >= length:
                del pending[s]
                sel.unregister(s)
                continue
        pending[s] = buf


def is_open(s):
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
