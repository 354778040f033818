//! Browser truth: headless Debian Chromium, driven by playwright-core, fetches cross-origin from a
//! page on one loopback port to an API on another. The API answers with the headers of the
//! generated artifacts run in node (the Lambda Node snippet, the CloudFront Functions) or with
//! fixed, deliberately broken headers. For every scenario Chromium's verdict and console message
//! must equal what `corsgen check` (policy scenarios) or the browser model (fixed headers)
//! predicts; then `corsgen doctor` must explain every failure in the HAR of that same run with
//! Chromium's own message.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;

use corsgen::browser::Response;
use corsgen::check::fetch_request;
use corsgen::probe::follow;
use serde_json::{json, Value};

use crate::support::{corsgen, emit_into, require_tool, root};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Policies whose artifacts serve the page; `{page}` is the page's origin.
const POLICIES: [(&str, &str); 5] = [
    (
        "credentials",
        r#"version = 1
[cors]
allow-origins = ["{page}", "https://other.example"]
allow-credentials = true
allow-methods = ["PUT", "DELETE"]
allow-headers = ["Content-Type", "Authorization", "X-Api-Key"]
expose-headers = ["X-Request-Id"]
max-age = 600
"#,
    ),
    (
        "public",
        r#"version = 1
[cors]
allow-origins = ["*"]
allow-methods = ["PUT"]
allow-headers = ["X-Api-Key"]
"#,
    ),
    (
        "not-listed",
        r#"version = 1
[cors]
allow-origins = ["https://www.example.com"]
allow-credentials = true
allow-methods = ["PUT", "DELETE", "PATCH"]
allow-headers = ["Content-Type", "Authorization", "X-Api-Key"]
"#,
    ),
    (
        "no-credentials",
        r#"version = 1
[cors]
allow-origins = ["{page}"]
allow-methods = ["PATCH"]
allow-headers = ["*"]
"#,
    ),
    (
        "routes",
        r#"version = 1
[cors]
allow-origins = ["{page}"]
allow-credentials = true
allow-methods = ["PUT"]
allow-headers = ["Content-Type"]

[[route]]
path = "/admin/{proxy+}"
allow-origins = ["https://admin.example.com"]

[[route]]
path = "/public/{proxy+}"
allow-origins = ["*"]
allow-credentials = false
allow-headers = ["X-Api-Key", "Authorization"]
"#,
    ),
];

/// (method, headers, credentials, xhr)
type Req = (
    &'static str,
    &'static [(&'static str, &'static str)],
    bool,
    bool,
);

const REQUESTS: [Req; 16] = [
    ("GET", &[], false, false),
    ("GET", &[], true, false),
    ("GET", &[], true, true),
    ("PUT", &[], false, false),
    ("PUT", &[], true, false),
    ("DELETE", &[], true, false),
    ("PATCH", &[], false, false),
    ("patch", &[], false, false),
    (
        "POST",
        &[("Content-Type", "application/json")],
        false,
        false,
    ),
    ("POST", &[("Content-Type", "application/json")], true, false),
    ("POST", &[("Content-Type", "text/plain")], true, false),
    ("GET", &[("X-Api-Key", "k")], false, false),
    ("GET", &[("Authorization", "Bearer t")], false, false),
    ("GET", &[("Authorization", "Bearer t")], true, false),
    ("GET", &[("X-Unknown", "1")], true, false),
    ("PUT", &[("X-Unknown", "1")], false, true),
];

struct Scenario {
    id: String,
    path: String,
    request: Req,
    server: Value,
    /// The policy file `check` reads, for policy scenarios.
    policy: Option<String>,
    fixed: Option<(Response, Response)>,
    /// For redirect scenarios: the answer to the first actual request (its `Location` leads to
    /// the request that gets the fixed actual answer).
    redirect: Option<Response>,
}

fn response(status: u16, headers: &[(&str, &str)]) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect(),
    }
}

