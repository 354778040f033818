//! Differential conformance: the generated Python snippet (run by python3) and Node snippet
//! (run by node) must return exactly the engine's status and headers for every request of a
//! large matrix: both payload versions, preflights and actual requests, allowed, look-alike and
//! absent origins, credentials on and off, routes, header-name case, handler responses that
//! already carry CORS headers.

use std::collections::BTreeSet;
use std::path::PathBuf;

use corsgen::engine::{self, Decision, Request};
use corsgen::model::{AllowedOrigins, Policy, Rule};
use serde_json::{json, Value};

use crate::support::{
    emit_into, example_policies, require_tool, root, run_lambda_harness, LAMBDA_RUNTIMES,
};

/// Synthetic policies that stress what the examples do not.
const EXTRA_POLICIES: &[&str] = &[
    // Behind a Lambda function URL whose CORS configuration adds the headers: the snippets only
    // remove the handler's own (and keep Vary: Origin).
    r#"version = 1
[cors]
allow-origins = ["https://app.example.org", "http://localhost:5173"]
allow-credentials = true
allow-methods = ["PUT", "DELETE"]
allow-headers = ["Content-Type"]
expose-headers = ["ETag"]
max-age = 300
[apigateway]
gateway-response-origin = "first"
[function-url]
enabled = true
"#,
    // One origin, nothing else listed.
    r#"version = 1
[cors]
allow-origins = ["https://only.example.org"]
"#,
    // Wildcards with and without a port, credentials, max-age 0.
    r#"version = 1
[cors]
allow-origins = ["https://app.example.net", "https://*.example.net:8443", "https://*.dev.example.net", "http://localhost:3000"]
allow-credentials = true
allow-methods = ["PUT"]
allow-headers = ["Authorization"]
max-age = 0
[apigateway]
gateway-response-origin = "first"
"#,
    // Any origin with wildcard lists.
    r#"version = 1
[cors]
allow-origins = ["*"]
allow-methods = ["*"]
allow-headers = ["*", "Authorization"]
expose-headers = ["*"]
"#,
    // Routes of every shape, including the root.
    r#"version = 1
[cors]
allow-origins = ["https://a.example.com"]
allow-credentials = true
expose-headers = ["X-A"]
[[route]]
path = "/"
allow-origins = ["https://root.example.com"]
[[route]]
path = "/{proxy+}"
allow-origins = ["https://proxy.example.com"]
allow-credentials = false
[[route]]
path = "/orders/{id}"
allow-origins = ["https://*.orders.example.com"]
[[route]]
path = "/orders/{id}/items/{item}"
allow-origins = ["*"]
allow-credentials = false
[apigateway]
resources = ["/", "/{proxy+}", "/orders", "/orders/{id}/items", "/catalog/{proxy+}"]
"#,
    // Odd but valid tokens that must survive escaping; lowercase method kept as typed.
    r#"version = 1
name = "it's \"quoted\" </script> \\ é"
[cors]
allow-origins = ["https://q.example.com"]
allow-methods = ["patch", "X-CUSTOM'M"]
allow-headers = ["X-Odd'Name", "X-Back`tick"]
expose-headers = ["X-Pipe|Name"]
[apigateway]
enabled = false
"#,
    // Several origins and wildcards without credentials; gateway responses reflect.
    r#"version = 1
[cors]
allow-origins = ["https://docs.example.org", "https://*.docs.example.org", "https://*.preview.example.io:8443"]
allow-methods = ["DELETE", "PATCH"]
expose-headers = ["X-Total-Count"]
max-age = 7200
[apigateway]
gateway-response-origin = "reflect"
gateway-responses = ["DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED", "WAF_FILTERED"]
"#,
];

pub(crate) struct Subject {
    pub(crate) label: String,
    pub(crate) policy: Policy,
    /// Where its artifacts were emitted.
    pub(crate) out: PathBuf,
    /// A file with the policy's text, and the environment it is resolved for (what `corsgen
    /// check` takes).
    pub(crate) file: PathBuf,
    pub(crate) env: Option<String>,
}

