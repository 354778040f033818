//! `corsgen audit` on configurations nobody here wrote: REST APIs synthesized by aws-cdk-lib
//! (pinned in tests/harness/package-lock.json) with `defaultCorsPreflightOptions`, SAM templates
//! translated by aws-sam-translator, hand-written templates and OpenAPI exports with the defects
//! people deploy, and corsgen's own artifacts for every example policy. Each fixture's findings
//! are pinned in tests/audit/expected/ (a missing or an extra finding fails); the VTL evaluator
//! audit runs templates with agrees with Apache Velocity 1.7 on every template here.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::apigateway::Velocity;
use crate::support::{corsgen, example_policies, python_module, require_tool, root, updating};

/// The fixtures, built once: (name, file).
fn fixtures() -> &'static [(String, PathBuf)] {
    static FIXTURES: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        require_tool("node");
        assert!(
            root()
                .join("tests/harness/node_modules/aws-cdk-lib/package.json")
                .exists(),
            "aws-cdk-lib is required by this test; run scripts/test.sh, which installs it"
        );
        let synth = Command::new("node")
            .arg(root().join("tests/harness/cdk_audit_apps.js"))
            .arg(dir.join("cdk"))
            .output()
            .unwrap();
        assert!(
            synth.status.success(),
            "CDK synth failed: {}",
            String::from_utf8_lossy(&synth.stderr)
        );
        let mut out = Vec::new();
        for app in [
            "one-origin",
            "several-origins",
            "several-origins-credentials",
        ] {
            out.push((
                format!("cdk-{app}"),
                dir.join(format!("cdk/{app}/OrdersApi.template.json")),
            ));
        }
        python_module("samtranslator");
        let mut args = Vec::new();
        for sam in ["one-origin", "comma-list"] {
            let target = dir.join(format!("sam-{sam}.json"));
            args.push(root().join(format!("tests/audit/sam/{sam}.yaml")));
            args.push(target.clone());
            out.push((format!("sam-{sam}"), target));
        }
        let translate = Command::new("python3")
            .arg(root().join("tests/harness/sam_translate_files.py"))
            .args(&args)
            .output()
            .unwrap();
        assert!(
            translate.status.success(),
            "SAM translation failed: {}",
            String::from_utf8_lossy(&translate.stderr)
        );
        // The SAM template as written: its API exists only after the transform.
        out.push((
            "sam-raw-one-origin".to_string(),
            root().join("tests/audit/sam/one-origin.yaml"),
        ));
        // A Serverless Framework service, packaged (serverless 3 packages offline).
        let service = dir.join("serverless");
        std::fs::create_dir_all(&service).unwrap();
        std::fs::copy(
            root().join("tests/audit/serverless/serverless.yml"),
            service.join("serverless.yml"),
        )
        .unwrap();
        std::fs::write(
            service.join("handler.js"),
            "exports.main = async () => ({ statusCode: 200, body: '[]' });\n",
        )
        .unwrap();
        let package = Command::new("node")
            .arg(root().join("tests/harness/node_modules/serverless/bin/serverless.js"))
            .args(["package", "--stage", "dev"])
            .current_dir(&service)
            .env("SLS_TELEMETRY_DISABLED", "1")
            .env("SLS_NOTIFICATIONS_MODE", "off")
            .env("SLS_DEPRECATION_DISABLE", "*")
            .env_remove("AWS_ACCESS_KEY_ID")
            .output()
            .unwrap();
        assert!(
            package.status.success(),
            "serverless package: {}{}",
            String::from_utf8_lossy(&package.stdout),
            String::from_utf8_lossy(&package.stderr)
        );
        out.push((
            "serverless".to_string(),
            service.join(".serverless/cloudformation-template-update-stack.json"),
        ));
        // A Terraform plan as `terraform show -json` prints it. No Terraform binary is reachable
        // from this machine's package registries, so this one is written in that format (the
        // structure of hashicorp/terraform-json's own plan fixtures), not planned.
        out.push((
            "terraform-plan".to_string(),
            root().join("tests/audit/terraform/plan.json"),
        ));
        // What is deployed, as the AWS CLI prints it (a folder).
        out.push(("aws-folder".to_string(), root().join("tests/audit/aws")));
        let mut hand: Vec<PathBuf> = std::fs::read_dir(root().join("tests/audit/hand"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        hand.sort();
        for path in hand {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            out.push((format!("hand-{stem}"), path));
        }
        out
    })
}

fn audit_json(args: &[&str]) -> (i32, Value) {
    let output = corsgen(&root(), &[&["audit", "--format", "json"], args].concat());
    let code = output.status.code().unwrap();
    let document = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "audit printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, document)
}

