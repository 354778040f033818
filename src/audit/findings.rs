//! Probes every surface with the requests a browser (and an attacker) sends, runs the answers
//! through the browser model, and turns what goes wrong into findings. Every code here is listed
//! with an example in docs/audit.md (a test keeps the two equal).

use crate::browser::{evaluate, Credentials, FetchRequest, Initiator, Response};
use crate::origin::{parse_origin, OriginSpec};

use super::rest::{Answer, ApiRequest, Method, Resource, RestApi, Source};
use super::{Finding, HttpApiCors, Location, Repro, Severity};

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
}

/// The method a preflight asks for on `resource`: its first method that is not simple, else
/// GET with a JSON body type (which needs a preflight too).
fn asked_method(resource: &Resource) -> &str {
    resource
        .methods
        .iter()
        .map(|m| m.verb.as_str())
        .find(|v| !matches!(*v, "GET" | "HEAD" | "POST" | "OPTIONS" | "ANY"))
        .unwrap_or("GET")
}

/// A preflight from `origin` to `path`.
pub(crate) fn preflight(
    api: &RestApi,
    resource: &Resource,
    origin: &str,
    shape: &Shape<'_>,
) -> Probe {
    let method = shape.method.unwrap_or_else(|| asked_method(resource));
    let path = sample_path(&resource.path);
    let url = format!("{API}{path}");
    let request = FetchRequest {
        url: url.clone(),
        origin: origin.to_string(),
        method: method.to_string(),
        headers: if matches!(method, "GET" | "HEAD" | "POST") {
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
    let mut headers = request.preflight_headers().unwrap_or_default();
    if shape.lowercase_origin {
        for (name, _) in &mut headers {
            *name = name.to_ascii_lowercase();
        }
    }
    if let Some(content_type) = shape.content_type {
        headers.push(("Content-Type".into(), content_type.into()));
    }
    let query: Vec<(String, String)> = shape
        .query
        .map(|(n, v)| vec![(n.to_string(), v.to_string())])
        .unwrap_or_default();
    let answer = api.answer(&ApiRequest {
        method: "OPTIONS",
        path: &path,
        query: &query,
        headers: &headers,
    });
    judge(&request, headers, &query, answer, true)
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
    let (allowed, message) = match &response {
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
            (verdict.allowed(), message)
        }
        None => (false, None),
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
    }
}

/// An actual (not preflight) request from `origin` with `method`.
pub(crate) fn actual(api: &RestApi, path: &str, method: &str, origin: &str) -> Probe {
    let request = FetchRequest {
        url: format!("{API}{path}"),
        origin: origin.to_string(),
        method: method.to_string(),
        headers: Vec::new(),
        credentials: Credentials::Omit,
        initiator: Initiator::Fetch,
    };
    let headers = request.actual_headers(&request.url);
    let answer = api.answer(&ApiRequest {
        method,
        path,
        query: &[],
        headers: &headers,
    });
    judge(&request, headers, &[], answer, false)
}

fn location_of(answer: &Answer, fallback: &Location) -> Location {
    match answer {
        Answer::Response(_, Source::Method(at) | Source::Gateway(_, Some(at))) => at.clone(),
        _ => fallback.clone(),
    }
}

struct Out<'a> {
    findings: Vec<Finding>,
    surface: &'a str,
}

