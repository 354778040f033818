//! The CLI contract: help text, diagnostics for every invalid case, exit codes, `--check`,
//! `init`, `schema`, shell completions, the manual page, `--color` and `--quiet`.

use std::collections::BTreeSet;

use crate::support::{corsgen, root};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn help_texts() {
    for args in [
        &["--help"][..],
        &["validate", "--help"],
        &["emit", "--help"],
        &["check", "--help"],
        &["probe", "--help"],
        &["doctor", "--help"],
        &["audit", "--help"],
        &["import", "--help"],
        &["schema", "--help"],
        &["serve", "--help"],
        &["init", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let out = corsgen(&root(), args);
        assert_eq!(out.status.code(), Some(0));
        insta::assert_snapshot!(
            format!("help_{}", args.join("_").replace("--", "")),
            stdout(&out)
        );
    }
}

fn invalid_cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(root().join("tests/invalid"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn validate_diagnostics_for_every_invalid_case() {
    let dir = root().join("tests");
    for case in invalid_cases() {
        let path = format!("invalid/{case}");
        let out = corsgen(&dir, &["validate", &path]);
        let expected_exit = if case.starts_with("warn-") { 0 } else { 3 };
        assert_eq!(
            out.status.code(),
            Some(expected_exit),
            "{case}:\n{}",
            stderr(&out)
        );
        let text = stderr(&out);
        assert!(!text.contains("panicked"), "{case}: {text}");
        for rust in [
            "i64",
            "i128",
            "u64",
            "a sequence",
            "expected a map",
            "RawPolicy",
        ] {
            assert!(!text.contains(rust), "{case}: a Rust type name in: {text}");
        }
        insta::assert_snapshot!(format!("validate_{}", case.trim_end_matches(".toml")), text);
    }
}

#[test]
fn invalid_cases_cover_every_diagnostic_code() {
    let dir = root().join("tests");
    let mut seen = BTreeSet::new();
    for case in invalid_cases() {
        let out = corsgen(
            &dir,
            &["validate", &format!("invalid/{case}"), "--format", "json"],
        );
        let report: serde_json::Value =
            serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{case}: {e}"));
        for d in report["diagnostics"].as_array().unwrap() {
            assert!(d["line"].as_u64().unwrap() >= 1, "{case}: {d}");
            assert!(d["column"].as_u64().unwrap() >= 1, "{case}: {d}");
            assert!(
                !d["help"].as_str().unwrap().is_empty(),
                "{case}: no help in {d}"
            );
            seen.insert(d["code"].as_str().unwrap().to_string());
        }
    }
    // A 5 MB KeyValueStore import file takes a policy of some 60,000 origins: the unit test in
    // src/targets/cloudfront/limits.rs covers that code instead.
    let missing: Vec<&str> = corsgen::diagnostic::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !seen.contains(*c) && *c != "key-value-store-limit")
        .collect();
    assert!(missing.is_empty(), "no invalid case exercises: {missing:?}");
}

#[test]
fn every_origin_mistake_is_reported_in_one_run_with_its_fix() {
    let out = corsgen(
        &root().join("tests"),
        &["validate", "invalid/origin-typos.toml", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let suggestions: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["suggestion"].as_str())
        .collect();
    assert!(suggestions.len() >= 12, "{suggestions:?}");
    assert!(suggestions.contains(&"https://example.com"));
    assert!(suggestions.contains(&"https://xn--rsum-bpad.com"));
    assert_eq!(report["valid"], false);
}

#[test]
fn exit_codes() {
    let r = root();
    assert_eq!(
        corsgen(&r, &["validate", "policies/example.toml"])
            .status
            .code(),
        Some(0)
    );
    let unknown_env = corsgen(&r, &["validate", "policies/multi-env.toml", "--env", "qa"]);
    assert_eq!(unknown_env.status.code(), Some(2));
    assert!(
        stderr(&unknown_env).contains("(the policy defines: dev, prod, stage)"),
        "{}",
        stderr(&unknown_env)
    );
    let typo = corsgen(
        &r,
        &["validate", "policies/multi-env.toml", "--env", "stag"],
    );
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("did you mean `stage`?"),
        "{}",
        stderr(&typo)
    );
    assert_eq!(
        corsgen(
            &r,
            &["validate", "policies/multi-env.toml", "--env", "stage"]
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(corsgen(&r, &["validate"]).status.code(), Some(2));
    assert_eq!(corsgen(&r, &["frobnicate"]).status.code(), Some(2));
    let missing = corsgen(&r, &["validate", "policies/nope.toml"]);
    assert_eq!(missing.status.code(), Some(4));
    assert!(stderr(&missing).contains("policies/nope.toml"));
    let invalid = corsgen(
        &r,
        &[
            "emit",
            "tests/invalid/any-origin-with-credentials.toml",
            "--out",
            "/nonexistent/never-written",
        ],
    );
    assert_eq!(invalid.status.code(), Some(3));
    assert!(!std::path::Path::new("/nonexistent/never-written").exists());
}

#[test]
fn emit_is_idempotent_and_check_reports_drift() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let out_s = out.to_str().unwrap();
    let policy = dir.path().join("api.toml");
    std::fs::copy(root().join("policies/example.toml"), &policy).unwrap();
    let policy_s = policy.to_str().unwrap();
    let first = corsgen(dir.path(), &["emit", policy_s, "--out", out_s]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        stderr(&first).contains(
            ": 23 created, 0 updated, 0 unchanged, 0 removed; .corsgen-manifest.json written"
        ),
        "{}",
        stderr(&first)
    );
    let again = corsgen(dir.path(), &["emit", policy_s, "--out", out_s]);
    assert!(
        stderr(&again).contains(": 0 created, 0 updated, 23 unchanged, 0 removed\n"),
        "{}",
        stderr(&again)
    );
    let clean = corsgen(dir.path(), &["emit", policy_s, "--out", out_s, "--check"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));

    let snippet = out.join("lambda/python/cors.py");
    let original = std::fs::read_to_string(&snippet).unwrap();
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text.replace("https://sp.example.com", "https://m.example.com"),
    )
    .unwrap();
    let drift = corsgen(
        dir.path(),
        &["emit", policy_s, "--out", out_s, "--check", "--full-diff"],
    );
    assert_eq!(drift.status.code(), Some(1));
    let diff = stdout(&drift);
    assert!(diff.contains("--- a/lambda/python/cors.py"), "{diff}");
    assert!(
        diff.contains("-            \"https://sp.example.com\","),
        "{diff}"
    );
    assert!(
        diff.contains("+            \"https://m.example.com\","),
        "{diff}"
    );
    assert!(
        stderr(&drift).contains("run `corsgen emit"),
        "{}",
        stderr(&drift)
    );
    // --check wrote nothing.
    assert_eq!(std::fs::read_to_string(&snippet).unwrap(), original);

    let repair = corsgen(dir.path(), &["emit", policy_s, "--out", out_s]);
    assert_eq!(repair.status.code(), Some(0), "{}", stderr(&repair));
    assert!(
        stderr(&repair).contains("  updated   lambda/python/cors.py\n"),
        "{}",
        stderr(&repair)
    );
    assert!(std::fs::read_to_string(&snippet)
        .unwrap()
        .contains("\"https://m.example.com\","));
    let clean = corsgen(dir.path(), &["emit", policy_s, "--out", out_s, "--check"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

#[test]
fn emit_json_reports_files_and_drift_in_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let policy = root().join("policies/per-route.toml");
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "emit".to_string(),
            policy.to_string_lossy().to_string(),
            "--out".into(),
            out.to_string_lossy().to_string(),
            "--format".into(),
            "json".into(),
        ];
        v.extend(extra.iter().map(|s| (*s).to_string()));
        v
    };
    let run = |a: Vec<String>| {
        corsgen(
            dir.path(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let first = run(args(&[]));
    assert_eq!(first.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_str(&stdout(&first)).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["emit"]["check"], false);
    let files = report["emit"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 11);
    assert!(files.iter().all(|f| f["action"] == "created"), "{files:?}");
    assert_eq!(report["emit"]["manifest_changed"], true);
    std::fs::remove_file(out.join("lambda/node/cors.mjs")).unwrap();
    let drift = run(args(&["--check"]));
    assert_eq!(drift.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&drift)).unwrap();
    let changed: Vec<&serde_json::Value> = report["emit"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["action"] != "unchanged")
        .collect();
    assert_eq!(
        changed,
        [&serde_json::json!({"path": "lambda/node/cors.mjs", "action": "created"})]
    );
    assert!(report["emit"]["diff"]
        .as_str()
        .unwrap()
        .contains("+++ b/lambda/node/cors.mjs"));
    let invalid = corsgen(
        &root(),
        &[
            "emit",
            "tests/invalid/duplicates.toml",
            "--out",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(invalid.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_str(&stdout(&invalid)).unwrap();
    assert_eq!(report["valid"], false);
    assert!(report.get("emit").is_none());
}

#[test]
fn with_format_json_every_outcome_is_one_json_document() {
    let r = root();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.har"), "{\"log\": ").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused_url = format!("http://{}/x", closed.local_addr().unwrap());
    drop(closed);
    let tmp = dir.path().to_str().unwrap();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["validate", "policies/example.toml"], 0, "valid"),
        (vec!["validate", "policies/nope.toml"], 4, "io"),
        (
            vec!["validate", "policies/multi-env.toml", "--env", "qa"],
            2,
            "usage",
        ),
        (
            vec!["validate", "tests/invalid/duplicates.toml"],
            3,
            "invalid",
        ),
        (vec!["validate", "--bogus-flag"], 2, "usage"),
        (vec!["emit", "policies/nope.toml", "--out", tmp], 4, "io"),
        (
            vec!["check", "policies/example.toml", "--origin", "https:/x.com"],
            2,
            "usage",
        ),
        (
            vec![
                "check",
                "tests/invalid/duplicates.toml",
                "--origin",
                "https://x.com",
            ],
            3,
            "invalid",
        ),
        (
            vec![
                "check",
                "policies/example.toml",
                "--origin",
                "https://www.example.com",
            ],
            0,
            "verdict",
        ),
        (
            vec![
                "check",
                "policies/example.toml",
                "--origin",
                "https://x.example",
            ],
            1,
            "verdict",
        ),
        (
            vec!["probe", &refused_url, "--origin", "https://a.example"],
            4,
            "io",
        ),
        (vec!["doctor", "nope.har"], 4, "io"),
    ];
    let bad_har = dir.path().join("bad.har");
    let mut all = cases;
    all.push((vec!["doctor", bad_har.to_str().unwrap()], 3, "invalid"));
    for (mut args, code, kind) in all {
        args.extend(["--format", "json"]);
        let out = corsgen(&r, &args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        let document: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not one JSON document ({e}):\n{}",
                stdout(&out)
            )
        });
        assert_eq!(document["schema_version"], 1, "{args:?}");
        match kind {
            "usage" | "io" => assert_eq!(document["error"]["kind"], kind, "{args:?}: {document}"),
            "invalid" if args[0] == "doctor" => assert_eq!(document["error"]["kind"], "invalid"),
            "invalid" => assert_eq!(document["valid"], false, "{args:?}"),
            "valid" => assert_eq!(document["valid"], true),
            _ => assert!(document["verdict"].is_string(), "{args:?}: {document}"),
        }
    }
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let out = corsgen(&root(), &["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(root().join("policy.schema.json")).unwrap();
    assert_eq!(
        stdout(&out),
        committed,
        "policy.schema.json is stale: run `cargo run -- schema > policy.schema.json`"
    );
}

/// The committed JSON Schema, run by a real validator, says what `validate` says: it accepts
/// every valid example and rejects each shape error validation rejects (version, max-age
/// range, gateway-response types, environment names, types, unknown keys).
#[test]
fn the_schema_says_what_validation_says() {
    crate::support::python_module("jsonschema");
    let base = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\n";
    let mut cases: Vec<(String, bool)> = ["example", "multi-env", "per-route", "public-api"]
        .iter()
        .map(|p| {
            (
                std::fs::read_to_string(root().join(format!("policies/{p}.toml"))).unwrap(),
                true,
            )
        })
        .collect();
    cases.push((corsgen::init::STARTER_POLICY.to_string(), true));
    cases.push((
        format!("{base}max-age = 86400\n[env.dev-1_a]\nmax-age = 0\n"),
        true,
    ));
    for invalid in [
        base.replace("version = 1", "version = 2"),
        format!("{base}max-age = 90000\n"),
        format!("{base}max-age = -1\n"),
        format!("{base}[apigateway]\ngateway-responses = [\"DEFAULT_4XX\", \"DEFAULT_4XXX\"]\n"),
        format!("{base}[env.\"a b\"]\nmax-age = 5\n"),
        format!("{base}allow-credentials = \"yes\"\n"),
        format!("{base}allow-origin = []\n"),
        format!("{base}[lambda]\nlanguages = [\"ruby\"]\n"),
        "version = 1\n".to_string(),
    ] {
        cases.push((invalid, false));
    }
    let input = serde_json::json!({
        "schema": root().join("policy.schema.json"),
        "policies": cases.iter().map(|(t, _)| t).collect::<Vec<_>>(),
    });
    let verdicts: Vec<bool> = serde_json::from_str(&crate::support::run_with_stdin(
        "python3",
        &[root()
            .join("tests/harness/schema_check.py")
            .to_str()
            .unwrap()],
        &input.to_string(),
    ))
    .unwrap();
    for ((text, expected), schema_valid) in cases.iter().zip(verdicts) {
        let loaded =
            corsgen::load_source(corsgen::source::PolicySource::new("p.toml", text), None).unwrap();
        assert_eq!(
            loaded.policy.is_some(),
            *expected,
            "corsgen on:\n{text}\n{:?}",
            loaded.diagnostics
        );
        assert_eq!(schema_valid, *expected, "the JSON Schema on:\n{text}");
    }
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("policy.schema.json")).unwrap())
            .unwrap();
    assert_eq!(schema["title"], "corsgen policy");
}

#[test]
fn init_writes_a_valid_policy_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let first = corsgen(dir.path(), &["init"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let valid = corsgen(dir.path(), &["validate", "corsgen.toml"]);
    assert_eq!(valid.status.code(), Some(0), "{}", stderr(&valid));
    std::fs::write(dir.path().join("corsgen.toml"), "# mine\n").unwrap();
    let second = corsgen(dir.path(), &["init"]);
    assert_eq!(second.status.code(), Some(4));
    assert!(stderr(&second).contains("never overwrites"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("corsgen.toml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn diagnostics_never_show_a_backtrace_even_for_binary_garbage() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bin.toml"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let out = corsgen(dir.path(), &["validate", "bin.toml"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a policy that is not UTF-8 is invalid, not unreadable"
    );
    let text = stderr(&out);
    assert!(
        text.contains("error[invalid-encoding]: the policy is not UTF-8 text: byte 0xFF"),
        "{text}"
    );
    assert!(text.contains("--> bin.toml:1:1"), "{text}");
    assert!(
        !text.contains('\u{0}'),
        "control characters never reach the terminal raw"
    );
    assert!(!text.contains("panicked"));
    std::fs::write(
        dir.path().join("late.toml"),
        b"version = 1\n[cors]\nallow-origins = [\"https://a.com\xe9\"]\n",
    )
    .unwrap();
    let late = corsgen(dir.path(), &["validate", "late.toml", "--format", "json"]);
    assert_eq!(late.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_str(&stdout(&late)).unwrap();
    assert_eq!(report["diagnostics"][0]["code"], "invalid-encoding");
    assert_eq!(report["diagnostics"][0]["line"], 3);
    assert_eq!(report["diagnostics"][0]["column"], 32);
    // The same file saved with CRLF line endings: the same place.
    std::fs::write(
        dir.path().join("crlf.toml"),
        b"version = 1\r\n[cors]\r\nallow-origins = [\"https://a.com\xe9\"]\r\n",
    )
    .unwrap();
    let crlf = corsgen(dir.path(), &["validate", "crlf.toml", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&crlf)).unwrap();
    assert_eq!(
        (
            report["diagnostics"][0]["line"].clone(),
            report["diagnostics"][0]["column"].clone()
        ),
        (3.into(), 32.into())
    );
}

#[test]
fn completions_and_the_manual_page_are_valid_for_their_tools() {
    // bash parses the script; every other shell's names every command.
    let out = corsgen(&root(), &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = stdout(&out);
    let bash = crate::support::run_with_stdin("bash", &["-n"], &script);
    assert!(bash.is_empty(), "{bash}");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = corsgen(&root(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        for command in [
            "validate",
            "emit",
            "check",
            "probe",
            "doctor",
            "completions",
            "man",
        ] {
            assert!(
                script.contains(command),
                "{shell} completion lacks {command}"
            );
        }
        assert!(script.contains("quiet"), "{shell}");
    }
    let out = corsgen(&root(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));

    // groff reads the page without a warning (-ww: all warnings), and it documents the commands.
    let out = corsgen(&root(), &["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    assert!(page.contains(".TH corsgen 1"), "{page}");
    let warnings = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(page.as_bytes())?;
            child.wait_with_output()
        })
        .expect("groff is required by this test (Debian package groff-base); run scripts/test.sh");
    assert!(warnings.status.success());
    assert_eq!(String::from_utf8_lossy(&warnings.stderr), "");
    for command in [
        "validate", "emit", "check", "probe", "doctor", "audit", "import", "serve", "schema",
        "init",
    ] {
        assert!(page.contains(command), "the manual page lacks {command}");
    }
}

#[test]
fn color_and_quiet() {
    let warn = "tests/invalid/warn-only.toml";
    let escape = |o: &std::process::Output| stderr(o).contains("\u{1b}[");
    // Colour only when asked (or on a terminal without NO_COLOR: a pipe here).
    let always = corsgen(&root(), &["--color", "always", "validate", warn]);
    assert!(escape(&always), "{}", stderr(&always));
    assert!(!escape(&corsgen(&root(), &["validate", warn])));
    assert!(!escape(&corsgen(
        &root(),
        &["validate", warn, "--color", "never"]
    )));
    let no_color = std::process::Command::new(env!("CARGO_BIN_EXE_corsgen"))
        .args(["validate", warn, "--color", "auto"])
        .env("NO_COLOR", "1")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!escape(&no_color));
    // The same diagnostics, coloured or not.
    let plain = corsgen(&root(), &["validate", warn]);
    let stripped: String = {
        let text = stderr(&always);
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    assert_eq!(stripped, stderr(&plain));

    // On a terminal (a pseudo-terminal from `script`), `auto` colours unless NO_COLOR is set.
    crate::support::require_tool("script");
    let on_terminal = |no_color: bool| {
        let command = format!("{} validate {warn}", env!("CARGO_BIN_EXE_corsgen"));
        let mut script = std::process::Command::new("script");
        script
            .args(["-qec", &command, "/dev/null"])
            .current_dir(root())
            .env_remove("NO_COLOR")
            .env("TERM", "xterm");
        if no_color {
            script.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&script.output().unwrap().stdout).contains('\u{1b}')
    };
    assert!(on_terminal(false), "auto colours on a terminal");
    assert!(!on_terminal(true), "NO_COLOR turns it off");

    // --quiet hides warnings and progress, never errors, verdicts or findings.
    let quiet = corsgen(&root(), &["validate", warn, "--quiet"]);
    assert_eq!(
        (quiet.status.code(), stderr(&quiet)),
        (Some(0), String::new())
    );
    let errors = corsgen(&root(), &["-q", "validate", "tests/invalid/headers.toml"]);
    assert!(stderr(&corsgen(
        &root(),
        &["validate", "tests/invalid/headers.toml"]
    ))
    .contains("warning["));
    assert_eq!(errors.status.code(), Some(3));
    assert!(stderr(&errors).contains("error["), "{}", stderr(&errors));
    assert!(!stderr(&errors).contains("warning["), "{}", stderr(&errors));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let emit = corsgen(
        &root(),
        &[
            "emit",
            "policies/example.toml",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(
        (emit.status.code(), stderr(&emit)),
        (Some(0), String::new())
    );
    assert!(out.join("README.md").exists() && out.join(".corsgen-manifest.json").exists());
    // A refusal is never hidden.
    let refused = tmp.path().join("refused");
    std::fs::create_dir_all(refused.join("lambda/python")).unwrap();
    std::fs::write(refused.join("lambda/python/cors.py"), "# mine\n").unwrap();
    let emit = corsgen(
        &root(),
        &[
            "emit",
            "policies/example.toml",
            "--out",
            refused.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(emit.status.code(), Some(4));
    assert!(stderr(&emit).contains("refused"), "{}", stderr(&emit));
    let check = corsgen(
        &root(),
        &[
            "check",
            "policies/example.toml",
            "--origin",
            "https://evil.example",
            "-q",
        ],
    );
    assert_eq!(check.status.code(), Some(1));
    assert!(stdout(&check).contains("verdict: blocked"));
}
