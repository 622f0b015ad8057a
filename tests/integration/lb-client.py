#!/usr/bin/env python3
"""Clients for test_cli_lb.sh: real connections through the balancer, each answered with a backend's name.

  count HOST PORT N [SOURCE...]  N HTTP/1.0 requests, one connection each (sources in turn);
                                 prints "NAME COUNT" per backend, and "failed COUNT"
  bysource HOST PORT SOURCE...   one request per source address, five times each; prints
                                 "SOURCE NAME" per request
  hold HOST PORT N               opens N connections (the backend answers nothing yet: a held
                                 request) and keeps them until stdin closes; prints "held N"
  load HOST PORT SECONDS         requests back to back for SECONDS; prints "T NAME" per answer
                                 and "T failed" per failure (T: seconds since the start)
  udp HOST PORT N                N datagrams from N source ports; prints "NAME COUNT"
"""
import collections
import socket
import sys
import time


def request(host, port, source=None, timeout=5.0):
    """One connection, one request: the body (the backend's name), or None on failure."""
    try:
        with socket.create_connection((host, port), timeout=timeout,
                                      source_address=(source, 0) if source else None) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n")[0] + b" ":
            return None
        return body.decode().strip() or None
    except OSError:
        return None


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "count":
        n, sources = int(sys.argv[4]), sys.argv[5:] or [None]
        counts = collections.Counter()
        for i in range(n):
            counts[request(host, port, sources[i % len(sources)]) or "failed"] += 1
        for name, count in sorted(counts.items()):
            print(name, count)
    elif mode == "bysource":
        for source in sys.argv[4:]:
            for _ in range(5):
                print(source, request(host, port, source) or "failed")
    elif mode == "hold":
        held = []
        for _ in range(int(sys.argv[4])):
            held.append(socket.create_connection((host, port), timeout=5))
        print("held", len(held), flush=True)
        sys.stdin.read()
    elif mode == "load":
        start, seconds = time.monotonic(), float(sys.argv[4])
        while time.monotonic() - start < seconds:
            name = request(host, port, timeout=3.0)
            print("%.3f %s" % (time.monotonic() - start, name or "failed"), flush=True)
    elif mode == "udp":
        counts = collections.Counter()
        for _ in range(int(sys.argv[4])):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(3)
                s.sendto(b"ping\n", (host, port))
                try:
                    counts[s.recvfrom(65536)[0].decode().strip()] += 1
                except OSError:
                    counts["failed"] += 1
        for name, count in sorted(counts.items()):
            print(name, count)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
