#!/usr/bin/env python3
"""Sends exactly N requests over C kept-alive HTTP/1.1 connections, one thread each,
and fails on any status but the expected one. bench/callgrind/jwks.sh divides a server's
instruction count by N, so N must be exact (wrk's request count is not).

Usage: repeat.py URL N [CONNS] [METHOD] [EXPECTED_STATUS] [HEADER:VALUE ...]
"""
import http.client
import sys
import threading
from urllib.parse import urlsplit


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    method = sys.argv[4] if len(sys.argv) > 4 else "GET"
    expected = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    headers = {"User-Agent": "tessera-bench/1"}
    for h in sys.argv[6:]:
        k, v = h.split(":", 1)
        headers[k.strip()] = v.strip()
    parts = urlsplit(url)
    target = parts.path + (("?" + parts.query) if parts.query else "")
    failures = []

    def worker(count):
        c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
        for _ in range(count):
            c.request(method, target, headers=headers)
            r = c.getresponse()
            r.read()
            if r.status != expected:
                failures.append(r.status)
                return
        c.close()

    share = [n // conns + (1 if i < n % conns else 0) for i in range(conns)]
    threads = [threading.Thread(target=worker, args=(k,)) for k in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit(f"unexpected status {failures[0]} ({len(failures)} connections failed)")


main()
