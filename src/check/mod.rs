//! CHECK: one request from a page, run through the engine (what the generated artifacts answer)
//! and the browser model (what Chromium makes of it), with the policy change that fixes a block.
//!
//! Input: a validated policy, its raw form (for locations) and a [`FetchRequest`]. Output: an
//! [`Exchange`]: the preflight and actual request with the engine's responses, the
//! [`Verdict`], and [`Fix`]es that name the key to change at `file:line:col`. The same driver
//! ([`exchange`]) runs `probe`'s live requests, so what `check` simulates is what `probe` sends;
//! [`policy_fixes`] serves `probe --policy` and `doctor --policy` too.
//!
//! Here: the exchange and its driver, the engine's and API Gateway's answers, targets. Apart:
//! `fixes` (where a rule is written, what to change), `output` (for people, for tools),
//! `differences` (live answers against the policy's, for `probe` and `doctor`).

mod differences;
mod fixes;
mod output;

use serde::Serialize;

pub use differences::{differences, Difference};
use fixes::gateway_fixes;
pub use fixes::{check, check_target, or_chromiums, policy_fixes, PolicyPlace};
pub use output::{human, json};

use crate::address::RoutePath;
use crate::browser::{
    check_redirect, console_lines, evaluate, Blocked, CorsError, Credentials, Engine, FetchRequest,
    Response, Verdict,
};
use crate::engine::{self, Request};
use crate::model::Policy;
use crate::Failure;

/// One HTTP request and the response it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leg {
    /// The method sent.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The request headers that matter for CORS.
    pub request_headers: Vec<(String, String)>,
    /// The response.
    pub response: Response,
}

impl Leg {
    /// True for a CORS preflight (an OPTIONS request naming the method it asks for).
    #[must_use]
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS"
            && self
                .request_headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("access-control-request-method"))
    }
}

/// A request, what the server answered, and the browser's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchange {
    /// The request the script makes.
    pub request: FetchRequest,
    /// Why a preflight is sent (empty: a simple request).
    pub preflight_reasons: Vec<String>,
    /// The preflight, when one is sent.
    pub preflight: Option<Leg>,
    /// Every request after the first preflight, in the order sent: the actual request, its
    /// redirect hops, and the preflight before each cross-origin URL a redirect leads to.
    pub actual: Vec<Leg>,
    /// The verdict.
    pub verdict: Verdict,
    /// Chromium's console message when blocked (for the exchange of another engine, that
    /// engine's first line).
    pub message: Option<String>,
    /// Every console line the engine prints for the request, word for word.
    pub console: Vec<String>,
    /// What to change.
    pub fixes: Vec<Fix>,
    /// With `check --gateway-response`/`--status`: each API Gateway error simulated (the
    /// exchange shown is the first one blocked, else the first).
    pub gateway_responses: Vec<GatewayCase>,
    /// The emitted targets with a declared deviation that the browser judges otherwise than
    /// this exchange (`check` without `--target`).
    pub targets_differ: Vec<TargetVerdict>,
}

/// What the browser makes of a target's real answer, where it differs from the engine's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetVerdict {
    /// The target, as `--target` names it.
    pub target: String,
    /// What it is, in words.
    pub what: &'static str,
    /// Whether the page gets the response.
    pub allowed: bool,
    /// Chromium's console message, when blocked.
    pub message: Option<String>,
}

/// One error API Gateway answers itself (a gateway response), as `check` simulated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayCase {
    /// The gateway-response type.
    pub response_type: &'static str,
    /// The types API Gateway tries, in order: the type, then its default.
    pub chain: Vec<&'static str>,
    /// The configured type whose CORS headers the error carries; `None`: none.
    pub applies: Option<&'static str>,
    /// The status the browser sees.
    pub status: u16,
    /// Whether the request reached API Gateway (a blocked preflight stops it first).
    pub reached: bool,
    /// Whether the page can read the error.
    pub allowed: bool,
}

