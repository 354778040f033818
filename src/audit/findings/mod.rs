//! Probes every surface with the requests a browser (and an attacker) sends, runs the answers
//! through the browser model, and turns what goes wrong into findings. Every code here is listed
//! with an example in docs/audit.md (a test keeps the two equal).

use std::sync::OnceLock;

use crate::browser::{evaluate, CorsError, Credentials, FetchRequest, Initiator, Response};
use crate::origin::{parse_origin, OriginSpec};

use super::answer::{Answer, Answers, ApiRequest, Source};
use super::{Finding, Location, Repro, Severity};

mod cloudfront;
mod configuration;
mod rest;

pub use cloudfront::cloudfront;
pub use configuration::{cache_keys, configuration};
pub use rest::rest;
pub(crate) use rest::{candidates, rest_target};

/// Every finding code, its default severity and what it means (docs/audit.md lists them).
pub const CODES: &[(&str, &str)] = &[
    (
        "origin-reflected",
        "any origin is sent back in Access-Control-Allow-Origin",
    ),
    (
        "origin-look-alike",
        "an origin that only looks like an allowed one is allowed",
    ),
    (
        "origin-from-query",
        "the origin is read from a ?origin= query parameter before the header",
    ),
    (
        "origin-header-case",
        "a lowercase `origin` header (HTTP/2) is not read",
    ),
    (
        "origin-list-in-header",
        "several origins in one Access-Control-Allow-Origin value",
    ),
    (
        "origin-not-serialized",
        "an origin written as no browser sends it",
    ),
    (
        "static-first-origin",
        "the preflight answers one fixed origin where several are allowed",
    ),
    (
        "wildcard-with-credentials",
        "`*` together with Access-Control-Allow-Credentials: true",
    ),
    (
        "options-authorizer",
        "the OPTIONS method needs an authorizer, which a preflight never passes",
    ),
    (
        "options-api-key",
        "the OPTIONS method needs an API key, which a preflight never sends",
    ),
    (
        "options-missing",
        "a resource with methods and no OPTIONS method",
    ),
    (
        "preflight-binary",
        "binary media types make every preflight fail with 500",
    ),
    (
        "preflight-content-type",
        "a preflight with a Content-Type but no request template fails",
    ),
    (
        "preflight-blocked",
        "an origin the configuration names fails its preflight",
    ),
    (
        "preflight-method-missing",
        "a method of the resource is not in Access-Control-Allow-Methods",
    ),
    (
        "vary-missing",
        "the answer depends on Origin without `Vary: Origin`",
    ),
    (
        "max-age-capped",
        "Access-Control-Max-Age above what Chromium keeps (7200 s)",
    ),
    (
        "gateway-response-no-cors",
        "a gateway response without CORS headers",
    ),
    (
        "gateway-response-one-origin",
        "a gateway response answers one fixed origin (note)",
    ),
    (
        "integration-response-no-cors",
        "a non-proxy integration response without CORS headers",
    ),
    (
        "two-layers",
        "two layers each add Access-Control-Allow-Origin",
    ),
    (
        "cache-key-missing-origin",
        "a CloudFront cache key without Origin in front of an answer that depends on it",
    ),
    (
        "not-evaluated",
        "a template or expression audit cannot run, so it was not judged",
    ),
    ("drift-origins", "allowed origins differ from the policy"),
    (
        "drift-methods",
        "Access-Control-Allow-Methods differs from the policy",
    ),
    (
        "drift-headers",
        "Access-Control-Allow-Headers differs from the policy",
    ),
    (
        "drift-credentials",
        "Access-Control-Allow-Credentials differs from the policy",
    ),
    (
        "drift-max-age",
        "Access-Control-Max-Age differs from the policy",
    ),
    (
        "drift-expose-headers",
        "Access-Control-Expose-Headers differs from the policy",
    ),
    (
        "drift-missing",
        "a surface the policy expects is not in the input",
    ),
];

