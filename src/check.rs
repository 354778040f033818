//! CHECK: one request from a page, run through the engine (what the generated artifacts answer)
//! and the browser model (what Chromium makes of it), with the policy change that fixes a block.
//!
//! Input: a validated policy, its raw form (for locations) and a [`FetchRequest`]. Output: an
//! [`Exchange`]: the preflight and actual request with the engine's responses, the
//! [`Verdict`], and [`Fix`]es that name the key to change at `file:line:col`. The same driver
//! ([`exchange`]) runs `probe`'s live requests, so what `check` simulates is what `probe` sends;
//! [`policy_fixes`] serves `probe --policy` and `doctor --policy` too.

use std::ops::Range;

use serde::Serialize;

use crate::address::RoutePath;
use crate::browser::{
    check_redirect, evaluate, Blocked, CorsError, Credentials, FetchRequest, Response, Verdict,
};
use crate::engine::{self, Request};
use crate::model::{AllowedOrigins, Policy, Route};
use crate::policy::{RawPolicy, RuleFields};
use crate::source::PolicySource;
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
    /// Chromium's console message when blocked.
    pub message: Option<String>,
    /// What to change.
    pub fixes: Vec<Fix>,
    /// With `check --gateway-response`/`--status`: each API Gateway error simulated (the
    /// exchange shown is the first one blocked, else the first).
    pub gateway_responses: Vec<GatewayCase>,
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

    /// Builds the exchange around a verdict the caller computed (e.g. with redirects).
    #[must_use]
    pub fn with_verdict(
        request: FetchRequest,
        preflight: Option<Leg>,
        actual: Vec<Leg>,
        verdict: Verdict,
    ) -> Exchange {
        // After redirects Chromium names the URL that failed and the one the script fetched.
        let last = actual
            .last()
            .map_or(request.url.as_str(), |l| l.url.as_str());
        let message = verdict
            .blocked
            .as_ref()
            .map(|b| b.console_message(last, &request.url, &request.origin, request.initiator));
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
            fixes: Vec::new(),
            gateway_responses: Vec::new(),
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
    let mut last_preflight: Option<Response> = None;
    let blocked = |request: FetchRequest, preflight, legs, verdict| {
        Ok(Exchange::with_verdict(request, preflight, legs, verdict))
    };
    // The request as it goes to `url`: its method and `Origin` change along a redirect chain.
    let mut hop = request.clone();
    let mut url = request.url.clone();
    let mut redirects = 0;
    loop {
        let cross = hop.is_cross_origin(&url);
        if let Some(headers) = cross.then(|| hop.preflight_headers()).flatten() {
            let at = FetchRequest {
                url: url.clone(),
                ..hop.clone()
            };
            let leg = send("OPTIONS", &url, headers)?;
            let verdict = evaluate(&at, Some(&leg.response), None);
            last_preflight = Some(leg.response.clone());
            if preflight.is_none() && legs.is_empty() {
                preflight = Some(leg);
            } else {
                legs.push(leg);
            }
            if !verdict.allowed() {
                return blocked(request, preflight, legs, verdict);
            }
        }
        let leg = send(&hop.wire_method(), &url, hop.actual_headers(&url))?;
        let (status, location) = (leg.response.status, leg.response.redirect_location());
        legs.push(leg);
        let Some(location) = location else {
            break;
        };
        let target = crate::address::resolve(&url, &location).unwrap_or(location);
        redirects += 1;
        let response = &legs[legs.len() - 1].response;
        let failed = match check_redirect(&hop, &url, response, &target) {
            Err(blocked) => Some(blocked),
            Ok(()) if redirects > MAX_REDIRECTS => Some(Blocked {
                error: CorsError::TooManyRedirects,
                hint: String::new(),
            }),
            Ok(()) => None,
        };
        if let Some(failed) = failed {
            let mut verdict = evaluate(&hop, last_preflight.as_ref(), None);
            verdict.blocked = Some(failed);
            verdict.readable_headers.clear();
            return blocked(request, preflight, legs, verdict);
        }
        // Fetch's redirect-taint: once the chain leaves the API's origin for another one, the
        // browser sends `Origin: null`.
        if crate::address::origin(&target) != crate::address::origin(&url)
            && hop.is_cross_origin(&url)
        {
            hop.origin = "null".to_string();
        }
        hop = hop.redirected(status);
        url = target;
    }
    let last = &legs[legs.len() - 1].response;
    let verdict = if hop.is_cross_origin(&url) {
        evaluate(&hop, last_preflight.as_ref(), Some(last))
    } else {
        crate::browser::same_origin_verdict(&hop, last)
    };
    Ok(Exchange::with_verdict(request, preflight, legs, verdict))
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

/// Where in the policy file the rule for a path comes from.
#[derive(Debug, Clone, Copy)]
pub struct PolicyPlace<'a> {
    /// The file as read.
    pub source: &'a PolicySource,
    /// The parsed file.
    pub raw: &'a RawPolicy,
    /// The validated policy.
    pub policy: &'a Policy,
    /// The environment applied.
    pub env: Option<&'a str>,
}

