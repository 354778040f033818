//! API Gateway artifacts, proven three ways:
//! - differential conformance: every mapping template runs in Apache Velocity 1.7 with the
//!   `$input` and `$context` API Gateway documents, for a matrix of policies and requests, and the
//!   resulting status and headers (static parameters plus overrides) equal the engine's;
//! - real validators: cfn-lint, openapi-spec-validator, python-hcl2;
//! - agreement: OpenAPI, CloudFormation and Terraform configure exactly the same thing.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use corsgen::engine::{self, Decision, Request};
use corsgen::model::{path_segments, GatewayOrigin, Policy};
use serde_json::Value;

use crate::conformance::{origin_variants, subjects, Subject, PATHS};
use crate::support::{python_module, require_tool, root, run_with_stdin};

const VELOCITY_JARS: [&str; 3] = [
    "/usr/share/java/velocity.jar",
    "/usr/share/java/commons-collections3.jar",
    "/usr/share/java/commons-lang.jar",
];

/// One method's integration: what API Gateway applies to the response.
#[derive(Debug)]
struct Method {
    status: u16,
    /// Header → mapping expression (`'static'`, `method.request.header.X`).
    parameters: BTreeMap<String, String>,
    template: Option<String>,
    request_templates: BTreeMap<String, String>,
    passthrough: String,
}

