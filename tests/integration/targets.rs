//! The setting every target table shares (`enabled = true | false | "if-fits"`, with the
//! `version = 1` aliases) and the uniform skips: the same diagnostics and the same README reason
//! for a family that passes a platform limit, a family that cannot carry a value, and each static
//! configuration.

use std::path::Path;

use serde_json::Value;

use crate::support::corsgen;

/// `validate --format json` on `text`: exit code and diagnostic codes.
fn validate(dir: &Path, text: &str) -> (i32, Vec<String>) {
    std::fs::write(dir.join("p.toml"), text).unwrap();
    let out = corsgen(dir, &["validate", "p.toml", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let codes = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    (out.status.code().unwrap(), codes)
}

/// `emit` of `text` into a fresh `out`: exit code, the files written and the README.
fn emit(dir: &Path, text: &str) -> (i32, Vec<String>, String) {
    std::fs::write(dir.join("p.toml"), text).unwrap();
    let _ = std::fs::remove_dir_all(dir.join("out"));
    let out = corsgen(dir, &["emit", "p.toml", "--out", "out"]);
    // Nothing is written when emit refuses: no out directory at all.
    let files = if dir.join("out").exists() {
        crate::emit::snapshot(&dir.join("out"))
            .into_keys()
            .collect()
    } else {
        Vec::new()
    };
    let readme = std::fs::read_to_string(dir.join("out/README.md")).unwrap_or_default();
    (out.status.code().unwrap(), files, readme)
}

/// Exact origins enough to push the inline CloudFront Functions past 10,240 bytes.
fn large_allowlist() -> String {
    let origins: Vec<String> = (0..400)
        .map(|i| format!("\"https://site{i}.example-{i}.com\""))
        .collect();
    format!(
        "version = 1\n[cors]\nallow-origins = [{}]\nallow-headers = [\"X-A\"]\n[apigateway]\ngateway-response-origin = \"first\"\n",
        origins.join(", ")
    )
}

#[test]
fn a_family_that_passes_a_platform_limit_is_an_error_unless_it_may_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let base = large_allowlist();
    // `enabled = true` (the default): the limit is an error, and nothing is written.
    let (code, codes) = validate(dir.path(), &base);
    assert_eq!(code, 3);
    assert!(
        codes.iter().all(|c| c == "cloudfront-function-too-large"),
        "{codes:?}"
    );
    assert_eq!(codes.len(), 2);
    let (code, files, _) = emit(dir.path(), &base);
    assert_eq!(code, 3);
    assert!(files.is_empty(), "{files:?}");

    // `"if-fits"`: the same limits are warnings, the family is skipped, the rest is written,
    // and the README says what was skipped and why.
    let if_fits = format!("{base}[cloudfront]\nenabled = \"if-fits\"\n");
    let (code, codes) = validate(dir.path(), &if_fits);
    assert_eq!(code, 0);
    assert_eq!(codes, ["target-skipped", "target-skipped"]);
    let (code, files, readme) = emit(dir.path(), &if_fits);
    assert_eq!(code, 0);
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("cloudfront/") && !f.contains("response-headers-policy")),
        "{files:?}"
    );
    // The response headers policy is a static configuration of its own, with no function
    // to outgrow: it stays.
    assert!(files.contains(&"cloudfront/response-headers-policy.tf".to_string()));
    assert!(files.contains(&"apigateway/openapi.json".to_string()));
    assert!(files.contains(&"lambda/python/cors.py".to_string()));
    let skipped = readme
        .split("## Not generated")
        .nth(1)
        .expect("a skip section");
    assert!(
        skipped.contains("**the CloudFront artifacts**"),
        "{skipped}"
    );
    assert!(
        skipped.contains("cloudfront/viewer-request.js would be"),
        "{skipped}"
    );
    assert!(
        !readme.contains("\n## CloudFront\n"),
        "no wiring for what was not written"
    );
    // The picture's CloudFront layer is the response headers policy alone.
    assert!(!readme.contains("viewer-request: answers"), "{readme}");
    assert!(
        readme.contains("response headers policy: the CORS headers"),
        "{readme}"
    );

    // A KeyValueStore makes it fit again: nothing is skipped.
    let store =
        format!("{base}[cloudfront]\nenabled = \"if-fits\"\nkey-value-store = \"if-needed\"\n");
    let (code, files, readme) = emit(dir.path(), &store);
    assert_eq!(code, 0);
    assert!(files.contains(&"cloudfront/key-value-store.json".to_string()));
    assert!(!readme.contains("## Not generated"));
}

