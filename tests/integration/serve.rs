//! `corsgen serve`, proven where users run it: the built binary in front of node's own HTTP
//! server (an upstream with CORS headers of its own), driven over the wire, and real Chromium
//! fetching through it from a page on another origin. Every answer must carry the engine's
//! headers and nothing of the upstream's CORS; every logged verdict and message must equal
//! Chromium's and `corsgen check`'s; Ctrl-C (SIGINT) and SIGTERM must stop it with exit 0.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::browser::{check_predicts, free_port, require_chromium, run_chromium, Request};
use crate::support::{require_tool, root};

/// A running `corsgen serve --format json`, its log collected as it is written.
struct Proxy {
    child: Child,
    url: String,
    events: Arc<Mutex<Vec<Value>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(policy: &Path, upstream: &str, extra: &[&str]) -> Proxy {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corsgen"))
            .arg("serve")
            .arg(policy)
            .args([
                "--upstream",
                upstream,
                "--listen",
                "127.0.0.1:0",
                "--format",
                "json",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start corsgen serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Value = serde_json::from_str(
            &lines
                .next()
                .expect("serve prints where it listens")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(first["event"], "listening", "{first}");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let reader = std::thread::spawn(move || collect(lines, &sink));
        Proxy {
            child,
            url: first["url"].as_str().unwrap().to_string(),
            events,
            reader: Some(reader),
        }
    }

    /// The events logged so far.
    fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    /// Sends `signal` and returns the exit status and the whole log.
    fn stop(mut self, signal: &str) -> (std::process::ExitStatus, Vec<Value>) {
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        self.reader.take().unwrap().join().unwrap();
        (status, self.events())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(lines: std::io::Lines<BufReader<ChildStdout>>, sink: &Mutex<Vec<Value>>) {
    for line in lines.map_while(Result::ok) {
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
        assert_eq!(value["schema_version"], 1, "{line}");
        sink.lock().unwrap().push(value);
    }
}

/// node's HTTP server as the upstream (`tests/harness/upstream.mjs`), on a port it picks.
struct Upstream {
    child: Child,
    url: String,
}

impl Upstream {
    fn start() -> Upstream {
        require_tool("node");
        let mut child = Command::new("node")
            .arg(root().join("tests/harness/upstream.mjs"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the node upstream");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = serde_json::from_str::<Value>(&line).unwrap()["port"]
            .as_u64()
            .unwrap();
        Upstream {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    fn count(&self) -> u64 {
        let mut response = agent().get(format!("{}/count", self.url)).call().unwrap();
        response
            .body_mut()
            .read_to_string()
            .unwrap()
            .parse()
            .unwrap()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

const PAGE: &str = "https://app.example.com";

/// The policy under test: two origins, credentials, a PURGE method, a public route that allows
/// any origin, gateway responses readable by the page; `[env.partner]` makes another site the
/// one gateway responses name.
const POLICY: &str = r#"version = 1
[cors]
allow-origins = ["{page}", "https://other.example"]
allow-credentials = true
allow-methods = ["PUT", "DELETE", "PURGE"]
allow-headers = ["Content-Type", "X-Api-Key"]
expose-headers = ["X-Request-Id"]
max-age = 600

[[route]]
path = "/public/{proxy+}"
allow-origins = ["*"]
allow-credentials = false

[apigateway]
gateway-response-origin = "first"
gateway-response-routes = "api-wide"

[env.partner]
allow-origins = ["https://other.example", "{page}"]
"#;

fn write_policy(dir: &Path, page: &str) -> std::path::PathBuf {
    let file = dir.join("policy.toml");
    std::fs::write(&file, POLICY.replace("{page}", page)).unwrap();
    file
}

/// The engine's headers for a request, as (lowercase name, value), sorted.
fn engine_headers(
    policy: &Path,
    env: Option<&str>,
    method: &str,
    path: &str,
    origin: &str,
    asked: Option<&str>,
) -> Vec<(String, String)> {
    let loaded = corsgen::load(policy, env).unwrap();
    let decision = corsgen::engine::decide(
        loaded.policy.as_ref().unwrap(),
        &corsgen::engine::Request {
            method,
            path,
            origin: Some(origin),
            request_method: asked,
        },
    );
    sorted(
        decision
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone())),
    )
}

fn sorted(headers: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    out.sort();
    out
}

/// The CORS headers of a response (`Access-Control-*` and `Vary`), sorted.
fn cors_of(response: &ureq::http::Response<ureq::Body>) -> Vec<(String, String)> {
    sorted(
        response
            .headers()
            .iter()
            .filter(|(n, _)| n.as_str().starts_with("access-control-") || n.as_str() == "vary")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string())),
    )
}

#[test]
fn serve_answers_over_the_wire_as_the_engine_does() {
    let upstream = Upstream::start();
    let work = tempfile::tempdir().unwrap();
    let policy = write_policy(work.path(), PAGE);
    let proxy = Proxy::start(&policy, &upstream.url, &[]);
    let agent = agent();
    let base = &proxy.url.clone();

    // A preflight is answered by the proxy, as the engine answers it, and never reaches the
    // upstream; an origin the policy does not allow gets 403 and no CORS header but Vary.
    let before = upstream.count();
    for origin in [
        PAGE,
        "https://evil.example",
        "https://app.example.com.evil.example",
    ] {
        let response = agent
            .options(format!("{base}/orders/7"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "PURGE")
            .header("Access-Control-Request-Headers", "content-type")
            .call()
            .unwrap();
        let allowed = origin == PAGE;
        assert_eq!(response.status().as_u16(), if allowed { 204 } else { 403 });
        assert_eq!(
            cors_of(&response),
            engine_headers(&policy, None, "OPTIONS", "/orders/7", origin, Some("PURGE"))
        );
        if !allowed {
            assert_eq!(cors_of(&response), vec![("vary".into(), "Origin".into())]);
        }
    }
    assert_eq!(
        upstream.count(),
        before,
        "preflights never reach the upstream"
    );

    // Any token method and a chunked body go on as sent; Host becomes the upstream's; the
    // upstream's own CORS headers are replaced by the engine's, everything else kept.
    for origin in [PAGE, "https://evil.example"] {
        let body = b"hello streamed world".to_vec();
        let mut reader = std::io::Cursor::new(body.clone());
        let mut response = agent
            .run(
                ureq::http::Request::builder()
                    .method("PURGE")
                    .uri(format!("{base}/orders/7?x=1"))
                    .header("Origin", origin)
                    .header("Cookie", "session=s1")
                    .body(ureq::SendBody::from_reader(&mut reader))
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            cors_of(&response)
                .into_iter()
                .filter(|(n, _)| n != "vary")
                .collect::<Vec<_>>(),
            engine_headers(&policy, None, "PURGE", "/orders/7", origin, None)
                .into_iter()
                .filter(|(n, _)| n != "vary")
                .collect::<Vec<_>>(),
            "{origin}"
        );
        let vary: Vec<&str> = response
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(vary, ["Accept-Encoding, Origin"], "Vary merged once");
        assert_eq!(response.headers()["x-request-id"], "r-1");
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
        if origin != PAGE {
            assert!(
                response
                    .headers()
                    .keys()
                    .all(|n| !n.as_str().starts_with("access-control-")),
                "a disallowed origin never gets a CORS header: {:?}",
                response.headers()
            );
        }
        let echo: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(echo["method"], "PURGE");
        assert_eq!(echo["url"], "/orders/7?x=1");
        assert_eq!(echo["body"], String::from_utf8(body).unwrap());
        let header = |name: &str| {
            echo["headers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
                .map(|h| h[1].as_str().unwrap().to_string())
        };
        assert_eq!(
            header("host").unwrap(),
            upstream.url.trim_start_matches("http://")
        );
        assert_eq!(
            header("x-forwarded-host").unwrap(),
            base.trim_start_matches("http://")
        );
        assert_eq!(header("origin").as_deref(), Some(origin));
        assert_eq!(header("transfer-encoding").as_deref(), Some("chunked"));
    }

    // Upstream errors carry what the deployed gateway responses send (UNAUTHORIZED, DEFAULT_5XX:
    // the page, the one origin they name), not the route's answer.
    let loaded = corsgen::load(&policy, None).unwrap();
    for (status, origin) in [(401, PAGE), (500, PAGE), (403, "https://other.example")] {
        let response = agent
            .get(format!("{base}/status/{status}"))
            .header("Origin", origin)
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        let types = corsgen::engine::gateway_response_types_for(status);
        let expected: Vec<Vec<(String, String)>> = types
            .iter()
            .map(|t| {
                let answer = corsgen::engine::gateway_response(
                    loaded.policy.as_ref().unwrap(),
                    t,
                    Some(origin),
                    Some(status),
                )
                .unwrap();
                sorted(
                    answer
                        .headers
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.clone())),
                )
            })
            .collect();
        let mut got = cors_of(&response);
        got.iter_mut()
            .filter(|(n, _)| n == "vary")
            .for_each(|(_, v)| *v = v.replace("Accept-Encoding, ", ""));
        assert!(
            expected.contains(&got),
            "{status} from {origin}: {got:?} not in {expected:?}"
        );
        assert!(
            got.contains(&("access-control-allow-origin".into(), PAGE.into())),
            "{got:?}"
        );
    }

    // A streamed body reaches the page as the upstream writes it: the first line arrives while
    // the upstream still holds the second.
    let mut response = agent
        .get(format!("{base}/stream"))
        .header("Origin", PAGE)
        .call()
        .unwrap();
    let mut reader = BufReader::new(response.body_mut().as_reader());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert_eq!(first, "first\n");
    agent
        .get(format!("{}/release", upstream.url))
        .call()
        .unwrap();
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "second\n");

    // One kept-alive connection: HEAD keeps its length and sends no body, the next request on
    // the same connection is read where it starts; an ambiguous request is refused and closes.
    let mut socket = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let host = base.trim_start_matches("http://");
    write!(socket, "HEAD /orders HTTP/1.1\r\nHost: {host}\r\nOrigin: {PAGE}\r\n\r\nGET /orders HTTP/1.1\r\nHost: {host}\r\nOrigin: {PAGE}\r\n\r\nPOST /orders HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
    let mut wire = String::new();
    BufReader::new(&socket).read_to_string(&mut wire).unwrap();
    let heads: Vec<&str> = wire.matches("HTTP/1.1 ").collect();
    assert_eq!(heads.len(), 3, "{wire}");
    let (head_answer, rest) = wire.split_once("\r\n\r\n").unwrap();
    assert!(head_answer.starts_with("HTTP/1.1 200"), "{head_answer}");
    assert!(
        head_answer
            .to_ascii_lowercase()
            .contains("content-length: "),
        "{head_answer}"
    );
    assert!(
        rest.starts_with("HTTP/1.1 200"),
        "HEAD sent no body: {rest}"
    );
    assert!(wire.contains("\"method\":\"GET\""), "{wire}");
    let refused = &wire[wire.rfind("HTTP/1.1 ").unwrap()..];
    assert!(refused.starts_with("HTTP/1.1 400 Bad Request"), "{refused}");
    assert!(
        refused.contains("both Transfer-Encoding and Content-Length"),
        "{refused}"
    );

    let (status, events) = proxy.stop("INT");
    assert!(
        status.success(),
        "Ctrl-C stops serve with exit 0: {status:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["event"], "stopped");
    let requests: Vec<&Value> = events.iter().filter(|e| e["event"] == "request").collect();
    assert_eq!(last["requests"], requests.len());
    assert_eq!(
        last["blocked"],
        requests
            .iter()
            .filter(|e| e["verdict"] == "blocked")
            .count()
    );
    // What the log says of each answer: a preflight from another site is blocked with
    // Chromium's error and the fix at the policy's line; a look-alike is never to be listed.
    let preflight_from = |origin: &str| {
        requests
            .iter()
            .find(|e| e["origin"] == origin && e["source"] == "preflight")
            .unwrap()
    };
    let evil = preflight_from("https://evil.example");
    assert_eq!(
        (&evil["verdict"], &evil["error"], &evil["status"]),
        (
            &json!("blocked"),
            &json!("PreflightMissingAllowOriginHeader"),
            &json!(403)
        )
    );
    assert!(evil["message"].as_str().unwrap().starts_with(&format!(
        "Access to fetch at '{base}/orders/7' from origin 'https://evil.example' has been blocked by CORS policy: Response to preflight request"
    )));
    assert!(evil["fixes"][0]["location"]
        .as_str()
        .unwrap()
        .ends_with("policy.toml:3:17"));
    let lookalike = preflight_from("https://app.example.com.evil.example");
    assert!(lookalike["fixes"][0]["message"]
        .as_str()
        .unwrap()
        .contains("only looks like"));
    let purge = requests
        .iter()
        .find(|e| e["method"] == "PURGE" && e["origin"] == PAGE)
        .unwrap();
    assert_eq!(
        (&purge["verdict"], &purge["credentials"], &purge["source"]),
        (&json!("allowed"), &json!("include"), &json!("upstream"))
    );
    assert_eq!(
        purge["readable_headers"],
        json!(["content-type", "x-request-id"])
    );
    let refused = requests
        .iter()
        .find(|e| e["source"] == "bad-request")
        .unwrap();
    assert_eq!(refused["status"], 400);
}

/// Reads one response from `reader`: its head, then a body of its `Content-Length`.
fn read_response(reader: &mut BufReader<&TcpStream>) -> (String, String) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|n| n.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

#[test]
fn serve_refuses_malformed_bodies_answers_expect_and_forwards_what_a_browser_would() {
    let upstream = Upstream::start();
    let work = tempfile::tempdir().unwrap();
    let policy = write_policy(work.path(), PAGE);
    let proxy = Proxy::start(&policy, &upstream.url, &[]);
    let host = proxy.url.trim_start_matches("http://").to_string();

    // A client waiting for 100 Continue gets it from the proxy; a target with bytes a URI may
    // not hold raw goes on percent-encoded; a spoofed X-Forwarded-Host is replaced.
    let socket = TcpStream::connect(&host).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut writer = &socket;
    write!(writer, "PUT /orders/a\"b HTTP/1.1\r\nHost: {host}\r\nOrigin: {PAGE}\r\nX-Forwarded-Host: evil.example\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n").unwrap();
    let mut reader = BufReader::new(&socket);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert_eq!(status, "HTTP/1.1 100 Continue\r\n");
    let mut blank = String::new();
    reader.read_line(&mut blank).unwrap();
    writer.write_all(b"hello").unwrap();
    let (head, body) = read_response(&mut reader);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let echo: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echo["url"], "/orders/a%22b");
    assert_eq!(echo["body"], "hello");
    let forwarded: Vec<&Value> = echo["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            let name = h[0].as_str().unwrap().to_ascii_lowercase();
            name == "x-forwarded-host" || name == "expect"
        })
        .collect();
    assert_eq!(forwarded.len(), 1, "{forwarded:?}");
    assert_eq!(forwarded[0][1], host.as_str());

    // A chunked body that is not well formed is the browser's error: 400, never a 502 blamed
    // on the upstream, and the connection closes.
    let before = upstream.count();
    let socket = TcpStream::connect(&host).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut writer = &socket;
    write!(writer, "POST /orders HTTP/1.1\r\nHost: {host}\r\nOrigin: {PAGE}\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n").unwrap();
    let mut wire = String::new();
    BufReader::new(&socket).read_to_string(&mut wire).unwrap();
    assert!(wire.starts_with("HTTP/1.1 400 Bad Request"), "{wire}");
    assert!(wire.contains("malformed or ended early"), "{wire}");
    assert_eq!(wire.matches("HTTP/1.1 ").count(), 1, "{wire}");
    // The upstream may have seen the request start, never a complete one it answered.
    assert!(upstream.count() <= before + 1);

    let (status, events) = proxy.stop("INT");
    assert!(status.success());
    let refused = events
        .iter()
        .find(|e| e["event"] == "request" && e["status"] == 400)
        .unwrap();
    assert_eq!(refused["source"], "bad-request", "{refused}");
}

#[test]
fn serve_reads_the_policy_again_when_it_changes() {
    let work = tempfile::tempdir().unwrap();
    let policy = write_policy(work.path(), PAGE);
    // Preflights never reach the upstream: none is needed.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let proxy = Proxy::start(&policy, &nowhere, &[]);
    let preflight = |origin: &str| {
        agent()
            .options(format!("{}/orders", proxy.url))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "PUT")
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    let newcomer = "https://new.example";
    assert_eq!(preflight(newcomer), 403);
    // A valid edit answers from the next request on.
    let text = POLICY.replace("{page}", PAGE).replace(
        "\"https://other.example\"]",
        &format!("\"https://other.example\", \"{newcomer}\"]"),
    );
    std::fs::write(&policy, &text).unwrap();
    assert_eq!(preflight(newcomer), 204);
    // An invalid one is reported, and the last valid policy goes on answering.
    std::fs::write(
        &policy,
        text.replace("allow-credentials = true", "allow-credentials = 1"),
    )
    .unwrap();
    assert_eq!(preflight(newcomer), 204);
    let (status, events) = proxy.stop("INT");
    assert!(status.success());
    let changes: Vec<&Value> = events.iter().filter(|e| e["event"] == "policy").collect();
    assert_eq!(changes.len(), 2, "{events:?}");
    assert_eq!(changes[0]["valid"], true);
    assert_eq!(changes[1]["valid"], false);
    assert!(
        changes[1]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("policy.toml:4:"),
        "{}",
        changes[1]
    );
}

#[test]
fn serve_answers_an_unreachable_upstream_and_stops_on_sigterm() {
    let work = tempfile::tempdir().unwrap();
    let policy = write_policy(work.path(), PAGE);
    // A port nothing listens on.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let proxy = Proxy::start(&policy, &closed, &[]);
    let loaded = corsgen::load(&policy, None).unwrap();
    for origin in [PAGE, "https://evil.example"] {
        let mut response = agent()
            .get(format!("{}/orders", proxy.url))
            .header("Origin", origin)
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), 502);
        let answer = corsgen::engine::gateway_response(
            loaded.policy.as_ref().unwrap(),
            "INTEGRATION_FAILURE",
            Some(origin),
            Some(502),
        )
        .unwrap();
        assert_eq!(answer.applies, Some("DEFAULT_5XX"));
        assert_eq!(
            cors_of(&response),
            sorted(
                answer
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.clone()))
            )
        );
        let body: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("cannot connect"),
            "{body}"
        );
    }
    let (status, events) = proxy.stop("TERM");
    assert!(
        status.success(),
        "SIGTERM stops serve with exit 0: {status:?}"
    );
    let first = &events[0];
    assert_eq!(
        (
            &first["source"],
            &first["gateway_response"]["response_type"]
        ),
        (&json!("unreachable"), &json!("INTEGRATION_FAILURE"))
    );
    assert_eq!(events[1]["verdict"], "blocked", "{}", events[1]);
}

#[test]
fn serve_refuses_what_it_cannot_do_with_the_exit_codes_of_the_contract() {
    let work = tempfile::tempdir().unwrap();
    let policy = write_policy(work.path(), PAGE);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_corsgen"))
            .arg("serve")
            .args(args)
            .output()
            .unwrap()
    };
    let policy_arg = policy.to_str().unwrap();
    let bad_upstream = run(&[policy_arg, "--upstream", "ftp://example.com"]);
    assert_eq!(bad_upstream.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad_upstream.stderr).contains("--upstream `ftp://example.com`")
    );
    let bad_listen = run(&[
        policy_arg,
        "--upstream",
        "http://127.0.0.1:1",
        "--listen",
        "localhost",
    ]);
    assert_eq!(bad_listen.status.code(), Some(2));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let busy = run(&[
        policy_arg,
        "--upstream",
        "http://127.0.0.1:1",
        "--listen",
        &address,
        "--format",
        "json",
    ]);
    assert_eq!(busy.status.code(), Some(4));
    let error: Value = serde_json::from_slice(&busy.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "io");
    // JSON Lines from the start: a failure before listening is one line too.
    assert_eq!(String::from_utf8_lossy(&busy.stdout).lines().count(), 1);
    let invalid = work.path().join("invalid.toml");
    std::fs::write(
        &invalid,
        "version = 1\n[cors]\nallow-origins = [\"https://*\"]\n",
    )
    .unwrap();
    let out = run(&[
        invalid.to_str().unwrap(),
        "--upstream",
        "http://127.0.0.1:1",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid.toml:3:"));
    let path = invalid.to_str().unwrap();
    let out = run(&[path, "--upstream", "http://127.0.0.1:1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "JSON Lines: the diagnostics on one line");
    assert_eq!(lines[0]["diagnostics"][0]["line"], 3);
}

/// One page request through the proxy, and how the proxy is run.
struct Case {
    id: &'static str,
    path: &'static str,
    request: Request,
    /// The upstream's status for the actual request (it always sends its own wrong CORS).
    status: u16,
    /// Which proxy: 0 the base policy, 1 `--env partner`, 2 `--env partner --errors handler`,
    /// 3 the base policy with nothing listening upstream.
    proxy: usize,
}

fn case(id: &'static str, path: &'static str, request: Request, status: u16, proxy: usize) -> Case {
    Case {
        id,
        path,
        request,
        status,
        proxy,
    }
}

fn request(method: &str, headers: &[(&str, &str)], credentials: bool) -> Request {
    Request {
        method: method.to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect(),
        credentials,
        xhr: false,
    }
}

#[test]
fn chromium_through_serve_gets_what_check_predicts_and_what_serve_logs() {
    require_chromium();
    let (page_port, api_port) = (free_port(), free_port());
    let page = format!("http://127.0.0.1:{page_port}");
    let work = tempfile::tempdir().unwrap();
    let policy = write_policy(work.path(), &page);
    // The harness's own API server is the upstream: each scenario's fixed answer, with CORS
    // headers that would let anything through if the proxy kept them.
    let upstream = format!("http://127.0.0.1:{api_port}");
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let proxies = [
        Proxy::start(&policy, &upstream, &[]),
        Proxy::start(&policy, &upstream, &["--env", "partner"]),
        Proxy::start(
            &policy,
            &upstream,
            &["--env", "partner", "--errors", "handler"],
        ),
        Proxy::start(&policy, &nowhere, &[]),
    ];
    let json_ct = [("Content-Type", "application/json")];
    let cases = [
        case("get", "/orders/1", request("GET", &[], false), 200, 0),
        case(
            "get-credentials",
            "/orders/1",
            request("GET", &[], true),
            200,
            0,
        ),
        case(
            "put-json",
            "/orders/1",
            request("PUT", &json_ct, true),
            200,
            0,
        ),
        case("purge", "/orders/1", request("PURGE", &[], false), 200, 0),
        case(
            "patch-refused",
            "/orders/1",
            request("PATCH", &[], false),
            200,
            0,
        ),
        case(
            "header-refused",
            "/orders/1",
            request("GET", &[("X-Other", "1")], false),
            200,
            0,
        ),
        case("public", "/public/docs", request("GET", &[], false), 200, 0),
        case(
            "public-credentials",
            "/public/docs",
            request("GET", &[], true),
            200,
            0,
        ),
        case(
            "unauthorized",
            "/orders/1",
            request("GET", &[], true),
            401,
            0,
        ),
        case(
            "server-error",
            "/orders/1",
            request("POST", &json_ct, false),
            500,
            0,
        ),
        case(
            "partner-unauthorized",
            "/orders/1",
            request("GET", &[], false),
            401,
            1,
        ),
        case(
            "partner-ok",
            "/orders/1",
            request("GET", &[], false),
            200,
            1,
        ),
        case(
            "handler-unauthorized",
            "/orders/1",
            request("GET", &[], false),
            401,
            2,
        ),
        case(
            "unreachable",
            "/orders/1",
            request("GET", &[], false),
            502,
            3,
        ),
    ];
    let wrong_cors = json!([
        ["Access-Control-Allow-Origin", "*"],
        ["Access-Control-Allow-Methods", "*"],
        ["Access-Control-Allow-Headers", "*"],
        ["X-Request-Id", "r-1"]
    ]);
    let input = json!({
        "page_port": page_port,
        "api_port": api_port,
        "har": work.path().join("run.har"),
        "scenarios": cases.iter().map(|c| json!({
            "id": c.id,
            "path": c.path,
            "method": c.request.method,
            "headers": c.request.headers,
            "credentials": if c.request.credentials { "include" } else { "omit" },
            "xhr": false,
            "same_origin": false,
            "server": {
                "kind": "fixed",
                "preflight": {"status": 204, "headers": wrong_cors},
                "actual": {"status": c.status, "headers": wrong_cors},
            },
            "base": proxies[c.proxy].url,
        })).collect::<Vec<_>>(),
    });
    let run = run_chromium(work.path(), &input);
    let seen: BTreeMap<&str, &Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r))
        .collect();
    let logs: Vec<Vec<Value>> = proxies.iter().map(Proxy::events).collect();
    let policy_arg = policy.to_str().unwrap();
    let mut disagreements = Vec::new();
    let mut verdicts = [0, 0];
    for case in &cases {
        let result = seen[case.id];
        let url = result["url"].as_str().unwrap();
        let chromium = (
            result["verdict"] == "allowed",
            result["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect::<Vec<_>>(),
        );
        verdicts[usize::from(!chromium.0)] += 1;
        // `check` predicts: the route's answer, or with API Gateway's own error the gateway
        // response (by status; an upstream that cannot be reached is INTEGRATION_FAILURE).
        let status = case.status.to_string();
        let mut extra: Vec<&str> = Vec::new();
        if case.proxy == 1 || case.proxy == 2 {
            extra.extend(["--env", "partner"]);
        }
        match (case.status, case.proxy) {
            (502, _) => extra.extend(["--gateway-response", "INTEGRATION_FAILURE"]),
            (400.., 0 | 1) => extra.extend(["--status", status.as_str()]),
            _ => {}
        }
        let predicted = check_predicts(
            work.path(),
            case.id,
            policy_arg,
            &page,
            url,
            &extra,
            &case.request,
        );
        // Chromium logs an allowed error status too (`Failed to load resource: the server
        // responded with a status of …`); the status is the upstream's (or serve's 502 for one
        // it cannot reach), which `check` does not know: that line is left out here.
        let status_line = |m: &String| {
            !m.starts_with("Failed to load resource: the server responded with a status of ")
        };
        let chromium = (
            chromium.0,
            chromium
                .1
                .into_iter()
                .filter(status_line)
                .collect::<Vec<_>>(),
        );
        let predicted_lines: Vec<String> = predicted
            .messages
            .iter()
            .filter(|m| status_line(m))
            .cloned()
            .collect();
        if chromium != (predicted.allowed, predicted_lines) {
            disagreements.push(format!(
                "{}: Chromium {chromium:?}, check {:?}",
                case.id,
                (predicted.allowed, &predicted.messages)
            ));
        }
        // The proxy's log: the last event for this URL is the request the browser judged (the
        // preflight when it was blocked there), with Chromium's verdict and message.
        let logged = logs[case.proxy]
            .iter()
            .rfind(|e| e["url"] == url)
            .unwrap_or_else(|| panic!("{}: serve logged nothing for {url}", case.id));
        let logged_outcome = (
            logged["verdict"] == "allowed",
            logged["message"]
                .as_str()
                .map(str::to_string)
                .into_iter()
                .collect::<Vec<_>>(),
        );
        // serve logs the CORS error; Chromium's failed-load lines (`Failed to load resource:
        // …`, proven against check above) are not its to log.
        let cors_lines = (
            chromium.0,
            chromium
                .1
                .iter()
                .filter(|m| !m.starts_with("Failed to load resource: "))
                .cloned()
                .collect::<Vec<_>>(),
        );
        if cors_lines != logged_outcome {
            disagreements.push(format!(
                "{}: Chromium {chromium:?}, serve logged {logged}",
                case.id
            ));
        }
        // The upstream never sees a preflight; it sees the actual request when the browser sent
        // it, with its own Host.
        let received = result["received"].as_array().unwrap();
        assert!(
            received.iter().all(|r| r["method"] != "OPTIONS"),
            "{}: a preflight reached the upstream: {received:?}",
            case.id
        );
        for r in received {
            let host = r["headers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("host"))
                .unwrap();
            assert_eq!(host[1].as_str().unwrap(), format!("127.0.0.1:{api_port}"));
        }
    }
    assert!(
        disagreements.is_empty(),
        "serve and Chromium disagree:\n{}",
        disagreements.join("\n")
    );
    // Both verdicts occur, and the cases that prove each point answered as intended.
    assert!(verdicts[0] >= 6 && verdicts[1] >= 4, "{verdicts:?}");
    let allowed = |id: &str| seen[id]["verdict"] == "allowed";
    assert!(allowed("purge") && allowed("unauthorized") && allowed("handler-unauthorized"));
    assert!(
        allowed("unreachable"),
        "a 502 from serve carries the gateway response's headers"
    );
    assert!(!allowed("partner-unauthorized") && allowed("partner-ok"));
    assert!(!allowed("public-credentials") && !allowed("patch-refused"));
    for proxy in proxies {
        let (status, _) = proxy.stop("INT");
        assert!(status.success());
    }
}