/// The most named origins tried per surface (and whose look-alikes are tried): an allowlist of
/// a thousand origins is judged on its first 50, so that audit stays fast.
pub(crate) const MAX_TRIED: usize = 50;

/// An origin nobody allows: the probe for reflection.
pub const PROBE: &str = "https://corsgen-audit.example";
/// The API's URL in messages (the path is the resource's).
const API: &str = "https://api.example.test";

/// An origin the configuration names, and whether it stands for a wildcard (`audit` in place
/// of the wildcard's labels).
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) origin: String,
    pub(crate) wildcard: bool,
}

impl Candidate {
    /// The origin that stands for `wildcard`: one host (`audit`) in place of its `*`.
    pub(crate) fn for_wildcard(wildcard: &crate::origin::WildcardOrigin) -> Candidate {
        Candidate {
            origin: wildcard.pattern().replacen('*', "audit", 1),
            wildcard: true,
        }
    }

    /// The origins standing for a rule's named ones (none for `*`).
    pub(crate) fn of_rule(rule: &crate::model::Rule) -> Vec<Candidate> {
        match &rule.origins {
            crate::model::AllowedOrigins::Any => Vec::new(),
            crate::model::AllowedOrigins::List(list) => list
                .exact
                .iter()
                .map(|o| Candidate {
                    origin: o.clone(),
                    wildcard: false,
                })
                .chain(list.wildcards.iter().map(Candidate::for_wildcard))
                .collect(),
        }
    }

    /// True when this wildcard candidate's pattern covers `origin` (labels in place of `audit`).
    fn covers(&self, origin: &str) -> bool {
        let Some((prefix, suffix)) = self.origin.split_once("audit").filter(|_| self.wildcard)
        else {
            return false;
        };
        origin.len() > prefix.len() + suffix.len()
            && origin.starts_with(prefix)
            && origin.ends_with(suffix)
            && crate::origin::is_label_run(&origin[prefix.len()..origin.len() - suffix.len()])
    }
}

/// One probe: the request, the answer and Chromium's verdict.
pub(crate) struct Probe {
    pub(crate) repro: Repro,
    pub(crate) answer: Answer,
    /// Chromium's console message when it blocks; `None` when it lets the request through
    /// (or there is no answer to judge).
    pub(crate) message: Option<String>,
    pub(crate) allowed: bool,
    /// True when the browser accepts the answer's origin (and credentials), though it may still
    /// refuse the probe's method or header.
    pub(crate) origin_allowed: bool,
}

impl Probe {
    pub(crate) fn response(&self) -> Option<&Response> {
        match &self.answer {
            Answer::Response(r, _) => Some(r),
            Answer::Unknown(_) => None,
        }
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.response().and_then(|r| r.header(name))
    }
}

/// A concrete path for a resource path (`{id}` and `{proxy+}` filled in).
pub(crate) fn sample_path(path: &str) -> String {
    let parts: Vec<String> = path
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with("+}") {
                "audit/x".to_string()
            } else if s.starts_with('{') {
                "audit".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    let joined = parts.join("/");
    if joined.is_empty() {
        "/".into()
    } else {
        joined
    }
}

/// How to shape a probe.
#[derive(Default, Clone)]
pub(crate) struct Shape<'a> {
    pub(crate) method: Option<&'a str>,
    pub(crate) lowercase_origin: bool,
    pub(crate) query: Option<(&'a str, &'a str)>,
    pub(crate) content_type: Option<&'a str>,
    pub(crate) credentials: bool,
    /// Send a token, for an authorizer to let the request reach the integration.
    pub(crate) authorization: bool,
    /// Send an API key, for a method that requires one.
    pub(crate) api_key: bool,
}

/// Whether a surface's probes are preflights or actual requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// OPTIONS with Access-Control-Request-Method.
    Preflight,
    /// The request itself (a GET from a page).
    Actual,
}

