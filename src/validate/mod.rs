//! VALIDATE: [`RawPolicy`] → [`Policy`] for one environment, plus every diagnostic.
//!
//! Input: the raw policy and, optionally, the environment chosen with `--env`. Output: all
//! diagnostics (never only the first) and, when none is an error, the resolved policy with
//! defaults applied once, here. Item checks run on every list in the file whichever environment
//! is chosen; rules that combine fields run for the base policy and every environment (or the
//! chosen one), each reported once.

mod items;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    AllowedOrigins, Layer, OriginAnswer, OriginList, Policy, Route, RoutePattern, Rule, Segment,
    Written, WrittenAt,
};
use crate::origin::OriginSpec;
use crate::policy::{RawEnv, RawPolicy, RuleFields, SpannedList};
use crate::source::PolicySource;
use crate::targets::{Checks, Place, RuleSite, Scope, Values, REGISTRY};

pub(crate) use items::is_response_only_header;
use items::Checked;

/// The outcome of validation.
#[derive(Debug)]
pub struct Validation {
    /// The resolved policy, present when no diagnostic is an error.
    pub policy: Option<Policy>,
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Validates `raw` and resolves it for `env` (which the caller has checked exists).
#[must_use]
pub fn validate(raw: &RawPolicy, source: &PolicySource, env: Option<&str>) -> Validation {
    let mut v = Validator {
        checked_lists: HashMap::new(),
        merged: HashMap::new(),
        credentialed_origins_checked: HashSet::new(),
        seen: HashSet::new(),
        diagnostics: Vec::new(),
    };
    // Each enabled target's checks, in registry order.
    let mut targets: Vec<Box<dyn Checks + '_>> =
        REGISTRY.iter().filter_map(|t| (t.checks)(raw)).collect();
    if *raw.version.get_ref() != 1 {
        v.push(
            Diagnostic::new(
                Code::UnsupportedVersion,
                raw.version.span(),
                format!(
                    "policy format version {} is not supported",
                    raw.version.get_ref()
                ),
            )
            .help("this corsgen reads `version = 1`"),
        );
    }
    if let Some(name) = &raw.name {
        if name.get_ref().is_empty() || name.get_ref().chars().any(char::is_control) {
            v.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    name.span(),
                    "name must be printable text on one line: it appears in every generated file's header",
                )
                .help("remove line breaks, tabs and control characters, e.g. name = \"orders-api\""),
            );
        }
    }
    for name in raw.env.keys() {
        let valid = !name.get_ref().is_empty()
            && name
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            v.push(
                Diagnostic::new(
                    Code::InvalidEnvName,
                    name.span(),
                    format!(
                        "environment name {:?} cannot be passed to --env",
                        name.get_ref()
                    ),
                )
                .help("use letters, digits, `-` and `_` only, e.g. [env.stage]"),
            );
        }
    }
    let patterns = v.check_routes(raw);
    for target in &mut targets {
        target.check_static(raw, &patterns, &mut |d| v.push(d));
    }

    let base = raw.cors.get_ref().rule();
    let cors_span = raw.cors.span();
    let selected: Option<(&str, &RawEnv)> = env.and_then(|e| {
        raw.env
            .iter()
            .find(|(k, _)| k.get_ref() == e)
            .map(|(k, v)| (k.get_ref().as_str(), v))
    });
    // Every environment is checked when none is chosen, so a broken overlay is found before
    // the day it is deployed.
    let mut scopes: Vec<Option<(&str, &RawEnv)>> = vec![selected];
    if env.is_none() {
        scopes.extend(raw.env.iter().map(|(k, e)| Some((k.get_ref().as_str(), e))));
    }
    let mut resolved = None;
    for (index, scope) in scopes.into_iter().enumerate() {
        let env_fields = scope.map(|(_, e)| e.rule()).unwrap_or_default();
        let extras = scope.and_then(|(_, e)| e.extra_origins.as_ref());
        let with_env = base.overlay(env_fields);
        let place = Place {
            env: scope.map(|(name, _)| name),
            resolved: index == 0,
        };
        let default_rule = v.resolve(with_env, extras, cors_span.clone(), (&mut targets, place));
        let routes: Vec<Option<Rule>> = raw
            .route
            .iter()
            .map(|route| {
                v.resolve(
                    with_env.overlay(route.rule()),
                    extras,
                    route.path.span(),
                    (&mut targets, place),
                )
            })
            .collect();
        let settled = match &default_rule {
            Some(default) if routes.iter().all(Option::is_some) => {
                let origins_span = extras
                    .map(toml::Spanned::span)
                    .or_else(|| with_env.allow_origins.map(toml::Spanned::span))
                    .unwrap_or_else(|| cors_span.clone());
                let own = with_env.allow_origins;
                let sole_origin = match (own, extras) {
                    (Some(list), Some(_)) => match v.merged_origins(list, None).allowed.answer() {
                        OriginAnswer::Static(o) if o != "*" => Some(o.to_string()),
                        _ => None,
                    },
                    _ => None,
                };
                let list = |span: Option<std::ops::Range<usize>>| {
                    span.unwrap_or_else(|| origins_span.clone())
                };
                let lists = (
                    list(with_env.allow_methods.map(toml::Spanned::span)),
                    list(with_env.allow_headers.map(toml::Spanned::span)),
                );
                let site = RuleSite {
                    rule: default,
                    route: None,
                    lists,
                    span: origins_span,
                    origins_complete: own.is_some_and(|l| v.merged_origins(l, extras).complete),
                    sole_origin,
                };
                let route_sites: Vec<RuleSite<'_>> = raw
                    .route
                    .iter()
                    .zip(routes.iter().flatten())
                    .map(|(raw_route, rule)| RuleSite {
                        rule,
                        route: Some(raw_route.path.get_ref()),
                        span: raw_route.path.span(),
                        lists: (raw_route.path.span(), raw_route.path.span()),
                        origins_complete: with_env
                            .overlay(raw_route.rule())
                            .allow_origins
                            .is_some_and(|l| v.merged_origins(l, extras).complete),
                        sole_origin: None,
                    })
                    .collect();
                let scope = Scope {
                    env: scope.map(|(name, _)| name),
                    default: &site,
                    routes: &route_sites,
                    resolved: index == 0,
                };
                for target in &mut targets {
                    target.check_scope(&scope, &mut |d| v.push(d));
                }
                true
            }
            _ => false,
        };
        if index == 0 {
            resolved = Some((default_rule, routes, settled));
        }
    }

    let mut diagnostics = v.diagnostics;
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| (d.span.as_ref().map_or(0, |s| s.start), d.code);
        key(a).cmp(&key(b))
    });
    let valid = !diagnostics.iter().any(Diagnostic::is_error);
    let policy = match resolved {
        Some((Some(default_rule), routes, true)) if valid => {
            build_policy(raw, source, env, default_rule, routes, patterns).map(|mut policy| {
                for target in targets {
                    target.resolve(&mut policy);
                }
                policy
            })
        }
        _ => None,
    };
    Validation {
        policy,
        diagnostics,
    }
}