pub(crate) fn origin_variants(policy: &Policy) -> Vec<Option<String>> {
    let mut rules: Vec<&Rule> = vec![&policy.default_rule];
    rules.extend(policy.routes.iter().map(|r| &r.rule));
    let mut out: BTreeSet<Option<String>> = BTreeSet::new();
    out.insert(None);
    for o in [
        "null",
        "",
        "https://unrelated.test",
        "https://a.example.com.evil.com",
    ] {
        out.insert(Some(o.to_string()));
    }
    for rule in rules {
        let AllowedOrigins::List(list) = &rule.origins else {
            continue;
        };
        let (exact, wildcards) = (&list.exact, &list.wildcards);
        for o in exact {
            out.insert(Some(o.clone()));
            out.insert(Some(format!("{o}.evil.com")));
            out.insert(Some(format!("{o}/")));
            out.insert(Some(o.to_uppercase()));
            if let Some(host) = o.strip_prefix("https://") {
                out.insert(Some(format!("http://{host}")));
                out.insert(Some(format!("https://evil{host}")));
                out.insert(Some(format!("{o}:4443")));
            }
        }
        for w in wildcards {
            let apex = &w.suffix[1..];
            out.insert(Some(format!("{}a{}", w.prefix, w.suffix)));
            out.insert(Some(format!("{}a.b-c{}", w.prefix, w.suffix)));
            out.insert(Some(format!("{}{apex}", w.prefix)));
            out.insert(Some(format!("{}evil{apex}", w.prefix)));
            out.insert(Some(format!("{}a{}.evil.com", w.prefix, w.suffix)));
            out.insert(Some(format!("{}.{}", w.prefix, w.suffix)));
            out.insert(Some(format!("{}a..b{}", w.prefix, w.suffix)));
            out.insert(Some(format!("{}a{}:9", w.prefix, w.suffix)));
            out.insert(Some(format!("http://a{}", w.suffix)));
        }
    }
    out.into_iter().collect()
}

pub(crate) const PATHS: &[&str] = &[
    "/",
    "/orders/1",
    "/orders/1/items/2",
    "/orders/1/receipt",
    "/catalog/a/b",
    "/catalog",
    "/admin/x/y",
    "/x/",
    "/a//b",
];

/// (method, Access-Control-Request-Method)
const KINDS: &[(&str, Option<&str>)] = &[
    ("GET", None),
    ("PUT", None),
    ("OPTIONS", Some("PUT")),
    ("OPTIONS", Some("GET")),
    ("OPTIONS", None),
    ("options", Some("PUT")),
];

