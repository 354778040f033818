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

fn answer(
    method: &str,
    path: &str,
    base: &str,
    request_headers: &[(String, String)],
) -> (u16, Vec<(&'static str, String)>) {
    let header = |name: &str| {
        request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
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
        // Allows whatever is asked: the origin, the method and the headers the preflight names.
        "/echo" => {
            let mut h = vec![
                (
                    "Access-Control-Allow-Origin",
                    header("origin").unwrap_or_default(),
                ),
                ("Vary", "Origin".to_string()),
            ];
            if let (true, Some(asked)) = (preflight, header("access-control-request-method")) {
                h.push(("Access-Control-Allow-Methods", asked));
                if let Some(names) = header("access-control-request-headers") {
                    h.push(("Access-Control-Allow-Headers", names));
                }
                return (204, h);
            }
            (200, h)
        }
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
        // Header values are bytes: the server sends each character as one byte.
        "/acao-bytes" => (
            200,
            vec![(
                "Access-Control-Allow-Origin",
                "http://b\u{c3}\u{bc}cher.example".to_string(),
            )],
        ),
        "/redirect-bytes" => (302, {
            let mut h = cors(&[]);
            h.push(("Location", "/caf\u{e9}?x".to_string()));
            h
        }),
        // Redirects to itself for ever, each answer passing the CORS check.
        "/loop" => (302, {
            let mut h = cors(&[]);
            h.push(("Location", "/loop".to_string()));
            h
        }),
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
    // A TLS handshake (first byte 0x16) gets a plain-HTTP answer at once, as a plain server
    // would give it.
    let mut first = [0u8; 1];
    if stream.peek(&mut first).is_ok_and(|n| n == 1) && first[0] == 0x16 {
        let _ = stream.write_all(b"HTTP/1.1 400 X\r\nConnection: close\r\n\r\n");
        return;
    }
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    // Header bytes are ISO-8859-1 on the wire: each byte one character.
    let mut head = String::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 || line == b"\r\n" {
            break;
        }
        head.extend(line.iter().map(|b| char::from(*b)));
    }
    record.lock().unwrap().push(head.clone());
    let (method, path, headers) = parse_head(&head);
    let path = path.split('?').next().unwrap_or_default();
    let (status, headers) = answer(&method, path, base, &headers);
    let mut text = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("ISO-8859-1 test headers"))
        .collect();
    let _ = stream.write_all(&bytes);
}

/// A recorded request head: method, request target and header lines.
fn parse_head(head: &str) -> (String, String, Vec<(String, String)>) {
    let mut lines = head.split("\r\n");
    let mut start = lines.next().unwrap_or_default().split(' ');
    let method = start.next().unwrap_or_default().to_string();
    let target = start.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        // Only the one space after the colon the client writes: any other whitespace is part of
        // what was sent, so an untrimmed value would show.
        .map(|(n, v)| (n.to_string(), v.strip_prefix(' ').unwrap_or(v).to_string()))
        .collect();
    (method, target, headers)
}

/// Runs `corsgen probe` with `args` (in Chromium, whose requests these tests pin, unless they
/// name `--browser`).
fn probe(args: &[&str]) -> (Option<i32>, Value, String) {
    let dir = crate::support::root();
    let mut all = vec!["probe"];
    all.extend_from_slice(args);
    if !args.contains(&"--browser") {
        all.extend(["--browser", "chromium"]);
    }
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

/// What the server receives for one request a script makes, or the exception the script's
/// call throws (then nothing is sent).
enum Expect {
    Sent {
        /// The method on the wire.
        method: &'static str,
        /// `None`: no preflight; `Some(names)`: a preflight whose Access-Control-Request-Headers
        /// is `names` (empty: none sent).
        preflight: Option<String>,
        /// The script's headers on the actual request, as sent.
        headers: Vec<(String, String)>,
    },
    Throws(String),
}

/// One row: the Fetch class it stands for, `--method`, the `-H` arguments, `--xhr`, and what
/// must happen.
struct Row {
    class: &'static str,
    method: &'static str,
    headers: Vec<String>,
    xhr: bool,
    expect: Expect,
}

/// `NAME: VALUE` arguments as (name, value) pairs.
fn pairs(headers: &[String]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            let (n, v) = h.split_once(": ").unwrap();
            (n.to_string(), v.to_string())
        })
        .collect()
}

