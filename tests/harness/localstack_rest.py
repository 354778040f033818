"""Deploys generated REST API artifacts into a running LocalStack and sends requests to them.

stdin: {"endpoint": "http://127.0.0.1:PORT",
        "apis": [{"openapi": path} | {"cloudformation": path, "resources": [path, ...]}
                 | {"template": path} (a complete CloudFormation template, e.g. CDK's
                   synthesized one, whose REST API deploys its own stage),
                 each with "integration_responses": path (optional)],
        "cases": [{"api": i, "method": "OPTIONS", "path": "/orders", "query": "origin=…",
                   "headers": [[name, value], ...], "body": "…" (optional)}],
        "content_types": [the Content-Types other clients send, for the user's methods]}
stdout: {"apis": [the deployed REST API ids, in order], "results": [one {"status": int,
"headers": [[name, value], ...]} per case, in order: the status and the response's
Access-Control-* and Vary headers as LocalStack sent them]}.

An "openapi" API is imported with import-rest-api; a "cloudformation" API is a REST API created
with the SDK (its resources made one by one, as a user's API would be) onto which the template
is deployed as a stack, with RestApiId and one ResourceId* parameter per resource. Each is then
deployed to the stage "prod".

With "integration_responses" (corsgen's apigateway/integration-responses.json), every resource
it names gets the user's own method, as a user's API has it before corsgen: ANY with a MOCK
integration answering 200, into which the file's methodResponse and integrationResponse are
merged as its README says (for the stack, before the stack is deployed). The MOCK's request
templates are keyed on every Content-Type the cases send, whole: LocalStack selects a request
template by the header's whole value (`text/plain;charset=UTF-8` does not select `text/plain`)
and answers 500 when none matches. That concerns only this stand-in for the user's backend.
"""
import http.client
import json
import sys
import time
import uuid

import boto3
import yaml


def client(kind, endpoint):
    return boto3.client(
        kind,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def merge_user_methods(apigateway, api_id, ids, integration_responses, content_types):
    with open(integration_responses) as f:
        resources = json.load(f)["resources"]
    templates = {t: '{"statusCode": 200}' for t in {"application/json", *content_types}}
    for path, merge in resources.items():
        common = {"restApiId": api_id, "resourceId": ids[path], "httpMethod": "ANY"}
        apigateway.put_method(**common, authorizationType="NONE")
        apigateway.put_integration(**common, type="MOCK", requestTemplates=templates)
        apigateway.put_method_response(**common, **merge["methodResponse"])
        apigateway.put_integration_response(**common, **merge["integrationResponse"])


def resource_ids(apigateway, api_id):
    ids = {}
    for page in apigateway.get_paginator("get_resources").paginate(restApiId=api_id):
        ids.update({item["path"]: item["id"] for item in page["items"]})
    return ids


def deploy_stack(endpoint, template_path, resources, user_methods):
    apigateway = client("apigateway", endpoint)
    api = apigateway.create_rest_api(name="corsgen-cfn")
    api_id = api["id"]
    ids = {"/": apigateway.get_resources(restApiId=api_id)["items"][0]["id"]}
    # Every resource and the ones above it (a user's API has /admin under /admin/{proxy+}).
    for path in resources:
        parts = [p for p in path.split("/") if p]
        for depth in range(1, len(parts) + 1):
            prefix = "/" + "/".join(parts[:depth])
            if prefix not in ids:
                parent = "/" + "/".join(parts[: depth - 1])
                made = apigateway.create_resource(
                    restApiId=api_id, parentId=ids[parent], pathPart=parts[depth - 1]
                )
                ids[prefix] = made["id"]
    if user_methods:
        user_methods(apigateway, api_id, ids)
    with open(template_path) as f:
        body = f.read()
    parameters = [{"ParameterKey": "RestApiId", "ParameterValue": api_id}]
    for name, spec in yaml.safe_load(body)["Parameters"].items():
        if name == "RestApiId":
            continue
        # "Id of the resource /orders/{id}" (or "... (the REST API's RootResourceId)").
        path = spec["Description"].split("Id of the resource ", 1)[1].split(" ", 1)[0]
        parameters.append({"ParameterKey": name, "ParameterValue": ids[path]})
    create_stack(endpoint, f"corsgen-{api_id}", template_path, body, parameters)
    return api_id


def create_stack(endpoint, name, template_path, body, parameters):
    cloudformation = client("cloudformation", endpoint)
    cloudformation.create_stack(StackName=name, TemplateBody=body, Parameters=parameters)
    # A loaded 2-core machine (the whole test suite at once) can take tens of seconds.
    deadline = time.monotonic() + 180
    while True:
        status = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if status.endswith("_COMPLETE") or status.endswith("_FAILED"):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.25)
    if status != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
        reasons = [e.get("ResourceStatusReason") for e in events if e.get("ResourceStatusReason")]
        raise AssertionError(f"{template_path}: stack {status}: {reasons[:5]}")
    return cloudformation


