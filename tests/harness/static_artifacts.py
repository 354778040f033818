"""Reads the static CORS configurations of one --out directory in each of their formats and prints,
per format, the same normalised JSON; fails when a Terraform block uses an attribute the AWS
provider does not have (or lacks a required one).

usage: python3 static_artifacts.py OUT_DIR
  -> {"s3": {"json": rule, "cloudformation": rule, "terraform": rule},
      "function_url": {"script": cors, "cloudformation": cors, "terraform": cors,
                       "calls": [[argv of each aws call], ...]},
      "alb": {"script": attributes, "cloudformation": attributes, "terraform": attributes,
              "calls": [...]}} (only the families present), attributes {key: value};
     a rule is {"id", "origins", "methods", "headers", "expose", "max_age"}, a cors
     {"origins", "methods", "headers", "expose", "credentials", "max_age"}.

alb/configure.sh runs the same way for a listener, with a rule priority.
function-url/configure.sh runs under /bin/sh with a stand-in `aws` first on PATH that records
its arguments: once for a function without a URL (it must create one, with AWS_IAM) and once,
with a qualifier, for a function that has one (it must update its Cors); the `--cors` JSON of
each call is what "script" reports, and both must agree.
"""
import subprocess
import tempfile
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
    "aws_lambda_function_url": ({"function_name", "authorization_type"},
                                {"cors", "qualifier", "invoke_mode"}),
    "aws_lambda_permission": ({"action", "function_name", "principal"},
                              {"count", "event_source_token", "function_url_auth_type",
                               "invoked_via_function_url", "principal_org_id", "qualifier",
                               "source_account", "source_arn", "statement_id",
                               "statement_id_prefix"}),
}
TF_BLOCKS = {
    "cors_rule": ({"allowed_methods", "allowed_origins"},
                  {"allowed_headers", "expose_headers", "id", "max_age_seconds"}),
    "cors": (set(), {"allow_credentials", "allow_headers", "allow_methods", "allow_origins",
                     "expose_headers", "max_age"}),
}
ALB_HEADERS = {f"routing_http_response_{name}" for name in (
    "access_control_allow_origin_header_value", "access_control_allow_methods_header_value",
    "access_control_allow_headers_header_value", "access_control_allow_credentials_header_value",
    "access_control_expose_headers_header_value", "access_control_max_age_header_value",
    "server_enabled", "strict_transport_security_header_value",
    "content_security_policy_header_value", "x_content_type_options_header_value",
    "x_frame_options_header_value")}
TF_ATTRIBUTES["aws_lb_listener"] = (
    {"load_balancer_arn", "default_action"},
    {"alpn_policy", "certificate_arn", "mutual_authentication", "port", "protocol", "ssl_policy",
     "tags", "tcp_idle_timeout_seconds"} | ALB_HEADERS)
TF_ATTRIBUTES["aws_lb_listener_rule"] = ({"listener_arn", "action", "condition"},
                                         {"priority", "tags"})

