//! Reading a HAR 1.2 capture: every entry's request and response, its preflight's place, the
//! resource type and DevTools' error; a malformed or truncated file is located, never a panic.

use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

use crate::address;
use crate::browser::{Engine, Response};
use crate::Failure;

/// A HAR file that cannot be used, with where and why: bad input, exit 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHar(pub String);

impl std::fmt::Display for BadHar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadHar {}

/// One request of the capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its index in `log.entries`.
    pub index: usize,
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// Request headers as recorded.
    pub request_headers: Vec<(String, String)>,
    /// True when the request carried cookies.
    pub cookies: bool,
    /// The response, when one was received (status > 0).
    pub response: Option<Response>,
    /// The failure DevTools recorded (`net::ERR_FAILED`…), if any.
    pub error: Option<String>,
    /// DevTools' resource type (`fetch`, `xhr`, `preflight`…), if recorded.
    pub resource_type: Option<String>,
    /// True when the response came from a cache (HTTP cache or a CDN hit).
    pub cached: bool,
    /// The page's URL, from the entry's page reference.
    pub page: Option<String>,
}

impl Entry {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn is_preflight(&self) -> bool {
        self.method == "OPTIONS"
            && (self.header("access-control-request-method").is_some()
                || self.resource_type.as_deref() == Some("preflight"))
    }

    /// The page origin that made the request: `Origin`, else the `Referer`'s or the page's.
    pub(super) fn origin(&self) -> Option<String> {
        if let Some(origin) = self.header("origin") {
            return Some(origin.to_string());
        }
        self.header("referer")
            .and_then(address::origin)
            .or_else(|| self.page.as_deref().and_then(address::origin))
    }
}

/// A parsed capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The file, for messages.
    pub path: String,
    /// What wrote it (`log.creator.name` and version).
    pub creator: String,
    /// The engine whose developer tools wrote it.
    pub engine: Engine,
    /// False when nothing in the file names the engine (the capture is read as Chromium's).
    pub engine_recognized: bool,
    /// Every request.
    pub entries: Vec<Entry>,
}

/// The engine whose developer tools wrote a HAR, from `log.browser` and `log.creator`:
/// Chrome's DevTools write `WebInspector` (and Chromium-based tools name the browser),
/// Firefox's write `Firefox` in both, Safari's Web Inspector writes `WebKit Web Inspector`
/// and no browser.
fn engine_of(log: &Value) -> Option<Engine> {
    let name = |field: &str| {
        log.get(field)
            .and_then(|v| v.get("name"))
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default()
    };
    let (browser, creator) = (name("browser"), name("creator"));
    let any = |words: &[&str]| {
        words
            .iter()
            .any(|w| browser.contains(w) || creator.contains(w))
    };
    if any(&["firefox", "gecko"]) {
        Some(Engine::Firefox)
    } else if any(&["webkit web inspector", "safari"]) {
        Some(Engine::Webkit)
    } else if any(&[
        "webinspector",
        "chrome",
        "chromium",
        "edge",
        "opera",
        "brave",
    ]) {
        Some(Engine::Chromium)
    } else {
        None
    }
}

/// Reads a HAR file.
///
/// # Errors
/// An I/O failure, and an invalid-input failure ([`BadHar`]) for text that is not a complete
/// HAR 1.x document.
pub fn read(path: &Path) -> Result<Capture, Failure> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(Failure::io)?;
    parse(&path.display().to_string(), &bytes).map_err(|bad| Failure::invalid(bad.0))
}