def deploy_template(endpoint, template_path, index):
    """A complete template: its REST API and the stage it deploys."""
    with open(template_path) as f:
        body = f.read()
    # Unique in the LocalStack that every test of the process shares.
    name = f"corsgen-template-{index}-{uuid.uuid4().hex[:12]}"
    cloudformation = create_stack(endpoint, name, template_path, body, [])
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    apis = [r["PhysicalResourceId"] for r in resources
            if r["ResourceType"] == "AWS::ApiGateway::RestApi"]
    assert len(apis) == 1, f"{template_path}: {len(apis)} REST APIs"
    return apis[0]


def request(endpoint, api_id, case):
    # http.client sends header names as given (urllib would capitalize them), so the header
    # name's case really varies.
    host = endpoint.split("://", 1)[1]
    target = f"/_aws/execute-api/{api_id}/prod{case['path']}"
    if case.get("query"):
        target += "?" + case["query"]
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.putrequest(case["method"], target)
        for name, value in case["headers"]:
            connection.putheader(name, value)
        body = case.get("body")
        if body is not None:
            connection.putheader("Content-Length", str(len(body.encode())))
        connection.endheaders(body.encode() if body is not None else None)
        response = connection.getresponse()
        response.read()
    except OSError as error:  # a timeout or a reset: reported, not raised
        return {"status": 0, "headers": [["error", str(error)]]}
    finally:
        connection.close()
    headers = [
        [k, v]
        for k, v in response.getheaders()
        if k.lower().startswith("access-control-") or k.lower() == "vary"
    ]
    return {"status": response.status, "headers": headers}


def main():
    batch = json.load(sys.stdin)
    endpoint = batch["endpoint"]
    apigateway = client("apigateway", endpoint)
    content_types = set(batch.get("content_types", [])) | {
        value for case in batch["cases"] for name, value in case["headers"]
        if name.lower() == "content-type"
    }
    ids = []
    for api in batch["apis"]:
        user_methods = None
        if api.get("integration_responses"):
            def user_methods(apigateway, api_id, ids, merge=api["integration_responses"]):
                merge_user_methods(apigateway, api_id, ids, merge, content_types)
        if "template" in api:
            ids.append(deploy_template(endpoint, api["template"], len(ids)))
            continue
        if "openapi" in api:
            with open(api["openapi"], "rb") as f:
                api_id = apigateway.import_rest_api(body=f.read())["id"]
            if user_methods:
                user_methods(apigateway, api_id, resource_ids(apigateway, api_id))
        else:
            api_id = deploy_stack(endpoint, api["cloudformation"], api["resources"], user_methods)
        apigateway.create_deployment(restApiId=api_id, stageName="prod")
        ids.append(api_id)
    results = [request(endpoint, ids[case["api"]], case) for case in batch["cases"]]
    json.dump({"apis": ids, "results": results}, sys.stdout)


main()