/// A finding as the golden files pin it: what, where in the document, the request that shows
/// it, the answer's status and what Chromium prints.
fn pinned(finding: &Value) -> String {
    let mut text = format!(
        "{} {} at {}\n  {}\n",
        finding["severity"].as_str().unwrap(),
        finding["code"].as_str().unwrap(),
        finding["location"]["path"].as_str().unwrap(),
        finding["message"].as_str().unwrap()
    );
    if let Some(request) = finding["request"].as_object() {
        let headers: Vec<String> = request["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{}: {}", p[0].as_str().unwrap(), p[1].as_str().unwrap()))
            .collect();
        text.push_str(&format!(
            "  request: {} {} | {}\n  answer: {}\n  chromium: {}\n",
            request["method"].as_str().unwrap(),
            request["path"].as_str().unwrap(),
            headers.join(" | "),
            request["status"],
            finding["chromium"].as_str().unwrap_or("(allowed)")
        ));
    }
    text
}

#[test]
fn audit_finds_exactly_what_each_fixture_golden_lists() {
    let mut failures = Vec::new();
    for (name, file) in fixtures() {
        let (code, document) = audit_json(&[file.to_str().unwrap()]);
        let findings = document["findings"].as_array().unwrap();
        assert_eq!(document["schema_version"], 1);
        assert_eq!(
            code,
            i32::from(!findings.is_empty()),
            "{name}: exit code with the default --fail-on warning"
        );
        let got: String = findings.iter().map(pinned).collect();
        let golden = root().join(format!("tests/audit/expected/{name}.txt"));
        if updating("UPDATE_GOLDEN") {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{name}: findings differ from {}\n{}",
                golden.display(),
                similar::TextDiff::from_lines(&want, &got)
                    .unified_diff()
                    .header("expected", "audit")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_fixtures_show_the_defects_they_were_written_for() {
    // The goldens pin everything; this names the point of each fixture, so that regenerating a
    // golden cannot quietly drop one.
    let expect: &[(&str, &[&str])] = &[
        (
            "cdk-one-origin",
            &["gateway-response-no-cors", "preflight-content-type"],
        ),
        (
            "cdk-several-origins",
            &["static-first-origin", "gateway-response-no-cors"],
        ),
        (
            "cdk-several-origins-credentials",
            &["static-first-origin", "gateway-response-no-cors"],
        ),
        ("sam-one-origin", &["gateway-response-no-cors"]),
        ("sam-comma-list", &["origin-list-in-header"]),
        ("sam-raw-one-origin", &["not-evaluated"]),
        (
            "serverless",
            &[
                "origin-from-query",
                "static-first-origin",
                "gateway-response-no-cors",
            ],
        ),
        (
            "hand-regex-origin",
            &[
                "origin-look-alike",
                "origin-from-query",
                "options-authorizer",
                "options-missing",
                "origin-reflected",
                "integration-response-no-cors",
            ],
        ),
        (
            "hand-reflect-openapi",
            &[
                "origin-reflected",
                "wildcard-with-credentials",
                "max-age-capped",
            ],
        ),
        (
            "hand-binary-swagger",
            &["preflight-binary", "origin-not-serialized"],
        ),
        ("hand-unsupported-template", &["not-evaluated"]),
        (
            "terraform-plan",
            &[
                "wildcard-with-credentials",
                "options-missing",
                "origin-not-serialized",
                "origin-reflected",
                "gateway-response-no-cors",
                "max-age-capped",
                "cache-key-missing-origin",
            ],
        ),
        (
            "aws-folder",
            &[
                "origin-reflected",
                "origin-look-alike",
                "origin-not-serialized",
                "wildcard-with-credentials",
                "cache-key-missing-origin",
                "max-age-capped",
            ],
        ),
        ("hand-viewer-response-kvs", &["not-evaluated"]),
        ("hand-viewer-response-passthrough", &["two-layers"]),
        ("hand-function-url-layers", &["two-layers"]),
        (
            "hand-cloudfront-reflect",
            &["origin-reflected", "origin-look-alike", "max-age-capped"],
        ),
        (
            "hand-http-api",
            &[
                "origin-not-serialized",
                "wildcard-with-credentials",
                "max-age-capped",
            ],
        ),
    ];
    for (name, file) in fixtures() {
        let (_, document) = audit_json(&[file.to_str().unwrap()]);
        let codes: Vec<&str> = document["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        let (_, wanted) = expect
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name}: no expectation"));
        for code in *wanted {
            assert!(codes.contains(code), "{name}: no {code} in {codes:?}");
        }
        // The reflecting OPTIONS and CloudFront Functions send credentials: the worst there is.
        if matches!(
            name.as_str(),
            "hand-reflect-openapi" | "hand-cloudfront-reflect" | "aws-folder"
        ) {
            assert!(document["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "origin-reflected" && f["severity"] == "critical"));
        }
    }
}

/// The apigateway files of an emitted directory that audit reads.
fn audited_files(dir: &Path) -> Vec<String> {
    [
        "apigateway/openapi.json",
        "apigateway/cloudformation.yaml",
        "apigateway/http-api.openapi.json",
        "apigateway/http-api.cloudformation.yaml",
        "cloudfront/cloudformation.yaml",
        "cloudfront/viewer-request.js",
        "cloudfront/viewer-response.js",
        "cloudfront/key-value-store.json",
        "cloudfront/response-headers-policy.cloudformation.yaml",
        "s3/cloudformation.yaml",
        "function-url/cloudformation.yaml",
    ]
    .iter()
    .map(|f| dir.join(f))
    .filter(|p| p.exists())
    .map(|p| p.to_str().unwrap().to_string())
    .collect()
}

#[test]
fn corsgens_own_artifacts_audit_clean_and_without_drift_for_every_example_policy() {
    let mut audited = 0;
    for (path, env) in example_policies() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        crate::support::emit_into(&text, env.as_deref(), dir.path());
        let files = audited_files(dir.path());
        if files.is_empty() {
            continue; // the policy emits no API Gateway artifact
        }
        let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
        let policy = path.to_str().unwrap();
        args.extend(["--policy", policy]);
        if let Some(env) = &env {
            args.extend(["--env", env]);
        }
        let (code, document) = audit_json(&args);
        assert_eq!(
            document["findings"],
            serde_json::json!([]),
            "{} {env:?}: corsgen's own artifacts have findings",
            path.display()
        );
        assert_eq!(code, 0);
        assert!(!document["surfaces"].as_array().unwrap().is_empty());
        audited += 1;
    }
    assert!(
        audited >= 11,
        "only {audited} example policies were audited"
    );
}

#[test]
fn drift_names_each_difference_from_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("policies/example.toml")).unwrap();
    crate::support::emit_into(&text, None, dir.path());
    let drifted = text
        .replace("\"https://sp.example.com\"]", "\"https://m.example.com\"]")
        .replace("max-age = 600", "max-age = 300")
        .replace(
            "allow-methods = [\"PUT\", \"PATCH\", \"DELETE\"]",
            "allow-methods = [\"PUT\", \"DELETE\"]",
        )
        .replace("\"X-Requested-With\"]", "\"X-Trace\"]")
        .replace("expose-headers = [\"X-Request-Id\"]", "expose-headers = []");
    let policy = dir.path().join("drifted.toml");
    std::fs::write(&policy, drifted).unwrap();
    let files = audited_files(dir.path());
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend(["--policy", policy.to_str().unwrap()]);
    let (code, document) = audit_json(&args);
    assert_eq!(code, 1);
    let messages: Vec<String> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    for needle in [
        "drift-origins OPTIONS /: the policy allows https://m.example.com",
        "drift-origins OPTIONS /: the input allows https://sp.example.com, which the policy does not",
        "drift-methods OPTIONS /: access-control-allow-methods is `PUT,PATCH,DELETE` in the input, `PUT,DELETE` in the policy",
        "drift-headers OPTIONS /{proxy+}: access-control-allow-headers",
        "drift-max-age OPTIONS /: access-control-max-age is `600` in the input, `300` in the policy",
        "drift-expose-headers gateway response DEFAULT_4XX: access-control-expose-headers is `X-Request-Id` in the input, absent in the policy",
        "drift-origins the allowed origins: [https://sp.example.com, https://www.example.com] in the input",
        "drift-max-age max-age: 600 in the input, 300 in the policy",
        // The CloudFront Functions, run in the embedded engine.
        "drift-origins GET /: the policy allows https://m.example.com; the input answers it without Access-Control-Allow-Origin",
        "drift-expose-headers GET /: access-control-expose-headers is `X-Request-Id` in the input, absent in the policy",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(needle)),
            "no `{needle}` in:\n{}",
            messages.join("\n")
        );
    }
    // Every drift is a warning; audit's own findings stay away on corsgen's artifacts.
    assert!(document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["code"].as_str().unwrap().starts_with("drift-")));
    // Without the REST API in the input, the policy's REST surfaces are missing.
    let (_, only_http) = audit_json(&[
        dir.path()
            .join("apigateway/http-api.openapi.json")
            .to_str()
            .unwrap(),
        "--policy",
        root().join("policies/example.toml").to_str().unwrap(),
    ]);
    assert!(only_http["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "drift-missing"));
}

/// Every mapping template in a document (request and response templates, any key case).
fn templates_in(node: &corsgen::audit::tree::Node, out: &mut Vec<String>) {
    use corsgen::audit::tree::Value as V;
    match &node.value {
        V::Map(entries) => {
            for (key, value) in entries {
                if key.eq_ignore_ascii_case("requesttemplates")
                    || key.eq_ignore_ascii_case("responsetemplates")
                {
                    for (_, template) in value.entries() {
                        if let Some(t) = template.str() {
                            out.push(t.to_string());
                        }
                    }
                }
                templates_in(value, out);
            }
        }
        V::Seq(items) => items.iter().for_each(|i| templates_in(i, out)),
        _ => {}
    }
}

/// Header or query pairs of one template run.
type Pairs = Vec<(&'static str, &'static str)>;

/// Templates written the way people write them by hand (peer tools' and tutorials' patterns).
const HAND_WRITTEN: &[&str] = &[
    // Unanchored matches() on $input.params('origin') (Serverless, CDK before #26623).
    "#set($origin = $input.params(\"origin\"))\n#if($origin.matches(\"https://.+[.]example[.]com\"))\n#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end\n{}",
    // A list's contains() (alma-cdk openapix), no fallback.
    "#set($domains = [\"https://a.example.com\", \"https://b.example.com\"])\n#set($origin = $input.params(\"origin\"))\n#if($domains.size() == 0)\n#elseif($domains.contains($origin))\n#set($context.responseOverride.header.Access-Control-Allow-Origin = \"$origin\")\n#end\n$input.json('$')",
    // An #if chain with != and a default.
    "#set($o = \"$!input.params().header.get('Origin')\")\n#if($o != \"\" && $o == 'https://a.example.com')\n#set($context.responseOverride.header.Access-Control-Allow-Origin = $o)\n#elseif($o.startsWith('http://localhost:'))\n#set($context.responseOverride.header.Access-Control-Allow-Origin = $o)\n#set($context.responseOverride.status = 200)\n#else\n#set($context.responseOverride.status = 403)\n#end\n{\"origin\": \"$o\", \"n\": $o.length()}",
    // #foreach over the header names, in any case.
    "#foreach($h in $input.params().header.keySet())#if($h.toLowerCase() == 'origin')#set($found = $input.params().header.get($h))#end#end\n#if($found)\n#set($context.responseOverride.header.Access-Control-Allow-Origin = $found)\n#end\n$!found",
    // A null #set keeps the old value; `==` with null is false.
    "#set($x = 'kept')#set($x = $input.params().header.get('X-None'))$x #if($nothing == 'a')yes#{else}no#end #if($nothing != 'a')ne#{else}eq#end #if(!$nothing)none#end #if('' == $x)e#end #if($n1 != $n2)nn#end #if($n1 == $n2)ee#end",
    // Numbers, ranges, substring() and an exception (API Gateway answers 5XX).
    "#set($n = $input.params().header.get('Origin').length() - 4)#foreach($i in [1..3])$i,#end $n #if($n > 10)long#end $input.params().header.get('Origin').substring(0, 5)",
];

#[test]
fn the_vtl_evaluator_agrees_with_velocity_on_every_template() {
    let mut templates: Vec<String> = HAND_WRITTEN.iter().map(|t| (*t).to_string()).collect();
    let documents = fixtures()
        .iter()
        .filter(|(_, f)| f.is_file() && f.extension().is_none_or(|e| e != "js"));
    for (_, file) in documents {
        let text = std::fs::read_to_string(file).unwrap();
        templates_in(&corsgen::audit::tree::parse(&text).unwrap(), &mut templates);
    }
    let mut emitted = 0;
    for (path, env) in example_policies() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        crate::support::emit_into(&text, env.as_deref(), dir.path());
        let openapi = dir.path().join("apigateway/openapi.json");
        if openapi.exists() {
            let text = std::fs::read_to_string(openapi).unwrap();
            templates_in(&corsgen::audit::tree::parse(&text).unwrap(), &mut templates);
            emitted += 1;
        }
    }
    assert!(emitted >= 8);
    templates.sort();
    templates.dedup();
    // Requests: allowed and refused origins, look-alikes, none, a lowercase header name, a
    // spoofing query parameter, a preflight's method.
    let origins = [
        "https://www.example.com",
        "https://sp.example.com",
        "https://a.example.com",
        "https://x.preview.example.com",
        "https://wwwxexample.com",
        "https://www.example.com.evil.com",
        "http://localhost:3000",
        "https://corsgen-audit.example",
    ];
    let mut cases: Vec<(Pairs, Pairs)> = vec![(vec![], vec![])];
    for origin in origins {
        cases.push((
            vec![("Origin", origin), ("Access-Control-Request-Method", "PUT")],
            vec![],
        ));
        cases.push((vec![("origin", origin)], vec![]));
        cases.push((
            vec![("Origin", "https://corsgen-audit.example")],
            vec![("origin", origin)],
        ));
    }
    let mut velocity = Velocity::new();
    let mut ours = Vec::new();
    for template in &templates {
        for (headers, query) in &cases {
            velocity.case(template, headers, query, "");
            let input = corsgen::audit::vtl::Input {
                path: Vec::new(),
                query: query
                    .iter()
                    .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                    .collect(),
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                    .collect(),
                body: String::new(),
            };
            ours.push((
                template,
                headers,
                query,
                corsgen::audit::vtl::render(template, &input),
            ));
        }
    }
    let theirs = velocity.run();
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let mut disagreements = Vec::new();
    let mut not_evaluated = std::collections::BTreeSet::new();
    for ((template, headers, query, ours), theirs) in ours.iter().zip(&theirs) {
        if let Err(corsgen::audit::vtl::VtlError::Unsupported(_)) = ours {
            // Reported as not evaluated, never guessed: only the fixture written for it.
            assert!(
                template.contains("#macro"),
                "not evaluated:\n{template}\n{ours:?}"
            );
            not_evaluated.insert(template.as_str());
            continue;
        }
        let agree = match (ours, theirs) {
            (Ok(a), Ok(b)) => {
                a.status.as_deref().map(|s| s.parse::<u16>().unwrap()) == b.status
                    && a.headers
                        .iter()
                        .cloned()
                        .collect::<std::collections::BTreeMap<_, _>>()
                        == b.headers
                    && squeeze(&a.text) == squeeze(&b.text)
            }
            (Err(corsgen::audit::vtl::VtlError::Failed(_)), Err(_)) => true,
            _ => false,
        };
        if !agree {
            disagreements.push(format!(
                "template:\n{template}\nheaders {headers:?} query {query:?}\nours: {ours:?}\nvelocity: {theirs:?}\n"
            ));
        }
    }
    let judged = theirs.len() - not_evaluated.len() * cases.len();
    println!(
        "VTL evaluator vs Apache Velocity 1.7: {} of {judged} runs agree ({} templates; {} not evaluated by design)",
        judged - disagreements.len(),
        templates.len(),
        not_evaluated.len()
    );
    assert_eq!(
        not_evaluated.len(),
        1,
        "the #macro fixture is reported as not evaluated"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements; first:\n{}",
        disagreements.len(),
        disagreements[0]
    );
}

