//! The Serverless Framework fragments in the framework itself. For every example and synthetic
//! policy (API Gateway on), `serverless/` is emitted and a sample service uses it as its README
//! says (`resources: - ${file(...)}`, `provider.httpApi` from `http-api-cors.yml`), with
//! function `http` events on every other resource of the policy (so some resources are the
//! framework's and some the fragment's). `serverless package` (serverless 3, pinned in
//! `tests/harness/package-lock.json`; it packages offline) must succeed, and in the packaged
//! template: every resource and method of the fragment is there as written (a resource the
//! framework also made is the same one), every reference resolves, the HTTP API's
//! CorsConfiguration is the one `apigateway/http-api.*` hold, and cfn-lint passes.
//!
//! Not deployed into LocalStack: the packaged template's functions need Lambda, which LocalStack
//! runs only with Docker. The OPTIONS methods are the same resources, property for property, as
//! `apigateway/cloudformation.yaml`, which `localstack.rs` deploys (checked here too).

use serde_json::Value;

use crate::cloudfront::emit_variant;
use crate::conformance::subjects;
use crate::support::{cors_properties, require_tool, root, yaml_to_json};

/// The sample service: `events` are the policy paths with a function `http` event.
fn service(name: &str, events: &[&str], http_api: bool) -> String {
    let mut text = format!(
        "service: {name}\nframeworkVersion: \"3\"\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  region: us-east-1\n"
    );
    if http_api {
        text.push_str("  httpApi: ${file(./out/serverless/http-api-cors.yml):provider.httpApi}\n");
    }
    text.push_str("functions:\n  api:\n    handler: handler.main\n    events:\n");
    for path in events {
        let path = match path.trim_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        text.push_str(&format!(
            "      - http:\n          path: {}\n          method: get\n",
            serde_json::to_string(path).unwrap()
        ));
    }
    if http_api {
        text.push_str("      - httpApi:\n          path: /http\n          method: get\n");
    }
    text.push_str("resources:\n  - ${file(./out/serverless/resources.yml)}\n");
    text
}

