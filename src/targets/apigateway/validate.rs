//! The `[apigateway]` rules: resource paths, gateway-response types, the explicit choice
//! gateway responses need for several origins, and whether HTTP API CORS can express the policy.
//! Static checks run once; the rest per environment checked, like every rule that combines
//! fields.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    AllowedOrigins, ApiGateway, GatewayOrigin, OriginAnswer, Policy, Resource, RoutePattern, Rule,
    Segment,
};
use crate::policy::{
    GatewayResponseOrigin, RawApiGateway, RawPolicy, SpannedList, GATEWAY_RESPONSE_TYPES,
};
use crate::targets::setting::{family_setting, Enabled};
use crate::targets::{unfit, Checks, Place, Problem, RuleSite, Scope, Setting, Skipped, Values};
use crate::validate::parse_route_path;

/// `[apigateway]` as far as it does not depend on the environment.
struct Static {
    resources: Vec<Resource>,
    resources_span: Range<usize>,
    gateway_responses: Vec<&'static str>,
}

const DEFAULT_RESOURCES: [&str; 2] = ["/", "/{proxy+}"];
const DEFAULT_GATEWAY_RESPONSES: [&str; 2] = ["DEFAULT_4XX", "DEFAULT_5XX"];

/// The checks of `[apigateway]`.
struct ApiGatewayChecks<'a> {
    raw: Option<&'a RawApiGateway>,
    enabled: Enabled,
    statics: Option<Static>,
    gateway_origin: Option<GatewayOrigin>,
    /// Set under `"if-fits"` when a value of the resolved environment cannot be carried.
    skipped: Option<Skipped>,
    /// The environments (`None`: the base policy) where it is skipped.
    skipped_in: HashSet<Option<String>>,
    /// How each route's gateway errors differ from its rule in the base policy.
    route_differences: HashMap<String, Vec<String>>,
}

/// The validation of `[apigateway]`, unless it says `enabled = false`.
pub(super) fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    let table = raw.apigateway.as_ref().map(Spanned::get_ref);
    let enabled = family_setting(table.and_then(|t| t.enabled.as_ref()));
    (enabled != Enabled::No).then(|| {
        Box::new(ApiGatewayChecks {
            raw: table,
            enabled,
            statics: None,
            gateway_origin: None,
            skipped: None,
            skipped_in: HashSet::new(),
            route_differences: HashMap::new(),
        }) as Box<dyn Checks>
    })
}

impl Checks for ApiGatewayChecks<'_> {
    fn check_static(
        &mut self,
        raw: &RawPolicy,
        routes: &[Option<RoutePattern>],
        push: &mut dyn FnMut(Diagnostic),
    ) {
        self.statics = Some(check_static(raw, routes, push));
    }

    fn check_values(
        &mut self,
        kind: Values,
        values: &[(String, Range<usize>)],
        place: Place<'_>,
        push: &mut dyn FnMut(Diagnostic),
    ) {
        for (value, span) in values {
            let (problem, code, help) = if value.contains('\'') {
                (
                    Problem {
                        span: span.clone(),
                        message: format!("{value:?} contains `'`, which API Gateway's single-quoted static values and mapping templates cannot carry"),
                        fix: Some("rename it without `'`".to_string()),
                    },
                    Code::ApigatewayUnquotable,
                    "rename it without `'`, or set enabled = false in [apigateway]",
                )
            } else if kind == Values::Methods && value.eq_ignore_ascii_case("OPTIONS") {
                (
                    Problem {
                        span: span.clone(),
                        message: "OPTIONS as a method scripts call: on a REST API a script's OPTIONS request never reaches your method, the OPTIONS method of each resource being the preflight's MOCK (it answers 403 without CORS headers for listed origins, an empty 204 for `*`)".to_string(),
                        fix: Some("remove \"OPTIONS\" from allow-methods".to_string()),
                    },
                    Code::ApigatewayOptionsMethod,
                    "remove \"OPTIONS\" from allow-methods (a preflight never needs it), or set enabled = false in [apigateway] and answer OPTIONS in the Lambda snippets or behind CloudFront",
                )
            } else {
                continue;
            };
            if self.enabled == Enabled::IfFits {
                self.skipped_in.insert(place.env.map(str::to_string));
            }
            let skipped = unfit(
                &super::TARGET,
                Setting {
                    enabled: self.enabled,
                    written: true,
                    alias: false,
                },
                place,
                std::slice::from_ref(&problem),
                (code, help),
                push,
            );
            if let Some(new) = skipped {
                let all = self.skipped.get_or_insert(Skipped {
                    reasons: Vec::new(),
                    ..new
                });
                if !all.reasons.contains(&problem.message) {
                    all.reasons.push(problem.message);
                }
            }
        }
    }

    fn check_scope(&mut self, scope: &Scope<'_>, push: &mut dyn FnMut(Diagnostic)) {
        // Skipped in this environment: what its gateway responses would send is moot.
        if self.skipped_in.contains(&scope.env.map(str::to_string)) {
            return;
        }
        let in_env = scope
            .env
            .map(|e| format!(" in env {e}"))
            .unwrap_or_default();
        let origin = gateway_origin(self.raw, &in_env, scope.default, push);
        let configured = self
            .statics
            .as_ref()
            .is_some_and(|s| !s.gateway_responses.is_empty());
        let accepted = self
            .raw
            .is_some_and(|r| r.gateway_response_routes.is_some());
        // Every environment: one says so (`in env …`) only where it differs otherwise than the
        // base policy does.
        if configured && !accepted && scope.default.origins_complete {
            for route in scope.routes {
                let Some(path) = route.route.filter(|_| route.origins_complete) else {
                    continue;
                };
                let differences = route_differences(route.rule, scope.default.rule, &origin);
                let base = self.route_differences.get(path);
                if scope.env.is_none() {
                    self.route_differences
                        .insert(path.to_string(), differences.clone());
                } else if base == Some(&differences) {
                    continue;
                }
                if !differences.is_empty() {
                    push(route_differs(route, path, &in_env, &differences));
                }
            }
        }
        if scope.resolved {
            self.gateway_origin = Some(origin);
        }
    }

    fn resolve(self: Box<Self>, policy: &mut Policy) {
        policy.targets.insert(super::TARGET.name, self.enabled);
        if let Some(skipped) = self.skipped {
            policy.skipped.push(skipped);
            return;
        }
        if let (Some(statics), Some(gateway_origin)) = (self.statics, self.gateway_origin) {
            policy.apigateway = Some(ApiGateway {
                resources: statics.resources,
                gateway_responses: statics.gateway_responses,
                gateway_origin,
                resources_span: statics.resources_span,
            });
        }
    }
}