impl Method {
    /// From an integration response (and, for a MOCK, its integration's request side).
    fn new(response: &Value, integration: Option<&Value>) -> Self {
        Self {
            status: response["statusCode"].as_str().unwrap().parse().unwrap(),
            parameters: header_parameters(
                &response["responseParameters"],
                "method.response.header.",
            ),
            template: response["responseTemplates"]["application/json"]
                .as_str()
                .map(str::to_string),
            request_templates: integration
                .and_then(|i| i["requestTemplates"].as_object())
                .map(|t| {
                    t.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            passthrough: integration
                .and_then(|i| i["passthroughBehavior"].as_str())
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// The static parameters' values, unquoted.
    fn statics(&self) -> BTreeMap<String, String> {
        self.parameters
            .iter()
            .map(|(k, v)| (k.clone(), unquote_static(v).expect("static")))
            .collect()
    }

    /// Whether the answer must equal the engine's header for header: always through a mapping
    /// template; for static values only when the engine allows the origin (otherwise the static
    /// answer must merely leave the browser blocking it). Static values are only ever `*`: a
    /// listed origin, even the only one, goes through a template, so that a refused origin
    /// gets the engine's 403 and not another site's Access-Control-Allow-Origin.
    fn exact(&self, decision: &Decision) -> bool {
        assert!(
            self.template.is_some()
                || self.parameters.get(engine::ACAO).map(String::as_str) == Some("'*'"),
            "a static answer for listed origins: {:?}",
            self.parameters
        );
        self.template.is_some() || decision.headers.iter().any(|(k, _)| *k == engine::ACAO)
    }
}

/// The REST API the artifacts describe.
struct Api {
    resources: Vec<String>,
    preflight: HashMap<String, Method>,
    actual: HashMap<String, Method>,
    gateway: BTreeMap<String, BTreeMap<String, String>>,
}

fn header_parameters(map: &Value, prefix: &str) -> BTreeMap<String, String> {
    map.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let name = k.strip_prefix(prefix).unwrap_or_else(|| panic!("{k}"));
                    (name.to_string(), v.as_str().unwrap().to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn read_api(out: &Path) -> Api {
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(out.join("apigateway").join(name)).unwrap())
            .unwrap()
    };
    let openapi = read("openapi.json");
    let actual_doc = read("integration-responses.json");
    let mut api = Api {
        resources: Vec::new(),
        preflight: HashMap::new(),
        actual: HashMap::new(),
        gateway: BTreeMap::new(),
    };
    for (path, item) in openapi["paths"].as_object().unwrap() {
        let integration = &item["options"]["x-amazon-apigateway-integration"];
        let response = &integration["responses"]["default"];
        api.resources.push(path.clone());
        api.preflight
            .insert(path.clone(), Method::new(response, Some(integration)));
        let actual = &actual_doc["resources"][path]["integrationResponse"];
        api.actual.insert(path.clone(), Method::new(actual, None));
    }
    for (kind, response) in openapi["x-amazon-apigateway-gateway-responses"]
        .as_object()
        .unwrap()
    {
        api.gateway.insert(
            kind.clone(),
            header_parameters(&response["responseParameters"], "gatewayresponse.header."),
        );
    }
    api
}

/// API Gateway's resource selection: literal segments beat `{param}`, which beats `{proxy+}`,
/// from left to right.
pub(crate) fn route<'a>(resources: &'a [String], path: &str) -> Option<&'a str> {
    let parts = path_segments(path);
    let rank = |template: &str| -> Option<Vec<u8>> {
        let segments: Vec<&str> = path_segments(template);
        let mut key = Vec::new();
        for (i, seg) in segments.iter().enumerate() {
            if seg.ends_with("+}") {
                let rest = parts.get(i..)?;
                return (!rest.is_empty() && rest.iter().all(|p| !p.is_empty())).then(|| {
                    key.push(2);
                    key
                });
            }
            let part = parts.get(i)?;
            if part.is_empty() {
                return None;
            }
            if seg.starts_with('{') {
                key.push(1);
            } else if seg == part {
                key.push(0);
            } else {
                return None;
            }
        }
        (segments.len() == parts.len()).then_some(key)
    };
    resources
        .iter()
        .filter_map(|r| rank(r).map(|k| (k, r.as_str())))
        .min()
        .map(|(_, r)| r)
}

fn hex(text: &str) -> String {
    if text.is_empty() {
        return "-".into();
    }
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> String {
    if text == "-" {
        return String::new();
    }
    let bytes: Vec<u8> = (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

fn lines(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect()
}

/// What Velocity produced for one case.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub(crate) status: Option<u16>,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) text: String,
}

/// Runs mapping templates in Velocity 1.7; fails loudly if Java or Velocity is missing.
pub(crate) struct Velocity {
    templates: Vec<String>,
    index: HashMap<String, usize>,
    cases: Vec<String>,
}

impl Velocity {
    pub(crate) fn new() -> Self {
        Self {
            templates: Vec::new(),
            index: HashMap::new(),
            cases: Vec::new(),
        }
    }

    /// Queues a case; returns its index.
    pub(crate) fn case(
        &mut self,
        template: &str,
        headers: &[(&str, &str)],
        query: &[(&str, &str)],
        body: &str,
    ) -> usize {
        let next = self.templates.len();
        let t = *self.index.entry(template.to_string()).or_insert(next);
        if t == next {
            self.templates.push(template.to_string());
        }
        self.cases.push(format!(
            "C {t} {} {} {}",
            hex(&lines(headers)),
            hex(&lines(query)),
            hex(body)
        ));
        self.cases.len() - 1
    }

    pub(crate) fn run(&self) -> Vec<Result<Rendered, String>> {
        require_tool("java");
        for jar in VELOCITY_JARS {
            assert!(
                Path::new(jar).exists(),
                "{jar} is missing: Apache Velocity 1.7 (Debian package `velocity`) is required by this test; run scripts/test.sh, which installs it"
            );
        }
        let mut input: String = self
            .templates
            .iter()
            .map(|t| format!("T {}\n", hex(t)))
            .collect();
        for c in &self.cases {
            input.push_str(c);
            input.push('\n');
        }
        let harness = root().join("tests/harness/VtlHarness.java");
        let output = run_with_stdin(
            "java",
            &["-cp", &VELOCITY_JARS.join(":"), harness.to_str().unwrap()],
            &input,
        );
        let results: Vec<Result<Rendered, String>> = output
            .lines()
            .map(|line| {
                let f: Vec<&str> = line.split(' ').collect();
                match f[0] {
                    "OK" => {
                        let set = unhex(f[2]);
                        let parts: Vec<&str> = set.split('\n').collect();
                        let headers = parts
                            .chunks(2)
                            .filter(|c| c.len() == 2)
                            .map(|c| (c[0].to_string(), c[1].to_string()))
                            .collect();
                        Ok(Rendered {
                            status: (f[1] != "-").then(|| f[1].parse().unwrap()),
                            headers,
                            text: unhex(f[3]),
                        })
                    }
                    _ => Err(unhex(f[1])),
                }
            })
            .collect();
        assert_eq!(
            results.len(),
            self.cases.len(),
            "velocity answered every case"
        );
        results
    }
}

fn unquote_static(expression: &str) -> Option<String> {
    expression
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .map(str::to_string)
}

/// How a case's final response is assembled once Velocity has run.
struct Pending {
    label: String,
    origin: Option<String>,
    /// The engine's answer to the same request.
    decision: Decision,
    method_status: u16,
    statics: BTreeMap<String, String>,
    template_case: Option<usize>,
    request_case: Option<usize>,
    exact: bool,
    body: Option<&'static str>,
    /// An OPTIONS without Access-Control-Request-Method is no preflight, and the MOCK has
    /// nothing behind it: its template answers 403 with no CORS headers (not the engine's
    /// answer to an actual request, which needs a backend).
    not_a_preflight: bool,
}

const BODY: &str = "{\"orders\":[]}";

pub(crate) fn engine_answer(
    policy: &Policy,
    method: &str,
    path: &str,
    origin: Option<&str>,
    acrm: Option<&str>,
) -> Decision {
    engine::decide(
        policy,
        &Request {
            method,
            path,
            origin,
            request_method: acrm,
        },
    )
}

pub(crate) fn as_map(decision: &Decision) -> BTreeMap<String, String> {
    decision
        .headers
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

/// A browser blocks the response for `origin`: no ACAO naming it (or `*`).
fn blocked(headers: &BTreeMap<String, String>, origin: Option<&str>) -> bool {
    match (headers.get(engine::ACAO), origin) {
        (_, None) | (None, _) => true,
        (Some(value), Some(origin)) => value != origin && value != "*",
    }
}

/// The content type API Gateway selects a request template by (no header: application/json).
fn selected_template<'a>(method: &'a Method, content_type: Option<&str>) -> Option<&'a String> {
    let essence = content_type
        .map(|c| c.split(';').next().unwrap().trim().to_ascii_lowercase())
        .unwrap_or_else(|| "application/json".into());
    method.request_templates.get(&essence)
}

#[test]
fn mapping_templates_answer_like_the_engine_in_velocity() {
    let dir = tempfile::tempdir().unwrap();
    let subjects: Vec<Subject> = subjects(dir.path())
        .into_iter()
        .filter(|s| s.policy.apigateway.is_some())
        .collect();
    let apis: Vec<Api> = subjects.iter().map(|s| read_api(&s.out)).collect();
    let mut velocity = Velocity::new();
    let mut pending = Vec::new();
    let content_types = [
        None,
        Some("text/plain"),
        Some("application/octet-stream"),
        Some("application/json; charset=UTF-8"),
    ];
    for (subject, api) in subjects.iter().zip(&apis) {
        for path in PATHS {
            let Some(resource) = route(&api.resources, path) else {
                continue;
            };
            for (variant, origin) in origin_variants(&subject.policy).iter().enumerate() {
                let origin = origin.as_deref();
                // Header names come in any case; the template must find Origin in each.
                let name = ["Origin", "origin", "ORIGIN"][variant % 3];
                let mut headers: Vec<(&str, &str)> = Vec::new();
                if let Some(o) = origin {
                    headers.push((name, o));
                }
                // A spoofing attempt in the query string must never count as the Origin.
                let query = [("origin", "https://evil.example")];
                // Preflights (only with an Origin: without one it is no preflight).
                if origin.is_some() {
                    let method = &api.preflight[resource];
                    for content_type in content_types {
                        let mut h = headers.clone();
                        h.push(("Access-Control-Request-Method", "PUT"));
                        if let Some(ct) = content_type {
                            h.push(("Content-Type", ct));
                        }
                        let request_template = selected_template(method, content_type)
                            .unwrap_or_else(|| {
                                panic!(
                                    "{}: {content_type:?} would get 415 (passthrough {})",
                                    subject.label, method.passthrough
                                )
                            });
                        let request_case = velocity.case(request_template, &h, &query, "");
                        let decision =
                            engine_answer(&subject.policy, "OPTIONS", path, origin, Some("PUT"));
                        pending.push(Pending {
                            label: format!("{}: OPTIONS {path} ({resource}) Origin {origin:?} content-type {content_type:?}", subject.label),
                            origin: origin.map(str::to_string),
                            method_status: method.status,
                            statics: method.statics(),
                            template_case: method.template.as_ref().map(|t| velocity.case(t, &h, &query, "")),
                            request_case: Some(request_case),
                            exact: method.exact(&decision),
                            decision,
                            body: None,
                            not_a_preflight: false,
                        });
                    }
                    // The same OPTIONS without Access-Control-Request-Method.
                    if let Some(t) = &method.template {
                        let request_template = selected_template(method, None).unwrap();
                        let request_case = velocity.case(request_template, &headers, &query, "");
                        let decision =
                            engine_answer(&subject.policy, "OPTIONS", path, origin, None);
                        pending.push(Pending {
                            label: format!("{}: OPTIONS {path} ({resource}) Origin {origin:?} without Access-Control-Request-Method", subject.label),
                            origin: origin.map(str::to_string),
                            method_status: method.status,
                            statics: method.statics(),
                            template_case: Some(velocity.case(t, &headers, &query, "")),
                            request_case: Some(request_case),
                            exact: true,
                            decision,
                            body: None,
                            not_a_preflight: true,
                        });
                    }
                }
                // Actual requests through a non-proxy integration.
                let method = &api.actual[resource];
                let decision = engine_answer(&subject.policy, "GET", path, origin, None);
                pending.push(Pending {
                    label: format!(
                        "{}: GET {path} ({resource}) Origin {origin:?}",
                        subject.label
                    ),
                    origin: origin.map(str::to_string),
                    method_status: method.status,
                    statics: method.statics(),
                    template_case: method
                        .template
                        .as_ref()
                        .map(|t| velocity.case(t, &headers, &query, BODY)),
                    request_case: None,
                    exact: method.exact(&decision),
                    decision,
                    body: method.template.as_ref().map(|_| BODY),
                    not_a_preflight: false,
                });
            }
        }
    }
    let results = velocity.run();
    let mut checked = 0;
    let mut templated = 0;
    for case in &pending {
        let origin = &case.origin;
        if let Some(r) = case.request_case {
            let rendered = results[r]
                .as_ref()
                .unwrap_or_else(|e| panic!("{}: request template: {e}", case.label));
            let json: Value = serde_json::from_str(rendered.text.trim()).unwrap_or_else(|e| {
                panic!(
                    "{}: MOCK request template output {:?}: {e}",
                    case.label, rendered.text
                )
            });
            assert_eq!(
                json["statusCode"], 200,
                "{}: the MOCK must answer",
                case.label
            );
        }
        let mut status = case.method_status;
        let mut headers = case.statics.clone();
        if let Some(t) = case.template_case {
            templated += 1;
            let rendered = results[t].as_ref().unwrap_or_else(|e| {
                panic!(
                    "{}: mapping template failed (API Gateway would answer 5XX): {e}",
                    case.label
                )
            });
            if let Some(s) = rendered.status {
                status = s;
            }
            headers.extend(rendered.headers.clone());
            if let Some(body) = case.body {
                assert_eq!(
                    rendered.text.trim(),
                    body,
                    "{}: the body passes through",
                    case.label
                );
            }
        }
        let decision = &case.decision;
        let want_status = decision.preflight_status.unwrap_or(case.method_status);
        if case.not_a_preflight {
            let vary: BTreeMap<String, String> =
                [("Vary".to_string(), "Origin".to_string())].into();
            assert_eq!((status, &headers), (403, &vary), "{}", case.label);
        } else if case.exact {
            assert_eq!(
                (status, &headers),
                (want_status, &as_map(decision)),
                "{}",
                case.label
            );
        } else {
            assert!(
                blocked(&headers, origin.as_deref()),
                "{}: the engine refuses this origin, so the static answer must not allow it: {headers:?}",
                case.label
            );
        }
        checked += 1;
    }
    eprintln!(
        "API Gateway: {checked} requests over {} policies agree with the engine ({templated} through Velocity mapping templates)",
        subjects.len()
    );
    assert!(
        templated > 1000,
        "the matrix must exercise mapping templates"
    );
}

#[test]
fn gateway_responses_carry_the_engine_headers_for_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    let mut responses = 0;
    for subject in subjects(dir.path()) {
        let Some(settings) = &subject.policy.apigateway else {
            continue;
        };
        let api = read_api(&subject.out);
        let kinds: Vec<&str> = api.gateway.keys().map(String::as_str).collect();
        let mut listed = settings.gateway_responses.clone();
        listed.sort_unstable();
        assert_eq!(kinds, listed, "{}", subject.label);
        for kind in ["DEFAULT_4XX", "DEFAULT_5XX"] {
            assert!(api.gateway.contains_key(kind), "{}: {kind}", subject.label);
        }
        let rule = &subject.policy.default_rule;
        for origin in origin_variants(&subject.policy).into_iter().flatten() {
            for (kind, parameters) in &api.gateway {
                let headers: BTreeMap<String, String> = parameters
                    .iter()
                    .map(|(name, expression)| {
                        let value = match unquote_static(expression) {
                            Some(v) => v,
                            None => {
                                assert_eq!(expression, "method.request.header.Origin");
                                origin.clone()
                            }
                        };
                        (name.clone(), value)
                    })
                    .collect();
                // Exactly what the engine says such an error carries.
                let answer = engine::gateway_response(&subject.policy, kind, Some(&origin), None)
                    .expect("a configured type");
                assert_eq!(answer.applies, Some(kind.as_str()));
                let engine_says: BTreeMap<String, String> = answer
                    .headers
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                assert_eq!(headers, engine_says, "{}: {kind}", subject.label);
                let mut want = BTreeMap::new();
                if let Some(acao) = engine::allow_origin_value(rule, &origin) {
                    want.insert(engine::ACAO.to_string(), acao);
                    want.extend(
                        engine::actual_headers(rule)
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v)),
                    );
                }
                want.insert(engine::VARY.to_string(), "Origin".into());
                let label = format!("{}: {kind} for Origin {origin:?}", subject.label);
                if headers.get(engine::ACAO) == want.get(engine::ACAO) {
                    assert_eq!(headers, want, "{label}");
                } else if settings.gateway_origin == GatewayOrigin::Reflect {
                    assert!(
                        !rule.credentials,
                        "{label}: reflection is refused with credentials"
                    );
                    assert_eq!(headers.get(engine::ACAO), Some(&origin), "{label}");
                } else {
                    assert!(blocked(&headers, Some(&origin)), "{label}: {headers:?}");
                }
                responses += 1;
            }
        }
    }
    assert!(responses > 100, "{responses}");
}