/// A rule field, for locating it in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Origins,
    Credentials,
    Methods,
    Headers,
}

impl Field {
    fn key(self) -> &'static str {
        match self {
            Field::Origins => "allow-origins",
            Field::Credentials => "allow-credentials",
            Field::Methods => "allow-methods",
            Field::Headers => "allow-headers",
        }
    }

    fn span(self, fields: &RuleFields<'_>) -> Option<Range<usize>> {
        match self {
            Field::Origins => fields.allow_origins.map(toml::Spanned::span),
            Field::Credentials => fields.allow_credentials.map(toml::Spanned::span),
            Field::Methods => fields.allow_methods.map(toml::Spanned::span),
            Field::Headers => fields.allow_headers.map(toml::Spanned::span),
        }
    }
}

impl<'a> PolicyPlace<'a> {
    /// The place of a loaded policy, when it is valid.
    #[must_use]
    pub fn of(loaded: &'a crate::Loaded, env: Option<&'a str>) -> Option<Self> {
        Some(PolicyPlace {
            source: &loaded.source,
            raw: loaded.raw.as_ref()?,
            policy: loaded.policy.as_ref()?,
            env,
        })
    }
}

impl PolicyPlace<'_> {
    fn location(&self, span: &Range<usize>) -> String {
        let (line, col) = self.source.line_col(span.start);
        format!("{}:{line}:{col}", self.source.path)
    }

    /// The route in effect for `path`, with its raw table.
    fn route(&self, path: &str) -> Option<(&Route, &crate::policy::RawRoute)> {
        let route = self.policy.route_for(path)?;
        let raw = self
            .raw
            .route
            .iter()
            .find(|r| *r.path.get_ref() == route.path)?;
        Some((route, raw))
    }

    /// Which table the rule for `path` is, for messages.
    #[must_use]
    pub fn rule_name(&self, path: &str) -> String {
        match self.route(path) {
            Some((route, raw)) => format!(
                "[[route]] path = \"{}\" at {}",
                route.path,
                self.location(&raw.path.span())
            ),
            None => format!("[cors] at {}", self.location(&self.raw.cors.span())),
        }
    }

    /// The place to change `field` for `path`: the key in effect (the route's own, else the
    /// environment's, else `[cors]`), or the table to add it to. The bool is true when the key
    /// exists.
    fn field_location(&self, path: &str, field: Field) -> (String, bool) {
        let env = self
            .env
            .and_then(|e| self.raw.env.iter().find(|(k, _)| k.get_ref() == e))
            .map(|(_, v)| v.rule())
            .unwrap_or_default();
        let route = self.route(path).map(|(_, raw)| raw);
        let mut fields = self.raw.cors.get_ref().rule().overlay(env);
        if let Some(raw) = route {
            fields = fields.overlay(raw.rule());
        }
        match field.span(&fields) {
            Some(span) => (self.location(&span), true),
            None => {
                let table = route.map_or_else(|| self.raw.cors.span(), |r| r.path.span());
                (self.location(&table), false)
            }
        }
    }

    /// The selected environment's raw table and where its name is written.
    fn env_table(&self) -> Option<(&str, Range<usize>, &crate::policy::RawEnv)> {
        let name = self.env?;
        self.raw
            .env
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(k, v)| (name, k.span(), v))
    }

    /// Where to allow `origin` for `path`: under `--env`, the environment's own key (its
    /// allow-origins when the route inherits it, else extra-origins, which reach every
    /// allowlist); otherwise the allow-origins in effect.
    fn origin_fix(&self, path: &str, origin: &str) -> Fix {
        let quoted = format!("add \"{origin}\"");
        let Some((name, table, env)) = self.env_table() else {
            return self.fix(path, Field::Origins, &quoted, &format!("allow {quoted}"));
        };
        let route_sets_origins = self
            .route(path)
            .is_some_and(|(_, raw)| raw.allow_origins.is_some());
        let (message, span) = match (&env.allow_origins, &env.extra_origins) {
            (Some(list), _) if !route_sets_origins => (
                format!("{quoted} to allow-origins of [env.{name}]"),
                list.span(),
            ),
            (_, Some(extra)) => (
                format!("{quoted} to extra-origins of [env.{name}]"),
                extra.span(),
            ),
            _ => (
                format!("add extra-origins = [\"{origin}\"] to [env.{name}]"),
                table,
            ),
        };
        Fix {
            message,
            location: Some(self.location(&span)),
        }
    }

    /// The other environments whose rule for `path` allows `origin`, with where each is
    /// defined.
    fn envs_allowing(&self, path: &str, origin: &str) -> Vec<(String, String)> {
        self.raw
            .env
            .keys()
            .filter(|k| Some(k.get_ref().as_str()) != self.env)
            .filter(|k| {
                crate::validate::validate(self.raw, self.source, Some(k.get_ref()))
                    .policy
                    .is_some_and(|p| p.rule_for(path).origins.allows(origin))
            })
            .map(|k| (k.get_ref().clone(), self.location(&k.span())))
            .collect()
    }

    fn fix(&self, path: &str, field: Field, add: &str, otherwise: &str) -> Fix {
        let (location, exists) = self.field_location(path, field);
        let message = if exists {
            format!("{add} to {}", field.key())
        } else {
            format!("{otherwise} (set {} in this table)", field.key())
        };
        Fix {
            message,
            location: Some(location),
        }
    }
}

