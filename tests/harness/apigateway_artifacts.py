"""Reads the API Gateway artifacts of one --out directory in all three formats (OpenAPI JSON,
CloudFormation YAML, Terraform HCL via python-hcl2) and prints, per format, the same normalised
JSON: what each REST resource's OPTIONS method and each gateway response configure. It also fails
when a Terraform block uses an attribute the AWS provider does not have.

usage: python3 apigateway_artifacts.py OUT_DIR   -> {"openapi": {...}, "cloudformation": {...},
                                                     "terraform": {...}, "http_api": {...}}
"""
import json
import os
import re
import sys

import hcl2
import yaml

# Attributes of the AWS provider's resources (registry docs), required ones marked.
TF_ATTRIBUTES = {
    "aws_api_gateway_method": ({"rest_api_id", "resource_id", "http_method", "authorization"},
                               {"api_key_required", "authorizer_id", "authorization_scopes",
                                "operation_name", "request_models", "request_validator_id",
                                "request_parameters"}),
    "aws_api_gateway_integration": ({"rest_api_id", "resource_id", "http_method", "type"},
                                    {"integration_http_method", "uri", "connection_type",
                                     "connection_id", "credentials", "request_templates",
                                     "request_parameters", "passthrough_behavior",
                                     "cache_key_parameters", "cache_namespace",
                                     "content_handling", "timeout_milliseconds", "tls_config"}),
    "aws_api_gateway_method_response": ({"rest_api_id", "resource_id", "http_method",
                                         "status_code"},
                                        {"response_models", "response_parameters"}),
    "aws_api_gateway_integration_response": ({"rest_api_id", "resource_id", "http_method",
                                              "status_code"},
                                             {"selection_pattern", "response_templates",
                                              "response_parameters", "content_handling",
                                              "depends_on"}),
    "aws_api_gateway_gateway_response": ({"rest_api_id", "response_type"},
                                         {"status_code", "response_templates",
                                          "response_parameters"}),
    "aws_apigatewayv2_api": ({"name", "protocol_type"},
                             {"api_key_selection_expression", "body", "cors_configuration",
                              "credentials_arn", "description", "disable_execute_api_endpoint",
                              "fail_on_warnings", "ip_address_type", "route_key",
                              "route_selection_expression", "tags", "target", "version"}),
}
TF_CORS_CONFIGURATION = {"allow_credentials", "allow_headers", "allow_methods", "allow_origins",
                         "expose_headers", "max_age"}


def unquote(value):
    """An HCL string as python-hcl2 returns it (quoted, escapes kept) -> its text."""
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


def method(declared, refused, integration):
    return {
        "declared": sorted(declared),
        "refused_status": refused,
        **integration,
    }


def from_openapi(doc):
    out = {"resources": {}, "gateway_responses": {}}
    for path, item in doc["paths"].items():
        op = item["options"]
        assert op["security"] == [], path
        integration = op["x-amazon-apigateway-integration"]
        response = integration["responses"]["default"]
        status = response["statusCode"]
        statuses = sorted(op["responses"])
        refused = [s for s in statuses if s != status]
        out["resources"][path] = method(
            ["method.response.header." + h for h in op["responses"][status]["headers"]],
            refused[0] if refused else None,
            {
                "type": integration["type"].upper(),
                "authorization": "NONE",
                "api_key_required": False,
                "passthrough": integration["passthroughBehavior"].upper(),
                "content_handling": integration["contentHandling"],
                "request_templates": integration["requestTemplates"],
                "status": status,
                "parameters": response["responseParameters"],
                "templates": response.get("responseTemplates", {}),
            })
    for kind, response in doc.get("x-amazon-apigateway-gateway-responses", {}).items():
        out["gateway_responses"][kind] = response["responseParameters"]
    return out


def from_cloudformation(doc, paths_by_param):
    out = {"resources": {}, "gateway_responses": {}}
    for resource in doc["Resources"].values():
        props = resource["Properties"]
        assert props["RestApiId"] == {"Ref": "RestApiId"}
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse":
            out["gateway_responses"][props["ResponseType"]] = props["ResponseParameters"]
            continue
        assert resource["Type"] == "AWS::ApiGateway::Method"
        assert props["HttpMethod"] == "OPTIONS"
        path = paths_by_param[props["ResourceId"]["Ref"]]
        integration = props["Integration"]
        [response] = integration["IntegrationResponses"]
        responses = {r["StatusCode"]: r for r in props["MethodResponses"]}
        status = response["StatusCode"]
        refused = [s for s in responses if s != status]
        out["resources"][path] = method(
            list(responses[status]["ResponseParameters"]),
            refused[0] if refused else None,
            {
                "type": integration["Type"],
                "authorization": props["AuthorizationType"],
                "api_key_required": props["ApiKeyRequired"],
                "passthrough": integration["PassthroughBehavior"],
                "content_handling": integration["ContentHandling"],
                "request_templates": integration["RequestTemplates"],
                "status": status,
                "parameters": response["ResponseParameters"],
                "templates": response.get("ResponseTemplates", {}),
            })
    return out