/// Checks resource paths and gateway-response types.
fn check_static(
    raw: &RawPolicy,
    route_patterns: &[Option<RoutePattern>],
    push: &mut dyn FnMut(Diagnostic),
) -> Static {
    let table = raw.apigateway.as_ref();
    let settings = table.map(Spanned::get_ref);
    let mut shapes: HashMap<Vec<Segment>, String> = HashMap::new();
    let mut resources = Vec::new();
    // Where each resource comes from: its span in the policy, `None` for a default one.
    let mut written: Vec<Option<Range<usize>>> = Vec::new();
    let mut add = |path: &str,
                   pattern: RoutePattern,
                   at: Option<Range<usize>>,
                   resources: &mut Vec<Resource>| {
        if shapes.contains_key(&pattern.segments) {
            return false;
        }
        shapes.insert(pattern.segments.clone(), path.to_string());
        resources.push(Resource {
            path: path.to_string(),
            pattern,
        });
        written.push(at);
        true
    };
    match settings.and_then(|s| s.resources.as_ref()) {
        Some(list) => {
            for item in list.get_ref() {
                let path = item.get_ref();
                match parse_route_path(path) {
                    Ok(pattern) => {
                        if !add(path, pattern, Some(item.span()), &mut resources) {
                            push(
                                Diagnostic::new(
                                    Code::DuplicateRoute,
                                    item.span(),
                                    format!("resource {path:?} is listed twice (or has the same shape as another)"),
                                )
                                .help("remove one; API Gateway cannot tell them apart either"),
                            );
                        }
                    }
                    Err(problem) => push(
                        Diagnostic::new(
                            Code::RoutePathInvalid,
                            item.span(),
                            format!("resource path {path:?} {problem}"),
                        )
                        .help("write an API Gateway resource path such as \"/orders/{id}\" or \"/{proxy+}\""),
                    ),
                }
            }
        }
        None => {
            for path in DEFAULT_RESOURCES {
                if let Ok(pattern) = parse_route_path(path) {
                    add(path, pattern, None, &mut resources);
                }
            }
        }
    }
    for (route, pattern) in raw.route.iter().zip(route_patterns) {
        if let Some(pattern) = pattern {
            add(
                route.path.get_ref(),
                pattern.clone(),
                Some(route.path.span()),
                &mut resources,
            );
        }
    }
    let resources = one_variable_child(resources, &written, push);
    let mut resources = resources;
    resources.sort_by(|a, b| {
        (a.pattern.specificity_key(), &a.path).cmp(&(b.pattern.specificity_key(), &b.path))
    });

    let gateway_responses = match settings.and_then(|s| s.gateway_responses.as_ref()) {
        Some(list) => gateway_response_types(list, push),
        None => DEFAULT_GATEWAY_RESPONSES.to_vec(),
    };
    let resources_span = settings
        .and_then(|s| s.resources.as_ref())
        .map(Spanned::span)
        .or_else(|| table.map(Spanned::span))
        .unwrap_or_else(|| raw.cors.span());
    Static {
        resources,
        resources_span,
        gateway_responses,
    }
}

