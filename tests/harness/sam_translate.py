"""Builds a sample AWS SAM template from corsgen's SAM fragments, the way a user merges them,
translates it with aws-sam-translator (the library behind `sam build` and the
AWS::Serverless-2016-10-31 transform) and lints the result with cfn-lint.

stdin: {"apps": [{"out": corsgen's --out directory, "body_types": [Content-Type, ...],
                  "template": where to write the sample SAM template (YAML),
                  "translated": where to write the translated CloudFormation (JSON)}]}
stdout: one {"ok": true} or {"error": text} per app, in order.

The sample is an AWS::Serverless::Api (stage "prod") whose DefinitionBody has the app's own
method on every resource corsgen lists (ANY, a MOCK answering 200, with the 2XX responses of
apigateway/integration-responses.json merged), then each path's `options` operation from
sam/definition-body.yaml merged in, and the Properties of sam/api-properties.yaml. The fragment
must carry exactly the OPTIONS operations of apigateway/openapi.json.
"""
import copy
import json
import os
import subprocess
import sys

import yaml

# The translator asks boto3 for the region (to build ARNs); the sample is deployed in us-east-1.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from samtranslator.translator.transform import transform  # noqa: E402


class NoManagedPolicies:
    """The sample has no functions, so no managed policy is looked up."""

    def load(self):
        return {}


def sample(out, body_types):
    with open(os.path.join(out, "sam/definition-body.yaml")) as f:
        fragment = yaml.safe_load(f)
    with open(os.path.join(out, "sam/api-properties.yaml")) as f:
        properties = yaml.safe_load(f)
    with open(os.path.join(out, "apigateway/openapi.json")) as f:
        openapi = json.load(f)
    with open(os.path.join(out, "apigateway/integration-responses.json")) as f:
        merges = json.load(f)["resources"]
    assert fragment["paths"] == openapi["paths"], "sam/definition-body.yaml is not openapi.json's"
    paths = {}
    for path, merge in merges.items():
        method = merge["methodResponse"]
        headers = {
            key[len("method.response.header."):]: {"schema": {"type": "string"}}
            for key in method["responseParameters"]
        }
        paths[path] = {
            "x-amazon-apigateway-any-method": {
                "responses": {method["statusCode"]: {"description": "OK", "headers": headers}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {t: '{"statusCode": 200}' for t in body_types},
                    "responses": {"default": copy.deepcopy(merge["integrationResponse"])},
                },
            }
        }
    for path, item in fragment["paths"].items():
        paths.setdefault(path, {}).update(item)
    api = {"StageName": "prod", "DefinitionBody": {
        "openapi": "3.0.1", "info": {"title": "corsgen SAM sample", "version": "1"}, "paths": paths,
    }}
    api.update(properties)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Api": {"Type": "AWS::Serverless::Api", "Properties": api}},
    }


def main():
    batch = json.load(sys.stdin)
    results = []
    for app in batch["apps"]:
        try:
            template = sample(app["out"], app["body_types"])
            with open(app["template"], "w") as f:
                yaml.safe_dump(template, f, sort_keys=False)
            translated = transform(copy.deepcopy(template), {}, NoManagedPolicies())
            with open(app["translated"], "w") as f:
                json.dump(translated, f, indent=1)
            # The same API with an API key on every method: the preflights must stay without.
            keyed = copy.deepcopy(template)
            keyed["Resources"]["Api"]["Properties"]["Auth"]["ApiKeyRequired"] = True
            keyed = transform(keyed, {}, NoManagedPolicies())
            [body] = [r["Properties"]["Body"] for r in keyed["Resources"].values()
                      if r["Type"] == "AWS::ApiGateway::RestApi"]
            for path, item in body["paths"].items():
                keys = [s for s in item["options"].get("security", []) if "api_key" in s]
                assert not keys, f"{path}: the preflight requires an API key: {keys}"
                assert any("api_key" in s for op, v in item.items() if op != "options"
                           for s in v.get("security", [])), f"{path}: no API key on the app's method"
            results.append({"ok": True})
        except Exception as error:  # reported per app, with what failed
            results.append({"error": f"{type(error).__name__}: {error}"})
    # One cfn-lint run for every translated template (it takes seconds to start).
    linted = [app["translated"] for app, r in zip(batch["apps"], results) if r.get("ok")]
    lint = subprocess.run(["cfn-lint", *linted], capture_output=True, text=True)
    if lint.returncode != 0:
        for app, result in zip(batch["apps"], results):
            if result.get("ok") and app["translated"] in lint.stdout + lint.stderr:
                result.pop("ok")
                result["error"] = f"cfn-lint:\n{lint.stdout}{lint.stderr}"
        if all(r.get("ok") for r in results):
            raise SystemExit(f"cfn-lint failed:\n{lint.stdout}{lint.stderr}")
    json.dump(results, sys.stdout)


main()
