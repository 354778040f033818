//! The REST artifacts deployed into LocalStack, an AWS implementation independent of the
//! Velocity 1.7 harness: `apigateway/openapi.json` imported with import-rest-api, and
//! `apigateway/cloudformation.yaml` deployed as a CloudFormation stack onto a REST API whose
//! resources were created one by one, as a user's are; both onto the user's own methods (ANY,
//! a MOCK answering 200) with `integration-responses.json` merged. Every example policy and
//! environment, and for each resource: allowed, refused, look-alike and absent origins, the
//! header name in three cases, a `?origin=` spoof in the query string, preflights with and
//! without a body type, actual requests with every body type a page sends, and an OPTIONS
//! without `Access-Control-Request-Method`. The answer must be the engine's (what `corsgen
//! check` predicts), except where the MOCK has nothing behind it. Then real Chromium fetches
//! from APIs deployed there and must get `check`'s verdict and console message.
//!
//! Differences from AWS, by name: LocalStack's community API Gateway stores gateway responses
//! but does not apply their headers (its source marks it TODO), so they stay under the Velocity
//! harness (`apigateway::gateway_responses_carry_the_engine_headers_for_their_origin`);
//! LocalStack's template engine runs neither `keySet()` nor `toLowerCase()`, which the templates
//! only use after the usual spellings, and its HTTP server delivers header names as sent in any
//! case it recognises.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::apigateway::{as_map, engine_answer, route};
use crate::browser::{
    check_predicts, free_port, require_chromium, run_chromium, Request, POLICIES, REQUESTS,
};
use crate::conformance::{origin_variants, subjects, Subject, PATHS};
use crate::support::{corsgen, emit_into, root, run_with_stdin};

/// The LocalStack this test process shares between its tests: started by the first test that
/// asks, stopped (by `tests/harness/localstack_run.py`, its watchdog) when the process exits.
pub(crate) struct LocalStack {
    pub(crate) endpoint: String,
}

/// The virtual environment's Python, which runs LocalStack and the harnesses that drive it.
pub(crate) fn python() -> PathBuf {
    let python = root().join("tests/harness/localstack-venv/bin/python");
    assert!(
        python.exists(),
        "LocalStack is required by this test and was not found ({}): run scripts/test.sh, which installs it",
        python.display()
    );
    python
}

pub(crate) fn localstack() -> &'static LocalStack {
    static SHARED: OnceLock<LocalStack> = OnceLock::new();
    SHARED.get_or_init(LocalStack::start)
}

