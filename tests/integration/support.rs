//! Helpers shared by the integration tests.

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

/// Renders a policy text (which must be valid) into a directory.
pub(crate) fn emit_into(text: &str, env: Option<&str>, dir: &Path) {
    let loaded = corsgen::load_source(corsgen::source::PolicySource::new("policy.toml", text), env)
        .expect("env exists");
    let policy = loaded
        .policy
        .unwrap_or_else(|| panic!("policy should be valid: {:?}\n{text}", loaded.diagnostics));
    let files = corsgen::generate(&policy, &loaded.source).expect("render");
    corsgen::write::write(dir, &files).expect("write");
}
