#!/usr/bin/env python3
"""Benchmarks `corsgen audit` and `corsgen import` (not a test): whole-process wall time, median
of RUNS runs (default 15), release build. Inputs: corsgen's own artifacts for the example policy
(with --policy: every check and the drift), those of a generated 1,000-origin policy
(scripts/gen-large-policy.py; audit tries 50 named origins per surface), the folder of AWS CLI
outputs and the Terraform plan of tests/audit/.

Usage: scripts/bench_audit.py [RUNS] [--docs]   Prints a Markdown table; with --docs also writes
it into docs/benchmarks.md, between the audit markers.
"""
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:] if a != "--docs"]
RUNS = int(ARGS[0]) if ARGS else 15
BIN = os.path.join(ROOT, "target/release/corsgen")
READ = ["apigateway/openapi.json", "apigateway/cloudformation.yaml",
        "apigateway/http-api.openapi.json", "cloudfront/cloudformation.yaml",
        "cloudfront/response-headers-policy.cloudformation.yaml"]


def median_ms(args):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run([BIN, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"corsgen {' '.join(args)} exited {done.returncode}")
    return statistics.median(times) * 1000


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp()
    example = os.path.join(ROOT, "policies/example.toml")
    large = os.path.join(work, "large.toml")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts/gen-large-policy.py"), large],
                   check=True)
    rows = []
    for label, policy in [("policies/example.toml's artifacts (5 files), with --policy", example),
                          ("1,000-origin policy's artifacts (3 files), with --policy", large)]:
        out = os.path.join(work, "out-" + os.path.basename(policy))
        subprocess.run([BIN, "emit", policy, "--out", out, "-q"], check=True)
        files = [os.path.join(out, f) for f in READ if os.path.exists(os.path.join(out, f))]
        rows.append((f"`audit` {label}", median_ms(["audit", *files, "--policy", policy])))
    aws = os.path.join(ROOT, "tests/audit/aws")
    plan = os.path.join(ROOT, "tests/audit/terraform/plan.json")
    rows.append(("`audit` tests/audit/aws (6 AWS CLI outputs, a CloudFront Function run)",
                 median_ms(["audit", aws])))
    rows.append(("`audit` tests/audit/terraform/plan.json", median_ms(["audit", plan])))
    rows.append(("`import` tests/audit/aws", median_ms(["import", aws])))
    cpu = platform.processor() or platform.machine()
    lines = ["| run | median wall time |", "| --- | --- |"]
    lines += [f"| {label} | {ms:.1f} ms |" for label, ms in rows]
    lines += ["", f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu}), "
              f"median of {RUNS} runs."]
    table = "\n".join(lines)
    print(table)
    if "--docs" in sys.argv:
        path = os.path.join(ROOT, "docs/benchmarks.md")
        text = open(path).read()
        start, end = "<!-- audit:start -->\n", "<!-- audit:end -->"
        head, rest = text.split(start)
        _, tail = rest.split(end)
        open(path, "w").write(head + start + table + "\n" + end + tail)


main()