/// A change that makes the request pass, at a place in the policy file when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What to do.
    pub message: String,
    /// `file:line:col` of the key or table to change.
    pub location: Option<String>,
}

impl std::fmt::Display for Fix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(at) => write!(f, "{} at {at}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl Exchange {
    /// Builds the exchange from the legs the caller observed or simulated.
    #[must_use]
    pub fn new(request: FetchRequest, preflight: Option<Leg>, actual: Vec<Leg>) -> Exchange {
        let verdict = evaluate(
            &request,
            preflight.as_ref().map(|l| &l.response),
            actual.last().map(|l| &l.response),
        );
        Exchange::with_verdict(request, preflight, actual, verdict)
    }

    /// Builds the exchange around a verdict the caller computed (e.g. with redirects). Its notes
    /// about the request itself are the script's request's (a redirect's `null` origin does not
    /// change what the script asked for).
    #[must_use]
    pub fn with_verdict(
        request: FetchRequest,
        preflight: Option<Leg>,
        actual: Vec<Leg>,
        mut verdict: Verdict,
    ) -> Exchange {
        let mut notes = request.request_notes();
        notes.extend(
            verdict
                .notes
                .into_iter()
                .filter(|n| !n.is_about_the_request()),
        );
        verdict.notes = notes;
        // After redirects Chromium names the URL that failed and the one the script fetched.
        let last = actual
            .last()
            .map_or(request.url.as_str(), |l| l.url.as_str());
        let status = actual.last().map(|l| l.response.status);
        let console = console_lines(&request, &verdict, last, status);
        let message = verdict.blocked.as_ref().map(|b| match request.engine {
            Engine::Chromium => {
                b.console_message(last, &request.url, &request.origin, request.initiator)
            }
            _ => b
                .lines(&request, last)
                .into_iter()
                .next()
                .unwrap_or_default(),
        });
        // A request that is never sent has no preflight either, nor a same-origin one (unless
        // a redirect took it to another origin).
        let sent = !request.throws()
            && (request.is_cross_origin(&request.url)
                || preflight.is_some()
                || actual.iter().any(Leg::is_preflight));
        Exchange {
            preflight_reasons: request
                .preflight_reasons()
                .iter()
                .filter(|_| sent)
                .map(ToString::to_string)
                .collect(),
            request,
            preflight,
            actual,
            verdict,
            message,
            console,
            fixes: Vec::new(),
            gateway_responses: Vec::new(),
            targets_differ: Vec::new(),
        }
    }
}

/// The most redirects the browser follows (Fetch: 20).
const MAX_REDIRECTS: usize = 20;

