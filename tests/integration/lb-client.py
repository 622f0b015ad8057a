#!/usr/bin/env python3
"""Clients for test_cli_lb.sh: real connections through the balancer, each answered with a backend's name.

  count HOST PORT N [SOURCE...]  N HTTP/1.0 requests, one connection each (sources in turn,
                                 LB_CLIENT_PARALLEL at once); prints "NAME COUNT" per backend,
                                 and "failed COUNT"
  bysource HOST PORT SOURCE...   one request per source address, five times each; prints
                                 "SOURCE NAME" per request
  leastconn HOST PORT            six connections held open, the two of one backend closed, two
                                 new ones: prints "held NAMES", "freed NAME", "new NAME NAME"
  load HOST PORT SECONDS         requests back to back for SECONDS; prints "T NAME" per answer
                                 and "T failed" per failure (T: the time of day, in seconds)
  udp HOST PORT N                N datagrams from N source ports; prints "NAME COUNT"

LB_CLIENT_PATH: the path requested (default "/"), e.g. a CGI script that burns CPU.
"""
import collections
import concurrent.futures
import os
import socket
import sys
import time


def request(host, port, source=None, timeout=5.0):
    """One connection, one request: the body (the backend's name), or None on failure."""
    try:
        with socket.create_connection((host, port), timeout=timeout,
                                      source_address=(source, 0) if source else None) as s:
            s.sendall(b"GET %s HTTP/1.0\r\n\r\n" % os.environ.get("LB_CLIENT_PATH", "/").encode())
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


def held_connection(host, port):
    """A request answered, then the socket kept open: (socket, the backend's name)."""
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return s, data.partition(b"\r\n\r\n")[2].decode().strip()


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "count":
        n, sources = int(sys.argv[4]), sys.argv[5:] or [None]
        parallel = int(os.environ.get("LB_CLIENT_PARALLEL", "1"))
        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            names = pool.map(lambda i: request(host, port, sources[i % len(sources)]), range(n))
            counts = collections.Counter(name or "failed" for name in names)
        for name, count in sorted(counts.items()):
            print(name, count)
    elif mode == "bysource":
        for source in sys.argv[4:]:
            for _ in range(5):
                print(source, request(host, port, source) or "failed")
    elif mode == "leastconn":
        # Six connections held open (each answered, its client side kept open, so the balancer
        # counts it open); the two on the first backend closed; two new ones must go there.
        held = [held_connection(host, port) for _ in range(6)]
        print("held", " ".join(sorted(name for _, name in held)))
        freed = held[0][1]
        for s, name in held:
            if name == freed:
                s.close()
        time.sleep(0.5)
        new = [held_connection(host, port) for _ in range(2)]
        print("freed", freed)
        print("new", " ".join(name for _, name in new))
    elif mode == "load":
        start, seconds = time.monotonic(), float(sys.argv[4])
        while time.monotonic() - start < seconds:
            name = request(host, port, timeout=3.0)
            print("%.3f %s" % (time.time(), name or "failed"), flush=True)
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
