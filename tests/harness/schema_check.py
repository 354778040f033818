"""Validates TOML policies against policy.schema.json with a real JSON Schema validator.

stdin: {"schema": path, "policies": [toml text, ...]}; stdout: [true|false, ...], one verdict
per policy (false also when the TOML does not parse)."""
import json
import sys
import tomllib

import jsonschema

request = json.load(sys.stdin)
with open(request["schema"], encoding="utf-8") as f:
    schema = json.load(f)
validator_class = jsonschema.validators.validator_for(schema)
validator_class.check_schema(schema)
validator = validator_class(schema)
verdicts = []
for text in request["policies"]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        verdicts.append(False)
        continue
    verdicts.append(validator.is_valid(document))
json.dump(verdicts, sys.stdout)
