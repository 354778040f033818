#!/usr/bin/env python3
"""Benchmarks whole-process `corsgen emit` and `validate` (not a test): median wall time and
peak RSS.

Usage: scripts/bench.py [RUNS] [--docs]   (builds the release binary first; default 30 runs)
Prints a Markdown table; with --docs also writes it into docs/benchmarks.md.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:] if a != "--docs"]
RUNS = int(ARGS[0]) if ARGS else 30
LINES = []


def emit(line=""):
    print(line)
    LINES.append(line)


def run_once(args):
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{args} failed: {proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss  # KiB on Linux


def bench(label, policy, out):
    binary = os.path.join(ROOT, "target", "release", "corsgen")
    args = [binary, "emit", policy, "--out", out]
    run_once(args)  # warm the page cache; the unchanged runs then find every file in place
    series = {"every file written": ([], []), "files unchanged": ([], [])}
    for i in range(RUNS):
        # A fresh directory (every file written and synced) and the same one (nothing written).
        fresh = i % 2 == 0
        target = tempfile.mkdtemp(prefix="corsgen-bench-") if fresh else out
        elapsed, peak = run_once([binary, "emit", policy, "--out", target])
        times, peaks = series["every file written" if fresh else "files unchanged"]
        times.append(elapsed)
        peaks.append(peak)
    size = sum(
        os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs
    )
    for kind, (times, peaks) in series.items():
        emit(
            f"| {label}, {kind} | {statistics.median(times) * 1000:.1f} ms | {max(peaks) / 1024:.1f} MiB | {size / 1024:.0f} KiB |"
        )


def bench_validate(policy):
    binary = os.path.join(ROOT, "target", "release", "corsgen")
    args = [binary, "validate", policy]
    run_once(args)
    times, peaks = [], []
    for _ in range(RUNS):
        elapsed, peak = run_once(args)
        times.append(elapsed)
        peaks.append(peak)
    emit(f"| `validate` policies/example.toml | {statistics.median(times) * 1000:.1f} ms | {max(peaks) / 1024:.1f} MiB | none |")


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        emit("| policy | median wall time | peak memory (max RSS) | output |")
        emit("| --- | --- | --- | --- |")
        bench("policies/example.toml", os.path.join(ROOT, "policies", "example.toml"), os.path.join(tmp, "example"))
        bench_validate(os.path.join(ROOT, "policies", "example.toml"))
        # Twice the origins, about twice the output: time and memory should follow it.
        for origins in (500, 1000):
            large = os.path.join(tmp, f"large-{origins}.toml")
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-large-policy.py"), large, str(origins)], check=True)
            bench(f"large: {origins:,} origins, 10 routes", large, os.path.join(tmp, f"large-{origins}"))
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    emit()
    emit(f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu or 'unknown CPU'}).")
    if "--docs" in sys.argv:
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        text = open(path, encoding="utf-8").read()
        start, end = "<!-- benchmarks:start -->\n", "<!-- benchmarks:end -->"
        head, rest = text.split(start)
        _, tail = rest.split(end)
        open(path, "w", encoding="utf-8").write(head + start + "\n".join(LINES) + "\n" + end + tail)


main()
