//! The CloudFront artifacts, proven:
//! - both functions run in node against CloudFront's event shapes (lowercase header keys,
//!   `{value}` objects, multiValue, an origin server that already sent CORS headers), inline and
//!   with a KeyValueStore served by a stand-in `cloudfront` module, and answer like the engine;
//! - the code parses at its runtime's ECMAScript version (acorn: ES5 for cloudfront-js-1.0) and
//!   every function is within 10,240 bytes, or the emitter refuses the policy;
//! - cfn-lint accepts the CloudFormation, python-hcl2 parses the Terraform, and both describe the
//!   same functions, cache policy and response headers policy.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use corsgen::diagnostic::Code;
use corsgen::engine::{self, Request};
use corsgen::model::{AllowedOrigins, Policy};
use corsgen::policy::{CloudFrontRuntime, KeyValueStoreChoice};
use corsgen::source::PolicySource;
use corsgen::targets::cloudfront::limits::FUNCTION_SIZE_LIMIT;
use serde_json::{json, Value};

use crate::conformance::{origin_variants, subjects, Subject, PATHS};
use crate::support::{corsgen, python_module, require_tool, root, run_with_stdin};

const FUNCTIONS: [&str; 2] = [
    "cloudfront/viewer-request.js",
    "cloudfront/viewer-response.js",
];

/// (method, Access-Control-Request-Method)
const KINDS: &[(&str, Option<&str>)] = &[
    ("GET", None),
    ("POST", None),
    ("OPTIONS", Some("PUT")),
    ("OPTIONS", Some("DELETE")),
    ("OPTIONS", None),
];

/// Renders `policy` (with changed CloudFront settings) into `out`.
pub(crate) fn emit_variant(policy: &Policy, label: &str, out: &Path) {
    let source = PolicySource::new("policy.toml", label);
    let files = corsgen::generate(policy, &source)
        .expect("render")
        .unwrap_or_else(|d| panic!("{label}: limits broken: {d:?}"))
        .files;
    corsgen::write::write(
        out,
        &files,
        corsgen::write::Owner::of(policy),
        corsgen::write::Options::default(),
    )
    .expect("write");
}

/// The subjects that emit the CloudFront artifacts.
fn cloudfront_subjects(dir: &Path) -> Vec<Subject> {
    subjects(dir)
        .into_iter()
        .filter(|s| s.policy.cloudfront.is_some())
        .collect()
}

/// `policy` with other CloudFront settings.
fn with_settings(
    policy: &Policy,
    runtime: CloudFrontRuntime,
    store: KeyValueStoreChoice,
) -> Policy {
    let mut policy = policy.clone();
    let settings = policy.cloudfront.as_mut().expect("cloudfront enabled");
    settings.runtime = runtime;
    settings.key_value_store = store;
    policy
}

fn with_store(policy: &Policy) -> Policy {
    with_settings(policy, CloudFrontRuntime::Js2, KeyValueStoreChoice::Always)
}

fn with_runtime_1(policy: &Policy) -> Policy {
    with_settings(policy, CloudFrontRuntime::Js1, KeyValueStoreChoice::Never)
}

fn headers_object(pairs: &[(&str, &str)], multi: bool) -> Value {
    let mut map = serde_json::Map::new();
    for (name, value) in pairs {
        let entry = map
            .entry(name.to_string())
            .or_insert_with(|| json!({"value": value}));
        if multi {
            let list = entry
                .as_object_mut()
                .unwrap()
                .entry("multiValue")
                .or_insert_with(|| json!([]));
            list.as_array_mut().unwrap().push(json!({"value": value}));
        }
    }
    Value::Object(map)
}

fn request_event(
    variant: usize,
    method: &str,
    uri: &str,
    origin: Option<&str>,
    acrm: Option<&str>,
) -> Value {
    let mut pairs = vec![("host", "d111111abcdef8.cloudfront.net")];
    if let Some(o) = origin {
        pairs.push(("origin", o));
        if variant % 4 == 1 {
            // A second Origin header: CloudFront keeps the first in `value`.
            pairs.push(("origin", "https://evil.example"));
        }
    }
    if let Some(m) = acrm {
        pairs.push(("access-control-request-method", m));
    }
    pairs.push(("accept", "*/*"));
    if variant % 3 == 2 {
        pairs.push(("accept", "application/json"));
    }
    json!({
        "method": method,
        "uri": uri,
        "querystring": {"origin": {"value": "https://evil.example"}},
        "headers": headers_object(&pairs, variant % 2 == 1),
        "cookies": {},
    })
}

