//! `corsgen probe` against local servers: one that allows, one that blocks, redirecting ones, a
//! slow one, a closed port and a TLS mismatch; and `--policy` naming where the live answer
//! differs from the policy.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::support::corsgen;

const ORIGIN: &str = "https://app.example.com";

/// A tiny HTTP/1.1 server on loopback that answers by path and records every request head.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
}

fn answer(method: &str, path: &str, base: &str) -> (u16, Vec<(&'static str, String)>) {
    let cors = |extra: &[(&'static str, &str)]| {
        let mut h = vec![
            ("Access-Control-Allow-Origin", ORIGIN.to_string()),
            ("Vary", "Origin".to_string()),
        ];
        h.extend(extra.iter().map(|(n, v)| (*n, (*v).to_string())));
        h
    };
    let preflight = method == "OPTIONS";
    match path {
        "/allowed" if preflight => (
            204,
            cors(&[
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "x-foo"),
            ]),
        ),
        "/allowed" => (
            200,
            cors(&[("Access-Control-Expose-Headers", "X-Id"), ("X-Id", "7")]),
        ),
        "/blocked" => (if preflight { 403 } else { 200 }, Vec::new()),
        "/redirect" => (302, {
            let mut h = cors(&[]);
            h.push(("Location", "/allowed".to_string()));
            h
        }),
        "/redirect-bare" => (301, vec![("Location", format!("{base}/allowed"))]),
        // Relative, with `..`, a query and a fragment: resolved as a browser does.
        "/dir/redirect-relative" => (302, {
            let mut h = cors(&[]);
            h.push(("Location", "../blocked?x=1#f".to_string()));
            h
        }),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            (200, cors(&[]))
        }
        _ => (404, Vec::new()),
    }
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (record, url) = (Arc::clone(&seen), base.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (record, url) = (Arc::clone(&record), url.clone());
                std::thread::spawn(move || serve(stream, &record, &url));
            }
        });
        Server { base, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, record: &Mutex<Vec<String>>, base: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    record.lock().unwrap().push(head.clone());
    let mut parts = head.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let path = path.split('?').next().unwrap_or_default();
    let (status, headers) = answer(&method, path, base);
    let mut text = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    let _ = stream.write_all(text.as_bytes());
}

fn probe(args: &[&str]) -> (Option<i32>, Value, String) {
    let dir = crate::support::root();
    let mut all = vec!["probe"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let out = corsgen(&dir, &all);
    let json: Value =
        serde_json::from_slice(&out.stdout).expect("one JSON document in every outcome");
    // Failures are JSON documents too; their message joins what went to stderr.
    let stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        json["error"]["message"].as_str().unwrap_or_default()
    );
    (out.status.code(), json, stderr)
}