fn event(
    version2: bool,
    variant: usize,
    method: &str,
    path: &str,
    origin: Option<&str>,
    acrm: Option<&str>,
) -> Value {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(o) = origin {
        pairs.push(("Origin", o));
    }
    if let Some(m) = acrm {
        pairs.push(("Access-Control-Request-Method", m));
    }
    pairs.push(("Accept", "*/*"));
    if version2 {
        let headers: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), json!(v)))
            .collect();
        // Half the events come through a named stage: rawPath then starts with it, and routes
        // must still match on the path without it.
        let (stage, raw) = if variant % 2 == 0 {
            ("prod".to_string(), format!("/prod{path}"))
        } else {
            ("$default".to_string(), path.to_string())
        };
        return json!({
            "version": "2.0", "routeKey": "$default", "rawPath": raw, "rawQueryString": "",
            "headers": headers, "isBase64Encoded": false,
            "requestContext": {"stage": stage, "http": {"method": method, "path": raw, "protocol": "HTTP/1.1"}}
        });
    }
    let name = |k: &str| match variant % 3 {
        0 => k.to_string(),
        1 => k.to_ascii_lowercase(),
        _ => k.to_ascii_uppercase(),
    };
    let headers: serde_json::Map<String, Value> =
        pairs.iter().map(|(k, v)| (name(k), json!(v))).collect();
    let multi: serde_json::Map<String, Value> =
        pairs.iter().map(|(k, v)| (name(k), json!([v]))).collect();
    let (headers, multi) = match variant % 4 {
        // API Gateway sends both maps; some test tools send only one.
        0 | 1 => (Value::Object(headers), Value::Object(multi)),
        2 => (Value::Null, Value::Object(multi)),
        _ => (Value::Object(headers), Value::Null),
    };
    // Half the events come through a custom domain with a base path mapping (`/v1`): `path`
    // carries it, and routes must match on the resource template with its parameters.
    let (path, parameters) = if variant % 2 == 0 && path != "/" {
        (
            format!("/v1{path}"),
            json!({"proxy": path.trim_start_matches('/')}),
        )
    } else {
        (path.to_string(), Value::Null)
    };
    let resource = if path == "/" { "/" } else { "/{proxy+}" };
    json!({
        "resource": resource, "path": path, "httpMethod": method, "pathParameters": parameters,
        "headers": headers, "multiValueHeaders": multi,
        "queryStringParameters": {"origin": "https://evil.example"},
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method},
        "body": null, "isBase64Encoded": false
    })
}

fn handler_response(version2: bool, variant: usize) -> Value {
    match variant % 6 {
        // The handler raises: the wrapper answers 500 with the CORS headers.
        5 => json!({"__throw__": "handler failed"}),
        0 => {
            json!({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"})
        }
        1 => {
            json!({"statusCode": 201, "headers": {"Access-Control-Allow-Origin": "*", "vary": "Accept-Encoding"}, "body": "x"})
        }
        2 if !version2 => json!({
            "statusCode": 500, "headers": {"X-Request-Id": "abc"},
            "multiValueHeaders": {"Vary": ["Accept", "Cookie"], "access-control-allow-credentials": ["true"]},
            "body": "err"
        }),
        3 if version2 => json!({"ok": true}),
        _ => json!({"statusCode": 404}),
    }
}

fn handler_headers(response: &Value) -> Vec<(String, String)> {
    if response.get("statusCode").is_none() {
        return vec![("content-type".into(), "application/json".into())];
    }
    let mut out = Vec::new();
    if let Some(h) = response.get("headers").and_then(Value::as_object) {
        out.extend(
            h.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
        );
    }
    if let Some(m) = response.get("multiValueHeaders").and_then(Value::as_object) {
        for (k, vs) in m {
            out.extend(
                vs.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| (k.clone(), v.as_str().unwrap().to_string())),
            );
        }
    }
    out
}

fn pairs(decision: &Decision) -> Value {
    json!(decision
        .headers
        .iter()
        .map(|(k, v)| json!([k, v]))
        .collect::<Vec<_>>())
}

fn effective(wrapped: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    if let Some(h) = wrapped.get("headers").and_then(Value::as_object) {
        for (k, v) in h {
            assert!(
                names.insert(k.to_ascii_lowercase()),
                "duplicate header {k} in {wrapped}"
            );
            out.push((k.to_ascii_lowercase(), v.as_str().unwrap().to_string()));
        }
    }
    if let Some(m) = wrapped.get("multiValueHeaders").and_then(Value::as_object) {
        for (k, vs) in m {
            let lower = k.to_ascii_lowercase();
            assert!(
                lower != "vary" && !lower.starts_with("access-control-"),
                "{k} left in multiValueHeaders: {wrapped}"
            );
            out.extend(
                vs.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| (lower.clone(), v.as_str().unwrap().to_string())),
            );
        }
    }
    out.sort();
    out
}

/// The subjects that emit the Lambda snippets.
fn lambda_subjects(dir: &std::path::Path) -> Vec<Subject> {
    subjects(dir)
        .into_iter()
        .filter(|s| !s.policy.lambda_languages.is_empty())
        .collect()
}