/// Origin-server response headers: plain, a backend that reflects Origin, multiValue Vary,
/// `Vary: origin` already present, `Vary: *`.
fn origin_response(variant: usize, origin: Option<&str>) -> Vec<(&'static str, String)> {
    let echo = origin.unwrap_or("*").to_string();
    match variant % 5 {
        0 => vec![("content-type", "application/json".into())],
        1 => vec![
            ("access-control-allow-origin", echo),
            ("access-control-allow-credentials", "true".into()),
            ("vary", "Accept-Encoding".into()),
        ],
        2 => vec![
            ("vary", "Accept".into()),
            ("vary", "Cookie".into()),
            ("access-control-expose-headers", "X-Secret".into()),
            ("cache-control", "no-cache".into()),
            ("cache-control", "no-store".into()),
        ],
        3 => vec![
            ("vary", "origin, Accept".into()),
            ("x-request-id", "r1".into()),
        ],
        _ => vec![("vary", "*".into())],
    }
}

/// A CloudFront headers object as name/value pairs (multiValue expanded), names lowercase.
fn flatten(headers: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, entry) in headers.as_object().expect("headers object") {
        assert_eq!(
            name,
            &name.to_ascii_lowercase(),
            "header keys must be lowercase"
        );
        match entry.get("multiValue").and_then(Value::as_array) {
            Some(values) => out.extend(
                values
                    .iter()
                    .map(|v| (name.clone(), v["value"].as_str().unwrap().to_string())),
            ),
            None => out.push((name.clone(), entry["value"].as_str().unwrap().to_string())),
        }
    }
    out.sort();
    out
}

fn lowercase(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<_> = pairs
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    out.sort();
    out
}

struct Variant<'a> {
    label: String,
    policy: &'a Policy,
    out: PathBuf,
    store: bool,
    /// `[cloudfront] path-prefix`.
    prefix: Option<&'static str>,
}

/// The prefix the functions run behind, in the variants that have one.
const PREFIX: &str = "/api";

/// `policy` behind a cache behavior `/api/*`.
fn with_prefix(policy: &Policy) -> Policy {
    let mut policy = policy.clone();
    policy
        .cloudfront
        .as_mut()
        .expect("cloudfront enabled")
        .path_prefix = Some(PREFIX.into());
    policy
}

/// The URI a viewer sends for the API path `path`, and whether it is outside the prefix
/// (a look-alike `/apix/…`, or the path without the prefix at all). Inside it, the engine
/// answers for the URI without the prefix (`/api//x` is `//x`, as written).
fn uri_for(prefix: Option<&str>, path: &str, counter: usize) -> (String, bool) {
    match (prefix, counter % 6) {
        (None, _) => (path.to_string(), false),
        (Some(prefix), 0) => (format!("{prefix}x{path}"), true),
        (Some(_), 1) => (path.to_string(), true),
        (Some(prefix), 2) => (format!("{prefix}/{path}"), false),
        (Some(prefix), _) if path == "/" && counter % 2 == 0 => (prefix.to_string(), false),
        (Some(prefix), _) => (format!("{prefix}{path}"), false),
    }
}

