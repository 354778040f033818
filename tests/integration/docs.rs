//! The documentation stays true: README.md, docs/ and CONTRIBUTING.md. Generated sections equal
//! what the code generates, every TOML policy in them validates, every `corsgen` session they
//! show is real output, every link leads to a file and heading that exist, and every output
//! path they name is one `emit` writes.

use crate::support::root;

/// README.md, CONTRIBUTING.md and every page under docs/, as (path, text).
fn pages() -> Vec<(String, String)> {
    let mut paths = vec!["README.md".to_string(), "CONTRIBUTING.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(root().join(&p)).unwrap();
            (p, text)
        })
        .collect()
}

/// Checks (or, with `UPDATE_DOCS=1`, rewrites) the generated section `name` of `file`, between
/// two markers.
fn generated_section(file: &str, name: &str, generated: &str) {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let start_marker = format!("<!-- {name}:start -->\n");
    let end_marker = format!("<!-- {name}:end -->");
    let start = text
        .find(&start_marker)
        .unwrap_or_else(|| panic!("{file} lacks {start_marker}"))
        + start_marker.len();
    let end = text
        .find(&end_marker)
        .unwrap_or_else(|| panic!("{file} lacks {end_marker}"));
    if crate::support::updating("UPDATE_DOCS") {
        std::fs::write(
            &path,
            format!("{}{generated}{}", &text[..start], &text[end..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(
        &text[start..end],
        generated,
        "{file} section {name} is stale: run scripts/update.sh (or UPDATE_DOCS=1 cargo test docs)"
    );
}

#[test]
fn policy_reference_matches_the_schema() {
    generated_section(
        "docs/policy.md",
        "policy-reference",
        &corsgen::schema::reference_markdown(),
    );
}

#[test]
fn diagnostic_code_table_matches_the_codes() {
    generated_section(
        "docs/diagnostics.md",
        "diagnostic-codes",
        &corsgen::diagnostic::Code::markdown_table(),
    );
}

#[test]
fn every_toml_policy_in_the_docs_validates() {
    let mut count = 0;
    for (page, text) in pages() {
        for block in text.split("```toml\n").skip(1) {
            let policy = block.split("```").next().unwrap();
            let loaded =
                corsgen::load_source(corsgen::source::PolicySource::new(&page, policy), None)
                    .unwrap();
            assert!(
                loaded.policy.is_some(),
                "a policy in {page} does not validate: {:?}\n{policy}",
                loaded.diagnostics
            );
            assert!(
                loaded.diagnostics.is_empty(),
                "a policy in {page} has warnings: {:?}\n{policy}",
                loaded.diagnostics
            );
            count += 1;
        }
    }
    assert!(count >= 3, "expected policy examples in the docs");
}

/// Every `console` example in the docs that runs `corsgen` prints what the page shows.
#[test]
fn console_examples_are_real_output() {
    let mut checked = 0;
    for (page, text) in pages() {
        for block in text.split("```console\n").skip(1) {
            let block = &block[..block.find("```").expect("closed block")];
            let (command, shown) = block.split_once('\n').expect("a command line");
            let Some(args) = command.strip_prefix("$ corsgen ") else {
                continue;
            };
            // Words separated by spaces; '…' groups words, as in a shell.
            let mut words = Vec::new();
            let mut quoted = false;
            let mut word = String::new();
            for c in args.chars() {
                match c {
                    '\'' => quoted = !quoted,
                    ' ' if !quoted => words.push(std::mem::take(&mut word)),
                    c => word.push(c),
                }
            }
            words.push(word);
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let out = crate::support::corsgen(&root(), &words);
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                shown,
                "{page} example `{command}`"
            );
            checked += 1;
        }
    }
    assert!(checked >= 1, "the docs show at least one corsgen session");
}

/// GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every relative link in the docs leads to a file that exists, and to a heading in it when
/// it names one.
#[test]
fn every_link_leads_somewhere() {
    let mut checked = 0;
    for (page, text) in pages() {
        let dir = std::path::Path::new(&page).parent().unwrap().to_path_buf();
        let mut in_code = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if in_code {
                continue;
            }
            for (at, _) in line.match_indices("](") {
                let target = &line[at + 2..];
                let target = &target[..target.find(')').unwrap_or(target.len())];
                if target.starts_with("http") || target.is_empty() {
                    continue;
                }
                let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
                let path = if file.is_empty() {
                    root().join(&page)
                } else {
                    root().join(&dir).join(file)
                };
                assert!(
                    path.exists(),
                    "{page} links to {target}, which does not exist"
                );
                if !fragment.is_empty() {
                    let linked = std::fs::read_to_string(&path).unwrap();
                    // Headings only: a `#` line inside a code block is a comment.
                    let mut fenced = false;
                    let found = linked
                        .lines()
                        .filter(|l| {
                            if l.starts_with("```") {
                                fenced = !fenced;
                            }
                            !fenced
                        })
                        .filter_map(|l| l.strip_prefix('#'))
                        .map(|l| anchor(l.trim_start_matches('#')))
                        .any(|a| a == fragment);
                    assert!(found, "{page} links to {target}: no such heading");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} links");
}

/// The README stays an entry point: short, with every docs page linked.
#[test]
fn the_readme_is_an_entry_point() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.len() < 12_000, "README.md is {} bytes", readme.len());
    for (page, _) in pages() {
        if page.starts_with("docs/") || page == "CONTRIBUTING.md" {
            assert!(
                readme.contains(&format!("]({page})")),
                "README.md does not link {page}"
            );
        }
    }
    for command in [
        "cargo run --release -- emit policies/example.toml --out generated",
        "scripts/test.sh",
    ] {
        assert!(
            readme.contains(command),
            "README.md lacks the quick-start command {command}"
        );
    }
}

/// Every output path that corsgen's messages, fixes and generated README name (`doctor`'s
/// layers, `check`'s fixes, diagnostics' help, the README and the generated README) is a
/// file or directory `emit` writes.
#[test]
fn messages_name_only_files_emit_writes() {
    let mut emitted = std::collections::BTreeSet::new();
    let policies = ["example", "multi-env", "per-route", "public-api"];
    let mut texts: Vec<String> = policies
        .iter()
        .map(|p| std::fs::read_to_string(root().join(format!("policies/{p}.toml"))).unwrap())
        .collect();
    // And one that uses every optional file: a KeyValueStore and the response headers policy.
    texts.push("version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-headers = [\"X-A\"]\n[cloudfront]\nkey-value-store = \"always\"\n".into());
    for text in &texts {
        let loaded =
            corsgen::load_source(corsgen::source::PolicySource::new("p.toml", text), None).unwrap();
        let files = corsgen::generate(loaded.policy.as_ref().unwrap(), &loaded.source)
            .unwrap()
            .unwrap()
            .files;
        emitted.extend(files.into_iter().map(|f| f.path));
    }
    // Every source file (a new target's messages are checked without listing it here) and the
    // generated README's template.
    let mut sources: Vec<String> = vec!["templates/readme/README.md.hbs".to_string()];
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root()).unwrap();
                sources.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    sources.sort();
    let pages = pages();
    let sources = sources
        .iter()
        .map(|s| {
            let text = std::fs::read_to_string(root().join(s)).unwrap();
            // Unit tests name made-up files.
            let code = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default();
            (s.clone(), code.to_string())
        })
        .chain(pages);
    let mut checked = 0;
    for (source, text) in sources {
        for (at, _) in text.match_indices(['/']) {
            let start = text[..at]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .map_or(0, |i| i + 1);
            let family = &text[start..at];
            // `templates/lambda/runtime.py` and `src/targets/lambda/` are sources, not output.
            if !["apigateway", "cloudfront", "lambda"].contains(&family)
                || text[..start].ends_with("templates/")
                || text[..start].ends_with("targets/")
            {
                continue;
            }
            let rest: String = text[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_.*/".contains(*c))
                .collect();
            let rest = rest.trim_end_matches('.');
            let named = format!("{family}/{rest}");
            if named.ends_with(".hbs") || named.contains("{{") {
                continue;
            }
            let exists = emitted.iter().any(|path| match named.split_once('*') {
                Some((before, after)) => path.starts_with(before) && path.ends_with(after),
                None if named.ends_with('/') => path.starts_with(&named),
                None => *path == named,
            });
            assert!(exists, "{source} names {named}, which emit never writes");
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} paths found");
}