#[test]
fn exit_codes_formats_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "Resources:\n  A: [1, 2\n").unwrap();
    let output = corsgen(dir.path(), &["audit", "bad.yaml"]);
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml:3:1"), "{stderr}");
    let output = corsgen(dir.path(), &["audit", "missing.yaml"]);
    assert_eq!(output.status.code(), Some(4));
    let neither = dir.path().join("neither.json");
    std::fs::write(&neither, "{\"a\": 1}").unwrap();
    assert_eq!(
        corsgen(dir.path(), &["audit", "neither.json"])
            .status
            .code(),
        Some(3)
    );
    assert_eq!(corsgen(dir.path(), &["audit"]).status.code(), Some(2));
    let output = corsgen(dir.path(), &["audit", "missing.yaml", "--format", "sarif"]);
    // A code-scanning upload gets SARIF even when the inputs cannot be read.
    assert_eq!(output.status.code(), Some(4));
    let failure: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(failure["version"], "2.1.0");
    let invocation = &failure["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("missing.yaml")
    );

    let hand = root().join("tests/audit/hand/regex-origin.yaml");
    let hand = hand.to_str().unwrap();
    // A critical finding fails at every level.
    for level in ["note", "warning", "error", "critical"] {
        let output = corsgen(dir.path(), &["audit", hand, "--fail-on", level]);
        assert_eq!(output.status.code(), Some(1), "--fail-on {level}");
    }
    // Warnings only: --fail-on error passes.
    let cdk = &fixtures()[0].1;
    let output = corsgen(
        dir.path(),
        &["audit", cdk.to_str().unwrap(), "--fail-on", "error"],
    );
    assert_eq!(output.status.code(), Some(0));
    let human = String::from_utf8_lossy(&output.stdout);
    assert!(
        human.contains("warning[gateway-response-no-cors]"),
        "{human}"
    );
    assert!(human.contains("  chromium: Access to fetch at"), "{human}");

    let output = corsgen(dir.path(), &["audit", hand, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let (_, json) = audit_json(&[hand]);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), json["findings"].as_array().unwrap().len());
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() > 1);
    }
    assert!(results.iter().any(|r| r["level"] == "error"));
}

