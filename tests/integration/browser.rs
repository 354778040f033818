//! Browser truth: headless Debian Chromium, driven by playwright-core, fetches cross-origin from a
//! page on one loopback port to an API on another. The API answers with the headers of the
//! generated artifacts run in node (the Lambda Node snippet, the CloudFront Functions) or with
//! fixed, deliberately broken headers, or allows whatever is asked (for every class of method
//! and request header). For every scenario Chromium's verdict, its console message (or the
//! exception the script's call throws) and every request it sent (method and CORS headers, as
//! the API received them) must equal what `corsgen check` (policy scenarios) or the browser model
//! (fixed and echoing servers) predicts; then `corsgen doctor` must explain every failure in the
//! HAR of that same run with Chromium's own message.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::TcpListener;
use std::path::Path;

use corsgen::browser::{sends_empty_content_length, Engine, Response};
use corsgen::check::exchange;
use corsgen::check::fetch_request;
use serde_json::{json, Value};

use crate::support::{corsgen, emit_into, require_tool, root};

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Policies whose artifacts serve the page; `{page}` is the page's origin.
pub(crate) const POLICIES: [(&str, &str); 5] = [
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
pub(crate) type Req = (
    &'static str,
    &'static [(&'static str, &'static str)],
    bool,
    bool,
);

pub(crate) const REQUESTS: [Req; 16] = [
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

/// A request as a scenario makes it (owned: some values are built at run time).
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) credentials: bool,
    pub(crate) xhr: bool,
}

impl From<Req> for Request {
    fn from((method, headers, credentials, xhr): Req) -> Self {
        Request {
            method: method.to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                .collect(),
            credentials,
            xhr,
        }
    }
}

/// How the API answers a scenario.
#[derive(Debug, Clone)]
enum Answer {
    /// A policy's generated artifacts; `check` predicts with this policy file.
    Policy(String),
    /// Fixed responses: (preflight, actual), and for redirect scenarios the answer to the first
    /// actual request (its `Location` leads to the request that gets the fixed actual answer).
    Fixed(Response, Response, Option<Response>),
    /// Allows whatever is asked (the request's origin; on a preflight, the method and headers
    /// it names): what is sent, not what is answered, is under test.
    Echo,
}

