//! Golden files: `emit` output for every example policy (and each of its environments) is
//! pinned under `tests/golden/<policy>/<env or base>/`. Missing and extra files fail. Update
//! with `UPDATE_GOLDEN=1 cargo test golden` and review the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use corsgen::write::{Options, Owner, MANIFEST};

use crate::support::{example_policies, root};

fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out
}

fn cases() -> Vec<(PathBuf, Option<String>, PathBuf)> {
    example_policies()
        .into_iter()
        .map(|(path, env)| {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let dir = root()
                .join("tests/golden")
                .join(stem)
                .join(env.as_deref().unwrap_or("base"));
            (path, env, dir)
        })
        .collect()
}

#[test]
fn emit_output_matches_golden_files_for_every_example_policy() {
    let update = crate::support::updating("UPDATE_GOLDEN");
    let mut failures = Vec::new();
    for (policy, env, expected_dir) in cases() {
        let loaded = corsgen::load(&policy, env.as_deref()).unwrap();
        assert!(
            loaded.diagnostics.is_empty(),
            "{}: {:?}",
            policy.display(),
            loaded.diagnostics
        );
        // Generated headers name the policy by file name, so the path used here does not matter.
        let files = corsgen::generate(loaded.policy.as_ref().unwrap(), &loaded.source)
            .unwrap()
            .unwrap()
            .files;
        let owner = Owner::of(loaded.policy.as_ref().unwrap());
        if update {
            let _ = std::fs::remove_dir_all(&expected_dir);
            corsgen::write::write(&expected_dir, &files, owner, Options::default()).unwrap();
            continue;
        }
        // The manifest is pinned too: sorted paths and digests, nothing that changes by itself.
        let manifest = corsgen::write::manifest_text(owner, &files).unwrap();
        match std::fs::read_to_string(expected_dir.join(MANIFEST)) {
            Ok(expected) if expected == manifest => {}
            _ => failures.push(format!(
                "{}: {MANIFEST} differs from the golden file",
                expected_dir.display()
            )),
        }
        let mut rendered: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
        rendered.insert(MANIFEST.to_string());
        let on_disk = files_under(&expected_dir);
        for missing in rendered.difference(&on_disk) {
            failures.push(format!(
                "{}: golden file missing: {missing}",
                expected_dir.display()
            ));
        }
        for extra in on_disk.difference(&rendered) {
            failures.push(format!(
                "{}: golden file no longer generated: {extra}",
                expected_dir.display()
            ));
        }
        for file in &files {
            if let Ok(expected) = std::fs::read_to_string(expected_dir.join(&file.path)) {
                if expected != file.contents {
                    failures.push(format!(
                        "{}: {} differs from the golden file",
                        expected_dir.display(),
                        file.path
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nrun UPDATE_GOLDEN=1 cargo test golden and review the diff",
        failures.join("\n")
    );
}

#[test]
fn golden_directories_all_belong_to_an_example_policy() {
    let known: BTreeSet<PathBuf> = cases().into_iter().map(|(_, _, dir)| dir).collect();
    for policy_dir in std::fs::read_dir(root().join("tests/golden")).unwrap() {
        for env_dir in std::fs::read_dir(policy_dir.unwrap().path()).unwrap() {
            let dir = env_dir.unwrap().path();
            assert!(
                known.contains(&dir),
                "stale golden directory {}",
                dir.display()
            );
        }
    }
}

/// The request-path diagram of a generated README.
fn diagram(readme: &str) -> String {
    let start = readme.find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
    let end = start + readme[start..].find("```").expect("a closed block");
    readme[start..end].to_string()
}

/// Every generated README's request-path diagram is one Mermaid's own parser (run in Chromium)
/// reads as a flowchart, and it shows exactly the layers whose artifacts were emitted.
#[test]
fn the_request_path_diagrams_parse_in_mermaid() {
    crate::support::require_tool("node");
    assert!(
        root().join("tests/harness/node_modules/mermaid/package.json").exists(),
        "mermaid is required by this test; run scripts/test.sh, which installs it (npm ci, cached under ~/.cache/corsgen)"
    );
    let mut policies: Vec<(String, String)> = cases()
        .into_iter()
        .map(|(policy, env, _)| {
            let label = format!("{} {}", policy.display(), env.unwrap_or_default());
            (label, std::fs::read_to_string(&policy).unwrap())
        })
        .collect();
    // And the layers alone or in pairs.
    let base = "version = 1\n[cors]\nallow-origins = [\"https://a.example\"]\n";
    for (label, extra) in [
        ("no CloudFront", "[cloudfront]\nenabled = false\n"),
        ("no API Gateway", "[apigateway]\nenabled = false\n"),
        (
            "Lambda only",
            "[apigateway]\nenabled = false\n[cloudfront]\nenabled = false\n",
        ),
        (
            "no Lambda",
            "[lambda]\nlanguages = []\n[apigateway]\ngateway-responses = []\n",
        ),
    ] {
        policies.push((label.to_string(), format!("{base}{extra}")));
    }
    let mut inputs = Vec::new();
    let mut expected = Vec::new();
    for (label, text) in &policies {
        let loaded =
            corsgen::load_source(corsgen::source::PolicySource::new("p.toml", text), None).unwrap();
        let policy = loaded
            .policy
            .as_ref()
            .unwrap_or_else(|| panic!("{label}: {:?}", loaded.diagnostics));
        let files = corsgen::generate(policy, &loaded.source)
            .unwrap()
            .unwrap()
            .files;
        let readme = &files
            .iter()
            .find(|f| f.path == "README.md")
            .unwrap()
            .contents;
        let text = diagram(readme);
        // The layers shown are the families emitted, in request order.
        let shown: Vec<&str> = ["cloudfront", "apigateway", "lambda"]
            .into_iter()
            .filter(|layer| text.contains(&format!("\n  {layer}[\"")))
            .collect();
        let emitted: Vec<&str> = ["cloudfront/", "apigateway/", "lambda/"]
            .into_iter()
            .filter(|dir| files.iter().any(|f| f.path.starts_with(dir)))
            .map(|dir| dir.trim_end_matches('/'))
            .collect();
        assert_eq!(shown, emitted, "{label}:\n{text}");
        expected.push(label.clone());
        inputs.push(serde_json::json!({"id": label, "text": text}));
    }
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("diagrams.json");
    std::fs::write(&input, serde_json::Value::from(inputs).to_string()).unwrap();
    let out = std::process::Command::new("node")
        .arg(root().join("tests/harness/mermaid.mjs"))
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), expected.len());
    for result in &results {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["type"], "flowchart-v2", "{result}");
    }
}