#[test]
fn the_audit_page_documents_every_finding_code_with_an_example() {
    let page = std::fs::read_to_string(root().join("docs/audit.md")).unwrap();
    for (code, _) in corsgen::audit::findings::CODES {
        let heading = format!("### `{code}`");
        let at = page
            .find(&heading)
            .unwrap_or_else(|| panic!("docs/audit.md has no section {heading}"));
        let section = &page[at + heading.len()..];
        let section = &section[..section.find("\n### ").unwrap_or(section.len())];
        assert!(
            section.contains("```"),
            "docs/audit.md: {code} has no example"
        );
    }
}

/// A stand-in `aws` that answers each command the collection script runs with the fixture the
/// AWS CLI would print (or write), and logs its arguments.
const STAND_IN_AWS: &str = r#"#!/bin/sh
echo "$*" >> "$AWS_LOG"
f="$FIXTURES"
for last; do :; done
case "$1 $2" in
  "apigateway get-export") cp "$REST_EXPORT" "$last"; echo '{"contentType": "application/json"}' ;;
  "apigatewayv2 get-api") cat "$f/http-api.a1b2c3d4e5.json" ;;
  "s3api get-bucket-cors") cat "$f/s3-cors.assets-bucket.json" ;;
  "lambda get-function-url-config") cat "$f/function-url.thumbnails.json" ;;
  "cloudfront get-function") cp "$f/cloudfront-function.site-cors.js" "$last"; echo '{"ETag": "E1"}' ;;
  "cloudfront get-response-headers-policy") cat "$f/response-headers-policy.a0b1c2d3-e4f5-6789-abcd-ef0123456789.json" ;;
  "cloudfront get-cache-policy") cat "$f/cache-policy.b1c2d3e4-f5a6-7890-bcde-f01234567890.json" ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"#;

