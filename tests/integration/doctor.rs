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
    // A header name the browser refuses is the script's exception, as Chromium throws it.
    let (code, report, _) = run(&[
        "check",
        "policies/example.toml",
        "--origin",
        "https://a.example",
        "-H",
        "Bad Header: 1",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["message"],
        "TypeError: Failed to execute 'fetch' on 'Window': Invalid name"
    );
    let (code, _, _) = run(&[
        "check",
        "tests/invalid/any-origin-with-credentials.toml",
        "--origin",
        "https://a.example",
    ]);
    assert_eq!(code, Some(3));
}

/// The one fix `check` gives for `args`, as "message at location".
fn only_fix(args: &[&str]) -> String {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let (code, report, stderr) = run(&all);
    assert_eq!(code, Some(1), "{args:?}: {stderr}");
    let fixes = report["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 1, "{args:?}: {fixes:?}");
    match fixes[0]["location"].as_str() {
        Some(at) => format!("{} at {at}", fixes[0]["message"].as_str().unwrap()),
        None => fixes[0]["message"].as_str().unwrap().to_string(),
    }
}

#[test]
fn check_never_misleads_its_fixes_are_the_right_change() {
    // Allowed in another environment: say so, do not add it to [cors].
    assert_eq!(
        only_fix(&["policies/multi-env.toml", "--origin", "http://localhost:3000"]),
        "http://localhost:3000 is allowed in [env.dev]: check with --env dev (deploy that environment's artifacts for this page) at policies/multi-env.toml:15:6"
    );
    // A look-alike of an allowed origin is never to be allowlisted.
    for lookalike in [
        "https://billing.example.com.evil.com",
        "https://evilexample.com",
    ] {
        let fix = only_fix(&["policies/multi-env.toml", "--origin", lookalike]);
        assert!(
            fix.contains("only looks like the allowed https://billing.example.com"),
            "{fix}"
        );
        assert!(
            fix.contains("never allowlist it") && !fix.contains(" at "),
            "{fix}"
        );
    }
    // Under an environment, the environment's own key.
    assert_eq!(
        only_fix(&["policies/multi-env.toml", "--env", "prod", "--origin", "https://new.example.com"]),
        "add extra-origins = [\"https://new.example.com\"] to [env.prod] at policies/multi-env.toml:23:6"
    );
    assert_eq!(
        only_fix(&["policies/multi-env.toml", "--env", "dev", "--origin", "https://new.example.com"]),
        "add \"https://new.example.com\" to allow-origins of [env.dev] at policies/multi-env.toml:16:17"
    );
    // A page served over http whose https origin is allowed: serve it over https. Another
    // http origin, with credentials: the key, and the opt-in validation requires.
    assert_eq!(
        only_fix(&["policies/example.toml", "--origin", "http://www.example.com"]),
        "the page is served over plain http, and the policy allows https://www.example.com: serve the page over https"
    );
    let insecure = only_fix(&[
        "policies/example.toml",
        "--origin",
        "http://new.example.com",
    ]);
    assert!(
        insecure.contains("allow-insecure-origins = true"),
        "{insecure}"
    );
    // A response header the script sends is not to be allowed: it is not to be sent.
    let response_only = only_fix(&[
        "policies/example.toml",
        "--origin",
        "https://www.example.com",
        "-H",
        "Access-Control-Allow-Origin: *",
    ]);
    assert!(
        response_only.starts_with("access-control-allow-origin is a response header"),
        "{response_only}"
    );
    // A typo look-alike is a look-alike too.
    assert!(only_fix(&[
        "policies/example.toml",
        "--origin",
        "https://www.examp1e.com"
    ])
    .contains("only looks like the allowed https://www.example.com"));
    // A trailing-dot host is what a browser sends for such a page: an origin, refused, and
    // never to be listed.
    assert_eq!(
        only_fix(&["policies/example.toml", "--origin", "https://www.example.com."]),
        "the page was loaded from a host with a trailing dot, which browsers treat as another origin: link to https://www.example.com instead (no policy should list the dotted form)"
    );

    // Without an environment, the key in effect.
    assert_eq!(
        only_fix(&[
            "policies/multi-env.toml",
            "--origin",
            "https://new.example.com"
        ]),
        "add \"https://new.example.com\" to allow-origins at policies/multi-env.toml:8:17"
    );

    // A forbidden method: Chromium's TypeError, nothing sent, no policy fix.
    for method in ["CONNECT", "trace", "TRACK"] {
        let (code, report, _) = run(&[
            "check",
            "policies/example.toml",
            "--origin",
            "https://www.example.com",
            "--method",
            method,
            "--format",
            "json",
        ]);
        assert_eq!(code, Some(1));
        assert_eq!(
            report["message"],
            format!("TypeError: Failed to execute 'fetch' on 'Window': '{method}' HTTP method is unsupported.")
        );
        assert_eq!(report["preflight"], Value::Null);
        assert_eq!(report["actual"], json!([]));
        assert_eq!(report["fixes"], json!([]));
        assert_eq!(report["preflight_reasons"], json!([]));
    }

    // An origin exactly as Chromium serializes it is accepted; another form is a usage error
    // naming the serialization.
    let (code, _, _) = run(&[
        "check",
        "policies/example.toml",
        "--origin",
        "https://[::ffff:102:304]",
    ]);
    assert_eq!(code, Some(1));
    let (code, _, stderr) = run(&[
        "check",
        "policies/example.toml",
        "--origin",
        "https://[::ffff:1.2.3.4]",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("a browser would send `https://[::ffff:102:304]`"),
        "{stderr}"
    );
}

#[test]
fn check_matches_routes_on_the_path_after_the_stage() {
    let route = |args: &[&str]| {
        let mut all = vec![
            "check",
            "policies/per-route.toml",
            "--origin",
            "https://backoffice.example.com",
            "--format",
            "json",
        ];
        all.extend_from_slice(args);
        let (code, report, stderr) = run(&all);
        assert!(matches!(code, Some(0 | 1)), "{args:?}: {stderr}");
        (code, report)
    };
    let url = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/admin/users/1";
    // The admin route allows this origin; matched on /admin/users/1, not /prod/admin/users/1.
    let (code, report) = route(&["--url", url]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report["request"]["url"], url,
        "the message names the URL as fetched"
    );
    let (code, _) = route(&["--url", url, "--stage", "prod"]);
    assert_eq!(code, Some(0));
    let (code, _) = route(&["--url", url, "--stage", "$default"]);
    assert_eq!(
        code,
        Some(1),
        "with no stage segment the path is /prod/admin/users/1"
    );
    let (code, _) = route(&[
        "--url",
        "https://api.example.com/v1/orders",
        "--path",
        "/admin/users",
    ]);
    assert_eq!(code, Some(0), "--path gives the route path with any --url");
    let human = corsgen(
        &root(),
        &[
            "check",
            "policies/per-route.toml",
            "--origin",
            "https://backoffice.example.com",
            "--url",
            url,
        ],
    );
    assert!(
        String::from_utf8_lossy(&human.stdout)
            .contains("matched on /admin/users/1 after the stage segment `/prod`"),
        "{}",
        String::from_utf8_lossy(&human.stdout)
    );
    let (code, _, stderr) = run(&[
        "check",
        "policies/per-route.toml",
        "--origin",
        "https://backoffice.example.com",
        "--url",
        url,
        "--stage",
        "dev",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("does not start with the stage segment /dev"),
        "{stderr}"
    );
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
    // A Firefox capture is explained with Firefox's messages.
    assert_eq!(report["browser"], "firefox");
    assert_eq!(
        by_entry(5)["message"],
        "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/items. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed)."
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

/// Two layers a policy cannot fix by itself: a function URL whose CORS configuration and
/// function both add the header, and Amazon Cognito's own endpoint.
#[test]
fn doctor_names_function_urls_and_cognito() {
    let page = "https://www.example.com";
    let origin = header("Origin", page);
    let url = "https://abc123.lambda-url.eu-west-1.on.aws/orders";
    let cognito = "https://my-pool.auth.eu-west-1.amazoncognito.com/oauth2/token";
    let capture = json!({"log": {
        "version": "1.2",
        "creator": {"name": "Firefox", "version": "140.0"},
        "entries": [
            entry("GET", url, std::slice::from_ref(&origin), 200, &[header("access-control-allow-origin", "*"), header("access-control-allow-origin", "*")]),
            entry("POST", cognito, std::slice::from_ref(&origin), 400, &[]),
        ]
    }});
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("capture.har");
    std::fs::write(&har, capture.to_string()).unwrap();
    let (code, report, stderr) = run(&[
        "doctor",
        har.to_str().unwrap(),
        "--policy",
        "policies/example.toml",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{report:#}");
    let layer = findings[0]["layer"].as_str().unwrap();
    assert!(layer.starts_with("a Lambda function URL"), "{layer}");
    assert!(layer.contains("cors-owner"), "{layer}");
    let layer = findings[1]["layer"].as_str().unwrap();
    assert!(layer.starts_with("Amazon Cognito"), "{layer}");
    assert_eq!(findings[1]["fixes"].as_array().unwrap().len(), 1);
    assert!(findings[1]["fixes"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("no policy fix: the request goes to Amazon Cognito"));
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

#[test]
fn doctor_matches_routes_on_the_path_after_the_stage() {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("stage.har");
    let url = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/admin/users/1";
    let origin = header("Origin", "https://shop.example.com");
    let capture = json!({"log": {
        "version": "1.2",
        "creator": {"name": "Firefox", "version": "140.0"},
        "entries": [
            entry("OPTIONS", url, &[origin.clone(), header("Access-Control-Request-Method", "PUT")], 403, &[header("vary", "Origin")]),
            entry("PUT", url, &[origin], 0, &[]),
        ]
    }});
    std::fs::write(&har, capture.to_string()).unwrap();
    let fix = |extra: &[&str]| {
        let mut args = vec![
            "doctor",
            har.to_str().unwrap(),
            "--policy",
            "policies/per-route.toml",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, report, stderr) = run(&args);
        assert_eq!(code, Some(1), "{stderr}");
        report["findings"][0]["fixes"][0].clone()
    };
    // /admin/users/1 after the stage: the admin route, which allows only the back office.
    let admin = fix(&[]);
    assert_eq!(
        admin["message"], "add \"https://shop.example.com\" to allow-origins",
        "{admin}"
    );
    assert_eq!(admin["location"], "policies/per-route.toml:25:17");
    assert_eq!(fix(&["--stage", "prod"]), admin);
    // A stage no captured request has is a usage error, never a fix for the wrong route.
    let (code, _, stderr) = run(&[
        "doctor",
        har.to_str().unwrap(),
        "--policy",
        "policies/per-route.toml",
        "--stage",
        "dev",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("has the stage segment /dev"), "{stderr}");
    // With no stage segment the path is /prod/admin/users/1, which [cors] covers.
    let default = fix(&["--stage", "$default"]);
    assert!(
        default["message"]
            .as_str()
            .unwrap()
            .contains("the policy allows this request ([cors] at"),
        "{default}"
    );
}

#[test]
fn check_says_what_api_gateway_errors_carry() {
    // The example sends the first origin on gateway responses: the PC site reads a 401 from
    // the authorizer, the smartphone site sees a CORS error, and the fix says why.
    let (code, report, _) = run(&[
        "check",
        "policies/example.toml",
        "--origin",
        "https://www.example.com",
        "--path",
        "/orders/1",
        "--status",
        "401",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(report["actual"][0]["response"]["status"], 401);
    assert_eq!(
        report["gateway_responses"],
        serde_json::json!([{"response_type": "UNAUTHORIZED", "chain": ["UNAUTHORIZED", "DEFAULT_4XX"], "applies": "UNAUTHORIZED", "status": 401, "reached": true, "allowed": true}])
    );
    let (code, report, _) = run(&[
        "check",
        "policies/example.toml",
        "--origin",
        "https://sp.example.com",
        "--path",
        "/orders/1",
        "--gateway-response",
        "unauthorized",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(report["blocked"]["error"], "AllowOriginMismatch");
    let fix = &report["fixes"][0];
    assert!(
        fix["message"].as_str().unwrap().starts_with("UNAUTHORIZED carries one static Access-Control-Allow-Origin (`https://www.example.com`)"),
        "{fix}"
    );
    assert!(
        fix["location"]
            .as_str()
            .unwrap()
            .ends_with("example.toml:10:17"),
        "{fix}"
    );

    // A status every type of which falls back to an unconfigured default: the fix names it.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "version = 1\n[cors]\nallow-origins = [\"https://a.example\"]\n[apigateway]\ngateway-responses = [\"DEFAULT_5XX\"]\n",
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    let (code, report, _) = run(&[
        "check",
        policy,
        "--origin",
        "https://a.example",
        "--status",
        "429",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    let cases = report["gateway_responses"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "QUOTA_EXCEEDED and THROTTLED");
    assert!(cases
        .iter()
        .all(|c| c["applies"].is_null() && c["allowed"] == false));
    assert_eq!(
        report["fixes"][0]["message"],
        "API Gateway answers QUOTA_EXCEEDED (429) itself, and no gateway response of the policy carries CORS headers for it: add \"DEFAULT_4XX\" to gateway-responses in [apigateway]"
    );
    assert!(report["fixes"][0]["location"]
        .as_str()
        .unwrap()
        .ends_with("p.toml:5:21"));
    let (code, _, _) = run(&[
        "check",
        policy,
        "--origin",
        "https://a.example",
        "--status",
        "503",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "DEFAULT_5XX carries the headers");

    // Usage errors: not an error status, not a type, no API Gateway artifacts.
    let (code, _, stderr) = run(&[
        "check",
        policy,
        "--origin",
        "https://a.example",
        "--status",
        "302",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("not an error API Gateway answers itself"),
        "{stderr}"
    );
    let (code, _, _) = run(&[
        "check",
        policy,
        "--origin",
        "https://a.example",
        "--gateway-response",
        "TEAPOT",
    ]);
    assert_eq!(code, Some(2));
    let (code, _, stderr) = run(&[
        "check",
        "policies/example.toml",
        "--env",
        "dev",
        "--origin",
        "https://a.example",
        "--status",
        "401",
        "--gateway-response",
        "THROTTLED",
    ]);
    assert_eq!(code, Some(2), "the two flags conflict: {stderr}");
    let without = dir.path().join("no-apigateway.toml");
    std::fs::write(
        &without,
        "version = 1\n[cors]\nallow-origins = [\"https://a.example\"]\n[apigateway]\nenabled = false\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&[
        "check",
        without.to_str().unwrap(),
        "--origin",
        "https://a.example",
        "--status",
        "401",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no gateway responses to check"), "{stderr}");
}

#[test]
fn doctor_reads_a_safari_capture_from_webkits_messages() {
    // Safari's Web Inspector lists no preflight: a failed request has status 0 and WebKit's
    // console message as its `_error`.
    let entry = |method: &str, path: &str, origin: &str, extra: &[Value], error: &str| {
        let mut headers = vec![header("Origin", origin)];
        headers.extend_from_slice(extra);
        json!({
            "pageref": "page_0", "startedDateTime": "2026-11-30T10:00:01.000Z", "time": 0,
            "request": {"method": method, "url": format!("https://api.example{path}"), "httpVersion": "HTTP/1.1", "cookies": [], "headers": headers, "queryString": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": 0, "statusText": "", "httpVersion": "", "headers": [], "cookies": [], "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "", "headersSize": -1, "bodySize": -1, "_error": error},
            "cache": {}, "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": 0, "receive": 0},
            "_fetchType": "Network Load", "_priority": "medium"
        })
    };
    let har = json!({"log": {
        "version": "1.2",
        "creator": {"name": "WebKit Web Inspector", "version": "605.1.15"},
        "pages": [{"id": "page_0", "title": "https://www.example.com/", "startedDateTime": "2026-11-30T10:00:00.000Z", "pageTimings": {}}],
        "entries": [
            entry("PUT", "/orders/1", "https://evil.example", &[header("X-Trace", "1")], "Preflight response is not successful. Status code: 403"),
            entry("GET", "/orders/2", "https://www.example.com", &[], "Credentials flag is true, but Access-Control-Allow-Credentials is not \"true\"."),
            entry("GET", "/orders/3", "https://www.example.com", &[header("X-Trace", "1")], "Request header field X-Trace is not allowed by Access-Control-Allow-Headers."),
        ],
    }});
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("safari.har");
    std::fs::write(&file, har.to_string()).unwrap();
    let (code, report, stderr) = run(&[
        "doctor",
        file.to_str().unwrap(),
        "--policy",
        "policies/example.toml",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(report["browser"], "webkit");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{report:#}");
    // The refused preflight: WebKit's words, and the fix a refused origin needs (WebKit checks
    // the status first, so the fix comes from the check Chromium reports).
    assert_eq!(findings[0]["error"], "PreflightInvalidStatus");
    assert_eq!(
        findings[0]["console"],
        json!([
            "Preflight response is not successful. Status code: 403",
            "Fetch API cannot load https://api.example/orders/1 due to access control checks."
        ])
    );
    assert!(findings[0]["layer"]
        .as_str()
        .unwrap()
        .contains("Safari's capture does not list"));
    assert_eq!(
        findings[0]["fixes"][0]["message"],
        "add \"https://evil.example\" to allow-origins"
    );
    // A simple GET's credentials failure is the actual response's, with credentials.
    assert_eq!(findings[1]["error"], "InvalidAllowCredentials");
    assert_eq!(findings[1]["request"]["credentials"], "include");
    assert!(findings[1]["fixes"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("the policy allows this request"));
    // The refused header is the script's, as it spelled it.
    assert_eq!(findings[2]["error"], "HeaderDisallowedByPreflightResponse");
    assert_eq!(findings[2]["request"]["headers"], json!([["X-Trace", "1"]]));
    assert_eq!(
        findings[2]["fixes"][0]["message"],
        "add \"X-Trace\" to allow-headers"
    );
}