/// API Gateway allows one variable path part (`{id}` or `{proxy+}`) among a resource's
/// children ("A sibling ({id}) of this resource already has a variable path part -- only one is
/// allowed"). A default resource (`/{proxy+}`) that would be such a sibling is left out, with a
/// warning; two written ones are an error at the later one.
fn one_variable_child(
    resources: Vec<Resource>,
    written: &[Option<Range<usize>>],
    push: &mut dyn FnMut(Diagnostic),
) -> Vec<Resource> {
    // Each variable path part, by the path of the resource above it: (part, resource index).
    let mut children: Vec<(String, String, usize)> = Vec::new();
    for (index, resource) in resources.iter().enumerate() {
        let parts: Vec<&str> = resource.path.split('/').filter(|p| !p.is_empty()).collect();
        for (depth, part) in parts.iter().enumerate() {
            if part.starts_with('{') {
                let parent = format!("/{}", parts[..depth].join("/"));
                children.push((parent, (*part).to_string(), index));
            }
        }
    }
    let mut dropped: Vec<usize> = Vec::new();
    let mut reported: Vec<(usize, usize)> = Vec::new();
    for (i, (parent, part, first)) in children.iter().enumerate() {
        for (other_parent, other_part, second) in &children[i + 1..] {
            if parent != other_parent || part == other_part || first == second {
                continue;
            }
            let (a, b) = (*first.min(second), *first.max(second));
            if dropped.contains(&a) || dropped.contains(&b) || reported.contains(&(a, b)) {
                continue;
            }
            reported.push((a, b));
            let (kept, default) = match (&written[a], &written[b]) {
                (_, None) => (a, b),
                (None, _) => (b, a),
                (Some(_), Some(_)) => {
                    let later = written[b].clone().unwrap_or_default();
                    push(
                        Diagnostic::new(
                            Code::ResourceVariableSibling,
                            later,
                            format!(
                                "{:?} puts `{}` under {parent:?}, where {:?} already has `{}`: API Gateway allows one variable path part per resource",
                                resources[b].path,
                                if *second == b { other_part } else { part },
                                resources[a].path,
                                if *first == a { part } else { other_part },
                            ),
                        )
                        .label("a second variable path part here")
                        .help("give both paths the same parameter name, or make one of them a literal segment (API Gateway cannot deploy both)"),
                    );
                    continue;
                }
            };
            dropped.push(default);
            let gone = &resources[default].path;
            let parent_path = if parent == "/" { "" } else { parent.as_str() };
            push(
                Diagnostic::new(
                    Code::ResourceDefaultDropped,
                    written[kept].clone().unwrap_or_default(),
                    format!(
                        "the default resource {gone:?} is left out: {:?} already puts a variable path part under {parent:?}, and API Gateway allows one per resource",
                        resources[kept].path
                    ),
                )
                .label("the variable path part API Gateway keeps")
                .help(format!(
                    "preflights to paths under {parent_path}/ that no other resource matches (for example {parent_path}/a/b) then have no OPTIONS method and get 403: list the resources you need in resources = [...] in [apigateway]"
                )),
            );
        }
    }
    resources
        .into_iter()
        .enumerate()
        .filter(|(index, _)| !dropped.contains(index))
        .map(|(_, r)| r)
        .collect()
}

fn gateway_response_types(
    list: &SpannedList,
    push: &mut dyn FnMut(Diagnostic),
) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = Vec::new();
    for item in list.get_ref() {
        let name = item.get_ref();
        if let Some(known) = GATEWAY_RESPONSE_TYPES.iter().find(|t| **t == name) {
            if found.contains(known) {
                push(
                    Diagnostic::new(
                        Code::DuplicateGatewayResponse,
                        item.span(),
                        format!("gateway response {name} is listed twice"),
                    )
                    .help("remove one"),
                );
            } else {
                found.push(known);
            }
            continue;
        }
        let upper = name.trim().to_ascii_uppercase().replace(['-', ' '], "_");
        let best = GATEWAY_RESPONSE_TYPES
            .iter()
            .map(|t| (strsim::jaro_winkler(&upper, t), *t))
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let diagnostic = Diagnostic::new(
            Code::GatewayResponseUnknown,
            item.span(),
            format!("{name:?} is not an API Gateway gateway-response type"),
        )
        .label("unknown type");
        push(match best {
            Some((_, t)) => diagnostic.suggest(t),
            None => diagnostic.help(format!("use one of: {}", GATEWAY_RESPONSE_TYPES.join(", "))),
        });
    }
    found.sort_by_key(|t| GATEWAY_RESPONSE_TYPES.iter().position(|k| k == t));
    found
}

