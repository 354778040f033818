//! The AWS SAM fragments in the user's own tool. For every example and synthetic policy (API
//! Gateway on), `sam/` is emitted; `tests/harness/sam_translate.py` merges it into a sample
//! `AWS::Serverless::Api` as a user would (the app's own MOCK methods with
//! `integration-responses.json`, the `options` operations of `sam/definition-body.yaml`, the
//! `Auth` and `GatewayResponses` of `sam/api-properties.yaml`), translates it with
//! aws-sam-translator and lints the output with cfn-lint; the translated template, deployed
//! into LocalStack as a stack, answers the REST matrix (`localstack::requests`) as the engine.

use serde_json::{json, Value};

use crate::cdk::body_types;
use crate::cloudfront::emit_variant;
use crate::conformance::subjects;
use crate::localstack::templates_answer_as_the_engine;
use crate::support::{require_tool, root, run_with_stdin};

#[test]
fn sam_fragments_translate_lint_and_answer_as_the_engine_in_localstack() {
    require_tool("cfn-lint");
    let translator = std::process::Command::new("python3")
        .args(["-c", "import samtranslator"])
        .output()
        .expect("python3");
    assert!(
        translator.status.success(),
        "aws-sam-translator (PyPI) is required by this test; run scripts/test.sh, which installs it"
    );
    let dir = tempfile::tempdir().unwrap();
    let subjects: Vec<_> = subjects(dir.path())
        .into_iter()
        .filter(|s| s.policy.apigateway.is_some())
        .collect();
    let mut apps = Vec::new();
    for (i, subject) in subjects.iter().enumerate() {
        let mut policy = subject.policy.clone();
        policy.targets.insert("sam", corsgen::targets::Enabled::Yes);
        let out = dir.path().join(format!("sam{i}"));
        emit_variant(&policy, &subject.label, &out);
        apps.push(json!({
            "out": out,
            "body_types": body_types(),
            "template": out.join("sample.yaml"),
            "translated": out.join("translated.json"),
        }));
    }
    let harness = root().join("tests/harness/sam_translate.py");
    let results: Vec<Value> = serde_json::from_str(&run_with_stdin(
        "python3",
        &[harness.to_str().unwrap()],
        &json!({"apps": apps}).to_string(),
    ))
    .unwrap();
    let mut deploy = Vec::new();
    for ((subject, app), result) in subjects.iter().zip(&apps).zip(&results) {
        assert_eq!(result["ok"], true, "{}: {result}", subject.label);
        let translated: Value = serde_json::from_str(
            &std::fs::read_to_string(app["translated"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
        // The transform turned the Serverless API into a REST API with the gateway responses.
        let types: Vec<&str> = translated["Resources"]
            .as_object()
            .unwrap()
            .values()
            .map(|r| r["Type"].as_str().unwrap())
            .collect();
        assert!(types.contains(&"AWS::ApiGateway::RestApi"), "{types:?}");
        let body = translated["Resources"]
            .as_object()
            .unwrap()
            .values()
            .find(|r| r["Type"] == "AWS::ApiGateway::RestApi")
            .map(|r| &r["Properties"]["Body"])
            .unwrap();
        let configured = subject
            .policy
            .apigateway
            .as_ref()
            .unwrap()
            .gateway_responses
            .len();
        assert_eq!(
            body["x-amazon-apigateway-gateway-responses"]
                .as_object()
                .map_or(0, serde_json::Map::len),
            configured,
            "{}: gateway responses",
            subject.label
        );
        deploy.push(json!({"template": app["translated"]}));
    }
    eprintln!(
        "SAM: {} sample templates translate with aws-sam-translator and pass cfn-lint",
        apps.len()
    );
    templates_answer_as_the_engine(&subjects, &deploy, "SAM template");
}
