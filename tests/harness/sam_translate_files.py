"""Translates SAM templates with aws-sam-translator (the library behind `sam build` and the
AWS::Serverless-2016-10-31 transform), as CloudFormation receives them.

argv: <input.yaml> <output.json> pairs. Exits non-zero, naming the template, when one fails.
"""
import json
import os
import sys

import yaml

# The translator asks boto3 for the region (to build ARNs); the samples are in us-east-1.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from samtranslator.translator.transform import transform  # noqa: E402


class NoManagedPolicies:
    """The samples name no managed policy, so none is looked up."""

    def load(self):
        return {}


args = sys.argv[1:]
for source, target in zip(args[::2], args[1::2]):
    with open(source) as f:
        template = yaml.safe_load(f)
    try:
        translated = transform(template, {}, NoManagedPolicies())
    except Exception as error:
        raise SystemExit(f"{source}: {type(error).__name__}: {error}")
    with open(target, "w") as f:
        json.dump(translated, f, indent=1)
