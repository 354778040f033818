#!/usr/bin/env python3
"""Writes a large policy for the benchmark: 1,000 origins and 500 routes.

Usage: scripts/gen-large-policy.py OUT.toml
"""
import sys

lines = ["version = 1", 'name = "large"', "", "[cors]", "allow-origins = ["]
for i in range(1000):
    if i % 50 == 0:
        lines.append(f'  "https://*.tenant{i}.example.com",')
    else:
        lines.append(f'  "https://app{i}.customers.example.com",')
lines += [
    "]",
    "allow-credentials = true",
    'allow-methods = ["PUT", "PATCH", "DELETE"]',
    'allow-headers = ["Content-Type", "Authorization"]',
    'expose-headers = ["X-Request-Id"]',
    "max-age = 600",
    "",
    "[apigateway]",
    'gateway-response-origin = "first"',
    "http-api = false",
    "",
    # 500 routes with 500 distinct rules do not fit in a 10 KB CloudFront Function, even with the
    # origins in a KeyValueStore; scripts/bench_cloudfront.py measures the functions instead.
    "[cloudfront]",
    "enabled = false",
    "",
]
methods = ["PUT", "PATCH", "DELETE", "X-SYNC"]
for i in range(500):
    path = f"/svc{i}/items/{{id}}" if i % 2 == 0 else f"/svc{i}/{{proxy+}}"
    lines += ["[[route]]", f'path = "{path}"']
    lines.append(f'allow-methods = ["{methods[i % 4]}", "{methods[(i + 1) % 4]}"]')
    lines.append(f"max-age = {60 + i}")
    if i % 5 == 0:
        origins = ", ".join(f'"https://r{i}-{j}.partners.example.org"' for j in range(10))
        lines.append(f"allow-origins = [{origins}]")
    lines.append("")
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