impl Row {
    fn new(class: &'static str, method: &'static str, headers: &[&str]) -> Self {
        Row {
            class,
            method,
            headers: headers.iter().map(|h| (*h).to_string()).collect(),
            xhr: false,
            expect: Expect::Throws(String::new()),
        }
    }

    /// The server receives `method`, after a preflight naming `preflight` when one is due, with
    /// the script's headers as they were given.
    fn sends_as_given(self, method: &'static str, preflight: Option<&str>) -> Self {
        let headers = pairs(&self.headers);
        self.sends(method, preflight, headers)
    }

    fn sends(
        mut self,
        method: &'static str,
        preflight: Option<&str>,
        headers: Vec<(String, String)>,
    ) -> Self {
        self.expect = Expect::Sent {
            method,
            preflight: preflight.map(str::to_string),
            headers,
        };
        self
    }

    fn throws(mut self, message: String) -> Self {
        self.expect = Expect::Throws(message);
        self
    }
}

/// Every class of request the Fetch standard distinguishes, and what Chromium does with each
/// (measured in Chromium 156; the browser test runs the same classes in the real browser).
fn rows() -> Vec<Row> {
    let fetch = "TypeError: Failed to execute 'fetch' on 'Window': ";
    let nine: Vec<String> = crate::support::safelisted_at_128_bytes()
        .into_iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect();
    let nine: Vec<&str> = nine.iter().map(String::as_str).collect();
    let eight: Vec<&str> = nine
        .iter()
        .copied()
        .filter(|h| !h.starts_with("Accept:"))
        .collect();
    let long = format!("Accept: {}", "a".repeat(129));
    let none = None;
    let empty = Some("");
    let mut rows = vec![
        // Methods.
        Row::new("safelisted method", "GET", &[]).sends_as_given("GET", none),
        Row::new("safelisted method", "HEAD", &[]).sends_as_given("HEAD", none),
        Row::new("safelisted method", "POST", &[]).sends_as_given("POST", none),
        Row::new("normalized method", "get", &[]).sends_as_given("GET", none),
        Row::new("normalized method", "post", &[]).sends_as_given("POST", none),
        Row::new("normalized method", "put", &[]).sends_as_given("PUT", empty),
        Row::new("normalized method", "delete", &[]).sends_as_given("DELETE", empty),
        Row::new("normalized method", "Options", &[]).sends_as_given("OPTIONS", empty),
        Row::new("not normalized", "patch", &[]).sends_as_given("patch", empty),
        Row::new("not normalized", "Patch", &[]).sends_as_given("Patch", empty),
        Row::new("extension method", "PURGE", &[]).sends_as_given("PURGE", empty),
        Row::new("extension method", "purge", &[]).sends_as_given("purge", empty),
        Row::new("extension method", "PROPFIND", &[]).sends_as_given("PROPFIND", empty),
        Row::new("extension method", "MKCOL", &[]).sends_as_given("MKCOL", empty),
        Row::new("extension method", "REPORT", &[]).sends_as_given("REPORT", empty),
        Row::new("extension method", "M-SEARCH", &[]).sends_as_given("M-SEARCH", empty),
        Row::new("extension method", "X~VERB!", &[]).sends_as_given("X~VERB!", empty),
        Row::new("forbidden method", "CONNECT", &[])
            .throws(format!("{fetch}'CONNECT' HTTP method is unsupported.")),
        Row::new("forbidden method", "trace", &[])
            .throws(format!("{fetch}'trace' HTTP method is unsupported.")),
        Row::new("forbidden method", "Track", &[])
            .throws(format!("{fetch}'Track' HTTP method is unsupported.")),
        Row::new("not a method", "GE T", &[])
            .throws(format!("{fetch}'GE T' is not a valid HTTP method.")),
        Row::new("not a method", "G\u{c9}T", &[])
            .throws(format!("{fetch}'G\u{c9}T' is not a valid HTTP method.")),
        Row::new("not a method", "G\u{101}T", &[]).throws(format!(
            "{fetch}Failed to read the 'method' property from 'RequestInit': String contains non ISO-8859-1 code point."
        )),
        // Safelisted request headers.
        Row::new("safelisted header", "GET", &["Accept: application/json"])
            .sends_as_given("GET", none),
        Row::new("safelisted header", "GET", &["Accept-Language: de-CH, en;q=0.5"])
            .sends_as_given("GET", none),
        Row::new("safelisted header", "GET", &["Content-Language: de"]).sends_as_given("GET", none),
        Row::new("safelisted header", "POST", &["Content-Type: text/plain;charset=UTF-8"])
            .sends_as_given("POST", none),
        Row::new("safelisted header", "GET", &["Range: bytes=0-99"]).sends_as_given("GET", none),
        Row::new("safelisted by Chromium only", "GET", &["DPR: 2", "Save-Data: on"])
            .sends_as_given("GET", none),
        // Safelisted names whose values make them non-safelisted.
        Row::new("unsafe value", "POST", &["Content-Type: application/json"])
            .sends_as_given("POST", Some("content-type")),
        Row::new("unsafe value", "GET", &["Range: bytes=-500"]).sends_as_given("GET", Some("range")),
        Row::new("unsafe value", "GET", &["Accept-Language: en!"])
            .sends_as_given("GET", Some("accept-language")),
        Row::new("unsafe value", "GET", &["Save-Data: off"]).sends_as_given("GET", Some("save-data")),
        Row::new("value over 128 bytes", "GET", &[long.as_str()]).sends_as_given("GET", Some("accept")),
        Row::new("safelisted values over 1,024 bytes together", "GET", &nine).sends_as_given(
            "GET",
            Some("accept,content-language,device-memory,downlink,dpr,intervention,rtt,viewport-width,width"),
        ),
        Row::new("safelisted values of exactly 1,024 bytes", "GET", &nine[1..])
            .sends_as_given("GET", none),
        // The browser's own `Accept: */*` counts: 8 × 128 + 3 bytes.
        Row::new("safelisted values over 1,024 bytes with the browser's Accept", "GET", &eight)
            .sends_as_given(
                "GET",
                Some("accept,content-language,device-memory,downlink,dpr,intervention,rtt,viewport-width,width"),
            ),
        Row::new(
            "repeated name, joined",
            "GET",
            &["Content-Type: text/plain", "content-type: text/plain"],
        )
        .sends(
            "GET",
            Some("content-type"),
            vec![("Content-Type".into(), "text/plain, text/plain".into())],
        ),
        // Non-safelisted request headers.
        Row::new("non-safelisted header", "GET", &["X-Api-Key: k"])
            .sends_as_given("GET", Some("x-api-key")),
        Row::new(
            "non-safelisted header",
            "PUT",
            &["Authorization: Bearer t", "X-B: 1", "x-a: 2"],
        )
        .sends_as_given("PUT", Some("authorization,x-a,x-b")),
        Row::new("value trimmed, ISO-8859-1 on the wire", "GET", &["X-Name:   caf\u{e9}\t"])
            .sends("GET", Some("x-name"), vec![("X-Name".into(), "caf\u{e9}".into())]),
        Row::new("method override", "GET", &["X-HTTP-Method-Override: PATCH"])
            .sends_as_given("GET", Some("x-http-method-override")),
        // Forbidden request headers: dropped, never sent.
        Row::new(
            "forbidden header",
            "GET",
            &[
                "Cookie: a=1",
                "Origin: https://evil.example",
                "Sec-Fetch-Site: none",
                "Proxy-Authorization: x",
                "Host: evil.example",
                "X-HTTP-Method-Override: TRACE",
            ],
        )
        .sends("GET", none, Vec::new()),
        // Headers the browser refuses: the script's call throws.
        Row::new("invalid header name", "GET", &["Bad Name: 1"]).throws(format!("{fetch}Invalid name")),
        Row::new("invalid header name", "GET", &["X-\u{e9}: 1"]).throws(format!("{fetch}Invalid name")),
        Row::new("header not ISO-8859-1", "PURGE", &["X-A: \u{101}"]).throws(format!(
            "{fetch}Failed to read the 'headers' property from 'RequestInit': String contains non ISO-8859-1 code point."
        )),
    ];
    let mut xhr = Row::new("invalid header name (XHR)", "GET", &["Bad Name: 1"]).throws(
        "SyntaxError: Failed to execute 'setRequestHeader' on 'XMLHttpRequest': 'Bad Name' is not a valid HTTP header field name.".into(),
    );
    xhr.xhr = true;
    rows.push(xhr);
    rows
}

