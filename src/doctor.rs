//! DOCTOR: every cross-origin request in a HAR capture that failed or would fail, with
//! Chromium's message, the layer that most likely caused it, and the fix.
//!
//! Input: a HAR 1.2 file as Chrome or Firefox DevTools export it (and tools that write the same
//! format), optionally a policy. Output: a [`Report`]. Guarantee: a malformed or truncated file
//! is an error naming the place (`file:line:col`, or the JSON path of the missing field), never
//! a panic; the verdicts come from the same browser model as `check`.

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;

use crate::address;
use crate::browser::{Blocked, CorsError, Credentials, FetchRequest, Initiator, Note, Response};
use crate::check::{
    capture_target, policy_fixes, simulate, Exchange, Fix, Leg, PolicyPlace, Target,
};
use crate::fetch::{is_safelisted_method, normalize_method};
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
    fn header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn is_preflight(&self) -> bool {
        self.method == "OPTIONS"
            && (self.header("access-control-request-method").is_some()
                || self.resource_type.as_deref() == Some("preflight"))
    }

    /// The page origin that made the request: `Origin`, else the `Referer`'s or the page's.
    fn origin(&self) -> Option<String> {
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
    /// Every request.
    pub entries: Vec<Entry>,
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
    Ok(Capture {
        path: name.to_string(),
        creator,
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

/// One failing request, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Index of the request in `log.entries`.
    pub entry: usize,
    /// Index of its preflight, when the capture has it.
    pub preflight_entry: Option<usize>,
    /// The request, as reconstructed.
    pub request: FetchRequest,
    /// True when the credentials mode was inferred from the failure, not seen as cookies.
    pub credentials_inferred: bool,
    /// Chromium's error, when the capture shows the answer that caused it.
    pub error: Option<CorsError>,
    /// Chromium's console message.
    pub message: String,
    /// Chromium's message had the script used `credentials: 'include'`, when the capture cannot
    /// tell (the request was never sent, so no cookies show) and that message differs.
    pub message_with_credentials: Option<String>,
    /// Which layer most likely caused it, and why.
    pub layer: String,
    /// What to change.
    pub fixes: Vec<Fix>,
    /// With `--policy`: where the captured answers differ from the policy's.
    pub differences: Vec<crate::check::Difference>,
}

/// An allowed request that relies on something worth changing: `Access-Control-Allow-Headers:
/// *` covering Authorization, which browsers allow today and the Fetch standard does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advisory {
    /// Index of the request in `log.entries`.
    pub entry: usize,
    /// The URL.
    pub url: String,
    /// What it relies on, and what a standard-following engine would report.
    pub note: String,
    /// What to change.
    pub fix: String,
}

/// What `doctor` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The file.
    pub file: String,
    /// What wrote it.
    pub creator: String,
    /// Requests in the capture.
    pub requests: usize,
    /// Cross-origin requests examined (preflights not counted).
    pub cross_origin: usize,
    /// Failures and would-be failures.
    pub findings: Vec<Finding>,
    /// Allowed requests that rely on something browsers may stop allowing.
    pub advisories: Vec<Advisory>,
    /// Cross-origin requests that failed for reasons that are not CORS (refused, aborted…).
    pub other_failures: Vec<(usize, String, String)>,
}