/// Where one surface's probes go and how findings name it.
pub(crate) struct Target<'a> {
    /// What answers.
    pub(crate) surface: &'a dyn Answers,
    /// The route pattern (`/orders/{id}`).
    pub(crate) route: &'a str,
    /// The method a preflight asks for, or an actual request uses.
    pub(crate) method: &'a str,
    pub(crate) kind: Kind,
    /// Where findings point when the answer names no place of its own.
    pub(crate) at: &'a Location,
    /// True where header names reach the configuration as sent (API Gateway's mapping
    /// templates); CloudFront hands them over in lowercase.
    pub(crate) header_case_matters: bool,
}

fn is_simple(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST")
}

impl Target<'_> {
    /// `OPTIONS /orders` or `GET /orders`.
    pub(crate) fn label(&self) -> String {
        match self.kind {
            Kind::Preflight => format!("OPTIONS {}", self.route),
            Kind::Actual => format!("{} {}", self.method, self.route),
        }
    }

    /// A request from `origin`, shaped by `shape`, and the surface's answer.
    pub(crate) fn probe(&self, origin: &str, shape: &Shape<'_>) -> Probe {
        let method = shape.method.unwrap_or(self.method);
        let path = sample_path(self.route);
        let preflight = self.kind == Kind::Preflight;
        let request = FetchRequest {
            engine: crate::browser::Engine::Chromium,
            url: format!("{API}{path}"),
            origin: origin.to_string(),
            method: method.to_string(),
            // A JSON body type makes a simple method need a preflight too.
            headers: if preflight && is_simple(method) {
                vec![("Content-Type".into(), "application/json".into())]
            } else {
                Vec::new()
            },
            credentials: if shape.credentials {
                Credentials::Include
            } else {
                Credentials::Omit
            },
            initiator: Initiator::Fetch,
        };
        let mut headers = if preflight {
            request.preflight_headers().unwrap_or_default()
        } else {
            request.actual_headers(&request.url)
        };
        if shape.lowercase_origin {
            for (name, _) in &mut headers {
                *name = name.to_ascii_lowercase();
            }
        }
        if let Some(content_type) = shape.content_type {
            headers.push(("Content-Type".into(), content_type.into()));
        }
        if shape.authorization {
            headers.push(("Authorization".into(), "Bearer corsgen-audit".into()));
        }
        if shape.api_key {
            headers.push(("x-api-key".into(), "corsgen-audit".into()));
        }
        let query: Vec<(String, String)> = shape
            .query
            .map(|(n, v)| vec![(n.to_string(), v.to_string())])
            .unwrap_or_default();
        let wire = request.wire_method();
        let answer = self.surface.answer(&ApiRequest {
            method: if preflight { "OPTIONS" } else { &wire },
            path: &path,
            query: &query,
            headers: &headers,
        });
        judge(&request, headers, &query, answer, preflight)
    }
}

fn judge(
    request: &FetchRequest,
    headers: Vec<(String, String)>,
    query: &[(String, String)],
    answer: Answer,
    is_preflight: bool,
) -> Probe {
    let mut path = crate::address::path(&request.url);
    if let Some((n, v)) = query.first() {
        path = format!("{path}?{n}={v}");
    }
    let response = match &answer {
        Answer::Response(r, _) => Some(r.clone()),
        Answer::Unknown(_) => None,
    };
    let (allowed, message, origin_allowed) = match &response {
        Some(r) => {
            let verdict = if is_preflight {
                evaluate(request, Some(r), None)
            } else {
                evaluate(request, None, Some(r))
            };
            let message = verdict.blocked.as_ref().map(|b| {
                b.console_message(
                    &request.url,
                    &request.url,
                    &request.origin,
                    request.initiator,
                )
            });
            // The probe's own method or header may be what is refused; the origin passed.
            let origin_allowed = verdict.allowed()
                || verdict.blocked.as_ref().is_some_and(|b| {
                    matches!(
                        b.error,
                        CorsError::MethodDisallowedByPreflightResponse
                            | CorsError::HeaderDisallowedByPreflightResponse
                    )
                });
            (verdict.allowed(), message, origin_allowed)
        }
        None => (false, None, false),
    };
    Probe {
        repro: Repro {
            method: if is_preflight {
                "OPTIONS".into()
            } else {
                request.method.clone()
            },
            path,
            headers,
            status: response.as_ref().map_or(0, |r| r.status),
            response_headers: response.map(|r| r.headers).unwrap_or_default(),
        },
        answer,
        message,
        allowed,
        origin_allowed,
    }
}

