//! ENGINE: the CORS decision for one request. The one truth every artifact is tested against.
//!
//! Input: a validated [`Policy`] and a [`Request`]. Output: a [`Decision`]: for a preflight its
//! status and headers, for any other request the headers to add to the response. Semantics (see
//! DESIGN.md "Semantics"):
//! - a preflight is `OPTIONS` with `Origin` and `Access-Control-Request-Method`;
//! - an allowed origin gets ACAO (its own value, or `*` for an any-origin rule), ACAC when
//!   credentials are allowed, and the rule's static lists; preflights answer 204;
//! - a disallowed origin gets no CORS headers, and a preflight from it 403;
//! - every answer carries `Vary: Origin`, because every answer depends on Origin (its presence
//!   at least), so no cache may hand one origin's answer to another.

use crate::model::{AllowedOrigins, Policy, Rule};

/// `Access-Control-Allow-Origin`
pub const ACAO: &str = "Access-Control-Allow-Origin";
/// `Access-Control-Allow-Credentials`
pub const ACAC: &str = "Access-Control-Allow-Credentials";
/// `Access-Control-Allow-Methods`
pub const ACAM: &str = "Access-Control-Allow-Methods";
/// `Access-Control-Allow-Headers`
pub const ACAH: &str = "Access-Control-Allow-Headers";
/// `Access-Control-Max-Age`
pub const ACMA: &str = "Access-Control-Max-Age";
/// `Access-Control-Expose-Headers`
pub const ACEH: &str = "Access-Control-Expose-Headers";
/// `Vary`
pub const VARY: &str = "Vary";

/// Status of a preflight from an allowed origin.
pub const PREFLIGHT_ALLOWED: u16 = 204;
/// Status of a preflight from any other origin.
pub const PREFLIGHT_REFUSED: u16 = 403;

/// What the engine needs to know about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The HTTP method as received (case-sensitive).
    pub method: &'a str,
    /// The request path, e.g. `/orders/42`.
    pub path: &'a str,
    /// The `Origin` header, if present.
    pub origin: Option<&'a str>,
    /// The `Access-Control-Request-Method` header, if present.
    pub request_method: Option<&'a str>,
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// `Some(status)` when the request is a preflight that must be answered without the
    /// handler; `None` for every other request.
    pub preflight_status: Option<u16>,
    /// Headers to send, in a fixed order.
    pub headers: Vec<(&'static str, String)>,
}

impl Request<'_> {
    /// True for a CORS preflight.
    #[must_use]
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.origin.is_some() && self.request_method.is_some()
    }
}

/// Decides the CORS answer for `request` under `policy`.
#[must_use]
pub fn decide(policy: &Policy, request: &Request<'_>) -> Decision {
    let rule = policy.rule_for(request.path);
    let preflight = request.is_preflight();
    let mut headers = Vec::new();
    let allowed = request
        .origin
        .and_then(|origin| allow_origin_value(rule, origin));
    let is_allowed = allowed.is_some();
    if let Some(value) = allowed {
        headers.push((ACAO, value));
        let rest = if preflight {
            preflight_headers(rule)
        } else {
            actual_headers(rule)
        };
        headers.extend(rest);
    }
    headers.push((VARY, "Origin".to_string()));
    Decision {
        preflight_status: preflight.then_some(if is_allowed {
            PREFLIGHT_ALLOWED
        } else {
            PREFLIGHT_REFUSED
        }),
        headers,
    }
}

/// The `Access-Control-Allow-Origin` value for `origin`, or `None` when it is not allowed.
#[must_use]
pub fn allow_origin_value(rule: &Rule, origin: &str) -> Option<String> {
    match &rule.origins {
        AllowedOrigins::Any => Some("*".to_string()),
        list if list.allows(origin) => Some(origin.to_string()),
        _ => None,
    }
}