/// Every `{"Ref": id}` in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("Ref") {
                out.push(id.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn serverless_fragments_package_with_the_framework_and_keep_its_logical_ids() {
    require_tool("cfn-lint");
    let sls = root().join("tests/harness/node_modules/serverless/bin/serverless.js");
    assert!(
        sls.exists(),
        "serverless (npm) is required by this test; run scripts/test.sh, which installs it (npm ci, cached under ~/.cache/corsgen)"
    );
    let dir = tempfile::tempdir().unwrap();
    let subjects: Vec<_> = subjects(dir.path())
        .into_iter()
        .filter(|s| s.policy.apigateway.is_some())
        .collect();
    let mut services = Vec::new();
    for (i, subject) in subjects.iter().enumerate() {
        let mut policy = subject.policy.clone();
        policy
            .targets
            .insert("serverless", corsgen::targets::Enabled::Yes);
        let service_dir = dir.path().join(format!("service{i}"));
        emit_variant(&policy, &subject.label, &service_dir.join("out"));
        let paths = crate::localstack::resources(&subject.out);
        let events: Vec<&str> = paths.iter().step_by(2).map(String::as_str).collect();
        let http_api = service_dir
            .join("out/serverless/http-api-cors.yml")
            .exists();
        std::fs::write(
            service_dir.join("serverless.yml"),
            service(&format!("corsgen-sample-{i}"), &events, http_api),
        )
        .unwrap();
        std::fs::write(
            service_dir.join("handler.js"),
            "exports.main = async () => ({ statusCode: 200, body: \"ok\" });\n",
        )
        .unwrap();
        services.push((service_dir, http_api));
    }
    // Two at a time: each is a node process of a few hundred MB for a few seconds.
    std::thread::scope(|scope| {
        for chunk in services.chunks(services.len().div_ceil(2)) {
            let sls = &sls;
            scope.spawn(move || {
                for (service_dir, _) in chunk {
                    let out = std::process::Command::new("node")
                        .arg(sls)
                        .args(["package", "--stage", "dev"])
                        .current_dir(service_dir)
                        .env("SLS_TELEMETRY_DISABLED", "1")
                        .env("SLS_NOTIFICATIONS_MODE", "off")
                        .env("SLS_DEPRECATION_DISABLE", "*")
                        .env_remove("AWS_ACCESS_KEY_ID")
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "serverless package in {}:\n{}{}",
                        service_dir.display(),
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            });
        }
    });
    let mut packaged = Vec::new();
    let mut http_apis = 0;
    for ((service_dir, http_api), subject) in services.iter().zip(&subjects) {
        let path = service_dir.join(".serverless/cloudformation-template-update-stack.json");
        let template: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let resources = template["Resources"].as_object().unwrap();
        let fragment = yaml_to_json(&service_dir.join("out/serverless/resources.yml"));
        for (id, resource) in fragment["Resources"].as_object().unwrap() {
            assert_eq!(
                resources.get(id),
                Some(resource),
                "{}: {id} is not in the packaged template as the fragment writes it",
                subject.label
            );
        }
        // One resource per path: a wrong logical id would make a second one beside the
        // framework's.
        let mut places = std::collections::BTreeSet::new();
        for resource in resources.values() {
            if resource["Type"] == "AWS::ApiGateway::Resource" {
                let p = &resource["Properties"];
                assert!(
                    places.insert((p["ParentId"].to_string(), p["PathPart"].to_string())),
                    "{}: two resources for {}",
                    subject.label,
                    p["PathPart"]
                );
            }
        }
        // The methods of the function events sit on the fragment's resources.
        let ids: Vec<&String> = fragment["Resources"].as_object().unwrap().keys().collect();
        for (id, method) in resources {
            let p = &method["Properties"];
            if method["Type"] == "AWS::ApiGateway::Method" && p["HttpMethod"] == "GET" {
                if let Some(target) = p["ResourceId"]["Ref"].as_str() {
                    assert!(
                        ids.iter().any(|i| *i == target),
                        "{}: {id} is on {target}, which the fragment does not name",
                        subject.label
                    );
                }
            }
        }
        let mut referenced = Vec::new();
        refs(&fragment, &mut referenced);
        for id in referenced {
            assert!(resources.contains_key(&id), "{}: Ref {id}", subject.label);
        }
        // The OPTIONS methods are apigateway/cloudformation.yaml's, property for property.
        let standalone = yaml_to_json(&service_dir.join("out/apigateway/cloudformation.yaml"));
        let ours = cors_properties(&fragment);
        let theirs = cors_properties(&standalone);
        assert_eq!(ours, theirs, "{}", subject.label);
        if *http_api {
            let openapi: Value = serde_json::from_str(
                &std::fs::read_to_string(service_dir.join("out/apigateway/http-api.openapi.json"))
                    .unwrap(),
            )
            .unwrap();
            let cors = &openapi["x-amazon-apigateway-cors"];
            let api = resources
                .values()
                .find(|r| r["Type"] == "AWS::ApiGatewayV2::Api")
                .expect("the HTTP API");
            let got = &api["Properties"]["CorsConfiguration"];
            for (ours, theirs) in [
                ("allowOrigins", "AllowOrigins"),
                ("allowMethods", "AllowMethods"),
                ("allowHeaders", "AllowHeaders"),
                ("exposeHeaders", "ExposeHeaders"),
                ("maxAge", "MaxAge"),
            ] {
                assert_eq!(got[theirs], cors[ours], "{}: {theirs}", subject.label);
            }
            assert_eq!(
                got["AllowCredentials"].as_bool().unwrap_or(false),
                cors["allowCredentials"].as_bool().unwrap(),
                "{}",
                subject.label
            );
            http_apis += 1;
        }
        packaged.push(path);
    }
    assert!(http_apis > 0, "no policy fits HTTP API CORS");
    // W3005: the framework's own HTTP API route repeats a dependency its Ref already makes.
    let lint = std::process::Command::new("cfn-lint")
        .args(["--ignore-checks", "W3005", "--"])
        .args(&packaged)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    eprintln!(
        "Serverless: {} services package with the fragment, keep its logical ids and pass cfn-lint ({http_apis} with the HTTP API block)",
        packaged.len()
    );
}
