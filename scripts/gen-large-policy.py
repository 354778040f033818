#!/usr/bin/env python3
"""Writes a large policy for the benchmark that AWS can deploy as emitted: ORIGINS origins (20 of
them wildcards; default 1,000) with credentials, ten routes with their own methods, the
exact origins in a CloudFront KeyValueStore, and few API Gateway resources (`/`, `/{proxy+}` and
one per route), so every artifact stays within AWS's limits (mapping templates under 300 KB,
the CloudFormation template under 1 MB for an S3 deploy, the functions under 10 KB).

Usage: scripts/gen-large-policy.py OUT.toml [ORIGINS]
"""
import sys

origins = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
lines = ["version = 1", 'name = "large"', "", "[cors]", "allow-origins = ["]
for i in range(origins):
    # 20 wildcards at most: they stay in the CloudFront Functions, under 10 KB.
    if i % 50 == 0 and i < 1000:
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
    'resources = ["/", "/{proxy+}"]',
    'gateway-response-origin = "first"',
    "http-api = false",
    "",
    "[cloudfront]",
    'key-value-store = "if-needed"',
    "",
]
methods = ["PUT", "PATCH", "DELETE", "X-SYNC"]
for i in range(10):
    lines += ["[[route]]", f'path = "/svc{i}/{{proxy+}}"']
    lines.append(f'allow-methods = ["{methods[i % 4]}", "{methods[(i + 1) % 4]}"]')
    lines.append(f"max-age = {60 + i}")
    lines.append("")
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