/// Parses HAR text.
///
/// # Errors
/// [`BadHar`], naming `file:line:col` for JSON errors and the JSON path for missing fields.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Capture, BadHar> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let root: Value = serde_json::from_slice(bytes).map_err(|e| {
        let at = format!("{name}:{}:{}", e.line(), e.column());
        BadHar(if e.is_eof() {
            format!("{at}: the file ends in the middle of the JSON: the HAR is truncated (export it again and let the download finish)")
        } else if e.is_syntax() {
            format!("{at}: not valid JSON ({e}); a HAR file is the JSON DevTools saves with \"Save all as HAR\"")
        } else {
            format!("{at}: {e}")
        })
    })?;
    let bad = |path: &str, what: &str| BadHar(format!("{name}: {path}: {what}"));
    let log = root.get("log").ok_or_else(|| {
        bad(
            "log",
            "missing: this is JSON but not a HAR file (it has no top-level \"log\")",
        )
    })?;
    let version = log.get("version").and_then(Value::as_str).unwrap_or("1.2");
    if !version.starts_with("1.") {
        return Err(bad(
            "log.version",
            &format!("`{version}` is not a HAR 1.x version"),
        ));
    }
    let creator = log.get("creator").map_or_else(String::new, |c| {
        format!(
            "{} {}",
            c.get("name").and_then(Value::as_str).unwrap_or("?"),
            c.get("version").and_then(Value::as_str).unwrap_or("")
        )
        .trim()
        .to_string()
    });
    let pages: Vec<(String, String)> = log
        .get("pages")
        .and_then(Value::as_array)
        .map(|pages| {
            pages
                .iter()
                .filter_map(|p| {
                    let id = p.get("id")?.as_str()?.to_string();
                    let title = p.get("title")?.as_str()?.to_string();
                    Some((id, title))
                })
                .collect()
        })
        .unwrap_or_default();
    let entries = log
        .get("entries")
        .ok_or_else(|| bad("log.entries", "missing (expected the list of requests)"))?
        .as_array()
        .ok_or_else(|| bad("log.entries", "expected a list"))?;
    let mut out = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let at = |field: &str| format!("log.entries[{index}].{field}");
        let request = entry
            .get("request")
            .ok_or_else(|| bad(&at("request"), "missing"))?;
        let string = |v: &Value, field: &str| -> Result<String, BadHar> {
            let found = v.get(field);
            found
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| bad(&at(&format!("request.{field}")), &wrong(found, "a string")))
        };
        let method = string(request, "method")?;
        let url = string(request, "url")?;
        let request_headers = headers(request, &at("request.headers"), bad)?;
        let cookies = request
            .get("cookies")
            .and_then(Value::as_array)
            .is_some_and(|c| !c.is_empty())
            || request_headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("cookie"));
        let response = entry
            .get("response")
            .ok_or_else(|| bad(&at("response"), "missing"))?;
        let found = response.get("status");
        let status = found
            .and_then(Value::as_i64)
            .ok_or_else(|| bad(&at("response.status"), &wrong(found, "a number")))?;
        let response_headers = headers(response, &at("response.headers"), bad)?;
        let error = ["_error", "_failureText"]
            .iter()
            .find_map(|k| response.get(*k).or_else(|| entry.get(*k)))
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        let cached = entry
            .get("_fromCache")
            .is_some_and(|v| v.as_str().is_some() || v.as_bool() == Some(true))
            || response_headers.iter().any(|(n, v)| {
                (n.eq_ignore_ascii_case("x-cache") && v.to_ascii_lowercase().starts_with("hit"))
                    || (n.eq_ignore_ascii_case("age") && v.trim() != "0")
            });
        let page = entry
            .get("pageref")
            .and_then(Value::as_str)
            .and_then(|r| pages.iter().find(|(id, _)| id == r))
            .map(|(_, title)| title.clone());
        out.push(Entry {
            index,
            method,
            url,
            request_headers,
            cookies,
            response: u16::try_from(status)
                .ok()
                .filter(|s| *s > 0)
                .map(|status| Response {
                    status,
                    headers: response_headers,
                }),
            error,
            resource_type: entry
                .get("_resourceType")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase),
            cached,
            page,
        });
    }
    let engine = engine_of(log);
    Ok(Capture {
        path: name.to_string(),
        creator,
        engine: engine.unwrap_or(Engine::Chromium),
        engine_recognized: engine.is_some(),
        entries: out,
    })
}

