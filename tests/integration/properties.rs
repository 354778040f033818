//! Property tests: no input makes parse or validate panic, and every policy that validates
//! renders snippets that load and run in python3 and node, whatever hostile strings it holds.

use std::cell::RefCell;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

use crate::support::{emit_into, run_lambda_harness, LAMBDA_RUNTIMES};

pub(crate) fn check_no_panic(text: &str) {
    let source = corsgen::source::PolicySource::new("fuzz.toml", text);
    if let Ok(loaded) = corsgen::load_source(source.clone(), None) {
        // Rendering diagnostics must not panic either (spans at odd offsets, odd characters).
        let _ = corsgen::report::human(&source, &loaded.diagnostics, true);
        let _ = corsgen::report::json(&source, &loaded.diagnostics, None);
    }
}

proptest! {
    #![proptest_config(Config { cases: 512, ..Config::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_no_panic(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_toml_never_panics(text in random_toml()) {
        check_no_panic(&text);
    }
}

const HOSTILE: &[&str] = &[
    "'",
    "\"",
    "\\",
    "\n",
    "\r\n",
    "</script>",
    "*/",
    "-->",
    "${x}",
    "`",
    "\u{2028}",
    "\u{0}",
    "é",
    "😀",
    "#",
    "{{x}}",
];

pub(crate) fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(HOSTILE).prop_map(str::to_string),
        "[ -~]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
        (proptest::sample::select(HOSTILE), "[a-z]{0,5}").prop_map(|(h, s)| format!("{s}{h}{s}")),
    ]
}

pub(crate) fn origin_value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::sample::select(&[
            "https://example.com", "https://a.example.org:8443", "http://localhost:3000", "https://*.example.net",
            "https://xn--rsum-bpad.com", "http://[::1]:8080",
        ][..]).prop_map(str::to_string),
        8 => "https://[a-z]{1,8}\\.(com|org|example)",
        1 => proptest::sample::select(&["*", "null", "https:/x.com", "https://x.com/", "https://*.co.uk", "HTTPS://X.COM", "https://résumé.com"][..])
            .prop_map(str::to_string),
        1 => hostile_string(),
    ]
}

fn token_value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::sample::select(&[
            "PUT", "DELETE", "patch", "Content-Type", "Authorization", "X-Odd'Name", "X-Back`tick", "X-Pipe|Name",
            "a~b^c", "X-Request-Id", "X-#$%&*+!.",
        ][..]).prop_map(str::to_string),
        1 => proptest::sample::select(&["GET", "*", "TRACE", "Cookie", "Set-Cookie", "Access-Control-Allow-Origin"][..]).prop_map(str::to_string),
        1 => hostile_string(),
    ]
}

pub(crate) fn policy_table() -> impl Strategy<Value = toml::Table> {
    let list = |s: BoxedStrategy<String>| proptest::collection::vec(s, 0..4);
    let path = prop_oneof![
        4 => proptest::sample::select(&["/", "/orders/{id}", "/public/{proxy+}", "/a/b-c/{x}/{rest+}"][..]).prop_map(str::to_string),
        1 => "/[a-z{}+]{0,10}",
    ];
    let env_name = prop_oneof![4 => "[a-z_-]{1,6}", 1 => hostile_string()];
    (
        hostile_string(),
        proptest::collection::vec(origin_value().boxed(), 1..4),
        proptest::bool::weighted(0.3),
        list(token_value().boxed()),
        list(token_value().boxed()),
        list(token_value().boxed()),
        prop_oneof![3 => Just(None), 6 => (0i64..7200).prop_map(Some), 1 => (-10i64..100_000).prop_map(Some)],
        proptest::option::of((path, list(origin_value().boxed()))),
        proptest::option::of((env_name, list(origin_value().boxed()))),
        (
            proptest::bool::weighted(0.8),
            prop_oneof![6 => Just(Some("first")), 2 => Just(Some("reflect")), 1 => Just(None), 1 => Just(Some("all"))],
            prop_oneof![4 => Just(None), 4 => Just(Some(false)), 1 => Just(Some(true))],
        ),
    )
        .prop_map(|(name, origins, credentials, methods, headers, expose, max_age, route, env, api)| {
            let mut cors = toml::Table::new();
            cors.insert("allow-origins".into(), origins.into());
            cors.insert("allow-credentials".into(), credentials.into());
            cors.insert("allow-methods".into(), methods.into());
            cors.insert("allow-headers".into(), headers.into());
            cors.insert("expose-headers".into(), expose.into());
            if let Some(m) = max_age {
                cors.insert("max-age".into(), m.into());
            }
            let mut table = toml::Table::new();
            table.insert("version".into(), 1.into());
            table.insert("name".into(), name.into());
            table.insert("cors".into(), cors.into());
            if let Some((path, origins)) = route {
                let mut r = toml::Table::new();
                r.insert("path".into(), path.into());
                r.insert("allow-origins".into(), origins.into());
                table.insert("route".into(), toml::Value::Array(vec![r.into()]));
            }
            if let Some((env_name, extra)) = env {
                let mut e = toml::Table::new();
                e.insert("extra-origins".into(), extra.into());
                let mut envs = toml::Table::new();
                envs.insert(env_name, e.into());
                table.insert("env".into(), envs.into());
            }
            let (enabled, choice, http_api) = api;
            let mut a = toml::Table::new();
            a.insert("enabled".into(), enabled.into());
            if let Some(choice) = choice {
                a.insert("gateway-response-origin".into(), choice.into());
            }
            if let Some(http_api) = http_api {
                a.insert("http-api".into(), http_api.into());
            }
            table.insert("apigateway".into(), a.into());
            table
        })
}