/// Header names the HTTP client adds for the transport; the browser adds its own, and neither
/// is part of what CORS decides.
const TRANSPORT: [&str; 4] = ["host", "user-agent", "content-length", "connection"];

/// `[[name, value]]` from a leg of the JSON report, names lowercased, sorted.
fn leg_headers(leg: &Value) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = crate::support::header_pairs(&leg["request_headers"])
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    headers.sort();
    headers
}

/// What the server received: (method, target, headers without the transport ones, lowercased
/// and sorted).
fn received(head: &str) -> (String, String, Vec<(String, String)>) {
    let (method, target, headers) = parse_head(head);
    let mut headers: Vec<(String, String)> = headers
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .filter(|(n, _)| !TRANSPORT.contains(&n.as_str()))
        .collect();
    headers.sort();
    (method, target, headers)
}

fn sorted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_string()))
        .collect();
    v.sort();
    v
}

/// A policy that allows every method and header (Authorization too) from [`ORIGIN`], so
/// `check` simulates every request a row sends; its path under `dir`.
fn open_policy(dir: &std::path::Path) -> String {
    let policy = dir.join("open.toml");
    std::fs::write(
        &policy,
        format!("version = 1\n[cors]\nallow-origins = [\"{ORIGIN}\"]\nallow-methods = [\"*\"]\nallow-headers = [\"*\", \"Authorization\"]\n"),
    )
    .unwrap();
    policy.to_str().unwrap().to_string()
}