/// Headers after ACAO on a preflight answer to an allowed origin; they do not depend on the
/// request, so generated code may carry them as constants.
#[must_use]
pub fn preflight_headers(rule: &Rule) -> Vec<(&'static str, String)> {
    let mut headers = credentials_header(rule);
    if !rule.methods.is_empty() {
        headers.push((ACAM, rule.methods.join(",")));
    }
    if !rule.headers.is_empty() {
        headers.push((ACAH, rule.headers.join(",")));
    }
    if let Some(seconds) = rule.max_age {
        headers.push((ACMA, seconds.to_string()));
    }
    headers
}

/// Headers after ACAO on an actual response to an allowed origin; static like
/// [`preflight_headers`].
#[must_use]
pub fn actual_headers(rule: &Rule) -> Vec<(&'static str, String)> {
    let mut headers = credentials_header(rule);
    if !rule.expose.is_empty() {
        headers.push((ACEH, rule.expose.join(",")));
    }
    headers
}

/// A rule as the fields of a static CORS configuration (HTTP API `corsConfiguration`, a
/// CloudFront response headers policy, S3 bucket CORS): the platform then answers with the
/// headers [`preflight_headers`] and [`actual_headers`] give, for the origins listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaticCors {
    /// The allowed origins as written (exact, wildcard patterns), or `["*"]` for any.
    pub allow_origins: Vec<String>,
    /// Whether credentials are allowed.
    pub allow_credentials: bool,
    /// The allowed methods.
    pub allow_methods: Vec<String>,
    /// The allowed request headers.
    pub allow_headers: Vec<String>,
    /// The exposed response headers.
    pub expose_headers: Vec<String>,
    /// The preflight cache time, when set.
    pub max_age: Option<u32>,
}

/// `rule` as a static CORS configuration.
#[must_use]
pub fn static_cors(rule: &Rule) -> StaticCors {
    StaticCors {
        allow_origins: match &rule.origins {
            AllowedOrigins::Any => vec!["*".to_string()],
            AllowedOrigins::List(list) => list.patterns(),
        },
        allow_credentials: rule.credentials,
        allow_methods: rule.methods.clone(),
        allow_headers: rule.headers.clone(),
        expose_headers: rule.expose.clone(),
        max_age: rule.max_age,
    }
}

fn credentials_header(rule: &Rule) -> Vec<(&'static str, String)> {
    if rule.credentials {
        vec![(ACAC, "true".to_string())]
    } else {
        Vec::new()
    }
}

/// Merges `Origin` into existing `Vary` values: each comma-separated entry kept once
/// (case-insensitively, first spelling wins), `Origin` appended unless present or `*` is.
#[must_use]
pub fn merge_vary<'a>(existing: impl IntoIterator<Item = &'a str>) -> String {
    let mut entries: Vec<&str> = Vec::new();
    for value in existing {
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if !entries.iter().any(|e| e.eq_ignore_ascii_case(entry)) {
                entries.push(entry);
            }
        }
    }
    if !entries
        .iter()
        .any(|e| *e == "*" || e.eq_ignore_ascii_case("origin"))
    {
        entries.push("Origin");
    }
    entries.join(", ")
}

/// The headers of a handler's response after CORS is applied: every `Access-Control-*` header
/// the handler set is dropped (the policy owns them), its `Vary` values are merged with
/// `Origin`, and the decision's headers are added. Names compare case-insensitively.
#[must_use]
pub fn finalize_response(
    decision: &Decision,
    response: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut vary = Vec::new();
    for (name, value) in response {
        let lower = name.to_ascii_lowercase();
        if lower == "vary" {
            vary.push(value.as_str());
        } else if !lower.starts_with("access-control-") {
            out.push((name.clone(), value.clone()));
        }
    }
    let merged = merge_vary(vary);
    for (name, value) in &decision.headers {
        if *name == VARY {
            out.push(((*name).to_string(), merged.clone()));
        } else {
            out.push(((*name).to_string(), value.clone()));
        }
    }
    out
}