#[test]
fn probe_sends_what_a_browser_sends_and_judges_the_answer() {
    let server = Server::start();
    let url = format!("{}/allowed", server.base);
    let (code, report, stderr) = probe(&[
        &url, "--origin", ORIGIN, "--method", "PUT", "-H", "X-Foo: 1",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(
        report["readable_headers"],
        serde_json::json!(["content-length", "x-id"])
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let preflight = seen[0].to_ascii_lowercase();
    assert!(preflight.starts_with("options /allowed "), "{preflight}");
    for line in [
        "origin: https://app.example.com",
        "access-control-request-method: put",
        "access-control-request-headers: x-foo",
    ] {
        assert!(preflight.contains(line), "{line} in {preflight}");
    }
    let actual = seen[1].to_ascii_lowercase();
    assert!(
        actual.starts_with("put /allowed ")
            && actual.contains("x-foo: 1")
            && actual.contains("origin: https://app.example.com"),
        "{actual}"
    );

    // Blocked: the preflight's 403 without headers, in Chromium's words; the actual request is
    // never sent.
    let url = format!("{}/blocked", server.base);
    let (code, report, _) = probe(&[&url, "--origin", ORIGIN, "--method", "DELETE"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["blocked"]["error"],
        "PreflightMissingAllowOriginHeader"
    );
    assert_eq!(
        report["message"],
        format!("Access to fetch at '{url}' from origin '{ORIGIN}' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
    );
    assert_eq!(report["actual"], serde_json::json!([]));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn probe_follows_redirects_as_a_browser_does() {
    let server = Server::start();
    // A redirect that itself passes the CORS check is followed, and reported.
    let url = format!("{}/redirect", server.base);
    let (code, report, stderr) = probe(&[&url, "--origin", ORIGIN]);
    assert_eq!(code, Some(0), "{stderr}");
    let hops = report["actual"].as_array().unwrap();
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[0]["response"]["status"], 302);
    assert_eq!(hops[1]["url"], format!("{}/allowed", server.base));
    // One without CORS headers on the redirect is not.
    let url = format!("{}/redirect-bare", server.base);
    let (code, report, _) = probe(&[&url, "--origin", ORIGIN]);
    assert_eq!(code, Some(1));
    assert_eq!(report["blocked"]["error"], "MissingAllowOriginHeader");
    assert_eq!(report["actual"].as_array().unwrap().len(), 1);
    // A preflight is never redirected.
    let url = format!("{}/redirect", server.base);
    let (code, report, _) = probe(&[&url, "--origin", ORIGIN, "--method", "PUT"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["blocked"]["error"], "PreflightDisallowedRedirect");
    // After a followed redirect Chromium names the final URL and the first one; the relative
    // Location resolves as a browser resolves it (`..`, query kept, fragment dropped on the wire).
    let url = format!("{}/dir/redirect-relative", server.base);
    let (code, report, _) = probe(&[&url, "--origin", ORIGIN]);
    assert_eq!(code, Some(1));
    let last = report["actual"].as_array().unwrap().last().unwrap()["url"].clone();
    assert_eq!(last, format!("{}/blocked?x=1#f", server.base));
    assert_eq!(
        report["message"],
        format!("Access to fetch at '{}/blocked?x=1#f' (redirected from '{url}') from origin '{ORIGIN}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.", server.base)
    );
    assert!(server
        .requests()
        .iter()
        .any(|r| r.starts_with("GET /blocked?x=1 ")));
}

#[test]
fn a_forbidden_method_is_never_sent() {
    let server = Server::start();
    let url = format!("{}/allowed", server.base);
    for method in ["CONNECT", "trace", "Track"] {
        let (code, report, stderr) = probe(&[&url, "--origin", ORIGIN, "--method", method]);
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(
            report["message"],
            format!("TypeError: Failed to execute 'fetch' on 'Window': '{method}' HTTP method is unsupported.")
        );
        assert_eq!(report["preflight"], Value::Null);
        assert_eq!(report["fixes"], serde_json::json!([]));
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn network_failures_are_errors_not_verdicts() {
    let server = Server::start();
    let url = format!("{}/slow", server.base);
    let (code, _, stderr) = probe(&[&url, "--origin", ORIGIN, "--timeout", "0.5"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("GET {url}: no answer within 0.5 s")),
        "{stderr}"
    );

    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/x");
    let (code, _, stderr) = probe(&[&url, "--origin", ORIGIN]);
    assert_eq!(code, Some(4));
    assert!(stderr.contains("cannot connect"), "{stderr}");

    // TLS to a plain-HTTP server fails the handshake.
    let url = format!("{}/allowed", server.base.replace("http://", "https://"));
    let (code, _, stderr) = probe(&[&url, "--origin", ORIGIN, "--timeout", "5"]);
    assert_eq!(code, Some(4));
    assert!(
        stderr.contains("TLS failed") || stderr.contains("cannot connect"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Usage errors: an origin no browser sends, a relative URL.
    let (code, _, stderr) = probe(&[&url, "--origin", "https://app.example.com/"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("a browser would send `https://app.example.com`"),
        "{stderr}"
    );
    let (code, _, _) = probe(&["/relative", "--origin", ORIGIN]);
    assert_eq!(code, Some(2));
}

#[test]
fn with_a_policy_probe_names_where_the_live_answer_differs() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("version = 1\n[cors]\nallow-origins = [\"{ORIGIN}\"]\nallow-methods = [\"PUT\", \"DELETE\"]\nallow-headers = [\"X-Foo\"]\nmax-age = 600\n"),
    )
    .unwrap();
    let url = format!("{}/allowed", server.base);
    let (code, report, stderr) = probe(&[
        &url,
        "--origin",
        ORIGIN,
        "--method",
        "PUT",
        "-H",
        "X-Foo: 1",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let differences: Vec<(String, String)> = report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["response"].as_str().unwrap().to_string(),
                d["what"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        differences,
        [
            (
                "preflight".to_string(),
                "Access-Control-Allow-Methods".to_string()
            ),
            (
                "preflight".to_string(),
                "Access-Control-Max-Age".to_string()
            ),
            (
                "actual".to_string(),
                "Access-Control-Expose-Headers".to_string()
            ),
        ]
    );
    // A request the policy itself refuses gets the policy fix, at file:line:col.
    let url = format!("{}/allowed", server.base);
    let (_, report, _) = probe(&[
        &url,
        "--origin",
        ORIGIN,
        "--method",
        "PATCH",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(
        report["blocked"]["error"],
        "MethodDisallowedByPreflightResponse"
    );
    let fix = &report["fixes"][0];
    assert_eq!(fix["message"], "add \"PATCH\" to allow-methods");
    assert!(
        fix["location"]
            .as_str()
            .unwrap()
            .ends_with("policy.toml:4:17"),
        "{fix}"
    );
}
