"""Reads the CloudFront artifacts of one --out directory in CloudFormation (YAML) and Terraform
(HCL via python-hcl2) and prints, per format, the same normalised JSON: both functions (name,
runtime, code, KeyValueStore association), the cache policy's key, the KeyValueStore's import
source and the response headers policy. Terraform reads the functions' code from the .js files
next to it, so "code" there is that file's text; CloudFormation embeds it. It also fails when a
Terraform block uses an attribute the AWS provider does not have.

usage: python3 cloudfront_artifacts.py OUT_DIR -> {"cloudformation": {...}, "terraform": {...}}
"""
import json
import os
import re
import sys

import hcl2
import yaml

sys.path.insert(0, os.path.dirname(__file__))
from apigateway_artifacts import blocks, unquote  # noqa: E402

# Attributes of the AWS provider's resources (registry docs): (required, optional).
TF_ATTRIBUTES = {
    "aws_cloudfront_function": ({"name", "runtime", "code"},
                                {"comment", "publish", "key_value_store_associations"}),
    "aws_cloudfront_cache_policy": ({"name", "min_ttl", "parameters_in_cache_key_and_forwarded_to_origin"},
                                    {"comment", "default_ttl", "max_ttl"}),
    "aws_cloudfront_key_value_store": ({"name"}, {"comment"}),
    "aws_cloudfrontkeyvaluestore_keys_exclusive": ({"key_value_store_arn"},
                                                   {"resource_key_value_pair", "max_batch_size",
                                                    "dynamic"}),
    "aws_cloudfront_response_headers_policy": ({"name"},
                                               {"comment", "cors_config", "custom_headers_config",
                                                "remove_headers_config", "security_headers_config",
                                                "server_timing_headers_config", "etag"}),
}
TF_CORS_CONFIG = ({"access_control_allow_credentials", "access_control_allow_headers",
                   "access_control_allow_methods", "access_control_allow_origins",
                   "origin_override"},
                  {"access_control_expose_headers", "access_control_max_age_sec"})


def check(kind, body):
    required, optional = TF_ATTRIBUTES[kind]
    keys = set(body) - {"__is_block__"}
    unknown, missing = keys - required - optional, required - keys
    assert not unknown and not missing, f"{kind}: unknown {unknown}, missing {missing}"
    for cors in body.get("cors_config", []):
        keys = set(cors) - {"__is_block__"}
        required, optional = TF_CORS_CONFIG
        assert required <= keys <= required | optional, f"cors_config: {keys}"


def items(block):
    [inner] = block
    return inner["items"]


