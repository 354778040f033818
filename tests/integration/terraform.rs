//! The Terraform modules, as far as this machine can prove them: no Terraform binary can be
//! installed here, so python-hcl2 parses them (`tests/harness/terraform_modules.py`), the
//! attribute tables of `apigateway_artifacts.py` / `cloudfront_artifacts.py` check every
//! resource's attributes, and this test checks what the modules promise their users: the AWS
//! provider version they need, every variable and output documented, a `redeployment_trigger`
//! that covers every resource configuring CORS and changes exactly when that configuration
//! does, and the generated README's example root module wiring it into the deployment.

use serde_json::Value;

use crate::conformance::subjects;
use crate::support::{emit_into, require_tool, root};

#[test]
fn terraform_modules_declare_their_provider_document_everything_and_trigger_redeployment() {
    require_tool("python3");
    let dir = tempfile::tempdir().unwrap();
    let subjects = subjects(dir.path());
    let harness = root().join("tests/harness/terraform_modules.py");
    let mut args = vec![harness.to_string_lossy().to_string()];
    args.extend(subjects.iter().map(|s| s.out.to_string_lossy().to_string()));
    let out = std::process::Command::new("python3")
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "terraform_modules.py:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(counts["modules"].as_u64().unwrap() >= 20, "{counts}");
    eprintln!("Terraform: {counts} over {} policies", subjects.len());

    // The trigger's digest changes with the CORS configuration, and with nothing else.
    let base = std::fs::read_to_string(root().join("policies/example.toml")).unwrap();
    let digest = |text: &str, name: &str| -> String {
        let out = dir.path().join(name);
        emit_into(text, None, &out);
        let module = std::fs::read_to_string(out.join("apigateway/terraform.tf")).unwrap();
        let at = module.find("jsonencode([").expect("redeployment_trigger");
        module[at..]
            .split('"')
            .nth(1)
            .expect("the configuration digest")
            .to_string()
    };
    let first = digest(&base, "d0");
    let renamed = base.replace("name = \"orders-api\"", "name = \"orders-api-2\"");
    assert_ne!(renamed, base);
    assert_eq!(
        digest(&renamed, "d1"),
        first,
        "a new name is no CORS change"
    );
    let cached = format!("{base}\n[cloudfront]\ncaching = \"enabled\"\n");
    assert_eq!(
        digest(&cached, "d2"),
        first,
        "CloudFront settings are no API change"
    );
    let longer = base.replace("max-age = 600", "max-age = 300");
    assert_ne!(longer, base);
    assert_ne!(
        digest(&longer, "d3"),
        first,
        "max-age is part of the preflight answer"
    );
    let origins = base.replace(
        "\"https://sp.example.com\"]",
        "\"https://sp.example.com\", \"https://m.example.com\"]",
    );
    assert_ne!(origins, base);
    assert_ne!(
        digest(&origins, "d4"),
        first,
        "the allowlist is in the mapping template"
    );
}