#[test]
fn every_request_a_browser_can_make_is_sent_as_the_browser_sends_it() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = open_policy(dir.path());
    let mut classes = std::collections::BTreeSet::new();
    for (i, r) in rows().iter().enumerate() {
        classes.insert(r.class);
        let url = format!("{}/echo?row={i}", server.base);
        let mut args: Vec<&str> = vec!["--origin", ORIGIN, "--method", r.method];
        for h in &r.headers {
            args.extend(["-H", h.as_str()]);
        }
        if r.xhr {
            args.push("--xhr");
        }
        let what = format!("row {i} ({}): {} {:?}", r.class, r.method, r.headers);
        let before = server.requests().len();
        let mut probe_args = vec![url.as_str()];
        probe_args.extend(&args);
        let (code, report, stderr) = probe(&probe_args);
        let seen: Vec<_> = server.requests()[before..]
            .iter()
            .map(|h| received(h))
            .collect();
        match &r.expect {
            Expect::Throws(message) => {
                assert_eq!(code, Some(1), "{what}: {stderr}");
                assert_eq!(report["message"], *message, "{what}");
                assert!(seen.is_empty(), "{what}: nothing is sent, got {seen:?}");
                assert_eq!(report["preflight"], Value::Null, "{what}");
                assert_eq!(report["actual"], serde_json::json!([]), "{what}");
                assert_eq!(report["fixes"], serde_json::json!([]), "{what}");
            }
            Expect::Sent {
                method,
                preflight,
                headers,
            } => {
                assert_eq!(code, Some(0), "{what}: {stderr}");
                let target = format!("/echo?row={i}");
                let mut expected = Vec::new();
                if let Some(names) = preflight {
                    let mut h = vec![
                        ("Accept", "*/*"),
                        ("Origin", ORIGIN),
                        ("Access-Control-Request-Method", method),
                    ];
                    if !names.is_empty() {
                        h.push(("Access-Control-Request-Headers", names.as_str()));
                    }
                    expected.push(("OPTIONS".to_string(), target.clone(), sorted(&h)));
                }
                let mut h: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                if !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
                {
                    h.push(("Accept", "*/*"));
                }
                h.push(("Origin", ORIGIN));
                expected.push(((*method).to_string(), target, sorted(&h)));
                assert_eq!(seen, expected, "{what}: what the server received");
                // Framed as Chromium frames a request without a body: `Content-Length: 0` for
                // POST and PUT only, never chunked (transfer-encoding is compared above).
                for (head, (m, _, _)) in server.requests()[before..].iter().zip(&seen) {
                    let length = parse_head(head)
                        .2
                        .into_iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        .map(|(_, v)| v);
                    let expected = matches!(m.as_str(), "POST" | "PUT").then(|| "0".to_string());
                    assert_eq!(length, expected, "{what}: Content-Length of {m}");
                }
                // What probe reports it sent is what the server received.
                let mut legs: Vec<&Value> = report["preflight"]
                    .as_object()
                    .map(|_| &report["preflight"])
                    .into_iter()
                    .collect();
                legs.extend(report["actual"].as_array().unwrap());
                let reported: Vec<_> = legs
                    .iter()
                    .map(|l| {
                        (
                            l["method"].as_str().unwrap().to_string(),
                            l["url"].as_str().unwrap().to_string(),
                            leg_headers(l),
                        )
                    })
                    .collect();
                let on_the_wire: Vec<_> = seen
                    .iter()
                    .map(|(m, _, h)| (m.clone(), url.clone(), h.clone()))
                    .collect();
                assert_eq!(reported, on_the_wire, "{what}: probe's report");
            }
        }
        // check simulates exactly the requests probe sent, with the same verdict.
        let mut check_args = vec!["check", policy.as_str(), "--url", url.as_str()];
        check_args.extend(&args);
        check_args.extend(["--format", "json"]);
        let out = corsgen(&crate::support::root(), &check_args);
        let simulated: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{what}: check JSON: {e}"));
        assert_eq!(out.status.code(), code, "{what}: check's exit code");
        for key in ["preflight", "actual", "message", "preflight_reasons"] {
            let strip = |v: &Value| -> Value {
                let mut v = v.clone();
                // The responses differ (the echo server, the policy's artifacts); the requests
                // must not.
                let legs = match v.as_array_mut() {
                    Some(legs) => legs.iter_mut().collect(),
                    None => vec![&mut v],
                };
                for leg in legs {
                    if let Some(leg) = leg.as_object_mut() {
                        leg.remove("response");
                    }
                }
                v
            };
            assert_eq!(
                strip(&simulated[key]),
                strip(&report[key]),
                "{what}: check's {key} and probe's"
            );
        }
    }
    eprintln!("{} requests in {} classes", rows().len(), classes.len());
    assert!(classes.len() >= 15, "{classes:?}");
}

