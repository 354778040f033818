//! The REST artifacts deployed into LocalStack, an AWS implementation independent of the
//! Velocity 1.7 harness: `apigateway/openapi.json` imported with import-rest-api, and
//! `apigateway/cloudformation.yaml` deployed as a CloudFormation stack onto a REST API whose
//! resources were created one by one, as a user's are. Every example policy and environment,
//! and for each resource: allowed, refused, look-alike and absent origins, the header name in
//! three cases, a `?origin=` spoof in the query string, a preflight with and without a body
//! type, and an OPTIONS without `Access-Control-Request-Method`. The answer must be the engine's
//! (what `corsgen check` predicts), except where the MOCK has nothing behind it.
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
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::apigateway::{as_map, engine_answer, route};
use crate::conformance::{origin_variants, subjects, PATHS};
use crate::support::{root, run_with_stdin};

/// One LocalStack for the tests that need it, stopped when dropped.
struct LocalStack {
    child: Child,
    endpoint: String,
    /// Its state and log.
    data: PathBuf,
}

impl LocalStack {
    fn start() -> Self {
        let python = root().join("tests/harness/localstack-venv/bin/python");
        assert!(
            python.exists(),
            "LocalStack is required by this test and was not found ({}): run scripts/test.sh, which installs it",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = tempfile::tempdir().unwrap().keep();
        // Its log goes to a file: a pipe nobody reads would fill and stall it.
        let log = std::fs::File::create(data.join("localstack.log")).unwrap();
        let child = Command::new(&python)
            .args(["-m", "localstack.runtime.main"])
            .env("SERVICES", "apigateway,cloudformation,sts,iam")
            .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("DISABLE_EVENTS", "1")
            .env("DNS_ADDRESS", "0")
            .env("SKIP_SSL_CERT_DOWNLOAD", "1")
            .env("LOCALSTACK_VOLUME_DIR", &data)
            .env("FILESYSTEM_ROOT", &data)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start LocalStack");
        let mut localstack = LocalStack {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            data,
        };
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
            if let Ok(Some(status)) = localstack.child.try_wait() {
                let log = std::fs::read_to_string(localstack.data.join("localstack.log"))
                    .unwrap_or_default();
                panic!("LocalStack exited ({status}) before it was ready:\n{log}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "LocalStack was not ready within 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!(
            "LocalStack ready at {} in {:.1} s",
            localstack.endpoint,
            started.elapsed().as_secs_f64()
        );
        localstack
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The REST resources an emitted API has (the OpenAPI paths).
fn resources(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join("apigateway/openapi.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["paths"].as_object().unwrap().keys().cloned().collect()
}

/// What a request must get: the engine's status and CORS headers.
struct Expected {
    label: String,
    status: u16,
    headers: BTreeMap<String, String>,
}

#[test]
fn rest_artifacts_deployed_in_localstack_answer_as_the_engine() {
    let localstack = LocalStack::start();
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
        let deployments = [
            json!({"openapi": subject.out.join("apigateway/openapi.json")}),
            json!({
                "cloudformation": subject.out.join("apigateway/cloudformation.yaml"),
                "resources": resources,
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
            for (p, path) in PATHS.iter().enumerate() {
                let Some(resource) = route(&resources, path) else {
                    continue;
                };
                let pattern = corsgen::validate::parse_route_path(resource).unwrap();
                let listed = !matches!(
                    subject.policy.rule_for_resource(&pattern).origins,
                    corsgen::model::AllowedOrigins::Any
                );
                for (v, origin) in origin_variants(&subject.policy).iter().enumerate() {
                    let Some(origin) = origin.as_deref() else {
                        continue; // without Origin there is no preflight
                    };
                    let name = ["Origin", "origin", "ORIGIN"][(p + v) % 3];
                    let mut headers =
                        vec![(name, origin), ("Access-Control-Request-Method", "PUT")];
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
                        label: format!(
                            "{} ({how}): OPTIONS {path} {name}: {origin}",
                            subject.label
                        ),
                        status: decision.preflight_status.unwrap_or(200),
                        headers: as_map(&decision),
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
                        });
                    }
                }
            }
        }
    }
    let input = json!({"endpoint": localstack.endpoint, "apis": apis, "cases": cases}).to_string();
    let harness: PathBuf = root().join("tests/harness/localstack_rest.py");
    let python = root().join("tests/harness/localstack-venv/bin/python");
    let results: Vec<Value> = serde_json::from_str(&run_with_stdin(
        python.to_str().unwrap(),
        &[harness.to_str().unwrap()],
        &input,
    ))
    .unwrap();
    assert_eq!(results.len(), expected.len());
    let mut allowed = 0;
    for (want, got) in expected.iter().zip(&results) {
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
        if want.status == 204 {
            allowed += 1;
        }
    }
    eprintln!(
        "LocalStack: {} requests to {} deployed APIs ({} policies, imported and as stacks) answer as the engine; {allowed} allowed",
        results.len(),
        apis.len(),
        subjects.len()
    );
    assert!(allowed > 20, "the matrix must reach allowed preflights");
}