struct Scenario {
    id: String,
    path: String,
    request: Request,
    server: Value,
    /// The page fetches its own origin (the page server answers as the API does).
    same_origin: bool,
    answer: Answer,
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

/// A redirect chain (or a request a page cannot send): the request, whether the page fetches
/// its own origin, and the fixed answers: every preflight, the first actual request (a
/// redirect, or `None`), and the request its `Location` leads to. In a `Location`, `{s}` is the
/// scenario's id, `{api}` another origin than page and API (`localhost`), `{cross}` the API's
/// origin (another origin than the page's).
struct Chain {
    name: &'static str,
    request: Req,
    same_origin: bool,
    preflight: Response,
    redirect: Option<Response>,
    actual: Response,
}

/// Redirects of the actual request, same-origin requests and methods a page cannot send.
fn redirect_cases(page: &str) -> Vec<Chain> {
    let acao = "Access-Control-Allow-Origin";
    let get: Req = ("GET", &[], false, false);
    let put: Req = ("PUT", &[("X-Foo", "1")], false, false);
    let refused = response(403, &[]);
    let allowed = response(200, &[(acao, page)]);
    let good_preflight = response(
        204,
        &[
            (acao, page),
            ("Access-Control-Allow-Methods", "PUT"),
            ("Access-Control-Allow-Headers", "x-foo"),
        ],
    );
    let cors_redirect = |status: u16, location: &str| {
        Some(response(status, &[(acao, page), ("Location", location)]))
    };
    let bare_redirect =
        |status: u16, location: &str| Some(response(status, &[("Location", location)]));
    let chain = |name, request, preflight: &Response, redirect, actual: &Response| Chain {
        name,
        request,
        same_origin: false,
        preflight: preflight.clone(),
        redirect,
        actual: actual.clone(),
    };
    let same = |name, request, preflight: &Response, redirect, actual: &Response| Chain {
        same_origin: true,
        ..chain(name, request, preflight, redirect, actual)
    };
    vec![
        chain(
            "redirect-then-missing-acao",
            get,
            &refused,
            cors_redirect(302, "../final/x?s={s}&hop=1#top"),
            &response(200, &[]),
        ),
        chain(
            "redirect-then-allowed",
            get,
            &refused,
            cors_redirect(302, "/final?s={s}&hop=1"),
            &allowed,
        ),
        chain(
            "redirect-without-acao",
            get,
            &refused,
            bare_redirect(302, "/final?s={s}&hop=1"),
            &allowed,
        ),
        // A byte above 0x7F in Location is percent-encoded on its own.
        chain(
            "redirect-latin1-location",
            get,
            &refused,
            cors_redirect(302, "/final/caf\u{e9}?s={s}&hop=1"),
            &allowed,
        ),
        chain(
            "redirect-to-other-origin",
            get,
            &refused,
            cors_redirect(302, "{api}/final?s={s}&hop=1"),
            &allowed,
        ),
        // A preflighted request is preflighted again at every cross-origin URL it is
        // redirected to, from `null` once the chain left the API's origin.
        chain(
            "redirect-preflighted-again",
            put,
            &good_preflight,
            cors_redirect(307, "/final?s={s}&hop=1"),
            &allowed,
        ),
        chain(
            "redirect-preflighted-from-null",
            put,
            &good_preflight,
            cors_redirect(307, "{api}/final?s={s}&hop=1"),
            &allowed,
        ),
        // 303 makes a POST a GET without its body headers; 302 keeps a PUT a PUT.
        chain(
            "redirect-303-post-to-get",
            (
                "POST",
                &[("Content-Type", "text/plain"), ("Content-Language", "de")],
                false,
                false,
            ),
            &refused,
            cors_redirect(303, "/final?s={s}&hop=1"),
            &allowed,
        ),
        chain(
            "redirect-302-post-json",
            (
                "POST",
                &[("Content-Type", "application/json"), ("X-Foo", "1")],
                false,
                false,
            ),
            &response(
                204,
                &[
                    (acao, page),
                    ("Access-Control-Allow-Methods", "GET, POST"),
                    ("Access-Control-Allow-Headers", "content-type, x-foo"),
                ],
            ),
            cors_redirect(302, "/final?s={s}&hop=1"),
            &allowed,
        ),
        chain(
            "redirect-302-put",
            put,
            &good_preflight,
            cors_redirect(302, "/final?s={s}&hop=1"),
            &allowed,
        ),
        // Same-origin: no preflight and no CORS check, until a redirect leaves the origin.
        same(
            "same-origin-get",
            get,
            &refused,
            None,
            &response(200, &[("X-Secret", "1")]),
        ),
        same(
            "same-origin-put",
            put,
            &refused,
            None,
            &response(200, &[("X-Secret", "1")]),
        ),
        same(
            "same-origin-then-cross-allowed",
            get,
            &refused,
            bare_redirect(302, "{cross}/final?s={s}&hop=1"),
            &allowed,
        ),
        same(
            "same-origin-then-cross-missing-acao",
            get,
            &refused,
            bare_redirect(302, "{cross}/final?s={s}&hop=1"),
            &response(200, &[]),
        ),
        same(
            "same-origin-then-cross-preflighted",
            put,
            &good_preflight,
            bare_redirect(307, "{cross}/final?s={s}&hop=1"),
            &allowed,
        ),
        same(
            "same-origin-then-cross-preflight-refused",
            put,
            &refused,
            bare_redirect(307, "{cross}/final?s={s}&hop=1"),
            &allowed,
        ),
        // Redirects the browser refuses to follow: to a URL with credentials, to a scheme
        // without CORS, and the 21st.
        chain(
            "redirect-to-credentials",
            get,
            &refused,
            cors_redirect(302, "{userinfo}/final?s={s}&hop=1"),
            &allowed,
        ),
        chain(
            "redirect-to-data",
            get,
            &refused,
            cors_redirect(302, "data:text/plain,x"),
            &allowed,
        ),
        chain(
            "redirect-loop",
            get,
            &refused,
            cors_redirect(302, "/orders/1?s={s}"),
            &allowed,
        ),
        chain(
            "forbidden-connect",
            ("CONNECT", &[], false, false),
            &refused,
            None,
            &response(200, &[]),
        ),
        chain(
            "forbidden-trace-xhr",
            ("TRACE", &[], false, true),
            &refused,
            None,
            &response(200, &[]),
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
            // The UTF-8 bytes of `ü`: Chromium quotes each byte.
            "non-ascii-acao",
            get,
            none.clone(),
            response(200, &[(acao, "http://b\u{c3}\u{bc}cher.example")]),
        ),
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

/// Every class of method and request header the Fetch standard distinguishes (and the ones
/// Chromium adds), each sent to a server that allows whatever is asked: what Chromium sends,
/// and the exception it throws for what it refuses, must be what the model says. (Node's HTTP
/// parser only accepts the methods it knows, so lowercase extension methods are proven by the
/// probe test's own server instead.)
fn class_cases() -> Vec<(&'static str, Request)> {
    let nine: Vec<(String, String)> = crate::support::safelisted_at_128_bytes()
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    let req = |method: &str, headers: &[(&str, &str)], xhr: bool| Request {
        method: method.to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect(),
        credentials: false,
        xhr,
    };
    let long = "a".repeat(129);
    let mut cases = vec![
        ("safelisted method", req("HEAD", &[], false)),
        ("normalized method", req("get", &[], false)),
        ("normalized method", req("post", &[], true)),
        ("normalized method", req("delete", &[], false)),
        ("normalized method", req("Options", &[], false)),
        ("extension method", req("PURGE", &[], false)),
        ("extension method", req("PROPFIND", &[], false)),
        ("extension method", req("MKCOL", &[], true)),
        ("extension method", req("REPORT", &[], false)),
        ("extension method", req("M-SEARCH", &[], false)),
        ("not a method", req("GE T", &[], false)),
        ("not a method", req("GE T", &[], true)),
        ("not a method", req("G\u{c9}T", &[], false)),
        ("not a method", req("G\u{101}T", &[], false)),
        ("not a method", req("G\u{101}T", &[], true)),
        (
            "safelisted header",
            req(
                "POST",
                &[
                    ("Content-Type", "text/plain;charset=UTF-8"),
                    ("Accept", "application/json"),
                    ("Accept-Language", "de-CH, en;q=0.5"),
                    ("Content-Language", "de"),
                ],
                false,
            ),
        ),
        (
            "safelisted header",
            req("GET", &[("Range", "bytes=0-99")], false),
        ),
        (
            "safelisted by Chromium only",
            req(
                "GET",
                &[("DPR", "2"), ("Save-Data", "on"), ("ECT", "4g")],
                false,
            ),
        ),
        (
            "unsafe value",
            req("POST", &[("Content-Type", "application/json")], false),
        ),
        (
            "unsafe value",
            req(
                "GET",
                &[("Range", "bytes=-500"), ("Save-Data", "off")],
                false,
            ),
        ),
        (
            "value over 128 bytes",
            req("GET", &[("Accept", &long)], false),
        ),
        (
            "repeated name",
            req(
                "POST",
                &[
                    ("Content-Type", "text/plain"),
                    ("content-type", "text/plain"),
                ],
                false,
            ),
        ),
        (
            "repeated name",
            req("GET", &[("X-A", "1"), ("x-a", "2")], true),
        ),
        (
            "non-safelisted header",
            req(
                "PUT",
                &[("Authorization", "Bearer t"), ("X-B", "1"), ("x-a", "2")],
                false,
            ),
        ),
        (
            "trimmed, ISO-8859-1",
            req("GET", &[("X-Name", "  caf\u{e9}\t")], false),
        ),
        (
            "forbidden header",
            req(
                "GET",
                &[
                    ("Cookie", "a=1"),
                    ("Origin", "https://evil.example"),
                    ("Proxy-Authorization", "x"),
                    ("X-HTTP-Method-Override", "TRACE"),
                    ("X-Kept", "1"),
                ],
                false,
            ),
        ),
        (
            "forbidden header",
            req("GET", &[("Cookie", "a=1"), ("X-Kept", "1")], true),
        ),
        (
            "invalid header name",
            req("GET", &[("Bad Name", "1")], false),
        ),
        (
            "invalid header name",
            req("GET", &[("Bad Name", "1")], true),
        ),
        (
            "invalid header name",
            req("GET", &[("X-\u{e9}", "1")], false),
        ),
        (
            "invalid header value",
            req("GET", &[("X-A", " a\nb "), ("Bad Name", "1")], false),
        ),
        (
            "invalid header value",
            req("GET", &[("X-A", " a\nb ")], true),
        ),
        (
            "header not ISO-8859-1",
            req("CONNECT", &[("X-A", "\u{101}")], false),
        ),
        (
            "header not ISO-8859-1",
            req("GET", &[("X-A", "\u{101}")], true),
        ),
    ];
    // Without Accept, the browser's own `Accept: */*` (3 bytes) counts: 8 × 128 + 3 is over
    // 1,024, 7 × 128 + 125 + 3 is exactly 1,024.
    let eight: Vec<(String, String)> = nine
        .iter()
        .filter(|(n, _)| n != "Accept")
        .cloned()
        .collect();
    let mut exactly = eight.clone();
    exactly.last_mut().unwrap().1.truncate(125);
    for total in [&nine[..], &nine[1..], &eight[..], &exactly[..]] {
        cases.push((
            "safelisted values around 1,024 bytes together",
            Request {
                method: "GET".into(),
                headers: total.to_vec(),
                credentials: false,
                xhr: false,
            },
        ));
    }
    cases
}

/// One request as sent: method, request target, headers.
pub(crate) type Sent = (String, String, Vec<(String, String)>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) allowed: bool,
    pub(crate) messages: Vec<String>,
    /// Every request sent: the method, the request target (path and query) and the headers
    /// CORS sees (lowercase names, sorted; without the ones the browser adds for the
    /// transport, cookies and client hints).
    pub(crate) sent: Vec<Sent>,
}

/// Headers the browser adds on its own that no CORS rule reads (Accept-Language is handled
/// apart: it is also a safelisted header scripts set; Firefox adds `Priority`).
const BROWSER_ADDED: [&str; 7] = [
    "host",
    "connection",
    "user-agent",
    "referer",
    "accept-encoding",
    "cookie",
    "priority",
];

impl Outcome {
    fn of(exchange: &corsgen::check::Exchange) -> Outcome {
        Outcome {
            allowed: exchange.verdict.allowed(),
            messages: exchange.console.clone(),
            sent: exchange
                .preflight
                .iter()
                .chain(&exchange.actual)
                .map(|l| (l.method.clone(), target(&l.url), l.request_headers.clone()))
                .collect(),
        }
        .framed()
    }

    /// The model's requests with the framing the browser adds to a request without a body
    /// (`Content-Length: 0` for POST and PUT), then normalized.
    fn framed(mut self) -> Outcome {
        for (method, _, headers) in &mut self.sent {
            if sends_empty_content_length(method) {
                headers.push(("content-length".to_string(), "0".to_string()));
            }
        }
        self.normalized()
    }

    fn normalized(mut self) -> Outcome {
        for (_, _, headers) in &mut self.sent {
            for (name, _) in headers.iter_mut() {
                *name = name.to_ascii_lowercase();
            }
            headers.retain(|(n, _)| !BROWSER_ADDED.contains(&n.as_str()) && !n.starts_with("sec-"));
            headers.sort();
        }
        self
    }
}

/// The request target of `url` as it goes on the wire: path and query.
fn target(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

/// Chromium, and the playwright-core that drives it, are installed (a test that needs them
/// fails, naming what is missing, when they are not).
pub(crate) fn require_chromium() {
    require_tool("node");
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is required by this test (Debian package `chromium`); run scripts/test.sh, which installs it"
    );
    assert!(
        root().join("tests/harness/node_modules/playwright-core/package.json").exists(),
        "playwright-core is required by this test; run scripts/test.sh, which installs it (npm ci, cached under ~/.cache/corsgen) and links tests/harness/node_modules"
    );
}

/// Chromium, Firefox ESR and WebKitGTK, and what drives them, are installed (the test fails,
/// naming what is missing, when they are not).
fn require_engines() {
    require_chromium();
    for (path, package) in [
        ("/usr/bin/firefox-esr", "firefox-esr"),
        (
            "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
            "libwebkit2gtk-4.1-0",
        ),
        ("/usr/bin/xvfb-run", "xvfb"),
    ] {
        assert!(
            Path::new(path).exists(),
            "{path} is required by this test (Debian package `{package}`); run scripts/test.sh, which installs it"
        );
    }
    assert!(
        root().join("tests/harness/node_modules/puppeteer-core/package.json").exists(),
        "puppeteer-core is required by this test; run scripts/test.sh, which installs it (npm ci, cached under ~/.cache/corsgen) and links tests/harness/node_modules"
    );
}

/// Runs `tests/harness/browsers.mjs` on `input` (its format is in the harness) and returns its
/// JSON answer: per engine, its version and results.
pub(crate) fn run_browsers(work: &Path, input: &Value) -> Value {
    let input_file = work.join("input.json");
    std::fs::write(&input_file, input.to_string()).unwrap();
    let output = std::process::Command::new("node")
        .arg(root().join("tests/harness/browsers.mjs"))
        .arg(&input_file)
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "the browser harness failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("harness JSON")
}

/// Runs the harness in Chromium alone and returns `{"chromium": version, "results": [...]}`.
pub(crate) fn run_chromium(work: &Path, input: &Value) -> Value {
    let mut input = input.clone();
    input["engines"] = json!(["chromium"]);
    if input["har"].is_string() {
        input["har"] = json!({"chromium": input["har"]});
    }
    let run = run_browsers(work, &input);
    let chromium = &run["engines"]["chromium"];
    json!({"chromium": chromium["version"], "results": chromium["results"]})
}

/// What `corsgen check` predicts in Chromium for request `r` from `page` to `url` under
/// `policy` (see [`check_predicts_engines`]).
pub(crate) fn check_predicts(
    work: &Path,
    label: &str,
    policy: &str,
    page: &str,
    url: &str,
    extra: &[&str],
    r: &Request,
) -> Outcome {
    check_predicts_engines(work, label, policy, page, url, extra, r)
        .remove("chromium")
        .expect("check judges Chromium")
}

/// What `corsgen check --browser all` predicts for request `r` from `page` to `url` under
/// `policy`, per engine: its verdict, its console lines and the requests the browser sends
/// (with the framing it adds). `extra` are further arguments: `--path` when the URL's path is
/// not the route's, `--env`, `--status`.
pub(crate) fn check_predicts_engines(
    work: &Path,
    label: &str,
    policy: &str,
    page: &str,
    url: &str,
    extra: &[&str],
    r: &Request,
) -> BTreeMap<String, Outcome> {
    let header_args: Vec<String> = r.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    let mut args = vec![
        "check",
        policy,
        "--origin",
        page,
        "--url",
        url,
        "--method",
        &r.method,
        "--format",
        "json",
        "--browser",
        "all",
    ];
    args.extend(extra);
    for h in &header_args {
        args.extend(["--header", h.as_str()]);
    }
    if r.credentials {
        args.push("--credentials");
    }
    if r.xhr {
        args.push("--xhr");
    }
    let out = corsgen(work, &args);
    let code = out.status.code();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check JSON for {label}: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let engines = report["engines"].as_object().expect("engines");
    let any_blocked = engines.values().any(|e| e["verdict"] == "blocked");
    assert_eq!(
        code,
        Some(if any_blocked { 1 } else { 0 }),
        "exit code of check for {label}"
    );
    assert_eq!(
        report["verdict"], engines["chromium"]["verdict"],
        "the top level is Chromium's"
    );
    assert_eq!(report["message"], engines["chromium"]["message"]);
    engines
        .iter()
        .map(|(key, e)| {
            let outcome = Outcome {
                allowed: e["verdict"] == "allowed",
                messages: e["console"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_str().unwrap().to_string())
                    .collect(),
                sent: e["requests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| {
                        let pairs = crate::support::header_pairs(&l["request_headers"]);
                        (
                            l["method"].as_str().unwrap().to_string(),
                            target(l["url"].as_str().unwrap()),
                            pairs,
                        )
                    })
                    .collect(),
            }
            .framed();
            (key.clone(), outcome)
        })
        .collect()
}

/// The echoing server's answer (the same as the harness's `echo` kind).
fn echo(leg: &corsgen::check::Leg) -> Response {
    let header = |name: &str| {
        leg.request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut headers = vec![
        (
            "Access-Control-Allow-Origin".to_string(),
            header("origin").unwrap_or_default(),
        ),
        ("Vary".to_string(), "Origin".to_string()),
    ];
    let Some(method) = header("access-control-request-method").filter(|_| leg.method == "OPTIONS")
    else {
        return Response {
            status: 200,
            headers,
        };
    };
    headers.push(("Access-Control-Allow-Methods".to_string(), method));
    if let Some(names) = header("access-control-request-headers") {
        headers.push(("Access-Control-Allow-Headers".to_string(), names));
    }
    Response {
        status: 204,
        headers,
    }
}

/// A preflight-cache case: the same preflighted PUT sent twice, `pause_ms` apart, to an API
/// on `base` whose preflight answer carries `Access-Control-Max-Age` (or none).
struct CacheCase {
    id: String,
    base: String,
    pause_ms: u64,
    /// How many times the request is sent again (the warm-up's several).
    times: u32,
    preflight: Response,
}

/// Max-age values each engine reads differently, against a loopback IP and a host name (a
/// cross-site API: the page is on 127.0.0.1).
fn cache_cases(page: &str, api_port: u16) -> Vec<CacheCase> {
    let ages: [(&str, Option<&str>, u64); 7] = [
        ("absent", None, 0),
        ("zero", Some("0"), 0),
        ("600", Some("600"), 0),
        ("above-every-cap", Some("100000"), 0),
        ("negative", Some("-1"), 0),
        ("not-a-number", Some("ten"), 0),
        ("expired", Some("1"), 1500),
    ];
    // Firefox does not cache the first few preflight answers a fresh profile gets (measured:
    // the same URL is preflighted three times before its fourth request is served from the
    // cache; not root-caused): one URL sent four times warms the cache up in every engine.
    let mut cases = vec![CacheCase {
        id: "cache-warm-up".to_string(),
        base: format!("http://127.0.0.1:{api_port}"),
        pause_ms: 0,
        times: 4,
        preflight: response(
            204,
            &[
                ("Access-Control-Allow-Origin", page),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "x-foo"),
                ("Access-Control-Max-Age", "600"),
            ],
        ),
    }];
    for (host_kind, host) in [("ip", "127.0.0.1"), ("name", "localhost")] {
        for (name, age, pause_ms) in ages {
            let mut headers = vec![
                ("Access-Control-Allow-Origin", page),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "x-foo"),
            ];
            if let Some(age) = age {
                headers.push(("Access-Control-Max-Age", age));
            }
            cases.push(CacheCase {
                id: format!("cache-{host_kind}-{name}"),
                base: format!("http://{host}:{api_port}"),
                pause_ms,
                times: 1,
                preflight: response(204, &headers),
            });
        }
    }
    cases
}