#[test]
fn artifacts_pass_real_validators_and_agree_across_formats() {
    require_tool("cfn-lint");
    require_tool("openapi-spec-validator");
    python_module("hcl2");
    python_module("yaml");
    let dir = tempfile::tempdir().unwrap();
    let subjects: Vec<Subject> = subjects(dir.path())
        .into_iter()
        .filter(|s| s.policy.apigateway.is_some())
        .collect();
    let mut yaml = Vec::new();
    let mut openapi = Vec::new();
    for subject in &subjects {
        let api_dir = subject.out.join("apigateway");
        for entry in std::fs::read_dir(&api_dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".yaml") {
                yaml.push(path.to_string_lossy().to_string());
            } else if name.ends_with("openapi.json") {
                openapi.push(path.to_string_lossy().to_string());
            }
        }
        let script = root().join("tests/harness/apigateway_artifacts.py");
        let out = run_with_stdin(
            "python3",
            &[script.to_str().unwrap(), subject.out.to_str().unwrap()],
            "",
        );
        let formats: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            formats["openapi"], formats["cloudformation"],
            "{}",
            subject.label
        );
        assert_eq!(
            formats["openapi"], formats["terraform"],
            "{}",
            subject.label
        );
        let resources = formats["openapi"]["resources"].as_object().unwrap();
        let settings = subject.policy.apigateway.as_ref().unwrap();
        assert_eq!(
            resources.len(),
            settings.resources.len(),
            "{}",
            subject.label
        );
        for (path, method) in resources {
            assert_eq!(method["authorization"], "NONE", "{} {path}", subject.label);
            assert_eq!(
                method["api_key_required"], false,
                "{} {path}",
                subject.label
            );
            assert_eq!(method["type"], "MOCK");
            assert_eq!(method["content_handling"], "CONVERT_TO_TEXT");
            for parameter in method["parameters"].as_object().unwrap().values() {
                let v = parameter.as_str().unwrap();
                assert!(
                    v.len() >= 2 && v.starts_with('\'') && v.ends_with('\''),
                    "{v}"
                );
            }
            if let Some(template) = method["templates"]["application/json"].as_str() {
                assert!(template.contains("$input.params().header"), "{template}");
                assert!(!template.contains("$input.params('"), "{template}");
                assert!(!template.contains("$input.params(\""), "{template}");
            }
        }
        match &formats["http_api"] {
            Value::Null => assert!(
                !subject.policy.emits_configuration("http-api"),
                "{}",
                subject.label
            ),
            http => {
                assert!(subject.policy.emits_configuration("http-api"));
                assert_eq!(http["openapi"], http["cloudformation"], "{}", subject.label);
                assert_eq!(http["openapi"], http["terraform"], "{}", subject.label);
                let rule = &subject.policy.default_rule;
                assert_eq!(http["openapi"]["credentials"], rule.credentials);
                assert_eq!(http["openapi"]["methods"], serde_json::json!(rule.methods));
                assert_eq!(http["openapi"]["headers"], serde_json::json!(rule.headers));
                assert_eq!(http["openapi"]["expose"], serde_json::json!(rule.expose));
            }
        }
    }
    let lint = Command::new("cfn-lint").args(&yaml).output().unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    let validate = Command::new("openapi-spec-validator")
        .args(&openapi)
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "openapi-spec-validator:\n{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
    eprintln!(
        "cfn-lint: {} templates, openapi-spec-validator: {} documents, all clean",
        yaml.len(),
        openapi.len()
    );
}