#[test]
fn functions_answer_like_the_engine_in_node_inline_and_with_a_key_value_store() {
    let dir = tempfile::tempdir().unwrap();
    let subjects: Vec<Subject> = cloudfront_subjects(dir.path());
    let stored: Vec<Policy> = subjects.iter().map(|s| with_store(&s.policy)).collect();
    // Behind /api/*, with a KeyValueStore for every other policy.
    let prefixed: Vec<Policy> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| match with_prefix(&s.policy) {
            behind if i % 2 == 1 => with_store(&behind),
            behind => behind,
        })
        .collect();
    let mut variants = Vec::new();
    for (i, ((subject, policy), behind)) in subjects.iter().zip(&stored).zip(&prefixed).enumerate()
    {
        assert!(subject.policy.cloudfront.is_some(), "{}", subject.label);
        variants.push(Variant {
            label: subject.label.clone(),
            policy: &subject.policy,
            out: subject.out.clone(),
            store: false,
            prefix: None,
        });
        let out = dir.path().join(format!("kvs{i}"));
        emit_variant(policy, &subject.label, &out);
        variants.push(Variant {
            label: format!("{} (KeyValueStore)", subject.label),
            policy,
            out,
            store: true,
            prefix: None,
        });
        let out = dir.path().join(format!("prefix{i}"));
        emit_variant(behind, &subject.label, &out);
        let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert!(
            readme.contains("**Behind the path pattern `/api/*`**"),
            "{}: the README does not explain the prefix",
            subject.label
        );
        variants.push(Variant {
            label: format!("{} (behind {PREFIX}/*)", subject.label),
            policy: behind,
            out,
            store: i % 2 == 1,
            prefix: Some(PREFIX),
        });
    }
    let mut functions = Vec::new();
    for v in &variants {
        for file in FUNCTIONS {
            let store = v.out.join("cloudfront/key-value-store.json");
            assert_eq!(store.exists(), v.store, "{}", v.label);
            if v.store {
                // The generated README describes the store's entries as the file has them.
                let data: Value =
                    serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
                let readme = std::fs::read_to_string(v.out.join("README.md")).unwrap();
                assert_eq!(data["data"][0]["key"], "corsgen:generated");
                if let Some(first) = data["data"].get(1) {
                    let key = first["key"].as_str().unwrap();
                    assert!(
                        readme.contains(&format!("the key \"{key}\" with the value \"1\"")),
                        "{}: README does not show the key format of {key}",
                        v.label
                    );
                }
            }
            functions.push(json!({
                "path": v.out.join(file),
                "store": if v.store { json!(store) } else { Value::Null },
            }));
        }
    }
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    let mut coverage = BTreeSet::new();
    let mut counter = 0usize;
    for (index, v) in variants.iter().enumerate() {
        for origin in origin_variants(v.policy) {
            for (k, (method, acrm)) in KINDS.iter().enumerate() {
                for p in 0..2 {
                    counter += 1;
                    let path = PATHS[(counter + p * 3 + k) % PATHS.len()];
                    let (uri, outside) = uri_for(v.prefix, path, counter);
                    let uri = uri.as_str();
                    let path = match v.prefix {
                        Some(prefix) if !outside => match &uri[prefix.len()..] {
                            "" => "/",
                            rest => rest,
                        },
                        _ => path,
                    };
                    let request = Request {
                        method,
                        path,
                        origin: origin.as_deref(),
                        request_method: *acrm,
                    };
                    // Outside the prefix: no CORS headers, never a fallback to [cors].
                    let decision = if outside {
                        engine::Decision {
                            preflight_status: request
                                .is_preflight()
                                .then_some(engine::PREFLIGHT_REFUSED),
                            headers: vec![(engine::VARY, "Origin".to_string())],
                        }
                    } else {
                        engine::decide(v.policy, &request)
                    };
                    let allowed = decision.headers.len() > 1;
                    coverage.insert(format!(
                        "{} {} store={}",
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
                        v.store
                    ));
                    if v.prefix.is_some() {
                        coverage.insert(format!(
                            "behind the prefix, {} and {}",
                            if outside { "outside" } else { "inside" },
                            if allowed { "allowed" } else { "refused" }
                        ));
                    }
                    let req = request_event(counter, method, uri, origin.as_deref(), *acrm);
                    let context = format!(
                        "{}: {method} {uri} origin={origin:?} acrm={acrm:?}",
                        v.label
                    );
                    // Viewer request.
                    cases.push(json!({"function": index * 2, "event": {
                        "version": "1.0",
                        "context": {"eventType": "viewer-request", "distributionId": "E1", "requestId": "r"},
                        "viewer": {"ip": "198.51.100.11"},
                        "request": req,
                    }}));
                    let want = match decision.preflight_status {
                        Some(status) => json!({
                            "status": status,
                            "headers": lowercase(decision.headers.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()),
                        }),
                        None => json!({"unchanged": req}),
                    };
                    expected.push((format!("viewer-request {context}"), want));
                    // Viewer response.
                    let upstream = origin_response(counter, origin.as_deref());
                    let pairs: Vec<(&str, &str)> =
                        upstream.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    cases.push(json!({"function": index * 2 + 1, "event": {
                        "version": "1.0",
                        "context": {"eventType": "viewer-response", "distributionId": "E1", "requestId": "r"},
                        "viewer": {"ip": "198.51.100.11"},
                        "request": req,
                        "response": {"statusCode": 200, "statusDescription": "OK", "headers": headers_object(&pairs, true), "cookies": {}},
                    }}));
                    let upstream: Vec<(String, String)> = upstream
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect();
                    expected.push((
                        format!("viewer-response {context}"),
                        json!({"status": 200, "headers": lowercase(engine::finalize_response(&decision, &upstream))}),
                    ));
                }
            }
        }
    }
    for needed in [
        "behind the prefix, inside and allowed",
        "behind the prefix, outside and refused",
        "preflight allowed store=false",
        "preflight refused store=true",
        "actual allowed store=true",
        "actual refused store=false",
        "actual absent store=true",
    ] {
        assert!(coverage.contains(needed), "matrix lacks {needed}");
    }
    let input = json!({"functions": functions, "cases": cases}).to_string();
    let harness = root().join("tests/harness/cloudfront.mjs");
    let results: Vec<Value> = serde_json::from_str(&run_with_stdin(
        "node",
        &[harness.to_str().unwrap()],
        &input,
    ))
    .unwrap();
    assert_eq!(results.len(), expected.len());
    for ((context, want), got) in expected.iter().zip(&results) {
        if let Some(request) = want.get("unchanged") {
            assert_eq!(
                got, request,
                "{context}: the request must pass through unchanged"
            );
            continue;
        }
        assert_eq!(got["statusCode"], want["status"], "{context}");
        let headers = flatten(&got["headers"]);
        assert_eq!(json!(headers), want["headers"], "{context}: {got}");
        if context.starts_with("viewer-response") {
            // Untouched headers keep their multiValue shape.
            if let Some(cache) = got["headers"].get("cache-control") {
                assert_eq!(
                    cache["multiValue"].as_array().map(Vec::len),
                    Some(2),
                    "{context}"
                );
            }
        }
    }
    eprintln!(
        "node: {} CloudFront Function invocations agree with the engine ({} policies, inline and KeyValueStore)",
        results.len(),
        subjects.len()
    );
}