pub(crate) fn location_of(answer: &Answer, fallback: &Location) -> Location {
    match answer {
        Answer::Response(_, Source::Config(at) | Source::Gateway(_, Some(at))) => at.clone(),
        _ => fallback.clone(),
    }
}

pub(crate) struct Out<'a> {
    pub(crate) findings: Vec<Finding>,
    pub(crate) surface: &'a str,
}

impl Out<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        code: &'static str,
        severity: Severity,
        location: &Location,
        message: String,
        probe: Option<&Probe>,
        fix: &str,
    ) {
        self.findings.push(Finding {
            code,
            severity,
            surface: self.surface.to_string(),
            location: location.clone(),
            message,
            request: probe.map(|p| p.repro.clone()),
            chromium: probe.and_then(|p| p.message.clone()),
            fix: fix.to_string(),
        });
    }
}

/// Origins in `texts`, and those written as no browser sends them (text, fix, location).
pub(crate) fn origins_in(
    texts: Vec<(String, bool, Location)>,
) -> (Vec<Candidate>, Vec<(String, String, Location)>) {
    static URL: OnceLock<regex::Regex> = OnceLock::new();
    static SUFFIX: OnceLock<regex::Regex> = OnceLock::new();
    static ANCHORED: OnceLock<regex::Regex> = OnceLock::new();
    let url = URL.get_or_init(|| {
        regex::Regex::new(r"(?i)https?:/{0,2}[a-z0-9._~\[\]\\*+:/%()|-]+").expect("valid")
    });
    // A suffix compared as text ('.example.com') or as an anchored regex (\.example\.com$).
    let suffix = SUFFIX.get_or_init(|| {
        regex::Regex::new(r#"['"](\.[a-z0-9-]+(?:\.[a-z0-9-]+)+)['"]"#).expect("valid")
    });
    let anchored = ANCHORED.get_or_init(|| {
        regex::Regex::new(r"(?i)\\{1,2}\.((?:[a-z0-9-]+\\{1,2}\.)+[a-z0-9-]+)\$").expect("valid")
    });
    let mut found: Vec<Candidate> = Vec::new();
    let mut problems = Vec::new();
    let push = |found: &mut Vec<Candidate>, c: Candidate| {
        if c.origin != PROBE && !found.iter().any(|f| f.origin == c.origin) {
            found.push(c);
        }
    };
    for (text, is_header, at) in texts {
        let pieces: Vec<String> = if is_header {
            // Only a static value ('…') names origins; the rest are mapping expressions.
            let Some(value) = text
                .trim()
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
            else {
                continue;
            };
            value
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty() && p != "*")
                .collect()
        } else {
            url.find_iter(&text)
                .flat_map(|m| alternatives(m.as_str().trim_end_matches(')')))
                .collect()
        };
        for piece in pieces {
            let normalized = piece
                .replace("\\\\.", ".")
                .replace("\\.", ".")
                .replace("[.]", ".");
            let (normalized, wildcard) =
                match normalized.find(".+").or_else(|| normalized.find(".*")) {
                    Some(i) if normalized[i + 2..].starts_with('.') => (
                        format!("{}audit{}", &normalized[..i], &normalized[i + 2..]),
                        true,
                    ),
                    _ => (normalized, false),
                };
            if normalized.contains(['[', ']', '\\', '+']) {
                continue;
            }
            match parse_origin(&normalized) {
                Ok(OriginSpec::Exact(o)) => push(
                    &mut found,
                    Candidate {
                        origin: o.clone(),
                        wildcard,
                    },
                ),
                Ok(OriginSpec::Wildcard(w)) => push(&mut found, Candidate::for_wildcard(&w)),
                Ok(OriginSpec::Any) => {}
                Err(problem) => {
                    let host_only = normalized
                        .split_once("//")
                        .map_or(normalized.as_str(), |(_, rest)| rest)
                        .trim_end_matches('/')
                        .find('/')
                        .is_none();
                    if let (Some(fix), true) = (problem.suggestion, host_only) {
                        problems.push((piece.clone(), fix, at.clone()));
                    }
                }
            }
        }
        let suffixes = suffix.captures_iter(&text).map(|m| m[1].to_string()).chain(
            anchored
                .captures_iter(&text)
                .map(|m| format!(".{}", m[1].replace("\\.", ".").replace("\\", ""))),
        );
        for suffix in suffixes {
            push(
                &mut found,
                Candidate {
                    origin: format!("https://audit{suffix}"),
                    wildcard: true,
                },
            );
        }
    }
    (found, problems)
}