fn build_policy(
    raw: &RawPolicy,
    source: &PolicySource,
    env: Option<&str>,
    default_rule: Rule,
    routes: Vec<Option<Rule>>,
    patterns: Vec<Option<RoutePattern>>,
) -> Option<Policy> {
    let cors = (Layer::Cors, raw.cors.get_ref().rule());
    let env_fields = env
        .and_then(|e| raw.env.iter().find(|(k, _)| k.get_ref() == e))
        .map(|(_, table)| (Layer::Env, table.rule()));
    let base: Vec<(Layer, RuleFields<'_>)> = std::iter::once(cors).chain(env_fields).collect();
    let mut built = Vec::new();
    for ((raw_route, rule), pattern) in raw.route.iter().zip(routes).zip(patterns) {
        let layers: Vec<(Layer, RuleFields<'_>)> = base
            .iter()
            .copied()
            .chain([(Layer::Route, raw_route.rule())])
            .collect();
        built.push(Route {
            path: raw_route.path.get_ref().clone(),
            pattern: pattern?,
            rule: rule?,
            written: written(&layers, raw_route.path.span()),
        });
    }
    built.sort_by(|a, b| {
        (a.pattern.specificity_key(), &a.path).cmp(&(b.pattern.specificity_key(), &b.path))
    });
    let name = raw
        .name
        .as_ref()
        .map(|n| n.get_ref().clone())
        .unwrap_or_else(|| {
            let file = source.file_name();
            file.strip_suffix(".toml").unwrap_or(file).to_string()
        });
    Some(Policy {
        name,
        env: env.map(str::to_string),
        default_rule,
        default_written: written(&base, raw.cors.span()),
        routes: built,
        lambda_languages: Vec::new(),
        apigateway: None,
        cloudfront: None,
        targets: std::collections::BTreeMap::new(),
        configurations: Vec::new(),
        skipped: Vec::new(),
    })
}

/// Where each field of a rule layered from `layers` (later ones win) is written.
fn written(layers: &[(Layer, RuleFields<'_>)], table: Range<usize>) -> Written {
    let last = |field: fn(&RuleFields<'_>) -> Option<Range<usize>>| {
        layers.iter().rev().find_map(|(layer, fields)| {
            field(fields).map(|span| WrittenAt {
                span,
                layer: *layer,
            })
        })
    };
    Written {
        table,
        origins: last(|f| f.allow_origins.map(toml::Spanned::span)),
        credentials: last(|f| f.allow_credentials.map(toml::Spanned::span)),
        methods: last(|f| f.allow_methods.map(toml::Spanned::span)),
        headers: last(|f| f.allow_headers.map(toml::Spanned::span)),
    }
}

/// What makes two diagnostics the same report: code, place and message.
type DiagnosticKey = (Code, Option<(usize, usize)>, String);

struct Validator {
    /// Lists already checked, keyed by span: a list inherited by many routes is checked once.
    checked_lists: HashMap<SpanKey, Rc<Checked>>,
    merged: HashMap<(SpanKey, Option<SpanKey>), Rc<MergedOrigins>>,
    credentialed_origins_checked: HashSet<((SpanKey, Option<SpanKey>), bool)>,
    seen: HashSet<DiagnosticKey>,
    diagnostics: Vec<Diagnostic>,
}

impl Validator {
    fn push(&mut self, diagnostic: Diagnostic) {
        // One key fixes these in every environment at once: say so once, for the first scope.
        const ONCE: [Code; 2] = [
            Code::GatewayResponseOriginRequired,
            Code::GatewayResponseOriginDefaulted,
        ];
        if ONCE.contains(&diagnostic.code)
            && self.diagnostics.iter().any(|d| d.code == diagnostic.code)
        {
            return;
        }
        // A target's misfit is about the value at its span: an environment that inherits the
        // value has the misfit the first scope already reported (only its message names the
        // environment).
        const BY_PLACE: [Code; 3] = [
            Code::TargetUnfit,
            Code::TargetSkipped,
            Code::ApigatewayUnquotable,
        ];
        let message = if BY_PLACE.contains(&diagnostic.code) {
            // The same misfit in another environment differs only by its `env NAME: ` prefix.
            let text = diagnostic.message.as_str();
            text.strip_prefix("env ")
                .and_then(|rest| rest.split_once(": "))
                .map_or(text, |(_, misfit)| misfit)
                .to_string()
        } else {
            diagnostic.message.clone()
        };
        let key = (
            diagnostic.code,
            diagnostic.span.as_ref().map(|s| (s.start, s.end)),
            message,
        );
        if self.seen.insert(key) {
            self.diagnostics.push(diagnostic);
        }
    }

    fn push_all(&mut self, diagnostics: Vec<Diagnostic>) {
        for d in diagnostics {
            self.push(d);
        }
    }

    fn check_routes(&mut self, raw: &RawPolicy) -> Vec<Option<RoutePattern>> {
        let mut shapes: HashMap<Vec<Segment>, String> = HashMap::new();
        let mut patterns = Vec::new();
        for route in &raw.route {
            let path = route.path.get_ref();
            match parse_route_path(path) {
                Ok(pattern) => {
                    if let Some(first) = shapes.get(&pattern.segments) {
                        self.push(
                            Diagnostic::new(
                                Code::DuplicateRoute,
                                route.path.span(),
                                format!("route {path:?} has the same shape as route {first:?}"),
                            )
                            .label("second route for the same paths")
                            .help("merge the two [[route]] tables; API Gateway cannot tell them apart either"),
                        );
                    } else {
                        shapes.insert(pattern.segments.clone(), path.clone());
                    }
                    patterns.push(Some(pattern));
                }
                Err(problem) => {
                    self.push(
                        Diagnostic::new(
                            Code::RoutePathInvalid,
                            route.path.span(),
                            format!("route path {path:?} {problem}"),
                        )
                        .help("write an API Gateway resource path such as \"/orders/{id}\" or \"/public/{proxy+}\""),
                    );
                    patterns.push(None);
                }
            }
        }
        patterns
    }

    fn checked(&mut self, list: &SpannedList, check: fn(&SpannedList) -> Checked) -> Rc<Checked> {
        let key = span_key(list);
        if let Some(done) = self.checked_lists.get(&key) {
            return Rc::clone(done);
        }
        let checked = Rc::new(check(list));
        self.push_all(checked.diagnostics.clone());
        self.checked_lists.insert(key, Rc::clone(&checked));
        checked
    }

    /// The origins of `list` plus an environment's `extras`, merged and checked once however
    /// many routes share them.
    fn merged_origins(
        &mut self,
        list: &SpannedList,
        extras: Option<&SpannedList>,
    ) -> Rc<MergedOrigins> {
        let key = (span_key(list), extras.map(span_key));
        if let Some(done) = self.merged.get(&key) {
            return Rc::clone(done);
        }
        let own = self.checked(list, items::check_origins);
        let mut complete = !own.diagnostics.iter().any(Diagnostic::is_error);
        let mut entries = own.origins.clone();
        let any = entries.iter().any(|(o, _)| *o == OriginSpec::Any);
        if let (Some(extra_list), false) = (extras, any) {
            let extra = self.checked(extra_list, items::check_origins);
            complete &= !extra.diagnostics.iter().any(Diagnostic::is_error);
            for (spec, span) in &extra.origins {
                if *spec == OriginSpec::Any {
                    self.push(
                        Diagnostic::new(
                            Code::AnyOriginMixed,
                            span.clone(),
                            "`*` in extra-origins would mix any origin with named ones",
                        )
                        .help("set allow-origins = [\"*\"] in this environment instead"),
                    );
                } else if entries.iter().any(|(o, _)| o == spec) {
                    self.push(
                        Diagnostic::new(
                            Code::DuplicateOrigin,
                            span.clone(),
                            format!("origin \"{}\" is already allowed", spec.as_policy_string()),
                        )
                        .help("remove it from extra-origins"),
                    );
                } else {
                    entries.push((spec.clone(), span.clone()));
                }
            }
        }
        let allowed = if any {
            AllowedOrigins::Any
        } else {
            let mut list = OriginList::default();
            for (spec, _) in &entries {
                match spec {
                    OriginSpec::Exact(o) => list.exact.push(o.clone()),
                    OriginSpec::Wildcard(w) => list.wildcards.push(w.clone()),
                    OriginSpec::Any => {}
                }
            }
            AllowedOrigins::List(Arc::new(list))
        };
        let merged = Rc::new(MergedOrigins {
            key,
            entries,
            allowed,
            complete,
        });
        self.merged.insert(key, Rc::clone(&merged));
        merged
    }

    /// Resolves one rule (defaults applied) and runs the checks that combine fields.
    fn resolve(
        &mut self,
        fields: RuleFields<'_>,
        extras: Option<&SpannedList>,
        owner: Range<usize>,
        (targets, place): (&mut [Box<dyn Checks + '_>], Place<'_>),
    ) -> Option<Rule> {
        let Some(origin_list) = fields.allow_origins else {
            self.push(
                Diagnostic::new(
                    Code::MissingOrigins,
                    owner,
                    "no allow-origins for this rule",
                )
                .help("add allow-origins = [\"https://app.example.com\"] to [cors]"),
            );
            return None;
        };
        let origins = self.merged_origins(origin_list, extras);
        let credentials = fields.allow_credentials.is_some_and(|c| *c.get_ref());
        let insecure_ok = fields.allow_insecure_origins.is_some_and(|c| *c.get_ref());
        let methods = fields
            .allow_methods
            .map(|l| self.checked(l, items::check_methods))
            .unwrap_or_default();
        let headers = fields
            .allow_headers
            .map(|l| self.checked(l, items::check_request_headers))
            .unwrap_or_default();
        let expose = fields
            .expose_headers
            .map(|l| self.checked(l, items::check_expose_headers))
            .unwrap_or_default();
        let max_age = fields.max_age.and_then(|m| {
            let (value, diagnostics) = items::check_max_age(m);
            self.push_all(diagnostics);
            value
        });

        for target in targets.iter_mut() {
            for (kind, list) in [
                (Values::Methods, &methods),
                (Values::RequestHeaders, &headers),
                (Values::ExposeHeaders, &expose),
            ] {
                target.check_values(kind, &list.values, place, &mut |d| self.push(d));
            }
        }
        if credentials {
            if self
                .credentialed_origins_checked
                .insert((origins.key, insecure_ok))
            {
                self.check_credentialed_origins(&origins.entries, insecure_ok);
            }
            for (list, code, field) in [
                (
                    &methods,
                    Code::WildcardMethodWithCredentials,
                    "allow-methods",
                ),
                (
                    &headers,
                    Code::WildcardHeaderWithCredentials,
                    "allow-headers",
                ),
                (
                    &expose,
                    Code::WildcardHeaderWithCredentials,
                    "expose-headers",
                ),
            ] {
                for (value, span) in &list.values {
                    if value == "*" {
                        self.push(
                            Diagnostic::new(code, span.clone(), format!("`*` in {field} means the literal name `*` for credentialed requests"))
                                .label("not a wildcard here")
                                .help(format!("list every name in {field}, or set allow-credentials = false")),
                        );
                    }
                }
            }
        } else if let Some((_, span)) = headers.values.iter().find(|(h, _)| h == "*") {
            if !headers
                .values
                .iter()
                .any(|(h, _)| h.eq_ignore_ascii_case("authorization"))
            {
                self.push(
                    Diagnostic::new(Code::WildcardAuthorization, span.clone(), "`*` in allow-headers covers Authorization in today's browsers only by grace: the Fetch standard excludes it")
                        .label("Authorization is not covered by this in the standard")
                        .help(format!("add \"Authorization\" if clients send it: {} let `*` cover it without credentials (measured), but Firefox warns it will stop soon and the standard never allowed it", crate::browser::Engine::all_measured())),
                );
            }
        }

        let values = |c: &Checked| c.values.iter().map(|(v, _)| v.clone()).collect();
        Some(Rule {
            origins: origins.allowed.clone(),
            credentials,
            methods: values(&methods),
            headers: values(&headers),
            expose: values(&expose),
            max_age,
        })
    }

    fn check_credentialed_origins(
        &mut self,
        entries: &[(OriginSpec, Range<usize>)],
        insecure_ok: bool,
    ) {
        for (spec, span) in entries {
            if *spec == OriginSpec::Any {
                self.push(
                    Diagnostic::new(Code::AnyOriginWithCredentials, span.clone(), "`*` allows any origin, but this rule also allows credentials")
                        .label("any origin")
                        .help("browsers reject `Access-Control-Allow-Origin: *` on credentialed requests; list the exact origins, or set allow-credentials = false"),
                );
            } else if spec.is_insecure() && !insecure_ok {
                self.push(
                    Diagnostic::new(
                        Code::InsecureOriginWithCredentials,
                        span.clone(),
                        format!("\"{}\" is plain http, and this rule allows credentials", spec.as_policy_string()),
                    )
                    .label("credentials would travel to and from this site unencrypted")
                    .help("use the https:// origin, or set allow-insecure-origins = true if you really mean it"),
                );
            }
        }
    }
}

type SpanKey = (usize, usize);

fn span_key(list: &SpannedList) -> SpanKey {
    (list.span().start, list.span().end)
}

/// A rule's origins after an environment's extra-origins are merged in.
struct MergedOrigins {
    key: (SpanKey, Option<SpanKey>),
    entries: Vec<(OriginSpec, Range<usize>)>,
    allowed: AllowedOrigins,
    /// True when no entry of either list was rejected.
    complete: bool,
}

/// Parses an API Gateway resource path such as `/orders/{id}` or `/public/{proxy+}`.
///
/// # Errors
/// A phrase saying what is wrong, to follow the path in a message.
pub fn parse_route_path(path: &str) -> Result<RoutePattern, String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err("must start with `/`".into());
    };
    if rest.is_empty() {
        return Ok(RoutePattern {
            segments: Vec::new(),
        });
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let mut segments = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        if part.is_empty() {
            return Err("has an empty segment (`//` or a trailing `/`)".into());
        }
        if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(name) => (name, true),
                None => (inner, false),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("has an invalid parameter `{part}`"));
            }
            if greedy && index + 1 != parts.len() {
                return Err(format!(
                    "has the greedy parameter `{part}` before the last segment"
                ));
            }
            // OpenAPI and API Gateway need each path parameter once.
            if names.contains(&name) {
                return Err(format!("has the parameter `{{{name}}}` twice"));
            }
            names.push(name);
            segments.push(if greedy {
                Segment::Greedy
            } else {
                Segment::Param
            });
        } else if part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:@".contains(c))
        {
            segments.push(Segment::Literal((*part).to_string()));
        } else {
            return Err(format!(
                "has a segment `{part}` with characters API Gateway paths do not allow"
            ));
        }
    }
    Ok(RoutePattern { segments })
}