/// The policy changes that make `request` pass, given why the engine's answer was blocked;
/// `path` (the route path) selects the rule. Empty when the block is not something the policy decides
/// (or must not decide: a look-alike of an allowed origin).
#[must_use]
pub fn policy_fixes(
    place: &PolicyPlace<'_>,
    request: &FetchRequest,
    blocked: &Blocked,
    path: &str,
) -> Vec<Fix> {
    use CorsError as E;
    let rule = place.policy.rule_for(path);
    let include = request.credentials == Credentials::Include;
    match blocked.error {
        E::MissingAllowOriginHeader | E::PreflightMissingAllowOriginHeader => {
            if !rule.origins.allows(&request.origin) {
                if request.origin == "null" {
                    return vec![Fix {
                        message: "the page has an opaque origin (`null`: a sandboxed iframe, a file: or data: page); never allow `null`, serve the page from a real origin instead".to_string(),
                        location: None,
                    }];
                }
                if let Some(dotless) = trailing_dot_origin(&request.origin) {
                    return vec![Fix {
                        message: format!(
                            "the page was loaded from a host with a trailing dot, which browsers treat as another origin: link to {dotless} instead (no policy should list the dotted form)"
                        ),
                        location: None,
                    }];
                }
                if let AllowedOrigins::List(list) = &rule.origins {
                    if let Some(allowed) = list.lookalike(&request.origin) {
                        return vec![Fix {
                            message: format!(
                                "{} only looks like the allowed {allowed}: it is another site; never allowlist it",
                                request.origin
                            ),
                            location: None,
                        }];
                    }
                    let https = request.origin.replacen("http://", "https://", 1);
                    if request.origin.starts_with("http://") && list.exact.contains(&https) {
                        return vec![Fix {
                            message: format!(
                                "the page is served over plain http, and the policy allows {https}: serve the page over https"
                            ),
                            location: None,
                        }];
                    }
                    let insecure =
                        crate::origin::parse_origin(&request.origin).is_ok_and(|o| o.is_insecure());
                    if insecure && rule.credentials {
                        let mut fix = place.origin_fix(path, &request.origin);
                        fix.message.push_str(" and allow-insecure-origins = true (credentials then travel unencrypted; better: serve the page over https)");
                        return vec![fix];
                    }
                }
                let elsewhere = place.envs_allowing(path, &request.origin);
                if !elsewhere.is_empty() {
                    return elsewhere
                        .into_iter()
                        .map(|(env, location)| Fix {
                            message: format!(
                                "{} is allowed in [env.{env}]: check with --env {env} (deploy that environment's artifacts for this page)",
                                request.origin
                            ),
                            location: Some(location),
                        })
                        .collect();
                }
                return vec![place.origin_fix(path, &request.origin)];
            }
            Vec::new()
        }
        E::WildcardOriginNotAllowed | E::PreflightWildcardOriginNotAllowed => {
            let (location, _) = place.field_location(path, Field::Origins);
            vec![Fix {
                message: format!(
                    "credentialed requests need the exact origin ({} in the script sends none); otherwise replace [\"*\"] in allow-origins with the sites that send credentials (e.g. \"{}\") and set allow-credentials = true",
                    without_credentials(request),
                    request.origin
                ),
                location: Some(location),
            }]
        }
        E::InvalidAllowCredentials | E::PreflightInvalidAllowCredentials
            if include && !rule.credentials =>
        {
            let (location, exists) = place.field_location(path, Field::Credentials);
            let change = if exists {
                "set allow-credentials = true"
            } else {
                "add allow-credentials = true to this table"
            };
            vec![Fix {
                message: format!(
                    "if the API should receive credentials, {change} (else {} in the script)",
                    without_credentials(request)
                ),
                location: Some(location),
            }]
        }
        E::MethodDisallowedByPreflightResponse => {
            let method = &blocked.hint;
            let upper = method.to_ascii_uppercase();
            if *method != upper && rule.methods.contains(&upper) {
                return vec![Fix {
                    message: format!(
                        "the browser sends `{method}` as written and compares methods case-sensitively; write method: '{upper}' in the script"
                    ),
                    location: None,
                }];
            }
            if matches!(rule.origins, AllowedOrigins::Any) && rule.methods.iter().any(|m| m == "*")
            {
                return Vec::new();
            }
            let quoted = format!("add \"{method}\"");
            vec![place.fix(path, Field::Methods, &quoted, &format!("allow {quoted}"))]
        }
        E::HeaderDisallowedByPreflightResponse
            if crate::validate::is_response_only_header(&blocked.hint) =>
        {
            vec![Fix {
                message: format!(
                    "{} is a response header: the script must not send it (the server sends it); remove it from the request",
                    blocked.hint
                ),
                location: None,
            }]
        }
        E::HeaderDisallowedByPreflightResponse => {
            let written = request
                .headers
                .iter()
                .map(|(n, _)| n.as_str())
                .find(|n| n.eq_ignore_ascii_case(&blocked.hint))
                .unwrap_or(&blocked.hint);
            let quoted = format!("add \"{written}\"");
            vec![place.fix(path, Field::Headers, &quoted, &format!("allow {quoted}"))]
        }
        _ => Vec::new(),
    }
}