#[test]
fn no_request_a_page_can_make_ends_in_exit_4() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = open_policy(dir.path());
    // Tokens mostly, then anything a script could pass (ISO-8859-1 and beyond, controls).
    let method = prop_oneof![
        4 => "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,10}",
        1 => "[ -~\u{80}-\u{ff}\u{100}]{0,6}",
    ];
    let name = prop_oneof![
        4 => "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,10}",
        1 => prop::sample::select(vec!["Content-Type", "Accept", "Range", "DPR", "Cookie", "Sec-X", "Authorization"]).prop_map(str::to_string),
        1 => "[ -~\u{e9}\u{101}]{0,6}",
    ];
    let value = "[\t -~\u{80}-\u{ff}\u{101}\u{1}\u{7f}\r\n]{0,12}";
    let case = (
        method,
        prop::collection::vec((name, value), 0..4),
        any::<bool>(),
    );
    let codes = std::cell::RefCell::new(std::collections::BTreeMap::new());
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    runner
        .run(&case, |(method, headers, xhr)| {
            let url = format!("{}/echo", server.base);
            let header_args: Vec<String> =
                headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            let mut args = vec!["--origin", ORIGIN, "--method", method.as_str()];
            for h in &header_args {
                args.extend(["-H", h.as_str()]);
            }
            if xhr {
                args.push("--xhr");
            }
            let mut probe_args = vec![url.as_str()];
            probe_args.extend(&args);
            let (code, report, stderr) = probe(&probe_args);
            *codes.borrow_mut().entry(code).or_insert(0) += 1;
            prop_assert!(
                matches!(code, Some(0..=2)),
                "exit {code:?} for {method:?} {header_args:?}: {stderr}"
            );
            if code == Some(2) {
                prop_assert!(stderr.contains("probe's HTTP client cannot"), "{stderr}");
                return Ok(());
            }
            // check, with a policy that allows everything, reaches the same verdict.
            let mut check_args = vec!["check", policy.as_str(), "--url", url.as_str()];
            check_args.extend(&args);
            check_args.extend(["--format", "json"]);
            let out = corsgen(&crate::support::root(), &check_args);
            let simulated: Value = serde_json::from_slice(&out.stdout).unwrap();
            prop_assert_eq!(out.status.code(), code);
            prop_assert_eq!(&simulated["message"], &report["message"]);
            Ok(())
        })
        .unwrap();
    eprintln!("exit codes of random requests: {:?}", codes.borrow());
}

