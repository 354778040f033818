//! S3 bucket CORS, proven on an S3 implementation: every emitted configuration is applied to a
//! bucket in LocalStack (whose S3 enforces bucket CORS as AWS documents it), once with
//! `put-bucket-cors` from `s3/cors.json` and once as the `s3/cloudformation.yaml` stack, and
//! every preflight and actual request (allowed, refused and look-alike origins; allowed,
//! unlisted and never-allowed methods; listed, unlisted and mixed-case headers) must get the
//! answer `corsgen check --target s3` predicts. Then S3's one-`*` origin patterns are compared
//! with corsgen's label-anchored wildcards for every kind of origin, and real Chromium fetches
//! from a bucket and gets `check --target s3`'s verdict and message. The three formats must
//! configure the same rule; cfn-lint and the provider's attribute table check them.
//!
//! The difference from corsgen's matching, by name: S3's `*` matches any characters, so
//! `https://*.example.com` also accepts hosts under example.com that are not DNS names (an empty
//! label, `!`, uppercase), which no browser page has and only example.com's owner could serve.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

use crate::browser::{check_predicts, free_port, require_chromium, run_chromium, Request};
use crate::localstack::localstack;
use crate::support::{corsgen, emit_into, python_module, require_tool, root, run_with_stdin};

/// Policies with bucket CORS: the example, any origin, exact origins with credentials and
/// nothing beyond the safelisted methods.
fn subjects() -> Vec<(String, String)> {
    let example = std::fs::read_to_string(root().join("policies/assets.toml")).unwrap();
    let any = r#"version = 1
[cors]
allow-origins = ["*"]
allow-methods = ["PUT", "DELETE"]
allow-headers = ["Content-Type", "If-Match"]
expose-headers = ["ETag", "x-amz-version-id"]
max-age = 0
[lambda]
enabled = false
[apigateway]
enabled = false
[cloudfront]
enabled = false
[s3]
enabled = true
"#;
    let exact = r#"version = 1
[cors]
allow-origins = ["https://www.example.com", "http://localhost:3000"]
allow-credentials = true
[lambda]
enabled = false
[apigateway]
enabled = false
[cloudfront]
enabled = false
[s3]
enabled = true
"#;
    vec![
        ("assets".to_string(), example),
        ("any".to_string(), any.to_string()),
        ("exact".to_string(), exact.to_string()),
    ]
}

const ORIGINS: [&str; 12] = [
    "https://www.example.com",
    "https://a.preview.example.com",
    "https://a.b.preview.example.com",
    "http://localhost:3000",
    "https://preview.example.com",
    "https://www.example.com.evil.example",
    "https://evilpreview.example.com",
    "https://a.preview.example.com.evil.example",
    "http://a.preview.example.com",
    "https://a.preview.example.com:8443",
    "https://other.example",
    "null",
];

/// (method, requested headers as the browser sends them, or as another client might).
const PREFLIGHTS: [(&str, Option<&str>); 8] = [
    ("GET", None),
    ("PUT", None),
    ("PUT", Some("content-type")),
    ("PUT", Some("content-md5,content-type,x-amz-acl")),
    ("PUT", Some("Content-Type, X-Other")),
    ("DELETE", Some("if-match")),
    ("PATCH", None),
    ("POST", Some("content-type")),
];

const ACTUAL: [&str; 4] = ["GET", "HEAD", "PUT", "DELETE"];