/// Redirects of the actual request, and methods a page cannot send: (name, request, first
/// answer (a redirect, or `None`), final answer). `{api}` in a `Location` is the API's origin,
/// `{s}` the scenario's id.
fn redirect_cases(page: &str) -> Vec<(&'static str, Req, Option<Response>, Response)> {
    let acao = "Access-Control-Allow-Origin";
    let get: Req = ("GET", &[], false, false);
    let cors_redirect = |location: &str| response(302, &[(acao, page), ("Location", location)]);
    vec![
        (
            "redirect-then-missing-acao",
            get,
            Some(cors_redirect("../final/x?s={s}&hop=1#top")),
            response(200, &[]),
        ),
        (
            "redirect-then-allowed",
            get,
            Some(cors_redirect("/final?s={s}&hop=1")),
            response(200, &[(acao, page)]),
        ),
        (
            "redirect-without-acao",
            get,
            Some(response(302, &[("Location", "/final?s={s}&hop=1")])),
            response(200, &[(acao, page)]),
        ),
        (
            "redirect-to-other-origin",
            get,
            Some(cors_redirect("{api}/final?s={s}&hop=1")),
            response(200, &[(acao, page)]),
        ),
        (
            "forbidden-connect",
            ("CONNECT", &[], false, false),
            None,
            response(200, &[]),
        ),
        (
            "forbidden-trace-xhr",
            ("TRACE", &[], false, true),
            None,
            response(200, &[]),
        ),
    ]
}

