//! `emit` in a real folder, through the CLI: it owns exactly the files its manifest lists,
//! refuses everything else (exit 4, nothing written), keeps modes, adopts an output directory
//! written before manifests existed, and `--check` names what it would remove or refuses
//! before the diff.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::{corsgen, root};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Every file under `dir` (links not followed) with its bytes and mode, and every link with its
/// target: a tree to compare before and after.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut found = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        for entry in std::fs::read_dir(dir.join(&relative)).unwrap() {
            let entry = entry.unwrap();
            let rel = relative.join(entry.file_name());
            let name = rel.to_string_lossy().to_string();
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(entry.path()).unwrap();
                found.insert(
                    name,
                    (target.to_string_lossy().into_owned().into_bytes(), 0),
                );
            } else if meta.is_dir() {
                stack.push(rel);
            } else {
                found.insert(
                    name,
                    (
                        std::fs::read(entry.path()).unwrap(),
                        meta.permissions().mode() & 0o7777,
                    ),
                );
            }
        }
    }
    found
}

/// Paths listed in the manifest at `out`, if there is one that parses.
fn manifest_paths(out: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(out.join(corsgen::write::MANIFEST)) else {
        return Vec::new();
    };
    // A planted (hand-written) manifest lists nothing corsgen would accept.
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    manifest["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["path"].as_str().map(str::to_string))
        .collect()
}

/// `corsgen ARGS` in `dir` under `umask`.
fn corsgen_umask(dir: &Path, umask: &str, args: &[&str]) -> Output {
    let mut script = format!("umask {umask} && exec \"$0\"");
    for i in 0..args.len() {
        script.push_str(&format!(" \"${}\"", i + 1));
    }
    Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_corsgen"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run corsgen")
}

/// Replaces `from` with `to` in `dir/corsgen.toml`.
fn edit_policy(dir: &Path, edits: &[(&str, &str)]) {
    let path = dir.join("corsgen.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from} is not in the policy");
        text = text.replace(from, to);
    }
    std::fs::write(path, text).unwrap();
}

const ONLY_PYTHON: (&str, &str) = (
    "languages = [\"python\", \"node\"]",
    "languages = [\"python\"]",
);
const MAX_AGE_300: (&str, &str) = ("max-age = 600", "max-age = 300");