/// API Gateway's 21 gateway-response types: each one's default status (`None` for the two
/// defaults, which take the status of the error they answer) and the default type that answers
/// for it when it is not configured itself.
const GATEWAY_RESPONSES: [(&str, Option<u16>, Option<&str>); 21] = [
    ("ACCESS_DENIED", Some(403), Some("DEFAULT_4XX")),
    ("API_CONFIGURATION_ERROR", Some(500), Some("DEFAULT_5XX")),
    (
        "AUTHORIZER_CONFIGURATION_ERROR",
        Some(500),
        Some("DEFAULT_5XX"),
    ),
    ("AUTHORIZER_FAILURE", Some(500), Some("DEFAULT_5XX")),
    ("BAD_REQUEST_PARAMETERS", Some(400), Some("DEFAULT_4XX")),
    ("BAD_REQUEST_BODY", Some(400), Some("DEFAULT_4XX")),
    ("DEFAULT_4XX", None, None),
    ("DEFAULT_5XX", None, None),
    ("EXPIRED_TOKEN", Some(403), Some("DEFAULT_4XX")),
    ("INTEGRATION_FAILURE", Some(504), Some("DEFAULT_5XX")),
    ("INTEGRATION_TIMEOUT", Some(504), Some("DEFAULT_5XX")),
    ("INVALID_API_KEY", Some(403), Some("DEFAULT_4XX")),
    ("INVALID_SIGNATURE", Some(403), Some("DEFAULT_4XX")),
    (
        "MISSING_AUTHENTICATION_TOKEN",
        Some(403),
        Some("DEFAULT_4XX"),
    ),
    ("QUOTA_EXCEEDED", Some(429), Some("DEFAULT_4XX")),
    ("REQUEST_TOO_LARGE", Some(413), Some("DEFAULT_4XX")),
    ("RESOURCE_NOT_FOUND", Some(404), Some("DEFAULT_4XX")),
    ("THROTTLED", Some(429), Some("DEFAULT_4XX")),
    ("UNAUTHORIZED", Some(401), Some("DEFAULT_4XX")),
    ("UNSUPPORTED_MEDIA_TYPE", Some(415), Some("DEFAULT_4XX")),
    ("WAF_FILTERED", Some(403), Some("DEFAULT_4XX")),
];

/// The gateway-response type named `name` (any case), as API Gateway spells it.
#[must_use]
pub fn gateway_response_type(name: &str) -> Option<&'static str> {
    GATEWAY_RESPONSES
        .iter()
        .map(|(t, _, _)| *t)
        .find(|t| t.eq_ignore_ascii_case(name))
}

/// The gateway-response types API Gateway answers `status` with: the ones whose default status
/// it is, else the default of its class (`DEFAULT_4XX`, `DEFAULT_5XX`); empty for a status that
/// is not an error.
#[must_use]
pub fn gateway_response_types_for(status: u16) -> Vec<&'static str> {
    let types: Vec<&'static str> = GATEWAY_RESPONSES
        .iter()
        .filter(|(_, default, _)| *default == Some(status))
        .map(|(t, _, _)| *t)
        .collect();
    match (types.is_empty(), status) {
        (false, _) => types,
        (true, 400..=499) => vec!["DEFAULT_4XX"],
        (true, 500..=599) => vec!["DEFAULT_5XX"],
        _ => Vec::new(),
    }
}

/// What an API Gateway error of one gateway-response type carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayAnswer {
    /// The type asked about.
    pub response_type: &'static str,
    /// The types API Gateway tries, in order: the type itself, then its default.
    pub chain: Vec<&'static str>,
    /// The configured type whose headers the error carries; `None`: no CORS headers at all.
    pub applies: Option<&'static str>,
    /// The status the browser sees (the type's default status; 400 or 500 for the defaults).
    pub status: u16,
    /// The headers, for a request from `origin`.
    pub headers: Vec<(&'static str, String)>,
}

/// The CORS headers every configured gateway response carries besides
/// `Access-Control-Allow-Origin` (which is the policy's `gateway_origin`: a static value, or the
/// request's `Origin` echoed): what `plan` turns into response parameters and `check` into an
/// answer. Gateway responses cannot run a mapping template, so they carry the default rule,
/// whatever the route.
#[must_use]
pub fn gateway_response_headers(policy: &Policy) -> Vec<(&'static str, String)> {
    let mut headers = actual_headers(&policy.default_rule);
    headers.push((VARY, "Origin".to_string()));
    headers
}