fn parse_with_acorn(files: &[(PathBuf, u32, &str)]) -> Vec<Value> {
    let input = json!(files
        .iter()
        .map(|(p, v, t)| json!({"path": p, "ecmaVersion": v, "sourceType": t}))
        .collect::<Vec<_>>())
    .to_string();
    let harness = root().join("tests/harness/js_syntax.mjs");
    serde_json::from_str(&run_with_stdin(
        "node",
        &[harness.to_str().unwrap()],
        &input,
    ))
    .unwrap()
}

#[test]
fn functions_parse_at_their_runtime_version_and_fit_in_10_kb() {
    let dir = tempfile::tempdir().unwrap();
    let subjects = cloudfront_subjects(dir.path());
    let mut es5 = Vec::new();
    let mut modules = Vec::new();
    for (i, subject) in subjects.iter().enumerate() {
        let js1 = dir.path().join(format!("js1-{i}"));
        emit_variant(&with_runtime_1(&subject.policy), &subject.label, &js1);
        let kvs = dir.path().join(format!("kvs-{i}"));
        emit_variant(&with_store(&subject.policy), &subject.label, &kvs);
        for file in FUNCTIONS {
            let code = std::fs::read_to_string(js1.join(file)).unwrap();
            assert!(code.contains("runtime cloudfront-js-1.0"), "{file}");
            for out in [&subject.out, &js1, &kvs] {
                let size = std::fs::metadata(out.join(file)).unwrap().len();
                assert!(
                    size <= FUNCTION_SIZE_LIMIT as u64,
                    "{}: {file} is {size} bytes",
                    subject.label
                );
            }
            es5.push((js1.join(file), 5, "script"));
            es5.push((subject.out.join(file), 5, "script"));
            modules.push((kvs.join(file), 2017, "module"));
        }
    }
    let results = parse_with_acorn(&es5);
    for result in &results {
        assert_eq!(result["error"], Value::Null, "not ES5: {result}");
    }
    let results = parse_with_acorn(&modules);
    for result in &results {
        assert_eq!(result["error"], Value::Null, "not ES2017: {result}");
    }
    // The parser discriminates: KeyValueStore code (import, const, async) is not ES5.
    let rejected = parse_with_acorn(
        &modules
            .iter()
            .map(|(p, _, _)| (p.clone(), 5, "script"))
            .collect::<Vec<_>>(),
    );
    assert!(
        rejected.iter().all(|r| r["error"].is_string()),
        "{rejected:?}"
    );
    eprintln!(
        "acorn: {} functions are ES5, {} KeyValueStore functions are ES2017 modules; all within {FUNCTION_SIZE_LIMIT} bytes",
        es5.len(),
        modules.len()
    );
}