/// The policy's origins (every rule's), as hints for [`origin_checks`].
pub(crate) fn policy_candidates(policy: &crate::model::Policy) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let rules = std::iter::once(&policy.default_rule).chain(policy.routes.iter().map(|r| &r.rule));
    for c in rules.flat_map(Candidate::of_rule) {
        if !out.iter().any(|o| o.origin == c.origin) {
            out.push(c);
        }
    }
    out
}

/// Findings for origins written as no browser sends them.
pub(crate) fn not_serialized(problems: Vec<(String, String, Location)>, out: &mut Out<'_>) {
    for (written, fix, at) in problems {
        out.add(
            "origin-not-serialized",
            Severity::Error,
            &at,
            format!("`{written}` is not an origin a browser sends, so it never matches"),
            None,
            &format!("write it as the browser sends it: {fix}"),
        );
    }
}

/// A regex piece with its first group of plain alternatives (`(app|www)`) spelled out, each
/// alternative once (at most 16 pieces).
fn alternatives(piece: &str) -> Vec<String> {
    static GROUP: OnceLock<regex::Regex> = OnceLock::new();
    let group = GROUP.get_or_init(|| {
        regex::Regex::new(r"\(([a-z0-9.\\-]+(?:\|[a-z0-9.\\-]+)+)\)").expect("valid")
    });
    let Some(m) = group.captures(piece) else {
        return vec![piece.to_string()];
    };
    let whole = m.get(0).expect("a match");
    m[1].split('|')
        .take(16)
        .flat_map(|choice| {
            alternatives(&format!(
                "{}{choice}{}",
                &piece[..whole.start()],
                &piece[whole.end()..]
            ))
        })
        .take(16)
        .collect()
}

/// Look-alikes of an exact origin a careless check accepts: a longer host, a prefix, a dot
/// read as "any character", `http://` and another port.
pub(crate) fn look_alikes(origin: &str) -> Vec<String> {
    let Some((scheme, host)) = origin.split_once("://") else {
        return Vec::new();
    };
    let (host, port) = match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
        _ => (host, None),
    };
    let port_part = port.map(|p| format!(":{p}")).unwrap_or_default();
    let mut out = vec![
        format!("{scheme}://{host}.evil.com{port_part}"),
        format!("{scheme}://evil{host}{port_part}"),
    ];
    if let Some(i) = host.find('.') {
        out.push(format!(
            "{scheme}://{}x{}{port_part}",
            &host[..i],
            &host[i + 1..]
        ));
    }
    if scheme == "https" {
        out.push(format!("http://{host}{port_part}"));
    }
    if port.is_none() {
        out.push(format!("{scheme}://{host}:8443"));
    }
    out
}