impl LocalStack {
    /// Deploys `apis` and sends `cases` with `tests/harness/localstack_rest.py` (formats there):
    /// the REST API ids and the answers.
    pub(crate) fn deploy(
        &self,
        apis: &[Value],
        cases: &[Value],
        content_types: &[&str],
    ) -> (Vec<String>, Vec<Value>) {
        let input = json!({
            "endpoint": self.endpoint, "apis": apis, "cases": cases, "content_types": content_types,
        })
        .to_string();
        let harness = root().join("tests/harness/localstack_rest.py");
        let output: Value = serde_json::from_str(&run_with_stdin(
            python().to_str().unwrap(),
            &[harness.to_str().unwrap()],
            &input,
        ))
        .unwrap();
        let ids = output["apis"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect();
        (ids, output["results"].as_array().unwrap().clone())
    }

    /// Configures buckets and sends `cases` with `tests/harness/localstack_s3.py` (formats
    /// there): the bucket names and the answers.
    pub(crate) fn s3(&self, buckets: &[Value], cases: &[Value]) -> (Vec<String>, Vec<Value>) {
        let input = json!({"endpoint": self.endpoint, "buckets": buckets, "cases": cases});
        let harness = root().join("tests/harness/localstack_s3.py");
        let output: Value = serde_json::from_str(&run_with_stdin(
            python().to_str().unwrap(),
            &[harness.to_str().unwrap()],
            &input.to_string(),
        ))
        .unwrap();
        let names = output["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        (names, output["results"].as_array().unwrap().clone())
    }

    /// Where a deployed stage answers (LocalStack's path-style execute-api endpoint).
    pub(crate) fn stage_url(&self, api_id: &str, stage: &str) -> String {
        format!("{}/_aws/execute-api/{api_id}/{stage}", self.endpoint)
    }

    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = tempfile::tempdir().unwrap().keep();
        let mut child = Command::new(python())
            .arg(root().join("tests/harness/localstack_run.py"))
            .arg(&data)
            .arg(std::process::id().to_string())
            .env("SERVICES", "apigateway,cloudformation,s3,sts,iam")
            .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("DISABLE_EVENTS", "1")
            .env("DNS_ADDRESS", "0")
            .env("SKIP_SSL_CERT_DOWNLOAD", "1")
            // LocalStack's own CORS layer (for its web app) stays out of the APIs' answers.
            .env("DISABLE_CORS_HEADERS", "1")
            .env("DISABLE_CORS_CHECKS", "1")
            .env("LOCALSTACK_VOLUME_DIR", &data)
            .env("FILESYSTEM_ROOT", &data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start LocalStack");
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::Write as _;
                let _ = stream.write_all(
                    b"GET /_localstack/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                );
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.1 200") && answer.contains("apigateway") {
                    break;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(data.join("localstack.log")).unwrap_or_default();
                panic!("LocalStack exited ({status}) before it was ready:\n{log}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "LocalStack was not ready within 120 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!(
            "LocalStack ready at {endpoint} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        LocalStack { endpoint }
    }
}

/// The REST resources an emitted API has (the OpenAPI paths).
pub(crate) fn resources(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join("apigateway/openapi.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["paths"].as_object().unwrap().keys().cloned().collect()
}

/// The actual requests: (method, Content-Type). A page sends the first three body types
/// without a preflight; browsers add `;charset=UTF-8` to a string body's type.
pub(crate) const ACTUAL: [(&str, Option<&str>); 6] = [
    ("GET", None),
    ("POST", Some("text/plain;charset=UTF-8")),
    (
        "POST",
        Some("application/x-www-form-urlencoded;charset=UTF-8"),
    ),
    ("POST", Some("multipart/form-data; boundary=----corsgen")),
    ("PUT", Some("application/json")),
    ("DELETE", None),
];

/// A well-formed body of that type (LocalStack answers 400 to a malformed multipart body).
fn body(content_type: &str) -> String {
    match content_type.split_once("boundary=") {
        Some((_, boundary)) => format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--{boundary}--\r\n"
        ),
        None if content_type.starts_with("application/x-www-form-urlencoded") => "a=b".into(),
        None => "{}".into(),
    }
}

/// What a request must get: the engine's status and CORS headers.
pub(crate) struct Expected {
    label: String,
    status: u16,
    headers: BTreeMap<String, String>,
    /// For a sample: the `corsgen check` arguments that predict this answer, and which of its
    /// legs answers it.
    check: Option<(Vec<String>, Leg)>,
}

#[derive(Clone, Copy)]
enum Leg {
    Preflight,
    Actual,
}

/// `corsgen check` for the browser request from `origin` that makes this request (a preflight
/// for `method` when it needs one), on `path` of the deployed API.
fn check_args(
    subject: &crate::conformance::Subject,
    method: &str,
    origin: &str,
    body_type: Option<&str>,
    path: &str,
) -> Vec<String> {
    let mut args: Vec<String> = [
        "check",
        subject.file.to_str().unwrap(),
        "--origin",
        origin,
        "--method",
        method,
        "--url",
        &format!("http://127.0.0.1:4566/_aws/execute-api/api/prod{path}?origin=https%3A%2F%2Fevil.example"),
        "--path",
        path,
        "--format",
        "json",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    if let Some(body_type) = body_type {
        args.extend(["--header".to_string(), format!("Content-Type: {body_type}")]);
    }
    if let Some(env) = &subject.env {
        args.extend(["--env".to_string(), env.clone()]);
    }
    args
}

#[test]
fn rest_artifacts_deployed_in_localstack_answer_as_the_engine() {
    let localstack = localstack();
    let dir = tempfile::tempdir().unwrap();
    let subjects: Vec<_> = subjects(dir.path())
        .into_iter()
        .filter(|s| s.policy.apigateway.is_some())
        .collect();
    let mut apis = Vec::new();
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for subject in &subjects {
        let resources = resources(&subject.out);
        let merge = subject.out.join("apigateway/integration-responses.json");
        let deployments = [
            json!({
                "openapi": subject.out.join("apigateway/openapi.json"),
                "integration_responses": merge,
            }),
            json!({
                "cloudformation": subject.out.join("apigateway/cloudformation.yaml"),
                "resources": resources,
                "integration_responses": merge,
            }),
        ];
        for deployment in deployments {
            let api = apis.len();
            let how = if deployment.get("openapi").is_some() {
                "import-rest-api"
            } else {
                "CloudFormation stack"
            };
            apis.push(deployment);
            requests(subject, &resources, api, how, &mut cases, &mut expected);
        }
    }
    let (_, results) = localstack.deploy(&apis, &cases, &[]);
    let (allowed, predicted_by_check) = compare(&expected, &results);
    eprintln!(
        "LocalStack: {} requests to {} deployed APIs ({} policies, imported and as stacks, with the user's methods) answer as the engine ({predicted_by_check} of them compared with `corsgen check --format json` too); {} preflights and {} actual requests allowed",
        results.len(),
        apis.len(),
        subjects.len(),
        allowed[0],
        allowed[1],
    );
    assert!(
        allowed[0] > 20 && allowed[1] > 20,
        "the matrix must reach allowed preflights and actual requests: {allowed:?}"
    );
}

/// Real Chromium, on a page served from one loopback port, fetches from the REST APIs that
/// LocalStack deployed from the emitted OpenAPI (with the user's methods and the merged
/// integration responses) on another: for every policy of the browser test, every request shape
/// there, its verdict and console message must be the ones `corsgen check` predicts for that URL.
#[test]
fn chromium_fetching_from_the_api_deployed_in_localstack_gets_what_check_predicts() {
    require_chromium();
    let localstack = localstack();
    let (page_port, api_port) = (free_port(), free_port());
    let page = format!("http://127.0.0.1:{page_port}");
    let work = tempfile::tempdir().unwrap();
    let mut apis = Vec::new();
    let mut policies = Vec::new();
    for (name, template) in POLICIES {
        // Gateway responses send one origin: the page's, which every policy lists first.
        let text = format!(
            "{}\n[apigateway]\ngateway-response-origin = \"first\"\n",
            template.replace("{page}", &page)
        );
        let policy_file = work.path().join(format!("{name}.toml"));
        std::fs::write(&policy_file, &text).unwrap();
        let out = work.path().join(name);
        emit_into(&text, None, &out);
        apis.push(json!({
            "openapi": out.join("apigateway/openapi.json"),
            "integration_responses": out.join("apigateway/integration-responses.json"),
        }));
        policies.push((name, policy_file.to_string_lossy().to_string()));
    }
    // The user's methods take every body type the page sends.
    let content_types: Vec<&str> = REQUESTS
        .iter()
        .flat_map(|(_, headers, _, _)| headers.iter())
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| *value)
        .collect();
    let (ids, _) = localstack.deploy(&apis, &[], &content_types);
    let mut scenarios = Vec::new();
    for ((name, policy), id) in policies.iter().zip(&ids) {
        let paths: &[&str] = if *name == "routes" {
            &["/orders/1", "/admin/users", "/public/docs"]
        } else {
            &["/orders/1"]
        };
        for path in paths {
            for (i, request) in REQUESTS.iter().enumerate() {
                let request = Request::from(*request);
                scenarios.push((
                    format!(
                        "{name}-{}-{i}",
                        path.trim_start_matches('/').replace('/', "-")
                    ),
                    *path,
                    request,
                    policy,
                    localstack.stage_url(id, "prod"),
                ));
            }
        }
    }
    let input = json!({
        "page_port": page_port,
        "api_port": api_port,
        "har": work.path().join("run.har"),
        "scenarios": scenarios.iter().map(|(id, path, r, _, base)| json!({
            "id": id,
            "path": path,
            "method": r.method,
            "headers": r.headers,
            "credentials": if r.credentials { "include" } else { "omit" },
            "xhr": r.xhr,
            "same_origin": false,
            "server": {"kind": "external"},
            "base": base,
        })).collect::<Vec<_>>(),
    });
    let run = run_chromium(work.path(), &input);
    let seen: BTreeMap<&str, &Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r))
        .collect();
    let mut disagreements = Vec::new();
    let mut verdicts = [0, 0];
    for (id, path, request, policy, _) in &scenarios {
        let result = seen[id.as_str()];
        let url = result["url"].as_str().unwrap();
        let chromium = (
            result["verdict"] == "allowed",
            result["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect::<Vec<_>>(),
        );
        let predicted = check_predicts(
            work.path(),
            id,
            policy,
            &page,
            url,
            &["--path", path],
            request,
        );
        verdicts[usize::from(!chromium.0)] += 1;
        if chromium != (predicted.allowed, predicted.messages.clone()) {
            disagreements.push(format!(
                "{id} ({url}):\n  chromium: {chromium:?}\n  corsgen:  {:?}",
                (predicted.allowed, predicted.messages)
            ));
        }
    }
    eprintln!(
        "Chromium {} against LocalStack: {} of {} fetches agree with check ({} allowed, {} blocked)",
        run["chromium"].as_str().unwrap_or("?"),
        scenarios.len() - disagreements.len(),
        scenarios.len(),
        verdicts[0],
        verdicts[1]
    );
    assert!(
        disagreements.is_empty(),
        "Chromium and corsgen disagree:\n{}",
        disagreements.join("\n")
    );
    assert!(
        verdicts[0] >= 10 && verdicts[1] >= 10,
        "the matrix must reach both verdicts: {verdicts:?}"
    );
}

/// The requests sent to `api`, a deployment of `subject`'s artifacts with the REST `resources`
/// (described as `how`), and what each must get.
pub(crate) fn requests(
    subject: &Subject,
    resources: &[String],
    api: usize,
    how: &str,
    cases: &mut Vec<Value>,
    expected: &mut Vec<Expected>,
) {
    for (p, path) in PATHS.iter().enumerate() {
        let Some(resource) = route(resources, path) else {
            continue;
        };
        let pattern = corsgen::validate::parse_route_path(resource).unwrap();
        let listed = !matches!(
            subject.policy.rule_for_resource(&pattern).origins,
            corsgen::model::AllowedOrigins::Any
        );
        for (v, origin) in origin_variants(&subject.policy).iter().enumerate() {
            let name = ["Origin", "origin", "ORIGIN"][(p + v) % 3];
            // The actual request, through the user's method with the merged
            // integration response: each body type a page can send without a preflight
            // and JSON, or none.
            let (method, body_type) = ACTUAL[(p + v) % ACTUAL.len()];
            let mut headers: Vec<(&str, &str)> = origin
                .as_deref()
                .map(|origin| (name, origin))
                .into_iter()
                .collect();
            headers.extend(body_type.map(|t| ("Content-Type", t)));
            // A `*` rule's answer is static, so it carries `*` even to a request
            // without Origin (which no browser reads): the engine's answer to any origin.
            let answered = origin
                .as_deref()
                .or((!listed).then_some("https://any.example"));
            let decision = engine_answer(&subject.policy, method, path, answered, None);
            cases.push(json!({
                "api": api, "method": method, "path": path,
                "query": "origin=https%3A%2F%2Fevil.example", "headers": headers,
                "body": body_type.map(body),
            }));
            expected.push(Expected {
                label: format!(
                    "{} ({how}): {method} {path} {name}: {origin:?} {body_type:?}",
                    subject.label
                ),
                status: 200,
                headers: as_map(&decision),
                // A simple request has no preflight: check's first actual request.
                check: origin
                    .as_deref()
                    .filter(|_| {
                        // Both deployments, every body type of a simple request.
                        (p + v + api) % 5 == 0 && ["GET", "POST"].contains(&method)
                    })
                    .map(|origin| {
                        let args = check_args(subject, method, origin, body_type, path);
                        (args, Leg::Actual)
                    }),
            });
            let Some(origin) = origin.as_deref() else {
                continue; // without Origin there is no preflight
            };
            let mut headers = vec![(name, origin), ("Access-Control-Request-Method", "PUT")];
            if (p + v) % 2 == 1 {
                headers.push(("Content-Type", "text/plain"));
            }
            let decision =
                engine_answer(&subject.policy, "OPTIONS", path, Some(origin), Some("PUT"));
            cases.push(json!({
                "api": api, "method": "OPTIONS", "path": path,
                "query": "origin=https%3A%2F%2Fevil.example", "headers": headers,
            }));
            expected.push(Expected {
                label: format!("{} ({how}): OPTIONS {path} {name}: {origin}", subject.label),
                status: decision.preflight_status.unwrap_or(200),
                headers: as_map(&decision),
                check: (api % 2 == 0 && (p + v) % 4 == 1).then(|| {
                    let args = check_args(subject, "PUT", origin, None, path);
                    (args, Leg::Preflight)
                }),
            });
            // No preflight without the method: the MOCK answers 403, no CORS headers.
            if listed && v % 3 == 0 {
                cases.push(json!({
                    "api": api, "method": "OPTIONS", "path": path, "query": "",
                    "headers": [["Origin", origin]],
                }));
                expected.push(Expected {
                    label: format!(
                        "{} ({how}): OPTIONS {path} without the method: {origin}",
                        subject.label
                    ),
                    status: 403,
                    headers: [("Vary".to_string(), "Origin".to_string())].into(),
                    check: None,
                });
            }
        }
    }
}

/// Compares LocalStack's answers with the expected ones (and, for the sample, with what `corsgen
/// check` predicts): the allowed preflights and actual requests, and the size of the sample.
pub(crate) fn compare(expected: &[Expected], results: &[Value]) -> ([usize; 2], usize) {
    assert_eq!(results.len(), expected.len());
    let mut allowed = [0, 0];
    let mut predicted_by_check = 0;
    let mut unsendable = 0;
    for (want, got) in expected.iter().zip(results) {
        let headers: BTreeMap<String, String> = got["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().unwrap().to_string(),
                    pair[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            (got["status"].as_u64().unwrap(), &headers),
            (u64::from(want.status), &want.headers),
            "{}",
            want.label
        );
        if want.headers.contains_key("Access-Control-Allow-Origin") {
            allowed[usize::from(want.status != 204)] += 1;
        }
        // The sample: what `corsgen check --format json` says this request gets.
        let Some((args, leg)) = &want.check else {
            continue;
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = corsgen(&root(), &args);
        if out.status.code() == Some(2) {
            unsendable += 1; // an origin no browser sends (`HTTPS://…`, `https://a/`)
            continue;
        }
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: check JSON: {e}", want.label));
        let leg = match leg {
            Leg::Preflight => &report["preflight"],
            Leg::Actual => &report["actual"][0],
        };
        let predicted: BTreeMap<String, String> = leg["response"]["headers"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no such leg in {report}", want.label))
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().unwrap().to_string(),
                    pair[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            (got["status"].as_u64(), &headers),
            (leg["response"]["status"].as_u64(), &predicted),
            "{}: LocalStack's answer is not the one `corsgen {}` predicts",
            want.label,
            args.join(" ")
        );
        predicted_by_check += 1;
    }
    assert!(
        predicted_by_check > 100 && unsendable < predicted_by_check,
        "{predicted_by_check} compared with check, {unsendable} origins check refuses"
    );
    assert!(
        allowed[0] > 20 && allowed[1] > 20,
        "the matrix must reach allowed preflights and actual requests: {allowed:?}"
    );
    (allowed, predicted_by_check)
}

/// Deploys each subject's complete template (`deploy[i]`: `{"template": path}`, a stack whose
/// REST API deploys its stage `prod`) into LocalStack and requires the REST matrix's answers.
pub(crate) fn templates_answer_as_the_engine(subjects: &[Subject], deploy: &[Value], how: &str) {
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for (api, subject) in subjects.iter().enumerate() {
        requests(
            subject,
            &resources(&subject.out),
            api,
            how,
            &mut cases,
            &mut expected,
        );
    }
    let (_, answers) = localstack().deploy(deploy, &cases, &[]);
    let (allowed, predicted_by_check) = compare(&expected, &answers);
    eprintln!(
        "{how}: {} templates deployed in LocalStack, {} requests answer as the engine ({predicted_by_check} also compared with check); {} preflights and {} actual requests allowed",
        deploy.len(),
        answers.len(),
        allowed[0],
        allowed[1]
    );
    assert!(allowed[0] > 20 && allowed[1] > 20, "{allowed:?}");
}