/// Runs `request` the way the browser does against a server that may redirect. A cross-origin
/// URL gets a preflight first when the request needs one (one per cross-origin URL the chain
/// reaches, from the origin the request then carries), and a failed preflight ends the chain;
/// a same-origin URL is fetched without CORS. A redirect is followed only when its response
/// passes the CORS check (for a cross-origin hop) and its target is one the browser goes to;
/// 301/302 turn POST, and 303 every method but GET and HEAD, into GET; `Origin` turns `null`
/// once the chain leaves the API's origin for another; after 20 redirects comes the network
/// error Chromium reports. `answer` gives the server's response to each request (method, URL
/// and headers as the browser sends them); nothing is asked for a request the script's call
/// refuses. `check` answers with the engine, `probe` with the network, the browser test with
/// fixed responses.
///
/// # Errors
/// What `answer` fails with.
pub fn exchange<E>(
    request: FetchRequest,
    mut answer: impl FnMut(&Leg) -> Result<Response, E>,
) -> Result<Exchange, E> {
    if let Some(verdict) = request.exception_verdict() {
        return Ok(Exchange::with_verdict(request, None, Vec::new(), verdict));
    }
    let mut send = |method: &str, url: &str, request_headers: Vec<(String, String)>| {
        let mut leg = Leg {
            method: method.to_string(),
            url: url.to_string(),
            request_headers,
            response: Response::default(),
        };
        leg.response = answer(&leg)?;
        Ok(leg)
    };
    // The first preflight, then every request after it in order.
    let mut preflight: Option<Leg> = None;
    let mut legs: Vec<Leg> = Vec::new();
    let mut last_preflight: Option<Verdict> = None;
    let blocked = |request: FetchRequest, preflight, legs, verdict| {
        Ok(Exchange::with_verdict(request, preflight, legs, verdict))
    };
    // The request as it goes to `url`: its method and `Origin` change along a redirect chain.
    // Its preflight is `preflighted`'s: in WebKit a redirect that makes the request a GET
    // leaves the dropped body headers in it, and Firefox preflights with the page's origin
    // even once the actual request carries `null` (both measured).
    let mut hop = request.clone();
    let mut preflighted = request.clone();
    let mut url = request.url.clone();
    let mut redirects = 0;
    loop {
        let cross = hop.is_cross_origin(&url);
        let at = FetchRequest {
            url: url.clone(),
            origin: if hop.engine == Engine::Firefox {
                request.origin.clone()
            } else {
                preflighted.origin.clone()
            },
            ..preflighted.clone()
        };
        if let Some(headers) = cross.then(|| at.preflight_headers()).flatten() {
            let leg = send("OPTIONS", &url, headers)?;
            let verdict = evaluate(&at, Some(&leg.response), None);
            if preflight.is_none() && legs.is_empty() {
                preflight = Some(leg);
            } else {
                legs.push(leg);
            }
            if !verdict.allowed() {
                return blocked(request, preflight, legs, verdict);
            }
            last_preflight = Some(verdict);
        }
        let leg = send(&hop.wire_method(), &url, hop.actual_headers(&url))?;
        let (status, location) = (
            leg.response.status,
            leg.response.redirect_location(hop.engine),
        );
        legs.push(leg);
        let Some(location) = location else {
            break;
        };
        let target = crate::address::resolve(&url, &location).unwrap_or(location);
        redirects += 1;
        let response = &legs[legs.len() - 1].response;
        let failed = match check_redirect(&hop, &url, response, &target) {
            Err(blocked) => Some(blocked),
            Ok(()) if redirects > MAX_REDIRECTS => {
                Some(Blocked::new(CorsError::TooManyRedirects, ""))
            }
            Ok(()) => None,
        };
        if let Some(failed) = failed {
            let mut verdict = judge(&hop, last_preflight.as_ref(), None);
            verdict.blocked = Some(failed);
            verdict.readable_headers.clear();
            verdict.preflight_cache_seconds = None;
            return blocked(request, preflight, legs, verdict);
        }
        // Fetch's redirect-taint: once the chain leaves the API's origin for another one, the
        // browser sends `Origin: null`.
        if crate::address::origin(&target) != crate::address::origin(&url)
            && hop.is_cross_origin(&url)
        {
            hop.origin = "null".to_string();
        }
        preflighted = hop.redirected_preflight(status);
        hop = hop.redirected(status);
        url = target;
    }
    let last = &legs[legs.len() - 1].response;
    let verdict = if hop.is_cross_origin(&url) {
        judge(&hop, last_preflight.as_ref(), Some(last))
    } else {
        crate::browser::same_origin_verdict(&hop, last)
    };
    Ok(Exchange::with_verdict(request, preflight, legs, verdict))
}

/// The verdict on the request `hop` as it finally went, after its last preflight passed with
/// `preflight` (its notes, and how long it is cached).
fn judge(hop: &FetchRequest, preflight: Option<&Verdict>, actual: Option<&Response>) -> Verdict {
    let mut verdict = evaluate(hop, None, actual);
    if let Some(passed) = preflight {
        for note in &passed.notes {
            if !verdict.notes.contains(note) {
                verdict.notes.push(note.clone());
            }
        }
        if verdict.allowed() {
            verdict.preflight_cache_seconds = passed.preflight_cache_seconds;
        }
    }
    verdict
}