fn headers_of(value: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_ascii_lowercase(),
                h[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn sorted(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    out.sort();
    out
}

#[test]
fn bucket_cors_in_localstack_answers_as_check_target_s3_predicts() {
    let localstack = localstack();
    let work = tempfile::tempdir().unwrap();
    let mut buckets = Vec::new();
    let mut policies = Vec::new();
    for (name, text) in subjects() {
        let out = work.path().join(&name);
        let policy = emit_into(&text, None, &out);
        let file = work.path().join(format!("{name}.toml"));
        std::fs::write(&file, &text).unwrap();
        let values = corsgen::targets::s3::PLATFORM.values(&policy);
        for bucket in [
            json!({"cors_json": out.join("s3/cors.json")}),
            json!({"cloudformation": out.join("s3/cloudformation.yaml")}),
        ] {
            buckets.push(bucket);
            policies.push((name.clone(), file.clone(), values.clone()));
        }
    }
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for (bucket, (name, _, values)) in policies.iter().enumerate() {
        for origin in ORIGINS {
            for (method, requested) in PREFLIGHTS {
                let mut headers = vec![
                    ("Origin".to_string(), origin.to_string()),
                    (
                        "Access-Control-Request-Method".to_string(),
                        method.to_string(),
                    ),
                ];
                if let Some(names) = requested {
                    headers.push(("Access-Control-Request-Headers".into(), names.into()));
                }
                let want = corsgen::targets::s3::answer(values, "OPTIONS", &headers);
                cases.push(json!({"bucket": bucket, "method": "OPTIONS", "key": "obj.txt", "headers": headers}));
                expected.push((
                    format!("{name}#{bucket} OPTIONS {method} {requested:?} from {origin}"),
                    want,
                    true,
                    (origin, method, requested, bucket),
                ));
            }
            for method in ACTUAL {
                let headers = vec![("Origin".to_string(), origin.to_string())];
                let want = corsgen::targets::s3::answer(values, method, &headers);
                let key = if method == "DELETE" {
                    "gone.txt"
                } else {
                    "obj.txt"
                };
                let mut case =
                    json!({"bucket": bucket, "method": method, "key": key, "headers": headers});
                if method == "PUT" {
                    case["body"] = json!("put");
                }
                cases.push(case);
                expected.push((
                    format!("{name}#{bucket} {method} from {origin}"),
                    want,
                    false,
                    (origin, method, None, bucket),
                ));
            }
        }
        // Without Origin: no CORS at all, and a preflight is a bad request.
        cases.push(json!({"bucket": bucket, "method": "GET", "key": "obj.txt", "headers": []}));
        expected.push((
            format!("{name}#{bucket} GET without Origin"),
            (None, Vec::new()),
            false,
            ("", "GET", None, bucket),
        ));
    }
    let (names, results) = localstack.s3(&buckets, &cases);
    let mut mismatches = Vec::new();
    let mut allowed = 0;
    for ((label, (status, headers), preflight, _), got) in expected.iter().zip(&results) {
        let got_headers = headers_of(&got["headers"]);
        let want_headers = sorted(headers.clone());
        if !want_headers.is_empty() {
            allowed += 1;
        }
        let status_ok = !preflight || Some(got["status"].as_u64().unwrap() as u16) == *status;
        if !status_ok || got_headers != want_headers {
            mismatches.push(format!(
                "{label}: LocalStack {} {got_headers:?}, predicted {status:?} {want_headers:?}",
                got["status"]
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} S3 answers differ:\n{}",
        mismatches.len(),
        results.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
    assert!(
        allowed > 100 && allowed < results.len() - 100,
        "{allowed} of {}",
        results.len()
    );

    // A sample through the command line: `check --target s3` shows the preflight LocalStack
    // gave, for the request a page makes.
    let mut sampled = 0;
    for ((label, _, preflight, (origin, method, requested, bucket)), got) in
        expected.iter().zip(&results).step_by(7)
    {
        if !preflight || *origin == "null" || requested.is_some_and(|r| r.contains(' ')) {
            continue;
        }
        let (_, file, _) = &policies[*bucket];
        let url = format!("{}/{}/obj.txt", localstack.endpoint, names[*bucket]);
        let mut args = vec![
            "check".to_string(),
            file.to_string_lossy().to_string(),
            "--target".into(),
            "s3".into(),
            "--origin".into(),
            origin.to_string(),
            "--method".into(),
            method.to_string(),
            "--url".into(),
            url,
            "--format".into(),
            "json".into(),
        ];
        for name in requested.iter().flat_map(|r| r.split(',')) {
            args.extend(["-H".to_string(), format!("{name}: x")]);
        }
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = corsgen(work.path(), &arg_refs);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let leg = &report["preflight"];
        if leg.is_null() {
            // A simple request: no preflight is sent.
            assert!(
                requested.is_none() && ["GET", "POST"].contains(method),
                "{label}"
            );
            continue;
        }
        let ours = (
            leg["response"]["status"].clone(),
            crate::support::header_pairs(&leg["response"]["headers"]),
        );
        let theirs = (got["status"].clone(), headers_of(&got["headers"]));
        let mut ours_sorted = ours.1.clone();
        ours_sorted
            .iter_mut()
            .for_each(|(n, _)| *n = n.to_ascii_lowercase());
        ours_sorted.sort();
        assert_eq!(
            (ours.0, ours_sorted),
            theirs,
            "{label}: check --target s3 and LocalStack"
        );
        sampled += 1;
    }
    assert!(sampled >= 20, "{sampled} sampled");
    eprintln!(
        "S3: {} requests to {} buckets answer as `check --target s3` predicts ({allowed} with CORS headers; {sampled} through the command line)",
        results.len(),
        buckets.len()
    );
}

#[test]
fn s3_origin_patterns_accept_what_corsgen_wildcards_accept() {
    let localstack = localstack();
    let work = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("policies/assets.toml")).unwrap();
    let out = work.path().join("assets");
    let policy = emit_into(&text, None, &out);
    // Origins a browser page can have: DNS names, one label or several, digits, hyphens,
    // underscores, ports, the other scheme, look-alikes; then hosts no page has.
    let mut browser: Vec<String> = Vec::new();
    for label in [
        "a",
        "a1",
        "x-y",
        "a_b",
        "0",
        "a.b",
        "a.b.c",
        "xn--bcher-kva",
        "preview",
    ] {
        browser.push(format!("https://{label}.preview.example.com"));
        browser.push(format!("https://{label}.preview.example.com:8443"));
        browser.push(format!("http://{label}.preview.example.com"));
        browser.push(format!("https://{label}.preview.example.com.evil.example"));
        if !label.starts_with("xn--") {
            // (Glued to the next label, a punycode label is no longer valid punycode.)
            browser.push(format!("https://{label}preview.example.com"));
        }
    }
    browser.extend(
        [
            "https://preview.example.com",
            "https://www.example.com",
            "https://www.example.com:444",
            "https://example.com",
        ]
        .map(String::from),
    );
    let no_page = [
        "https://a..preview.example.com",
        "https://.a.preview.example.com",
        "https://a!b.preview.example.com",
        "https://A.preview.example.com",
    ];
    let origins: Vec<String> = browser
        .iter()
        .cloned()
        .chain(no_page.iter().map(|o| (*o).to_string()))
        .collect();
    let cases: Vec<Value> = origins
        .iter()
        .map(|o| json!({"bucket": 0, "method": "OPTIONS", "key": "obj.txt", "headers": [["Origin", o], ["Access-Control-Request-Method", "GET"]]}))
        .collect();
    let (_, results) = localstack.s3(&[json!({"cors_json": out.join("s3/cors.json")})], &cases);
    let mut differ = Vec::new();
    for (origin, got) in origins.iter().zip(&results) {
        let s3 = got["status"] == 200;
        let ours = policy.default_rule.origins.allows(origin);
        assert_eq!(
            s3,
            corsgen::targets::s3::answer(
                &corsgen::targets::s3::PLATFORM.values(&policy),
                "OPTIONS",
                &[
                    ("Origin".into(), origin.clone()),
                    ("Access-Control-Request-Method".into(), "GET".into())
                ]
            )
            .0 == Some(200),
            "{origin}: the S3 model"
        );
        if s3 != ours {
            differ.push(origin.as_str());
        }
    }
    // Every origin a page can have is allowed by both or by neither; the hosts no page has
    // are S3's alone.
    assert_eq!(differ, no_page, "S3 and corsgen disagree on other origins");
    for origin in &browser {
        assert_eq!(
            corsgen::address::origin(origin).as_deref(),
            Some(origin.as_str()),
            "{origin} is not an origin a browser sends"
        );
    }
}

#[test]
fn s3_formats_configure_the_same_rule_and_pass_the_validators() {
    require_tool("cfn-lint");
    python_module("hcl2");
    python_module("yaml");
    let work = tempfile::tempdir().unwrap();
    let mut templates: Vec<PathBuf> = Vec::new();
    for (name, text) in subjects() {
        let out = work.path().join(&name);
        let policy = emit_into(&text, None, &out);
        let script = root().join("tests/harness/static_artifacts.py");
        let formats: Value = serde_json::from_str(&run_with_stdin(
            "python3",
            &[script.to_str().unwrap(), out.to_str().unwrap()],
            "",
        ))
        .unwrap();
        let s3 = &formats["s3"];
        assert_eq!(s3["json"], s3["cloudformation"], "{name}");
        assert_eq!(s3["json"], s3["terraform"], "{name}");
        let values = corsgen::targets::s3::PLATFORM.values(&policy);
        let rule = &s3["json"];
        assert_eq!(rule["origins"], json!(values.allow_origins), "{name}");
        assert_eq!(rule["methods"], json!(values.allow_methods), "{name}");
        for safelisted in ["GET", "HEAD", "POST"] {
            assert!(
                values.allow_methods.iter().any(|m| m == safelisted),
                "{name}"
            );
        }
        assert_eq!(rule["headers"], json!(values.allow_headers), "{name}");
        assert_eq!(rule["expose"], json!(values.expose_headers), "{name}");
        assert_eq!(rule["max_age"], json!(values.max_age), "{name}");
        assert!(rule["id"]
            .as_str()
            .unwrap()
            .starts_with("@generated by corsgen"));
        assert!(rule["id"].as_str().unwrap().chars().count() <= 255);
        templates.push(out.join("s3/cloudformation.yaml"));
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
fn chromium_fetching_from_a_bucket_gets_what_check_target_s3_predicts() {
    require_chromium();
    let localstack = localstack();
    let (page_port, api_port) = (free_port(), free_port());
    let page = format!("http://127.0.0.1:{page_port}");
    let work = tempfile::tempdir().unwrap();
    // A bucket that lists the page, and one that lists only other sites.
    let listed = std::fs::read_to_string(root().join("policies/assets.toml"))
        .unwrap()
        .replace("\"https://www.example.com\"", &format!("\"{page}\""));
    let other = listed.replace(&format!("\"{page}\", "), "");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut buckets = Vec::new();
    for (name, text) in [("listed", &listed), ("other", &other)] {
        let out = work.path().join(name);
        emit_into(text, None, &out);
        let file = work.path().join(format!("{name}.toml"));
        std::fs::write(&file, text).unwrap();
        files.push(file);
        buckets.push(json!({"cors_json": out.join("s3/cors.json")}));
    }
    let (names, _) = localstack.s3(&buckets, &[]);
    let request = |method: &str, headers: &[(&str, &str)], credentials: bool| Request {
        method: method.to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect(),
        credentials,
        xhr: false,
    };
    let shapes = [
        ("get", request("GET", &[], false)),
        ("get-credentials", request("GET", &[], true)),
        ("head", request("HEAD", &[], false)),
        (
            "put-text",
            request("PUT", &[("Content-Type", "text/plain")], false),
        ),
        (
            "put-json-acl",
            request(
                "PUT",
                &[
                    ("Content-Type", "application/json"),
                    ("x-amz-acl", "private"),
                ],
                false,
            ),
        ),
        (
            "put-unlisted-header",
            request("PUT", &[("X-Other", "1")], false),
        ),
        ("delete", request("DELETE", &[], false)),
        ("patch", request("PATCH", &[], false)),
    ];
    let mut scenarios = Vec::new();
    for (bucket, name) in names.iter().enumerate() {
        for (id, r) in &shapes {
            scenarios.push((
                format!("{bucket}-{id}"),
                r.clone(),
                bucket,
                format!("{}/{name}", localstack.endpoint),
            ));
        }
    }
    let input = json!({
        "page_port": page_port,
        "api_port": api_port,
        "har": work.path().join("run.har"),
        "scenarios": scenarios.iter().map(|(id, r, _, base)| json!({
            "id": id, "path": "/obj.txt", "method": r.method, "headers": r.headers,
            "credentials": if r.credentials { "include" } else { "omit" },
            "xhr": false, "same_origin": false, "server": {"kind": "external"}, "base": base,
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
    for (id, request, bucket, _) in &scenarios {
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
        verdicts[usize::from(!chromium.0)] += 1;
        let file = files[*bucket].to_str().unwrap();
        let predicted = check_predicts(
            work.path(),
            id,
            file,
            &page,
            url,
            &["--target", "s3"],
            request,
        );
        if chromium != (predicted.allowed, predicted.messages.clone()) {
            disagreements.push(format!(
                "{id}: Chromium {chromium:?}, check --target s3 {:?}",
                (predicted.allowed, &predicted.messages)
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert!(verdicts[0] >= 4 && verdicts[1] >= 8, "{verdicts:?}");
    // A policy that emits only bucket CORS is checked as S3 answers, without --target.
    let check = |file: &str| -> Value {
        let args = [
            "check",
            file,
            "--origin",
            &page,
            "--method",
            "PUT",
            "-H",
            "X-Other: 1",
            "--format",
            "json",
        ];
        serde_json::from_slice(&corsgen(work.path(), &args).stdout).unwrap()
    };
    let report = check(files[0].to_str().unwrap());
    assert_eq!(report["preflight"]["response"]["status"], 403, "{report}");
    assert_eq!(report["targets_differ"], json!([]));
    // With the Lambda snippets too, the engine answers, and the report names S3's other answer.
    let both = work.path().join("both.toml");
    std::fs::write(&both, listed.replace("[lambda]\nenabled = false\n", "")).unwrap();
    let report = check(both.to_str().unwrap());
    assert_eq!(report["preflight"]["response"]["status"], 204, "{report}");
    assert_eq!(report["targets_differ"][0]["target"], "s3", "{report}");
}