#[test]
fn a_value_api_gateway_cannot_carry_skips_it_under_if_fits() {
    let dir = tempfile::tempdir().unwrap();
    let base = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-headers = [\"X-Tenant's-Id\"]\n";
    let (code, codes) = validate(dir.path(), base);
    assert_eq!(
        (code, codes),
        (3, vec!["apigateway-unquotable".to_string()])
    );
    let text = format!("{base}[apigateway]\nenabled = \"if-fits\"\n");
    let (code, codes) = validate(dir.path(), &text);
    assert_eq!((code, codes), (0, vec!["target-skipped".to_string()]));
    let (code, files, readme) = emit(dir.path(), &text);
    assert_eq!(code, 0);
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("apigateway/") && !f.contains("http-api")),
        "{files:?}"
    );
    // HTTP API CORS carries the value (JSON, YAML and HCL quote it): it stays.
    assert!(files.contains(&"apigateway/http-api.tf".to_string()));
    assert!(files.contains(&"cloudfront/viewer-request.js".to_string()));
    assert!(readme.contains("**the API Gateway artifacts**"), "{readme}");
    assert!(readme.contains("single-quoted static values"), "{readme}");

    // The CDK module applies them: without them it is not emitted either, and the README
    // says why.
    let text = format!("{text}[cdk]\nenabled = \"if-fits\"\n");
    let (code, files, readme) = emit(dir.path(), &text);
    assert_eq!(code, 0);
    assert!(!files.iter().any(|f| f.starts_with("cdk/")), "{files:?}");
    assert!(readme.contains("**the CDK module**"), "{readme}");
    assert!(
        readme.contains("it needs the API Gateway artifacts, which are not emitted"),
        "{readme}"
    );
}

