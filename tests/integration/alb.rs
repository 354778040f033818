//! ALB response headers: the three formats set the same listener attributes, equal to the
//! engine's static configuration, and the same OPTIONS rule; `alb/configure.sh` runs under `sh`
//! against a stand-in `aws`; cfn-lint and the provider's attribute tables check the rest. Then
//! the claim the target rests on: for a policy that allows any origin without credentials, the
//! ALB's static answer (its declared deviation: every header on every response, no `Vary`, the
//! rule's 204 for OPTIONS) gets the engine's verdict and Chromium message for every request
//! shape of the browser test, through the browser model that test proves against Chromium.
//!
//! Not proven on an AWS implementation, by name: LocalStack's community load balancers do not
//! apply listener attributes to responses, so the answers stay with the engine and the model.

use std::process::Command;

use serde_json::{json, Value};

use crate::browser::REQUESTS;
use crate::support::{corsgen, emit_into, python_module, require_tool, root, run_with_stdin};

const SUBJECTS: [&str; 2] = [
    r#"version = 1
name = "public-behind-alb"
[cors]
allow-origins = ["*"]
allow-methods = ["PUT", "DELETE"]
allow-headers = ["Content-Type", "X-Api-Key", "Authorization"]
expose-headers = ["ETag", "X-Request-Id"]
max-age = 600
[apigateway]
enabled = false
[alb]
enabled = true
"#,
    r#"version = 1
[cors]
allow-origins = ["*"]
[apigateway]
enabled = false
[cloudfront]
enabled = false
[alb]
enabled = "if-fits"
"#,
];

#[test]
fn alb_formats_set_the_engines_headers_and_the_script_applies_them() {
    require_tool("cfn-lint");
    python_module("hcl2");
    python_module("yaml");
    let work = tempfile::tempdir().unwrap();
    let mut templates = Vec::new();
    for (i, text) in SUBJECTS.iter().enumerate() {
        let out = work.path().join(format!("p{i}"));
        let policy = emit_into(text, None, &out);
        assert!(policy.emits_configuration("alb"), "subject {i}");
        let script = root().join("tests/harness/static_artifacts.py");
        let formats: Value = serde_json::from_str(&run_with_stdin(
            "python3",
            &[script.to_str().unwrap(), out.to_str().unwrap()],
            "",
        ))
        .unwrap();
        let alb = &formats["alb"];
        let values = corsgen::targets::alb::PLATFORM.values(&policy);
        let expected: serde_json::Map<String, Value> = corsgen::targets::alb::attributes(&values)
            .into_iter()
            .map(|a| (a.key, json!(a.value)))
            .collect();
        assert_eq!(
            expected["routing.http.response.access_control_allow_origin.header_value"],
            "*"
        );
        for format in ["script", "cloudformation", "terraform"] {
            assert_eq!(
                alb[format],
                Value::Object(expected.clone()),
                "subject {i}: {format}"
            );
        }
        templates.push(out.join("alb/cloudformation.yaml"));
    }
    let lint = Command::new("cfn-lint").args(&templates).output().unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
}

#[test]
fn an_alb_static_answer_gets_the_engines_verdict_for_every_request_shape() {
    let work = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for (i, text) in SUBJECTS.iter().enumerate() {
        let policy = emit_into(text, None, &work.path().join(format!("p{i}")));
        let deviation = corsgen::targets::alb::TARGET.answer.as_ref().unwrap();
        for origin in ["https://app.example.com", "http://localhost:3000", "null"] {
            for (method, headers, credentials, xhr) in REQUESTS {
                let headers: Vec<String> =
                    headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
                let request = corsgen::check::fetch_request(
                    "https://alb.example/orders/1",
                    origin,
                    method,
                    &headers,
                    credentials,
                    xhr,
                )
                .unwrap();
                let engine = corsgen::check::simulate(&policy, request.clone(), "/orders/1");
                let alb = corsgen::check::simulate_target(&policy, request, deviation);
                assert_eq!(
                    (alb.verdict.allowed(), &alb.message),
                    (engine.verdict.allowed(), &engine.message),
                    "subject {i}: {method} {headers:?} credentials={credentials} from {origin}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 2 * 3 * REQUESTS.len());
    // And through the command line: the same verdict, with the ALB's answer shown.
    let file = work.path().join("alb.toml");
    std::fs::write(&file, SUBJECTS[0]).unwrap();
    let out = corsgen(
        work.path(),
        &[
            "check",
            file.to_str().unwrap(),
            "--target",
            "alb",
            "--origin",
            "https://app.example.com",
            "--method",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["preflight"]["response"]["status"], 204);
    let actual = crate::support::header_pairs(&report["actual"][0]["response"]["headers"]);
    assert!(
        actual
            .iter()
            .any(|(n, v)| n == "Access-Control-Allow-Methods" && v == "PUT,DELETE"),
        "the ALB sends every header on every response: {actual:?}"
    );
    assert!(actual.iter().all(|(n, _)| n != "Vary"), "{actual:?}");
}