impl Out<'_> {
    #[allow(clippy::too_many_arguments)]
    fn add(
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

/// Origins written in the API's responses and templates (VTL comments left out), and the
/// findings for those written as no browser sends them.
pub(crate) fn candidates(api: &RestApi) -> (Vec<Candidate>, Vec<(String, String, Location)>) {
    let mut texts: Vec<(String, bool, Location)> = Vec::new();
    for resource in &api.resources {
        for method in &resource.methods {
            method_texts(method, &mut texts);
        }
    }
    for response in &api.gateway_responses {
        for (name, value) in &response.parameters {
            if name.eq_ignore_ascii_case("access-control-allow-origin") {
                texts.push((value.clone(), true, response.at.clone()));
            }
        }
    }
    origins_in(texts)
}

/// The origins one method's integration responses name.
fn method_candidates(method: &Method) -> Vec<Candidate> {
    let mut texts = Vec::new();
    method_texts(method, &mut texts);
    origins_in(texts).0
}

/// A method's static Access-Control-Allow-Origin values and its templates (VTL comments left
/// out), each with whether it is a header value.
fn method_texts(method: &Method, texts: &mut Vec<(String, bool, Location)>) {
    for response in method.integration.iter().flat_map(|i| &i.responses) {
        for (name, value) in &response.parameters {
            if name.eq_ignore_ascii_case("access-control-allow-origin") {
                texts.push((value.clone(), true, response.at.clone()));
            }
        }
        for (_, template) in &response.templates {
            let code: String = template
                .lines()
                .filter(|l| !l.trim_start().starts_with("##"))
                .collect::<Vec<_>>()
                .join("\n");
            texts.push((code, false, response.at.clone()));
        }
    }
}

/// Origins in `texts`, and those written as no browser sends them (text, fix, location).
fn origins_in(
    texts: Vec<(String, bool, Location)>,
) -> (Vec<Candidate>, Vec<(String, String, Location)>) {
    let url = regex::Regex::new(r"(?i)https?:/{0,2}[a-z0-9._~\[\]\\*+:/%-]+").expect("valid");
    let suffix = regex::Regex::new(r#"['"](\.[a-z0-9-]+(?:\.[a-z0-9-]+)+)['"]"#).expect("valid");
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
                .map(|m| m.as_str().to_string())
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
                Ok(OriginSpec::Wildcard(w)) => push(
                    &mut found,
                    Candidate {
                        origin: w.pattern().replacen('*', "audit", 1),
                        wildcard: true,
                    },
                ),
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
        for m in suffix.captures_iter(&text) {
            push(
                &mut found,
                Candidate {
                    origin: format!("https://audit{}", &m[1]),
                    wildcard: true,
                },
            );
        }
    }
    (found, problems)
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

fn has_cors(api: &RestApi) -> bool {
    api.resources.iter().flat_map(|r| &r.methods).any(|m| {
        m.integration.iter().flat_map(|i| &i.responses).any(|r| {
            r.parameters
                .iter()
                .any(|(n, _)| n.to_ascii_lowercase().starts_with("access-control-"))
                || r.templates
                    .iter()
                    .any(|(_, t)| t.contains("Access-Control-Allow-Origin"))
        })
    }) || api.gateway_responses.iter().any(|g| {
        g.parameters
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"))
    })
}

/// The findings for one REST API. `policy` turns deviations it declares into notes.
#[must_use]
pub fn rest(api: &RestApi, policy: Option<&crate::model::Policy>) -> Vec<Finding> {
    let surface = format!("REST API {}", api.name);
    let mut out = Out {
        findings: Vec::new(),
        surface: &surface,
    };
    let (candidates, problems) = candidates(api);
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
    let cors = has_cors(api) || !candidates.is_empty();
    let mut allowed_anywhere: Vec<String> = Vec::new();
    for resource in api.resources.iter().filter(|r| r.known) {
        let verbs: Vec<&Method> = resource
            .methods
            .iter()
            .filter(|m| m.verb != "OPTIONS")
            .collect();
        let options = resource.methods.iter().find(|m| m.verb == "OPTIONS");
        let Some(options) = options else {
            if cors && !verbs.is_empty() && !verbs.iter().any(|m| m.verb == "ANY") {
                let origin = candidates.first().map_or(PROBE, |c| c.origin.as_str());
                let probe = preflight(api, resource, origin, &Shape::default());
                let at = verbs[0].at.clone();
                out.add(
                    "options-missing",
                    Severity::Error,
                    &at,
                    format!(
                        "{} has {} but no OPTIONS method: API Gateway answers every preflight with {}",
                        resource.path,
                        verbs.iter().map(|m| m.verb.as_str()).collect::<Vec<_>>().join(", "),
                        probe.repro.status
                    ),
                    Some(&probe),
                    "add an OPTIONS method (a MOCK integration) to the resource, as corsgen's apigateway/ artifacts do",
                );
            }
            continue;
        };
        let named = method_candidates(options);
        let fallback = candidates.first().map_or(PROBE, |c| c.origin.as_str());
        let allowed = preflights(api, resource, options, &named, fallback, &mut out);
        for origin in allowed {
            if !allowed_anywhere.contains(&origin) {
                allowed_anywhere.push(origin);
            }
        }
    }
    for resource in api.resources.iter().filter(|r| r.known) {
        integration_responses(api, resource, &allowed_anywhere, cors, &mut out);
    }
    if cors {
        gateway_responses(api, &candidates, &allowed_anywhere, policy, &mut out);
    }
    out.findings
}

/// Probes one OPTIONS method; returns the origins it allows.
#[allow(clippy::too_many_lines)]
fn preflights(
    api: &RestApi,
    resource: &Resource,
    options: &Method,
    candidates: &[Candidate],
    fallback: &str,
    out: &mut Out<'_>,
) -> Vec<String> {
    let at = &options.at;
    // The origin a failure is shown with: one the method names, else one the API names.
    let first = candidates.first().map_or(fallback, |c| c.origin.as_str());
    if options.authorizer.is_some() || options.api_key {
        let probe = preflight(api, resource, first, &Shape::default());
        let (code, what, fix) = if options.authorizer.is_some() {
            (
                "options-authorizer",
                "needs an authorizer: a preflight carries no credentials, so it is refused",
                "set AuthorizationType: NONE on the OPTIONS method (OpenAPI: `security: []`)",
            )
        } else {
            (
                "options-api-key",
                "needs an API key: a preflight never sends x-api-key, so it is refused",
                "set ApiKeyRequired: false on the OPTIONS method",
            )
        };
        out.add(
            code,
            Severity::Error,
            at,
            format!("OPTIONS {} {what} ({})", resource.path, probe.repro.status),
            Some(&probe),
            fix,
        );
        return Vec::new();
    }
    let probe = preflight(api, resource, PROBE, &Shape::default());
    if let Answer::Unknown(why) = &probe.answer {
        if why.contains("not evaluated") {
            out.add(
                "not-evaluated",
                Severity::Warning,
                at,
                format!("OPTIONS {}: {why}", resource.path),
                None,
                "check this answer by hand or with `corsgen probe` against the deployed API",
            );
        }
        return Vec::new();
    }
    if matches!(
        probe.answer,
        Answer::Response(_, Source::Gateway("API_CONFIGURATION_ERROR", _))
    ) {
        let binary = !api.binary_media_types.is_empty()
            && options
                .integration
                .as_ref()
                .is_some_and(|i| i.content_handling.as_deref() != Some("CONVERT_TO_TEXT"));
        let (code, what, fix) = if binary {
            (
                "preflight-binary",
                format!("the API's binary media types ({}) make the preflight's body binary, and the MOCK integration fails", api.binary_media_types.join(", ")),
                "set ContentHandling: CONVERT_TO_TEXT on the OPTIONS integration",
            )
        } else {
            (
                "preflight-blocked",
                "the OPTIONS integration fails for every preflight (its request template gives no statusCode, or no integration response matches)".to_string(),
                "give the MOCK integration the request template {\"statusCode\": 200} and a default integration response",
            )
        };
        let shown = preflight(api, resource, first, &Shape::default());
        out.add(
            code,
            Severity::Error,
            at,
            format!("OPTIONS {}: {what} ({})", resource.path, shown.repro.status),
            Some(&shown),
            fix,
        );
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
                "OPTIONS {} sends any Origin back as allowed{}",
                resource.path,
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
            format!("OPTIONS {} answers `*` together with credentials: browsers refuse every credentialed request", resource.path),
            Some(&preflight(api, resource, PROBE, &Shape { credentials: true, ..Shape::default() })),
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
    for candidate in candidates {
        let p = preflight(api, resource, &candidate.origin, &shape);
        let location = location_of(&p.answer, at);
        if p.allowed {
            allowed.push(candidate.origin.clone());
            continue;
        }
        if matches!(p.answer, Answer::Unknown(_)) {
            continue;
        }
        let binary = matches!(
            &p.answer,
            Answer::Response(_, Source::Gateway("API_CONFIGURATION_ERROR", _))
        ) && !api.binary_media_types.is_empty();
        let error = p
            .message
            .as_deref()
            .is_some_and(|m| m.contains("contains multiple values"));
        let location = if binary { at.clone() } else { location };
        let (code, sev, what, fix) = if binary {
            (
                "preflight-binary",
                Severity::Error,
                format!("the API's binary media types ({}) turn the preflight's body binary, and the MOCK integration fails (500)", api.binary_media_types.join(", ")),
                "set ContentHandling: CONVERT_TO_TEXT on the OPTIONS integration",
            )
        } else if error {
            (
                "origin-list-in-header",
                Severity::Error,
                "Access-Control-Allow-Origin holds several origins; browsers accept exactly one".to_string(),
                "answer the request's origin from an allowlist with a mapping template (corsgen emits one)",
            )
        } else if candidates.len() > 1
            && acao.is_some()
            && acao.as_deref() != Some(PROBE)
            && p.header("access-control-allow-origin") == acao
        {
            // Answered like a refused origin: one fixed value for everyone.
            (
                "preflight-blocked",
                Severity::Error,
                format!(
                    "{} is named in the configuration but its preflight fails",
                    candidate.origin
                ),
                "make the template answer every allowed origin",
            )
        } else {
            (
                "preflight-blocked",
                Severity::Error,
                format!(
                    "{} is named in the configuration but its preflight fails",
                    candidate.origin
                ),
                "make the OPTIONS answer allow it, or remove it from the configuration",
            )
        };
        if !reported.contains(&code) {
            reported.push(code);
            out.add(
                code,
                sev,
                &location,
                format!("OPTIONS {}: {what}", resource.path),
                Some(&p),
                fix,
            );
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
                format!("OPTIONS {} answers Access-Control-Allow-Origin: {fixed} to origins it does not allow, and to requests without Origin", resource.path),
                Some(&probe),
                "answer a refused origin without CORS headers (corsgen's template answers 403)",
            );
        }
    }
    for origin in &allowed {
        let Some(candidate) = candidates.iter().find(|c| &c.origin == origin) else {
            continue;
        };
        if candidate.wildcard {
            continue;
        }
        for look_alike in look_alikes(origin) {
            if allowed.contains(&look_alike)
                || candidates
                    .iter()
                    .any(|c| c.origin == look_alike || c.covers(&look_alike))
            {
                continue;
            }
            let p = preflight(api, resource, &look_alike, &shape);
            if p.header("access-control-allow-origin").as_deref() == Some(look_alike.as_str()) {
                out.add(
                    "origin-look-alike",
                    severity,
                    &location_of(&p.answer, at),
                    format!("OPTIONS {} allows {look_alike}, which only looks like {origin}", resource.path),
                    Some(&p),
                    "compare origins whole (==, or a list's contains()), never with an unanchored or unescaped regular expression",
                );
                break;
            }
        }
    }
    let Some(good) = allowed.iter().find(|o| *o != PROBE) else {
        max_age(&probe, resource, at, out);
        return allowed;
    };
    let good_probe = preflight(api, resource, good, &shape);
    let lower = preflight(
        api,
        resource,
        good,
        &Shape {
            lowercase_origin: true,
            ..shape.clone()
        },
    );
    if !lower.allowed && !matches!(lower.answer, Answer::Unknown(_)) {
        out.add(
            "origin-header-case",
            Severity::Warning,
            at,
            format!("OPTIONS {} does not read the header `origin` in lowercase, as HTTP/2 clients send it", resource.path),
            Some(&lower),
            "read the header in any case (corsgen's template looks through every header name)",
        );
    }
    // $input.params('origin') looks in the query string before the headers, by exact name; an
    // allowed origin other than the one every answer carries shows it.
    let target = allowed
        .iter()
        .find(|o| *o != PROBE && Some(o.as_str()) != acao.as_deref());
    let spoof = target.and_then(|target| {
        ["origin", "Origin"]
            .into_iter()
            .map(|name| {
                preflight(
                    api,
                    resource,
                    PROBE,
                    &Shape {
                        query: Some((name, target)),
                        ..shape.clone()
                    },
                )
            })
            .find(|p| p.header("access-control-allow-origin").as_deref() == Some(target.as_str()))
    });
    if let Some(spoof) = spoof {
        out.add(
            "origin-from-query",
            Severity::Warning,
            at,
            format!("OPTIONS {} takes the origin from a ?origin= query parameter before the Origin header ($input.params('origin'))", resource.path),
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
            format!("OPTIONS {} answers differently per Origin without `Vary: Origin`, so a cache can serve one origin's answer to another", resource.path),
            Some(&good_probe),
            "add the response header Vary: 'Origin'",
        );
    }
    max_age(&good_probe, resource, at, out);
    for method in &resource.methods {
        let verb = method.verb.as_str();
        if matches!(verb, "GET" | "HEAD" | "POST" | "OPTIONS" | "ANY") {
            continue;
        }
        let p = preflight(
            api,
            resource,
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
                    resource.path
                ),
                Some(&p),
                &format!("add {verb} to Access-Control-Allow-Methods"),
            );
        }
    }
    let typed = preflight(
        api,
        resource,
        good,
        &Shape {
            content_type: Some("text/plain"),
            ..shape.clone()
        },
    );
    // 415 (PassthroughBehavior NEVER) is the answer the fix asks for; a 500 is the defect.
    if good_probe.allowed
        && matches!(
            typed.answer,
            Answer::Response(_, Source::Gateway("API_CONFIGURATION_ERROR", _))
        )
    {
        out.add(
            "preflight-content-type",
            Severity::Warning,
            at,
            format!("OPTIONS {} fails ({}) when the preflight carries a Content-Type with no request template (aws-cdk#18297)", resource.path, typed.repro.status),
            Some(&typed),
            "set PassthroughBehavior: NEVER and a request template for every content type clients send (corsgen's artifacts do)",
        );
    }
    allowed
}

