"""Runs generated Python snippets against a batch of API Gateway events.

stdin: {"modules": [path, ...], "cases": [{"module": i, "event": {...}, "response": {...}}]}
(a response {"__throw__": message} makes the handler raise instead)
stdout: one result per case, in order.
"""
import importlib.util
import json
import sys


def load(index, path):
    spec = importlib.util.spec_from_file_location(f"cors_{index}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    batch = json.load(sys.stdin)
    modules = [load(i, p) for i, p in enumerate(batch["modules"])]
    results = []
    for case in batch["cases"]:
        module = modules[case["module"]]
        event = case["event"]
        called = []

        def handler(event, context, _response=case["response"]):
            called.append(True)
            if isinstance(_response, dict) and "__throw__" in _response:
                raise RuntimeError(_response["__throw__"])
            return json.loads(json.dumps(_response))

        wrapped = module.with_cors(handler)(event, None)
        results.append(
            {
                "headers": list(module.cors_headers(event).items()),
                "preflight": module.preflight_response(event),
                "wrapped": wrapped,
                "wrapped_headers": list((wrapped.get("headers") or {}).items()),
                "handler_called": bool(called),
            }
        )
    json.dump(results, sys.stdout)


main()
