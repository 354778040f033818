//! The fixes: where in the policy file a request's rule comes from, and the change that makes
//! a blocked request pass (or the reason no policy change should).

use std::ops::Range;

use super::{simulate, Exchange, Fix, Target};
use crate::browser::{Blocked, CorsError, Credentials, FetchRequest};
use crate::engine;
use crate::model::{AllowedOrigins, Layer, Policy, Written, WrittenAt};
use crate::policy::RawPolicy;
use crate::source::PolicySource;

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

    /// Where validation recorded this field as written.
    fn of(self, written: &Written) -> Option<&WrittenAt> {
        match self {
            Field::Origins => written.origins.as_ref(),
            Field::Credentials => written.credentials.as_ref(),
            Field::Methods => written.methods.as_ref(),
            Field::Headers => written.headers.as_ref(),
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

    /// Which table the rule for `path` is, for messages.
    #[must_use]
    pub fn rule_name(&self, path: &str) -> String {
        let table = self.location(&self.policy.written_for(path).table);
        match self.policy.route_for(path) {
            Some(route) => format!("[[route]] path = \"{}\" at {table}", route.path),
            None => format!("[cors] at {table}"),
        }
    }

    /// The place to change `field` for `path`: the key in effect (the route's own, else the
    /// environment's, else `[cors]`, as validation recorded it), or the table to add it to. The
    /// bool is true when the key exists.
    fn field_location(&self, path: &str, field: Field) -> (String, bool) {
        let written = self.policy.written_for(path);
        match field.of(written) {
            Some(at) => (self.location(&at.span), true),
            None => (self.location(&written.table), false),
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
            .policy
            .written_for(path)
            .origins
            .as_ref()
            .is_some_and(|at| at.layer == Layer::Route);
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
            let add = format!("add \"{method}\"");
            vec![place.fix(path, Field::Methods, &add, &format!("allow \"{method}\""))]
        }
        // Engines name the header in lowercase (Chromium, Firefox) or as written (WebKit).
        E::HeaderDisallowedByPreflightResponse
            if crate::validate::is_response_only_header(&blocked.hint.to_ascii_lowercase()) =>
        {
            vec![Fix {
                message: format!(
                    "{} is a response header: the script must not send it (the server sends it); remove it from the request",
                    blocked.hint.to_ascii_lowercase()
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
            let add = format!("add \"{written}\"");
            vec![place.fix(path, Field::Headers, &add, &format!("allow \"{written}\""))]
        }
        _ => Vec::new(),
    }
}

/// The fixes for a request an engine blocked (`blocked`), or where that engine's failure has
/// no policy fix of its own (WebKit reports a refused preflight's status before the missing
/// origin), `chromium`'s: the fixes for Chromium's reading of the same request.
pub fn or_chromiums(
    engine: crate::browser::Engine,
    blocked: bool,
    fixes: Vec<Fix>,
    chromium: impl FnOnce() -> Vec<Fix>,
) -> Vec<Fix> {
    if fixes.is_empty() && blocked && engine != crate::browser::Engine::Chromium {
        chromium()
    } else {
        fixes
    }
}

/// How the script stops sending credentials, in its own API's words.
fn without_credentials(request: &FetchRequest) -> &'static str {
    match request.initiator {
        crate::browser::Initiator::Fetch => "fetch without credentials: 'include'",
        crate::browser::Initiator::XmlHttpRequest => "withCredentials left false",
    }
}

/// `https://example.com` for `https://example.com.` (a host with a trailing dot, port kept).
fn trailing_dot_origin(origin: &str) -> Option<String> {
    let url = crate::address::parse_http(origin)?;
    let host = url.host_str()?.strip_suffix('.')?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{}://{host}{port}", url.scheme()))
}

/// The change that lets the page read an API Gateway error when the request itself passes:
/// the gateway response to add, or why its one static origin is another site's.
pub(super) fn gateway_fixes(
    place: &PolicyPlace<'_>,
    request: &FetchRequest,
    blocked: &Blocked,
    path: &str,
    answer: &engine::GatewayAnswer,
) -> Vec<Fix> {
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
    if blocked.error != CorsError::AllowOriginMismatch {
        // The gateway response's headers are the default rule's: what blocks it is the policy.
        return policy_fixes(place, request, blocked, path);
    }
    let sent = answer
        .headers
        .iter()
        .find(|(n, _)| *n == engine::ACAO)
        .map_or_else(String::new, |(_, v)| v.clone());
    let (location, _) = place.field_location(path, Field::Origins);
    vec![Fix {
        message: format!(
            "{applies} carries one static Access-Control-Allow-Origin (`{sent}`), as every gateway response must (they cannot run a mapping template), so {} sees a CORS error instead of the {}: if it is the site that must read API Gateway's errors, list it first in allow-origins{}",
            request.origin,
            answer.status,
            if place.policy.default_rule.credentials {
                ""
            } else {
                " (or set gateway-response-origin = \"reflect\" in [apigateway] if every site may read them)"
            }
        ),
        location: Some(location),
    }]
}

/// `check --target NAME` for a target with a declared deviation: its real answers, and the
/// fixes: the policy's when the engine blocks the request too, else what the platform does
/// otherwise.
#[must_use]
pub fn check_target(
    place: &PolicyPlace<'_>,
    request: FetchRequest,
    target: &Target,
    deviation: &crate::targets::Deviation,
) -> Exchange {
    let mut exchange = crate::check::simulate_target(place.policy, request.clone(), deviation);
    if exchange.verdict.blocked.is_some() {
        let engine = check(place, request, target);
        exchange.fixes = if engine.verdict.blocked.is_some() {
            engine.fixes
        } else {
            vec![Fix {
                message: format!(
                    "the policy allows this request, and the platform answers otherwise: {}",
                    deviation.what
                ),
                location: None,
            }]
        };
    }
    exchange
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