/// A policy with `count` exact origins of realistic length.
fn many_origins(count: usize, cloudfront: &str) -> String {
    let origins: Vec<String> = (0..count)
        .map(|i| format!("\"https://www.shop-{i}.example{}.com\"", i % 7))
        .collect();
    format!(
        "version = 1\n[cors]\nallow-origins = [{}]\nallow-headers = [\"Content-Type\"]\n[apigateway]\nenabled = false\ngateway-response-origin = \"first\"\n[cloudfront]\n{cloudfront}\n",
        origins.join(", ")
    )
}

#[test]
fn an_allowlist_too_large_to_inline_is_refused_or_moved_to_the_key_value_store() {
    // Refused, naming the size and KeyValueStore, by the library and by both CLI commands.
    let text = many_origins(600, "");
    let loaded = corsgen::load_source(PolicySource::new("big.toml", &text), None).unwrap();
    let refused = corsgen::generate(loaded.policy.as_ref().unwrap(), &loaded.source)
        .unwrap()
        .expect_err("600 origins do not fit in 10,240 bytes");
    assert!(refused
        .iter()
        .all(|d| d.code == Code::CloudFrontFunctionTooLarge));
    assert!(refused[0]
        .message
        .contains("bytes, over CloudFront's 10240-byte"));
    assert!(refused[0].help.contains("key-value-store = \"if-needed\""));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.toml"), &text).unwrap();
    for args in [
        vec!["validate", "big.toml"],
        vec!["emit", "big.toml", "--out", "out"],
    ] {
        let run = corsgen(dir.path(), &args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error[cloudfront-function-too-large]")
                && stderr.contains("big.toml:3:"),
            "{stderr}"
        );
    }
    assert!(!dir.path().join("out").exists(), "nothing written");

    // Opted in: the functions read a KeyValueStore holding every origin, and fit.
    let text = many_origins(600, "key-value-store = \"if-needed\"");
    let out = dir.path().join("kvs");
    let policy = crate::support::emit_into(&text, None, &out);
    let store: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("cloudfront/key-value-store.json")).unwrap(),
    )
    .unwrap();
    let keys: BTreeSet<&str> = store["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    let AllowedOrigins::List(list) = &policy.default_rule.origins else {
        panic!("list")
    };
    for origin in &list.exact {
        let key = format!("0 {origin}");
        assert!(keys.contains(key.as_str()), "{key} missing from the store");
    }
    for file in FUNCTIONS {
        let code = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(code.len() <= FUNCTION_SIZE_LIMIT, "{file}: {}", code.len());
        assert!(code.contains("import cf from \"cloudfront\""));
        assert!(!code.contains("shop-1"), "origins stay out of the code");
    }
    // A smaller allowlist with if-needed stays inline.
    let small = many_origins(20, "key-value-store = \"if-needed\"");
    let out = dir.path().join("small");
    crate::support::emit_into(&small, None, &out);
    assert!(!out.join("cloudfront/key-value-store.json").exists());
    assert!(std::fs::read_to_string(out.join(FUNCTIONS[1]))
        .unwrap()
        .contains("www.shop-1.example1.com"));
}

