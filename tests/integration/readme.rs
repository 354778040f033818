//! README.md stays true: its policy reference is the one generated from the schema, and every
//! TOML policy in it validates.

use crate::support::root;

const START: &str = "<!-- policy-reference:start -->\n";
const END: &str = "<!-- policy-reference:end -->";

#[test]
fn policy_reference_matches_the_schema() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(START)
        .expect("README has the policy-reference start marker")
        + START.len();
    let end = readme
        .find(END)
        .expect("README has the policy-reference end marker");
    let generated = corsgen::schema::reference_markdown();
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        generated,
        "README policy reference is stale: run UPDATE_README=1 cargo test readme"
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