def from_cloudformation(doc, base):
    out = {"functions": {}, "cache_key": None, "store": None, "response_headers_policy": None}
    for logical, resource in doc["Resources"].items():
        props = resource["Properties"]
        kind = resource["Type"]
        if kind == "AWS::CloudFront::Function":
            config = props["FunctionConfig"]
            assert props["AutoPublish"] is True
            out["functions"][props["Name"]] = {
                "runtime": config["Runtime"],
                "code": props["FunctionCode"],
                "store": [a["KeyValueStoreARN"] for a in config.get("KeyValueStoreAssociations", [])]
                == [{"Fn::GetAtt": ["CorsOrigins", "Arn"]}],
            }
        elif kind == "AWS::CloudFront::CachePolicy":
            params = props["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
            out["cache_key"] = {
                "name": props["CachePolicyConfig"]["Name"],
                "headers": params["HeadersConfig"]["Headers"],
                "behavior": params["HeadersConfig"]["HeaderBehavior"],
                "query": params["QueryStringsConfig"]["QueryStringBehavior"],
                "cookies": params["CookiesConfig"]["CookieBehavior"],
            }
        elif kind == "AWS::CloudFront::KeyValueStore":
            out["store"] = {"name": props["Name"]}
        else:
            raise AssertionError(f"unexpected resource {logical}: {kind}")
    outputs = doc["Outputs"]
    cache = outputs["CachePolicyId"]["Value"]
    out["policies"] = {
        "cache": "ours" if cache == {"Ref": "CorsCachePolicy"} else cache,
        "origin_request": outputs["OriginRequestPolicyId"]["Value"],
    }
    path = os.path.join(base, "response-headers-policy.cloudformation.yaml")
    if os.path.exists(path):
        with open(path) as f:
            [policy] = yaml.safe_load(f)["Resources"].values()
        config = policy["Properties"]["ResponseHeadersPolicyConfig"]
        cors = config["CorsConfig"]
        out["response_headers_policy"] = {
            "name": config["Name"],
            "origins": cors["AccessControlAllowOrigins"]["Items"],
            "credentials": cors["AccessControlAllowCredentials"],
            "methods": cors["AccessControlAllowMethods"]["Items"],
            "headers": cors["AccessControlAllowHeaders"]["Items"],
            "expose": cors.get("AccessControlExposeHeaders", {}).get("Items", []),
            "max_age": cors.get("AccessControlMaxAgeSec"),
            "override": cors["OriginOverride"],
        }
    return out


def code_file(expression, base):
    match = re.fullmatch(r'\$\{file\("\$\{path\.module\}/([a-z-]+\.js)"\)\}', expression)
    assert match, expression
    with open(os.path.join(base, match.group(1))) as f:
        return f.read()


def from_terraform(doc, base):
    out = {"functions": {}, "cache_key": None, "store": None, "response_headers_policy": None}
    outputs = {}
    for entry in doc.get("output", []):
        for name, body in entry.items():
            outputs[unquote(name)] = unquote(body)["value"]
    cache = outputs["cache_policy_id"]
    out["policies"] = {
        "cache": "ours" if cache == "${aws_cloudfront_cache_policy.cors.id}" else cache,
        "origin_request": outputs["origin_request_policy_id"],
    }
    for kind, _, body in blocks(doc):
        check(kind, body)
        if kind == "aws_cloudfront_function":
            assert body["publish"] is True
            out["functions"][body["name"]] = {
                "runtime": body["runtime"],
                "code": code_file(body["code"], base),
                "store": body.get("key_value_store_associations")
                == ["${aws_cloudfront_key_value_store.cors_origins.arn}"],
            }
        elif kind == "aws_cloudfront_cache_policy":
            [params] = body["parameters_in_cache_key_and_forwarded_to_origin"]
            [headers] = params["headers_config"]
            out["cache_key"] = {
                "name": body["name"],
                "headers": items(headers["headers"]),
                "behavior": headers["header_behavior"],
                "query": params["query_strings_config"][0]["query_string_behavior"],
                "cookies": params["cookies_config"][0]["cookie_behavior"],
            }
        elif kind == "aws_cloudfront_key_value_store":
            out["store"] = {"name": body["name"]}
        elif kind == "aws_cloudfrontkeyvaluestore_keys_exclusive":
            [dynamic] = body["dynamic"]
            source = dynamic["resource_key_value_pair"]["for_each"]
            assert "key-value-store.json" in source, source
        elif kind == "aws_cloudfront_response_headers_policy":
            [cors] = body["cors_config"]
            out["response_headers_policy"] = {
                "name": body["name"],
                "origins": items(cors["access_control_allow_origins"]),
                "credentials": cors["access_control_allow_credentials"],
                "methods": items(cors["access_control_allow_methods"]),
                "headers": items(cors["access_control_allow_headers"]),
                "expose": items(cors["access_control_expose_headers"])
                if "access_control_expose_headers" in cors else [],
                "max_age": cors.get("access_control_max_age_sec"),
                "override": cors["origin_override"],
            }
    return out


def main():
    base = os.path.join(sys.argv[1], "cloudfront")
    with open(os.path.join(base, "cloudformation.yaml")) as f:
        cfn = yaml.safe_load(f)
    tf_docs = []
    for name in ("terraform.tf", "response-headers-policy.tf"):
        path = os.path.join(base, name)
        if os.path.exists(path):
            with open(path) as f:
                tf_docs.append(hcl2.load(f))
    terraform = {
        "resource": [r for doc in tf_docs for r in doc.get("resource", [])],
        "output": [o for doc in tf_docs for o in doc.get("output", [])],
    }
    json.dump({
        "cloudformation": from_cloudformation(cfn, base),
        "terraform": unquote(from_terraform(terraform, base)),
    }, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