/// Environment names defined in a raw policy, sorted.
#[must_use]
pub fn env_names(raw: &RawPolicy) -> Vec<String> {
    raw.env.keys().map(|k| k.get_ref().clone()).collect()
}

#[cfg(test)]
mod tests {
    use crate::model::AllowedOrigins;
    use crate::source::PolicySource;

    const LAYERED: &str = r#"version = 1
[cors]
allow-origins = ["https://app.example.com"]
max-age = 600
[env.dev]
allow-origins = ["https://app.dev.example.com"]
extra-origins = ["http://localhost:3000"]
max-age = 5
[[route]]
path = "/admin/{proxy+}"
allow-origins = ["https://admin.example.com"]
[[route]]
path = "/public/{proxy+}"
allow-origins = ["*"]
[apigateway]
enabled = false
"#;

    /// Validation records, per resolved field, the table that wins: the route's own key, else
    /// the environment's, else `[cors]`; a field left at its default points nowhere.
    #[test]
    fn each_resolved_field_records_where_it_is_written() {
        use crate::model::Layer;
        let source = PolicySource::new("p.toml", LAYERED);
        let raw = crate::policy::parse(&source).unwrap();
        let at = |needle: &str, nth: usize| {
            let start = LAYERED.match_indices(needle).nth(nth).unwrap().0;
            start..start + needle.len()
        };
        let dev = super::validate(&raw, &source, Some("dev")).policy.unwrap();
        let admin = dev.written_for("/admin/x");
        let origins = admin.origins.as_ref().unwrap();
        assert_eq!(origins.layer, Layer::Route);
        assert_eq!(origins.span, at(r#"["https://admin.example.com"]"#, 0));
        assert_eq!(admin.table, at(r#""/admin/{proxy+}""#, 0));
        assert_eq!(admin.methods, None);
        let default = dev.written_for("/orders");
        let origins = default.origins.as_ref().unwrap();
        assert_eq!(origins.layer, Layer::Env);
        assert_eq!(origins.span, at(r#"["https://app.dev.example.com"]"#, 0));
        let base = super::validate(&raw, &source, None).policy.unwrap();
        let origins = base.written_for("/orders").origins.clone().unwrap();
        assert_eq!(origins.layer, Layer::Cors);
        assert_eq!(origins.span, at(r#"["https://app.example.com"]"#, 0));
        assert_eq!(base.written_for("/orders").credentials, None);
    }

    fn origins(rule: &crate::model::Rule) -> Vec<String> {
        match &rule.origins {
            AllowedOrigins::Any => vec!["*".into()],
            AllowedOrigins::List(list) => list.exact.clone(),
        }
    }

    #[test]
    fn env_overrides_cors_routes_keep_their_own_fields_extras_reach_every_list() {
        let loaded = crate::load_source(PolicySource::new("p.toml", LAYERED), Some("dev")).unwrap();
        let policy = loaded.policy.expect("valid");
        assert_eq!(
            origins(&policy.default_rule),
            ["https://app.dev.example.com", "http://localhost:3000"]
        );
        assert_eq!(policy.default_rule.max_age, Some(5));
        let admin = policy
            .routes
            .iter()
            .find(|r| r.path == "/admin/{proxy+}")
            .unwrap();
        assert_eq!(
            origins(&admin.rule),
            ["https://admin.example.com", "http://localhost:3000"]
        );
        assert_eq!(
            admin.rule.max_age,
            Some(5),
            "fields the route does not set come from the env"
        );
        let public = policy
            .routes
            .iter()
            .find(|r| r.path == "/public/{proxy+}")
            .unwrap();
        assert_eq!(
            origins(&public.rule),
            ["*"],
            "extra origins never mix into an any-origin rule"
        );

        let base = crate::load_source(PolicySource::new("p.toml", LAYERED), None).unwrap();
        let base = base.policy.expect("valid");
        assert_eq!(origins(&base.default_rule), ["https://app.example.com"]);
        assert_eq!(base.default_rule.max_age, Some(600));
    }

    #[test]
    fn without_env_every_environment_is_checked() {
        let text = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-credentials = true\n[env.qa]\nextra-origins = [\"http://qa.example.com\"]\n[apigateway]\nenabled = false\n[cloudfront]\nenabled = false\n";
        let loaded = crate::load_source(PolicySource::new("p.toml", text), None).unwrap();
        assert!(loaded.policy.is_none());
        assert_eq!(
            loaded.diagnostics[0].code,
            crate::diagnostic::Code::InsecureOriginWithCredentials
        );
    }
}