/// One origin a browser could send for each entry of `origins` (a wildcard's with a label in
/// place of `*`; for any origin, an outsider), with the entry as the policy writes it.
fn samples(origins: &AllowedOrigins) -> Vec<(String, String)> {
    match origins {
        AllowedOrigins::Any => vec![("https://any-site.invalid".into(), "*".into())],
        AllowedOrigins::List(list) => list
            .exact
            .iter()
            .map(|o| (o.clone(), o.clone()))
            .chain(list.wildcards.iter().map(|w| {
                (
                    format!("{}corsgen-sample{}", w.prefix, w.suffix),
                    w.pattern(),
                )
            }))
            .collect(),
    }
}

/// How API Gateway's own errors on `route` (gateway responses: `[cors]`'s headers, with `origin`
/// as `Access-Control-Allow-Origin`) answer otherwise than the route's rule, in words; empty
/// when they answer alike. Origins `[cors]` allows were accepted with gateway-response-origin.
fn route_differences(route: &Rule, cors: &Rule, origin: &GatewayOrigin) -> Vec<String> {
    let mut differences = Vec::new();
    let readable = |o: &str| match origin {
        GatewayOrigin::Static(sent) => sent == "*" || sent == o,
        GatewayOrigin::Reflect => true,
    };
    match (origin, &route.origins) {
        (GatewayOrigin::Static(sent), AllowedOrigins::List(_)) if sent == "*" => differences
            .push("are readable by every site (`*`), where this route has an allowlist".into()),
        (GatewayOrigin::Reflect, AllowedOrigins::List(_)) => {
            differences.push("echo any Origin, where this route has an allowlist".into());
        }
        (GatewayOrigin::Static(sent), _) if !route.origins.allows(sent) => {
            differences.push(format!(
                "are readable by \"{sent}\", which this route refuses"
            ));
        }
        _ => {}
    }
    let unserved: Vec<String> = samples(&route.origins)
        .into_iter()
        .filter(|(o, _)| !readable(o) && !cors.origins.allows(o))
        .map(|(_, written)| written)
        .collect();
    match (origin, unserved.as_slice()) {
        (_, []) => {}
        (GatewayOrigin::Static(sent), [any]) if any == "*" => differences.push(format!(
            "are readable by \"{sent}\" only, where this route allows every site (the others see a CORS error instead of the status)"
        )),
        _ => differences.push(format!(
            "are not readable by {}, which this route allows (they see a CORS error instead of the status)",
            unserved.join(", ")
        )),
    }
    match (cors.credentials, route.credentials) {
        (true, false) => differences.push(
            "carry Access-Control-Allow-Credentials: true, which this route does not allow".into(),
        ),
        (false, true) => differences.push(
            "carry no Access-Control-Allow-Credentials, so this route's credentialed requests see a CORS error instead of the status".into(),
        ),
        _ => {}
    }
    // A set of names, compared in any case and order.
    let names = |list: &[String]| -> std::collections::BTreeSet<String> {
        list.iter().map(|h| h.to_ascii_lowercase()).collect()
    };
    if names(&cors.expose) != names(&route.expose) {
        differences.push(format!(
            "expose [{}] instead of this route's [{}]",
            cors.expose.join(", "),
            route.expose.join(", ")
        ));
    }
    differences
}

/// The warning for a route whose API Gateway errors answer otherwise than its rule.
fn route_differs(
    route: &RuleSite<'_>,
    path: &str,
    in_env: &str,
    differences: &[String],
) -> Diagnostic {
    Diagnostic::new(
        Code::GatewayResponseRouteDiffers,
        route.span.clone(),
        format!(
            "API Gateway's own errors on {path}{in_env} (401 from an authorizer, 403, 429, 5XX: gateway responses, one set per REST API) carry [cors]'s headers: they {}",
            differences.join("; they ")
        ),
    )
    .label("this route's own rule")
    .help("accept it with gateway-response-routes = \"api-wide\" in [apigateway] (an error body carries no data of the route, but its status and message become readable as listed), or serve the route from a REST API of its own, whose [cors] is this rule")
}