FAKE_AWS = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["FAKE_AWS_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["lambda", "get-function-url-config"]:
    sys.exit(0 if os.environ.get("FAKE_URL_EXISTS") else 254)
"""


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


def cors(origins, methods, headers, expose, credentials, max_age):
    return {"origins": origins, "methods": methods or [], "headers": headers or [],
            "expose": expose or [], "credentials": credentials, "max_age": max_age}


def run_script(out, failures):
    calls = []
    found = []
    with tempfile.TemporaryDirectory() as bin_dir:
        fake = os.path.join(bin_dir, "aws")
        with open(fake, "w") as f:
            f.write(FAKE_AWS)
        os.chmod(fake, 0o755)
        log = os.path.join(bin_dir, "calls.jsonl")
        script = os.path.join(out, "function-url/configure.sh")
        runs = ((["my-function"], "", ""), (["my-function", "live"], "1", ""),
                (["public-function"], "", "NONE"))
        for args, exists, auth in runs:
            env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"],
                       FAKE_AWS_LOG=log, FAKE_URL_EXISTS=exists)
            if auth:
                env["AUTH_TYPE"] = auth
            done = subprocess.run(["sh", script, *args], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                failures.append(f"configure.sh {args}: exit {done.returncode}: {done.stderr}")
        usage = subprocess.run(["sh", script], capture_output=True, text=True)
        if usage.returncode != 2 or "usage" not in usage.stderr:
            failures.append(f"configure.sh without a function: {usage.returncode} {usage.stderr}")
        with open(log) as f:
            calls = [json.loads(line) for line in f]
    for call in calls:
        if "--cors" in call:
            c = json.loads(call[call.index("--cors") + 1])
            found.append(cors(c["AllowOrigins"], c.get("AllowMethods"), c.get("AllowHeaders"),
                              c.get("ExposeHeaders"), c["AllowCredentials"], c.get("MaxAge")))
    if len(found) != 3 or found[0] != found[1] or found[0] != found[2]:
        failures.append(f"configure.sh: {len(found)} --cors values: {found}")
    return (found[0] if found else None), calls


def function_url(out, failures):
    from_script, calls = run_script(out, failures)
    with open(os.path.join(out, "function-url/cloudformation.yaml")) as f:
        template = yaml.load(f, Loader=CloudFormationLoader)
    [url] = [v for v in template["Resources"].values() if v["Type"] == "AWS::Lambda::Url"]
    c = url["Properties"]["Cors"]
    from_cfn = cors(c["AllowOrigins"], c.get("AllowMethods"), c.get("AllowHeaders"),
                    c.get("ExposeHeaders"), c["AllowCredentials"], c.get("MaxAge"))
    permissions = sorted(
        (v["Properties"]["Action"], v.get("Condition"), v["Properties"].get("FunctionUrlAuthType"),
         v["Properties"].get("InvokedViaFunctionUrl"))
        for v in template["Resources"].values() if v["Type"] == "AWS::Lambda::Permission")
    if permissions != [("lambda:InvokeFunction", "Public", None, True),
                       ("lambda:InvokeFunctionUrl", "Public", "NONE", None)]:
        failures.append(f"function-url/cloudformation.yaml: permissions {permissions}")
    with open(os.path.join(out, "function-url/function-url.tf")) as f:
        doc = hcl2.load(f)
    urls = []
    for entry in doc.get("resource", []):
        for kind, named in entry.items():
            for name, body in named.items():
                kind, body = unquote(kind), unquote(body)
                check_attributes(kind, body, TF_ATTRIBUTES, failures, "function-url/function-url.tf")
                for block in body.get("cors", []):
                    check_attributes("cors", block, TF_BLOCKS, failures, "function-url/function-url.tf")
                if kind == "aws_lambda_function_url":
                    urls.append(body)
    [body] = urls
    [c] = body["cors"]
    from_tf = cors(c["allow_origins"], c.get("allow_methods"), c.get("allow_headers"),
                   c.get("expose_headers"), c["allow_credentials"], c.get("max_age"))
    return {"script": from_script, "cloudformation": from_cfn, "terraform": from_tf,
            "calls": calls}


def run_alb_script(out, failures):
    with tempfile.TemporaryDirectory() as bin_dir:
        fake = os.path.join(bin_dir, "aws")
        with open(fake, "w") as f:
            f.write(FAKE_AWS)
        os.chmod(fake, 0o755)
        log = os.path.join(bin_dir, "calls.jsonl")
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"], FAKE_AWS_LOG=log)
        script = os.path.join(out, "alb/configure.sh")
        for args in (["arn:listener/1"], ["arn:listener/2", "5"]):
            done = subprocess.run(["sh", script, *args], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                failures.append(f"alb/configure.sh {args}: exit {done.returncode}: {done.stderr}")
        with open(log) as f:
            calls = [json.loads(line) for line in f]
    found = [{a["Key"]: a["Value"] for a in json.loads(c[c.index("--attributes") + 1])}
             for c in calls if "--attributes" in c]
    if len(found) != 2 or found[0] != found[1]:
        failures.append(f"alb/configure.sh: {found}")
    return (found[0] if found else None), calls


def alb(out, failures):
    from_script, calls = run_alb_script(out, failures)
    with open(os.path.join(out, "alb/cloudformation.yaml")) as f:
        template = yaml.load(f, Loader=CloudFormationLoader)
    resources = template["Resources"]
    [listener] = [v for v in resources.values()
                  if v["Type"] == "AWS::ElasticLoadBalancingV2::Listener"]
    from_cfn = {a["Key"]: a["Value"] for a in listener["Properties"]["ListenerAttributes"]}
    [rule] = [v for v in resources.values()
              if v["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"]
    cfn_rule = {
        "methods": rule["Properties"]["Conditions"][0]["HttpRequestMethodConfig"]["Values"],
        "status": rule["Properties"]["Actions"][0]["FixedResponseConfig"]["StatusCode"],
    }
    with open(os.path.join(out, "alb/listener.tf")) as f:
        doc = hcl2.load(f)
    from_tf = {}
    tf_rule = None
    for entry in doc.get("resource", []):
        for kind, named in entry.items():
            for name, body in named.items():
                kind, body = unquote(kind), unquote(body)
                check_attributes(kind, body, TF_ATTRIBUTES, failures, "alb/listener.tf")
                if kind == "aws_lb_listener":
                    for key, value in body.items():
                        if key.startswith("routing_http_response_"):
                            dotted = "routing.http.response." + key[len("routing_http_response_"):-len("_header_value")] + ".header_value"
                            from_tf[dotted] = value
                if kind == "aws_lb_listener_rule":
                    tf_rule = {
                        "methods": body["condition"][0]["http_request_method"][0]["values"],
                        "status": body["action"][0]["fixed_response"][0]["status_code"],
                    }
    want_rule = {"methods": ["OPTIONS"], "status": "204"}
    if cfn_rule != want_rule or tf_rule != want_rule:
        failures.append(f"alb: the OPTIONS rule is {cfn_rule} / {tf_rule}")
    rules = [c for c in calls if c[:2] == ["elbv2", "create-rule"]]
    if len(rules) != 1 or rules[0][rules[0].index("--priority") + 1] != "5":
        failures.append(f"alb/configure.sh: create-rule calls {rules}")
    return {"script": from_script, "cloudformation": from_cfn, "terraform": from_tf,
            "calls": calls}


def main():
    out = sys.argv[1]
    failures = []
    result = {}
    if os.path.isdir(os.path.join(out, "s3")):
        result["s3"] = s3(out, failures)
    if os.path.isdir(os.path.join(out, "function-url")):
        result["function_url"] = function_url(out, failures)
    if os.path.isdir(os.path.join(out, "alb")):
        result["alb"] = alb(out, failures)
    if failures:
        sys.exit("\n".join(failures))
    json.dump(result, sys.stdout)


main()
