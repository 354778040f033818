//! Lambda function URL CORS: the three formats configure the same `Cors`, equal to the engine's
//! static configuration; `function-url/configure.sh` runs under `sh` against a stand-in `aws`
//! (creating a URL, then updating one with a qualifier) and passes the same `--cors` JSON even
//! for a header name with a `'`; cfn-lint and the provider's attribute tables check the rest.
//! The Lambda snippets' part (they only remove the handler's CORS headers when the URL owns
//! them) runs in python3 and node in `conformance.rs`.
//!
//! Not proven on an AWS implementation, by name: LocalStack can create function URLs but
//! cannot invoke a function without Docker, which this machine does not have, and its function
//! URLs do not apply their `Cors` (its own CORS layer answers instead); so the answers stay
//! with the engine and the formats are held to it.

use std::process::Command;

use serde_json::{json, Value};

use crate::support::{emit_into, python_module, require_tool, root, run_with_stdin};

const SUBJECTS: [&str; 3] = [
    r#"version = 1
name = "orders-url"
[cors]
allow-origins = ["https://app.example.com", "http://localhost:5173"]
allow-credentials = true
allow-methods = ["PUT", "DELETE", "PATCH"]
allow-headers = ["Content-Type", "X-It's"]
expose-headers = ["ETag", "X-Request-Id"]
max-age = 300
[apigateway]
enabled = false
[cloudfront]
enabled = false
[function-url]
enabled = true
"#,
    r#"version = 1
[cors]
allow-origins = ["*"]
allow-headers = ["If-None-Match"]
max-age = 0
[apigateway]
enabled = false
[function-url]
enabled = true
"#,
    r#"version = 1
[cors]
allow-origins = ["https://only.example.org"]
[apigateway]
enabled = false
[cloudfront]
enabled = false
[function-url]
enabled = "if-fits"
"#,
];

#[test]
fn function_url_formats_configure_the_engines_cors_and_the_script_applies_it() {
    require_tool("cfn-lint");
    python_module("hcl2");
    python_module("yaml");
    let work = tempfile::tempdir().unwrap();
    let mut templates = Vec::new();
    for (i, text) in SUBJECTS.iter().enumerate() {
        let out = work.path().join(format!("p{i}"));
        let policy = emit_into(text, None, &out);
        assert!(policy.emits_configuration("function-url"), "subject {i}");
        let script = root().join("tests/harness/static_artifacts.py");
        let formats: Value = serde_json::from_str(&run_with_stdin(
            "python3",
            &[script.to_str().unwrap(), out.to_str().unwrap()],
            "",
        ))
        .unwrap();
        let url = &formats["function_url"];
        let values = corsgen::targets::function_url::PLATFORM.values(&policy);
        let expected = json!({
            "origins": values.allow_origins,
            "methods": values.allow_methods,
            "headers": values.allow_headers,
            "expose": values.expose_headers,
            "credentials": values.allow_credentials,
            "max_age": values.max_age,
        });
        for format in ["script", "cloudformation", "terraform"] {
            assert_eq!(url[format], expected, "subject {i}: {format}");
        }
        let calls: Vec<Vec<&str>> = url["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c.as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect()
            })
            .collect();
        let cors = calls[1].last().copied().unwrap();
        assert_eq!(
            calls,
            vec![
                vec![
                    "lambda",
                    "get-function-url-config",
                    "--function-name",
                    "my-function"
                ],
                vec![
                    "lambda",
                    "create-function-url-config",
                    "--function-name",
                    "my-function",
                    "--auth-type",
                    "AWS_IAM",
                    "--cors",
                    cors,
                ],
                vec![
                    "lambda",
                    "get-function-url-config",
                    "--function-name",
                    "my-function",
                    "--qualifier",
                    "live",
                ],
                vec![
                    "lambda",
                    "update-function-url-config",
                    "--function-name",
                    "my-function",
                    "--qualifier",
                    "live",
                    "--cors",
                    cors,
                ],
                // A public URL: created, then both statements anyone needs to invoke it.
                vec![
                    "lambda",
                    "get-function-url-config",
                    "--function-name",
                    "public-function"
                ],
                vec![
                    "lambda",
                    "create-function-url-config",
                    "--function-name",
                    "public-function",
                    "--auth-type",
                    "NONE",
                    "--cors",
                    cors,
                ],
                vec![
                    "lambda",
                    "add-permission",
                    "--function-name",
                    "public-function",
                    "--statement-id",
                    "corsgen-function-url-public",
                    "--action",
                    "lambda:InvokeFunctionUrl",
                    "--principal",
                    "*",
                    "--function-url-auth-type",
                    "NONE",
                ],
                vec![
                    "lambda",
                    "add-permission",
                    "--function-name",
                    "public-function",
                    "--statement-id",
                    "corsgen-function-url-invoke",
                    "--action",
                    "lambda:InvokeFunction",
                    "--principal",
                    "*",
                    "--invoked-via-function-url",
                ],
            ],
            "subject {i}"
        );
        // The snippets leave the headers to the URL.
        if out.join("lambda/python/cors.py").exists() {
            let python = std::fs::read_to_string(out.join("lambda/python/cors.py")).unwrap();
            assert!(python.contains("\n_URL_OWNS_CORS = True\n"), "subject {i}");
        }
        templates.push(out.join("function-url/cloudformation.yaml"));
    }
    let lint = Command::new("cfn-lint").args(&templates).output().unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
}