/// How the script stops sending credentials, in its own API's words.
fn without_credentials(request: &FetchRequest) -> &'static str {
    match request.initiator {
        crate::browser::Initiator::Fetch => "fetch without credentials: 'include'",
        crate::browser::Initiator::XmlHttpRequest => "withCredentials left false",
    }
}

/// `check`: simulates `request` against the policy (its route matched on `target`'s path)
/// and adds the fixes.
#[must_use]
pub fn check(place: &PolicyPlace<'_>, request: FetchRequest, target: &Target) -> Exchange {
    let path = target.route.path.as_str();
    let mut exchange = simulate(place.policy, request, path);
    let mut fixes = match &exchange.verdict.blocked {
        Some(blocked) => policy_fixes(place, &exchange.request, blocked, path),
        None => Vec::new(),
    };
    if exchange
        .verdict
        .notes
        .iter()
        .any(|n| matches!(n, crate::browser::Note::AuthorizationByWildcard { .. }))
    {
        let mut fix = place.fix(
            path,
            Field::Headers,
            "add \"Authorization\"",
            "allow \"Authorization\"",
        );
        fix.message.push_str(
            ", as the Fetch standard requires (Firefox warns it will stop letting `*` cover it)",
        );
        fixes.push(fix);
    }
    exchange.fixes = fixes;
    exchange
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

/// `https://example.com` for `https://example.com.` (a host with a trailing dot, port kept).
fn trailing_dot_origin(origin: &str) -> Option<String> {
    let url = crate::address::parse_http(origin)?;
    let host = url.host_str()?.strip_suffix('.')?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{}://{host}{port}", url.scheme()))
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
/// itself, for each of `types` (its preflight still answered by the OPTIONS method). The
/// exchange shown is the first one the browser blocks, else the first, with the fix.
#[must_use]
pub fn check_gateway_responses(
    place: &PolicyPlace<'_>,
    request: &FetchRequest,
    target: &Target,
    types: &[&'static str],
) -> Exchange {
    let path = target.route.path.as_str();
    let mut shown: Option<(Exchange, engine::GatewayAnswer)> = None;
    let mut cases = Vec::new();
    for kind in types {
        let Ok(exchange) = exchange(request.clone(), |leg| {
            Ok::<_, std::convert::Infallible>(if leg.is_preflight() {
                artifacts_answer(place.policy, path, leg)
            } else {
                let origin = leg
                    .request_headers
                    .iter()
                    .find(|(n, _)| n == "Origin")
                    .map(|(_, v)| v.as_str());
                engine::gateway_response(place.policy, kind, origin).map_or_else(
                    Response::default,
                    |a| Response {
                        status: a.status,
                        headers: a
                            .headers
                            .into_iter()
                            .map(|(n, v)| (n.to_string(), v))
                            .collect(),
                    },
                )
            })
        });
        let Some(answer) = engine::gateway_response(place.policy, kind, Some(&request.origin))
        else {
            continue;
        };
        cases.push(GatewayCase {
            response_type: answer.response_type,
            chain: answer.chain.clone(),
            applies: answer.applies,
            status: answer.status,
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
        exchange.fixes = gateway_fixes(place, &exchange.request, &blocked, path, &answer);
    }
    exchange.gateway_responses = cases;
    exchange
}

/// The change that lets the page read an API Gateway error: the policy's own fix when the
/// preflight or the origin is the problem, else the gateway response to add, or why its one
/// static origin is not this page's.
fn gateway_fixes(
    place: &PolicyPlace<'_>,
    request: &FetchRequest,
    blocked: &Blocked,
    path: &str,
    answer: &engine::GatewayAnswer,
) -> Vec<Fix> {
    let rule = place.policy.rule_for(path);
    if blocked.error.is_preflight() || !rule.origins.allows(&request.origin) {
        return policy_fixes(place, request, blocked, path);
    }
    let api = place.raw.apigateway.as_ref();
    let Some(applies) = answer.applies else {
        let add = answer.chain.last().copied().unwrap_or(answer.response_type);
        let location = api.map(|a| {
            a.get_ref()
                .gateway_responses
                .as_ref()
                .map_or_else(|| a.span(), toml::Spanned::span)
        });
        return vec![Fix {
            message: format!(
                "API Gateway answers {} ({}) itself, and no gateway response of the policy carries CORS headers for it: add \"{add}\" to gateway-responses in [apigateway]",
                answer.response_type, answer.status
            ),
            location: location.map(|span| place.location(&span)),
        }];
    };
    let sent = answer
        .headers
        .iter()
        .find(|(n, _)| *n == engine::ACAO)
        .map_or_else(String::new, |(_, v)| v.clone());
    let location = api
        .and_then(|a| {
            a.get_ref()
                .gateway_response_origin
                .as_ref()
                .map(toml::Spanned::span)
        })
        .or_else(|| api.map(toml::Spanned::span));
    vec![Fix {
        message: format!(
            "{applies} carries one static Access-Control-Allow-Origin (`{sent}`), as every gateway response must (they cannot run a mapping template), so {} sees a CORS error instead of the {}: list it first in allow-origins if it is the site that must read API Gateway's errors{}",
            request.origin,
            answer.status,
            if place.policy.default_rule.credentials {
                ""
            } else {
                ", or choose gateway-response-origin = \"reflect\" if every site may read them"
            }
        ),
        location: location.map(|span| place.location(&span)),
    }]
}

/// The exchange for people: each request and response, the verdict, the message and the fixes.
#[must_use]
pub fn human(exchange: &Exchange, answered_by: &str) -> String {
    let mut out = String::new();
    let r = &exchange.request;
    let credentials = match r.credentials {
        Credentials::Include => "include",
        Credentials::Omit => "omit",
    };
    out.push_str(&format!(
        "{} {} from {} (credentials: {credentials})\n",
        r.wire_method(),
        r.url,
        r.origin
    ));
    out.push_str(&format!("answered by: {answered_by}\n\n"));
    if r.throws() {
        out.push_str("nothing is sent: the script's call throws before any request is made\n");
    } else if !r.is_cross_origin(&r.url) && exchange.preflight.is_none() {
        out.push_str("preflight: none (a same-origin request: the browser runs no CORS check)\n");
    } else if exchange.preflight_reasons.is_empty() {
        out.push_str("preflight: none (a simple request)\n");
    } else {
        out.push_str("preflight: sent, because\n");
        for reason in &exchange.preflight_reasons {
            out.push_str(&format!("  - {reason}\n"));
        }
    }
    if let Some(leg) = &exchange.preflight {
        push_leg(&mut out, leg);
    }
    if exchange.actual.is_empty() && !r.throws() {
        out.push_str("\nactual request: not sent\n");
    }
    for (i, leg) in exchange.actual.iter().enumerate() {
        out.push_str(if i == 0 {
            "\nactual request:\n"
        } else {
            "\nafter the redirect:\n"
        });
        push_leg(&mut out, leg);
    }
    if !exchange.gateway_responses.is_empty() {
        out.push_str("\nAPI Gateway's own errors (gateway responses):\n");
        for case in &exchange.gateway_responses {
            let carried = case.applies.map_or_else(
                || "carries no CORS headers (none of them is in gateway-responses)".to_string(),
                |t| format!("carries {t}'s CORS headers"),
            );
            out.push_str(&format!(
                "  - {} ({}): API Gateway uses {}; {carried}; {}\n",
                case.response_type,
                case.status,
                case.chain.join(", else "),
                if case.allowed {
                    "the page can read it"
                } else {
                    "the page sees a CORS error"
                }
            ));
        }
    }
    out.push('\n');
    match &exchange.message {
        None => {
            out.push_str("verdict: allowed\n");
            if !exchange.verdict.readable_headers.is_empty() {
                out.push_str(&format!(
                    "readable response headers: {}\n",
                    exchange.verdict.readable_headers.join(", ")
                ));
            }
            if let Some(seconds) = exchange.verdict.preflight_cache_seconds {
                out.push_str(&format!("Chromium caches this preflight for {seconds} s\n"));
            }
        }
        Some(message) => {
            out.push_str("verdict: blocked\n");
            out.push_str(&format!("Chromium: {message}\n"));
        }
    }
    for note in &exchange.verdict.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    for fix in &exchange.fixes {
        out.push_str(&format!("fix: {fix}\n"));
    }
    // URLs, origins and live headers never reach the terminal as controls.
    crate::report::printable(&out).into_owned()
}

fn push_leg(out: &mut String, leg: &Leg) {
    // One line per header, whatever a value holds.
    let line = crate::report::printable_line;
    out.push_str(&format!("  > {} {}\n", line(&leg.method), line(&leg.url)));
    for (name, value) in &leg.request_headers {
        out.push_str(&format!("  > {}: {}\n", line(name), line(value)));
    }
    out.push_str(&format!("  < {}\n", leg.response.status));
    for (name, value) in &leg.response.headers {
        out.push_str(&format!("  < {}: {}\n", line(name), line(value)));
    }
}

/// The exchange as one JSON document.
#[must_use]
pub fn json(exchange: &Exchange, differences: &[crate::probe::Difference]) -> String {
    crate::report::document(&serde_json::json!({
        "verdict": if exchange.verdict.allowed() { "allowed" } else { "blocked" },
        "request": exchange.request,
        "preflight_reasons": exchange.preflight_reasons,
        "preflight": exchange.preflight,
        "actual": exchange.actual,
        "blocked": exchange.verdict.blocked.as_ref().map(|b| serde_json::json!({
            "error": b.error,
            "hint": b.hint,
            "preflight": b.error.is_preflight(),
        })),
        "message": exchange.message,
        "notes": exchange.verdict.notes.iter().map(|n| serde_json::json!({"note": n, "text": n.to_string()})).collect::<Vec<_>>(),
        "readable_headers": exchange.verdict.readable_headers,
        "preflight_cache_seconds": exchange.verdict.preflight_cache_seconds,
        "fixes": exchange.fixes,
        "differences": differences,
        "gateway_responses": exchange.gateway_responses,
    }))
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
    })
}