/// The engine's answers to `request`, whose route is matched on `route_path`: the preflight
/// (204 or 403) and the actual request's headers on a handler's 200.
#[must_use]
pub fn simulate(policy: &Policy, request: FetchRequest, route_path: &str) -> Exchange {
    let Ok(exchange) = exchange(request, |leg| {
        Ok::<_, std::convert::Infallible>(artifacts_answer(policy, route_path, leg))
    });
    exchange
}

/// The exchange a target with a declared deviation gives `request`: its real answer to every
/// request the browser sends.
#[must_use]
pub fn simulate_target(
    policy: &Policy,
    request: FetchRequest,
    deviation: &crate::targets::Deviation,
) -> Exchange {
    let Ok(exchange) = exchange(request, |leg| {
        Ok::<_, std::convert::Infallible>((deviation.answer)(
            policy,
            &leg.method,
            &leg.request_headers,
        ))
    });
    exchange
}

/// The targets `--target` can name: every one that answers requests (the stacks only carry
/// other targets' files).
pub fn answering_targets() -> impl Iterator<Item = &'static crate::targets::Target> {
    crate::targets::REGISTRY
        .iter()
        .copied()
        .filter(|t| t.kind != crate::targets::Kind::Stack)
}

/// A target as `--target` names it: the registry's name, but `apigateway-rest` for the REST API.
#[must_use]
pub fn target_name(target: &crate::targets::Target) -> &'static str {
    if target.name == "apigateway" {
        "apigateway-rest"
    } else {
        target.name
    }
}

/// Whether `policy` emits `target`'s files.
#[must_use]
pub fn emits(policy: &Policy, target: &crate::targets::Target) -> bool {
    match target.name {
        "apigateway" => policy.apigateway.is_some(),
        "cloudfront" => policy.cloudfront.is_some(),
        "lambda" => !policy.lambda_languages.is_empty(),
        name => policy.emits_configuration(name),
    }
}

/// The emitted targets with a declared deviation whose answer the browser judges otherwise
/// than `exchange` (verdict or message).
#[must_use]
pub fn differing_targets(policy: &Policy, exchange: &Exchange) -> Vec<TargetVerdict> {
    answering_targets()
        .filter(|t| emits(policy, t))
        .filter_map(|t| {
            let deviation = t.answer.as_ref()?;
            let theirs = simulate_target(policy, exchange.request.clone(), deviation);
            let differs = theirs.verdict.allowed() != exchange.verdict.allowed()
                || theirs.message != exchange.message;
            differs.then(|| TargetVerdict {
                target: target_name(t).to_string(),
                what: t.what,
                allowed: theirs.verdict.allowed(),
                message: theirs.message,
            })
        })
        .collect()
}

/// What the generated artifacts answer to `leg`, whose route is matched on `route_path`.
fn artifacts_answer(policy: &Policy, route_path: &str, leg: &Leg) -> Response {
    let header = |name: &str| {
        leg.request_headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    engine_answer(
        policy,
        &Request {
            method: &leg.method,
            path: route_path,
            origin: header("Origin"),
            request_method: header("Access-Control-Request-Method"),
        },
    )
}

/// What the generated artifacts answer to one request: a preflight's 204 or 403, or a
/// handler's 200, with the engine's headers.
#[must_use]
pub fn engine_answer(policy: &Policy, request: &Request<'_>) -> Response {
    let decision = engine::decide(policy, request);
    Response {
        status: decision.preflight_status.unwrap_or(200),
        headers: decision
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_string(), v.clone()))
            .collect(),
    }
}

/// The URL a request goes to and the path its route is matched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL as the page fetches it (it appears in Chromium's message).
    pub url: String,
    /// The path the policy's routes are matched on.
    pub route: RoutePath,
}

impl Target {
    /// How the route's path was found, for people (empty when it is the URL's own path).
    #[must_use]
    pub fn note(&self) -> String {
        self.route.note()
    }
}