fn max_age(probe: &Probe, resource: &Resource, at: &Location, out: &mut Out<'_>) {
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
            &location_of(&probe.answer, at),
            format!("OPTIONS {} asks browsers to keep the preflight {age} s; Chromium keeps it at most 7200 s", resource.path),
            Some(probe),
            "set Access-Control-Max-Age to 7200 or less",
        );
    }
}

fn integration_responses(
    api: &RestApi,
    resource: &Resource,
    allowed: &[String],
    cors: bool,
    out: &mut Out<'_>,
) {
    let Some(origin) = allowed.first().filter(|_| cors) else {
        return;
    };
    for method in resource.methods.iter().filter(|m| m.verb != "OPTIONS") {
        let non_proxy = method
            .integration
            .as_ref()
            .is_some_and(|i| matches!(i.kind.as_str(), "MOCK" | "AWS" | "HTTP"));
        if !non_proxy || method.verb == "ANY" || method.authorizer.is_some() || method.api_key {
            continue;
        }
        let p = actual(api, &sample_path(&resource.path), &method.verb, origin);
        if let Answer::Response(r, Source::Method(at)) = &p.answer {
            if r.header("access-control-allow-origin").is_none() {
                out.add(
                    "integration-response-no-cors",
                    Severity::Warning,
                    at,
                    format!("{} {} ({} integration) answers without Access-Control-Allow-Origin, so the browser hides the response", method.verb, resource.path, method.integration.as_ref().map_or("", |i| i.kind.as_str())),
                    Some(&p),
                    "map Access-Control-Allow-Origin (and Vary: Origin) in the integration response, as corsgen's apigateway/integration-responses.json shows",
                );
            }
        }
    }
}

