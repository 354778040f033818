//! Helpers shared by the integration tests.

use serde_json::Value;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the built `corsgen` binary in `dir` with `args`.
pub(crate) fn corsgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corsgen"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run corsgen")
}

/// Fails loudly when a runtime the test needs is missing: tests never skip silently.
pub(crate) fn require_tool(tool: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{tool}` is required by this test and was not found on PATH; run scripts/test.sh, which installs it"
    );
}

/// Fails loudly when a Python module the test needs is missing.
pub(crate) fn python_module(module: &str) {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python module `{module}` is required by this test; run scripts/test.sh, which installs it"
    );
}

/// Runs `program args` with `input` on stdin; panics with its stderr unless it succeeds.
pub(crate) fn run_with_stdin(program: &str, args: &[&str], input: &str) -> String {
    require_tool(program);
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread").expect("write stdin");
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Renders a policy text (which must be valid) into a directory and returns the policy.
pub(crate) fn emit_into(text: &str, env: Option<&str>, dir: &Path) -> corsgen::model::Policy {
    let loaded = corsgen::load_source(corsgen::source::PolicySource::new("policy.toml", text), env)
        .expect("env exists");
    let policy = loaded
        .policy
        .unwrap_or_else(|| panic!("policy should be valid: {:?}\n{text}", loaded.diagnostics));
    let files = corsgen::generate(&policy, &loaded.source)
        .expect("render")
        .unwrap_or_else(|d| panic!("limits broken: {d:?}"))
        .files;
    corsgen::write::write(
        dir,
        &files,
        corsgen::write::Owner::of(&policy),
        corsgen::write::Options::default(),
    )
    .expect("write");
    policy
}

/// Every example policy under `policies/`, sorted, each once without an environment and once
/// per environment it defines.
pub(crate) fn example_policies() -> Vec<(PathBuf, Option<String>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let raw = corsgen::load(&path, None)
            .unwrap()
            .raw
            .expect("example policies parse");
        out.push((path.clone(), None));
        for env in corsgen::validate::env_names(&raw) {
            out.push((path.clone(), Some(env)));
        }
    }
    out
}

/// Runtimes of the Lambda snippets: (program, harness script, snippet path under `--out`).
pub(crate) const LAMBDA_RUNTIMES: [(&str, &str, &str); 2] = [
    ("python3", "lambda_python.py", "lambda/python/cors.py"),
    ("node", "lambda_node.mjs", "lambda/node/cors.mjs"),
];

/// Runs `tests/harness/<script>` in `runtime` over `cases`, loading the snippet from each of
/// `out_dirs` (a case's `module` indexes them); returns one result per case.
pub(crate) fn run_lambda_harness(
    (runtime, script, file): (&str, &str, &str),
    out_dirs: &[PathBuf],
    cases: &[serde_json::Value],
) -> Vec<serde_json::Value> {
    let modules: Vec<String> = out_dirs
        .iter()
        .map(|d| d.join(file).to_string_lossy().to_string())
        .collect();
    let input = serde_json::json!({"modules": modules, "cases": cases}).to_string();
    let harness = root().join("tests/harness").join(script);
    let results: Vec<serde_json::Value> = serde_json::from_str(&run_with_stdin(
        runtime,
        &[harness.to_str().unwrap()],
        &input,
    ))
    .unwrap();
    assert_eq!(
        results.len(),
        cases.len(),
        "{runtime} answered a different number of cases"
    );
    results
}

/// True when the tests should rewrite what they check instead of failing: `CORSGEN_UPDATE=1`
/// (every generated file at once, as `scripts/update.sh` sets it), or the test family's own
/// variable (`UPDATE_GOLDEN`, `UPDATE_DOCS`).
pub(crate) fn updating(own: &str) -> bool {
    std::env::var_os("CORSGEN_UPDATE").is_some() || std::env::var_os(own).is_some()
}

/// A JSON list of `[name, value]` pairs (a leg's `request_headers`, the harness's raw headers).
pub(crate) fn header_pairs(list: &serde_json::Value) -> Vec<(String, String)> {
    list.as_array()
        .expect("a list of [name, value] pairs")
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Nine headers Chromium safelists, each with a 128-byte value: 1,152 bytes together, past the
/// 1,024-byte total; without the first, exactly 1,024; without Accept, 1,024 plus the browser's
/// own `Accept: */*`.
pub(crate) fn safelisted_at_128_bytes() -> Vec<(&'static str, String)> {
    let digits = "1".repeat(128);
    [
        "DPR",
        "Width",
        "Viewport-Width",
        "Device-Memory",
        "RTT",
        "Downlink",
        "Intervention",
        "Accept",
        "Content-Language",
    ]
    .into_iter()
    .map(|n| (n, digits.clone()))
    .collect()
}

/// A YAML file as JSON (PyYAML reads it, as the tools that take it would).
pub(crate) fn yaml_to_json(path: &Path) -> Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The Properties of a CloudFormation template's OPTIONS methods and gateway responses, without
/// the ids that tie them to one API, serialized and sorted: what two templates that carry the
/// same CORS configuration agree on.
pub(crate) fn cors_properties(template: &Value) -> Vec<String> {
    let mut out: Vec<String> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| {
            r["Type"] == "AWS::ApiGateway::GatewayResponse"
                || (r["Type"] == "AWS::ApiGateway::Method"
                    && r["Properties"]["HttpMethod"] == "OPTIONS")
        })
        .map(|r| {
            let mut properties = r["Properties"].clone();
            let map = properties.as_object_mut().unwrap();
            map.remove("RestApiId");
            map.remove("ResourceId");
            properties.to_string()
        })
        .collect();
    out.sort();
    out
}