/// The target of `check`, `probe` and `doctor` from `--url`, `--path` and `--stage`: `--path`
/// is the route path as given (the URL, if any, is only shown); otherwise the URL's path
/// without its stage ([`crate::address::route_path`]).
///
/// # Errors
/// A usage failure for a URL that is not absolute http(s), or a stage the URL does not have.
pub fn target(
    url: Option<&str>,
    path: Option<&str>,
    stage: Option<&str>,
) -> Result<Target, Failure> {
    let explicit = path.map(|p| {
        let slash = if p.starts_with('/') { "" } else { "/" };
        format!("{slash}{p}")
    });
    let url = match url {
        Some(url) => url.to_string(),
        None => format!("https://api.example{}", explicit.as_deref().unwrap_or("/")),
    };
    let parsed = http_url(&url)?;
    let route = match explicit {
        Some(path) => RoutePath::as_is(&path),
        None => crate::address::route_path(&parsed, stage).map_err(Failure::usage)?,
    };
    Ok(Target { url, route })
}

/// The URL a page fetches, parsed; a usage failure for anything but an absolute http(s) URL.
fn http_url(url: &str) -> Result<url::Url, Failure> {
    crate::address::parse_http(url).ok_or_else(|| {
        // The URL parser's reason when it has one (an invalid port, an empty host).
        let why = crate::address::parse(url)
            .err()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        Failure::usage(format!(
            "`{url}` is not an absolute http:// or https:// URL{why}"
        ))
    })
}

/// The target of one captured request: its route matched on the path after `stage` (see
/// [`crate::address::route_path`]).
///
/// # Errors
/// A usage failure when `stage` names a segment the URL's path does not start with.
pub fn capture_target(url: &str, stage: Option<&str>) -> Result<Target, Failure> {
    let route = match crate::address::parse_http(url) {
        Some(parsed) => crate::address::route_path(&parsed, stage)
            .map_err(|why| Failure::usage(format!("{url}: {why}")))?,
        None => RoutePath::as_is(&crate::address::path(url)),
    };
    Ok(Target {
        url: url.to_string(),
        route,
    })
}