pub(crate) fn random_toml() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[cors]".to_string()),
        Just("[[route]]".to_string()),
        Just("[env.dev]".to_string()),
        Just("[lambda]".to_string()),
        Just("version = 1".to_string()),
        (
            proptest::sample::select(
                &[
                    "allow-origins",
                    "allow-methods",
                    "allow-headers",
                    "expose-headers",
                    "extra-origins",
                    "path",
                    "max-age",
                    "allow-credentials",
                    "languages",
                    "name",
                    "bogus"
                ][..]
            ),
            prop_oneof![
                hostile_string().prop_map(|s| toml::Value::String(s).to_string()),
                proptest::collection::vec(origin_value(), 0..3)
                    .prop_map(|v| toml::Value::from(v).to_string()),
                any::<i64>().prop_map(|i| i.to_string()),
                Just("true".to_string()),
                Just("[1, \"a\"]".to_string()),
                Just("{ a = 1 }".to_string()),
            ]
        )
            .prop_map(|(k, v)| format!("{k} = {v}")),
        "[ -~]{0,20}",
    ];
    proptest::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

#[test]
fn valid_random_policies_render_snippets_that_run_in_python_and_node() {
    let dir = tempfile::tempdir().unwrap();
    let valid = RefCell::new(Vec::new());
    // Random tables validate about one time in ten; enough cases that 50 valid ones are all but
    // certain, and the runtimes then run at most 80 of them.
    let mut runner = TestRunner::new(Config {
        cases: 2000,
        ..Config::default()
    });
    runner
        .run(&policy_table(), |table| {
            let text = toml::to_string(&table).unwrap();
            check_no_panic(&text);
            let loaded =
                corsgen::load_source(corsgen::source::PolicySource::new("p.toml", &text), None)
                    .unwrap();
            if loaded.policy.is_some() && valid.borrow().len() < 80 {
                let mut valid = valid.borrow_mut();
                let out = dir.path().join(format!("v{}", valid.len()));
                let policy = emit_into(&text, None, &out);
                valid.push((out, policy));
            }
            Ok(())
        })
        .unwrap();
    let valid = valid.into_inner();
    eprintln!("{} valid random policies", valid.len());
    assert!(
        valid.len() >= 50,
        "only {} of the random policies validated; the generator needs tuning",
        valid.len()
    );

    let event =
        json!({"httpMethod": "GET", "path": "/", "headers": {"Origin": "https://example.com"}});
    let expected: Vec<serde_json::Value> = valid
        .iter()
        .map(|(_, policy)| {
            let request = corsgen::engine::Request {
                method: "GET",
                path: "/",
                origin: Some("https://example.com"),
                request_method: None,
            };
            let d = corsgen::engine::decide(policy, &request);
            json!(d
                .headers
                .iter()
                .map(|(k, v)| json!([k, v]))
                .collect::<Vec<_>>())
        })
        .collect();
    let out_dirs: Vec<PathBuf> = valid.iter().map(|(d, _)| d.clone()).collect();
    let cases: Vec<serde_json::Value> = (0..valid.len())
        .map(|i| json!({"module": i, "event": event, "response": {"statusCode": 200}}))
        .collect();
    for lambda_runtime in LAMBDA_RUNTIMES {
        let runtime = lambda_runtime.0;
        let results = run_lambda_harness(lambda_runtime, &out_dirs, &cases);
        for ((result, want), (dir, _)) in results.iter().zip(&expected).zip(&valid) {
            assert_eq!(&result["headers"], want, "{runtime}: {}", dir.display());
        }
        eprintln!(
            "{runtime}: {} random valid policies loaded and answered like the engine",
            valid.len()
        );
    }
}