/// Finds and explains every failing cross-origin request. With a policy, each request's route
/// is matched on its URL's path without the stage (`stage` names it; see
/// [`address::route_path`]).
///
/// # Errors
/// A usage failure when, with a policy, `stage` names a segment no cross-origin request's URL
/// has (the stage is wrong). A request whose URL alone lacks it gets no policy fix, and says
/// why: its route would be matched on the wrong path.
pub fn diagnose(
    capture: &Capture,
    policy: Option<&PolicyPlace<'_>>,
    stage: Option<&str>,
) -> Result<Report, Failure> {
    let mut used_preflights: Vec<usize> = Vec::new();
    let mut stage_misses = 0;
    let mut report = Report {
        file: capture.path.clone(),
        creator: capture.creator.clone(),
        requests: capture.entries.len(),
        cross_origin: 0,
        findings: Vec::new(),
        advisories: Vec::new(),
        other_failures: Vec::new(),
    };
    for (position, entry) in capture.entries.iter().enumerate() {
        if entry.is_preflight() {
            continue;
        }
        let Some(origin) = entry.origin() else {
            continue;
        };
        let cors_typed = matches!(entry.resource_type.as_deref(), Some("fetch" | "xhr"));
        if address::origin(&entry.url).as_deref() == Some(origin.as_str())
            || (entry.header("origin").is_none() && !cors_typed)
        {
            continue;
        }
        report.cross_origin += 1;
        // Its preflight: the nearest unused one for the same URL and method. DevTools lists
        // the request first (it starts before its preflight), so look both ways.
        let preflight = capture
            .entries
            .iter()
            .filter(|p| {
                p.is_preflight()
                    && p.url == entry.url
                    && !used_preflights.contains(&p.index)
                    && p.header("access-control-request-method")
                        .is_none_or(|m| m == entry.method)
            })
            .min_by_key(|p| p.index.abs_diff(position));
        if let Some(p) = preflight {
            used_preflights.push(p.index);
        }
        // A request whose URL lacks the given stage gets no policy fix: its route is unknown.
        let target = capture_target(&entry.url, stage);
        if target.is_err() {
            stage_misses += 1;
        }
        match examine(entry, preflight, origin, policy, target) {
            Some(Ok(finding)) => report.findings.push(finding),
            Some(Err(advisory)) => report.advisories.push(advisory),
            None => {
                if let Some(error) = &entry.error {
                    if entry.response.is_some() || !error.contains("ERR_ABORTED") {
                        report
                            .other_failures
                            .push((entry.index, entry.url.clone(), error.clone()));
                    }
                }
            }
        }
    }
    if let (Some(stage), true) = (stage, policy.is_some()) {
        if report.cross_origin > 0 && stage_misses == report.cross_origin {
            return Err(Failure::usage(format!(
                "no cross-origin request in {} has the stage segment /{stage} (--stage); give the stage its URLs have, '$default' for none, or leave --stage out",
                capture.path
            )));
        }
    }
    Ok(report)
}

