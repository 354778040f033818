"""Checks the Terraform modules of corsgen --out directories with python-hcl2 (no Terraform
binary can be installed here): the modules declare the AWS provider they need, every variable
has a type and a description and every output a description, the API Gateway module's
redeployment_trigger covers every resource of the module, and the generated README's
example root module parses and wires that trigger into the deployment's triggers.

argv: OUT_DIR...   stdout: {"modules": n, "variables": n, "outputs": n}; exit 1 with the
failures otherwise.
"""
import glob
import json
import os
import re
import sys

import hcl2


def unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)
    return value


def load(path):
    with open(path) as f:
        return hcl2.load(f)


failures = []
counts = {"modules": 0, "variables": 0, "outputs": 0}
for out in sys.argv[1:]:
    for module in ("apigateway/terraform.tf", "cloudfront/terraform.tf", "s3/bucket-cors.tf",
                   "function-url/function-url.tf", "alb/listener.tf"):
        path = os.path.join(out, module)
        if not os.path.exists(path):
            continue
        counts["modules"] += 1
        doc = load(path)
        providers = [p for t in doc.get("terraform", []) for p in t.get("required_providers", [])]
        aws = [p["aws"] for p in providers if "aws" in p]
        if len(aws) != 1 or unquote(aws[0].get("source")) != "hashicorp/aws" \
                or not unquote(aws[0].get("version", "")).startswith(">= "):
            failures.append(f"{path}: required_providers does not declare hashicorp/aws >= …: {providers}")
    for path in glob.glob(os.path.join(out, "*/*.tf")):
        doc = load(path)
        for entry in doc.get("variable", []):
            for name, body in entry.items():
                counts["variables"] += 1
                if not unquote(body.get("description")) or "type" not in body:
                    failures.append(f"{path}: variable {name} lacks a type or a description")
        for entry in doc.get("output", []):
            for name, body in entry.items():
                counts["outputs"] += 1
                if not unquote(body.get("description")):
                    failures.append(f"{path}: output {name} lacks a description")
    api = os.path.join(out, "apigateway/terraform.tf")
    if not os.path.exists(api):
        continue
    doc = load(api)
    # Every resource of the module: a deployment that depends on them all snapshots them all.
    configured = set()
    for entry in doc.get("resource", []):
        for kind, named in entry.items():
            configured.update(f"{unquote(kind)}.{unquote(n)}" for n in named)
    outputs = {unquote(k): v for e in doc.get("output", []) for k, v in e.items()}
    trigger = outputs.get("redeployment_trigger", {}).get("value", "")
    referenced = set(re.findall(r"(aws_api_gateway_\w+\.\w+)\.id", trigger))
    if referenced != configured or not re.search(r'"[0-9a-f]{64}"', trigger):
        failures.append(f"{api}: redeployment_trigger covers {sorted(referenced)}, "
                        f"not {sorted(configured)} and the configuration digest")
    # The generated README's example root module.
    with open(os.path.join(out, "README.md")) as f:
        readme = f.read()
    blocks = [b for b in re.findall(r"```hcl\n(.*?)```", readme, re.S) if 'module "cors"' in b]
    if len(blocks) != 1:
        failures.append(f"{out}/README.md: {len(blocks)} example root modules")
        continue
    example = hcl2.loads(blocks[0])
    [module] = [m for e in example["module"] for m in e.values()]
    with open(os.path.join(out, "apigateway/openapi.json")) as f:
        paths = set(json.load(f)["paths"])
    ids = {unquote(k) for k in module["resource_ids"]}
    if ids != paths or "rest_api_id" not in module:
        failures.append(f"{out}/README.md: resource_ids {sorted(ids)} are not {sorted(paths)}")
    deployments = [d for e in example["resource"] for k, d in e.items()
                   if unquote(k) == "aws_api_gateway_deployment"]
    triggers = json.dumps(deployments)
    if "module.cors.redeployment_trigger" not in triggers:
        failures.append(f"{out}/README.md: the deployment's triggers lack redeployment_trigger")

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
json.dump(counts, sys.stdout)