/// Broken and borderline servers: (name, request, preflight answer, actual answer).
fn fixed_cases(page: &str) -> Vec<(&'static str, Req, Response, Response)> {
    let acao = "Access-Control-Allow-Origin";
    let acac = "Access-Control-Allow-Credentials";
    let acam = "Access-Control-Allow-Methods";
    let acah = "Access-Control-Allow-Headers";
    let ok = |extra: &[(&str, &str)]| {
        let mut h = vec![(acao, page)];
        h.extend_from_slice(extra);
        response(200, &h)
    };
    let none = response(200, &[]);
    let get: Req = ("GET", &[], false, false);
    let get_cred: Req = ("GET", &[], true, false);
    let put: Req = ("PUT", &[("X-Foo", "1")], false, false);
    let put_cred: Req = ("PUT", &[("X-Foo", "1")], true, false);
    let auth: Req = ("GET", &[("Authorization", "Bearer t")], false, false);
    let auth_cred: Req = ("GET", &[("Authorization", "Bearer t")], true, false);
    let patch_lower: Req = ("patch", &[], false, false);
    let xhr_cred: Req = ("GET", &[], true, true);
    let xhr: Req = ("GET", &[], false, true);
    let good_preflight = |extra: &[(&str, &str)]| {
        let mut h = vec![(acao, page), (acam, "PUT"), (acah, "x-foo")];
        h.extend_from_slice(extra);
        response(204, &h)
    };
    vec![
        (
            "missing-acao",
            get,
            none.clone(),
            response(200, &[("Content-Type", "text/plain")]),
        ),
        (
            "other-origin",
            get,
            none.clone(),
            response(200, &[(acao, "https://other.example")]),
        ),
        (
            "trailing-slash",
            get,
            none.clone(),
            response(200, &[(acao, &format!("{page}/"))]),
        ),
        (
            "duplicated",
            get,
            none.clone(),
            response(200, &[(acao, page), (acao, page)]),
        ),
        (
            "comma-list",
            get,
            none.clone(),
            response(200, &[(acao, &format!("{page},https://b.example"))]),
        ),
        (
            "no-scheme",
            get,
            none.clone(),
            response(200, &[(acao, "127.0.0.1")]),
        ),
        ("null", get, none.clone(), response(200, &[(acao, "null")])),
        (
            "upper-case-host",
            get,
            none.clone(),
            response(200, &[(acao, &page.replace("http://", "HTTP://"))]),
        ),
        (
            "wildcard-credentials",
            get_cred,
            none.clone(),
            response(200, &[(acao, "*"), (acac, "true")]),
        ),
        (
            "wildcard-no-credentials",
            get,
            none.clone(),
            response(200, &[(acao, "*"), (acac, "true")]),
        ),
        ("credentials-missing", get_cred, none.clone(), ok(&[])),
        (
            "credentials-capital",
            get_cred,
            none.clone(),
            ok(&[(acac, "True")]),
        ),
        (
            "credentials-ok",
            get_cred,
            none.clone(),
            ok(&[(acac, "true")]),
        ),
        (
            "error-status-with-acao",
            get,
            none.clone(),
            response(500, &[(acao, page)]),
        ),
        (
            "gateway-401-no-acao",
            get,
            none.clone(),
            response(401, &[("x-amzn-ErrorType", "UnauthorizedException")]),
        ),
        ("xhr-credentials-missing", xhr_cred, none.clone(), ok(&[])),
        (
            "xhr-mismatch",
            xhr,
            none.clone(),
            response(200, &[(acao, "https://other.example")]),
        ),
        ("preflight-403", put, response(403, &[]), ok(&[])),
        (
            "preflight-400-with-acao",
            put,
            response(400, &[(acao, page)]),
            ok(&[]),
        ),
        (
            "preflight-500-with-acao",
            put,
            response(500, &[(acao, page), (acam, "PUT"), (acah, "x-foo")]),
            ok(&[]),
        ),
        (
            "preflight-200",
            put,
            response(200, &[(acao, page), (acam, "PUT"), (acah, "x-foo")]),
            ok(&[]),
        ),
        (
            "preflight-redirect",
            put,
            response(307, &[("Location", "/elsewhere"), (acao, page)]),
            ok(&[]),
        ),
        (
            "preflight-wildcard-credentials",
            put_cred,
            response(
                204,
                &[(acao, "*"), (acac, "true"), (acam, "PUT"), (acah, "x-foo")],
            ),
            ok(&[(acac, "true")]),
        ),
        (
            "preflight-credentials-missing",
            put_cred,
            good_preflight(&[]),
            ok(&[(acac, "true")]),
        ),
        (
            "preflight-duplicated",
            put,
            response(
                204,
                &[(acao, page), (acao, page), (acam, "PUT"), (acah, "x-foo")],
            ),
            ok(&[]),
        ),
        (
            "preflight-mismatch",
            put,
            response(
                204,
                &[
                    (acao, "https://other.example"),
                    (acam, "PUT"),
                    (acah, "x-foo"),
                ],
            ),
            ok(&[]),
        ),
        (
            "method-missing",
            put,
            response(204, &[(acao, page), (acam, "GET, POST"), (acah, "x-foo")]),
            ok(&[]),
        ),
        (
            "method-lowercase-in-acam",
            put,
            response(204, &[(acao, page), (acam, "put"), (acah, "x-foo")]),
            ok(&[]),
        ),
        (
            "method-lowercase-request",
            patch_lower,
            response(204, &[(acao, page), (acam, "PATCH")]),
            ok(&[]),
        ),
        (
            "method-wildcard-credentials",
            put_cred,
            response(
                204,
                &[(acao, page), (acac, "true"), (acam, "*"), (acah, "x-foo")],
            ),
            ok(&[(acac, "true")]),
        ),
        (
            "method-wildcard",
            put,
            response(204, &[(acao, page), (acam, "*"), (acah, "*")]),
            ok(&[]),
        ),
        (
            "header-missing",
            put,
            response(204, &[(acao, page), (acam, "PUT"), (acah, "x-bar")]),
            ok(&[]),
        ),
        (
            "header-wildcard-authorization",
            auth,
            response(204, &[(acao, page), (acah, "*")]),
            ok(&[]),
        ),
        (
            "header-wildcard-authorization-credentials",
            auth_cred,
            response(204, &[(acao, page), (acac, "true"), (acah, "*")]),
            ok(&[(acac, "true")]),
        ),
        (
            "methods-unparsable",
            put,
            response(204, &[(acao, page), (acam, "PUT, (x)"), (acah, "x-foo")]),
            ok(&[]),
        ),
        (
            "headers-unparsable",
            put,
            response(204, &[(acao, page), (acam, "PUT"), (acah, "x-foo, a b")]),
            ok(&[]),
        ),
        (
            "lists-with-empty-elements",
            put,
            response(204, &[(acao, page), (acam, ",PUT,,"), (acah, " , x-foo")]),
            ok(&[]),
        ),
        (
            "actual-missing-after-preflight",
            put,
            good_preflight(&[]),
            response(200, &[]),
        ),
    ]
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    allowed: bool,
    messages: Vec<String>,
}