def blocks(doc):
    for entry in doc.get("resource", []):
        for kind, named in entry.items():
            for name, body in named.items():
                yield unquote(kind), unquote(name), unquote(body)


def check_attributes(kind, body):
    required, optional = TF_ATTRIBUTES[kind]
    keys = set(body) - {"__is_block__"}
    unknown = keys - required - optional
    missing = required - keys
    assert not unknown and not missing, f"{kind}: unknown {unknown}, missing {missing}"
    for block in body.get("cors_configuration", []):
        assert set(block) <= TF_CORS_CONFIGURATION, block


def resource_key(expression):
    match = re.fullmatch(r'\$\{var\.resource_ids\["(.*)"\]\}', expression)
    assert match, expression
    return json.loads('"' + match.group(1) + '"')


def from_terraform(doc):
    out = {"resources": {}, "gateway_responses": {}}
    by_name = {}
    for kind, name, body in blocks(doc):
        check_attributes(kind, body)
        by_name[(kind, name)] = body
        if kind == "aws_api_gateway_gateway_response":
            out["gateway_responses"][body["response_type"]] = body["response_parameters"]
    for (kind, name), body in by_name.items():
        if kind != "aws_api_gateway_method":
            continue
        path = resource_key(body["resource_id"])
        assert body["http_method"] == "OPTIONS"
        integration = by_name[("aws_api_gateway_integration", name)]
        response = by_name[("aws_api_gateway_integration_response", name)]
        accepted = by_name[("aws_api_gateway_method_response", name)]
        refused = by_name.get(("aws_api_gateway_method_response", name + "_refused"))
        for part in (integration, response, accepted):
            assert resource_key(part["resource_id"]) == path
        out["resources"][path] = method(
            list(accepted["response_parameters"]),
            refused["status_code"] if refused else None,
            {
                "type": integration["type"],
                "authorization": body["authorization"],
                "api_key_required": body["api_key_required"],
                "passthrough": integration["passthrough_behavior"],
                "content_handling": integration["content_handling"],
                "request_templates": integration["request_templates"],
                "status": accepted["status_code"],
                "parameters": response["response_parameters"],
                "templates": response.get("response_templates", {}),
            })
    return out


def http_api(out_dir):
    paths = {name: os.path.join(out_dir, "apigateway", name) for name in
             ("http-api.openapi.json", "http-api.cloudformation.yaml", "http-api.tf")}
    present = [os.path.exists(p) for p in paths.values()]
    if not any(present):
        return None
    assert all(present), "http-api files come together"
    with open(paths["http-api.openapi.json"]) as f:
        openapi = json.load(f)["x-amazon-apigateway-cors"]
    with open(paths["http-api.cloudformation.yaml"]) as f:
        cfn = yaml.safe_load(f)["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    with open(paths["http-api.tf"]) as f:
        tf = list(blocks(hcl2.load(f)))
    for kind, _, body in tf:
        check_attributes(kind, body)
    [(_, _, api)] = tf
    [cors] = api["cors_configuration"]
    norm = lambda d, keys: {k: d.get(v) for k, v in keys.items()}  # noqa: E731
    fields = ["origins", "credentials", "methods", "headers", "expose", "max_age"]
    return {
        "openapi": norm(openapi, dict(zip(fields, ["allowOrigins", "allowCredentials",
                                                   "allowMethods", "allowHeaders",
                                                   "exposeHeaders", "maxAge"]))),
        "cloudformation": norm(cfn, dict(zip(fields, ["AllowOrigins", "AllowCredentials",
                                                      "AllowMethods", "AllowHeaders",
                                                      "ExposeHeaders", "MaxAge"]))),
        "terraform": norm(cors, dict(zip(fields, ["allow_origins", "allow_credentials",
                                                  "allow_methods", "allow_headers",
                                                  "expose_headers", "max_age"]))),
    }


def main():
    out_dir = sys.argv[1]
    base = os.path.join(out_dir, "apigateway")
    with open(os.path.join(base, "openapi.json")) as f:
        openapi = json.load(f)
    with open(os.path.join(base, "cloudformation.yaml")) as f:
        cfn = yaml.safe_load(f)
    paths_by_param = {}
    for name, param in cfn["Parameters"].items():
        if name.startswith("ResourceId"):
            desc = param["Description"]
            paths_by_param[name] = desc.split("Id of the resource ", 1)[1].split(" ", 1)[0]
    with open(os.path.join(base, "terraform.tf")) as f:
        tf = hcl2.load(f)
    json.dump({
        "openapi": from_openapi(openapi),
        "cloudformation": from_cloudformation(cfn, paths_by_param),
        "terraform": from_terraform(tf),
        "http_api": http_api(out_dir),
    }, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