fn gateway_responses(
    api: &RestApi,
    candidates: &[Candidate],
    allowed: &[String],
    policy: Option<&crate::model::Policy>,
    out: &mut Out<'_>,
) {
    let origin = allowed
        .first()
        .or_else(|| candidates.first().map(|c| &c.origin))
        .map_or(PROBE, String::as_str);
    let declared_reflect = policy
        .and_then(|p| p.apigateway.as_ref())
        .is_some_and(|a| a.gateway_origin == crate::model::GatewayOrigin::Reflect);
    let mut kinds: Vec<&'static str> = vec!["DEFAULT_4XX", "DEFAULT_5XX"];
    for g in &api.gateway_responses {
        if let Some(kind) = crate::engine::gateway_response_type(&g.kind) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    let path = api
        .resources
        .iter()
        .find(|r| r.known)
        .map_or("/".to_string(), |r| sample_path(&r.path));
    for kind in kinds {
        let request = |o: &str| {
            let headers = vec![("Origin".to_string(), o.to_string())];
            let answer = api.gateway_answer(
                kind,
                &ApiRequest {
                    method: "GET",
                    path: &path,
                    query: &[],
                    headers: &headers,
                },
            );
            let fetch = FetchRequest {
                url: format!("{API}{path}"),
                origin: o.to_string(),
                method: "GET".into(),
                headers: Vec::new(),
                credentials: Credentials::Omit,
                initiator: Initiator::Fetch,
            };
            judge(&fetch, headers, &[], answer, false)
        };
        let p = request(origin);
        let at = location_of(&p.answer, &api.at);
        let Answer::Response(response, _) = &p.answer else {
            out.add(
                "not-evaluated",
                Severity::Warning,
                &at,
                format!(
                    "gateway response {kind}: {}",
                    match &p.answer {
                        Answer::Unknown(w) => w.as_str(),
                        Answer::Response(..) => "",
                    }
                ),
                None,
                "check it with `corsgen probe` against the deployed API",
            );
            continue;
        };
        let acao = response.header("access-control-allow-origin");
        match acao {
            None => out.add(
                "gateway-response-no-cors",
                Severity::Warning,
                &at,
                format!("gateway response {kind} (status {}) has no Access-Control-Allow-Origin: the page sees a CORS error instead of the status", response.status),
                Some(&p),
                &format!("add gateway response {kind} with the CORS headers (corsgen's apigateway/ artifacts define them)"),
            ),
            Some(value) if value != origin && value != "*" => out.add(
                "gateway-response-one-origin",
                Severity::Note,
                &at,
                format!("gateway response {kind} answers only {value}; other allowed origins see its errors as CORS errors (a gateway response cannot run a mapping template)"),
                Some(&p),
                "accept it (corsgen's `gateway-response-origin = \"first\"`), or put one origin per API",
            ),
            Some(_) => {
                let reflected = request(PROBE);
                if reflected.repro.response_headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("access-control-allow-origin") && v == PROBE) {
                    let credentials = response.header("access-control-allow-credentials").is_some_and(|v| v.eq_ignore_ascii_case("true"));
                    let severity = if declared_reflect {
                        Severity::Note
                    } else if credentials {
                        Severity::Critical
                    } else {
                        Severity::Error
                    };
                    out.add(
                        "origin-reflected",
                        severity,
                        &at,
                        format!("gateway response {kind} sends any Origin back as allowed{}", if declared_reflect { " (the policy's gateway-response-origin = \"reflect\" declares it)" } else { "" }),
                        Some(&reflected),
                        "send one static origin in gateway responses (corsgen: gateway-response-origin = \"first\")",
                    );
                }
            }
        }
    }
}