#[test]
fn a_value_probe_cannot_send_is_a_usage_error_and_check_models_it() {
    let server = Server::start();
    let url = format!("{}/echo", server.base);
    let (code, report, stderr) = probe(&[&url, "--origin", ORIGIN, "-H", "X-A: a\u{1}b"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("probe's HTTP client cannot"), "{stderr}");
    assert_eq!(report["error"]["kind"], "usage");
    // The HTTP client only sends visible ASCII in Authorization (found by the property test).
    let (code, _, stderr) = probe(&[
        &url,
        "--origin",
        ORIGIN,
        "-H",
        "Authorization: Bearer \u{e9}",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(server.requests().is_empty());
    let out = corsgen(
        &crate::support::root(),
        &[
            "check",
            "policies/example.toml",
            "--origin",
            "https://www.example.com",
            "-H",
            "X-A: a\u{1}b",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["preflight"]["request_headers"][3][1], "x-a");
}

#[test]
fn response_header_bytes_are_read_as_chromium_reads_them() {
    // Measured in Chromium 156: the hint quotes each byte (`\u00C3\u00BC` for UTF-8 `ü`), and
    // a Location byte above 0x7F is percent-encoded on its own.
    let server = Server::start();
    let url = format!("{}/acao-bytes", server.base);
    let (code, report, stderr) = probe(&[&url, "--origin", ORIGIN]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        report["message"],
        format!("Access to fetch at '{url}' from origin '{ORIGIN}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'http://b\\u00C3\\u00BCcher.example' that is not equal to the supplied origin. Have the server send the header with a valid value.")
    );
    let url = format!("{}/redirect-bytes", server.base);
    let (_, report, stderr) = probe(&[&url, "--origin", ORIGIN]);
    assert_eq!(
        report["actual"][1]["url"],
        format!("{}/caf%E9?x", server.base),
        "{stderr}"
    );
    assert!(server
        .requests()
        .iter()
        .any(|r| r.starts_with("GET /caf%E9?x ")));
}

#[test]
fn every_engine_is_probed_and_a_request_engines_send_alike_goes_once() {
    // DPR is safelisted in Chromium only: Chromium sends a simple GET, Firefox and WebKit
    // preflight it (the same OPTIONS, sent once), and /allowed lists only x-foo.
    let server = Server::start();
    let url = format!("{}/allowed", server.base);
    let (code, report, stderr) =
        probe(&[&url, "--origin", ORIGIN, "-H", "DPR: 2", "--browser", "all"]);
    assert_eq!(
        code,
        Some(1),
        "any engine that blocks makes the exit 1: {stderr}"
    );
    assert_eq!(report["browser"], "chromium");
    assert_eq!(report["verdict"], "allowed", "the top level is Chromium's");
    let engines = &report["engines"];
    assert_eq!(engines["chromium"]["verdict"], "allowed");
    for engine in ["firefox", "webkit"] {
        assert_eq!(engines[engine]["verdict"], "blocked", "{engine}");
        assert_eq!(
            engines[engine]["preflight_reasons"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    assert_eq!(
        engines["firefox"]["console"][0],
        format!("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {url}. (Reason: header ‘dpr’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).")
    );
    assert_eq!(
        engines["webkit"]["console"],
        serde_json::json!([
            "Request header field DPR is not allowed by Access-Control-Allow-Headers.",
            format!("Fetch API cannot load {url} due to access control checks."),
        ])
    );
    let methods: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(
        methods,
        ["GET", "OPTIONS"],
        "Chromium's GET, then the one preflight"
    );
    // Human output names each engine's verdict and lines.
    let out = corsgen(
        &crate::support::root(),
        &["probe", &url, "--origin", ORIGIN, "-H", "DPR: 2"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("verdict: blocked in Firefox and WebKit; allowed in Chromium\n"),
        "{text}"
    );
    assert!(
        text.contains("\nWebKit: Request header field DPR is not allowed"),
        "{text}"
    );
    assert!(text.contains("\nFirefox and WebKit send other requests than Chromium (a preflight, because the header dpr is not a CORS-safelisted header):"), "{text}");
}

#[test]
fn a_redirect_loop_fails_as_in_chromium() {
    // Chromium 156 sends 21 requests (20 redirects followed), then fails the fetch with a
    // network error: the console says `net::ERR_TOO_MANY_REDIRECTS`, the script sees
    // `TypeError: Failed to fetch`. A verdict (exit 1), not a probe failure.
    let server = Server::start();
    let url = format!("{}/loop", server.base);
    let (code, report, stderr) = probe(&[&url, "--origin", ORIGIN]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        report["message"],
        "Failed to load resource: net::ERR_TOO_MANY_REDIRECTS"
    );
    assert_eq!(report["actual"].as_array().unwrap().len(), 21);
    assert_eq!(server.requests().len(), 21);
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

    // `.invalid` never resolves (RFC 6761).
    let (code, _, stderr) = probe(&[
        "http://corsgen-test.invalid/x",
        "--origin",
        ORIGIN,
        "--timeout",
        "5",
    ]);
    assert_eq!(code, Some(4));
    assert!(stderr.contains("host not found (DNS)"), "{stderr}");

    // An answer that is not HTTP.
    let garbage = TcpListener::bind("127.0.0.1:0").unwrap();
    let at = garbage.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = garbage.accept() {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n");
        }
    });
    let (code, _, stderr) = probe(&[&format!("http://{at}/x"), "--origin", ORIGIN]);
    assert_eq!(code, Some(4));
    assert!(stderr.contains("HTTP/1.1 protocol error"), "{stderr}");

    // TLS to a plain-HTTP server fails the handshake.
    let url = format!("{}/allowed", server.base.replace("http://", "https://"));
    let (code, _, stderr) = probe(&[&url, "--origin", ORIGIN, "--timeout", "5"]);
    assert_eq!(code, Some(4));
    assert!(stderr.contains("TLS failed"), "{stderr}");
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
    let (code, _, stderr) = probe(&["http://127.0.0.1:99999/", "--origin", ORIGIN]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("(invalid port number)"), "{stderr}");
    let (code, _, stderr) = probe(&[&url, "--origin", ORIGIN, "--timeout", "-1"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--timeout must be a positive number"),
        "{stderr}"
    );
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

#[test]
fn a_url_with_credentials_throws_in_fetch_and_loses_them_in_xhr() {
    let server = Server::start();
    // Quoted as the script wrote it, not as the URL parser serializes it.
    let url = format!("{}/echo", server.base.replace("http://", "HTTP://u:p@"));
    let (code, report, stderr) = probe(&[&url, "--origin", ORIGIN]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        report["message"],
        format!("TypeError: Failed to execute 'fetch' on 'Window': Request cannot be constructed from a URL that includes credentials: {url}")
    );
    assert!(server.requests().is_empty());
    // XHR sends the request without them, and without an Authorization header (measured in
    // Chromium 156).
    let (code, report, stderr) = probe(&[&url, "--origin", ORIGIN, "--xhr"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["actual"][0]["url"], format!("{}/echo", server.base));
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert!(
        !seen[0].to_ascii_lowercase().contains("authorization"),
        "{seen:?}"
    );
}

#[test]
fn a_same_origin_request_runs_no_cors() {
    // The page's own origin: no preflight, no CORS check, `Origin` only on methods other than
    // GET and HEAD (measured in Chromium 156).
    let server = Server::start();
    let url = format!("{}/blocked", server.base);
    let (code, report, stderr) = probe(&[
        &url,
        "--origin",
        &server.base,
        "--method",
        "DELETE",
        "-H",
        "X-Foo: 1",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["preflight"], Value::Null);
    assert_eq!(report["preflight_reasons"], serde_json::json!([]));
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with("DELETE /blocked "));
    assert!(
        seen[0].contains(&format!("origin: {}", server.base)),
        "{seen:?}"
    );
    let (code, _, _) = probe(&[&url, "--origin", &server.base]);
    assert_eq!(code, Some(0));
    assert!(!server.requests()[1]
        .to_ascii_lowercase()
        .contains("origin:"));
    // check agrees, and says why.
    let out = corsgen(
        &crate::support::root(),
        &[
            "check",
            "policies/example.toml",
            "--origin",
            "https://api.example",
            "--url",
            "https://api.example/orders",
            "--method",
            "PURGE",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("preflight: none (a same-origin request: the browser runs no CORS check)"),
        "{text}"
    );
}