/// A failing request's finding, an allowed one's advisory, or nothing.
fn examine(
    entry: &Entry,
    preflight: Option<&Entry>,
    origin: String,
    policy: Option<&PolicyPlace<'_>>,
    target: Result<Target, Failure>,
) -> Option<Result<Finding, Advisory>> {
    // The script's headers: the unsafe names the preflight announced (their values from the
    // request when recorded), and none otherwise: the browser adds the rest itself.
    let announced: Vec<String> = preflight
        .and_then(|p| p.header("access-control-request-headers"))
        .map(|v| {
            v.split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<(String, String)> = announced
        .iter()
        .map(|name| {
            let value = entry.header(name).unwrap_or("1").to_string();
            (name.clone(), value)
        })
        .collect();
    let initiator = if entry.resource_type.as_deref() == Some("xhr") {
        Initiator::XmlHttpRequest
    } else {
        Initiator::Fetch
    };
    let build = |credentials| FetchRequest {
        url: entry.url.clone(),
        origin: origin.clone(),
        method: entry.method.clone(),
        headers: headers.clone(),
        credentials,
        initiator,
    };
    let preflight_leg = preflight.and_then(|p| {
        p.response.as_ref().map(|response| Leg {
            method: "OPTIONS".into(),
            url: p.url.clone(),
            request_headers: p.request_headers.clone(),
            response: response.clone(),
        })
    });
    let actual_leg: Vec<Leg> = entry
        .response
        .as_ref()
        .map(|response| Leg {
            method: entry.method.clone(),
            url: entry.url.clone(),
            request_headers: entry.request_headers.clone(),
            response: response.clone(),
        })
        .into_iter()
        .collect();
    let judge = |credentials| {
        Exchange::new(
            build(credentials),
            preflight_leg.clone(),
            actual_leg.clone(),
        )
    };
    let failed = entry.error.is_some();
    let mut alternative = None;
    let (mut exchange, inferred) = if entry.cookies {
        (judge(Credentials::Include), false)
    } else {
        let omit = judge(Credentials::Omit);
        let include = judge(Credentials::Include);
        // Cookies are not visible when the browser never sent the request: a failure only the
        // credentialed mode explains says the script asked for credentials; when both modes
        // fail differently, the capture cannot tell which one the script used.
        if failed && omit.verdict.allowed() && !include.verdict.allowed() {
            (include, true)
        } else {
            if entry.response.is_none() && include.message != omit.message {
                alternative = include.message;
            }
            (omit, false)
        }
    };
    let needs_preflight =
        !is_safelisted_method(&normalize_method(&entry.method)) || !announced.is_empty();
    if preflight_leg.is_none() && actual_leg.is_empty() {
        if !failed {
            return None;
        }
        // Nothing recorded but the failure: say what can be said.
        return Some(Ok(Finding {
            entry: entry.index,
            preflight_entry: preflight.map(|p| p.index),
            request: exchange.request,
            credentials_inferred: false,
            error: None,
            message_with_credentials: None,
            message: format!(
                "{} {} failed ({}) and the capture holds no response for it{}",
                entry.method,
                entry.url,
                entry.error.clone().unwrap_or_default(),
                if needs_preflight { " or its preflight" } else { "" }
            ),
            layer: "unknown: the capture does not show the answer; Chromium's console names the failing check, or run `corsgen probe` against the URL".to_string(),
            fixes: Vec::new(),
            differences: Vec::new(),
        }));
    }
    let (Some(blocked), Some(message)) = (&exchange.verdict.blocked, &exchange.message) else {
        let note = exchange
            .verdict
            .notes
            .iter()
            .find(|n| matches!(n, Note::AuthorizationByWildcard { .. }))?;
        return Some(Err(Advisory {
            entry: entry.index,
            url: entry.url.clone(),
            note: note.to_string(),
            fix: "list Authorization explicitly in Access-Control-Allow-Headers (allow-headers)"
                .to_string(),
        }));
    };
    let layer = likely_layer(
        blocked,
        preflight_leg.as_ref(),
        actual_leg.first(),
        entry.cached,
    );
    let mut fixes = Vec::new();
    let mut differences = Vec::new();
    match (policy, &target) {
        (Some(_), Err(why)) => fixes.push(Fix {
            message: format!("no policy fix: {why}"),
            location: None,
        }),
        (Some(place), Ok(target)) => {
            let path = target.route.path.as_str();
            let expected = simulate(place.policy, exchange.request.clone(), path);
            match &expected.verdict.blocked {
                Some(blocked) => fixes = policy_fixes(place, &expected.request, blocked, path),
                None => {
                    differences = crate::check::differences(place.policy, &exchange, target);
                    fixes.push(Fix {
                    message: format!(
                        "the policy allows this request ({}{}); the deployed API does not answer as the policy's artifacts do: deploy them (`corsgen emit`) and remove CORS handling elsewhere",
                        place.rule_name(path),
                        target.note()
                    ),
                    location: None,
                });
                }
            }
        }
        (None, _) => {}
    }
    exchange.fixes.clear();
    Some(Ok(Finding {
        entry: entry.index,
        preflight_entry: preflight.map(|p| p.index),
        request: exchange.request,
        credentials_inferred: inferred,
        error: Some(blocked.error),
        message: message.clone(),
        message_with_credentials: alternative,
        layer,
        fixes,
        differences,
    }))
}

fn from_api_gateway(response: &Response) -> bool {
    [
        "x-amzn-errortype",
        "x-amz-apigw-id",
        "x-amzn-requestid",
        "apigw-requestid",
    ]
    .iter()
    .any(|h| response.header(h).is_some())
}

/// The layer that most likely produced the failing answer, and the deployment change.
fn likely_layer(
    blocked: &Blocked,
    preflight: Option<&Leg>,
    actual: Option<&Leg>,
    cached: bool,
) -> String {
    use CorsError as E;
    let failing = if blocked.error.is_preflight() {
        preflight
    } else {
        actual
    };
    let Some(response) = failing.map(|l| &l.response) else {
        return "unknown".to_string();
    };
    let status = response.status;
    let error_type = response.header("x-amzn-errortype").unwrap_or_default();
    match blocked.error {
        E::MultipleAllowOriginValues | E::PreflightMultipleAllowOriginValues => {
            "two layers both add Access-Control-Allow-Origin (for example the Lambda function and an API Gateway integration response, or the origin and a CloudFront response headers policy without origin override): keep exactly one".to_string()
        }
        E::PreflightDisallowedRedirect => format!(
            "the preflight was redirected ({status} to {}): an HTTP→HTTPS or trailing-slash redirect at CloudFront or the gateway; call the final URL directly",
            response.header("location").unwrap_or_default()
        ),
        E::PreflightMissingAllowOriginHeader | E::PreflightInvalidStatus
            if matches!(status, 401 | 403) && error_type.starts_with("MissingAuthenticationToken") =>
        {
            "API Gateway has no OPTIONS method for this resource (403 MissingAuthenticationToken): deploy the OPTIONS mock integration from apigateway/ for every resource".to_string()
        }
        E::PreflightMissingAllowOriginHeader | E::PreflightInvalidStatus
            if matches!(status, 401 | 403)
                && (from_api_gateway(response) || response.header("www-authenticate").is_some()) =>
        {
            format!("an authorizer or API-key requirement runs on OPTIONS (the preflight got {status} {error_type}); browsers never send credentials on a preflight: set authorization NONE and no API key on the OPTIONS methods (corsgen's API Gateway artifacts do)")
        }
        E::PreflightMissingAllowOriginHeader if status == 403 => {
            "the preflight was refused with 403 and no CORS headers: the origin is not in the allowlist, or an authorizer or WAF rule runs on OPTIONS".to_string()
        }
        E::PreflightMissingAllowOriginHeader => format!(
            "the preflight was answered ({status}) without CORS headers: the origin is not allowlisted, or the OPTIONS answer comes from a layer that does not add them"
        ),
        E::PreflightInvalidStatus => format!(
            "the preflight reached a handler that does not answer OPTIONS with 2xx (it got {status}): answer preflights before the handler (the OPTIONS mock, the Lambda snippet or the CloudFront viewer-request function)"
        ),
        E::MissingAllowOriginHeader if status >= 400 && from_api_gateway(response) => format!(
            "the {status} came from API Gateway itself ({}), and its gateway responses carry no CORS headers: add gateway responses (corsgen [apigateway] gateway-responses, e.g. DEFAULT_4XX and DEFAULT_5XX) and deploy them (x-amazon-apigateway-gateway-responses in apigateway/openapi.json, or the GatewayResponse resources of apigateway/cloudformation.yaml or apigateway/terraform.tf)",
            if error_type.is_empty() { "a gateway response" } else { error_type.as_str() }
        ),
        E::MissingAllowOriginHeader if status >= 400 => format!(
            "the handler's error path ({status}) returns without CORS headers: apply the Lambda snippet's headers on every return, errors included"
        ),
        E::MissingAllowOriginHeader => {
            "the response has no CORS headers: the origin is not allowlisted, or no layer adds them for this route (Lambda proxy integrations must add them themselves)".to_string()
        }
        E::AllowOriginMismatch | E::PreflightAllowOriginMismatch => {
            let vary = response.header("vary").unwrap_or_default().to_ascii_lowercase();
            if cached || !vary.contains("origin") {
                format!(
                    "a cached answer made for another origin ('{}') was served{}: add Origin to the cache key (the CloudFront cache policy in cloudfront/) and send Vary: Origin",
                    blocked.hint,
                    if cached { " (the response came from a cache)" } else { " (the response does not vary on Origin)" }
                )
            } else {
                format!("the server answers with a fixed origin ('{}') instead of the requesting one", blocked.hint)
            }
        }
        E::InvalidAllowOriginValue | E::PreflightInvalidAllowOriginValue => {
            "Access-Control-Allow-Origin is not a serialized origin (scheme://host[:port], no path): fix the value where it is configured".to_string()
        }
        E::WildcardOriginNotAllowed | E::PreflightWildcardOriginNotAllowed => {
            "the server allows any origin (`*`) but the request carries credentials: allow exact origins with allow-credentials = true, or drop credentials from the request".to_string()
        }
        E::InvalidAllowCredentials | E::PreflightInvalidAllowCredentials => {
            "the request carries credentials but the answer lacks `Access-Control-Allow-Credentials: true`: set allow-credentials = true (preflight and actual responses both need it)".to_string()
        }
        E::MethodDisallowedByPreflightResponse => format!(
            "the preflight answer does not list {} in Access-Control-Allow-Methods",
            blocked.hint
        ),
        E::HeaderDisallowedByPreflightResponse => format!(
            "the preflight answer does not list {} in Access-Control-Allow-Headers",
            blocked.hint
        ),
        E::InvalidAllowMethodsPreflightResponse | E::InvalidAllowHeadersPreflightResponse => {
            "a list header of the preflight answer has an element that is not a token (quotes, spaces, or a stray character)".to_string()
        }
        E::TooManyRedirects => {
            "the URL redirects more than 20 times (a loop between CloudFront, the gateway or the origin, for example http↔https or a trailing slash): fix the redirect, or call the final URL".to_string()
        }
        E::RedirectContainsCredentials | E::CorsDisabledScheme => {
            "the response redirects to a URL the browser refuses to follow cross-origin".to_string()
        }
        E::NonLatin1Header
        | E::NonLatin1Method
        | E::UrlWithCredentials
        | E::InvalidMethod
        | E::ForbiddenMethod
        | E::InvalidHeaderName
        | E::InvalidHeaderValue => {
            "the script: its fetch() or XMLHttpRequest call throws before any request is made".to_string()
        }
    }
}

/// The report for people.
#[must_use]
pub fn human(report: &Report) -> String {
    let mut out = format!(
        "{} ({}): {} requests, {} cross-origin, {} failing\n",
        report.file,
        if report.creator.is_empty() {
            "unknown creator"
        } else {
            &report.creator
        },
        report.requests,
        report.cross_origin,
        report.findings.len()
    );
    for finding in &report.findings {
        let r = &finding.request;
        let preflight = finding
            .preflight_entry
            .map(|p| format!(", preflight entry {p}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n[entry {}{preflight}] {} {} from {}{}\n",
            finding.entry,
            r.method,
            r.url,
            r.origin,
            match (r.credentials, finding.credentials_inferred) {
                (Credentials::Include, true) =>
                    " (credentials: include, inferred from the failure)",
                (Credentials::Include, false) => " (credentials: include)",
                (Credentials::Omit, _) => "",
            }
        ));
        out.push_str(&format!("  {}\n", finding.message));
        out.push_str(&format!("  likely cause: {}\n", finding.layer));
        if let Some(other) = &finding.message_with_credentials {
            out.push_str(&format!("  (if the script sent credentials: 'include', Chromium reports instead: {other})\n"));
        }
        for difference in &finding.differences {
            out.push_str(&format!("  differs from the policy: {difference}\n"));
        }
        for fix in &finding.fixes {
            out.push_str(&format!("  fix: {fix}\n"));
        }
    }
    for advisory in &report.advisories {
        out.push_str(&format!(
            "\n[entry {}] {}: allowed, but note: {}\n  fix: {}\n",
            advisory.entry, advisory.url, advisory.note, advisory.fix
        ));
    }
    for (entry, url, error) in &report.other_failures {
        out.push_str(&format!(
            "\n[entry {entry}] {url} failed with {error}, which is not a CORS failure\n"
        ));
    }
    // A capture's text (URLs, headers, errors) never reaches the terminal as controls.
    crate::report::printable(&out).into_owned()
}

/// The report as one JSON document.
#[must_use]
pub fn json(report: &Report) -> String {
    crate::report::document(report)
}
