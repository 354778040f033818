"""Applies generated S3 bucket CORS configurations to buckets in a running LocalStack and sends
requests to them.

stdin: {"endpoint": "http://127.0.0.1:PORT",
        "buckets": [{"cors_json": path} (a new bucket, configured with put-bucket-cors from the
                     file as written) | {"cloudformation": path} (the template deployed as a
                     stack: its bucket, with the CorsConfiguration it declares)],
        "cases": [{"bucket": i, "method": "OPTIONS", "key": "obj.txt",
                   "headers": [[name, value], ...], "body": "…" (optional)}]}
stdout: {"buckets": [each bucket's name, in order], "results": [one {"status": int, "headers":
[[name, value], ...]} per case, in order: the status and the Access-Control-* and Vary headers as
LocalStack sent them]}.

Every bucket holds the object `obj.txt` before the cases run; `get-bucket-cors` must return the
rule as the file wrote it (its ID included), so nothing was lost on the way.
"""
import http.client
import json
import sys
import uuid
from urllib.parse import urlparse

import boto3


def client(kind, endpoint):
    return boto3.client(
        kind,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def deploy_stack(cloudformation, path):
    with open(path) as f:
        body = f.read()
    name = f"corsgen-s3-{uuid.uuid4().hex[:12]}"
    cloudformation.create_stack(StackName=name, TemplateBody=body)
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return outputs["BucketName"]


def main():
    spec = json.load(sys.stdin)
    endpoint = spec["endpoint"]
    s3 = client("s3", endpoint)
    cloudformation = client("cloudformation", endpoint)
    names = []
    for bucket in spec["buckets"]:
        if "cors_json" in bucket:
            name = f"corsgen-{uuid.uuid4().hex[:16]}"
            s3.create_bucket(Bucket=name)
            with open(bucket["cors_json"]) as f:
                configuration = json.load(f)
            s3.put_bucket_cors(Bucket=name, CORSConfiguration=configuration)
            stored = s3.get_bucket_cors(Bucket=name)["CORSRules"]
            if stored != configuration["CORSRules"]:
                sys.exit(f"get-bucket-cors returned {stored}, not {configuration['CORSRules']}")
        else:
            name = deploy_stack(cloudformation, bucket["cloudformation"])
        s3.put_object(Bucket=name, Key="obj.txt", Body=b"hello", ContentType="text/plain")
        names.append(name)
    host = urlparse(endpoint)
    results = []
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    for case in spec["cases"]:
        path = f"/{names[case['bucket']]}/{case['key']}"
        body = case.get("body")
        connection.request(case["method"], path, body=body, headers=dict(case["headers"]))
        response = connection.getresponse()
        response.read()
        headers = [
            [name, value]
            for name, value in response.getheaders()
            if name.lower().startswith("access-control-") or name.lower() == "vary"
        ]
        results.append({"status": response.status, "headers": headers})
    json.dump({"buckets": names, "results": results}, sys.stdout)


main()