/// The findings for an HTTP API's CORS configuration (HTTP API answers as configured, so the
/// configuration is judged as written).
#[must_use]
pub fn http(cors: &HttpApiCors) -> Vec<Finding> {
    let surface = format!("HTTP API {}", cors.name);
    let mut out = Out {
        findings: Vec::new(),
        surface: &surface,
    };
    for (origin, at) in &cors.origins {
        if origin == "*" {
            if cors.credentials {
                out.add(
                    "wildcard-with-credentials",
                    Severity::Error,
                    at,
                    "allowOrigins `*` together with allowCredentials: API Gateway refuses to deploy it, and browsers refuse `*` with credentials".into(),
                    None,
                    "name the origins, or set allowCredentials to false",
                );
            }
            continue;
        }
        if let Err(problem) = parse_origin(origin) {
            out.add(
                "origin-not-serialized",
                Severity::Error,
                at,
                format!("`{origin}` {}; it never matches", problem.message),
                None,
                &problem.suggestion.map_or_else(
                    || "write the origin as the browser sends it".to_string(),
                    |s| format!("write it as the browser sends it: {s}"),
                ),
            );
        }
    }
    if let Some(age) = cors.max_age.filter(|a| *a > 7200) {
        out.add(
            "max-age-capped",
            Severity::Warning,
            &cors.at,
            format!("maxAge {age} s: Chromium keeps a preflight at most 7200 s"),
            None,
            "set maxAge to 7200 or less",
        );
    }
    out.findings
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
