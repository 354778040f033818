#!/usr/bin/env python3
"""Benchmarks the CloudFront Functions (not a test).

(a) Capacity: the largest exact-origin allowlist whose functions stay within CloudFront's
    10,240-byte limit (binary search over `corsgen validate`), for a realistic mix of origins and
    for the worst case of origins that share no parent domain.
(b) Speed: per-invocation time in node of viewer-response.js with 1, 100 and 1,000 origins (1,000
    do not fit inline, so that one reads a KeyValueStore stand-in), as a ratio to a minimal
    function that only copies Origin into Access-Control-Allow-Origin, in the same run.

Usage: scripts/bench_cloudfront.py [ITERATIONS] [--docs]   (default 5000 per round)
Prints Markdown; with --docs also writes it into docs/benchmarks.md's CloudFront section.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:] if a != "--docs"]
ITERATIONS = int(ARGS[0]) if ARGS else 5000
BINARY = os.path.join(ROOT, "target", "release", "corsgen")
LINES = []
WORDS = ["northwind", "contoso", "fabrikam", "tailspin", "wingtip", "adventure", "litware",
         "proseware", "lucerne", "margie", "alpine", "coho", "fourth", "humongous", "blue"]


def emit(line=""):
    print(line)
    LINES.append(line)


def realistic(i):
    """Storefronts, apps and tenants of a SaaS: what a large allowlist tends to hold."""
    brand = f"{WORDS[i % len(WORDS)]}{i}"
    kind = i % 4
    if kind == 0:
        return f"https://www.{brand}.com"
    if kind == 1:
        return f"https://{brand}.io"
    if kind == 2:
        return f"https://app.{brand}.co.uk"
    return f"https://{brand}.tenants.example.com"


def distinct(i):
    """No two origins share a parent domain: nothing to group."""
    return f"https://www.{WORDS[i % len(WORDS)]}-{i}.com"


def policy(origins, cloudfront=""):
    listed = ",\n".join(f'  "{o}"' for o in origins)
    return (
        "version = 1\n[cors]\nallow-origins = [\n" + listed + "\n]\n"
        'allow-credentials = true\nallow-methods = ["PUT", "DELETE"]\n'
        'allow-headers = ["Content-Type", "Authorization"]\nexpose-headers = ["X-Request-Id"]\n'
        "max-age = 600\n[apigateway]\nenabled = false\n[lambda]\nlanguages = []\n"
        f"[cloudfront]\n{cloudfront}\n"
    )


def fits(tmp, origins):
    path = os.path.join(tmp, "capacity.toml")
    with open(path, "w") as f:
        f.write(policy(origins))
    return subprocess.run([BINARY, "validate", path], capture_output=True).returncode == 0


def capacity(tmp, make):
    low, high = 1, 2000
    while low < high:
        mid = (low + high + 1) // 2
        if fits(tmp, [make(i) for i in range(mid)]):
            low = mid
        else:
            high = mid - 1
    origins = [make(i) for i in range(low)]
    out = os.path.join(tmp, "capacity-out")
    with open(os.path.join(tmp, "capacity.toml"), "w") as f:
        f.write(policy(origins))
    subprocess.run([BINARY, "emit", os.path.join(tmp, "capacity.toml"), "--out", out],
                   check=True, capture_output=True)
    sizes = [os.path.getsize(os.path.join(out, "cloudfront", n))
             for n in ("viewer-request.js", "viewer-response.js")]
    return low, sum(map(len, origins)) / len(origins), max(sizes)


def speed(tmp, count):
    origins = [realistic(i) for i in range(count)]
    path = os.path.join(tmp, f"speed{count}.toml")
    with open(path, "w") as f:
        f.write(policy(origins, 'key-value-store = "if-needed"'))
    out = os.path.join(tmp, f"speed{count}")
    subprocess.run([BINARY, "emit", path, "--out", out], check=True, capture_output=True)
    store = os.path.join(out, "cloudfront", "key-value-store.json")
    result = subprocess.run(
        ["node", os.path.join(ROOT, "scripts", "bench_cloudfront.mjs"),
         os.path.join(out, "cloudfront", "viewer-response.js"),
         store if os.path.exists(store) else "-", origins[-1], str(ITERATIONS)],
        check=True, capture_output=True, text=True)
    return json.loads(result.stdout), os.path.exists(store)


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        emit("| allowlist | origins that fit in 10,240 bytes | mean origin length | largest function |")
        emit("| --- | --- | --- | --- |")
        for label, make in (("realistic mix (www, apex .io, app .co.uk, SaaS tenants)", realistic),
                            ("worst case: no shared parent domain", distinct)):
            count, mean, size = capacity(tmp, make)
            emit(f"| {label} | {count} | {mean:.1f} characters | {size} bytes |")
        emit()
        emit("| viewer-response.js | per invocation | minimal function, same run | ratio |")
        emit("| --- | --- | --- | --- |")
        for count in (1, 100, 1000):
            result, store = speed(tmp, count)
            where = "KeyValueStore stand-in, async" if store else "inline"
            emit(f"| {count} origin{'s' if count > 1 else ''} ({where}) | {result['function_ns']:.0f} ns "
                 f"| {result['minimal_ns']:.0f} ns | {result['ratio']:.2f}x |")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    emit()
    emit(f"node {node}; {ITERATIONS} invocations per round, 30 alternating rounds, fastest round of each.")
    if "--docs" in sys.argv:
        readme = os.path.join(ROOT, "docs", "benchmarks.md")
        with open(readme) as f:
            text = f.read()
        start, end = "<!-- cloudfront-bench:start -->", "<!-- cloudfront-bench:end -->"
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        with open(readme, "w") as f:
            f.write(before + start + "\n" + "\n".join(LINES) + "\n" + end + after)


if __name__ == "__main__":
    main()