#[test]
fn the_documented_collection_script_saves_what_audit_reads() {
    let page = std::fs::read_to_string(root().join("docs/audit.md")).unwrap();
    let marker = "<!-- collect-script -->\n```sh\n";
    let start = page.find(marker).expect("the script in docs/audit.md");
    let script = &page[start + marker.len()..];
    let script = &script[..script.find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let aws = bin.join("aws");
    std::fs::write(&aws, STAND_IN_AWS).unwrap();
    std::fs::write(dir.path().join("collect-cors.sh"), script).unwrap();
    assert!(Command::new("chmod")
        .arg("+x")
        .arg(&aws)
        .status()
        .unwrap()
        .success());
    let fixtures = root().join("tests/audit/aws");
    let rest_export = root().join("tests/audit/hand/reflect-openapi.json");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = Command::new("sh")
        .arg(dir.path().join("collect-cors.sh"))
        .arg(dir.path().join("deployed"))
        .args(["--rest-api", "r1e2s3t4", "prod", "--http-api", "a1b2c3d4e5"])
        .args(["--bucket", "assets-bucket", "--function-url", "thumbnails"])
        .args(["--cloudfront-function", "site-cors"])
        .args([
            "--response-headers-policy",
            "a0b1c2d3-e4f5-6789-abcd-ef0123456789",
        ])
        .args(["--cache-policy", "b1c2d3e4-f5a6-7890-bcde-f01234567890"])
        .env("PATH", path)
        .env("FIXTURES", &fixtures)
        .env("REST_EXPORT", &rest_export)
        .env("AWS_LOG", dir.path().join("aws.log"))
        .status()
        .unwrap();
    assert!(status.success());
    let log = std::fs::read_to_string(dir.path().join("aws.log")).unwrap();
    for call in [
        "apigateway get-export --rest-api-id r1e2s3t4 --stage-name prod --export-type oas30 --parameters extensions=apigateway --accepts application/json",
        "apigatewayv2 get-api --api-id a1b2c3d4e5",
        "s3api get-bucket-cors --bucket assets-bucket",
        "lambda get-function-url-config --function-name thumbnails",
        "cloudfront get-function --name site-cors --stage LIVE",
        "cloudfront get-response-headers-policy --id a0b1c2d3-e4f5-6789-abcd-ef0123456789",
        "cloudfront get-cache-policy --id b1c2d3e4-f5a6-7890-bcde-f01234567890",
    ] {
        assert!(log.contains(call), "the script never runs `aws {call}`:\n{log}");
    }
    // Every fixture of the folder under the same name, and the REST export.
    let deployed = dir.path().join("deployed");
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let name = entry.unwrap().file_name();
        assert_eq!(
            std::fs::read(deployed.join(&name)).unwrap(),
            std::fs::read(fixtures.join(&name)).unwrap(),
            "{name:?}"
        );
    }
    assert!(deployed.join("rest-api.r1e2s3t4.json").exists());
    let count = |d: &Value| d["findings"].as_array().unwrap().len();
    let (_, folder) = audit_json(&[fixtures.to_str().unwrap()]);
    let (_, rest) = audit_json(&[rest_export.to_str().unwrap()]);
    let (code, collected) = audit_json(&[deployed.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        count(&collected),
        count(&folder) + count(&rest),
        "{collected:#}"
    );
    assert_eq!(collected["inputs"].as_array().unwrap().len(), 7);
}

/// The apigateway, cloudfront, s3 and function-url files `emit` wrote for `policy` into `dir`.
fn emitted(policy: &Path, dir: &Path) -> Vec<String> {
    let output = corsgen(
        &root(),
        &[
            "emit",
            policy.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "emit {}: {}",
        policy.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    audited_files(dir)
}

#[test]
fn import_of_every_fixture_validates_and_its_artifacts_audit_clean() {
    let mut failures = Vec::new();
    for (name, file) in fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("policy.toml");
        let output = corsgen(
            dir.path(),
            &[
                "import",
                file.to_str().unwrap(),
                "--out",
                policy.to_str().unwrap(),
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(&policy).unwrap();
        let golden = root().join(format!("tests/audit/expected/{name}.import.toml"));
        if updating("UPDATE_GOLDEN") {
            std::fs::write(&golden, &text).unwrap();
        } else if std::fs::read_to_string(&golden).unwrap_or_default() != text {
            failures.push(format!(
                "{name}: the imported policy differs from {}:\n{text}",
                golden.display()
            ));
        }
        let validate = corsgen(dir.path(), &["validate", "policy.toml"]);
        assert_eq!(
            validate.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&validate.stderr)
        );
        let files = emitted(&policy, &dir.path().join("out"));
        if files.is_empty() {
            // Only an input audit could not read (a raw SAM template) imports to no surface.
            assert!(
                text.contains("[not-evaluated]"),
                "{name}: the imported policy emits nothing audit reads:\n{text}"
            );
            continue;
        }
        let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
        args.extend(["--policy", policy.to_str().unwrap()]);
        let (code, document) = audit_json(&args);
        if code != 0 {
            failures.push(format!(
                "{name}: the imported policy's artifacts have findings: {:#}",
                document["findings"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn import_comments_what_the_policy_refuses_and_keeps_named_origins() {
    let by_name = |wanted: &str| {
        let (_, file) = fixtures().iter().find(|(n, _)| n == wanted).unwrap();
        let output = corsgen(&root(), &["import", file.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8(output.stdout).unwrap()
    };
    let cdk = by_name("cdk-several-origins-credentials");
    assert!(
        cdk.contains("allow-origins = [\"https://www.example.com\", \"https://sp.example.com\"]"),
        "{cdk}"
    );
    assert!(cdk.contains("allow-credentials = true"), "{cdk}");
    assert!(cdk.contains("[static-first-origin]"), "{cdk}");
    assert!(cdk.contains("gateway-response-origin = \"first\""), "{cdk}");
    let regex = by_name("hand-regex-origin");
    assert!(regex.contains("[origin-look-alike]"), "{regex}");
    assert!(regex.contains("[origin-from-query]"), "{regex}");
    assert!(regex.contains("[origin-reflected]"), "{regex}");
    let reflect = by_name("hand-reflect-openapi");
    assert!(reflect.contains("names no origin"), "{reflect}");
    let sam = by_name("sam-comma-list");
    assert!(sam.contains("[origin-list-in-header]"), "{sam}");
    assert!(
        sam.contains("\"https://www.example.com\", \"https://sp.example.com\""),
        "{sam}"
    );
    // The S3 star that allowed look-alikes becomes the wildcard corsgen matches on a label boundary.
    let aws = by_name("aws-folder");
    assert!(aws.contains("\"https://*.example.com\""), "{aws}");
}

#[test]
fn import_makes_an_environment_per_stage_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("policies/example.toml")).unwrap();
    let mut inputs = Vec::new();
    for (env, stage) in [(None, "prod"), (Some("dev"), "dev")] {
        let out = dir.path().join(stage);
        crate::support::emit_into(&text, env, &out);
        let mut export: Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("apigateway/openapi.json")).unwrap(),
        )
        .unwrap();
        // What `get-export` adds: the stage, as a server variable.
        export["servers"] = serde_json::json!([{"url": "https://a1b2c3.execute-api.us-east-1.amazonaws.com/{basePath}", "variables": {"basePath": {"default": format!("/{stage}")}}}]);
        let path = dir.path().join(format!("rest-api.{stage}.json"));
        std::fs::write(&path, export.to_string()).unwrap();
        inputs.push(path);
    }
    let policy = dir.path().join("imported.toml");
    let args = [
        "import",
        inputs[0].to_str().unwrap(),
        inputs[1].to_str().unwrap(),
        "--out",
        policy.to_str().unwrap(),
    ];
    assert_eq!(corsgen(dir.path(), &args).status.code(), Some(0));
    let imported = std::fs::read_to_string(&policy).unwrap();
    assert!(
        imported
            .contains("allow-origins = [\"https://www.example.com\", \"https://sp.example.com\"]"),
        "{imported}"
    );
    assert!(
        imported.contains("[env.dev]\nextra-origins = [\"http://localhost:3000\"]"),
        "{imported}"
    );
    assert!(
        imported.contains("[env.prod]\n# Stage prod allows no origin beyond [cors]."),
        "{imported}"
    );
    assert!(
        imported.contains("expose-headers = [\"X-Request-Id\"]"),
        "{imported}"
    );
    for env in ["dev", "prod"] {
        let validate = corsgen(dir.path(), &["validate", "imported.toml", "--env", env]);
        assert_eq!(
            validate.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&validate.stderr)
        );
    }
    // A new file gets the mode any new file gets under the umask, never 0600.
    let umask = Command::new("sh").args(["-c", "umask"]).output().unwrap();
    let umask = u32::from_str_radix(String::from_utf8_lossy(&umask.stdout).trim(), 8).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&policy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666 & !umask);
    // Never over an existing file: exit 4, the file untouched, nothing left behind.
    std::fs::write(&policy, "mine").unwrap();
    let output = corsgen(dir.path(), &args);
    assert_eq!(output.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&output.stderr).contains("never overwrites"));
    assert_eq!(std::fs::read_to_string(&policy).unwrap(), "mine");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("corsgen-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn cloudfront_functions_whose_origins_live_in_a_key_value_store_run_with_its_import_file() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("large.toml");
    let generated = Command::new("python3")
        .arg(root().join("scripts/gen-large-policy.py"))
        .arg(&policy)
        .arg("300")
        .status()
        .unwrap();
    assert!(generated.success());
    let out = dir.path().join("out");
    emitted(&policy, &out);
    let functions = [
        out.join("cloudfront/viewer-request.js"),
        out.join("cloudfront/viewer-response.js"),
    ];
    let store = out.join("cloudfront/key-value-store.json");
    assert!(
        store.exists(),
        "the large policy keeps its origins in a KeyValueStore"
    );
    let codes = |args: &[&str]| -> Vec<String> {
        let (_, document) = audit_json(args);
        document["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    let policy = policy.to_str().unwrap();
    let (request, response) = (
        functions[0].to_str().unwrap(),
        functions[1].to_str().unwrap(),
    );
    // Without the store the functions cannot be judged; with it, they answer as the policy.
    let without = codes(&[request, response, "--policy", policy]);
    assert!(without.iter().any(|c| c == "not-evaluated"), "{without:?}");
    let with = codes(&[
        request,
        response,
        store.to_str().unwrap(),
        "--policy",
        policy,
    ]);
    assert!(
        with.iter().all(|c| c == "drift-missing"),
        "corsgen's KeyValueStore functions have findings: {with:?}"
    );
    // The same store as `aws cloudfront-keyvaluestore list-keys` prints it.
    let import: Value = serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
    let items: Vec<Value> = import["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| serde_json::json!({"Key": p["key"], "Value": p["value"]}))
        .collect();
    let listed = dir.path().join("key-value-store.listed.json");
    std::fs::write(&listed, serde_json::json!({"Items": items}).to_string()).unwrap();
    let with = codes(&[
        request,
        response,
        listed.to_str().unwrap(),
        "--policy",
        policy,
    ]);
    assert!(with.iter().all(|c| c == "drift-missing"), "{with:?}");
}