#[test]
fn artifacts_pass_cfn_lint_and_agree_across_formats() {
    require_tool("cfn-lint");
    python_module("hcl2");
    python_module("yaml");
    let dir = tempfile::tempdir().unwrap();
    let subjects = cloudfront_subjects(dir.path());
    let mut yaml = Vec::new();
    let mut checked = 0;
    for (i, subject) in subjects.iter().enumerate() {
        let kvs = dir.path().join(format!("kvs-{i}"));
        let stored = with_store(&subject.policy);
        emit_variant(&stored, &subject.label, &kvs);
        for (policy, out) in [(&subject.policy, &subject.out), (&stored, &kvs)] {
            let settings = policy.cloudfront.as_ref().unwrap();
            for entry in std::fs::read_dir(out.join("cloudfront")).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    yaml.push(path.to_string_lossy().to_string());
                }
            }
            let script = root().join("tests/harness/cloudfront_artifacts.py");
            let formats: Value = serde_json::from_str(&run_with_stdin(
                "python3",
                &[script.to_str().unwrap(), out.to_str().unwrap()],
                "",
            ))
            .unwrap();
            let context = &subject.label;
            assert_eq!(formats["cloudformation"], formats["terraform"], "{context}");
            let cfn = &formats["cloudformation"];
            let functions = cfn["functions"].as_object().unwrap();
            assert_eq!(functions.len(), 2, "{context}");
            for (name, function) in functions {
                assert!(name.len() <= 64, "{name}");
                assert_eq!(function["runtime"], settings.runtime.as_str());
                assert_eq!(function["store"], out == &kvs, "{context} {name}");
                let file = if name.ends_with("viewer-request") {
                    FUNCTIONS[0]
                } else {
                    FUNCTIONS[1]
                };
                let code = std::fs::read_to_string(out.join(file)).unwrap();
                assert_eq!(
                    function["code"], code,
                    "{context}: embedded code differs from {file}"
                );
            }
            assert_eq!(cfn["store"].is_null(), out != &kvs);
            let rule = &policy.default_rule;
            // Caching is off where credentials or Authorization are allowed (an origin request
            // policy cannot forward Authorization); on, Origin (and Authorization when allowed)
            // is in the cache key. The managed AllViewerExceptHostHeader forwards the rest.
            let rules: Vec<&corsgen::model::Rule> = std::iter::once(rule)
                .chain(policy.routes.iter().map(|r| &r.rule))
                .collect();
            let credentials = rules.iter().any(|r| r.credentials);
            let authorization = rules.iter().any(|r| {
                r.headers
                    .iter()
                    .any(|h| h == "*" || h.eq_ignore_ascii_case("authorization"))
            });
            let policies = &cfn["policies"];
            assert_eq!(
                policies["origin_request"], "b689b0a8-53d0-40ab-baf2-68738e2966ac",
                "{context}"
            );
            let disabled = settings.caching == corsgen::policy::Caching::Disabled;
            assert_eq!(disabled, credentials || authorization, "{context}");
            if disabled {
                assert_eq!(policies["cache"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
                assert!(cfn["cache_key"].is_null(), "{context}");
            } else {
                assert_eq!(policies["cache"], "ours");
                let key = &cfn["cache_key"];
                assert_eq!(key["behavior"], "whitelist");
                let headers = key["headers"].as_array().unwrap();
                assert!(headers.contains(&json!("Origin")));
                assert_eq!(headers.contains(&json!("Authorization")), authorization);
                assert_eq!(key["cookies"], if credentials { "all" } else { "none" });
            }
            match &cfn["response_headers_policy"] {
                Value::Null => assert!(
                    !policy.emits_configuration("response-headers-policy"),
                    "{context}"
                ),
                rhp => {
                    assert!(
                        policy.emits_configuration("response-headers-policy"),
                        "{context}"
                    );
                    assert_eq!(rhp["credentials"], rule.credentials);
                    assert_eq!(rhp["headers"], json!(rule.headers));
                    assert_eq!(rhp["expose"], json!(rule.expose));
                    assert_eq!(rhp["max_age"], json!(rule.max_age));
                    assert_eq!(rhp["override"], true);
                    let origins: Vec<String> = match &rule.origins {
                        AllowedOrigins::Any => vec!["*".into()],
                        AllowedOrigins::List(l) => l
                            .exact
                            .iter()
                            .cloned()
                            .chain(l.wildcards.iter().map(|w| w.pattern()))
                            .collect(),
                    };
                    assert_eq!(rhp["origins"], json!(origins));
                }
            }
            checked += 1;
        }
    }
    let lint = Command::new("cfn-lint").args(&yaml).output().unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    eprintln!(
        "cfn-lint: {} CloudFront templates clean; {checked} out directories agree across CloudFormation and Terraform",
        yaml.len()
    );
}