/// What an error of `response_type` (any case) from API Gateway carries for a request from
/// `origin`, with `status` when known (else the type's default status, or 400 / 500 for the
/// two defaults); `None` for an unknown type or a policy without API Gateway artifacts.
#[must_use]
pub fn gateway_response(
    policy: &Policy,
    response_type: &str,
    origin: Option<&str>,
    status: Option<u16>,
) -> Option<GatewayAnswer> {
    let (response_type, default_status, fallback) = *GATEWAY_RESPONSES
        .iter()
        .find(|(t, _, _)| t.eq_ignore_ascii_case(response_type))?;
    let api = policy.apigateway.as_ref()?;
    let (gateway_origin, configured) = (&api.gateway_origin, &api.gateway_responses);
    let chain: Vec<&'static str> = std::iter::once(response_type).chain(fallback).collect();
    let applies = chain.iter().copied().find(|t| configured.contains(t));
    let status = status
        .or(default_status)
        .unwrap_or(if response_type == "DEFAULT_5XX" {
            500
        } else {
            400
        });
    let mut headers = Vec::new();
    if applies.is_some() {
        let acao = match gateway_origin {
            crate::model::GatewayOrigin::Static(value) => Some(value.clone()),
            crate::model::GatewayOrigin::Reflect => origin.map(str::to_string),
        };
        headers.extend(acao.map(|value| (ACAO, value)));
        headers.extend(gateway_response_headers(policy));
    }
    Some(GatewayAnswer {
        response_type,
        chain,
        applies,
        status,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::{
        decide, finalize_response, merge_vary, Request, ACAC, ACAH, ACAM, ACAO, ACEH, ACMA, VARY,
    };
    use std::sync::Arc;

    use crate::model::{AllowedOrigins, OriginList, Policy, Route, Rule};
    use crate::origin::{parse_origin, OriginSpec};
    use crate::validate::parse_route_path;

    fn rule(origins: &[&str], credentials: bool) -> Rule {
        let mut exact = Vec::new();
        let mut wildcards = Vec::new();
        let mut any = false;
        for o in origins {
            match parse_origin(o).unwrap() {
                OriginSpec::Any => any = true,
                OriginSpec::Exact(e) => exact.push(e),
                OriginSpec::Wildcard(w) => wildcards.push(w),
            }
        }
        Rule {
            origins: if any {
                AllowedOrigins::Any
            } else {
                AllowedOrigins::List(Arc::new(OriginList { exact, wildcards }))
            },
            credentials,
            methods: vec!["PUT".into(), "DELETE".into()],
            headers: vec!["Content-Type".into(), "Authorization".into()],
            expose: vec!["X-Request-Id".into()],
            max_age: Some(600),
        }
    }

    fn policy() -> Policy {
        Policy {
            name: "t".into(),
            env: None,
            default_rule: rule(&["https://example.com", "https://*.example.com"], true),
            default_written: crate::model::Written::default(),
            routes: vec![Route {
                path: "/public/{proxy+}".into(),
                pattern: parse_route_path("/public/{proxy+}").unwrap(),
                rule: Rule {
                    expose: vec![],
                    ..rule(&["*"], false)
                },
                written: crate::model::Written::default(),
            }],
            lambda_languages: vec![],
            apigateway: None,
            cloudfront: None,
            targets: std::collections::BTreeMap::new(),
            configurations: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn actual(path: &str, origin: Option<&str>) -> Vec<(&'static str, String)> {
        let req = Request {
            method: "GET",
            path,
            origin,
            request_method: None,
        };
        let d = decide(&policy(), &req);
        assert_eq!(d.preflight_status, None);
        d.headers
    }

    fn preflight(path: &str, origin: &str) -> (Option<u16>, Vec<(&'static str, String)>) {
        let req = Request {
            method: "OPTIONS",
            path,
            origin: Some(origin),
            request_method: Some("PUT"),
        };
        let d = decide(&policy(), &req);
        (d.preflight_status, d.headers)
    }

    fn vary_only() -> Vec<(&'static str, String)> {
        vec![(VARY, "Origin".into())]
    }

    #[test]
    fn allowed_origin_gets_its_own_origin_credentials_and_exposed_headers() {
        assert_eq!(
            actual("/orders/1", Some("https://example.com")),
            vec![
                (ACAO, "https://example.com".into()),
                (ACAC, "true".into()),
                (ACEH, "X-Request-Id".into()),
                (VARY, "Origin".into())
            ]
        );
    }

    #[test]
    fn preflight_from_allowed_origin_is_204_with_the_configured_lists() {
        assert_eq!(
            preflight("/orders/1", "https://a.example.com"),
            (
                Some(204),
                vec![
                    (ACAO, "https://a.example.com".into()),
                    (ACAC, "true".into()),
                    (ACAM, "PUT,DELETE".into()),
                    (ACAH, "Content-Type,Authorization".into()),
                    (ACMA, "600".into()),
                    (VARY, "Origin".into())
                ]
            )
        );
    }

    #[test]
    fn look_alike_origins_get_nothing() {
        for evil in [
            "https://example.com.evil.com",
            "https://evilexample.com",
            "http://example.com",
            "https://example.com:8443",
            "https://example.com/",
            "https://EXAMPLE.com",
            "null",
            "",
        ] {
            assert_eq!(actual("/x", Some(evil)), vary_only(), "{evil}");
            assert_eq!(preflight("/x", evil), (Some(403), vary_only()), "{evil}");
        }
    }

    #[test]
    fn wildcard_covers_deep_subdomains_but_not_the_apex_alone() {
        assert_eq!(
            actual("/x", Some("https://a.b.example.com"))[0],
            (ACAO, "https://a.b.example.com".into())
        );
        // The apex is allowed here only because the policy lists it exactly.
        let mut p = policy();
        p.default_rule = rule(&["https://*.example.com"], false);
        let req = Request {
            method: "GET",
            path: "/",
            origin: Some("https://example.com"),
            request_method: None,
        };
        assert_eq!(decide(&p, &req).headers, vary_only());
    }

    #[test]
    fn no_origin_means_no_cors_headers_but_vary_kept() {
        assert_eq!(actual("/x", None), vary_only());
        let req = Request {
            method: "OPTIONS",
            path: "/x",
            origin: None,
            request_method: Some("PUT"),
        };
        let d = decide(&policy(), &req);
        assert_eq!((d.preflight_status, d.headers), (None, vary_only()));
    }

    #[test]
    fn options_without_request_method_is_not_a_preflight() {
        let req = Request {
            method: "OPTIONS",
            path: "/x",
            origin: Some("https://example.com"),
            request_method: None,
        };
        let d = decide(&policy(), &req);
        assert_eq!(d.preflight_status, None);
        assert_eq!(d.headers[0], (ACAO, "https://example.com".into()));
    }

    #[test]
    fn most_specific_route_wins_and_any_origin_answers_star() {
        assert_eq!(
            actual("/public/a/b", Some("https://anyone.test")),
            vec![(ACAO, "*".into()), (VARY, "Origin".into())]
        );
        let (status, headers) = preflight("/public/x", "https://anyone.test");
        assert_eq!(status, Some(204));
        assert_eq!(headers[0], (ACAO, "*".into()));
        assert!(!headers.iter().any(|(n, _)| *n == ACAC));
        // `/public` alone does not match `/public/{proxy+}`.
        assert_eq!(actual("/public", Some("https://anyone.test")), vary_only());
    }

    #[test]
    fn vary_merge_keeps_existing_values_once() {
        assert_eq!(merge_vary(["Accept-Encoding"]), "Accept-Encoding, Origin");
        assert_eq!(merge_vary(["origin, Accept"]), "origin, Accept");
        assert_eq!(merge_vary(["*"]), "*");
        assert_eq!(merge_vary(["a, A", "b", ""]), "a, b, Origin");
        assert_eq!(merge_vary(Vec::<&str>::new()), "Origin");
    }

    #[test]
    fn finalize_replaces_handler_cors_headers() {
        let req = Request {
            method: "GET",
            path: "/x",
            origin: Some("https://evil.test"),
            request_method: None,
        };
        let d = decide(&policy(), &req);
        let handler = vec![
            ("access-control-allow-origin".to_string(), "*".to_string()),
            ("vary".to_string(), "Accept-Encoding".to_string()),
            ("Content-Type".to_string(), "text/plain".to_string()),
        ];
        assert_eq!(
            finalize_response(&d, &handler),
            vec![
                ("Content-Type".to_string(), "text/plain".to_string()),
                ("Vary".to_string(), "Accept-Encoding, Origin".to_string())
            ]
        );
    }

    #[test]
    fn gateway_responses_fall_back_as_api_gateway_documents() {
        use super::{gateway_response, gateway_response_type, gateway_response_types_for};
        use crate::model::{ApiGateway, GatewayOrigin};
        // The same 21 types the policy accepts, in the same order.
        let names: Vec<&str> = super::GATEWAY_RESPONSES
            .iter()
            .map(|(t, _, _)| *t)
            .collect();
        assert_eq!(names, crate::policy::GATEWAY_RESPONSE_TYPES);
        assert_eq!(gateway_response_type("unauthorized"), Some("UNAUTHORIZED"));
        assert_eq!(gateway_response_type("NOPE"), None);
        assert_eq!(gateway_response_types_for(401), ["UNAUTHORIZED"]);
        assert_eq!(
            gateway_response_types_for(429),
            ["QUOTA_EXCEEDED", "THROTTLED"]
        );
        assert_eq!(gateway_response_types_for(418), ["DEFAULT_4XX"]);
        assert_eq!(gateway_response_types_for(503), ["DEFAULT_5XX"]);
        assert!(gateway_response_types_for(302).is_empty());

        let mut p = policy();
        assert!(gateway_response(&p, "UNAUTHORIZED", None, None).is_none());
        p.apigateway = Some(ApiGateway {
            resources: vec![],
            gateway_responses: vec!["DEFAULT_4XX", "AUTHORIZER_FAILURE"],
            gateway_origin: GatewayOrigin::Static("https://example.com".into()),
            resources_span: 0..0,
        });
        let unauthorized =
            gateway_response(&p, "unauthorized", Some("https://a.example.com"), None).unwrap();
        assert_eq!(unauthorized.chain, ["UNAUTHORIZED", "DEFAULT_4XX"]);
        assert_eq!(unauthorized.applies, Some("DEFAULT_4XX"));
        assert_eq!(unauthorized.status, 401);
        // One static origin, whatever the request's, and the default rule's actual headers.
        assert_eq!(
            unauthorized.headers,
            [
                (ACAO, "https://example.com".to_string()),
                (ACAC, "true".to_string()),
                (ACEH, "X-Request-Id".to_string()),
                (VARY, "Origin".to_string())
            ]
        );
        let timeout = gateway_response(&p, "INTEGRATION_TIMEOUT", None, None).unwrap();
        assert_eq!((timeout.applies, timeout.status), (None, 504));
        assert!(timeout.headers.is_empty());
        assert_eq!(
            gateway_response(&p, "AUTHORIZER_FAILURE", None, None)
                .unwrap()
                .applies,
            Some("AUTHORIZER_FAILURE")
        );
        assert_eq!(
            gateway_response(&p, "DEFAULT_5XX", None, None)
                .unwrap()
                .status,
            500
        );
        // Reflection echoes the request's Origin, and sends none without one.
        p.apigateway.as_mut().unwrap().gateway_origin = GatewayOrigin::Reflect;
        let echoed = gateway_response(&p, "THROTTLED", Some("https://evil.example"), None).unwrap();
        assert_eq!(
            echoed.headers[0],
            (ACAO, "https://evil.example".to_string())
        );
        assert_ne!(
            gateway_response(&p, "THROTTLED", None, None)
                .unwrap()
                .headers[0]
                .0,
            ACAO
        );
    }
}
