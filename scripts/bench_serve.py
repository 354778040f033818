#!/usr/bin/env python3
"""Benchmarks `corsgen serve` (not a test): what the proxy adds to a request, against node's own
HTTP server as the upstream (tests/harness/upstream.mjs), over one kept-alive connection.

Usage: scripts/bench_serve.py [REQUESTS] [--docs]   (builds the release binary first; default
2000 requests per row). Prints a Markdown table; with --docs also writes it into
docs/benchmarks.md, between the serve markers.
"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:] if a != "--docs"]
COUNT = int(ARGS[0]) if ARGS else 2000
ORIGIN = "https://www.example.com"


def timed(port, method, path, headers):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for _ in range(COUNT):
        start = time.perf_counter()
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - start)
        if response.status >= 500:
            sys.exit(f"{method} {path} answered {response.status}")
    connection.close()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    upstream = subprocess.Popen(
        ["node", os.path.join(ROOT, "tests/harness/upstream.mjs")], stdout=subprocess.PIPE
    )
    up_port = json.loads(upstream.stdout.readline())["port"]
    proxy = subprocess.Popen(
        [os.path.join(ROOT, "target/release/corsgen"), "serve",
         os.path.join(ROOT, "policies/example.toml"), "--upstream", f"http://127.0.0.1:{up_port}",
         "--listen", "127.0.0.1:0", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    proxy_port = int(json.loads(proxy.stdout.readline())["url"].rsplit(":", 1)[1])
    # Drain the log as it is written, as a terminal would.
    drain = subprocess.Popen(["cat"], stdin=proxy.stdout, stdout=subprocess.DEVNULL)
    lines = []
    try:
        rows = [
            ("GET, upstream directly", up_port, "GET", "/orders", {"Origin": ORIGIN}),
            ("GET through serve (forwarded, headers replaced, logged)", proxy_port, "GET",
             "/orders", {"Origin": ORIGIN}),
            ("preflight answered by serve", proxy_port, "OPTIONS", "/orders",
             {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
              "Access-Control-Request-Headers": "content-type"}),
        ]
        lines.append("| request | median | p99 |")
        lines.append("| --- | --- | --- |")
        for label, port, method, path, headers in rows:
            timed(port, method, path, headers)  # warm up
            median, p99 = timed(port, method, path, headers)
            lines.append(f"| {label} | {median * 1e6:.0f} µs | {p99 * 1e6:.0f} µs |")
    finally:
        proxy.terminate()
        upstream.terminate()
        proxy.wait()
        drain.wait()
        upstream.wait()
    table = "\n".join(lines)
    print(table)
    if "--docs" in sys.argv:
        path = os.path.join(ROOT, "docs/benchmarks.md")
        with open(path) as f:
            text = f.read()
        start, end = "<!-- serve:start -->\n", "<!-- serve:end -->"
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        with open(path, "w") as f:
            f.write(f"{before}{start}{table}\n{end}{after}")


main()
