//! README.md stays true: its policy reference is the one generated from the schema, and every
//! TOML policy in it validates.

use crate::support::root;

/// Checks (or with `UPDATE_README=1` rewrites) the generated section between two markers.
fn generated_section(name: &str, generated: &str) {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start_marker = format!("<!-- {name}:start -->\n");
    let end_marker = format!("<!-- {name}:end -->");
    let start = readme
        .find(&start_marker)
        .unwrap_or_else(|| panic!("README lacks {start_marker}"))
        + start_marker.len();
    let end = readme
        .find(&end_marker)
        .unwrap_or_else(|| panic!("README lacks {end_marker}"));
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(
            &path,
            format!("{}{generated}{}", &readme[..start], &readme[end..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        generated,
        "README section {name} is stale: run UPDATE_README=1 cargo test readme"
    );
}

#[test]
fn policy_reference_matches_the_schema() {
    generated_section("policy-reference", &corsgen::schema::reference_markdown());
}

#[test]
fn diagnostic_code_table_matches_the_codes() {
    generated_section(
        "diagnostic-codes",
        &corsgen::diagnostic::Code::markdown_table(),
    );
}

#[test]
fn every_toml_policy_in_the_readme_validates() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut count = 0;
    for block in readme.split("```toml\n").skip(1) {
        let text = block.split("```").next().unwrap();
        let loaded =
            corsgen::load_source(corsgen::source::PolicySource::new("README.md", text), None)
                .unwrap();
        assert!(
            loaded.policy.is_some(),
            "README policy does not validate: {:?}\n{text}",
            loaded.diagnostics
        );
        assert!(
            loaded.diagnostics.is_empty(),
            "README policy has warnings: {:?}\n{text}",
            loaded.diagnostics
        );
        count += 1;
    }
    assert!(count >= 2, "expected policy examples in the README");
}

/// Every `console` example in the README that runs `corsgen` prints what the README shows.
#[test]
fn console_examples_are_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut checked = 0;
    for block in readme.split("```console\n").skip(1) {
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
            "README example `{command}`"
        );
        checked += 1;
    }
    assert!(
        checked >= 1,
        "the README shows at least one corsgen session"
    );
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
            .unwrap();
        emitted.extend(files.into_iter().map(|f| f.path));
    }
    let sources = [
        "src/doctor.rs",
        "src/check.rs",
        "src/cli.rs",
        "src/limits.rs",
        "src/validate/mod.rs",
        "src/validate/apigateway.rs",
        "src/validate/cloudfront.rs",
        "templates/readme/README.md.hbs",
        "README.md",
    ];
    let mut checked = 0;
    for source in sources {
        let text = std::fs::read_to_string(root().join(source)).unwrap();
        for (at, _) in text.match_indices(['/']) {
            let start = text[..at]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .map_or(0, |i| i + 1);
            let family = &text[start..at];
            if !["apigateway", "cloudfront", "lambda"].contains(&family) {
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