/// Each engine preflighted the second request exactly when the model says its cache had
/// expired (or never held the answer).
fn check_preflight_caches(cases: &[CacheCase], run: &Value, page: &str) {
    let mut wrong = Vec::new();
    for engine in ENGINES {
        let results = run["engines"][engine]["results"].as_array().unwrap();
        let mut agreed = 0;
        for case in cases.iter().filter(|c| c.times == 1) {
            let result = results
                .iter()
                .find(|r| r["id"] == case.id.as_str())
                .unwrap();
            let preflights = result["received"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|q| q["method"] == "OPTIONS")
                .count();
            let request = fetch_request(
                &format!("{}/orders/1", case.base),
                page,
                "PUT",
                &["X-Foo: 1".to_string()],
                false,
                false,
            )
            .unwrap();
            let request = corsgen::browser::FetchRequest {
                engine: Engine::from_key(engine).unwrap(),
                ..request
            };
            let verdict = corsgen::browser::evaluate(&request, Some(&case.preflight), None);
            let seconds = verdict.preflight_cache_seconds.unwrap();
            let cached = u64::from(seconds) * 1000 > case.pause_ms;
            let expected = if cached { 1 } else { 2 };
            let allowed = result["verdict"] == "allowed" && result["again"] == "allowed";
            if preflights == expected && allowed {
                agreed += 1;
            } else {
                wrong.push(format!(
                    "{engine} {}: {preflights} preflights (allowed: {allowed}); the model caches for {seconds} s, so {expected}",
                    case.id
                ));
            }
        }
        eprintln!(
            "{engine} preflight cache: {agreed}/{} cases agree (max-age absent, 0, 600, 100000, -1, not a number, expired; to an IP and to a host name)",
            cases.len() - 1
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The engines the real-browser test runs, one after another against the same servers.
const ENGINES: [&str; 3] = ["chromium", "firefox", "webkit"];

/// The harness's results for one engine: per scenario id, its URL and what the engine did.
fn observed_outcomes(results: &Value) -> BTreeMap<String, (String, Outcome)> {
    results
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
            let sent = r["received"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| {
                    let pairs = crate::support::header_pairs(&q["headers"]);
                    (
                        q["method"].as_str().unwrap().to_string(),
                        q["url"].as_str().unwrap().to_string(),
                        pairs,
                    )
                })
                .collect();
            let outcome = Outcome {
                allowed: r["verdict"] == "allowed",
                messages,
                sent,
            };
            (
                r["id"].as_str().unwrap().to_string(),
                (r["url"].as_str().unwrap().to_string(), outcome.normalized()),
            )
        })
        .collect()
}

#[test]
fn three_engines_agree_with_check_and_doctor_explains_their_hars() {
    require_engines();
    let (page_port, api_port) = (free_port(), free_port());
    let page = format!("http://127.0.0.1:{page_port}");
    let work = tempfile::tempdir().unwrap();

    let mut scenarios = Vec::new();
    let caches = cache_cases(&page, api_port);
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
                        request: (*request).into(),
                        server: server.clone(),
                        answer: Answer::Policy(policy_file.to_string_lossy().to_string()),
                        same_origin: false,
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
            request: request.into(),
            server: json!({
                "kind": "fixed",
                "preflight": {"status": preflight.status, "headers": headers(&preflight)},
                "actual": {"status": actual.status, "headers": headers(&actual)},
            }),
            answer: Answer::Fixed(preflight, actual, None),
            same_origin: false,
        });
    }
    for (i, (class, request)) in class_cases().into_iter().enumerate() {
        scenarios.push(Scenario {
            id: format!("class-{i}-{}", class.replace([' ', ','], "-")),
            path: "/orders/1".to_string(),
            request,
            server: json!({"kind": "echo"}),
            answer: Answer::Echo,
            same_origin: false,
        });
    }
    // The redirect target's origin: `localhost` is another origin than the page's 127.0.0.1.
    let other_api = format!("http://localhost:{api_port}");
    let cross_api = format!("http://127.0.0.1:{api_port}");
    for chain in redirect_cases(&page) {
        let id = format!("fixed-{}", chain.name);
        let redirect = chain.redirect.map(|r| Response {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.clone(),
                        v.replace("{s}", &id)
                            .replace("{api}", &other_api)
                            .replace("{cross}", &cross_api)
                            .replace("{userinfo}", &format!("http://u:p@127.0.0.1:{api_port}")),
                    )
                })
                .collect(),
        });
        let headers = |r: &Response| -> Vec<(String, String)> { r.headers.clone() };
        scenarios.push(Scenario {
            id,
            path: "/orders/1".to_string(),
            request: chain.request.into(),
            server: json!({
                "kind": "fixed",
                "preflight": {"status": chain.preflight.status, "headers": headers(&chain.preflight)},
                "redirect": redirect.as_ref().map(|r| json!({"status": r.status, "headers": headers(r)})),
                "actual": {"status": chain.actual.status, "headers": headers(&chain.actual)},
            }),
            same_origin: chain.same_origin,
            answer: Answer::Fixed(chain.preflight, chain.actual, redirect),
        });
    }

    // Chromium.
    let har = |engine: &str| work.path().join(format!("{engine}.har"));
    let input = json!({
        "page_port": page_port,
        "api_port": api_port,
        "engines": ENGINES,
        "har": {"chromium": har("chromium"), "firefox": har("firefox"), "webkit": har("webkit")},
        "scenarios": scenarios.iter().map(|s| json!({
            "id": s.id,
            "path": s.path,
            "method": s.request.method,
            "headers": s.request.headers,
            "credentials": if s.request.credentials { "include" } else { "omit" },
            "xhr": s.request.xhr,
            "same_origin": s.same_origin,
            "server": s.server,
        })).chain(caches.iter().map(|c| json!({
            "id": c.id,
            "path": "/orders/1",
            "method": "PUT",
            "headers": [["X-Foo", "1"]],
            "credentials": "omit",
            "xhr": false,
            "same_origin": false,
            "base": c.base,
            "repeat": {"pause_ms": c.pause_ms, "times": c.times},
            "server": {
                "kind": "fixed",
                "preflight": {"status": c.preflight.status, "headers": c.preflight.headers},
                "actual": {"status": 200, "headers": [["Access-Control-Allow-Origin", page]]},
            },
        }))).collect::<Vec<_>>(),
    });
    let all = run_browsers(work.path(), &input);
    let observed: BTreeMap<&str, BTreeMap<String, (String, Outcome)>> = ENGINES
        .iter()
        .map(|&engine| {
            (
                engine,
                observed_outcomes(&all["engines"][engine]["results"]),
            )
        })
        .collect();
    let chromium = &observed["chromium"];

    // Predictions: `corsgen check --browser all` for policy scenarios, the browser model
    // (driven as `probe` drives it) for fixed and echoing servers, in each engine.
    let mut agree: BTreeMap<&str, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut blocked_urls: BTreeMap<&str, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for s in &scenarios {
        let url = &chromium[&s.id].0;
        let r = &s.request;
        let header_args: Vec<String> = r.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        let request =
            fetch_request(url, &page, &r.method, &header_args, r.credentials, r.xhr).unwrap();
        let throws = request.throws();
        let in_engine = |engine: &str| corsgen::browser::FetchRequest {
            engine: Engine::from_key(engine).unwrap(),
            ..request.clone()
        };
        let predicted: BTreeMap<String, Outcome> = match &s.answer {
            Answer::Policy(policy) => {
                check_predicts_engines(work.path(), &s.id, policy, &page, url, &[], r)
            }
            Answer::Fixed(preflight, actual, redirect) => ENGINES
                .iter()
                .map(|&engine| {
                    // The same driver `probe` runs over the network, answered by the fixed
                    // responses.
                    let Ok(result) = exchange(in_engine(engine), |leg| {
                        Ok::<_, Infallible>(if leg.method == "OPTIONS" {
                            preflight.clone()
                        } else if leg.url.contains("hop=1") {
                            actual.clone()
                        } else {
                            redirect.clone().unwrap_or_else(|| actual.clone())
                        })
                    });
                    (engine.to_string(), Outcome::of(&result))
                })
                .collect(),
            Answer::Echo => ENGINES
                .iter()
                .map(|&engine| {
                    let Ok(result) =
                        exchange(in_engine(engine), |leg| Ok::<_, Infallible>(echo(leg)));
                    (engine.to_string(), Outcome::of(&result))
                })
                .collect(),
        };
        for engine in ENGINES {
            let seen = &observed[engine][&s.id].1;
            // doctor reads the HAR: a request the page could not send is not in it, and
            // redirect chains are not followed there (yet), so those two are left out of its
            // count.
            let in_har = !matches!(&s.answer, Answer::Fixed(_, _, Some(_))) && !throws;
            if !seen.allowed && in_har {
                blocked_urls
                    .entry(engine)
                    .or_default()
                    .insert(url.clone(), seen.messages.clone());
            }
            let predicted = predicted[engine].clone();
            // Browsers add Accept-Language unless the script set it; the model leaves out what
            // the browser adds for itself.
            let mut seen = seen.clone();
            for ((_, _, theirs), (_, _, ours)) in seen.sent.iter_mut().zip(&predicted.sent) {
                if !ours
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("accept-language"))
                {
                    theirs.retain(|(n, _)| n != "accept-language");
                }
            }
            let predicted = predicted.normalized();
            if predicted == seen {
                *agree.entry(engine).or_default() += 1;
            } else {
                disagreements.push(format!(
                    "{engine} {} ({url}):\n  {engine}: {seen:?}\n  corsgen:  {predicted:?}",
                    s.id
                ));
            }
        }
    }
    for engine in ENGINES {
        eprintln!(
            "{engine} agreement: {}/{} scenarios agree on verdict, console messages and the requests sent ({engine} {})",
            agree.get(engine).copied().unwrap_or(0),
            scenarios.len(),
            all["engines"][engine]["version"].as_str().unwrap_or("?")
        );
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements between the engines and corsgen:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    for engine in ENGINES {
        let agreed = agree[engine];
        assert!(
            agreed >= 200,
            "at least 200 scenarios in {engine}, got {agreed}"
        );
    }
    check_preflight_caches(&caches, &all, &page);
    let sent: usize = chromium.values().map(|(_, o)| o.sent.len()).sum();
    eprintln!("chromium sent {sent} requests, each as the model says (method, target, CORS headers and framing)");
    // An extension method goes out, preflight first, and is allowed.
    let purge = scenarios
        .iter()
        .find(|s| matches!(s.answer, Answer::Echo) && s.request.method == "PURGE")
        .unwrap();
    let purge = &chromium[&purge.id].1;
    assert!(purge.allowed && purge.sent.len() == 2, "{purge:?}");
    assert_eq!(purge.sent[1].0, "PURGE");
    // A byte above 0x7F in a Location went out percent-encoded on its own.
    let hops = &chromium["fixed-redirect-latin1-location"].1.sent;
    assert!(hops[1].1.starts_with("/final/caf%E9?"), "{hops:?}");
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
    let blocked = blocked_urls["chromium"].len();
    assert!(
        blocked >= 40 && blocked < scenarios.len() - 40,
        "a balanced run: {blocked} blocked"
    );

    // doctor on each engine's HAR of the same run: Chromium's built from its DevTools-protocol
    // network events, Firefox's from its BiDi network events (in Firefox DevTools' shape),
    // WebKit's from what the server received and the console (in Safari Web Inspector's shape:
    // no preflights, a failed request's message as its `_error`).
    let chains: Vec<&str> = scenarios
        .iter()
        .filter(|s| matches!(s.answer, Answer::Fixed(_, _, Some(_))))
        .map(|s| s.id.as_str())
        .collect();
    for engine in ENGINES {
        let (report, found) = doctor_explains(
            work.path(),
            &har(engine),
            engine,
            &blocked_urls[engine],
            &chains,
        );
        if engine != "chromium" {
            continue;
        }
        let advisories = report["advisories"].as_array().unwrap();
        for advisory in advisories {
            let url = advisory["url"].as_str().unwrap();
            assert!(
                !blocked_urls[engine].contains_key(url),
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
            "doctor (chromium): {} allowed requests advised (Authorization under `*`)",
            advisories.len()
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
}

/// `corsgen doctor` on `engine`'s HAR: it recognizes the engine, reports every request the
/// engine blocked (`blocked`: URL and the engine's console lines) with the engine's first line
/// (or, when the capture cannot show the credentials mode, with its credentialed reading), and
/// nothing that was allowed (redirect `chains`, each hop its own entry, are left out of the
/// count). Returns the report and its findings by URL.
fn doctor_explains(
    work: &Path,
    har: &Path,
    engine: &str,
    blocked: &BTreeMap<String, Vec<String>>,
    chains: &[&str],
) -> (Value, BTreeMap<String, Value>) {
    let out = corsgen(work, &["doctor", har.to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["browser"], engine,
        "doctor recognizes {engine}'s HAR"
    );
    assert_eq!(report["browser_recognized"], true);
    let found: BTreeMap<String, Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["request"]["url"].as_str().unwrap().to_string(), f.clone()))
        .collect();
    let (mut explained, mut ambiguous) = (0, 0);
    for (url, messages) in blocked {
        let finding = found
            .get(url)
            .unwrap_or_else(|| panic!("doctor missed the request {engine} blocked: {url}"));
        let said = messages.first().map(String::as_str);
        if finding["message"].as_str() == said {
            explained += 1;
        } else {
            // The capture cannot show the credentials mode of a request that was never sent;
            // then doctor gives the credentialed reading too, and it must be the engine's.
            assert_eq!(
                finding["message_with_credentials"].as_str(),
                said,
                "doctor's message for {url} in {engine}'s HAR: {finding}"
            );
            ambiguous += 1;
        }
        assert!(!finding["layer"].as_str().unwrap().is_empty());
    }
    for url in found.keys() {
        let id = url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "s")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        assert!(
            blocked.contains_key(url) || chains.contains(&id.as_str()),
            "doctor reported a request {engine} allowed as failing: {url}"
        );
    }
    eprintln!(
        "doctor ({engine}): {explained}/{} blocked requests explained with {}'s message, {ambiguous} more with its credentialed reading",
        blocked.len(),
        Engine::from_key(engine).unwrap()
    );
    assert_eq!(explained + ambiguous, blocked.len());
    assert!(
        explained * 10 >= blocked.len() * 9,
        "most readings are unambiguous"
    );
    (report, found)
}
