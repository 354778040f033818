//! The long fuzzing run, outside CI (`scripts/fuzz.sh`): the property tests' generators at
//! counts set by environment variables, run in process (parse + validate, render) and through
//! the CLI (error paths). Ignored by default; CI runs the same properties at small counts in
//! `properties.rs`.
//!
//! - `CORSGEN_FUZZ_PARSE` (default 1,000,000): raw bytes, random TOML lines and random
//!   structured policies, each parsed, validated and its diagnostics rendered.
//! - `CORSGEN_FUZZ_RENDER` (default 100,000): random structured policies; every valid one is
//!   planned and rendered in memory.
//! - `CORSGEN_FUZZ_CLI` (default 10,000): the binary on broken policies, unknown environments,
//!   bad origins and headers, files that are not policies, in human and JSON form.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::properties::{check_no_panic, hostile_string, origin_value, policy_table, random_toml};
use crate::support::corsgen;

fn count(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    })
}

#[test]
#[ignore = "long: run by scripts/fuzz.sh"]
fn fuzz_parse_and_validate() {
    let total = count("CORSGEN_FUZZ_PARSE", 1_000_000);
    let third = total / 3;
    let started = std::time::Instant::now();
    runner(third)
        .run(&proptest::collection::vec(any::<u8>(), 0..600), |bytes| {
            check_no_panic(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .unwrap();
    runner(third)
        .run(&random_toml(), |text| {
            check_no_panic(&text);
            Ok(())
        })
        .unwrap();
    let rest = total - 2 * third;
    runner(rest)
        .run(&policy_table(), |table| {
            check_no_panic(&toml::to_string(&table).unwrap());
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fuzz: {total} parse + validate inputs (raw bytes, random TOML, structured policies), no panic, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
#[ignore = "long: run by scripts/fuzz.sh"]
fn fuzz_render() {
    // The count is of renders: random policies are drawn until that many valid ones rendered.
    let target = u64::from(count("CORSGEN_FUZZ_RENDER", 100_000));
    let rendered = Cell::new(0u64);
    let drawn = Cell::new(0u64);
    let started = std::time::Instant::now();
    while rendered.get() < target {
        runner(20_000)
            .run(&policy_table(), |table| {
                if rendered.get() >= target {
                    return Ok(());
                }
                drawn.set(drawn.get() + 1);
                let text = toml::to_string(&table).unwrap();
                let loaded =
                    corsgen::load_source(corsgen::source::PolicySource::new("p.toml", &text), None)
                        .unwrap();
                if let Some(policy) = &loaded.policy {
                    let generated = corsgen::generate(policy, &loaded.source);
                    prop_assert!(generated.is_ok(), "a valid policy fails to render:\n{text}");
                    if let Ok(Ok(generated)) = generated {
                        prop_assert!(!generated.files.is_empty());
                        rendered.set(rendered.get() + 1);
                    }
                }
                Ok(())
            })
            .unwrap();
    }
    eprintln!(
        "fuzz: {} renders of valid random policies ({} policies drawn), no panic, in {:.1} s",
        rendered.get(),
        drawn.get(),
        started.elapsed().as_secs_f64()
    );
}

/// One broken invocation: which command, and what is wrong with it.
fn broken_invocation() -> impl Strategy<Value = (u8, String, String, bool)> {
    (
        0u8..8,
        prop_oneof![
            random_toml(),
            policy_table().prop_map(|t| toml::to_string(&t).unwrap()),
            proptest::collection::vec(any::<u8>(), 0..200)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ],
        prop_oneof![origin_value(), hostile_string()],
        any::<bool>(),
    )
}

#[test]
#[ignore = "long: run by scripts/fuzz.sh"]
fn fuzz_cli_error_paths() {
    let total = count("CORSGEN_FUZZ_CLI", 10_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    let codes = std::cell::RefCell::new(std::collections::BTreeMap::<i32, u32>::new());
    let started = std::time::Instant::now();
    runner(total)
        .run(&broken_invocation(), |(command, text, value, json)| {
            // An argument cannot carry NUL: no shell or browser can pass one.
            let value = value.replace('\0', "");
            std::fs::write(&path, &text).unwrap();
            let p = path.to_str().unwrap();
            let out_dir = dir.path().join("out");
            let _ = std::fs::remove_dir_all(&out_dir);
            let out_s = out_dir.to_str().unwrap();
            let d = dir.path().to_str().unwrap();
            let mut args: Vec<&str> = match command {
                0 => vec!["validate", p],
                1 => vec!["validate", p, "--env", value.as_str()],
                2 => vec!["emit", p, "--out", out_s, "--check"],
                3 => vec!["check", p, "--origin", value.as_str()],
                4 => vec![
                    "check",
                    p,
                    "--origin",
                    "https://a.example.com",
                    "-H",
                    value.as_str(),
                ],
                5 => vec!["doctor", p],
                // A file in the way of emit: a refusal (exit 4) when the policy is valid.
                6 => {
                    std::fs::create_dir_all(&out_dir).unwrap();
                    std::fs::write(out_dir.join("README.md"), "# mine\n").unwrap();
                    vec!["emit", p, "--out", out_s]
                }
                // Unreadable: a directory where the policy should be.
                _ => vec!["validate", d],
            };
            if json {
                args.extend(["--format", "json"]);
            }
            let out = corsgen(dir.path(), &args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            prop_assert!(!stderr.contains("panicked"), "{:?}: {}", args, stderr);
            let code = out.status.code().unwrap_or(-1);
            prop_assert!((0..=4).contains(&code), "{:?} exited {}", args, code);
            if json {
                let parsed = serde_json::from_slice::<serde_json::Value>(&out.stdout);
                prop_assert!(parsed.is_ok(), "{:?}: not one JSON document", args);
                prop_assert_eq!(&parsed.unwrap()["schema_version"], 1);
            }
            *codes.borrow_mut().entry(code).or_default() += 1;
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fuzz: {total} CLI runs of the error paths, no panic, exit codes {:?}, in {:.1} s",
        codes.borrow(),
        started.elapsed().as_secs_f64()
    );
}
