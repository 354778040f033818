_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _is_label_run(text):
    return (
        text != ""
        and not text.startswith(".")
        and not text.endswith(".")
        and ".." not in text
        and all(c in _LABEL_CHARS for c in text)
    )


def _origin_allowed(rule, origin):
    if rule[0]:
        return True
    exact, wildcards = _ORIGIN_SETS[rule[1]]
    if origin in exact:
        return True
    for prefix, suffix in wildcards:
        if (
            len(origin) > len(prefix) + len(suffix)
            and origin.startswith(prefix)
            and origin.endswith(suffix)
            and _is_label_run(origin[len(prefix) : len(origin) - len(suffix)])
        ):
            return True
    return False


def _segments(path):
    if path.startswith("/"):
        path = path[1:]
    if path.endswith("/"):
        path = path[:-1]
    return path.split("/") if path else []


def _route_matches(segments, parts):
    index = 0
    for kind, value in segments:
        if kind == "greedy":
            return len(parts) > index and all(part != "" for part in parts[index:])
        if index >= len(parts) or parts[index] == "":
            return False
        if kind == "lit" and parts[index] != value:
            return False
        index += 1
    return index == len(parts)


def _rule_for(path):
    parts = _segments(path)
    for _path, segments, rule in _ROUTES:
        if _route_matches(segments, parts):
            return _RULES[rule]
    return _RULES[_DEFAULT_RULE]


def _header(event, name):
    # Payload 1.0 keeps header names as the client sent them; 2.0 lowercases them.
    headers = event.get("headers")
    if isinstance(headers, dict):
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == name and isinstance(value, str):
                return value
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict):
        for key, values in multi.items():
            if (
                isinstance(key, str)
                and key.lower() == name
                and isinstance(values, list)
                and values
                and isinstance(values[0], str)
            ):
                return values[0]
    return None


def _filled(template, parameters):
    # The route template with its path parameters put back: the path as the API resolved it,
    # free of any stage or custom-domain base path. None when a parameter is missing.
    parts = []
    for part in template.split("/"):
        if part.startswith("{") and part.endswith("}"):
            greedy = part.endswith("+}")
            value = parameters.get(part[1:-1].rstrip("+"))
            if not isinstance(value, str):
                return None
            if not greedy:
                # One segment stays one segment: a decoded "/" in it must not add segments
                # and so match another route than the one the API chose.
                value = value.replace("%", "%25").replace("/", "%2F")
            parts.append(value)
        else:
            parts.append(part)
    return "/".join(parts) or "/"


def _method_and_path(event):
    # Routes are matched on the path the API resolved, never on one that still carries a stage
    # (a named HTTP API stage) or a base path (a custom domain's mapping): with a prefix no
    # route would match, and the request would fall back to the default rule.
    context = event.get("requestContext") or {}
    if event.get("version") == "2.0":
        method = (context.get("http") or {}).get("method") or ""
        path = event.get("rawPath") or "/"
        route = (event.get("routeKey") or "").split(" ", 1)
        template = route[1] if len(route) == 2 else None
    else:
        method, path = event.get("httpMethod") or "", event.get("path") or "/"
        template = event.get("resource")
    if isinstance(template, str) and template.startswith("/"):
        return method, _filled(template, event.get("pathParameters") or {}) or path
    # Without a route template, an HTTP API event (payload 1.0 or 2.0; REST events have no
    # version) on a named stage carries the stage in its path.
    stage = context.get("stage")
    if event.get("version") in ("1.0", "2.0") and stage and stage != "$default":
        prefix = "/" + stage
        if path == prefix or path.startswith(prefix + "/"):
            path = path[len(prefix) :] or "/"
    return method, path


def _via_function_url(event):
    context = event.get("requestContext") or {}
    return ".lambda-url." in str(context.get("domainName") or "")


def _decide(event):
    if _URL_OWNS_CORS and _via_function_url(event):
        return None, {"Vary": "Origin"}
    method, path = _method_and_path(event)
    origin = _header(event, "origin")
    preflight = (
        method == "OPTIONS"
        and origin is not None
        and _header(event, "access-control-request-method") is not None
    )
    rule = _rule_for(path)
    allowed = origin is not None and _origin_allowed(rule, origin)
    headers = {}
    if allowed:
        headers["Access-Control-Allow-Origin"] = "*" if rule[0] else origin
        headers.update(rule[2] if preflight else rule[3])
    headers["Vary"] = "Origin"
    status = None
    if preflight:
        status = _PREFLIGHT_ALLOWED if allowed else _PREFLIGHT_REFUSED
    return status, headers


def _merge_vary(values):
    entries = []
    for value in values:
        for entry in value.split(","):
            entry = entry.strip()
            if entry and not any(e.lower() == entry.lower() for e in entries):
                entries.append(entry)
    if not any(e == "*" or e.lower() == "origin" for e in entries):
        entries.append("Origin")
    return ", ".join(entries)


def cors_headers(event):
    """The CORS headers for this request: a preflight's answer headers, or the headers to add to
    any other response. Always includes Vary: Origin."""
    return _decide(event)[1]


def preflight_response(event):
    """The whole answer to a CORS preflight (204, or 403 for an origin the policy does not
    allow), or None when the request is not a preflight."""
    status, headers = _decide(event)
    if status is None:
        return None
    return {"statusCode": status, "headers": headers, "body": ""}


def _apply(event, response, headers):
    if event.get("version") == "2.0" and not (
        isinstance(response, dict) and "statusCode" in response
    ):
        # Payload 2.0 turns a bare value into a 200 JSON response; do it here so the CORS
        # headers have a response to go on.
        response = {
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": json.dumps(response),
        }
    if not isinstance(response, dict):
        return response
    response = dict(response)
    vary = []
    out = {}
    for key, value in (response.get("headers") or {}).items():
        lower = str(key).lower()
        if lower == "vary":
            vary.append(str(value))
        elif not lower.startswith("access-control-"):
            out[key] = value
    if "multiValueHeaders" in response:
        multi = {}
        for key, values in (response.get("multiValueHeaders") or {}).items():
            values = values if isinstance(values, list) else [values]
            lower = str(key).lower()
            if lower == "vary":
                vary.extend(str(v) for v in values)
            elif not lower.startswith("access-control-"):
                multi[key] = values
        response["multiValueHeaders"] = multi
    for name, value in headers.items():
        out[name] = _merge_vary(vary) if name == "Vary" else value
    response["headers"] = out
    return response


# What a handler that raised answers, like API Gateway's own 502 body but readable by the page.
_INTERNAL_ERROR = {
    "statusCode": 500,
    "headers": {"Content-Type": "application/json"},
    "body": json.dumps({"message": "Internal server error"}, separators=(",", ":")),
}


def with_cors(handler):
    """Wraps a Lambda handler: answers preflights without calling it, and puts the policy's
    CORS headers on everything it returns."""

    @functools.wraps(handler)
    def wrapper(event, context=None):
        status, headers = _decide(event)
        if status is not None:
            return {"statusCode": status, "headers": headers, "body": ""}
        try:
            response = handler(event, context)
        except Exception:  # noqa: BLE001 - answered, with CORS headers, and logged
            logging.getLogger(__name__).exception("the handler raised; answering 500")
            response = dict(_INTERNAL_ERROR, headers=dict(_INTERNAL_ERROR["headers"]))
        return _apply(event, response, headers)

    return wrapper