#[test]
fn every_static_configuration_is_skipped_and_reported_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    // A route with its own rule: neither HTTP API CORS nor a response headers policy fits.
    // (Its errors answer as [cors]'s, so gateway responses raise no warning.)
    let base = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-headers = [\"X-A\"]\n[[route]]\npath = \"/admin/{proxy+}\"\nallow-headers = [\"X-Admin\"]\n";
    let configurations = [
        (
            "apigateway",
            "http-api",
            "HTTP API CORS",
            "apigateway/http-api",
        ),
        (
            "cloudfront",
            "response-headers-policy",
            "a CloudFront response headers policy",
            "cloudfront/response-headers-policy",
        ),
    ];

    // Left unset ("if-fits" by default): skipped without a warning; the README says why.
    let (code, codes) = validate(dir.path(), base);
    assert_eq!((code, codes.len()), (0, 0), "{codes:?}");
    let (_, files, readme) = emit(dir.path(), base);
    for (_, _, what, prefix) in configurations {
        assert!(!files.iter().any(|f| f.starts_with(prefix)), "{files:?}");
        assert!(
            readme.contains(&format!("**{what}**, because:")),
            "{readme}"
        );
        assert!(
            readme.contains(&format!("{what} is one configuration")),
            "{what}: {readme}"
        );
    }

    for (family, name, what, prefix) in configurations {
        // Every spelling of each setting means the same; each one written gets the same
        // diagnostics, per target.
        for (spelling, expected_code, expected) in [
            (
                format!("[{family}]\n{name} = \"if-fits\"\n"),
                0,
                "target-skipped",
            ),
            (
                format!("[{family}.{name}]\nenabled = \"if-fits\"\n"),
                0,
                "target-skipped",
            ),
            (format!("[{family}]\n{name} = true\n"), 3, "target-unfit"),
            (
                format!("[{family}.{name}]\nenabled = true\n"),
                3,
                "target-unfit",
            ),
        ] {
            let text = format!("{base}{spelling}");
            let (code, codes) = validate(dir.path(), &text);
            assert_eq!(code, expected_code, "{spelling}");
            assert_eq!(codes, [expected], "{spelling}");
            let out = corsgen(dir.path(), &["validate", "p.toml"]);
            let human = String::from_utf8_lossy(&out.stderr);
            assert!(
                human.contains(&format!("{what} cannot express this")),
                "{human}"
            );
        }
        // `false` in either spelling: nothing, and nothing said.
        for spelling in [
            format!("[{family}]\n{name} = false\n"),
            format!("[{family}.{name}]\nenabled = false\n"),
        ] {
            let text = format!("{base}{spelling}");
            assert_eq!(validate(dir.path(), &text), (0, vec![]), "{spelling}");
            let (_, files, readme) = emit(dir.path(), &text);
            assert!(!files.iter().any(|f| f.starts_with(prefix)));
            assert!(
                !readme.contains(&format!("**{what}**")),
                "{spelling}: {readme}"
            );
        }
    }

    // Where the policy fits, both are emitted under the default.
    let fits = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-headers = [\"X-A\"]\n";
    let (_, files, readme) = emit(dir.path(), fits);
    for (_, _, _, prefix) in configurations {
        assert!(
            files.iter().any(|f| f.starts_with(prefix)),
            "{prefix}: {files:?}"
        );
    }
    assert!(!readme.contains("## Not generated"));
}

#[test]
fn a_setting_outside_the_vocabulary_is_located_with_the_values_it_takes() {
    let dir = tempfile::tempdir().unwrap();
    for (table, expected) in [
        (
            "[lambda]\nenabled = \"yes\"\n",
            "use true, false or \"if-fits\"",
        ),
        (
            "[cloudfront]\nenabled = \"if-fit\"\n",
            "did you mean \"if-fits\"?",
        ),
        (
            "[apigateway.http-api]\nenable = true\n",
            "did you mean `enabled`?",
        ),
        (
            "[apigateway]\nhttp-api = 1\n",
            "true, false, \"if-fits\" or a table",
        ),
    ] {
        let text =
            format!("version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\n{table}");
        std::fs::write(dir.path().join("p.toml"), &text).unwrap();
        let out = corsgen(dir.path(), &["validate", "p.toml"]);
        assert_eq!(out.status.code(), Some(3), "{table}");
        let human = String::from_utf8_lossy(&out.stderr);
        assert!(human.contains(expected), "{table}: {human}");
        assert!(human.contains("p.toml:5:"), "{table}: {human}");
    }
}

#[test]
fn a_skip_in_one_environment_is_that_environments_own() {
    let dir = tempfile::tempdir().unwrap();
    // Only the dev environment has a value API Gateway cannot carry.
    let text = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-headers = [\"Content-Type\"]\n[env.dev]\nallow-headers = [\"X-It's\"]\n[apigateway]\nenabled = \"if-fits\"\n";
    std::fs::write(dir.path().join("p.toml"), text).unwrap();
    let out = corsgen(dir.path(), &["validate", "p.toml"]);
    assert_eq!(out.status.code(), Some(0));
    let human = String::from_utf8_lossy(&out.stderr);
    assert!(human.contains("env dev: \"X-It's\" contains"), "{human}");
    assert!(human.contains("not emitted with --env dev"), "{human}");
    // The base policy emits API Gateway; dev does not.
    let (_, files, readme) = emit(dir.path(), text);
    assert!(
        files.contains(&"apigateway/openapi.json".to_string()),
        "{files:?}"
    );
    assert!(!readme.contains("## Not generated"), "{readme}");
    let _ = std::fs::remove_dir_all(dir.path().join("out"));
    let out = corsgen(
        dir.path(),
        &["emit", "p.toml", "--out", "out", "--env", "dev"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(!dir.path().join("out/apigateway/openapi.json").exists());
    let readme = std::fs::read_to_string(dir.path().join("out/README.md")).unwrap();
    assert!(readme.contains("**the API Gateway artifacts**"), "{readme}");

    // A static configuration that only an environment's origins break.
    let text = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\n[env.stage]\nallow-origins = [\"https://*.stage.example.com\"]\n[apigateway]\nenabled = false\n[apigateway.http-api]\nenabled = \"if-fits\"\n";
    std::fs::write(dir.path().join("p.toml"), text).unwrap();
    let out = corsgen(dir.path(), &["validate", "p.toml"]);
    let human = String::from_utf8_lossy(&out.stderr);
    assert!(human.contains("env stage: HTTP API CORS"), "{human}");
    assert!(human.contains("not emitted with --env stage"), "{human}");
    let (_, files, _) = emit(dir.path(), text);
    assert!(
        files.contains(&"apigateway/http-api.tf".to_string()),
        "{files:?}"
    );
}

#[test]
fn a_static_configuration_written_for_itself_outlives_its_family() {
    let dir = tempfile::tempdir().unwrap();
    // Only an HTTP API: the REST artifacts off, HTTP API CORS on.
    let text = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\", \"https://b.example.com\"]\nallow-credentials = true\nallow-headers = [\"Content-Type\"]\n[apigateway]\nenabled = false\n[apigateway.http-api]\nenabled = true\n[cloudfront]\nenabled = false\nresponse-headers-policy = true\n";
    let (code, files, readme) = emit(dir.path(), text);
    assert_eq!(code, 0);
    let apigateway: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("apigateway/"))
        .collect();
    assert_eq!(
        apigateway,
        [
            "apigateway/http-api.cloudformation.yaml",
            "apigateway/http-api.openapi.json",
            "apigateway/http-api.tf"
        ]
    );
    let cloudfront: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("cloudfront/"))
        .collect();
    assert_eq!(
        cloudfront,
        [
            "cloudfront/response-headers-policy.cloudformation.yaml",
            "cloudfront/response-headers-policy.tf"
        ]
    );
    assert!(readme.contains("## API Gateway HTTP API"), "{readme}");
    assert!(
        readme.contains("## CloudFront response headers policy"),
        "{readme}"
    );
    assert!(!readme.contains("## API Gateway REST API"), "{readme}");
    assert!(
        readme.contains("corsConfiguration: answers preflights"),
        "{readme}"
    );
    // Left unset, a static configuration follows its family off.
    let quiet = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-headers = [\"Content-Type\"]\n[apigateway]\nenabled = false\n[cloudfront]\nenabled = false\n";
    let (_, files, _) = emit(dir.path(), quiet);
    assert!(
        !files
            .iter()
            .any(|f| f.contains('/') && !f.starts_with("lambda/")),
        "{files:?}"
    );
}

#[test]
fn without_env_validate_checks_every_environments_platform_limits() {
    let dir = tempfile::tempdir().unwrap();
    let origins: Vec<String> = (0..400)
        .map(|i| format!("\"https://site{i}.example-{i}.com\""))
        .collect();
    let text = format!(
        "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-headers = [\"X-A\"]\n[env.big]\nallow-origins = [{}]\n[apigateway]\ngateway-response-origin = \"first\"\n",
        origins.join(", ")
    );
    // The base policy fits; only the big environment's functions pass CloudFront's limit.
    let (code, codes) = validate(dir.path(), &text);
    assert_eq!(code, 3);
    assert_eq!(codes, ["cloudfront-function-too-large"; 2]);
    let out = corsgen(dir.path(), &["validate", "p.toml"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("env big: cloudfront/viewer-request.js"));
    let base = corsgen(dir.path(), &["emit", "p.toml", "--out", "out"]);
    assert_eq!(base.status.code(), Some(0), "the base policy still emits");
}

#[test]
fn api_gateway_gets_one_variable_path_part_per_resource() {
    let dir = tempfile::tempdir().unwrap();
    // A route's {id} beside the default /{proxy+}: the default is left out, with a warning.
    let text = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\n[[route]]\npath = \"/{id}\"\n";
    assert_eq!(
        validate(dir.path(), text),
        (0, vec!["resource-default-dropped".to_string()])
    );
    let (_, _, _) = emit(dir.path(), text);
    let openapi: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/apigateway/openapi.json")).unwrap(),
    )
    .unwrap();
    let paths: Vec<&String> = openapi["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/", "/{id}"]);
    // Written siblings, and a parameter named twice, are errors.
    let siblings = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\n[apigateway]\nresources = [\"/user/{bizId}/complaint\", \"/user/{userId}/fans\"]\n";
    assert_eq!(
        validate(dir.path(), siblings),
        (3, vec!["resource-variable-sibling".to_string()])
    );
    let twice = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\n[[route]]\npath = \"/a/{id}/{id}\"\n";
    assert_eq!(
        validate(dir.path(), twice),
        (3, vec!["route-path-invalid".to_string()])
    );
    // The same name under one parent is one resource: fine.
    let shared = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\n[apigateway]\nresources = [\"/user/{id}/complaint\", \"/user/{id}/fans\"]\n";
    assert_eq!(validate(dir.path(), shared), (0, vec![]));
}

#[test]
fn api_gateway_limits_are_checked_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    // Ten thousand exact origins: a mapping template over API Gateway's 300 KB.
    let origins: Vec<String> = (0..10_000)
        .map(|i| format!("\"https://site{i}.example-{i}.com\""))
        .collect();
    let base = format!(
        "version = 1\n[cors]\nallow-origins = [{}]\n[cloudfront]\nkey-value-store = \"if-needed\"\n",
        origins.join(", ")
    );
    let text = format!("{base}[apigateway]\ngateway-response-origin = \"first\"\n");
    let (code, codes) = validate(dir.path(), &text);
    assert_eq!(code, 3);
    assert_eq!(
        codes,
        ["apigateway-limit", "cloudformation-too-large-inline"]
    );
    let out = corsgen(dir.path(), &["validate", "p.toml"]);
    let human = String::from_utf8_lossy(&out.stderr);
    assert!(
        human.contains("over API Gateway's 307200-byte limit"),
        "{human}"
    );
    let (code, files, _) = emit(dir.path(), &text);
    assert_eq!(code, 3);
    assert!(files.is_empty(), "nothing is written: {files:?}");
    // Under "if-fits" the REST artifacts are skipped; CloudFront's KeyValueStore carries them.
    let if_fits =
        format!("{base}[apigateway]\ngateway-response-origin = \"first\"\nenabled = \"if-fits\"\n");
    let (code, files, readme) = emit(dir.path(), &if_fits);
    assert_eq!(code, 0);
    assert!(!files.contains(&"apigateway/openapi.json".to_string()));
    assert!(files.contains(&"cloudfront/key-value-store.json".to_string()));
    assert!(readme.contains("**the API Gateway artifacts**"), "{readme}");
}

#[test]
fn cloudfront_forwards_authorization_and_cookies_whichever_the_caching() {
    let dir = tempfile::tempdir().unwrap();
    let base = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-credentials = true\nallow-headers = [\"Authorization\", \"Content-Type\"]\n";
    // By default an authenticated API is not cached: the managed policies forward everything.
    let (_, _, readme) = emit(dir.path(), base);
    let cfn =
        std::fs::read_to_string(dir.path().join("out/cloudfront/cloudformation.yaml")).unwrap();
    assert!(!cfn.contains("AWS::CloudFront::CachePolicy"), "{cfn}");
    assert!(
        cfn.contains("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
        "CachingDisabled"
    );
    assert!(
        cfn.contains("b689b0a8-53d0-40ab-baf2-68738e2966ac"),
        "AllViewerExceptHostHeader"
    );
    assert!(
        readme.contains(
            "**Caching disabled**, because the policy allows credentials and Authorization"
        ),
        "{readme}"
    );
    // Cached on request: Authorization and the cookies are in the key, so they reach the API.
    let (_, _, readme) = emit(
        dir.path(),
        &format!("{base}[cloudfront]\ncaching = \"enabled\"\n"),
    );
    let cfn =
        std::fs::read_to_string(dir.path().join("out/cloudfront/cloudformation.yaml")).unwrap();
    assert!(cfn.contains("- \"Authorization\""), "{cfn}");
    assert!(cfn.contains("CookieBehavior: all"), "{cfn}");
    assert!(
        cfn.contains("b689b0a8-53d0-40ab-baf2-68738e2966ac"),
        "{cfn}"
    );
    assert!(
        readme.contains("because the policy says caching = \"enabled\""),
        "{readme}"
    );
}

#[test]
fn a_long_policy_name_never_passes_cloudformations_description_limit() {
    let dir = tempfile::tempdir().unwrap();
    let name = "n".repeat(1_100);
    let text = format!(
        "version = 1\nname = \"{name}\"\n[cors]\nallow-origins = [\"https://a.example.com\"]\n"
    );
    let (code, _, _) = emit(dir.path(), &text);
    assert_eq!(code, 0);
    for file in [
        "apigateway/cloudformation.yaml",
        "cloudfront/cloudformation.yaml",
    ] {
        let yaml = std::fs::read_to_string(dir.path().join("out").join(file)).unwrap();
        let description = yaml
            .lines()
            .find_map(|l| l.strip_prefix("Description: "))
            .unwrap();
        let value: String = serde_json::from_str(description).unwrap();
        assert!(value.len() <= 1_024, "{file}: {} bytes", value.len());
        assert!(value.ends_with('…'), "{file}");
    }
}