fn headers(
    object: &Value,
    at: &str,
    bad: impl Fn(&str, &str) -> BadHar,
) -> Result<Vec<(String, String)>, BadHar> {
    let Some(list) = object.get("headers") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| bad(at, "expected a list of {name, value}"))?;
    list.iter()
        .enumerate()
        .map(|(i, h)| {
            let field = |k: &str| {
                h.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| bad(&format!("{at}[{i}].{k}"), "missing (expected a string)"))
            };
            Ok((field("name")?, field("value")?))
        })
        .collect()
}

/// What is wrong with a HAR field that is not the `expected` kind of JSON value.
fn wrong(found: Option<&Value>, expected: &str) -> String {
    let kind = match found {
        None | Some(Value::Null) => return format!("missing (expected {expected})"),
        Some(Value::Bool(_)) => "true or false",
        Some(Value::Number(_)) => "a number",
        Some(Value::String(_)) => "a string",
        Some(Value::Array(_)) => "a list",
        Some(Value::Object(_)) => "an object",
    };
    format!("expected {expected}, found {kind}")
}

#[cfg(test)]
mod tests {
    use super::parse;

    const HAR: &str = r#"{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
      "pages": [{"id": "page_1", "title": "https://app.example.com/orders"}],
      "entries": [{"pageref": "page_1",
        "request": {"method": "OPTIONS", "url": "https://api.example.com/orders",
          "headers": [{"name": "origin", "value": "https://app.example.com"},
                      {"name": "Access-Control-Request-Method", "value": "PUT"}]},
        "response": {"status": 403, "headers": [{"name": "x-amzn-ErrorType", "value": "ForbiddenException"}]}}]}}"#;

    #[test]
    fn entries_read_as_devtools_wrote_them() {
        let capture = parse("x.har", HAR.as_bytes()).unwrap();
        assert_eq!(capture.creator, "WebInspector 537.36");
        assert_eq!(capture.engine, crate::browser::Engine::Chromium);
        assert!(capture.engine_recognized);
        for (log, engine) in [
            (
                r#""creator": {"name": "Firefox", "version": "153.8"}, "browser": {"name": "Firefox", "version": "153.8"}"#,
                Some(crate::browser::Engine::Firefox),
            ),
            (
                r#""creator": {"name": "WebKit Web Inspector", "version": "605.1.15"}"#,
                Some(crate::browser::Engine::Webkit),
            ),
            (r#""creator": {"name": "mitmproxy", "version": "10"}"#, None),
        ] {
            let text = format!(r#"{{"log": {{"version": "1.2", {log}, "entries": []}}}}"#);
            let capture = parse("x.har", text.as_bytes()).unwrap();
            assert_eq!(capture.engine_recognized, engine.is_some(), "{log}");
            assert_eq!(capture.engine, engine.unwrap_or_default(), "{log}");
        }
        let entry = &capture.entries[0];
        assert!(entry.is_preflight());
        assert_eq!(entry.header("ORIGIN"), Some("https://app.example.com"));
        assert_eq!(entry.origin().as_deref(), Some("https://app.example.com"));
        assert_eq!(entry.response.as_ref().unwrap().status, 403);
        // A byte-order mark is not an error.
        let bom = [b"\xEF\xBB\xBF".as_slice(), HAR.as_bytes()].concat();
        assert_eq!(parse("x.har", &bom).unwrap(), capture);
    }

    #[test]
    fn broken_captures_are_located() {
        let truncated = parse("x.har", &HAR.as_bytes()[..120]).unwrap_err().0;
        assert!(
            truncated.starts_with("x.har:2:") && truncated.contains("truncated"),
            "{truncated}"
        );
        let not_har = parse("x.har", b"{\"entries\": []}").unwrap_err().0;
        assert!(not_har.starts_with("x.har: log: missing"), "{not_har}");
        let garbage = parse("x.har", b"<html>").unwrap_err().0;
        assert!(garbage.contains("not valid JSON"), "{garbage}");
    }
}