/// The checks every surface gets, with preflights or actual requests: reflection, `*` with
/// credentials, the named origins (one value for several, a list in one header), look-alikes,
/// the header name's case, a `?origin=` spoof, `Vary`, max-age and the methods. Returns the
/// origins the surface allows.
#[allow(clippy::too_many_lines)]
///
/// `candidates` are the origins the configuration names: one that fails is a finding. `hints`
/// (the policy's origins, when audit has one) are only tried: those allowed get the look-alike
/// checks too.
pub(crate) fn origin_checks(
    target: &Target<'_>,
    candidates: &[Candidate],
    hints: &[Candidate],
    methods: &[&str],
    out: &mut Out<'_>,
) -> Vec<String> {
    let at = target.at;
    let label = target.label();
    let fails = match target.kind {
        Kind::Preflight => "its preflight fails",
        Kind::Actual => "the browser refuses its responses",
    };
    let probe = target.probe(PROBE, &Shape::default());
    if matches!(probe.answer, Answer::Unknown(_)) {
        return Vec::new();
    }
    let credentials = probe
        .header("access-control-allow-credentials")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let severity = if credentials {
        Severity::Critical
    } else {
        Severity::Error
    };
    let acao = probe.header("access-control-allow-origin");
    let location = location_of(&probe.answer, at);
    if acao.as_deref() == Some(PROBE) {
        out.add(
            "origin-reflected",
            severity,
            &location,
            format!(
                "{} sends any Origin back as allowed{}",
                label,
                if credentials { ", with credentials" } else { "" }
            ),
            Some(&probe),
            "compare the Origin with an allowlist and answer only its members (corsgen emits such a template)",
        );
    }
    if acao.as_deref() == Some("*") && credentials {
        out.add(
            "wildcard-with-credentials",
            Severity::Error,
            &location,
            format!("{label} answers `*` together with credentials: browsers refuse every credentialed request"),
            Some(&target.probe(PROBE, &Shape { credentials: true, ..Shape::default() })),
            "name the origins (credentials need the request's own origin), or drop Access-Control-Allow-Credentials",
        );
    }
    let mut allowed: Vec<String> = Vec::new();
    let shape = Shape {
        credentials,
        ..Shape::default()
    };
    // One finding per cause and method, for the first origin that shows it.
    let mut reported: Vec<&'static str> = Vec::new();
    for candidate in candidates.iter().take(MAX_TRIED) {
        let p = target.probe(&candidate.origin, &shape);
        let location = location_of(&p.answer, at);
        if p.origin_allowed {
            allowed.push(candidate.origin.clone());
            continue;
        }
        if matches!(p.answer, Answer::Unknown(_)) {
            continue;
        }
        let error = p
            .message
            .as_deref()
            .is_some_and(|m| m.contains("contains multiple values"));
        let (code, sev, what, fix) = if error {
            (
                "origin-list-in-header",
                Severity::Error,
                "Access-Control-Allow-Origin holds several origins; browsers accept exactly one".to_string(),
                "answer the request's origin from an allowlist with a mapping template (corsgen emits one)",
            )
        } else {
            // Answered like a refused origin (one fixed value for everyone), or refused.
            let fixed = acao.is_some()
                && acao.as_deref() != Some(PROBE)
                && p.header("access-control-allow-origin") == acao;
            (
                "preflight-blocked",
                Severity::Error,
                format!(
                    "{} is named in the configuration but {fails}",
                    candidate.origin
                ),
                if fixed {
                    "make the answer name every allowed origin, not one fixed value"
                } else {
                    "make the answer allow it, or remove it from the configuration"
                },
            )
        };
        if !reported.contains(&code) {
            reported.push(code);
            out.add(
                code,
                sev,
                &location,
                format!("{label}: {what}"),
                Some(&p),
                fix,
            );
        }
    }
    let named: Vec<Candidate> = candidates.iter().chain(hints).cloned().collect();
    for hint in hints.iter().take(MAX_TRIED) {
        if !allowed.contains(&hint.origin) && target.probe(&hint.origin, &shape).origin_allowed {
            allowed.push(hint.origin.clone());
        }
    }
    if acao.as_deref() == Some("*") && allowed.is_empty() {
        allowed.push(PROBE.to_string());
    }
    // One fixed origin for everyone, where several are allowed.
    if let Some(fixed) = acao.as_deref().filter(|v| *v != PROBE && *v != "*") {
        if allowed.len() > 1 {
            out.add(
                "static-first-origin",
                Severity::Warning,
                &location,
                format!("{label} answers Access-Control-Allow-Origin: {fixed} to origins it does not allow, and to requests without Origin"),
                Some(&probe),
                "answer a refused origin without CORS headers (corsgen's template answers 403)",
            );
        }
    }
    for origin in allowed.iter().take(MAX_TRIED) {
        let Some(candidate) = named.iter().find(|c| &c.origin == origin) else {
            continue;
        };
        if candidate.wildcard {
            continue;
        }
        for look_alike in look_alikes(origin) {
            if allowed.contains(&look_alike)
                || named
                    .iter()
                    .any(|c| c.origin == look_alike || c.covers(&look_alike))
            {
                continue;
            }
            let p = target.probe(&look_alike, &shape);
            if p.header("access-control-allow-origin").as_deref() == Some(look_alike.as_str()) {
                let with_credentials = p
                    .header("access-control-allow-credentials")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                out.add(
                    "origin-look-alike",
                    if with_credentials { Severity::Critical } else { severity },
                    &location_of(&p.answer, at),
                    format!("{label} allows {look_alike}, which is not {origin}: the check accepts origins that merely start, end or read like it"),
                    Some(&p),
                    "compare origins whole (==, a list's contains()) or, for a wildcard, on a label boundary; never with an unanchored or unescaped regular expression, a prefix or a suffix test",
                );
                break;
            }
        }
    }
    // An origin whose answer is its own, not the value every answer carries, shows the checks
    // below best.
    let good = allowed
        .iter()
        .find(|o| *o != PROBE && Some(o.as_str()) != acao.as_deref())
        .or_else(|| allowed.iter().find(|o| *o != PROBE));
    let Some(good) = good else {
        max_age(target, &probe, out);
        return allowed;
    };
    let good_probe = target.probe(good, &shape);
    let lower = target.probe(
        good,
        &Shape {
            lowercase_origin: true,
            ..shape.clone()
        },
    );
    if target.header_case_matters
        && !lower.origin_allowed
        && !matches!(lower.answer, Answer::Unknown(_))
    {
        out.add(
            "origin-header-case",
            Severity::Warning,
            at,
            format!(
                "{label} does not read the header `origin` in lowercase, as HTTP/2 clients send it"
            ),
            Some(&lower),
            "read the header in any case (corsgen's template looks through every header name)",
        );
    }
    // $input.params('origin') looks in the query string before the headers, by exact name; an
    // allowed origin other than the one every answer carries shows it.
    let shown = allowed
        .iter()
        .find(|o| *o != PROBE && Some(o.as_str()) != acao.as_deref());
    let spoof = shown.and_then(|shown| {
        ["origin", "Origin"]
            .into_iter()
            .map(|name| {
                target.probe(
                    PROBE,
                    &Shape {
                        query: Some((name, shown)),
                        ..shape.clone()
                    },
                )
            })
            .find(|p| p.header("access-control-allow-origin").as_deref() == Some(shown.as_str()))
    });
    if let Some(spoof) = spoof {
        out.add(
            "origin-from-query",
            Severity::Warning,
            at,
            format!(
                "{label} takes the origin from a ?origin= query parameter before the Origin header"
            ),
            Some(&spoof),
            "read the origin with $input.params().header.get('Origin')",
        );
    }
    let depends = acao != good_probe.header("access-control-allow-origin");
    let vary = good_probe.header("vary").is_some_and(|v| {
        v.split(',')
            .any(|p| matches!(p.trim().to_ascii_lowercase().as_str(), "origin" | "*"))
    });
    if depends && !vary && good_probe.header("access-control-allow-origin").as_deref() != Some("*")
    {
        out.add(
            "vary-missing",
            Severity::Warning,
            &location_of(&good_probe.answer, at),
            format!("{label} answers differently per Origin without `Vary: Origin`, so a cache can serve one origin's answer to another"),
            Some(&good_probe),
            "add the response header Vary: 'Origin'",
        );
    }
    max_age(target, &good_probe, out);
    for &verb in methods.iter().filter(|_| target.kind == Kind::Preflight) {
        if matches!(verb, "GET" | "HEAD" | "POST" | "OPTIONS" | "ANY") {
            continue;
        }
        let p = target.probe(
            good,
            &Shape {
                method: Some(verb),
                ..shape.clone()
            },
        );
        if !p.allowed && p.message.as_deref().is_some_and(|m| m.contains("Method")) {
            out.add(
                "preflight-method-missing",
                Severity::Warning,
                &location_of(&p.answer, at),
                format!(
                    "{} has {verb}, but its preflight does not allow it",
                    target.route
                ),
                Some(&p),
                &format!("add {verb} to Access-Control-Allow-Methods"),
            );
        }
    }
    allowed
}