/// `check --gateway-response`/`--status`: `request` answered by an error API Gateway sends
/// itself (with `status` when asked by status), for each of `types`; its preflight is still
/// answered by the OPTIONS method. The exchange shown is the first one the browser blocks, else
/// the first, with the fix: the policy's own when the request fails without the error too,
/// else the gateway response to add or why its static origin is another site's.
#[must_use]
pub fn check_gateway_responses(
    place: &PolicyPlace<'_>,
    request: &FetchRequest,
    target: &Target,
    types: &[&'static str],
    status: Option<u16>,
) -> Exchange {
    let path = target.route.path.as_str();
    let mut shown: Option<(Exchange, engine::GatewayAnswer)> = None;
    let mut cases = Vec::new();
    for kind in types {
        let Some(answer) =
            engine::gateway_response(place.policy, kind, Some(&request.origin), status)
        else {
            continue;
        };
        let Ok(exchange) = exchange(request.clone(), |leg| {
            Ok::<_, std::convert::Infallible>(if leg.is_preflight() {
                artifacts_answer(place.policy, path, leg)
            } else {
                let origin = leg
                    .request_headers
                    .iter()
                    .find(|(n, _)| n == "Origin")
                    .map(|(_, v)| v.as_str());
                gateway_error(place.policy, kind, origin, status)
            })
        });
        cases.push(GatewayCase {
            response_type: answer.response_type,
            chain: answer.chain.clone(),
            applies: answer.applies,
            status: answer.status,
            reached: !exchange.actual.is_empty(),
            allowed: exchange.verdict.allowed(),
        });
        let replace = shown
            .as_ref()
            .is_none_or(|(s, _)| s.verdict.allowed() && !exchange.verdict.allowed());
        if replace {
            shown = Some((exchange, answer));
        }
    }
    let Some((mut exchange, answer)) = shown else {
        return simulate(place.policy, request.clone(), path);
    };
    if let Some(blocked) = exchange.verdict.blocked.clone() {
        // When the request fails without the error too, that is the thing to fix.
        let normal = simulate(place.policy, exchange.request.clone(), path);
        exchange.fixes = match &normal.verdict.blocked {
            Some(own) => policy_fixes(place, &normal.request, own, path),
            None => gateway_fixes(place, &exchange.request, &blocked, path, &answer),
        };
    }
    exchange.gateway_responses = cases;
    exchange
}

/// API Gateway's error response of `kind` to a request from `origin`.
fn gateway_error(
    policy: &Policy,
    kind: &str,
    origin: Option<&str>,
    status: Option<u16>,
) -> Response {
    engine::gateway_response(policy, kind, origin, status).map_or_else(Response::default, |a| {
        Response {
            status: a.status,
            headers: a
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
        }
    })
}

/// Builds the request a page makes from command-line values.
///
/// # Errors
/// A usage [`Failure`] for an origin no browser sends or a URL that is not absolute http(s).
/// A method or header the browser itself refuses is not an error here: the request's
/// [`FetchRequest::script_exception`] reports it as the browser does.
pub fn fetch_request(
    url: &str,
    origin: &str,
    method: &str,
    headers: &[String],
    credentials: bool,
    xhr: bool,
) -> Result<FetchRequest, Failure> {
    // What a browser puts in `Origin` is its URL parser's serialization; a host with a
    // trailing dot (`https://example.com.`) is one, though no policy should list it.
    let serialized = origin != "null"
        && !origin.contains('*')
        && crate::address::origin(origin).as_deref() == Some(origin);
    if origin != "null" && !serialized {
        match crate::origin::parse_origin(origin) {
            Ok(crate::origin::OriginSpec::Exact(exact)) if exact == origin => {}
            Ok(_) => {
                return Err(Failure::usage(format!(
                    "--origin `{origin}` is a pattern; give one origin as a browser sends it, e.g. https://app.example.com"
                )))
            }
            Err(problem) => {
                let hint = problem
                    .suggestion
                    .map(|s| format!("; a browser would send `{s}`"))
                    .unwrap_or_default();
                return Err(Failure::usage(format!(
                    "--origin `{origin}` is not an origin a browser sends: {}{hint}",
                    problem.message
                )));
            }
        }
    }
    // The URL as the browser's parser serializes it (lowercase host, percent-encoded path).
    // A user name or password: XHR drops them; fetch() refuses the URL (a script exception
    // that quotes it as the script wrote it, so it stays as given).
    let mut parsed_url = http_url(url)?;
    let userinfo = !parsed_url.username().is_empty() || parsed_url.password().is_some();
    let url = if userinfo && !xhr {
        url.to_string()
    } else {
        // Infallible for an http(s) URL with a host.
        let _ = parsed_url.set_username("");
        let _ = parsed_url.set_password(None);
        parsed_url.to_string()
    };
    // The name is everything before the first colon, as the script would write it: a name or
    // value the browser refuses is the script's error, reported as the browser reports it (see
    // `FetchRequest::script_exception`), not a usage error.
    let parsed = headers
        .iter()
        .map(|header| match header.split_once(':') {
            // The one space after the colon is the option's syntax, not the value's.
            Some((name, value)) => (
                name.to_string(),
                value.strip_prefix(' ').unwrap_or(value).to_string(),
            ),
            None => (header.clone(), "1".to_string()),
        })
        .collect();
    Ok(FetchRequest {
        url,
        origin: origin.to_string(),
        method: method.to_string(),
        headers: parsed,
        credentials: if credentials {
            Credentials::Include
        } else {
            Credentials::Omit
        },
        initiator: if xhr {
            crate::browser::Initiator::XmlHttpRequest
        } else {
            crate::browser::Initiator::Fetch
        },
        engine: Engine::Chromium,
    })
}
