"""Reads the static CORS configurations of one --out directory in each of their formats and prints,
per format, the same normalised JSON; fails when a Terraform block uses an attribute the AWS
provider does not have (or lacks a required one).

usage: python3 static_artifacts.py OUT_DIR
  -> {"s3": {"json": rule, "cloudformation": rule, "terraform": rule}} (only the families
     present), each rule {"id", "origins", "methods", "headers", "expose", "max_age"}.
"""
import json
import os
import re
import sys

import hcl2
import yaml

# Attributes of the AWS provider's resources (registry docs): (required, optional), and the
# attributes of their nested blocks.
TF_ATTRIBUTES = {
    "aws_s3_bucket_cors_configuration": ({"bucket", "cors_rule"}, {"expected_bucket_owner"}),
}
TF_BLOCKS = {
    "cors_rule": ({"allowed_methods", "allowed_origins"},
                  {"allowed_headers", "expose_headers", "id", "max_age_seconds"}),
}


def unquote(value):
    """An HCL value as python-hcl2 returns it (strings quoted, escapes kept) -> its value."""
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        text = value.replace("$${", "${").replace("%%{", "%{")
        text = re.sub(r"\\U([0-9a-fA-F]{8})",
                      lambda m: json.dumps(chr(int(m.group(1), 16)))[1:-1], text)
        return json.loads(text)
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    return value


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!Ref X` -> {"Ref": "X"})."""


def _tagged(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


CloudFormationLoader.add_multi_constructor("!", _tagged)


def check_attributes(kind, body, table, failures, where):
    required, optional = table[kind]
    present = set(body)
    for missing in required - present:
        failures.append(f"{where}: {kind} lacks {missing}")
    for unknown in present - required - optional:
        failures.append(f"{where}: {kind} has no attribute {unknown}")


def rule(id_, origins, methods, headers, expose, max_age):
    return {"id": id_, "origins": origins, "methods": methods, "headers": headers or [],
            "expose": expose or [], "max_age": max_age}


def s3(out, failures):
    with open(os.path.join(out, "s3/cors.json")) as f:
        doc = json.load(f)
    if set(doc) != {"CORSRules"} or len(doc["CORSRules"]) != 1:
        failures.append(f"s3/cors.json: not one CORSRules rule: {doc}")
    r = doc["CORSRules"][0]
    from_json = rule(r["ID"], r["AllowedOrigins"], r["AllowedMethods"], r.get("AllowedHeaders"),
                     r.get("ExposeHeaders"), r.get("MaxAgeSeconds"))
    with open(os.path.join(out, "s3/cloudformation.yaml")) as f:
        template = yaml.load(f, Loader=CloudFormationLoader)
    [bucket] = [v for v in template["Resources"].values() if v["Type"] == "AWS::S3::Bucket"]
    [r] = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    from_cfn = rule(r["Id"], r["AllowedOrigins"], r["AllowedMethods"], r.get("AllowedHeaders"),
                    r.get("ExposedHeaders"), r.get("MaxAge"))
    with open(os.path.join(out, "s3/bucket-cors.tf")) as f:
        doc = hcl2.load(f)
    configurations = []
    for entry in doc.get("resource", []):
        for kind, named in entry.items():
            for name, body in named.items():
                kind, body = unquote(kind), unquote(body)
                check_attributes(kind, body, TF_ATTRIBUTES, failures, "s3/bucket-cors.tf")
                for block in body.get("cors_rule", []):
                    check_attributes("cors_rule", block, TF_BLOCKS, failures, "s3/bucket-cors.tf")
                configurations.append(body)
    [body] = configurations
    if body["bucket"] != "${var.bucket}":
        failures.append(f"s3/bucket-cors.tf: bucket is {body['bucket']}")
    [r] = body["cors_rule"]
    from_tf = rule(r["id"], r["allowed_origins"], r["allowed_methods"], r.get("allowed_headers"),
                   r.get("expose_headers"), r.get("max_age_seconds"))
    return {"json": from_json, "cloudformation": from_cfn, "terraform": from_tf}


def main():
    out = sys.argv[1]
    failures = []
    result = {}
    if os.path.isdir(os.path.join(out, "s3")):
        result["s3"] = s3(out, failures)
    if failures:
        sys.exit("\n".join(failures))
    json.dump(result, sys.stdout)


main()