pub(crate) fn subjects(dir: &std::path::Path) -> Vec<Subject> {
    let mut texts: Vec<(String, String, Option<String>)> = Vec::new();
    for (path, env) in example_policies() {
        let mut label = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(env) = &env {
            label = format!("{label} --env {env}");
        }
        texts.push((label, std::fs::read_to_string(&path).unwrap(), env));
    }
    for (i, text) in EXTRA_POLICIES.iter().enumerate() {
        texts.push((format!("synthetic #{i}"), (*text).to_string(), None));
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(i, (label, text, env))| {
            let out = dir.join(format!("p{i}"));
            let file = dir.join(format!("p{i}.toml"));
            std::fs::write(&file, &text).unwrap();
            Subject {
                label,
                policy: emit_into(&text, env.as_deref(), &out),
                out,
                file,
                env,
            }
        })
        .collect()
}

#[test]
fn lambda_snippets_agree_with_the_engine_in_python_and_node() {
    let dir = tempfile::tempdir().unwrap();
    let subjects = lambda_subjects(dir.path());
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    let mut coverage = BTreeSet::new();
    let mut counter = 0usize;
    for (module, subject) in subjects.iter().enumerate() {
        for origin in origin_variants(&subject.policy) {
            for (k, (method, acrm)) in KINDS.iter().enumerate() {
                for version2 in [false, true] {
                    for p in 0..2 {
                        counter += 1;
                        let path = PATHS[(counter + p * 5 + k) % PATHS.len()];
                        let request = Request {
                            method,
                            path,
                            origin: origin.as_deref(),
                            request_method: *acrm,
                        };
                        // Behind a function URL with CORS (half the payload 2.0 events of such
                        // a policy come through the URL's domain), the URL adds the headers;
                        // through API Gateway the snippets still do.
                        let via_url = subject.policy.emits_configuration("function-url")
                            && version2
                            && counter % 2 == 1;
                        let decision = if via_url {
                            coverage.insert("the function URL owns CORS".to_string());
                            engine::Decision {
                                preflight_status: None,
                                headers: vec![(engine::VARY, "Origin".to_string())],
                            }
                        } else {
                            engine::decide(&subject.policy, &request)
                        };
                        let response = handler_response(version2, counter);
                        let allowed = decision.headers.len() > 1;
                        let rule = subject.policy.rule_for(path);
                        coverage.insert(format!(
                            "v{} {} {} credentials={}",
                            if version2 { 2 } else { 1 },
                            if decision.preflight_status.is_some() {
                                "preflight"
                            } else {
                                "actual"
                            },
                            match (origin.is_some(), allowed) {
                                (false, _) => "absent",
                                (true, true) => "allowed",
                                (true, false) => "refused",
                            },
                            rule.credentials
                        ));
                        if response.get("__throw__").is_some()
                            && decision.preflight_status.is_none()
                            && origin.is_some()
                        {
                            coverage.insert(format!("handler raised, origin allowed={allowed}"));
                        }
                        if subject.policy.emits_configuration("function-url") && !via_url {
                            coverage.insert(
                                "the function URL's policy, through API Gateway".to_string(),
                            );
                        }
                        let mut built =
                            event(version2, counter, method, path, origin.as_deref(), *acrm);
                        if via_url {
                            built["requestContext"]["domainName"] =
                                json!("abc123.lambda-url.eu-west-1.on.aws");
                        }
                        cases.push(json!({
                            "module": module,
                            "event": built,
                            "response": response,
                        }));
                        expected.push((
                            subject.label.clone(),
                            decision,
                            response,
                            format!(
                                "{method} {path} origin={origin:?} acrm={acrm:?} v2={version2}"
                            ),
                        ));
                    }
                }
            }
        }
    }
    assert!(cases.len() >= 1000, "only {} cases", cases.len());
    for needed in [
        "v1 preflight allowed credentials=true",
        "v2 preflight refused credentials=true",
        "v1 actual refused credentials=false",
        "v2 actual allowed credentials=false",
        "v2 actual absent credentials=true",
        "v1 preflight allowed credentials=false",
        "handler raised, origin allowed=true",
        "handler raised, origin allowed=false",
        "the function URL owns CORS",
        "the function URL's policy, through API Gateway",
    ] {
        assert!(
            coverage.contains(needed),
            "matrix lacks {needed}: {coverage:?}"
        );
    }

    let out_dirs: Vec<PathBuf> = subjects.iter().map(|s| s.out.clone()).collect();
    for lambda_runtime in LAMBDA_RUNTIMES {
        let runtime = lambda_runtime.0;
        let results = run_lambda_harness(lambda_runtime, &out_dirs, &cases);
        let mut agreed = 0;
        for ((label, decision, response, what), result) in expected.iter().zip(&results) {
            let context = format!("{runtime}: policy {label}: {what}");
            assert_eq!(
                result["headers"],
                pairs(decision),
                "cors_headers differs; {context}"
            );
            match decision.preflight_status {
                Some(status) => {
                    let want = json!({"statusCode": status, "headers": result["preflight"]["headers"], "body": ""});
                    assert_eq!(result["preflight"], want, "{context}");
                    let mut got: Vec<(String, String)> = result["preflight"]["headers"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect();
                    let mut want: Vec<(String, String)> = decision
                        .headers
                        .iter()
                        .map(|(k, v)| ((*k).to_string(), v.clone()))
                        .collect();
                    got.sort();
                    want.sort();
                    assert_eq!(got, want, "preflight headers differ; {context}");
                    assert_eq!(result["wrapped"], result["preflight"], "{context}");
                    assert_eq!(result["handler_called"], false, "{context}");
                }
                None => {
                    assert_eq!(result["preflight"], Value::Null, "{context}");
                    assert_eq!(result["handler_called"], true, "{context}");
                    // What a wrapper answers for a handler that raised.
                    let thrown = json!({
                        "statusCode": 500,
                        "headers": {"Content-Type": "application/json"},
                        "body": "{\"message\":\"Internal server error\"}"
                    });
                    let response = if response.get("__throw__").is_some() {
                        &thrown
                    } else {
                        response
                    };
                    let want_status = response.get("statusCode").cloned().unwrap_or(json!(200));
                    assert_eq!(result["wrapped"]["statusCode"], want_status, "{context}");
                    if response.get("statusCode").is_some() {
                        assert_eq!(
                            result["wrapped"].get("body"),
                            response.get("body"),
                            "{context}"
                        );
                    }
                    let mut want: Vec<(String, String)> =
                        engine::finalize_response(decision, &handler_headers(response))
                            .into_iter()
                            .map(|(k, v)| (k.to_ascii_lowercase(), v))
                            .collect();
                    want.sort();
                    assert_eq!(
                        effective(&result["wrapped"]),
                        want,
                        "wrapped headers differ; {context}"
                    );
                }
            }
            agreed += 1;
        }
        eprintln!(
            "{runtime}: {agreed}/{} cases agree with the engine across {} policies",
            cases.len(),
            subjects.len()
        );
    }
}

/// The snippets' runtime code lives as real source files, which their own tools read as they
/// are (the data tables a generated snippet puts above them are the only names they expect).
#[test]
fn the_lambda_runtimes_are_real_source_files() {
    let python = root().join("templates/lambda/runtime.py");
    let parsed = crate::support::run_with_stdin(
        "python3",
        &[
            "-c",
            "import ast, sys; ast.parse(sys.stdin.read(), 'runtime.py')",
        ],
        &std::fs::read_to_string(&python).unwrap(),
    );
    assert_eq!(parsed, "");
    require_tool("node");
    let node = std::process::Command::new("node")
        .arg("--check")
        .arg(root().join("templates/lambda/runtime.mjs"))
        .output()
        .unwrap();
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
}

/// The snippets match the route API Gateway chose, whatever the event carries around it: a
/// route template whose single-segment parameter holds a decoded `/` (which must not add
/// segments and so reach another rule), a named stage before a template, and HTTP API payload
/// 1.0 on a named stage, with and without a route template.
#[test]
fn lambda_snippets_match_the_route_the_api_chose() {
    let dir = tempfile::tempdir().unwrap();
    let subjects = lambda_subjects(dir.path());
    let (module, subject) = subjects
        .iter()
        .enumerate()
        .find(|(_, s)| s.label == "per-route.toml")
        .expect("the per-route example policy");
    let receipts = "https://evil.receipts.example.com";
    let shop = "https://shop.example.com";
    let v2 = |route_key: &str, raw: &str, stage: &str, parameters: Value, origin: &str| {
        json!({
            "version": "2.0", "routeKey": route_key, "rawPath": raw, "rawQueryString": "",
            "pathParameters": parameters, "isBase64Encoded": false,
            "headers": {"origin": origin, "access-control-request-method": "PUT"},
            "requestContext": {"stage": stage, "http": {"method": "OPTIONS", "path": raw}}
        })
    };
    let v1_http = |resource: &str, path: &str, parameters: Value, origin: &str| {
        json!({
            "version": "1.0", "resource": resource, "path": path, "httpMethod": "OPTIONS",
            "pathParameters": parameters, "isBase64Encoded": false, "body": null,
            "headers": {"Origin": origin, "Access-Control-Request-Method": "PUT"},
            "multiValueHeaders": {"Origin": [origin], "Access-Control-Request-Method": ["PUT"]},
            "requestContext": {"stage": "prod", "httpMethod": "OPTIONS"}
        })
    };
    // (event, the path API Gateway routed on, origin)
    let cases = [
        (
            v2(
                "OPTIONS /orders/{id}",
                "/orders/x%2Freceipt",
                "$default",
                json!({"id": "x/receipt"}),
                receipts,
            ),
            "/orders/x%2Freceipt",
            receipts,
        ),
        (
            v2(
                "ANY /admin/{proxy+}",
                "/prod/admin/x",
                "prod",
                json!({"proxy": "x"}),
                shop,
            ),
            "/admin/x",
            shop,
        ),
        (
            v1_http("$default", "/prod/admin/x", Value::Null, shop),
            "/admin/x",
            shop,
        ),
        (
            v1_http(
                "/admin/{proxy+}",
                "/prod/admin/x",
                json!({"proxy": "x"}),
                shop,
            ),
            "/admin/x",
            shop,
        ),
        (
            v1_http(
                "/orders/{id}",
                "/prod/orders/x%2Freceipt",
                json!({"id": "x/receipt"}),
                receipts,
            ),
            "/orders/x%2Freceipt",
            receipts,
        ),
    ];
    let batch: Vec<Value> = cases
        .iter()
        .map(|(event, _, _)| json!({"module": module, "event": event, "response": {"statusCode": 200}}))
        .collect();
    let out_dirs: Vec<PathBuf> = subjects.iter().map(|s| s.out.clone()).collect();
    for lambda_runtime in LAMBDA_RUNTIMES {
        let results = run_lambda_harness(lambda_runtime, &out_dirs, &batch);
        for ((event, path, origin), result) in cases.iter().zip(&results) {
            let decision = engine::decide(
                &subject.policy,
                &Request {
                    method: "OPTIONS",
                    path,
                    origin: Some(origin),
                    request_method: Some("PUT"),
                },
            );
            // Each of these is refused on the route API Gateway chose.
            assert_eq!(decision.preflight_status, Some(403), "{path} {origin}");
            assert_eq!(
                result["headers"],
                pairs(&decision),
                "{}: {event}",
                lambda_runtime.0
            );
            assert_eq!(
                result["preflight"]["statusCode"], 403,
                "{}: {event}",
                lambda_runtime.0
            );
        }
    }
}
