//! DOCTOR: every cross-origin request in a HAR capture that failed or would fail, with the
//! console message of the engine that captured it, the layer that most likely caused it, and
//! the fix.
//!
//! Input: a HAR 1.2 file as Chrome's, Firefox's or Safari's developer tools export it (and tools
//! that write the same format), optionally a policy. Output: a [`Report`]. Guarantee: a
//! malformed or truncated file is an error naming the place (`file:line:col`, or the JSON path
//! of the missing field), never a panic; the verdicts come from the same browser model as
//! `check`, in the engine that wrote the capture (Chromium when the file does not say). Safari
//! lists no preflight: a request that failed there is read from the console message Web
//! Inspector records as its error.

//!
//! Here: the diagnosis. Apart: `har` (reading the capture), `layers` (the AWS layer a failing
//! answer most likely came from), `output` (for people, for tools).

mod har;
mod layers;
mod output;

use serde::Serialize;

pub use har::{parse, read, BadHar, Capture, Entry};
pub use output::{human, json};

use layers::likely_layer;

use crate::address;
use crate::browser::{
    read_webkit_message, CorsError, CorsError as E, Credentials, Engine, FetchRequest, Initiator,
    Note, Verdict,
};
use crate::check::{
    capture_target, or_chromiums, policy_fixes, simulate, Exchange, Fix, Leg, PolicyPlace, Target,
};
use crate::fetch::{is_forbidden_request_header, is_safelisted_method, normalize_method};
use crate::Failure;

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
    /// The error (named after Chromium's), when the capture shows what caused it.
    pub error: Option<CorsError>,
    /// The engine's console message (its first line, for an engine that prints several).
    pub message: String,
    /// Every console line the engine prints for it.
    pub console: Vec<String>,
    /// The engine's message had the script used `credentials: 'include'`, when the capture
    /// cannot tell (the request was never sent, so no cookies show) and that message differs.
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
    /// The engine whose developer tools wrote it, whose messages the findings give.
    pub browser: Engine,
    /// False when the file does not say which engine wrote it (it is then read as Chromium's).
    pub browser_recognized: bool,
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
        browser: capture.engine,
        browser_recognized: capture.engine_recognized,
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
        match examine(capture.engine, entry, preflight, origin, policy, target) {
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
    engine: Engine,
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
    let mut headers: Vec<(String, String)> = announced
        .iter()
        .map(|name| {
            let value = entry.header(name).unwrap_or("1").to_string();
            (name.clone(), value)
        })
        .collect();
    // Safari lists no preflight: the script's headers are the request's own, less the ones the
    // browser adds.
    if engine == Engine::Webkit && preflight.is_none() {
        headers = entry
            .request_headers
            .iter()
            .filter(|(n, v)| !added_by_the_browser(n) && !is_forbidden_request_header(n, v))
            .cloned()
            .collect();
    }
    let initiator = if entry.resource_type.as_deref() == Some("xhr") {
        Initiator::XmlHttpRequest
    } else {
        Initiator::Fetch
    };
    let build = |credentials| FetchRequest {
        engine,
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
            response: as_received(engine, response),
        })
    });
    let actual_leg: Vec<Leg> = entry
        .response
        .as_ref()
        .map(|response| Leg {
            method: entry.method.clone(),
            url: entry.url.clone(),
            request_headers: entry.request_headers.clone(),
            response: as_received(engine, response),
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
    let needs_preflight = !is_safelisted_method(&normalize_method(&entry.method))
        || !build(Credentials::Omit).preflight_reasons().is_empty();
    // Safari's capture records a failure only as WebKit's message: the failure it names.
    let webkit = (engine == Engine::Webkit && preflight_leg.is_none() && actual_leg.is_empty())
        .then_some(entry.error.as_deref())
        .flatten()
        .and_then(|text| Some((text, read_webkit_message(text, needs_preflight)?)));
    let read_from_message = webkit.is_some();
    if let Some((text, blocked)) = webkit {
        let credentials = match blocked.error {
            E::WildcardOriginNotAllowed
            | E::PreflightWildcardOriginNotAllowed
            | E::InvalidAllowCredentials
            | E::PreflightInvalidAllowCredentials => Credentials::Include,
            _ if entry.cookies => Credentials::Include,
            _ => Credentials::Omit,
        };
        let mut request = build(credentials);
        // The header the message names was one the script set.
        if blocked.error == E::HeaderDisallowedByPreflightResponse
            && !request
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(&blocked.hint))
        {
            request
                .headers
                .push((blocked.hint.clone(), "1".to_string()));
        }
        exchange = Exchange::with_verdict(
            request,
            None,
            Vec::new(),
            Verdict {
                blocked: Some(blocked),
                notes: Vec::new(),
                readable_headers: Vec::new(),
                preflight_cache_seconds: None,
            },
        );
        // The capture's own words stand for the first line.
        exchange.message = Some(text.to_string());
        if let Some(first) = exchange.console.first_mut() {
            *first = text.to_string();
        }
        alternative = None;
    } else if preflight_leg.is_none() && actual_leg.is_empty() {
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
            console: Vec::new(),
            message_with_credentials: None,
            message: format!(
                "{} {} failed ({}) and the capture holds no response for it{}",
                entry.method,
                entry.url,
                entry.error.clone().unwrap_or_default(),
                if needs_preflight { " or its preflight" } else { "" }
            ),
            layer: format!("unknown: the capture does not show the answer; {engine}'s console names the failing check, or run `corsgen probe` against the URL"),
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
    let layer = if read_from_message {
        format!(
            "{}; run `corsgen probe --browser webkit` against the URL to see the answer",
            if blocked.error.is_preflight() {
                "the preflight (OPTIONS) answer, which Safari's capture does not list: WebKit's message names the check it failed"
            } else {
                "the answer WebKit's message names (Safari's capture does not hold it)"
            }
        )
    } else {
        likely_layer(
            blocked,
            preflight_leg.as_ref(),
            actual_leg.first(),
            entry.cached,
        )
    };
    let mut fixes = Vec::new();
    let mut differences = Vec::new();
    let cognito =
        crate::address::parse_http(&entry.url).and_then(|u| u.host_str().and_then(layers::cognito));
    match (policy, &target) {
        // Cognito's CORS is not the policy's to change.
        (Some(_), _) if cognito.is_some() => fixes.push(Fix {
            message: "no policy fix: the request goes to Amazon Cognito, whose CORS no policy configures (see the layer)".to_string(),
            location: None,
        }),
        (Some(_), Err(why)) => fixes.push(Fix {
            message: format!("no policy fix: {why}"),
            location: None,
        }),
        (Some(place), Ok(target)) => {
            let path = target.route.path.as_str();
            let expected = simulate(place.policy, exchange.request.clone(), path);
            match &expected.verdict.blocked {
                Some(blocked) => {
                    let chromium = || {
                        let request = FetchRequest {
                            engine: Engine::Chromium,
                            ..expected.request.clone()
                        };
                        crate::check::check(place, request, target).fixes
                    };
                    fixes = or_chromiums(
                        engine,
                        true,
                        policy_fixes(place, &expected.request, blocked, path),
                        chromium,
                    );
                }
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
        console: exchange.console.clone(),
        message_with_credentials: alternative,
        layer,
        fixes,
        differences,
    }))
}

/// A captured response as the engine received it, each header value one character per byte.
/// Firefox's tools show header values decoded as UTF-8 (Chrome's show the bytes), and join
/// repeated header lines with `", "` while its CORS check counts the lines: an
/// `Access-Control-Allow-Origin` of origins joined so is read back as the lines it was
/// (measured: two lines show as `a, a`; one line `a,b` stays one).
fn as_received(engine: Engine, response: &crate::browser::Response) -> crate::browser::Response {
    if engine != Engine::Firefox {
        return response.clone();
    }
    let mut headers = Vec::new();
    for (name, value) in &response.headers {
        let value: String = value.bytes().map(char::from).collect();
        let parts: Vec<&str> = value.split(", ").collect();
        let origins = parts.len() > 1
            && parts
                .iter()
                .all(|p| *p == "*" || *p == "null" || address::origin(p).is_some());
        if name.eq_ignore_ascii_case("access-control-allow-origin") && origins {
            headers.extend(parts.iter().map(|p| (name.clone(), (*p).to_string())));
        } else {
            headers.push((name.clone(), value));
        }
    }
    crate::browser::Response {
        status: response.status,
        headers,
    }
}

/// Request headers a browser adds itself (or that only describe the connection): never the
/// script's.
fn added_by_the_browser(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("sec-")
        || matches!(
            name.as_str(),
            "accept"
                | "accept-language"
                | "accept-encoding"
                | "origin"
                | "referer"
                | "user-agent"
                | "host"
                | "connection"
                | "cookie"
                | "content-length"
                | "priority"
        )
}