fn gateway_origin(
    raw: Option<&RawApiGateway>,
    in_env: &str,
    default: &RuleSite<'_>,
    push: &mut dyn FnMut(Diagnostic),
) -> GatewayOrigin {
    let list = match default.rule.origins.answer() {
        OriginAnswer::Static(origin) => return GatewayOrigin::Static(origin.to_string()),
        OriginAnswer::Allowlist(list) => list,
    };
    let count = list.exact.len() + list.wildcards.len();
    let first = list.exact.first();
    let choice = raw.and_then(|r| r.gateway_response_origin.as_ref());
    if choice.is_none() && !default.origins_complete {
        // An origin was rejected: its diagnostic says what to fix, and the count is moot.
        return GatewayOrigin::Static(first.cloned().unwrap_or_default());
    }
    match choice {
        None => {
            if let Some(sole) = &default.sole_origin {
                let others: Vec<String> =
                    list.patterns().into_iter().filter(|o| o != sole).collect();
                push(
                    Diagnostic::new(
                        Code::GatewayResponseOriginDefaulted,
                        default.span.clone(),
                        format!("gateway responses (401 from an authorizer, 403, 429, 5XX){in_env} send Access-Control-Allow-Origin \"{sole}\", the one origin of allow-origins; {} from extra-origins see a CORS error instead of the status of those errors", others.join(", ")),
                    )
                    .label("extra origins: no gateway responses")
                    .help("set gateway-response-origin = \"first\" in [apigateway] to say so and silence this"),
                );
                return GatewayOrigin::Static(sole.clone());
            }
            let credentials = default.rule.credentials;
            let help = match (first, credentials) {
                (Some(o), true) => format!("add gateway-response-origin = \"first\" to [apigateway]: gateway errors are then readable by \"{o}\" only, the other sites see a CORS error instead of the status (`reflect` is refused with credentials)"),
                (Some(o), false) => format!("add gateway-response-origin = \"first\" or \"reflect\" to [apigateway]: `first` sends \"{o}\", so only that site can read error responses; `reflect` echoes any Origin, so every site can"),
                (None, true) => "list the exact origin that should read error responses first in allow-origins, then add gateway-response-origin = \"first\" to [apigateway] (`reflect` is refused with credentials)".to_string(),
                (None, false) => "add gateway-response-origin = \"reflect\" to [apigateway] (every site can then read error responses), or list an exact origin first in allow-origins and choose \"first\"".to_string(),
            };
            push(
                Diagnostic::new(
                    Code::GatewayResponseOriginRequired,
                    default.span.clone(),
                    format!("[cors] allows {count} origin{}{in_env}, but gateway responses (401 from an authorizer, 403, 429, 5XX) cannot run a mapping template and send one static Access-Control-Allow-Origin", if count == 1 { " pattern" } else { "s" }),
                )
                .label("several origins")
                .help(format!("{help}. Gateway responses belong to REST APIs: for an HTTP API alone, set enabled = false in [apigateway] instead")),
            );
            GatewayOrigin::Static(first.cloned().unwrap_or_default())
        }
        Some(choice) => match choice.get_ref() {
            GatewayResponseOrigin::First => match first {
                Some(origin) => GatewayOrigin::Static(origin.clone()),
                None => {
                    push(
                        Diagnostic::new(
                            Code::GatewayResponseOriginRequired,
                            choice.span(),
                            format!("`first` needs an exact origin, and [cors] lists only wildcards{in_env}"),
                        )
                        .help("list the exact origin that should read error responses first in allow-origins, or choose \"reflect\""),
                    );
                    GatewayOrigin::Reflect
                }
            },
            GatewayResponseOrigin::Reflect => {
                if default.rule.credentials {
                    push(
                        Diagnostic::new(
                            Code::GatewayResponseReflectWithCredentials,
                            choice.span(),
                            format!("gateway responses would echo any Origin, and [cors] allows credentials{in_env}"),
                        )
                        .label("any site could read credentialed error responses")
                        .help("choose gateway-response-origin = \"first\"; the other sites then see a CORS error instead of the status"),
                    );
                } else {
                    push(
                        Diagnostic::new(
                            Code::GatewayResponseReflects,
                            choice.span(),
                            "gateway responses echo any Origin: every site can read API Gateway's error responses",
                        )
                        .label("acknowledged: not an allowlist")
                        .help("fine for public error bodies; choose \"first\" if error responses carry anything private"),
                    );
                }
                GatewayOrigin::Reflect
            }
        },
    }
}