fn max_age(target: &Target<'_>, probe: &Probe, out: &mut Out<'_>) {
    let Some(age) = probe
        .header("access-control-max-age")
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return;
    };
    if age > 7200 {
        out.add(
            "max-age-capped",
            Severity::Warning,
            &location_of(&probe.answer, target.at),
            format!(
                "{} asks browsers to keep the preflight {age} s; Chromium keeps it at most 7200 s",
                target.label()
            ),
            Some(probe),
            "set Access-Control-Max-Age to 7200 or less",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_cover_suffix_prefix_dot_scheme_and_port() {
        let l = look_alikes("https://www.example.com");
        assert!(l.contains(&"https://www.example.com.evil.com".to_string()));
        assert!(l.contains(&"https://evilwww.example.com".to_string()));
        assert!(l.contains(&"https://wwwxexample.com".to_string()));
        assert!(l.contains(&"http://www.example.com".to_string()));
        assert!(l.contains(&"https://www.example.com:8443".to_string()));
    }

    #[test]
    fn origins_are_read_from_headers_and_templates_and_wrong_ones_get_the_browsers_form() {
        let at = Location::default();
        let (found, problems) = origins_in(vec![
            (
                "'www.example.com,https://a.example.com/'".into(),
                true,
                at.clone(),
            ),
            (
                "#if($o.matches(\"https://b\\\\.example\\\\.com\") || $o.matches('https://.+[.]c[.]example[.]com'))".into(),
                false,
                at,
            ),
        ]);
        let fixes: Vec<&str> = problems.iter().map(|(_, fix, _)| fix.as_str()).collect();
        assert_eq!(fixes, ["https://www.example.com", "https://a.example.com"]);
        let origins: Vec<(&str, bool)> = found
            .iter()
            .map(|c| (c.origin.as_str(), c.wildcard))
            .collect();
        assert_eq!(
            origins,
            [
                ("https://b.example.com", false),
                ("https://audit.c.example.com", true)
            ]
        );
        assert!(found[1].covers("https://x.y.c.example.com"));
        let (found, _) = origins_in(vec![(
            "if ($o.matches(\"https://(app|www)\\.acme\\.io\")) {} if (/\\.shop\\.io$/.test(o)) {}"
                .into(),
            false,
            Location::default(),
        )]);
        let origins: Vec<&str> = found.iter().map(|c| c.origin.as_str()).collect();
        assert_eq!(
            origins,
            [
                "https://app.acme.io",
                "https://www.acme.io",
                "https://audit.shop.io"
            ]
        );
        assert!(!found[1].covers("https://c.example.com"));
        assert!(!found[1].covers("https://evilc.example.com.evil.com"));
    }

    #[test]
    fn sample_paths_fill_parameters() {
        assert_eq!(sample_path("/orders/{id}"), "/orders/audit");
        assert_eq!(sample_path("/{proxy+}"), "/audit/x");
        assert_eq!(sample_path("/"), "/");
    }
}