/// A folder with the example policy as `corsgen.toml`, emitted into `gen/`.
fn emitted_example() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    example_policy(tmp.path());
    let first = corsgen(tmp.path(), &["emit", "corsgen.toml", "--out", "gen"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    tmp
}

fn example_policy(dir: &Path) -> PathBuf {
    let path = dir.join("corsgen.toml");
    std::fs::copy(root().join("policies/example.toml"), &path).unwrap();
    path
}

#[test]
fn in_a_real_repository_emit_never_touches_what_it_does_not_own() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    example_policy(dir);
    // Another environment's output in a sub-folder, written by corsgen itself.
    let nested = corsgen(
        dir,
        &["emit", "corsgen.toml", "--out", "infra/dev", "--env", "dev"],
    );
    assert_eq!(nested.status.code(), Some(0), "{}", stderr(&nested));
    // A hand-written README, and a copy of the Python snippet next to a handler.
    std::fs::write(dir.join("README.md"), "# Orders API\n\nOur own words.\n").unwrap();
    std::fs::create_dir_all(dir.join("functions/orders")).unwrap();
    std::fs::copy(
        dir.join("infra/dev/lambda/python/cors.py"),
        dir.join("functions/orders/cors.py"),
    )
    .unwrap();
    std::fs::write(dir.join("functions/orders/handler.py"), "import cors\n").unwrap();
    let before = snapshot(dir);

    let refused = corsgen(dir, &["emit", "corsgen.toml", "--out", "."]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    let text = stderr(&refused);
    assert!(
        text.contains("refused   README.md: exists, but corsgen did not write it"),
        "{text}"
    );
    assert!(text.contains("nothing was written"), "{text}");
    assert_eq!(snapshot(dir), before, "a refused emit changes nothing");

    let json = corsgen(
        dir,
        &["emit", "corsgen.toml", "--out", ".", "--format", "json"],
    );
    assert_eq!(json.status.code(), Some(4));
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["emit"]["files"][0]["path"], "README.md");
    assert_eq!(report["emit"]["files"][0]["action"], "refused");
    assert_eq!(report["emit"]["files"].as_array().unwrap().len(), 1);

    // The user decides: the README is theirs to give up, with --force.
    let forced = corsgen(dir, &["emit", "corsgen.toml", "--out", ".", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let after = snapshot(dir);
    for (path, content) in &before {
        if path == "README.md" {
            continue;
        }
        assert_eq!(after.get(path), Some(content), "{path} was touched");
    }
    let owned = manifest_paths(dir);
    assert_eq!(owned.len(), 23);
    for path in after.keys() {
        let ours = owned.contains(path) || path == corsgen::write::MANIFEST;
        assert!(
            ours || before.contains_key(path),
            "{path} appeared from nowhere"
        );
    }

    // Dropping the Node snippet removes exactly that file: never the nested output's copy,
    // never the handler's copy of the Python one.
    edit_policy(dir, &[ONLY_PYTHON]);
    let check = corsgen(dir, &["emit", "corsgen.toml", "--out", ".", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    let listing = stdout(&check);
    assert!(
        listing.starts_with("  remove    lambda/node/cors.mjs\n"),
        "orphans come before the diff: {listing}"
    );
    let pruned = corsgen(dir, &["emit", "corsgen.toml", "--out", "."]);
    assert_eq!(pruned.status.code(), Some(0), "{}", stderr(&pruned));
    assert!(
        stderr(&pruned).contains("  removed   lambda/node/cors.mjs\n"),
        "{}",
        stderr(&pruned)
    );
    let last = snapshot(dir);
    assert!(!last.contains_key("lambda/node/cors.mjs"));
    assert!(last.contains_key("infra/dev/lambda/node/cors.mjs"));
    assert_eq!(
        last.get("functions/orders/cors.py"),
        before.get("functions/orders/cors.py")
    );
    for (path, content) in &before {
        if path.starts_with("infra/dev/") || path.starts_with("functions/") {
            assert_eq!(last.get(path), Some(content), "{path}");
        }
    }
}

#[test]
fn hand_edits_are_refused_until_forced_and_orphans_edited_by_hand_too() {
    let tmp = emitted_example();
    let dir = tmp.path();
    let snippet = dir.join("gen/lambda/python/cors.py");
    let mut edited = std::fs::read_to_string(&snippet).unwrap();
    edited.push_str("# my change\n");
    std::fs::write(&snippet, &edited).unwrap();
    // Unchanged policy: the edit is drift the check reports, and emit refuses to undo it.
    let check = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(stdout(&check).contains("refused   lambda/python/cors.py: was changed by hand"));
    let refused = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen"]);
    assert_eq!(refused.status.code(), Some(4));
    assert_eq!(std::fs::read_to_string(&snippet).unwrap(), edited);

    // An orphan edited by hand is refused too; --force removes it, and only it.
    edit_policy(
        dir,
        &[(
            "languages = [\"python\", \"node\"]",
            "languages = [\"node\"]",
        )],
    );
    std::fs::write(dir.join("gen/lambda/keep.txt"), "mine\n").unwrap();
    let orphan = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen"]);
    assert_eq!(orphan.status.code(), Some(4));
    assert!(stderr(&orphan).contains("lambda/python/cors.py: corsgen wrote it, the policy no longer produces it, and it was changed by hand"), "{}", stderr(&orphan));
    let forced = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(!snippet.exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("gen/lambda/keep.txt")).unwrap(),
        "mine\n"
    );
}

#[test]
fn an_output_directory_from_before_manifests_is_adopted_safely() {
    let tmp = emitted_example();
    let dir = tmp.path();
    // What an earlier corsgen left: no manifest, a file another policy generated at one of
    // our paths, and a generated file the policy no longer produces.
    std::fs::remove_file(dir.join("gen").join(corsgen::write::MANIFEST)).unwrap();
    let readme = dir.join("gen/README.md");
    let other = std::fs::read_to_string(&readme)
        .unwrap()
        .replace("policy \"orders-api\"", "policy \"billing-api\"");
    std::fs::write(&readme, &other).unwrap();
    std::fs::write(
        dir.join("gen/lambda/old.js"),
        "// @generated by corsgen from corsgen.toml; do not edit by hand.\n// policy \"orders-api\", sha256 00\n",
    )
    .unwrap();
    edit_policy(dir, &[MAX_AGE_300]);
    let refused = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen"]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("README.md: exists, but corsgen did not write it (this directory has no .corsgen-manifest.json"));
    // A copy of a generated file at another generated path is not that file: the Python
    // snippet's header where the Node snippet goes.
    let node = dir.join("gen/lambda/node/cors.mjs");
    let node_bytes = std::fs::read(&node).unwrap();
    std::fs::copy(dir.join("gen/lambda/python/cors.py"), &node).unwrap();
    let copied = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen"]);
    assert!(
        stderr(&copied)
            .contains("refused   lambda/node/cors.mjs: exists, but corsgen did not write it"),
        "{}",
        stderr(&copied)
    );
    std::fs::write(&node, node_bytes).unwrap();
    std::fs::remove_file(&readme).unwrap();
    let adopted = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen"]);
    assert_eq!(adopted.status.code(), Some(0), "{}", stderr(&adopted));
    assert!(
        stderr(&adopted).contains("adopted: it starts with corsgen's header for this policy"),
        "{}",
        stderr(&adopted)
    );
    assert!(
        dir.join("gen/lambda/old.js").exists(),
        "no orphan is removed without a manifest"
    );
    assert_eq!(manifest_paths(&dir.join("gen")).len(), 23);
}

#[test]
fn new_files_get_the_umask_mode_and_rewrites_keep_a_changed_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    example_policy(dir);
    let first = corsgen_umask(dir, "022", &["emit", "corsgen.toml", "--out", "gen"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    for (path, (_, mode)) in snapshot(&dir.join("gen")) {
        assert_eq!(mode, 0o644, "{path}");
    }
    let strict = corsgen_umask(dir, "077", &["emit", "corsgen.toml", "--out", "private"]);
    assert_eq!(strict.status.code(), Some(0));
    assert_eq!(snapshot(&dir.join("private"))["README.md"].1, 0o600);

    let handler = dir.join("gen/lambda/node/cors.mjs");
    std::fs::set_permissions(&handler, std::fs::Permissions::from_mode(0o755)).unwrap();
    edit_policy(dir, &[MAX_AGE_300]);
    let again = corsgen_umask(dir, "022", &["emit", "corsgen.toml", "--out", "gen"]);
    assert!(
        stderr(&again).contains("  updated   lambda/node/cors.mjs\n"),
        "{}",
        stderr(&again)
    );
    let after = snapshot(&dir.join("gen"));
    assert_eq!(
        after["lambda/node/cors.mjs"].1, 0o755,
        "a rewrite keeps the file's mode"
    );
    assert_eq!(after["lambda/python/cors.py"].1, 0o644);
}

#[test]
fn check_lists_before_the_diff_and_full_diff_shows_all_of_it() {
    let tmp = emitted_example();
    let dir = tmp.path();
    let again = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen"]);
    assert!(
        stderr(&again).contains("0 created, 0 updated, 23 unchanged, 0 removed\n"),
        "{}",
        stderr(&again)
    );
    let clean = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen", "--check"]);
    assert_eq!(clean.status.code(), Some(0));
    assert!(stderr(&clean).contains("23 files up to date"));
    // A new origin changes nearly every file: far more than 200 diff lines.
    edit_policy(
        dir,
        &[
            (
                "\"https://sp.example.com\"]",
                "\"https://sp.example.com\", \"https://m.example.com\"]",
            ),
            ONLY_PYTHON,
        ],
    );
    let cut = corsgen(dir, &["emit", "corsgen.toml", "--out", "gen", "--check"]);
    assert_eq!(cut.status.code(), Some(1));
    let text = stdout(&cut);
    assert!(
        text.starts_with("  remove    lambda/node/cors.mjs\n--- a/"),
        "{text}"
    );
    assert!(
        text.contains("more diff lines (--full-diff shows them all)"),
        "{text}"
    );
    let full = corsgen(
        dir,
        &[
            "emit",
            "corsgen.toml",
            "--out",
            "gen",
            "--check",
            "--full-diff",
        ],
    );
    let whole = stdout(&full);
    assert!(whole.lines().count() > text.lines().count() + 100);
    assert!(!whole.contains("more diff lines"));
    assert!(
        whole.contains("+            \"https://m.example.com\","),
        "every file's diff is there"
    );
    assert!(stderr(&full).contains("to remove"), "{}", stderr(&full));
    // --check wrote nothing.
    assert!(dir.join("gen/lambda/node/cors.mjs").exists());
}

/// What a random tree under `--out` holds before emit runs.
#[derive(Debug, Clone)]
enum Plant {
    /// A previous emit of an example policy (with or without its manifest), maybe nested.
    Emit {
        policy: usize,
        env: bool,
        nested: bool,
        manifest: bool,
    },
    /// A hand-written file at a generated path or elsewhere.
    Hand { path: usize, text: String },
    /// A generated file copied to another path.
    Copy { from: usize, to: usize },
    /// A file corsgen wrote, edited by hand, chmod-ed, or deleted.
    Touch { path: usize, how: u8 },
    /// A link to a directory outside `--out`, where a generated directory goes.
    Link { at: usize },
}

const POLICIES: [&str; 4] = ["example", "multi-env", "per-route", "public-api"];
const PATHS: [&str; 12] = [
    "README.md",
    "lambda/python/cors.py",
    "lambda/node/cors.mjs",
    "apigateway/openapi.json",
    "cloudfront/viewer-request.js",
    "cloudfront/key-value-store.json",
    "notes.txt",
    "lambda/handler.py",
    "dev/lambda/python/cors.py",
    "dev/README.md",
    "apigateway/extra.json",
    ".corsgen-manifest.json",
];
const DIRS: [&str; 3] = ["lambda", "apigateway", "cloudfront"];

fn plant() -> impl Strategy<Value = Plant> {
    prop_oneof![
        3 => (0..POLICIES.len(), any::<bool>(), any::<bool>(), proptest::bool::weighted(0.7))
            .prop_map(|(policy, env, nested, manifest)| Plant::Emit { policy, env, nested, manifest }),
        3 => (0..PATHS.len(), "[a-z ]{0,12}").prop_map(|(path, text)| Plant::Hand { path, text }),
        2 => (0..PATHS.len(), 0..PATHS.len()).prop_map(|(from, to)| Plant::Copy { from, to }),
        3 => (0..PATHS.len(), 0u8..3).prop_map(|(path, how)| Plant::Touch { path, how }),
        1 => (0..DIRS.len()).prop_map(|at| Plant::Link { at }),
    ]
}

fn grow(out: &Path, outside: &Path, plants: &[Plant]) {
    std::fs::create_dir_all(out).unwrap();
    for plant in plants {
        match plant {
            Plant::Emit {
                policy,
                env,
                nested,
                manifest,
            } => {
                let file = root().join(format!("policies/{}.toml", POLICIES[*policy]));
                let raw = corsgen::load(&file, None).unwrap().raw.unwrap();
                let envs = corsgen::validate::env_names(&raw);
                let env = envs.first().filter(|_| *env).map(String::as_str);
                let target = if *nested {
                    out.join("dev")
                } else {
                    out.to_path_buf()
                };
                // Planted through the CLI, as a user would; a refusal just plants nothing.
                let mut args = vec![
                    "emit",
                    file.to_str().unwrap(),
                    "--out",
                    target.to_str().unwrap(),
                ];
                if let Some(env) = env {
                    args.extend(["--env", env]);
                }
                corsgen(out, &args);
                if !manifest {
                    let _ = std::fs::remove_file(target.join(corsgen::write::MANIFEST));
                }
            }
            Plant::Hand { path, text } => {
                let target = out.join(PATHS[*path]);
                if std::fs::create_dir_all(target.parent().unwrap()).is_ok() && !target.is_symlink()
                {
                    let _ = std::fs::write(target, format!("{text}\n"));
                }
            }
            Plant::Copy { from, to } => {
                if let Ok(bytes) = std::fs::read(out.join(PATHS[*from])) {
                    let target = out.join(PATHS[*to]);
                    if std::fs::create_dir_all(target.parent().unwrap()).is_ok()
                        && !target.is_symlink()
                    {
                        let _ = std::fs::write(target, bytes);
                    }
                }
            }
            Plant::Touch { path, how } => {
                let target = out.join(PATHS[*path]);
                if target.is_file() && !target.is_symlink() {
                    match how {
                        0 => {
                            let mut text = std::fs::read(&target).unwrap();
                            text.extend_from_slice(b"# edited\n");
                            std::fs::write(&target, text).unwrap();
                        }
                        1 => std::fs::set_permissions(
                            &target,
                            std::fs::Permissions::from_mode(0o755),
                        )
                        .unwrap(),
                        _ => std::fs::remove_file(&target).unwrap(),
                    }
                }
            }
            Plant::Link { at } => {
                let target = out.join(DIRS[*at]);
                if !target.exists() && !target.is_symlink() {
                    std::os::unix::fs::symlink(outside, target).unwrap();
                }
            }
        }
    }
}

#[test]
fn for_any_tree_emit_refuses_and_changes_nothing_or_changes_only_its_own_files() {
    let mut runner = TestRunner::new(Config {
        cases: 40,
        ..Config::default()
    });
    let case = (
        proptest::collection::vec(plant(), 0..7),
        0..POLICIES.len(),
        any::<bool>(),
        proptest::bool::weighted(0.2),
    );
    let (refusals, writes) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner
        .run(&case, |(plants, policy, env, force)| {
            let tmp = tempfile::tempdir().unwrap();
            let out = tmp.path().join("out");
            let outside = tmp.path().join("outside");
            std::fs::create_dir_all(&outside).unwrap();
            std::fs::write(outside.join("precious.txt"), "keep\n").unwrap();
            grow(&out, &outside, &plants);
            let before = snapshot(&out);
            let outside_before = snapshot(&outside);
            let old_manifest = manifest_paths(&out);

            let file = root().join(format!("policies/{}.toml", POLICIES[policy]));
            let raw = corsgen::load(&file, None).unwrap().raw.unwrap();
            let envs = corsgen::validate::env_names(&raw);
            let mut args = vec![
                "emit",
                file.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ];
            if let Some(e) = envs.first().filter(|_| env) {
                args.extend(["--env", e.as_str()]);
            }
            if force {
                args.push("--force");
            }
            let result = corsgen(tmp.path(), &args);
            let after = snapshot(&out);
            prop_assert_eq!(
                snapshot(&outside),
                outside_before,
                "nothing outside --out changes"
            );
            match result.status.code() {
                Some(4) => {
                    refusals.set(refusals.get() + 1);
                    prop_assert!(stderr(&result).contains("refused"), "{}", stderr(&result));
                    prop_assert_eq!(&after, &before, "a refusal changes nothing");
                }
                Some(0) => {
                    writes.set(writes.get() + 1);
                    let new_manifest = manifest_paths(&out);
                    let changed = before
                        .keys()
                        .chain(after.keys())
                        .filter(|p| before.get(*p) != after.get(*p));
                    for path in changed {
                        let removed = !after.contains_key(path);
                        let allowed = path == corsgen::write::MANIFEST
                            || new_manifest.contains(path)
                            || (removed && old_manifest.contains(path));
                        prop_assert!(
                            allowed,
                            "{} changed outside the manifest:\n{}",
                            path,
                            stderr(&result)
                        );
                        let had_manifest = before.contains_key(corsgen::write::MANIFEST);
                        if !force
                            && had_manifest
                            && before.contains_key(path)
                            && !removed
                            && path != corsgen::write::MANIFEST
                        {
                            // Without --force, a directory with a manifest has only its own
                            // files rewritten.
                            prop_assert!(
                                old_manifest.contains(path),
                                "{} rewritten without being owned",
                                path
                            );
                        }
                    }
                }
                other => prop_assert!(false, "exit {:?}: {}", other, stderr(&result)),
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "random trees: {} refused, {} written",
        refusals.get(),
        writes.get()
    );
    assert!(
        refusals.get() >= 5 && writes.get() >= 5,
        "both outcomes are exercised"
    );
}

#[test]
fn another_policy_or_environment_never_silently_takes_over_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    example_policy(dir);
    std::fs::copy(
        root().join("policies/public-api.toml"),
        dir.join("public.toml"),
    )
    .unwrap();
    assert_eq!(
        corsgen(dir, &["emit", "corsgen.toml", "--out", "gen"])
            .status
            .code(),
        Some(0)
    );
    let before = snapshot(&dir.join("gen"));
    for args in [
        &["emit", "public.toml", "--out", "gen"][..],
        &["emit", "corsgen.toml", "--out", "gen", "--env", "dev"],
    ] {
        let other = corsgen(dir, args);
        assert_eq!(other.status.code(), Some(4), "{args:?}: {}", stderr(&other));
        assert!(
            stderr(&other)
                .contains("this directory holds the output of policy \"orders-api\" without --env"),
            "{}",
            stderr(&other)
        );
        assert_eq!(snapshot(&dir.join("gen")), before);
    }
    let forced = corsgen(
        dir,
        &[
            "emit",
            "corsgen.toml",
            "--out",
            "gen",
            "--env",
            "dev",
            "--force",
        ],
    );
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let manifest = std::fs::read_to_string(dir.join("gen").join(corsgen::write::MANIFEST)).unwrap();
    assert!(manifest.contains("\"env\": \"dev\""), "{manifest}");
}

#[test]
fn control_characters_in_files_never_reach_the_terminal_and_a_full_stdout_is_an_error() {
    let tmp = emitted_example();
    let dir = tmp.path();
    let readme = dir.join("gen/README.md");
    let mut text = std::fs::read_to_string(&readme).unwrap();
    text.push_str("\u{1b}[31mred\u{7}\n");
    std::fs::write(&readme, text).unwrap();
    let check = corsgen(
        dir,
        &["emit", "corsgen.toml", "--out", "gen", "--check", "--force"],
    );
    assert_eq!(check.status.code(), Some(1));
    let shown = stdout(&check);
    assert!(shown.contains("-\u{241b}[31mred\u{2407}"), "{shown}");
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'));
    assert!(
        stderr(&check).contains("--force`"),
        "the repair command keeps --force: {}",
        stderr(&check)
    );

    // stdout that cannot be written to: exit 4, no panic.
    let full = Command::new(env!("CARGO_BIN_EXE_corsgen"))
        .args([
            "emit",
            "corsgen.toml",
            "--out",
            "gen",
            "--check",
            "--full-diff",
            "--force",
        ])
        .current_dir(dir)
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(4));
    assert!(!stderr(&full).contains("panicked"), "{}", stderr(&full));
    assert!(
        stderr(&full).contains("cannot write to stdout"),
        "{}",
        stderr(&full)
    );
}