#[test]
fn chromium_agrees_with_check_and_doctor_explains_its_har() {
    require_tool("node");
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is required by this test (Debian package `chromium`); run scripts/test.sh, which installs it"
    );
    assert!(
        root().join("tests/harness/node_modules/playwright-core/package.json").exists(),
        "playwright-core is required by this test; run scripts/test.sh, which installs it (npm ci, cached under ~/.cache/corsgen) and links tests/harness/node_modules"
    );
    let (page_port, api_port) = (free_port(), free_port());
    let page = format!("http://127.0.0.1:{page_port}");
    let work = tempfile::tempdir().unwrap();

    let mut scenarios = Vec::new();
    for (name, template) in POLICIES {
        // API Gateway's mapping templates are proven in Velocity (apigateway.rs); here the
        // Lambda snippet and the CloudFront Functions answer the browser.
        let text = format!(
            "{}\n[apigateway]\nenabled = false\n",
            template.replace("{page}", &page)
        );
        let policy_file = work.path().join(format!("{name}.toml"));
        std::fs::write(&policy_file, &text).unwrap();
        let out = work.path().join(name);
        emit_into(&text, None, &out);
        let paths: &[&str] = if name == "routes" {
            &["/orders/1", "/admin/users", "/public/docs"]
        } else {
            &["/orders/1"]
        };
        let servers = [
            (
                "lambda",
                json!({"kind": "lambda-node", "module": out.join("lambda/node/cors.mjs")}),
            ),
            (
                "cloudfront",
                json!({"kind": "cloudfront", "dir": out.join("cloudfront")}),
            ),
        ];
        for (server_name, server) in &servers {
            for path in paths {
                for (i, request) in REQUESTS.iter().enumerate() {
                    scenarios.push(Scenario {
                        id: format!(
                            "{name}-{server_name}-{}-{i}",
                            path.trim_start_matches('/').replace('/', "-")
                        ),
                        path: (*path).to_string(),
                        request: *request,
                        server: server.clone(),
                        policy: Some(policy_file.to_string_lossy().to_string()),
                        fixed: None,
                        redirect: None,
                    });
                }
            }
        }
    }
    for (name, request, preflight, actual) in fixed_cases(&page) {
        let headers = |r: &Response| -> Vec<(String, String)> { r.headers.clone() };
        scenarios.push(Scenario {
            id: format!("fixed-{name}"),
            path: "/orders/1".to_string(),
            request,
            server: json!({
                "kind": "fixed",
                "preflight": {"status": preflight.status, "headers": headers(&preflight)},
                "actual": {"status": actual.status, "headers": headers(&actual)},
            }),
            policy: None,
            fixed: Some((preflight, actual)),
            redirect: None,
        });
    }
    // The redirect target's origin: `localhost` is another origin than the page's 127.0.0.1.
    let other_api = format!("http://localhost:{api_port}");
    for (name, request, redirect, actual) in redirect_cases(&page) {
        let id = format!("fixed-{name}");
        let redirect = redirect.map(|r| Response {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.clone(),
                        v.replace("{s}", &id).replace("{api}", &other_api),
                    )
                })
                .collect(),
        });
        let headers = |r: &Response| -> Vec<(String, String)> { r.headers.clone() };
        scenarios.push(Scenario {
            id,
            path: "/orders/1".to_string(),
            request,
            server: json!({
                "kind": "fixed",
                "preflight": {"status": 403, "headers": []},
                "redirect": redirect.as_ref().map(|r| json!({"status": r.status, "headers": headers(r)})),
                "actual": {"status": actual.status, "headers": headers(&actual)},
            }),
            policy: None,
            fixed: Some((response(403, &[]), actual)),
            redirect,
        });
    }

    // Chromium.
    let har = work.path().join("run.har");
    let input = json!({
        "page_port": page_port,
        "api_port": api_port,
        "har": har,
        "scenarios": scenarios.iter().map(|s| json!({
            "id": s.id,
            "path": s.path,
            "method": s.request.0,
            "headers": s.request.1,
            "credentials": if s.request.2 { "include" } else { "omit" },
            "xhr": s.request.3,
            "server": s.server,
        })).collect::<Vec<_>>(),
    });
    let input_file = work.path().join("input.json");
    std::fs::write(&input_file, input.to_string()).unwrap();
    let output = std::process::Command::new("node")
        .arg(root().join("tests/harness/chromium.mjs"))
        .arg(&input_file)
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "the Chromium harness failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let run: Value = serde_json::from_slice(&output.stdout).expect("harness JSON");
    let chromium: BTreeMap<String, (String, Outcome)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let messages = r["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect();
            (
                r["id"].as_str().unwrap().to_string(),
                (
                    r["url"].as_str().unwrap().to_string(),
                    Outcome {
                        allowed: r["verdict"] == "allowed",
                        messages,
                    },
                ),
            )
        })
        .collect();

    // Predictions: `corsgen check` for policy scenarios, the browser model for fixed headers.
    let mut agree = 0;
    let mut disagreements = Vec::new();
    let mut blocked_urls = BTreeMap::new();
    for s in &scenarios {
        let (url, seen) = &chromium[&s.id];
        let (method, headers, credentials, xhr) = s.request;
        let predicted = if let Some(policy) = &s.policy {
            let mut args = vec![
                "check",
                policy.as_str(),
                "--origin",
                page.as_str(),
                "--url",
                url.as_str(),
                "--method",
                method,
                "--format",
                "json",
            ];
            let header_args: Vec<String> =
                headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            for h in &header_args {
                args.extend(["--header", h.as_str()]);
            }
            if credentials {
                args.push("--credentials");
            }
            if xhr {
                args.push("--xhr");
            }
            let out = corsgen(work.path(), &args);
            let code = out.status.code();
            let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!(
                    "check JSON for {}: {e}\n{}",
                    s.id,
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            let allowed = report["verdict"] == "allowed";
            assert_eq!(
                code,
                Some(if allowed { 0 } else { 1 }),
                "exit code of check for {}",
                s.id
            );
            Outcome {
                allowed,
                messages: report["message"]
                    .as_str()
                    .map(str::to_string)
                    .into_iter()
                    .collect(),
            }
        } else {
            let (preflight, actual) = s.fixed.clone().unwrap();
            let header_args: Vec<String> =
                headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            let request =
                fetch_request(url, &page, method, &header_args, credentials, xhr).unwrap();
            // The same driver `probe` runs over the network, answered by the fixed responses.
            let result = follow(request, |leg| {
                Ok(if leg.method == "OPTIONS" {
                    preflight.clone()
                } else if leg.url.contains("hop=1") {
                    actual.clone()
                } else {
                    s.redirect.clone().unwrap_or_else(|| actual.clone())
                })
            })
            .unwrap();
            Outcome {
                allowed: result.verdict.allowed(),
                messages: result.message.into_iter().collect(),
            }
        };
        // doctor reads the HAR: a request the page could not send is not in it, and redirect
        // chains are not followed there (yet), so those two are left out of its count.
        let in_har = s.redirect.is_none() && !s.id.starts_with("fixed-forbidden");
        if !seen.allowed && in_har {
            blocked_urls.insert(url.clone(), seen.messages.clone());
        }
        if predicted == *seen {
            agree += 1;
        } else {
            disagreements.push(format!(
                "{} ({url}):\n  chromium: {seen:?}\n  corsgen:  {predicted:?}",
                s.id
            ));
        }
    }
    eprintln!(
        "chromium agreement: {agree}/{} scenarios agree on verdict and console message (Chromium {})",
        scenarios.len(),
        run["chromium"].as_str().unwrap_or("?")
    );
    assert!(
        disagreements.is_empty(),
        "Chromium and corsgen disagree:\n{}",
        disagreements.join("\n")
    );
    assert!(agree >= 100, "at least 100 scenarios, got {agree}");
    // The redirect and forbidden-method scenarios were really exercised.
    let said = |id: &str| chromium[id].1.messages.join("\n");
    assert!(
        said("fixed-redirect-then-missing-acao")
            .contains("/final/x?s=fixed-redirect-then-missing-acao&hop=1#top' (redirected from '"),
        "{}",
        said("fixed-redirect-then-missing-acao")
    );
    assert!(said("fixed-forbidden-connect")
        .starts_with("TypeError: Failed to execute 'fetch' on 'Window': 'CONNECT'"));
    assert!(chromium["fixed-redirect-then-allowed"].1.allowed);
    let blocked = blocked_urls.len();
    assert!(
        blocked >= 40 && blocked < scenarios.len() - 40,
        "a balanced run: {blocked} blocked"
    );

    // doctor on the HAR of the same run.
    let out = corsgen(
        work.path(),
        &["doctor", har.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut explained = 0;
    let mut ambiguous = 0;
    let mut found = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        let url = finding["request"]["url"].as_str().unwrap().to_string();
        found.insert(url, finding.clone());
    }
    for (url, messages) in &blocked_urls {
        let finding = found
            .get(url)
            .unwrap_or_else(|| panic!("doctor missed the blocked request {url}"));
        let chromium_said = messages.first().map(String::as_str);
        if Some(finding["message"].as_str().unwrap()) == chromium_said {
            explained += 1;
        } else {
            // The capture cannot show the credentials mode of a request that was never sent;
            // then doctor gives the credentialed reading too, and it must be Chromium's.
            assert_eq!(
                finding["message_with_credentials"].as_str(),
                chromium_said,
                "doctor's message for {url}: {finding}"
            );
            ambiguous += 1;
        }
        assert!(!finding["layer"].as_str().unwrap().is_empty());
    }
    for url in found.keys() {
        // Redirect chains (each hop its own HAR entry) are left out of the count above.
        assert!(
            blocked_urls.contains_key(url) || url.contains("s=fixed-redirect-"),
            "doctor reported an allowed request as failing: {url}"
        );
    }
    let advisories = report["advisories"].as_array().unwrap();
    for advisory in advisories {
        let url = advisory["url"].as_str().unwrap();
        assert!(
            !blocked_urls.contains_key(url),
            "{url} was blocked, not advised"
        );
        assert!(
            advisory["note"]
                .as_str()
                .unwrap()
                .contains("Fetch standard"),
            "{advisory}"
        );
    }
    eprintln!(
        "doctor: {explained}/{blocked} blocked requests explained with Chromium's message, {ambiguous} more with its credentialed reading; {} allowed requests advised (Authorization under `*`)",
        advisories.len()
    );
    assert_eq!(explained + ambiguous, blocked);
    assert!(
        explained * 10 >= blocked * 9,
        "most readings are unambiguous"
    );
    assert!(
        !advisories.is_empty(),
        "the Authorization-under-`*` case is advised"
    );
    // Layers named for the telltale failures.
    let layer = |id: &str| {
        let url = &chromium[id].0;
        found[url]["layer"].as_str().unwrap().to_string()
    };
    assert!(
        layer("fixed-duplicated").contains("two layers"),
        "{}",
        layer("fixed-duplicated")
    );
    assert!(
        layer("fixed-gateway-401-no-acao").contains("gateway responses"),
        "{}",
        layer("fixed-gateway-401-no-acao")
    );
    assert!(layer("fixed-preflight-redirect").contains("redirected"));
    assert!(
        layer("fixed-other-origin").contains("cache key"),
        "{}",
        layer("fixed-other-origin")
    );
}
