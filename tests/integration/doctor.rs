//! `corsgen check` from the command line, and `corsgen doctor` on hand-made captures: the
//! failures AWS deployments really produce, and malformed or truncated HAR files.

use serde_json::{json, Value};

use crate::support::{corsgen, root};

fn run(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = corsgen(&root(), args);
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn check_names_the_route_key_to_change_and_exits_by_verdict() {
    // Allowed: exit 0, preflight 204 with the rule's lists.
    let (code, report, _) = run(&[
        "check",
        "policies/per-route.toml",
        "--origin",
        "https://backoffice.example.com",
        "--path",
        "/admin/users",
        "--method",
        "PATCH",
        "--credentials",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(report["preflight"]["response"]["status"], 204);
    // The admin route's own allow-methods is the key to change for a method it lacks.
    let (code, report, _) = run(&[
        "check",
        "policies/per-route.toml",
        "--origin",
        "https://backoffice.example.com",
        "--path",
        "/admin/users",
        "--method",
        "POST",
        "-H",
        "X-Trace: 1",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["fixes"][0]["message"],
        "add \"X-Trace\" to allow-headers"
    );
    assert_eq!(
        report["fixes"][0]["location"], "policies/per-route.toml:11:17",
        "inherited from [cors]"
    );
    let (_, report, _) = run(&[
        "check",
        "policies/per-route.toml",
        "--origin",
        "https://shop.example.com",
        "--path",
        "/catalog/x",
        "--method",
        "PUT",
        "--format",
        "json",
    ]);
    assert_eq!(
        report["fixes"][0]["message"],
        "add \"PUT\" to allow-methods"
    );
    assert_eq!(
        report["fixes"][0]["location"], "policies/per-route.toml:19:17",
        "the route's own key"
    );
    // Credentials against an any-origin route: Chromium's wildcard message and the fix.
    let (code, report, _) = run(&[
        "check",
        "policies/per-route.toml",
        "--origin",
        "https://shop.example.com",
        "--path",
        "/catalog/x",
        "--credentials",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(report["blocked"]["error"], "WildcardOriginNotAllowed");
    assert!(report["fixes"][0]["message"]
        .as_str()
        .unwrap()
        .contains("replace [\"*\"]"));
    // A dev origin is allowed only with its environment.
    let args = [
        "check",
        "policies/per-route.toml",
        "--origin",
        "http://localhost:3000",
        "--path",
        "/orders/1",
    ];
    assert_eq!(corsgen(&root(), &args).status.code(), Some(1));
    let with_env: Vec<&str> = args.iter().copied().chain(["--env", "dev"]).collect();
    assert_eq!(corsgen(&root(), &with_env).status.code(), Some(0));
    // The human form shows the exchange, the message and the fix.
    let out = corsgen(
        &root(),
        &[
            "check",
            "policies/example.toml",
            "--origin",
            "https://evil.example",
            "--method",
            "PUT",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "  > Access-Control-Request-Method: PUT",
        "  < 403",
        "verdict: blocked",
        "Chromium: Access to fetch at 'https://api.example/' from origin 'https://evil.example' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
        "fix: add \"https://evil.example\" to allow-origins at policies/example.toml:10:17",
    ] {
        assert!(text.contains(line), "{line}\n---\n{text}");
    }
    // Usage errors and invalid policies.
    let (code, _, stderr) = run(&[
        "check",
        "policies/example.toml",
        "--origin",
        "https://www.example.com/",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("a browser would send `https://www.example.com`"),
        "{stderr}"
    );
    let (code, _, _) = run(&[
        "check",
        "policies/example.toml",
        "--origin",
        "https://*.example.com",
    ]);
    assert_eq!(code, Some(2));
    let (code, _, _) = run(&[
        "check",
        "policies/example.toml",
        "--origin",
        "https://a.example",
        "-H",
        "Bad Header: 1",
    ]);
    assert_eq!(code, Some(2));
    let (code, _, _) = run(&[
        "check",
        "tests/invalid/any-origin-with-credentials.toml",
        "--origin",
        "https://a.example",
    ]);
    assert_eq!(code, Some(3));
}

fn header(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn entry(method: &str, url: &str, request: &[Value], status: i64, response: &[Value]) -> Value {
    json!({
        "startedDateTime": "2026-11-21T10:00:00.000+01:00",
        "time": 12,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/2", "headers": request, "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/2", "headers": response, "cookies": [], "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {},
        "timings": {"send": 0, "wait": 10, "receive": 2}
    })
}

/// A Firefox-style capture (no `_resourceType`, preflights as plain OPTIONS entries) of the
/// failures AWS users meet, plus requests that must not be reported.
fn aws_capture() -> Value {
    let page = "https://www.example.com";
    let api = "https://api.example.com";
    let origin = header("Origin", page);
    let acao = header("access-control-allow-origin", page);
    json!({"log": {
        "version": "1.2",
        "creator": {"name": "Firefox", "version": "140.0"},
        "pages": [{"id": "page_1", "title": format!("{page}/"), "startedDateTime": "2026-11-21T10:00:00.000+01:00", "pageTimings": {}}],
        "entries": [
            // 0: allowed.
            entry("GET", &format!("{api}/orders"), std::slice::from_ref(&origin), 200, &[acao.clone(), header("vary", "Origin")]),
            // 1: same-origin, not CORS.
            entry("GET", &format!("{page}/app.js"), &[], 200, &[]),
            // 2: a 401 from the Cognito authorizer: a gateway response without CORS headers.
            entry("GET", &format!("{api}/orders/7"), &[origin.clone(), header("Authorization", "Bearer x")], 401, &[header("x-amzn-ErrorType", "UnauthorizedException"), header("x-amz-apigw-id", "abc=")]),
            // 3, 4: the preflight hits a resource without OPTIONS.
            entry("OPTIONS", &format!("{api}/reports"), &[origin.clone(), header("Access-Control-Request-Method", "PUT")], 403, &[header("x-amzn-ErrorType", "MissingAuthenticationTokenException")]),
            entry("PUT", &format!("{api}/reports"), std::slice::from_ref(&origin), 0, &[]),
            // 5: both the Lambda and the integration response add ACAO.
            entry("GET", &format!("{api}/items"), std::slice::from_ref(&origin), 200, &[acao.clone(), acao.clone()]),
            // 6: CloudFront served the answer cached for the other site.
            entry("GET", &format!("{api}/catalog"), std::slice::from_ref(&origin), 200, &[header("access-control-allow-origin", "https://sp.example.com"), header("x-cache", "Hit from cloudfront")]),
            // 7, 8: an origin the policy does not allow; Chrome-style failure.
            entry("OPTIONS", &format!("{api}/orders/9"), &[header("Origin", "https://evil.example"), header("Access-Control-Request-Method", "DELETE")], 403, &[header("vary", "Origin")]),
            entry("DELETE", &format!("{api}/orders/9"), &[header("Origin", "https://evil.example")], 0, &[]),
        ]
    }})
}

#[test]
fn doctor_explains_the_failures_aws_deployments_produce() {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("firefox.har");
    std::fs::write(&har, serde_json::to_string_pretty(&aws_capture()).unwrap()).unwrap();
    let (code, report, stderr) = run(&[
        "doctor",
        har.to_str().unwrap(),
        "--policy",
        "policies/example.toml",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(report["requests"], 9);
    assert_eq!(report["cross_origin"], 6);
    let findings = report["findings"].as_array().unwrap();
    let by_entry = |i: u64| {
        findings
            .iter()
            .find(|f| f["entry"] == i)
            .unwrap_or_else(|| panic!("entry {i} in {report}"))
    };
    assert_eq!(findings.len(), 5, "{report:#}");
    assert!(by_entry(2)["layer"]
        .as_str()
        .unwrap()
        .contains("UnauthorizedException"));
    assert!(by_entry(2)["layer"]
        .as_str()
        .unwrap()
        .contains("gateway responses"));
    assert_eq!(by_entry(2)["error"], "MissingAllowOriginHeader");
    assert_eq!(by_entry(4)["preflight_entry"], 3);
    assert!(
        by_entry(4)["layer"]
            .as_str()
            .unwrap()
            .contains("no OPTIONS method"),
        "{}",
        by_entry(4)
    );
    assert_eq!(by_entry(5)["error"], "MultipleAllowOriginValues");
    assert_eq!(
        by_entry(5)["message"],
        "Access to fetch at 'https://api.example.com/items' from origin 'https://www.example.com' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values 'https://www.example.com, https://www.example.com', but only one is allowed. Have the server send the header with a valid value."
    );
    assert!(by_entry(5)["layer"]
        .as_str()
        .unwrap()
        .contains("two layers"));
    assert!(by_entry(6)["layer"].as_str().unwrap().contains("cache key"));
    // The policy allows www.example.com, so the deployment is at fault, with the differences.
    assert!(by_entry(5)["fixes"][0]["message"]
        .as_str()
        .unwrap()
        .contains("the policy allows this request"));
    assert!(!by_entry(6)["differences"].as_array().unwrap().is_empty());
    // evil.example is not in the policy: the policy fix, at file:line:col.
    assert_eq!(
        by_entry(8)["fixes"][0]["message"],
        "add \"https://evil.example\" to allow-origins"
    );
    assert_eq!(
        by_entry(8)["fixes"][0]["location"],
        "policies/example.toml:10:17"
    );

    // The human form, and a clean capture exits 0.
    let out = corsgen(&root(), &["doctor", har.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("9 requests, 6 cross-origin, 5 failing"),
        "{text}"
    );
    assert!(text.contains("[entry 4, preflight entry 3] PUT https://api.example.com/reports from https://www.example.com"), "{text}");
    let mut clean = aws_capture();
    let entries = clean["log"]["entries"].as_array_mut().unwrap();
    entries.truncate(2);
    std::fs::write(&har, clean.to_string()).unwrap();
    assert_eq!(
        corsgen(&root(), &["doctor", har.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn malformed_and_truncated_hars_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let whole = serde_json::to_string_pretty(&aws_capture()).unwrap();
    let mut bad_headers = aws_capture();
    bad_headers["log"]["entries"][2]["request"]["headers"] = json!({"Origin": "x"});
    let mut no_url = aws_capture();
    no_url["log"]["entries"][3]["request"]
        .as_object_mut()
        .unwrap()
        .remove("url");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "truncated.har",
            whole[..whole.len() / 2].to_string(),
            "the HAR is truncated",
        ),
        ("empty.har", String::new(), "the HAR is truncated"),
        (
            "text.har",
            "GET /orders HTTP/1.1".to_string(),
            "not valid JSON",
        ),
        ("trailing.har", format!("{whole}\n}}"), "not valid JSON"),
        (
            "not-har.json",
            "{\"entries\": []}".to_string(),
            "it has no top-level \"log\"",
        ),
        (
            "version.har",
            "{\"log\": {\"version\": \"2.0\", \"entries\": []}}".to_string(),
            "log.version: `2.0` is not a HAR 1.x version",
        ),
        (
            "no-entries.har",
            "{\"log\": {\"version\": \"1.2\"}}".to_string(),
            "log.entries: missing",
        ),
        (
            "headers.har",
            bad_headers.to_string(),
            "log.entries[2].request.headers: expected a list",
        ),
        (
            "no-url.har",
            no_url.to_string(),
            "log.entries[3].request.url: missing (expected a string)",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (code, _, stderr) = run(&["doctor", path.to_str().unwrap()]);
        assert_eq!(code, Some(3), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(
            stderr.contains(&path.display().to_string()),
            "{name} names the file: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    // JSON errors carry line:col.
    let path = dir.path().join("truncated.har");
    let (_, _, stderr) = run(&["doctor", path.to_str().unwrap()]);
    let at = format!("{}:", path.display());
    let rest = &stderr[stderr.find(&at).unwrap() + at.len()..];
    let line_col: Vec<&str> = rest.split(':').take(2).collect();
    assert!(
        line_col.iter().all(|n| n.parse::<u32>().is_ok()),
        "{stderr}"
    );
    // A missing file is an I/O error.
    let (code, _, _) = run(&["doctor", dir.path().join("absent.har").to_str().unwrap()]);
    assert_eq!(code, Some(4));
}
